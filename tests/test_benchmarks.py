"""Benchmarks run in quick mode and write well-formed JSON (timings are not asserted)."""

import json

from benchmarks import penalty_cost

import jaxgan as jg


def test_penalty_cost_quick_writes_ratios(tmp_path):
  out = tmp_path / "penalty_cost.json"
  penalty_cost.main(["--quick", "--out", str(out)])
  report = json.loads(out.read_text())
  assert report["quick"] and report["backend"] == "cpu"
  assert {(r["critic"], r["batch"]) for r in report["rows"]} == {("mlp_2d", 64), ("dcgan_32x32x3", 64)}
  for row in report["rows"]:
    assert set(row["ratio_to_plain"]) == set(jg.penalties.METHODS)
    assert all(v > 0 for v in row["ratio_to_plain"].values())
