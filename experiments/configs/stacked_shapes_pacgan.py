"""PacGAN2 on stacked shapes (1000 modes): the DCGAN baseline whose critic scores packs of two samples.

`stacked_shapes_dcgan` (non-saturating, no regulariser, Adam 2e-4 with betas (0.5, 0.999)) with
`model.packing = 2`: the critic sees two real or two generated images concatenated along the channel axis
(Lin et al. 2018, Section 3), the same generator-step budget and evaluation. R3GAN's Table 3 lists PacGAN at 992
modes, KL 0.28; `--config.model.packing=4` packs four.

Command: python -m experiments.train --config stacked_shapes_pacgan
Runtime: about 7 minutes per seed on one core of the 2-core CPU (2026-11-24). Result, seeds 0-2, trained on
10,000 images (`--config.data.size=10000`): 943, 861 and 831 modes, KL 0.66, 0.95 and 1.00 (README, "Stacked
shapes"; issue #20, item 4).
"""

import ml_collections

from experiments.configs import stacked_shapes_dcgan


def get_config() -> ml_collections.ConfigDict:
  c = stacked_shapes_dcgan.get_config()
  c.model.packing = 2
  return c
