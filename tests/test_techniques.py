"""The "improved techniques" pieces against independent computations: NumPy loops, closed forms, finite differences.

Each reference below is written from the paper, in float64 NumPy and in a different shape from the library (loops
where the library vectorises, concatenated batches where it weights statistics), and every piece has its bad-input
errors checked. The losses and the noise run both eagerly and under `jax.jit` (the argument checks read shapes and dtypes
only, so both must agree); the layers and augmentations run compiled, as a train step uses them. Random draws come from
fixed keys; where a test asserts that every value of a draw occurs, the chance it would not is stated.
"""

import itertools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxgan as jg

T = jg.techniques
RNG = np.random.default_rng(0)


def eager(fn):
  return fn


VARIANTS = pytest.mark.parametrize("variant", [jax.jit, eager], ids=["jit", "eager"])


def log_sigmoid(x):
  return -np.logaddexp(0.0, -x)


# --- feature matching (Salimans et al. 2016, Sec. 3.1) ------------------------------------------------------------


@VARIANTS
def test_feature_matching_is_the_squared_distance_of_the_feature_means(variant):
  real, fake = RNG.normal(size=(5, 3, 2)), RNG.normal(1.0, 2.0, size=(7, 3, 2))
  gap = real.sum(axis=0) / 5 - fake.sum(axis=0) / 7
  expected = float(gap.ravel() @ gap.ravel())
  got = variant(T.feature_matching)(jnp.asarray(real, jnp.float32), jnp.asarray(fake, jnp.float32))
  assert got.shape == ()
  np.testing.assert_allclose(float(got), expected, rtol=1e-5)


