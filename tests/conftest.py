import atexit
import os
import shutil
import tempfile

# The tests compile hundreds of small programs and run most of them for a few steps, so LLVM's optimisation passes
# are most of their time: in-process tests, and the multi-process jobs (`devices_env`), compile without them (the
# arithmetic is the same IEEE arithmetic: XLA:CPU uses no fast-math). Jobs started as the README runs them
# (`one_device_env`) compile with XLA's defaults. Set before JAX starts.
TEST_COMPILE_FLAGS = "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"


def devices_env(num_devices: int) -> dict:
  """This environment with `num_devices` fake CPU devices per process, compiled as the in-process tests are."""
  return {**os.environ, "XLA_FLAGS": f"--xla_force_host_platform_device_count={num_devices} {TEST_COMPILE_FLAGS}"}


# Four fake CPU devices for the data-parallel tests.
os.environ.setdefault("XLA_FLAGS", devices_env(4)["XLA_FLAGS"])
os.environ.setdefault("MPLBACKEND", "Agg")
# One persistent XLA compilation cache per test session, shared by the xdist workers and the jobs the tests start
# (they inherit the environment the controller sets here first): the same tiny programs are compiled once, not in
# every process that trains them. A fresh directory each session, so no test reads a previous session's programs;
# the process that made it removes it at exit.
if "JAX_COMPILATION_CACHE_DIR" not in os.environ:
  os.environ["JAX_COMPILATION_CACHE_DIR"] = tempfile.mkdtemp(prefix="jaxgan-tests-xla-cache-")
  atexit.register(shutil.rmtree, os.environ["JAX_COMPILATION_CACHE_DIR"], ignore_errors=True)
# Every program goes into it, not only those compiling for over a second (JAX's default): the jobs the tests start
# again and again (kill, resume, one process per device) compile the same small programs.
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
# One cache of trained evaluators (the in-project shape classifier) per session, never the user's.
if "JAXGAN_CACHE_DIR" not in os.environ:
  os.environ["JAXGAN_CACHE_DIR"] = tempfile.mkdtemp(prefix="jaxgan-tests-cache-")
  atexit.register(shutil.rmtree, os.environ["JAXGAN_CACHE_DIR"], ignore_errors=True)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def one_device_env() -> dict:
  """The environment of a fresh machine: one CPU device (no forced device count), as the README runs jobs."""
  return {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}


def pytest_collection_modifyitems(config, items):
  """Slow tests first (a stable sort): the two workers start the long jobs early and end on short tests together,
  instead of one worker running a long job alone at the end."""
  del config
  items.sort(key=lambda item: item.get_closest_marker("slow") is None)
