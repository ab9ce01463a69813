"""Non-saturating DCGAN with R1 on stacked shapes: the StackedMNIST protocol, 1000 modes.

Command: python -m experiments.train --config stacked_shapes_dcgan_r1
Runtime: 10-11 minutes per seed on one core of the 2-core CPU (2026-11-24); minutes on a GPU (not measured).
Result, seeds 0-2: 952, 839 and 893 modes, KL 0.39, 0.79 and 0.57 (README, "Stacked shapes"; issue #20, item 4). Reports modes covered (of
1000) and KL to uniform over modes, from the in-project classifier.
"""

import ml_collections

from experiments.configs._base import evaluator, image_config


def get_config() -> ml_collections.ConfigDict:
  c = image_config("stacked_shapes", num_samples=10000)
  c.evals.stacked_modes = evaluator(num_samples=10000)
  c.objective.name = "non_saturating"
  c.penalty.name, c.penalty.kwargs.gamma = "r1", 10.0
  c.optim.update(n_critic=1, generator_lr=2e-4, critic_lr=2e-4, ema_decay=0.999)
  c.data.batch_size = 64
  c.steps, c.log_every, c.plot_every, c.checkpoint_every = 5000, 50, 1000, 1000
  return c
