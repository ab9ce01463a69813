"""Data: 2-D toy distributions, an offline image dataset, TFDS image sources, and device-ready batch iterators."""

from jaxgan._src.data.images import SHAPE_CLASSES
from jaxgan._src.data.images import TFDS_DATASETS
from jaxgan._src.data.images import ImageSource
from jaxgan._src.data.images import array_images
from jaxgan._src.data.images import image_batches
from jaxgan._src.data.images import offline_shapes
from jaxgan._src.data.images import render_shapes
from jaxgan._src.data.images import tfds_images
from jaxgan._src.data.toy import ToyDistribution
from jaxgan._src.data.toy import available
from jaxgan._src.data.toy import batches
from jaxgan._src.data.toy import get
from jaxgan._src.data.toy import grid25
from jaxgan._src.data.toy import ring8
from jaxgan._src.data.toy import swiss_roll
from jaxgan._src.data.toy import two_moons

__all__ = [
    "ImageSource",
    "SHAPE_CLASSES",
    "TFDS_DATASETS",
    "ToyDistribution",
    "array_images",
    "available",
    "batches",
    "get",
    "grid25",
    "image_batches",
    "offline_shapes",
    "render_shapes",
    "ring8",
    "swiss_roll",
    "tfds_images",
    "two_moons",
]
