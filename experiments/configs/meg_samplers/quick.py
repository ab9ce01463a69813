"""The seconds-long smoke version of `full` (CI): the tiny config's training sizes, 200 samples, short chains.

Command: python -m experiments.meg_samplers --config quick --workdir /tmp/meg_quick
"""

import os

import ml_collections

from experiments import cli, configs


def get_config(train_config: str = "grid25_meg") -> ml_collections.ConfigDict:
  c = cli.load(f"full:{train_config}", os.path.dirname(__file__))
  c.gan = configs.shrink_to_tiny(c.gan)
  c.num_samples, c.num_warmup, c.num_steps, c.pool_size = 200, 20, 20, 400
  return c
