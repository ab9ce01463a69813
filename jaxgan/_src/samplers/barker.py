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

from jaxgan._src import validation
from jaxgan._src.samplers.kernels import Info, Kernel, State, _checked_energy_and_grad

TARGET_ACCEPTANCE = 0.4


def _tree_sum(tree) -> jax.Array:
  return sum(jnp.sum(leaf) for leaf in jax.tree.leaves(tree))


def barker_proposal(rng_key, state: State, step_size):
  """The Barker move: Gaussian magnitudes, signs skewed toward lower energy."""
  leaves, treedef = jax.tree.flatten(state.position)
  keys = jax.random.split(rng_key, 2 * len(leaves))
  grads = treedef.flatten_up_to(state.energy_grad)
  moved = []
  for i, (z, g) in enumerate(zip(leaves, grads)):
    w = jnp.sqrt(step_size) * jax.random.normal(keys[2 * i], jnp.shape(z), jnp.result_type(z))
    keep_sign = jax.random.uniform(keys[2 * i + 1], jnp.shape(z)) < jax.nn.sigmoid(-w * g)
    moved.append(z + jnp.where(keep_sign, w, -w))
  return treedef.unflatten(moved)


def barker(energy_fn: Callable, step_size: float) -> Kernel:
  """Barker-proposal Metropolis kernel on any pytree position (see the module docstring).

  Args:
    energy_fn: `position -> scalar` energy.
    step_size: variance epsilon > 0 of the Gaussian magnitudes.

  Returns:
    A :class:`Kernel`; adapt toward acceptance :data:`TARGET_ACCEPTANCE`
    (`run_chains(..., target_acceptance=0.4)`).
  """
  validation.check_positive(step_size, "step_size")
  value_and_grad = _checked_energy_and_grad(energy_fn)

  def init(position) -> State:
    return State(position, *value_and_grad(position))

  def step(rng_key, state: State, step_size_override=None):
    eps = step_size if step_size_override is None else step_size_override
    proposal_key, accept_key = jax.random.split(rng_key)
    proposed = init(barker_proposal(proposal_key, state, eps))
    forward = jax.tree.map(lambda a, b, g: jax.nn.softplus((a - b) * g), proposed.position, state.position,
                           state.energy_grad)
    backward = jax.tree.map(lambda a, b, g: jax.nn.softplus((a - b) * g), state.position, proposed.position,
                            proposed.energy_grad)
    log_ratio = state.energy - proposed.energy + _tree_sum(forward) - _tree_sum(backward)
    finite = jnp.isfinite(log_ratio)
    log_ratio = jnp.where(finite, log_ratio, -jnp.inf)
    accepted = jnp.log(jax.random.uniform(accept_key)) < log_ratio
    new = jax.tree.map(lambda p, c: jnp.where(accepted, p, c), proposed, state)
    return new, Info(jnp.minimum(1.0, jnp.exp(log_ratio)), accepted, finite)

  return Kernel(init, step, step_size, metropolis=True)
