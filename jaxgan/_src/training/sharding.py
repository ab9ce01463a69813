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


def train_shardings(mesh: jax.sharding.Mesh | None, num_runs: int | None) -> tuple:
  """`(state sharding, batch sharding)` of a train step: `(None, None)` without a mesh.

  One run: the state replicated, the batch split on its batch axis. `N` runs
  with `N` divisible by the mesh size: each run on one device (state and
  batch split on the run axis), so runs train without cross-device traffic.
  Otherwise the runs' states are replicated and each run's batch split.
  """
  if mesh is None:
    return None, None
  if num_runs is None:
    return replicated(mesh), batch_sharding(mesh)
  if num_runs % mesh.size == 0:
    return NamedSharding(mesh, P("data")), NamedSharding(mesh, P("data"))
  return replicated(mesh), NamedSharding(mesh, P(None, None, "data"))
