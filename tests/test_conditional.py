"""Conditional GANs: label layers against NumPy, labels through data, step and sampling, and clear errors."""

import json
import os
import shutil
import subprocess
import sys

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxgan as jg

C = 3


def labels_of(n, key=0):
  return jax.random.randint(jax.random.key(key), (n,), 0, C)


def test_projection_critic_is_psi_of_phi_plus_the_label_embedding_dotted_with_phi():
  critic = jg.models.MLPCritic(hidden=(8, 8), num_classes=C, return_features=True)
  x, y = jax.random.normal(jax.random.key(1), (6, 2)), labels_of(6)
  params = critic.init(jax.random.key(2), x, y)["params"]
  out = critic.apply({"params": params}, x, y)
  # psi(phi(x)): the unconditional critic with the same dense layers.
  plain = jg.models.MLPCritic(hidden=(8, 8), return_features=True)
  dense = {k: v for k, v in params.items() if k.startswith("Dense")}
  base = plain.apply({"params": dense}, x)
  np.testing.assert_allclose(out["features"], base["features"])
  embedding = np.asarray(params["class_projection"]["embedding"])
  expected = np.asarray(base["scores"]) + np.sum(embedding[np.asarray(y)] * np.asarray(base["features"]), axis=1)
  np.testing.assert_allclose(out["scores"], expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("conditional, plain", [
    (jg.models.MLPCritic(hidden=(8,), num_classes=C, conditioning="concat", embed_dim=4),
     jg.models.MLPCritic(hidden=(8,))),
    (jg.models.MLPGenerator(hidden=(8,), num_classes=C, embed_dim=4), jg.models.MLPGenerator(hidden=(8,))),
], ids=["critic", "generator"])
def test_concat_critic_and_generator_see_the_label_embedding_beside_their_input(conditional, plain):
  x, y = jax.random.normal(jax.random.key(1), (5, 2)), labels_of(5)
  params = conditional.init(jax.random.key(2), x, y)["params"]
  inputs = jnp.concatenate([x, params["Embed_0"]["embedding"][y]], axis=1)
  np.testing.assert_allclose(conditional.apply({"params": params}, x, y),
                             plain.apply({"params": {k: params[k] for k in ("Dense_0", "Dense_1")}}, inputs),
                             rtol=1e-6)


def test_conditional_layer_norm_is_class_gain_and_bias_around_a_plain_layer_norm():
  h, y = jax.random.normal(jax.random.key(1), (4, 6)), labels_of(4)
  layer = jg.models.ConditionalLayerNorm(C)
  params = layer.init(jax.random.key(0), h, y)["params"]
  chex.assert_trees_all_close(layer.apply({"params": params}, h, y),  # zero gain and bias at init
                              jax.nn.standardize(h, axis=-1, epsilon=1e-6), rtol=1e-6, atol=1e-6)
  gain, bias = (np.asarray(jax.random.normal(jax.random.key(k), (C, 6))) for k in (2, 3))
  params = {"gain": {"embedding": gain}, "bias": {"embedding": bias}}
  hn = np.asarray(h, np.float64)
  normed = (hn - hn.mean(1, keepdims=True)) / np.sqrt(hn.var(1, keepdims=True) + 1e-6)
  expected = (1 + gain[np.asarray(y)]) * normed + bias[np.asarray(y)]
  np.testing.assert_allclose(layer.apply({"params": params}, h, y), expected, rtol=1e-5, atol=1e-5)


def test_a_labelled_toy_stream_gives_the_unlabelled_points_and_each_points_mode():
  ring = jg.data.get("ring8")
  labelled = jg.data.toy_stream(ring, jax.random.key(0), batch_size=64, n_critic=2, labels=True)
  x, y = labelled.batch(3)
  chex.assert_shape(y, (2, 64))
  assert y.dtype == jnp.int32
  chex.assert_trees_all_equal(x, jg.data.toy_stream(ring, jax.random.key(0), batch_size=64, n_critic=2).batch(3))
  nearest = np.argmin(np.linalg.norm(np.asarray(x)[..., None, :] - ring.modes, axis=-1), axis=-1)
  np.testing.assert_array_equal(y, nearest)
  with pytest.raises(ValueError, match="labels=True.*swiss_roll"):
    jg.data.toy_stream(jg.data.get("swiss_roll"), jax.random.key(0), batch_size=4, labels=True)


def linear_players():
  """G(z, y) = a * z + b[y], D(x, y) = s[y] <w, x> + c[y]: plain-function players whose step has a closed form."""
  def generator_init(key, z, y):
    return {"a": jnp.zeros(2), "b": jax.random.normal(key, (C, 2))}, {}

  def generator_apply(params, model_state, z, y):
    return params["a"] * z + params["b"][y], model_state

  def critic_init(key, x, y):
    w, s, c = jax.random.normal(key, (3, C))
    return {"w": w[:2], "s": 1.0 + 0.5 * s, "c": c}, {}

  def critic_apply(params, model_state, x, y):
    return params["s"][y] * (x @ params["w"]) + params["c"][y], model_state

  return jg.train.Player(generator_init, generator_apply), jg.train.Player(critic_init, critic_apply)


def test_the_conditional_step_draws_fakes_for_the_real_labels_and_trains_the_generator_per_class():
  """WGAN, SGD(lr): with a = 0 the fake of row i is b[y_i], so the step has a closed form in the labels.

  Critic loss mean_i s[y_i] <w, b[y_i] - r_i> (the c[y_i] cancel: fakes are
  drawn for the real labels, so c's gradient is exactly 0); then the
  generator's b[k] moves by lr * (count of k / B) * s'[k] w', primes the
  critic after its update.
  """
  generator, critic = linear_players()
  lr = 0.1
  gan = jg.train.GAN(generator=generator, critic=critic, objective="wgan", latent_dim=2, num_classes=C,
                     generator_optimizer=optax.sgd(lr), critic_optimizer=optax.sgd(lr))
  state = gan.init(jax.random.key(0), jnp.zeros((1, 2)))
  real, y = jax.random.normal(jax.random.key(1), (1, 16, 2)), labels_of(16)[None]
  params = {k: np.asarray(v, np.float64) for k, v in {**state.critic.params, **state.generator.params}.items()}
  new, _ = gan.step(jax.tree.map(jnp.copy, state), real, y)  # the step donates its state
  b, w, s, c = params["b"], params["w"], params["s"], params["c"]
  labels, r = np.asarray(y[0]), np.asarray(real[0], np.float64)
  grad_w = np.mean(s[labels][:, None] * (b[labels] - r), axis=0)
  grad_s = np.array([np.sum((b[k] - r[labels == k]) @ w) for k in range(C)]) / 16
  w_new, s_new = w - lr * grad_w, s - lr * grad_s
  np.testing.assert_allclose(new.critic.params["w"], w_new, rtol=1e-5)
  np.testing.assert_allclose(new.critic.params["s"], s_new, rtol=1e-5)
  np.testing.assert_array_equal(new.critic.params["c"], c.astype(np.float32))
  counts = np.bincount(labels, minlength=C) / 16
  np.testing.assert_allclose(new.generator.params["b"], b + lr * (counts * s_new)[:, None] * w_new[None], rtol=1e-5)


def tiny_conditional(penalty="r1", **kwargs):
  return jg.train.GAN(generator=jg.models.MLPGenerator(hidden=(16, 16), num_classes=C),
                      critic=jg.models.MLPCritic(hidden=(16, 16), num_classes=C), objective="non_saturating",
                      penalty=penalty, latent_dim=2, num_classes=C, n_critic=2, **kwargs)


def test_conditional_runs_chain_steps_and_vmapped_runs_equal_single_runs():
  """`run` on a labelled stream equals `step` on its batches, and run i of two equals the single run i."""
  grid = jg.data.get("grid25")
  mixture = grid._replace(labelled_sample=lambda key, n: (lambda x, y: (x, y % C))(*grid.labelled_sample(key, n)))
  stream = jg.data.toy_stream(mixture, jax.random.key(1), batch_size=8, n_critic=2, labels=True)
  gan = tiny_conditional()
  ran, _ = gan.run(gan.init(jax.random.key(0), jnp.zeros((1, 2))), stream, 3)
  stepped = gan.init(jax.random.key(0), jnp.zeros((1, 2)))
  for s in range(3):
    stepped, _ = gan.step(stepped, *stream.batch(s))
  chex.assert_trees_all_close(ran.replace(rng_key=None), stepped.replace(rng_key=None), rtol=1e-6, atol=1e-7)

  runs = tiny_conditional(num_runs=2)
  keys = jnp.stack([jax.random.key(0), jax.random.key(5)])
  data_keys = jnp.stack([jax.random.key(1), jax.random.key(6)])
  vmapped, _ = runs.run(runs.init(keys, jnp.zeros((1, 2))),
                        jg.data.toy_stream(mixture, data_keys, batch_size=8, n_critic=2, labels=True), 3)
  second, _ = gan.run(gan.init(jax.random.key(5), jnp.zeros((1, 2))),
                      jg.data.toy_stream(mixture, jax.random.key(6), batch_size=8, n_critic=2, labels=True), 3)
  chex.assert_trees_all_close(jg.train.select_run(vmapped, 1).replace(rng_key=None), second.replace(rng_key=None),
                              rtol=1e-5, atol=1e-6)
  samples = runs.sample(vmapped, jax.random.key(2), 4, labels=jnp.arange(4) % C)
  chex.assert_shape(samples, (2, 4, 2))
  np.testing.assert_allclose(samples[1], gan.sample(second, jax.random.key(2), 4, labels=jnp.arange(4) % C),
                             rtol=1e-5, atol=1e-6)


def test_sample_and_the_closures_follow_the_labels():
  gan = tiny_conditional()
  state = gan.init(jax.random.key(0), jnp.zeros((1, 2)))
  z = jax.random.normal(jax.random.key(2), (6, 2))
  labels = jnp.arange(6) % C
  np.testing.assert_allclose(gan.sample(state, jax.random.key(2), 6, labels), gan.generator_fn(state, labels=labels)(z),
                             rtol=1e-6)
  assert not np.allclose(gan.generator_fn(state, labels=labels)(z), gan.generator_fn(state, labels=labels * 0)(z))
  x = jax.random.normal(jax.random.key(3), (6, 2))
  scores = gan.critic_fn(state, labels=labels)
  np.testing.assert_allclose(scores(jnp.concatenate([x, x])), jnp.tile(scores(x), 2), rtol=1e-6)


def test_conditional_bad_input_gives_clear_errors():
  gan = tiny_conditional()
  state = gan.init(jax.random.key(0), jnp.zeros((1, 2)))
  batch = jnp.zeros((2, 4, 2))
  with pytest.raises(ValueError, match="conditional.*`labels`"):
    gan.step(state, batch)
  with pytest.raises(ValueError, match=r"`labels` must be integer class labels of shape \(2, 4\)"):
    gan.step(state, batch, jnp.zeros((2, 5), jnp.int32))
  with pytest.raises(ValueError, match="`labels` must be integer"):
    gan.step(state, batch, jnp.zeros((2, 4)))
  with pytest.raises(ValueError, match="conditional.*`labels`"):
    gan.sample(state, jax.random.key(0), 3)
  with pytest.raises(ValueError, match="must give `\\(x, labels\\)` pairs"):
    gan.run(state, jg.data.toy_stream(jg.data.get("ring8"), jax.random.key(0), batch_size=4, n_critic=2), 2)
  with pytest.raises(ValueError, match="MLPCritic is conditional"):
    jg.models.MLPCritic(num_classes=C).init(jax.random.key(0), jnp.zeros((1, 2)))
  with pytest.raises(TypeError, match="MLPGenerator is unconditional"):
    jg.models.MLPGenerator().init(jax.random.key(0), jnp.zeros((1, 2)), jnp.zeros(1, jnp.int32))
  with pytest.raises(ValueError, match="`conditioning` must be one of"):
    jg.models.MLPCritic(num_classes=C, conditioning="sum").init(jax.random.key(0), jnp.zeros((1, 2)),
                                                                  jnp.zeros(1, jnp.int32))
  plain = jg.train.GAN(generator=jg.models.MLPGenerator(hidden=(8,)), critic=jg.models.MLPCritic(hidden=(8,)),
                       objective="wgan", latent_dim=2)
  plain_state = plain.init(jax.random.key(0), jnp.zeros((1, 2)))
  with pytest.raises(TypeError, match="GAN is unconditional \\(num_classes=None\\) but was given `labels`"):
    plain.step(plain_state, jnp.zeros((1, 4, 2)), jnp.zeros((1, 4), jnp.int32))
  with pytest.raises(TypeError, match="GAN is unconditional"):
    plain.run(plain_state, jg.data.toy_stream(jg.data.get("ring8"), jax.random.key(0), batch_size=4, labels=True), 2)
  # Per-sample (vmap) input gradients score one point against a batch of labels: refused with the fix.
  vmapped = tiny_conditional(penalty=jg.penalties.get("r1", method="vmap"))
  with pytest.raises(ValueError, match="method='batch_sum' or 'forward_over_reverse'"):
    vmapped.step(vmapped.init(jax.random.key(0), jnp.zeros((1, 2))), batch, jnp.zeros((2, 4), jnp.int32))


def test_labels_out_of_range_halt_training_with_a_message_naming_them():
  gan = tiny_conditional()
  state = gan.init(jax.random.key(0), jnp.zeros((1, 2)))
  batch = jax.random.normal(jax.random.key(1), (2, 4, 2))
  good, _ = gan.step(state, batch, jnp.zeros((2, 4), jnp.int32))
  jg.train.check_health(good)
  state = gan.init(jax.random.key(0), jnp.zeros((1, 2)))
  halted, metrics = gan.step(state, batch, jnp.full((2, 4), C, jnp.int32))
  assert int(metrics["nonfinite"]) == 1
  with pytest.raises(jg.train.NonFiniteError, match=r"Class labels outside \[0, num_classes\) at train step 0"):
    jg.train.check_health(halted)


def test_conditional_mode_accuracy_counts_hits_per_requested_mode():
  modes, std = np.array([[0.0, 0.0], [4.0, 0.0]]), 0.1
  samples = np.array([[0.0, 0.0], [4.0, 0.0], [4.0, 0.05], [2.0, 0.0], [0.0, 0.1]])
  labels = np.array([0, 1, 0, 1, 0])
  result = jg.metrics.conditional_mode_accuracy(samples, labels, modes, std)
  # High quality: rows 0, 1, 2, 4; on their requested mode: rows 0, 1, 4.
  assert result["label_accuracy"] == pytest.approx(3 / 4)
  assert result["class_high_quality"] == pytest.approx([1.0, 0.5])
  assert result["min_class_high_quality"] == pytest.approx(0.5)
  with pytest.raises(ValueError, match=r"`labels` must index `modes`, in \[0, 2\)"):
    jg.metrics.conditional_mode_accuracy(samples, labels + 1, modes, std)


@pytest.mark.slow
def test_ring8_conditional_puts_each_label_on_its_mode_and_sample_draws_label_i_mod_8(tmp_path):
  """The README's conditional row, run as the README runs it; then `experiments.sample` on the trained run."""
  from tests.conftest import ROOT, one_device_env

  def run(*argv):
    subprocess.run([sys.executable, "-m", *argv], check=True, env=one_device_env(), cwd=ROOT, timeout=900)

  run("experiments.train", "--config", "ring8_conditional", "--workdir", str(tmp_path), "--noprogress",
      "--config.plot_every=100000", "--config.checkpoint_every=100000")
  metrics = json.loads((tmp_path / "final_metrics.json").read_text())
  # Measured 2026-11-23 (seed 0, one CPU device): 8/8 modes, 99.4% HQ, label accuracy 1.0, worst label 97.4% HQ.
  assert metrics["modes_covered"] == 8
  assert metrics["label_accuracy"] >= 0.97
  assert metrics["min_class_high_quality"] >= 0.8
  run("experiments.sample", "--workdir", str(tmp_path), "--num", "800", "--seed", "3",
      "--out", str(tmp_path / "samples.npy"))
  samples, ring = np.load(tmp_path / "samples.npy"), jg.data.get("ring8")
  result = jg.metrics.conditional_mode_accuracy(samples, np.arange(800) % 8, ring.modes, ring.std)
  assert result["label_accuracy"] >= 0.97 and result["min_class_high_quality"] >= 0.8


def test_auxiliary_classifier_loss_is_the_mean_softmax_cross_entropy():
  logits, labels = np.array([[2.0, 0.0, -1.0], [0.5, 0.5, 3.0]]), np.array([0, 1])
  expected = np.mean([np.log(np.exp(row).sum()) - row[y] for row, y in zip(logits, labels)])
  np.testing.assert_allclose(jg.techniques.auxiliary_classifier_loss(logits, labels), expected, rtol=1e-6)
  with pytest.raises(ValueError, match=r"`class_logits` must have shape \(batch, num_classes\)"):
    jg.techniques.auxiliary_classifier_loss(logits[0], labels)


def test_ac_gan_step_adds_the_class_losses_of_real_and_fake_to_the_critic_and_of_fake_to_the_generator():
  """AC-GAN (Odena et al. 2017) with linear players: D(x) = <w, x>, class logits x V; G(z, y) = b[y] (a = 0).

  SGD(lr), WGAN: the critic's V moves by -lr * lam * (grad CE(r V, y) + grad CE(b[y] V, y)), and the generator's
  b by -lr * (grad of -mean <w', b[y]> + lam * CE(b[y] V', y)), primes the critic after its update.
  """
  def generator_init(key, z, y):
    return {"a": jnp.zeros(2), "b": jax.random.normal(key, (C, 2))}, {}

  def critic_init(key, x, y):
    return {"w": jax.random.normal(key, (2,)), "V": jax.random.normal(jax.random.fold_in(key, 1), (2, C))}, {}

  def critic_apply(params, model_state, x, y):
    return {"scores": x @ params["w"], "class_logits": x @ params["V"]}, model_state

  generator = jg.train.Player(generator_init, lambda p, s, z, y: (p["a"] * z + p["b"][y], s))
  lam, lr = 0.7, 0.1
  gan = jg.train.GAN(generator=generator, critic=jg.train.Player(critic_init, critic_apply), objective="wgan",
                     latent_dim=2, num_classes=C, auxiliary_classifier=lam, generator_optimizer=optax.sgd(lr),
                     critic_optimizer=optax.sgd(lr))
  state = gan.init(jax.random.key(0), jnp.zeros((1, 2)))
  real, y = jax.random.normal(jax.random.key(1), (1, 16, 2)), labels_of(16)[None]
  b, w, V = (np.asarray(v, np.float64) for v in (state.generator.params["b"], state.critic.params["w"],
                                                  state.critic.params["V"]))
  new, _ = gan.step(jax.tree.map(jnp.copy, state), real, y)
  labels, r = np.asarray(y[0]), np.asarray(real[0], np.float64)
  onehot, fake = np.eye(C)[labels], b[labels]

  def softmax(z):
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)

  def grad_ce_wrt_v(x, V):  # d/dV mean_i CE(x_i V, y_i)
    return x.T @ (softmax(x @ V) - onehot) / len(x)

  w_new = w - lr * (fake.mean(0) - r.mean(0))
  V_new = V - lr * lam * (grad_ce_wrt_v(r, V) + grad_ce_wrt_v(fake, V))
  np.testing.assert_allclose(new.critic.params["w"], w_new, rtol=1e-5)
  np.testing.assert_allclose(new.critic.params["V"], V_new, rtol=1e-5, atol=1e-7)
  # Generator: d/db[k] of -mean_i <w', b[y_i]> + lam mean_i CE(b[y_i] V', y_i).
  row_grads = -w_new[None] + lam * (softmax(fake @ V_new) - onehot) @ V_new.T
  grad_b = np.stack([row_grads[labels == k].sum(0) for k in range(C)]) / 16
  np.testing.assert_allclose(new.generator.params["b"], b - lr * grad_b, rtol=1e-5, atol=1e-7)
  with pytest.raises(ValueError, match="needs class labels: set `num_classes`"):
    jg.train.GAN(generator=generator, critic=jg.train.Player(critic_init, critic_apply), objective="wgan",
                 latent_dim=2, auxiliary_classifier=1.0)


