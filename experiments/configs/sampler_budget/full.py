"""Every latent sampler at equal cost on the MEG energy model (grid25_meg) and the shapes DCGAN.

Command: python -m experiments.sampler_budget
Runtime: grid25_meg about 3 minutes on 2 CPU cores once runs/grid25_meg exists (training it: about
2 minutes); shapes_dcgan about 70 s of training and 3 minutes of sampling on one H100 (well over an
hour on 2 CPU cores). Result (2026-11-22, with the earlier hand-assembled train step): on grid25_meg
the exact samplers settle at 71-74% high quality with 25/25 modes; on the shapes every sampler that
targets p_g e^d lowers the Frechet distance from 623 to 435-470 (MH-GAN 442 by B = 10).

Fields: `setups` (the setups run, in order), `pilot_warmup` and `pool_chains`
(the step-size pilot chains), and one section per setup:
`gan` (the train config of its model, every field overridable:
`--config.shapes_dcgan.gan.steps=2000`), `model_dir` (where the model is
trained or resumed: runs/<train config>, where `python -m experiments.train
--config <train config>` puts it; None: the setup's output directory),
`num_chains` (samples per method), `budgets` (gradient equivalents per
sample), `kernels` (the methods) and `fixed_steps` (the published mirror:
every chain runs this many steps in place of the budgets).
"""

import ml_collections
from ml_collections import config_dict

from experiments import configs

ALL_METHODS = ("ULA", "MALA", "Barker", "i-SIR", "Ex2MCMC", "DOT", "DGflow", "MH-GAN", "DRS")


def setup(train_config: str, num_chains: int, budgets: tuple, kernels: tuple,
          fixed_steps: int | None = None) -> ml_collections.ConfigDict:
  """A setup: the named train config's model, trained in runs/<train_config>, and the sampling sizes."""
  return ml_collections.ConfigDict(dict(
      gan=configs.get_config(train_config),
      model_dir=config_dict.FieldReference(f"runs/{train_config}", field_type=str),
      num_chains=num_chains, budgets=budgets, kernels=kernels,
      fixed_steps=config_dict.FieldReference(fixed_steps, field_type=int)))


def get_config() -> ml_collections.ConfigDict:
  c = ml_collections.ConfigDict()
  c.setups = ("grid25_meg", "shapes_dcgan")
  c.pilot_warmup, c.pool_chains = 200, 256
  c.grid25_meg = setup("grid25_meg", 2500, (0, 10, 30, 100, 300), ALL_METHODS)
  c.shapes_dcgan = setup("shapes_dcgan_hinge_sn", 1000, (0, 10, 30, 100, 300), ALL_METHODS)
  # Samsonov et al. (2022, Table 3): no sampler, MALA, i-SIR and Ex2MCMC at 1,000 steps, scored by FID.
  c.cifar10_dcgan = setup("cifar10_dcgan_hinge_sn", 10000, (), ("MALA", "i-SIR", "Ex2MCMC"), fixed_steps=1000)
  return c
