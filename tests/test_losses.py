"""Objectives against independent float64 NumPy formulas and known optima, eagerly and under `jax.jit`."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import integrate, stats

import jaxgan as jg

from tests.registry_checks import assert_hyperparameters_are_what_get_takes

def eager(fn):
  return fn


# Each numeric test runs the library both ways: the argument checks read shapes and dtypes only,
# never values, so a loss must give the same numbers op by op and compiled.
VARIANTS = pytest.mark.parametrize("variant", [jax.jit, eager], ids=["jit", "eager"])

RNG = np.random.default_rng(0)
REAL = RNG.normal(0.5, 1.5, size=64)
FAKE = RNG.normal(-0.3, 2.0, size=64)


def log_sigmoid(x):
  return -np.logaddexp(0.0, -x)


def sigmoid(x):
  return 1.0 / (1.0 + np.exp(-x))


# Each row: name, hyperparams, numpy critic(r, f), numpy generator(f, r), written from the papers.
REFERENCE = [
    ("minimax", {}, lambda r, f: -np.mean(log_sigmoid(r)) - np.mean(np.log(1 - sigmoid(f))),
     lambda f, r: np.mean(np.log(1 - sigmoid(f)))),
    ("non_saturating", {}, lambda r, f: -np.mean(log_sigmoid(r)) - np.mean(np.log(1 - sigmoid(f))),
     lambda f, r: -np.mean(log_sigmoid(f))),
    ("lsgan", {"a": -1.0, "b": 1.0, "c": 0.0}, lambda r, f: 0.5 * np.mean((r - 1) ** 2) + 0.5 * np.mean((f + 1) ** 2),
     lambda f, r: 0.5 * np.mean(f**2)),
    ("lsgan", {}, lambda r, f: 0.5 * np.mean((r - 1) ** 2) + 0.5 * np.mean(f**2),
     lambda f, r: 0.5 * np.mean((f - 1) ** 2)),
    ("wgan", {}, lambda r, f: f.mean() - r.mean(), lambda f, r: -f.mean()),
    ("wgan_div", {}, lambda r, f: f.mean() - r.mean(), lambda f, r: -f.mean()),
    ("hinge", {}, lambda r, f: np.mean(np.maximum(0, 1 - r)) + np.mean(np.maximum(0, 1 + f)), lambda f, r: -f.mean()),
    ("hinge", {"margin": 0.5}, lambda r, f: np.mean(np.maximum(0, 0.5 - r)) + np.mean(np.maximum(0, 0.5 + f)),
     lambda f, r: -f.mean()),
    ("relativistic", {}, lambda r, f: -np.mean(log_sigmoid(r - f)), lambda f, r: -np.mean(log_sigmoid(f - r))),
    ("relativistic_ls", {}, lambda r, f: np.mean((r - f - 1) ** 2), lambda f, r: np.mean((f - r - 1) ** 2)),
    ("relativistic_hinge", {}, lambda r, f: np.mean(np.maximum(0, 1 - (r - f))),
     lambda f, r: np.mean(np.maximum(0, 1 - (f - r)))),
    ("relativistic_average", {},
     lambda r, f: -np.mean(log_sigmoid(r - f.mean())) - np.mean(np.log(1 - sigmoid(f - r.mean()))),
     lambda f, r: -np.mean(log_sigmoid(f - r.mean())) - np.mean(np.log(1 - sigmoid(r - f.mean())))),
    ("relativistic_average_ls", {},
     lambda r, f: np.mean((r - f.mean() - 1) ** 2) + np.mean((f - r.mean() + 1) ** 2),
     lambda f, r: np.mean((f - r.mean() - 1) ** 2) + np.mean((r - f.mean() + 1) ** 2)),
    ("relativistic_average_hinge", {},
     lambda r, f: np.mean(np.maximum(0, 1 - (r - f.mean()))) + np.mean(np.maximum(0, 1 + (f - r.mean()))),
     lambda f, r: np.mean(np.maximum(0, 1 - (f - r.mean()))) + np.mean(np.maximum(0, 1 + (r - f.mean())))),
    ("ebgan", {"margin": 2.0}, lambda r, f: r.mean() + np.mean(np.maximum(0, 2.0 - f)), lambda f, r: f.mean()),
    ("energy", {}, lambda r, f: r.mean() - f.mean(), lambda f, r: f.mean()),
    ("began", {}, lambda r, f: r.mean(), lambda f, r: f.mean()),  # k_0 = 0
    ("magan", {"margin": 2.0}, lambda r, f: r.mean() + np.mean(np.maximum(0, 2.0 - f)), lambda f, r: f.mean()),
]


@VARIANTS
@pytest.mark.parametrize("name,hyper,critic_ref,generator_ref", REFERENCE, ids=lambda v: v if isinstance(v, str) else "")
def test_registry_losses_match_reference(name, hyper, critic_ref, generator_ref, variant):
  obj = jg.losses.get(name, **hyper)
  state = obj.init()  # began's k_0 = 0, magan's initial margin: what the references assume
  real, fake = (np.abs(REAL), np.abs(FAKE)) if obj.scores == "energies" else (REAL, FAKE)
  critic = variant(lambda r, f: obj.critic(r, f, state=state))(jnp.asarray(real, jnp.float32),
                                                               jnp.asarray(fake, jnp.float32))
  generator = variant(lambda f, r: obj.generator(f, r, state=state))(jnp.asarray(fake, jnp.float32),
                                                                     jnp.asarray(real, jnp.float32))
  np.testing.assert_allclose(critic, critic_ref(real, fake), rtol=2e-5, atol=1e-6)
  np.testing.assert_allclose(generator, generator_ref(fake, real), rtol=2e-5, atol=1e-6)
  grads = variant(jax.grad(lambda r, f: obj.critic(r, f, state=state) + obj.generator(f, r, state=state),
                           argnums=(0, 1)))(jnp.asarray(real, jnp.float32), jnp.asarray(fake, jnp.float32))
  assert all(np.all(np.isfinite(g)) for g in grads)


def test_every_objective_has_a_reference_or_f_gan_test():
  covered = {row[0] for row in REFERENCE} | {f"f_gan_{d}" for d in jg.losses.F_DIVERGENCES}
  assert covered == set(jg.losses.available())


@VARIANTS
def test_minimax_is_stable_for_extreme_logits(variant):
  obj = jg.losses.get("non_saturating")
  critic, generator = variant(obj.critic), variant(obj.generator)
  big = jnp.array([80.0, -80.0])
  assert np.isfinite(critic(big, -big)) and np.isfinite(generator(-big))
  np.testing.assert_allclose(critic(jnp.array([80.0]), jnp.array([-80.0])), 0.0, atol=1e-6)


# --- f-GAN -------------------------------------------------------------------
# Nowozin et al. 2016, Table 2, written independently: f, activation g, conjugate f*, f' and g^{-1}.
F_TABLE = {
    "kl": dict(f=lambda u: u * np.log(u), g=lambda v: v, fstar=lambda t: np.exp(t - 1),
               fprime=lambda u: 1 + np.log(u), ginv=lambda t: t),
    "reverse_kl": dict(f=lambda u: -np.log(u), g=lambda v: -np.exp(-v), fstar=lambda t: -1 - np.log(-t),
                       fprime=lambda u: -1 / u, ginv=lambda t: -np.log(-t)),
    "pearson": dict(f=lambda u: (u - 1) ** 2, g=lambda v: v, fstar=lambda t: t**2 / 4 + t,
                    fprime=lambda u: 2 * (u - 1), ginv=lambda t: t),
    "neyman": dict(f=lambda u: (1 - u) ** 2 / u, g=lambda v: 1 - np.exp(-v), fstar=lambda t: 2 - 2 * np.sqrt(1 - t),
                   fprime=lambda u: 1 - 1 / u**2, ginv=lambda t: -np.log(1 - t)),
    "squared_hellinger": dict(f=lambda u: (np.sqrt(u) - 1) ** 2, g=lambda v: 1 - np.exp(-v),
                              fstar=lambda t: t / (1 - t), fprime=lambda u: 1 - 1 / np.sqrt(u),
                              ginv=lambda t: -np.log(1 - t)),
    "jensen_shannon": dict(f=lambda u: -(u + 1) * np.log((1 + u) / 2) + u * np.log(u),
                           g=lambda v: np.log(2) - np.log1p(np.exp(-v)), fstar=lambda t: -np.log(2 - np.exp(t)),
                           fprime=lambda u: np.log(2 * u / (1 + u)), ginv=lambda t: -np.log(np.exp(np.log(2) - t) - 1)),
    "gan": dict(f=lambda u: u * np.log(u) - (u + 1) * np.log(u + 1), g=lambda v: -np.log1p(np.exp(-v)),
                fstar=lambda t: -np.log(1 - np.exp(t)), fprime=lambda u: np.log(u / (u + 1)),
                ginv=lambda t: -np.log(np.exp(-t) - 1)),
    "total_variation": dict(f=lambda u: 0.5 * np.abs(u - 1), g=lambda v: 0.5 * np.tanh(v), fstar=lambda t: t,
                            fprime=lambda u: 0.5 * np.sign(u - 1), ginv=lambda t: 12.0 * np.sign(t)),
}

# P = N(0, 1) (data), Q = N(0.5, 1) (generator). Deterministic quantile "samples" make the
# Monte-Carlo error negligible (~1e-4), so the bound can be checked tightly.
N_QUANTILES = 20000
_U = (np.arange(N_QUANTILES) + 0.5) / N_QUANTILES
X_P = stats.norm.ppf(_U, 0.0, 1.0)
MU_Q = 0.5
X_Q = stats.norm.ppf(_U, MU_Q, 1.0)


@functools.cache
def true_divergence(name):
  f = F_TABLE[name]["f"]
  integrand = lambda x: stats.norm.pdf(x, MU_Q, 1) * f(stats.norm.pdf(x, 0, 1) / stats.norm.pdf(x, MU_Q, 1))
  return integrate.quad(integrand, -12, 13, limit=400)[0]


@VARIANTS
@pytest.mark.parametrize("name", sorted(F_TABLE))
def test_f_gan_matches_table_2(name, variant):
  row = F_TABLE[name]
  v = np.linspace(-2.0, 2.0, 41) if name != "total_variation" else np.linspace(-3, 3, 41)
  bound = variant(lambda p, q: jg.losses.f_gan_bound(p, q, divergence=name))(
      jnp.asarray(v, jnp.float32), jnp.asarray(v[::-1], jnp.float32))
  expected = np.mean(row["g"](v)) - np.mean(row["fstar"](row["g"](v[::-1])))
  np.testing.assert_allclose(bound, expected, rtol=1e-5, atol=1e-5)


@VARIANTS
@pytest.mark.parametrize("name", sorted(F_TABLE))
def test_f_gan_bound_below_divergence_and_tight_at_optimal_critic(name, variant):
  row = F_TABLE[name]
  div = true_divergence(name)
  ratio = lambda x: stats.norm.pdf(x, 0, 1) / stats.norm.pdf(x, MU_Q, 1)
  optimal = lambda x: row["ginv"](row["fprime"](ratio(x)))
  f_gan_bound = variant(lambda p, q: jg.losses.f_gan_bound(p, q, divergence=name))
  best = float(f_gan_bound(jnp.asarray(optimal(X_P), jnp.float32), jnp.asarray(optimal(X_Q), jnp.float32)))
  assert best == pytest.approx(div, abs=3e-3 + 3e-3 * abs(div))
  for a, b in [(0.3, 0.1), (-0.8, 0.4), (-0.2, -0.3), (0.0, 0.5)]:
    bound = float(f_gan_bound(jnp.asarray(a * X_P + b, jnp.float32), jnp.asarray(a * X_Q + b, jnp.float32)))
    assert bound <= div + 1e-3, (a, b, bound, div)
  critic_loss = variant(jg.losses.get(f"f_gan_{name}").critic)(jnp.asarray(optimal(X_P), jnp.float32),
                                                               jnp.asarray(optimal(X_Q), jnp.float32))
  np.testing.assert_allclose(critic_loss, -best, rtol=1e-6)


@VARIANTS
def test_minimax_optimal_critic_is_log_density_ratio(variant):
  # log p/q for N(0,1) vs N(0.5,1) is 0.125 - 0.5 x; at the optimum L_D = log 4 - 2 JSD(P, Q).
  critic = lambda x, a=-0.5, b=0.125: a * x + b
  minimax_critic = variant(jg.losses.minimax_critic)
  loss = lambda a, b: float(minimax_critic(jnp.asarray(critic(X_P, a, b), jnp.float32),
                                           jnp.asarray(critic(X_Q, a, b), jnp.float32)))
  optimum = loss(-0.5, 0.125)
  jsd = 0.5 * (true_divergence("jensen_shannon"))
  assert optimum == pytest.approx(np.log(4) - 2 * jsd, abs=1e-3)
  for da, db in [(0.1, 0), (-0.1, 0), (0, 0.1), (0, -0.1), (0.2, -0.2)]:
    assert loss(-0.5 + da, 0.125 + db) > optimum
  # And the gradient of the loss in the critic's outputs vanishes in expectation there.
  g = variant(jax.grad(lambda a, b: jg.losses.minimax_critic(a * jnp.asarray(X_P, jnp.float32) + b,
                                                             a * jnp.asarray(X_Q, jnp.float32) + b),
                       argnums=(0, 1)))(-0.5, 0.125)
  np.testing.assert_allclose(g, 0.0, atol=1e-3)


@VARIANTS
def test_f_gan_saturating_generator_is_minus_conjugate_term(variant):
  v = jnp.linspace(-1.0, 1.0, 9)
  saturating = variant(lambda v: jg.losses.f_gan_generator(v, divergence="kl", saturating=True))
  np.testing.assert_allclose(saturating(v), -np.mean(np.exp(np.asarray(v) - 1)), rtol=1e-6)
  np.testing.assert_allclose(variant(lambda v: jg.losses.f_gan_generator(v, divergence="kl"))(v),
                             -np.mean(np.asarray(v)), atol=1e-7)


# --- energy-based -------------------------------------------------------------

@VARIANTS
def test_pulling_away_term_matches_double_loop(variant):
  emb = np.random.default_rng(1).normal(size=(6, 4))
  expected = np.mean([(emb[i] @ emb[j] / np.linalg.norm(emb[i]) / np.linalg.norm(emb[j])) ** 2
                      for i in range(6) for j in range(6) if i != j])
  np.testing.assert_allclose(variant(jg.losses.pulling_away_term)(jnp.asarray(emb, jnp.float32)), expected, rtol=1e-5)
  obj = jg.losses.get("ebgan", margin=1.0, pulling_away_weight=0.1)
  fake = jnp.ones(6)
  generator = variant(lambda f, e: obj.generator(f, embeddings=e))
  np.testing.assert_allclose(generator(fake, jnp.asarray(emb, jnp.float32)), 1.0 + 0.1 * expected, rtol=1e-5)
  with pytest.raises(ValueError, match="embeddings"):
    obj.generator(fake)


@VARIANTS
def test_began_update_closed_form_and_clipping(variant):
  real, fake = jnp.array([1.0, 3.0]), jnp.array([0.5, 0.5])  # means 2.0 and 0.5
  upd = variant(lambda k, r, f: jg.losses.began_update(k, r, f, gamma=0.5, lambda_k=0.1))(0.2, real, fake)
  np.testing.assert_allclose(upd.k, 0.2 + 0.1 * (0.5 * 2.0 - 0.5))
  np.testing.assert_allclose(upd.convergence, 2.0 + abs(0.5 * 2.0 - 0.5))
  began_update = variant(lambda k, r, f: jg.losses.began_update(k, r, f, lambda_k=1.0))
  assert float(began_update(0.99, real, fake).k) == 1.0
  assert float(began_update(0.01, fake, real * 10).k) == 0.0
  obj = jg.losses.get("began", gamma=0.5, lambda_k=0.1)
  state = obj.init()
  state, metrics = variant(obj.update)(state, real, fake)
  critic = variant(lambda r, f, s: obj.critic(r, f, state=s))
  np.testing.assert_allclose(critic(real, fake, state), 2.0 - float(state) * 0.5, rtol=1e-6)
  assert set(metrics) == {"k", "convergence"}


@VARIANTS
def test_magan_margin_shrinks_only_at_epoch_end_when_conditions_hold(variant):
  obj = jg.losses.get("magan", margin=5.0, epoch_steps=2)
  update = variant(obj.update)
  s = obj.init()
  low, high = jnp.full(4, 1.0), jnp.full(4, 3.0)
  s, _ = update(s, low, high)
  assert float(s.margin) == 5.0  # mid-epoch
  s, m = update(s, low, high)
  assert float(s.margin) == 1.0 and float(m["margin"]) == 1.0  # first epoch: previous fake sum is +inf
  s, _ = update(s, 0.5 * low, 0.1 * low)
  s, _ = update(s, 0.5 * low, 0.1 * low)
  assert float(s.margin) == 0.5  # 4 < previous fake sum 24
  s, _ = update(s, 0.4 * low, low)
  s, _ = update(s, 0.4 * low, low)
  assert float(s.margin) == 0.5  # real sum 3.2 >= previous fake sum 0.8: kept
  np.testing.assert_allclose(variant(lambda r, f, s: obj.critic(r, f, state=s))(low, low, s), 1.0 + 0.0, rtol=1e-6)


@VARIANTS
def test_energy_generator_subtracts_entropy_surrogate(variant):
  obj = jg.losses.get("energy")
  np.testing.assert_allclose(variant(lambda f, h: obj.generator(f, entropy=h))(jnp.array([1.0, 3.0]), 0.5), 1.5)


# --- errors -------------------------------------------------------------------

def test_unknown_name_lists_valid_names():
  with pytest.raises(ValueError, match="available: began, ebgan"):
    jg.losses.get("wgna")


def test_unknown_hyperparameter():
  with pytest.raises(ValueError, match="does not take"):
    jg.losses.get("wgan", margin=1.0)


def test_hyperparameters_are_the_keyword_arguments_get_takes_with_their_defaults():
  assert jg.losses.hyperparameters("hinge") == {"margin": 1.0}
  assert jg.losses.hyperparameters("lsgan") == {"a": 0.0, "b": 1.0, "c": 1.0}
  assert jg.losses.hyperparameters("began") == {"gamma": 0.5, "lambda_k": 1e-3, "k_init": 0.0}
  assert jg.losses.hyperparameters("wgan") == {}
  assert_hyperparameters_are_what_get_takes(
      jg.losses, jg.losses.available(), lambda objective: float(objective.critic(REAL, FAKE, state=objective.init())),
      unknown_name="wgna")


@VARIANTS
@pytest.mark.parametrize("real,fake,error,match", [
    (jnp.zeros(4), jnp.zeros(5), ValueError, "same shape"),
    (jnp.zeros((4, 1)), jnp.zeros((4, 1)), ValueError, "Squeeze"),
    (jnp.zeros(4, jnp.int32), jnp.zeros(4, jnp.int32), TypeError, "floating dtype"),
    (jnp.zeros(0), jnp.zeros(0), ValueError, "empty"),
])
def test_bad_scores(real, fake, error, match, variant):
  # The checks read shapes and dtypes at trace time, so jit raises the same errors.
  for name in jg.losses.available():
    obj = jg.losses.get(name)
    with pytest.raises(error, match=match):
      variant(lambda r, f: obj.critic(r, f, state=obj.init()))(real, fake)


def test_bad_hyperparameters():
  with pytest.raises(ValueError, match="margin"):
    jg.losses.get("ebgan", margin=-1.0)
  with pytest.raises(ValueError, match="k_init"):
    jg.losses.get("began", k_init=2.0)
  with pytest.raises(ValueError, match="relativistic flavour"):
    jg.losses.relativistic_critic(jnp.zeros(2), jnp.zeros(2), flavour="cubic")
  with pytest.raises(ValueError, match="f-divergence"):
    jg.losses.f_gan_critic(jnp.zeros(2), jnp.zeros(2), divergence="renyi")
  with pytest.raises(ValueError, match="real_scores"):
    jg.losses.get("relativistic").generator(jnp.zeros(2))


def test_f_gan_gan_and_jensen_shannon_train_exactly_as_the_non_saturating_gan():
  """Nowozin et al. 2016, Table 2: they differ from the non-saturating losses by constants only (0 and log 4 for the
  critic, 0 and log 2 for the generator), so their gradients and runs are the non-saturating GAN's (the loss zoo
  reports them once)."""
  real, fake = jnp.asarray(REAL, jnp.float32), jnp.asarray(FAKE, jnp.float32)
  reference = jg.losses.get("non_saturating")
  for name, critic_offset, generator_offset in (("f_gan_gan", 0.0, 0.0),
                                                ("f_gan_jensen_shannon", np.log(4.0), np.log(2.0))):
    objective = jg.losses.get(name)
    np.testing.assert_allclose(reference.critic(real, fake) - objective.critic(real, fake), critic_offset, rtol=1e-5)
    np.testing.assert_allclose(reference.generator(fake, real) - objective.generator(fake, real), generator_offset,
                               rtol=1e-5)
    for loss, ref in ((objective.critic, reference.critic), (lambda r, f: objective.generator(f, r),
                                                             lambda r, f: reference.generator(f, r))):
      for got, want in zip(jax.grad(loss, argnums=(0, 1))(real, fake), jax.grad(ref, argnums=(0, 1))(real, fake)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
