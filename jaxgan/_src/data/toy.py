"""2-D toy distributions generated in-process, and a device-ready batch iterator.

The mixtures follow the standard mode-collapse protocol: a ring of 8
Gaussians (radius 2, std 0.02) and a 5x5 grid of 25 Gaussians (spacing 2,
std 0.05) (Srivastava et al., VEEGAN, 2017; Lin et al., PacGAN, 2018).
"""

from __future__ import annotations

import math
from typing import Callable, Iterator, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxgan._src import validation


class ToyDistribution(NamedTuple):
  """A 2-D distribution: `sample(rng_key, n) -> (n, 2)` float32.

  Attributes:
    name: registry name.
    sample: pure sampler, jit-able.
    modes: mode centres, shape `(num_modes, 2)`, or None (no discrete modes).
    std: per-mode standard deviation (for the high-quality criterion), or None.
  """

  name: str
  sample: Callable[[jax.Array, int], jax.Array]
  modes: np.ndarray | None
  std: float | None


def _mixture(name: str, modes: np.ndarray, std: float) -> ToyDistribution:
  centres = jnp.asarray(modes, jnp.float32)

  def sample(rng_key, n):
    k_mode, k_noise = jax.random.split(rng_key)
    idx = jax.random.randint(k_mode, (n,), 0, centres.shape[0])
    return centres[idx] + std * jax.random.normal(k_noise, (n, 2), jnp.float32)

  return ToyDistribution(name, sample, modes, std)


def ring8(radius: float = 2.0, std: float = 0.02) -> ToyDistribution:
  """Eight Gaussians evenly spaced on a circle."""
  angles = 2 * np.pi * np.arange(8) / 8
  return _mixture("ring8", radius * np.stack([np.cos(angles), np.sin(angles)], -1), std)


def grid25(spacing: float = 2.0, std: float = 0.05) -> ToyDistribution:
  """A 5x5 grid of Gaussians centred at the origin."""
  coords = spacing * (np.arange(5) - 2.0)
  return _mixture("grid25", np.stack(np.meshgrid(coords, coords), -1).reshape(-1, 2), std)


def swiss_roll(noise: float = 0.25, scale: float = 0.25) -> ToyDistribution:
  """The 2-D swiss roll `t (cos t, sin t)`, t ~ U[1.5 pi, 4.5 pi], scaled to about [-4, 4]^2."""

  def sample(rng_key, n):
    k_t, k_noise = jax.random.split(rng_key)
    t = 1.5 * math.pi * (1.0 + 2.0 * jax.random.uniform(k_t, (n,)))
    x = jnp.stack([t * jnp.cos(t), t * jnp.sin(t)], axis=-1)
    return scale * (x + noise * jax.random.normal(k_noise, (n, 2)))

  return ToyDistribution("swiss_roll", sample, None, None)


def two_moons(noise: float = 0.05, scale: float = 2.0) -> ToyDistribution:
  """Two interleaving half circles (as scikit-learn's make_moons), scaled by `scale`."""

  def sample(rng_key, n):
    k_t, k_side, k_noise = jax.random.split(rng_key, 3)
    t = math.pi * jax.random.uniform(k_t, (n,))
    upper = jax.random.bernoulli(k_side, 0.5, (n,))
    x = jnp.where(upper[:, None],
                  jnp.stack([jnp.cos(t), jnp.sin(t)], -1),
                  jnp.stack([1.0 - jnp.cos(t), 0.5 - jnp.sin(t)], -1))
    x = x - jnp.array([0.5, 0.25])
    return scale * (x + noise * jax.random.normal(k_noise, (n, 2)))

  return ToyDistribution("two_moons", sample, None, None)


_REGISTRY = {"ring8": ring8, "grid25": grid25, "swiss_roll": swiss_roll, "two_moons": two_moons}


def available() -> list[str]:
  """Names accepted by :func:`get`."""
  return sorted(_REGISTRY)


def get(name: str) -> ToyDistribution:
  """Returns the toy distribution `name` with its default parameters."""
  return _REGISTRY[validation.check_choice(name, "toy dataset", _REGISTRY)]()


def batches(
    distribution: ToyDistribution,
    rng_key: jax.Array,
    *,
    batch_size: int,
    n_critic: int = 1,
    start_step: int = 0,
    sharding: jax.sharding.Sharding | None = None,
) -> Iterator[jax.Array]:
  """Infinite iterator of device-ready batches, shape `(n_critic, batch_size, 2)`.

  Batch `s` depends only on `(rng_key, s)`, so resuming at `start_step` yields
  exactly the batches an uninterrupted run would have seen. With `sharding`
  (e.g. `NamedSharding(mesh, P(None, "data"))`) batches are laid out over devices.

  Values are not checked per batch (that would cost a device-to-host sync per
  step): the registered distributions are closed-form samplers of finite
  values, and a hand-written `distribution.sample` is trusted; the train
  step's non-finite guard catches the NaN losses such a batch would give.

  Args:
    distribution: a :class:`ToyDistribution`.
    rng_key: data key.
    batch_size: samples per microbatch.
    n_critic: leading axis (one microbatch per critic update).
    start_step: index of the first batch.
    sharding: optional output sharding.

  Yields:
    float32 arrays of shape `(n_critic, batch_size, 2)`.
  """
  batch_size = validation.check_positive_int(batch_size, "batch_size")
  n_critic = validation.check_positive_int(n_critic, "n_critic")
  make = jax.jit(
      lambda key: distribution.sample(key, n_critic * batch_size).reshape(n_critic, batch_size, 2),
      out_shardings=sharding,
  )
  step = start_step
  while True:
    yield make(jax.random.fold_in(rng_key, step))
    step += 1
