"""Non-saturating loss with the R1 penalty (Mescheder et al. 2018) on the ring of 8.

Command: python -m experiments.train --config ring8_ns_r1
"""

from experiments.configs._base import base_config


def get_config() -> dict:
  return {**base_config(), "objective": "non_saturating", "penalty": "r1", "penalty_kwargs": {"gamma": 1.0},
          "n_critic": 1, "steps": 8000}
