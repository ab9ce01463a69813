"""experiments.idempotent: its quick config end to end, the `--features` hook and command-line errors."""

import json
import math
import re

import numpy as np
import pytest

from experiments import idempotent
from experiments.tasks import images

from tests.cli_checks import assert_cli_error


def pixel_features(x):
  """A user feature function for `--features`: the first 64 pixels of each image."""
  return np.asarray(x).reshape(len(x), -1)[:, :64]


def test_idempotent_quick_trains_and_scores_one_and_two_steps(tmp_path):
  idempotent.main(["--config", "quick", "--config.datasets=('ring8',)", "--workdir", str(tmp_path),
                   "--noprogress"])
  written = json.loads((tmp_path / "results.json").read_text())
  results = written["results"]["ring8"]
  assert set(results) == {"IGN f(z)", "IGN f(f(z))"}
  assert results["IGN f(z)"]["num_modes"] == 8
  assert written["config"]["setups"]["ring8"]["steps"] == 40 and written["config"]["datasets"] == ["ring8"]
  assert "| ring8 | IGN f(z) |" in (tmp_path / "table.md").read_text()
  assert (tmp_path / "samples.png").exists()


@pytest.mark.slow
def test_idempotent_scores_the_shapes_on_the_features_flag(tmp_path):
  spec = f"{__name__}:pixel_features"
  try:
    idempotent.main(["--config", "quick", "--config.datasets=('shapes',)", "--workdir", str(tmp_path),
                     "--noprogress", "--features", spec])
  finally:
    images.use_features(None)
  results = json.loads((tmp_path / "results.json").read_text())["results"]["shapes"]
  for method in ("IGN f(z)", "IGN f(f(z))"):
    assert results[method]["features"] == spec and math.isfinite(results[method]["frechet_distance"])
    assert "inception_score" not in results[method]  # the user's function gave features only, no logits
  assert "| shapes | IGN f(z) | FD " in (tmp_path / "table.md").read_text()


@pytest.mark.parametrize("argv, named", [
    (["--config.stepz=1"], "stepz"),
    (["--config.setups.ring8.steps=0"], "config.setups.ring8.steps"),
    (["--config.setups.ring8.ema_decay=1.0"], "config.setups.ring8.ema_decay"),
    (["--config.datasets=('ring9',)"], "config.datasets"),
    (["--config.setups.ring8.gan_configs=('grid25_meg',)"], "config.setups.ring8.gan_configs"),
    (["--features", "no_such_module:fn"], "--features"),
])
def test_idempotent_bad_command_line_is_one_line_and_exit_2_before_writing(tmp_path, capsys, argv, named):
  assert_cli_error(idempotent.main, ["--config", "quick", "--noprogress", *argv], re.escape(named), capsys,
                   tmp_path / "out")
