"""experiments.dirac_gan: its quick config end to end, and the command line's errors."""

import re

import jax
import numpy as np
import pytest

from tests.cli_checks import assert_cli_error


def test_dirac_gan_field_matches_the_closed_form_and_only_regularised_dynamics_converge(tmp_path):
  from experiments import cli, dirac_gan

  theta, psi = 0.7, -1.3
  sigmoid = 1.0 / (1.0 + np.exp(-psi * theta))
  # Minimax: L_D = softplus(-D(0)) + softplus(D(theta)), L_G = -softplus(D(theta)) (Mescheder et al. 2018, Eq. 4).
  np.testing.assert_allclose(dirac_gan.vector_field("minimax")(jax.numpy.array([theta, psi])),
                             [-psi * sigmoid, theta * sigmoid], rtol=1e-5)
  config = cli.load("quick", dirac_gan.CONFIG_DIR)
  assert (config.steps, config.learning_rate) == (400, 0.1)
  results = dirac_gan.run(config, str(tmp_path))
  for scheme in ("simultaneous", "alternating"):
    assert results["non_saturating + r1"][scheme]["converged"]
    assert results["non_saturating + consensus"][scheme]["converged"]
    for name in ("minimax", "wgan", "wgan_gp"):
      assert not results[name][scheme]["converged"]
  assert results["minimax"]["simultaneous"]["final_distance"] > np.hypot(*dirac_gan.START)  # spirals out
  assert (tmp_path / "dirac_gan.png").exists() and "| minimax |" in (tmp_path / "table.md").read_text()


def test_dirac_gan_main_runs_the_quick_config(tmp_path, capsys):
  from experiments import dirac_gan

  dirac_gan.main(["--config", "quick", "--config.steps=50", "--workdir", str(tmp_path)])
  assert '"steps": 50' in (tmp_path / "results.json").read_text() and "| minimax |" in capsys.readouterr().out


@pytest.mark.parametrize("override, field", [("--config.stepz=1", "stepz"),
                                             ("--config.learning_rate=0", "config.learning_rate"),
                                             ("--config.steps=0", "config.steps")])
def test_dirac_gan_command_line_errors_are_one_line_before_anything_is_written(tmp_path, capsys, override, field):
  from experiments import dirac_gan

  assert_cli_error(dirac_gan.main, ["--config", "quick", override], re.escape(field), capsys, tmp_path / "dirac")
