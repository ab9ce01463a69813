"""jaxgan: adversarial and energy-based generative training in JAX/Flax.

Submodules:
  losses      GAN objectives as pure functions of critic scores, and a registry.
  penalties   gradient penalties, spectral/gradient normalisation, clipping.
  data        2-D toy distributions and device-ready batch iterators.
  models      Flax generators and critics.
  metrics     mode coverage on mixtures.
  train       GANState and the jitted, data-parallel train step.
  samplers    Langevin and MALA latent samplers, diagnostics, truncation and hubness baselines.
  checkpoint  Orbax checkpoints with the config beside the state.
"""

from jaxgan import checkpoint
from jaxgan import data
from jaxgan import losses
from jaxgan import metrics
from jaxgan import models
from jaxgan import penalties
from jaxgan import samplers
from jaxgan import train

__version__ = "0.1.0"

__all__ = ["checkpoint", "data", "losses", "metrics", "models", "penalties", "samplers", "train"]
