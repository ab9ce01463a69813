"""The GAN train state: one pytree with a state per player."""

from __future__ import annotations

from typing import Any

import flax.struct
import jax

from jaxgan._src.training.health import Health


@flax.struct.dataclass
class PlayerState:
  """One player's trainable state.

  Attributes:
    params: trainable parameters.
    opt_state: the optax state of the player's optimiser.
    model_state: non-trainable variables (Linen collections other than
      `params`, e.g. spectral-norm vectors in `batch_stats`; NNX non-`Param`
      state), `{}` if none.
  """

  params: Any
  opt_state: Any
  model_state: Any


@flax.struct.dataclass
class GANState:
  """Everything a GAN run carries between steps, as one pytree.

  Attributes:
    step: completed train steps (generator updates).
    generator: the generator's :class:`PlayerState`.
    critic: the critic's :class:`PlayerState`.
    ema_params: exponential moving average of the generator's params (what
      :meth:`jaxgan.train.GAN.sample` draws from).
    estimator: the entropy estimator's :class:`PlayerState` (MEG), `()` without one.
    objective_state: the objective's state (BEGAN `k_t`, MAGAN margin), `()` if none.
    rng_key: typed PRNG key; the key of step `s` is `fold_in(rng_key, s)`.
    health: the non-finite bookkeeping (:class:`jaxgan.train.Health`).
  """

  step: jax.Array
  generator: PlayerState
  critic: PlayerState
  ema_params: Any
  estimator: Any
  objective_state: Any
  rng_key: jax.Array
  health: Health


def select_run(state: GANState, index: int) -> GANState:
  """Run `index` of a state with a leading run axis (`GAN(num_runs=N)`), as a one-run state."""
  return jax.tree.map(lambda x: x[index], state)
