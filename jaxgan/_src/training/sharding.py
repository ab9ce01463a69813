"""Data parallelism: a 1-D device mesh with axis `"data"`, and where the batch and the state live on it.

`jax.jit` with `NamedSharding` partitions the train step: the batch is split
over `"data"`, the state replicated, and XLA inserts the cross-device
reductions, so gradients are the global batch means (the same maths on 1 or N
devices, up to float reduction order).
"""

from __future__ import annotations

import jax
import numpy as np
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

from jaxgan._src import validation


def data_mesh(num_devices: int | None = None) -> jax.sharding.Mesh:
  """A 1-D mesh with axis `"data"` over the first `num_devices` devices (default: all)."""
  devices = jax.devices()
  num_devices = len(devices) if num_devices is None else validation.check_positive_int(num_devices, "num_devices")
  if num_devices > len(devices):
    raise ValueError(f"`num_devices`={num_devices} but only {len(devices)} devices are visible.")
  return jax.sharding.Mesh(np.asarray(devices[:num_devices]), ("data",))


def batch_sharding(mesh: jax.sharding.Mesh) -> NamedSharding:
  """Sharding of a `(n_critic, batch, ...)` batch: the batch axis split over `"data"`."""
  return NamedSharding(mesh, P(None, "data"))


def replicated(mesh: jax.sharding.Mesh) -> NamedSharding:
  """Sharding of the train state and metrics: a full copy on every device."""
  return NamedSharding(mesh, P())
