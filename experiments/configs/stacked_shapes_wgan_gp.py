"""WGAN-GP on stacked shapes (1000 modes): Gulrajani et al. (2017)'s loss, penalty and optimiser.

The Wasserstein critic loss with the gradient penalty (lambda 10) at random interpolates, five critic steps per
generator step, Adam 1e-4 with betas (0.5, 0.9), on `stacked_shapes_dcgan_r1`'s players, data, batch,
generator-step budget and evaluation (26,000 samples for modes of 1000 and KL by the in-project classifier).
R3GAN's Table 3 lists WGAN-GP at 959 modes, KL 0.73.

Command: python -m experiments.train --config stacked_shapes_wgan_gp
Runtime: about 23 minutes per seed on one core of the 2-core CPU (2026-11-24). Result, seeds 0-2, trained on
10,000 images (`--config.data.size=10000`): 991, 997 and 997 modes, KL 0.38, 0.28 and 0.30; FD 1110-1201,
recall 0.21-0.25 (README, "Stacked shapes"; issue #20, item 4).
"""

import ml_collections

from experiments.configs import stacked_shapes_dcgan_r1


def get_config() -> ml_collections.ConfigDict:
  c = stacked_shapes_dcgan_r1.get_config()
  c.objective.name = "wgan"
  c.penalty.name, c.penalty.kwargs.gamma = "wgan_gp", None
  c.optim.update(n_critic=5, generator_lr=1e-4, critic_lr=1e-4, b1=0.5, b2=0.9)
  return c
