"""Training: the GAN object (players, objective, penalty, optimisers), its state, many runs, data parallelism
(one or many processes), health.

>>> import jax, jax.numpy as jnp, jaxgan as jg
>>> gan = jg.train.GAN(generator=jg.models.MLPGenerator(hidden=(16,)), critic=jg.models.MLPCritic(hidden=(16,)),
...                    objective="hinge", penalty="r1", latent_dim=2, n_critic=2)
>>> state = gan.init(jax.random.key(0), jnp.zeros((1, 2)))
>>> state, metrics = gan.step(state, jnp.ones((2, 8, 2)))     # batch: (n_critic, B, *data_shape)
>>> gan.sample(state, jax.random.key(1), 64).shape
(64, 2)
"""

from jaxgan._src.training.distributed import check_process_arguments
from jaxgan._src.training.distributed import cluster_environment
from jaxgan._src.training.distributed import initialize as initialize_distributed
from jaxgan._src.training.distributed import is_primary
from jaxgan._src.training.distributed import to_host
from jaxgan._src.training.gan import GAN
from jaxgan._src.training.gan import default_optimizer
from jaxgan._src.training.health import NONFINITE_QUANTITIES
from jaxgan._src.training.health import Health
from jaxgan._src.training.health import NonFiniteError
from jaxgan._src.training.health import check_health
from jaxgan._src.training.health import halted_runs
from jaxgan._src.training.hyperparams import set_hyperparams
from jaxgan._src.training.players import Player
from jaxgan._src.training.sharding import batch_sharding
from jaxgan._src.training.sharding import data_mesh
from jaxgan._src.training.sharding import fully_sharded
from jaxgan._src.training.sharding import place
from jaxgan._src.training.state import GANState
from jaxgan._src.training.state import PlayerState
from jaxgan._src.training.state import select_run

__all__ = [
    "GAN",
    "GANState",
    "Health",
    "NONFINITE_QUANTITIES",
    "NonFiniteError",
    "Player",
    "PlayerState",
    "batch_sharding",
    "check_health",
    "check_process_arguments",
    "cluster_environment",
    "data_mesh",
    "default_optimizer",
    "fully_sharded",
    "halted_runs",
    "initialize_distributed",
    "is_primary",
    "place",
    "select_run",
    "set_hyperparams",
    "to_host",
]
