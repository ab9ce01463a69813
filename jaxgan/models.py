"""Flax models: MLP generator and critic for low-dimensional data, a DCGAN-style critic."""

from jaxgan._src.models.dcgan import DCGANCritic
from jaxgan._src.models.mlp import MLPCritic
from jaxgan._src.models.mlp import MLPGenerator
from jaxgan._src.models.mlp import init_linen
from jaxgan._src.models.mlp import split_variables

__all__ = ["DCGANCritic", "MLPCritic", "MLPGenerator", "init_linen", "split_variables"]
