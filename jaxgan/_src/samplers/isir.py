r"""Iterated sampling-importance-resampling (i-SIR) global moves, and Ex2MCMC (i-SIR then MALA).

i-SIR keeps the current point as particle 0, draws `N - 1` particles from a
proposal :math:`q` (here :math:`N(0, \sigma^2 I)`), weights every particle by
:math:`w_j \propto \exp(-E(z_j)) / q(z_j)` and moves to particle :math:`j` with
probability :math:`w_j / \sum_k w_k`. It leaves :math:`\pi \propto e^{-E}` invariant,
needs no gradient (`N - 1` energy evaluations, then one `value_and_grad` at the
chosen point to keep the state's gradient) and jumps between modes, which local
kernels cannot. For the latent energy :math:`E = U(G(z)) + \|z\|^2/2` with
:math:`q = N(0, I)` the weight is :math:`e^{-U(G(z))}`.

References:
  Andrieu, Lee & Vihola, Uniform ergodicity of the iterated conditional SMC and
  geometric ergodicity of particle Gibbs samplers, Bernoulli 2018; Samsonov,
  Lagutin, Gabrié, Durmus, Naumov & Moulines, Local-Global MCMC kernels: the
  best of both worlds (Ex2MCMC), NeurIPS 2022, Algorithm 1.
  https://arxiv.org/abs/2111.02702
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp

from jaxgan._src import validation
from jaxgan._src.samplers.kernels import Info, Kernel, State, _checked_energy_and_grad, mala


def _log_proposal(position, scale) -> jax.Array:
  return sum(jnp.sum(-0.5 * (leaf / scale) ** 2) for leaf in jax.tree.leaves(position))


def isir(energy_fn: Callable, num_particles: int, *, proposal_scale: float = 1.0) -> Kernel:
  """i-SIR kernel with an isotropic Gaussian proposal (see the module docstring).

  Args:
    energy_fn: `position -> scalar` energy.
    num_particles: N >= 2 (the current point and N - 1 fresh proposals).
    proposal_scale: standard deviation of the Gaussian proposal.

  Returns:
    A :class:`Kernel` (`step_size` unused). `Info.acceptance_rate` is the
    probability of leaving the current point, `is_accepted` whether it left.
  """
  num_particles = validation.check_positive_int(num_particles, "num_particles")
  if num_particles < 2:
    raise ValueError(f"`num_particles` must be >= 2, got {num_particles}.")
  validation.check_positive(proposal_scale, "proposal_scale")
  value_and_grad = _checked_energy_and_grad(energy_fn)

  def init(position) -> State:
    return State(position, *value_and_grad(position))

  def step(rng_key, state: State, step_size_override=None):
    del step_size_override
    draw_key, pick_key = jax.random.split(rng_key)
    leaves, treedef = jax.tree.flatten(state.position)
    keys = jax.random.split(draw_key, len(leaves))
    fresh = treedef.unflatten([proposal_scale * jax.random.normal(k, (num_particles - 1, *jnp.shape(x)),
                                                                  jnp.result_type(x))
                               for k, x in zip(keys, leaves)])
    energies = jax.vmap(energy_fn)(fresh)
    log_w = jnp.concatenate([
        (-state.energy - _log_proposal(state.position, proposal_scale))[None],
        -energies - jax.vmap(lambda p: _log_proposal(p, proposal_scale))(fresh),
    ])
    finite = jnp.isfinite(log_w)
    log_w = jnp.where(finite, log_w, -jnp.inf)
    index = jax.random.categorical(pick_key, log_w)
    chosen = jax.tree.map(lambda cur, new: jnp.where(index == 0, cur, new[jnp.maximum(index - 1, 0)]),
                          state.position, fresh)
    moved = index > 0
    new_state = jax.lax.cond(moved, init, lambda _: state, chosen)
    leave_probability = 1.0 - jax.nn.softmax(log_w)[0]
    return new_state, Info(leave_probability, moved, jnp.all(finite[1:]), moved.astype(jnp.int32),
                           num_particles - 1)

  return Kernel(init, step, 0.0, metropolis=False)


def ex2mcmc(energy_fn: Callable, step_size: float, num_particles: int, *, proposal_scale: float = 1.0,
            mala_steps: int = 1) -> Kernel:
  """Ex2MCMC: one i-SIR global move, then `mala_steps` MALA steps.

  The Info is the last MALA step's, with the costs of the whole step.

  Adapting the step size (`run_chains(num_warmup=...)`) tunes MALA's step.

  References:
    Samsonov et al., Local-Global MCMC kernels: the best of both worlds, NeurIPS 2022, Algorithm 2.
  """
  global_kernel = isir(energy_fn, num_particles, proposal_scale=proposal_scale)
  local = mala(energy_fn, step_size)
  mala_steps = validation.check_positive_int(mala_steps, "mala_steps")

  def step(rng_key, state: State, step_size_override=None):
    global_key, local_key = jax.random.split(rng_key)
    state, global_info = global_kernel.step(global_key, state)

    def body(state, key):
      return local.step(key, state, step_size_override)

    state, infos = jax.lax.scan(body, state, jax.random.split(local_key, mala_steps))
    last = jax.tree.map(lambda x: x[-1], infos)
    return state, last._replace(num_grads=global_info.num_grads + mala_steps, num_evals=global_info.num_evals)

  return Kernel(local.init, step, step_size, metropolis=True)