def test_auxiliary_critic_scores_x_alone_and_adds_a_linear_class_head_on_its_features():
  x, y = jax.random.normal(jax.random.key(1), (5, 2)), labels_of(5)
  critic = jg.models.MLPCritic(hidden=(8,), num_classes=C, conditioning="auxiliary")
  params = critic.init(jax.random.key(2), x, y)["params"]
  out = critic.apply({"params": params}, x, y)
  chex.assert_trees_all_equal(out, critic.apply({"params": params}, x, (y + 1) % C))  # the labels do not enter
  base = jg.models.MLPCritic(hidden=(8,), return_features=True).apply(
      {"params": {k: params[k] for k in ("Dense_0", "Dense_1")}}, x)
  np.testing.assert_allclose(out["scores"], base["scores"], rtol=1e-6)
  head = params["class_head"]
  np.testing.assert_allclose(out["class_logits"], base["features"] @ head["kernel"] + head["bias"], rtol=1e-5,
                             atol=1e-6)


@pytest.mark.parametrize("critic,generator,size,norms", [
    (jg.models.DCGANCritic(features=(4, 8), num_classes=C, return_features=True),
     jg.models.DCGANGenerator(features=(8, 4), channels=1, num_classes=C), 16,
     {"ConditionalLayerNorm_0", "ConditionalLayerNorm_1"}),
    (jg.models.ResNetCritic(features=4, num_classes=C, return_features=True),
     jg.models.ResNetGenerator(features=4, channels=1, num_classes=C), 32, {"ConditionalLayerNorm_0"}),
], ids=["dcgan", "resnet"])
def test_image_projection_critics_and_conditional_generators(critic, generator, size, norms):
  x, y = jax.random.normal(jax.random.key(1), (3, size, size, 1)), labels_of(3)
  params = critic.init(jax.random.key(2), x, y)["params"]
  out = critic.apply({"params": params}, x, y)
  base = critic.clone(num_classes=None).apply(
      {"params": {k: v for k, v in params.items() if k != "class_projection"}}, x)
  expected = np.asarray(base["scores"]) + np.sum(
      np.asarray(params["class_projection"]["embedding"])[np.asarray(y)] * np.asarray(base["features"]), axis=1)
  np.testing.assert_allclose(out["scores"], expected, rtol=1e-5, atol=1e-5)
  z = jax.random.normal(jax.random.key(3), (3, 5))
  params = generator.init(jax.random.key(4), z, y)["params"]
  assert norms | {"Embed_0"} <= set(params)
  if "GeneratorBlock_0" in params:  # the ResNet's up blocks: both norms class-conditional
    assert {"ConditionalLayerNorm_0", "ConditionalLayerNorm_1"} <= set(params["GeneratorBlock_0"])
  images = generator.apply({"params": params}, z, y)
  chex.assert_shape(images, (3, size, size, 1))
  assert not np.allclose(images, generator.apply({"params": params}, z, (y + 1) % C))
  with pytest.raises(ValueError, match="is required"):
    critic.apply({"params": critic.init(jax.random.key(2), x, y)["params"]}, x)


