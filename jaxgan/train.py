"""Train state, the jitted (optionally data-parallel) train step, and health checks."""

from jaxgan._src.training.linen import critic_apply_fn
from jaxgan._src.training.linen import generator_apply_fn
from jaxgan._src.training.step import NONFINITE_QUANTITIES
from jaxgan._src.training.step import GANState
from jaxgan._src.training.step import Health
from jaxgan._src.training.step import NonFiniteError
from jaxgan._src.training.step import batch_sharding
from jaxgan._src.training.step import build_train_step
from jaxgan._src.training.step import check_health
from jaxgan._src.training.step import data_mesh
from jaxgan._src.training.step import default_optimizer
from jaxgan._src.training.step import init_state
from jaxgan._src.training.step import make_train_step

__all__ = [
    "GANState",
    "Health",
    "NONFINITE_QUANTITIES",
    "NonFiniteError",
    "batch_sharding",
    "build_train_step",
    "check_health",
    "critic_apply_fn",
    "data_mesh",
    "default_optimizer",
    "generator_apply_fn",
    "init_state",
    "make_train_step",
]
