"""Penalties: closed forms, method equivalence, float64 finite differences, degenerate points.

The numeric reference tests run the library both eagerly and under `jax.jit` (`variant`).
"""

import chex
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxgan as jg

from tests.registry_checks import assert_hyperparameters_are_what_get_takes

KEY = jax.random.key(0)
BATCH, DIM = 8, 3


def eager(fn):
  return fn


# The argument checks read shapes and dtypes only, so every penalty must give the same numbers
# op by op and compiled.
VARIANTS = pytest.mark.parametrize("variant", [jax.jit, eager], ids=["jit", "eager"])


def apply(variant, fn, critic_fn, *arrays, **hyper):
  """`fn(critic_fn, *arrays, **hyper)` through `variant`: the critic and hyperparameters closed over, arrays traced."""
  return variant(lambda *a: fn(critic_fn, *a, **hyper))(*arrays)


class TinyCritic(nn.Module):
  hidden: int = 16
  activation: str = "tanh"

  @nn.compact
  def __call__(self, x):
    act = jnp.tanh if self.activation == "tanh" else nn.relu
    x = x.reshape(x.shape[0], -1)
    x = act(nn.Dense(self.hidden)(x))
    x = act(nn.Dense(self.hidden)(x))
    return nn.Dense(1)(x)[:, 0]


def make_problem(dtype=jnp.float32, shape=(BATCH, DIM)):
  k1, k2, k3 = jax.random.split(KEY, 3)
  real = jax.random.normal(k1, shape, dtype)
  fake = 2.0 * jax.random.normal(k2, shape, dtype) + 0.5
  critic = TinyCritic()
  params = critic.init(k3, real)
  # steep enough that some gradient norms exceed 1 (so the one-sided penalty is active)
  params = jax.tree.map(lambda p: (2.5 * p).astype(dtype), params)
  return critic, params, real, fake


def call(name, critic_fn, real, fake, key, method):
  return jg.penalties.get(name, method=method)(critic_fn, real, fake, key)


PENALTIES = jg.penalties.available()


def test_registry_lists_all_penalties():
  assert PENALTIES == ["dragan", "r1", "r1_r2", "r2", "wgan_div", "wgan_gp", "wgan_lp", "zero_centered_gp"]


def assert_methods_agree(name, method, rtol, atol, variant=jax.jit):
  critic, params, real, fake = make_problem(shape=(BATCH, 2, 3))

  def loss(p, m):
    return call(name, lambda x: critic.apply(p, x), real, fake, KEY, m)

  ref_value, ref_grad = variant(jax.value_and_grad(lambda p: loss(p, "vmap")))(params)
  value, grad = variant(jax.value_and_grad(lambda p: loss(p, method)))(params)
  np.testing.assert_allclose(value, ref_value, rtol=rtol)
  flat_ref, flat = jax.flatten_util.ravel_pytree(ref_grad)[0], jax.flatten_util.ravel_pytree(grad)[0]
  assert float(jnp.linalg.norm(flat_ref)) > 1e-3
  assert float(jnp.linalg.norm(flat - flat_ref) / jnp.linalg.norm(flat_ref)) < rtol
  # The points' gradient too (penalties that flow into a generator through `fake`).
  # (Eager in both variants: compiling these second-order gradients would double the test's cost.)
  gx_ref = jax.grad(lambda f: call(name, lambda x: critic.apply(params, x), real, f, KEY, "vmap"))(fake)
  gx = jax.grad(lambda f: call(name, lambda x: critic.apply(params, x), real, f, KEY, method))(fake)
  np.testing.assert_allclose(gx, gx_ref, rtol=rtol, atol=atol(gx_ref))


@VARIANTS
@pytest.mark.parametrize("name", PENALTIES)
@pytest.mark.parametrize("method", ["batch_sum", "forward_over_reverse"])
def test_methods_agree_on_value_and_parameter_gradient(name, method, variant):
  # The same maths: equal to float32 rounding when products run in full float32.
  with jax.default_matmul_precision("highest"):
    assert_methods_agree(name, method, rtol=1e-4, atol=lambda ref: 1e-6, variant=variant)