def test_feature_matching_treats_the_real_side_as_a_fixed_target():
  real, fake = RNG.normal(size=(4, 3)), RNG.normal(size=(6, 3))
  g_real, g_fake = jax.grad(T.feature_matching, argnums=(0, 1))(jnp.asarray(real, jnp.float32),
                                                                 jnp.asarray(fake, jnp.float32))
  np.testing.assert_array_equal(g_real, 0.0)
  # d/d f_i ||m_r - mean_j f_j||^2 = 2 (mean_j f_j - m_r) / n_f, the same for every fake sample i.
  expected = np.broadcast_to(2 * (fake.mean(axis=0) - real.mean(axis=0)) / 6, fake.shape)
  np.testing.assert_allclose(g_fake, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("real,fake,error,match", [
    (jnp.zeros((4, 3)), jnp.zeros((4, 2)), ValueError, "same shape after the batch axis"),
    (jnp.zeros(4), jnp.zeros(4), ValueError, "real_features"),
    (jnp.zeros((4, 3)), jnp.zeros((4, 3), jnp.int32), TypeError, "fake_features"),
    (jnp.zeros((0, 3)), jnp.zeros((4, 3)), ValueError, "real_features"),
])
def test_feature_matching_bad_inputs(real, fake, error, match):
  with pytest.raises(error, match=match):
    T.feature_matching(real, fake)


# --- minibatch discrimination (Salimans et al. 2016, Sec. 3.2) ----------------------------------------------------


def minibatch_features_loop(x, kernel, num_kernels, kernel_dim):
  """o(x_i)_b = sum_j exp(-||M_i,b - M_j,b||_1), M_i = x_i T, j = i included; an explicit double loop."""
  n = x.shape[0]
  tensor = kernel.reshape(x.shape[1], num_kernels, kernel_dim)
  m = [np.einsum("a,abc->bc", x[i], tensor) for i in range(n)]
  o = np.zeros((n, num_kernels))
  for i in range(n):
    for j in range(n):
      for b in range(num_kernels):
        o[i, b] += np.exp(-np.sum(np.abs(m[i][b] - m[j][b])))
  return np.concatenate([x, o], axis=1)


def test_minibatch_discrimination_matches_a_double_loop():
  layer = T.MinibatchDiscrimination(num_kernels=3, kernel_dim=4)
  x = RNG.normal(size=(5, 6))
  params = layer.init(jax.random.key(0), jnp.asarray(x, jnp.float32))
  params = jax.tree.map(lambda p: 5.0 * p, params)  # distances of order 1, so c_b is far from 0 and 1
  got = jax.jit(layer.apply)(params, jnp.asarray(x, jnp.float32))
  kernel = np.asarray(params["params"]["kernel"], np.float64)
  assert got.shape == (5, 6 + 3)
  np.testing.assert_allclose(got, minibatch_features_loop(x, kernel, 3, 4), rtol=1e-5, atol=1e-6)


def test_minibatch_discrimination_counts_each_sample_with_itself():
  # A lone sample's only neighbour is itself: c_b(x, x) = exp(0) = 1 for every kernel.
  layer = T.MinibatchDiscrimination(num_kernels=2, kernel_dim=3)
  x = jnp.asarray(RNG.normal(size=(1, 4)), jnp.float32)
  out = layer.apply(layer.init(jax.random.key(1), x), x)
  np.testing.assert_array_equal(out[:, 4:], 1.0)


@pytest.mark.parametrize("kwargs,x,match", [
    ({"num_kernels": 2, "kernel_dim": 3}, jnp.zeros((4, 2, 2)), "flatten"),
    ({"num_kernels": 0, "kernel_dim": 3}, jnp.zeros((4, 2)), "num_kernels"),
    ({"num_kernels": 2, "kernel_dim": 1.5}, jnp.zeros((4, 2)), "kernel_dim"),
])
def test_minibatch_discrimination_bad_inputs(kwargs, x, match):
  with pytest.raises(ValueError, match=match):
    T.MinibatchDiscrimination(**kwargs).init(jax.random.key(0), x)


# --- minibatch standard deviation (Karras et al. 2018, Sec. 3) ----------------------------------------------------


def minibatch_stddev_loop(x, group_size, num_features):
  """ProGAN's statistic with loops: group m holds samples m, m + M, m + 2M, ...; one scalar per group and split."""
  batch, channels = x.shape[0], x.shape[-1]
  group = min(group_size, batch)
  groups, width = batch // group, channels // num_features
  extra = np.zeros(x.shape[:-1] + (num_features,))
  for m in range(groups):
    members = x[m::groups]
    for k in range(num_features):
      split = members[..., k * width:(k + 1) * width]
      stat = np.mean(np.sqrt(np.var(split, axis=0) + 1e-8))
      extra[m::groups, ..., k] = stat
  return np.concatenate([x, extra], axis=-1)


@pytest.mark.parametrize("shape,group_size,num_features", [
    ((8, 3, 3, 4), 4, 2),   # NHWC, two groups of four, two channel splits
    ((6, 5), 3, 1),         # (batch, features)
    ((2, 2, 2, 3), 4, 1),   # batch smaller than the group: one group of 2 (ProGAN's min)
])
def test_minibatch_stddev_matches_numpy(shape, group_size, num_features):
  x = RNG.normal(size=shape) * np.linspace(0.5, 2.0, shape[0]).reshape(-1, *([1] * (len(shape) - 1)))
  layer = T.MinibatchStdDev(group_size=group_size, num_features=num_features)
  got = jax.jit(lambda v: layer.apply({}, v))(jnp.asarray(x, jnp.float32))
  assert got.shape == shape[:-1] + (shape[-1] + num_features,)
  np.testing.assert_allclose(got, minibatch_stddev_loop(x, group_size, num_features), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kwargs,x,match", [
    ({"group_size": 4}, jnp.zeros((6, 3)), "multiple of `group_size`"),
    ({"num_features": 2}, jnp.zeros((4, 3)), "num_features"),
    ({"group_size": 0}, jnp.zeros((4, 3)), "group_size"),
    ({}, jnp.zeros(4), "rank >= 2"),
])
def test_minibatch_stddev_bad_inputs(kwargs, x, match):
  with pytest.raises(ValueError, match=match):
    T.MinibatchStdDev(**kwargs).apply({}, x)


def test_mlp_critic_scores_its_features_with_the_minibatch_statistic_appended():
  x = jnp.asarray(RNG.normal(size=(8, 2)), jnp.float32)
  critic = jg.models.MLPCritic(hidden=(16, 16), minibatch="stddev", return_features=True)
  params = critic.init(jax.random.key(0), x)["params"]
  out = critic.apply({"params": params}, x)
  h = np.asarray(out["features"], np.float64)
  dense = params["Dense_2"]
  expected = minibatch_stddev_loop(h, 4, 1) @ np.asarray(dense["kernel"], np.float64)[:, 0] + float(dense["bias"][0])
  np.testing.assert_allclose(out["scores"], expected, rtol=1e-5, atol=1e-6)
  # The discrimination layer adds its kernel; both refuse unknown names.
  assert "MinibatchDiscrimination_0" in jg.models.MLPCritic(hidden=(16,), minibatch="discrimination").init(
      jax.random.key(0), x)["params"]
  with pytest.raises(ValueError, match="minibatch"):
    jg.models.MLPCritic(minibatch="std").init(jax.random.key(0), x)


def minibatch_gan(separate_batches, minibatch="stddev"):
  return jg.train.GAN(generator=jg.models.MLPGenerator(hidden=(16,)),
                      critic=jg.models.MLPCritic(hidden=(16,), minibatch=minibatch), objective="non_saturating",
                      latent_dim=2, separate_batches=separate_batches)


