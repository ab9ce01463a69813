"""DCGAN with the hinge loss and spectral normalisation (Miyato et al. 2018) on the offline shapes.

Command: python -m experiments.train --config shapes_dcgan_hinge_sn
Runtime: about 30 minutes on 2 CPU cores (2.6 steps/s); about 70 s on one H100. Result (seed 0): Frechet
distance 561 on the in-project classifier features, precision 0.14, recall 0.43 (CPU); 418 and 512 in two
H100 runs (GPU training is not bit-reproducible).
"""

from experiments.configs._base import base_config


def get_config() -> dict:
  return {**base_config(), "dataset": "shapes", "model": "dcgan", "image_features": 16, "latent_dim": 64,
          "objective": "hinge", "penalty": None, "spectral_norm": True, "n_critic": 1, "batch_size": 64,
          "steps": 5000, "generator_lr": 2e-4, "critic_lr": 2e-4, "ema_decay": 0.999, "eval_samples": 2000,
          "log_every": 50, "plot_every": 1000, "checkpoint_every": 1000}
