"""Barker, i-SIR and Ex2MCMC against known moments of Gaussian, banana-shaped and bimodal targets."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxgan as jg

KEY = jax.random.key(0)
CHAINS = 512
A, B = 1.0, 0.5  # banana: x1 ~ N(0, A^2), x2 = y + B (x1^2 - A^2), y ~ N(0, 1)
BANANA_MEAN = np.array([0.0, 0.0])
BANANA_VAR = np.array([A**2, 1.0 + 2.0 * B**2 * A**4])


def banana_energy(x):
  return 0.5 * x[0] ** 2 / A**2 + 0.5 * (x[1] - B * (x[0] ** 2 - A**2)) ** 2


def correlated_energy(x):
  cov = jnp.array([[1.0, 0.8], [0.8, 1.0]])
  return 0.5 * x @ jnp.linalg.inv(cov) @ x


def check_moments(samples, mean, var):
  se = np.sqrt(var / samples.shape[0])
  assert np.all(np.abs(samples.mean(0) - mean) < 4.5 * se), (samples.mean(0), mean)
  # Variance of a sample variance ~ 2 var^2 / n for near-Gaussian margins; the banana's x2 is heavier-tailed.
  assert np.all(np.abs(samples.var(0) - var) < 6.0 * var * np.sqrt(2.0 / samples.shape[0]) + 0.05), (
      samples.var(0), var)


@pytest.mark.parametrize("target", ["correlated", "banana"])
def test_barker_matches_target_moments(target):
  energy = correlated_energy if target == "correlated" else banana_energy
  kernel = jg.samplers.barker(energy, step_size=0.3)
  result = jg.samplers.run_chains(kernel, KEY, jnp.zeros((CHAINS, 2)), num_steps=600, thin=600, num_warmup=300,
                                  target_acceptance=0.4)
  samples = np.asarray(result.final_state.position)
  if target == "correlated":
    check_moments(samples, np.zeros(2), np.ones(2))
    np.testing.assert_allclose(np.corrcoef(samples.T)[0, 1], 0.8, atol=0.05)
  else:
    check_moments(samples, BANANA_MEAN, BANANA_VAR)
  assert 0.3 < result.diagnostics["mean_acceptance"] < 0.5


def test_barker_proposal_prefers_the_downhill_direction():
  energy = lambda z: 5.0 * z[0]  # noqa: E731 - gradient +5: downhill is negative
  kernel = jg.samplers.barker(energy, step_size=0.5)
  state = kernel.init(jnp.zeros(1))
  moves = jax.vmap(lambda k: jg.samplers.barker_proposal(k, state, 0.5))(jax.random.split(KEY, 4000))
  # P(move < 0) = E[sigmoid(5 |w|)] with w ~ N(0, 0.5): well above 1/2.
  w = np.abs(np.random.default_rng(0).normal(0, np.sqrt(0.5), 200_000))
  expected = np.mean(1 / (1 + np.exp(-5 * w)))
  np.testing.assert_allclose(np.mean(np.asarray(moves) < 0), expected, atol=0.03)


@pytest.mark.parametrize("target", ["correlated", "banana"])
def test_ex2mcmc_matches_target_moments(target):
  energy = correlated_energy if target == "correlated" else banana_energy
  kernel = jg.samplers.ex2mcmc(energy, step_size=0.1, num_particles=8, proposal_scale=2.0)
  result = jg.samplers.run_chains(kernel, KEY, jnp.zeros((CHAINS, 2)), num_steps=200, thin=200, num_warmup=100)
  samples = np.asarray(result.final_state.position)
  if target == "correlated":
    check_moments(samples, np.zeros(2), np.ones(2))
  else:
    check_moments(samples, BANANA_MEAN, BANANA_VAR)


def bimodal_energy(x):
  """Equal mixture of N(-3, 0.5^2) and N(3, 0.5^2) in 1-D."""
  return -jnp.logaddexp(-0.5 * ((x[0] + 3) / 0.5) ** 2, -0.5 * ((x[0] - 3) / 0.5) ** 2)


def test_isir_jumps_between_modes_where_mala_cannot():
  start = jnp.full((CHAINS, 1), -3.0)  # every chain in the left mode
  global_moves = jg.samplers.run_chains(jg.samplers.isir(bimodal_energy, 16, proposal_scale=4.0), KEY, start,
                                        num_steps=50, thin=50)
  local = jg.samplers.run_chains(jg.samplers.mala(bimodal_energy, 0.1), KEY, start, num_steps=50, thin=50)
  right = lambda r: float(np.mean(np.asarray(r.final_state.position)[:, 0] > 0))  # noqa: E731
  assert abs(right(global_moves) - 0.5) < 4.5 * np.sqrt(0.25 / CHAINS)
  assert right(local) == 0.0
  # i-SIR keeps the state's energy and gradient consistent with its position.
  state = global_moves.final_state
  np.testing.assert_allclose(np.asarray(state.energy), np.asarray(jax.vmap(bimodal_energy)(state.position)),
                             rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(np.asarray(state.energy_grad),
                             np.asarray(jax.vmap(jax.grad(bimodal_energy))(state.position)), rtol=1e-4, atol=1e-5)


def test_isir_never_moves_to_a_nan_particle():
  energy = lambda x: jnp.where(x[0] > 0, jnp.nan, 0.5 * x[0] ** 2)  # noqa: E731
  result = jg.samplers.run_chains(jg.samplers.isir(energy, 8), KEY, jnp.full((64, 1), -1.0), num_steps=20, thin=1)
  assert np.all(np.asarray(result.trace.position) <= 0)


def test_bad_menu_arguments():
  with pytest.raises(ValueError, match="step_size"):
    jg.samplers.barker(banana_energy, 0.0)
  with pytest.raises(ValueError, match="num_particles"):
    jg.samplers.isir(banana_energy, 1)
  with pytest.raises(ValueError, match="proposal_scale"):
    jg.samplers.isir(banana_energy, 4, proposal_scale=-1.0)
  with pytest.raises(ValueError, match="mala_steps"):
    jg.samplers.ex2mcmc(banana_energy, 0.1, 4, mala_steps=0)
