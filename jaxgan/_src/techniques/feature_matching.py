"""Feature matching: the generator matches the mean of an intermediate critic layer."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxgan._src import validation


def feature_matching(real_features: jax.Array, fake_features: jax.Array) -> jax.Array:
  r"""Squared distance between the batch means of real and fake critic features.

  .. math:: L_G = \big\| \mathbb{E}_{x \sim p_{data}} f(x) - \mathbb{E}_{z} f(G(z)) \big\|_2^2

  :math:`f` is an intermediate layer of the critic; the norm is summed over
  every feature axis (the paper's equation; the authors' code takes the mean
  over features instead, a factor of 1/dim). The real side is a fixed target:
  it passes through `stop_gradient`, so in the generator's loss the gradient
  reaches the generator through the fake features only, as in the paper,
  where the critic is trained by its own loss and the generator matches the
  statistics of the current critic. The two batches may differ in size.

  Args:
    real_features: `f(x_r)`, shape `(batch_r, *features)`.
    fake_features: `f(G(z))`, shape `(batch_f, *features)`, the same
      `features` shape.

  Returns:
    Scalar loss for the generator to minimise.

  References:
    Salimans et al., Improved Techniques for Training GANs, NeurIPS 2016,
    Section 3.1. https://arxiv.org/abs/1606.03498
  """
  real_features = validation.check_batch(real_features, "real_features")
  fake_features = validation.check_batch(fake_features, "fake_features")
  validation.check_same_feature_shape(real_features, fake_features, "real_features", "fake_features")
  target = jax.lax.stop_gradient(jnp.mean(real_features, axis=0))
  return jnp.sum(jnp.square(target - jnp.mean(fake_features, axis=0)))
