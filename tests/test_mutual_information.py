"""Mutual-information estimates against closed forms on correlated Gaussians, and the MEG train step."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxgan as jg
from tests.test_train import data, make_gan

RHO = 0.5
TRUE_MI = -0.5 * np.log(1 - RHO**2)  # I(X; Z) of a bivariate Gaussian with correlation RHO


def log_ratio(x, z, rho=RHO):
  """log p(x, z) / (p(x) p(z)) for unit-variance Gaussians with correlation rho."""
  return -0.5 * np.log(1 - rho**2) - (rho**2 * x**2 - 2 * rho * x * z + rho**2 * z**2) / (2 * (1 - rho**2))


def correlated(key, n, rho=RHO):
  kz, ke = jax.random.split(key)
  z = jax.random.normal(kz, (n, 1))
  x = rho * z + np.sqrt(1 - rho**2) * jax.random.normal(ke, (n, 1))
  return x, z


class LogRatio(nn.Module):
  """The optimal statistics network T*(x, z) = log p(x,z)/(p(x)p(z)), no params."""

  @nn.compact
  def __call__(self, pairs):
    return log_ratio(pairs[:, 0], pairs[:, 1])


def gaussian_jsd(rho=RHO):
  """JSD(p(x,z) || p(x)p(z)) by quadrature on a grid."""
  grid = np.linspace(-9, 9, 1201)
  x, z = np.meshgrid(grid, grid)
  q = np.exp(-(x**2 + z**2) / 2) / (2 * np.pi)
  p = q * np.exp(log_ratio(x, z, rho))
  m = (p + q) / 2
  cell = (grid[1] - grid[0]) ** 2
  return 0.5 * np.sum(p * np.log(p / m)) * cell + 0.5 * np.sum(q * np.log(q / m)) * cell


def test_donsker_varadhan_is_tight_at_the_optimal_critic():
  x, z = correlated(jax.random.key(0), 400_000)
  _, z_independent = correlated(jax.random.key(1), 400_000)
  estimate = jg.losses.donsker_varadhan_mutual_information(log_ratio(x[:, 0], z[:, 0]),
                                                           log_ratio(x[:, 0], z_independent[:, 0]))
  np.testing.assert_allclose(float(estimate), TRUE_MI, atol=0.01)


def test_jsd_estimate_equals_twice_jsd_minus_log4_at_the_optimal_critic():
  x, z = correlated(jax.random.key(0), 400_000)
  _, z_independent = correlated(jax.random.key(1), 400_000)
  estimate = jg.losses.jsd_mutual_information(log_ratio(x[:, 0], z[:, 0]), log_ratio(x[:, 0], z_independent[:, 0]))
  np.testing.assert_allclose(float(estimate), 2 * gaussian_jsd() - np.log(4), atol=3e-3)


def test_encoder_bound_matches_closed_form_and_stays_below_the_true_mi():
  x, z = correlated(jax.random.key(0), 400_000)
  bound = float(jg.losses.encoder_mutual_information(z, RHO * x))  # E[z|x] = rho x, the best encoder
  np.testing.assert_allclose(bound, RHO**2 / 2, atol=5e-3)  # d/2 - (1 - rho^2)/2
  assert bound < TRUE_MI
  worse = float(jg.losses.encoder_mutual_information(z, 0.2 * x))
  assert worse < bound


@pytest.mark.parametrize("name", ["jsd", "donsker_varadhan"])
def test_statistics_estimator_pairs_each_x_with_its_own_and_an_independent_latent(name):
  x, z = correlated(jax.random.key(2), 200_000)
  estimator = jg.losses.entropy_estimator(name, LogRatio())
  params = estimator.init(jax.random.key(0), x[:1], z[:1])
  value = float(estimator.estimate(params, x, z))
  shuffled = jnp.roll(z, 1, axis=0)  # what the estimator uses as the product of marginals
  direct = getattr(jg.losses, f"{name}_mutual_information")(log_ratio(x[:, 0], z[:, 0]),
                                                           log_ratio(x[:, 0], shuffled[:, 0]))
  np.testing.assert_allclose(value, float(direct), rtol=1e-5)
  if name == "donsker_varadhan":
    np.testing.assert_allclose(value, TRUE_MI, atol=0.015)


def test_entropy_estimator_rejects_unknown_names_and_bad_shapes():
  with pytest.raises(ValueError, match="name"):
    jg.losses.entropy_estimator("infonce", LogRatio())
  with pytest.raises(ValueError, match="same shape|latent_dim"):
    jg.losses.encoder_mutual_information(jnp.zeros((4, 2)), jnp.zeros((4, 3)))
  with pytest.raises(ValueError, match="joint_scores"):
    jg.losses.jsd_mutual_information(jnp.zeros((4, 1)), jnp.zeros((4,)))


def meg_setup(weight, estimator_lr=1e-2, name="jsd"):
  """An energy GAN with a JSD entropy estimator (a third player) and the same GAN without one."""
  estimator = jg.losses.entropy_estimator(name, jg.models.MLPCritic(hidden=(16,)))
  gan = make_gan(objective="energy", penalty="r1", n_critic=2)
  meg = jg.train.GAN(generator=jg.models.MLPGenerator(hidden=(16, 16)), critic=jg.models.MLPCritic(hidden=(16, 16)),
                     objective="energy", penalty="r1", latent_dim=2, n_critic=2,
                     generator_optimizer=gan.generator_optimizer, critic_optimizer=gan.critic_optimizer,
                     ema_decay=gan.ema_decay, entropy_estimator=estimator, entropy_weight=weight,
                     estimator_optimizer=optax.sgd(estimator_lr))
  example = jnp.zeros((1, 2))
  return meg, meg.init(jax.random.key(0), example), gan, gan.init(jax.random.key(0), example)


def flat(tree):
  return jax.flatten_util.ravel_pytree(tree)[0]


def test_meg_step_with_zero_weight_moves_the_generator_like_the_plain_energy_step_and_still_trains_the_estimator():
  meg, state, gan, plain_state = meg_setup(weight=0.0)
  np.testing.assert_array_equal(flat(state.generator.params), flat(plain_state.generator.params))
  estimator_before = flat(state.estimator.params)
  batch = data()[0]
  state, metrics = meg.step(state, batch)
  plain_state, _ = gan.step(plain_state, batch)
  np.testing.assert_array_equal(flat(state.generator.params), flat(plain_state.generator.params))
  assert "entropy_estimate" in metrics
  # The estimator is a player with its own loss: it trains whatever the generator's weight on its estimate.
  assert not np.allclose(flat(state.estimator.params), estimator_before)


@pytest.mark.parametrize("weight", [0.0, 1.0])
def test_meg_estimator_raises_its_estimate_with_its_own_optimiser_whatever_the_weight(weight):
  meg, state, _, _ = meg_setup(weight=weight, estimator_lr=0.05)
  z = jax.random.normal(jax.random.key(9), (256, 2))
  fake = meg.generator_fn(state, ema=False)(z)
  before = float(meg.entropy_estimator.estimate(state.estimator.params, fake, z))
  new_state, metrics = meg.step(state, data()[0])
  after = float(meg.entropy_estimator.estimate(new_state.estimator.params, fake, z))
  assert after > before
  assert np.isfinite(float(metrics["entropy_estimate"]))


def test_meg_generator_subtracts_the_weighted_estimate():
  zero, zero_state, _, _ = meg_setup(weight=0.0)
  meg, state, _, _ = meg_setup(weight=1.0)
  batch = data()[0]
  zero_state, zero_metrics = zero.step(zero_state, batch)
  new_state, metrics = meg.step(state, batch)
  # Same critic updates, same fakes: the losses differ by exactly the weighted estimate ...
  np.testing.assert_allclose(float(zero_metrics["generator_loss"]) - float(metrics["generator_loss"]),
                             float(metrics["entropy_estimate"]), rtol=1e-4)
  np.testing.assert_allclose(float(zero_metrics["entropy_estimate"]), float(metrics["entropy_estimate"]), rtol=1e-6)
  # ... and the entropy term changes the generator's update.
  assert not np.allclose(flat(new_state.generator.params), flat(zero_state.generator.params))