@pytest.mark.parametrize("name", ["wgan_gp", "r1"])
def test_methods_agree_within_tf32_rounding_at_default_precision(name):
  # A GPU's default float32 products are TF32 (10-bit mantissa); seen on an H100: up to 1e-3 apart.
  assert_methods_agree(name, "forward_over_reverse", rtol=5e-3,
                       atol=lambda ref: 5e-5 * float(jnp.max(jnp.abs(ref))))


@pytest.mark.parametrize("name", PENALTIES)
@pytest.mark.parametrize("method", jg.penalties.METHODS)
def test_parameter_gradient_matches_float64_finite_differences(name, method):
  with jax.enable_x64(True):
    critic, params, real, fake = make_problem(jnp.float64)
    flat, unravel = jax.flatten_util.ravel_pytree(params)
    f = lambda v: call(name, lambda x: critic.apply(unravel(v), x), real, fake, KEY, method)
    grad = jax.grad(f)(flat)
    rng = np.random.default_rng(1)
    for _ in range(3):
      direction = jnp.asarray(rng.normal(size=flat.shape))
      h = 1e-6
      fd = (f(flat + h * direction) - f(flat - h * direction)) / (2 * h)
      np.testing.assert_allclose(jnp.dot(grad, direction), fd, rtol=1e-6, atol=1e-9)


def linear_critic(w):
  return lambda x: x.reshape(x.shape[0], -1) @ w


@VARIANTS
def test_closed_forms_for_linear_critic(variant):
  w = jnp.array([3.0, 4.0])  # ||w|| = 5 everywhere
  real, fake = jnp.ones((4, 2)), jnp.zeros((4, 2))
  d = linear_critic(w)
  p = jg.penalties
  np.testing.assert_allclose(apply(variant, p.wgan_gp, d, real, fake, KEY, weight=10.0), 10 * 16.0)
  np.testing.assert_allclose(apply(variant, p.wgan_lp, d, real, fake, KEY, weight=2.0), 2 * 16.0)
  np.testing.assert_allclose(apply(variant, p.r1, d, real, gamma=4.0), 2.0 * 25.0)
  np.testing.assert_allclose(apply(variant, p.r2, d, fake, gamma=4.0), 2.0 * 25.0)
  np.testing.assert_allclose(apply(variant, p.r1_r2, d, real, fake, gamma=4.0), 2.0 * 25.0 + 2.0 * 25.0)
  # D(x) = ||x||^2 has gradient 2x: 8 at the real ones, 0 at the fake zeros; R1 + R2 holds each side once.
  squares = lambda x: jnp.sum(x.reshape(x.shape[0], -1) ** 2, axis=1)  # noqa: E731
  np.testing.assert_allclose(apply(variant, p.r1_r2, squares, real, fake, gamma=4.0), 2.0 * (8.0 + 0.0))
  np.testing.assert_allclose(apply(variant, p.zero_centered_gp, d, real, fake, KEY, weight=3.0), 75.0)
  np.testing.assert_allclose(apply(variant, p.dragan, d, real, KEY, weight=1.0), 16.0)
  np.testing.assert_allclose(apply(variant, p.wgan_div, d, real, fake, KEY, k=2.0, p=6.0), 2.0 * 5.0**6, rtol=1e-6)
  np.testing.assert_allclose(
      apply(variant, p.wgan_div, d, real, fake, KEY, points="real_and_fake", k=2.0, p=2.0), 50.0)
  # one-sided: a 0.5-Lipschitz critic is not penalised by LP but is by GP.
  half = linear_critic(jnp.array([0.3, 0.4]))
  assert float(apply(variant, p.wgan_lp, half, real, fake, KEY)) == 0.0
  np.testing.assert_allclose(apply(variant, p.wgan_gp, half, real, fake, KEY, weight=1.0), 0.25)


