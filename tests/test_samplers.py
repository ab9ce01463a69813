"""Samplers against known Gaussian moments, ULA's known bias and NaN handling; single steps against NumPy steps."""

import functools

import chex
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
  # Every chain starts at z = 3, three standard deviations off the N(0, 1) target: a MALA that rejected every
  # proposal would stay there, one that accepted every proposal would be ULA and show ULA's variance.
  energy = lambda z: 0.5 * jnp.sum(z**2)
  eps, chains, steps = 1.0, 4000, 100  # ULA contracts by 1 - eps/2 per step: 3 * 0.5^100 of the start is left
  z0 = jnp.full((chains, 1), 3.0)
  ula = jg.samplers.run_chains(jg.samplers.langevin(energy, eps), KEY, z0, num_steps=steps, thin=steps)
  mala = jg.samplers.run_chains(jg.samplers.mala(energy, eps), KEY, z0, num_steps=steps, thin=steps)
  ula_final = np.asarray(ula.final_state.position)[:, 0]
  mala_final = np.asarray(mala.final_state.position)[:, 0]
  # Independent chains: se(mean) = sqrt(var / chains), se(var) = var sqrt(2 / chains) for a Gaussian.
  ula_target = 1.0 / (1.0 - eps / 4.0)  # 4/3: the known ULA bias
  assert abs(ula_final.mean()) < 4.5 * np.sqrt(ula_target / chains), ula_final.mean()
  assert abs(ula_final.var() - ula_target) < 4.5 * ula_target * np.sqrt(2.0 / chains), ula_final.var()
  assert abs(mala_final.mean()) < 4.5 * np.sqrt(1.0 / chains), mala_final.mean()
  assert abs(mala_final.var() - 1.0) < 4.5 * np.sqrt(2.0 / chains), mala_final.var()
  assert 0.5 < mala.diagnostics["mean_acceptance"] < 0.99, mala.diagnostics["mean_acceptance"]


# One kernel step against a NumPy step from the same noise, eager and under jit (chex variants). The noise is drawn
# with the kernels' key schedule: MALA splits its key into (proposal, accept) and the proposal key once per leaf.
PRECISION = np.array([[2.0, 0.6, 0.0], [0.6, 1.0, 0.3], [0.0, 0.3, 0.5]])
CENTRE = np.array([0.5, -1.0, 2.0])


def gaussian_energy_and_grad(z):
  """NumPy float64 energy 0.5 (z - c)' P (z - c) and its gradient P (z - c)."""
  d = np.asarray(z, np.float64) - CENTRE
  return 0.5 * d @ PRECISION @ d, PRECISION @ d


def jax_gaussian_energy(z):
  d = z - jnp.asarray(CENTRE, jnp.float32)
  return 0.5 * d @ jnp.asarray(PRECISION, jnp.float32) @ d


@functools.partial(jax.jit, static_argnames="shape")
def mala_draws(rng_keys, shape):
  """The standard-normal proposal noises `(*keys.shape, *shape)` and accept uniforms of MALA steps with these keys."""

  def draws(key):
    proposal_key, accept_key = jax.random.split(key)
    return jax.random.normal(jax.random.split(proposal_key, 1)[0], shape), jax.random.uniform(accept_key)

  noise, uniform = jax.vmap(draws)(rng_keys.reshape(-1))
  return noise.reshape(*rng_keys.shape, *shape), uniform.reshape(rng_keys.shape)


@functools.partial(jax.jit, static_argnames="shape")
def langevin_draws(rng_keys, shape):
  """The standard-normal proposal noises of ULA steps: the whole key is the proposal key."""
  return jax.vmap(lambda key: jax.random.normal(jax.random.split(key, 1)[0], shape))(rng_keys)


def float64(*arrays):
  return [np.asarray(a, np.float64) for a in arrays]


def numpy_mala_step(position, noise, uniform, eps, energy_and_grad):
  """One MALA step in float64: returns ((position, energy, grad), acceptance probability, accepted)."""
  energy, grad = energy_and_grad(position)
  proposal = position - 0.5 * eps * grad + np.sqrt(eps) * noise
  proposal_energy, proposal_grad = energy_and_grad(proposal)
  log_q_forward = -np.sum((proposal - position + 0.5 * eps * grad) ** 2) / (2 * eps)  # log q(proposal | position)
  log_q_backward = -np.sum((position - proposal + 0.5 * eps * proposal_grad) ** 2) / (2 * eps)
  log_ratio = energy - proposal_energy + log_q_backward - log_q_forward
  accepted = np.log(uniform) < log_ratio
  new = (proposal, proposal_energy, proposal_grad) if accepted else (position, energy, grad)
  return new, min(1.0, np.exp(log_ratio)), accepted


def assert_states_close(state, expected_states):
  for name, got, want in zip(("position", "energy", "energy_grad"), state, zip(*expected_states)):
    np.testing.assert_allclose(np.asarray(got), np.array(want), rtol=1e-5, atol=1e-5, err_msg=name)


def start_positions(cases):
  return CENTRE + 1.5 * np.random.default_rng(0).normal(size=(cases, 3))


def init_states(kernel, positions):
  return jax.vmap(kernel.init)(jnp.asarray(positions, jnp.float32))


class KernelStepTest(chex.TestCase):
  """A step's new state and Info equal a NumPy step from the same noise, with and without jit."""

  cases = 32

  @chex.variants(with_jit=True, without_jit=True)
  def test_mala_step_equals_a_numpy_mala_step(self):
    eps = 0.8  # large enough that some of the 32 proposals are rejected
    kernel = jg.samplers.mala(jax_gaussian_energy, eps)
    positions, keys = start_positions(self.cases), jax.random.split(KEY, self.cases)
    state, info = self.variant(jax.vmap(kernel.step))(keys, init_states(kernel, positions))
    expected = [numpy_mala_step(z, noise, u, eps, gaussian_energy_and_grad)
                for z, noise, u in zip(positions, *float64(*mala_draws(keys, (3,))))]
    states, rates, accepted = zip(*expected)
    assert 0 < sum(accepted) < self.cases, accepted  # both branches of the accept/reject are checked
    assert_states_close(state, states)
    np.testing.assert_allclose(info.acceptance_rate, rates, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(info.is_accepted, accepted)
    assert np.all(np.asarray(info.is_finite)) and np.all(np.asarray(info.num_grads) == 1)

  @chex.variants(with_jit=True, without_jit=True)
  def test_langevin_step_equals_a_numpy_langevin_step(self):
    eps = 0.8
    kernel = jg.samplers.langevin(jax_gaussian_energy, eps)
    positions, keys = start_positions(self.cases), jax.random.split(KEY, self.cases)
    state, info = self.variant(jax.vmap(kernel.step))(keys, init_states(kernel, positions))
    expected = []
    for z, noise in zip(positions, *float64(langevin_draws(keys, (3,)))):
      proposal = z - 0.5 * eps * gaussian_energy_and_grad(z)[1] + np.sqrt(eps) * noise
      expected.append((proposal, *gaussian_energy_and_grad(proposal)))
    assert_states_close(state, expected)
    np.testing.assert_array_equal(info.acceptance_rate, 1.0)
    assert np.all(np.asarray(info.is_accepted)) and np.all(np.asarray(info.is_finite))


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
