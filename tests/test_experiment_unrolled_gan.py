"""experiments.unrolled_gan: Metz et al.'s 2-D players against NumPy, the quick config end to end, the CLI's errors."""

import json
import os
import re

import jax
import numpy as np
import pytest

from tests.cli_checks import assert_cli_error


def test_players_are_the_papers_networks_recomputed_in_numpy():
  """Generator: 2 x 128 ReLU then linear; critic: x / 4, 1 x 128 ReLU, linear logit; orthogonal init, gain 0.8."""
  from experiments import unrolled_gan

  z = jax.random.normal(jax.random.key(0), (7, 256))
  x = 3.0 * jax.random.normal(jax.random.key(1), (7, 2))
  g_params = unrolled_gan.Generator().init(jax.random.key(2), z)["params"]
  d_params = unrolled_gan.Critic().init(jax.random.key(3), x)["params"]
  relu = lambda a: np.maximum(a, 0.0)  # noqa: E731
  layer = lambda p, a: a @ np.asarray(p["kernel"], np.float64) + np.asarray(p["bias"], np.float64)  # noqa: E731
  z64, x64 = np.asarray(z, np.float64), np.asarray(x, np.float64)
  expected_x = layer(g_params["Dense_2"], relu(layer(g_params["Dense_1"], relu(layer(g_params["Dense_0"], z64)))))
  expected_d = layer(d_params["Dense_1"], relu(layer(d_params["Dense_0"], x64 / 4.0)))[:, 0]
  np.testing.assert_allclose(unrolled_gan.Generator().apply({"params": g_params}, z), expected_x, rtol=1e-4,
                             atol=1e-5)
  np.testing.assert_allclose(unrolled_gan.Critic().apply({"params": d_params}, x), expected_d, rtol=1e-4, atol=1e-5)
  assert sorted(g_params) == ["Dense_0", "Dense_1", "Dense_2"] and sorted(d_params) == ["Dense_0", "Dense_1"]
  w = np.asarray(g_params["Dense_1"]["kernel"], np.float64)  # square: W^T W = 0.8^2 I
  np.testing.assert_allclose(w.T @ w, 0.64 * np.eye(128), atol=1e-5)
  assert all(not np.any(np.asarray(p["bias"])) for p in [*g_params.values(), *d_params.values()])
  gan = unrolled_gan.build_gan(3, 2)
  assert (gan.unroll_steps, gan.num_runs, gan.latent_dim) == (3, 2, 256)


@pytest.mark.slow
def test_unrolled_gan_quick_writes_table_figure_and_resumes_by_cell(tmp_path, capsys):
  from experiments import unrolled_gan

  unrolled_gan.main(["--config", "quick", "--workdir", str(tmp_path)])
  assert "| ring8 | 0 |" in capsys.readouterr().out
  table = (tmp_path / "table.md").read_text()
  assert "| ring8 | 0 |" in table and "| ring8 | 1 |" in table
  results = json.loads((tmp_path / "results.json").read_text())
  assert [(c["dataset"], c["unroll_steps"], c["step"]) for c in results["cells"]] == [("ring8", 0, 20),
                                                                                        ("ring8", 1, 20)]
  assert [[len(r["runs"]) for r in c["history"]] for c in results["cells"]] == [[2, 2], [2, 2]]  # seeds per eval
  cells = {k: json.loads((tmp_path / f"ring8_K{k}.json").read_text()) for k in (0, 1)}
  assert [r["step"] for r in cells[1]["history"]] == [10, 20]
  plain, unrolled = (np.asarray(cells[k]["history"][-1]["samples_seed0"]) for k in (0, 1))
  assert plain.shape == (2500, 2) and np.all(np.isfinite(plain))
  assert not np.allclose(plain, unrolled)  # the same seed and data: only the unrolled generator updates differ
  assert (tmp_path / "unrolled_gan.png").exists()
  before = os.path.getmtime(tmp_path / "ring8_K1.json")
  unrolled_gan.main(["--config", "quick", "--workdir", str(tmp_path)])
  assert os.path.getmtime(tmp_path / "ring8_K1.json") == before  # finished cells are read, not retrained
  assert (tmp_path / "table.md").read_text() == table
  with pytest.raises(ValueError, match=r"ring8_K0.json holds 2 seeds evaluated at steps \[10, 20\], not this config's "
                     r"seeds \(2\), steps \(30\)"):  # a cell of another budget is never mixed into the table
    unrolled_gan.main(["--config", "quick", "--config.steps=30", "--workdir", str(tmp_path)])


def test_unrolled_gan_summary_is_the_mean_and_sample_std_of_the_final_evaluation():
  from experiments import unrolled_gan

  runs = lambda hq: [{"modes_covered": m, "num_modes": 8, "high_quality": h, "kl_to_uniform": k}  # noqa: E731
                     for m, h, k in hq]
  cell = {"history": [{"step": 5, "seconds": 1.0, "runs": runs([(1, 0.1, 2.0), (1, 0.1, 2.0)])},
                      {"step": 10, "seconds": 2.5, "runs": runs([(6, 0.3, 0.4), (8, 0.5, 0.2)])}]}
  s = unrolled_gan.summarise(cell)
  assert (s["step"], s["seconds"], s["num_modes"]) == (10, 2.5, 8)
  np.testing.assert_allclose(s["modes_covered"], (7.0, np.sqrt(2.0)))
  np.testing.assert_allclose(s["high_quality"], (0.4, np.std([0.3, 0.5], ddof=1)))
  np.testing.assert_allclose(s["kl_to_uniform"], (0.3, np.std([0.4, 0.2], ddof=1)))
  collapsed = {"dataset": "ring8", "unroll_steps": 0, "history": [
      {"step": 10, "seconds": 4.0, "runs": runs([(0, 0.0, np.inf), (1, 0.002, 2.0794)])}]}
  assert unrolled_gan.markdown_table([{**cell, "dataset": "ring8", "unroll_steps": 5}, collapsed]).splitlines()[2:] == [
      "| ring8 | 5 | 7.0 ± 1.4 /8 | 40.0 ± 14.1 | 0.300 ± 0.141 | 2 s |",
      "| ring8 | 0 | 0.5 ± 0.7 /8 | 0.1 ± 0.1 | inf | 4 s |"]  # a seed without a high-quality sample: KL inf


@pytest.mark.parametrize("override, field", [("--config.unroll_steps=(-1,)", "config.unroll_steps"),
                                             ("--config.datasets=(\"swiss_roll\",)", "config.datasets"),
                                             ("--config.eval_every=7", "multiple of config.eval_every"),
                                             ("--config.seedz=2", "seedz")])
def test_unrolled_gan_command_line_errors_are_one_line_before_anything_is_written(tmp_path, capsys, override, field):
  from experiments import unrolled_gan

  assert_cli_error(unrolled_gan.main, ["--config", "quick", override], re.escape(field), capsys, tmp_path / "u")