@VARIANTS
def test_norms_are_per_sample_not_batch_wide(variant):
  # D(x) = ||x||^2 / 2 has gradient x: per-sample norms differ, a batch-wide norm would not match.
  x = jnp.array([[0.0, 0.0], [3.0, 4.0], [0.6, 0.8], [0.0, 2.0]])
  d = lambda x: 0.5 * jnp.sum(x**2, axis=-1)
  norms = np.array([0.0, 5.0, 1.0, 2.0])
  for method in jg.penalties.METHODS:
    # real == fake: points are x
    value = apply(variant, jg.penalties.wgan_gp, d, x, x, KEY, weight=1.0, method=method)
    np.testing.assert_allclose(value, np.mean((norms - 1) ** 2), rtol=1e-6)
    assert not np.isclose(float(value), (np.linalg.norm(x) - 1) ** 2)
    np.testing.assert_allclose(apply(variant, jg.penalties.r1, d, x, gamma=2.0, method=method), np.mean(norms**2),
                               rtol=1e-6)


@VARIANTS
def test_interpolation_coefficient_is_per_sample(variant):
  real, fake = jnp.ones((64, 2)), jnp.zeros((64, 2))
  points = variant(jg.penalties.interpolate)(real, fake, KEY)
  np.testing.assert_allclose(points[:, 0], points[:, 1])  # one eps per sample, shared over features
  assert float(jnp.std(points[:, 0])) > 0.1  # eps varies across samples
  assert float(points.min()) >= 0.0 and float(points.max()) <= 1.0


@pytest.mark.parametrize("name", PENALTIES)
@pytest.mark.parametrize("method", jg.penalties.METHODS)
def test_degenerate_points_give_finite_values_and_gradients(name, method):
  critic, params, real, _ = make_problem()
  constant = lambda p, x: jnp.zeros(x.shape[0]) * p["params"]["Dense_2"]["bias"][0]  # zero input gradient
  for critic_fn, r, f in [
      (constant, real, real),
      (lambda p, x: critic.apply(p, x), real, real),  # real == fake
      (lambda p, x: critic.apply(p, x), 1e6 * real, -1e6 * real),
      (lambda p, x: critic.apply(p, x), 1e-12 * real, 0 * real),
  ]:
    value, grad = jax.value_and_grad(lambda p: call(name, lambda x: critic_fn(p, x), r, f, KEY, method))(params)
    assert np.isfinite(value), (name, method)
    assert all(np.all(np.isfinite(g)) for g in jax.tree.leaves(grad)), (name, method)


@VARIANTS
def test_vmap_method_handles_cross_sample_coupling(variant):
  # A nonlinear critic whose scores couple the batch: D(x)_i = tanh(x_i . w) * mean_j(x_j . v).
  # "vmap" differentiates the critic applied to each sample alone (a batch of one), so row i is
  #   d/dx [tanh(x . w) (x . v)] at x_i = sech^2(a_i) (x_i . v) w + tanh(a_i) v,   a_i = x_i . w,
  # and no other sample enters it. "batch_sum" differentiates sum_j D(x)_j, which mixes samples:
  #   row i = sech^2(a_i) mean_j(x_j . v) w + mean_j tanh(a_j) v.
  # Neither is the in-batch derivative d D(x)_i / d x_i with the other samples held fixed.
  w, v = np.array([0.7, -1.3, 0.4]), np.array([1.1, 0.5, -0.8])
  coupled = lambda x: jnp.tanh(x @ w) * jnp.mean(x @ v)  # noqa: E731
  with jax.enable_x64(True):
    x = np.asarray(jax.random.normal(KEY, (6, 3), jnp.float64))
    a, b = x @ w, x @ v
    sech2 = 1.0 - np.tanh(a) ** 2
    per_sample = sech2[:, None] * b[:, None] * w + np.tanh(a)[:, None] * v
    summed = sech2[:, None] * b.mean() * w + np.tanh(a).mean() * v
    grads = {m: np.asarray(variant(lambda x, m=m: jg.penalties.input_gradients(coupled, x, method=m))(x))
             for m in jg.penalties.METHODS}
    moved = x.copy()
    moved[1:] = 3.0 * x[1:] + 1.0  # every sample but the first moves
    vmap_moved = np.asarray(variant(lambda x: jg.penalties.input_gradients(coupled, x, method="vmap"))(moved))
  np.testing.assert_allclose(grads["vmap"], per_sample, rtol=1e-12, atol=1e-12)
  np.testing.assert_allclose(vmap_moved[0], per_sample[0], rtol=1e-12, atol=1e-12)  # row 0 ignores the others
  for method in ("batch_sum", "forward_over_reverse"):  # both take grad(D(x).sum()): right only without coupling
    np.testing.assert_allclose(grads[method], summed, rtol=1e-12, atol=1e-12)
    assert np.min(np.linalg.norm(grads[method] - per_sample, axis=1)) > 0.1  # wrong for every sample
  plain = lambda x: x @ jnp.array([1.0, 2.0])  # noqa: E731
  x2 = jax.random.normal(KEY, (4, 2))
  np.testing.assert_allclose(variant(lambda x: jg.penalties.input_gradients(plain, x, method="vmap"))(x2),
                             jnp.tile(jnp.array([1.0, 2.0]), (4, 1)))


