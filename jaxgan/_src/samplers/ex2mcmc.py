"""Ex2MCMC: an i-SIR global move, then MALA steps.

References:
  Samsonov, Lagutin, Gabrié, Durmus, Naumov & Moulines, Local-Global MCMC
  kernels: the best of both worlds, NeurIPS 2022, Algorithm 2.
  https://arxiv.org/abs/2111.02702
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp

from jaxgan._src import validation
from jaxgan._src.samplers import base, isir, mala
from jaxgan._src.samplers.base import SamplingAlgorithm, State


class Ex2MCMCInfo(NamedTuple):
  """Per-step diagnostics of both moves, and the whole step's cost.

  Attributes:
    acceptance_rate: MALA's acceptance probability, averaged over the step's
      `mala_steps` (what step-size adaptation tunes).
    is_accepted: whether the last MALA step accepted.
    is_finite: whether every proposal (particles and MALA proposals) was finite.
    num_grads: the i-SIR move's gradient (if it moved) plus one per MALA step.
    num_evals: the i-SIR move's `N - 1` energy evaluations.
    global_acceptance_rate: i-SIR's probability of leaving the current point.
    global_index: the particle i-SIR moved to (0: it stayed).
  """

  acceptance_rate: jax.Array
  is_accepted: jax.Array
  is_finite: jax.Array
  num_grads: jax.Array
  num_evals: jax.Array
  global_acceptance_rate: jax.Array
  global_index: jax.Array


def build_kernel() -> Callable:
  """Ex2MCMC: `kernel(rng_key, state, energy_fn, step_size, num_particles, proposal_scale, mala_steps)`.

  The key splits into the i-SIR move's and the MALA steps' (split once more per step).
  """
  global_kernel, local_kernel = isir.build_kernel(), mala.build_kernel()

  def kernel(rng_key, state: State, energy_fn: Callable, step_size, num_particles: int, proposal_scale,
             mala_steps: int) -> tuple[State, Ex2MCMCInfo]:
    global_key, local_key = jax.random.split(rng_key)
    state, global_info = global_kernel(global_key, state, energy_fn, num_particles, proposal_scale)
    state, local = jax.lax.scan(lambda s, key: local_kernel(key, s, energy_fn, step_size), state,
                                jax.random.split(local_key, mala_steps))
    return state, Ex2MCMCInfo(jnp.mean(local.acceptance_rate), local.is_accepted[-1],
                              global_info.is_finite & jnp.all(local.is_finite),
                              global_info.num_grads + jnp.sum(local.num_grads), global_info.num_evals,
                              global_info.acceptance_rate, global_info.index)

  return kernel


def ex2mcmc(energy_fn: Callable, step_size: float, num_particles: int, *, proposal_scale: float = 1.0,
            mala_steps: int = 1) -> SamplingAlgorithm:
  """Ex2MCMC: one i-SIR global move (:func:`isir`), then `mala_steps` MALA steps (:func:`mala`).

  Args:
    energy_fn: `position -> scalar` energy.
    step_size: MALA's epsilon > 0 (what `step_size_adaptation` tunes).
    num_particles: i-SIR's N >= 2.
    proposal_scale: standard deviation of i-SIR's Gaussian proposal.
    mala_steps: MALA steps after each global move.

  Returns:
    A :class:`SamplingAlgorithm` whose steps report an :class:`Ex2MCMCInfo`.
  """
  validation.check_positive(step_size, "step_size")
  isir.check_particles(num_particles, proposal_scale)
  mala_steps = validation.check_positive_int(mala_steps, "mala_steps")
  return base.as_top_level_api(build_kernel(), energy_fn, step_size, num_particles, proposal_scale, mala_steps)


ex2mcmc.build_kernel = build_kernel  # as `blackjax.mala.build_kernel`
