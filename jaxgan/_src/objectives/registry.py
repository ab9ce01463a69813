"""A registry of GAN objectives behind one interface.

`get(name, **hyperparams)` returns an :class:`Objective` whose `critic` and
`generator` take scores of shape `(batch,)`. Objectives with state (BEGAN's
`k_t`, MAGAN's margin) carry it explicitly: `init()` makes it, `update`
advances it, and `critic`/`generator` read it through `state=`.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, NamedTuple

import jax.numpy as jnp

from jaxgan._src import validation
from jaxgan._src.objectives import energy_based, f_gan, relativistic, standard


class Objective(NamedTuple):
  """A GAN objective as pure functions.

  Attributes:
    name: registry name.
    critic: `(real_scores, fake_scores, *, state=None) -> scalar` minimised by the critic.
    generator: `(fake_scores, real_scores=None, *, state=None, **extras) -> scalar`
      minimised by the generator (`extras`: `entropy` for `energy`,
      `embeddings` for `ebgan`).
    init: `() -> state` (an empty tuple for stateless objectives).
    update: `(state, real_scores, fake_scores) -> (state, metrics)` run once
      per critic update with that update's scores.
    scores: `"logits"` (higher = more real) or `"energies"` (lower = more real).
  """

  name: str
  critic: Callable[..., Any]
  generator: Callable[..., Any]
  init: Callable[[], Any]
  update: Callable[..., Any]
  scores: str


def _no_update(state, real_scores, fake_scores):
  del real_scores, fake_scores
  return state, {}


def _stateless(name, critic_fn, generator_fn, *, needs_real=False, scores="logits") -> Objective:
  def critic(real_scores, fake_scores, *, state=None):
    del state
    return critic_fn(real_scores, fake_scores)

  def generator(fake_scores, real_scores=None, *, state=None):
    del state
    if needs_real:
      return generator_fn(fake_scores, real_scores)
    return generator_fn(fake_scores)

  return Objective(name, critic, generator, tuple, _no_update, scores)


def _minimax():
  return _stateless("minimax", standard.minimax_critic, standard.minimax_generator)


def _non_saturating():
  return _stateless("non_saturating", standard.minimax_critic, standard.non_saturating_generator)


def _lsgan(*, a: float = 0.0, b: float = 1.0, c: float = 1.0):
  return _stateless(
      "lsgan",
      functools.partial(standard.lsgan_critic, a=a, b=b),
      functools.partial(standard.lsgan_generator, c=c),
  )


def _wgan():
  return _stateless("wgan", standard.wasserstein_critic, standard.wasserstein_generator)


def _wgan_div():
  # WGAN-div keeps WGAN's objective; what differs is its penalty
  # (`jaxgan.penalties.wgan_div`), which needs no Lipschitz constraint.
  return _stateless("wgan_div", standard.wasserstein_critic, standard.wasserstein_generator)


def _hinge(*, margin: float = 1.0):
  return _stateless(
      "hinge", functools.partial(standard.hinge_critic, margin=margin), standard.wasserstein_generator
  )


def _relativistic(flavour):
  def build():
    return _stateless(
        "relativistic" + ("" if flavour == "standard" else f"_{flavour}"),
        functools.partial(relativistic.relativistic_critic, flavour=flavour),
        functools.partial(relativistic.relativistic_generator, flavour=flavour),
        needs_real=True,
    )

  return build


def _relativistic_average(flavour):
  def build():
    return _stateless(
        "relativistic_average" + ("" if flavour == "standard" else f"_{flavour}"),
        functools.partial(relativistic.relativistic_average_critic, flavour=flavour),
        functools.partial(relativistic.relativistic_average_generator, flavour=flavour),
        needs_real=True,
    )

  return build


def _f_gan(divergence):
  def build(*, saturating: bool = False):
    return _stateless(
        f"f_gan_{divergence}",
        functools.partial(f_gan.f_gan_critic, divergence=divergence),
        functools.partial(f_gan.f_gan_generator, divergence=divergence, saturating=saturating),
    )

  return build


def _energy_generator(*, pulling_away_weight: float = 0.0):
  validation.check_non_negative(pulling_away_weight, "pulling_away_weight")

  def generator(fake_scores, real_scores=None, *, state=None, entropy=0.0, embeddings=None):
    del real_scores, state
    loss = energy_based.energy_generator(fake_scores, entropy=entropy)
    if pulling_away_weight:
      if embeddings is None:
        raise ValueError("`embeddings` are required when pulling_away_weight > 0.")
      loss = loss + pulling_away_weight * energy_based.pulling_away_term(embeddings)
    return loss

  return generator


def _ebgan(*, margin: float = 1.0, pulling_away_weight: float = 0.0):
  validation.check_positive(margin, "margin")
  critic_fn = functools.partial(energy_based.ebgan_critic, margin=margin)

  def critic(real_scores, fake_scores, *, state=None):
    del state
    return critic_fn(real_scores, fake_scores)

  return Objective("ebgan", critic, _energy_generator(pulling_away_weight=pulling_away_weight), tuple, _no_update, "energies")


def _magan(*, margin: float = 1.0, epoch_steps: int = 100, pulling_away_weight: float = 0.0):
  validation.check_positive(margin, "margin")
  validation.check_positive_int(epoch_steps, "epoch_steps")

  def critic(real_scores, fake_scores, *, state=None):
    m = margin if state is None else state.margin
    return energy_based.ebgan_critic(real_scores, fake_scores, margin=m)

  def update(state, real_scores, fake_scores):
    state = energy_based.magan_update(state, real_scores, fake_scores, epoch_steps=epoch_steps)
    return state, {"margin": state.margin}

  # A fresh state per call: train states donate theirs, so two of them must not share buffers.
  return Objective("magan", critic, _energy_generator(pulling_away_weight=pulling_away_weight),
                   lambda: energy_based.magan_init(margin), update, "energies")


def _began(*, gamma: float = 0.5, lambda_k: float = 1e-3, k_init: float = 0.0):
  validation.check_positive(gamma, "gamma")
  validation.check_non_negative(lambda_k, "lambda_k")
  if not 0.0 <= k_init <= 1.0:
    raise ValueError(f"`k_init` must lie in [0, 1], got {k_init}.")

  def init():
    return jnp.asarray(k_init, jnp.float32)

  def critic(real_scores, fake_scores, *, state=None):
    return energy_based.began_critic(real_scores, fake_scores, k=init() if state is None else state)

  def update(state, real_scores, fake_scores):
    new = energy_based.began_update(state, real_scores, fake_scores, gamma=gamma, lambda_k=lambda_k)
    return new.k, {"k": new.k, "convergence": new.convergence}

  return Objective("began", critic, _energy_generator(), init, update, "energies")


def _energy():
  def critic(real_scores, fake_scores, *, state=None):
    del state
    return energy_based.energy_critic(real_scores, fake_scores)

  return Objective("energy", critic, _energy_generator(), tuple, _no_update, "energies")


_REGISTRY: dict[str, Callable[..., Objective]] = {
    "minimax": _minimax,
    "non_saturating": _non_saturating,
    "lsgan": _lsgan,
    "wgan": _wgan,
    "wgan_div": _wgan_div,
    "hinge": _hinge,
    **{("relativistic" if f == "standard" else f"relativistic_{f}"): _relativistic(f) for f in relativistic.FLAVOURS},
    **{
        ("relativistic_average" if f == "standard" else f"relativistic_average_{f}"): _relativistic_average(f)
        for f in relativistic.FLAVOURS
    },
    **{f"f_gan_{d}": _f_gan(d) for d in f_gan.DIVERGENCES},
    "ebgan": _ebgan,
    "magan": _magan,
    "began": _began,
    "energy": _energy,
}


def available() -> list[str]:
  """Names accepted by :func:`get`, sorted."""
  return sorted(_REGISTRY)


def get(name: str, **hyperparams) -> Objective:
  """Returns the objective registered under `name`.

  Args:
    name: one of :func:`available`.
    **hyperparams: keyword hyperparameters of that objective (e.g. `margin`
      for hinge/ebgan, `a, b, c` for lsgan, `gamma, lambda_k` for began,
      `saturating` for the f-GAN family).

  Returns:
    An :class:`Objective`.

  Raises:
    ValueError: unknown name, or a hyperparameter that objective does not take.
  """
  if name not in _REGISTRY:
    raise ValueError(f"Unknown objective {name!r}; available: {', '.join(available())}.")
  builder = _REGISTRY[name]
  accepted = [p for p in inspect.signature(builder).parameters]
  unknown = sorted(set(hyperparams) - set(accepted))
  if unknown:
    raise ValueError(
        f"Objective {name!r} does not take {unknown}; its hyperparameters are: {accepted or 'none'}."
    )
  return builder(**hyperparams)
