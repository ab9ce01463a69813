"""The published IGN study: ring8, grid25 and the shapes, beside the GAN configs of the same data.

Command: python -m experiments.idempotent
Runtime: about 10 minutes on 2 CPU cores (GAN references read from runs/<config>; trained there when missing).
Result (seed 0): ring8 IGN f(z) 7/8 modes, 51.2% HQ (ring8_wgan_gp 8/8, 88.7%); grid25 IGN f(f(z)) 14/25
modes, 4.2% HQ (grid25_meg 25/25, 61.8%); shapes IGN f(z) Frechet distance 3255 (shapes_dcgan_hinge_sn 561).

Fields: `datasets` (those of `setups` to run, in order), `seed`, and per dataset `setups.<name>`:
`gan_configs` (main-job configs trained, or read, in runs/<config> as references), `steps`, `batch_size`,
`lr` (Adam, cosine decay), `ema_decay` (of the sampled params), `eval_samples`, and the network: `hidden`
(the MLP of the 2-D mixtures) or `features` and `bottleneck` (the DCGAN encoder-decoder of the shapes).
"""

import ml_collections


def get_config() -> ml_collections.ConfigDict:
  mixture = dict(steps=3000, batch_size=256, lr=1e-3, ema_decay=0.99, eval_samples=2500, hidden=(256, 256, 256))
  c = ml_collections.ConfigDict()
  c.datasets = ("ring8", "grid25", "shapes")
  c.seed = 0
  c.setups = ml_collections.ConfigDict(dict(
      ring8=dict(gan_configs=("ring8_wgan_gp",), **mixture),
      grid25=dict(gan_configs=("grid25_wgan_gp", "grid25_meg"), **mixture),
      shapes=dict(gan_configs=("shapes_dcgan_hinge_sn",), steps=2000, batch_size=64, lr=2e-4, ema_decay=0.999,
                  eval_samples=2000, features=(16, 32, 64), bottleneck=64),
  ))
  return c
