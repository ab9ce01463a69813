"""Barker, i-SIR and Ex2MCMC against known moments of Gaussian, banana-shaped and bimodal targets."""

import functools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxgan as jg
from tests.test_samplers import adapted_run, assert_states_close, float64, mala_draws, numpy_mala_step, run

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


START = jnp.array([3.0, -3.0])  # every chain starts here, in the tails of both targets (against the correlation)


@pytest.mark.parametrize("target", ["correlated", "banana"])
def test_barker_matches_target_moments(target):
  energy = correlated_energy if target == "correlated" else banana_energy
  (final_state, trace), _ = adapted_run(functools.partial(jg.samplers.barker, energy), KEY,
                                        jnp.broadcast_to(START, (CHAINS, 2)), 300, 600, thin=600,
                                        initial_step_size=0.3, target_acceptance=0.4)  # Livingstone & Zanella
  samples = np.asarray(final_state.position)
  if target == "correlated":
    check_moments(samples, np.zeros(2), np.ones(2))
    np.testing.assert_allclose(np.corrcoef(samples.T)[0, 1], 0.8, atol=0.05)
  else:
    check_moments(samples, BANANA_MEAN, BANANA_VAR)
  assert 0.3 < jg.samplers.summarize(trace)["mean_acceptance"] < 0.5


def banana_energy_and_grad(x):
  """NumPy float64 banana energy and its gradient."""
  x = np.asarray(x, np.float64)
  r = x[1] - B * (x[0] ** 2 - A**2)
  return 0.5 * x[0] ** 2 / A**2 + 0.5 * r**2, np.array([x[0] / A**2 - 2.0 * B * x[0] * r, r])


@functools.partial(jax.jit, static_argnames=("num_particles", "scale", "shape"))
def isir_draws(rng_keys, num_particles, scale, shape):
  """Fresh particles `(len(rng_keys), num_particles - 1, *shape)` and picking keys of i-SIR steps with these keys."""

  def draws(key):
    draw_key, pick_key = jax.random.split(key)
    return scale * jax.random.normal(draw_key, (num_particles - 1, *shape)), pick_key

  return jax.vmap(draws)(rng_keys)


@functools.partial(jax.jit, static_argnames="shape")
def barker_draws(rng_keys, shape):
  """Barker: (proposal, accept) keys; the proposal key split into magnitude and sign keys."""

  def draws(key):
    proposal_key, accept_key = jax.random.split(key)
    magnitude_key, sign_key = jax.random.split(proposal_key, 2)
    return (jax.random.normal(magnitude_key, shape), jax.random.uniform(sign_key, shape),
            jax.random.uniform(accept_key))

  return jax.vmap(draws)(rng_keys)


pick_particles = jax.jit(jax.vmap(jax.random.categorical))


def numpy_isir_steps(positions, fresh, pick_keys, scale, energy_and_grad):
  """i-SIR steps in float64 from given fresh particles; `jax.random.categorical` picks from the reference weights.

  Returns a list of ((position, energy, grad), probability of leaving, moved), one per position.
  """
  particles = np.concatenate([positions[:, None], fresh], axis=1)
  log_target = np.array([[-energy_and_grad(p)[0] for p in chain] for chain in particles])
  log_weights = log_target + 0.5 * np.sum((particles / scale) ** 2, axis=-1)  # pi(z) / N(z; 0, scale^2 I)
  indices = np.asarray(pick_particles(pick_keys, jnp.asarray(log_weights, jnp.float32)))
  weights = np.exp(log_weights - log_weights.max(axis=1, keepdims=True))
  steps = []
  for chain, index, w in zip(particles, indices, weights):
    steps.append(((chain[index], *energy_and_grad(chain[index])), 1.0 - w[0] / w.sum(), index > 0))
  return steps


def menu_starts(cases):
  return np.random.default_rng(1).normal(size=(cases, 2)) * np.array([1.0, 1.5])


