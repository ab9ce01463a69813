"""2-D toy distributions generated in-process (batches: `jaxgan._src.data.streams`).

The mixtures follow the standard mode-collapse protocol: a ring of 8
Gaussians (radius 2, std 0.02) and a 5x5 grid of 25 Gaussians (spacing 2,
std 0.05) (Srivastava et al., VEEGAN, 2017; Lin et al., PacGAN, 2018).
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple

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
    labelled_sample: for mixtures, `(rng_key, n) -> (x (n, 2), mode index (n,) int32)`:
      the same points as `sample`, with the index in `modes` of the mode each
      was drawn from (the class label of conditional GANs); None otherwise.
  """

  name: str
  sample: Callable[[jax.Array, int], jax.Array]
  modes: np.ndarray | None
  std: float | None
  labelled_sample: Callable[[jax.Array, int], tuple[jax.Array, jax.Array]] | None = None


def _mixture(name: str, modes: np.ndarray, std: float) -> ToyDistribution:
  centres = np.asarray(modes, np.float32)  # NumPy: building a distribution starts no JAX backend

  def labelled_sample(rng_key, n):
    k_mode, k_noise = jax.random.split(rng_key)
    idx = jax.random.randint(k_mode, (n,), 0, centres.shape[0])
    return jnp.asarray(centres)[idx] + std * jax.random.normal(k_noise, (n, 2), jnp.float32), idx.astype(jnp.int32)

  def sample(rng_key, n):
    return labelled_sample(rng_key, n)[0]

  return ToyDistribution(name, sample, modes, std, labelled_sample)


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

