"""InfoGAN's latent codes c and its variational lower bound on I(c; G(z, c)) (Chen et al. 2016, Eq. 4-5).

The generator reads `[z, c]`: noise `z ~ N(0, I_d)` followed by the codes,
each categorical code one-hot over its `K` categories (uniform) and each
continuous code `~ U(-1, 1)`. An encoder `Q(x)` returns, for every
categorical code, `K` logits, then one mean per continuous code (a unit-variance
Gaussian, the fixed-variance factored Gaussian of Chen et al. 2016, Sec. 6).
The bound

  L_I = H(c) + E_{c, x ~ G(z, c)}[log Q(c | x)] <= I(c; G(z, c))    (Eq. 4-5)

is maximised by the generator and the encoder alike
(`jg.train.GAN(latent_codes=..., entropy_estimator=infogan_estimator(...),
entropy_weight=lambda)`, lambda of Eq. 6).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgan._src import validation
from jaxgan._src.objectives.mutual_information import EntropyEstimator


class LatentCodes(NamedTuple):
  """The layout of InfoGAN codes appended to the generator's noise.

  Attributes:
    categorical: the number of categories of each categorical code, e.g.
      `(10,)` for MNIST's digit code; each enters the generator one-hot.
    continuous: how many continuous codes `~ U(-1, 1)`.
  """

  categorical: tuple[int, ...] = ()
  continuous: int = 0

  @property
  def size(self) -> int:
    """Width of the codes in the generator's input, and of the encoder's output."""
    return sum(self.categorical) + self.continuous

  @property
  def entropy(self) -> float:
    """H(c) in nats: `sum log K` over categorical codes plus `log 2` per continuous code."""
    return sum(math.log(k) for k in self.categorical) + self.continuous * math.log(2.0)

  def sample(self, rng_key: jax.Array, n: int) -> jax.Array:
    """`n` codes `(n, size)`: uniform one-hot categories, then `U(-1, 1)` values."""
    categorical_key, continuous_key = jax.random.split(rng_key)
    ids = jax.random.randint(categorical_key, (n, len(self.categorical)), 0, jnp.asarray(self.categorical or [1]))
    return self.encode(ids, jax.random.uniform(continuous_key, (n, self.continuous), minval=-1.0, maxval=1.0))

  def encode(self, categories: jax.Array, continuous: jax.Array) -> jax.Array:
    """Chosen codes as the generator reads them: `categories (n, len(categorical))` ints, `continuous (n, continuous)`."""
    categories, continuous = jnp.asarray(categories), jnp.asarray(continuous, jnp.float32)
    n = continuous.shape[0]
    if categories.shape != (n, len(self.categorical)) or continuous.shape != (n, self.continuous):
      raise ValueError(f"`categories` and `continuous` must have shapes (n, {len(self.categorical)}) and"
                       f" (n, {self.continuous}), got {categories.shape} and {continuous.shape}.")
    one_hots = [jax.nn.one_hot(categories[:, i], k) for i, k in enumerate(self.categorical)]
    return jnp.concatenate([*one_hots, continuous], axis=1)


def latent_codes(categorical=(), continuous: int = 0) -> LatentCodes:
  """A checked :class:`LatentCodes`: every category count >= 2, `continuous` >= 0, at least one code."""
  categorical = tuple(categorical)
  for k in categorical:
    if isinstance(k, bool) or not isinstance(k, int) or k < 2:
      raise ValueError(f"`categorical` must hold category counts >= 2, got {categorical!r}.")
  if isinstance(continuous, bool) or not isinstance(continuous, int) or continuous < 0:
    raise ValueError(f"`continuous` must be an integer >= 0, got {continuous!r}.")
  if not categorical and not continuous:
    raise ValueError("LatentCodes need at least one code: a `categorical` count or `continuous` > 0.")
  return LatentCodes(categorical, continuous)


def info_mutual_information(codes: LatentCodes, c: jax.Array, q_outputs: jax.Array) -> jax.Array:
  r"""InfoGAN's lower bound :math:`H(c) + \mathbb{E}\log Q(c \mid x) \le I(c; x)` in nats.

  Args:
    codes: the code layout.
    c: the codes the samples were drawn with, `(batch, codes.size)`
      (:meth:`LatentCodes.sample` or :meth:`LatentCodes.encode`).
    q_outputs: the encoder's outputs `Q(x)`, `(batch, codes.size)`: each
      categorical code's logits, then the continuous codes' means.

  Returns:
    The bound, a scalar: `log K` per categorical code when `Q` identifies it,
    `log 2 - log(2 pi) / 2` per continuous code when the mean is exact (unit
    variance makes that part loose).

  References:
    Chen et al., InfoGAN, NeurIPS 2016, Eq. 4-5. https://arxiv.org/abs/1606.03657
  """
  if c.shape != q_outputs.shape or c.ndim != 2 or c.shape[1] != codes.size:
    raise ValueError(f"`c` and `q_outputs` must both have shape (batch, {codes.size}), got {c.shape} and"
                     f" {q_outputs.shape}.")
  log_q, start = jnp.zeros(c.shape[:1], q_outputs.dtype), 0
  for k in codes.categorical:
    log_q += jnp.sum(c[:, start:start + k] * jax.nn.log_softmax(q_outputs[:, start:start + k]), axis=1)
    start += k
  residual = c[:, start:] - q_outputs[:, start:]
  log_q += jnp.sum(-0.5 * residual ** 2, axis=1) - 0.5 * codes.continuous * math.log(2 * math.pi)
  return codes.entropy + jnp.mean(log_q)


def infogan_estimator(network: nn.Module, codes: LatentCodes) -> EntropyEstimator:
  """InfoGAN's `Q` as a :class:`jaxgan.losses.EntropyEstimator` of I(c; G(z, c)) over the last `codes.size` inputs.

  Args:
    network: a Linen network `x (batch, ...) -> (batch, codes.size)` (e.g.
      `MLPGenerator(output_dim=codes.size)` for vectors,
      `DCGANEncoder(codes.size)` for images).
    codes: the layout, the same as the GAN's `latent_codes`.

  Returns:
    An estimator named `"infogan"` whose `estimate(params, x, z)` reads the
    codes as `z[:, -codes.size:]` and returns :func:`info_mutual_information`.
  """
  if not isinstance(codes, LatentCodes):
    raise TypeError(f"`codes` must be a jg.losses.LatentCodes, got {type(codes).__name__}.")

  def init(rng_key, x, z):
    del z
    return network.init(rng_key, x).get("params", {})

  def estimate(params, x, z):
    validation.check_batch(z, "z")
    return info_mutual_information(codes, z[:, z.shape[1] - codes.size:], network.apply({"params": params}, x))

  return EntropyEstimator("infogan", init, estimate)
