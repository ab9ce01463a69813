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

import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

import pytest  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def one_device_env() -> dict:
  """The environment of a fresh machine: one CPU device (no forced device count), as the README runs jobs."""
  return {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}


@pytest.fixture(scope="session")
def default_job(tmp_path_factory) -> dict:
  """The README's main job, run once per test session as the README runs it; its final metrics.

  Shared by the tests that need the converged default run (the main job's figures and the
  float32 side of the mixed-precision comparison), so CI trains it once: under pytest-xdist
  those tests carry `xdist_group("default_job")` and run on one worker.
  """
  workdir = tmp_path_factory.mktemp("default_job")
  subprocess.run([sys.executable, "-m", "experiments.train", "--workdir", str(workdir), "--noprogress"],
                 check=True, env=one_device_env(), cwd=ROOT, timeout=900)
  return json.loads((workdir / "final_metrics.json").read_text())