def test_conditional_layer_norm_over_feature_maps_has_one_gain_and_bias_per_channel():
  h, y = jax.random.normal(jax.random.key(1), (2, 3, 3, 4)), jnp.array([0, 2])
  layer = jg.models.ConditionalLayerNorm(C, reduction_axes=(-3, -2, -1))
  gain, bias = (np.asarray(jax.random.normal(jax.random.key(k), (C, 4))) for k in (2, 3))
  out = layer.apply({"params": {"gain": {"embedding": gain}, "bias": {"embedding": bias}}}, h, y)
  hn = np.asarray(h, np.float64)
  mean, var = hn.mean((1, 2, 3), keepdims=True), hn.var((1, 2, 3), keepdims=True)
  expected = (1 + gain[[0, 2]][:, None, None]) * (hn - mean) / np.sqrt(var + 1e-6) + bias[[0, 2]][:, None, None]
  np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


def test_a_labelled_image_stream_pairs_every_image_with_its_own_label():
  labels = np.arange(40) % 5
  images = np.broadcast_to((labels / 5.0 - 0.5)[:, None, None, None], (40, 4, 4, 1)).astype(np.float32)
  source = jg.data.array_images(images, labels)
  stream = jg.data.image_stream(source, jax.random.key(0), batch_size=8, n_critic=2, labels=True)
  x, y = stream.batch(7)
  chex.assert_shape(y, (2, 8))
  np.testing.assert_array_equal(x, jg.data.image_stream(source, jax.random.key(0), batch_size=8, n_critic=2).batch(7))
  np.testing.assert_allclose(np.asarray(x)[..., 0, 0, 0], np.asarray(y) / 5.0 - 0.5, atol=1e-6)
  with pytest.raises(ValueError, match="unlabelled examples"):
    jg.data.image_stream(jg.data.array_images(images), jax.random.key(0), batch_size=8, labels=True)
  with pytest.raises(TypeError, match="needs a jg.data.ImageSource"):
    jg.data.image_stream(images, jax.random.key(0), batch_size=8, labels=True)
  # New labels (a re-clustering): the same images in the same order, each with its new label, also under jit.
  relabelled = stream.with_labels((labels + 2) % 5)
  x2, y2 = jax.jit(lambda s: s.batch(7))(relabelled)
  np.testing.assert_array_equal(x2, x)
  np.testing.assert_array_equal(y2, (np.asarray(y) + 2) % 5)
  for bad in (labels[:39], labels - 1, labels / 1.0):
    with pytest.raises(ValueError, match=r"integer labels >= 0 of shape \(40,\)"):
      stream.with_labels(bad)
  with pytest.raises(ValueError, match="relabels a labelled stream"):
    jg.data.image_stream(source, jax.random.key(0), batch_size=8).with_labels(labels)


