"""The MEG reference code's latent MALA (experiments.meg_samplers): its bias, against jaxgan's unbiased MALA."""

import jax
import jax.numpy as jnp
import numpy as np

import jaxgan as jg
from experiments import meg_samplers
from tests.test_samplers import run


def test_meg_code_acceptance_is_biased_and_jaxgan_mala_is_not():
  energy = lambda z: 0.5 * jnp.sum(z**2)  # noqa: E731 - N(0, I) in 10 dimensions
  chains, steps = 512, 100
  start = jnp.full((chains, 10), 2.0)  # two standard deviations off in every coordinate
  variances = {}
  for name, algorithm in (("jaxgan", jg.samplers.mala(energy, 0.5)), ("meg", meg_samplers.meg_code_mala(energy, 0.5))):
    final, _ = run(algorithm, jax.random.key(0), start, steps, thin=steps)
    variances[name] = np.asarray(final.position).var(0).mean()
  se = np.sqrt(2.0 / (chains * 10))  # standard error of the averaged sample variance
  assert abs(variances["jaxgan"] - 1.0) < 5 * se, variances
  assert variances["meg"] < 1.0 - 10 * se, variances  # measured 0.60


def test_meg_code_log_ratio_uses_the_unsquared_norm_and_its_energy_has_no_prior():
  z, z_new = np.array([0.3, -1.2]), np.array([1.1, 0.4])
  g, g_new, eps = np.array([0.5, 2.0]), np.array([-1.0, 0.25]), 0.3
  current = jg.samplers.State(jnp.asarray(z), jnp.asarray(0.7), jnp.asarray(g))
  proposed = jg.samplers.State(jnp.asarray(z_new), jnp.asarray(-0.2), jnp.asarray(g_new))
  log_q = lambda to, frm, grad: -np.linalg.norm(to - frm + 0.5 * eps * grad) / (2 * eps)  # noqa: E731
  expected = 0.7 - (-0.2) + log_q(z, z_new, g_new) - log_q(z_new, z, g)
  np.testing.assert_allclose(float(meg_samplers.meg_code_log_ratio(current, proposed, eps)), expected, rtol=1e-6)
  generator, realness = (lambda z: z), (lambda x: jnp.sum(x, axis=1))  # noqa: E731
  z = jnp.array([1.0, 2.0])
  assert float(meg_samplers.meg_code_energy(generator, realness)(z)) == -3.0
  assert float(jg.samplers.latent_energy(generator, realness)(z)) == -3.0 + 2.5
