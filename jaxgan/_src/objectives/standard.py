"""The classic GAN objectives as pure functions of raw critic scores.

Every function takes raw scores `D(x)` (logits, no sigmoid) of shape
`(batch,)` and returns a scalar: the batch mean of the per-sample loss. The
critic *minimises* `*_critic` and the generator *minimises* `*_generator`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxgan._src import validation


def check_label_smoothing(label_smoothing):
  """Checks the one-sided label smoothing is a number in [0, 1) (values of traced ones are not read)."""
  validation.check_non_negative(label_smoothing, "label_smoothing")
  if not isinstance(label_smoothing, jax.core.Tracer) and not float(label_smoothing) < 1.0:
    raise ValueError(f"`label_smoothing` must lie in [0, 1) (the real samples' target is 1 - label_smoothing),"
                     f" got {label_smoothing}.")
  return label_smoothing


def minimax_critic(real_scores: jax.Array, fake_scores: jax.Array, *, label_smoothing: float = 0.0) -> jax.Array:
  r"""Binary cross-entropy critic loss of the original GAN, with optional one-sided label smoothing.

  .. math::
    L_D = -\mathbb{E}\log\sigma(D(x_r)) - \mathbb{E}\log(1-\sigma(D(x_f)))
        = \mathbb{E}\,\mathrm{softplus}(-D(x_r)) + \mathbb{E}\,\mathrm{softplus}(D(x_f))

  The optimal critic is `D*(x) = log p_data(x) / p_G(x)`.

  With `label_smoothing` :math:`\alpha > 0` the real samples' target is
  :math:`1 - \alpha` and the fakes' stays 0 (one-sided):

  .. math::
    L_D = \mathbb{E}\big[(1-\alpha)\,\mathrm{softplus}(-D(x_r)) + \alpha\,\mathrm{softplus}(D(x_r))\big]
          + \mathbb{E}\,\mathrm{softplus}(D(x_f))
        = \mathbb{E}\big[\mathrm{softplus}(-D(x_r)) + \alpha D(x_r)\big] + \mathbb{E}\,\mathrm{softplus}(D(x_f)),

  computed in the second form, which is the plain loss plus
  :math:`\alpha\,\mathbb{E} D(x_r)` (so `label_smoothing=0.0` gives the plain
  loss exactly). The optimal critic becomes
  :math:`\sigma(D^*) = (1-\alpha)\,p_{data} / (p_{data} + p_G)`. A fakes'
  target :math:`\beta > 0` would add :math:`\beta\,p_G / (p_{data} + p_G)`,
  rewarding generated samples where :math:`p_{data} \approx 0`, so only the
  reals are smoothed (the paper's argument).

  Args:
    real_scores: raw critic scores on real samples, shape `(batch,)`.
    fake_scores: raw critic scores on generated samples, shape `(batch,)`.
    label_smoothing: :math:`\alpha \in [0, 1)` (the paper's example: 0.1, target 0.9).

  Returns:
    Scalar loss.

  References:
    Goodfellow et al., Generative Adversarial Nets, 2014, Eq. 1.
    https://arxiv.org/abs/1406.2661
    Salimans et al., Improved Techniques for Training GANs, NeurIPS 2016,
    Section 3.4 (one-sided label smoothing). https://arxiv.org/abs/1606.03498
  """
  real_scores, fake_scores = validation.check_score_pair(real_scores, fake_scores)
  check_label_smoothing(label_smoothing)
  real_loss = jax.nn.softplus(-real_scores) + label_smoothing * real_scores
  return jnp.mean(real_loss) + jnp.mean(jax.nn.softplus(fake_scores))


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