def test_class_agreement_counts_the_classifier_naming_the_requested_class():
  logits = np.eye(4)[[0, 1, 2, 3, 0, 1, 2, 3]] + 0.1
  labels = np.array([0, 1, 2, 3, 0, 1, 3, 3])  # one sample of those asked for class 3 is classified 2
  assert jg.metrics.class_agreement(logits, labels) == {"class_agreement": 7 / 8, "min_class_agreement": 2 / 3}
  for bad, match in ((labels[:-1], r"shape \(8,\)"), (labels.astype(float), "integers"), (labels + 1, "index the 4")):
    with pytest.raises(ValueError, match=match):
      jg.metrics.class_agreement(logits, bad)


def small_conditional_shapes():
  from experiments import configs

  return configs.override(configs.get_config("shapes_conditional"), {
      "model.image_features": 8, "model.latent_dim": 8, "data.batch_size": 8, "data.size": 400})


def test_conditional_shapes_train_on_labelled_batches_and_are_scored_by_the_classifiers_agreement():
  from experiments import train

  parts = train.build(train.validate_config(small_conditional_shapes()))
  gan, task = parts["gan"], parts["task"]
  x, y = parts["stream"].batch(0)
  chex.assert_shape(y, x.shape[:2])
  state, metrics = gan.run(parts["state"], parts["stream"], 2)
  assert int(state.step) == 2 and int(metrics["nonfinite"][-1]) == 0
  samples, z = task.sample(gan, state, jax.random.key(5), 20), gan.latents(jax.random.key(5), 20)
  np.testing.assert_allclose(samples, gan.generator_fn(state, labels=jnp.arange(20) % 10)(z), atol=1e-6)
  # Real shapes in the order the evaluator asks for (sample i of class i % 10): the classifier agrees.
  images, labels = task.dataset.get(np.arange(400))
  order = np.stack([np.flatnonzero(labels == c)[:20] for c in range(10)], axis=1).ravel()
  assert task.evaluators["class_agreement"](images[order])["class_agreement"] >= 0.95
  assert task.evaluators["class_agreement"](images[np.roll(order, 1)])["class_agreement"] < 0.2


