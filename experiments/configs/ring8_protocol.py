"""Converged 2-D protocol run on the ring of 8 Gaussians: non-saturating GAN + lazy R1, five seeds.

Recipe: non-saturating loss (Goodfellow et al. 2014); R1 on reals (Mescheder et al. 2018), gamma 0.1, every 4th
step with weight x4 (Karras et al. 2020); n_critic 1; latent dim 2; batch 512; 3 x 128 MLPs; Adam (0.5, 0.9) at lr
1e-3 with cosine decay to 0; EMA 0.999 generator; 12,000 steps. Why: the ring's modes are tight (std 0.02, high
quality within 0.06 of a centre), so the HQ fraction is set by the bridge samples between neighbouring modes and by
the width of each generated mode; both shrink in the last, low-learning-rate part of the cosine schedule, so a
longer schedule and less gradient noise both help. Sweep (seeds 0-1 unless stated, 2026-11-24): 6,000 steps at
batch 256 96.0%; at batch 1024 97.3%; 12,000 steps at batch 256 98.2% (97.5 +- 1.0% over seeds 0-4, worst seed
95.9%); 16,000 steps at batch 256 97.8%; 12,000 steps at batch 512 98.2% (this config). The loss zoo showed that
3 x 128 beats 4 x 256 here; earlier single-seed sweeps found lr 1e-3 better than 5e-4 and 2e-4, and latent dim 8
worse than 2; an EMA of 0.9999 does not forget its initialisation within 12,000 steps (0 modes).
Evaluation: `jg.metrics.mode_coverage` (2,500 EMA samples, 3 sigma), as VEEGAN and PacGAN Table 1.

Command: python -m experiments.train --config ring8_protocol --workdir runs/ring8_protocol
  (num_runs = 5: seeds 0-4 as vmapped runs in one program; `final_metrics.json` has every seed, mean and std.)

Runtime (measured, one core of the 2-core CPU while the other ran another job): 667 s wall for the 5 vmapped
seeds, i.e. 2.2 min per seed.

Result (seeds 0-4, mean +- std, 2026-11-24, CPU): 8.0 +- 0.0 modes, 98.2 +- 0.5 % high quality, KL 0.0017 +-
0.0010 (per seed HQ 98.4, 98.0, 98.6, 98.6, 97.5 %). Goal of issue #20 (8/8, >= 98% HQ, KL <= 0.02): met.
Beside PacGAN Table 1: GAN 6.3 / 98.2% / 0.45, PacGAN2 7.9 / 95.6% / 0.07.
"""

import ml_collections

from experiments.configs._base import base_config


def get_config() -> ml_collections.ConfigDict:
  c = base_config()
  c.data.name = "ring8"
  c.num_runs = 5
  c.objective.name = "non_saturating"
  c.penalty.name, c.penalty.kwargs.gamma = "r1", 0.1
  c.penalty.interval = 4
  c.model.hidden = (128, 128, 128)
  c.optim.n_critic = 1
  c.optim.generator_lr = c.optim.critic_lr = 1e-3
  c.optim.lr_schedule = "cosine"
  c.optim.ema_decay = 0.999
  c.data.batch_size = 512
  c.steps = 12000
  c.plot_every = c.checkpoint_every = 4000
  return c
