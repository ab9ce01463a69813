"""DCGAN WGAN-GP on the offline shapes dataset (10 classes, no download).

Command: python -m experiments.train --config shapes_dcgan_wgan_gp
Runtime: about 20 minutes on 2 CPU cores (a minute on a GPU). Scored with the
in-project classifier's features (Frechet distance, KID, precision/recall,
density/coverage).
"""

import ml_collections

from experiments.configs._base import image_config


def get_config() -> ml_collections.ConfigDict:
  c = image_config("shapes")
  c.optim.update(n_critic=5, generator_lr=2e-4, critic_lr=2e-4, ema_decay=0.999)
  c.data.batch_size = 64
  c.steps, c.log_every, c.plot_every, c.checkpoint_every = 3000, 50, 500, 500
  return c
