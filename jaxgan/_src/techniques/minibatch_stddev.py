"""Minibatch standard deviation (ProGAN): the critic sees how varied its batch is."""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgan._src import validation


class MinibatchStdDev(nn.Module):
  r"""Appends the average standard deviation over a group of samples as extra channels.

  The batch is split into groups of :math:`G` samples and the channels into
  `num_features` splits. For each group and split, the standard deviation
  over the group of every feature (each channel of the split at each pixel)
  is averaged to one scalar, which is appended to every sample of the group
  as a constant channel:

  .. math::
    \sigma_{m,k}(p) = \sqrt{\tfrac1G \textstyle\sum_{g} \big(x_{g,m}(p) - \bar x_m(p)\big)^2 + 10^{-8}},
    \qquad s_{m,k} = \operatorname{mean}_{p \in \text{split } k}\ \sigma_{m,k}(p)

  where :math:`x_{g,m}` is sample `g * M + m` (`M = batch / G` groups;
  sample `i` is in group `i mod M`, ProGAN's reshape), :math:`\bar x_m` the
  group mean and `p` runs over the pixels and the channels of split `k`.
  The statistics are taken in at least float32, as ProGAN does.

  As in ProGAN, the group size is `min(group_size, batch)`, so a batch
  smaller than `group_size` forms one group; a larger batch must be a
  multiple of `group_size` (a `ValueError` otherwise).

  The layer couples the samples of a batch, so an input-gradient penalty on
  a critic that uses it has no exact per-sample gradient: `method="vmap"`
  sees batches of one (the statistic of a lone sample), `"batch_sum"` adds
  the cross-sample terms.

  Attributes:
    group_size: G, the samples per group (4 in ProGAN).
    num_features: the channel splits, hence the channels appended (1 in
      ProGAN); must divide the number of channels.

  Call with `x` of shape `(batch, H, W, C)`, `(batch, D)` or any
  `(batch, ..., C)` (channels last); returns `(batch, ..., C + num_features)`.

  References:
    Karras et al., Progressive Growing of GANs for Improved Quality,
    Stability, and Variation, ICLR 2018, Section 3.
    https://arxiv.org/abs/1710.10196
  """

  group_size: int = 4
  num_features: int = 1

  def __call__(self, x: jax.Array) -> jax.Array:
    group_size = validation.check_positive_int(self.group_size, "group_size")
    num_features = validation.check_positive_int(self.num_features, "num_features")
    x = validation.check_batch(x, "x")
    batch, *spatial, channels = x.shape
    group = min(group_size, batch)
    if batch % group:
      raise ValueError(
          f"The batch size {batch} must be a multiple of `group_size` ({group_size}), or smaller than it."
      )
    if channels % num_features:
      raise ValueError(f"`num_features` ({num_features}) must divide the number of channels ({channels}).")
    y = x.astype(jnp.promote_types(x.dtype, jnp.float32))
    y = y.reshape(group, batch // group, *spatial, num_features, channels // num_features)
    std = jnp.sqrt(jnp.mean(jnp.square(y - jnp.mean(y, axis=0)), axis=0) + 1e-8)
    stat = jnp.mean(std, axis=(*range(1, 1 + len(spatial)), std.ndim - 1))  # (groups, num_features)
    stat = jnp.tile(stat, (group, 1)).astype(x.dtype).reshape(batch, *(1 for _ in spatial), num_features)
    return jnp.concatenate([x, jnp.broadcast_to(stat, (batch, *spatial, num_features))], axis=-1)