def small_clustered_shapes():
  from experiments import configs

  config = configs.override(small_conditional_shapes(), {"data.cluster_labels": 4, "model.num_classes": 4})
  del config.evals["class_agreement"]
  return config


def test_cluster_labelled_shapes_train_on_the_pixel_clusters_and_sample_their_frequencies():
  from experiments import train

  config = small_clustered_shapes()
  parts = train.build(train.validate_config(config))
  gan, task = parts["gan"], parts["task"]
  plain = jg.data.offline_shapes(400, seed=config.seed)
  images, shapes = plain.get(np.arange(400))
  clusters = jg.techniques.cluster_labels(images, 4, seed=config.seed)
  x, y = task.dataset.get(np.arange(400))
  np.testing.assert_array_equal(x, images)
  np.testing.assert_array_equal(y, clusters)  # the clusters, not the shape classes, are the labels
  assert (y != shapes).any() and task.dataset.num_classes == 4
  state, metrics = gan.run(parts["state"], parts["stream"], 2)
  assert int(state.step) == 2 and int(metrics["nonfinite"][-1]) == 0
  # Samples take the clusters of the training images in a seeded order: 400 samples, each cluster as often as
  # in the data (sample i of class i % 4 would give 100 each: the clusters hold 100 only by chance).
  labels = task.class_labels(400)
  np.testing.assert_array_equal(np.bincount(labels, minlength=4), np.bincount(clusters, minlength=4))
  assert np.bincount(clusters, minlength=4).tolist() != [100] * 4
  samples, z = task.sample(gan, state, jax.random.key(5), 20), gan.latents(jax.random.key(5), 20)
  np.testing.assert_allclose(samples, gan.generator_fn(state, labels=jnp.asarray(labels[:20]))(z), atol=1e-6)


