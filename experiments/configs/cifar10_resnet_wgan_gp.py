"""The WGAN-GP CIFAR-10 ResNet (Gulrajani et al. 2017, Appendix F), for machines with the TFDS data.

Prepare once on a machine with network access: python -c "import tensorflow_datasets as tfds;
tfds.data_source('cifar10', download=True)". Command:
python -m experiments.train --config cifar10_resnet_wgan_gp
Runtime: a GPU-day-scale run (100k generator steps). Metrics need Inception
features you supply (see jaxgan.metrics); the run writes sample grids.
"""

import ml_collections

from experiments.configs._base import image_config


def get_config() -> ml_collections.ConfigDict:
  c = image_config("cifar10", model="resnet", features=128, latent_dim=128, num_samples=10000)
  c.optim.update(n_critic=5, generator_lr=2e-4, critic_lr=2e-4, b1=0.0, b2=0.9, ema_decay=0.9999)
  c.data.batch_size = 64
  c.steps, c.log_every, c.plot_every, c.checkpoint_every = 100_000, 100, 5000, 5000
  return c