def test_separate_batches_score_real_apart_from_fake_and_change_nothing_for_a_per_sample_critic():
  real = jnp.asarray(RNG.normal(size=(1, 8, 2)), jnp.float32)
  gan = minibatch_gan(True)
  state = gan.init(jax.random.key(0), real[0])
  critic = gan.critic_fn(state)  # the critic of the step's first update, before it
  _, metrics = gan.step(jax.tree.map(jnp.copy, state), real)
  # The real batch's scores are the critic's on the real batch alone (its own minibatch statistic) ...
  np.testing.assert_allclose(metrics["real_score"], jnp.mean(critic(real[0])), rtol=1e-5)
  # ... and not what one call on [real; fake] gives, where the statistic mixes both.
  mixed_gan = minibatch_gan(False)
  _, mixed = mixed_gan.step(mixed_gan.init(jax.random.key(0), real[0]), real)
  assert abs(float(mixed["real_score"]) - float(metrics["real_score"])) > 1e-4
  # A per-sample critic cannot tell the difference.
  plain = [minibatch_gan(separate, minibatch=None) for separate in (False, True)]
  states = [gan.step(gan.init(jax.random.key(0), real[0]), real)[0] for gan in plain]
  chex.assert_trees_all_close(states[0].critic.params, states[1].critic.params, rtol=1e-5, atol=1e-6)
  chex.assert_trees_all_close(states[0].generator.params, states[1].generator.params, rtol=1e-5, atol=1e-6)


# --- historical averaging (Salimans et al. 2016, Sec. 3.3) --------------------------------------------------------


def test_historical_averaging_keeps_the_mean_of_the_parameter_history():
  weight = 0.3
  tx = T.historical_averaging(weight)
  history = [{"w": RNG.normal(size=(2, 3)), "b": RNG.normal(size=(3,))} for _ in range(5)]
  state = tx.init(jax.tree.map(jnp.asarray, history[0]))
  update = jax.jit(tx.update)
  for t, params in enumerate(history, start=1):
    grads = {"w": RNG.normal(size=(2, 3)), "b": RNG.normal(size=(3,))}
    updates, state = update(jax.tree.map(jnp.float32, grads), state, jax.tree.map(jnp.float32, params))
    assert int(state.count) == t
    for name in ("w", "b"):
      mean = np.mean([h[name] for h in history[:t]], axis=0)
      np.testing.assert_allclose(state.mean[name], mean, rtol=1e-5, atol=1e-6)
      np.testing.assert_allclose(updates[name], grads[name] + 2 * weight * (params[name] - mean), rtol=1e-5,
                                 atol=1e-6)


def test_historical_averaging_adds_the_gradient_of_its_term():
  # Central finite differences of w ||theta - theta_bar||^2 (theta_bar fixed) in float64.
  weight = 0.7
  with jax.enable_x64(True):
    tx = T.historical_averaging(weight)
    first, second = RNG.normal(size=4), RNG.normal(size=4)
    state = tx.init(jnp.asarray(first))
    _, state = tx.update(jnp.zeros(4), state, jnp.asarray(first))
    added, state = tx.update(jnp.zeros(4), state, jnp.asarray(second))
    mean = np.asarray(state.mean)
    term = lambda theta: weight * np.sum((theta - mean) ** 2)
    eps = 1e-6
    fd = np.array([(term(second + eps * e) - term(second - eps * e)) / (2 * eps) for e in np.eye(4)])
    np.testing.assert_allclose(added, fd, rtol=1e-7, atol=1e-9)
    assert not np.allclose(added, 0.0)


def test_historical_averaging_in_a_chain_moves_params_towards_their_past():
  tx = optax.chain(T.historical_averaging(1.0), optax.sgd(0.1))
  params = jnp.zeros(2)
  state = tx.init(params)
  _, state = tx.update(jnp.zeros(2), state, params)  # theta_bar = 0
  moved = jnp.ones(2)
  updates, _ = tx.update(jnp.zeros(2), state, moved)  # theta_bar = 1/2: pulled back by 0.1 * 2 * (1 - 1/2)
  np.testing.assert_allclose(updates, -0.1, rtol=1e-6)


def test_historical_averaging_bad_inputs():
  tx = T.historical_averaging(0.1)
  with pytest.raises(ValueError, match="needs `params`"):
    tx.update(jnp.zeros(2), tx.init(jnp.zeros(2)))
  with pytest.raises(ValueError, match="weight"):
    T.historical_averaging(-1.0)


# --- one-sided label smoothing (Salimans et al. 2016, Sec. 3.4) ---------------------------------------------------

REAL, FAKE = RNG.normal(0.5, 2.0, size=32), RNG.normal(-0.3, 2.0, size=32)


