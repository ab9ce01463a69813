r"""Per-sample input gradients of a critic and penalties built from them.

A critic is `critic_fn(x) -> scores` with `x` of shape `(batch, *features)`
and scores of shape `(batch,)`. A gradient penalty is the batch mean of a
per-sample function `phi(g_i)` of `g_i = grad_x D(x_i)`. Three methods give
the same value and the same gradient with respect to whatever the critic
closes over (its parameters) and the points:

* `"vmap"`: `jax.vmap(jax.grad(D_single))`: the gradient of the critic run
  on each sample as a batch of one. For critics without cross-sample coupling
  this is the per-sample gradient; for coupled critics it is the gradient of
  the batch-of-one critic, not the derivative of D(x)_i in x_i with the
  other samples held fixed (no method computes that), and a batch-norm critic
  in training mode has zero input gradient on a batch of one, so its penalty
  is a constant: penalise critics without batch norm (layer norm or none).
* `"batch_sum"`: `jax.grad(lambda x: D(x).sum())`; the same numbers when
  sample i's score depends on sample i alone, and one backward pass instead
  of a batched one. The caller's parameter gradient is reverse-over-reverse.
* `"forward_over_reverse"`: the value from `batch_sum`'s gradient; the
  parameter gradient through the identity
  :math:`\nabla_\theta \tfrac1B\sum_i\phi(g_i) = \nabla_\theta \langle \nabla_x \textstyle\sum_i D(x_i), u\rangle`,
  :math:`u = \mathrm{stop\_grad}(\partial \tfrac1B\sum_i\phi/\partial g)`, i.e.
  the parameter gradient of a Jacobian-vector product of the critic along `u`
  (no reverse pass through a reverse pass). Same assumption as `batch_sum`.

The default, `"forward_over_reverse"`, was the fastest in
`benchmarks/penalty_cost.py` (see `benchmarks/RESULTS.md`). With
cross-sample coupling the three methods differ (`batch_sum` and
`forward_over_reverse` mix samples; tests/test_penalties.py shows both).

References:
  Gulrajani et al., Improved Training of Wasserstein GANs, 2017 (per-sample
  gradient norms); Pearlmutter, Fast exact multiplication by the Hessian,
  1994 (Hessian-vector products by forward-over-reverse).
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
import optax

from jaxgan._src import validation

METHODS = ("vmap", "batch_sum", "forward_over_reverse")
DEFAULT_METHOD = "forward_over_reverse"

CriticFn = Callable[[jax.Array], jax.Array]


def _checked_critic(critic_fn: CriticFn) -> CriticFn:
  def fn(x):
    scores = critic_fn(x)
    if scores.shape != (x.shape[0],):
      raise ValueError(
          f"`critic_fn` must map a batch of shape (batch, ...) to scores of shape"
          f" (batch,); for an input of shape {tuple(x.shape)} it returned"
          f" {tuple(scores.shape)}."
      )
    return scores

  return fn


def input_gradients(critic_fn: CriticFn, x: jax.Array, *, method: str = DEFAULT_METHOD) -> jax.Array:
  """Per-sample gradients `grad_x D(x_i)`, shape `x.shape`.

  Args:
    critic_fn: `(batch, *features) -> (batch,)` scores.
    x: points, shape `(batch, *features)`.
    method: `"vmap"` (each sample as a batch of one) or
      `"batch_sum"`/`"forward_over_reverse"` (both compute `grad(D(x).sum())`);
      all agree for critics without cross-sample coupling.

  Returns:
    Array of the same shape as `x`.
  """
  validation.check_choice(method, "method", METHODS)
  x = validation.check_batch(x, "x")
  critic = _checked_critic(critic_fn)
  if method == "vmap":
    return jax.vmap(jax.grad(lambda xi: critic(xi[None])[0]))(x)
  return jax.grad(lambda xs: jnp.sum(critic(xs)))(x)


def safe_norms(gradients: jax.Array) -> jax.Array:
  """Per-sample Euclidean norms, shape `(batch,)`, with gradient 0 (not NaN) at 0."""
  return optax.safe_norm(gradients.reshape(gradients.shape[0], -1), 0.0, axis=-1)


def squared_norms(gradients: jax.Array) -> jax.Array:
  """Per-sample squared Euclidean norms, shape `(batch,)`."""
  return jnp.sum(gradients.reshape(gradients.shape[0], -1) ** 2, axis=-1)


def gradient_penalty(
    critic_fn: CriticFn,
    points: jax.Array,
    per_sample_fn: Callable[[jax.Array], jax.Array],
    *,
    method: str = DEFAULT_METHOD,
) -> jax.Array:
  r"""Batch mean of `per_sample_fn` applied to the critic's input gradients.

  .. math:: P = \frac1B \sum_{i=1}^B \phi(\nabla_x D(x_i))

  Args:
    critic_fn: `(batch, *features) -> (batch,)` scores; a closure over the
      critic's parameters, so the caller's `jax.grad` differentiates `P`.
    points: where to take gradients, shape `(batch, *features)`.
    per_sample_fn: maps gradients of shape `(batch, *features)` to per-sample
      values of shape `(batch,)` (row i may depend on row i only).
    method: see the module docstring.

  Returns:
    Scalar `P`.
  """
  validation.check_choice(method, "method", METHODS)
  points = validation.check_batch(points, "points")

  def mean_phi(g):
    # Norms and penalty in at least float32, whatever the critic's compute dtype.
    return jnp.mean(per_sample_fn(g.astype(jnp.promote_types(g.dtype, jnp.float32))))

  if method != "forward_over_reverse":
    return mean_phi(input_gradients(critic_fn, points, method=method))

  critic = _checked_critic(critic_fn)
  total = lambda xs: jnp.sum(critic(xs))  # noqa: E731
  grads = jax.lax.stop_gradient(jax.grad(total)(points))
  value, direction = jax.value_and_grad(mean_phi)(grads)
  # <grad_x sum D(x), u> as a forward-mode directional derivative: its
  # gradient in the parameters and in the points equals that of `value`.
  _, surrogate = jax.jvp(total, (points,), (jax.lax.stop_gradient(direction).astype(points.dtype),))
  surrogate = surrogate.astype(value.dtype)
  return jax.lax.stop_gradient(value) + surrogate - jax.lax.stop_gradient(surrogate)
