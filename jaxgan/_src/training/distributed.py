"""Many processes, one program: JAX's distributed runtime, and reading its arrays back on each host.

`jax.distributed.initialize` connects the processes of a job (one per host,
or one per GPU) to a coordinator; afterwards `jax.devices()` lists every
process's devices, a `Mesh` over them spans hosts, and every jitted train
step is one SPMD program that each process runs on its own devices. On CPU
the cross-process collectives go through gloo.

The numbers do not depend on the process count: data drawn in the program
(`jg.data.toy_stream`, `jg.data.image_stream`) is the same global batch,
sharded over the global mesh, whatever the number of processes.
"""

from __future__ import annotations

import os
import socket
import time
from typing import Mapping

import jax
import numpy as np
from jax.experimental import multihost_utils


def cluster_environment(environ: Mapping[str, str] | None = None) -> str | None:
  """The multi-process cluster this process was launched in, or None.

  Detected from the launcher's variables: SLURM (`srun`, with `SLURM_NTASKS`
  > 1), Open MPI (`mpirun`, `OMPI_COMM_WORLD_SIZE` > 1) and a Cloud TPU pod
  (`TPU_WORKER_HOSTNAMES` naming more than one host). JAX's own cluster
  detection then finds the coordinator and this process's id.
  """
  environ = os.environ if environ is None else environ

  def count(name: str) -> int:
    try:
      return int(environ.get(name, "1"))
    except ValueError:
      return 1

  if "SLURM_JOB_ID" in environ and count("SLURM_NTASKS") > 1:
    return "SLURM"
  if count("OMPI_COMM_WORLD_SIZE") > 1:
    return "Open MPI"
  if len([h for h in environ.get("TPU_WORKER_HOSTNAMES", "").split(",") if h]) > 1:
    return "TPU pod"
  return None


def _check_address(address: str) -> str:
  host, sep, port = str(address).rpartition(":")
  if not (sep and host and port.isdigit() and 0 < int(port) < 65536):
    raise ValueError(f"`coordinator_address` must be 'HOST:PORT' with a port in 1..65535, got {address!r}.")
  return address


def check_process_arguments(coordinator_address: str | None = None, num_processes: int | None = None,
                            process_id: int | None = None, *, initialization_timeout: int = 300,
                            heartbeat_timeout_seconds: int = 100) -> bool:
  """Raises `ValueError` naming the argument if :func:`initialize` would refuse them; returns whether any is given."""
  given = {"coordinator_address": coordinator_address, "num_processes": num_processes, "process_id": process_id}
  for name, value in (("initialization_timeout", initialization_timeout),
                      ("heartbeat_timeout_seconds", heartbeat_timeout_seconds)):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
      raise ValueError(f"`{name}` must be an integer >= 1 (seconds), got {value!r}.")
  if all(v is None for v in given.values()):
    return False
  missing = [name for name, v in given.items() if v is None]
  if missing:
    raise ValueError(f"Give `coordinator_address`, `num_processes` and `process_id` together; missing {missing}.")
  _check_address(coordinator_address)
  if isinstance(num_processes, bool) or not isinstance(num_processes, int) or num_processes < 1:
    raise ValueError(f"`num_processes` must be an integer >= 1, got {num_processes!r}.")
  if isinstance(process_id, bool) or not isinstance(process_id, int) or not 0 <= process_id < num_processes:
    raise ValueError(f"`process_id` must be an integer in [0, {num_processes}) for `num_processes`={num_processes},"
                     f" got {process_id!r}.")
  return True


def _wait_for_coordinator(address: str, process_id: int, timeout: int) -> None:
  """Waits up to `timeout` s for the coordinator's port to accept connections; raises a clear error if it never does.

  (Past its deadline the runtime itself aborts the process with a C++ trace; this names the cause first.)
  """
  host, _, port = address.rpartition(":")
  deadline = time.monotonic() + timeout
  while True:
    try:
      with socket.create_connection((host.strip("[]"), int(port)), timeout=1.0):
        return
    except OSError as e:
      if time.monotonic() >= deadline:
        raise RuntimeError(f"Process {process_id} could not reach the coordinator at {address} within {timeout} s"
                           f" ({e}); start process 0 there, or check the address and firewall.") from None
      time.sleep(0.2)


def initialize(coordinator_address: str | None = None, num_processes: int | None = None,
               process_id: int | None = None, *, initialization_timeout: int = 300,
               heartbeat_timeout_seconds: int = 100) -> bool:
  """Joins this process to a multi-process JAX job; returns whether it did.

  With `coordinator_address`, `num_processes` and `process_id` (the names of
  `jax.distributed.initialize`'s arguments; give all three or none), the job
  is the one they describe; process 0 also runs the coordinator. With none,
  the runtime starts only in a detected cluster (:func:`cluster_environment`,
  whose variables JAX reads), and otherwise the process stays a
  single-process job (returns False).

  Bounded waits: a process that cannot reach the coordinator fails after
  `initialization_timeout` seconds; once running, a process that dies stops
  sending heartbeats and the runtime ends the others with an error naming it
  after `heartbeat_timeout_seconds`. CPU collectives use gloo.

  Must run before anything else uses JAX's backend.
  """
  explicit = check_process_arguments(coordinator_address, num_processes, process_id,
                                     initialization_timeout=initialization_timeout,
                                     heartbeat_timeout_seconds=heartbeat_timeout_seconds)
  if not explicit and cluster_environment() is None:
    return False
  if explicit and process_id != 0:
    _wait_for_coordinator(coordinator_address, process_id, initialization_timeout)
  jax.config.update("jax_cpu_collectives_implementation", "gloo")
  try:
    jax.distributed.initialize(coordinator_address, num_processes, process_id,
                               initialization_timeout=initialization_timeout,
                               heartbeat_timeout_seconds=heartbeat_timeout_seconds)
  except Exception as e:  # noqa: BLE001 - the runtime's errors are long C++ statuses: say what failed first
    where = coordinator_address or "the coordinator of the detected cluster"
    raise RuntimeError(f"Process {process_id} could not join the distributed job at {where} (waiting at most"
                       f" {initialization_timeout} s): {' '.join(str(e).split())[:500]}") from e
  return True


def is_primary() -> bool:
  """Whether this is process 0: the one that writes logs, plots, configs and metrics files."""
  return jax.process_index() == 0


def to_host(tree):
  """The tree's arrays as NumPy on this host, whatever their sharding (all processes must call it together).

  A fully replicated or fully addressable array is read locally; an array
  sharded over other processes' devices is gathered from them
  (`multihost_utils.process_allgather`).
  """
  def fetch(x):
    if not isinstance(x, jax.Array) or x.is_fully_addressable or x.is_fully_replicated:
      return np.asarray(x)
    return np.asarray(multihost_utils.process_allgather(x, tiled=True))

  return jax.tree.map(fetch, tree)
