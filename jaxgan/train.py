"""Training: the GAN object (players, objective, penalty, optimisers), its state, data parallelism, health checks.

>>> gan = jg.train.GAN(generator=G, critic=D, objective="hinge", penalty="r1", latent_dim=128, n_critic=2)
>>> state = gan.init(jax.random.key(0), example_batch)
>>> state, metrics = gan.step(state, batch)          # batch: (n_critic, B, *data_shape)
>>> images = gan.sample(state, jax.random.key(1), 64)
"""

from jaxgan._src.training.gan import GAN
from jaxgan._src.training.gan import default_optimizer
from jaxgan._src.training.health import NONFINITE_QUANTITIES
from jaxgan._src.training.health import Health
from jaxgan._src.training.health import NonFiniteError
from jaxgan._src.training.health import check_health
from jaxgan._src.training.players import Player
from jaxgan._src.training.sharding import batch_sharding
from jaxgan._src.training.sharding import data_mesh
from jaxgan._src.training.state import GANState
from jaxgan._src.training.state import PlayerState

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
    "data_mesh",
    "default_optimizer",
]
