"""Hinge loss with a spectrally normalised critic (SN-GAN) on the ring of 8.

Command: python -m experiments.train --config ring8_hinge_sn
"""

from experiments.configs._base import base_config


def get_config() -> dict:
  return {**base_config(), "objective": "hinge", "penalty": None, "spectral_norm": True, "n_critic": 1,
          "steps": 8000}
