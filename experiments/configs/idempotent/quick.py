"""The IGN study in seconds (CI): tiny networks, 40 steps, 200 evaluation samples, no GAN references.

Command: python -m experiments.idempotent --config quick --workdir /tmp/ign_quick
"""

import os

import ml_collections

from experiments import cli


def get_config() -> ml_collections.ConfigDict:
  c = cli.load("full", os.path.dirname(__file__))
  for setup in c.setups.values():
    setup.update(gan_configs=(), steps=40, eval_samples=200)
    if "hidden" in setup:
      setup.hidden = (32, 32)
    else:
      setup.features = (8, 16, 32)
  return c
