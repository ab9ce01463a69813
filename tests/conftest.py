import atexit
import os
import shutil
import tempfile

# Four fake CPU devices for the data-parallel tests; set before JAX starts.
os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=4")
os.environ.setdefault("MPLBACKEND", "Agg")
# One persistent XLA compilation cache per test session, shared by the xdist workers and the jobs the tests start
# (they inherit the environment the controller sets here first): the same tiny programs are compiled once, not in
# every process that trains them. A fresh directory each session, so no test reads a previous session's programs;
# the process that made it removes it at exit.
if "JAX_COMPILATION_CACHE_DIR" not in os.environ:
  os.environ["JAX_COMPILATION_CACHE_DIR"] = tempfile.mkdtemp(prefix="jaxgan-tests-xla-cache-")
  atexit.register(shutil.rmtree, os.environ["JAX_COMPILATION_CACHE_DIR"], ignore_errors=True)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def one_device_env() -> dict:
  """The environment of a fresh machine: one CPU device (no forced device count), as the README runs jobs."""
  return {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
