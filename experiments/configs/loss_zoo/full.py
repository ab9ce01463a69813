"""The published loss zoo: every objective of `jg.losses` x {natural regulariser, R1} x {ring8, grid25} x 3 seeds.

Command: python -m experiments.loss_zoo
  (or one process per dataset, --config.datasets=ring8 and --config.datasets=grid25, then the plain command,
  which skips the finished cells and assembles the table)
Runtime: about 75 minutes on 2 CPU cores in two processes, one per dataset.
Result: the README's loss-zoo table, 288 runs of 2,000 steps (MLPs of 3 x 128, batch 256, seeds 0-2); e.g. with R1
every GAN objective covers 8/8 ring modes at 73-86% high quality, and wgan + wgan_gp covers 16.0/25 grid modes.

Fields: `objectives` (names from `jg.losses.available()`; empty: all of them), `datasets` (2-D datasets with
modes), `seeds` (a cell trains seeds 0..seeds-1 as vmapped runs), `steps` and `hidden` (the MLP widths) of
every run.
"""

import ml_collections


def get_config() -> ml_collections.ConfigDict:
  c = ml_collections.ConfigDict()
  c.objectives = ()
  c.datasets = ("ring8", "grid25")
  c.seeds = 3
  c.steps = 2000
  c.hidden = (128, 128, 128)
  return c
