"""InfoGAN codes: their layout and sampling, the bound against a float64 reference, and their path through the GAN."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from scipy import stats

import jaxgan as jg

CODES = jg.losses.latent_codes(categorical=(3, 4), continuous=2)


def test_codes_are_one_hot_categories_then_uniform_values_and_encode_places_chosen_ones():
  c = np.asarray(CODES.sample(jax.random.key(0), 20000))
  assert c.shape == (20000, 9) and CODES.size == 9
  for start, k in ((0, 3), (3, 4)):
    block = c[:, start:start + k]
    np.testing.assert_array_equal(block.sum(1), 1.0)
    assert set(np.unique(block)) == {0.0, 1.0}
    np.testing.assert_allclose(block.mean(0), 1 / k, atol=0.015)  # uniform categories
  continuous = c[:, 7:]
  assert continuous.min() >= -1 and continuous.max() <= 1
  np.testing.assert_allclose(continuous.mean(0), 0.0, atol=0.02)
  np.testing.assert_allclose(continuous.var(0), 1 / 3, atol=0.02)  # U(-1, 1)
  chosen = CODES.encode(jnp.array([[2, 0]]), jnp.array([[0.5, -0.25]]))
  np.testing.assert_array_equal(chosen, [[0, 0, 1, 1, 0, 0, 0, 0.5, -0.25]])
  np.testing.assert_allclose(CODES.entropy, np.log(3) + np.log(4) + 2 * np.log(2))


def test_bound_is_entropy_plus_the_mean_log_likelihood_of_the_codes_in_float64():
  c = CODES.sample(jax.random.key(1), 64)
  q = jax.random.normal(jax.random.key(2), (64, 9)) * 2
  cn, qn = np.asarray(c, np.float64), np.asarray(q, np.float64)
  log_q = np.zeros(64)
  for start, k in ((0, 3), (3, 4)):
    logits = qn[:, start:start + k]
    log_probs = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    log_q += log_probs[np.arange(64), cn[:, start:start + k].argmax(1)]
  log_q += stats.norm.logpdf(cn[:, 7:], loc=qn[:, 7:]).sum(1)
  expected = np.log(3) + np.log(4) + 2 * np.log(2) + log_q.mean()
  np.testing.assert_allclose(jg.losses.info_mutual_information(CODES, c, q), expected, rtol=1e-5)


def test_categorical_bound_is_log_k_when_q_reads_the_code_and_zero_when_q_is_uninformed():
  codes = jg.losses.latent_codes(categorical=(8,))
  c = codes.sample(jax.random.key(3), 256)
  np.testing.assert_allclose(jg.losses.info_mutual_information(codes, c, 50.0 * c), np.log(8), atol=1e-5)
  np.testing.assert_allclose(jg.losses.info_mutual_information(codes, c, jnp.zeros_like(c)), 0.0, atol=1e-6)
  # A Q that reads another sample's code does worse than knowing nothing.
  assert float(jg.losses.info_mutual_information(codes, c, 50.0 * jnp.roll(c, 1, axis=0))) < -10


def test_infogan_estimator_reads_the_codes_after_the_noise():
  import flax.linen as nn
  network = nn.Dense(CODES.size)
  estimator = jg.losses.infogan_estimator(network, CODES)
  x = jax.random.normal(jax.random.key(4), (16, 2))
  z = jnp.concatenate([jax.random.normal(jax.random.key(5), (16, 3)), CODES.sample(jax.random.key(6), 16)], 1)
  params = estimator.init(jax.random.key(7), x, z)
  expected = jg.losses.info_mutual_information(CODES, z[:, 3:], network.apply({"params": params}, x))
  np.testing.assert_allclose(estimator.estimate(params, x, z), expected, rtol=1e-6)
  assert estimator.name == "infogan"


def infogan(weight=1.0, codes=CODES, lr=3e-3):
  return jg.train.GAN(generator=jg.models.MLPGenerator(hidden=(16,)), critic=jg.models.MLPCritic(hidden=(16,)),
                      objective="non_saturating", latent_dim=3, latent_codes=codes, entropy_weight=weight,
                      generator_optimizer=optax.adam(lr), estimator_optimizer=optax.adam(lr),
                      entropy_estimator=jg.losses.infogan_estimator(jg.models.MLPGenerator(output_dim=codes.size,
                                                                                           hidden=(16,)), codes))


def test_the_gan_feeds_noise_then_codes_to_the_generator_and_samples_through_them():
  gan = infogan()
  z = np.asarray(gan.latents(jax.random.key(8), 4000))
  assert z.shape == (4000, 3 + CODES.size)
  np.testing.assert_allclose(z[:, :3].std(0), 1.0, atol=0.05)  # N(0, I) noise first
  np.testing.assert_array_equal(z[:, 3:6].sum(1), 1.0)  # then the one-hot codes
  state = gan.init(jax.random.key(0), jnp.zeros((8, 2)))
  assert jax.tree.leaves(state.generator.params)[-1].shape[0] == 3 + CODES.size or any(
      leaf.shape[0] == 3 + CODES.size for leaf in jax.tree.leaves(state.generator.params) if leaf.ndim == 2)
  np.testing.assert_allclose(gan.sample(state, jax.random.key(8), 5),
                             gan.generator_fn(state)(jnp.asarray(z[:5])), rtol=1e-6)


def test_infogan_step_raises_the_bound_for_the_generator_and_q_together():
  """Q alone raises the bound a little (weight 0: the generator ignores it); generator and Q together, much more."""
  bounds = {}
  for weight in (0.0, 1.0):
    gan = infogan(weight)
    state = gan.init(jax.random.key(0), jnp.zeros((8, 2)))
    z = gan.latents(jax.random.key(9), 512)

    def bound(state):
      return float(gan.entropy_estimator.estimate(state.estimator.params, gan.generator_fn(state, ema=False)(z), z))

    before = bound(state)
    state, metrics = gan.run(state, jg.data.toy_stream(jg.data.get("ring8"), jax.random.key(1), batch_size=64), 50)
    bounds[weight] = bound(state) - before
    assert np.all(np.isfinite(metrics["entropy_estimate"]))
  assert 0 < bounds[0.0] < 0.15 and bounds[1.0] > 0.4


@pytest.mark.parametrize("kwargs,match", [
    (dict(categorical=(1,)), "category counts >= 2"),
    (dict(categorical=(True,)), "category counts >= 2"),
    (dict(continuous=-1), "continuous"),
    (dict(), "at least one code"),
])
def test_bad_codes_are_clear_errors(kwargs, match):
  with pytest.raises(ValueError, match=match):
    jg.losses.latent_codes(**kwargs)


def test_bad_code_arguments_are_clear_errors():
  with pytest.raises(TypeError, match="latent_codes"):
    jg.train.GAN(generator=jg.models.MLPGenerator(), critic=jg.models.MLPCritic(), objective="wgan", latent_dim=2,
                 latent_codes=(8,))
  with pytest.raises(TypeError, match="codes"):
    jg.losses.infogan_estimator(jg.models.MLPCritic(), (8,))
  with pytest.raises(ValueError, match=r"\(batch, 9\)"):
    jg.losses.info_mutual_information(CODES, jnp.zeros((4, 8)), jnp.zeros((4, 8)))
  with pytest.raises(ValueError, match="categories"):
    CODES.encode(jnp.zeros((2, 1), int), jnp.zeros((2, 2)))


def test_code_purity_matches_each_code_value_to_its_own_mode():
  modes = np.asarray(jg.data.get("ring8").modes)
  values = np.arange(800) % 8
  on_own = modes[(values * 3) % 8]  # value v always on mode 3v mod 8: a permutation
  assert jg.metrics.code_mode_purity(on_own, values, modes, 0.02) == {"code_purity": 1.0, "distinct_code_modes": 8}
  shared = modes[values // 2]  # two values per mode: pure, but only 4 modes owned
  assert jg.metrics.code_mode_purity(shared, values, modes, 0.02) == {"code_purity": 1.0, "distinct_code_modes": 4}
  ignored = modes[np.random.default_rng(0).integers(0, 8, 800)]  # the code is ignored
  assert jg.metrics.code_mode_purity(ignored, values, modes, 0.02)["code_purity"] < 0.35
  with pytest.raises(ValueError, match=r"`codes` must be integers of shape \(800,\)"):
    jg.metrics.code_mode_purity(on_own, values[:-1], modes, 0.02)
  with pytest.raises(ValueError, match="`codes` must be integers"):
    jg.metrics.code_mode_purity(on_own, values.astype(float), modes, 0.02)
