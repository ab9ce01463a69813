"""Historical averaging: pull the parameters towards the running mean of their past values."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from jaxgan._src import validation


class HistoricalAveragingState(NamedTuple):
  """State of :func:`historical_averaging`.

  Attributes:
    count: t, the number of parameter values averaged (int32).
    mean: the running mean of the parameters seen so far, a pytree like them.
  """

  count: jax.Array
  mean: optax.Params


def historical_averaging(weight: float) -> optax.GradientTransformation:
  r"""An optax transformation that adds the gradient of the historical-averaging term.

  .. math::
    \bar\theta_t = \frac1t \sum_{i=1}^t \theta_i, \qquad
    g \leftarrow g + \nabla_\theta\, w \|\theta - \bar\theta_t\|^2 = g + 2w(\theta_t - \bar\theta_t)

  At its t-th `update` the transformation folds the current parameters
  :math:`\theta_t` into the running mean (kept in the state, so the sum runs
  to t as in the paper's term) and adds :math:`2w(\theta_t - \bar\theta_t)`
  to the updates. The mean is a constant of the step (no gradient flows
  through the past). Chain it *before* the optimiser so the term is treated
  as part of the gradient: `optax.chain(historical_averaging(w),
  optax.adam(lr))`. Needs `params` in `update`. The library jits nothing;
  jit the step that calls `update`.

  Args:
    weight: w >= 0.

  Returns:
    An `optax.GradientTransformation` with :class:`HistoricalAveragingState`.

  References:
    Salimans et al., Improved Techniques for Training GANs, NeurIPS 2016,
    Section 3.3. https://arxiv.org/abs/1606.03498
  """
  validation.check_non_negative(weight, "weight")

  def init_fn(params):
    return HistoricalAveragingState(jnp.zeros([], jnp.int32), jax.tree.map(jnp.zeros_like, params))

  def update_fn(updates, state, params=None):
    if params is None:
      raise ValueError("historical_averaging needs `params` in update(updates, state, params).")
    count = optax.safe_int32_increment(state.count)
    mean = jax.tree.map(lambda m, p: m + (p - m) / count.astype(m.dtype), state.mean, params)
    updates = jax.tree.map(lambda u, p, m: u + 2 * weight * (p - m), updates, params, mean)
    return updates, HistoricalAveragingState(count, mean)

  return optax.GradientTransformation(init_fn, update_fn)
