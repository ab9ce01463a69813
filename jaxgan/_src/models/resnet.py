"""The CIFAR-10 ResNet generator and critic of WGAN-GP and SN-GAN (32x32 images)."""

from __future__ import annotations

import functools
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgan._src import validation
from jaxgan._src.models.conditioning import concat_label_embedding
from jaxgan._src.models.conditioning import feature_map_norm
from jaxgan._src.models.conditioning import projection
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
  """`x (batch, 32, 32, C) -> scores (batch,)`: four residual blocks (two downsampling), ReLU, global sum pool phi(x), linear.

  No normalisation, so samples never interact and every penalty method is
  exact; `spectral_norm=True` wraps each conv and the head (SN-GAN);
  `dtype=jnp.bfloat16` computes in bf16 (float32 params and scores). With
  `num_classes=C` it is the projection discriminator
  `D(x, y) = psi(phi(x)) + <embed(y), phi(x)>` on the pooled features phi(x)
  (Miyato & Koyama 2018, Eq. 3 and their CIFAR-10 ResNet), called as `D(x, labels)`.
  `return_features=True` returns `{"scores": ..., "features": phi(x)}` (for
  feature matching).

  References:
    Gulrajani et al., Improved Training of Wasserstein GANs, 2017, Appendix F
    (CIFAR-10 ResNet); Miyato et al., Spectral Normalization for GANs, ICLR
    2018, Table 4.
  """

  features: int = 128
  spectral_norm: bool = False
  return_features: bool = False
  num_classes: int | None = None
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x: jax.Array, labels: jax.Array | None = None) -> jax.Array:
    labels = validation.check_labels(labels, self.num_classes, "ResNetCritic", shape=x.shape[:1])
    block = functools.partial(CriticBlock, self.features, spectral_norm=self.spectral_norm, dtype=self.dtype)
    x = block(downsample=True, first=True)(x)
    x = block(downsample=True)(x)
    x = block()(x)
    x = block()(x)
    x = jnp.sum(nn.relu(x).astype(jnp.float32), axis=(1, 2))
    scores = maybe_spectral_norm(self, nn.Dense(1), x, self.spectral_norm)[:, 0]
    if labels is not None:
      scores = scores + projection(x, labels, self.num_classes)
    return {"scores": scores, "features": x} if self.return_features else scores


class GeneratorBlock(nn.Module):
  """Residual up block: norm-relu-upsample-conv3-norm-relu-conv3, upsample + 1x1 conv shortcut.

  Called with labels (and `num_classes`), its norms are class-conditional.
  """

  features: int
  layer_norm: bool = True
  num_classes: int | None = None
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x: jax.Array, labels: jax.Array | None = None) -> jax.Array:
    def norm(h):
      return feature_map_norm(h, labels, self.num_classes, self.dtype) if self.layer_norm else h

    h = _upsample(nn.relu(norm(x)))
    h = nn.Conv(self.features, (3, 3), padding="SAME", dtype=self.dtype)(h)
    h = nn.Conv(self.features, (3, 3), padding="SAME", dtype=self.dtype)(nn.relu(norm(h)))
    return h + nn.Conv(self.features, (1, 1), dtype=self.dtype)(_upsample(x))


class ResNetGenerator(nn.Module):
  """`z (batch, latent_dim) -> x (batch, 32, 32, channels)` in [-1, 1]: linear to 4x4, three up blocks, conv, tanh.

  The papers' batch norm is replaced by per-sample layer norm (`layer_norm`),
  so the generator is a pure function of `(params, z)` with no running
  statistics to carry. `dtype=jnp.bfloat16` computes in bf16 (float32 params
  and images). With `num_classes=C`, `G(z, labels)` takes `[z, embed(y)]`
  and every norm is class-conditional (:class:`ConditionalLayerNorm`), the
  per-sample counterpart of the conditional batch norm of Miyato & Koyama
  (2018)'s CIFAR-10 generator.

  References:
    Gulrajani et al. 2017, Appendix F; Miyato et al. 2018, Table 4.
  """

  features: int = 128
  channels: int = 3
  layer_norm: bool = True
  num_classes: int | None = None
  embed_dim: int = 16
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, z: jax.Array, labels: jax.Array | None = None) -> jax.Array:
    labels = validation.check_labels(labels, self.num_classes, "ResNetGenerator", shape=z.shape[:1])
    if labels is not None:
      z = concat_label_embedding(z, labels, self.num_classes, self.embed_dim)
    x = nn.Dense(4 * 4 * self.features, dtype=self.dtype)(z).reshape(z.shape[0], 4, 4, self.features)
    for _ in range(3):
      x = GeneratorBlock(self.features, self.layer_norm, self.num_classes, self.dtype)(x, labels)
    if self.layer_norm:
      x = feature_map_norm(x, labels, self.num_classes, self.dtype)
    return jnp.tanh(nn.Conv(self.channels, (3, 3), padding="SAME", dtype=self.dtype)(nn.relu(x))).astype(jnp.float32)