def test_cluster_critic_labels_are_the_clusters_of_that_runs_critic_features(tmp_path):
  from experiments import configs, tasks, train
  from experiments.tasks import images as images_task

  # A finished unconditional run, written as the main job writes one (config.json, a checkpoint) without training:
  # its critic is the initial one moved (1.5 p + 0.01), so features of a freshly built critic would not match.
  source = train.validate_config(configs.override(configs.get_config("shapes_dcgan_hinge_sn"), {
      "model.image_features": 8, "model.latent_dim": 8, "data.batch_size": 8, "data.size": 400}))
  workdir = str(tmp_path / "unconditional")
  state = train.build(source)["state"]
  state = state.replace(critic=state.critic.replace(params=jax.tree.map(lambda p: 1.5 * p + 0.01,
                                                                        state.critic.params)))
  os.makedirs(workdir)
  with open(os.path.join(workdir, "config.json"), "w") as f:
    json.dump(source.to_dict(), f)
  # Its newest checkpoint (step 5) holds another critic than step 3.
  later = state.replace(critic=state.critic.replace(params=jax.tree.map(lambda p: -p, state.critic.params)))
  checkpointer = train.open_checkpointer(source, workdir, save_every=1)
  checkpointer.save(3, state)
  checkpointer.save(5, later)
  checkpointer.close()
  config = configs.override(small_clustered_shapes(), {"data.cluster_critic": workdir})
  # The reference: the saved critics rebuilt by hand with their features returned, on the same images.
  images = jg.data.offline_shapes(400, seed=config.seed).get(np.arange(400))[0]
  critic = jg.models.DCGANCritic(features=(8, 16, 32), spectral_norm=True, return_features=True)
  labels = {}
  for step, saved in ((3, state), (5, later)):
    features = critic.apply({"params": saved.critic.params, **saved.critic.model_state}, images)["features"]
    assert features.shape == (400, 4 * 4 * 32)
    labels[step] = jg.techniques.cluster_labels(np.asarray(features), 4, seed=config.seed)
  assert (labels[3] != labels[5]).any()
  for step, expected in ((None, 5), (3, 3), (5, 5)):  # None: the newest checkpoint
    task = tasks.get(train.validate_config(configs.override(config, {"data.cluster_critic_step": step})))
    np.testing.assert_array_equal(task.dataset.get(np.arange(400))[1], labels[expected])
  assert (labels[5] != jg.techniques.cluster_labels(images, 4, seed=config.seed)).any()  # not the pixel clusters
  with pytest.raises(jg.checkpoint.CheckpointError, match=r"No checkpoint for step 4 .*available: \[3, 5\]"):
    tasks.get(train.validate_config(configs.override(config, {"data.cluster_critic_step": 4})))
  # Pinned when training starts: a new run takes the newest step, a resumed one the step its saved config names
  # (written before the first run trained on to step 5), an explicit step stays.
  pinned = configs.override(config, {})
  images_task.pin_cluster_critic_step(pinned, str(tmp_path / "new_run"))
  assert pinned.data.cluster_critic_step == 5
  resumed_dir = tmp_path / "resumed_run"
  os.makedirs(resumed_dir)
  with open(resumed_dir / "config.json", "w") as f:
    json.dump(configs.override(config, {"data.cluster_critic_step": 3}).to_dict(), f)
  resumed = configs.override(config, {})
  images_task.pin_cluster_critic_step(resumed, str(resumed_dir))
  assert resumed.data.cluster_critic_step == 3
  explicit = configs.override(config, {"data.cluster_critic_step": 5})
  images_task.pin_cluster_critic_step(explicit, str(resumed_dir))
  assert explicit.data.cluster_critic_step == 5
  # The main job pins the step into the config it saves and checks on resume.
  run = configs.override(config, {"steps": 1, "log_every": 1, "plot_every": 1, "checkpoint_every": 1})
  for name in list(run.evals):
    del run.evals[name]
  train.train_and_evaluate(run, str(tmp_path / "stage2"), progress=False)
  assert train.load_config(str(tmp_path / "stage2")).data.cluster_critic_step == 5
  for override, match in (({"seed": 1}, r"other images \(seed differ"),
                          ({"data.size": 300}, r"other images \(data.size differ"),
                          ({"data.cluster_critic": str(tmp_path)}, "no config.json")):
    with pytest.raises(ValueError, match=match):
      tasks.get(configs.override(config, override))


