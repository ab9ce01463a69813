"""DCGAN-style generator and convolutional critic without batch normalisation (safe with gradient penalties)."""

from __future__ import annotations

from typing import Any, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgan._src import validation
from jaxgan._src.models.conditioning import concat_label_embedding
from jaxgan._src.models.conditioning import feature_map_norm
from jaxgan._src.models.conditioning import projection
from jaxgan._src.models.layers import maybe_spectral_norm
from jaxgan._src.techniques.virtual_batch_norm import check_virtual_batch_norm
from jaxgan._src.techniques.virtual_batch_norm import stacked_virtual_batch_norm
from jaxgan._src.techniques.virtual_batch_norm import with_reference_batch


class DCGANCritic(nn.Module):
  """`x (batch, H, W, C) -> scores (batch,)`: strided 4x4 convs with LeakyReLU(0.2), then a linear head.

  `features=(64, 128, 256)` takes 32x32 inputs to 4x4; add a stage for 64x64.
  No batch norm (samples never interact); `layer_norm=True` normalises each
  sample's activations, as WGAN-GP's critics do; `spectral_norm=True` wraps
  every layer (SN-GAN); `dtype=jnp.bfloat16` computes in bf16 with float32
  params and float32 scores. `return_features=True` returns
  `{"scores": ..., "features": the last conv activations, flattened}` (for
  feature matching). With `num_classes=C` it is the projection discriminator
  `D(x, y) = psi(phi(x)) + <embed(y), phi(x)>` on those flattened features
  (Miyato & Koyama 2018, Eq. 3), called as `D(x, labels)`.

  References:
    Radford, Metz & Chintala, Unsupervised Representation Learning with Deep
    Convolutional GANs, 2016; Gulrajani et al. 2017, Appendix (no batch norm in critics).
  """

  features: Sequence[int] = (64, 128, 256)
  layer_norm: bool = False
  spectral_norm: bool = False
  return_features: bool = False
  num_classes: int | None = None
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x: jax.Array, labels: jax.Array | None = None) -> jax.Array:
    labels = validation.check_labels(labels, self.num_classes, "DCGANCritic", shape=x.shape[:1])
    for width in self.features:
      x = maybe_spectral_norm(self, nn.Conv(width, (4, 4), strides=(2, 2), padding="SAME", dtype=self.dtype), x,
                              self.spectral_norm)
      if self.layer_norm:
        x = nn.LayerNorm(reduction_axes=(-3, -2, -1), dtype=self.dtype)(x)
      x = nn.leaky_relu(x, 0.2)
    x = x.reshape(x.shape[0], -1)
    scores = maybe_spectral_norm(self, nn.Dense(1, dtype=self.dtype), x, self.spectral_norm)[:, 0].astype(jnp.float32)
    if labels is not None:
      scores = scores + projection(x, labels, self.num_classes)
    return {"scores": scores, "features": x.astype(jnp.float32)} if self.return_features else scores


class DCGANGenerator(nn.Module):
  """`z (batch, latent_dim) -> x (batch, 4*2^k, 4*2^k, channels)` in [-1, 1]: linear to 4x4, strided 4x4 transposed convs, tanh.

  `features=(256, 128, 64)` gives 32x32 images; `(512, 256, 128, 64)` gives
  64x64. DCGAN's batch norm is replaced by per-sample layer norm
  (`layer_norm`), so the generator is a pure function of `(params, z)`. With
  `num_classes=C`, `G(z, labels)` takes `[z, embed(y)]` and its layer norms
  become class-conditional (:class:`ConditionalLayerNorm`, per-channel gain
  and bias of the class; de Vries et al. 2017), as conditional batch norm in
  the projection-discriminator GANs (Miyato & Koyama 2018). With
  `virtual_batch_norm=N` (unconditional) the norms are DCGAN's batch norm
  made per-example: virtual batch norm (Salimans et al. 2016, Section 3.5)
  against a fixed reference batch of N latents drawn from
  `key(reference_seed)`, carried beside the batch.

  References:
    Radford, Metz & Chintala, Unsupervised Representation Learning with Deep
    Convolutional GANs, ICLR 2016, Figure 1.
  """

  features: Sequence[int] = (256, 128, 64)
  channels: int = 3
  layer_norm: bool = True
  num_classes: int | None = None
  embed_dim: int = 16
  virtual_batch_norm: int = 0
  reference_seed: int = 0
  dtype: Any = jnp.float32

  def _norm(self, x: jax.Array, labels: jax.Array | None, batch_size: int) -> jax.Array:
    if self.virtual_batch_norm:
      return stacked_virtual_batch_norm(x, batch_size)
    return feature_map_norm(x, labels, self.num_classes, self.dtype) if self.layer_norm else x

  @nn.compact
  def __call__(self, z: jax.Array, labels: jax.Array | None = None) -> jax.Array:
    labels = validation.check_labels(labels, self.num_classes, "DCGANGenerator", shape=z.shape[:1])
    check_virtual_batch_norm(self.virtual_batch_norm, self.num_classes)
    batch_size = z.shape[0]
    if labels is not None:
      z = concat_label_embedding(z, labels, self.num_classes, self.embed_dim)
    if self.virtual_batch_norm:
      z = with_reference_batch(z, self.virtual_batch_norm, self.reference_seed)
    x = nn.Dense(4 * 4 * self.features[0], dtype=self.dtype)(z).reshape(z.shape[0], 4, 4, self.features[0])
    for width in self.features[1:]:
      x = self._norm(x, labels, batch_size)
      x = nn.ConvTranspose(width, (4, 4), strides=(2, 2), padding="SAME", dtype=self.dtype)(nn.relu(x))
    x = self._norm(x, labels, batch_size)
    x = nn.ConvTranspose(self.channels, (4, 4), strides=(2, 2), padding="SAME", dtype=self.dtype)(
        nn.relu(x[:batch_size]))
    return jnp.tanh(x).astype(jnp.float32)


