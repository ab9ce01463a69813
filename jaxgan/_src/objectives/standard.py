"""The classic GAN objectives as pure functions of raw critic scores.

Every function takes raw scores `D(x)` (logits, no sigmoid) of shape
`(batch,)` and returns a scalar: the batch mean of the per-sample loss. The
critic *minimises* `*_critic` and the generator *minimises* `*_generator`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxgan._src import validation


def minimax_critic(real_scores: jax.Array, fake_scores: jax.Array) -> jax.Array:
  r"""Binary cross-entropy critic loss of the original GAN.

  .. math::
    L_D = -\mathbb{E}\log\sigma(D(x_r)) - \mathbb{E}\log(1-\sigma(D(x_f)))
        = \mathbb{E}\,\mathrm{softplus}(-D(x_r)) + \mathbb{E}\,\mathrm{softplus}(D(x_f))

  The optimal critic is `D*(x) = log p_data(x) / p_G(x)`.

  Args:
    real_scores: raw critic scores on real samples, shape `(batch,)`.
    fake_scores: raw critic scores on generated samples, shape `(batch,)`.

  Returns:
    Scalar loss.

  References:
    Goodfellow et al., Generative Adversarial Nets, 2014, Eq. 1.
    https://arxiv.org/abs/1406.2661
  """
  real_scores, fake_scores = validation.check_score_pair(real_scores, fake_scores)
  return jnp.mean(jax.nn.softplus(-real_scores)) + jnp.mean(jax.nn.softplus(fake_scores))


def minimax_generator(fake_scores: jax.Array) -> jax.Array:
  r"""Saturating generator loss of the original minimax game.

  .. math:: L_G = \mathbb{E}\log(1-\sigma(D(x_f))) = -\mathbb{E}\,\mathrm{softplus}(D(x_f))

  Its gradient vanishes when the critic confidently rejects fakes; prefer
  :func:`non_saturating_generator` in practice.

  Args:
    fake_scores: raw critic scores on generated samples, shape `(batch,)`.

  Returns:
    Scalar loss.

  References:
    Goodfellow et al., Generative Adversarial Nets, 2014, Eq. 1.
  """
  fake_scores = validation.check_scores(fake_scores, "fake_scores")
  return -jnp.mean(jax.nn.softplus(fake_scores))


def non_saturating_generator(fake_scores: jax.Array) -> jax.Array:
  r"""Non-saturating generator loss.

  .. math:: L_G = -\mathbb{E}\log\sigma(D(x_f)) = \mathbb{E}\,\mathrm{softplus}(-D(x_f))

  Args:
    fake_scores: raw critic scores on generated samples, shape `(batch,)`.

  Returns:
    Scalar loss.

  References:
    Goodfellow et al., Generative Adversarial Nets, 2014, Section 3.
  """
  fake_scores = validation.check_scores(fake_scores, "fake_scores")
  return jnp.mean(jax.nn.softplus(-fake_scores))


def lsgan_critic(real_scores, fake_scores, *, a: float = 0.0, b: float = 1.0):
  r"""Least-squares critic loss.

  .. math:: L_D = \tfrac12\mathbb{E}(D(x_r)-b)^2 + \tfrac12\mathbb{E}(D(x_f)-a)^2

  Args:
    real_scores: critic scores on real samples, shape `(batch,)`.
    fake_scores: critic scores on generated samples, shape `(batch,)`.
    a: target for fakes. The paper's choices are `(a, b, c) = (0, 1, 1)` and
      `(-1, 1, 0)` (Pearson chi^2 when `b - c = 1, b - a = 2`).
    b: target for reals.

  Returns:
    Scalar loss.

  References:
    Mao et al., Least Squares Generative Adversarial Networks, 2017, Eq. 2.
    https://arxiv.org/abs/1611.04076
  """
  real_scores, fake_scores = validation.check_score_pair(real_scores, fake_scores)
  return 0.5 * jnp.mean((real_scores - b) ** 2) + 0.5 * jnp.mean((fake_scores - a) ** 2)


def lsgan_generator(fake_scores, *, c: float = 1.0):
  r"""Least-squares generator loss :math:`\tfrac12\mathbb{E}(D(x_f)-c)^2`.

  Args:
    fake_scores: critic scores on generated samples, shape `(batch,)`.
    c: the value the generator wants the critic to believe for fakes.

  Returns:
    Scalar loss.

  References:
    Mao et al., Least Squares Generative Adversarial Networks, 2017, Eq. 2.
  """
  fake_scores = validation.check_scores(fake_scores, "fake_scores")
  return 0.5 * jnp.mean((fake_scores - c) ** 2)


def wasserstein_critic(real_scores, fake_scores):
  r"""Wasserstein critic loss :math:`\mathbb{E}D(x_f) - \mathbb{E}D(x_r)`.

  Needs a Lipschitz constraint on the critic (weight clipping, a gradient
  penalty or spectral normalisation).

  Args:
    real_scores: critic scores on real samples, shape `(batch,)`.
    fake_scores: critic scores on generated samples, shape `(batch,)`.

  Returns:
    Scalar loss (minus the Kantorovich-Rubinstein dual estimate of W1).

  References:
    Arjovsky et al., Wasserstein GAN, 2017, Eq. 3.
    https://arxiv.org/abs/1701.07875
  """
  real_scores, fake_scores = validation.check_score_pair(real_scores, fake_scores)
  return jnp.mean(fake_scores) - jnp.mean(real_scores)


def wasserstein_generator(fake_scores):
  r"""Wasserstein (and hinge) generator loss :math:`-\mathbb{E}D(x_f)`.

  Args:
    fake_scores: critic scores on generated samples, shape `(batch,)`.

  Returns:
    Scalar loss.

  References:
    Arjovsky et al., Wasserstein GAN, 2017; Lim & Ye, Geometric GAN, 2017.
  """
  fake_scores = validation.check_scores(fake_scores, "fake_scores")
  return -jnp.mean(fake_scores)


def hinge_critic(real_scores, fake_scores, *, margin: float = 1.0):
  r"""Hinge critic loss.

  .. math:: L_D = \mathbb{E}\,\mathrm{relu}(m - D(x_r)) + \mathbb{E}\,\mathrm{relu}(m + D(x_f))

  The generator loss is :func:`wasserstein_generator`.

  Args:
    real_scores: critic scores on real samples, shape `(batch,)`.
    fake_scores: critic scores on generated samples, shape `(batch,)`.
    margin: the hinge margin `m` (1 in the papers).

  Returns:
    Scalar loss.

  References:
    Lim & Ye, Geometric GAN, 2017 (https://arxiv.org/abs/1705.02894);
    Miyato et al., Spectral Normalization for GANs, 2018, Eq. 16.
  """
  real_scores, fake_scores = validation.check_score_pair(real_scores, fake_scores)
  validation.check_non_negative(margin, "margin")
  return jnp.mean(jax.nn.relu(margin - real_scores)) + jnp.mean(jax.nn.relu(margin + fake_scores))
