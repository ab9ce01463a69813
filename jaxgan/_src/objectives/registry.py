"""A registry of GAN objectives behind one interface.

`get(name, **hyperparams)` returns an :class:`Objective` whose `critic` and
`generator` take scores of shape `(batch,)`. Objectives with state (BEGAN's
`k_t`, MAGAN's margin) carry it explicitly: `init()` makes it, `update`
advances it, and `critic`/`generator` read it through `state=`; calling a
stateful objective's `critic` without `state=` is an error.
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
    extras: names of the critic outputs on the fakes, beside the scores, that
      `generator` takes as keyword arguments (`("embeddings",)` for EBGAN/MAGAN
      with a pulling-away term); the train step passes them.
  """

  name: str
  critic: Callable[..., Any]
  generator: Callable[..., Any]
  init: Callable[[], Any]
  update: Callable[..., Any]
  scores: str
  extras: tuple[str, ...] = ()

  def realness(self, scores):
    r"""The critic's realness :math:`d` (higher = more real): the logit itself, or :math:`d = -U` for energies.

    The one sign convention between critics and what consumes them (latent
    samplers target :math:`p_g(x)\, e^{d(x)}`, `jg.samplers.latent_energy`). A
    logit estimates :math:`\log p_{data}/p_g` only for the optimal minimax
    critic; calibrate it (`jg.samplers.calibrate_logits`) to use it as one.

    Args:
      scores: critic outputs, any shape.

    Returns:
      :math:`d`, the shape of `scores`.
    """
    return -scores if self.scores == "energies" else scores


def _no_update(state, real_scores, fake_scores):
  del real_scores, fake_scores
  return state, {}


def _stateless(critic_fn, generator_fn, *, needs_real=False) -> Objective:
  def critic(real_scores, fake_scores, *, state=None):
    del state
    return critic_fn(real_scores, fake_scores)

  def generator(fake_scores, real_scores=None, *, state=None):
    del state
    if needs_real:
      return generator_fn(fake_scores, real_scores)
    return generator_fn(fake_scores)

  return Objective("", critic, generator, tuple, _no_update, "logits", ())


def _required_state(state, name: str):
  """A stateful objective's state; `None` (a forgotten `state=`) is an error, never a silent default."""
  if state is None:
    raise ValueError(
        f"Objective {name!r} is stateful: pass `state=` (from `objective.init()`, advanced by"
        " `objective.update`); without it the objective would train with a frozen state."
    )
  return state


def _minimax(*, label_smoothing: float = 0.0):
  standard.check_label_smoothing(label_smoothing)
  return _stateless(functools.partial(standard.minimax_critic, label_smoothing=label_smoothing),
                    standard.minimax_generator)


def _non_saturating(*, label_smoothing: float = 0.0):
  # The same critic loss as "minimax", hence the same one-sided label smoothing.
  standard.check_label_smoothing(label_smoothing)
  return _stateless(functools.partial(standard.minimax_critic, label_smoothing=label_smoothing),
                    standard.non_saturating_generator)


def _lsgan(*, a: float = 0.0, b: float = 1.0, c: float = 1.0):
  return _stateless(functools.partial(standard.lsgan_critic, a=a, b=b), functools.partial(standard.lsgan_generator, c=c))


def _wgan():
  # Also registered as "wgan_div": WGAN-div keeps WGAN's objective; what differs is its
  # penalty (`jaxgan.penalties.wgan_div`), which needs no Lipschitz constraint.
  return _stateless(standard.wasserstein_critic, standard.wasserstein_generator)


def _hinge(*, margin: float = 1.0):
  return _stateless(functools.partial(standard.hinge_critic, margin=margin), standard.wasserstein_generator)


def _relativistic(critic_fn, generator_fn, flavour):
  def build():
    return _stateless(functools.partial(critic_fn, flavour=flavour), functools.partial(generator_fn, flavour=flavour),
                      needs_real=True)

  return build


def _f_gan(divergence):
  def build(*, saturating: bool = False):
    return _stateless(
        functools.partial(f_gan.f_gan_critic, divergence=divergence),
        functools.partial(f_gan.f_gan_generator, divergence=divergence, saturating=saturating),
    )

  return build


def _energy_generator(*, pulling_away_weight: float = 0.0):
  """The energy objectives' generator loss and the critic outputs it needs (`embeddings` for the pulling-away term)."""
  validation.check_non_negative(pulling_away_weight, "pulling_away_weight")

  def generator(fake_scores, real_scores=None, *, state=None, entropy=0.0, embeddings=None):
    del real_scores, state
    loss = energy_based.energy_generator(fake_scores, entropy=entropy)
    if pulling_away_weight:
      if embeddings is None:
        raise ValueError(
            "`embeddings` of the fakes are required when pulling_away_weight > 0: give the critic a"
            " `return_embeddings=True` output (e.g. jg.models.MLPAutoencoderCritic(return_embeddings=True))."
        )
      loss = loss + pulling_away_weight * energy_based.pulling_away_term(embeddings)
    return loss

  return generator, ("embeddings",) if pulling_away_weight else ()


