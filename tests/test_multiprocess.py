"""Multi-process training on JAX's distributed runtime, with real processes on this machine.

Two processes with two CPU devices each (gloo collectives, coordinator on
127.0.0.1) train the main job; they must give the losses of one process with
four devices, resume exactly after both were SIGKILLed, and end with a clear
error, in bounded time, when one of them dies.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from experiments import configs, train
from tests.cli_checks import assert_cli_error
from tests.conftest import ROOT, devices_env

# Short: GAN dynamics amplify the cross-process reduction-order differences (1e-7 at first) after a few hundred steps.
OVERRIDES = {"steps": 200, "log_every": 20, "checkpoint_every": 100, "plot_every": 100_000}
TIMEOUT = 300  # seconds any process may run


def free_port() -> int:
  with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    return s.getsockname()[1]


def launch(workdir, num_processes=2, *flags, process_ids=None):
  """The main job as `num_processes` processes with 2 CPU devices each (or only `process_ids` of them); their Popens."""
  env = devices_env(2)
  address = f"127.0.0.1:{free_port()}"
  command = [sys.executable, "-m", "experiments.train", "--config", "tiny", "--workdir", str(workdir), "--noprogress",
             *(f"--config.{k}={v}" for k, v in OVERRIDES.items()), "--coordinator-address", address,
             "--num-processes", str(num_processes), *flags]
  return [subprocess.Popen([*command, "--process-id", str(i)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
          for i in (range(num_processes) if process_ids is None else process_ids)]


def finish(processes, timeout=TIMEOUT) -> list[tuple[int, str]]:
  """`(exit status, output)` of every process, each bounded by `timeout` (then killed)."""
  results = []
  for process in processes:
    try:
      output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
      process.kill()
      output, _ = process.communicate()
    results.append((process.returncode, output))
  return results


def wait_for_checkpoint(workdir, step, processes, timeout=TIMEOUT) -> None:
  """Blocks until checkpoint `step` is committed (Orbax renames its directory into place when complete)."""
  path, deadline = os.path.join(workdir, "checkpoints", str(step)), time.time() + timeout
  while not os.path.isdir(path):
    assert time.time() < deadline and all(p.poll() is None for p in processes), finish(processes, 1)
    time.sleep(0.002)


def losses(workdir) -> np.ndarray:
  with open(os.path.join(workdir, "metrics.jsonl")) as f:
    records = [json.loads(line) for line in f]
  return np.array([[r["step"], r["critic_loss"], r["generator_loss"], r["critic_grad_norm"]] for r in records])


@pytest.fixture(scope="module")
def two_process_run(tmp_path_factory):
  """An uninterrupted 2-process x 2-device run of the tiny job: its work directory."""
  workdir = tmp_path_factory.mktemp("two_processes")
  for status, output in finish(launch(workdir)):
    assert status == 0, output[-3000:]
  return workdir


@pytest.mark.slow
@pytest.mark.xdist_group("two_process_run")
def test_two_processes_give_the_losses_of_one_process_with_four_devices(two_process_run, tmp_path):
  # This test process has four CPU devices (conftest): the same global mesh size in one process.
  one = tmp_path / "one_process"
  final = train.train_and_evaluate(configs.override(configs.get_config("tiny"), OVERRIDES), str(one), progress=False)
  two = losses(two_process_run)
  assert two.shape == (OVERRIDES["steps"] // OVERRIDES["log_every"], 4)
  np.testing.assert_allclose(two, losses(one), rtol=1e-4, atol=1e-5)  # reduction order differs across processes
  # Process 0 alone wrote the files: one line per log step, one final record.
  with open(two_process_run / "final_metrics.json") as f:
    two_final = json.load(f)
  assert two_final["step"] == final["step"] == OVERRIDES["steps"]
  assert abs(two_final["high_quality"] - final["high_quality"]) < 0.01


@pytest.mark.slow
@pytest.mark.xdist_group("two_process_run")
def test_both_processes_killed_after_a_checkpoint_resume_to_the_uninterrupted_log(two_process_run, tmp_path):
  processes = launch(tmp_path)
  wait_for_checkpoint(tmp_path, 100, processes)
  for process in processes:
    process.send_signal(signal.SIGKILL)
  finish(processes)
  assert not (tmp_path / "final_metrics.json").exists(), "the job ended before the kill: nothing was tested"
  resumed = finish(launch(tmp_path))
  for status, output in resumed:
    assert status == 0, output[-3000:]
  assert "Resuming from step" in resumed[0][1]  # process 0 reports it
  np.testing.assert_array_equal(losses(tmp_path), losses(two_process_run))


@pytest.mark.slow
def test_a_dead_process_ends_the_other_with_a_clear_error_in_bounded_time(tmp_path):
  processes = launch(tmp_path, 2, "--heartbeat-timeout-seconds", "5")
  wait_for_checkpoint(tmp_path, 100, processes)
  processes[1].send_signal(signal.SIGKILL)
  started = time.time()
  (status, output), _ = finish(processes, timeout=90)
  assert status != 0 and time.time() - started < 60, output[-3000:]
  assert "another task died" in output or "unhealthy" in output, output[-3000:]
  # The checkpoint the job had committed is still there and restores.
  checkpointer = train.open_checkpointer(configs.override(configs.get_config("tiny"), OVERRIDES), str(tmp_path),
                                         save_every=1)
  try:
    assert checkpointer.latest_step() >= 100
  finally:
    checkpointer.close()


GRAIN_WORKER = """
import sys
import jax
import numpy as np
import jaxgan as jg

