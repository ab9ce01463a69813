"""DCGAN WGAN-GP on the offline shapes dataset (10 classes, no download).

Command: python -m experiments.train --config shapes_dcgan_wgan_gp
Runtime: about 20 minutes on 2 CPU cores (a minute on a GPU). Scored with the
in-project classifier's features (Frechet distance, KID, precision/recall,
density/coverage).
"""

from experiments.configs._base import base_config


def get_config() -> dict:
  return {**base_config(), "dataset": "shapes", "model": "dcgan", "image_features": 16, "latent_dim": 64,
          "objective": "wgan", "penalty": "wgan_gp", "n_critic": 5, "batch_size": 64, "steps": 3000,
          "generator_lr": 2e-4, "critic_lr": 2e-4, "ema_decay": 0.999, "eval_samples": 2000, "log_every": 50,
          "plot_every": 500, "checkpoint_every": 500}
