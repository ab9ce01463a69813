"""Penalties by name behind one call signature, for configs and the train step."""

from __future__ import annotations

import inspect
from typing import Any, Callable, NamedTuple

import jax

from jaxgan._src import validation
from jaxgan._src.regularizers import gradient_penalties as gp
from jaxgan._src.regularizers.input_gradients import METHODS


class Penalty(NamedTuple):
  """A named penalty with the uniform signature `(critic_fn, real, fake, rng_key) -> scalar`."""

  name: str
  fn: Callable[..., jax.Array]

  def __call__(self, critic_fn, real, fake, rng_key):
    return self.fn(critic_fn, real, fake, rng_key)


def _with_signature(name, penalty_fn, uses):
  def build(**hyperparams):
    def fn(critic_fn, real, fake, rng_key):
      args = {"real": real, "fake": fake, "rng_key": rng_key}
      return penalty_fn(critic_fn, *(args[a] for a in uses), **hyperparams)

    return Penalty(name, fn)

  build.target = penalty_fn
  return build


_REGISTRY = {
    "wgan_gp": _with_signature("wgan_gp", gp.wgan_gp, ("real", "fake", "rng_key")),
    "wgan_lp": _with_signature("wgan_lp", gp.wgan_lp, ("real", "fake", "rng_key")),
    "r1": _with_signature("r1", gp.r1, ("real",)),
    "r2": _with_signature("r2", gp.r2, ("fake",)),
    "r1_r2": _with_signature("r1_r2", gp.r1_r2, ("real", "fake")),
    "zero_centered_gp": _with_signature("zero_centered_gp", gp.zero_centered_gp, ("real", "fake", "rng_key")),
    "dragan": _with_signature("dragan", gp.dragan, ("real", "rng_key")),
    "wgan_div": _with_signature("wgan_div", gp.wgan_div, ("real", "fake", "rng_key")),
}


def available() -> list[str]:
  """Names accepted by :func:`get`, sorted."""
  return sorted(_REGISTRY)


def hyperparameters(name: str) -> dict[str, Any]:
  """The keyword-only hyperparameters of penalty `name` and their defaults.

  Args:
    name: one of :func:`available`.

  Returns:
    `{hyperparameter: default}`, e.g. `{"gamma": 10.0, "method": "forward_over_reverse"}` for `"r1"`.

  Raises:
    ValueError: unknown name.
  """
  if name not in _REGISTRY:
    raise ValueError(f"Unknown penalty {name!r}; available: {', '.join(available())}.")
  parameters = inspect.signature(_REGISTRY[name].target).parameters.values()
  return {p.name: p.default for p in parameters if p.kind is p.KEYWORD_ONLY}


def get(name: str, **hyperparams) -> Penalty:
  """Returns the penalty `name` with its keyword hyperparameters bound.

  Args:
    name: one of :func:`available`.
    **hyperparams: keyword-only arguments of that penalty (`weight`, `gamma`,
      `method`, ...; listed by :func:`hyperparameters`).

  Returns:
    A :class:`Penalty` callable as `penalty(critic_fn, real, fake, rng_key)`.

  Raises:
    ValueError: unknown name or hyperparameter, or an invalid value.
  """
  accepted = list(hyperparameters(name))
  unknown = sorted(set(hyperparams) - set(accepted))
  if unknown:
    raise ValueError(f"Penalty {name!r} does not take {unknown}; its hyperparameters are: {accepted}.")
  for key, value in hyperparams.items():
    if key in ("weight", "gamma", "k", "perturbation", "target"):
      validation.check_non_negative(value, key)
    elif key == "p":
      validation.check_positive(value, key)
    elif key == "method":
      validation.check_choice(value, "method", METHODS)
  return _REGISTRY[name](**hyperparams)
