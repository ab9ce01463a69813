r"""Langevin and MALA kernels on any pytree position.

A kernel is a NamedTuple of pure functions: `init(position) -> State` and
`step(rng_key, state, step_size_override=None) -> (State, Info)`. The state carries the
energy and its gradient at the position, so a step costs exactly one
`jax.value_and_grad` of the energy (at the proposal), for MALA as for ULA.
Users `vmap` over chains and `lax.scan` over steps (or call :func:`run_chains`);
nothing here is jitted.

Energy functions map one position to a scalar :math:`E`; the target is
:math:`\pi(z) \propto \exp(-E(z))`.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp

from jaxgan._src import validation


class State(NamedTuple):
  """Position with its energy and energy gradient (same pytree as the position)."""

  position: object
  energy: jax.Array
  energy_grad: object


class Info(NamedTuple):
  """Per-step diagnostics and cost.

  Attributes:
    acceptance_rate: MH acceptance probability (1 for ULA).
    is_accepted: the decision.
    is_finite: whether the proposal's energy (and gradient) were finite.
    num_grads: energy `value_and_grad` evaluations this step.
    num_evals: energy evaluations without gradient this step.
  """

  acceptance_rate: jax.Array
  is_accepted: jax.Array
  is_finite: jax.Array
  num_grads: jax.Array | int = 1
  num_evals: jax.Array | int = 0


class Kernel(NamedTuple):
  """A sampler as pure functions; `metropolis` says whether it has an accept/reject step."""

  init: Callable
  step: Callable
  step_size: float
  metropolis: bool


def _tree_sq_norm(tree) -> jax.Array:
  return sum(jnp.sum(jnp.square(leaf)) for leaf in jax.tree.leaves(tree))


def _checked_energy_and_grad(energy_fn):
  def value_and_grad(position):
    shape = jax.eval_shape(energy_fn, position).shape
    if shape != ():
      raise ValueError(f"`energy_fn` must return a scalar for one position, got shape {shape}.")
    return jax.value_and_grad(energy_fn)(position)

  return value_and_grad


def langevin_proposal(rng_key, state: State, step_size) -> object:
  r"""The Langevin move :math:`z' = z - \tfrac{\epsilon}{2}\nabla E(z) + \sqrt{\epsilon}\,\xi`."""
  leaves, treedef = jax.tree.flatten(state.position)
  keys = jax.random.split(rng_key, len(leaves))
  noise = treedef.unflatten([jax.random.normal(k, jnp.shape(x), jnp.result_type(x)) for k, x in zip(keys, leaves)])
  return jax.tree.map(lambda z, g, xi: z - 0.5 * step_size * g + jnp.sqrt(step_size) * xi,
                      state.position, state.energy_grad, noise)


def _log_proposal_density(to, frm: State, step_size, meg_parity: bool = False) -> jax.Array:
  """log q(to | frm) up to a constant, q = N(frm - eps/2 grad E(frm), eps I).

  `meg_parity` uses the unsquared norm of the MEG code instead (wrong: biased).
  """
  diff = jax.tree.map(lambda a, b, g: a - b + 0.5 * step_size * g, to, frm.position, frm.energy_grad)
  distance = jnp.sqrt(_tree_sq_norm(diff)) if meg_parity else _tree_sq_norm(diff)
  return -distance / (2.0 * step_size)


def metropolis_hastings(rng_key, current: State, proposed: State, step_size, *, meg_parity: bool = False):
  r"""MALA's accept/reject: log alpha = E(z) - E(z') + log q(z|z') - log q(z'|z).

  A proposal with a non-finite energy, gradient or acceptance ratio is rejected.
  """
  log_ratio = (current.energy - proposed.energy
               + _log_proposal_density(current.position, proposed, step_size, meg_parity)
               - _log_proposal_density(proposed.position, current, step_size, meg_parity))
  finite = jnp.isfinite(log_ratio) & jnp.isfinite(_tree_sq_norm(proposed.energy_grad))
  log_ratio = jnp.where(finite, log_ratio, -jnp.inf)
  acceptance = jnp.minimum(1.0, jnp.exp(log_ratio))
  accepted = jnp.log(jax.random.uniform(rng_key)) < log_ratio
  new = jax.tree.map(lambda p, c: jnp.where(accepted, p, c), proposed, current)
  return new, Info(acceptance, accepted, finite)


def _langevin_parts(energy_fn, step_size):
  """Checks the arguments; returns `init` and `move(key, state, eps) -> State` (one value_and_grad)."""
  validation.check_positive(step_size, "step_size")
  value_and_grad = _checked_energy_and_grad(energy_fn)

  def init(position) -> State:
    return State(position, *value_and_grad(position))

  def move(rng_key, state: State, eps) -> State:
    return init(langevin_proposal(rng_key, state, eps))

  return init, move


def langevin(energy_fn: Callable, step_size: float) -> Kernel:
  r"""Unadjusted Langevin algorithm (ULA).

  .. math:: z' = z - \tfrac{\epsilon}{2}\nabla E(z) + \sqrt{\epsilon}\,\xi,\ \xi\sim N(0, I)

  Biased at finite step size (for a standard Gaussian the stationary variance
  is :math:`1/(1-\epsilon/4)`); see :func:`mala` for the corrected chain.

  Args:
    energy_fn: `position -> scalar` energy.
    step_size: epsilon > 0.

  Returns:
    A :class:`Kernel`. `Info.acceptance_rate` is 1; `Info.is_finite` flags
    non-finite proposals (which ULA cannot reject: they are kept and reported).

  References:
    Roberts & Tweedie, Exponential convergence of Langevin distributions and
    their discrete approximations, Bernoulli 1996.
  """
  init, move = _langevin_parts(energy_fn, step_size)

  def step(rng_key, state: State, step_size_override=None):
    eps = step_size if step_size_override is None else step_size_override
    new = move(rng_key, state, eps)
    finite = jnp.isfinite(new.energy)
    return new, Info(jnp.ones_like(new.energy), jnp.ones((), bool), finite)

  return Kernel(init, step, step_size, metropolis=False)


def mala(energy_fn: Callable, step_size: float, *, meg_parity: bool = False) -> Kernel:
  r"""Metropolis-adjusted Langevin algorithm.

  Proposes the Langevin move and accepts with probability
  :math:`\min(1, \exp(-E(z') + E(z))\, q(z|z') / q(z'|z))`,
  :math:`q(a|b) = N(a; b - \tfrac{\epsilon}{2}\nabla E(b), \epsilon I)`. The
  current energy and gradient come from the state: one `value_and_grad` per
  step. Non-finite proposals are rejected and reported in `Info.is_finite`.

  Args:
    energy_fn: `position -> scalar` energy.
    step_size: epsilon > 0.
    meg_parity: reproduce the MEG reference code's acceptance test, which uses
      the unsquared norm in the proposal density. It is **biased** (the chain
      no longer targets exp(-E)); for comparisons with published MEG numbers only.

  Returns:
    A :class:`Kernel`.

  References:
    Roberts & Tweedie 1996; Roberts & Rosenthal, Optimal scaling of discrete
    approximations to Langevin diffusions, JRSS-B 1998 (optimal acceptance 0.574).
  """
  init, move = _langevin_parts(energy_fn, step_size)

  def step(rng_key, state: State, step_size_override=None):
    eps = step_size if step_size_override is None else step_size_override
    proposal_key, accept_key = jax.random.split(rng_key)
    proposed = move(proposal_key, state, eps)
    return metropolis_hastings(accept_key, state, proposed, eps, meg_parity=meg_parity)

  return Kernel(init, step, step_size, metropolis=True)
