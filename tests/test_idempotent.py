"""Idempotent generative network: losses against a float64 NumPy reference, gradient routing, the train step."""

import jax
import jax.flatten_util
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxgan as jg


def linear_apply(params, x):
  return x @ params["w"] + params["b"]


def linear_params(seed=0, d=3):
  rng = np.random.default_rng(seed)
  return {"w": jnp.asarray(rng.normal(size=(d, d)) * 0.5 + np.eye(d)), "b": jnp.asarray(rng.normal(size=d) * 0.1)}


def numpy_losses(w, b, x, z, distance, a):
  f = lambda v: v @ w + b
  dist = (lambda u, v: np.mean(np.abs(u - v), axis=1)) if distance == "l1" else (
      lambda u, v: np.mean((u - v) ** 2, axis=1))
  rec = dist(f(x), x).mean()
  idem = dist(f(f(z)), f(z)).mean()
  tight = -dist(f(f(z)), f(z)).mean()
  if a is not None:
    tight = np.tanh(tight / (a * rec)) * a * rec
  return rec, idem, tight


@pytest.mark.parametrize("distance", ["l1", "l2"])
@pytest.mark.parametrize("clamp", [1.5, None])
def test_losses_match_float64_numpy(distance, clamp):
  params = linear_params()
  rng = np.random.default_rng(1)
  x, z = rng.normal(size=(16, 3)), rng.normal(size=(16, 3))
  losses = jg.idempotent.idempotent_losses(linear_apply, params, jnp.asarray(x, jnp.float32),
                                           jnp.asarray(z, jnp.float32), distance=distance, tightness_clamp=clamp)
  rec, idem, tight = numpy_losses(np.asarray(params["w"], np.float64), np.asarray(params["b"], np.float64), x, z,
                                  distance, clamp)
  np.testing.assert_allclose([losses.reconstruction, losses.idempotence, losses.tightness], [rec, idem, tight],
                             rtol=1e-5)
  np.testing.assert_allclose(losses.total, 20 * rec + 20 * idem + 2.5 * tight, rtol=1e-5)


def finite_difference_grad(fn, params, eps=1e-5):
  """Central differences of a float64 NumPy function of the flattened params."""
  flat, unravel = jax.flatten_util.ravel_pytree(jax.tree.map(lambda p: np.asarray(p, np.float64), params))
  flat = np.asarray(flat, np.float64)
  grad = np.zeros_like(flat)
  for i in range(flat.size):
    up, down = flat.copy(), flat.copy()
    up[i] += eps
    down[i] -= eps
    grad[i] = (fn(up) - fn(down)) / (2 * eps)
  return grad


def test_gradients_flow_through_the_inner_application_for_idempotence_and_the_outer_for_tightness():
  with jax.enable_x64(True):
    params = jax.tree.map(lambda p: jnp.asarray(p, jnp.float64), linear_params(2))
    rng = np.random.default_rng(3)
    x, z = jnp.asarray(rng.normal(size=(8, 3))), jnp.asarray(rng.normal(size=(8, 3)))
    _, unravel = jax.flatten_util.ravel_pytree(params)
    w0, b0 = np.asarray(params["w"]), np.asarray(params["b"])

    def as_wb(flat):
      p = unravel(jnp.asarray(flat))
      return np.asarray(p["w"]), np.asarray(p["b"])

    zn = np.asarray(z)

    def idem_inner(flat):  # the outer (frozen) application keeps the original weights
      w, b = as_wb(flat)
      fz = zn @ w + b
      return np.mean(np.abs(fz @ w0 + b0 - fz))

    def tight_outer(flat):  # y = f(z) with the original weights, fixed
      w, b = as_wb(flat)
      y = zn @ w0 + b0
      return -np.mean(np.abs(y @ w + b - y))

    for weights, reference in (((0.0, 1.0, 0.0), idem_inner), ((0.0, 0.0, 1.0), tight_outer)):
      grad = jax.grad(lambda p: jg.idempotent.idempotent_losses(
          linear_apply, p, x, z, reconstruction_weight=weights[0], idempotence_weight=weights[1],
          tightness_weight=weights[2], tightness_clamp=None).total)(params)
      np.testing.assert_allclose(jax.flatten_util.ravel_pytree(grad)[0], finite_difference_grad(reference, params),
                                 rtol=1e-5, atol=1e-8)


def test_identity_network_has_zero_reconstruction_and_idempotence():
  params = {"w": jnp.eye(3), "b": jnp.zeros(3)}
  x = jax.random.normal(jax.random.key(0), (8, 3))
  losses = jg.idempotent.idempotent_losses(linear_apply, params, x, x + 1.0)
  assert float(losses.reconstruction) == 0.0 and float(losses.idempotence) == 0.0 and float(losses.tightness) == 0.0


def test_bad_input_is_named():
  params = linear_params()
  x = jnp.ones((4, 3))
  with pytest.raises(ValueError, match="`z` must have the shape of `x`"):
    jg.idempotent.idempotent_losses(linear_apply, params, x, jnp.ones((4, 2)))
  with pytest.raises(ValueError, match="tightness_weight"):
    jg.idempotent.idempotent_losses(linear_apply, params, x, x, tightness_weight=-1.0)
  with pytest.raises(ValueError, match="distance"):
    jg.idempotent.idempotent_losses(linear_apply, params, x, x, distance="l3")
  with pytest.raises(ValueError, match="ema_decay"):
    jg.idempotent.make_idempotent_train_step(linear_apply, optax.adam(1e-3), ema_decay=1.0)


def test_train_step_learns_a_projection_onto_a_line_and_rejects_nonfinite_batches():
  """Data on the line y = 0 in 2-D: a trained affine f must map noise onto the line (f(z)_y ~ 0)."""
  params = {"w": jnp.eye(2) + 0.1, "b": jnp.zeros(2)}
  optimizer = optax.adam(1e-2)
  state = jg.idempotent.init_idempotent_state(params, optimizer, jax.random.key(0))
  step = jg.idempotent.make_idempotent_train_step(linear_apply, optimizer, ema_decay=0.9, tightness_weight=0.0)
  for i in range(600):
    x = jnp.stack([jax.random.normal(jax.random.key(i), (128,)), jnp.zeros(128)], axis=1)
    state, metrics = step(state, x)
  z = jax.random.normal(jax.random.key(10_000), (1000, 2))
  fz = linear_apply(state.params, z)
  assert float(jnp.mean(jnp.abs(fz[:, 1]))) < 0.05 < float(jnp.mean(jnp.abs(z[:, 1])))
  assert int(state.step) == 600
  before = jax.tree.map(np.asarray, state.params)
  state, metrics = step(state, jnp.full((128, 2), jnp.nan))
  assert not bool(metrics["finite"]) and int(state.step) == 600
  jax.tree.map(np.testing.assert_array_equal, jax.tree.map(np.asarray, state.params), before)
