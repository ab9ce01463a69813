"""A seconds-long config for smoke tests and CI.

Command: python -m experiments.train --config tiny --workdir /tmp/tiny
"""

import ml_collections

from experiments.configs._base import base_config


def get_config() -> ml_collections.ConfigDict:
  c = base_config()
  c.model.hidden = (32, 32)
  c.data.batch_size = 64
  c.optim.n_critic = 2
  c.steps, c.log_every, c.plot_every, c.checkpoint_every = 40, 10, 20, 20
  c.evals.modes.num_samples = 500
  return c
