"""`GAN.run` (many steps per dispatch), in-graph data streams and `num_runs` (many runs in one program)."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from scipy import stats

import jaxgan as jg

SEED_KEYS = 3


def gan_kwargs(n_critic=2, penalty="r1", optimizer=optax.adam(1e-3)) -> dict:
  return dict(generator=jg.models.MLPGenerator(hidden=(16, 16)), critic=jg.models.MLPCritic(hidden=(16, 16)),
              objective="non_saturating", penalty=penalty, latent_dim=2, n_critic=n_critic,
              generator_optimizer=optimizer, critic_optimizer=optimizer, ema_decay=0.9)


def make_gan(num_runs=None, n_critic=2, mesh=None, penalty="r1", optimizer=optax.adam(1e-3), shard_state=False):
  return jg.train.GAN(**gan_kwargs(n_critic, penalty, optimizer), num_runs=num_runs, mesh=mesh,
                      shard_state=shard_state)


# Adam with its learning rate in the optimiser state, where `set_hyperparams` writes it.
INJECTED = optax.inject_hyperparams(optax.adam)(learning_rate=1e-3)


def ring_stream(key, n_critic=2, batch_size=16):
  return jg.data.toy_stream(jg.data.get("ring8"), key, batch_size=batch_size, n_critic=n_critic)


def trained(gan, stream, chunks, key=0):
  state = gan.init(jax.random.key(key), jnp.zeros((1, 2)))
  for num_steps in chunks:
    state, _ = gan.run(state, stream, num_steps)
  return state


@pytest.mark.default_codegen
def test_chunks_of_1_and_50_steps_and_host_fed_steps_give_bit_identical_states():
  gan, stream = make_gan(), ring_stream(jax.random.key(1))
  by_50 = trained(gan, stream, [50])
  by_1 = trained(gan, stream, [1] * 50)
  chex.assert_trees_all_equal(by_1.replace(rng_key=None), by_50.replace(rng_key=None))
  state = gan.init(jax.random.key(0), jnp.zeros((1, 2)))
  batches = jg.data.batches(jg.data.get("ring8"), jax.random.key(1), batch_size=16, n_critic=2)
  for _ in range(50):
    state, _ = gan.step(state, next(batches))
  chex.assert_trees_all_equal(state.replace(rng_key=None), by_50.replace(rng_key=None))
  assert int(by_50.step) == 50
  assert not jnp.allclose(jax.flatten_util.ravel_pytree(by_50.generator.params)[0],
                          jax.flatten_util.ravel_pytree(trained(gan, stream, [1]).generator.params)[0])


def test_run_on_stacked_batches_equals_run_on_the_stream_and_metrics_are_per_step_or_mean():
  gan, stream = make_gan(), ring_stream(jax.random.key(1))
  stacked = jnp.stack([stream.batch(s) for s in range(10)])
  state_a, per_step = gan.run(gan.init(jax.random.key(0), jnp.zeros((1, 2))), stacked, 10)
  state_b, mean = gan.run(gan.init(jax.random.key(0), jnp.zeros((1, 2))), stream, 10, reduce="mean")
  chex.assert_trees_all_close(state_a.replace(rng_key=None), state_b.replace(rng_key=None), rtol=1e-6, atol=1e-7)
  assert per_step["critic_loss"].shape == (10,) and mean["critic_loss"].shape == ()
  np.testing.assert_allclose(mean["critic_loss"], per_step["critic_loss"].mean(), rtol=1e-5)
  assert len(set(np.asarray(per_step["critic_loss"]).tolist())) == 10  # one row per step, not one repeated


def test_run_i_of_a_vmapped_batch_of_runs_equals_the_single_run_with_key_i():
  gan_n = make_gan(num_runs=SEED_KEYS)
  seeds = jnp.arange(SEED_KEYS)
  state = gan_n.init(jax.vmap(jax.random.key)(seeds), jnp.zeros((1, 2)))
  stream = ring_stream(jax.vmap(lambda s: jax.random.key(100 + s))(seeds))
  state, metrics = gan_n.run(state, stream, 30)
  assert metrics["critic_loss"].shape == (30, SEED_KEYS) and state.step.shape == (SEED_KEYS,)
  assert gan_n.sample(state, jax.random.key(5), 7).shape == (SEED_KEYS, 7, 2)
  single = make_gan()
  for i in range(SEED_KEYS):
    alone = trained(single, ring_stream(jax.random.key(100 + i)), [30], key=i)
    chex.assert_trees_all_close(jg.train.select_run(state, i).replace(rng_key=None), alone.replace(rng_key=None),
                                rtol=1e-5, atol=1e-6)
  params = [jax.flatten_util.ravel_pytree(jg.train.select_run(state, i).generator.params)[0] for i in range(2)]
  assert not jnp.allclose(params[0], params[1])  # different seeds, different runs


def test_runs_shard_over_devices_and_match_the_unsharded_runs():
  mesh = jg.train.data_mesh(2)
  keys = jax.random.split(jax.random.key(0), 4)
  stream = ring_stream(jax.random.split(jax.random.key(1), 4))
  sharded = make_gan(num_runs=4, mesh=mesh)
  state, _ = sharded.run(sharded.init(keys, jnp.zeros((1, 2))), stream, 5)
  assert state.step.sharding.spec == jax.sharding.PartitionSpec("data")
  plain = make_gan(num_runs=4)
  reference, _ = plain.run(plain.init(keys, jnp.zeros((1, 2))), stream, 5)
  chex.assert_trees_all_close(state.replace(rng_key=None), reference.replace(rng_key=None), rtol=1e-5, atol=1e-6)


def test_one_run_on_a_mesh_shards_the_in_graph_batch_and_matches_one_device():
  stream = ring_stream(jax.random.key(1), batch_size=16)
  on_mesh = trained(make_gan(mesh=jg.train.data_mesh(4)), stream, [5])
  alone = trained(make_gan(), stream, [5])
  chex.assert_trees_all_close(on_mesh.replace(rng_key=None), alone.replace(rng_key=None), rtol=1e-5, atol=1e-6)


def test_fully_sharded_state_holds_a_quarter_per_device_and_trains_as_replicated():
  mesh, stream = jg.train.data_mesh(4), ring_stream(jax.random.key(1), batch_size=16)
  gan = make_gan(mesh=mesh, shard_state=True)
  state = trained(gan, stream, [3, 2])
  state, _ = gan.step(state, jax.device_put(stream.batch(state.step), jg.train.batch_sharding(mesh)))
  # Every leaf with an axis of 16 (kernels, biases, Adam moments, EMA) is split in 4; scalars stay replicated.
  for leaf in jax.tree.leaves((state.critic, state.generator, state.ema_params)):
    if leaf.ndim and 16 in leaf.shape:
      assert "data" in leaf.sharding.spec and leaf.addressable_shards[0].data.size == leaf.size // 4, leaf.shape
  assert state.step.sharding.is_fully_replicated
  replicated = make_gan(mesh=mesh)
  reference = trained(replicated, stream, [3, 2])
  reference, _ = replicated.step(reference, jax.device_put(stream.batch(reference.step), jg.train.batch_sharding(mesh)))
  chex.assert_trees_all_close(state.replace(rng_key=None), reference.replace(rng_key=None), rtol=1e-5, atol=1e-6)
  with pytest.raises(ValueError, match="`shard_state=True` needs a `mesh` and one run"):
    make_gan(shard_state=True)
  with pytest.raises(ValueError, match="`shard_state=True` needs a `mesh` and one run"):
    make_gan(mesh=mesh, num_runs=4, shard_state=True)


def test_permuted_index_is_a_bijection_and_another_key_another_order():
  permuted_index = jax.jit(jg.data.permuted_index, static_argnums=2)  # one program per n, not op by op
  for n in (1, 2, 3, 17, 1000, 4099):
    index = jnp.arange(n)
    a = np.asarray(permuted_index(jax.random.key(0), index, n))
    b = np.asarray(permuted_index(jax.random.key(1), index, n))
    np.testing.assert_array_equal(np.sort(a), np.arange(n))
    if n >= 17:
      assert not np.array_equal(a, b) and not np.array_equal(a, np.arange(n))


def test_permuted_index_places_each_example_uniformly():
  # Where example 0 lands, over 3,000 keys, is uniform on 10 positions (chi-square), as for jax.random.permutation.
  n, keys = 10, jax.random.split(jax.random.key(0), 3000)
  positions = jax.vmap(lambda k: jnp.argmax(jg.data.permuted_index(k, jnp.arange(n), n) == 0))(keys)
  counts = np.bincount(np.asarray(positions), minlength=n)
  assert stats.chisquare(counts).pvalue > 1e-3
  # And consecutive positions are not correlated: P(perm(i+1) = perm(i) + 1) is about 1/n.
  perms = jax.vmap(lambda k: jg.data.permuted_index(k, jnp.arange(n), n))(keys)
  adjacent = np.mean(np.diff(np.asarray(perms).astype(int), axis=1) == 1)
  assert abs(adjacent - 1 / n) < 0.02


def test_image_stream_visits_every_example_once_per_epoch_in_a_new_order_and_is_a_function_of_the_step():
  n, batch_size, n_critic = 24, 4, 2  # 3 steps per epoch
  images = (np.arange(n, dtype=np.uint8)[:, None, None, None] * np.ones((1, 2, 2, 1), np.uint8))
  stream = jg.data.image_stream(images, jax.random.key(0), batch_size=batch_size, n_critic=n_critic)
  assert stream.images.dtype == jnp.uint8
  drawn = [np.asarray(stream.batch(s)) for s in range(9)]
  assert drawn[0].shape == (n_critic, batch_size, 2, 2, 1) and drawn[0].dtype == np.float32
  ids = [np.rint((b[..., 0, 0, 0] + 1) * 127.5).astype(int).ravel() for b in drawn]
  epochs = [np.concatenate(ids[3 * e:3 * e + 3]) for e in range(3)]
  for epoch in epochs:
    np.testing.assert_array_equal(np.sort(epoch), np.arange(n))
  assert not np.array_equal(epochs[0], epochs[1])
  np.testing.assert_array_equal(np.asarray(jax.jit(stream.batch)(7)), drawn[7])


def test_finite_toy_stream_reads_one_fixed_dataset_per_key_every_epoch_in_a_new_order():
  n, batch_size, n_critic = 30, 5, 2  # 3 steps per epoch
  ring = jg.data.get("ring8")
  stream = jg.data.toy_stream(ring, jax.random.key(0), batch_size=batch_size, n_critic=n_critic, labels=True,
                              dataset_size=n)
  drawn = [stream.batch(s) for s in range(9)]
  assert drawn[0][0].shape == (n_critic, batch_size, 2) and drawn[0][1].shape == (n_critic, batch_size)
  epochs = [np.concatenate([np.asarray(drawn[s][0]).reshape(-1, 2) for s in range(3 * e, 3 * e + 3)])
            for e in range(3)]
  dataset = epochs[0][np.lexsort(epochs[0].T)]
  assert len(np.unique(dataset, axis=0)) == n  # n distinct points: no point drawn twice in an epoch
  for epoch in epochs[1:]:  # the same n points every epoch, in another order
    np.testing.assert_array_equal(epoch[np.lexsort(epoch.T)], dataset)
    assert not np.array_equal(epoch, epochs[0])
  # Points of the ring, labelled with their mode.
  labels = np.concatenate([np.asarray(drawn[s][1]).ravel() for s in range(3)])
  np.testing.assert_array_less(np.linalg.norm(epochs[0] - ring.modes[labels], axis=1), 6 * ring.std)
  np.testing.assert_allclose(np.asarray(jax.jit(stream.batch)(7)[0]), np.asarray(drawn[7][0]), rtol=1e-6, atol=1e-7)
  # Another run key, another dataset; the fresh stream is unchanged by the option.
  two = jg.data.toy_stream(ring, jax.random.split(jax.random.key(0), 2), batch_size=batch_size, n_critic=n_critic,
                           dataset_size=n)
  other = np.concatenate([np.asarray(two.batch(jnp.array([s, s]))[1]).reshape(-1, 2) for s in range(3)])
  assert len(np.intersect1d(other[:, 0], dataset[:, 0])) == 0
  fresh = jg.data.toy_stream(ring, jax.random.key(0), batch_size=batch_size, n_critic=n_critic)
  np.testing.assert_array_equal(np.asarray(fresh.batch(0)),
                                np.asarray(ring.sample(jax.random.fold_in(jax.random.key(0), 0), 10)).reshape(2, 5, 2))
  for bad in (0, -3, True, 2.5):
    with pytest.raises(ValueError, match="`dataset_size` must be an integer >= 1"):
      jg.data.toy_stream(ring, jax.random.key(0), batch_size=4, dataset_size=bad)


def test_image_stream_keeps_8_bit_levels_as_uint8_and_other_floats_as_float32():
  levels = np.arange(16, dtype=np.float32).reshape(16, 1, 1, 1) / 127.5 - 1.0
  stream = jg.data.image_stream(levels, jax.random.key(0), batch_size=16)
  assert stream.images.dtype == jnp.uint8
  np.testing.assert_allclose(np.sort(np.asarray(stream.batch(0)).ravel()), levels.ravel(), atol=1e-6)
  smooth = levels + 1e-3
  stream = jg.data.image_stream(smooth, jax.random.key(0), batch_size=16)
  assert stream.images.dtype == jnp.float32
  np.testing.assert_array_equal(np.sort(np.asarray(stream.batch(0)).ravel()), smooth.ravel())


def test_image_stream_feeds_vmapped_runs_on_device():
  source = jg.data.offline_shapes(64, image_size=8)
  stream = jg.data.image_stream(source, jax.random.split(jax.random.key(0), 2), batch_size=8)
  assert stream.batch(jnp.array([0, 0])).shape == (2, 1, 8, 8, 8, 1)
  gan = jg.train.GAN(generator=jg.train.Player(*image_generator()), critic=jg.train.Player(*image_critic()),
                     objective="hinge", latent_dim=4, num_runs=2)
  state = gan.init(jax.random.split(jax.random.key(1), 2), jnp.zeros((1, 8, 8, 1)))
  state, metrics = gan.run(state, stream, 5)
  assert metrics["critic_loss"].shape == (5, 2) and bool(jnp.all(jnp.isfinite(metrics["critic_loss"])))
  assert not np.allclose(*np.asarray(metrics["critic_loss"][-1]))  # each run drew its own batches


def image_critic():
  critic = jg.models.MLPCritic(hidden=(16,))
  return (lambda key, x: (critic.init(key, x.reshape(x.shape[0], -1)), {}),
          lambda params, state, x: (critic.apply(params, x.reshape(x.shape[0], -1)), state))


def image_generator():
  generator = jg.models.MLPGenerator(output_dim=64, hidden=(16,))
  return (lambda key, z: (generator.init(key, z), {}),
          lambda params, state, z: (jnp.tanh(generator.apply(params, z)).reshape(-1, 8, 8, 1), state))


def test_bad_inputs_name_the_argument():
  gan, stream = make_gan(), ring_stream(jax.random.key(1))
  state = gan.init(jax.random.key(0), jnp.zeros((1, 2)))
  with pytest.raises(ValueError, match="num_steps"):
    gan.run(state, stream, 0)
  with pytest.raises(ValueError, match="reduce"):
    gan.run(state, stream, 2, reduce="sum")
  with pytest.raises(ValueError, match=r"`data` must have shape \(num_steps, n_critic"):
    gan.run(state, jnp.zeros((3, 2, 16, 2)), 4)
  with pytest.raises(ValueError, match="num_runs"):
    make_gan(num_runs=0)
  with pytest.raises(ValueError, match=r"`rng_key` must have shape \(3,\)"):
    make_gan(num_runs=3).init(jax.random.split(jax.random.key(0), 2), jnp.zeros((1, 2)))
  with pytest.raises(ValueError, match=r"`batch` must have shape \(num_runs, n_critic"):
    gan_3 = make_gan(num_runs=3)
    gan_3.step(gan_3.init(jax.random.split(jax.random.key(0), 3), jnp.zeros((1, 2))), jnp.zeros((2, 16, 2)))
  with pytest.raises(ValueError, match=r"needs 3 MiB of device memory, over the 1 MiB allowed.*image_batches"):
    jg.data.image_stream(np.zeros((3 * 2**20, 1, 1, 1), np.uint8), jax.random.key(0), batch_size=4, max_bytes=2**20)
  with pytest.raises(ValueError, match="must lie in"):
    jg.data.image_stream(np.full((4, 2, 2, 1), 3.0, np.float32), jax.random.key(0), batch_size=2)


def test_a_nonfinite_update_inside_a_chunk_freezes_the_run_and_names_its_step():
  gan = make_gan()
  state = gan.init(jax.random.key(0), jnp.zeros((1, 2)))
  batches = jnp.stack([ring_stream(jax.random.key(1)).batch(s) for s in range(10)]).at[6].set(jnp.nan)
  state, metrics = gan.run(state, batches, 10)
  assert int(state.step) == 6 and np.asarray(metrics["nonfinite"]).tolist() == [0] * 6 + [1] * 4
  with pytest.raises(jg.train.NonFiniteError, match="Non-finite critic_loss at train step 6"):
    jg.train.check_health(state)


# --- per-run hyperparameters (`jg.train.set_hyperparams`) ------------------------

PER_RUN = {"ema_decay": [0.0, 0.5, 0.99], "penalty_weight": [0.0, 0.3, 2.0],
           "generator_learning_rate": [1e-3, 3e-3, 3e-4], "critic_learning_rate": [3e-4, 1e-3, 3e-3]}


def run_flat(tree, i=None):
  """`tree`'s leaves as one float64 vector (of run `i` for a state with a run axis)."""
  tree = tree if i is None else jax.tree.map(lambda x: x[i], tree)
  return np.asarray(jax.flatten_util.ravel_pytree(tree)[0], np.float64)


