"""PacGAN's own protocol on the 5 x 5 grid of 25 Gaussians (issue #20, item 2); `grid25_pacgan:m` packs m samples.

Recipe, commands, runtime and the remaining differences from the authors' code: `experiments/configs/_pacgan.py`.
PacGAN Table 1 here (mean of 10 trials): GAN 17.3 modes / 94.8% / KL 0.70; PacGAN3 24.6 / 94.2 / 0.06; PacGAN4 24.8 / 93.6 / 0.04.
"""

import ml_collections

from experiments.configs._pacgan import pacgan_config


def get_config(packing: str = "1") -> ml_collections.ConfigDict:
  return pacgan_config("grid25", packing)
