"""The GAN object: players (Linen, NNX, plain functions), EMA, n_critic, vmap over runs, data parallel
equivalence, non-finite handling, objective state and critic extras through the step."""

import chex
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from flax import nnx

import jaxgan as jg

LATENT = 2


def make_gan(objective="wgan", penalty="wgan_gp", spectral_norm=False, n_critic=2, mesh=None, on_nonfinite="raise",
             generator_lr=1e-3, critic_lr=1e-3, ema_decay=0.9, penalty_interval=1, critic=None, **objective_kwargs):
  return jg.train.GAN(
      generator=jg.models.MLPGenerator(hidden=(16, 16)),
      critic=critic or jg.models.MLPCritic(hidden=(16, 16), spectral_norm=spectral_norm),
      objective=jg.losses.get(objective, **objective_kwargs),
      penalty=jg.penalties.get(penalty) if penalty else None,
      latent_dim=LATENT, n_critic=n_critic, generator_optimizer=optax.adam(generator_lr),
      critic_optimizer=optax.adam(critic_lr), ema_decay=ema_decay, penalty_interval=penalty_interval,
      on_nonfinite=on_nonfinite, mesh=mesh)


def setup(**kwargs):
  """`(state, step, gan)` for a small MLP GAN on the ring of 8."""
  gan = make_gan(**kwargs)
  return gan.init(jax.random.key(0), jnp.zeros((1, 2))), gan.step, gan


def data(n_critic=2, batch=16, steps=4, seed=1):
  it = jg.data.batches(jg.data.get("ring8"), jax.random.key(seed), batch_size=batch, n_critic=n_critic)
  return [next(it) for _ in range(steps)]


def copy(tree):
  return jax.tree.map(lambda x: jnp.array(x, copy=True) if not jnp.issubdtype(x.dtype, jax.dtypes.prng_key) else x,
                      tree)


def flat(tree):
  return jax.flatten_util.ravel_pytree(tree)[0]


def test_state_is_one_pytree_with_a_state_per_player_and_a_typed_key():
  state, _, _ = setup()
  assert jnp.issubdtype(state.rng_key.dtype, jax.dtypes.prng_key)
  assert int(state.step) == 0
  chex.assert_trees_all_equal(state.ema_params, state.generator.params)
  assert isinstance(state.generator, jg.train.PlayerState) and isinstance(state.critic, jg.train.PlayerState)
  assert state.estimator == ()
  chex.assert_trees_all_equal(state.hyperparams, {"ema_decay": np.float32(0.9), "penalty_weight": np.float32(1.0)},
                              strict=True)  # from GAN(ema_decay=0.9); float32 scalars


def test_step_updates_params_ema_and_counter():
  state, step, _ = setup(ema_decay=0.9)
  before = copy(state)
  state, metrics = step(state, data()[0])
  assert int(state.step) == 1
  expected_ema = jax.tree.map(lambda old, new: 0.9 * old + 0.1 * new, before.ema_params, state.generator.params)
  chex.assert_trees_all_close(state.ema_params, expected_ema, rtol=1e-6)
  assert not np.allclose(flat(before.critic.params), flat(state.critic.params))
  assert not np.allclose(flat(before.generator.params), flat(state.generator.params))
  assert {"critic_loss", "generator_loss", "penalty", "critic_grad_norm", "generator_grad_norm"} <= set(metrics)
  assert float(metrics["penalty"]) > 0


def test_n_critic_critic_updates_per_generator_update():
  state, step, _ = setup(n_critic=3)
  state, _ = step(state, data(n_critic=3)[0])
  assert int(state.critic.opt_state[0].count) == 3  # Adam saw three critic updates
  assert int(state.generator.opt_state[0].count) == 1
  assert int(state.step) == 1


def test_no_recompilation_across_steps():
  state, step, _ = setup()
  for batch in data(steps=3):
    state, _ = step(state, batch)
  assert step._cache_size() == 1


