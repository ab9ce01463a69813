"""The loss zoo: every objective of `jg.losses`, with its natural regulariser and with R1, on the ring and the grid.

    python -m experiments.loss_zoo                  # full table (about 75 min on 2 CPU cores, 2 processes)
    python -m experiments.loss_zoo --quick          # 2 objectives x 2 variants x 1 dataset x 2 seeds, seconds

Every run uses the same MLPs, steps, batch and optimiser (the main job's
`_base` config), only the objective, its regulariser and `n_critic` (5 for
the Wasserstein family and the energy model, 1 otherwise) change. EBGAN,
MAGAN and BEGAN use the autoencoder critic; the energy model (MEG) adds its
JSD entropy estimate. The seeds of a (dataset, objective, variant) cell train
as vmapped runs in one program (the main job's `num_runs`); each cell runs in
its own work directory under `--workdir` and is skipped when already
finished, so an interrupted zoo resumes. Scored by the mode-coverage protocol
(Srivastava et al. 2017, VEEGAN; Lin et al. 2018, PacGAN); writes `table.md` (mean +- std over seeds),
`results.json` and `samples.png` (final samples of seed 0, one panel per run).
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np
from tqdm import tqdm

import jaxgan as jg
from experiments import outputs
from experiments import train as train_lib
from experiments.configs._base import base_config

# Natural regulariser of each objective: (penalty, penalty kwargs, spectral norm). Default: none.
NATURAL = {
    "wgan": ("wgan_gp", {}, False),
    "wgan_div": ("wgan_div", {}, False),
    "hinge": (None, {}, True),
    "energy": ("r1", {"gamma": 0.2}, False),
}
AUTOENCODER_OBJECTIVES = ("ebgan", "magan", "began")
MULTI_CRITIC = ("wgan", "wgan_div", "energy")
DATASETS = ("ring8", "grid25")
R1 = ("r1", {"gamma": 1.0}, False)


def run_config(objective: str, variant: str, dataset: str, seeds: int, *, steps: int, hidden: list[int]) -> dict:
  """The config of one zoo cell (seeds 0..seeds-1 as vmapped runs); `variant` is `"natural"` or `"r1"`."""
  penalty, penalty_kwargs, spectral_norm = NATURAL.get(objective, (None, {}, False)) if variant == "natural" else R1
  config = {
      **base_config(),
      "dataset": dataset,
      "objective": objective,
      "penalty": penalty,
      "penalty_kwargs": penalty_kwargs,
      "spectral_norm": spectral_norm,
      "critic": "autoencoder" if objective in AUTOENCODER_OBJECTIVES else "mlp",
      "entropy_estimator": "jsd" if objective == "energy" else None,
      "n_critic": 5 if objective in MULTI_CRITIC else 1,
      "steps": steps,
      "hidden": hidden,
      "seed": 0,
      "num_runs": seeds,
      "plot_every": 10 * steps,
      "checkpoint_every": steps,
      "keep_checkpoints": 1,
  }
  return train_lib.validate_config(config)


def run_cell(config: dict, workdir: str) -> list[dict]:
  """Trains one cell (or reads its finished result) and returns the final metrics of each seed."""
  done = os.path.join(workdir, "final_metrics.json")
  if os.path.exists(done):
    with open(done) as f:
      final = json.load(f)
  else:
    try:
      final = train_lib.train_and_evaluate(config, workdir, progress=False)
    except jg.train.NonFiniteError as e:  # every seed diverged: a result; any other error is a bug and raises
      final = {"step": None, "diverged": str(e).splitlines()[0]}
      with open(done, "w") as f:
        json.dump(final, f)
  if "runs" in final:
    return final["runs"]
  return [final] * (1 if "diverged" not in final else config["num_runs"])


def summarise(results: list[dict]) -> dict:
  """Mean and std over seeds of modes covered, % high quality and KL (diverged runs counted)."""
  ok = [r for r in results if "diverged" not in r]
  out = {"seeds": len(results), "diverged": len(results) - len(ok)}
  for key in ("modes_covered", "high_quality", "kl_to_uniform"):
    values = np.array([r[key] for r in ok], float)
    out[key] = (float(values.mean()), float(values.std())) if len(values) else None
  out["num_modes"] = ok[0]["num_modes"] if ok else None
  return out


def natural_label(objective: str) -> str:
  """The table's name for an objective's natural regulariser, e.g. `wgan_gp`, `SN`, `r1 (gamma 0.2)`."""
  penalty, kwargs, spectral_norm = NATURAL.get(objective, (None, {}, False))
  parts = [penalty + "".join(f" ({k} {v})" for k, v in kwargs.items()) if penalty else None,
           "SN" if spectral_norm else None]
  return "+".join(p for p in parts if p) or "none"


def markdown_table(summary: dict, datasets) -> str:
  header = "| objective | regulariser | " + " | ".join(
      f"{d}: modes | {d}: % HQ | {d}: KL" for d in datasets) + " |"
  lines = [header, "|---|---|" + "---|" * (3 * len(datasets))]

  def fmt(stat, scale=1.0, digits=1):
    if stat is None:
      return "-"
    if not np.isfinite(stat[0]):
      return "inf"
    return f"{scale * stat[0]:.{digits}f} ± {scale * stat[1]:.{digits}f}"

  for (objective, variant), per_dataset in summary.items():
    label = "R1" if variant == "r1" else natural_label(objective)
    cells = []
    for d in datasets:
      s = per_dataset[d]
      diverged = f" ({s['diverged']} diverged)" if s["diverged"] else ""
      cells += [fmt(s["modes_covered"]) + f"/{s['num_modes']}" + diverged if s["modes_covered"] else "diverged",
                fmt(s["high_quality"], 100.0), fmt(s["kl_to_uniform"], digits=3)]
    lines.append(f"| {objective} | {label} | " + " | ".join(cells) + " |")
  return "\n".join(lines) + "\n"


def plot(path: str, samples: dict, datasets, columns: int = 8) -> None:
  """Final samples of seed 0, `columns` runs a row, one block of rows per dataset."""
  import matplotlib

  matplotlib.use("Agg")
  import matplotlib.pyplot as plt

  cells = sorted({key[:2] for key in samples})
  block = max(1, -(-len(cells) // columns))  # rows per dataset
  fig, axes = plt.subplots(block * len(datasets), columns, figsize=(1.5 * columns, 1.6 * block * len(datasets)),
                           squeeze=False)
  for ax in axes.flat:
    ax.axis("off")
  for d, dataset in enumerate(datasets):
    modes = jg.data.get(dataset).modes
    lim = float(np.max(np.abs(modes))) * 1.4
    for i, (objective, variant) in enumerate(cells):
      ax = axes[d * block + i // columns, i % columns]
      ax.axis("on")
      x = samples.get((objective, variant, dataset))
      ax.scatter(modes[:, 0], modes[:, 1], s=6, marker="x", c="k", linewidths=0.5)
      if x is not None:
        ax.scatter(x[:, 0], x[:, 1], s=0.5, alpha=0.3, c="tab:green")
      ax.set(xlim=(-lim, lim), ylim=(-lim, lim), xticks=[], yticks=[], aspect="equal")
      ax.set_title(f"{dataset}: {objective}\n{variant}", fontsize=6)
  fig.tight_layout()
  fig.savefig(path, dpi=80)
  plt.close(fig)


def run(workdir: str, *, objectives, datasets, seeds: int, steps: int, hidden: list[int],
        progress: bool = True) -> dict:
  cells = [(o, v, d) for d in datasets for o in objectives for v in ("natural", "r1")]
  raw, samples = {}, {}
  for objective, variant, dataset in tqdm(cells, disable=not progress, desc="loss zoo", unit="cell"):
    config = run_config(objective, variant, dataset, seeds, steps=steps, hidden=hidden)
    cell_dir = os.path.join(workdir, dataset, f"{objective}__{variant}")
    results = run_cell(config, cell_dir)
    raw.setdefault((objective, variant), {})[dataset] = results
    if "diverged" not in results[0]:
      state, parts = train_lib.load_trained(config, cell_dir)
      seed0, eval_key = train_lib.runs(parts, state)[0]
      samples[objective, variant, dataset] = np.asarray(
          train_lib.sample_generator(parts["gan"], seed0, eval_key, config, 1000))
  summary = {key: {d: summarise(per[d]) for d in datasets} for key, per in raw.items()}
  outputs.write_results(workdir, {"steps": steps, "hidden": hidden, "seeds": seeds, "datasets": list(datasets),
                                  "cells": [{"objective": o, "variant": v, **{d: s[d] for d in datasets}}
                                            for (o, v), s in summary.items()]},
                        markdown_table(summary, datasets))
  plot(os.path.join(workdir, "samples.png"), samples, datasets)
  return summary


def main(argv=None) -> None:
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("--workdir", default="runs/loss_zoo")
  parser.add_argument("--quick", action="store_true", help="2 objectives, 1 dataset, 2 seeds, 30 steps (CI)")
  parser.add_argument("--seeds", type=int, default=3)
  parser.add_argument("--steps", type=int, default=2000)
  parser.add_argument("--objectives", nargs="*", default=None, help="subset of jg.losses.available()")
  parser.add_argument("--datasets", nargs="*", default=list(DATASETS), choices=DATASETS,
                      help="run only these (e.g. one process per dataset); rerun with both for the full table")
  parser.add_argument("--no-progress", action="store_true")
  args = parser.parse_args(argv)
  objectives = args.objectives or jg.losses.available()
  unknown = sorted(set(objectives) - set(jg.losses.available()))
  if unknown:
    parser.error(f"unknown objectives {unknown}; available: {', '.join(jg.losses.available())}")
  if args.quick:
    summary = run(args.workdir, objectives=args.objectives or ["wgan", "hinge"], datasets=("ring8",), seeds=2,
                  steps=30, hidden=[32, 32], progress=not args.no_progress)
    datasets = ("ring8",)
  else:
    if args.seeds < 1 or args.steps < 1:
      parser.error("--seeds and --steps must be >= 1")
    datasets = tuple(args.datasets)
    summary = run(args.workdir, objectives=objectives, datasets=datasets, seeds=args.seeds, steps=args.steps,
                  hidden=[128, 128, 128], progress=not args.no_progress)
  print(markdown_table(summary, datasets))
  print(f"Outputs in {args.workdir}/")


if __name__ == "__main__":
  main()
