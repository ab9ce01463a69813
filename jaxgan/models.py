"""Flax models: MLP generator and critic for low-dimensional data."""

from jaxgan._src.models.mlp import MLPCritic
from jaxgan._src.models.mlp import MLPGenerator
from jaxgan._src.models.mlp import init_linen
from jaxgan._src.models.mlp import split_variables

__all__ = ["MLPCritic", "MLPGenerator", "init_linen", "split_variables"]