def test_default_optimisers_are_the_wgan_gp_papers_adam():
  gan = jg.train.GAN(generator=jg.models.MLPGenerator(hidden=(8,)), critic=jg.models.MLPCritic(hidden=(8,)),
                     objective="wgan", latent_dim=2)
  params = gan.init(jax.random.key(0), jnp.zeros((4, 2))).critic.params
  grads = [jax.tree.map(lambda p, i=i: jax.random.normal(jax.random.key(i), p.shape), params) for i in range(3)]

  def updates(tx):
    opt_state, out = tx.init(params), []
    for g in grads:
      u, opt_state = tx.update(g, opt_state)
      out.append(flat(u))
    return np.concatenate(out)

  mine = updates(gan.critic_optimizer)
  np.testing.assert_allclose(mine, updates(optax.adam(1e-4, b1=0.5, b2=0.9)), rtol=1e-6)
  np.testing.assert_allclose(updates(gan.generator_optimizer), mine, rtol=1e-6)
  for wrong in (optax.adam(1e-4), optax.adam(2e-4, b1=0.5, b2=0.9)):
    assert not np.allclose(updates(wrong), mine, rtol=1e-3)


# --- players -------------------------------------------------------------------

class LinenMLP(nn.Module):
  dims: tuple

  @nn.compact
  def __call__(self, x):
    for i, d in enumerate(self.dims):
      x = nn.Dense(d)(x)
      if i < len(self.dims) - 1:
        x = nn.leaky_relu(x, 0.2)
    return x


class NNXMLP(nnx.Module):
  def __init__(self, dims, *, rngs):
    self.layers = nnx.List([nnx.Linear(a, b, rngs=rngs) for a, b in zip(dims[:-1], dims[1:])])

  def __call__(self, x):
    for layer in self.layers[:-1]:
      x = nnx.leaky_relu(layer(x), 0.2)
    return self.layers[-1](x)


def nnx_copy_of(linen_params, dims):
  model = NNXMLP(dims, rngs=nnx.Rngs(0))
  for i, layer in enumerate(model.layers):
    layer.kernel[...] = linen_params[f"Dense_{i}"]["kernel"]
    layer.bias[...] = linen_params[f"Dense_{i}"]["bias"]
  return model


