"""experiments.meg_samplers: its quick config end to end, and its command-line errors."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.cli_checks import assert_cli_error
from tests.conftest import ROOT, one_device_env


def test_meg_sampler_experiment_quick_mode_writes_table_and_figure(tmp_path):
  from experiments import meg_samplers

  meg_samplers.main(["--config", "quick", "--workdir", str(tmp_path), "--noprogress", "--config.meg_code=True",
                     "--config.gan.num_runs=2"])
  table = (tmp_path / "samplers" / "table.md").read_text()
  for name in (*meg_samplers.SAMPLERS, meg_samplers.MEG_CODE):
    assert f"| {name} |" in table
  written = json.loads((tmp_path / "samplers" / "results.json").read_text())
  runs, results = written["runs"], written["results"]
  assert len(runs) == 2 and runs[0]["MALA"]["high_quality"] != runs[1]["MALA"]["high_quality"]  # two models
  np.testing.assert_equal(results, meg_samplers.mean_over_runs(runs))  # NaN where a KL is infinite
  for name in ("MALA", meg_samplers.MEG_CODE):
    assert all(0.0 < run[name]["acceptance"] <= 1.0 and run[name]["nonfinite"] == 0 for run in runs)
  assert (tmp_path / "samplers" / "samplers.png").stat().st_size > 10_000
  config = json.loads((tmp_path / "config.json").read_text())
  assert config["objective"]["name"] == "energy" and config["objective"]["entropy_estimator"] == "jsd"


def test_samplers_over_runs_are_the_mean_and_sample_std_and_the_table_shows_both():
  from experiments import meg_samplers

  runs = [{"MALA": {"modes_covered": 25, "num_modes": 25, "high_quality": 0.9, "kl_to_uniform": 0.01,
                    "acceptance": 0.5, "step_size": 0.2}},
          {"MALA": {"modes_covered": 24, "num_modes": 25, "high_quality": 0.8, "kl_to_uniform": 0.03,
                    "acceptance": 0.7, "step_size": 0.4}}]
  mean = meg_samplers.mean_over_runs(runs)["MALA"]
  for key in runs[0]["MALA"]:
    values = [run["MALA"][key] for run in runs]
    np.testing.assert_allclose([mean[key], mean[key + "_std"]], [np.mean(values), np.std(values, ddof=1)])
  assert "| MALA | 24.5 ± 0.7/25 | 85.0 ± 7.1 | 0.0200 ± 0.0141 | 0.60 ± 0.14 | 0.3 ± 0.141 |" in (
      meg_samplers.markdown_table({"MALA": mean}))
  assert "| MALA | 25/25 | 90.0 | 0.0100 | 0.50 | 0.2 |" in meg_samplers.markdown_table(runs[0])


def test_meg_samplers_config_nests_the_train_config_and_keeps_the_default_workdir(monkeypatch):
  from experiments import cli, configs, meg_samplers

  full = cli.load("full", meg_samplers.CONFIG_DIR)
  assert full.gan.to_dict() == configs.get_config("grid25_meg").to_dict()
  assert (full.num_samples, full.num_warmup, full.num_steps, full.pool_size, full.meg_code) == (
      2500, 300, 500, 10000, False)
  quick = cli.load("quick", meg_samplers.CONFIG_DIR)
  assert quick.gan.to_dict() == configs.shrink_to_tiny(configs.get_config("grid25_meg")).to_dict()
  assert cli.load("full:ring8_ns_r1", meg_samplers.CONFIG_DIR).gan.to_dict() == configs.get_config(
      "ring8_ns_r1").to_dict()
  ran = {}
  monkeypatch.setattr(meg_samplers, "run", lambda config, workdir, progress: ran.update(
      config=config, workdir=workdir) or {})
  monkeypatch.setattr(meg_samplers, "markdown_table", lambda results: "")
  meg_samplers.main(["--config.gan.steps=2000"])
  assert ran["workdir"] == os.path.join("runs", "grid25_meg") and ran["config"].gan.steps == 2000


@pytest.mark.parametrize("argv,match", [
    (["--config.stepz=1"], r"unknown config field '?stepz"),
    (["--config.gan.stepz=1"], r"unknown config field '?stepz'? Did you mean \"steps\""),
    (["--config.num_samples=0"], r"config\.num_samples must be an integer >= 1, got 0\."),
    (["--config.gan.steps=0"], r"config\.gan\.steps must be an integer >= 1, got 0\."),
    (["--config.pool_size=100"], r"config\.pool_size \(100\) must be >= config\.num_samples \(2500\)"),
    (["--config.gan.model.categorical_codes=(8,)", "--config.gan.objective.entropy_estimator=infogan"],
     r"config\.gan\.model\.categorical_codes / continuous_codes: the latent samplers take z ~ N\(0, I\)"),
])
def test_meg_samplers_cli_errors_are_one_line_with_exit_status_2_and_nothing_written(argv, match, capsys, tmp_path):
  from experiments import meg_samplers

  assert_cli_error(meg_samplers.main, argv, match, capsys, tmp_path / "run")


@pytest.mark.slow
def test_meg_latent_mcmc_raises_quality_without_losing_modes(tmp_path):
  """The README's MEG claims: MALA beats N(0, I) on % high quality; MALA and Langevin keep all 25 modes.

  On the README's config with one critic step per generator step (a fifth of the training cost; the
  README's table trains with five).
  """
  subprocess.run([sys.executable, "-m", "experiments.meg_samplers", "--workdir", str(tmp_path), "--noprogress",
                  "--config.gan.optim.n_critic=1"],
                 check=True, env=one_device_env(), cwd=ROOT, timeout=1200)
  results = json.loads((tmp_path / "samplers" / "results.json").read_text())["results"]
  prior = results["N(0, I)"]
  assert prior["modes_covered"] == 25
  for name in ("MALA", "Langevin"):
    assert results[name]["modes_covered"] == 25
  # Measured 2026-11-23 with n_critic=1: N(0, I) 65.7% HQ, MALA 78.0% (KL 0.041, acceptance 0.58), ULA 65.0%
  # (the README's n_critic=5 model: N(0, I) 72.3%, MALA 85.8%, ULA 60.7%).
  assert results["MALA"]["high_quality"] > prior["high_quality"] + 0.03
  assert results["MALA"]["kl_to_uniform"] < 0.1
  assert 0.4 < results["MALA"]["acceptance"] < 0.75
