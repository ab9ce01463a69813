"""PacGAN's own protocol on the 5 x 5 grid of 25 Gaussians: its networks, optimiser and budget, 10 seeds (issue #20, item 2).

The recipe and what differs from the authors' code: `experiments/configs/_pacgan.py`. The argument is the
packing m: `grid25_pacgan` (or `:1`) is the plain GAN of PacGAN's Table 1, `grid25_pacgan:2` PacGAN2, and so on.

Commands:
  python -m experiments.train --config grid25_pacgan       (work directory runs/grid25_pacgan)
  python -m experiments.train --config grid25_pacgan:4     (runs/grid25_pacgan_4)

PacGAN Table 1 (mean of 10 trials): Grid: GAN 17.3 modes / 94.8% / KL 0.70; PacGAN3 24.6 / 94.2 / 0.06; PacGAN4 24.8 / 93.6 / 0.04.

Runtime (measured, 2-core CPU, 2026-11-24): 41 steps/s for one run on one core, 71 on both; 400,000 steps are
about 94 minutes per seed there, the 10 vmapped seeds about 16 hours. GPU: not measured.
"""

import ml_collections

from experiments.configs._pacgan import pacgan_config


def get_config(packing: str = "1") -> ml_collections.ConfigDict:
  return pacgan_config("grid25", packing)
