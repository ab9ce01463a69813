"""The minute-long smoke version of `full` (CI): tiny models trained in the work directory, 64 samples,
budgets up to 9, short pilots.

Command: python -m experiments.sampler_budget --config quick --workdir /tmp/b
"""

import os

import ml_collections

from experiments import cli, configs


def get_config() -> ml_collections.ConfigDict:
  c = cli.load("full", os.path.dirname(__file__))
  c.pilot_warmup, c.pool_chains = 10, 16
  for name, setup in c.items():
    if isinstance(setup, ml_collections.ConfigDict):
      setup.gan = configs.shrink_to_tiny(setup.gan)
      setup.update(model_dir=None, num_chains=64, budgets=(0, 3, 9), fixed_steps=None)
  return c
