"""Samplers against known Gaussian moments, ULA's known bias, NaN handling and exact gradient counts."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxgan as jg

KEY = jax.random.key(0)


def gaussian_energy(mean, cov):
  precision = jnp.linalg.inv(cov)
  return lambda z: 0.5 * (z - mean) @ precision @ (z - mean)


@pytest.mark.parametrize("cov,num_steps", [(np.eye(2), 400), (np.array([[1.0, 0.9], [0.9, 1.0]]), 400),
                                           (np.diag([1.0, 0.01]), 2000)],  # slow direction needs longer chains
                         ids=["isotropic", "correlated", "ill_conditioned"])
def test_mala_matches_gaussian_moments(cov, num_steps):
  mean = np.array([1.0, -2.0])
  kernel = jg.samplers.mala(gaussian_energy(jnp.asarray(mean), jnp.asarray(cov)), step_size=0.05)
  chains = 512
  result = jg.samplers.run_chains(kernel, KEY, jnp.zeros((chains, 2)), num_steps=num_steps, thin=num_steps // 40, num_warmup=300)
  final = np.asarray(result.final_state.position)
  # Independent chains: Monte-Carlo standard error of the mean is sqrt(var / chains).
  se = np.sqrt(np.diag(cov) / chains)
  assert np.all(np.abs(final.mean(0) - mean) < 4.5 * se)
  # Covariance within 4.5 Monte-Carlo standard errors: se(S_ij) = sqrt((S_ii S_jj + S_ij^2) / chains).
  cov_se = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov**2) / chains)
  assert np.all(np.abs(np.cov(final.T) - cov) < 4.5 * cov_se)
  assert 0.4 < result.diagnostics["mean_acceptance"] < 0.75  # adapted toward 0.574
  assert np.all(result.diagnostics["split_rhat"] < 1.1)


def test_ula_shows_its_step_size_bias_and_mala_does_not():
  energy = lambda z: 0.5 * jnp.sum(z**2)
  eps, chains = 1.0, 2000
  z0 = jax.random.normal(KEY, (chains, 1))
  ula = jg.samplers.run_chains(jg.samplers.langevin(energy, eps), KEY, z0, num_steps=100)
  mala = jg.samplers.run_chains(jg.samplers.mala(energy, eps), KEY, z0, num_steps=100)
  ula_var = float(np.var(np.asarray(ula.final_state.position)))
  mala_var = float(np.var(np.asarray(mala.final_state.position)))
  assert ula_var == pytest.approx(1.0 / (1.0 - eps / 4.0), rel=0.1)  # 4/3: the known ULA bias
  assert mala_var == pytest.approx(1.0, rel=0.1)


def test_zero_energy_tiny_steps_always_accept():
  kernel = jg.samplers.mala(lambda z: 0.0 * jnp.sum(z), step_size=1e-6)
  result = jg.samplers.run_chains(kernel, KEY, jnp.zeros((8, 3)), num_steps=20)
  np.testing.assert_allclose(result.trace.acceptance_rate, 1.0, atol=1e-6)


def test_nan_energy_is_never_accepted():
  # Energy undefined (NaN) for z[0] > 0.5: MALA must reject every such proposal and report it.
  energy = lambda z: jnp.where(z[0] > 0.5, jnp.nan, 0.5 * jnp.sum(z**2))
  result = jg.samplers.run_chains(jg.samplers.mala(energy, 0.5), KEY, jnp.zeros((64, 2)) - 1.0, num_steps=50)
  assert np.all(np.asarray(result.trace.position)[..., 0] <= 0.5)
  assert np.all(np.isfinite(np.asarray(result.trace.energy)))
  assert result.diagnostics["nonfinite_draws"] > 0


def test_one_energy_evaluation_per_mala_step():
  calls = []

  def energy(z):
    jax.debug.callback(lambda: calls.append(1))
    return 0.5 * jnp.sum(z**2)

  kernel = jg.samplers.mala(energy, 0.1)
  state = kernel.init(jnp.zeros(2))
  steps = 25

  @jax.jit
  def run(state):
    return jax.lax.scan(lambda s, k: kernel.step(k, s), state, jax.random.split(KEY, steps))

  jax.block_until_ready(run(state))
  jax.effects_barrier()
  assert len(calls) == 1 + steps  # init + one value_and_grad per step


def test_kernels_work_on_pytree_positions():
  energy = lambda p: 0.5 * (jnp.sum(p["a"] ** 2) + jnp.sum(p["b"] ** 2))
  positions = {"a": jnp.zeros((256, 2)), "b": jnp.zeros((256, 1, 3))}
  result = jg.samplers.run_chains(jg.samplers.mala(energy, 0.5), KEY, positions, num_steps=100, thin=5)
  assert result.trace.position["b"].shape == (256, 20, 1, 3)
  assert np.var(np.asarray(result.final_state.position["b"])) == pytest.approx(1.0, rel=0.15)
  assert result.diagnostics["ess"].shape == (5,)


def test_sharded_chains_match_single_device():
  energy = lambda z: 0.5 * jnp.sum(z**2)
  z0 = jax.random.normal(KEY, (8, 2))
  single = jg.samplers.run_chains(jg.samplers.mala(energy, 0.3), KEY, z0, num_steps=10)
  mesh = jax.sharding.Mesh(np.asarray(jax.devices()), ("chains",))
  sharded = jg.samplers.run_chains(jg.samplers.mala(energy, 0.3), KEY, z0, num_steps=10, mesh=mesh)
  np.testing.assert_allclose(sharded.final_state.position, single.final_state.position, rtol=1e-5, atol=1e-6)
  assert len(sharded.final_state.position.sharding.device_set) == jax.device_count()


def test_diagnostics_on_known_processes():
  rng = np.random.default_rng(0)
  iid = rng.normal(size=(4, 1000, 1))
  assert jg.samplers.effective_sample_size(iid)[0] == pytest.approx(4000, rel=0.15)
  assert jg.samplers.split_rhat(iid)[0] == pytest.approx(1.0, abs=0.01)
  rho = 0.9
  ar = np.zeros((4, 4000, 1))
  for t in range(1, 4000):
    ar[:, t] = rho * ar[:, t - 1] + np.sqrt(1 - rho**2) * rng.normal(size=(4, 1))
  assert jg.samplers.effective_sample_size(ar)[0] == pytest.approx(16000 * (1 - rho) / (1 + rho), rel=0.3)
  shifted = iid + np.arange(4)[:, None, None]
  assert jg.samplers.split_rhat(shifted)[0] > 1.5


def test_latent_energy_and_baselines():
  generator = lambda z: 2.0 * z
  critic = lambda x: -jnp.sum(x**2, axis=-1)  # logit critic: high = real
  energy = jg.samplers.latent_energy(generator, critic)
  z = jnp.array([1.0, 2.0])
  np.testing.assert_allclose(energy(z), 4.0 * 5.0 + 0.5 * 5.0)
  energy_critic = jg.samplers.latent_energy(generator, lambda x: jnp.sum(x**2, axis=-1), critic_is_energy=True)
  np.testing.assert_allclose(energy_critic(z), energy(z))
  trunc = jg.samplers.truncated_normal_latents(KEY, 1000, 3, threshold=0.5)
  assert trunc.shape == (1000, 3) and float(jnp.max(jnp.abs(trunc))) <= 0.5
  hubs = jg.samplers.hubness_latents(KEY, 50, 2, pool_size=1000, k=10)
  pool_norm = float(jnp.mean(jnp.linalg.norm(jax.random.normal(KEY, (1000, 2)), axis=-1)))
  assert hubs.shape == (50, 2) and float(jnp.mean(jnp.linalg.norm(hubs, axis=-1))) < pool_norm  # hubs are central
  occ = jg.samplers.k_occurrence(jnp.array([[0.0], [1.0], [2.0], [10.0]]), 1)
  np.testing.assert_array_equal(occ, [1, 2, 1, 0])


def test_k_occurrence_matches_float64_neighbours_of_close_points():
  # Points far from the origin: |a|^2 + |b|^2 - 2ab cancels. Geometric spacing on a line keeps every 5th/6th
  # neighbour margin >= 5e-4, ~17x float32's rounding of these sums but ~1/80 of a TF32 product's (GPU default).
  t = 0.05 * 1.15 ** np.arange(30)
  points = np.array([5.0, 5.0]) + t[:, None] * np.array([0.6, 0.8])
  d = np.sum((points[:, None] - points[None]) ** 2, axis=-1)
  np.fill_diagonal(d, np.inf)
  sorted_d = np.sort(d, axis=1)
  assert np.min(sorted_d[:, 5] - sorted_d[:, 4]) > 5e-4
  expected = np.bincount(np.argsort(d, axis=1)[:, :5].ravel(), minlength=30)
  occurrence = jax.jit(jg.samplers.k_occurrence, static_argnums=1)(jnp.asarray(points, jnp.float32), 5)
  np.testing.assert_array_equal(occurrence, expected)


def test_bad_arguments():
  energy = lambda z: jnp.sum(z**2)
  with pytest.raises(ValueError, match="step_size"):
    jg.samplers.mala(energy, 0.0)
  with pytest.raises(ValueError, match="step_size"):
    jg.samplers.langevin(energy, -1.0)
  with pytest.raises(ValueError, match="leading chain axis"):
    jg.samplers.run_chains(jg.samplers.mala(energy, 0.1), KEY, {"a": jnp.zeros((4, 2)), "b": jnp.zeros((3, 2))}, 10)
  with pytest.raises(ValueError, match="multiple of `thin`"):
    jg.samplers.run_chains(jg.samplers.mala(energy, 0.1), KEY, jnp.zeros((4, 2)), 10, thin=3)
  with pytest.raises(ValueError, match="Metropolis"):
    jg.samplers.run_chains(jg.samplers.langevin(energy, 0.1), KEY, jnp.zeros((4, 2)), 10, num_warmup=5)
  with pytest.raises(ValueError, match="scalar"):
    jg.samplers.mala(lambda z: z, 0.1).init(jnp.zeros(2))
  with pytest.raises(ValueError, match="smaller than"):
    jg.samplers.k_occurrence(jnp.zeros((3, 2)), 3)
