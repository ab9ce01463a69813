r"""The Langevin move, and the unadjusted Langevin algorithm (ULA) built on it.

The move is the building block of :mod:`mala` and :mod:`ex2mcmc` too:

.. math:: z' = z - \tfrac{\epsilon}{2}\nabla E(z) + \sqrt{\epsilon}\,\xi,\quad \xi\sim N(0, I),

the Euler step of the overdamped Langevin diffusion
:math:`dz = -\tfrac12\nabla E\,dt + dW` over time :math:`\epsilon`. It is BlackJAX's
`overdamped_langevin` step with BlackJAX's `step_size` equal to
:math:`\epsilon / 2`, and draws the same noise from the same key.
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from jaxgan._src import validation
from jaxgan._src.samplers import base
from jaxgan._src.samplers.base import Info, SamplingAlgorithm, State


def gaussian_noise(rng_key, position):
  """Standard-normal noise shaped as `position`: one draw of the flattened pytree (as BlackJAX's)."""
  flat, unravel = ravel_pytree(position)
  return unravel(jax.random.normal(rng_key, flat.shape, flat.dtype))


def langevin_move(rng_key, state: State, energy_fn: Callable, step_size) -> State:
  r"""The Langevin move :math:`z' = z - \tfrac{\epsilon}{2}\nabla E(z) + \sqrt{\epsilon}\,\xi` and the state there.

  Args:
    rng_key: key for the noise :math:`\xi`.
    state: the current state (its gradient gives the drift).
    energy_fn: `position -> scalar` energy.
    step_size: :math:`\epsilon > 0`.

  Returns:
    The :class:`State` at :math:`z'` (one `value_and_grad`).
  """
  noise = gaussian_noise(rng_key, state.position)
  position = jax.tree.map(lambda z, g, xi: z - 0.5 * step_size * g + jnp.sqrt(step_size) * xi,
                          state.position, state.energy_grad, noise)
  return State(position, *jax.value_and_grad(energy_fn)(position))


def build_kernel() -> Callable:
  """ULA: `kernel(rng_key, state, energy_fn, step_size) -> (state, Info)`, the Langevin move, always kept."""

  def kernel(rng_key, state: State, energy_fn: Callable, step_size) -> tuple[State, Info]:
    new = langevin_move(rng_key, state, energy_fn, step_size)
    return new, Info(jnp.ones_like(new.energy), jnp.ones((), bool), jnp.isfinite(new.energy), base.count(1),
                     base.count(0))

  return kernel


def langevin(energy_fn: Callable, step_size: float) -> SamplingAlgorithm:
  r"""Unadjusted Langevin algorithm (ULA).

  .. math:: z' = z - \tfrac{\epsilon}{2}\nabla E(z) + \sqrt{\epsilon}\,\xi,\ \xi\sim N(0, I)

  Biased at finite step size (for a standard Gaussian the stationary variance
  is :math:`1/(1-\epsilon/4)`); see :func:`mala` for the corrected chain.

  Args:
    energy_fn: `position -> scalar` energy.
    step_size: :math:`\epsilon > 0` (BlackJAX's Langevin `step_size` is :math:`\epsilon/2`).

  Returns:
    A :class:`SamplingAlgorithm`. `Info.acceptance_rate` is 1; `Info.is_finite`
    flags non-finite proposals (which ULA cannot reject: they are kept and reported).

  References:
    Roberts & Tweedie, Exponential convergence of Langevin distributions and
    their discrete approximations, Bernoulli 1996.
  """
  validation.check_positive(step_size, "step_size")
  return base.as_top_level_api(build_kernel(), energy_fn, step_size)


langevin.build_kernel = build_kernel  # as `blackjax.mala.build_kernel`
