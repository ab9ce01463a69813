"""Where an experiment puts its numbers: `results.json` (everything) and `table.md` (the README's table); and the
2-D sample panel its figures share."""

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


def format_mean_and_std(stat: tuple[float, float] | None, scale: float = 1.0, digits: int = 1) -> str:
  """A table cell for a `mean_and_std` pair, scaled: `"m ± s"`, `"inf"` for an infinite mean, `"-"` for None."""
  if stat is None:
    return "-"
  if not np.isfinite(stat[0]):
    return "inf"
  return f"{scale * stat[0]:.{digits}f} ± {scale * stat[1]:.{digits}f}"


def write_results(directory: str, results: dict, table: str) -> None:
  """Writes `results` as indented JSON and `table` as markdown into `directory` (created if needed)."""
  os.makedirs(directory, exist_ok=True)
  with open(os.path.join(directory, "results.json"), "w") as f:
    json.dump(results, f, indent=2, default=str)
  with open(os.path.join(directory, "table.md"), "w") as f:
    f.write(table)


def samples_panel(ax, dataset: str, samples, title: str) -> None:
  """One panel of a 2-D figure: the mixture `dataset`'s mode centres (x) and `samples` (n, 2) or None (no points)."""
  import jaxgan as jg

  modes = jg.data.get(dataset).modes
  lim = float(np.max(np.abs(modes))) * 1.4
  ax.axis("on")
  ax.scatter(modes[:, 0], modes[:, 1], s=6, marker="x", c="k", linewidths=0.5)
  if samples is not None:
    ax.scatter(samples[:, 0], samples[:, 1], s=0.5, alpha=0.3, c="tab:green")
  ax.set(xlim=(-lim, lim), ylim=(-lim, lim), xticks=[], yticks=[], aspect="equal")
  ax.set_title(title, fontsize=6)