# --- errors -------------------------------------------------------------------

def test_bad_arguments_raise_clear_errors():
  d = linear_critic(jnp.ones(2))
  real = jnp.ones((4, 2))
  with pytest.raises(ValueError, match="weight"):
    jg.penalties.wgan_gp(d, real, real, KEY, weight=-1.0)
  with pytest.raises(ValueError, match="gamma"):
    jg.penalties.r1(d, real, gamma=-0.1)
  with pytest.raises(ValueError, match="same shape"):
    jg.penalties.wgan_gp(d, real, jnp.ones((3, 2)), KEY)
  with pytest.raises(ValueError, match="rank >= 2"):
    jg.penalties.r1(d, jnp.ones(4))
  with pytest.raises(TypeError, match="floating"):
    jg.penalties.r1(d, jnp.ones((4, 2), jnp.int32))
  with pytest.raises(ValueError, match="method"):
    jg.penalties.r1(d, real, method="magic")
  with pytest.raises(ValueError, match=r"scores of shape \(batch,\)"):
    jg.penalties.r1(lambda x: d(x)[:, None], real)
  with pytest.raises(ValueError, match="Unknown penalty"):
    jg.penalties.get("gp")
  with pytest.raises(ValueError, match="does not take"):
    jg.penalties.get("r1", weight=1.0)
  with pytest.raises(ValueError, match="weight"):
    jg.penalties.get("wgan_gp", weight=-2.0)


def test_hyperparameters_are_the_keyword_only_arguments_get_takes_with_their_defaults():
  assert jg.penalties.hyperparameters("r1") == {"gamma": 10.0, "method": "forward_over_reverse"}
  assert jg.penalties.hyperparameters("wgan_gp") == {"weight": 10.0, "target": 1.0, "method": "forward_over_reverse"}
  critic, params, real, fake = make_problem()
  critic_fn = lambda x: critic.apply(params, x)  # noqa: E731
  for name in PENALTIES:
    assert jg.penalties.hyperparameters(name)["method"] == jg.penalties.DEFAULT_METHOD
  assert_hyperparameters_are_what_get_takes(
      jg.penalties, PENALTIES, lambda penalty: float(penalty(critic_fn, real, fake, KEY)), unknown_name="gp")


# --- normalisation, clipping, consensus, lazy --------------------------------

def test_spectral_norm_sigma_matches_svd():
  class SNDense(nn.Module):
    @nn.compact
    def __call__(self, x, update_stats):
      return jg.penalties.SpectralNorm(nn.Dense(7), n_steps=1)(x, update_stats=update_stats)

  model = SNDense()
  x = jnp.ones((2, 5))
  variables = model.init(KEY, x, update_stats=True)
  apply = jax.jit(lambda v: model.apply(v, x, update_stats=True, mutable=["batch_stats"])[1])
  for _ in range(50):  # persistent power iteration: one step per call
    variables = {**variables, **apply(variables)}
  kernel = variables["params"]["Dense_0"]["kernel"]
  sigma = variables["batch_stats"]["SpectralNorm_0"]["Dense_0/kernel/sigma"]
  np.testing.assert_allclose(sigma, jnp.linalg.svd(kernel, compute_uv=False)[0], rtol=1e-4)
  out = model.apply(variables, x, update_stats=False)
  np.testing.assert_allclose(out, x @ (kernel / sigma) + variables["params"]["Dense_0"]["bias"], rtol=1e-5)


