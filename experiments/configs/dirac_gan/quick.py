"""The Dirac-GAN dynamics in seconds (CI): 400 gradient steps.

Command: python -m experiments.dirac_gan --config quick --workdir /tmp/dirac_gan_quick
"""

import os

import ml_collections

from experiments import cli


def get_config() -> ml_collections.ConfigDict:
  c = cli.load("full", os.path.dirname(__file__))
  c.steps = 400
  return c
