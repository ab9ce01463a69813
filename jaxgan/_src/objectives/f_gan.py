r"""The f-GAN family: variational lower bounds on f-divergences.

For a convex `f` with `f(1) = 0`, the divergence
:math:`D_f(P\|Q) = \int q(x) f(p(x)/q(x)) dx` is bounded below by

.. math::
  F(V) = \mathbb{E}_{x\sim P}\, g_f(V(x)) - \mathbb{E}_{x\sim Q}\, f^*(g_f(V(x)))

for any critic `V`, where `g_f` is an output activation mapping into the
domain of the Fenchel conjugate `f^*`. P is the data, Q the generator. The
critic maximises `F` (minimises `-F`); the generator minimises `F`
(saturating) or, as recommended by the paper, maximises
:math:`\mathbb{E}_Q g_f(V(x))`.

`f^*(g_f(v))` is written in closed, numerically stable form for each
divergence (e.g. `softplus(v)` for the GAN divergence instead of
`-log(1 - exp(-softplus(-v)))`).

References:
  Nowozin, Cseke & Tomioka, f-GAN: Training Generative Neural Samplers using
  Variational Divergence Minimization, NeurIPS 2016, Table 2 and Eq. 6.
  https://arxiv.org/abs/1606.00709
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp

from jaxgan._src import validation


class FDivergence(NamedTuple):
  """Output activation `g_f` and composed conjugate `f^*(g_f(v))` of one f-divergence."""

  activation: Callable[[jax.Array], jax.Array]
  conjugate_of_activation: Callable[[jax.Array], jax.Array]


_LOG2 = math.log(2.0)  # a Python float: importing jaxgan must not start a JAX backend (grain workers import it)

DIVERGENCES: dict[str, FDivergence] = {
    # f(u) = u log u; g(v) = v; f*(t) = exp(t - 1).
    "kl": FDivergence(lambda v: v, lambda v: jnp.exp(v - 1.0)),
    # f(u) = -log u; g(v) = -exp(-v); f*(t) = -1 - log(-t).
    "reverse_kl": FDivergence(lambda v: -jnp.exp(-v), lambda v: v - 1.0),
    # f(u) = (u - 1)^2; g(v) = v; f*(t) = t^2/4 + t.
    "pearson": FDivergence(lambda v: v, lambda v: 0.25 * v**2 + v),
    # f(u) = (1 - u)^2 / u; g(v) = 1 - exp(-v); f*(t) = 2 - 2 sqrt(1 - t).
    "neyman": FDivergence(lambda v: 1.0 - jnp.exp(-v), lambda v: 2.0 - 2.0 * jnp.exp(-0.5 * v)),
    # f(u) = (sqrt(u) - 1)^2; g(v) = 1 - exp(-v); f*(t) = t / (1 - t).
    "squared_hellinger": FDivergence(lambda v: 1.0 - jnp.exp(-v), lambda v: jnp.expm1(v)),
    # f(u) = -(u + 1) log((1 + u)/2) + u log u; g(v) = log 2 - log(1 + exp(-v));
    # f*(t) = -log(2 - exp(t)).
    "jensen_shannon": FDivergence(
        lambda v: _LOG2 - jax.nn.softplus(-v), lambda v: jax.nn.softplus(v) - _LOG2
    ),
    # f(u) = u log u - (u + 1) log(u + 1); g(v) = -log(1 + exp(-v)); f*(t) = -log(1 - exp(t)).
    "gan": FDivergence(lambda v: -jax.nn.softplus(-v), jax.nn.softplus),
    # f(u) = |u - 1| / 2; g(v) = tanh(v) / 2; f*(t) = t.
    "total_variation": FDivergence(lambda v: 0.5 * jnp.tanh(v), lambda v: 0.5 * jnp.tanh(v)),
}


def _divergence(name: str) -> FDivergence:
  return DIVERGENCES[validation.check_choice(name, "f-divergence", DIVERGENCES)]


def f_gan_bound(real_scores, fake_scores, *, divergence: str) -> jax.Array:
  r"""The variational lower bound :math:`F(V)` on :math:`D_f(P_{data}\|Q_G)`.

  Args:
    real_scores: raw critic outputs `V(x)` on data, shape `(batch,)`.
    fake_scores: raw critic outputs `V(x)` on generated samples, shape `(batch,)`.
    divergence: one of `DIVERGENCES` (kl, reverse_kl, pearson, neyman,
      squared_hellinger, jensen_shannon, gan, total_variation).

  Returns:
    Scalar estimate of `F(V)`, <= the divergence for every critic.
  """
  real_scores, fake_scores = validation.check_score_pair(real_scores, fake_scores)
  div = _divergence(divergence)
  return jnp.mean(div.activation(real_scores)) - jnp.mean(div.conjugate_of_activation(fake_scores))


def f_gan_critic(real_scores, fake_scores, *, divergence: str) -> jax.Array:
  r"""f-GAN critic loss :math:`-F(V)` (Nowozin et al. 2016, Eq. 6).

  Args:
    real_scores: raw critic outputs on data, shape `(batch,)`.
    fake_scores: raw critic outputs on generated samples, shape `(batch,)`.
    divergence: name of the f-divergence.

  Returns:
    Scalar loss.
  """
  return -f_gan_bound(real_scores, fake_scores, divergence=divergence)


def f_gan_generator(fake_scores, *, divergence: str, saturating: bool = False) -> jax.Array:
  r"""f-GAN generator loss.

  Non-saturating (default, Nowozin et al. 2016, Section 3.2):
  :math:`-\mathbb{E}_Q g_f(V(x))`. Saturating: :math:`-\mathbb{E}_Q f^*(g_f(V(x)))`,
  the part of `F` that depends on the generator.

  Args:
    fake_scores: raw critic outputs on generated samples, shape `(batch,)`.
    divergence: name of the f-divergence.
    saturating: use the saturating form.

  Returns:
    Scalar loss.
  """
  fake_scores = validation.check_scores(fake_scores, "fake_scores")
  div = _divergence(divergence)
  if saturating:
    return -jnp.mean(div.conjugate_of_activation(fake_scores))
  return -jnp.mean(div.activation(fake_scores))
