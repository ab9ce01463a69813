"""bfloat16 compute with float32 params: penalties stay within tolerance of float32, training reaches the same modes."""

import json
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxgan as jg

PENALTIES = ["wgan_gp", "wgan_lp", "r1", "r2", "zero_centered_gp", "dragan", "wgan_div"]
RTOL = 0.03  # bf16 has 8 mantissa bits (relative precision ~0.4% per op)


def critics():
  f32 = jg.models.MLPCritic(hidden=(64, 64))
  bf16 = jg.models.MLPCritic(hidden=(64, 64), dtype=jnp.bfloat16)
  x = jax.random.normal(jax.random.key(0), (128, 2))
  params = f32.init(jax.random.key(1), x)
  return f32, bf16, params, x, x + 0.5 * jax.random.normal(jax.random.key(2), x.shape)


def test_bf16_models_keep_float32_params_and_outputs():
  _, bf16, params, x, _ = critics()
  assert all(leaf.dtype == jnp.float32 for leaf in jax.tree.leaves(bf16.init(jax.random.key(1), x)))
  assert bf16.apply(params, x).dtype == jnp.float32
  generator = jg.models.MLPGenerator(dtype=jnp.bfloat16)
  assert generator.apply(generator.init(jax.random.key(0), x), x).dtype == jnp.float32


@pytest.mark.parametrize("method", jg.penalties.METHODS)
@pytest.mark.parametrize("name", PENALTIES)
def test_bf16_penalty_value_and_gradient_match_float32(name, method):
  f32, bf16, params, real, fake = critics()
  penalty = jg.penalties.get(name, method=method)

  def value(module, p):
    return penalty(lambda x: module.apply(p, x), real, fake, jax.random.key(3))

  v32, g32 = jax.value_and_grad(lambda p: value(f32, p))(params)
  v16, g16 = jax.value_and_grad(lambda p: value(bf16, p))(params)
  assert v16.dtype == jnp.float32 and np.isfinite(float(v16))
  np.testing.assert_allclose(float(v16), float(v32), rtol=RTOL, atol=1e-3)  # wgan_lp is ~3e-3 here
  a, b = jax.flatten_util.ravel_pytree(g32)[0], jax.flatten_util.ravel_pytree(g16)[0]
  cosine = float(a @ b / (jnp.linalg.norm(a) * jnp.linalg.norm(b)))
  assert cosine > 0.98
  np.testing.assert_allclose(float(jnp.linalg.norm(b)), float(jnp.linalg.norm(a)), rtol=0.1)


@pytest.mark.slow
@pytest.mark.xdist_group("default_job")
def test_bf16_training_reaches_the_same_modes_as_float32(tmp_path, default_job):
  """Run as the README runs jobs (one CPU device), where the figures below were measured.

  The float32 side is the shared `default_job` run (the same config and trajectory; only the
  plotting and checkpoint intervals, which do not change the state, differ).
  """
  from tests.conftest import ROOT, one_device_env

  overrides = ["--config.model.compute_dtype=bfloat16", "--config.plot_every=100000",
               "--config.checkpoint_every=100000"]
  run = subprocess.run([sys.executable, "-m", "experiments.train", "--workdir", str(tmp_path), "--noprogress",
                        *overrides], env=one_device_env(), cwd=ROOT, capture_output=True, text=True, timeout=1200)
  assert run.returncode == 0, run.stderr[-2000:]
  bf16 = json.loads((tmp_path / "final_metrics.json").read_text())
  results = {"float32": default_job, "bfloat16": bf16}
  # Measured 2026-11-22 on the 2-core CPU machine (earlier hand-assembled step): float32 8/8 modes, 89.5% HQ;
  # bfloat16 8/8, 86.4%. Mid-training (2,500 steps) the two trajectories were 23 points apart: compare
  # converged runs.
  assert results["float32"]["modes_covered"] == results["bfloat16"]["modes_covered"] == 8
  assert min(results["float32"]["high_quality"], results["bfloat16"]["high_quality"]) > 0.8
  assert abs(results["float32"]["high_quality"] - results["bfloat16"]["high_quality"]) < 0.1
