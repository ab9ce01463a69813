"""Non-saturating loss with the R1 penalty (Mescheder et al. 2018) on the ring of 8.

Command: python -m experiments.train --config ring8_ns_r1
"""

import ml_collections

from experiments.configs._base import base_config


def get_config() -> ml_collections.ConfigDict:
  c = base_config()
  c.objective.name = "non_saturating"
  c.penalty.name, c.penalty.kwargs.gamma = "r1", 1.0
  c.optim.n_critic = 1
  c.steps = 8000
  return c
