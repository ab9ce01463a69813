"""The train step's non-finite policy: counters named as optax's `apply_if_finite`, and the check that raises.

A non-finite loss, penalty or gradient norm never enters the state. With
`on_nonfinite="raise"` the first such update halts training: the state
freezes at the last finite step and records where it halted, and
:func:`check_health` turns that into a :class:`NonFiniteError` (so the last
good checkpoint is never overwritten with NaNs). With `"skip"` the update is
dropped, counted, and training goes on.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxgan._src.training import distributed

NONFINITE_QUANTITIES = (
    "critic_loss", "penalty", "critic_grad_norm", "generator_loss", "generator_grad_norm", "entropy_estimate",
    "labels",  # a conditional GAN's labels outside [0, num_classes): NaN marks them
)
POLICIES = ("raise", "skip")


class Health(NamedTuple):
  """Non-finite bookkeeping (names as `optax.ApplyIfFiniteState`).

  Attributes:
    notfinite_count: consecutive non-finite updates up to now.
    last_finite: whether the last update was finite.
    total_notfinite: non-finite updates over the run (each one dropped).
    halted_step: the step whose update halted training (`on_nonfinite="raise"`), -1 if none.
    halted_quantity: index into :data:`NONFINITE_QUANTITIES` of the first non-finite value there, -1 if none.
  """

  notfinite_count: jax.Array
  last_finite: jax.Array
  total_notfinite: jax.Array
  halted_step: jax.Array
  halted_quantity: jax.Array


def init() -> Health:
  return Health(jnp.zeros((), jnp.int32), jnp.ones((), bool), jnp.zeros((), jnp.int32),
                jnp.full((), -1, jnp.int32), jnp.full((), -1, jnp.int32))


def first_nonfinite(values: dict[str, jax.Array]) -> jax.Array:
  """Index in :data:`NONFINITE_QUANTITIES` of the first non-finite value among `values` (any shape), -1 if all finite."""
  index = jnp.asarray([NONFINITE_QUANTITIES.index(name) for name in values])
  finite = jnp.stack([jnp.all(jnp.isfinite(v)) for v in values.values()])
  return jnp.where(jnp.all(finite), -1, index[jnp.argmin(finite)])


def update(health: Health, bad: jax.Array, step: jax.Array, policy: str) -> tuple[Health, jax.Array]:
  """The new health after an update whose first non-finite quantity is `bad` (-1: none); and whether to accept it."""
  finite = bad < 0
  running = health.halted_step < 0
  accept = finite & running if policy == "raise" else finite
  halt = running & ~finite if policy == "raise" else jnp.zeros((), bool)
  return Health(
      notfinite_count=jnp.where(finite, 0, health.notfinite_count + 1),
      last_finite=finite,
      total_notfinite=health.total_notfinite + (~finite).astype(jnp.int32),
      halted_step=jnp.where(halt, step, health.halted_step),
      halted_quantity=jnp.where(halt, bad, health.halted_quantity),
  ), accept


class NonFiniteError(RuntimeError):
  """Training met a non-finite loss or gradient norm; the state holds the last finite step."""


def _describe(quantity: str) -> str:
  return "Class labels outside [0, num_classes)" if quantity == "labels" else f"Non-finite {quantity}"


def halted_runs(state) -> dict[int, str]:
  """`{run: message}` for every run that halted on a non-finite value (run 0 for a one-run state); `{}` if none.

  Args:
    state: a :class:`jaxgan.train.GANState` (or anything with a `health`
      field), of one run or with a leading run axis (`GAN(num_runs=N)`).
  """
  halted_step, halted_quantity = distributed.to_host((state.health.halted_step, state.health.halted_quantity))
  steps, quantities = np.atleast_1d(halted_step), np.atleast_1d(halted_quantity)
  many = np.ndim(state.health.halted_step) > 0
  return {
      int(run): f"{_describe(NONFINITE_QUANTITIES[int(quantities[run])])} at train step {int(steps[run])}"
      + (f" in run {int(run)}" if many else "")
      for run in np.flatnonzero(steps >= 0)
  }


def check_health(state) -> None:
  """Raises :class:`NonFiniteError` naming the step and quantity if training halted on a non-finite value.

  Args:
    state: a :class:`jaxgan.train.GANState` (or anything with a `health`
      field), of one run or of many (the first halted run is named).
  """
  halted = halted_runs(state)
  if halted:
    raise NonFiniteError(
        next(iter(halted.values())) + "; the update was rejected and training stopped. The state (and any"
        " checkpoint) holds the last finite step. Lower the learning rate, check the data for NaNs, or pass"
        " on_nonfinite='skip' to drop such updates."
    )
