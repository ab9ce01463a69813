"""Running many chains: `vmap` over chains, `lax.scan` over steps; host-side summaries of the trace.

:func:`run_chains` is traceable and jits nothing itself: the caller jits it
once and reuses the compiled function (a fresh `jax.jit` per call would
recompile every time), e.g.

    run = jax.jit(functools.partial(jg.samplers.run_chains, algorithm, num_steps=500))
    final_state, trace = run(rng_key, initial_positions)

:func:`summarize` reads a trace on the host (NumPy): acceptance, ESS, split
R-hat and costs.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

from jaxgan._src import validation
from jaxgan._src.samplers import diagnostics
from jaxgan._src.samplers.base import SamplingAlgorithm, State


class Trace(NamedTuple):
  """Every `thin`-th state's position and energy `(chains, draws, ...)` and its step's info `(chains, draws)`.

  `info` is the saved step's `Info` (or `ISIRInfo`, `Ex2MCMCInfo`), except
  `num_grads` / `num_evals`, which count the energy gradients / gradient-free
  evaluations spent since the previous saved draw (the `thin` steps' sum).
  """

  position: object
  energy: jax.Array
  info: NamedTuple


def num_chains(positions, name: str) -> int:
  """The common leading (chain) axis of every leaf of `positions`; a clear error otherwise."""
  leaves = jax.tree.leaves(positions)
  if not leaves:
    raise ValueError(f"`{name}` is empty.")
  sizes = {jnp.shape(leaf)[0] if jnp.ndim(leaf) else None for leaf in leaves}
  if len(sizes) != 1 or None in sizes:
    raise ValueError(f"Every leaf of `{name}` needs the same leading chain axis; got leading sizes"
                     f" {[jnp.shape(leaf)[:1] for leaf in leaves]}.")
  return sizes.pop()


def run_chains(algorithm: SamplingAlgorithm | Callable, rng_key: jax.Array, initial_positions, num_steps: int, *,
               parameters: dict | None = None, thin: int = 1,
               mesh: jax.sharding.Mesh | None = None) -> tuple[State, Trace]:
  """Runs independent chains: `vmap` over chains of `lax.scan` over steps. Jit it (see the module docstring).

  Args:
    algorithm: a :class:`SamplingAlgorithm` (:func:`langevin`, :func:`mala`,
      :func:`barker`, :func:`isir`, :func:`ex2mcmc`), the same for every chain;
      or, with `parameters`, a function `algorithm(**parameters) -> SamplingAlgorithm`
      built per chain (e.g. `functools.partial(jg.samplers.mala, energy_fn)`).
    rng_key: PRNG key; chain `c` uses `split(rng_key, num_chains)[c]`.
    initial_positions: a pytree whose leaves have a leading chain axis; or
      the chains' batched :class:`State` (as `step_size_adaptation(...).run`
      returns), which starts them without re-evaluating the energy.
    num_steps: steps to run (a multiple of `thin`).
    parameters: per-chain parameters, leaves with a leading chain axis (e.g.
      the tuned `{"step_size": (chains,)}` of `step_size_adaptation(...).run`).
    thin: keep every `thin`-th state in the trace.
    mesh: optional 1-D mesh; chains are sharded over its axis (results equal
      the unsharded run).

  Returns:
    `(final_state, trace)`: the batched final :class:`State` and the
    :class:`Trace` of `num_steps // thin` draws.
  """
  num_steps = validation.check_positive_int(num_steps, "num_steps")
  thin = validation.check_positive_int(thin, "thin")
  if num_steps % thin:
    raise ValueError(f"`num_steps` ({num_steps}) must be a multiple of `thin` ({thin}).")
  if (parameters is None) != isinstance(algorithm, SamplingAlgorithm):
    raise TypeError("`algorithm` must be a SamplingAlgorithm, or with `parameters` a function"
                    f" `algorithm(**parameters) -> SamplingAlgorithm`; got {type(algorithm).__name__} and"
                    f" parameters={'None' if parameters is None else 'given'}.")
  from_state = isinstance(initial_positions, State)
  n = num_chains(initial_positions.position if from_state else initial_positions, "initial_positions")
  keys = jax.random.split(rng_key, n)
  parameters = {} if parameters is None else parameters
  if mesh is not None:
    keys, initial_positions, parameters = jax.lax.with_sharding_constraint(
        (keys, initial_positions, parameters), NamedSharding(mesh, P(mesh.axis_names[0])))

  def one_chain(key, start, params):
    chain = algorithm if isinstance(algorithm, SamplingAlgorithm) else algorithm(**params)
    state = start if from_state else chain.init(start)

    def draw(state, key):
      state, infos = jax.lax.scan(lambda s, k: chain.step(k, s), state, jax.random.split(key, thin))
      info = jax.tree.map(lambda x: x[-1], infos)._replace(num_grads=jnp.sum(infos.num_grads),
                                                           num_evals=jnp.sum(infos.num_evals))
      return state, Trace(state.position, state.energy, info)

    return jax.lax.scan(draw, state, jax.random.split(key, num_steps // thin))

  return jax.vmap(one_chain)(keys, initial_positions, parameters)


def summarize(trace: Trace) -> dict:
  """Host-side (NumPy) summary of a trace: acceptance, per-dimension ESS and split R-hat, non-finite draws, costs.

  ESS and R-hat are computed on the traced positions flattened per chain
  (`None` with fewer than 4 draws); costs are per chain over the traced steps.
  """
  flat = np.concatenate([np.asarray(leaf).reshape(*np.shape(trace.energy), -1)
                         for leaf in jax.tree.leaves(trace.position)], axis=-1)
  enough = flat.shape[1] >= 4
  info = trace.info
  return {
      "mean_acceptance": float(np.mean(info.acceptance_rate)),
      "ess": diagnostics.effective_sample_size(flat) if enough else None,
      "split_rhat": diagnostics.split_rhat(flat) if enough else None,
      "nonfinite_draws": int(np.sum(~np.asarray(info.is_finite))),
      "grads_per_chain": float(np.mean(np.sum(info.num_grads, axis=1))),
      "evals_per_chain": float(np.mean(np.sum(info.num_evals, axis=1))),
  }
