"""Flax models: MLPs for low-dimensional data; DCGAN and ResNet generators, critics, encoders and autoencoder critics for images."""

from jaxgan._src.models.dcgan import DCGANAutoencoder
from jaxgan._src.models.dcgan import DCGANAutoencoderCritic
from jaxgan._src.models.dcgan import DCGANCritic
from jaxgan._src.models.dcgan import DCGANEncoder
from jaxgan._src.models.dcgan import DCGANGenerator
from jaxgan._src.models.conditioning import ConditionalLayerNorm
from jaxgan._src.models.layers import LinearMaxout
from jaxgan._src.models.mlp import CONDITIONINGS
from jaxgan._src.models.mlp import MINIBATCH_LAYERS
from jaxgan._src.models.mlp import MLPAutoencoderCritic
from jaxgan._src.models.mlp import MLPCritic
from jaxgan._src.models.mlp import MLPGenerator
from jaxgan._src.models.mlp import init_linen
from jaxgan._src.models.mlp import split_variables
from jaxgan._src.models.resnet import ResNetCritic
from jaxgan._src.models.resnet import ResNetGenerator

__all__ = ["CONDITIONINGS", "MINIBATCH_LAYERS", "ConditionalLayerNorm", "DCGANAutoencoder", "DCGANAutoencoderCritic", "DCGANCritic", "DCGANEncoder", "DCGANGenerator", "LinearMaxout", "MLPAutoencoderCritic", "MLPCritic", "MLPGenerator", "ResNetCritic", "ResNetGenerator",
           "init_linen", "split_variables"]
