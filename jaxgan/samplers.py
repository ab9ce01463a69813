"""Latent samplers: Langevin, MALA, Barker, i-SIR and Ex2MCMC kernels, DOT and DGflow refinements, chain runner with adaptation and diagnostics, baselines.

>>> import jax, jax.numpy as jnp, jaxgan as jg
>>> energy_fn = lambda z: 0.5 * jnp.sum(z**2)                 # a standard Gaussian target
>>> kernel = jg.samplers.mala(energy_fn, step_size=0.1)
>>> z0 = jnp.zeros((8, 2))                                     # 8 chains
>>> result = jg.samplers.run_chains(kernel, jax.random.key(0), z0, num_steps=50, num_warmup=20)
>>> result.final_state.position.shape
(8, 2)
"""

from jaxgan._src.samplers.barker import barker
from jaxgan._src.samplers.barker import barker_proposal
from jaxgan._src.samplers.chains import ChainResult
from jaxgan._src.samplers.chains import Trace
from jaxgan._src.samplers.chains import run_chains
from jaxgan._src.samplers.diagnostics import bulk_effective_sample_size
from jaxgan._src.samplers.diagnostics import effective_sample_size
from jaxgan._src.samplers.diagnostics import prior_shell_drift
from jaxgan._src.samplers.diagnostics import rank_normalized_split_rhat
from jaxgan._src.samplers.diagnostics import split_rhat
from jaxgan._src.samplers.diagnostics import tail_effective_sample_size
from jaxgan._src.samplers.isir import ex2mcmc
from jaxgan._src.samplers.isir import isir
from jaxgan._src.samplers.kernels import Info
from jaxgan._src.samplers.kernels import Kernel
from jaxgan._src.samplers.kernels import State
from jaxgan._src.samplers.kernels import langevin
from jaxgan._src.samplers.kernels import langevin_proposal
from jaxgan._src.samplers.kernels import mala
from jaxgan._src.samplers.kernels import metropolis_hastings
from jaxgan._src.samplers.latent_flows import dgflow
from jaxgan._src.samplers.latent_flows import dot_transport
from jaxgan._src.samplers.latent_flows import effective_lipschitz
from jaxgan._src.samplers.latents import hubness_latents
from jaxgan._src.samplers.latents import k_occurrence
from jaxgan._src.samplers.latents import latent_energy
from jaxgan._src.samplers.latents import truncated_normal_latents
from jaxgan._src.samplers.rejection import Calibration
from jaxgan._src.samplers.rejection import calibrate_logits
from jaxgan._src.samplers.rejection import drs_acceptance
from jaxgan._src.samplers.rejection import independent_metropolis

__all__ = [
    "Calibration",
    "ChainResult",
    "Info",
    "Kernel",
    "State",
    "Trace",
    "barker",
    "barker_proposal",
    "bulk_effective_sample_size",
    "calibrate_logits",
    "dgflow",
    "dot_transport",
    "drs_acceptance",
    "effective_lipschitz",
    "effective_sample_size",
    "ex2mcmc",
    "hubness_latents",
    "independent_metropolis",
    "isir",
    "k_occurrence",
    "langevin",
    "langevin_proposal",
    "latent_energy",
    "mala",
    "metropolis_hastings",
    "prior_shell_drift",
    "rank_normalized_split_rhat",
    "run_chains",
    "split_rhat",
    "tail_effective_sample_size",
    "truncated_normal_latents",
]
