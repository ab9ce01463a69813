"""Benchmarks run in quick mode and write well-formed JSON (timings are not asserted)."""

import json
import sys

import jax
import pytest

import jaxgan as jg
from benchmarks import penalty_cost, sampler_cost, train_step


def test_penalty_cost_quick_writes_ratios(tmp_path):
  out = tmp_path / "penalty_cost.json"
  penalty_cost.main(["--quick", "--out", str(out)])
  report = json.loads(out.read_text())
  assert report["quick"] and report["backend"] == "cpu"
  assert {(r["critic"], r["batch"]) for r in report["rows"]} == {("mlp_2d", 16), ("dcgan_32x32x3", 16),
                                                                 ("resnet_32x32x3", 16)}
  for row in report["rows"]:
    assert set(row["ratio_to_plain"]) == set(jg.penalties.METHODS)
    assert all(v > 0 for v in row["ratio_to_plain"].values())
    assert set(row["compile_seconds"]) == {"plain", *jg.penalties.METHODS}
    assert all(v is None or v >= 0 for v in row["temp_bytes"].values())


def test_train_step_quick_compares_with_pytorch_or_says_why_not(tmp_path, capsys):
  out = tmp_path / "train_step.json"
  train_step.main(["--quick", "--out", str(out)])
  report = json.loads(out.read_text())
  assert report["jaxgan"]["train_step_seconds"] > 0 and report["jaxgan"]["train_step_compile_seconds"] > 0
  if "skipped" in report["pytorch"]:
    assert "pip install" in capsys.readouterr().out
  else:
    assert report["jaxgan_over_pytorch"]["critic_step_seconds"] > 0
    assert "double backward" in (report["pytorch"]["torch_compile_error"] or "double backward")


def test_train_step_without_torch_skips_with_a_message(tmp_path, monkeypatch, capsys):
  monkeypatch.setitem(sys.modules, "torch", None)  # import torch raises ImportError
  out = tmp_path / "train_step.json"
  train_step.main(["--quick", "--out", str(out)])
  report = json.loads(out.read_text())
  assert report["jaxgan_over_pytorch"] is None
  assert "PyTorch comparison skipped" in capsys.readouterr().out


def test_sampler_cost_quick_reports_scaling_and_ratios(tmp_path, monkeypatch):
  monkeypatch.setitem(sys.modules, "torch", None)
  out = tmp_path / "sampler_cost.json"
  sampler_cost.main(["--quick", "--out", str(out)])
  report = json.loads(out.read_text())
  assert [r["chains"] for r in report["scaling"]] == [1, 16, 128]
  assert report["summary"]["mala_over_langevin_seconds"] > 0
  assert "skipped" in report["pytorch"] and report["summary"]["jaxgan_over_torch_throughput"] is None
  for row in report["scaling"]:
    assert row["jaxgan_mala"]["compile_seconds"] > 0


def test_blackjax_mala_sees_the_same_chain_as_jaxgan_mala():
  """The comparison is fair: with eps_blackjax = eps / 2 both kernels make the same moves."""
  blackjax = pytest.importorskip("blackjax")
  import jax
  import numpy as np

  energy_fn = sampler_cost.latent_energy_fn(dict(latent=4, data_dim=8, hidden=(16,)))
  ours = jg.samplers.mala(energy_fn, sampler_cost.STEP_SIZE)
  theirs = blackjax.mala(lambda z: -energy_fn(z), sampler_cost.STEP_SIZE / 2)
  z = jax.random.normal(jax.random.key(0), (4,))
  a, b = ours.init(z), theirs.init(z)
  np.testing.assert_allclose(a.energy, -b.logdensity, rtol=1e-6)
  # The same proposal noise gives the same proposal and the same acceptance probability.
  proposal = jg.samplers.langevin_proposal(jax.random.key(1), a, sampler_cost.STEP_SIZE)
  noise = (proposal - z + 0.5 * sampler_cost.STEP_SIZE * a.energy_grad) / np.sqrt(sampler_cost.STEP_SIZE)
  bj_proposal = z + sampler_cost.STEP_SIZE / 2 * b.logdensity_grad + np.sqrt(sampler_cost.STEP_SIZE) * noise
  np.testing.assert_allclose(proposal, bj_proposal, rtol=1e-5, atol=1e-6)


def test_repeats_scale_on_accelerators_and_refuse_nonpositive(monkeypatch):
  from benchmarks import report

  assert report.repeats(7, 15) == 7
  assert report.repeats(None, 15) == (15 if jax.default_backend() == "cpu" else 150)
  monkeypatch.setattr(report.jax, "default_backend", lambda: "gpu")
  assert report.repeats(None, 15) == 150
  with pytest.raises(ValueError, match="--repeats"):
    report.repeats(0, 15)
