"""The R3GAN loss on stacked shapes (1000 modes): relativistic pairing + R1 + R2, Adam betas (0, 0.99).

R3GAN's regularised relativistic GAN (Huang et al. 2024, "The GAN is dead; long live the GAN!"): the paired
relativistic loss (Jolicoeur-Martineau 2019) with the zero-centred penalty on both real and generated data
(`penalty.name = "r1_r2"`), Adam with betas (0, 0.99). It keeps `stacked_shapes_dcgan_r1`'s DCGAN players,
data, batch, budget and evaluation (26,000 samples for modes of 1000 and KL by the in-project classifier), so
the two differ only in the loss, the regulariser and the optimiser's betas and rate. Not R3GAN's architecture
(a modernised ResNet) nor its schedules: its loss and regulariser on this project's DCGAN.

Command: python -m experiments.train --config stacked_shapes_r3gan
Runtime: 10-12 minutes per seed on one core of the 2-core CPU (2026-11-24; 67 minutes on both cores before the
critic-loop speed-up, benchmarks/RESULTS.md section 6); minutes on a GPU (not measured).
Result, seeds 0-2, trained on 10,000 images (`--config.data.size=10000`): 1000 of 1000 modes on each, KL 0.17,
0.18 and 0.21 (R3GAN's Table 3: 1000, 0.029; exact samples score 0.019). Neither 15,000 steps on the 100,000
images, nor gamma 1 or 0.1, nor twice the width brought the KL below 0.17 (README, "Stacked shapes"; issue #20,
item 4).
"""

import ml_collections

from experiments.configs import stacked_shapes_dcgan_r1


def get_config() -> ml_collections.ConfigDict:
  c = stacked_shapes_dcgan_r1.get_config()
  c.objective.name = "relativistic"
  c.penalty.name = "r1_r2"
  c.optim.update(generator_lr=1e-3, critic_lr=1e-3, b1=0.0, b2=0.99)
  return c
