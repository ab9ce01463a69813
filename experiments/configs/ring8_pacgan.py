"""PacGAN's own protocol on the ring of 8 Gaussians: its networks, optimiser and budget, 10 seeds (issue #20, item 2).

The recipe and what differs from the authors' code: `experiments/configs/_pacgan.py`. The argument is the
packing m: `ring8_pacgan` (or `:1`) is the plain GAN of PacGAN's Table 1, `ring8_pacgan:2` PacGAN2, and so on.

Commands:
  python -m experiments.train --config ring8_pacgan       (work directory runs/ring8_pacgan)
  python -m experiments.train --config ring8_pacgan:4     (runs/ring8_pacgan_4)

PacGAN Table 1 (mean of 10 trials): Ring: GAN 6.3 modes / 98.2% / KL 0.45; PacGAN2 7.9 / 95.6 / 0.07; PacGAN4 7.8 / 95.9 / 0.07.

Runtime (measured, 2-core CPU, 2026-11-24): 41 steps/s for one run on one core, 71 on both; 400,000 steps are
about 94 minutes per seed there, the 10 vmapped seeds about 16 hours. GPU: not measured.
"""

import ml_collections

from experiments.configs._pacgan import pacgan_config


def get_config(packing: str = "1") -> ml_collections.ConfigDict:
  return pacgan_config("ring8", packing)
