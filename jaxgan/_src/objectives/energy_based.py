"""Energy-based objectives: the critic outputs an energy `U(x)` (low = real).

For EBGAN, MAGAN and BEGAN the energy is an autoencoder's per-sample
reconstruction error; for the energy-model objective (MEG) it is any scalar
network. All functions take energies of shape `(batch,)`.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from jaxgan._src import validation


def ebgan_critic(real_energy, fake_energy, *, margin: float):
  r"""EBGAN critic loss :math:`\mathbb{E}U(x_r) + \mathbb{E}\,\mathrm{relu}(m - U(x_f))`.

  Args:
    real_energy: energies of real samples, shape `(batch,)`.
    fake_energy: energies of generated samples, shape `(batch,)`.
    margin: the margin `m > 0`.

  Returns:
    Scalar loss.

  References:
    Zhao, Mathieu & LeCun, Energy-based Generative Adversarial Network, ICLR
    2017, Eq. 1. https://arxiv.org/abs/1609.03126
  """
  real_energy, fake_energy = validation.check_score_pair(real_energy, fake_energy, "real_energy", "fake_energy")
  validation.check_positive(margin, "margin")
  return jnp.mean(real_energy) + jnp.mean(jax.nn.relu(margin - fake_energy))


def energy_generator(fake_energy, *, entropy=0.0):
  r"""Generator loss of energy-based objectives :math:`\mathbb{E}U(G(z)) - H`.

  EBGAN/MAGAN/BEGAN use it with `entropy = 0`. In the energy-model view (MEG)
  the generator minimises `KL(q_G || exp(-U)/Z) = E U(G(z)) - H(q_G) + log Z`,
  and `entropy` is the caller's differentiable surrogate for `H(q_G)` (e.g. a
  mutual-information estimate I(X; Z)).

  Args:
    fake_energy: energies of generated samples, shape `(batch,)`.
    entropy: scalar entropy surrogate (differentiable in the generator's params).

  Returns:
    Scalar loss.

  References:
    Zhao et al. 2017, Eq. 2; Kumar et al., Maximum Entropy Generators for
    Energy-Based Models, 2019, Eq. 5. https://arxiv.org/abs/1901.08508
  """
  fake_energy = validation.check_scores(fake_energy, "fake_energy")
  return jnp.mean(fake_energy) - entropy


def pulling_away_term(embeddings):
  r"""EBGAN's pulling-away term: mean squared cosine similarity of distinct pairs.

  .. math:: f_{PT}(S) = \frac{1}{N(N-1)} \sum_i \sum_{j\ne i}
     \left(\frac{S_i^\top S_j}{\|S_i\|\|S_j\|}\right)^2

  Added (weighted, 0.1 in the paper) to the generator loss to push generated
  samples' embeddings apart.

  Args:
    embeddings: encoder embeddings of generated samples, shape `(batch, ...)`,
      batch >= 2.

  Returns:
    Scalar in [0, 1].

  References:
    Zhao et al., Energy-based Generative Adversarial Network, 2017, Eq. 7.
  """
  embeddings = validation.check_batch(embeddings, "embeddings")
  n = embeddings.shape[0]
  if n < 2:
    raise ValueError(f"`embeddings` needs at least 2 samples, got {n}.")
  flat = embeddings.reshape(n, -1)
  sq_norms = jnp.sum(flat**2, axis=-1, keepdims=True)
  unit = flat * jax.lax.rsqrt(jnp.maximum(sq_norms, jnp.finfo(flat.dtype).tiny))
  cosine = unit @ unit.T
  off_diagonal = jnp.sum(cosine**2) - jnp.sum(jnp.diagonal(cosine) ** 2)
  return off_diagonal / (n * (n - 1))


class MaganState(NamedTuple):
  """MAGAN's margin and the energy sums of the epoch in progress."""

  margin: jax.Array
  real_energy_sum: jax.Array
  fake_energy_sum: jax.Array
  previous_fake_energy_sum: jax.Array
  count: jax.Array


def magan_init(margin: float) -> MaganState:
  """Initial MAGAN state; `margin` is the mean real energy after AE pre-training."""
  validation.check_positive(margin, "margin")
  # One array per leaf: a train step donates its state, and a buffer shared by two leaves cannot be donated.
  return MaganState(jnp.asarray(margin, jnp.float32), jnp.zeros((), jnp.float32), jnp.zeros((), jnp.float32),
                    jnp.asarray(jnp.inf, jnp.float32), jnp.zeros((), jnp.int32))


def magan_update(state: MaganState, real_energy, fake_energy, *, epoch_steps: int) -> MaganState:
  r"""Accumulates one step's energies; at an epoch's end adapts the margin.

  At the end of epoch t, with :math:`\bar U_r` the mean real energy over the
  epoch and :math:`S_r, S_f` the summed real/fake energies, the margin becomes
  :math:`\bar U_r` if :math:`\bar U_r < m` and :math:`S_r < S_f^{(t-1)}`
  (the previous epoch's fake sum); otherwise it is kept. The margin never
  increases.

  Args:
    state: current :class:`MaganState`.
    real_energy: energies of this step's real samples, shape `(batch,)`.
    fake_energy: energies of this step's fake samples, shape `(batch,)`.
    epoch_steps: steps per epoch.

  Returns:
    The new state.

  References:
    Wang, Cully, Chang & Ethier, MAGAN: Margin Adaptation for Generative
    Adversarial Networks, 2017, Algorithm 1. https://arxiv.org/abs/1704.03817
  """
  real_energy, fake_energy = validation.check_score_pair(real_energy, fake_energy, "real_energy", "fake_energy")
  epoch_steps = validation.check_positive_int(epoch_steps, "epoch_steps")
  real_sum = state.real_energy_sum + jnp.sum(real_energy)
  fake_sum = state.fake_energy_sum + jnp.sum(fake_energy)
  count = state.count + 1
  mean_real = real_sum / (count * real_energy.shape[0])
  end = count >= epoch_steps
  shrink = end & (mean_real < state.margin) & (real_sum < state.previous_fake_energy_sum)
  zero = jnp.zeros_like(real_sum)
  return MaganState(
      margin=jnp.where(shrink, mean_real, state.margin),
      real_energy_sum=jnp.where(end, zero, real_sum),
      fake_energy_sum=jnp.where(end, zero, fake_sum),
      previous_fake_energy_sum=jnp.where(end, fake_sum, state.previous_fake_energy_sum),
      count=jnp.where(end, 0, count),
  )


def began_critic(real_loss, fake_loss, *, k):
  r"""BEGAN critic loss :math:`\mathbb{E}L(x_r) - k_t\,\mathbb{E}L(x_f)`.

  Args:
    real_loss: autoencoder reconstruction losses of real samples, `(batch,)`.
    fake_loss: autoencoder reconstruction losses of fakes, `(batch,)`.
    k: the control variable `k_t` in [0, 1] (explicit state, see :func:`began_update`).

  Returns:
    Scalar loss. The generator loss is :func:`energy_generator` (E L(x_f)).

  References:
    Berthelot, Schumm & Metz, BEGAN: Boundary Equilibrium Generative
    Adversarial Networks, 2017, Eq. 4. https://arxiv.org/abs/1703.10717
  """
  real_loss, fake_loss = validation.check_score_pair(real_loss, fake_loss, "real_loss", "fake_loss")
  return jnp.mean(real_loss) - jax.lax.stop_gradient(k) * jnp.mean(fake_loss)


class BeganUpdate(NamedTuple):
  k: jax.Array
  convergence: jax.Array


def began_update(k, real_loss, fake_loss, *, gamma: float = 0.5, lambda_k: float = 1e-3) -> BeganUpdate:
  r"""BEGAN's proportional control of `k_t` and its convergence measure.

  .. math::
    k_{t+1} = \mathrm{clip}(k_t + \lambda_k(\gamma L(x_r) - L(x_f)), 0, 1), \quad
    M = L(x_r) + |\gamma L(x_r) - L(x_f)|

  Args:
    k: current `k_t`.
    real_loss: reconstruction losses of real samples, `(batch,)`.
    fake_loss: reconstruction losses of fakes, `(batch,)`.
    gamma: diversity ratio in (0, 1].
    lambda_k: proportional gain.

  Returns:
    `BeganUpdate(k, convergence)`; both are stop-gradiented.

  References:
    Berthelot et al. 2017, Eqs. 4 and 5.
  """
  real_loss, fake_loss = validation.check_score_pair(real_loss, fake_loss, "real_loss", "fake_loss")
  validation.check_positive(gamma, "gamma")
  validation.check_non_negative(lambda_k, "lambda_k")
  real_mean = jax.lax.stop_gradient(jnp.mean(real_loss))
  fake_mean = jax.lax.stop_gradient(jnp.mean(fake_loss))
  balance = gamma * real_mean - fake_mean
  return BeganUpdate(jnp.clip(k + lambda_k * balance, 0.0, 1.0), real_mean + jnp.abs(balance))


def energy_critic(real_energy, fake_energy):
  r"""Energy-model critic loss :math:`\mathbb{E}U(x_r) - \mathbb{E}U(x_f)`.

  The positive minus negative phase of the log-likelihood gradient of
  `p(x) = exp(-U(x))/Z` with the generator's samples as the negative phase.
  Add the zero-centred penalty on reals (:func:`jaxgan.penalties.r1`) for
  the paper's `lambda E ||grad U(x_r)||^2`.

  Args:
    real_energy: energies of real samples, shape `(batch,)`.
    fake_energy: energies of generated samples, shape `(batch,)`.

  Returns:
    Scalar loss.

  References:
    Kumar, Ozair, Goyal, Courville & Bengio, Maximum Entropy Generators for
    Energy-Based Models, 2019, Eq. 3. https://arxiv.org/abs/1901.08508
  """
  real_energy, fake_energy = validation.check_score_pair(real_energy, fake_energy, "real_energy", "fake_energy")
  return jnp.mean(real_energy) - jnp.mean(fake_energy)
