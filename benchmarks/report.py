"""What every benchmark report records about its run, and how it is written."""

from __future__ import annotations

import datetime
import json
import os
import platform

import jax


def run_facts(name: str, quick: bool) -> dict:
  """Benchmark name, date, backend, device, jax and Python versions, and the mode."""
  return {
      "benchmark": name,
      "date": datetime.date.today().isoformat(),
      "backend": jax.default_backend(),
      "device": str(jax.devices()[0].device_kind),
      "jax": jax.__version__,
      "python": platform.python_version(),
      "quick": quick,
  }


def write(path: str, report: dict) -> None:
  """Writes `report` as indented JSON, creating the directory."""
  os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
  with open(path, "w") as f:
    json.dump(report, f, indent=2)
