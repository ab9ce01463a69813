"""Layer helpers shared by the critics."""

from __future__ import annotations

import flax.linen as nn
import jax


def maybe_spectral_norm(module: nn.Module, layer: nn.Module, x: jax.Array, enabled: bool) -> jax.Array:
  """Applies `layer`, wrapped in `flax.linen.SpectralNorm` when `enabled`.

  The power-iteration vector lives in `batch_stats` and advances only when
  that collection is mutable (training), so evaluation never changes it.
  """
  if enabled:
    return nn.SpectralNorm(layer)(x, update_stats=module.is_mutable_collection("batch_stats"))
  return layer(x)
