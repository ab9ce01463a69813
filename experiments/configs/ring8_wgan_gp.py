"""WGAN-GP on the ring of 8 Gaussians: the default job.

Command: python -m experiments.train
Runtime: about 1.5 minutes on 2 CPU cores.
Expected: 8/8 modes covered, >= 80% high-quality samples (EMA generator, 2,500 samples).
"""

import ml_collections

from experiments.configs._base import base_config


def get_config() -> ml_collections.ConfigDict:
  return base_config()
