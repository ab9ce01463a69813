"""Samplers against known Gaussian moments, ULA's known bias and NaN handling; single steps against NumPy steps;
the chain runner compiles once."""

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


def run(algorithm, rng_key, initial, num_steps, **kwargs):
  """`run_chains` as the docs use it: jitted once, then called."""
  return jax.jit(functools.partial(jg.samplers.run_chains, algorithm, num_steps=num_steps, **kwargs))(rng_key,
                                                                                                       initial)


def adapted_run(build, rng_key, initial, num_warmup, num_steps, *, thin, **adaptation):
  """Warm-up adaptation, then sampling with the tuned per-chain step sizes, in one jitted program."""
  warmup = jg.samplers.step_size_adaptation(build, **adaptation)

  @jax.jit
  def warmup_then_sample(rng_key, initial):
    warm_key, run_key = jax.random.split(rng_key)
    state, parameters = warmup.run(warm_key, initial, num_warmup)
    return jg.samplers.run_chains(build, run_key, state, num_steps, thin=thin, parameters=parameters), parameters

  return warmup_then_sample(rng_key, initial)


@pytest.mark.parametrize("cov,num_steps", [(np.eye(2), 400), (np.array([[1.0, 0.9], [0.9, 1.0]]), 400),
                                           (np.diag([1.0, 0.01]), 2000)],  # slow direction needs longer chains
                         ids=["isotropic", "correlated", "ill_conditioned"])
def test_mala_matches_gaussian_moments(cov, num_steps):
  mean = np.array([1.0, -2.0])  # chains start at 0, 2.2 standard deviations away
  build = functools.partial(jg.samplers.mala, gaussian_energy(jnp.asarray(mean), jnp.asarray(cov)))
  chains = 512
  (final_state, trace), _ = adapted_run(build, KEY, jnp.zeros((chains, 2)), 200, num_steps,
                                        thin=num_steps // 40, initial_step_size=0.05)
  final = np.asarray(final_state.position)
  # Independent chains: Monte-Carlo standard error of the mean is sqrt(var / chains).
  se = np.sqrt(np.diag(cov) / chains)
  assert np.all(np.abs(final.mean(0) - mean) < 4.5 * se)
  # Covariance within 4.5 Monte-Carlo standard errors: se(S_ij) = sqrt((S_ii S_jj + S_ij^2) / chains).
  cov_se = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov**2) / chains)
  assert np.all(np.abs(np.cov(final.T) - cov) < 4.5 * cov_se)
  summary = jg.samplers.summarize(trace)
  assert 0.4 < summary["mean_acceptance"] < 0.75  # adapted toward 0.574
  assert np.all(summary["split_rhat"] < 1.1)


def test_ula_shows_its_step_size_bias_and_mala_does_not():
  # Every chain starts at z = 3, three standard deviations off the N(0, 1) target: a MALA that rejected every
  # proposal would stay there, one that accepted every proposal would be ULA and show ULA's variance.
  energy = lambda z: 0.5 * jnp.sum(z**2)  # noqa: E731
  eps, chains, steps = 1.0, 4000, 100  # ULA contracts by 1 - eps/2 per step: 3 * 0.5^100 of the start is left
  z0 = jnp.full((chains, 1), 3.0)
  ula_final, _ = run(jg.samplers.langevin(energy, eps), KEY, z0, steps, thin=steps)
  mala_final, mala_trace = run(jg.samplers.mala(energy, eps), KEY, z0, steps, thin=steps)
  ula_final, mala_final = np.asarray(ula_final.position)[:, 0], np.asarray(mala_final.position)[:, 0]
  # Independent chains: se(mean) = sqrt(var / chains), se(var) = var sqrt(2 / chains) for a Gaussian.
  ula_target = 1.0 / (1.0 - eps / 4.0)  # 4/3: the known ULA bias
  assert abs(ula_final.mean()) < 4.5 * np.sqrt(ula_target / chains), ula_final.mean()
  assert abs(ula_final.var() - ula_target) < 4.5 * ula_target * np.sqrt(2.0 / chains), ula_final.var()
  assert abs(mala_final.mean()) < 4.5 * np.sqrt(1.0 / chains), mala_final.mean()
  assert abs(mala_final.var() - 1.0) < 4.5 * np.sqrt(2.0 / chains), mala_final.var()
  assert 0.5 < jg.samplers.summarize(mala_trace)["mean_acceptance"] < 0.99