def test_init_sets_the_constructors_ema_decay_and_a_penalty_weight_of_one_per_run():
  state = make_gan(num_runs=SEED_KEYS).init(jax.random.split(jax.random.key(0), SEED_KEYS), jnp.zeros((1, 2)))
  assert set(state.hyperparams) == {"ema_decay", "penalty_weight"}
  for name, value in (("ema_decay", 0.9), ("penalty_weight", 1.0)):
    assert state.hyperparams[name].dtype == jnp.float32
    np.testing.assert_array_equal(state.hyperparams[name], np.full(SEED_KEYS, value, np.float32))


def test_per_run_hyperparams_train_run_i_as_the_single_run_given_run_is_values():
  gan_n, single = make_gan(num_runs=SEED_KEYS, optimizer=INJECTED), make_gan(optimizer=INJECTED)
  keys, data_keys = jax.random.split(jax.random.key(0), SEED_KEYS), jax.random.split(jax.random.key(1), SEED_KEYS)
  state = jg.train.set_hyperparams(gan_n.init(keys, jnp.zeros((1, 2))), **PER_RUN)
  state, metrics = gan_n.run(state, ring_stream(data_keys), 10)
  for i in range(SEED_KEYS):
    alone = jg.train.set_hyperparams(single.init(keys[i], jnp.zeros((1, 2))), **{k: v[i] for k, v in PER_RUN.items()})
    alone, alone_metrics = single.run(alone, ring_stream(data_keys[i]), 10)
    chex.assert_trees_all_close(jg.train.select_run(state, i).replace(rng_key=None), alone.replace(rng_key=None),
                                rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(metrics["penalty"][:, i], alone_metrics["penalty"], rtol=1e-5, atol=1e-7)
  assert not np.any(metrics["penalty"][:, 0]) and np.all(metrics["penalty"][:, 1:] > 0)  # weight 0: no penalty


@pytest.mark.default_codegen  # exact at decay 0 as users compile it; the classic generator rounds the
# generator update 1 ulp apart in its two fusions (params and EMA)
def test_the_ema_decays_at_each_runs_own_rate():
  gan = make_gan(num_runs=SEED_KEYS)
  decays = PER_RUN["ema_decay"]
  state = jg.train.set_hyperparams(gan.init(jax.random.split(jax.random.key(0), SEED_KEYS), jnp.zeros((1, 2))),
                                   ema_decay=decays)
  old_ema = [run_flat(state.ema_params, i) for i in range(SEED_KEYS)]
  state, _ = gan.step(state, jnp.stack([ring_stream(jax.random.key(1 + i)).batch(0) for i in range(SEED_KEYS)]))
  for i, decay in enumerate(decays):
    params = run_flat(state.generator.params, i)
    assert not np.allclose(params, old_ema[i])
    np.testing.assert_allclose(run_flat(state.ema_params, i), (1 - decay) * params + decay * old_ema[i],
                               rtol=1e-6, atol=1e-8)
  np.testing.assert_array_equal(run_flat(state.ema_params, 0), run_flat(state.generator.params, 0))  # decay 0


def test_penalty_weight_zero_trains_as_no_penalty_and_w_as_the_penalty_scaled_by_w():
  stream = ring_stream(jax.random.key(1))

  def weighted(gan, weight=None):
    state = gan.init(jax.random.key(0), jnp.zeros((1, 2)))
    if weight is not None:
      state = jg.train.set_hyperparams(state, penalty_weight=weight)
    state, metrics = gan.run(state, stream, 5)
    return state.replace(rng_key=None, hyperparams=None), metrics

  r1 = make_gan(penalty=jg.penalties.get("r1", gamma=10.0))
  off, off_metrics = weighted(r1, 0.0)
  # Not bit-identical: XLA:CPU compiles the two programs' shared arithmetic differently (1 ulp here and there).
  chex.assert_trees_all_close(off, weighted(make_gan(penalty=None))[0], rtol=1e-6, atol=1e-9)
  assert not np.any(off_metrics["penalty"])
  scaled, scaled_metrics = weighted(r1, 0.3)
  reference, reference_metrics = weighted(make_gan(penalty=jg.penalties.get("r1", gamma=3.0)))
  chex.assert_trees_all_close(scaled, reference, rtol=1e-5, atol=1e-7)
  np.testing.assert_allclose(scaled_metrics["penalty"], reference_metrics["penalty"], rtol=1e-5)  # the weighted term


def test_learning_rates_set_in_the_state_train_as_optimisers_built_with_them():
  gan = make_gan(optimizer=INJECTED)  # learning rate 1e-3 for both players
  state = jg.train.set_hyperparams(gan.init(jax.random.key(0), jnp.zeros((1, 2))), generator_learning_rate=3e-3,
                                   critic_learning_rate=3e-4)
  state, _ = gan.run(state, ring_stream(jax.random.key(1)), 5)
  built = jg.train.GAN(generator=jg.models.MLPGenerator(hidden=(16, 16)), critic=jg.models.MLPCritic(hidden=(16, 16)),
                       objective="non_saturating", penalty="r1", latent_dim=2, n_critic=2, ema_decay=0.9,
                       generator_optimizer=optax.inject_hyperparams(optax.adam)(learning_rate=3e-3),
                       critic_optimizer=optax.inject_hyperparams(optax.adam)(learning_rate=3e-4))
  chex.assert_trees_all_equal(state.replace(rng_key=None),
                              trained(built, ring_stream(jax.random.key(1)), [5]).replace(rng_key=None))


def test_a_fresh_state_compiles_the_step_and_the_run_program_once():
  """The state `init` returns is placed as the programs' outputs are, so the second call reuses the first's program.

  The data is committed to its device, as data placed on a device is: the
  outputs of a call are then committed too.
  """
  gan, device = make_gan(), jax.devices()[0]
  state = gan.init(jax.random.key(0), jnp.zeros((1, 2)))
  stream = ring_stream(jax.device_put(jax.random.key(1), device))
  for _ in range(3):
    state, _ = gan.run(state, stream, 4)
  assert gan.run._cache_size() == 1
  state = gan.init(jax.random.key(0), jnp.zeros((1, 2)))
  for _ in range(3):
    state, _ = gan.step(state, jax.device_put(jnp.zeros((2, 16, 2)), device))
  assert gan.step._cache_size() == 1


def test_set_hyperparams_broadcasts_a_number_keeps_dtype_shape_and_sharding_and_does_not_recompile():
  gan = make_gan(num_runs=4, mesh=jg.train.data_mesh(2), optimizer=INJECTED)
  state = gan.init(jax.random.split(jax.random.key(0), 4), jnp.zeros((1, 2)))
  state, _ = gan.step(state, jnp.zeros((4, 2, 16, 2)))
  old = [state.hyperparams["ema_decay"], state.hyperparams["penalty_weight"],
         state.generator.opt_state.hyperparams["learning_rate"], state.critic.opt_state.hyperparams["learning_rate"]]
  new_state = jg.train.set_hyperparams(state, ema_decay=0.5, critic_learning_rate=np.array([1, 2, 3, 4]) * 1e-4)
  new = [new_state.hyperparams["ema_decay"], new_state.hyperparams["penalty_weight"],
         new_state.generator.opt_state.hyperparams["learning_rate"],
         new_state.critic.opt_state.hyperparams["learning_rate"]]
  for before, after in zip(old, new):
    assert (after.dtype, after.shape, after.sharding) == (before.dtype, before.shape, before.sharding)
  np.testing.assert_array_equal(new[0], np.full(4, 0.5, np.float32))
  assert new[1] is old[1] and new[2] is old[2]  # None leaves a value as it was
  np.testing.assert_array_equal(new[3], np.float32([1e-4, 2e-4, 3e-4, 4e-4]))
  np.testing.assert_array_equal(old[0], np.full(4, 0.9, np.float32))  # the argument is not modified
  gan.step(new_state, jnp.zeros((4, 2, 16, 2)))
  assert gan.step._cache_size() == 1


def test_bfloat16_params_keep_their_dtype_under_float32_hyperparams():
  def bf16(module):
    cast = lambda tree: jax.tree.map(lambda x: x.astype(jnp.bfloat16), tree)  # noqa: E731
    return jg.train.Player(lambda key, x: (cast(module.init(key, x)), {}),
                           lambda params, model_state, x: (module.apply(params, x), model_state))

  gan = jg.train.GAN(generator=bf16(jg.models.MLPGenerator(hidden=(8,))), critic=bf16(jg.models.MLPCritic(hidden=(8,))),
                     objective="non_saturating", penalty="r1", latent_dim=2, generator_optimizer=INJECTED,
                     critic_optimizer=INJECTED, num_runs=2)
  state = gan.init(jax.random.split(jax.random.key(0), 2), jnp.zeros((1, 2)))
  state = jg.train.set_hyperparams(state, ema_decay=[0.5, 0.9], penalty_weight=0.5,
                                   generator_learning_rate=[1e-3, 2e-3])
  assert state.generator.opt_state.hyperparams["learning_rate"].dtype == jnp.bfloat16  # the params' dtype
  state, _ = gan.run(state, ring_stream(jax.random.split(jax.random.key(1), 2), n_critic=1), 3)
  dtypes = {leaf.dtype for leaf in jax.tree.leaves((state.generator.params, state.ema_params))}
  assert dtypes == {jnp.dtype(jnp.bfloat16)}


def test_set_hyperparams_bad_inputs_name_the_argument():
  one = make_gan(optimizer=INJECTED).init(jax.random.key(0), jnp.zeros((1, 2)))
  three = make_gan(num_runs=3, optimizer=INJECTED).init(jax.random.split(jax.random.key(0), 3), jnp.zeros((1, 2)))
  cases = [
      (dict(ema_decay=1.0), r"`ema_decay` must lie in \[0, 1\)"),
      (dict(ema_decay=-0.1), r"`ema_decay` must lie in \[0, 1\)"),
      (dict(ema_decay=0.99999999), r"`ema_decay` must lie in \[0, 1\) \(as float32\)"),  # 1.0 in float32
      (dict(penalty_weight=-1.0), r"`penalty_weight` must be a finite number >= 0"),
      (dict(penalty_weight=float("nan")), r"`penalty_weight` must be a finite number >= 0"),
      (dict(generator_learning_rate=0.0), r"`generator_learning_rate` must be a finite number > 0"),
      (dict(critic_learning_rate=-1e-3), r"`critic_learning_rate` must be a finite number > 0"),
  ]
  for state in (one, three):
    for kwargs, match in cases:
      with pytest.raises(ValueError, match=match):
        jg.train.set_hyperparams(state, **kwargs)
  with pytest.raises(ValueError, match=r"`ema_decay` must lie in \[0, 1\)"):
    jg.train.set_hyperparams(three, ema_decay=[0.9, 1.0, 0.9])  # one bad run
  with pytest.raises(ValueError, match=r"`penalty_weight` must be a number or 3 numbers, one per run, got an array of"
                                       r" shape \(2,\)"):
    jg.train.set_hyperparams(three, penalty_weight=[1.0, 2.0])
  with pytest.raises(ValueError, match=r"`critic_learning_rate` must be a number or 3 numbers.*shape \(3, 1\)"):
    jg.train.set_hyperparams(three, critic_learning_rate=[[1e-3]] * 3)
  with pytest.raises(ValueError, match=r"`ema_decay` must be a number \(the state has one run\)"):
    jg.train.set_hyperparams(one, ema_decay=[0.9])
  for value in ("0.9", True, [0.9, "a", 0.9], [0.9, [0.9], 0.9]):
    with pytest.raises(TypeError, match="`ema_decay` must be a number or a sequence of numbers"):
      jg.train.set_hyperparams(three, ema_decay=value)
  plain = make_gan().init(jax.random.key(0), jnp.zeros((1, 2)))
  for player in ("generator", "critic"):
    with pytest.raises(ValueError, match=rf"`{player}_learning_rate` .* no injected learning rate.*"
                                         rf"{player}_optimizer=optax.inject_hyperparams\(optax.adam\)"):
      jg.train.set_hyperparams(plain, **{f"{player}_learning_rate": 1e-3})
  scheduled = make_gan(optimizer=optax.inject_hyperparams(optax.adam)(learning_rate=optax.linear_schedule(1e-3, 0, 10)))
  with pytest.raises(ValueError, match="`generator_learning_rate`: .* as a schedule"):
    jg.train.set_hyperparams(scheduled.init(jax.random.key(0), jnp.zeros((1, 2))), generator_learning_rate=1e-3)
  with pytest.raises(TypeError, match="`state` must be a jg.train.GANState"):
    jg.train.set_hyperparams(one.generator, ema_decay=0.9)


@pytest.mark.default_codegen
def test_augment_is_what_the_critic_sees_in_both_updates():
  """Doubling the critic's inputs through `augment` trains exactly as a critic that doubles its own input."""
  stream = ring_stream(jax.random.key(1), batch_size=16)
  mlp = jg.models.MLPCritic(hidden=(16, 16))

  def doubling_critic():
    return jg.train.Player(lambda rng_key, example: (mlp.init(rng_key, example)["params"], {}),
                           lambda params, model_state, x: (mlp.apply({"params": params}, 2.0 * x), model_state))

  def gan(critic, augment):
    return jg.train.GAN(**{**gan_kwargs(penalty=None), "critic": critic}, augment=augment)

  augmented = trained(gan(mlp, lambda key, x, step: 2.0 * x), stream, [4])
  wrapped = trained(gan(doubling_critic(), None), stream, [4])
  chex.assert_trees_all_close(augmented.generator.params, wrapped.generator.params, rtol=1e-6, atol=1e-7)
  chex.assert_trees_all_close(augmented.critic.params, wrapped.critic.params, rtol=1e-6, atol=1e-7)
  # Zero instance noise is the identity, bit for bit; annealed noise changes the trajectory until it ends.
  plain = trained(make_gan(), stream, [4])
  noiseless = jg.train.GAN(**{**gan_kwargs(), "augment": jg.techniques.instance_noise_augmentation(0.0, 1)})
  chex.assert_trees_all_equal(trained(noiseless, stream, [4]).critic.params, plain.critic.params)
  noisy = jg.train.GAN(**{**gan_kwargs(), "augment": jg.techniques.instance_noise_augmentation(0.5, 2)})
  assert not np.allclose(jax.tree.leaves(trained(noisy, stream, [4]).critic.params)[0],
                         jax.tree.leaves(plain.critic.params)[0])
  with pytest.raises(TypeError, match="`augment` must be None or a function"):
    jg.train.GAN(**{**gan_kwargs(), "augment": "diff_augment"})



def test_unrolled_generator_gradient_is_the_gradient_through_k_critic_updates():
  """Metz et al. 2017: against a hand-written surrogate f(theta, w_K(theta)) with K SGD critic steps.

  The generator outputs theta whatever z (so the latents drawn inside the step do not matter), the critic
  is linear, D(x) = x . w + b; with plain SGD at rate 1 on the generator, its step is minus the gradient.
  """
  theta0, w0, b0, critic_lr = jnp.array([0.3, -0.2]), jnp.array([0.5, 1.0]), jnp.array(0.1), 0.7
  real = jnp.array([[1.0, 0.5], [0.2, -0.4], [0.0, 1.0]])
  generator = jg.train.Player(lambda key, z: ({"theta": jnp.array(theta0)}, {}),
                              lambda p, ms, z: (jnp.broadcast_to(p["theta"], (z.shape[0], 2)), ms))
  critic = jg.train.Player(lambda key, x: ({"w": jnp.array(w0), "b": jnp.array(b0)}, {}), lambda p, ms, x: (x @ p["w"] + p["b"], ms))

  def critic_loss(w, b, theta):  # the non-saturating critic loss on `real` and three copies of theta
    return jnp.mean(jax.nn.softplus(-(real @ w + b))) + jax.nn.softplus(theta @ w + b)

  def surrogate(theta, w, b, k):
    for _ in range(k):
      gw, gb = jax.grad(critic_loss, argnums=(0, 1))(w, b, theta)
      w, b = w - critic_lr * gw, b - critic_lr * gb
    return jax.nn.softplus(-(theta @ w + b))

  for k in (0, 1, 3):
    gan = jg.train.GAN(generator=generator, critic=critic, objective="non_saturating", latent_dim=2,
                       generator_optimizer=optax.sgd(1.0), critic_optimizer=optax.sgd(critic_lr), unroll_steps=k)
    state = gan.init(jax.random.key(0), real)
    new, _ = gan.step(state, real[None])
    # The step's own critic update comes first; the unrolled copies start from it.
    w1, b1 = new.critic.params["w"], new.critic.params["b"]
    expected = jax.grad(surrogate)(theta0, w1, b1, k)
    np.testing.assert_allclose(theta0 - new.generator.params["theta"], expected, rtol=1e-5, atol=1e-7)
    # The hand-written gradient itself against central finite differences (float64).
    with jax.enable_x64(True):
      t64 = np.asarray(theta0, np.float64)
      fd = [(surrogate(t64 + e, np.float64(w1), np.float64(b1), k) - surrogate(t64 - e, np.float64(w1),
                                                                                 np.float64(b1), k)) / 2e-6
            for e in 1e-6 * np.eye(2)]
    np.testing.assert_allclose(expected, np.asarray(fd, np.float32), rtol=1e-4, atol=1e-6)
    if k:
      assert not np.allclose(expected, jax.grad(surrogate)(theta0, w1, b1, 0))  # unrolling changes the gradient
  with pytest.raises(ValueError, match=r"`unroll_steps` must be an integer >= 0"):
    jg.train.GAN(**gan_kwargs(), unroll_steps=-1)


def test_feature_matching_adds_its_term_to_the_generator_loss():
  """With SGD at rate 1 the generator's step is minus the gradient of its loss: the difference between the steps
  with and without feature matching is w times the gradient of ||mean f(x_r) - mean f(G(z))||^2."""
  stream = ring_stream(jax.random.key(1), batch_size=16, n_critic=1)
  critic = jg.models.MLPCritic(hidden=(16, 16), return_features=True)
  batch = stream.batch(0)

  def generator_step(weight):
    gan = jg.train.GAN(**{**gan_kwargs(n_critic=1, penalty=None), "critic": critic,
                          "generator_optimizer": optax.sgd(1.0)}, feature_matching=weight)
    state = gan.init(jax.random.key(0), jnp.zeros((1, 2)))
    before = jax.tree.map(jnp.copy, (state.generator.params, state.rng_key))  # the step donates the state
    new, metrics = gan.step(state, batch)
    return before, new, metrics, gan

  _, plain, plain_metrics, _ = generator_step(0.0)
  (before, rng_key), matched, matched_metrics, gan = generator_step(0.5)
  # The term, recomputed from the updated critic and the generator's latents (the step's generator key).
  z = jax.random.normal(jax.random.split(jax.random.fold_in(rng_key, 0))[1], (16, 2))

  def term(params):
    fake = gan.generator.apply(params, {}, z)[0]
    features = gan.critic.apply(matched.critic.params, {}, jnp.concatenate([batch[-1], fake]))[0]["features"]
    return jg.techniques.feature_matching(features[:16], features[16:])

  expected = jax.tree.map(lambda g: -0.5 * g, jax.grad(term)(before))
  difference = jax.tree.map(lambda a, b: a - b, matched.generator.params, plain.generator.params)
  chex.assert_trees_all_close(difference, expected, rtol=1e-4, atol=1e-6)
  np.testing.assert_allclose(float(matched_metrics["generator_loss"] - plain_metrics["generator_loss"]),
                             0.5 * float(term(before)), rtol=1e-4)
  with pytest.raises(ValueError, match="'features'"):
    bad = jg.train.GAN(**gan_kwargs(n_critic=1, penalty=None), feature_matching=1.0)
    bad.step(bad.init(jax.random.key(0), jnp.zeros((1, 2))), batch)
