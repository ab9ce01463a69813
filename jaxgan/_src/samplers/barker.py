r"""The Barker proposal: a gradient-based Metropolis kernel robust to badly tuned step sizes.

Each coordinate moves by :math:`b_i w_i`, :math:`w_i \sim N(0, \epsilon)`, with sign
:math:`b_i = +1` with probability :math:`1/(1 + e^{w_i \partial_i E(z)})` and
:math:`-1` otherwise, then a Metropolis test with

.. math:: \log\alpha = E(z) - E(z') + \sum_i \mathrm{sp}((z'_i - z_i)\,\partial_i E(z))
          - \mathrm{sp}((z_i - z'_i)\,\partial_i E(z')),

`sp` the softplus. One `value_and_grad` per step, as for MALA.

References:
  Livingstone & Zanella, The Barker proposal: combining robustness and
  efficiency in gradient-based MCMC, JRSS-B 2022, Eq. 8 and Algorithm 1
  (optimal acceptance about 0.4). https://arxiv.org/abs/1908.11812
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from jaxgan._src import validation
from jaxgan._src.samplers import base
from jaxgan._src.samplers.base import Info, SamplingAlgorithm, State

TARGET_ACCEPTANCE = 0.4


def barker_proposal(rng_key, state: State, step_size):
  """The Barker move: Gaussian magnitudes (from the key's first half), signs skewed toward lower energy (second)."""
  magnitude_key, sign_key = jax.random.split(rng_key)
  z, unravel = ravel_pytree(state.position)
  g, _ = ravel_pytree(state.energy_grad)
  w = jnp.sqrt(step_size) * jax.random.normal(magnitude_key, z.shape, z.dtype)
  keep_sign = jax.random.uniform(sign_key, z.shape, z.dtype) < jax.nn.sigmoid(-w * g)
  return unravel(z + jnp.where(keep_sign, w, -w))


def barker_log_ratio(current: State, proposed: State) -> jax.Array:
  r"""Barker's :math:`\log\alpha` (Eq. 8) in one reduction.

  .. math:: \log\alpha = E(z) - E(z') + \sum_i \mathrm{sp}(d_i g_i) - \mathrm{sp}(-d_i g'_i),\quad d = z' - z
  """
  terms = jax.tree.map(lambda z, z_new, g, g_new: jnp.sum(jax.nn.softplus((z_new - z) * g)
                                                          - jax.nn.softplus((z - z_new) * g_new)),
                       current.position, proposed.position, current.energy_grad, proposed.energy_grad)
  return current.energy - proposed.energy + sum(jax.tree.leaves(terms))


def build_kernel() -> Callable:
  """Barker: `kernel(rng_key, state, energy_fn, step_size) -> (state, Info)`; the key splits into (move, test)."""

  def kernel(rng_key, state: State, energy_fn: Callable, step_size) -> tuple[State, Info]:
    proposal_key, accept_key = jax.random.split(rng_key)
    position = barker_proposal(proposal_key, state, step_size)
    proposed = State(position, *jax.value_and_grad(energy_fn)(position))
    return base.metropolis_hastings(accept_key, state, proposed, barker_log_ratio(state, proposed))

  return kernel


def barker(energy_fn: Callable, step_size: float) -> SamplingAlgorithm:
  """Barker-proposal Metropolis kernel on any pytree position (see the module docstring).

  Args:
    energy_fn: `position -> scalar` energy.
    step_size: variance epsilon > 0 of the Gaussian magnitudes.

  Returns:
    A :class:`SamplingAlgorithm`; adapt toward acceptance :data:`TARGET_ACCEPTANCE`
    (`step_size_adaptation(..., target_acceptance=0.4)`).
  """
  validation.check_positive(step_size, "step_size")
  return base.as_top_level_api(build_kernel(), energy_fn, step_size)


barker.build_kernel = build_kernel  # as `blackjax.mala.build_kernel`
