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


@pytest.mark.slow
def test_end_to_end_chunk_probe_trains_the_same_steps_in_chunks_of_one_and_ten():
  # Quick mode leaves the K = 10 probe out; here it runs at quick sizes for an n_critic-1 image config, in a
  # one-device process as above.
  name = "shapes_dcgan_hinge_sn"
  script = ("import json; from benchmarks import end_to_end as e; from experiments import train;"
            f" c = e.job_config({name!r}, quick=True);"
            f" print(json.dumps(e.loop_rows({name!r}, c, train.build(c), repeats=1, probe=True)))")
  done = subprocess.run([sys.executable, "-c", script], check=True, env=devices_env(1), cwd=ROOT, timeout=600,
                        capture_output=True, text=True)
  rows = json.loads(done.stdout.strip().splitlines()[-1])
  assert sorted((r["variant"], r["chunk_size"] or 0) for r in rows) == [
      ("bare_step", 0), ("full_run", 1), ("full_run", end_to_end.PROBE_CHUNK)]
  for row in rows:  # the first call and one timed round of PROBE_CHUNK steps each, counted by the state itself
    assert row["steps_done"] == row["steps_expected"] == 2 * end_to_end.PROBE_CHUNK, row
  ratio = end_to_end.ratios(rows, [])["chunk_1_over_chunk_10"][name]
  speed = {r["chunk_size"]: r["steps_per_second"] for r in rows if r["variant"] == "full_run"}
  assert ratio == pytest.approx(speed[1] / speed[end_to_end.PROBE_CHUNK])
