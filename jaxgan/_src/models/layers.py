"""Layers and layer helpers shared by the models."""

from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgan._src import validation


def dense_init(init_std: float | None):
  """The kernel initialiser of a dense layer: `N(0, init_std^2)` (DCGAN-era GANs' 0.02), or Flax's default (None)."""
  if init_std is None:
    return nn.linear.default_kernel_init
  return nn.initializers.normal(validation.check_positive(init_std, "init_std"))


class LinearMaxout(nn.Module):
  r"""Maxout unit: :math:`h_i(x) = \max_{j \le k} (x^\top W_{:ij} + b_{ij})`, `k` linear pieces per output.

  A maxout layer is its own nonlinearity (a learned convex piecewise-linear
  activation). `(batch, d) -> (batch, features)`, one dense layer of
  `features * pieces` outputs, unit i taking the maximum of outputs
  `i * pieces, ..., i * pieces + pieces - 1`.

  Attributes:
    features: output units.
    pieces: linear pieces k per unit (PacGAN's critic: 5).
    init_std: kernel initialiser `N(0, init_std^2)`, or None: Flax's default.
    dtype: compute dtype.

  References:
    Goodfellow et al., Maxout Networks, ICML 2013, Eq. 1; the LinearMaxout of
    PacGAN's 2-D critic (Lin et al., NeurIPS 2018, Section 5.1).
  """

  features: int
  pieces: int
  init_std: float | None = None
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    pieces = validation.check_positive_int(self.pieces, "pieces")
    h = nn.Dense(self.features * pieces, kernel_init=dense_init(self.init_std), dtype=self.dtype)(x)
    return jnp.max(h.reshape(*h.shape[:-1], self.features, pieces), axis=-1)


def maybe_spectral_norm(module: nn.Module, layer: nn.Module, x: jax.Array, enabled: bool) -> jax.Array:
  """Applies `layer`, wrapped in `flax.linen.SpectralNorm` when `enabled`.

  The power-iteration vector lives in `batch_stats` and advances only when
  that collection is mutable (training), so evaluation never changes it.
  """
  if enabled:
    return nn.SpectralNorm(layer)(x, update_stats=module.is_mutable_collection("batch_stats"))
  return layer(x)
