"""Every objective and penalty in float64, eagerly and under `jax.jit` (as optax's `float64_test.py`).

With `jax.enable_x64(True)` and float64 inputs each registered objective (critic
and generator) and each registered penalty returns a finite float64 scalar with
float64 gradients, and its value agrees with the float32 value of the same call
to float32 tolerance: no silent cast to float32 anywhere inside.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxgan as jg

KEY = jax.random.key(0)
OBJECTIVES = jg.losses.available()
PENALTIES = jg.penalties.available()
# float32 rounding of a mean over 16 scores or of a small MLP's input gradients; wgan_div's
# 6th power of the gradient norm multiplies the relative error by 6.
RTOL, ATOL = 2e-5, 1e-6


def eager(fn):
  return fn


VARIANTS = pytest.mark.parametrize("variant", [jax.jit, eager], ids=["jit", "eager"])


def test_the_sweep_covers_every_registered_name():
  assert len(OBJECTIVES) == 24 and len(PENALTIES) == 8  # a new name lands in the tables below by construction


# --- objectives -----------------------------------------------------------------


def scores(objective, dtype):
  rng = np.random.default_rng(0)
  real, fake = rng.normal(0.5, 1.5, 16), rng.normal(-0.3, 2.0, 16)
  if objective.scores == "energies":  # energies are non-negative
    real, fake = np.abs(real), np.abs(fake)
  return jnp.asarray(real, dtype), jnp.asarray(fake, dtype)


def objective_values(objective, real, fake, variant):
  """(critic loss, generator loss, their gradients in (real, fake)) for `objective`'s initial state."""
  state = objective.init()  # stateful objectives (began, magan) need it passed explicitly
  critic = lambda r, f: objective.critic(r, f, state=state)  # noqa: E731
  generator = lambda r, f: objective.generator(f, r, state=state)  # real scores: the relativistic ones need them
  values = variant(lambda r, f: (critic(r, f), generator(r, f)))(real, fake)
  grads = variant(lambda r, f: (jax.grad(critic, argnums=(0, 1))(r, f), jax.grad(generator, argnums=(0, 1))(r, f)))(
      real, fake)
  return values, grads


@VARIANTS
@pytest.mark.parametrize("name", OBJECTIVES)
def test_objective_is_float64_in_float64(name, variant):
  objective = jg.losses.get(name)
  with jax.enable_x64(True):
    values, grads = objective_values(objective, *scores(objective, jnp.float64), variant)
  values32, _ = objective_values(objective, *scores(objective, jnp.float32), variant)
  for player, value, value32 in zip(("critic", "generator"), values, values32):
    assert value.dtype == jnp.float64 and value.shape == (), (player, value.dtype, value.shape)
    assert np.isfinite(float(value)), player
    assert value32.dtype == jnp.float32, player
    np.testing.assert_allclose(float(value), float(value32), rtol=RTOL, atol=ATOL, err_msg=player)
  for grad in jax.tree.leaves(grads):
    assert grad.dtype == jnp.float64 and grad.shape == (16,)
    assert np.all(np.isfinite(grad))
  # The generator's loss moves with the fakes: its gradient is not identically zero.
  assert np.max(np.abs(np.asarray(grads[1][1]))) > 0.0


# --- penalties ------------------------------------------------------------------


def mlp(dtype, dim=3, hidden=8):
  """A small tanh MLP critic `(params, x) -> (batch,)` written with jnp, and its parameters."""
  rng = np.random.default_rng(1)
  params = {
      "w1": jnp.asarray(rng.normal(size=(dim, hidden)), dtype),
      "b1": jnp.asarray(rng.normal(size=hidden), dtype),
      "w2": jnp.asarray(2.0 * rng.normal(size=hidden), dtype),  # steep: some gradient norms exceed 1
      "b2": jnp.asarray(0.1, dtype),
  }

  def critic(params, x):
    return jnp.tanh(x.reshape(x.shape[0], -1) @ params["w1"] + params["b1"]) @ params["w2"] + params["b2"]

  return critic, params


def points(dtype, same=False):
  rng = np.random.default_rng(2)
  real = rng.normal(size=(8, 3))
  fake = real if same else 2.0 * rng.normal(size=(8, 3)) + 0.5
  return jnp.asarray(real, dtype), jnp.asarray(fake, dtype)


def penalty_value_and_grads(penalty, dtype, variant, same=False):
  critic, params = mlp(dtype)
  real, fake = points(dtype, same)
  loss = lambda p, f: penalty(lambda x: critic(p, x), real, f, KEY)  # noqa: E731
  return variant(jax.value_and_grad(loss, argnums=(0, 1)))(params, fake)


@VARIANTS
@pytest.mark.parametrize("name", PENALTIES)
def test_penalty_is_float64_in_float64(name, variant):
  penalty = jg.penalties.get(name)
  with jax.enable_x64(True):
    value, (param_grads, fake_grad) = penalty_value_and_grads(penalty, jnp.float64, variant)
  assert value.dtype == jnp.float64 and value.shape == ()
  assert np.isfinite(float(value)) and float(value) > 0.0
  for grad in jax.tree.leaves(param_grads):
    assert grad.dtype == jnp.float64 and np.all(np.isfinite(grad))
  assert max(np.max(np.abs(np.asarray(g))) for g in jax.tree.leaves(param_grads)) > 0.0
  assert fake_grad.dtype == jnp.float64 and fake_grad.shape == (8, 3) and np.all(np.isfinite(fake_grad))


@VARIANTS
@pytest.mark.parametrize("name", PENALTIES)
def test_penalty_float64_value_agrees_with_float32(name, variant):
  # float64 and float32 uniform draws from one key differ, so the random points must not matter:
  # real == fake makes every interpolate the real point, and DRAGAN's perturbation is switched off.
  penalty = jg.penalties.get(name, **({"perturbation": 0.0} if name == "dragan" else {}))
  with jax.enable_x64(True):
    value, _ = penalty_value_and_grads(penalty, jnp.float64, variant, same=True)
  value32, _ = penalty_value_and_grads(penalty, jnp.float32, variant, same=True)
  assert value.dtype == jnp.float64 and value32.dtype == jnp.float32
  assert float(value) > 0.0
  np.testing.assert_allclose(float(value), float(value32), rtol=RTOL, atol=ATOL)
