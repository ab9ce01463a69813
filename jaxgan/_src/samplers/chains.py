"""Running many chains: vmap over chains, lax.scan over steps, warm-up step-size adaptation."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

from jaxgan._src import validation
from jaxgan._src.samplers import diagnostics
from jaxgan._src.samplers.kernels import Kernel, State


class Trace(NamedTuple):
  """Saved every `thin` steps: positions `(chains, draws, ...)`, energies, acceptance and cost `(chains, draws)`.

  `num_grads` / `num_evals` count the energy gradients / gradient-free
  evaluations spent since the previous saved draw.
  """

  position: object
  energy: jax.Array
  acceptance_rate: jax.Array
  is_finite: jax.Array
  num_grads: jax.Array
  num_evals: jax.Array


class ChainResult(NamedTuple):
  """Output of :func:`run_chains`."""

  final_state: State
  trace: Trace
  step_size: jax.Array
  diagnostics: dict


ADAPTATIONS = ("robbins_monro", "dual_averaging")
CHAIN_AXIS = "chains"
# Dual-averaging constants of Hoffman & Gelman 2014, Section 3.2.1.
DA_GAMMA, DA_T0, DA_KAPPA = 0.05, 10.0, 0.75


def _adapt(kernel: Kernel, key, state, log_step, num_warmup, target, rate, adaptation, shared):
  """Warm-up on log step size, per chain or (shared) on the chains' harmonic-mean acceptance.

  Robbins-Monro: log eps += t^-rate (acceptance - target). Dual averaging
  (Hoffman & Gelman 2014, Algorithm 5): H_t = (1 - 1/(t + t0)) H_{t-1} +
  (target - acceptance) / (t + t0), log eps_t = mu - sqrt(t)/gamma H_t with
  mu = log(10 eps_0), and the returned step is the average
  log eps_bar_t = t^-kappa log eps_t + (1 - t^-kappa) log eps_bar_{t-1}.
  """

  def acceptance(info):
    if not shared:
      return info.acceptance_rate
    return 1.0 / jax.lax.pmean(1.0 / jnp.maximum(info.acceptance_rate, 1e-6), CHAIN_AXIS)

  mu = jnp.log(10.0) + log_step

  def body(carry, inputs):
    state, log_step, h_bar, log_bar = carry
    key, t = inputs
    state, info = kernel.step(key, state, jnp.exp(log_step))
    acc = acceptance(info)
    if adaptation == "robbins_monro":
      log_step = log_step + (t + 1.0) ** (-rate) * (acc - target)
      return (state, log_step, h_bar, log_step), None
    n = t + 1.0
    h_bar = (1.0 - 1.0 / (n + DA_T0)) * h_bar + (target - acc) / (n + DA_T0)
    log_step = mu - jnp.sqrt(n) / DA_GAMMA * h_bar
    weight = n ** (-DA_KAPPA)
    return (state, log_step, h_bar, weight * log_step + (1.0 - weight) * log_bar), None

  keys = jax.random.split(key, num_warmup)
  init = (state, log_step, jnp.zeros_like(log_step), log_step)
  (state, _, _, log_bar), _ = jax.lax.scan(body, init, (keys, jnp.arange(num_warmup, dtype=jnp.float32)))
  return state, log_bar


def _one_chain(kernel, key, position, num_draws, thin, num_warmup, target, rate, adaptation, shared):
  warm_key, sample_key = jax.random.split(key)
  state = kernel.init(position)
  log_step = jnp.log(jnp.asarray(kernel.step_size, jnp.float32))
  if num_warmup:
    state, log_step = _adapt(kernel, warm_key, state, log_step, num_warmup, target, rate, adaptation, shared)
  step_size = jnp.exp(log_step)

  def thinned(state, key):
    def inner(state, key):
      state, info = kernel.step(key, state, step_size)
      return state, (info.acceptance_rate, info.is_finite, jnp.asarray(info.num_grads, jnp.int32),
                     jnp.asarray(info.num_evals, jnp.int32))

    state, (acc, finite, grads, evals) = jax.lax.scan(inner, state, jax.random.split(key, thin))
    return state, Trace(state.position, state.energy, jnp.mean(acc), jnp.all(finite), jnp.sum(grads),
                        jnp.sum(evals))

  state, trace = jax.lax.scan(thinned, state, jax.random.split(sample_key, num_draws))
  return state, trace, step_size


def run_chains(
    kernel: Kernel,
    rng_key: jax.Array,
    initial_positions,
    num_steps: int,
    *,
    thin: int = 1,
    num_warmup: int = 0,
    target_acceptance: float = 0.574,
    adaptation_rate: float = 0.6,
    adaptation: str = "robbins_monro",
    shared_step_size: bool = False,
    mesh: jax.sharding.Mesh | None = None,
) -> ChainResult:
  """Runs independent chains, jit-compiled: `vmap` over chains, `lax.scan` over steps.

  Args:
    kernel: a :class:`Kernel`: :func:`langevin`, :func:`mala`, :func:`barker`,
      :func:`isir` or :func:`ex2mcmc`. Warm-up adaptation needs a Metropolis
      kernel (`kernel.metropolis`: mala, barker, ex2mcmc).
    rng_key: PRNG key; chain `c` uses `split(rng_key, num_chains)[c]`.
    initial_positions: pytree whose leaves have a leading chain axis.
    num_steps: sampling steps after warm-up (a multiple of `thin`).
    thin: keep every `thin`-th state in the trace.
    num_warmup: warm-up steps adapting each chain's step size toward
      `target_acceptance` (Metropolis kernels only), then frozen.
    target_acceptance: in (0, 1); 0.574 is optimal for MALA.
    adaptation_rate: Robbins-Monro gain exponent in (0.5, 1].
    adaptation: `"robbins_monro"` or `"dual_averaging"` (Hoffman & Gelman
      2014, Algorithm 5), on the log step size.
    shared_step_size: adapt one step size for all chains from the harmonic
      mean of their acceptance rates (default: one step size per chain).
    mesh: optional 1-D mesh; chains are sharded over its axis (results equal
      the unsharded run).

  Returns:
    :class:`ChainResult` with the final states, the trace, per-chain step
    sizes and diagnostics: mean acceptance, per-dimension ESS and split
    R-hat of the traced positions (flattened per chain), and the number of
    non-finite proposals.
  """
  num_steps = validation.check_positive_int(num_steps, "num_steps")
  thin = validation.check_positive_int(thin, "thin")
  if num_steps % thin:
    raise ValueError(f"`num_steps` ({num_steps}) must be a multiple of `thin` ({thin}).")
  if isinstance(num_warmup, bool) or not isinstance(num_warmup, int) or num_warmup < 0:
    raise ValueError(f"`num_warmup` must be an integer >= 0, got {num_warmup!r}.")
  if num_warmup and not kernel.metropolis:
    raise ValueError("Step-size adaptation needs a Metropolis kernel (mala, barker or ex2mcmc); langevin (ULA)"
                     " and isir have no step-size-dependent acceptance rate to adapt.")
  validation.check_choice(adaptation, "adaptation", ADAPTATIONS)
  if not 0.0 < target_acceptance < 1.0:
    raise ValueError(f"`target_acceptance` must lie in (0, 1), got {target_acceptance}.")
  leaves = jax.tree.leaves(initial_positions)
  if not leaves:
    raise ValueError("`initial_positions` is empty.")
  num_chains = {jnp.shape(leaf)[0] if jnp.ndim(leaf) else None for leaf in leaves}
  if len(num_chains) != 1 or None in num_chains:
    raise ValueError(
        "Every leaf of `initial_positions` needs the same leading chain axis; got leading sizes"
        f" {[jnp.shape(leaf)[:1] for leaf in leaves]}."
    )
  num_chains = num_chains.pop()
  keys = jax.random.split(rng_key, num_chains)

  def run(keys, positions):
    return jax.vmap(lambda k, p: _one_chain(kernel, k, p, num_steps // thin, thin, num_warmup, target_acceptance,
                                            adaptation_rate, adaptation, shared_step_size),
                    axis_name=CHAIN_AXIS)(keys, positions)

  if mesh is not None:
    sharding = NamedSharding(mesh, P(mesh.axis_names[0]))
    keys, initial_positions = jax.device_put((keys, initial_positions), sharding)
  final_state, trace, step_size = jax.jit(run)(keys, initial_positions)
  flat = np.concatenate([np.asarray(leaf).reshape(num_chains, num_steps // thin, -1)
                         for leaf in jax.tree.leaves(trace.position)], axis=-1)
  draws = flat.shape[1]
  return ChainResult(
      final_state,
      trace,
      step_size,
      {
          "mean_acceptance": float(jnp.mean(trace.acceptance_rate)),
          "ess": diagnostics.effective_sample_size(flat) if draws >= 4 else None,
          "split_rhat": diagnostics.split_rhat(flat) if draws >= 4 else None,
          "nonfinite_draws": int(jnp.sum(~trace.is_finite)),
          # Sampling phase, per chain (warm-up costs num_warmup more steps of the same kernel).
          "grads_per_chain": float(jnp.mean(jnp.sum(trace.num_grads, axis=1))),
          "evals_per_chain": float(jnp.mean(jnp.sum(trace.num_evals, axis=1))),
      },
  )
