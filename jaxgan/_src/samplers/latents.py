"""Latent-space targets and baselines: the latent energy, truncation, hubness selection."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxgan._src import validation


def latent_energy(generator_fn, realness_fn, *, inverse_temperature: float = 1.0):
  r"""Builds :math:`E(z) = -\beta\, d(G(z)) + \|z\|^2/2` on one latent vector.

  `d` is the critic's realness (higher = more real): `objective.realness` of
  the critic's scores (:meth:`jaxgan.losses.Objective.realness`: the logit of
  a GAN critic, :math:`-U` of an energy critic), optionally calibrated
  (:func:`calibrate_logits`) so that :math:`d \approx \log p_{data}/p_g`.
  The chain then targets :math:`p(z) \propto N(z; 0, I)\, e^{\beta d(G(z))}`,
  i.e. samples :math:`G(z)` from :math:`p_g(x)\, e^{\beta d(x)}`: with a logit critic
  this is discriminator-driven latent sampling (DDLS), with an energy critic
  the latent MCMC of MEG.

  Args:
    generator_fn: `z_batch (batch, latent_dim) -> x_batch`.
    realness_fn: `x_batch -> d (batch,)`, e.g.
      `lambda x: objective.realness(critic_fn(x))`.
    inverse_temperature: :math:`\beta > 0` on the critic term (:math:`\beta > 1`
      sharpens toward the critic's modes; 1 is the DDLS/MEG target).

  Returns:
    `energy_fn(z) -> scalar` for `z` of shape `(latent_dim,)`.

  References:
    Che et al., Your GAN is Secretly an Energy-based Model and You Should Use
    Discriminator Driven Latent Sampling, NeurIPS 2020, Eq. 6; Kumar et al.,
    Maximum Entropy Generators for Energy-Based Models, 2019, Section 4.
  """
  validation.check_positive(inverse_temperature, "inverse_temperature")

  def energy_fn(z):
    return -inverse_temperature * realness_fn(generator_fn(z[None]))[0] + 0.5 * jnp.sum(z**2)

  return energy_fn


def truncated_normal_latents(rng_key, num: int, latent_dim: int, *, threshold: float = 1.0) -> jax.Array:
  """Latents from N(0, I) truncated to `[-threshold, threshold]` per coordinate (BigGAN's truncation trick).

  References:
    Brock, Donahue & Simonyan, Large Scale GAN Training for High Fidelity
    Natural Image Synthesis, ICLR 2019, Section 3.1.
  """
  validation.check_positive_int(num, "num")
  validation.check_positive_int(latent_dim, "latent_dim")
  validation.check_positive(threshold, "threshold")
  return jax.random.truncated_normal(rng_key, -threshold, threshold, (num, latent_dim))


def k_occurrence(points: jax.Array, k: int) -> jax.Array:
  """How often each point is among the `k` nearest neighbours of the others, shape `(n,)`."""
  k = validation.check_positive_int(k, "k")
  if k >= points.shape[0]:
    raise ValueError(f"`k` ({k}) must be smaller than the number of points ({points.shape[0]}).")
  sq = jnp.sum(points**2, axis=-1)
  # HIGHEST: a GPU's default TF32 product loses the neighbour ranks of close points to cancellation.
  gram = jnp.matmul(points, points.T, precision=jax.lax.Precision.HIGHEST)
  distances = sq[:, None] + sq[None, :] - 2.0 * gram
  distances = distances.at[jnp.diag_indices(points.shape[0])].set(jnp.inf)
  _, neighbours = jax.lax.top_k(-distances, k)
  return jnp.zeros(points.shape[0], jnp.int32).at[neighbours.ravel()].add(1)


def hubness_latents(rng_key, num: int, latent_dim: int, *, pool_size: int = 4096, k: int = 10) -> jax.Array:
  """The `num` latents with the highest k-occurrence in a pool of N(0, I) latents ("hubs").

  References:
    Liang et al., Exploring and Exploiting Hubness Priors for High-Quality GAN
    Latent Sampling, ICML 2022, Section 3.
  """
  validation.check_positive_int(num, "num")
  pool_size = validation.check_positive_int(pool_size, "pool_size")
  if num > pool_size:
    raise ValueError(f"`num` ({num}) cannot exceed `pool_size` ({pool_size}).")
  pool = jax.random.normal(rng_key, (pool_size, latent_dim))
  _, best = jax.lax.top_k(k_occurrence(pool, k).astype(jnp.float32), num)
  return pool[best]
