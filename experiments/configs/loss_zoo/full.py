"""The published loss zoo: every objective of `jg.losses` x {natural regulariser, R1} x {ring8, grid25} x 5 seeds.

Each cell is its dataset's converged protocol recipe (`ring8_protocol` at lr 1e-3, `grid25_protocol` at lr 2e-3;
both Adam (0.5, 0.9) with cosine decay to 0, EMA 0.999 generator, latent 2) at the zoo's own budget (6,000
steps on the ring, 8,000 on the grid, batch 256: the budgets of those configs when the zoo was run; they have
since grown, see their docstrings) on MLPs of 3 x 128, with the objective, its regulariser and n_critic swapped
in; R1 is the protocol's (gamma 0.1, every 4th step).

Command: python -m experiments.loss_zoo
  (or one dataset or a few objectives at a time, e.g. --config.datasets=grid25
  --config.objectives='("wgan", "hinge")', into the same --workdir; the plain command then skips the finished
  cells and assembles the table)
Runtime: see the README's loss-zoo section (per cell, 5 vmapped seeds, 2-core CPU: about 2 min with one
critic step, 3-4x that with five).

Fields: `objectives` (names from `jg.losses.available()`; empty: all of them), `datasets` (2-D datasets with
modes), `seeds` (a cell trains seeds 0..seeds-1 as vmapped runs), `steps` (generator steps of each
dataset's cells: `--config.steps.grid25=16000`), `batch_size` and `hidden` (the MLP widths) of every run.
"""

import ml_collections


def get_config() -> ml_collections.ConfigDict:
  c = ml_collections.ConfigDict()
  c.objectives = ()
  c.datasets = ("ring8", "grid25")
  c.seeds = 5
  c.steps = ml_collections.ConfigDict({"ring8": 6000, "grid25": 8000})
  c.batch_size = 256
  c.hidden = (128, 128, 128)
  return c
