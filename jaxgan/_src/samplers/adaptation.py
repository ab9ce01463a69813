r"""Warm-up step-size adaptation toward a target acceptance rate, as BlackJAX's `adaptation/step_size.py`.

Each scheme is an `(init, update, final)` triple of pure functions on the log
step size: `init(initial_step_size) -> state`, `update(state, acceptance_rate) -> state`
(the next warm-up step uses `exp(state.log_step_size)`), `final(state) -> step_size`.
:func:`step_size_adaptation` runs a triple over many chains, one step size per
chain (the triple `vmap`-ed) or one shared by all chains (updated from the
harmonic mean of their acceptance rates, which the chains that accept least
rule), in a plain `lax.scan` the caller jits.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp

from jaxgan._src import validation
from jaxgan._src.samplers import chains


class RobbinsMonroState(NamedTuple):
  """Log step size and the number of updates so far."""

  log_step_size: jax.Array
  step: jax.Array


class DualAveragingState(NamedTuple):
  """Hoffman & Gelman's dual-averaging state (BlackJAX's `DualAveragingAdaptationState`)."""

  log_step_size: jax.Array
  log_step_size_avg: jax.Array
  step: jax.Array
  avg_error: jax.Array
  mu: jax.Array


def robbins_monro(target_acceptance: float, *, rate: float = 0.6) -> tuple[Callable, Callable, Callable]:
  r"""Robbins-Monro on the log step size.

  .. math:: \log\epsilon_t = \log\epsilon_{t-1} + t^{-\kappa}(\alpha_t - \delta)

  Gains :math:`t^{-\kappa}` with :math:`\kappa \in (1/2, 1]` sum to infinity with
  square-summable terms, so the iterate converges to the step whose expected
  acceptance is :math:`\delta` (where that expectation decreases with the step).

  Args:
    target_acceptance: :math:`\delta \in (0, 1)`.
    rate: :math:`\kappa`.

  Returns:
    `(init, update, final)`; `final` is the last iterate.

  References:
    Robbins & Monro, A stochastic approximation method, Ann. Math. Statist. 1951;
    Andrieu & Thoms, A tutorial on adaptive MCMC, Statistics and Computing 2008, Section 4.
  """
  _check_target(target_acceptance)
  if not 0.5 < rate <= 1.0:
    raise ValueError(f"`rate` must lie in (0.5, 1], got {rate}.")

  def init(initial_step_size) -> RobbinsMonroState:
    return RobbinsMonroState(jnp.log(jnp.asarray(initial_step_size, jnp.float32)), jnp.zeros((), jnp.int32))

  def update(state: RobbinsMonroState, acceptance_rate) -> RobbinsMonroState:
    t = state.step + 1
    gain = t.astype(jnp.float32) ** -rate
    return RobbinsMonroState(state.log_step_size + gain * (acceptance_rate - target_acceptance), t)

  def final(state: RobbinsMonroState) -> jax.Array:
    return jnp.exp(state.log_step_size)

  return init, update, final


def dual_averaging(target_acceptance: float, *, t0: float = 10.0, gamma: float = 0.05,
                   kappa: float = 0.75) -> tuple[Callable, Callable, Callable]:
  r"""Dual averaging (Nesterov 2009) on the log step size, as Hoffman & Gelman's Algorithm 5.

  .. math:: \bar H_t = (1 - \tfrac{1}{t + t_0})\bar H_{t-1} + \tfrac{\delta - \alpha_t}{t + t_0},\quad
            \log\epsilon_t = \mu - \tfrac{\sqrt t}{\gamma}\bar H_t,\quad
            \log\bar\epsilon_t = t^{-\kappa}\log\epsilon_t + (1 - t^{-\kappa})\log\bar\epsilon_{t-1}

  with :math:`\mu = \log(10\,\epsilon_0)`. Warm-up steps use :math:`\epsilon_t`;
  `final` returns the average :math:`\bar\epsilon_t`. (BlackJAX's iterate is the
  same; its average lags one update behind the paper's.)

  Args:
    target_acceptance: :math:`\delta \in (0, 1)`.
    t0, gamma, kappa: the paper's constants (Section 3.2.1: 10, 0.05, 0.75).

  Returns:
    `(init, update, final)`.

  References:
    Hoffman & Gelman, The No-U-Turn Sampler, JMLR 2014, Section 3.2.1 and
    Algorithm 5; Nesterov, Primal-dual subgradient methods for convex
    problems, Mathematical Programming 2009.
  """
  _check_target(target_acceptance)

  def init(initial_step_size) -> DualAveragingState:
    log_step = jnp.log(jnp.asarray(initial_step_size, jnp.float32))
    zero = jnp.zeros_like(log_step)
    return DualAveragingState(log_step, log_step, jnp.zeros((), jnp.int32), zero, jnp.log(10.0) + log_step)

  def update(state: DualAveragingState, acceptance_rate) -> DualAveragingState:
    t = state.step + 1
    n = t.astype(jnp.float32)
    avg_error = (1.0 - 1.0 / (n + t0)) * state.avg_error + (target_acceptance - acceptance_rate) / (n + t0)
    log_step = state.mu - jnp.sqrt(n) / gamma * avg_error
    weight = n**-kappa
    return DualAveragingState(log_step, weight * log_step + (1.0 - weight) * state.log_step_size_avg, t, avg_error,
                              state.mu)

  def final(state: DualAveragingState) -> jax.Array:
    return jnp.exp(state.log_step_size_avg)

  return init, update, final


METHODS = {"robbins_monro": robbins_monro, "dual_averaging": dual_averaging}


class AdaptationAlgorithm(NamedTuple):
  """`run(rng_key, positions, num_steps) -> (states, parameters)`, as BlackJAX's adaptation algorithms."""

  run: Callable


def _check_target(target_acceptance: float) -> None:
  if not 0.0 < target_acceptance < 1.0:
    raise ValueError(f"`target_acceptance` must lie in (0, 1), got {target_acceptance}.")


def harmonic_mean(acceptance_rates) -> jax.Array:
  """The harmonic mean of the chains' acceptance rates (each floored at 1e-6)."""
  return 1.0 / jnp.mean(1.0 / jnp.maximum(acceptance_rates, 1e-6))


def step_size_adaptation(algorithm_fn: Callable, initial_step_size: float, *, target_acceptance: float = 0.574,
                         method: str = "robbins_monro", shared: bool = False) -> AdaptationAlgorithm:
  """Tunes a kernel's step size over warm-up steps of many chains.

  Args:
    algorithm_fn: `step_size -> SamplingAlgorithm` whose acceptance rate
      falls with the step size, e.g. `functools.partial(jg.samplers.mala, energy_fn)`,
      `jg.samplers.barker` or `jg.samplers.ex2mcmc` likewise (ULA and i-SIR
      have no step-size-dependent acceptance to adapt).
    initial_step_size: the first warm-up step size, > 0.
    target_acceptance: in (0, 1); 0.574 is optimal for MALA (Roberts &
      Rosenthal 1998), about 0.4 for Barker.
    method: `"robbins_monro"` (:func:`robbins_monro`) or `"dual_averaging"`
      (:func:`dual_averaging`).
    shared: one step size for all chains, from the harmonic mean of their
      acceptance rates (default: one per chain).

  Returns:
    An :class:`AdaptationAlgorithm`. `run(rng_key, positions, num_steps)`
    (positions: a pytree with a leading chain axis; jit it with
    `static_argnums=2`) returns the chains' states after `num_steps` warm-up
    steps and `parameters = {"step_size": (chains,)}`, the tuned step sizes,
    which `run_chains(algorithm_fn, ..., parameters=parameters)` samples with.
  """
  validation.check_positive(initial_step_size, "initial_step_size")
  validation.check_choice(method, "method", METHODS)
  init, update, final = METHODS[method](target_acceptance)

  def run(rng_key, positions, num_steps: int):
    num_steps = validation.check_positive_int(num_steps, "num_steps")
    num_chains = chains.num_chains(positions, "positions")
    step_sizes = jnp.full((num_chains,), initial_step_size, jnp.float32)
    states = jax.vmap(lambda p, eps: algorithm_fn(eps).init(p))(positions, step_sizes)
    adaptation = init(initial_step_size) if shared else jax.vmap(init)(step_sizes)

    def one_step(carry, key):
      states, adaptation = carry
      step_sizes = jnp.broadcast_to(jnp.exp(adaptation.log_step_size), (num_chains,))
      states, infos = jax.vmap(lambda k, s, eps: algorithm_fn(eps).step(k, s))(
          jax.random.split(key, num_chains), states, step_sizes)
      if shared:
        return (states, update(adaptation, harmonic_mean(infos.acceptance_rate))), None
      return (states, jax.vmap(update)(adaptation, infos.acceptance_rate)), None

    (states, adaptation), _ = jax.lax.scan(one_step, (states, adaptation), jax.random.split(rng_key, num_steps))
    return states, {"step_size": jnp.broadcast_to(final(adaptation), (num_chains,))}

  return AdaptationAlgorithm(run)
