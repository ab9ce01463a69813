"""Continuous hyperparameters carried by the train state, so vmapped runs can each train with their own.

The EMA decay and the penalty weight live in `GANState.hyperparams`; a
learning rate lives in its player's optimiser state when the optimiser is
built with `optax.inject_hyperparams`. The step reads them from the state, so
the `N` runs of `GAN(num_runs=N)` are a sweep over them in one program.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jaxgan._src.training.state import GANState, PlayerState

# Each value's valid range, as a check on float64 values and the words of its error.
_IN_UNIT = (lambda v: (0.0 <= v) & (v < 1.0), "lie in [0, 1)")
_NON_NEGATIVE = (lambda v: (0.0 <= v) & (v < np.inf), "be a finite number >= 0")
_POSITIVE = (lambda v: (0.0 < v) & (v < np.inf), "be a finite number > 0")


def set_hyperparams(
    state: GANState,
    *,
    ema_decay=None,
    penalty_weight=None,
    generator_learning_rate=None,
    critic_learning_rate=None,
) -> GANState:
  """`state` with new values of its continuous hyperparameters, the same for every run or one per run.

  Each argument is None (left as it is), a number (every run) or, for a state
  of `GAN(num_runs=N)`, a sequence of `N` numbers (run `i` takes the `i`-th).
  A new value keeps the dtype, shape and sharding of the one it replaces, so
  the step does not recompile; run `i` then trains as the one-run GAN with the
  same key given run `i`'s values. Values are checked on the host: call it
  outside `jax.jit`, e.g. on the state `GAN.init` returns.

  >>> import jax, jax.numpy as jnp, optax, jaxgan as jg
  >>> adam = optax.inject_hyperparams(optax.adam)(learning_rate=1e-3)
  >>> gan = jg.train.GAN(generator=jg.models.MLPGenerator(hidden=(16,)), critic=jg.models.MLPCritic(hidden=(16,)),
  ...                    objective="non_saturating", penalty="r1", latent_dim=2, num_runs=3,
  ...                    generator_optimizer=adam, critic_optimizer=adam)
  >>> state = gan.init(jax.random.split(jax.random.key(0), 3), jnp.zeros((1, 2)))
  >>> state = jg.train.set_hyperparams(state, ema_decay=[0.9, 0.99, 0.999], penalty_weight=0.5,
  ...                                  generator_learning_rate=[1e-4, 3e-4, 1e-3])
  >>> state.hyperparams["penalty_weight"]
  Array([0.5, 0.5, 0.5], dtype=float32)
  >>> state.generator.opt_state.hyperparams["learning_rate"]
  Array([0.0001, 0.0003, 0.001 ], dtype=float32)
  >>> state, metrics = gan.step(state, jnp.ones((3, 1, 8, 2)))

  Args:
    state: a :class:`jaxgan.train.GANState`, of one run or with a leading run
      axis (`num_runs`).
    ema_decay: decay of the generator's parameter EMA, in [0, 1)
      (`state.hyperparams["ema_decay"]`).
    penalty_weight: factor on the penalty in the critic loss, >= 0
      (`state.hyperparams["penalty_weight"]`): it scales the penalty's own
      weight (r1's `gamma`, wgan_gp's `weight`), 0 drops the penalty. No
      effect on a GAN without a penalty.
    generator_learning_rate: the generator's learning rate, > 0, written into
      its optimiser state's `hyperparams["learning_rate"]`: the generator's
      optimiser must be built with `optax.inject_hyperparams` and a constant
      `learning_rate` (e.g. `optax.inject_hyperparams(optax.adam)(learning_rate=1e-4)`).
    critic_learning_rate: the critic's learning rate, likewise.

  Returns:
    The new state; its other arrays are `state`'s own (donating it to
    `GAN.step` deletes them in `state` too).

  Raises:
    ValueError: a value out of its range (in the dtype it is stored in), a
      sequence whose length is not the number of runs or given for a one-run
      state, or a learning rate for an optimiser without an injected constant
      `learning_rate`.
    TypeError: `state` is not a `GANState`, or a value is not a number or a
      sequence of numbers.
  """
  if not isinstance(state, GANState):
    raise TypeError(f"`state` must be a jg.train.GANState, got {type(state).__name__}.")
  num_runs = state.step.shape[0] if state.step.ndim else None
  hyperparams = dict(state.hyperparams)
  for name, value, valid in (("ema_decay", ema_decay, _IN_UNIT), ("penalty_weight", penalty_weight, _NON_NEGATIVE)):
    if value is not None:
      hyperparams[name] = _like(value, name, hyperparams[name], num_runs, valid)
  return state.replace(
      hyperparams=hyperparams,
      generator=_with_learning_rate(state.generator, generator_learning_rate, "generator", num_runs),
      critic=_with_learning_rate(state.critic, critic_learning_rate, "critic", num_runs),
  )


def _like(value, name: str, old: jax.Array, num_runs: int | None, valid) -> jax.Array:
  """`value` (a number, or one per run) as an array with `old`'s dtype, shape and sharding, checked against `valid`."""
  in_range, words = valid
  try:
    array = np.asarray(value)
  except ValueError:  # a ragged sequence
    array = None
  if array is None or not (jnp.issubdtype(array.dtype, jnp.integer) or jnp.issubdtype(array.dtype, jnp.floating)):
    raise TypeError(f"`{name}` must be a number or a sequence of numbers, got {value!r}.")
  if array.ndim and (num_runs is None or array.shape != (num_runs,)):
    expected = "(the state has one run)" if num_runs is None else f"or {num_runs} numbers, one per run"
    raise ValueError(f"`{name}` must be a number {expected}, got an array of shape {array.shape}.")
  values = np.broadcast_to(array, old.shape).astype(old.dtype)
  if not np.all(in_range(values.astype(np.float64))):
    raise ValueError(f"`{name}` must {words} (as {old.dtype}), got {value!r}.")
  return jax.device_put(values, old.sharding)


def _with_learning_rate(player: PlayerState, value, name: str, num_runs: int | None) -> PlayerState:
  """`player` with the learning rate `value` in its `optax.inject_hyperparams` state."""
  if value is None:
    return player
  argument, opt_state = f"{name}_learning_rate", player.opt_state
  hyperparams = getattr(opt_state, "hyperparams", None)
  if not isinstance(hyperparams, dict) or "learning_rate" not in hyperparams:
    raise ValueError(
        f"`{argument}` is set in the {name}'s optimiser state, which has no injected learning rate"
        f" (got a {type(opt_state).__name__}): build the optimiser with optax.inject_hyperparams, e.g."
        f" `{name}_optimizer=optax.inject_hyperparams(optax.adam)(learning_rate=1e-4)`, or for a chain"
        " `optax.inject_hyperparams(lambda learning_rate: optax.chain(..., optax.adam(learning_rate)))"
        "(learning_rate=1e-4)`."
    )
  if "learning_rate" in getattr(opt_state, "hyperparams_states", {}):
    raise ValueError(
        f"`{argument}`: the {name}'s optimiser injects its learning rate as a schedule, recomputed at every"
        " update, so a value set here would be overwritten: inject a constant `learning_rate` and apply the"
        " schedule inside the optimiser (e.g. `optax.scale_by_schedule`)."
    )
  rate = _like(value, argument, hyperparams["learning_rate"], num_runs, _POSITIVE)
  return player.replace(opt_state=opt_state._replace(hyperparams={**hyperparams, "learning_rate": rate}))
