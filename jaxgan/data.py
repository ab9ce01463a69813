"""Data: 2-D toy distributions generated in-process and device-ready batch iterators."""

from jaxgan._src.data.toy import ToyDistribution
from jaxgan._src.data.toy import available
from jaxgan._src.data.toy import batches
from jaxgan._src.data.toy import get
from jaxgan._src.data.toy import grid25
from jaxgan._src.data.toy import ring8
from jaxgan._src.data.toy import swiss_roll
from jaxgan._src.data.toy import two_moons

__all__ = ["ToyDistribution", "available", "batches", "get", "grid25", "ring8", "swiss_roll", "two_moons"]
