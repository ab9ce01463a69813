"""WGAN-GP on the 5x5 grid of 25 Gaussians.

Command: python -m experiments.train --config grid25_wgan_gp
Runtime: about 3 minutes on 2 CPU cores.
"""

from experiments.configs._base import base_config


def get_config() -> dict:
  return {**base_config(), "dataset": "grid25", "steps": 8000}
