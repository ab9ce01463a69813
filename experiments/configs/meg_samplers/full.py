"""Latent samplers on the MEG energy model of the 5x5 grid: 2,500 samples five ways.

Command: python -m experiments.meg_samplers
Runtime: about 2 minutes on 2 CPU cores (training runs/grid25_meg), then about 20 s of sampling.
Result (seed 0, one CPU device, 2026-11-23): 25/25 modes with every sampler but truncation; % high
quality 72.3 with N(0, I) latents, 85.8 with MALA (acceptance 0.61, KL to uniform 0.027), 60.7 with
ULA at a quarter of MALA's step.

Fields: `gan` (the train config of the sampled model, every field overridable:
`--config.gan.steps=2000`), `run_name` (the default workdir is runs/<run_name>,
where `python -m experiments.train --config <run_name>` trains the same model),
`num_samples` per sampler, Langevin/MALA `num_warmup` and `num_steps`, the
hubness `pool_size`, and `meg_code` (add the MEG reference code's biased MALA).
`--config full:NAME` samples the named train config NAME instead of grid25_meg.
"""

import ml_collections

from experiments import configs


def get_config(train_config: str = "grid25_meg") -> ml_collections.ConfigDict:
  c = ml_collections.ConfigDict()
  c.gan = configs.get_config(train_config)
  c.run_name = train_config
  c.num_samples, c.num_warmup, c.num_steps, c.pool_size = 2500, 300, 500, 10000
  c.meg_code = False
  return c
