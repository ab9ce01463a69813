"""MEG (Kumar et al. 2019) on the 5x5 grid at the converged protocol recipe, five seeds: the loss zoo's energy cell.

`grid25_protocol`'s optimiser, cosine schedule to 0 at lr 2e-3, EMA 0.999 generator and latent 2, at the loss
zoo's grid budget (batch 256, 8,000 generator steps), with `grid25_meg`'s model: the energy critic with R1 on
reals (gamma 0.2, every step), five critic steps per generator step, the JSD entropy estimate, 3 x 128 MLPs. It is the loss zoo's
`energy` / natural cell (`python -m experiments.loss_zoo --config.datasets=grid25
--config.objectives='("energy",)'`), named so that the latent samplers can be run on it.

Command: python -m experiments.meg_samplers --config full:grid25_meg_protocol
  (trains runs/grid25_meg_protocol if needed, then samples every seed five ways; table: mean +- std over seeds)
Runtime and result: the README's section "Latent MCMC on the converged grid models" (issue #20, item 6).
"""

import ml_collections

from experiments.configs import grid25_protocol


def get_config() -> ml_collections.ConfigDict:
  c = grid25_protocol.get_config()
  c.objective.name, c.objective.entropy_estimator = "energy", "jsd"
  c.penalty.kwargs.gamma, c.penalty.interval = 0.2, 1
  c.optim.n_critic = 5
  c.model.hidden = (128, 128, 128)
  c.steps, c.data.batch_size = 8000, 256  # the zoo's grid budget (grid25_protocol's was 8,000 steps then)
  return c
