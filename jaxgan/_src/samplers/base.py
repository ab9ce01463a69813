r"""The kernel interface: `State`, `Info`, `SamplingAlgorithm`, and the Metropolis-Hastings decision.

Kernels are shaped as BlackJAX's (`blackjax/base.py`, `blackjax/mcmc/mala.py`):
each kernel module has a parameter-free `build_kernel()` returning
`kernel(rng_key, state, energy_fn, *parameters) -> (state, info)`, and a
top-level function (`mala(energy_fn, step_size)`) that binds the energy and
the parameters into a :class:`SamplingAlgorithm` `(init, step)`. Parameters
reach the kernel as arguments, so step-size adaptation calls the same kernel
with the current step (`jaxgan.samplers.step_size_adaptation`). Nothing here is
jitted: users `jax.jit` (and `vmap` over chains, `lax.scan` over steps, or
call `run_chains`).

Energy functions map one position (any pytree) to a scalar :math:`E`; the
target is :math:`\pi(z) \propto \exp(-E(z))` (BlackJAX's `logdensity_fn` is
:math:`-E`). The state carries the energy and its gradient at the position,
so a gradient-based step costs exactly one `jax.value_and_grad` of the energy
(at the proposal).
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp


class State(NamedTuple):
  """Position with its energy and energy gradient (same pytree as the position)."""

  position: object
  energy: jax.Array
  energy_grad: object


class Info(NamedTuple):
  """Per-step diagnostics and cost of ULA, MALA and Barker.

  Attributes:
    acceptance_rate: the Metropolis-Hastings acceptance probability (1 for ULA).
    is_accepted: the decision (always true for ULA).
    is_finite: whether the proposal's acceptance ratio (for ULA: its energy) was finite.
    num_grads: energy `value_and_grad` evaluations this step.
    num_evals: energy evaluations without gradient this step.
  """

  acceptance_rate: jax.Array
  is_accepted: jax.Array
  is_finite: jax.Array
  num_grads: jax.Array
  num_evals: jax.Array


class SamplingAlgorithm(NamedTuple):
  """A sampler as two pure functions, as BlackJAX's.

  Attributes:
    init: `position -> State`.
    step: `(rng_key, state) -> (state, info)`.
  """

  init: Callable
  step: Callable


def init(position, energy_fn: Callable) -> State:
  """The state at `position`: one `value_and_grad` of the energy, after checking it returns a scalar."""
  shape = jax.eval_shape(energy_fn, position).shape
  if shape != ():
    raise ValueError(f"`energy_fn` must return a scalar for one position, got shape {shape}.")
  return State(position, *jax.value_and_grad(energy_fn)(position))


def as_top_level_api(kernel: Callable, energy_fn: Callable, *parameters) -> SamplingAlgorithm:
  """Binds `energy_fn` and `parameters` to a kernel (as BlackJAX's `build_sampling_algorithm`).

  `step(rng_key, state) = kernel(rng_key, state, energy_fn, *parameters)`; `init(position)` checks the energy.
  """

  def init_fn(position) -> State:
    return init(position, energy_fn)

  def step_fn(rng_key, state: State):
    return kernel(rng_key, state, energy_fn, *parameters)

  return SamplingAlgorithm(init_fn, step_fn)


def count(n) -> jax.Array:
  """A cost counter for `Info.num_grads` / `num_evals`."""
  return jnp.asarray(n, jnp.int32)


def metropolis_hastings(rng_key, current: State, proposed: State, log_ratio) -> tuple[State, Info]:
  r"""Accepts `proposed` with probability :math:`\alpha = \min(1, e^{\log\alpha})`, else keeps `current`.

  The decision is :math:`u < \alpha`, :math:`u \sim U[0, 1)` drawn from `rng_key`,
  as BlackJAX's `static_binomial_sampling`. A non-finite log ratio (a NaN or
  infinite energy or gradient at the proposal) is rejected and reported in
  `Info.is_finite`: no separate finiteness reduction over the gradient is
  needed, since a non-finite gradient makes the ratio non-finite (or
  :math:`-\infty`).

  Args:
    rng_key: key for the uniform.
    current: the chain's state.
    proposed: the proposal's state.
    log_ratio: :math:`\log\alpha` (for MALA :func:`jaxgan.samplers.mala_log_ratio`).

  Returns:
    `(state, Info)`, one gradient counted (the proposal's).
  """
  is_finite = jnp.isfinite(log_ratio)
  acceptance_rate = jnp.where(is_finite, jnp.minimum(1.0, jnp.exp(log_ratio)), 0.0)
  is_accepted = jax.random.uniform(rng_key, dtype=acceptance_rate.dtype) < acceptance_rate
  state = jax.tree.map(lambda p, c: jnp.where(is_accepted, p, c), proposed, current)
  return state, Info(acceptance_rate, is_accepted, is_finite, count(1), count(0))
