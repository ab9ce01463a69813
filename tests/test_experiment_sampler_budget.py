"""experiments.sampler_budget: its quick config end to end, and its command-line errors."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxgan as jg

from tests.cli_checks import assert_cli_error


def test_sampler_budget_quick_runs_every_method_within_its_budget(tmp_path):
  from experiments import cli, sampler_budget

  sampler_budget.main(["--config", "quick", "--config.setups=('grid25_meg',)", "--workdir", str(tmp_path),
                       "--noprogress"])
  results = json.loads((tmp_path / "grid25_meg" / "results.json").read_text())
  assert set(results["methods"]) == set(sampler_budget.KERNELS)
  quick_budgets = cli.load("quick", sampler_budget.CONFIG_DIR).grid25_meg.budgets
  for method, info in results["methods"].items():
    for budget, spent in info["spent"].items():
      assert spent <= float(budget) + 1e-9, (method, budget, spent)
    assert set(info["quality"]) == {str(b) for b in quick_budgets}
  table = (tmp_path / "grid25_meg" / "table.md").read_text()
  assert all(f"| {m} |" in table for m in sampler_budget.KERNELS)
  assert (tmp_path / "budget.png").stat().st_size > 10_000


def test_chain_budget_picks_the_last_state_whose_cumulative_cost_fits():
  """i-SIR's cost per step is random (a gradient only when it moves): recount it from the trace by hand."""
  from experiments import sampler_budget

  energy = lambda z: 0.5 * jnp.sum(z**2)
  kernel = jg.samplers.isir(energy, 4)  # 3 evaluations (1 gradient equivalent) + 1 gradient if it moves
  z0 = jax.random.normal(jax.random.key(0), (16, 2))
  latents, info = sampler_budget.chain_at_budgets(kernel, jax.random.key(1), z0, (0, 1, 5, 12), 8)
  trace = sampler_budget.chain_trace(kernel, jax.random.key(1), z0, 8)
  for c in range(16):
    cost, expected = {0: 0.0, 1: 1.0, 5: 1.0, 12: 1.0}, {b: np.asarray(z0[c]) for b in (0, 1, 5, 12)}
    total = 1.0
    for t in range(8):
      total += float(trace.info.num_grads[c, t]) + float(trace.info.num_evals[c, t]) / 3.0
      for b in (5, 12):
        if total <= b:
          cost[b], expected[b] = total, np.asarray(trace.position[c, t])
    for b in (0, 1, 5, 12):
      np.testing.assert_allclose(latents[b][c], expected[b])
  assert info["spent"][12] <= 12 and info["spent"][5] <= 5 and info["spent"][5] > 1


def test_sampler_budget_cifar10_mirror_needs_image_features(capsys, tmp_path):
  from experiments import cli, sampler_budget

  with pytest.raises(SystemExit) as exit_info:
    sampler_budget.main(["--config", "cifar10", "--workdir", str(tmp_path / "run")])
  assert exit_info.value.code == 2
  err = capsys.readouterr().err.strip()
  assert len(err.splitlines()) == 1 and "--features module:function" in err, err
  assert not (tmp_path / "run").exists()
  cifar10 = cli.load("cifar10", sampler_budget.CONFIG_DIR)
  assert cifar10.setups == ("cifar10_dcgan",)
  assert cifar10.cifar10_dcgan.kernels == ("MALA", "i-SIR", "Ex2MCMC")
  assert cifar10.cifar10_dcgan.fixed_steps == 1000


def test_sampler_budget_full_config_keeps_the_published_setups():
  from experiments import cli, configs, sampler_budget

  full = cli.load("full", sampler_budget.CONFIG_DIR)
  assert full.setups == ("grid25_meg", "shapes_dcgan") and (full.pilot_warmup, full.pool_chains) == (200, 256)
  for name, train_config, num_chains in (("grid25_meg", "grid25_meg", 2500),
                                         ("shapes_dcgan", "shapes_dcgan_hinge_sn", 1000)):
    setup = full[name]
    assert setup.gan.to_dict() == configs.get_config(train_config).to_dict()
    assert (setup.model_dir, setup.num_chains, setup.budgets, setup.kernels, setup.fixed_steps) == (
        f"runs/{train_config}", num_chains, (0, 10, 30, 100, 300), sampler_budget.KERNELS, None)
  assert full.cifar10_dcgan.gan.to_dict() == configs.get_config("cifar10_dcgan_hinge_sn").to_dict()
  assert full.cifar10_dcgan.num_chains == 10000


@pytest.mark.parametrize("argv,match", [
    (["--config.stepz=1"], r"unknown config field '?stepz"),
    (["--config.grid25_meg.gan.stepz=1"], r"unknown config field '?stepz'? Did you mean \"steps\""),
    (["--config.grid25_meg.num_chains=0"], r"config\.grid25_meg\.num_chains must be an integer >= 1, got 0\."),
    (["--config.grid25_meg.gan.steps=0"], r"config\.grid25_meg\.gan\.steps must be an integer >= 1, got 0\."),
    (["--config.grid25_meg.budgets=(0, 30, 10)"], r"config\.grid25_meg\.budgets must be increasing numbers >= 0"),
    (["--config.grid25_meg.kernels=('MALA', 'HMC')"], r"config\.grid25_meg\.kernels must name some of"),
    (["--config.setups=('grid25',)"],
     r"config\.setups must name some of \['cifar10_dcgan', 'grid25_meg', 'shapes_dcgan'\], got \('grid25',\)"),
    (["--config.pool_chains=0"], r"config\.pool_chains must be an integer >= 1, got 0\."),
    (["--features", "nomodule"], r"--features must be 'module:function', got 'nomodule'\."),
])
def test_sampler_budget_cli_errors_are_one_line_with_exit_status_2_and_nothing_written(argv, match, capsys,
                                                                                        tmp_path):
  from experiments import sampler_budget

  assert_cli_error(sampler_budget.main, argv, match, capsys, tmp_path / "run")


def test_sampler_budget_image_table_shows_precision_and_class_mix():
  from experiments import sampler_budget

  quality = {"frechet_distance": 450.0, "precision": 0.2, "recall": 0.5, "modes_covered": 10, "num_modes": 10,
             "kl_to_uniform": 0.17}
  results = {"setup": "shapes_dcgan", "num_chains": 8, "budgets": [0.0, 10.0], "fixed_steps": None,
             "methods": {"MALA": {"quality": {0.0: quality, 10.0: {**quality, "frechet_distance": 400.0}},
                                  "spent": {0.0: 0.0, 10.0: 10.0}, "acceptance": 0.57}}}
  table = sampler_budget.markdown_table(results)
  assert "| MALA | 450.0 (0.2, 0.17) | 400.0 (0.2, 0.17) | 10.0 | acceptance 0.57 |" in table
  assert "precision, KL of the classifier's class histogram" in table
