"""Benchmarks run in quick mode and write well-formed JSON (timings are not asserted)."""

import importlib.util
import json
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxgan as jg
from benchmarks import critic_updates, penalty_cost, sampler_cost, train_step


@pytest.mark.slow
def test_penalty_cost_quick_writes_ratios(tmp_path):
  out = tmp_path / "penalty_cost.json"
  penalty_cost.main(["--quick", "--repeats", "1", "--out", str(out)])
  report = json.loads(out.read_text())
  assert report["quick"] and report["backend"] == "cpu"
  assert {(r["critic"], r["batch"]) for r in report["rows"]} == {("mlp_2d", 16), ("dcgan_32x32x3", 16),
                                                                 ("resnet_32x32x3", 16)}
  for row in report["rows"]:
    assert set(row["ratio_to_plain"]) == set(jg.penalties.METHODS)
    assert all(v > 0 for v in row["ratio_to_plain"].values())
    assert set(row["compile_seconds"]) == {"plain", *jg.penalties.METHODS}
    assert all(v is None or v >= 0 for v in row["temp_bytes"].values())


def test_critic_updates_quick_times_both_step_programs_of_each_image_config(tmp_path):
  out = tmp_path / "critic_updates.json"
  critic_updates.main(["--quick", "--repeats", "2", "--out", str(out)])
  report = json.loads(out.read_text())
  assert report["quick"] and [r["config"] for r in report["rows"]] == list(critic_updates.CONFIGS)
  for row in report["rows"]:
    assert row["n_critic_1_steps_done"] == row["n_critic_2_steps_done"] == 3  # the first call and two rounds
    assert row["n_critic_1_steps_per_second"] > 0 and row["n_critic_2_steps_per_second"] > 0
    assert row["n_critic_2_over_1"] == pytest.approx(row["n_critic_1_steps_per_second"]
                                                     / row["n_critic_2_steps_per_second"])


def test_train_step_quick_compares_with_pytorch_or_says_why_not(tmp_path, capsys):
  out = tmp_path / "train_step.json"
  train_step.main(["--quick", "--repeats", "1", "--out", str(out)])
  report = json.loads(out.read_text())
  assert report["jaxgan"]["train_step_seconds"] > 0 and report["jaxgan"]["train_step_compile_seconds"] > 0
  if "skipped" in report["pytorch"]:  # no torch here: the skip path below, already
    assert report["jaxgan_over_pytorch"] is None
    output = capsys.readouterr().out
    assert "pip install" in output and "PyTorch comparison skipped" in output
  else:
    assert report["jaxgan_over_pytorch"]["critic_step_seconds"] > 0
    assert "double backward" in (report["pytorch"]["torch_compile_error"] or "double backward")


@pytest.mark.skipif(importlib.util.find_spec("torch") is None,
                    reason="torch is not installed: the test above ran the skip path")
def test_train_step_without_torch_skips_with_a_message(tmp_path, monkeypatch, capsys):
  monkeypatch.setitem(sys.modules, "torch", None)  # import torch raises ImportError
  out = tmp_path / "train_step.json"
  train_step.main(["--quick", "--repeats", "1", "--out", str(out)])
  report = json.loads(out.read_text())
  assert report["jaxgan_over_pytorch"] is None
  assert "PyTorch comparison skipped" in capsys.readouterr().out


def test_sampler_cost_quick_reports_scaling_and_ratios(tmp_path, monkeypatch):
  monkeypatch.setitem(sys.modules, "torch", None)
  out = tmp_path / "sampler_cost.json"
  sampler_cost.main(["--quick", "--repeats", "1", "--out", str(out)])
  report = json.loads(out.read_text())
  assert [r["chains"] for r in report["scaling"]] == [1, 16, 128]
  assert report["summary"]["mala_over_langevin_seconds"] > 0
  assert "skipped" in report["pytorch"] and report["summary"]["jaxgan_over_torch_throughput"] is None
  for row in report["scaling"]:
    assert row["jaxgan_mala"]["compile_seconds"] > 0


def test_blackjax_mala_with_half_the_step_is_jaxgan_mala():
  """The benchmark's comparison is fair: BlackJAX's own MALA step with step eps / 2 is jaxgan's MALA step with eps.

  Both split the step's key into (move, accept) and draw the noise as one normal of the flattened position, so
  from the same state and key the two libraries' own steps give the same proposal, acceptance probability,
  decision and next state. Each step starts both from jaxgan's state (so a rounding-level difference cannot
  compound), from far off the target, with a step large enough that both decisions occur.
  """
  import blackjax  # in the dev extras: a missing install fails here instead of skipping the comparison
  from blackjax.mcmc.mala import MALAState

  energy_fn = sampler_cost.latent_energy_fn(dict(latent=4, data_dim=8, hidden=(16,)))
  eps = 1.0
  ours = jg.samplers.mala(energy_fn, eps)
  theirs = blackjax.mala(lambda z: -energy_fn(z), eps / 2)  # as sampler_cost.jax_samplers builds it

  def paired_step(state, key):
    b, b_info = theirs.step(key, MALAState(state.position, -state.energy, jax.tree.map(jnp.negative,
                                                                                        state.energy_grad)))
    a, a_info = ours.step(key, state)
    return a, (a.position, b.position, a.energy, -b.logdensity, a_info.acceptance_rate, b_info.acceptance_rate,
               a_info.is_accepted, b_info.is_accepted)

  @jax.jit
  @jax.vmap
  def paired_chain(key, z):
    return jax.lax.scan(paired_step, ours.init(z), jax.random.split(key, 30))[1]

  chains = 16
  out = [np.asarray(x) for x in paired_chain(jax.random.split(jax.random.key(3), chains), jnp.full((chains, 4), 2.0))]
  ours_z, theirs_z, ours_energy, theirs_energy, ours_rate, theirs_rate, ours_accepted, theirs_accepted = out
  assert 0.1 < theirs_accepted.mean() < 0.9, theirs_accepted.mean()
  assert np.mean((theirs_rate > 0.05) & (theirs_rate < 0.95)) > 0.2  # not only certain moves
  np.testing.assert_allclose(ours_rate, theirs_rate, rtol=1e-4, atol=1e-5)
  np.testing.assert_array_equal(ours_accepted, theirs_accepted)
  np.testing.assert_allclose(ours_z, theirs_z, rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(ours_energy, theirs_energy, rtol=1e-5, atol=1e-5)


def test_repeats_scale_on_accelerators_and_refuse_nonpositive(monkeypatch):
  from benchmarks import report

  assert report.repeats(7, 15) == 7
  assert report.repeats(None, 15) == (15 if jax.default_backend() == "cpu" else 150)
  monkeypatch.setattr(report.jax, "default_backend", lambda: "gpu")
  assert report.repeats(None, 15) == 150
  with pytest.raises(ValueError, match="--repeats"):
    report.repeats(0, 15)
