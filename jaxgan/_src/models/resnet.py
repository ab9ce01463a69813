"""The CIFAR-10 ResNet generator and critic of WGAN-GP and SN-GAN (32x32 images)."""

from __future__ import annotations

import functools
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgan._src.models.layers import maybe_spectral_norm


def _avg_pool(x: jax.Array) -> jax.Array:
  return nn.avg_pool(x, (2, 2), strides=(2, 2))


def _upsample(x: jax.Array) -> jax.Array:
  return jnp.repeat(jnp.repeat(x, 2, axis=1), 2, axis=2)


class CriticBlock(nn.Module):
  """Pre-activation residual block: relu-conv3-relu-conv3 (+ 2x2 mean pool), 1x1-conv shortcut when shapes change.

  With `first=True` the block sees the image: no leading ReLU, and the
  shortcut pools before its 1x1 conv (SN-GAN's "optimized" first block).
  """

  features: int
  downsample: bool = False
  first: bool = False
  spectral_norm: bool = False
  dtype: Any = jnp.float32

  def _conv(self, features, kernel, x):
    return maybe_spectral_norm(self, nn.Conv(features, kernel, padding="SAME", dtype=self.dtype), x,
                               self.spectral_norm)

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    h = x if self.first else nn.relu(x)
    h = self._conv(self.features, (3, 3), h)
    h = self._conv(self.features, (3, 3), nn.relu(h))
    if self.downsample:
      h = _avg_pool(h)
    shortcut = x
    if self.first:
      shortcut = self._conv(self.features, (1, 1), _avg_pool(x))
    elif self.downsample or x.shape[-1] != self.features:
      shortcut = self._conv(self.features, (1, 1), x)
      shortcut = _avg_pool(shortcut) if self.downsample else shortcut
    return h + shortcut


class ResNetCritic(nn.Module):
  """`x (batch, 32, 32, C) -> scores (batch,)`: four residual blocks (two downsampling), ReLU, global sum pool, linear.

  No normalisation, so samples never interact and every penalty method is
  exact; `spectral_norm=True` wraps each conv and the head (SN-GAN);
  `dtype=jnp.bfloat16` computes in bf16 (float32 params and scores).

  References:
    Gulrajani et al., Improved Training of Wasserstein GANs, 2017, Appendix F
    (CIFAR-10 ResNet); Miyato et al., Spectral Normalization for GANs, ICLR
    2018, Table 4.
  """

  features: int = 128
  spectral_norm: bool = False
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    block = functools.partial(CriticBlock, self.features, spectral_norm=self.spectral_norm, dtype=self.dtype)
    x = block(downsample=True, first=True)(x)
    x = block(downsample=True)(x)
    x = block()(x)
    x = block()(x)
    x = jnp.sum(nn.relu(x).astype(jnp.float32), axis=(1, 2))
    return maybe_spectral_norm(self, nn.Dense(1), x, self.spectral_norm)[:, 0]


class GeneratorBlock(nn.Module):
  """Residual up block: norm-relu-upsample-conv3-norm-relu-conv3, upsample + 1x1 conv shortcut."""

  features: int
  layer_norm: bool = True
  dtype: Any = jnp.float32

  def _norm(self, x):
    return nn.LayerNorm(reduction_axes=(-3, -2, -1), dtype=self.dtype)(x) if self.layer_norm else x

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    h = _upsample(nn.relu(self._norm(x)))
    h = nn.Conv(self.features, (3, 3), padding="SAME", dtype=self.dtype)(h)
    h = nn.Conv(self.features, (3, 3), padding="SAME", dtype=self.dtype)(nn.relu(self._norm(h)))
    return h + nn.Conv(self.features, (1, 1), dtype=self.dtype)(_upsample(x))


class ResNetGenerator(nn.Module):
  """`z (batch, latent_dim) -> x (batch, 32, 32, channels)` in [-1, 1]: linear to 4x4, three up blocks, conv, tanh.

  The papers' batch norm is replaced by per-sample layer norm (`layer_norm`),
  so the generator is a pure function of `(params, z)` with no running
  statistics to carry. `dtype=jnp.bfloat16` computes in bf16 (float32 params
  and images).

  References:
    Gulrajani et al. 2017, Appendix F; Miyato et al. 2018, Table 4.
  """

  features: int = 128
  channels: int = 3
  layer_norm: bool = True
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, z: jax.Array) -> jax.Array:
    x = nn.Dense(4 * 4 * self.features, dtype=self.dtype)(z).reshape(z.shape[0], 4, 4, self.features)
    for _ in range(3):
      x = GeneratorBlock(self.features, self.layer_norm, self.dtype)(x)
    if self.layer_norm:
      x = nn.LayerNorm(reduction_axes=(-3, -2, -1), dtype=self.dtype)(x)
    return jnp.tanh(nn.Conv(self.channels, (3, 3), padding="SAME", dtype=self.dtype)(nn.relu(x))).astype(jnp.float32)
