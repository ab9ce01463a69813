import atexit
import os
import shutil
import subprocess
import sys
import tempfile

# The tests compile hundreds of small programs and run most of them for a few steps, so compilation is most of
# their time. In-process tests and the multi-process jobs (`devices_env`) compile without LLVM's optimisation passes
# and with XLA:CPU's classic fusion code generator instead of its MLIR fusion emitters (half the compile time of a
# train step). No fast-math either way, but the classic generator may sum a reduction in another order, and in
# another order in two programs that compute the same thing (a scan of 50 steps and 50 single steps): the tests of
# bit-identical results across programs (`@pytest.mark.default_codegen`) run in a child pytest with the default
# generators (`pytest_pyfunc_call` below). Jobs started as the README runs them (`one_device_env`) compile with
# XLA's defaults. Set before JAX starts.
LLVM_FAST_COMPILE_FLAGS = "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"
TEST_COMPILE_FLAGS = f"{LLVM_FAST_COMPILE_FLAGS} --xla_cpu_use_fusion_emitters=false"
DEFAULT_CODEGEN_CHILD = "JAXGAN_TEST_DEFAULT_CODEGEN_CHILD"


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


def pytest_pyfunc_call(pyfuncitem):
  """Runs a `default_codegen` test in a child pytest whose four CPU devices compile with XLA:CPU's default code
  generators (the child's own run of it is an ordinary call)."""
  if pyfuncitem.get_closest_marker("default_codegen") is None or os.environ.get(DEFAULT_CODEGEN_CHILD):
    return None
  env = {**os.environ, DEFAULT_CODEGEN_CHILD: "1",
         "XLA_FLAGS": f"--xla_force_host_platform_device_count=4 {LLVM_FAST_COMPILE_FLAGS}"}
  child = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "0", "-q",
                          "--durations=0", pyfuncitem.nodeid], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=600)
  assert child.returncode == 0 and "1 passed" in child.stdout, child.stdout[-5000:] + child.stderr[-2000:]
  return True
