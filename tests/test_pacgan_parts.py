"""PacGAN's 2-D architecture and update rule: maxout critic, batch-norm generator, simultaneous updates."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from flax import nnx

import jaxgan as jg
from jaxgan._src.training.players import as_player


def test_linear_maxout_is_the_max_of_its_pieces_and_convex():
  layer = jg.models.LinearMaxout(features=3, pieces=4)
  x = jax.random.normal(jax.random.key(0), (16, 2))
  params = layer.init(jax.random.key(1), x)["params"]
  kernel, bias = np.asarray(params["Dense_0"]["kernel"]), np.asarray(params["Dense_0"]["bias"])
  # unit i is the maximum of the affine maps of columns i * k, ..., i * k + k - 1
  pieces = np.stack([np.asarray(x) @ kernel[:, i * 4:(i + 1) * 4] + bias[i * 4:(i + 1) * 4] for i in range(3)], 1)
  out = layer.apply({"params": params}, x)
  np.testing.assert_allclose(out, pieces.max(-1), rtol=1e-6, atol=1e-6)
  # a maximum of affine maps is convex: f((a + b) / 2) <= (f(a) + f(b)) / 2 unit by unit (a minimum is concave)
  a, b = x[:8], x[8:]
  assert np.all(layer.apply({"params": params}, (a + b) / 2)
                <= (layer.apply({"params": params}, a) + layer.apply({"params": params}, b)) / 2 + 1e-6)
  with pytest.raises(ValueError, match="pieces"):
    jg.models.LinearMaxout(features=3, pieces=0).init(jax.random.key(1), x)


def test_maxout_critic_is_maxout_layers_then_a_linear_score():
  critic = jg.models.MLPCritic(hidden=(5, 4), maxout_pieces=3, init_std=0.5)
  x = jax.random.normal(jax.random.key(0), (7, 4))
  params = critic.init(jax.random.key(1), x)["params"]
  h = np.asarray(x, np.float64)
  for layer in ("LinearMaxout_0", "LinearMaxout_1"):
    w, c = (np.asarray(params[layer]["Dense_0"][k], np.float64) for k in ("kernel", "bias"))
    z = h @ w + c
    h = z.reshape(len(h), -1, 3).max(-1)  # no LeakyReLU after a maxout layer
  expected = h @ np.asarray(params["Dense_0"]["kernel"], np.float64)[:, 0] + float(params["Dense_0"]["bias"][0])
  np.testing.assert_allclose(critic.apply({"params": params}, x), expected, rtol=1e-5, atol=1e-6)
  # init_std: the kernels are N(0, 0.5^2)
  big = jg.models.MLPCritic(hidden=(400,), maxout_pieces=5, init_std=0.5).init(jax.random.key(2), jnp.zeros((1, 400)))
  assert abs(float(jnp.std(big["params"]["LinearMaxout_0"]["Dense_0"]["kernel"])) - 0.5) < 0.01
  for bad in (1, -1, True):
    with pytest.raises(ValueError, match="maxout_pieces"):
      jg.models.MLPCritic(hidden=(4,), maxout_pieces=bad).init(jax.random.key(1), x)
  with pytest.raises(ValueError, match="spectral_norm"):
    jg.models.MLPCritic(hidden=(4,), maxout_pieces=2, spectral_norm=True).init(jax.random.key(1), x)
  with pytest.raises(ValueError, match="init_std"):
    jg.models.MLPCritic(hidden=(4,), init_std=0.0).init(jax.random.key(1), x)


def _batch_norm_reference(params, stats, z, train):
  """float64 forward pass of MLPGenerator(hidden=(6, 5), batch_norm=True) and its new running averages."""
  h, new_stats = np.asarray(z, np.float64), {}
  for i in range(2):
    h = h @ np.asarray(params[f"Dense_{i}"]["kernel"], np.float64)
    assert "bias" not in params[f"Dense_{i}"]  # the norm's shift replaces the bias
    norm, running = params[f"BatchNorm_{i}"], stats[f"BatchNorm_{i}"]
    mean, var = (h.mean(0), h.var(0)) if train else (np.asarray(running["mean"]), np.asarray(running["var"]))
    new_stats[f"BatchNorm_{i}"] = {"mean": 0.95 * np.asarray(running["mean"]) + 0.05 * h.mean(0),
                                   "var": 0.95 * np.asarray(running["var"]) + 0.05 * h.var(0)}
    h = np.maximum((h - mean) / np.sqrt(var + 1e-5) * np.asarray(norm["scale"]) + np.asarray(norm["bias"]), 0)
  out = h @ np.asarray(params["Dense_2"]["kernel"], np.float64) + np.asarray(params["Dense_2"]["bias"])
  return out, new_stats


def test_batch_norm_generator_trains_on_batch_statistics_and_samples_on_running_averages():
  module = jg.models.MLPGenerator(hidden=(6, 5), batch_norm=True)
  player = as_player(module, "generator")
  z = jax.random.normal(jax.random.key(0), (32, 2)) * 3.0 + 1.0
  params, state = player.init(jax.random.key(1), z[:1])
  params = jax.tree.map(lambda p: p + 0.1 * jax.random.normal(jax.random.key(2), p.shape), params)
  # training call: batch statistics, running averages moved 5% of the way to them
  out, new_state = player.apply(params, state, z)
  expected, expected_stats = _batch_norm_reference(params, state["batch_stats"], z, train=True)
  np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5),
               new_state["batch_stats"], expected_stats)
  # evaluation: the running averages, state unchanged, each sample its own
  evaluated = player.evaluate(params, new_state, z)
  expected, _ = _batch_norm_reference(params, new_state["batch_stats"], z, train=False)
  np.testing.assert_allclose(evaluated, expected, rtol=1e-4, atol=1e-4)
  np.testing.assert_allclose(player.evaluate(params, new_state, z[:1]), evaluated[:1], rtol=1e-5, atol=1e-6)
  assert not np.allclose(player.apply(params, new_state, z[:2])[0][0], out[0], atol=1e-3)  # training couples them
  with pytest.raises(ValueError, match="batch_norm"):
    jg.models.MLPGenerator(batch_norm=True, virtual_batch_norm=4).init(jax.random.key(0), z[:1])
  with pytest.raises(ValueError, match="batch_norm"):
    jg.models.MLPGenerator(batch_norm=True, num_classes=3).init(jax.random.key(0), z[:1], jnp.zeros(1, int))


class _NNXBatchNormGenerator(nnx.Module):
  def __init__(self, rngs):
    self.dense, self.norm = nnx.Linear(2, 8, rngs=rngs), nnx.BatchNorm(8, rngs=rngs)
    self.out = nnx.Linear(8, 2, rngs=rngs)

  def __call__(self, z):
    return self.out(nnx.relu(self.norm(self.dense(z))))


@pytest.mark.parametrize("kind", ["linen", "nnx"])
def test_gan_trains_the_generator_norm_statistics_and_samples_each_latent_alone(kind):
  generator = (jg.models.MLPGenerator(hidden=(8,), batch_norm=True) if kind == "linen"
               else _NNXBatchNormGenerator(nnx.Rngs(0)))
  gan = jg.train.GAN(generator=generator, critic=jg.models.MLPCritic(hidden=(8,), maxout_pieces=2),
                     objective="non_saturating", latent_dim=2, ema_decay=0.0)
  state = gan.init(jax.random.key(0), jnp.zeros((16, 2)))
  before = jax.tree.map(np.asarray, state.generator.model_state)
  state, _ = gan.run(state, jg.data.toy_stream(jg.data.get("ring8"), jax.random.key(1), batch_size=16), 3)
  changed = jax.tree.map(lambda a, b: not np.allclose(a, b), before, jax.tree.map(np.asarray,
                                                                                 state.generator.model_state))
  assert any(jax.tree.leaves(changed)), "the generator step must carry the norm's updated running averages"
  z = jax.random.normal(jax.random.key(2), (64, 2))
  generate = gan.generator_fn(state)
  np.testing.assert_allclose(generate(z[:1]), generate(z)[:1], rtol=1e-5, atol=1e-6)


def _one_step_generator(simultaneous: bool, critic_lr: float):
  gan = jg.train.GAN(generator=jg.models.MLPGenerator(hidden=(8,)), critic=jg.models.MLPCritic(hidden=(8,)),
                     objective="non_saturating", latent_dim=2, simultaneous=simultaneous,
                     critic_optimizer=optax.sgd(critic_lr), generator_optimizer=optax.sgd(0.1))
  state = gan.init(jax.random.key(0), jnp.zeros((16, 2)))
  state, _ = gan.step(state, jg.data.get("ring8").sample(jax.random.key(1), 16)[None])
  return state.generator.params


def test_simultaneous_updates_take_the_generator_gradient_at_the_step_s_starting_critic():
  # simultaneous: the generator's update cannot depend on how far this step moved the critic
  jax.tree.map(np.testing.assert_array_equal, _one_step_generator(True, 0.0), _one_step_generator(True, 1.0))
  # alternating: it does
  differ = jax.tree.map(lambda a, b: not np.allclose(a, b), _one_step_generator(False, 0.0),
                        _one_step_generator(False, 1.0))
  assert any(jax.tree.leaves(differ))
  # with a frozen critic both orders are the same update
  jax.tree.map(np.testing.assert_array_equal, _one_step_generator(True, 0.0), _one_step_generator(False, 0.0))
  kwargs = dict(generator=nn.Dense(2), critic=jg.models.MLPCritic(hidden=(4,)), objective="wgan", latent_dim=2)
  for bad in (dict(n_critic=2), dict(unroll_steps=1)):
    with pytest.raises(ValueError, match="simultaneous"):
      jg.train.GAN(simultaneous=True, **kwargs, **bad)
  with pytest.raises(TypeError, match="simultaneous"):
    jg.train.GAN(simultaneous=1, **kwargs)