def test_reclustering_relabels_on_the_runs_own_critic_and_a_resume_continues_on_those_labels(tmp_path):
  from experiments import configs, train

  config = configs.override(small_clustered_shapes(), {
      "steps": 6, "data.recluster_every": 2, "checkpoint_every": 2, "keep_checkpoints": 5, "log_every": 1,
      "plot_every": 6})
  for name in list(config.evals):
    del config.evals[name]
  first = str(tmp_path / "first")
  _, state, parts = train.train_and_load(config, first, progress=False)
  # The reference: the step-2 and step-4 critics rebuilt by hand, their features clustered from the labels before.
  images = jg.data.offline_shapes(400, seed=config.seed).get(np.arange(400))[0]
  labels = {0: jg.techniques.cluster_labels(images, 4, seed=config.seed)}  # the pixel clusters the run starts on
  critic = jg.models.DCGANCritic(features=(8, 16, 32), spectral_norm=True, return_features=True, num_classes=4)
  for step in (2, 4):
    saved, _ = train.load_trained(config, first, step=step)
    features = critic.apply({"params": saved.critic.params, **saved.critic.model_state}, images,
                            labels[step - 2])["features"]
    labels[step] = jg.techniques.recluster_labels(np.asarray(features), labels[step - 2], seed=config.seed)
  assert (labels[2] != labels[0]).any() and (labels[4] != labels[2]).any()
  np.testing.assert_array_equal(parts["task"].dataset.get(np.arange(400))[1], labels[4])
  np.testing.assert_array_equal(np.asarray(parts["stream"].labels), labels[4])
  for step, expected in ((2, 2), (4, 4), (6, 4)):  # each checkpoint holds the labels the next steps train on
    _, loaded = train.load_trained(config, first, step=step)
    np.testing.assert_array_equal(loaded["task"].dataset.get(np.arange(400))[1], labels[expected])
    # Samples are drawn for those clusters, at their frequencies.
    np.testing.assert_array_equal(np.bincount(loaded["task"].class_labels(400), minlength=4),
                                  np.bincount(labels[expected], minlength=4))
  # A run stopped after step 2 resumes on the step-2 labels and ends exactly where the uninterrupted one did.
  second = tmp_path / "second"
  shutil.copytree(first, second)
  for step in (4, 6):
    shutil.rmtree(second / "checkpoints" / str(step))
  _, resumed, _ = train.train_and_load(config, str(second), progress=False)
  chex.assert_trees_all_equal(resumed.generator.params, state.generator.params)
  chex.assert_trees_all_equal(resumed.critic.params, state.critic.params)


