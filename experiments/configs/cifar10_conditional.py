"""The class-conditional CIFAR-10 ResNet of the projection discriminator (Miyato & Koyama 2018, Section 5.1).

For machines with the TFDS data (prepare once with network access:
python -c "import tensorflow_datasets as tfds; tfds.data_source('cifar10', download=True)").
ResNet generator (128 channels) with class-conditional norms (per-sample
layer norm in place of the paper's conditional batch norm), ResNet
projection critic `psi(phi(x)) + <embed(y), phi(x)>` with spectral norm,
hinge loss, n_critic 5, Adam 2e-4 with betas (0, 0.9) decayed linearly to 0,
batch 64, 50,000 generator updates. Published for the projection
discriminator: Inception Score 8.62, FID 17.5 (Miyato & Koyama 2018,
Table 1). Samples are drawn for label i % 10. The metrics need features you
supply (`--features module:function`); when the function also returns
logits of a CIFAR-10 classifier, `class_agreement` reports how often it
names the requested class.

Command: python -m experiments.train --config cifar10_conditional
Runtime: a GPU-day-scale run; not run here (no data, no GPU).
"""

import ml_collections

from experiments.configs._base import evaluator
from experiments.configs._base import image_config


def get_config() -> ml_collections.ConfigDict:
  c = image_config("cifar10", model="resnet", features=128, latent_dim=128, num_samples=10000)
  c.objective.name, c.penalty.name, c.model.spectral_norm = "hinge", None, True
  c.model.num_classes = 10
  c.optim.update(n_critic=5, generator_lr=2e-4, critic_lr=2e-4, b1=0.0, b2=0.9, lr_schedule="linear",
                 ema_decay=0.9999)
  c.data.batch_size = 64
  c.steps, c.log_every, c.plot_every, c.checkpoint_every = 50_000, 100, 5000, 5000
  c.evals.class_agreement = evaluator(num_samples=10000)
  return c
