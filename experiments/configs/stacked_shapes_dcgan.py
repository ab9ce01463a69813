"""The DCGAN baseline on stacked shapes (1000 modes): the non-saturating loss without a regulariser.

Radford et al. (2016)'s optimiser (Adam 2e-4, betas (0.5, 0.999)) on `stacked_shapes_dcgan_r1`'s players,
data, budget and evaluation (26,000 samples for modes of 1000 and KL by the in-project classifier); the R1
penalty removed. The baseline row of the 1000-mode protocol (R3GAN's Table 3 lists DCGAN at 99 modes).

Command: python -m experiments.train --config stacked_shapes_dcgan
Runtime: 7-8 minutes per seed on one core of the 2-core CPU (2026-11-24). Result, seeds 0-2, trained on
10,000 images (`--config.data.size=10000`): 124, 12 and 84 modes, KL 4.09, 5.87 and 4.27 (README, "Stacked
shapes"; issue #20, item 4).
"""

import ml_collections

from experiments.configs import stacked_shapes_dcgan_r1


def get_config() -> ml_collections.ConfigDict:
  c = stacked_shapes_dcgan_r1.get_config()
  c.penalty.name, c.penalty.kwargs.gamma = None, None
  c.optim.update(generator_lr=2e-4, critic_lr=2e-4, b1=0.5, b2=0.999)
  return c