@pytest.mark.parametrize("override,match", [
    ({"data.recluster_every": -1}, "recluster_every must be an integer >= 0"),
    ({"data.recluster_every": True}, "recluster_every must be an integer >= 0"),
    ({"data.recluster_every": 2, "num_runs": 2}, "needs data.cluster_labels > 0 and num_runs 1"),
    ({"data.recluster_every": 2, "data.cluster_labels": 0, "model.num_classes": None}, "needs data.cluster_labels"),
])
def test_recluster_config_errors(override, match):
  from experiments import configs, train

  with pytest.raises(ValueError, match=match):
    train.validate_config(configs.override(small_clustered_shapes(), override))


@pytest.mark.parametrize("override,match", [
    ({"model.num_classes": 5}, "must be shapes's 10 classes, got 5"),
    ({"data.name": "stacked_shapes"}, "stacked_shapes has no class labels"),
    ({"model.conditioning": "concat"}, "condition by projection"),
    ({"model.autoencoder_critic": True}, "autoencoder critics are unconditional"),
    ({"objective.auxiliary_classifier": 1.0}, "no class head"),
    ({"model.num_classes": None}, "class_agreement scores a conditional run"),
    ({"data.cluster_labels": 4, "model.num_classes": 4}, "class_agreement asks for the dataset's classes"),
])
def test_conditional_image_config_errors(override, match):
  from experiments import configs, train

  with pytest.raises(ValueError, match=match):
    train.validate_config(configs.override(small_conditional_shapes(), override))


@pytest.mark.parametrize("override,match", [
    ({"model.num_classes": 10}, r"num_classes must be data.cluster_labels \(4\).*got 10"),
    ({"model.num_classes": None}, r"num_classes must be data.cluster_labels \(4\).*got None"),
    ({"data.cluster_labels": 1, "model.num_classes": 1}, "k >= 2 groups; got 1 for shapes"),
    ({"data.cluster_labels": -1}, "integer >= 0"),
    ({"data.cluster_labels": True}, "integer >= 0"),
    ({"data.name": "celeb_a", "data.size": 10000}, "held on device"),
    ({"data.cluster_labels": 0, "model.num_classes": None, "data.cluster_critic": "runs/x"}, "set data.cluster_labels"),
    ({"data.cluster_critic_step": 3}, r"cluster_critic_step picks a checkpoint.*got 3 with data.cluster_critic None"),
    ({"data.cluster_critic": "runs/x", "data.cluster_critic_step": -1}, "an integer >= 0"),
])
def test_cluster_label_config_errors(override, match):
  from experiments import configs, train

  with pytest.raises(ValueError, match=match):
    train.validate_config(configs.override(small_clustered_shapes(), override))


def test_cluster_critic_none_on_the_command_line_clusters_the_pixels():
  from experiments import train

  config, _, _, _ = train.parse_args(["--config", "shapes_self_conditioned", "--config.data.cluster_critic=None"])
  assert train.validate_config(config).data.cluster_critic is None


def test_cluster_labels_are_for_images():
  from experiments import configs, train

  config = configs.override(configs.get_config("ring8_conditional"), {"data.cluster_labels": 8})
  with pytest.raises(ValueError, match="cluster_labels clusters image datasets"):
    train.validate_config(config)