# One kernel step against a NumPy step from the same noise, eager and under jit (chex variants). The noise is drawn
# with the kernels' key schedule: MALA splits its key into (move, accept); the move's key draws the noise directly.
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
    move_key, accept_key = jax.random.split(key)
    return jax.random.normal(move_key, shape), jax.random.uniform(accept_key)

  noise, uniform = jax.vmap(draws)(rng_keys.reshape(-1))
  return noise.reshape(*rng_keys.shape, *shape), uniform.reshape(rng_keys.shape)


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
  rate = min(1.0, np.exp(log_ratio))
  accepted = uniform < rate
  new = (proposal, proposal_energy, proposal_grad) if accepted else (position, energy, grad)
  return new, rate, accepted


def assert_states_close(state, expected_states):
  for name, got, want in zip(("position", "energy", "energy_grad"), state, zip(*expected_states)):
    np.testing.assert_allclose(np.asarray(got), np.array(want), rtol=1e-5, atol=1e-5, err_msg=name)


def start_positions(cases):
  return CENTRE + 1.5 * np.random.default_rng(0).normal(size=(cases, 3))


def init_states(algorithm, positions):
  return jax.vmap(algorithm.init)(jnp.asarray(positions, jnp.float32))


class KernelStepTest(chex.TestCase):
  """A step's new state and Info equal a NumPy step from the same noise, with and without jit."""

  cases = 32

  @chex.variants(with_jit=True, without_jit=True)
  def test_mala_step_equals_a_numpy_mala_step(self):
    eps = 1.2  # large enough that some of the 32 proposals are rejected (6)
    algorithm = jg.samplers.mala(jax_gaussian_energy, eps)
    positions, keys = start_positions(self.cases), jax.random.split(KEY, self.cases)
    state, info = self.variant(jax.vmap(algorithm.step))(keys, init_states(algorithm, positions))
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
    algorithm = jg.samplers.langevin(jax_gaussian_energy, eps)
    positions, keys = start_positions(self.cases), jax.random.split(KEY, self.cases)
    state, info = self.variant(jax.vmap(algorithm.step))(keys, init_states(algorithm, positions))
    noises = jax.vmap(lambda key: jax.random.normal(key, (3,)))(keys)  # ULA: the whole key is the move's
    expected = []
    for z, noise in zip(positions, *float64(noises)):
      proposal = z - 0.5 * eps * gaussian_energy_and_grad(z)[1] + np.sqrt(eps) * noise
      expected.append((proposal, *gaussian_energy_and_grad(proposal)))
    assert_states_close(state, expected)
    np.testing.assert_array_equal(info.acceptance_rate, 1.0)
    assert np.all(np.asarray(info.is_accepted)) and np.all(np.asarray(info.is_finite))


def test_build_kernel_gives_the_unbound_step():
  """As BlackJAX: `mala.build_kernel()` takes the energy and step size per call; `mala(...)` binds them."""
  algorithm = jg.samplers.mala(jax_gaussian_energy, 0.5)
  state = algorithm.init(jnp.ones(3))
  unbound = jg.samplers.mala.build_kernel()(KEY, state, jax_gaussian_energy, 0.5)
  chex.assert_trees_all_equal(unbound, algorithm.step(KEY, state))


def test_mala_log_ratio_equals_the_two_norm_form_where_the_norms_cancel():
  # The fused form against float64 log q differences, at a far-off point where ||d||^2 dwarfs the result.
  rng = np.random.default_rng(3)
  for eps in (1e-3, 0.5, 4.0):
    z, noise = 30.0 + rng.normal(size=3), rng.normal(size=3)
    energy, grad = gaussian_energy_and_grad(z)
    proposal = z - 0.5 * eps * grad + np.sqrt(eps) * noise
    p_energy, p_grad = gaussian_energy_and_grad(proposal)
    expected = (energy - p_energy - np.sum((z - proposal + 0.5 * eps * p_grad) ** 2) / (2 * eps)
                + np.sum((proposal - z + 0.5 * eps * grad) ** 2) / (2 * eps))
    state = lambda *a: jg.samplers.State(*[jnp.asarray(x, jnp.float32) for x in a])  # noqa: E731
    got = jg.samplers.mala_log_ratio(state(z, energy, grad), state(proposal, p_energy, p_grad), eps)
    np.testing.assert_allclose(float(got), expected, rtol=1e-4, atol=2e-6 * energy)  # float32 rounding of E ~ 2000


