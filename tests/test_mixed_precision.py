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
def test_bf16_training_reaches_the_same_modes_as_float32(tmp_path):
  """ring8_ns_r1 shortened to a complete 3,000-step cosine run, in float32 and in bfloat16, on one CPU device each."""
  from tests.conftest import ROOT, one_device_env

  def start(dtype):
    overrides = ["--config", "ring8_ns_r1", "--config.steps=3000", f"--config.model.compute_dtype={dtype}",
                 "--config.plot_every=100000", "--config.checkpoint_every=100000"]
    return subprocess.Popen([sys.executable, "-m", "experiments.train", "--workdir", str(tmp_path / dtype),
                             "--noprogress", *overrides], env=one_device_env(), cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)

  processes = {dtype: start(dtype) for dtype in ("float32", "bfloat16")}
  for process in processes.values():
    output = process.communicate(timeout=900)[0]
    assert process.returncode == 0, output[-2000:]
  results = {dtype: json.loads((tmp_path / dtype / "final_metrics.json").read_text()) for dtype in processes}
  # Measured 2026-11-23 on the 2-core CPU machine: float32 8/8 modes, 91.4% HQ, KL 0.0008; bfloat16 8/8, 91.6%,
  # KL 0.0007. Mid-training trajectories differ more (bf16 rounding changes every step): compare complete runs.
  assert results["float32"] != results["bfloat16"]  # the bf16 run did compute in bf16
  assert results["float32"]["modes_covered"] == results["bfloat16"]["modes_covered"] == 8
  assert min(results["float32"]["high_quality"], results["bfloat16"]["high_quality"]) > 0.85
  assert abs(results["float32"]["high_quality"] - results["bfloat16"]["high_quality"]) < 0.1
