"""Data: 2-D toy distributions, an offline image dataset, TFDS image sources, in-graph streams and batch iterators.

Streams (`toy_stream`, `image_stream`) compute batch `s` inside the train
program from `(rng_key, s)`, for `jg.train.GAN.run`; `batches` and
`image_batches` are host iterators for loops that call `gan.step`.
"""

from jaxgan._src.data.images import SHAPE_CLASSES
from jaxgan._src.data.images import TFDS_DATASETS
from jaxgan._src.data.images import ImageSource
from jaxgan._src.data.images import array_images
from jaxgan._src.data.images import image_batches
from jaxgan._src.data.images import offline_shapes
from jaxgan._src.data.images import render_shapes
from jaxgan._src.data.images import tfds_images
from jaxgan._src.data.streams import ImageStream
from jaxgan._src.data.streams import ToyStream
from jaxgan._src.data.streams import batches
from jaxgan._src.data.streams import image_stream
from jaxgan._src.data.streams import permuted_index
from jaxgan._src.data.streams import toy_stream
from jaxgan._src.data.toy import ToyDistribution
from jaxgan._src.data.toy import available
from jaxgan._src.data.toy import get
from jaxgan._src.data.toy import grid25
from jaxgan._src.data.toy import ring8
from jaxgan._src.data.toy import swiss_roll
from jaxgan._src.data.toy import two_moons

__all__ = [
    "ImageSource",
    "ImageStream",
    "SHAPE_CLASSES",
    "TFDS_DATASETS",
    "ToyDistribution",
    "ToyStream",
    "array_images",
    "available",
    "batches",
    "get",
    "grid25",
    "image_batches",
    "image_stream",
    "offline_shapes",
    "permuted_index",
    "render_shapes",
    "ring8",
    "swiss_roll",
    "tfds_images",
    "toy_stream",
    "two_moons",
]