def soft_target_cross_entropy(real, fake, target):
  """-E[t log sigma(r) + (1 - t) log(1 - sigma(r))] - E log(1 - sigma(f)): soft targets t on reals, 0 on fakes."""
  log_d_real, log_1m_d_real = log_sigmoid(real), log_sigmoid(-real)
  return -np.mean(target * log_d_real + (1 - target) * log_1m_d_real) - np.mean(log_sigmoid(-fake))


@VARIANTS
@pytest.mark.parametrize("name", ["minimax", "non_saturating"])
def test_label_smoothing_is_the_cross_entropy_with_a_soft_real_target(name, variant):
  objective = jg.losses.get(name, label_smoothing=0.1)
  with jax.enable_x64(True):
    got = variant(objective.critic)(jnp.asarray(REAL), jnp.asarray(FAKE))
    assert got.dtype == jnp.float64
    np.testing.assert_allclose(float(got), soft_target_cross_entropy(REAL, FAKE, 0.9), rtol=1e-12)
    direct = variant(lambda r, f: jg.losses.minimax_critic(r, f, label_smoothing=0.25))(REAL, FAKE)
    np.testing.assert_allclose(float(direct), soft_target_cross_entropy(REAL, FAKE, 0.75), rtol=1e-12)
  # The generator's loss does not change.
  plain = jg.losses.get(name)
  np.testing.assert_array_equal(objective.generator(jnp.asarray(FAKE, jnp.float32)),
                                plain.generator(jnp.asarray(FAKE, jnp.float32)))


@VARIANTS
def test_zero_label_smoothing_is_the_plain_loss_exactly(variant):
  real, fake = jnp.asarray(REAL, jnp.float32), jnp.asarray(FAKE, jnp.float32)
  # The loss before label smoothing existed, through the same variant (compiled and eager sums may differ by an ulp).
  plain = variant(lambda r, f: jnp.mean(jax.nn.softplus(-r)) + jnp.mean(jax.nn.softplus(f)))(real, fake)
  for name in ("minimax", "non_saturating"):
    np.testing.assert_array_equal(variant(jg.losses.get(name, label_smoothing=0.0).critic)(real, fake), plain)
    np.testing.assert_array_equal(variant(jg.losses.get(name).critic)(real, fake), plain)
  assert jg.losses.hyperparameters("minimax") == {"label_smoothing": 0.0}
  assert jg.losses.hyperparameters("non_saturating") == {"label_smoothing": 0.0}


@pytest.mark.parametrize("value,error", [(1.0, ValueError), (-0.1, ValueError), (float("nan"), ValueError),
                                         ("0.1", TypeError)])
def test_label_smoothing_bad_values(value, error):
  with pytest.raises(error, match="label_smoothing"):
    jg.losses.get("non_saturating", label_smoothing=value)
  with pytest.raises(error, match="label_smoothing"):
    jg.losses.minimax_critic(jnp.zeros(2), jnp.zeros(2), label_smoothing=value)
  with pytest.raises(ValueError, match="does not take"):
    jg.losses.get("hinge", label_smoothing=0.1)


# --- virtual batch normalisation (Salimans et al. 2016, Sec. 3.5) -------------------------------------------------


def virtual_batch_norm_loop(x, reference, scale, bias, epsilon=1e-5):
  """Each example normalised with the statistics of the reference batch with that example appended to it."""
  axes = tuple(range(x.ndim - 1))
  out = np.empty_like(x)
  for i in range(x.shape[0]):
    pooled = np.concatenate([reference, x[i:i + 1]], axis=0)
    out[i] = (x[i] - pooled.mean(axis=axes)) / np.sqrt(pooled.var(axis=axes) + epsilon) * scale + bias
  ref_out = (reference - reference.mean(axis=axes)) / np.sqrt(reference.var(axis=axes) + epsilon) * scale + bias
  return out, ref_out


@pytest.mark.parametrize("shape,ref_batch", [((5, 3), 4), ((3, 4, 4, 2), 6)])
def test_virtual_batch_norm_matches_numpy(shape, ref_batch):
  x = RNG.normal(1.0, 3.0, size=shape)
  reference = RNG.normal(-0.5, 0.7, size=(ref_batch,) + shape[1:])
  layer = T.VirtualBatchNorm()
  params = layer.init(jax.random.key(0), jnp.asarray(x, jnp.float32), jnp.asarray(reference, jnp.float32))
  scale, bias = RNG.uniform(0.5, 2.0, size=shape[-1]), RNG.normal(size=shape[-1])
  params = {"params": {"scale": jnp.asarray(scale, jnp.float32), "bias": jnp.asarray(bias, jnp.float32)}}
  got, got_ref = jax.jit(layer.apply)(params, jnp.asarray(x, jnp.float32), jnp.asarray(reference, jnp.float32))
  expected, expected_ref = virtual_batch_norm_loop(x, reference, scale, bias)
  np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
  np.testing.assert_allclose(got_ref, expected_ref, rtol=1e-4, atol=1e-5)


