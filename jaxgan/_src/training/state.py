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
    hyperparams: the continuous hyperparameters a run reads from its state,
      so that vmapped runs can each carry their own: `"ema_decay"` (the EMA's
      decay, from `GAN(ema_decay=...)`) and `"penalty_weight"` (a factor on
      the penalty in the critic loss, 1), float32 scalars (one per run with
      `num_runs`); set them with :func:`jaxgan.train.set_hyperparams`, which
      also sets learning rates injected into the optimiser states.
    encoder: the encoder's :class:`PlayerState` (mode-regularised GAN), `()`
      without one.
  """

  step: jax.Array
  generator: PlayerState
  critic: PlayerState
  ema_params: Any
  estimator: Any
  objective_state: Any
  rng_key: jax.Array
  health: Health
  hyperparams: dict
  encoder: Any = ()


def select_run(state: GANState, index: int) -> GANState:
  """Run `index` of a state with a leading run axis (`GAN(num_runs=N)`), as a one-run state."""
  return jax.tree.map(lambda x: x[index], state)
