"""Non-saturating DCGAN with R1 on stacked shapes: the StackedMNIST protocol, 1000 modes.

The protocol the `stacked_shapes_*` configs share: 100,000 training images rendered for the seed, one DCGAN
(16-64 channels, latent 64), batch 64, 5,000 steps. At the end (and every 5,000 steps) 26,000 samples of the EMA
generator, each channel read by the in-project classifier, give the modes covered (of 1000) and the KL of the
mode histogram to uniform, and 10,000 give Frechet distance, precision and recall on its features. 26,000 is
the count R3GAN's evaluation draws; exact samples score KL ~ 0.019 there (0.050 at 10,000:
`jg.metrics.stacked_mode_count`), and a copy of a 10,000-image training set 0.073, of this one 0.025. The
runtimes of the `stacked_shapes_*` configs were measured on 10,000 images; rendering the 100,000 adds about
30 s (2.7 GB of host memory at its peak).

Command: python -m experiments.train --config stacked_shapes_dcgan_r1
Runtime: 10-12 minutes per seed on one core of the 2-core CPU (2026-11-24), rendering included; minutes on a
GPU (not measured).
Result, seeds 0-2, trained on 10,000 images (`--config.data.size=10000`) and evaluated with 26,000 samples:
987, 914 and 950 modes, KL 0.36, 0.76 and 0.53 (README, "Stacked shapes"; issue #20, item 4).
"""

import ml_collections

from experiments.configs._base import evaluator, image_config


def get_config() -> ml_collections.ConfigDict:
  c = image_config("stacked_shapes", num_samples=10000)
  c.data.size = 100_000
  c.evals.frechet.every_steps = 5000
  c.evals.stacked_modes = evaluator(every_steps=5000, num_samples=26_000)
  c.objective.name = "non_saturating"
  c.penalty.name, c.penalty.kwargs.gamma = "r1", 10.0
  c.optim.update(n_critic=1, generator_lr=2e-4, critic_lr=2e-4, ema_decay=0.999)
  c.data.batch_size = 64
  c.steps, c.log_every, c.plot_every, c.checkpoint_every = 5000, 50, 1000, 1000
  return c