address, process_id, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
jg.train.initialize_distributed(address, 2, process_id, initialization_timeout=60, heartbeat_timeout_seconds=10)
base, reads = jg.data.offline_shapes(200, image_size=16), []
source = jg.data.ImageSource(base.name, base.num_examples, base.image_shape, base.num_classes,
                             lambda idx: (reads.append(len(idx)), base.get(idx))[1])
sharding = jg.train.batch_sharding(jg.train.data_mesh())
batches = jg.data.image_batches(source, jax.random.key(3), batch_size=8, n_critic=2, start_step=1, sharding=sharding)
drawn = [jg.train.to_host(next(batches)) for _ in range(3)]
batches.close()
assert reads and set(reads) == {2 * 4}, reads  # each read: this process's half of a 2 x 8 global batch
if process_id == 0:
  np.save(out, np.stack(drawn))
"""


def test_each_process_reads_its_rows_of_the_grain_batches_and_together_they_are_the_single_process_batches(tmp_path):
  import jax

  import jaxgan as jg

  env = devices_env(2)
  address, out = f"127.0.0.1:{free_port()}", str(tmp_path / "batches.npy")
  processes = [subprocess.Popen([sys.executable, "-c", GRAIN_WORKER, address, str(i), out], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for i in range(2)]
  for status, output in finish(processes):
    assert status == 0, output[-3000:]
  source = jg.data.offline_shapes(200, image_size=16)
  single = jg.data.image_batches(source, jax.random.key(3), batch_size=8, n_critic=2, start_step=1)
  expected = np.stack([np.asarray(next(single)) for _ in range(3)])
  single.close()
  np.testing.assert_array_equal(np.load(out), expected)


def test_an_unreachable_coordinator_is_a_clear_error_after_a_bounded_wait(tmp_path):
  # Process 1 of 2 waits for a coordinator nobody runs.
  process = launch(tmp_path, 2, "--initialization-timeout", "3", process_ids=[1])
  started = time.time()
  [(status, output)] = finish(process, timeout=60)
  assert status == 1 and time.time() - started < 30, output[-3000:]
  assert "train.py: error: Process 1 could not reach the coordinator at 127.0.0.1:" in output, output[-3000:]
  assert not (tmp_path / "config.json").exists()


@pytest.mark.parametrize("argv,match", [
    (["--num_processes", "2", "--process_id", "2", "--coordinator_address", "127.0.0.1:1234"],
     r"--process_id must be an integer in \[0, 2\) for --num_processes=2, got 2\."),
    (["--num-processes", "0", "--process-id", "0", "--coordinator-address", "127.0.0.1:1234"],
     r"--num_processes must be an integer >= 1, got 0\."),
    (["--num-processes", "2", "--process-id", "0"], r"missing \['coordinator_address'\]"),
    (["--num-processes", "1", "--process-id", "0", "--coordinator-address", "localhost"],
     r"--coordinator_address must be 'HOST:PORT'"),
    (["--heartbeat-timeout-seconds", "0"], r"--heartbeat_timeout_seconds must be an integer >= 1"),
    (["--config.data.batch_size=6"], r"config\.data\.batch_size 6 must be divisible by the 4 devices of the job"),
])
def test_bad_process_flags_are_one_line_errors_before_anything_is_written(argv, match, capsys, tmp_path):
  assert_cli_error(train.main, ["--config", "tiny", *argv], match, capsys, tmp_path / "run")


@pytest.mark.parametrize("environ,expected", [
    ({}, None),
    ({"SLURM_JOB_ID": "7", "SLURM_NTASKS": "1"}, None),  # one task: a single-process job
    ({"SLURM_JOB_ID": "7", "SLURM_NTASKS": "4"}, "SLURM"),
    ({"SLURM_NTASKS": "4"}, None),  # not inside a job
    ({"OMPI_COMM_WORLD_SIZE": "2"}, "Open MPI"),
    ({"OMPI_COMM_WORLD_SIZE": "x"}, None),
    ({"TPU_WORKER_HOSTNAMES": "host0"}, None),
    ({"TPU_WORKER_HOSTNAMES": "host0,host1"}, "TPU pod"),
])
def test_cluster_environment_is_detected_from_the_launchers_variables(environ, expected):
  import jaxgan as jg

  assert jg.train.cluster_environment(environ) == expected


def test_outside_a_cluster_no_runtime_starts(monkeypatch):
  import jax
  import jaxgan as jg

  for name in ("SLURM_JOB_ID", "SLURM_NTASKS", "OMPI_COMM_WORLD_SIZE", "TPU_WORKER_HOSTNAMES"):
    monkeypatch.delenv(name, raising=False)
  assert jg.train.initialize_distributed() is False and jax.process_count() == 1
