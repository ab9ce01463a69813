"""jaxgan: adversarial and energy-based generative training in JAX/Flax.

Submodules:
  losses     GAN objectives as pure functions of critic scores, and a registry.
  penalties  gradient penalties, spectral/gradient normalisation, clipping.
"""

from jaxgan import losses
from jaxgan import penalties

__version__ = "0.1.0"

__all__ = ["losses", "penalties"]
