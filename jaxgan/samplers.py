"""Latent samplers: Langevin, MALA, Barker, i-SIR and Ex2MCMC kernels in BlackJAX's shape, step-size adaptation,
a chain runner and diagnostics, DOT and DGflow refinements, sample-space selection, baselines.

Each kernel is a `SamplingAlgorithm(init, step)` (`jg.samplers.mala(energy_fn, step_size)`;
`jg.samplers.mala.build_kernel()` gives the unbound `kernel(rng_key, state, energy_fn, step_size)`).
Nothing is jitted inside: jit the warm-up and the run once, and reuse them.

>>> import functools, jax, jax.numpy as jnp, jaxgan as jg
>>> energy_fn = lambda z: 0.5 * jnp.sum(z**2)                 # a standard Gaussian target
>>> z0 = jnp.zeros((8, 2))                                     # 8 chains
>>> build = functools.partial(jg.samplers.mala, energy_fn)
>>> warmup = jg.samplers.step_size_adaptation(build, initial_step_size=0.1)
>>> state, parameters = jax.jit(warmup.run, static_argnums=2)(jax.random.key(0), z0, 20)
>>> parameters["step_size"].shape                              # one tuned step size per chain
(8,)
>>> run = jax.jit(functools.partial(jg.samplers.run_chains, build, num_steps=50))
>>> final_state, trace = run(jax.random.key(1), state, parameters=parameters)
>>> final_state.position.shape, trace.position.shape
((8, 2), (8, 50, 2))
>>> sorted(jg.samplers.summarize(trace))                       # host-side diagnostics
['ess', 'evals_per_chain', 'grads_per_chain', 'mean_acceptance', 'nonfinite_draws', 'split_rhat']
"""

from jaxgan._src.samplers.adaptation import AdaptationAlgorithm
from jaxgan._src.samplers.adaptation import DualAveragingState
from jaxgan._src.samplers.adaptation import RobbinsMonroState
from jaxgan._src.samplers.adaptation import dual_averaging
from jaxgan._src.samplers.adaptation import robbins_monro
from jaxgan._src.samplers.adaptation import step_size_adaptation
from jaxgan._src.samplers.barker import barker
from jaxgan._src.samplers.barker import barker_log_ratio
from jaxgan._src.samplers.barker import barker_proposal
from jaxgan._src.samplers.base import Info
from jaxgan._src.samplers.base import SamplingAlgorithm
from jaxgan._src.samplers.base import State
from jaxgan._src.samplers.base import metropolis_hastings
from jaxgan._src.samplers.chains import Trace
from jaxgan._src.samplers.chains import run_chains
from jaxgan._src.samplers.chains import summarize
from jaxgan._src.samplers.diagnostics import bulk_effective_sample_size
from jaxgan._src.samplers.diagnostics import effective_sample_size
from jaxgan._src.samplers.diagnostics import prior_shell_drift
from jaxgan._src.samplers.diagnostics import rank_normalized_split_rhat
from jaxgan._src.samplers.diagnostics import split_rhat
from jaxgan._src.samplers.diagnostics import tail_effective_sample_size
from jaxgan._src.samplers.ex2mcmc import Ex2MCMCInfo
from jaxgan._src.samplers.ex2mcmc import ex2mcmc
from jaxgan._src.samplers.isir import ISIRInfo
from jaxgan._src.samplers.isir import isir
from jaxgan._src.samplers.langevin import langevin
from jaxgan._src.samplers.langevin import langevin_move
from jaxgan._src.samplers.latent_flows import dgflow
from jaxgan._src.samplers.latent_flows import dot_transport
from jaxgan._src.samplers.latent_flows import effective_lipschitz
from jaxgan._src.samplers.latents import hubness_latents
from jaxgan._src.samplers.latents import k_occurrence
from jaxgan._src.samplers.latents import latent_energy
from jaxgan._src.samplers.latents import truncated_normal_latents
from jaxgan._src.samplers.mala import mala
from jaxgan._src.samplers.mala import mala_log_ratio
from jaxgan._src.samplers.rejection import Calibration
from jaxgan._src.samplers.rejection import calibrate_logits
from jaxgan._src.samplers.rejection import drs_acceptance
from jaxgan._src.samplers.rejection import independent_metropolis

__all__ = [
    "AdaptationAlgorithm",
    "Calibration",
    "DualAveragingState",
    "Ex2MCMCInfo",
    "ISIRInfo",
    "Info",
    "RobbinsMonroState",
    "SamplingAlgorithm",
    "State",
    "Trace",
    "barker",
    "barker_log_ratio",
    "barker_proposal",
    "bulk_effective_sample_size",
    "calibrate_logits",
    "dgflow",
    "dot_transport",
    "drs_acceptance",
    "dual_averaging",
    "effective_lipschitz",
    "effective_sample_size",
    "ex2mcmc",
    "hubness_latents",
    "independent_metropolis",
    "isir",
    "k_occurrence",
    "langevin",
    "langevin_move",
    "latent_energy",
    "mala",
    "mala_log_ratio",
    "metropolis_hastings",
    "prior_shell_drift",
    "rank_normalized_split_rhat",
    "robbins_monro",
    "run_chains",
    "split_rhat",
    "step_size_adaptation",
    "summarize",
    "tail_effective_sample_size",
    "truncated_normal_latents",
]
