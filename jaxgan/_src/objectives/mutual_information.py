"""Mutual-information estimates I(X; Z) between generated samples and their latents.

In the energy-model view (MEG) the generator minimises
`KL(q_G || exp(-U)/Z) = E U(G(z)) - H(q_G) + log Z`. The entropy `H(q_G)` is
intractable; for `x = G(z)` it is replaced by the mutual information
`I(X; Z) = H(X) - H(X | Z)`, which a second network estimates. Both the
generator and that network maximise the estimate.

Three estimates, all batch functions that pair `x_i` with `z_i` (the joint)
and with `z_{i+1}` (the product of marginals: `z_{i+1}` is independent of
`x_i`), so they need no random key:

* `jsd`: the Jensen-Shannon estimator with a statistics network `T(x, z)`
  (Hjelm et al. 2019, Eq. 4), used by MEG. Not in nats: it is a monotone
  proxy for I(X; Z), stable to train.
* `donsker_varadhan`: the MINE lower bound in nats (Belghazi et al. 2018, Eq. 5).
* `encoder`: the InfoGAN / Barber-Agakov bound with an encoder `E(x)` and a
  unit-variance Gaussian `q(z | x)`: `I >= d/2 - E||z - E(x)||^2 / 2` nats for
  `z ~ N(0, I_d)` (Chen et al. 2016, Eq. 4).
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgan._src import validation


def _shifted(z: jax.Array) -> jax.Array:
  return jnp.roll(z, 1, axis=0)


def jsd_mutual_information(joint_scores, marginal_scores):
  r"""Jensen-Shannon MI estimate :math:`\mathbb{E}_J[-\mathrm{sp}(-T)] - \mathbb{E}_M[\mathrm{sp}(T)]`.

  With the optimal statistics network `T = log p(x,z)/(p(x)p(z))` this equals
  `2 JSD(p(x,z) || p(x)p(z)) - log 4`.

  Args:
    joint_scores: `T(x_i, z_i)`, shape `(batch,)`.
    marginal_scores: `T(x_i, z'_i)` with `z'` independent of `x`, shape `(batch,)`.

  Returns:
    Scalar estimate (maximised by the statistics network).

  References:
    Hjelm et al., Learning deep representations by mutual information
    estimation and maximization, ICLR 2019, Eq. 4. https://arxiv.org/abs/1808.06670
  """
  joint_scores, marginal_scores = validation.check_score_pair(
      joint_scores, marginal_scores, "joint_scores", "marginal_scores")
  return jnp.mean(-jax.nn.softplus(-joint_scores)) - jnp.mean(jax.nn.softplus(marginal_scores))


def donsker_varadhan_mutual_information(joint_scores, marginal_scores):
  r"""Donsker-Varadhan (MINE) lower bound :math:`\mathbb{E}_J[T] - \log \mathbb{E}_M[e^T]` in nats.

  Args:
    joint_scores: `T(x_i, z_i)`, shape `(batch,)`.
    marginal_scores: `T(x_i, z'_i)` with `z'` independent of `x`, shape `(batch,)`.

  Returns:
    Scalar lower bound on I(X; Z), tight at `T = log p(x,z)/(p(x)p(z)) + c`.

  References:
    Belghazi et al., Mutual Information Neural Estimation, ICML 2018, Eq. 5.
    https://arxiv.org/abs/1801.04062
  """
  joint_scores, marginal_scores = validation.check_score_pair(
      joint_scores, marginal_scores, "joint_scores", "marginal_scores")
  n = marginal_scores.shape[0]
  return jnp.mean(joint_scores) - (jax.nn.logsumexp(marginal_scores) - jnp.log(n))


def encoder_mutual_information(z, z_reconstructed):
  r"""InfoGAN lower bound :math:`I(X;Z) \ge d/2 - \tfrac12\mathbb{E}\|z - E(x)\|^2` for `z ~ N(0, I_d)`.

  It is `H(Z) + E log q(z | x)` with `q(z | x) = N(E(x), I)`; maximising it
  is minimising the encoder's reconstruction error `E||z - E(G(z))||^2`.

  Args:
    z: latents, shape `(batch, d)`.
    z_reconstructed: encoder outputs `E(G(z))`, shape `(batch, d)`.

  Returns:
    Scalar lower bound in nats.

  References:
    Chen et al., InfoGAN, NeurIPS 2016, Eq. 4 (variational bound of Barber &
    Agakov 2003). https://arxiv.org/abs/1606.03657
  """
  z = validation.check_batch(z, "z")
  z_reconstructed = validation.check_batch(z_reconstructed, "z_reconstructed")
  if z.ndim != 2 or z.shape != z_reconstructed.shape:
    raise ValueError(f"`z` and `z_reconstructed` must both have shape (batch, latent_dim), got"
                     f" {tuple(z.shape)} and {tuple(z_reconstructed.shape)}.")
  return 0.5 * z.shape[1] - 0.5 * jnp.mean(jnp.sum((z - z_reconstructed) ** 2, axis=1))


class EntropyEstimator(NamedTuple):
  """A trainable estimate of I(X; Z) used as the generator's entropy surrogate.

  Attributes:
    name: `"jsd"`, `"donsker_varadhan"` or `"encoder"`.
    init: `(rng_key, x_example (1, ...), z_example (1, d)) -> params`.
    estimate: `(params, x (batch, ...), z (batch, d)) -> scalar`, differentiable
      in both `params` and `x`; the generator and the estimator maximise it.
  """

  name: str
  init: Callable[[jax.Array, jax.Array, jax.Array], Any]
  estimate: Callable[[Any, jax.Array, jax.Array], jax.Array]


ESTIMATORS = ("jsd", "donsker_varadhan", "encoder")


def entropy_estimator(name: str, network: nn.Module) -> EntropyEstimator:
  """Builds an :class:`EntropyEstimator` around a Linen network.

  Args:
    name: one of :data:`ESTIMATORS`.
    network: for `jsd` / `donsker_varadhan` a statistics network mapping the
      concatenation `[flatten(x), z]` of shape `(batch, D + d)` to scores
      `(batch,)` (e.g. `jaxgan.models.MLPCritic`); for `encoder` a network
      mapping `x (batch, ...)` to `(batch, d)` (e.g. `MLPGenerator(output_dim=d)`
      for vectors, `DCGANEncoder(d)` for images).

  Returns:
    An :class:`EntropyEstimator`.
  """
  validation.check_choice(name, "name", ESTIMATORS)

  if name == "encoder":
    def init(rng_key, x, z):
      del z
      return network.init(rng_key, x).get("params", {})

    def estimate(params, x, z):
      return encoder_mutual_information(z, network.apply({"params": params}, x))

    return EntropyEstimator(name, init, estimate)

  bound = jsd_mutual_information if name == "jsd" else donsker_varadhan_mutual_information

  def pairs(x, z):
    return jnp.concatenate([jnp.reshape(x, (x.shape[0], -1)), z], axis=1)

  def init(rng_key, x, z):
    return network.init(rng_key, pairs(x, z)).get("params", {})

  def estimate(params, x, z):
    scores = network.apply({"params": params}, jnp.concatenate([pairs(x, z), pairs(x, _shifted(z))]))
    return bound(scores[: x.shape[0]], scores[x.shape[0]:])

  return EntropyEstimator(name, init, estimate)
