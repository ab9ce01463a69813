"""Where an experiment puts its numbers: `results.json` (everything) and `table.md` (the README's table)."""

from __future__ import annotations

import json
import os

import numpy as np


def mean_and_std(values) -> tuple[float, float]:
  """The mean and the sample std (ddof 1; 0 for one value) over seeds or runs, as every experiment table reports
  them (an infinite value gives mean inf and std nan, without a warning)."""
  values = np.asarray(values, np.float64)
  with np.errstate(invalid="ignore"):
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0


def write_results(directory: str, results: dict, table: str) -> None:
  """Writes `results` as indented JSON and `table` as markdown into `directory` (created if needed)."""
  os.makedirs(directory, exist_ok=True)
  with open(os.path.join(directory, "results.json"), "w") as f:
    json.dump(results, f, indent=2, default=str)
  with open(os.path.join(directory, "table.md"), "w") as f:
    f.write(table)
