"""The unrolled-GAN study in seconds (CI): K = 0 and 1, two seeds, 20 steps, two evaluations.

Command: python -m experiments.unrolled_gan --config quick --workdir /tmp/unrolled_gan_quick
"""

import os

import ml_collections

from experiments import cli


def get_config() -> ml_collections.ConfigDict:
  c = cli.load("full", os.path.dirname(__file__))
  c.unroll_steps = (0, 1)
  c.seeds, c.steps, c.eval_every = 2, 20, 10
  return c
