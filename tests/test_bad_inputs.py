"""Property-based bad-input tests: every public entry point fails with a clear error naming the argument.

Each test draws arguments (ranks, sizes, dtypes, NaNs, signs, names) with
hypothesis; valid draws must give a finite result, invalid ones a
`ValueError`/`TypeError` whose message names the offending argument, never
an error from inside XLA. Argument checks read shapes and dtypes only, never
values: NaN scores or points are valid input and must give the same result
eagerly and under `jax.jit` (NaN in, NaN out); non-finite data is refused
where it enters (`tests/test_images.py`).
"""

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import jaxgan as jg

SETTINGS = settings(max_examples=25, deadline=None)
DTYPES = st.sampled_from([np.float32, np.float16, np.int32, np.bool_])
SHAPES = st.lists(st.integers(0, 4), min_size=0, max_size=3).map(tuple)
CLEAR = (ValueError, TypeError)


def array(shape, dtype, nan=False):
  x = np.ones(shape, dtype)
  if nan and x.size and np.issubdtype(dtype, np.floating):
    x.flat[0] = np.nan
  return x


@SETTINGS
@given(name=st.sampled_from(jg.losses.available()), real_shape=SHAPES, fake_shape=SHAPES, dtype=DTYPES,
       nan=st.booleans())
# Valid NaN draws are rare among random shapes: these run every time.
@example(name="hinge", real_shape=(3,), fake_shape=(3,), dtype=np.float32, nan=True)
@example(name="began", real_shape=(1,), fake_shape=(1,), dtype=np.float16, nan=True)
def test_objectives_accept_only_matching_nonempty_float_vectors(name, real_shape, fake_shape, dtype, nan):
  objective = jg.losses.get(name)
  real, fake = array(real_shape, dtype, nan), array(fake_shape, dtype)
  valid = (len(real_shape) == 1 and real_shape == fake_shape and real_shape[0] > 0
           and np.issubdtype(dtype, np.floating))
  if valid:
    critic = lambda r, f: objective.critic(r, f, state=objective.init())  # noqa: E731
    eager, jitted = critic(real, fake), jax.jit(critic)(real, fake)
    # The same value in both modes (NaN equals NaN here); fusion under jit may round differently,
    # by a few ulps of the terms, which is an absolute error when they cancel to about 0.
    np.testing.assert_allclose(eager, jitted, rtol=10 * np.finfo(dtype).eps, atol=10 * np.finfo(dtype).eps)
    assert np.isnan(float(eager)) if nan else np.isfinite(float(eager))
    return
  with pytest.raises(CLEAR) as info:
    objective.critic(real, fake, state=objective.init())
  assert re.search(r"`(real|fake)_(scores|energy|loss)`", str(info.value))


@SETTINGS
@given(name=st.sampled_from(jg.penalties.available()), real_shape=SHAPES, fake_shape=SHAPES, dtype=DTYPES,
       nan=st.booleans())
@example(name="wgan_gp", real_shape=(3, 2), fake_shape=(3, 2), dtype=np.float32, nan=True)
@example(name="r1", real_shape=(2, 2, 1), fake_shape=(2, 2, 1), dtype=np.float32, nan=True)  # r1 ignores `fake`
@example(name="r2", real_shape=(), fake_shape=(1, 0), dtype=np.float32, nan=False)  # r2 ignores `real`
@example(name="r2", real_shape=(), fake_shape=(1, 0), dtype=np.float32, nan=True)  # no element to hold the NaN
def test_penalties_accept_only_matching_nonempty_float_batches(name, real_shape, fake_shape, dtype, nan):
  penalty = jg.penalties.get(name)
  real, fake = array(real_shape, dtype), array(fake_shape, dtype, nan)
  critic_fn = lambda x: jnp.sum(x.reshape(x.shape[0], -1) ** 2, axis=1)  # noqa: E731
  uses_real, uses_fake = name != "r2", name not in ("r1", "dragan")
  is_batch = lambda shape: len(shape) >= 2 and shape[0] > 0  # noqa: E731
  valid = (np.issubdtype(dtype, np.floating) and (is_batch(real_shape) or not uses_real)
           and (is_batch(fake_shape) or not uses_fake) and (real_shape == fake_shape or not (uses_real and uses_fake)))
  if valid:
    call = lambda r, f: penalty(critic_fn, r, f, jax.random.key(0))  # noqa: E731
    eager, jitted = call(real, fake), jax.jit(call)(real, fake)
    np.testing.assert_allclose(eager, jitted, rtol=10 * np.finfo(dtype).eps)  # NaN equals NaN here
    nan_placed = nan and uses_fake and fake.size > 0  # an empty feature axis holds no NaN
    assert np.isnan(float(eager)) if nan_placed else np.isfinite(float(eager))
    return
  with pytest.raises(CLEAR) as info:
    penalty(critic_fn, real, fake, jax.random.key(0))
  assert any(word in str(info.value) for word in ("`real`", "`fake`", "`points`", "`x`"))


