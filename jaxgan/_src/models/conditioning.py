"""Class conditioning for generators and critics: label embeddings, conditional layer norm, the projection head.

* Generator input: `[z, embed(y)]` (Mirza & Osindero, Conditional GANs, 2014).
* Conditional normalisation: class-dependent gain and bias after a
  parameter-free normalisation, `(1 + gamma_y) * norm(h) + beta_y` (de Vries
  et al., Modulating early visual processing by language, 2017, Eq. 2; here
  over each sample's features, layer norm, so samples never interact).
* Projection critic: `D(x, y) = psi(phi(x)) + <embed(y), phi(x)>` (Miyato &
  Koyama, cGANs with projection discriminator, ICLR 2018, Eq. 3).
"""

from __future__ import annotations

from typing import Any, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp


def concat_label_embedding(x: jax.Array, labels: jax.Array, num_classes: int, embed_dim: int) -> jax.Array:
  """`[x, embed(y)]` along the last axis: a learnt `embed_dim` embedding of the class (call inside a compact module)."""
  return jnp.concatenate([x, nn.Embed(num_classes, embed_dim)(labels).astype(x.dtype)], axis=-1)


class ConditionalLayerNorm(nn.Module):
  """`(1 + gamma_y) * LayerNorm(h) + beta_y`, gamma and beta embeddings of the class, both 0 at init.

  Each sample is normalised over `reduction_axes` (the last axis for vectors;
  `(-3, -2, -1)` for `(batch, H, W, C)` feature maps); gamma and beta have one
  value per channel (last axis), broadcast over the others.
  """

  num_classes: int
  reduction_axes: Sequence[int] = (-1,)
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, h: jax.Array, labels: jax.Array) -> jax.Array:
    width, broadcast = h.shape[-1], (h.shape[0],) + (1,) * (h.ndim - 2) + (h.shape[-1],)
    normed = nn.LayerNorm(use_scale=False, use_bias=False, reduction_axes=tuple(self.reduction_axes),
                          dtype=self.dtype)(h)
    gain = nn.Embed(self.num_classes, width, embedding_init=nn.initializers.zeros, name="gain")(labels)
    bias = nn.Embed(self.num_classes, width, embedding_init=nn.initializers.zeros, name="bias")(labels)
    return ((1.0 + gain.reshape(broadcast)) * normed + bias.reshape(broadcast)).astype(normed.dtype)


def feature_map_norm(x: jax.Array, labels: jax.Array | None, num_classes: int | None, dtype: Any) -> jax.Array:
  """Each sample's layer norm over its `(H, W, C)` feature map; class-conditional (:class:`ConditionalLayerNorm`)
  when `labels` are given (call inside a compact module)."""
  if labels is not None:
    return ConditionalLayerNorm(num_classes, reduction_axes=(-3, -2, -1), dtype=dtype)(x, labels)
  return nn.LayerNorm(reduction_axes=(-3, -2, -1), dtype=dtype)(x)


def projection(features: jax.Array, labels: jax.Array, num_classes: int) -> jax.Array:
  """`<embed(y), phi(x)>` per sample, the projection discriminator's class term (call inside a compact module)."""
  embedding = nn.Embed(num_classes, features.shape[-1], name="class_projection")(labels)
  return jnp.sum(embedding.astype(jnp.float32) * features.astype(jnp.float32), axis=-1)