def _ebgan(*, margin: float = 1.0, pulling_away_weight: float = 0.0):
  validation.check_positive(margin, "margin")
  critic_fn = functools.partial(energy_based.ebgan_critic, margin=margin)

  def critic(real_scores, fake_scores, *, state=None):
    del state
    return critic_fn(real_scores, fake_scores)

  generator, extras = _energy_generator(pulling_away_weight=pulling_away_weight)
  return Objective("", critic, generator, tuple, _no_update, "energies", extras)


def _magan(*, margin: float = 1.0, epoch_steps: int = 100, pulling_away_weight: float = 0.0):
  validation.check_positive(margin, "margin")
  validation.check_positive_int(epoch_steps, "epoch_steps")

  def critic(real_scores, fake_scores, *, state=None):
    margin = _required_state(state, "magan").margin
    return energy_based.ebgan_critic(real_scores, fake_scores, margin=margin)

  def update(state, real_scores, fake_scores):
    state = energy_based.magan_update(state, real_scores, fake_scores, epoch_steps=epoch_steps)
    return state, {"margin": state.margin}

  generator, extras = _energy_generator(pulling_away_weight=pulling_away_weight)
  # A fresh state per call: train states donate theirs, so two of them must not share buffers.
  return Objective("", critic, generator, lambda: energy_based.magan_init(margin), update, "energies", extras)


def _began(*, gamma: float = 0.5, lambda_k: float = 1e-3, k_init: float = 0.0):
  validation.check_positive(gamma, "gamma")
  validation.check_non_negative(lambda_k, "lambda_k")
  if not 0.0 <= k_init <= 1.0:
    raise ValueError(f"`k_init` must lie in [0, 1], got {k_init}.")

  def init():
    return jnp.asarray(k_init, jnp.float32)

  def critic(real_scores, fake_scores, *, state=None):
    return energy_based.began_critic(real_scores, fake_scores, k=_required_state(state, "began"))

  def update(state, real_scores, fake_scores):
    new = energy_based.began_update(state, real_scores, fake_scores, gamma=gamma, lambda_k=lambda_k)
    return new.k, {"k": new.k, "convergence": new.convergence}

  return Objective("", critic, _energy_generator()[0], init, update, "energies", ())


def _energy():
  def critic(real_scores, fake_scores, *, state=None):
    del state
    return energy_based.energy_critic(real_scores, fake_scores)

  return Objective("", critic, _energy_generator()[0], tuple, _no_update, "energies", ())


def _relativistic_name(prefix, flavour):
  return prefix if flavour == "standard" else f"{prefix}_{flavour}"


_REGISTRY: dict[str, Callable[..., Objective]] = {
    "minimax": _minimax,
    "non_saturating": _non_saturating,
    "lsgan": _lsgan,
    "wgan": _wgan,
    "wgan_div": _wgan,
    "hinge": _hinge,
    **{_relativistic_name("relativistic", f): _relativistic(
        relativistic.relativistic_critic, relativistic.relativistic_generator, f) for f in relativistic.FLAVOURS},
    **{_relativistic_name("relativistic_average", f): _relativistic(
        relativistic.relativistic_average_critic, relativistic.relativistic_average_generator, f)
       for f in relativistic.FLAVOURS},
    **{f"f_gan_{d}": _f_gan(d) for d in f_gan.DIVERGENCES},
    "ebgan": _ebgan,
    "magan": _magan,
    "began": _began,
    "energy": _energy,
}


def available() -> list[str]:
  """Names accepted by :func:`get`, sorted."""
  return sorted(_REGISTRY)


def hyperparameters(name: str) -> dict[str, Any]:
  """The keyword hyperparameters of objective `name` and their defaults (`{}` if it has none).

  Args:
    name: one of :func:`available`.

  Returns:
    `{hyperparameter: default}`, e.g. `{"margin": 1.0}` for `"hinge"`.

  Raises:
    ValueError: unknown name.
  """
  if name not in _REGISTRY:
    raise ValueError(f"Unknown objective {name!r}; available: {', '.join(available())}.")
  return {p.name: p.default for p in inspect.signature(_REGISTRY[name]).parameters.values()}


def get(name: str, **hyperparams) -> Objective:
  """Returns the objective registered under `name`.

  Args:
    name: one of :func:`available`.
    **hyperparams: keyword hyperparameters of that objective (e.g. `margin`
      for hinge/ebgan, `a, b, c` for lsgan, `label_smoothing` (one-sided,
      on the reals) for minimax/non_saturating, `gamma, lambda_k` for began,
      `saturating` for the f-GAN family; all listed by :func:`hyperparameters`).

  Returns:
    An :class:`Objective`.

  Raises:
    ValueError: unknown name, or a hyperparameter that objective does not take.
  """
  accepted = list(hyperparameters(name))
  unknown = sorted(set(hyperparams) - set(accepted))
  if unknown:
    raise ValueError(
        f"Objective {name!r} does not take {unknown}; its hyperparameters are: {accepted or 'none'}."
    )
  return _REGISTRY[name](**hyperparams)._replace(name=name)
