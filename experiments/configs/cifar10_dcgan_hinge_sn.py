"""SN-GAN's DCGAN-style setting on CIFAR-10 (hinge + spectral norm), for machines with the TFDS data.

Command: python -m experiments.train --config cifar10_dcgan_hinge_sn
"""

from experiments.configs._base import base_config


def get_config() -> dict:
  return {**base_config(), "dataset": "cifar10", "model": "dcgan", "image_features": 64, "latent_dim": 128,
          "objective": "hinge", "penalty": None, "spectral_norm": True, "n_critic": 1, "batch_size": 64,
          "steps": 100_000, "generator_lr": 2e-4, "critic_lr": 2e-4, "adam_b1": 0.5, "adam_b2": 0.999,
          "ema_decay": 0.9999, "eval_samples": 10000, "log_every": 100, "plot_every": 5000,
          "checkpoint_every": 5000}
