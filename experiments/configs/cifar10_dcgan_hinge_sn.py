"""SN-GAN's DCGAN-style setting on CIFAR-10 (hinge + spectral norm), for machines with the TFDS data.

Command: python -m experiments.train --config cifar10_dcgan_hinge_sn
"""

import ml_collections

from experiments.configs._base import image_config


def get_config() -> ml_collections.ConfigDict:
  c = image_config("cifar10", features=64, latent_dim=128, num_samples=10000)
  c.objective.name, c.penalty.name, c.model.spectral_norm = "hinge", None, True
  c.optim.update(n_critic=1, generator_lr=2e-4, critic_lr=2e-4, b1=0.5, b2=0.999, ema_decay=0.9999)
  c.data.batch_size = 64
  c.steps, c.log_every, c.plot_every, c.checkpoint_every = 100_000, 100, 5000, 5000
  return c