@jax.custom_jvp
def infinitely_steep(x):
  """0 in value, with an infinite derivative for x > 0.5: a finite energy whose gradient is not."""
  return 0.0 * x


@infinitely_steep.defjvp
def _infinitely_steep_jvp(primals, tangents):
  (x,), (t,) = primals, tangents
  return infinitely_steep(x), jnp.where(x > 0.5, jnp.inf, 0.0) * t


def test_nonfinite_energies_and_gradients_are_never_accepted():
  # Energy NaN for z0 > 0.5, -inf for z0 < -2.5 (a log ratio of +inf), finite with an infinite gradient for z1 > 0.5.
  def energy(z):
    quadratic = 0.5 * jnp.sum(z**2) + infinitely_steep(z[1])
    return jnp.where(z[0] > 0.5, jnp.nan, jnp.where(z[0] < -2.5, -jnp.inf, quadratic))

  algorithm = jg.samplers.mala(energy, 0.5)
  state = algorithm.init(jnp.array([0.0, 0.9]))
  assert np.isfinite(float(state.energy)) and not np.all(np.isfinite(np.asarray(state.energy_grad)))
  _, trace = run(algorithm, KEY, jnp.full((64, 2), -1.0), 50)
  positions = np.asarray(trace.position)
  assert np.all((positions[..., 0] >= -2.5) & (positions[..., 0] <= 0.5) & (positions[..., 1] <= 0.5))
  assert np.all(np.isfinite(np.asarray(trace.energy)))
  assert jg.samplers.summarize(trace)["nonfinite_draws"] > 0


def test_kernels_work_on_pytree_positions():
  energy = lambda p: 0.5 * (jnp.sum(p["a"] ** 2) + jnp.sum(p["b"] ** 2))  # noqa: E731
  positions = {"a": jnp.full((256, 2), 2.0), "b": jnp.full((256, 1, 3), -2.0)}  # two standard deviations off
  final, trace = run(jg.samplers.mala(energy, 0.5), KEY, positions, 100, thin=5)
  assert trace.position["b"].shape == (256, 20, 1, 3)
  b = np.asarray(final.position["b"])
  assert abs(b.mean()) < 4.5 * np.sqrt(1.0 / b.size) * 2 and np.var(b) == pytest.approx(1.0, rel=0.15)
  assert jg.samplers.summarize(trace)["ess"].shape == (5,)


def test_sharded_chains_match_single_device():
  energy = lambda z: 0.5 * jnp.sum(z**2)  # noqa: E731
  z0 = jax.random.normal(KEY, (8, 2))
  algorithm = jg.samplers.mala(energy, 0.3)
  single, _ = run(algorithm, KEY, z0, 10)
  mesh = jax.sharding.Mesh(np.asarray(jax.devices()), ("chains",))
  sharded, _ = run(algorithm, KEY, z0, 10, mesh=mesh)
  np.testing.assert_allclose(sharded.position, single.position, rtol=1e-5, atol=1e-6)
  assert len(sharded.position.sharding.device_set) == jax.device_count()


