"""The end-to-end benchmark's quick mode: every row and ratio, and each row ran the steps it reports."""

import json
import subprocess
import sys

import pytest

from benchmarks import end_to_end
from experiments import configs
from experiments import train
from tests.conftest import ROOT, devices_env


@pytest.mark.slow
def test_end_to_end_quick_reports_every_row_and_the_steps_its_states_counted(tmp_path):
  # A fresh process on one device, as the CLI runs (the suite's four fake devices would make `train.build`
  # shard every program over a mesh), compiled as the suite compiles: this checks the report, not the speeds.
  out = tmp_path / "end_to_end.json"
  subprocess.run([sys.executable, "-m", "benchmarks.end_to_end", "--quick", "--repeats", "1", "--out", str(out)], check=True,
                 env=devices_env(1), cwd=ROOT, timeout=600)
  report = json.loads(out.read_text())
  assert report["quick"] and report["benchmark"] == "end_to_end" and report["device_count"] == 1

  expected_chunks = {name: sorted({1, train.default_chunk_size(configs.get_config(name))})
                     for name in end_to_end.LOOP_CONFIGS}
  loop = report["loop"]
  assert sorted((r["config"], r["variant"], r["chunk_size"] or 0) for r in loop) == sorted(
      [(name, "bare_step", 0) for name in expected_chunks]
      + [(name, "full_run", k) for name, ks in expected_chunks.items() for k in ks])
  for row in loop:
    assert row["steps_per_second"] > 0 and row["compile_seconds"] >= 0
    # `steps_done` is the trained state's own step counter: a loop that skipped or repeated steps fails here.
    assert row["steps_done"] == row["steps_expected"] == (report["repeats"] + 1) * row["steps_per_call"], row
  for name, ks in expected_chunks.items():
    assert set(report["ratios"]["full_run_over_bare_step"][name]) == {str(k) for k in ks}
    assert all(v > 0 for v in report["ratios"]["full_run_over_bare_step"][name].values())

  runs = report["runs"]
  assert [(r["num_runs"], r["variant"]) for r in runs] == [(1, "serial"), (8, "serial"), (8, "vmapped")]
  for row in runs:
    assert row["run_steps_per_second"] > 0
    assert row["steps_done"] == [row["steps_expected"]], row  # every run's state counted the same steps
  assert report["ratios"]["vmapped_over_serial"]["8"] > 0