def test_gradient_normalized_critic_is_one_lipschitz():
  critic = TinyCritic(hidden=32, activation="relu")
  x = 3.0 * jax.random.normal(KEY, (256, 2))
  params = critic.init(KEY, x)
  params = jax.tree.map(lambda p: 5.0 * p, params)  # a steep raw critic
  raw = lambda x: critic.apply(params, x)
  normalized = jg.penalties.gradient_normalized(raw)
  assert float(jnp.max(jg.penalties.safe_norms(jg.penalties.input_gradients(raw, x)))) > 2.0
  norms = jg.penalties.safe_norms(jg.penalties.input_gradients(normalized, x, method="vmap"))
  assert float(jnp.max(norms)) <= 1.0 + 1e-5
  assert float(jnp.max(jnp.abs(normalized(x)))) <= 1.0
  # GN is piecewise 1-Lipschitz: pairs inside one linear region of the raw critic obey the bound.
  y = x + 1e-3 * jax.random.normal(jax.random.key(1), x.shape)
  same_region = jnp.all(jnp.isclose(jg.penalties.input_gradients(raw, x), jg.penalties.input_gradients(raw, y)), axis=-1)
  assert int(same_region.sum()) > 200
  ratio = jnp.abs(normalized(x) - normalized(y)) / jnp.linalg.norm(x - y, axis=-1)
  assert float(jnp.max(jnp.where(same_region, ratio, 0.0))) <= 1.0 + 1e-3


def test_weight_clipping_transform_matches_params_map():
  params = {"w": jnp.array([0.5, -0.5, 0.001]), "b": jnp.array([2.0])}
  grads = {"w": jnp.array([1.0, -1.0, 0.0]), "b": jnp.array([-1.0])}
  tx = optax.chain(optax.sgd(0.1), jg.penalties.weight_clipping(0.01))
  updates, _ = tx.update(grads, tx.init(params), params)
  new = optax.apply_updates(params, updates)
  expected = jg.penalties.clip_weights(jax.tree.map(lambda p, g: p - 0.1 * g, params, grads), 0.01)
  chex.assert_trees_all_close(new, expected, rtol=1e-7, atol=1e-7)
  assert all(float(jnp.max(jnp.abs(leaf))) <= 0.01 + 1e-7 for leaf in jax.tree.leaves(new))
  with pytest.raises(ValueError, match="params"):
    tx.update(grads, tx.init(params))
  with pytest.raises(ValueError, match="clip_value"):
    jg.penalties.weight_clipping(0.0)


def test_consensus_term_on_bilinear_game():
  # Dirac-GAN style bilinear game f(theta, psi) = theta * psi: v = (psi, -theta), L = (theta^2 + psi^2)/2.
  def term(theta, psi):
    v = {"theta": jax.grad(lambda t: t * psi)(theta), "psi": jax.grad(lambda p: -theta * p)(psi)}
    return jg.penalties.consensus_term(v, gamma=3.0)

  np.testing.assert_allclose(term(1.5, -2.0), 1.5 * (1.5**2 + 2.0**2))
  np.testing.assert_allclose(jax.grad(term, argnums=(0, 1))(1.5, -2.0), (3.0 * 1.5, 3.0 * -2.0))


def test_lazy_regularization_scales_and_skips():
  d = linear_critic(jnp.array([3.0, 4.0]))
  real = jnp.ones((4, 2))
  f = jax.jit(lambda step: jg.penalties.lazy_regularization(jg.penalties.r1, step, d, real, interval=4, gamma=2.0))
  np.testing.assert_allclose(f(0), 4 * 25.0)
  np.testing.assert_allclose(f(8), 4 * 25.0)
  assert float(f(3)) == 0.0
  with pytest.raises(ValueError, match="interval"):
    jg.penalties.lazy_regularization(jg.penalties.r1, 0, d, real, interval=0)