def test_run_chains_and_warmup_compile_once_and_agree_with_eager():
  """Repeated calls of the jitted runner (new keys, new positions, a new step size) compile nothing."""
  energy = lambda z: 0.5 * jnp.sum(z**2)  # noqa: E731
  build = functools.partial(jg.samplers.mala, energy)
  warmup = jax.jit(jg.samplers.step_size_adaptation(build, 0.3).run, static_argnums=2)
  sample = jax.jit(functools.partial(jg.samplers.run_chains, build, num_steps=8, thin=2))
  z0 = jnp.ones((4, 2))
  state, parameters = warmup(KEY, z0, 5)
  final, trace = sample(KEY, state, parameters=parameters)
  compiles = []

  def listener(event, duration, **kwargs):
    # A compilation, or its executable read back from the persistent cache the test session uses.
    if event.endswith("backend_compile_duration") or "compilation_cache" in event:
      compiles.append(event)

  inputs = [(jax.random.key(seed), z0 + seed, {"step_size": jnp.full(4, 0.1 * seed, jnp.float32)}) for seed in (1, 2)]
  jax.monitoring.register_event_duration_secs_listener(listener)
  try:
    for key, positions, step_sizes in inputs:
      warm_state, _ = warmup(key, positions, 5)
      jax.block_until_ready(sample(key, warm_state, parameters=step_sizes))
  finally:
    jax.monitoring.unregister_event_duration_listener(listener)
  assert compiles == [], compiles
  eager_final, eager_trace = jg.samplers.run_chains(build, KEY, state, 8, thin=2, parameters=parameters)
  chex.assert_trees_all_close((eager_final, eager_trace), (final, trace), rtol=1e-5, atol=1e-6)


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
  generator = lambda z: 2.0 * z  # noqa: E731
  logit_critic = lambda x: -jnp.sum(x**2, axis=-1)  # noqa: E731 - high = real
  z = jnp.array([1.0, 2.0])
  # E(z) = -d(G(z)) + |z|^2 / 2 with d = -|2z|^2 = -20.
  energy = jg.samplers.latent_energy(generator, lambda x: jg.losses.get("hinge").realness(logit_critic(x)))
  np.testing.assert_allclose(energy(z), 4.0 * 5.0 + 0.5 * 5.0)
  # The same critic as an energy U = |x|^2 (low = real): the objective's realness flips the sign, the energy agrees.
  energy_critic = lambda x: jnp.sum(x**2, axis=-1)  # noqa: E731
  as_energy = jg.samplers.latent_energy(generator, lambda x: jg.losses.get("energy").realness(energy_critic(x)))
  np.testing.assert_allclose(as_energy(z), energy(z))
  trunc = jg.samplers.truncated_normal_latents(KEY, 1000, 3, threshold=0.5)
  assert trunc.shape == (1000, 3) and float(jnp.max(jnp.abs(trunc))) <= 0.5
  hubs = jg.samplers.hubness_latents(KEY, 50, 2, pool_size=1000, k=10)
  pool_norm = float(jnp.mean(jnp.linalg.norm(jax.random.normal(KEY, (1000, 2)), axis=-1)))
  assert hubs.shape == (50, 2) and float(jnp.mean(jnp.linalg.norm(hubs, axis=-1))) < pool_norm  # hubs are central
  occ = jg.samplers.k_occurrence(jnp.array([[0.0], [1.0], [2.0], [10.0]]), 1)
  np.testing.assert_array_equal(occ, [1, 2, 1, 0])


@pytest.mark.parametrize("name", jg.losses.available())
def test_every_objective_defines_realness_by_its_score_convention(name):
  objective = jg.losses.get(name)
  scores = jnp.array([-1.5, 0.0, 2.0])
  expected = -scores if objective.scores == "energies" else scores
  np.testing.assert_array_equal(objective.realness(scores), expected)


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
  energy = lambda z: jnp.sum(z**2)  # noqa: E731
  algorithm = jg.samplers.mala(energy, 0.1)
  with pytest.raises(ValueError, match="step_size"):
    jg.samplers.mala(energy, 0.0)
  with pytest.raises(ValueError, match="step_size"):
    jg.samplers.langevin(energy, -1.0)
  with pytest.raises(ValueError, match="leading chain axis"):
    jg.samplers.run_chains(algorithm, KEY, {"a": jnp.zeros((4, 2)), "b": jnp.zeros((3, 2))}, 10)
  with pytest.raises(ValueError, match="multiple of `thin`"):
    jg.samplers.run_chains(algorithm, KEY, jnp.zeros((4, 2)), 10, thin=3)
  with pytest.raises(TypeError, match="parameters"):  # a builder without parameters, or parameters without one
    jg.samplers.run_chains(functools.partial(jg.samplers.mala, energy), KEY, jnp.zeros((4, 2)), 10)
  with pytest.raises(TypeError, match="parameters"):
    jg.samplers.run_chains(algorithm, KEY, jnp.zeros((4, 2)), 10, parameters={"step_size": jnp.ones(4)})
  with pytest.raises(ValueError, match="scalar"):
    jg.samplers.mala(lambda z: z, 0.1).init(jnp.zeros(2))
  with pytest.raises(ValueError, match="smaller than"):
    jg.samplers.k_occurrence(jnp.zeros((3, 2)), 3)
  with pytest.raises(ValueError, match="inverse_temperature"):
    jg.samplers.latent_energy(lambda z: z, lambda x: x[:, 0], inverse_temperature=0.0)
