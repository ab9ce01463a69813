"""Orbax checkpoints: round trip with typed keys, retention, config checks, missing and corrupt directories, data state."""

import os

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxgan as jg
from tests.test_train import data, setup


def trained_state():
  state, step, _ = setup()
  state, _ = step(state, data()[0])
  return state


def test_round_trip_restores_structure_and_typed_key(tmp_path):
  state = trained_state()
  ckpt = jg.checkpoint.Checkpointer(tmp_path / "ck", save_every=1, config={"a": 1})
  assert ckpt.save(1, state)
  ckpt.wait()
  fresh, _, _ = setup()
  restored = ckpt.restore(fresh)
  ckpt.close()
  assert jnp.issubdtype(restored.rng_key.dtype, jax.dtypes.prng_key)
  chex.assert_trees_all_equal(jax.random.key_data(restored.rng_key), jax.random.key_data(state.rng_key))
  chex.assert_trees_all_equal(restored.replace(rng_key=None), state.replace(rng_key=None))


def test_save_interval_and_retention(tmp_path):
  state = trained_state()
  ckpt = jg.checkpoint.Checkpointer(tmp_path, save_every=2, keep=2)
  saved = [ckpt.save(s, state) for s in range(1, 9)]
  ckpt.close()
  assert saved == [False, True, False, True, False, True, False, True]
  assert ckpt.all_steps() == [6, 8]


def test_config_mismatch_is_an_error_and_overwrites_nothing(tmp_path):
  state = trained_state()
  ckpt = jg.checkpoint.Checkpointer(tmp_path, save_every=1, config={"objective": "wgan", "log_every": 10},
                                    match_keys=["objective"])
  ckpt.save(1, state)
  ckpt.close()
  other = jg.checkpoint.Checkpointer(tmp_path, save_every=1, config={"objective": "hinge", "log_every": 5},
                                     match_keys=["objective"])
  with pytest.raises(jg.checkpoint.CheckpointError, match=r"objective: saved 'wgan', now 'hinge'"):
    other.restore(state)
  assert other.all_steps() == [1]
  same = jg.checkpoint.Checkpointer(tmp_path, save_every=1, config={"objective": "wgan", "log_every": 5},
                                    match_keys=["objective"])
  same.restore(state)  # runtime-only keys may differ
  other.close()
  same.close()


def test_a_key_the_saved_config_predates_counts_as_its_default(tmp_path):
  state = trained_state()
  old = jg.checkpoint.Checkpointer(tmp_path, save_every=1, config={"objective": "wgan"})
  old.save(1, state)
  old.close()

  def reopen(packing, defaults):
    return jg.checkpoint.Checkpointer(tmp_path, save_every=1, config={"objective": "wgan", "packing": packing},
                                      defaults=defaults)

  at_default = reopen(1, {"packing": 1, "unused": 3})
  at_default.restore(state)  # the field was added later and is left at its default: the same run
  changed = reopen(2, {"packing": 1})
  with pytest.raises(jg.checkpoint.CheckpointError, match=r"packing: saved 1, now 2"):
    changed.restore(state)
  no_default = reopen(1, None)
  with pytest.raises(jg.checkpoint.CheckpointError, match=r"packing: saved '<missing>', now 1"):
    no_default.restore(state)
  for ckpt in (at_default, changed, no_default):
    ckpt.close()


def test_missing_directory_and_missing_step(tmp_path):
  state = trained_state()
  ckpt = jg.checkpoint.Checkpointer(tmp_path / "empty", save_every=1)
  with pytest.raises(jg.checkpoint.CheckpointError, match="No complete checkpoint"):
    ckpt.restore(state)
  ckpt.save(1, state)
  ckpt.wait()
  with pytest.raises(jg.checkpoint.CheckpointError, match=r"No checkpoint for step 7.*available: \[1\]"):
    ckpt.restore(state, step=7)
  ckpt.close()


def test_corrupt_checkpoint_is_a_clear_error(tmp_path):
  state = trained_state()
  ckpt = jg.checkpoint.Checkpointer(tmp_path, save_every=1)
  ckpt.save(1, state)
  ckpt.close()
  for root, _, files in os.walk(tmp_path / "1" / "state"):
    for name in files:
      with open(os.path.join(root, name), "wb") as f:
        f.write(b"garbage")
  with pytest.raises(jg.checkpoint.CheckpointError, match="could not be restored"):
    jg.checkpoint.Checkpointer(tmp_path, save_every=1).restore(state)


def test_structure_mismatch_is_a_clear_error(tmp_path):
  state = trained_state()
  ckpt = jg.checkpoint.Checkpointer(tmp_path, save_every=1)
  ckpt.save(1, state)
  ckpt.close()
  bigger = state.replace(critic=state.critic.replace(
      params=jax.tree.map(lambda x: jnp.zeros((3,) + x.shape, x.dtype), state.critic.params)))
  with pytest.raises(jg.checkpoint.CheckpointError, match="could not be restored"):
    jg.checkpoint.Checkpointer(tmp_path, save_every=1).restore(bigger)


def test_data_state_is_saved_beside_the_state_and_resumes_the_batches(tmp_path):
  state = trained_state()
  images = jg.data.array_images(np.linspace(-1, 1, 12 * 4, dtype=np.float32).reshape(12, 2, 2, 1))
  batches = jg.data.image_batches(images, jax.random.key(0), batch_size=5)
  ckpt = jg.checkpoint.Checkpointer(tmp_path, save_every=1)
  ckpt.save(1, state)  # no data state
  next(batches)
  ckpt.save(2, state, data_state=batches.get_state())
  next(batches), next(batches)
  ckpt.save(3, state, data_state=batches.get_state())
  ckpt.close()
  expected = [np.asarray(next(batches)) for _ in range(3)]
  batches.close()
  reopened = jg.checkpoint.Checkpointer(tmp_path, save_every=1)
  assert reopened.restore_data_state(1) is None
  assert reopened.restore_data_state(2) != reopened.restore_data_state()  # each step keeps its own
  resumed = jg.data.image_batches(images, jax.random.key(0), batch_size=5)
  resumed.set_state(reopened.restore_data_state())
  for batch in expected:
    np.testing.assert_array_equal(np.asarray(next(resumed)), batch)
  resumed.close()
  chex.assert_trees_all_equal(reopened.restore(state).replace(rng_key=None), state.replace(rng_key=None))
  reopened.close()