def test_virtual_batch_norm_bad_inputs():
  layer = T.VirtualBatchNorm()
  with pytest.raises(ValueError, match="same shape after the batch axis"):
    layer.init(jax.random.key(0), jnp.zeros((2, 3)), jnp.zeros((4, 2)))
  with pytest.raises(ValueError, match="reference"):
    layer.init(jax.random.key(0), jnp.zeros((2, 3)), jnp.zeros((0, 3)))
  with pytest.raises(ValueError, match="epsilon"):
    T.VirtualBatchNorm(epsilon=0.0).init(jax.random.key(0), jnp.zeros((2, 3)), jnp.zeros((4, 3)))


def test_vbn_generator_is_the_numpy_network_carrying_its_fixed_reference_batch():
  """MLPGenerator(virtual_batch_norm=N): every hidden layer normalised against the reference latents' activations."""
  generator = jg.models.MLPGenerator(output_dim=2, hidden=(5, 4), virtual_batch_norm=6, reference_seed=3)
  z = jax.random.normal(jax.random.key(1), (4, 3))
  params = generator.init(jax.random.key(2), z)["params"]
  params = jax.tree.map(lambda p: p + 0.3 * jax.random.normal(jax.random.key(4), p.shape), params)  # scale, bias != 1, 0
  p = jax.tree.map(lambda a: np.asarray(a, np.float64), params)
  h, h_ref = np.asarray(z, np.float64), np.asarray(jax.random.normal(jax.random.key(3), (6, 3)), np.float64)
  for i in range(2):
    dense, vbn = p[f"Dense_{i}"], p[f"VirtualBatchNorm_{i}"]
    h, h_ref = virtual_batch_norm_loop(h @ dense["kernel"] + dense["bias"], h_ref @ dense["kernel"] + dense["bias"],
                                       vbn["scale"], vbn["bias"])
    h, h_ref = np.maximum(h, 0), np.maximum(h_ref, 0)
  expected = h @ p["Dense_2"]["kernel"] + p["Dense_2"]["bias"]
  out = generator.apply({"params": params}, z)
  np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
  np.testing.assert_allclose(generator.apply({"params": params}, z[1:2]), out[1:2], rtol=1e-5, atol=1e-6)
  images = jg.models.DCGANGenerator(features=(8, 4), channels=1, virtual_batch_norm=5)
  image_params = images.init(jax.random.key(0), z)
  assert {"VirtualBatchNorm_0", "VirtualBatchNorm_1"} <= set(image_params["params"])
  np.testing.assert_allclose(images.apply(image_params, z[2:3]), images.apply(image_params, z)[2:3], atol=1e-6)
  for bad, match in (({"virtual_batch_norm": -1}, "integer >= 0"), ({"virtual_batch_norm": 4, "num_classes": 3},
                                                                     "unconditional")):
    with pytest.raises(ValueError, match=match):
      jg.models.MLPGenerator(**bad).init(jax.random.key(0), z, *(() if "num_classes" not in bad else (jnp.zeros(4, int),)))


# --- instance noise (Sønderby et al. 2017; Arjovsky & Bottou 2017) ------------------------------------------------


@VARIANTS
def test_instance_noise_has_the_stated_moments(variant):
  x = jnp.full((500, 200), 0.25, jnp.float32)
  noise = np.asarray(variant(T.instance_noise)(jax.random.key(3), x, 0.3), np.float64) - 0.25
  n = noise.size
  # 5-sigma bands of the sample mean and the sample std of n Gaussians.
  assert abs(noise.mean()) < 5 * 0.3 / np.sqrt(n)
  assert abs(noise.std() - 0.3) < 5 * 0.3 / np.sqrt(2 * n)
  assert abs(np.mean(noise[:, :-1] * noise[:, 1:])) < 5 * 0.09 / np.sqrt(n)  # neighbours uncorrelated


def test_instance_noise_keys_and_zero_stddev():
  x = jnp.asarray(RNG.normal(size=(4, 3)), jnp.float32)
  key = jax.random.key(0)
  np.testing.assert_array_equal(T.instance_noise(key, x, 0.0), x)
  np.testing.assert_array_equal(T.instance_noise(key, x, 0.5), T.instance_noise(key, x, 0.5))
  assert not np.allclose(T.instance_noise(key, x, 0.5), T.instance_noise(jax.random.key(1), x, 0.5))


