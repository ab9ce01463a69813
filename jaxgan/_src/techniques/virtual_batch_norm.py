"""Virtual batch normalisation: statistics from a fixed reference batch and the example itself."""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgan._src import validation


def _normalize(x, mean, mean_sq, epsilon):
  return (x - mean) / jnp.sqrt(mean_sq - jnp.square(mean) + epsilon)


class VirtualBatchNorm(nn.Module):
  r"""Normalises each example with the statistics of a reference batch and of itself.

  With a reference batch of N examples, per channel :math:`c`,

  .. math::
    \mu_i = \tfrac{1}{N+1}\,\mathbb{E}_p\, x_i + \tfrac{N}{N+1}\,\mu_{ref}, \qquad
    \nu_i = \tfrac{1}{N+1}\,\mathbb{E}_p\, x_i^2 + \tfrac{N}{N+1}\,\nu_{ref}, \\
    y_i = \gamma\,\frac{x_i - \mu_i}{\sqrt{\nu_i - \mu_i^2 + \epsilon}} + \beta

  where :math:`\mathbb{E}_p` averages over the example's own positions (its
  pixels; nothing for `(batch, features)` inputs) and :math:`\mu_{ref},
  \nu_{ref}` are the mean and mean square of the reference batch over its
  examples and positions: the statistics of the reference batch with
  :math:`x_i` added as one more example. The reference batch itself is
  normalised with its own statistics only, as in the paper, and with the
  same :math:`\gamma, \beta`, so that a network can carry it layer to layer:
  `h, h_ref = vbn(h, h_ref)`. Gradients flow through the reference
  statistics. Unlike batch normalisation, each output depends on its own
  example and the reference only, never on the rest of the batch.

  Attributes:
    epsilon: added to the variance (1e-5, as in the authors' code).

  Call with `x` of shape `(batch, ..., C)` and `reference` of shape
  `(N, ..., C)` (the same trailing shape, channels last); returns the pair
  `(normalised x, normalised reference)` of those shapes. The learned
  `scale` (:math:`\gamma`, ones) and `bias` (:math:`\beta`, zeros) have
  shape `(C,)`.

  References:
    Salimans et al., Improved Techniques for Training GANs, NeurIPS 2016,
    Section 3.5. https://arxiv.org/abs/1606.03498
  """

  epsilon: float = 1e-5

  @nn.compact
  def __call__(self, x: jax.Array, reference: jax.Array) -> tuple[jax.Array, jax.Array]:
    validation.check_positive(self.epsilon, "epsilon")
    x = validation.check_batch(x, "x")
    reference = validation.check_batch(reference, "reference")
    validation.check_same_feature_shape(x, reference, "x", "reference")
    channels = x.shape[-1]
    scale = self.param("scale", nn.initializers.ones, (channels,))
    bias = self.param("bias", nn.initializers.zeros, (channels,))
    n = reference.shape[0]
    ref_axes = tuple(range(reference.ndim - 1))
    ref_mean = jnp.mean(reference, axis=ref_axes)
    ref_mean_sq = jnp.mean(jnp.square(reference), axis=ref_axes)
    own_axes = tuple(range(1, x.ndim - 1))
    own_mean = jnp.mean(x, axis=own_axes, keepdims=True)
    own_mean_sq = jnp.mean(jnp.square(x), axis=own_axes, keepdims=True)
    mean = (own_mean + n * ref_mean) / (n + 1)
    mean_sq = (own_mean_sq + n * ref_mean_sq) / (n + 1)
    y = _normalize(x, mean, mean_sq, self.epsilon)
    y_ref = _normalize(reference, ref_mean, ref_mean_sq, self.epsilon)
    return y * scale + bias, y_ref * scale + bias


def check_virtual_batch_norm(size, num_classes: int | None) -> None:
  """A generator's `virtual_batch_norm`: an int >= 0 (0: off), for unconditional generators."""
  if isinstance(size, bool) or not isinstance(size, int) or size < 0:
    raise ValueError(f"`virtual_batch_norm` must be the reference batch size, an integer >= 0 (0: off), got {size!r}.")
  if size and num_classes is not None:
    raise ValueError("`virtual_batch_norm` normalises an unconditional generator against its reference batch;"
                     " a conditional one (num_classes set) uses class-conditional norms instead.")


def with_reference_batch(z: jax.Array, size: int, seed: int) -> jax.Array:
  """`[z; z_ref]`: the batch followed by `size` fixed reference latents `z_ref ~ N(0, I)` drawn from `key(seed)`.

  The reference batch of a generator with virtual batch norm: the same rows
  at every call (a constant of the program), carried through the layers
  beside the batch and split off by :func:`stacked_virtual_batch_norm`.
  """
  size = validation.check_positive_int(size, "virtual_batch_norm")
  reference = jax.random.normal(jax.random.key(seed), (size, *z.shape[1:]), jnp.float32).astype(z.dtype)
  return jnp.concatenate([z, reference])


def stacked_virtual_batch_norm(h: jax.Array, batch_size: int, epsilon: float = 1e-5) -> jax.Array:
  """:class:`VirtualBatchNorm` on stacked rows `[x; ref]` (the first `batch_size` rows are the batch), stacked
  back: each example is normalised with the reference's statistics and its own (call inside a compact module)."""
  x, reference = VirtualBatchNorm(epsilon)(h[:batch_size], h[batch_size:])
  return jnp.concatenate([x, reference])
