"""The unrolled GAN at Metz et al. (2017)'s 2-D protocol on the ring of 8: K = 0 and K = 5, seeds 0-2, 20,000 steps.

Command: python -m experiments.unrolled_gan
  (the grid of 25 as well: --config.datasets='("ring8", "grid25")'; one cell at a time into the same --workdir:
  --config.unroll_steps='(5,)')
Runtime: see the README's unrolled-GAN section (2-core CPU, 3 seeds: 6-7 min for K = 0, 23-39 min for K = 5).

Fields: `datasets` (2-D datasets with modes), `unroll_steps` (K of each cell), `seeds` (vmapped runs),
`steps` (generator steps) and `eval_every` (steps between evaluations; divides `steps`).
"""

import ml_collections


def get_config() -> ml_collections.ConfigDict:
  c = ml_collections.ConfigDict()
  c.datasets = ("ring8",)
  c.unroll_steps = (0, 5)
  c.seeds = 3
  c.steps = 20000
  c.eval_every = 5000
  return c
