"""Orbax checkpoints of train states, with the run's config saved beside them."""

from jaxgan._src.training.checkpoint import CheckpointError
from jaxgan._src.training.checkpoint import Checkpointer

__all__ = ["CheckpointError", "Checkpointer"]
