"""Flax models: MLPs for low-dimensional data, DCGAN and ResNet generators and critics for 32x32 images."""

from jaxgan._src.models.dcgan import DCGANCritic
from jaxgan._src.models.dcgan import DCGANGenerator
from jaxgan._src.models.mlp import MLPAutoencoderCritic
from jaxgan._src.models.mlp import MLPCritic
from jaxgan._src.models.mlp import MLPGenerator
from jaxgan._src.models.mlp import init_linen
from jaxgan._src.models.mlp import split_variables
from jaxgan._src.models.resnet import ResNetCritic
from jaxgan._src.models.resnet import ResNetGenerator

__all__ = ["DCGANCritic", "DCGANGenerator", "MLPAutoencoderCritic", "MLPCritic", "MLPGenerator", "ResNetCritic", "ResNetGenerator",
           "init_linen", "split_variables"]
