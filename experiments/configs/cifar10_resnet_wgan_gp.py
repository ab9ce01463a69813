"""The WGAN-GP CIFAR-10 ResNet (Gulrajani et al. 2017, Appendix F), for machines with the TFDS data.

Prepare once on a machine with network access: python -c "import tensorflow_datasets as tfds;
tfds.data_source('cifar10', download=True)". Command:
python -m experiments.train --config cifar10_resnet_wgan_gp
Runtime: a GPU-day-scale run (100k generator steps). Metrics need Inception
features you supply (see jaxgan.metrics); the run writes sample grids.
"""

from experiments.configs._base import base_config


def get_config() -> dict:
  return {**base_config(), "dataset": "cifar10", "model": "resnet", "image_features": 128, "latent_dim": 128,
          "objective": "wgan", "penalty": "wgan_gp", "n_critic": 5, "batch_size": 64, "steps": 100_000,
          "generator_lr": 2e-4, "critic_lr": 2e-4, "adam_b1": 0.0, "adam_b2": 0.9, "ema_decay": 0.9999,
          "eval_samples": 10000, "log_every": 100, "plot_every": 5000, "checkpoint_every": 5000}
