"""Idempotent generative network (Shocher et al. 2023): losses, train state and the jitted train step."""

from jaxgan._src.training.idempotent import DISTANCES
from jaxgan._src.training.idempotent import IdempotentLosses
from jaxgan._src.training.idempotent import IdempotentState
from jaxgan._src.training.idempotent import idempotent_losses
from jaxgan._src.training.idempotent import init_idempotent_state
from jaxgan._src.training.idempotent import make_idempotent_train_step

__all__ = ["DISTANCES", "IdempotentLosses", "IdempotentState", "idempotent_losses", "init_idempotent_state",
           "make_idempotent_train_step"]
