"""Relativistic GAN objectives: the critic scores how much more real a real
sample looks than a fake one.

Both variants share one per-sample function `f` of a score difference `d`:
`standard` uses `f(d) = softplus(-d)` (= -log sigmoid(d)), `ls` uses
`(d - 1)^2`, `hinge` uses `relu(1 - d)`.

References:
  Jolicoeur-Martineau, The relativistic discriminator: a key element missing
  from standard GAN, ICLR 2019, Eqs. 10-16 and Algorithm 2.
  https://arxiv.org/abs/1807.00734
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxgan._src import validation

FLAVOURS = {
    "standard": lambda d: jax.nn.softplus(-d),
    "ls": lambda d: (d - 1.0) ** 2,
    "hinge": lambda d: jax.nn.relu(1.0 - d),
}


def _flavour(flavour: str):
  return FLAVOURS[validation.check_choice(flavour, "relativistic flavour", FLAVOURS)]


def _checked(real_scores, fake_scores):
  if real_scores is None:
    raise ValueError("Relativistic generator losses need `real_scores`; got None.")
  return validation.check_score_pair(real_scores, fake_scores)


def relativistic_critic(real_scores, fake_scores, *, flavour: str = "standard"):
  r"""Paired relativistic critic loss :math:`\mathbb{E}_i f(D(x_r^i) - D(x_f^i))`.

  Args:
    real_scores: critic scores on real samples, shape `(batch,)`.
    fake_scores: critic scores on generated samples, shape `(batch,)`, paired
      with `real_scores` by index.
    flavour: `"standard"` (RSGAN), `"ls"` (RLSGAN) or `"hinge"` (RHingeGAN).

  Returns:
    Scalar loss.
  """
  real_scores, fake_scores = validation.check_score_pair(real_scores, fake_scores)
  return jnp.mean(_flavour(flavour)(real_scores - fake_scores))


def relativistic_generator(fake_scores, real_scores, *, flavour: str = "standard"):
  r"""Paired relativistic generator loss :math:`\mathbb{E}_i f(D(x_f^i) - D(x_r^i))`: the critic loss with roles swapped.

  Args:
    fake_scores: critic scores on generated samples, shape `(batch,)`.
    real_scores: critic scores on real samples, shape `(batch,)` (required).
    flavour: `"standard"`, `"ls"` or `"hinge"`.

  Returns:
    Scalar loss.
  """
  real_scores, fake_scores = _checked(real_scores, fake_scores)
  return relativistic_critic(fake_scores, real_scores, flavour=flavour)


def _average_differences(real_scores, fake_scores):
  return real_scores - jnp.mean(fake_scores), fake_scores - jnp.mean(real_scores)


def relativistic_average_critic(real_scores, fake_scores, *, flavour: str = "standard"):
  r"""Relativistic average critic loss.

  .. math::
    L_D = \mathbb{E} f(D(x_r) - \mathbb{E}D(x_f)) + \mathbb{E} f(-(D(x_f) - \mathbb{E}D(x_r)))

  With `flavour="standard"` this is RaSGAN's
  :math:`-\mathbb{E}\log\sigma(\tilde D_r) - \mathbb{E}\log(1-\sigma(\tilde D_f))`.

  Args:
    real_scores: critic scores on real samples, shape `(batch,)`.
    fake_scores: critic scores on generated samples, shape `(batch,)`.
    flavour: `"standard"` (RaSGAN), `"ls"` (RaLSGAN) or `"hinge"` (RaHingeGAN).

  Returns:
    Scalar loss.
  """
  real_scores, fake_scores = validation.check_score_pair(real_scores, fake_scores)
  f = _flavour(flavour)
  d_real, d_fake = _average_differences(real_scores, fake_scores)
  return jnp.mean(f(d_real)) + jnp.mean(f(-d_fake))


def relativistic_average_generator(fake_scores, real_scores, *, flavour: str = "standard"):
  r"""Relativistic average generator loss: the critic loss with roles swapped.

  .. math::
    L_G = \mathbb{E} f(D(x_f) - \mathbb{E}D(x_r)) + \mathbb{E} f(-(D(x_r) - \mathbb{E}D(x_f)))

  Args:
    fake_scores: critic scores on generated samples, shape `(batch,)`.
    real_scores: critic scores on real samples, shape `(batch,)` (required).
    flavour: `"standard"`, `"ls"` or `"hinge"`.

  Returns:
    Scalar loss.
  """
  real_scores, fake_scores = _checked(real_scores, fake_scores)
  return relativistic_average_critic(fake_scores, real_scores, flavour=flavour)
