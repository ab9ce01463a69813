"""The loss zoo in seconds (CI): wgan and hinge x {natural, R1} x ring8 x 2 seeds, 30 steps of 32 x 32 MLPs.

Command: python -m experiments.loss_zoo --config quick --workdir /tmp/loss_zoo_quick
"""

import os

import ml_collections

from experiments import cli


def get_config() -> ml_collections.ConfigDict:
  c = cli.load("full", os.path.dirname(__file__))
  c.objectives, c.datasets, c.seeds, c.hidden = ("wgan", "hinge"), ("ring8",), 2, (32, 32)
  c.steps = ml_collections.ConfigDict({"ring8": 30})
  return c
