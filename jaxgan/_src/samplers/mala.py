r"""The Metropolis-adjusted Langevin algorithm (MALA): the Langevin move, then a Metropolis-Hastings test.

Proposal :math:`z' = z - \tfrac{\epsilon}{2}\nabla E(z) + \sqrt{\epsilon}\,\xi`, so
:math:`q(a|b) = N(a;\, b - \tfrac{\epsilon}{2}\nabla E(b),\, \epsilon I)`, accepted with
probability :math:`\min(1, \alpha)`,

.. math:: \log\alpha = E(z) - E(z') + \log q(z|z') - \log q(z'|z).

Step-size convention: jaxgan's :math:`\epsilon` is the variance of the proposal
noise; BlackJAX's `blackjax.mala(logdensity_fn, step_size)` proposes
:math:`z + h\nabla\log\pi + \sqrt{2h}\,\xi`, so **jaxgan's** :math:`\epsilon` **is BlackJAX's**
:math:`2h`: `mala(energy_fn, eps)` and `blackjax.mala(lambda z: -energy_fn(z), eps / 2)`
are the same chain (same key schedule: the key splits into the move's and the
test's, and the noise is one normal draw of the flattened position), up to
float rounding.

References:
  Roberts & Tweedie, Exponential convergence of Langevin distributions and
  their discrete approximations, Bernoulli 1996; Roberts & Rosenthal, Optimal
  scaling of discrete approximations to Langevin diffusions, JRSS-B 1998
  (optimal acceptance 0.574).
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp

from jaxgan._src import validation
from jaxgan._src.samplers import base
from jaxgan._src.samplers.base import Info, SamplingAlgorithm, State
from jaxgan._src.samplers.langevin import langevin_move


def mala_log_ratio(current: State, proposed: State, step_size) -> jax.Array:
  r"""MALA's :math:`\log\alpha`, the proposal-density ratio in one fused reduction.

  With :math:`d = z' - z`, :math:`g = \nabla E(z)`, :math:`g' = \nabla E(z')`:

  .. math:: \log q(z|z') - \log q(z'|z)
            = \frac{\|d + \tfrac{\epsilon}{2}g\|^2 - \|d - \tfrac{\epsilon}{2}g'\|^2}{2\epsilon}
            = \sum_i (g_i + g'_i)\left(\tfrac12 d_i + \tfrac{\epsilon}{8}(g_i - g'_i)\right),

  one elementwise pass and one sum (the two squared norms cancel their
  :math:`\|d\|^2`), instead of two norms.

  Returns:
    :math:`\log\alpha = E(z) - E(z') + \log q(z|z') - \log q(z'|z)`, a scalar.
  """
  terms = jax.tree.map(lambda z, z_new, g, g_new: jnp.sum((g + g_new) * (0.5 * (z_new - z) + 0.125 * step_size
                                                                         * (g - g_new))),
                       current.position, proposed.position, current.energy_grad, proposed.energy_grad)
  return current.energy - proposed.energy + sum(jax.tree.leaves(terms))


def build_kernel() -> Callable:
  """MALA: `kernel(rng_key, state, energy_fn, step_size) -> (state, Info)`.

  The key splits into the Langevin move's and the accept test's, as BlackJAX's MALA.
  """

  def kernel(rng_key, state: State, energy_fn: Callable, step_size) -> tuple[State, Info]:
    move_key, accept_key = jax.random.split(rng_key)
    proposed = langevin_move(move_key, state, energy_fn, step_size)
    return base.metropolis_hastings(accept_key, state, proposed, mala_log_ratio(state, proposed, step_size))

  return kernel


def mala(energy_fn: Callable, step_size: float) -> SamplingAlgorithm:
  r"""Metropolis-adjusted Langevin algorithm (see the module docstring).

  The current energy and gradient come from the state: one `value_and_grad`
  per step, the cost of a ULA step. Non-finite proposals are rejected and
  reported in `Info.is_finite`.

  Args:
    energy_fn: `position -> scalar` energy.
    step_size: :math:`\epsilon > 0`, the proposal noise variance; **BlackJAX's
      MALA step size is** :math:`\epsilon/2`.

  Returns:
    A :class:`SamplingAlgorithm`; `jg.samplers.mala.build_kernel()` gives the
    unbound kernel `kernel(rng_key, state, energy_fn, step_size)`.
  """
  validation.check_positive(step_size, "step_size")
  return base.as_top_level_api(build_kernel(), energy_fn, step_size)


mala.build_kernel = build_kernel  # as `blackjax.mala.build_kernel`
