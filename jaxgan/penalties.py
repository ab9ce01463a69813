"""Lipschitz control and regularisers for critics.

Gradient penalties take `critic_fn(x_batch) -> scores (batch,)`, a closure
over the critic's parameters, and return a scalar to add to the critic loss.
`method=` selects how per-sample input gradients are computed
(`"vmap"`, `"batch_sum"`, `"forward_over_reverse"`): all give the same value
and parameter gradient.

>>> import jax, jax.numpy as jnp, jaxgan as jg
>>> critic = jg.models.MLPCritic(hidden=(16,))
>>> real, fake = jnp.ones((4, 2)), jnp.zeros((4, 2))
>>> params = critic.init(jax.random.key(0), real)
>>> critic_fn = lambda x: critic.apply(params, x)
>>> penalty = jg.penalties.wgan_gp(critic_fn, real, fake, jax.random.key(1), weight=10.0)
>>> penalty.shape, bool(penalty >= 0)
((), True)
>>> jg.penalties.hyperparameters("r1")                  # what `get("r1", ...)` takes, with the defaults
{'gamma': 10.0, 'method': 'forward_over_reverse'}
"""

from flax.linen import SpectralNorm

from jaxgan._src.regularizers.gradient_penalties import dragan
from jaxgan._src.regularizers.gradient_penalties import interpolate
from jaxgan._src.regularizers.gradient_penalties import r1
from jaxgan._src.regularizers.gradient_penalties import r1_r2
from jaxgan._src.regularizers.gradient_penalties import r2
from jaxgan._src.regularizers.gradient_penalties import wgan_div
from jaxgan._src.regularizers.gradient_penalties import wgan_gp
from jaxgan._src.regularizers.gradient_penalties import wgan_lp
from jaxgan._src.regularizers.gradient_penalties import zero_centered_gp
from jaxgan._src.regularizers.input_gradients import DEFAULT_METHOD
from jaxgan._src.regularizers.input_gradients import METHODS
from jaxgan._src.regularizers.input_gradients import gradient_penalty
from jaxgan._src.regularizers.input_gradients import input_gradients
from jaxgan._src.regularizers.input_gradients import safe_norms
from jaxgan._src.regularizers.lipschitz import clip_weights
from jaxgan._src.regularizers.lipschitz import consensus_term
from jaxgan._src.regularizers.lipschitz import gradient_normalized
from jaxgan._src.regularizers.lipschitz import lazy_regularization
from jaxgan._src.regularizers.lipschitz import weight_clipping
from jaxgan._src.regularizers.registry import Penalty
from jaxgan._src.regularizers.registry import available
from jaxgan._src.regularizers.registry import get
from jaxgan._src.regularizers.registry import hyperparameters

__all__ = [
    "DEFAULT_METHOD",
    "METHODS",
    "Penalty",
    "SpectralNorm",
    "available",
    "clip_weights",
    "consensus_term",
    "dragan",
    "get",
    "gradient_normalized",
    "gradient_penalty",
    "hyperparameters",
    "input_gradients",
    "interpolate",
    "lazy_regularization",
    "r1",
    "r1_r2",
    "r2",
    "safe_norms",
    "weight_clipping",
    "wgan_div",
    "wgan_gp",
    "wgan_lp",
    "zero_centered_gp",
]