def test_annealed_instance_noise_is_a_linear_decay_to_zero():
  schedule = T.annealed_instance_noise(0.8, decay_steps=1000)
  steps = np.array([0, 1, 250, 999, 1000, 5000])
  got = jax.jit(jax.vmap(schedule))(jnp.asarray(steps))
  np.testing.assert_allclose(got, 0.8 * np.maximum(0.0, 1.0 - steps / 1000), rtol=1e-6, atol=1e-9)
  assert np.all(got[steps >= 1000] == 0.0)


def test_instance_noise_bad_inputs():
  with pytest.raises(ValueError, match="stddev"):
    T.instance_noise(jax.random.key(0), jnp.zeros((2, 3)), -0.1)
  with pytest.raises(TypeError, match="`x`"):
    T.instance_noise(jax.random.key(0), jnp.zeros((2, 3), jnp.int32), 0.1)
  with pytest.raises(ValueError, match="decay_steps"):
    T.annealed_instance_noise(0.1, decay_steps=0)
  with pytest.raises(ValueError, match="initial_stddev"):
    T.annealed_instance_noise(-0.1, decay_steps=10)


# --- DiffAugment (Zhao et al. 2020) -------------------------------------------------------------------------------

KEY = jax.random.key(7)


def drawn_and_augmented(x, policy):
  """The parameters `diff_augment(KEY, x, policy)` draws, and its output: one compiled call."""
  both = jax.jit(lambda key, v: (T.diff_augment_params(key, v.shape, policy), T.diff_augment(key, v, policy)))
  params, out = both(KEY, x)
  return {name: np.asarray(value) for name, value in params.items()}, np.asarray(out, np.float64)


def test_translation_moves_a_one_hot_pixel_by_the_drawn_shift():
  shape = (64, 16, 16, 1)
  x = jnp.zeros(shape).at[:, 8, 8, 0].set(1.0)
  params, out = drawn_and_augmented(x, ("translation",))
  shift = params["translation"]
  # Up to 16 / 8 pixels; all five values occur in 128 draws (a value is missed with probability < 5 (4/5)^128).
  assert set(np.unique(shift)) == {-2, -1, 0, 1, 2}
  for b in range(shape[0]):
    expected = np.zeros(shape[1:])
    expected[8 + shift[b, 0], 8 + shift[b, 1], 0] = 1.0
    np.testing.assert_array_equal(out[b], expected)


def test_translate_fills_with_zeros_and_drops_what_leaves():
  x = RNG.normal(size=(2, 5, 6, 2))
  shift = np.array([[2, -3], [-1, 1]])
  expected = np.zeros_like(x)
  for b in range(2):
    for i in range(5):
      for j in range(6):
        src_i, src_j = i - shift[b, 0], j - shift[b, 1]
        if 0 <= src_i < 5 and 0 <= src_j < 6:
          expected[b, i, j] = x[b, src_i, src_j]
  got = jax.jit(T.translate)(jnp.asarray(x, jnp.float32), jnp.asarray(shift))
  np.testing.assert_allclose(got, expected, rtol=1e-6)


