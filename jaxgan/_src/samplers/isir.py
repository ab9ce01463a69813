r"""Iterated sampling-importance-resampling (i-SIR): gradient-free global moves.

i-SIR keeps the current point as particle 0, draws `N - 1` particles from a
proposal :math:`q` (here :math:`N(0, \sigma^2 I)`), weights every particle by
:math:`w_j \propto \exp(-E(z_j)) / q(z_j)` and moves to particle :math:`j` with
probability :math:`w_j / \sum_k w_k`. It leaves :math:`\pi \propto e^{-E}` invariant,
needs no gradient (`N - 1` energy evaluations, then one `value_and_grad` at the
chosen point, only if it moved, to keep the state's gradient) and jumps between
modes, which local kernels cannot. For the latent energy
:math:`E = U(G(z)) + \|z\|^2/2` with :math:`q = N(0, I)` the weight is :math:`e^{-U(G(z))}`.

References:
  Andrieu, Lee & Vihola, Uniform ergodicity of the iterated conditional SMC and
  geometric ergodicity of particle Gibbs samplers, Bernoulli 2018; Samsonov,
  Lagutin, Gabrié, Durmus, Naumov & Moulines, Local-Global MCMC kernels: the
  best of both worlds (Ex2MCMC), NeurIPS 2022, Algorithm 1.
  https://arxiv.org/abs/2111.02702
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from jaxgan._src import validation
from jaxgan._src.samplers import base
from jaxgan._src.samplers.base import SamplingAlgorithm, State


class ISIRInfo(NamedTuple):
  """Per-step diagnostics and cost of i-SIR.

  Attributes:
    acceptance_rate: probability of leaving the current point, :math:`1 - w_0 / \\sum_k w_k`.
    is_accepted: whether it left.
    is_finite: whether every fresh particle's weight was finite (non-finite ones are never picked).
    num_grads: 1 if it left (the gradient at the new point), else 0.
    num_evals: `N - 1`, the fresh particles' energies.
    index: the particle moved to (0: the current point).
  """

  acceptance_rate: jax.Array
  is_accepted: jax.Array
  is_finite: jax.Array
  num_grads: jax.Array
  num_evals: jax.Array
  index: jax.Array


def check_particles(num_particles: int, proposal_scale: float) -> None:
  num_particles = validation.check_positive_int(num_particles, "num_particles")
  if num_particles < 2:
    raise ValueError(f"`num_particles` must be >= 2, got {num_particles}.")
  validation.check_positive(proposal_scale, "proposal_scale")


def build_kernel() -> Callable:
  """i-SIR: `kernel(rng_key, state, energy_fn, num_particles, proposal_scale) -> (state, ISIRInfo)`.

  The key splits into (particles, pick); the `N - 1` particles are one normal
  draw of shape `(N - 1, size of the flattened position)`.
  """

  def kernel(rng_key, state: State, energy_fn: Callable, num_particles: int,
             proposal_scale) -> tuple[State, ISIRInfo]:
    draw_key, pick_key = jax.random.split(rng_key)
    z, unravel = ravel_pytree(state.position)
    fresh = proposal_scale * jax.random.normal(draw_key, (num_particles - 1, *z.shape), z.dtype)
    energies = jax.vmap(lambda flat: energy_fn(unravel(flat)))(fresh)
    particles = jnp.concatenate([z[None], fresh])
    log_w = -jnp.concatenate([state.energy[None], energies]) + 0.5 * jnp.sum(jnp.square(particles / proposal_scale),
                                                                             axis=1)
    finite = jnp.isfinite(log_w)
    log_w = jnp.where(finite, log_w, -jnp.inf)
    index = jax.random.categorical(pick_key, log_w)
    moved = index > 0
    new_state = jax.lax.cond(moved, lambda flat: base.init(unravel(flat), energy_fn), lambda _: state,
                             particles[index])
    leave_probability = 1.0 - jax.nn.softmax(log_w)[0]
    return new_state, ISIRInfo(leave_probability, moved, jnp.all(finite[1:]), base.count(moved),
                               base.count(num_particles - 1), index)

  return kernel


def isir(energy_fn: Callable, num_particles: int, *, proposal_scale: float = 1.0) -> SamplingAlgorithm:
  """i-SIR kernel with an isotropic Gaussian proposal (see the module docstring).

  Args:
    energy_fn: `position -> scalar` energy.
    num_particles: N >= 2 (the current point and N - 1 fresh proposals).
    proposal_scale: standard deviation of the Gaussian proposal.

  Returns:
    A :class:`SamplingAlgorithm` whose steps report an :class:`ISIRInfo`.
  """
  check_particles(num_particles, proposal_scale)
  return base.as_top_level_api(build_kernel(), energy_fn, num_particles, proposal_scale)


isir.build_kernel = build_kernel  # as `blackjax.mala.build_kernel`
