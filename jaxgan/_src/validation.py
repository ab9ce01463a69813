"""Argument checks shared by the public API.

Every check reads static information only: shapes, dtypes and Python numbers.
Array values are never inspected, so a check costs nothing inside `jax.jit`,
fails before XLA sees the computation, and a function returns the same value
eagerly and under `jax.jit`: NaN or inf in, NaN or inf out. Non-finite data
is refused where it enters (the image sources in `jaxgan.data` check their
arrays once when built), and the train step's non-finite guard catches
non-finite losses and gradients during training.
"""

from __future__ import annotations

import numbers

import jax
import jax.numpy as jnp
import numpy as np


def check_float_array(x, name: str) -> jax.Array:
  """Returns `x` as an array after checking it has a floating dtype (values are not read)."""
  if not hasattr(x, "dtype"):
    x = jnp.asarray(x)
  if not jnp.issubdtype(x.dtype, jnp.floating):
    raise TypeError(
        f"`{name}` must have a floating dtype (float16/bfloat16/float32/float64),"
        f" got {x.dtype}."
    )
  return x


def check_scores(x, name: str) -> jax.Array:
  """Checks critic scores: a float vector of shape (batch,), batch >= 1."""
  x = check_float_array(x, name)
  if x.ndim != 1:
    hint = " Squeeze the critic's last axis." if x.ndim == 2 and x.shape[-1] == 1 else ""
    raise ValueError(
        f"`{name}` must have shape (batch,), got shape {tuple(x.shape)}.{hint}"
    )
  if x.shape[0] == 0:
    raise ValueError(f"`{name}` is empty: a loss needs at least one score.")
  return x


def check_score_pair(real, fake, real_name="real_scores", fake_name="fake_scores"):
  """Checks two score vectors and that their shapes match."""
  real = check_scores(real, real_name)
  fake = check_scores(fake, fake_name)
  if real.shape != fake.shape:
    raise ValueError(
        f"`{real_name}` and `{fake_name}` must have the same shape, got"
        f" {tuple(real.shape)} and {tuple(fake.shape)}."
    )
  return real, fake


def check_batch(x, name: str) -> jax.Array:
  """Checks a batch of inputs: float, rank >= 2 (batch, *features), non-empty."""
  x = check_float_array(x, name)
  if x.ndim < 2:
    raise ValueError(
        f"`{name}` must have shape (batch, *features) with rank >= 2, got shape"
        f" {tuple(x.shape)}."
    )
  if x.shape[0] == 0:
    raise ValueError(f"`{name}` is an empty batch.")
  return x


def check_batch_pair(real, fake):
  real = check_batch(real, "real")
  fake = check_batch(fake, "fake")
  if real.shape != fake.shape:
    raise ValueError(
        "`real` and `fake` must have the same shape, got"
        f" {tuple(real.shape)} and {tuple(fake.shape)}."
    )
  return real, fake


def check_non_negative(value, name: str):
  """Checks a Python/NumPy scalar hyperparameter is finite and >= 0."""
  if isinstance(value, numbers.Real) or getattr(value, "ndim", None) == 0:
    if isinstance(value, jax.core.Tracer):
      return value
    v = float(value)
    if not v >= 0.0 or v == float("inf"):
      raise ValueError(f"`{name}` must be a finite number >= 0, got {value}.")
    return value
  raise TypeError(f"`{name}` must be a real scalar, got {type(value).__name__}.")


def check_positive(value, name: str):
  """Checks a scalar hyperparameter is finite and > 0."""
  check_non_negative(value, name)
  if not isinstance(value, jax.core.Tracer) and float(value) == 0.0:
    raise ValueError(f"`{name}` must be > 0, got {value}.")
  return value


def check_positive_int(value, name: str) -> int:
  if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
    raise ValueError(f"`{name}` must be an integer >= 1, got {value!r}.")
  return int(value)


def check_choice(value, name: str, choices) -> str:
  if value not in choices:
    raise ValueError(
        f"Unknown {name} {value!r}; expected one of: {', '.join(sorted(choices))}."
    )
  return value


def check_same_feature_shape(a, b, name_a: str, name_b: str) -> None:
  """Raises ValueError naming both arguments unless the batches `a` and `b` agree after their batch axis."""
  if a.shape[1:] != b.shape[1:]:
    raise ValueError(f"`{name_a}` and `{name_b}` must have the same shape after the batch axis, got"
                     f" {tuple(a.shape[1:])} and {tuple(b.shape[1:])}.")


def check_labels(labels, num_classes: int | None, owner: str, *, shape: tuple | None = None,
                 name: str = "labels") -> jax.Array | None:
  """`labels` as int32 for a conditional `owner` (`num_classes` set), None for an unconditional one.

  Missing labels for a conditional owner, labels given to an unconditional one,
  and labels that are not integers or not of `shape` are clear errors naming
  `owner` and `name`. Values are not read: the train step's guard halts on a
  label outside `[0, num_classes)`.
  """
  if num_classes is None:
    if labels is not None:
      raise TypeError(f"{owner} is unconditional (num_classes=None) but was given `{name}`; build it with"
                      " num_classes=C for class labels.")
    return None
  expected = "" if shape is None else f" of shape {tuple(shape)}"
  if labels is None:
    raise ValueError(f"{owner} is conditional (num_classes={num_classes}): `{name}`, int class labels in"
                     f" [0, {num_classes}){expected}, is required.")
  labels = jnp.asarray(labels)
  if not jnp.issubdtype(labels.dtype, jnp.integer) or (shape is not None and labels.shape != tuple(shape)):
    raise ValueError(f"`{name}` must be integer class labels{expected} for {owner}, got {labels.dtype}"
                     f" {tuple(labels.shape)}.")
  return labels.astype(jnp.int32)


def check_per_sample_ints(values, name: str, n: int) -> np.ndarray:
  """`values` as an int array of shape `(n,)`, one per sample; a `ValueError` naming `name` otherwise."""
  values = np.asarray(values)
  if values.shape != (n,) or not np.issubdtype(values.dtype, np.integer):
    raise ValueError(f"`{name}` must be integers of shape ({n},), got {values.dtype} {values.shape}.")
  return values