@pytest.mark.parametrize("height,width", [(8, 8), (7, 9)])
def test_cutout_zeroes_exactly_the_drawn_rectangle(height, width):
  shape = (128, height, width, 2)
  x = jnp.ones(shape)
  params, out = drawn_and_augmented(x, ("cutout",))
  corner = params["cutout"]
  h, w = T.cutout_size(height, width)
  assert (h, w) == (int(height / 2 + 0.5), int(width / 2 + 0.5))
  for b in range(shape[0]):
    expected = np.ones(shape[1:])
    for i in range(height):
      for j in range(width):
        if corner[b, 0] <= i < corner[b, 0] + h and corner[b, 1] <= j < corner[b, 1] + w:
          expected[i, j] = 0.0
    np.testing.assert_array_equal(out[b], expected)
  # The centre (corner + size // 2) is uniform on {0, ..., side - size % 2}, as in the paper's code; with 128 draws of
  # at most 10 values an end is missed with probability < 2 (9/10)^128 < 1e-5.
  centre = corner + np.array([h // 2, w // 2])
  assert centre.min(axis=0).tolist() == [0, 0]
  assert centre.max(axis=0).tolist() == [height - h % 2, width - w % 2]


def test_colour_ops_match_numpy():
  shape = (4, 3, 5, 3)
  x = RNG.uniform(-1.0, 1.0, size=shape)
  params, got = drawn_and_augmented(jnp.asarray(x, jnp.float32), ("color",))
  assert set(params) == {"brightness", "saturation", "contrast"}
  assert np.all(np.abs(params["brightness"]) <= 0.5)
  assert np.all((params["saturation"] >= 0) & (params["saturation"] <= 2))
  assert np.all((params["contrast"] >= 0.5) & (params["contrast"] <= 1.5))
  expected = np.empty_like(x)
  for b in range(shape[0]):
    image = x[b] + params["brightness"][b]
    grey = sum(image[..., c] for c in range(shape[-1]))[..., None] / shape[-1]
    image = grey + params["saturation"][b] * (image - grey)
    average = image.sum() / image.size
    expected[b] = average + params["contrast"][b] * (image - average)
  np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_diff_augment_gradient_matches_finite_differences():
  with jax.enable_x64(True):
    x = jnp.asarray(RNG.uniform(-1.0, 1.0, size=(2, 4, 4, 2)))
    weights = jnp.asarray(RNG.normal(size=x.shape))
    loss = lambda v: jnp.sum(weights * T.diff_augment(KEY, v))
    eps = 1e-3
    steps = eps * jnp.eye(x.size).reshape(x.size, *x.shape)
    central = jax.vmap(lambda d: (loss(x + d) - loss(x - d)) / (2 * eps))
    grad, finite_differences = jax.jit(lambda v: (jax.grad(loss)(v), central(steps)))(x)
    np.testing.assert_allclose(grad, np.asarray(finite_differences).reshape(x.shape), rtol=1e-8, atol=1e-10)
    assert np.count_nonzero(grad) > x.size // 4  # cutout zeroes a quarter of the gradient, no more


def test_diff_augment_is_deterministic_per_key():
  x = jnp.asarray(RNG.uniform(-1.0, 1.0, size=(4, 8, 8, 3)), jnp.float32)
  augment = jax.jit(T.diff_augment)
  same = augment(KEY, x), augment(KEY, x)
  np.testing.assert_array_equal(*same)
  assert not np.allclose(same[0], augment(jax.random.key(8), x))
  np.testing.assert_array_equal(T.diff_augment(KEY, x, ()), x)
  assert same[0].dtype == x.dtype


@pytest.mark.parametrize("call,error,match", [
    (lambda: T.diff_augment(KEY, jnp.zeros((2, 4, 4))), ValueError, "NHWC"),
    (lambda: T.diff_augment(KEY, jnp.zeros((2, 4, 4, 1), jnp.int32)), TypeError, "floating"),
    (lambda: T.diff_augment(KEY, jnp.zeros((2, 4, 4, 1)), "color"), TypeError, "policy"),
    (lambda: T.diff_augment(KEY, jnp.zeros((2, 4, 4, 1)), ("flip",)), ValueError, "DiffAugment policy"),
    (lambda: T.diff_augment(KEY, jnp.zeros((2, 4, 4, 1)), ("color", "color")), ValueError, "twice"),
    (lambda: T.translate(jnp.zeros((2, 4, 4, 1)), jnp.zeros((2,), jnp.int32)), ValueError, "shift"),
    (lambda: T.cutout(jnp.zeros((2, 4, 4, 1)), jnp.zeros((3, 2), jnp.int32)), ValueError, "corner"),
    (lambda: T.adjust_contrast(jnp.zeros((2, 4, 4, 1)), jnp.ones(3)), ValueError, "factor"),
    (lambda: T.diff_augment_params(KEY, (2, 4, 4)), ValueError, "shape"),
])
def test_diff_augment_bad_inputs(call, error, match):
  with pytest.raises(error, match=match):
    call()


def test_public_names():
  assert "techniques" in jg.__all__
  for name in T.__all__:
    assert hasattr(T, name)


def test_cluster_labels_recover_directions_whatever_the_norm_and_number_clusters_by_size():
  # Four groups of 40, 30, 20 and 10 rows along four orthogonal directions, each row scaled by 0.2 or 5: on the
  # L2-normalised rows (cosine geometry) the groups are the clusters, numbered by size; on the raw rows k-means
  # would split by norm instead.
  rng = np.random.default_rng(1)
  sizes = (40, 30, 20, 10)
  y = np.repeat(np.arange(4), sizes)
  x = (np.eye(6)[y] + 0.05 * rng.normal(size=(100, 6))) * rng.choice([0.2, 5.0], size=(100, 1))
  perm = rng.permutation(100)
  for seed in range(4):  # whatever k-means numbered its clusters from each seed's starts
    labels = T.cluster_labels(x[perm].reshape(100, 2, 3), 4, seed=seed)  # rows of any shape are flattened
    assert labels.dtype == np.int32
    np.testing.assert_array_equal(labels, y[perm])


def _four_directions(rng, sizes=(25, 25, 25, 25), noise=0.05):
  y = np.repeat(np.arange(4), sizes)
  return np.eye(6)[y] + noise * rng.normal(size=(y.size, 6)), y


def test_recluster_labels_keep_the_previous_numbering_and_repair_mislabelled_rows():
  # Four groups along orthogonal directions. Previous labels: the groups under the numbering (2, 0, 3, 1), with 20
  # of the 100 rows given a wrong label. Re-clustering recovers the groups and keeps the previous numbering.
  rng = np.random.default_rng(3)
  x, y = _four_directions(rng)
  numbering = np.array([2, 0, 3, 1])
  previous = numbering[y]
  wrong = rng.choice(100, 20, replace=False)
  previous[wrong] = (previous[wrong] + rng.integers(1, 4, 20)) % 4
  labels = T.recluster_labels(x * rng.choice([0.2, 5.0], size=(100, 1)), previous)  # any norm: unit rows
  assert labels.dtype == np.int32
  np.testing.assert_array_equal(labels, numbering[y])


def test_recluster_labels_start_from_the_previous_clusters_means():
  # Previous clusters that split group 0 (labels 0 and 3) and merge groups 2 and 3 (label 2): Lloyd's algorithm from
  # their means stays there (k-means++ starts would find the four groups), as the GAN's classes continue.
  rng = np.random.default_rng(5)
  x, y = _four_directions(rng)
  previous = np.minimum(y, 2)
  previous[:12] = 3
  labels = T.recluster_labels(x, previous)
  assert set(labels[y == 0]) == {0, 3}
  assert (labels[y == 1] == 1).all() and (labels[y >= 2] == 2).all()


def test_the_cluster_matching_maximises_the_rows_that_keep_their_label():
  from jaxgan._src.techniques.cluster_labels import _match_clusters

  rng = np.random.default_rng(0)
  for _ in range(20):
    labels, reference = rng.integers(0, 4, 60), rng.integers(0, 4, 60)
    reference[:30] = np.array([3, 1, 0, 2])[labels[:30]]  # half the rows agree under one renumbering
    mapping = _match_clusters(labels, reference, 4)
    best = max(itertools.permutations(range(4)), key=lambda m: (np.array(m)[labels] == reference).sum())
    assert sorted(mapping) == [0, 1, 2, 3]
    assert (mapping[labels] == reference).sum() == (np.array(best)[labels] == reference).sum()


def test_a_cluster_left_empty_restarts_at_a_seeded_row():
  # Groups of 40, 30, 20 and 10 rows; previously groups 2 and 3 shared label 3 and label 2 was empty. The empty
  # cluster starts at a row drawn with `seed`: from a row of group 2 or 3 it takes that group, and the matching
  # gives label 3 to the larger, group 2 (it keeps more rows' label).
  rng = np.random.default_rng(6)
  x, y = _four_directions(rng, sizes=(40, 30, 20, 10))
  previous = np.where(y >= 2, 3, y)
  start = {s: np.random.default_rng(s).choice(100, size=1, replace=False)[0] for s in range(20)}
  for seed in [s for s in start if start[s] >= 70][:3]:
    np.testing.assert_array_equal(T.recluster_labels(x, previous, seed=seed), np.array([0, 1, 3, 2])[y])
  # From a row of group 0 it splits group 0 instead, and groups 2 and 3 stay merged: the start is that row.
  for seed in [s for s in start if start[s] < 40][:3]:
    labels = T.recluster_labels(x, previous, seed=seed)
    assert set(labels[y == 0]) == {0, 2} and (labels[y == 1] == 1).all() and (labels[y >= 2] == 3).all()


@pytest.mark.parametrize("previous,match", [
    (np.zeros(5, np.int64), r"\(n,\) = \(6,\)"),
    (np.array([0, 1, 0, 1, 0, 1.0]), "integer labels"),
    (np.array([0, 1, 0, 1, 0, -1]), r"in \[0, n\)"),
    (np.zeros(6, np.int64), "k >= 2 clusters"),
])
def test_recluster_labels_bad_input(previous, match):
  with pytest.raises(ValueError, match=match):
    T.recluster_labels(np.arange(12.0).reshape(6, 2), previous)


@pytest.mark.parametrize("kwargs,match", [
    (dict(features=np.zeros(5)), r"numeric array \(n, ...\)"),
    (dict(features=np.array([["a", "b"]] * 3)), "numeric array"),
    (dict(num_clusters=1), r"num_clusters.*\[2, 6\]"),
    (dict(num_clusters=7), r"num_clusters.*\[2, 6\]"),
    (dict(num_clusters=2.0), "num_clusters"),
    (dict(restarts=0), "restarts"),
    (dict(features=np.full((6, 2), np.nan)), "non-finite"),
])
def test_cluster_labels_bad_input(kwargs, match):
  args = dict(features=np.arange(12.0).reshape(6, 2), num_clusters=2) | kwargs
  with pytest.raises(ValueError, match=match):
    T.cluster_labels(args.pop("features"), **args)
