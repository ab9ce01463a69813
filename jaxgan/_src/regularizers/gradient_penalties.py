"""Gradient penalties on a critic's input gradients.

Every penalty takes `critic_fn(x_batch) -> scores (batch,)`, a closure over
the critic's parameters, and returns a scalar that the caller adds to the
critic loss and differentiates. Gradients are per sample (see
:mod:`input_gradients` for `method=`). Norms use a safe square root whose
gradient at a zero input gradient is 0, so no penalty returns NaN for a
constant critic or for `real == fake`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxgan._src import validation
from jaxgan._src.regularizers.input_gradients import (
    DEFAULT_METHOD,
    gradient_penalty,
    safe_norms,
    squared_norms,
)


def interpolate(real: jax.Array, fake: jax.Array, rng_key: jax.Array) -> jax.Array:
  r"""Random points :math:`\epsilon x_r + (1-\epsilon)x_f`, one :math:`\epsilon \sim U[0,1]` per sample.

  Args:
    real: shape `(batch, *features)`.
    fake: same shape as `real`.
    rng_key: a JAX PRNG key.

  Returns:
    Array shaped like `real`.
  """
  real, fake = validation.check_batch_pair(real, fake)
  eps_shape = (real.shape[0],) + (1,) * (real.ndim - 1)
  eps = jax.random.uniform(rng_key, eps_shape, dtype=real.dtype)
  return eps * real + (1.0 - eps) * fake


def _unit_distance(gradients, target):
  return (safe_norms(gradients) - target) ** 2


def wgan_gp(critic_fn, real, fake, rng_key, *, weight: float = 10.0, target: float = 1.0, method: str = DEFAULT_METHOD):
  r"""Two-sided WGAN-GP penalty at random interpolates.

  .. math:: \lambda\,\mathbb{E}_{\hat x}\,(\|\nabla_x D(\hat x)\| - 1)^2

  Args:
    critic_fn: `(batch, *features) -> (batch,)`.
    real: real samples, `(batch, *features)`.
    fake: generated samples, same shape (stop-gradient them if the generator
      should not receive the penalty's gradient).
    rng_key: key for the interpolation coefficients.
    weight: lambda (10 in the paper).
    target: the norm the gradient is pulled to (1 in the paper).
    method: `"vmap"`, `"batch_sum"` or `"forward_over_reverse"`.

  Returns:
    Scalar penalty.

  References:
    Gulrajani et al., Improved Training of Wasserstein GANs, 2017, Eq. 3.
    https://arxiv.org/abs/1704.00028
  """
  validation.check_non_negative(weight, "weight")
  points = interpolate(real, fake, rng_key)
  return weight * gradient_penalty(critic_fn, points, lambda g: _unit_distance(g, target), method=method)


def wgan_lp(critic_fn, real, fake, rng_key, *, weight: float = 10.0, method: str = DEFAULT_METHOD):
  r"""One-sided Lipschitz penalty at random interpolates.

  .. math:: \lambda\,\mathbb{E}_{\hat x}\,\mathrm{relu}(\|\nabla_x D(\hat x)\| - 1)^2

  Args:
    critic_fn: `(batch, *features) -> (batch,)`.
    real: real samples, `(batch, *features)`.
    fake: generated samples, same shape.
    rng_key: key for the interpolation coefficients.
    weight: lambda.
    method: see :func:`wgan_gp`.

  Returns:
    Scalar penalty.

  References:
    Petzka, Fischer & Lukovnikov, On the regularization of Wasserstein GANs,
    ICLR 2018, Eq. 8. https://arxiv.org/abs/1709.08894
  """
  validation.check_non_negative(weight, "weight")
  points = interpolate(real, fake, rng_key)
  return weight * gradient_penalty(
      critic_fn, points, lambda g: jax.nn.relu(safe_norms(g) - 1.0) ** 2, method=method
  )


def _zero_centered_at(critic_fn, points, name: str, gamma, method):
  validation.check_non_negative(gamma, "gamma")
  points = validation.check_batch(points, name)
  return 0.5 * gamma * gradient_penalty(critic_fn, points, squared_norms, method=method)


def r1(critic_fn, real, *, gamma: float = 10.0, method: str = DEFAULT_METHOD):
  r"""R1: zero-centred penalty on real data, :math:`\tfrac{\gamma}{2}\mathbb{E}_{x_r}\|\nabla_x D(x_r)\|^2`.

  Args:
    critic_fn: `(batch, *features) -> (batch,)`.
    real: real samples, `(batch, *features)`.
    gamma: the weight gamma.
    method: see :func:`wgan_gp`.

  Returns:
    Scalar penalty.

  References:
    Mescheder, Geiger & Nowozin, Which Training Methods for GANs do actually
    Converge?, ICML 2018, Eq. 9. https://arxiv.org/abs/1801.04406
  """
  return _zero_centered_at(critic_fn, real, "real", gamma, method)


def r2(critic_fn, fake, *, gamma: float = 10.0, method: str = DEFAULT_METHOD):
  r"""R2: :func:`r1` at generated data, :math:`\tfrac{\gamma}{2}\mathbb{E}_{x_f}\|\nabla_x D(x_f)\|^2` (Mescheder et al. 2018, Eq. 10).

  Args: as :func:`r1`, with `fake` (generated samples) in place of `real`.
  """
  return _zero_centered_at(critic_fn, fake, "fake", gamma, method)


def r1_r2(critic_fn, real, fake, *, gamma: float = 10.0, method: str = DEFAULT_METHOD):
  r"""R1 + R2: the zero-centred penalty at real and at generated data,
  :math:`\tfrac{\gamma}{2}(\mathbb{E}_{x_r}\|\nabla_x D(x_r)\|^2 + \mathbb{E}_{x_f}\|\nabla_x D(x_f)\|^2)`.

  The regulariser of R3GAN, paired there with the relativistic loss (:func:`jaxgan.losses.relativistic`): R1
  alone leaves the critic free to grow steep at the fake data; penalising both sides makes the regularised
  relativistic game locally convergent.

  Args:
    critic_fn: `(batch, *features) -> (batch,)`.
    real: real samples, `(batch, *features)`.
    fake: generated samples, the same shape.
    gamma: the weight gamma of each term.
    method: see :func:`wgan_gp`.

  Returns:
    Scalar penalty: :func:`r1` at `real` plus :func:`r2` at `fake`.

  References:
    Huang, Gokaslan, Kuleshov & Tompkin, The GAN is dead; long live the GAN! A Modern GAN Baseline,
    NeurIPS 2024, Section 2 (the regularised relativistic loss). https://arxiv.org/abs/2501.05441
  """
  real, fake = validation.check_batch_pair(real, fake)
  return r1(critic_fn, real, gamma=gamma, method=method) + r2(critic_fn, fake, gamma=gamma, method=method)


def zero_centered_gp(critic_fn, real, fake, rng_key, *, weight: float = 10.0, method: str = DEFAULT_METHOD):
  r"""Zero-centred penalty at random interpolates, :math:`\lambda\,\mathbb{E}_{\hat x}\|\nabla_x D(\hat x)\|^2`.

  Args:
    critic_fn: `(batch, *features) -> (batch,)`.
    real: real samples, `(batch, *features)`.
    fake: generated samples, same shape.
    rng_key: key for the interpolation coefficients.
    weight: lambda.
    method: see :func:`wgan_gp`.

  Returns:
    Scalar penalty.

  References:
    Thanh-Tung, Tran & Venkatesh, Improving Generalization and Stability of
    Generative Adversarial Networks, ICLR 2019, Eq. 10.
    https://arxiv.org/abs/1902.03984
  """
  validation.check_non_negative(weight, "weight")
  points = interpolate(real, fake, rng_key)
  return weight * gradient_penalty(critic_fn, points, squared_norms, method=method)


def dragan(critic_fn, real, rng_key, *, weight: float = 10.0, perturbation: float = 0.5, method: str = DEFAULT_METHOD):
  r"""DRAGAN: unit-norm penalty around perturbed real data.

  :math:`x_p = x_r + c\,\sigma(x_r)\,u`, :math:`u \sim U[0,1]` elementwise and
  :math:`\sigma` the batch standard deviation per feature; the penalty is
  :math:`\lambda\,\mathbb{E}(\|\nabla_x D(\hat x)\| - 1)^2` at
  :math:`\hat x = \alpha x_r + (1-\alpha) x_p`, one :math:`\alpha \sim U[0,1]` per sample.

  Args:
    critic_fn: `(batch, *features) -> (batch,)`.
    real: real samples, `(batch, *features)`.
    rng_key: key for the perturbation and the interpolation.
    weight: lambda (10 in the paper).
    perturbation: the scale `c` (0.5 in the authors' code).
    method: see :func:`wgan_gp`.

  Returns:
    Scalar penalty.

  References:
    Kodali, Abernethy, Hays & Kira, On Convergence and Stability of GANs,
    2017, Section 4. https://arxiv.org/abs/1705.07215
  """
  validation.check_non_negative(weight, "weight")
  validation.check_non_negative(perturbation, "perturbation")
  real = validation.check_batch(real, "real")
  noise_key, mix_key = jax.random.split(rng_key)
  noise = jax.random.uniform(noise_key, real.shape, dtype=real.dtype)
  perturbed = real + perturbation * jnp.std(real, axis=0, keepdims=True) * noise
  points = interpolate(real, perturbed, mix_key)
  return weight * gradient_penalty(critic_fn, points, lambda g: _unit_distance(g, 1.0), method=method)


WGAN_DIV_POINTS = ("interpolates", "real_and_fake")


def wgan_div(
    critic_fn,
    real,
    fake,
    rng_key,
    *,
    k: float = 2.0,
    p: float = 6.0,
    points: str = "interpolates",
    method: str = DEFAULT_METHOD,
):
  r"""WGAN-div penalty :math:`k\,\mathbb{E}\|\nabla_x D(x)\|^p`.

  With `points="interpolates"` (the paper's Algorithm 1) the expectation is
  over random interpolates; with `points="real_and_fake"` (the authors' code)
  it is :math:`\tfrac{k}{2}(\mathbb{E}\|\nabla D(x_r)\|^p + \mathbb{E}\|\nabla D(x_f)\|^p)`.

  Args:
    critic_fn: `(batch, *features) -> (batch,)`.
    real: real samples, `(batch, *features)`.
    fake: generated samples, same shape.
    rng_key: key for the interpolation coefficients (unused for `real_and_fake`).
    k: weight (2 in the paper).
    p: power (6 in the paper), > 0.
    points: `"interpolates"` or `"real_and_fake"`.
    method: see :func:`wgan_gp`.

  Returns:
    Scalar penalty.

  References:
    Wu et al., Wasserstein Divergence for GANs, ECCV 2018, Eq. 14 and
    Algorithm 1. https://arxiv.org/abs/1712.01026
  """
  validation.check_non_negative(k, "k")
  validation.check_positive(p, "p")
  validation.check_choice(points, "points", WGAN_DIV_POINTS)
  power = lambda g: squared_norms(g) ** (0.5 * p)  # noqa: E731  (no sqrt: finite gradient at 0)
  if points == "interpolates":
    return k * gradient_penalty(critic_fn, interpolate(real, fake, rng_key), power, method=method)
  real, fake = validation.check_batch_pair(real, fake)
  both = jnp.concatenate([real, fake], axis=0)
  return k * gradient_penalty(critic_fn, both, power, method=method)
