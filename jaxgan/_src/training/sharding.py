"""Data parallelism: a 1-D device mesh with axis `"data"`, and where the batch and the state live on it.

`jax.jit` with `NamedSharding` partitions the train step: the batch is split
over `"data"`, the state replicated, and XLA inserts the cross-device
reductions, so gradients are the global batch means (the same maths on 1 or N
devices, up to float reduction order).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
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


def fully_sharded(tree, mesh: jax.sharding.Mesh):
  """Per-leaf shardings that split each state array over `"data"` (ZeRO-3 / FSDP-style), for `tree`'s shapes.

  Each leaf is split on its first axis whose size the mesh size divides, so
  every device holds 1/N of the parameters and optimiser moments; leaves
  with no such axis (scalars, biases of odd width, PRNG keys) stay
  replicated. XLA gathers a parameter where a layer needs it and
  reduce-scatters its gradient, so the updates equal the replicated ones up
  to float reduction order (Rajbhandari et al., ZeRO, SC 2020, Sec. 5).
  """
  def spec(leaf):
    shape = getattr(leaf, "shape", ())
    if jnp.issubdtype(getattr(leaf, "dtype", np.float32), jax.dtypes.prng_key):
      return NamedSharding(mesh, P())
    for axis, size in enumerate(shape):
      if size >= mesh.size and size % mesh.size == 0:
        return NamedSharding(mesh, P(*([None] * axis), "data"))
    return NamedSharding(mesh, P())

  return jax.tree.map(spec, tree)


def place(tree, shardings):
  """`jax.device_put(tree, shardings)`, also across processes: each process places its devices' parts.

  In a multi-process job a sharding spans other hosts' devices, where
  `device_put` cannot write; every process then holds the same host values
  (a deterministic init, a dataset) and builds the global array from them
  (`jax.make_array_from_callback`), so the values equal the single-process
  ones bit for bit. PRNG key leaves go through their key data.
  """
  if not isinstance(shardings, jax.sharding.Sharding):
    return jax.tree.map(place, tree, shardings)
  if shardings.is_fully_addressable:
    return jax.device_put(tree, shardings)

  def global_array(x):
    if jnp.issubdtype(x.dtype, jax.dtypes.prng_key):
      return jax.random.wrap_key_data(global_array(jax.random.key_data(x)), impl=jax.random.key_impl(x))
    host = np.asarray(x)
    return jax.make_array_from_callback(host.shape, shardings, lambda index: host[index])

  return jax.tree.map(global_array, tree)


def committed(tree):
  """`tree` with every concrete array committed to the device it sits on (tracers pass through).

  A jitted function is compiled per argument placement, and the outputs of a
  call are committed: a state that starts uncommitted (eager `init` values)
  would compile the step or `run` program a second time on its second call.
  """
  def commit(x):
    return x if isinstance(x, jax.core.Tracer) or not isinstance(x, jax.Array) else jax.device_put(x, x.sharding)

  return jax.tree.map(commit, tree)


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
