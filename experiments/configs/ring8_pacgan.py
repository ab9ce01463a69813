"""PacGAN's own protocol on the ring of 8 Gaussians (issue #20, item 2); `ring8_pacgan:m` packs m samples.

Recipe, commands, runtime and the remaining differences from the authors' code: `experiments/configs/_pacgan.py`.
PacGAN Table 1 here (mean of 10 trials): GAN 6.3 modes / 98.2% / KL 0.45; PacGAN2 7.9 / 95.6 / 0.07; PacGAN4 7.8 / 95.9 / 0.07.
"""

import ml_collections

from experiments.configs._pacgan import pacgan_config


def get_config(packing: str = "1") -> ml_collections.ConfigDict:
  return pacgan_config("ring8", packing)
