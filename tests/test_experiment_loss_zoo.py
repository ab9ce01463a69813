"""experiments.loss_zoo: its quick config end to end, and the command line's errors."""

import json
import os
import re

import numpy as np
import pytest

from tests.cli_checks import assert_cli_error

QUICK = ["--config", "quick", "--config.objectives=(\"wgan\", \"ebgan\")", "--noprogress"]


@pytest.mark.slow
def test_loss_zoo_quick_writes_table_figure_and_resumes(tmp_path):
  from experiments import loss_zoo

  loss_zoo.main([*QUICK, "--workdir", str(tmp_path)])
  table = (tmp_path / "table.md").read_text()
  assert "| wgan | wgan_gp |" in table and "| wgan | R1 |" in table and "| ebgan | none |" in table
  results = json.loads((tmp_path / "results.json").read_text())
  assert {(c["objective"], c["variant"]) for c in results["cells"]} == {
      ("wgan", "natural"), ("wgan", "r1"), ("ebgan", "natural"), ("ebgan", "r1")}
  assert all(c["ring8"]["seeds"] == 2 for c in results["cells"])  # two seeds, vmapped in one program per cell
  ebgan = json.loads((tmp_path / "ring8" / "ebgan__natural" / "config.json").read_text())
  assert ebgan["model"]["autoencoder_critic"] and ebgan["penalty"]["name"] is None and ebgan["num_runs"] == 2
  wgan = json.loads((tmp_path / "ring8" / "wgan__r1" / "final_metrics.json").read_text())
  assert [run["step"] for run in wgan["runs"]] == [30, 30]
  logged = [json.loads(line) for line in (tmp_path / "ring8" / "wgan__r1" / "metrics.jsonl").read_text().splitlines()]
  last = {row["run"]: row["critic_loss"] for row in logged if row["step"] == 30}
  assert sorted(last) == [0, 1] and last[0] != last[1]  # two seeds, two different runs
  assert (tmp_path / "samples.png").exists()
  before = os.path.getmtime(tmp_path / "ring8" / "wgan__r1" / "final_metrics.json")
  loss_zoo.main([*QUICK, "--workdir", str(tmp_path)])
  assert os.path.getmtime(tmp_path / "ring8" / "wgan__r1" / "final_metrics.json") == before
  # A finished cell of another budget is an error naming it, never a row of this study's table.
  first_cell = re.escape(os.path.join(str(tmp_path), "ring8", "wgan__natural", "final_metrics.json"))
  with pytest.raises(ValueError, match=first_cell + r" was trained with another config \(checkpoint_every, "
                     r"plot_every, steps differ"):
    loss_zoo.main([*QUICK, "--workdir", str(tmp_path), "--config.steps.ring8=40"])
  assert os.path.getmtime(tmp_path / "ring8" / "wgan__r1" / "final_metrics.json") == before


def test_full_config_builds_the_published_cells():
  """The default config is the published zoo: each cell is its dataset's protocol recipe with the objective swapped."""
  from experiments import cli, loss_zoo
  from experiments import configs as configs_lib

  config = cli.load("full", loss_zoo.CONFIG_DIR)
  assert (config.objectives, config.datasets, config.seeds, config.batch_size) == ((), ("ring8", "grid25"), 5, 256)
  assert config.steps.to_dict() == {"ring8": 6000, "grid25": 8000}  # the budgets of the README's zoo table
  energy = loss_zoo.run_config(config, "energy", "natural", "grid25")
  assert (energy.penalty.name, energy.penalty.kwargs.gamma, energy.penalty.interval,
          energy.objective.entropy_estimator) == ("r1", 0.2, 1, "jsd")
  assert (energy.optim.n_critic, energy.num_runs, energy.model.hidden, energy.data.name) == (5, 5, (128, 128, 128),
                                                                                             "grid25")
  grid = configs_lib.get_config("grid25_protocol")
  assert (energy.steps, energy.data.batch_size) == (8000, 256)
  assert (energy.optim.generator_lr, energy.optim.lr_schedule, energy.optim.ema_decay) == (
      grid.optim.generator_lr, grid.optim.lr_schedule, grid.optim.ema_decay)
  hinge = loss_zoo.run_config(config, "hinge", "natural", "ring8")
  assert hinge.model.spectral_norm and hinge.penalty.name is None and hinge.optim.n_critic == 1
  gp = loss_zoo.run_config(config, "wgan", "natural", "ring8")
  assert (gp.penalty.name, gp.penalty.kwargs.weight, gp.penalty.kwargs.gamma, gp.penalty.interval) == (
      "wgan_gp", None, None, 1)
  r1 = loss_zoo.run_config(config, "wgan", "r1", "ring8")
  ring = configs_lib.get_config("ring8_protocol")
  assert (r1.penalty.name, r1.penalty.kwargs.gamma, r1.penalty.interval, r1.model.spectral_norm) == (
      "r1", ring.penalty.kwargs.gamma, ring.penalty.interval, False)
  assert (r1.steps, r1.plot_every, r1.checkpoint_every, r1.keep_checkpoints) == (6000, 60000, 6000, 1)
  meg = configs_lib.flatten(configs_lib.get_config("grid25_meg_protocol"))  # the energy cell, named for the samplers
  cell = configs_lib.flatten(energy)
  assert {k for k in meg if meg[k] != cell[k]} == {"plot_every", "checkpoint_every", "keep_checkpoints"}
  config.steps.ring8, config.batch_size = 123, 64  # the zoo's budget, not the protocol's
  own_budget = loss_zoo.run_config(config, "wgan", "r1", "ring8")
  assert (own_budget.steps, own_budget.data.batch_size) == (123, 64)


def test_summary_is_the_mean_and_sample_std_over_the_seeds_that_did_not_diverge():
  from experiments import loss_zoo

  runs = [{"modes_covered": 24, "high_quality": 0.9, "kl_to_uniform": 0.1, "num_modes": 25},
          {"modes_covered": 25, "high_quality": 0.8, "kl_to_uniform": 0.3, "num_modes": 25},
          {"diverged": "Non-finite critic_loss"}]
  summary = loss_zoo.summarise(runs)
  assert (summary["seeds"], summary["diverged"], summary["num_modes"]) == (3, 1, 25)
  for key, values in (("modes_covered", [24, 25]), ("high_quality", [0.9, 0.8]), ("kl_to_uniform", [0.1, 0.3])):
    np.testing.assert_allclose(summary[key], [np.mean(values), np.std(values, ddof=1)])


def test_loss_zoo_rejects_unknown_objectives(tmp_path, capsys):
  from experiments import loss_zoo

  assert_cli_error(loss_zoo.main, ["--config", "quick", "--config.objectives=(\"wgna\",)"],
                   re.escape("unknown objectives ['wgna']"), capsys, tmp_path / "zoo")


@pytest.mark.parametrize("override, field", [("--config.stepz=1", "stepz"), ("--config.seeds=0", "config.seeds"),
                                             ("--config.datasets=swiss_roll", "config.datasets"),
                                             ("--config.datasets=(\"ring8\", \"grid25\")", "config.steps.grid25"),
                                             ("--config.batch_size=0", "config.batch_size")])
def test_loss_zoo_command_line_errors_are_one_line_before_anything_is_written(tmp_path, capsys, override, field):
  from experiments import loss_zoo

  assert_cli_error(loss_zoo.main, ["--config", "quick", override], re.escape(field), capsys, tmp_path / "zoo")
