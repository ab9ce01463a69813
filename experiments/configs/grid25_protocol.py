"""Converged 2-D protocol run on the 5x5 grid of 25 Gaussians: non-saturating GAN + lazy R1, five seeds.

Recipe: the non-saturating loss (Goodfellow et al. 2014) with the R1 penalty on real samples (Mescheder et al.
2018, "Which Training Methods for GANs do actually Converge?"), gamma 0.1, applied every 4th step with weight x4
(lazy regularisation, Karras et al. 2020), one critic step per generator step, 4 x 256 MLPs for both players,
latent dim 2, batch 256, Adam (0.5, 0.9) at 2e-3 for both players with cosine decay to 0, and samples from an
EMA (0.999) of the generator. Why: R1 makes the game converge locally, so the modes become sharp instead of
orbiting; the high-quality fraction is lost mostly to "bridge" samples between modes (a continuous generator of
a 2-D Gaussian must join the 25 components), and a large learning rate annealed to zero makes those transitions
steep: in 10,000-step sweeps (one seed per value) the final HQ rose from 56% (lr 2e-4) to 88% (5e-4), 91%
(1e-3) and 96% (2e-3), all with 25 modes. The issue's 30,000-step lr 2e-4 start point (25 / 93.2% / 0.005)
takes about 4 times the steps; 8,000 steps here is what fitted the 2-core time budget of this session. Evaluation:
`jg.metrics.mode_coverage` (2,500 EMA samples, 3 sigma), as VEEGAN and PacGAN Table 1.

Command: python -m experiments.train --config grid25_protocol --workdir runs/grid25_protocol
  (num_runs = 5: seeds 0-4 as vmapped runs in one program; `final_metrics.json` has every seed, mean and std.)

Runtime (measured, 2-core CPU shared with the ring run for its first 20 min and two other jobs throughout, so an
upper bound): 27 min wall (1,607 s) for the 5 vmapped seeds, i.e. 5.4 min per seed; one seed alone was not timed
with this recipe (a 1,000-step single-seed run of these networks with R1 every step ran at 56 steps/s: about
2.5 min for 8,000).

Result (seeds 0-4, mean +- std): 25.0 +- 0.0 modes, 93.5 +- 0.8 % high quality, KL 0.0079 +- 0.0011
(per seed HQ 93.6, 94.6, 92.3, 93.2, 93.7 %). Goal of issue #20 (>= 24.8 modes, >= 95% HQ, KL <= 0.03): modes and
KL met, HQ not: on 20,000 samples per seed, 4-5% lie more than 6 sigma from any mode (bridges) and about 2% at
3-6 sigma, while the modes' cores are narrower than the data's (median 0.6 vs 1.18 sigma). The single 10,000-step
lr 2e-3 sweep run (seed 2) reached 96.0%, so more steps are the first thing to try. Beside PacGAN Table 1: GAN
17.3 / 94.8% / 0.70, PacGAN4 24.8 / 93.6% / 0.04.
(2026-11-23, CPU.)
"""

import ml_collections

from experiments.configs import ring8_protocol


def get_config() -> ml_collections.ConfigDict:
  c = ring8_protocol.get_config()  # the same recipe on wider networks, at a larger learning rate and budget
  c.data.name = "grid25"
  c.model.hidden = (256, 256, 256, 256)  # the ring's 3 x 128 gives 88.8% HQ here (the loss zoo's NS + R1 grid cell)
  c.optim.generator_lr = c.optim.critic_lr = 2e-3
  c.steps = 8000
  return c
