"""GAN objectives: pure functions of critic scores, and a registry.

Scores are raw critic outputs of shape `(batch,)` (logits, no sigmoid), or
energies (lower = more real) for the energy-based objectives. Each loss is a
batch mean; the critic minimises `*_critic`, the generator `*_generator`.

>>> import jax.numpy as jnp, jaxgan as jg
>>> real_scores, fake_scores = jnp.array([2.0, 0.5]), jnp.array([-2.0, 0.0])
>>> objective = jg.losses.get("hinge")
>>> float(objective.critic(real_scores, fake_scores))    # mean relu(1 - r) + mean relu(1 + f)
0.75
>>> float(objective.generator(fake_scores))
1.0
>>> jg.losses.hyperparameters("hinge")                  # what `get("hinge", ...)` takes, with the defaults
{'margin': 1.0}
"""

from jaxgan._src.objectives.energy_based import BeganUpdate
from jaxgan._src.objectives.energy_based import MaganState
from jaxgan._src.objectives.energy_based import began_critic
from jaxgan._src.objectives.energy_based import began_update
from jaxgan._src.objectives.energy_based import ebgan_critic
from jaxgan._src.objectives.energy_based import energy_critic
from jaxgan._src.objectives.energy_based import energy_generator
from jaxgan._src.objectives.energy_based import magan_init
from jaxgan._src.objectives.energy_based import magan_update
from jaxgan._src.objectives.energy_based import pulling_away_term
from jaxgan._src.objectives.f_gan import DIVERGENCES as F_DIVERGENCES
from jaxgan._src.objectives.f_gan import FDivergence
from jaxgan._src.objectives.f_gan import f_gan_bound
from jaxgan._src.objectives.f_gan import f_gan_critic
from jaxgan._src.objectives.f_gan import f_gan_generator
from jaxgan._src.objectives.latent_codes import LatentCodes
from jaxgan._src.objectives.latent_codes import info_mutual_information
from jaxgan._src.objectives.latent_codes import infogan_estimator
from jaxgan._src.objectives.latent_codes import latent_codes
from jaxgan._src.objectives.mutual_information import ESTIMATORS as ENTROPY_ESTIMATORS
from jaxgan._src.objectives.mutual_information import EntropyEstimator
from jaxgan._src.objectives.mutual_information import donsker_varadhan_mutual_information
from jaxgan._src.objectives.mutual_information import encoder_mutual_information
from jaxgan._src.objectives.mutual_information import entropy_estimator
from jaxgan._src.objectives.mutual_information import jsd_mutual_information
from jaxgan._src.objectives.registry import Objective
from jaxgan._src.objectives.registry import available
from jaxgan._src.objectives.registry import get
from jaxgan._src.objectives.registry import hyperparameters
from jaxgan._src.objectives.relativistic import relativistic_average_critic
from jaxgan._src.objectives.relativistic import relativistic_average_generator
from jaxgan._src.objectives.relativistic import relativistic_critic
from jaxgan._src.objectives.relativistic import relativistic_generator
from jaxgan._src.objectives.standard import hinge_critic
from jaxgan._src.objectives.standard import lsgan_critic
from jaxgan._src.objectives.standard import lsgan_generator
from jaxgan._src.objectives.standard import minimax_critic
from jaxgan._src.objectives.standard import minimax_generator
from jaxgan._src.objectives.standard import non_saturating_generator
from jaxgan._src.objectives.standard import wasserstein_critic
from jaxgan._src.objectives.standard import wasserstein_generator

__all__ = [
    "BeganUpdate",
    "ENTROPY_ESTIMATORS",
    "EntropyEstimator",
    "F_DIVERGENCES",
    "FDivergence",
    "LatentCodes",
    "MaganState",
    "Objective",
    "available",
    "began_critic",
    "began_update",
    "donsker_varadhan_mutual_information",
    "ebgan_critic",
    "encoder_mutual_information",
    "energy_critic",
    "energy_generator",
    "entropy_estimator",
    "f_gan_bound",
    "f_gan_critic",
    "f_gan_generator",
    "get",
    "hinge_critic",
    "hyperparameters",
    "info_mutual_information",
    "infogan_estimator",
    "jsd_mutual_information",
    "latent_codes",
    "lsgan_critic",
    "lsgan_generator",
    "magan_init",
    "magan_update",
    "minimax_critic",
    "minimax_generator",
    "non_saturating_generator",
    "pulling_away_term",
    "relativistic_average_critic",
    "relativistic_average_generator",
    "relativistic_critic",
    "relativistic_generator",
    "wasserstein_critic",
    "wasserstein_generator",
]