def test_nan_scores_give_nan_eagerly_and_under_jit():
  # The argument checks read no values, so eager and jit agree: NaN in, NaN out, no error in either mode.
  real, fake = jnp.array([jnp.nan, 1.0]), jnp.array([0.0, 1.0])
  eager = jg.losses.hinge_critic(real, fake)
  jitted = jax.jit(jg.losses.hinge_critic)(real, fake)
  assert np.isnan(float(eager)) and np.isnan(float(jitted))
  points = jnp.array([[jnp.nan, 0.0], [1.0, 2.0]])
  critic_fn = lambda x: jnp.tanh(x).sum(axis=1)  # noqa: E731
  eager = jg.penalties.r1(critic_fn, points)
  jitted = jax.jit(lambda x: jg.penalties.r1(critic_fn, x))(points)
  assert np.isnan(float(eager)) and np.isnan(float(jitted))


@SETTINGS
@given(value=st.one_of(st.floats(max_value=0.0), st.just(float("nan")), st.just(float("inf"))),
       name=st.sampled_from(["wgan_gp", "r1", "r2", "r1_r2", "dragan", "wgan_lp", "zero_centered_gp"]))
def test_penalty_weights_must_be_finite_and_non_negative(value, name):
  key = "gamma" if name in ("r1", "r2", "r1_r2") else "weight"
  if value == 0.0:
    jg.penalties.get(name, **{key: value})  # zero switches a penalty off: allowed
    return
  with pytest.raises(ValueError, match=key):
    jg.penalties.get(name, **{key: value})(lambda x: x[:, 0], np.ones((2, 2), np.float32),
                                          np.ones((2, 2), np.float32), jax.random.key(0))


@SETTINGS
@given(step_size=st.one_of(st.floats(max_value=0.0), st.just(float("nan")), st.just(float("inf"))),
       kernel=st.sampled_from([jg.samplers.mala, jg.samplers.langevin]))
def test_sampler_step_sizes_must_be_positive(step_size, kernel):
  with pytest.raises(ValueError, match="step_size"):
    kernel(lambda z: jnp.sum(z**2), step_size)


@SETTINGS
@given(name=st.text(min_size=1, max_size=12))
def test_unknown_names_list_the_options(name):
  for registry in (jg.losses, jg.penalties, jg.data):
    if name in registry.available():
      continue
    with pytest.raises(ValueError) as info:
      registry.get(name)
    assert registry.available()[0] in str(info.value)


@SETTINGS
@given(batch_size=st.integers(-3, 0), microbatches=st.integers(-2, 2))
def test_data_batches_need_positive_sizes(batch_size, microbatches):
  with pytest.raises(ValueError, match="batch_size|n_critic"):
    next(jg.data.batches(jg.data.get("ring8"), jax.random.key(0), batch_size=batch_size,
                         n_critic=microbatches))


@SETTINGS
@given(chains=st.integers(1, 3), dims=st.lists(st.integers(1, 3), min_size=2, max_size=2))
def test_run_chains_rejects_leaves_with_different_chain_axes(chains, dims):
  kernel = jg.samplers.mala(lambda p: jnp.sum(p["a"] ** 2) + jnp.sum(p["b"] ** 2), 0.1)
  positions = {"a": jnp.zeros((chains, dims[0])), "b": jnp.zeros((chains + 1, dims[1]))}
  with pytest.raises(ValueError, match="initial_positions"):
    jg.samplers.run_chains(kernel, jax.random.key(0), positions, 2)


@SETTINGS
@given(n_critic=st.integers(1, 3), shape=SHAPES)
def test_train_step_rejects_batches_of_the_wrong_shape(n_critic, shape):
  from tests.test_train import setup

  if len(shape) >= 2 and shape[0] == n_critic:
    return
  state, step, _ = setup(n_critic=n_critic)
  with pytest.raises(ValueError, match="batch"):
    step(state, jnp.ones(shape, jnp.float32))
