"""A seconds-long config for smoke tests and CI.

Command: python -m experiments.train --config tiny --workdir /tmp/tiny
"""

from experiments.configs._base import base_config


def get_config() -> dict:
  return {**base_config(), "hidden": [32, 32], "batch_size": 64, "n_critic": 2, "steps": 40, "log_every": 10,
          "plot_every": 20, "checkpoint_every": 20, "eval_samples": 500}
