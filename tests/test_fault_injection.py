"""Fault injection: SIGKILL at random moments and during checkpoint saves, SIGTERM, then resume.

The main job runs in a subprocess (as the README runs it). After every kill
the checkpoint directory must restore, the next run must resume from its
newest complete checkpoint, and the run finished after several kills must end
bit-identical to an uninterrupted one.
"""

import json
import os
import random
import signal
import subprocess
import sys
import time

import chex
import pytest

from experiments import configs, train
from tests.conftest import ROOT, one_device_env

STEPS = 1500


OVERRIDES = {"steps": STEPS, "log_every": 50, "plot_every": 100_000}


def config():
  return configs.override(configs.get_config("tiny"), OVERRIDES)


def start(workdir):
  command = [sys.executable, "-m", "experiments.train", "--config", "tiny", "--workdir", str(workdir), "--noprogress",
             *(f"--config.{k}={v}" for k, v in OVERRIDES.items())]
  return subprocess.Popen(command, cwd=ROOT, env=one_device_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)


def kill_during_save(process, checkpoints, timeout=120.0):
  """SIGKILLs `process` as soon as Orbax has a temporary (in-progress) checkpoint directory."""
  deadline = time.time() + timeout
  while time.time() < deadline and process.poll() is None:
    if os.path.isdir(checkpoints) and any("tmp" in name for name in os.listdir(checkpoints)):
      process.send_signal(signal.SIGKILL)
      process.wait()
      return True
    time.sleep(0.0005)
  process.kill()
  process.wait()
  return False


def latest_restorable_step(workdir):
  checkpointer = train.open_checkpointer(config(), str(workdir), save_every=1)
  try:
    step = checkpointer.latest_step()
    if step is not None:
      restored = checkpointer.restore(train.build(config())["state"])
      assert int(restored.step) == step
    return step
  finally:
    checkpointer.close()


@pytest.mark.slow
def test_sigkill_at_random_moments_and_during_saves_then_resume_matches_an_uninterrupted_run(tmp_path):
  straight, killed = tmp_path / "straight", tmp_path / "killed"
  reference = start(straight)
  assert reference.wait(timeout=600) == 0, reference.stdout.read()

  rng = random.Random(0)
  saw_save_kill, resumed_from = False, []
  for attempt in range(2):  # a kill during a save, then one at a random moment
    process = start(killed)
    if attempt % 2 == 0:
      saw_save_kill |= kill_during_save(process, str(killed / "checkpoints"))
    else:
      time.sleep(rng.uniform(2.0, 8.0))
      process.send_signal(signal.SIGKILL)
      process.wait()
    step = latest_restorable_step(str(killed))  # never unreadable
    resumed_from.append(step)
  assert saw_save_kill, "never caught a checkpoint save in progress"

  final = start(killed)
  output = final.communicate(timeout=600)[0]
  assert final.returncode == 0, output
  if resumed_from[-1] is not None:
    assert f"Resuming from step {resumed_from[-1]}" in output
  a = train.load_trained(config(), str(straight))[0]
  b = train.load_trained(config(), str(killed))[0]
  chex.assert_trees_all_equal(a.replace(rng_key=None), b.replace(rng_key=None))
  assert json.loads((straight / "final_metrics.json").read_text()) == json.loads(
      (killed / "final_metrics.json").read_text())
  logged = [json.loads(line)["step"] for line in open(killed / "metrics.jsonl")]
  assert logged == list(range(50, STEPS + 1, 50))  # no duplicated or missing log lines


@pytest.mark.slow
def test_sigterm_saves_and_exits_cleanly_then_resumes(tmp_path):
  process = start(tmp_path)
  metrics = tmp_path / "metrics.jsonl"
  deadline = time.time() + 120
  while time.time() < deadline and not (metrics.exists() and metrics.read_text().count("\n") >= 2):
    time.sleep(0.01)
  process.send_signal(signal.SIGTERM)
  output = process.communicate(timeout=120)[0]
  assert process.returncode == 0, output
  assert "SIGTERM: saved step" in output
  saved = int(output.split("SIGTERM: saved step ")[1].split()[0])
  assert latest_restorable_step(str(tmp_path)) == saved
  rerun = start(tmp_path)
  output = rerun.communicate(timeout=600)[0]
  assert rerun.returncode == 0 and f"Resuming from step {saved}" in output
