"""Instance noise: Gaussian noise on the critic's inputs, real and fake alike, annealed to zero."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

from jaxgan._src import validation


def instance_noise(rng_key: jax.Array, x: jax.Array, stddev) -> jax.Array:
  r"""Adds Gaussian noise of standard deviation `stddev` to a batch of critic inputs.

  .. math:: \tilde x = x + \sigma\,\varepsilon, \qquad \varepsilon \sim \mathcal N(0, I)

  Apply it to the real and the fake batch with the same :math:`\sigma` and
  independent keys, before the critic. Both distributions are then
  convolved with the same Gaussian, so their supports overlap and the
  divergence the critic estimates stays finite and smooth; anneal
  :math:`\sigma` to 0 with :func:`annealed_instance_noise`. Gradients flow
  to `x` unchanged (the noise is additive).

  Args:
    rng_key: a JAX PRNG key.
    x: critic inputs, shape `(batch, *features)`, floating dtype.
    stddev: sigma >= 0, a scalar (may be traced, e.g. a schedule's value).

  Returns:
    The noisy batch, the shape and dtype of `x`.

  References:
    Sønderby et al., Amortised MAP Inference for Image Super-resolution,
    ICLR 2017, instance noise (https://arxiv.org/abs/1610.04490); Arjovsky &
    Bottou, Towards Principled Methods for Training GANs, ICLR 2017,
    Section 4 (https://arxiv.org/abs/1701.04862).
  """
  x = validation.check_batch(x, "x")
  validation.check_non_negative(stddev, "stddev")
  return x + (stddev * jax.random.normal(rng_key, x.shape, x.dtype)).astype(x.dtype)


def annealed_instance_noise(initial_stddev: float, decay_steps: int) -> optax.Schedule:
  r"""A schedule `step -> stddev` decaying linearly from `initial_stddev` to 0.

  .. math:: \sigma(t) = \sigma_0 \max\big(0,\ (T - t) / T\big)

  Args:
    initial_stddev: :math:`\sigma_0 \ge 0`.
    decay_steps: T >= 1, the step from which the noise is 0.

  Returns:
    An optax-style schedule `step -> stddev` (a float32 scalar), usable
    under `jax.jit` with a traced step. It is exactly 0 from step T on
    (`optax.linear_schedule` can end a rounding error below 0).

  References:
    Sønderby et al., Amortised MAP Inference for Image Super-resolution,
    ICLR 2017, annealed instance noise. https://arxiv.org/abs/1610.04490
  """
  validation.check_non_negative(initial_stddev, "initial_stddev")
  decay_steps = validation.check_positive_int(decay_steps, "decay_steps")

  def schedule(step):
    return initial_stddev * jnp.clip((decay_steps - jnp.asarray(step, jnp.float32)) / decay_steps, 0.0, 1.0)

  return schedule


def instance_noise_augmentation(initial_stddev: float, decay_steps: int):
  """Annealed instance noise as a train-step augmentation: `augment(rng_key, x, step) -> x`.

  Pass it as `jg.train.GAN(augment=...)`: the step adds noise of standard
  deviation `annealed_instance_noise(initial_stddev, decay_steps)(step)` to
  the real and the fake batch (independent keys) wherever the critic sees
  them, penalties included; from step `decay_steps` on it is the identity.
  """
  schedule = annealed_instance_noise(initial_stddev, decay_steps)

  def augment(rng_key, x, step):
    return instance_noise(rng_key, x, schedule(step))

  return augment
