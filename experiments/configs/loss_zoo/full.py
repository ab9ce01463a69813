"""The published loss zoo: every objective of `jg.losses` x {natural regulariser, R1} x {ring8, grid25} x 5 seeds.

Each cell is its dataset's converged protocol recipe (`ring8_protocol`: 6,000 steps at lr 1e-3;
`grid25_protocol`: 8,000 steps at lr 2e-3; both Adam (0.5, 0.9) with cosine decay to 0, EMA 0.999 generator,
latent 2, batch 256) on MLPs of 3 x 128, with the objective, its regulariser and n_critic swapped in; R1 is the
protocol's (gamma 0.1, every 4th step).

Command: python -m experiments.loss_zoo
  (or one dataset or a few objectives at a time, e.g. --config.datasets=grid25
  --config.objectives='("wgan", "hinge")', into the same --workdir; the plain command then skips the finished
  cells and assembles the table)
Runtime: see the README's loss-zoo section (per cell, 5 vmapped seeds, 2-core CPU: about 2 min with one
critic step, 3-4x that with five).

Fields: `objectives` (names from `jg.losses.available()`; empty: all of them), `datasets` (2-D datasets with
modes), `seeds` (a cell trains seeds 0..seeds-1 as vmapped runs), `steps` (0: the protocol config's) and
`hidden` (the MLP widths) of every run.
"""

import ml_collections


def get_config() -> ml_collections.ConfigDict:
  c = ml_collections.ConfigDict()
  c.objectives = ()
  c.datasets = ("ring8", "grid25")
  c.seeds = 5
  c.steps = 0
  c.hidden = (128, 128, 128)
  return c
