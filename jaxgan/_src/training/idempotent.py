r"""Idempotent generative network (IGN): one network f trained so that real data are its fixed points and f(f(z)) = f(z).

With a distance :math:`D` (per-sample mean absolute or squared difference)
and noise :math:`z` of the data's shape,

.. math::
   L_{rec} = D(f(x), x),\quad
   L_{idem} = D(f_{\bar\theta}(f_\theta(z)), f_\theta(z)),\quad
   \tilde L_{tight} = -D(f_\theta(\bar y), \bar y),\ \bar y = \mathrm{sg}(f_\theta(z))

where :math:`f_{\bar\theta}` is a frozen copy (same weights, no gradient)
and sg stops the gradient. Idempotence pulls f(z) toward the set where f is
idempotent through the *inner* application only; tightness pushes the
*outer* application to keep that set small, so it does not grow over noise.
Tightness is smoothly clamped, :math:`L_{tight} = \tanh(\tilde L_{tight} /
(a L_{rec}))\, a L_{rec}`, and the loss is :math:`\lambda_r L_{rec} +
\lambda_i L_{idem} + \lambda_t L_{tight}`. Sampling is one step, f(z), and
may be refined by applying f again.

References:
  Shocher, Dravid, Gandelsman, Mosseri, Rubinstein & Efros, Idempotent
  Generative Network, ICLR 2024, Eq. 4-9 and Algorithm 1 (weights 20, 20,
  2.5, clamp a = 1.5, L1 distance, Section 4).
  https://arxiv.org/abs/2311.01462
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import optax

from jaxgan._src import validation

DISTANCES = ("l1", "l2")


class IdempotentLosses(NamedTuple):
  """The total loss and its parts (tightness after the clamp, unweighted)."""

  total: jax.Array
  reconstruction: jax.Array
  idempotence: jax.Array
  tightness: jax.Array


class IdempotentState(NamedTuple):
  """An IGN run as one pytree: params, optax state, EMA params, step and key."""

  step: jax.Array
  params: Any
  opt_state: Any
  ema_params: Any
  rng_key: jax.Array


def _distance(a, b, kind: str) -> jax.Array:
  diff = (a - b).reshape(a.shape[0], -1)
  return jnp.mean(jnp.abs(diff) if kind == "l1" else diff**2, axis=1)


def idempotent_losses(apply_fn: Callable, params, x, z, *, reconstruction_weight: float = 20.0,
                      idempotence_weight: float = 20.0, tightness_weight: float = 2.5,
                      tightness_clamp: float | None = 1.5, distance: str = "l1") -> IdempotentLosses:
  """IGN's losses on a real batch `x` and a noise batch `z` of the same shape (see the module docstring).

  Args:
    apply_fn: `(params, batch) -> batch` of the same shape.
    params: the network's parameters (the frozen copy uses them without gradient).
    x: real batch.
    z: noise batch, same shape as `x`.
    reconstruction_weight, idempotence_weight, tightness_weight: lambda_r, lambda_i, lambda_t >= 0.
    tightness_clamp: `a` of the smooth clamp, > 0; `None` for the raw tightness.
    distance: `"l1"` (the paper's experiments) or `"l2"` (its Algorithm 1).

  Returns:
    :class:`IdempotentLosses` of batch means.
  """
  x, z = validation.check_batch(x, "x"), validation.check_batch(z, "z")
  if x.shape != z.shape:
    raise ValueError(f"`z` must have the shape of `x`, {tuple(x.shape)}; got {tuple(z.shape)}.")
  for value, name in ((reconstruction_weight, "reconstruction_weight"), (idempotence_weight, "idempotence_weight"),
                      (tightness_weight, "tightness_weight")):
    validation.check_non_negative(value, name)
  if tightness_clamp is not None:
    validation.check_positive(tightness_clamp, "tightness_clamp")
  validation.check_choice(distance, "distance", DISTANCES)

  frozen = jax.lax.stop_gradient(params)
  fz = apply_fn(params, z)
  fz_fixed = jax.lax.stop_gradient(fz)
  reconstruction = jnp.mean(_distance(apply_fn(params, x), x, distance))
  idempotence = jnp.mean(_distance(apply_fn(frozen, fz), fz, distance))
  tightness = -jnp.mean(_distance(apply_fn(params, fz_fixed), fz_fixed, distance))
  if tightness_clamp is not None:
    scale = tightness_clamp * jax.lax.stop_gradient(reconstruction)
    tightness = jnp.tanh(tightness / jnp.maximum(scale, 1e-12)) * scale
  total = reconstruction_weight * reconstruction + idempotence_weight * idempotence + tightness_weight * tightness
  return IdempotentLosses(total, reconstruction, idempotence, tightness)


def init_idempotent_state(params, optimizer: optax.GradientTransformation, rng_key) -> IdempotentState:
  return IdempotentState(jnp.zeros((), jnp.int32), params, optimizer.init(params),
                         jax.tree.map(jnp.array, params), rng_key)


def make_idempotent_train_step(apply_fn: Callable, optimizer: optax.GradientTransformation, *,
                               ema_decay: float = 0.999, noise_fn: Callable | None = None,
                               **loss_kwargs) -> Callable:
  """A jitted `step(state, x) -> (state, metrics)`: one optimiser update on :func:`idempotent_losses`.

  Args:
    apply_fn: `(params, batch) -> batch`.
    optimizer: an optax transformation.
    ema_decay: decay of the EMA params, in [0, 1).
    noise_fn: `(key, x) -> z`; default standard normal of `x`'s shape.
    **loss_kwargs: passed to :func:`idempotent_losses`.

  A non-finite loss or gradient freezes the state (params unchanged) and is
  reported in `metrics["finite"]`; the caller stops with a clear error.
  """
  if not 0.0 <= ema_decay < 1.0:
    raise ValueError(f"`ema_decay` must lie in [0, 1), got {ema_decay}.")
  noise_fn = noise_fn or (lambda key, x: jax.random.normal(key, x.shape, x.dtype))

  def step(state: IdempotentState, x):
    z = noise_fn(jax.random.fold_in(state.rng_key, state.step), x)

    def loss(params):
      losses = idempotent_losses(apply_fn, params, x, z, **loss_kwargs)
      return losses.total, losses

    (_, losses), grads = jax.value_and_grad(loss, has_aux=True)(state.params)
    updates, opt_state = optimizer.update(grads, state.opt_state, state.params)
    params = optax.apply_updates(state.params, updates)
    grad_norm = optax.tree.norm(grads)
    finite = jnp.isfinite(losses.total) & jnp.isfinite(grad_norm)
    keep = lambda new, old: jax.tree.map(lambda a, b: jnp.where(finite, a, b), new, old)
    ema = optax.incremental_update(params, state.ema_params, 1.0 - ema_decay)
    new_state = IdempotentState(state.step + finite.astype(jnp.int32), keep(params, state.params),
                                keep(opt_state, state.opt_state), keep(ema, state.ema_params), state.rng_key)
    return new_state, {**losses._asdict(), "grad_norm": grad_norm, "finite": finite}

  return jax.jit(step, donate_argnums=0)