def test_linen_and_nnx_players_holding_the_same_weights_give_the_same_step():
  g_dims, c_dims = (LATENT, 16, 2), (2, 16, 1)
  linen_g, linen_c = LinenMLP(g_dims[1:]), LinenMLP(c_dims[1:])
  g_params = linen_g.init(jax.random.key(1), jnp.zeros((1, LATENT)))["params"]
  c_params = linen_c.init(jax.random.key(2), jnp.zeros((1, 2)))["params"]
  fixed = lambda module, params: jg.train.Player(lambda k, x: (params, {}),  # noqa: E731
                                                 lambda p, s, x: (module.apply({"params": p}, x), s))
  common = dict(objective="wgan", penalty="wgan_gp", latent_dim=LATENT, n_critic=2)
  linen = jg.train.GAN(generator=fixed(linen_g, g_params), critic=fixed(linen_c, c_params), **common)
  nnx_gan = jg.train.GAN(generator=nnx_copy_of(g_params, g_dims), critic=nnx_copy_of(c_params, c_dims), **common)
  s_linen, s_nnx = linen.init(jax.random.key(0), jnp.zeros((1, 2))), nnx_gan.init(jax.random.key(0), jnp.zeros((1, 2)))
  np.testing.assert_array_equal(flat(s_nnx.critic.params), flat(c_params))
  for batch in data(steps=3):
    s_linen, m_linen = linen.step(s_linen, batch)
    s_nnx, m_nnx = nnx_gan.step(s_nnx, batch)
    for name in ("critic_loss", "penalty", "generator_loss", "critic_grad_norm", "generator_grad_norm"):
      np.testing.assert_allclose(m_nnx[name], m_linen[name], rtol=1e-5, err_msg=name)
  np.testing.assert_allclose(flat(s_nnx.generator.params), flat(s_linen.generator.params), rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(flat(s_nnx.critic.params), flat(s_linen.critic.params), rtol=1e-5, atol=1e-6)


def test_nnx_generator_and_critic_train_the_ring_of_8():
  # ~10 s on 2 CPU cores: non-saturating loss + R1, 64-wide MLPs, 3,000 steps (measured: 8/8 modes, 44% HQ).
  dataset = jg.data.get("ring8")
  schedule = optax.cosine_decay_schedule(1e-3, 3000)
  gan = jg.train.GAN(generator=NNXMLP((LATENT, 64, 64, 2), rngs=nnx.Rngs(0)),
                     critic=NNXMLP((2, 64, 64, 1), rngs=nnx.Rngs(1)),
                     objective="non_saturating", penalty=jg.penalties.get("r1", gamma=0.1), latent_dim=LATENT,
                     generator_optimizer=optax.adam(schedule, b1=0.5), critic_optimizer=optax.adam(schedule, b1=0.5),
                     ema_decay=0.99)
  state = gan.init(jax.random.key(0), jnp.zeros((1, 2)))
  batches = jg.data.batches(dataset, jax.random.key(1), batch_size=128, n_critic=1)
  for _ in range(3000):
    state, _ = gan.step(state, next(batches))
  jg.train.check_health(state)
  coverage = jg.metrics.mode_coverage(gan.sample(state, jax.random.key(2), 2500), dataset.modes, dataset.std)
  assert coverage["modes_covered"] == 8, coverage
  assert coverage["high_quality"] > 0.3, coverage


class NNXBatchNormGenerator(nnx.Module):
  def __init__(self, *, rngs):
    self.hidden, self.norm, self.out = nnx.Linear(LATENT, 16, rngs=rngs), nnx.BatchNorm(16, rngs=rngs), nnx.Linear(
        16, 2, rngs=rngs)

  def __call__(self, z):
    return self.out(nnx.relu(self.norm(self.hidden(z))))


def test_nnx_batch_statistics_are_the_players_model_state_and_move_with_the_generator_update():
  gan = jg.train.GAN(generator=NNXBatchNormGenerator(rngs=nnx.Rngs(0)), critic=jg.models.MLPCritic(hidden=(8,)),
                     objective="non_saturating", latent_dim=LATENT)
  state = gan.init(jax.random.key(0), jnp.zeros((1, 2)))
  stats = nnx.filter_state(state.generator.model_state, nnx.BatchStat)
  assert jax.tree.leaves(stats) and all(not isinstance(p, nnx.BatchStat) for p in jax.tree.leaves(state.generator.params))
  before = copy(stats)
  state, _ = gan.step(state, data(n_critic=1, steps=1)[0])
  after = nnx.filter_state(state.generator.model_state, nnx.BatchStat)
  moved = [float(jnp.max(jnp.abs(a - b))) for a, b in zip(jax.tree.leaves(before), jax.tree.leaves(after))]
  assert max(moved) > 1e-4  # running mean/var updated by the generator update's forward pass


def test_plain_function_players_take_the_documented_sgd_step():
  # G(z) = z W + b, D(x) = x v; WGAN with SGD: grad_v of the critic loss is mean(fake) - mean(real).
  generator = jg.train.Player(lambda key, z: ({"w": jnp.eye(2), "b": jnp.zeros(2)}, {}),
                              lambda p, s, z: (z @ p["w"] + p["b"], s))
  critic = jg.train.Player(lambda key, x: ({"v": jnp.array([1.0, -2.0])}, {}), lambda p, s, x: (x @ p["v"], s))
  lr = 0.1
  gan = jg.train.GAN(generator=generator, critic=critic, objective="wgan", latent_dim=2, ema_decay=0.0,
                     generator_optimizer=optax.sgd(lr), critic_optimizer=optax.sgd(lr))
  state = gan.init(jax.random.key(3), jnp.zeros((1, 2)))
  batch = data(n_critic=1, batch=8, steps=1)[0]
  # The step's keys, as documented: fold_in(rng_key, step), split into critic and generator keys.
  critic_key, generator_key = jax.random.split(jax.random.fold_in(state.rng_key, 0))
  z_critic = jax.random.normal(jax.random.split(jax.random.split(critic_key, 1)[0])[0], (8, 2))
  z_generator = jax.random.normal(generator_key, (8, 2))
  v1 = jnp.array([1.0, -2.0]) - lr * (z_critic.mean(0) - batch[0].mean(0))
  new, metrics = gan.step(state, batch)
  np.testing.assert_allclose(new.critic.params["v"], v1, rtol=1e-5, atol=1e-6)
  # Generator loss -mean(G(z) v1): grad_W = -mean_i z_i v1^T, grad_b = -v1.
  np.testing.assert_allclose(new.generator.params["b"], lr * v1, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(new.generator.params["w"], jnp.eye(2) + lr * jnp.outer(z_generator.mean(0), v1),
                             rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(metrics["generator_loss"], -jnp.mean(z_generator @ v1), rtol=1e-5)


def test_critic_output_of_shape_batch_by_one_is_squeezed_and_others_refused():
  two = jg.train.Player(lambda key, x: ({"v": jnp.ones((2, 2))}, {}), lambda p, s, x: (x @ p["v"], s))
  gan = jg.train.GAN(generator=jg.models.MLPGenerator(hidden=(8,)), critic=two, objective="wgan", latent_dim=2)
  state = gan.init(jax.random.key(0), jnp.zeros((1, 2)))
  with pytest.raises(ValueError, match=r"scores of shape \(batch,\) or \(batch, 1\).*\(32, 2\)"):
    gan.step(state, jnp.zeros((1, 16, 2)))
  column = jg.train.Player(lambda key, x: ({"v": jnp.ones((2, 1))}, {}), lambda p, s, x: (x @ p["v"], s))
  gan = jg.train.GAN(generator=jg.models.MLPGenerator(hidden=(8,)), critic=column, objective="wgan", latent_dim=2)
  _, metrics = gan.step(gan.init(jax.random.key(0), jnp.zeros((1, 2))), jnp.ones((1, 16, 2)))
  assert np.isfinite(float(metrics["critic_loss"]))


# --- many runs in one program -----------------------------------------------------

def test_vmapped_runs_equal_the_single_runs_with_the_same_keys():
  gan = make_gan(n_critic=2)
  keys = jax.random.split(jax.random.key(7), 3)
  example = jnp.zeros((1, 2))
  states = jax.vmap(lambda k: gan.init(k, example))(keys)
  vstep = jax.jit(jax.vmap(gan.step, in_axes=(0, None)))
  batches = data(steps=3)
  for batch in batches:
    states, vmetrics = vstep(states, batch)
  for i in (0, 2):
    single = gan.init(keys[i], example)
    for batch in batches:
      single, metrics = gan.step(single, batch)
    np.testing.assert_allclose(vmetrics["critic_loss"][i], metrics["critic_loss"], rtol=1e-5)
    np.testing.assert_allclose(flat(jax.tree.map(lambda x: x[i], states.generator.params)),
                               flat(single.generator.params), rtol=1e-5, atol=1e-6)
  assert not np.allclose(flat(jax.tree.map(lambda x: x[0], states.critic.params)),
                         flat(jax.tree.map(lambda x: x[1], states.critic.params)))


# --- bad input ------------------------------------------------------------------

def test_bad_batch_shape_is_a_clear_error():
  state, step, _ = setup(n_critic=2)
  with pytest.raises(ValueError, match=r"\(n_critic, batch_size, \*data_shape\) = \(2, \.\.\.\), got \(3, 16, 2\)"):
    step(state, jnp.zeros((3, 16, 2)))


@pytest.mark.parametrize("kwarg,value,error,match", [
    ("n_critic", 0, ValueError, "n_critic"), ("on_nonfinite", "ignore", ValueError, "on_nonfinite"),
    ("ema_decay", 1.0, ValueError, "ema_decay"), ("latent_dim", -1, ValueError, "latent_dim"),
    ("penalty_interval", 0, ValueError, "penalty_interval"), ("objective", None, ValueError, "`objective` is required"),
    ("objective", 3, TypeError, "`objective` must be"), ("objective", "wgna", ValueError, "Unknown objective"),
    ("penalty", "gp", ValueError, "Unknown penalty"), ("generator", object(), TypeError, "`generator` must be"),
    ("critic", "mlp", TypeError, "`critic` must be"), ("entropy_weight", -1.0, ValueError, "entropy_weight"),
    ("entropy_estimator", "jsd", TypeError, "entropy_estimator"),
])
def test_bad_gan_arguments(kwarg, value, error, match):
  kwargs = dict(generator=jg.models.MLPGenerator(hidden=(8,)), critic=jg.models.MLPCritic(hidden=(8,)),
                objective="wgan", latent_dim=2)
  with pytest.raises(error, match=match):
    jg.train.GAN(**{**kwargs, kwarg: value})


# --- data parallel ----------------------------------------------------------------

def test_data_parallel_matches_single_device():
  assert jax.device_count() == 4, "conftest sets 4 fake CPU devices"
  batches = data(batch=32, steps=4)
  mesh = jg.train.data_mesh(4)
  s1, step1, _ = setup()
  s4, step4, _ = setup(mesh=mesh)
  for b in batches:
    s1, m1 = step1(s1, b)
    s4, m4 = step4(s4, jax.device_put(b, jg.train.batch_sharding(mesh)))
    np.testing.assert_allclose(float(m4["critic_loss"]), float(m1["critic_loss"]), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(float(m4["generator_loss"]), float(m1["generator_loss"]), rtol=1e-4, atol=1e-5)
  chex.assert_trees_all_close(s4.generator.params, s1.generator.params, rtol=1e-4, atol=1e-5)
  chex.assert_trees_all_close(s4.critic.params, s1.critic.params, rtol=1e-4, atol=1e-5)
  assert len(s4.generator.params["Dense_0"]["kernel"].sharding.device_set) == 4  # replicated over 4


# --- non-finite values ----------------------------------------------------------

def test_nonfinite_raise_mode_rejects_update_and_names_step_and_quantity():
  state, step, _ = setup()
  good = data(steps=2)
  state, _ = step(state, good[0])
  kept = copy(state)
  state, metrics = step(state, good[1].at[0, 0, 0].set(jnp.nan))
  assert int(metrics["nonfinite"]) == 1
  chex.assert_trees_all_equal(state.critic, kept.critic)
  chex.assert_trees_all_equal(state.generator, kept.generator)
  assert int(state.step) == 1
  assert int(state.health.halted_step) == 1 and not bool(state.health.last_finite)
  with pytest.raises(jg.train.NonFiniteError, match=r"Non-finite critic_loss at train step 1"):
    jg.train.check_health(state)
  state, _ = step(state, good[0])  # halted after the first failure
  chex.assert_trees_all_equal(state.critic.params, kept.critic.params)
  assert int(state.step) == 1


def test_nonfinite_skip_mode_counts_and_continues():
  state, step, _ = setup(on_nonfinite="skip")
  good = data(steps=3)
  kept = copy(state)
  state, _ = step(state, good[0].at[1, 3, 1].set(jnp.inf))
  chex.assert_trees_all_equal(state.critic.params, kept.critic.params)
  assert int(state.step) == 1
  assert (int(state.health.notfinite_count), bool(state.health.last_finite), int(state.health.total_notfinite)) == (
      1, False, 1)
  jg.train.check_health(state)  # skip mode does not halt
  state, _ = step(state, good[1].at[0, 0, 0].set(jnp.nan))
  assert (int(state.health.notfinite_count), int(state.health.total_notfinite)) == (2, 2)
  state, _ = step(state, good[2])
  assert int(state.step) == 3
  assert (int(state.health.notfinite_count), bool(state.health.last_finite), int(state.health.total_notfinite)) == (
      0, True, 2)
  assert not np.allclose(flat(state.critic.params), flat(kept.critic.params))


# --- model state, objective state, critic extras ------------------------------------

def test_spectral_norm_vectors_are_carried_in_the_state():
  state, step, _ = setup(objective="hinge", penalty=None, spectral_norm=True)
  u0 = copy(state.critic.model_state)
  assert "batch_stats" in u0
  state, _ = step(state, data()[0])
  assert any(not np.allclose(a, b) for a, b in zip(jax.tree.leaves(u0), jax.tree.leaves(state.critic.model_state)))


class BatchNormCritic(nn.Module):
  @nn.compact
  def __call__(self, x):
    h = nn.BatchNorm(use_running_average=not self.is_mutable_collection("batch_stats"))(nn.Dense(8)(x))
    return nn.Dense(1)(nn.relu(h))[:, 0]


def test_critic_fn_scores_each_sample_with_the_evaluated_critic():
  """Batch norm on its running averages: a sample's score is its own, as an independent sampler chain needs."""
  x = jnp.asarray(np.random.default_rng(0).normal(size=(8, 2)), jnp.float32)
  gan = make_gan(objective="non_saturating", penalty=None, critic=BatchNormCritic())
  state = gan.step(gan.init(jax.random.key(0), jnp.zeros((1, 2))), data()[0])[0]
  stats = state.critic.model_state["batch_stats"]["BatchNorm_0"]
  assert float(jnp.max(jnp.abs(stats["mean"]))) > 1e-4  # the step moved the running averages off their start
  scores = gan.critic_fn(state)(x)
  np.testing.assert_allclose(gan.critic_fn(state)(x[:1]), scores[:1], rtol=1e-5, atol=1e-6)
  variables = {"params": state.critic.params, **state.critic.model_state}
  np.testing.assert_allclose(scores, BatchNormCritic().apply(variables, x), rtol=1e-5, atol=1e-6)
  # Flax's spectral norm runs its power iteration in both calls: the scores are the training call's.
  sn_state, _, sn_gan = setup(objective="hinge", penalty=None, spectral_norm=True)
  trained, _ = sn_gan.critic.apply(sn_state.critic.params, sn_state.critic.model_state, x)
  np.testing.assert_array_equal(sn_gan.critic_fn(sn_state)(x), trained)


def test_objective_state_is_carried_and_equals_the_objectives_own_update():
  # BEGAN's k moves from 0.5 (not clipped at 0); with n_critic = 1 its update depends on the two score means only.
  state, step, _ = setup(objective="began", penalty=None, n_critic=1, gamma=0.5, lambda_k=0.1, k_init=0.5)
  k = float(state.objective_state)
  for batch in data(n_critic=1, steps=3):
    state, metrics = step(state, batch)
    expected = np.clip(k + 0.1 * (0.5 * float(metrics["real_score"]) - float(metrics["fake_score"])), 0.0, 1.0)
    assert float(state.objective_state) == pytest.approx(expected, rel=1e-5, abs=1e-7)
    assert float(metrics["k"]) == float(state.objective_state)
    k = float(state.objective_state)
  assert k != 0.5 and 0.0 < k < 1.0


def test_stateful_objectives_called_without_their_state_are_an_error():
  for name in ("began", "magan"):
    objective = jg.losses.get(name)
    with pytest.raises(ValueError, match=rf"Objective '{name}' is stateful: pass `state=`"):
      objective.critic(jnp.ones(4), jnp.ones(4))
    assert np.isfinite(float(objective.critic(jnp.ones(4), jnp.ones(4), state=objective.init())))


@pytest.mark.parametrize("objective", jg.losses.available())
def test_objective_state_leaves_are_distinct_fresh_arrays(objective):
  # The train step donates its state: a buffer in two leaves, or shared by two states, cannot be donated.
  obj = jg.losses.get(objective)
  first, second = jax.tree.leaves(obj.init()), jax.tree.leaves(obj.init())
  assert len({id(x) for x in first}) == len(first)
  assert not {id(x) for x in first} & {id(x) for x in second}


STATEFUL = [name for name in jg.losses.available() if jax.tree.leaves(jg.losses.get(name).init())]


@pytest.mark.parametrize("objective", STATEFUL)
def test_stateful_objectives_survive_donated_steps(objective):
  assert set(STATEFUL) >= {"began", "magan"}
  state, step, _ = setup(objective=objective, penalty=None)
  other, _, _ = setup(objective=objective, penalty=None)  # a second state from the same objective
  for batch in data(steps=2):
    state, metrics = step(state, batch)
  other, _ = step(other, data(steps=1)[0])
  assert int(state.step) == 2 and int(other.step) == 1
  assert np.isfinite(float(metrics["critic_loss"])) and np.isfinite(float(metrics["generator_loss"]))


def test_ebgan_pulling_away_term_reaches_the_generator_through_the_step():
  critic = jg.models.MLPAutoencoderCritic(hidden=(16,), bottleneck=4, return_embeddings=True)
  with_term = make_gan(objective="ebgan", penalty=None, n_critic=1, critic=critic, pulling_away_weight=1.0)
  without = make_gan(objective="ebgan", penalty=None, n_critic=1, critic=critic)
  s_with, s_without = (g.init(jax.random.key(0), jnp.zeros((1, 2))) for g in (with_term, without))
  # The fakes the generator update scores: z from the step's generator key, the generator before the update.
  z = jax.random.normal(jax.random.split(jax.random.fold_in(s_with.rng_key, 0))[1], (16, LATENT))
  fake = with_term.generator_fn(s_with, ema=False)(z)
  batch = data(n_critic=1, steps=1)[0]
  s_with, m_with = with_term.step(s_with, batch)
  s_without, m_without = without.step(s_without, batch)
  chex.assert_trees_all_close(s_with.critic.params, s_without.critic.params)  # the term is the generator's only
  codes = critic.apply({"params": s_with.critic.params}, fake)["embeddings"]
  term = float(jg.losses.pulling_away_term(codes))
  assert term > 0.05
  np.testing.assert_allclose(float(m_with["generator_loss"]) - float(m_without["generator_loss"]), term, rtol=1e-4)
  # ... and its gradient (measured 3e-4 relative; Adam's first update is ~lr * sign(grad), so compare gradient norms).
  assert abs(float(m_with["generator_grad_norm"]) / float(m_without["generator_grad_norm"]) - 1) > 3e-5
  scores_only = make_gan(objective="ebgan", penalty=None, n_critic=1, pulling_away_weight=0.1,
                         critic=jg.models.MLPAutoencoderCritic(hidden=(16,), bottleneck=4))
  with pytest.raises(ValueError, match=r"needs the critic outputs \['embeddings'\]"):
    scores_only.step(scores_only.init(jax.random.key(0), jnp.zeros((1, 2))), batch)


# --- lazy regularisation ------------------------------------------------------------

def constant_penalty(critic_fn, real, fake, rng_key):
  del fake, rng_key
  return 1.0 + 0.0 * jnp.sum(critic_fn(real))


@pytest.mark.parametrize("n_critic,interval,expected", [
    (1, 2, [2, 0, 2, 0]),
    # Counted over critic updates: step 0 runs updates 0-2 (penalised at 0 and 2), step 1 updates 3-5 (at 4).
    (3, 2, [4 / 3, 2 / 3, 4 / 3, 2 / 3]),
    (2, 3, [1.5, 1.5, 0.0, 1.5]),
])
def test_lazy_penalty_interval_counts_critic_updates(n_critic, interval, expected):
  gan = jg.train.GAN(generator=jg.models.MLPGenerator(hidden=(8,)), critic=jg.models.MLPCritic(hidden=(8,)),
                     objective="wgan", penalty=constant_penalty, latent_dim=LATENT, n_critic=n_critic,
                     penalty_interval=interval)
  state = gan.init(jax.random.key(0), jnp.zeros((1, 2)))
  penalties = []
  for batch in data(n_critic=n_critic, steps=4):
    state, metrics = gan.step(state, batch)
    penalties.append(float(metrics["penalty"]))
  np.testing.assert_allclose(penalties, expected, rtol=1e-6)
