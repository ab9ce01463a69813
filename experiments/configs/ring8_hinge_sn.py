"""Hinge loss with a spectrally normalised critic (SN-GAN) on the ring of 8.

Command: python -m experiments.train --config ring8_hinge_sn
"""

import ml_collections

from experiments.configs._base import base_config


def get_config() -> ml_collections.ConfigDict:
  c = base_config()
  c.objective.name, c.penalty.name, c.model.spectral_norm = "hinge", None, True
  c.optim.n_critic = 1
  c.steps = 8000
  return c