class MenuKernelStepTest(chex.TestCase):
  """Barker, i-SIR and Ex2MCMC steps equal NumPy steps from the same noise, with and without jit."""

  cases = 32

  def run_step(self, kernel, positions, keys):
    init = jax.vmap(kernel.init)(jnp.asarray(positions, jnp.float32))
    return self.variant(jax.vmap(kernel.step))(keys, init)

  def assert_matches(self, state, info, expected):
    states, rates, accepted = zip(*expected)
    assert 0 < sum(accepted) < len(accepted), accepted  # both branches of the move are checked
    assert_states_close(state, states)
    np.testing.assert_allclose(info.acceptance_rate, rates, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(info.is_accepted, accepted)
    assert np.all(np.asarray(info.is_finite))

  @chex.variants(with_jit=True, without_jit=True)
  def test_barker_step_equals_a_numpy_barker_step(self):
    eps = 1.0
    positions, keys = menu_starts(self.cases), jax.random.split(KEY, self.cases)
    state, info = self.run_step(jg.samplers.barker(banana_energy, eps), positions, keys)
    expected = []
    for x, xi, sign_u, accept_u in zip(positions, *float64(*barker_draws(keys, (2,)))):
      energy, grad = banana_energy_and_grad(x)
      w = np.sqrt(eps) * xi
      # Livingstone & Zanella 2022, Algorithm 1: keep w_i with probability 1 / (1 + exp(-w_i d_i log pi(x))).
      y = x + np.where(sign_u < 1.0 / (1.0 + np.exp(w * grad)), w, -w)
      y_energy, y_grad = banana_energy_and_grad(y)
      # Eq. 8: pi(y) / pi(x) prod_i (1 + exp((x_i - y_i) d_i log pi(x))) / (1 + exp((y_i - x_i) d_i log pi(y))).
      log_ratio = (energy - y_energy + np.sum(np.logaddexp(0.0, (x - y) * -grad))
                   - np.sum(np.logaddexp(0.0, (y - x) * -y_grad)))
      rate = min(1.0, np.exp(log_ratio))
      accepted = accept_u < rate
      expected.append(((y, y_energy, y_grad) if accepted else (x, energy, grad), rate, accepted))
    self.assert_matches(state, info, expected)

  @chex.variants(with_jit=True, without_jit=True)
  def test_isir_step_equals_a_numpy_isir_step(self):
    particles, scale = 8, 2.0
    positions, keys = menu_starts(self.cases), jax.random.split(KEY, self.cases)
    state, info = self.run_step(jg.samplers.isir(banana_energy, particles, proposal_scale=scale), positions, keys)
    fresh, pick_keys = isir_draws(keys, particles, scale, (2,))
    expected = numpy_isir_steps(positions, *float64(fresh), pick_keys, scale, banana_energy_and_grad)
    self.assert_matches(state, info, expected)
    np.testing.assert_array_equal(info.num_grads, [int(moved) for _, _, moved in expected])
    np.testing.assert_array_equal(info.num_evals, particles - 1)

  @chex.variants(with_jit=True, without_jit=True)
  def test_ex2mcmc_step_equals_numpy_isir_then_mala_steps(self):
    eps, particles, scale, mala_steps = 0.5, 8, 2.0, 2
    positions, keys = menu_starts(self.cases), jax.random.split(KEY, self.cases)
    kernel = jg.samplers.ex2mcmc(banana_energy, eps, particles, proposal_scale=scale, mala_steps=mala_steps)
    state, info = self.run_step(kernel, positions, keys)
    global_keys, local_keys = jnp.moveaxis(jax.vmap(jax.random.split)(keys), 1, 0)  # i-SIR, then MALA steps
    fresh, pick_keys = isir_draws(global_keys, particles, scale, (2,))
    noises, uniforms = mala_draws(jax.vmap(lambda key: jax.random.split(key, mala_steps))(local_keys), (2,))
    moves_to = numpy_isir_steps(positions, *float64(fresh), pick_keys, scale, banana_energy_and_grad)
    expected, rates = [], []
    for ((x, *_), _, _), chain_noise, chain_u in zip(moves_to, *float64(noises, uniforms)):
      steps = []
      for noise, u in zip(chain_noise, chain_u):
        new, rate, accepted = numpy_mala_step(x, noise, u, eps, banana_energy_and_grad)
        x = new[0]
        steps.append(rate)
      expected.append((new, rate, accepted))  # is_accepted: the last MALA step's
      rates.append(np.mean(steps))  # acceptance_rate: the mean over the MALA steps
    moves = [moved for _, _, moved in moves_to]
    assert 0 < sum(moves) < len(moves), moves
    self.assert_matches(state, info._replace(acceptance_rate=np.array([e[1] for e in expected])), expected)
    np.testing.assert_allclose(info.acceptance_rate, rates, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(info.global_acceptance_rate, [leave for _, leave, _ in moves_to], rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_array_equal(info.global_index > 0, moves)
    np.testing.assert_array_equal(info.num_grads, np.array(moves) + mala_steps)
    np.testing.assert_array_equal(info.num_evals, particles - 1)


def test_barker_proposal_prefers_the_downhill_direction():
  energy = lambda z: 5.0 * z[0]  # noqa: E731 - gradient +5: downhill is negative
  state = jg.samplers.barker(energy, step_size=0.5).init(jnp.zeros(1))
  moves = jax.vmap(lambda k: jg.samplers.barker_proposal(k, state, 0.5))(jax.random.split(KEY, 4000))
  # P(move < 0) = E[sigmoid(5 |w|)] with w ~ N(0, 0.5): well above 1/2.
  w = np.abs(np.random.default_rng(0).normal(0, np.sqrt(0.5), 200_000))
  expected = np.mean(1 / (1 + np.exp(-5 * w)))
  np.testing.assert_allclose(np.mean(np.asarray(moves) < 0), expected, atol=0.03)


@pytest.mark.parametrize("target", ["correlated", "banana"])
def test_ex2mcmc_matches_target_moments(target):
  energy = correlated_energy if target == "correlated" else banana_energy
  particles, steps = 8, 200
  build = functools.partial(jg.samplers.ex2mcmc, energy, num_particles=particles, proposal_scale=2.0)
  (final_state, trace), _ = adapted_run(build, KEY, jnp.broadcast_to(START, (CHAINS, 2)), 100, steps, thin=steps,
                                        initial_step_size=0.1)
  samples = np.asarray(final_state.position)
  if target == "correlated":
    check_moments(samples, np.zeros(2), np.ones(2))
  else:
    check_moments(samples, BANANA_MEAN, BANANA_VAR)
  # The runner adds up each step's cost (one step's counts, moved or not: MenuKernelStepTest): N - 1 energies per
  # i-SIR move, one gradient per MALA step plus one per i-SIR move that left the current point.
  summary = jg.samplers.summarize(trace)
  assert summary["evals_per_chain"] == steps * (particles - 1)
  assert steps < summary["grads_per_chain"] < 2 * steps
  assert 0.45 < summary["mean_acceptance"] < 0.7  # MALA's, adapted toward 0.574
  assert 0.0 < float(np.mean(trace.info.global_acceptance_rate)) < 1.0


def bimodal_energy(x):
  """Equal mixture of N(-3, 0.5^2) and N(3, 0.5^2) in 1-D."""
  return -jnp.logaddexp(-0.5 * ((x[0] + 3) / 0.5) ** 2, -0.5 * ((x[0] - 3) / 0.5) ** 2)


def test_isir_jumps_between_modes_where_mala_cannot():
  start = jnp.full((CHAINS, 1), -3.0)  # every chain in the left mode
  global_moves, _ = run(jg.samplers.isir(bimodal_energy, 16, proposal_scale=4.0), KEY, start, 50, thin=50)
  local, _ = run(jg.samplers.mala(bimodal_energy, 0.1), KEY, start, 50, thin=50)
  right = lambda state: float(np.mean(np.asarray(state.position)[:, 0] > 0))  # noqa: E731
  assert abs(right(global_moves) - 0.5) < 4.5 * np.sqrt(0.25 / CHAINS)
  assert right(local) == 0.0
  # i-SIR keeps the state's energy and gradient consistent with its position.
  np.testing.assert_allclose(np.asarray(global_moves.energy),
                             np.asarray(jax.vmap(bimodal_energy)(global_moves.position)), rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(np.asarray(global_moves.energy_grad),
                             np.asarray(jax.vmap(jax.grad(bimodal_energy))(global_moves.position)), rtol=1e-4,
                             atol=1e-5)


def test_isir_never_moves_to_a_nan_particle():
  energy = lambda x: jnp.where(x[0] > 0, jnp.nan, 0.5 * x[0] ** 2)  # noqa: E731
  _, trace = run(jg.samplers.isir(energy, 8), KEY, jnp.full((64, 1), -1.0), 20)
  assert np.all(np.asarray(trace.position) <= 0)
  assert not np.all(np.asarray(trace.info.is_finite))  # NaN particles were drawn, and reported


def test_bad_menu_arguments():
  build = functools.partial(jg.samplers.mala, banana_energy)
  with pytest.raises(ValueError, match="step_size"):
    jg.samplers.barker(banana_energy, 0.0)
  with pytest.raises(ValueError, match="num_particles"):
    jg.samplers.isir(banana_energy, 1)
  with pytest.raises(ValueError, match="proposal_scale"):
    jg.samplers.isir(banana_energy, 4, proposal_scale=-1.0)
  with pytest.raises(ValueError, match="mala_steps"):
    jg.samplers.ex2mcmc(banana_energy, 0.1, 4, mala_steps=0)
  with pytest.raises(ValueError, match="method"):
    jg.samplers.step_size_adaptation(build, 0.1, method="nesterov")
  with pytest.raises(ValueError, match="initial_step_size"):
    jg.samplers.step_size_adaptation(build, 0.0)
  with pytest.raises(ValueError, match="target_acceptance"):
    jg.samplers.step_size_adaptation(build, 0.1, target_acceptance=1.0)
  with pytest.raises(ValueError, match="rate"):
    jg.samplers.robbins_monro(0.5, rate=0.5)
  with pytest.raises(ValueError, match="leading chain axis"):
    jg.samplers.step_size_adaptation(build, 0.1).run(KEY, {"a": jnp.zeros((2, 1)), "b": jnp.zeros((3, 1))}, 2)


def test_platt_scaling_recovers_the_true_log_density_ratio():
  # q = N(0, 1) generated, p = N(1, 1) real: log p/q = x - 0.5. A miscalibrated critic outputs 3 * that + 1.
  kr, kf = jax.random.split(KEY)
  real, fake = 1.0 + jax.random.normal(kr, (20000,)), jax.random.normal(kf, (20000,))
  critic = lambda x: 3.0 * (x - 0.5) + 1.0  # noqa: E731
  calibration = jg.samplers.calibrate_logits(critic(real), critic(fake))
  np.testing.assert_allclose([float(calibration.scale), float(calibration.offset)], [1 / 3, -1 / 3], atol=0.03)
  x = jnp.linspace(-2, 3, 5)
  np.testing.assert_allclose(calibration(critic(x)), x - 0.5, atol=0.08)


def test_drs_with_gamma_zero_is_exact_rejection_sampling():
  # q = N(0, 2^2) proposals, p = N(0, 1): l(x) = log 2 - 3 x^2 / 8, bounded by l_M = log 2.
  x = 2.0 * jax.random.normal(KEY, (200_000,))
  logits = jnp.log(2.0) - 3.0 * x**2 / 8.0
  probability = jg.samplers.drs_acceptance(logits, max_logit=jnp.log(2.0), epsilon=1e-9)
  np.testing.assert_allclose(probability, jnp.exp(logits - jnp.log(2.0)), rtol=1e-4, atol=1e-6)
  kept = x[jax.random.uniform(jax.random.key(1), x.shape) < probability]
  assert abs(float(jnp.mean(kept))) < 0.02 and abs(float(jnp.var(kept)) - 1.0) < 0.03
  assert float(jnp.mean(jg.samplers.drs_acceptance(logits, max_logit=jnp.log(2.0), gamma=-2.0))) > float(
      jnp.mean(probability))  # gamma < 0 raises acceptance


def test_independent_metropolis_turns_generator_samples_into_target_samples():
  # q = N(0, 1) candidates, p = N(1, 1) target, exact logit x - 0.5; 2048 chains of 64 candidates.
  candidates = jax.random.normal(KEY, (2048, 64))
  index, rate = jax.vmap(lambda k, c: jg.samplers.independent_metropolis(k, c - 0.5))(
      jax.random.split(jax.random.key(2), 2048), candidates)
  chosen = np.asarray(candidates)[np.arange(2048), np.asarray(index)]
  assert abs(chosen.mean() - 1.0) < 4.5 * np.sqrt(1 / 2048) + 0.03  # + mixing bias of a 64-step chain
  assert abs(chosen.var() - 1.0) < 0.15
  assert 0.2 < float(jnp.mean(rate)) < 0.8
  # Started from a real sample with a huge logit, nothing is accepted: index -1.
  index, _ = jg.samplers.independent_metropolis(KEY, jnp.zeros(8), initial_logit=50.0)
  assert int(index) == -1


def test_latent_energy_inverse_temperature_and_calibration():
  generator = lambda z: 2.0 * z  # noqa: E731
  critic = lambda x: jnp.sum(x, axis=1)  # noqa: E731 - logit d(x) = sum(x)
  z = jnp.array([0.5, -1.5])
  calibration = jg.samplers.Calibration(jnp.asarray(0.5), jnp.asarray(2.0))  # calibrated d = 0.5 * (-2) + 2 = 1
  realness = jg.losses.get("non_saturating").realness
  energy = jg.samplers.latent_energy(generator, lambda x: calibration(realness(critic(x))), inverse_temperature=3.0)
  d = float(jnp.sum(2.0 * z))
  np.testing.assert_allclose(energy(z), -3.0 * (0.5 * d + 2.0) + 0.5 * float(jnp.sum(z**2)), rtol=1e-6)


def ar1(rng, chains, draws, phi, shift=None):
  x = np.zeros((chains, draws))
  x[:, 0] = rng.normal(size=chains) / np.sqrt(1 - phi**2)
  for t in range(1, draws):
    x[:, t] = phi * x[:, t - 1] + rng.normal(size=chains)
  return x + (0 if shift is None else shift[:, None])


def test_rank_normalized_diagnostics_on_known_processes():
  rng = np.random.default_rng(0)
  chains, draws, phi = 8, 2000, 0.5
  x = ar1(rng, chains, draws, phi)[..., None]
  # AR(1): ESS = N (1 - phi) / (1 + phi).
  expected = chains * draws * (1 - phi) / (1 + phi)
  np.testing.assert_allclose(jg.samplers.bulk_effective_sample_size(x), expected, rtol=0.15)
  # Quantile indicators of an AR(1) decorrelate faster than the process: between its ESS and the draw count.
  assert 0.9 * expected < jg.samplers.tail_effective_sample_size(x)[0] < chains * draws
  assert jg.samplers.rank_normalized_split_rhat(x)[0] < 1.01
  # Chains with different locations, or the same location and different scales: R-hat flags both.
  shifted = ar1(rng, chains, draws, phi, shift=np.linspace(-1, 1, chains))[..., None]
  assert jg.samplers.rank_normalized_split_rhat(shifted)[0] > 1.1
  scales = x * np.linspace(0.2, 3.0, chains)[:, None, None]
  assert jg.samplers.split_rhat(scales)[0] < 1.01 < jg.samplers.rank_normalized_split_rhat(scales)[0]
  # Heavy tails (iid Cauchy): the rank-normalised bulk ESS stays near the draw count.
  cauchy = rng.standard_cauchy((4, 1000, 1))
  assert jg.samplers.bulk_effective_sample_size(cauchy)[0] > 0.8 * 4000


def test_prior_shell_drift():
  rng = np.random.default_rng(1)
  on_shell = rng.normal(size=(4, 200, 256))
  assert np.all(np.abs(jg.samplers.prior_shell_drift(on_shell)) < 0.01)
  assert np.all(jg.samplers.prior_shell_drift(1.5 * on_shell) > 0.45)
  with pytest.raises(ValueError, match="latents"):
    jg.samplers.prior_shell_drift(on_shell[0])


@pytest.mark.parametrize("method,shared", [("dual_averaging", False), ("dual_averaging", True),
                                           ("robbins_monro", True)])
def test_step_size_adaptation_variants_hit_the_target_and_keep_moments(method, shared):
  build = functools.partial(jg.samplers.mala, correlated_energy)
  (final_state, trace), parameters = adapted_run(build, KEY, jnp.broadcast_to(START, (CHAINS, 2)), 400, 300,
                                                 thin=300, initial_step_size=1.0,  # 10x too large to start with
                                                 method=method, shared=shared)
  check_moments(np.asarray(final_state.position), np.zeros(2), np.ones(2))
  acceptance = jg.samplers.summarize(trace)["mean_acceptance"]
  if shared:  # the harmonic mean is ruled by the worst chains: the mean acceptance lands above the target
    assert 0.5 < acceptance < 0.95
  else:
    assert 0.45 < acceptance < 0.7
  steps = np.asarray(parameters["step_size"])
  if shared:
    np.testing.assert_allclose(steps, steps[0], rtol=1e-5)
  else:
    assert np.std(np.log(steps)) > 0  # one step size per chain


def numpy_dual_averaging(log_step0, acceptances, target, t0=10.0, gamma=0.05, kappa=0.75):
  """Hoffman & Gelman 2014, Algorithm 5, in float64: the iterates log eps_t and their average log eps_bar_t."""
  mu, h_bar, log_bar, iterates, averages = np.log(10.0) + log_step0, 0.0, log_step0, [], []
  for t, alpha in enumerate(acceptances, start=1):
    h_bar = (1 - 1 / (t + t0)) * h_bar + (target - alpha) / (t + t0)
    log_step = mu - np.sqrt(t) / gamma * h_bar
    log_bar = t**-kappa * log_step + (1 - t**-kappa) * log_bar
    iterates.append(log_step)
    averages.append(log_bar)
  return np.array(iterates), np.array(averages)


def scan_triple(triple, initial_step_size, acceptances):
  """Runs an (init, update, final) triple over an acceptance sequence: its log step iterates and final step."""
  init, update, final = triple

  def body(state, alpha):
    state = update(state, alpha)
    return state, state.log_step_size

  state, iterates = jax.lax.scan(body, init(initial_step_size), jnp.asarray(acceptances, jnp.float32))
  return iterates, final(state)


def test_adaptation_triples_equal_their_recursions_and_blackjax():
  import blackjax

  acceptances = np.random.default_rng(0).uniform(0.2, 1.0, size=50)
  iterates, final = jax.jit(scan_triple, static_argnums=0)(jg.samplers.dual_averaging(0.65), 0.3, acceptances)
  iterates, final = np.asarray(iterates), float(final)
  expected_iterates, expected_averages = numpy_dual_averaging(np.log(0.3), acceptances, 0.65)
  np.testing.assert_allclose(iterates, expected_iterates, rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(final, np.exp(expected_averages[-1]), rtol=1e-4)
  # BlackJAX's own dual averaging has the same iterates (its average lags one update behind Algorithm 5's).
  bj_init, bj_update, _ = blackjax.adaptation.step_size.dual_averaging_adaptation(0.65)
  bj_state, bj_iterates = bj_init(0.3), []
  for alpha in acceptances:
    bj_state = bj_update(bj_state, alpha)
    bj_iterates.append(float(bj_state.log_step_size))
  np.testing.assert_allclose(iterates, bj_iterates, rtol=1e-5, atol=1e-5)
  # Robbins-Monro: log eps_t = log eps_0 + sum_s s^-0.6 (alpha_s - target), in closed form.
  iterates, final = scan_triple(jg.samplers.robbins_monro(0.65), 0.3, acceptances)
  iterates, final = np.asarray(iterates), float(final)
  t = np.arange(1, 51)
  np.testing.assert_allclose(iterates, np.log(0.3) + np.cumsum(t**-0.6 * (acceptances - 0.65)), rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(final, np.exp(iterates[-1]), rtol=1e-6)


def test_shared_adaptation_updates_from_the_harmonic_mean_and_per_chain_from_each_chain():
  """One warm-up step moves the step sizes exactly as the recomputed update from the chains' acceptance rates."""
  build = functools.partial(jg.samplers.mala, correlated_energy)
  positions = jnp.asarray(np.random.default_rng(2).normal(size=(6, 2)) * 2.0, jnp.float32)
  key = jax.random.key(5)

  @jax.jit
  def one_warmup_step(key, positions):
    # The warm-up's one step by hand: the scan's key, split over the chains, at the initial step size 0.8.
    chain_keys = jax.random.split(jax.random.split(key, 1)[0], 6)
    _, infos = jax.vmap(lambda k, p: build(0.8).step(k, build(0.8).init(p)))(chain_keys, positions)
    runs = [jg.samplers.step_size_adaptation(build, 0.8, shared=shared).run(key, positions, 1)[1]["step_size"]
            for shared in (False, True)]
    return infos.acceptance_rate, runs

  rates, (per_chain, shared) = one_warmup_step(key, positions)
  rates = np.asarray(rates, np.float64)
  assert np.ptp(rates) > 0.1, rates  # the chains disagree: shared and per-chain updates differ
  # Robbins-Monro's first gain is 1^-0.6 = 1: log eps = log 0.8 + (alpha - 0.574).
  np.testing.assert_allclose(per_chain, 0.8 * np.exp(rates - 0.574), rtol=1e-5)
  harmonic = 1.0 / np.mean(1.0 / np.maximum(rates, 1e-6))
  np.testing.assert_allclose(shared, np.full(6, 0.8 * np.exp(harmonic - 0.574)), rtol=1e-5)


@pytest.mark.parametrize("make", [lambda e: jg.samplers.mala(e, 0.1), lambda e: jg.samplers.langevin(e, 0.1),
                                  lambda e: jg.samplers.barker(e, 0.1), lambda e: jg.samplers.isir(e, 4),
                                  lambda e: jg.samplers.ex2mcmc(e, 0.1, 4, mala_steps=2)],
                         ids=["mala", "ula", "barker", "isir", "ex2mcmc"])
def test_reported_costs_equal_counted_energy_calls(make):
  calls = []

  def energy(z):
    jax.debug.callback(lambda z: calls.append(np.size(z) // 3), z)  # under vmap: once for the batch of positions
    return 0.5 * jnp.sum(z**2)

  algorithm = make(energy)
  state = algorithm.init(jnp.zeros(3))
  steps = 20

  @jax.jit
  def run(state):
    return jax.lax.scan(lambda s, k: algorithm.step(k, s), state, jax.random.split(KEY, steps))

  _, infos = jax.block_until_ready(run(state))
  jax.effects_barrier()
  grads, evals = int(jnp.sum(infos.num_grads)), int(jnp.sum(infos.num_evals))
  assert sum(calls) == 1 + grads + evals  # init, then every value_and_grad and every gradient-free evaluation
  if isinstance(infos, jg.samplers.Info):  # ULA, MALA, Barker: one value_and_grad per step and nothing else
    assert (grads, evals) == (steps, 0)
  else:  # i-SIR's gradient is spent only on steps that moved: both kinds of step occur
    assert evals == 3 * steps and 0 < np.sum(infos.num_grads != infos.num_grads.max()) < steps


def test_effective_lipschitz_of_a_linear_score_is_its_slope():
  a = jnp.array([3.0, -4.0])
  k = float(jg.samplers.effective_lipschitz(lambda z: z @ a, KEY, 2, num_pairs=4096))
  assert 0.97 * 5.0 < k <= 5.0 + 1e-4


def test_dot_transport_reaches_its_closed_form_optimum():
  # score(z) = -|z - c|^2 / 2: argmin |x - y| + |x - c|^2 / (2K) lies at distance K from c toward y
  # when |y - c| > K, and is y itself when |y - c| <= K.
  c = jnp.array([1.0, 0.0])
  score = lambda z: -0.5 * jnp.sum((z - c) ** 2, axis=1)  # noqa: E731
  y = jnp.array([[4.0, 0.0], [1.0, 0.5]])
  x = jg.samplers.dot_transport(score, y, k_eff=1.0, num_steps=600, learning_rate=0.02)
  np.testing.assert_allclose(x[0], [2.0, 0.0], atol=0.05)
  np.testing.assert_allclose(x[1], y[1], atol=0.05)


def test_dgflow_kl_is_a_discretised_ou_process_toward_the_critic_maximum():
  c = jnp.array([2.0, -1.0])
  score = lambda z: -0.5 * jnp.sum((z - c) ** 2, axis=1)  # noqa: E731 - logit d, maximal at c
  z0 = jnp.zeros((1, 2))
  eta, steps = 0.1, 15
  flowed = jg.samplers.dgflow(score, KEY, z0, num_steps=steps, step_size=eta, noise=0.0)
  np.testing.assert_allclose(flowed[0], c + (1 - eta) ** steps * (z0[0] - c), rtol=1e-5)  # exact recursion
  gamma = 0.3  # stationary variance of z' = z - eta (z - c) + sqrt(2 gamma eta) xi is gamma / (1 - eta / 2)
  samples = jg.samplers.dgflow(score, KEY, jnp.zeros((20000, 2)), num_steps=200, step_size=eta, noise=gamma)
  np.testing.assert_allclose(np.var(np.asarray(samples), axis=0), gamma / (1 - eta / 2), rtol=0.04)
  js = jg.samplers.dgflow(score, KEY, z0, num_steps=200, step_size=0.5, noise=0.0, divergence="js")
  assert float(jnp.linalg.norm(js[0] - c)) < 0.1 * float(jnp.linalg.norm(z0[0] - c))
  with pytest.raises(ValueError, match="divergence"):
    jg.samplers.dgflow(score, KEY, z0, divergence="tv")
