"""Lipschitz control without a penalty: gradient normalisation and weight clipping.

Spectral normalisation is flax's `flax.linen.SpectralNorm` (re-exported as
`jaxgan.penalties.SpectralNorm`): it keeps the raw kernel as a parameter and
the power-iteration vector `u` and `sigma` in the `batch_stats` collection,
and divides by sigma on each call (Miyato et al., Spectral Normalization for
Generative Adversarial Networks, ICLR 2018, Eq. 8 and Algorithm 1).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

from jaxgan._src import validation
from jaxgan._src.regularizers.input_gradients import DEFAULT_METHOD, input_gradients, safe_norms


def gradient_normalized(critic_fn, *, method: str = DEFAULT_METHOD):
  r"""Wraps a critic into its gradient-normalised version.

  .. math:: \hat D(x) = \frac{D(x)}{\|\nabla_x D(x)\| + |D(x)|}

  For piecewise-linear critics (ReLU/LeakyReLU MLPs and CNNs) :math:`\hat D`
  has :math:`\|\nabla_x \hat D\| \le 1` wherever it is differentiable, and
  :math:`|\hat D| \le 1`.

  Args:
    critic_fn: `(batch, *features) -> (batch,)` scores.
    method: how per-sample input gradients are taken (`"vmap"` for critics
      with cross-sample coupling).

  Returns:
    A critic function of the same signature.

  References:
    Wu et al., Gradient Normalization for Generative Adversarial Networks,
    ICCV 2021, Eq. 8. https://arxiv.org/abs/2109.02235
  """

  def normalized(x):
    scores = critic_fn(x)
    norms = safe_norms(input_gradients(critic_fn, x, method=method))
    denom = norms + jnp.abs(scores)
    return scores / jnp.where(denom > 0, denom, 1.0)

  return normalized


def clip_weights(params, clip_value: float):
  """Clips every leaf of `params` to `[-clip_value, clip_value]` (WGAN, Algorithm 1).

  Args:
    params: a pytree of arrays.
    clip_value: c > 0 (0.01 in the paper).

  Returns:
    The clipped pytree.

  References:
    Arjovsky, Chintala & Bottou, Wasserstein GAN, 2017, Algorithm 1.
  """
  validation.check_positive(clip_value, "clip_value")
  return jax.tree.map(lambda p: jnp.clip(p, -clip_value, clip_value), params)


def weight_clipping(clip_value: float) -> optax.GradientTransformation:
  """An optax transformation that makes the updated params land in `[-c, c]`.

  Chain it last: `optax.chain(optax.rmsprop(5e-5), weight_clipping(0.01))`.
  It rewrites each update `u` to `clip(p + u, -c, c) - p`, so that
  `optax.apply_updates` yields the clipped params. Needs `params` in `update`.

  Args:
    clip_value: c > 0.

  Returns:
    An `optax.GradientTransformation`.
  """
  validation.check_positive(clip_value, "clip_value")

  def update_fn(updates, state, params=None):
    if params is None:
      raise ValueError("weight_clipping needs `params` in update(updates, state, params).")
    new = jax.tree.map(lambda u, p: jnp.clip(p + u, -clip_value, clip_value) - p, updates, params)
    return new, state

  return optax.GradientTransformation(lambda params: optax.EmptyState(), update_fn)


def consensus_term(vector_field, *, gamma: float = 10.0):
  r"""Consensus-optimisation regulariser :math:`\gamma L`, :math:`L = \tfrac12\|v\|^2`.

  `vector_field` is the players' joint gradient field `v` (a pytree of the
  gradients of each player's loss w.r.t. its own parameters, computed
  differentiably inside the caller's `jax.grad`). Adding `consensus_term(v)`
  to both players' losses gives the update `v + gamma * grad L`.

  Args:
    vector_field: pytree of gradients.
    gamma: the weight gamma >= 0.

  Returns:
    Scalar.

  References:
    Mescheder, Nowozin & Geiger, The Numerics of GANs, NeurIPS 2017, Eq. 6.
    https://arxiv.org/abs/1705.10461
  """
  validation.check_non_negative(gamma, "gamma")
  leaves = jax.tree.leaves(vector_field)
  return 0.5 * gamma * sum(jnp.sum(jnp.square(leaf)) for leaf in leaves)


def lazy_regularization(penalty_fn, step, *args, interval: int, **kwargs):
  r"""Evaluates `interval * penalty_fn(*args)` when `step % interval == 0`, else 0.

  The skipped steps cost nothing: the branch is a `lax.cond`.

  Args:
    penalty_fn: any penalty returning a scalar.
    step: integer step counter (may be traced).
    *args: positional arguments of `penalty_fn`.
    interval: k >= 1 (16 for R1 in StyleGAN2).
    **kwargs: keyword arguments of `penalty_fn`.

  Returns:
    Scalar.

  References:
    Karras et al., Analyzing and Improving the Image Quality of StyleGAN,
    CVPR 2020, Section 3.1 (lazy regularisation).
  """
  interval = validation.check_positive_int(interval, "interval")
  if interval == 1:
    return penalty_fn(*args, **kwargs)
  out = jax.eval_shape(lambda: penalty_fn(*args, **kwargs))
  return jax.lax.cond(
      step % interval == 0,
      lambda: interval * penalty_fn(*args, **kwargs),
      lambda: jnp.zeros(out.shape, out.dtype),
  )
