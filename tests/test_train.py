"""The train step: EMA, n_critic, no recompiles, data parallel equivalence, non-finite handling."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxgan as jg

LATENT = 2


def setup(objective="wgan", penalty="wgan_gp", spectral_norm=False, n_critic=2, mesh=None,
          on_nonfinite="raise", generator_lr=1e-3, critic_lr=1e-3, ema_decay=0.9, **objective_kwargs):
  generator = jg.models.MLPGenerator(hidden=(16, 16))
  critic = jg.models.MLPCritic(hidden=(16, 16), spectral_norm=spectral_norm)
  obj = jg.losses.get(objective, **objective_kwargs)
  kg, kc, ks = jax.random.split(jax.random.key(0), 3)
  gp, _ = jg.models.init_linen(generator, kg, jnp.zeros((1, LATENT)))
  cp, cms = jg.models.init_linen(critic, kc, jnp.zeros((1, 2)))
  g_opt, c_opt = optax.adam(generator_lr), optax.adam(critic_lr)
  state = jg.train.init_state(ks, generator_params=gp, critic_params=cp, critic_model_state=cms, objective=obj,
                              generator_optimizer=g_opt, critic_optimizer=c_opt)
  kwargs = dict(generator_fn=jg.train.generator_apply_fn(generator), critic_fn=jg.train.critic_apply_fn(critic),
                objective=obj, penalty=jg.penalties.get(penalty) if penalty else None, latent_dim=LATENT,
                generator_optimizer=g_opt, critic_optimizer=c_opt, n_critic=n_critic, ema_decay=ema_decay,
                on_nonfinite=on_nonfinite)
  return state, jg.train.make_train_step(mesh=mesh, **kwargs), kwargs


def data(n_critic=2, batch=16, steps=4, seed=1):
  it = jg.data.batches(jg.data.get("ring8"), jax.random.key(seed), batch_size=batch, num_microbatches=n_critic)
  return [next(it) for _ in range(steps)]


def copy(tree):
  return jax.tree.map(lambda x: jnp.array(x, copy=True) if not jnp.issubdtype(x.dtype, jax.dtypes.prng_key) else x,
                      tree)


def test_state_is_one_pytree_with_typed_key():
  state, _, _ = setup()
  assert jnp.issubdtype(state.rng_key.dtype, jax.dtypes.prng_key)
  assert int(state.step) == 0
  chex.assert_trees_all_equal(state.ema_generator_params, state.generator_params)
  assert len(jax.tree.leaves(state)) > 10


def test_step_updates_params_ema_and_counter():
  state, step, _ = setup(ema_decay=0.9)
  before = copy(state)
  state, metrics = step(state, data()[0])
  assert int(state.step) == 1
  expected_ema = jax.tree.map(lambda old, new: 0.9 * old + 0.1 * new, before.ema_generator_params,
                              state.generator_params)
  chex.assert_trees_all_close(state.ema_generator_params, expected_ema, rtol=1e-6)
  assert not np.allclose(jax.flatten_util.ravel_pytree(before.critic_params)[0],
                         jax.flatten_util.ravel_pytree(state.critic_params)[0])
  assert {"critic_loss", "generator_loss", "penalty", "critic_grad_norm", "generator_grad_norm"} <= set(metrics)
  assert float(metrics["penalty"]) > 0


def test_n_critic_critic_updates_per_generator_update():
  state, step, _ = setup(n_critic=3)
  state, metrics = step(state, data(n_critic=3)[0])
  assert int(state.critic_opt_state[0].count) == 3  # Adam saw three critic updates
  assert int(state.generator_opt_state[0].count) == 1
  assert int(state.step) == 1


def test_no_recompilation_across_steps():
  state, step, _ = setup()
  for batch in data(steps=3):
    state, _ = step(state, batch)
  assert step._cache_size() == 1


def test_bad_batch_shape_is_a_clear_error():
  state, step, _ = setup(n_critic=2)
  with pytest.raises(ValueError, match=r"n_critic=2"):
    step(state, jnp.zeros((3, 16, 2)))


@pytest.mark.parametrize("kwarg,value,match", [
    ("n_critic", 0, "n_critic"), ("on_nonfinite", "ignore", "on_nonfinite"), ("ema_decay", 1.0, "ema_decay"),
    ("latent_dim", -1, "latent_dim"), ("penalty_interval", 0, "penalty_interval"),
])
def test_bad_step_arguments(kwarg, value, match):
  _, _, kwargs = setup()
  with pytest.raises(ValueError, match=match):
    jg.train.build_train_step(**{**kwargs, kwarg: value})


def test_data_parallel_matches_single_device():
  assert jax.device_count() == 4, "conftest sets 4 fake CPU devices"
  batches = data(batch=32, steps=4)
  s1, step1, _ = setup()
  s4, step4, _ = setup(mesh=jg.train.data_mesh(4))
  for b in batches:
    s1, m1 = step1(s1, b)
    s4, m4 = step4(s4, jax.device_put(b, jg.train.batch_sharding(jg.train.data_mesh(4))))
    np.testing.assert_allclose(float(m4["critic_loss"]), float(m1["critic_loss"]), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(float(m4["generator_loss"]), float(m1["generator_loss"]), rtol=1e-4, atol=1e-5)
  chex.assert_trees_all_close(s4.generator_params, s1.generator_params, rtol=1e-4, atol=1e-5)
  chex.assert_trees_all_close(s4.critic_params, s1.critic_params, rtol=1e-4, atol=1e-5)
  assert len(s4.generator_params["Dense_0"]["kernel"].sharding.device_set) == 4  # replicated over 4


def test_nonfinite_raise_mode_rejects_update_and_names_step_and_quantity():
  state, step, _ = setup()
  good = data(steps=2)
  state, _ = step(state, good[0])
  kept = copy(state)
  state, metrics = step(state, good[1].at[0, 0, 0].set(jnp.nan))
  assert int(metrics["nonfinite"]) == 1
  chex.assert_trees_all_equal(state.critic_params, kept.critic_params)
  chex.assert_trees_all_equal(state.generator_params, kept.generator_params)
  assert int(state.step) == 1
  with pytest.raises(jg.train.NonFiniteError, match=r"Non-finite critic_loss at train step 1"):
    jg.train.check_health(state)
  state, _ = step(state, good[0])  # frozen after the first failure
  chex.assert_trees_all_equal(state.critic_params, kept.critic_params)


def test_nonfinite_skip_mode_counts_and_continues():
  state, step, _ = setup(on_nonfinite="skip")
  good = data(steps=2)
  kept = copy(state)
  state, _ = step(state, good[0].at[1, 3, 1].set(jnp.inf))
  chex.assert_trees_all_equal(state.critic_params, kept.critic_params)
  assert int(state.step) == 1 and int(state.health.skipped_updates) == 1
  jg.train.check_health(state)  # skip mode does not raise
  state, _ = step(state, good[1])
  assert int(state.step) == 2
  assert not np.allclose(jax.flatten_util.ravel_pytree(state.critic_params)[0],
                         jax.flatten_util.ravel_pytree(kept.critic_params)[0])


def test_spectral_norm_vectors_are_carried_in_the_state():
  state, step, _ = setup(objective="hinge", penalty=None, spectral_norm=True)
  u0 = copy(state.critic_model_state)
  assert "batch_stats" in u0
  state, _ = step(state, data()[0])
  sigma = jax.tree.leaves(state.critic_model_state)
  assert any(not np.allclose(a, b) for a, b in zip(jax.tree.leaves(u0), sigma))


def test_objective_state_is_carried_in_the_state():
  state, step, _ = setup(objective="began", penalty=None, lambda_k=0.1)
  assert float(state.objective_state) == 0.0
  state, metrics = step(state, data()[0])
  assert "k" in metrics and "convergence" in metrics
  assert float(state.objective_state) == pytest.approx(float(metrics["k"]), abs=0.2)


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


def test_lazy_penalty_interval():
  _, _, kwargs = setup(n_critic=1)
  step = jax.jit(jg.train.build_train_step(**{**kwargs, "penalty_interval": 2, "n_critic": 1}))
  state, _, _ = setup(n_critic=1)
  pens = []
  for b in data(n_critic=1, steps=4):
    state, m = step(state, b)
    pens.append(float(m["penalty"]))
  assert pens[1] == 0.0 and pens[3] == 0.0 and pens[0] > 0 and pens[2] > 0
