"""Where an experiment puts its numbers: `results.json` (everything) and `table.md` (the README's table)."""

from __future__ import annotations

import json
import os


def write_results(directory: str, results: dict, table: str) -> None:
  """Writes `results` as indented JSON and `table` as markdown into `directory` (created if needed)."""
  os.makedirs(directory, exist_ok=True)
  with open(os.path.join(directory, "results.json"), "w") as f:
    json.dump(results, f, indent=2, default=str)
  with open(os.path.join(directory, "table.md"), "w") as f:
    f.write(table)
