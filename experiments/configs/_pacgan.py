"""PacGAN's 2-D protocol (Lin et al., NeurIPS 2018, Section 5.1 and Table 1), shared by `ring8_pacgan` and `grid25_pacgan`.

The recipe of the authors' code (github.com/fjxmlzn/PacGAN, `synthetic_data_experiments`):

- generator: 4 x 400 ReLU MLP, each hidden layer bias-free and batch-normalised (running averages when
  sampling), latent z ~ N(0, I_2);
- discriminator: 3 x 200 LinearMaxout layers of 5 pieces, then a linear score; with packing m it reads m
  samples concatenated (input 2m);
- every kernel initialised N(0, 0.02^2), biases 0;
- the standard GAN loss (discriminator: softplus(-D(x)) + softplus(D(G(z))); generator: the non-saturating
  softplus(-D(G(z)))), no regulariser, no EMA;
- both players updated simultaneously from the same parameters (ALI's `ali_algorithm`), Adam lr 1e-4,
  beta1 0.8 (beta2 0.999), constant;
- batch 100 packed examples, i.e. 100 m samples of each side; 400 epochs of 100,000 samples = 400,000 steps;
- the data: a fixed set of 100,000 samples per trial, reshuffled every epoch (`data.toy_dataset_size`);
- 2,500 samples scored at the end: a sample is high quality within 3 std of its nearest mode, mode coverage,
  KL of the mode histogram to uniform; 10 trials (here seeds 0-9 as vmapped runs).

Differences that remain: with packing m the generator's batch norm normalises the step's 100 m fakes together
(PacGAN: each of its m generator calls normalises its own 100); the generator's step draws its own latents
(PacGAN reuses the discriminator's); the running averages move once per generator step with weight 0.05
(PacGAN: once per generator call, averaged). jaxgan's ring is PacGAN's scaled by 2 (radius 2, std 0.02), the same ratio. Adam's
beta1 0.8 is read in today's convention, as the paper states it (Blocks before 2016 took 1 - beta).

Commands (the argument is the packing m; each packing has its own default work directory):
  python -m experiments.train --config grid25_pacgan       (the plain GAN; runs/grid25_pacgan)
  python -m experiments.train --config grid25_pacgan:4     (PacGAN4; runs/grid25_pacgan_4)
  python -m experiments.train --config ring8_pacgan:2      (runs/ring8_pacgan_2)

Runtime (measured, 2-core CPU, 2026-11-24, the grid): 41 steps/s for one run on one core (34 at m = 2), 71 on
both; 400,000 steps are about 94 minutes per seed there, the 10 vmapped seeds about 16 hours. GPU: not measured.

Result so far (one trial, seed 0, `grid25_pacgan --config.num_runs=1`, 2026-11-24, 7,207 s on the CPU, run before
the config read a fixed dataset: fresh samples every step): 16 modes,
67.7% high quality, KL 0.76 at step 400,000; 16-20 modes and KL 0.62-0.94 at every 40,000-step checkpoint, high
quality moving between 58% and 93% (README, "PacGAN's own protocol"). The 10-seed table is not run.
"""

import ml_collections

from experiments.configs._base import base_config


def pacgan_config(dataset: str, packing: str) -> ml_collections.ConfigDict:
  """PacGAN's recipe on `dataset` with `packing` samples per discriminator input (`"1"`: the plain GAN)."""
  if not packing.isdigit() or int(packing) < 1:
    raise ValueError(f"The config's argument is the packing m >= 1 (e.g. `--config {dataset}_pacgan:2`),"
                     f" got {packing!r}.")
  m = int(packing)
  c = base_config()
  c.data.name = dataset
  c.num_runs = 10
  c.objective.name = "non_saturating"
  c.penalty.name = None
  c.model.latent_dim = 2
  c.model.generator_hidden = (400, 400, 400, 400)
  c.model.batch_norm = True
  c.model.hidden = (200, 200, 200)
  c.model.maxout_pieces = 5
  c.model.init_std = 0.02
  c.model.packing = m
  c.data.batch_size = 100 * m
  c.data.toy_dataset_size = 100_000
  c.optim.n_critic = 1
  c.optim.simultaneous = True
  c.optim.generator_lr = c.optim.critic_lr = 1e-4
  c.optim.b1, c.optim.b2 = 0.8, 0.999
  c.optim.lr_schedule = "constant"
  c.optim.ema_decay = 0.0
  c.steps = 400_000
  c.log_every = 1000
  c.plot_every = 100_000
  c.checkpoint_every = 20_000
  return c