class DCGANEncoder(nn.Module):
  """`x (batch, H, W, C) -> (batch, output_dim)`: the DCGAN critic's conv stack with a vector head.

  The encoder of the InfoGAN mutual-information bound (`output_dim` =
  latent size) and the encoder half of :class:`DCGANAutoencoderCritic`.
  """

  output_dim: int
  features: Sequence[int] = (64, 128, 256)
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    for width in self.features:
      x = nn.leaky_relu(nn.Conv(width, (4, 4), strides=(2, 2), padding="SAME", dtype=self.dtype)(x), 0.2)
    return nn.Dense(self.output_dim, dtype=self.dtype)(x.reshape(x.shape[0], -1)).astype(jnp.float32)


class DCGANAutoencoder(nn.Module):
  """`x (batch, H, W, C) -> x' (same shape)` in [-1, 1]: a :class:`DCGANEncoder` to a `bottleneck` code, then a
  :class:`DCGANGenerator`-shaped decoder.

  The energy critic's autoencoder (:class:`DCGANAutoencoderCritic`) and the
  network of an idempotent generative network (`jg.idempotent`; Shocher et
  al. 2023 use this DCGAN encoder-decoder). `features` must take the image to
  4x4 (3 stages for 32x32). With `return_code=True` it returns
  `(reconstruction, code)`.
  """

  features: Sequence[int] = (64, 128, 256)
  bottleneck: int = 64
  layer_norm: bool = False
  return_code: bool = False
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x: jax.Array):
    code = DCGANEncoder(self.bottleneck, self.features, self.dtype)(x)
    decoder = DCGANGenerator(features=tuple(self.features)[::-1], channels=x.shape[-1], layer_norm=self.layer_norm,
                             dtype=self.dtype)
    reconstruction = decoder(code)
    if reconstruction.shape != x.shape:
      raise ValueError(f"`features` {tuple(self.features)} reconstruct {reconstruction.shape[1:]} images, not"
                       f" {x.shape[1:]}: use one stage per halving down to 4x4.")
    return (reconstruction, code) if self.return_code else reconstruction


class DCGANAutoencoderCritic(nn.Module):
  """`x (batch, H, W, C) -> energies (batch,)`: per-sample mean squared reconstruction error of a conv autoencoder.

  The energy critic of EBGAN / MAGAN / BEGAN on images: a
  :class:`DCGANAutoencoder` without layer norm. With `return_embeddings=True`
  it returns `{"scores": energies, "embeddings": codes (batch, bottleneck)}`,
  what EBGAN's pulling-away term needs (`jg.losses.get("ebgan", pulling_away_weight=0.1)`).

  References:
    Zhao, Mathieu & LeCun, Energy-based GAN, ICLR 2017, Section 2.3;
    Berthelot, Schumm & Metz, BEGAN, 2017, Section 3.
  """

  features: Sequence[int] = (64, 128, 256)
  bottleneck: int = 64
  return_embeddings: bool = False
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x: jax.Array):
    reconstruction, code = DCGANAutoencoder(self.features, self.bottleneck, return_code=True, dtype=self.dtype)(x)
    energies = jnp.mean((reconstruction - x.astype(jnp.float32)) ** 2, axis=(1, 2, 3))
    return {"scores": energies, "embeddings": code} if self.return_embeddings else energies
