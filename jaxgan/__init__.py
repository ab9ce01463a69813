"""jaxgan: adversarial and energy-based generative training in JAX/Flax.

Submodules:
  losses      GAN objectives as pure functions of critic scores, and a registry.
  penalties   gradient penalties, spectral/gradient normalisation, clipping.
  techniques  feature matching, minibatch discrimination/stddev, historical averaging, virtual batch norm,
              instance noise, DiffAugment, k-means pseudo-labels (self-conditioned GAN).
  data        2-D toy distributions and device-ready batch iterators.
  models      Flax generators and critics.
  metrics     mode coverage on mixtures; Frechet distance, KID, precision/recall for images.
  train       GANState and the jitted, data-parallel train step.
  samplers    latent samplers (Langevin, MALA, Barker, i-SIR, Ex2MCMC, DOT, DGflow), MH-GAN/DRS, diagnostics.
  idempotent  the idempotent generative network's losses and train step.
  checkpoint  Orbax checkpoints with the config beside the state.
"""

from jaxgan import checkpoint
from jaxgan import data
from jaxgan import idempotent
from jaxgan import losses
from jaxgan import metrics
from jaxgan import models
from jaxgan import penalties
from jaxgan import samplers
from jaxgan import techniques
from jaxgan import train

__version__ = "0.1.0"

__all__ = ["checkpoint", "data", "idempotent", "losses", "metrics", "models", "penalties", "samplers", "techniques",
           "train"]
