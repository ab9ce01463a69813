"""Packing (PacGAN): the critic scores m samples at once, concatenated along their last axis."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxgan._src import validation


def pack(x: jax.Array, m: int) -> jax.Array:
  r"""`(n * m, ..., C) -> (n, ..., m * C)`: groups of m consecutive samples concatenated along the last axis.

  Packed sample i is `[x_{im}, x_{im+1}, ..., x_{im+m-1}]` along the last
  axis: the features of 2-D points, the channels of images (PacGAN's
  packed discriminator input). A critic on packed inputs sees the joint
  distribution of m independent samples, so a generator that drops modes is
  penalised more the more samples are packed (Lin et al., PacGAN, NeurIPS
  2018, Section 3 and Theorem 3). `m = 1` is the identity.

  Raises:
    ValueError: `m` is not a positive integer or does not divide the batch.
  """
  m = validation.check_positive_int(m, "packing")
  x = validation.check_batch(x, "x")
  if x.shape[0] % m:
    raise ValueError(f"A batch of {x.shape[0]} samples cannot be packed in groups of packing={m}: the batch size"
                     " must be a multiple of `packing`.")
  if m == 1:
    return x
  groups = x.reshape(x.shape[0] // m, m, *x.shape[1:])
  return jnp.moveaxis(groups, 1, -2).reshape(x.shape[0] // m, *x.shape[1:-1], m * x.shape[-1])
