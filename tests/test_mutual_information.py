"""Mutual-information estimates against closed forms on correlated Gaussians, and the MEG train step."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxgan as jg
from tests.test_train import data, setup

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
  state, _, kwargs = setup(objective="energy", penalty="r1", n_critic=2)
  estimator = jg.losses.entropy_estimator(name, jg.models.MLPCritic(hidden=(16,)))
  est_params = estimator.init(jax.random.key(5), jnp.zeros((1, 2)), jnp.zeros((1, 2)))
  est_opt = optax.sgd(estimator_lr)
  state = state.replace(estimator_params=est_params, estimator_opt_state=est_opt.init(est_params))
  step = jg.train.make_train_step(**kwargs, entropy_estimator=estimator, entropy_weight=weight,
                                  estimator_optimizer=est_opt)
  return state, step, estimator, kwargs


def test_meg_step_with_zero_weight_moves_the_generator_like_the_plain_energy_step():
  state, step, _, kwargs = meg_setup(weight=0.0)
  plain_state, plain_step, _ = setup(objective="energy", penalty="r1", n_critic=2)
  batch = data()[0]
  state, metrics = step(state, batch)
  plain_state, _ = plain_step(plain_state, batch)
  np.testing.assert_array_equal(jax.flatten_util.ravel_pytree(state.generator_params)[0],
                                jax.flatten_util.ravel_pytree(plain_state.generator_params)[0])
  assert "entropy_estimate" in metrics


def test_meg_step_trains_the_estimator_to_raise_its_estimate_and_the_generator_sees_it():
  state, step, estimator, kwargs = meg_setup(weight=1.0, estimator_lr=0.05)
  zero_state, zero_step, _, _ = meg_setup(weight=0.0)  # the same initial state
  batch = data()[0]
  z = jax.random.normal(jax.random.key(9), (256, 2))
  fake = kwargs["generator_fn"](state.generator_params, z)
  before = float(estimator.estimate(state.estimator_params, fake, z))
  zero_state, _ = zero_step(zero_state, batch)
  new_state, metrics = step(state, batch)
  after = float(estimator.estimate(new_state.estimator_params, fake, z))
  assert after > before
  assert np.isfinite(float(metrics["entropy_estimate"]))
  # The entropy term changes the generator's update.
  assert not np.allclose(jax.flatten_util.ravel_pytree(new_state.generator_params)[0],
                         jax.flatten_util.ravel_pytree(zero_state.generator_params)[0])
