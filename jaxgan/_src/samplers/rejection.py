r"""Sample-space selection with a calibrated critic: MH-GAN and discriminator rejection sampling (DRS).

Both treat generator samples as proposals from :math:`p_g` and use the
critic's logit :math:`\ell(x) \approx \log p_{data}(x)/p_g(x)` (exact for the
optimal minimax discriminator; a trained one is first calibrated, Platt scaling)
to correct them toward :math:`p_{data}`. Neither needs a gradient.
"""

from __future__ import annotations

import functools

from typing import NamedTuple

import jax
import jax.numpy as jnp

from jaxgan._src import validation


class Calibration(NamedTuple):
  """Calibrated logit `scale * d + offset`."""

  scale: jax.Array
  offset: jax.Array

  def __call__(self, logits):
    return self.scale * logits + self.offset


def calibrate_logits(real_logits, fake_logits, *, iterations: int = 50) -> Calibration:
  r"""Platt scaling: logistic regression of "is real" on the critic logit, fitted by Newton's method.

  With equal numbers of held-out real and generated samples, the calibrated
  logit estimates :math:`\log p_{data}(x)/p_g(x)`.

  References:
    Platt, Probabilistic outputs for support vector machines, 1999; Turner,
    Hung, Frank, Saatci & Yosinski, Metropolis-Hastings GANs, ICML 2019, Section 3.3.
  """
  real_logits, fake_logits = validation.check_score_pair(real_logits, fake_logits, "real_logits", "fake_logits")
  iterations = validation.check_positive_int(iterations, "iterations")
  d = jnp.concatenate([real_logits, fake_logits]).astype(jnp.float32)
  y = jnp.concatenate([jnp.ones_like(real_logits), jnp.zeros_like(fake_logits)]).astype(jnp.float32)
  features = jnp.stack([d, jnp.ones_like(d)], axis=1)

  dot = functools.partial(jnp.matmul, precision=jax.lax.Precision.HIGHEST)  # not TF32: the gradient cancels

  def newton(theta, _):
    p = jax.nn.sigmoid(dot(features, theta))
    grad = dot(features.T, p - y)
    hessian = dot((features * (p * (1 - p))[:, None]).T, features) + 1e-6 * jnp.eye(2)
    return theta - jnp.linalg.solve(hessian, grad), None

  theta, _ = jax.lax.scan(newton, jnp.zeros(2), None, length=iterations)  # from p = 1/2: no overshoot
  return Calibration(theta[0], theta[1])


def drs_acceptance(logits, *, max_logit, gamma: float = 0.0, epsilon: float = 1e-6) -> jax.Array:
  r"""Discriminator rejection sampling's acceptance probability :math:`\sigma(F(x))`.

  .. math:: F(x) = \ell(x) - \ell_M - \log(1 - e^{\ell(x) - \ell_M - \epsilon}) - \gamma

  With `gamma = 0` and `epsilon -> 0` this is :math:`e^{\ell - \ell_M}`, exact
  rejection sampling when :math:`\ell_M` bounds the log density ratio;
  `gamma` shifts acceptance up (more samples, less exact).

  Args:
    logits: calibrated logits `(n,)`.
    max_logit: :math:`\ell_M`, the largest logit seen (on a burn-in set), updated by the caller.
    gamma: acceptance shift.
    epsilon: numerical margin.

  Returns:
    Acceptance probabilities `(n,)`.

  References:
    Azadi, Olsson, Darrell, Goodfellow & Odena, Discriminator Rejection
    Sampling, ICLR 2019, Eq. 8.
  """
  logits = validation.check_scores(logits, "logits")
  delta = jnp.minimum(logits - max_logit, 0.0)
  f = delta - jnp.log1p(-jnp.exp(delta - epsilon)) - gamma
  return jax.nn.sigmoid(f)


def independent_metropolis(rng_key, logits, *, initial_logit=None) -> tuple[jax.Array, jax.Array]:
  r"""MH-GAN: an independence Metropolis-Hastings chain over `K` generator samples.

  Proposals are the candidates in order; moving from `x` to `x'` is accepted
  with probability :math:`\min(1, e^{\ell(x') - \ell(x)})`, the ratio of
  :math:`p_{data}/p_g` estimated by the calibrated logit. The chain starts at
  candidate 0, or at a real sample with logit `initial_logit` (Turner et al.'s
  choice, which avoids burn-in; the returned index is then -1 if no candidate
  was ever accepted).

  Returns:
    `(index of the final state, acceptance rate)`.

  References:
    Turner et al., Metropolis-Hastings Generative Adversarial Networks, ICML 2019, Algorithm 1.
  """
  logits = validation.check_scores(logits, "logits")
  keys = jax.random.split(rng_key, logits.shape[0])
  start = (jnp.asarray(-1), jnp.asarray(initial_logit, logits.dtype)) if initial_logit is not None else (
      jnp.asarray(0), logits[0])
  first = 0 if initial_logit is not None else 1

  def body(carry, inputs):
    index, current = carry
    key, candidate, logit = inputs
    accept = jnp.log(jax.random.uniform(key)) < logit - current
    return (jnp.where(accept, candidate, index), jnp.where(accept, logit, current)), accept

  (index, _), accepted = jax.lax.scan(body, start, (keys[first:], jnp.arange(first, logits.shape[0]),
                                                    logits[first:]))
  return index, jnp.mean(accepted)
