"""The loss zoo: every objective of `jg.losses`, with its natural regulariser and with R1, on the ring and the grid.

    python -m experiments.loss_zoo                         # full table at the converged protocol recipe
    python -m experiments.loss_zoo --config quick          # 2 objectives x 2 variants x 1 dataset x 2 seeds, seconds
    python -m experiments.loss_zoo --config.datasets=grid25 --config.objectives='("wgan", "hinge")'

The study is a config (`experiments/configs/loss_zoo/`: `full`, the default,
and `quick`) with the fields `objectives` (empty: all), `datasets`, `seeds`,
`steps` (generator steps per dataset), `batch_size` and `hidden`; any of them can be overridden with
`--config.FIELD=VALUE`, and a misspelt field or a bad value is one error line
(exit status 2) before anything is written.

Every cell of a dataset starts from that dataset's converged protocol config
(`ring8_protocol`, `grid25_protocol`: optimiser, learning rate, cosine decay,
EMA generator, latent size, batch, budget) with the zoo's MLP widths; only the
objective, its regulariser and `n_critic` (5 for the Wasserstein family and
the energy model, 1 otherwise) change. The R1 variant is the protocol's R1
(gamma 0.1, every 4th step); a natural regulariser acts every step. EBGAN,
MAGAN and BEGAN use the autoencoder critic; the energy model (MEG) adds its
JSD entropy estimate. The seeds of a (dataset, objective, variant) cell train
as vmapped runs in one program (the main job's `num_runs`); each cell runs in
its own work directory under `--workdir` and is skipped when already
finished, so an interrupted zoo resumes; a finished cell trained with another
config (say another `steps`) is an error naming it, never a row of the table. Scored by the mode-coverage protocol
(Srivastava et al. 2017, VEEGAN; Lin et al. 2018, PacGAN); writes `table.md` (mean +- std over seeds),
`results.json` and `samples.png` (final samples of seed 0, one panel per run).
"""

from __future__ import annotations

import json
import os

import ml_collections
from absl import flags
from tqdm import tqdm

import jaxgan as jg
from experiments import cli, outputs
from experiments import configs as configs_lib
from experiments import train as train_lib

CONFIG_DIR = os.path.join(configs_lib.CONFIG_DIR, "loss_zoo")

# Natural regulariser of each objective: (penalty, penalty kwargs, spectral norm). Default: none.
NATURAL = {
    "wgan": ("wgan_gp", {}, False),
    "wgan_div": ("wgan_div", {}, False),
    "hinge": (None, {}, True),
    "energy": ("r1", {"gamma": 0.2}, False),
}
AUTOENCODER_OBJECTIVES = ("ebgan", "magan", "began")
MULTI_CRITIC = ("wgan", "wgan_div", "energy")


def mode_datasets() -> list[str]:
  """The 2-D datasets the zoo can score: those with modes."""
  return [name for name in jg.data.available() if jg.data.get(name).modes is not None]


def positive_int(value) -> bool:
  return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def validate_config(config: ml_collections.ConfigDict) -> None:
  """Checks the study's fields, raising ValueError naming the field."""
  available = jg.losses.available()
  unknown = [o for o in config.objectives if o not in available]
  if unknown:
    raise ValueError(f"config.objectives: unknown objectives {unknown}; available: {', '.join(available)}.")
  datasets = mode_datasets()
  if not config.datasets or any(d not in datasets for d in config.datasets):
    raise ValueError(f"config.datasets must be one or more of {datasets}, got {config.datasets!r}.")
  if not positive_int(config.seeds):
    raise ValueError(f"config.seeds must be an integer >= 1, got {config.seeds!r}.")
  for dataset in config.datasets:
    if not positive_int(config.steps.get(dataset)):
      raise ValueError(f"config.steps.{dataset} (the budget of the {dataset} cells) must be an integer >= 1, got "
                       f"{config.steps.get(dataset)!r}.")
  if not positive_int(config.batch_size):
    raise ValueError(f"config.batch_size must be an integer >= 1, got {config.batch_size!r}.")
  if not config.hidden or not all(map(positive_int, config.hidden)):
    raise ValueError(f"config.hidden must be one or more integer widths >= 1, got {config.hidden!r}.")


def run_config(config: ml_collections.ConfigDict, objective: str, variant: str,
               dataset: str) -> ml_collections.ConfigDict:
  """The train config of one zoo cell (seeds 0..config.seeds-1 as vmapped runs); `variant`: `"natural"`, `"r1"`.

  It is `{dataset}_protocol` with the objective, its regulariser, `n_critic` and the zoo's widths, batch size and
  budget swapped in.
  """
  protocol = configs_lib.get_config(f"{dataset}_protocol")
  steps = config.steps[dataset]
  if variant == "natural":
    penalty, penalty_kwargs, spectral_norm = NATURAL.get(objective, (None, {}, False))
    regulariser = {"penalty.name": penalty, "penalty.interval": 1, "penalty.kwargs.gamma": None,
                   **{f"penalty.kwargs.{key}": value for key, value in penalty_kwargs.items()},
                   "model.spectral_norm": spectral_norm}
  else:  # the protocol's own R1
    regulariser = {}
  return train_lib.validate_config(configs_lib.override(protocol, {
      **regulariser,
      "objective.name": objective,
      "objective.entropy_estimator": "jsd" if objective == "energy" else None,
      "model.autoencoder_critic": objective in AUTOENCODER_OBJECTIVES,
      "model.hidden": tuple(config.hidden),
      "data.batch_size": config.batch_size,
      "optim.n_critic": 5 if objective in MULTI_CRITIC else 1,
      "steps": steps,
      "seed": 0,
      "num_runs": config.seeds,
      "plot_every": 10 * steps,
      "checkpoint_every": steps,
      "keep_checkpoints": 1,
  }))


def run_cell(config: ml_collections.ConfigDict, workdir: str) -> list[dict]:
  """Trains one cell (or reads its finished result) and returns the final metrics of each seed."""
  done = os.path.join(workdir, "final_metrics.json")
  if os.path.exists(done):
    wanted = configs_lib.flatten(json.loads(json.dumps(config.to_dict())))  # tuples as lists, as config.json has them
    trained = configs_lib.flatten(train_lib.load_config(workdir))
    differing = sorted(field for field in wanted.keys() | trained.keys() if wanted.get(field) != trained.get(field))
    if differing:
      raise ValueError(f"{done} was trained with another config ({', '.join(differing)} differ from this study's): "
                       "use another --workdir.")
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
  return [final] * (1 if "diverged" not in final else config.num_runs)


def summarise(results: list[dict]) -> dict:
  """Mean and std (ddof 1, as the main job's) over seeds of modes covered, % high quality and KL (diverged runs
  counted)."""
  ok = [r for r in results if "diverged" not in r]
  out = {"seeds": len(results), "diverged": len(results) - len(ok)}
  for key in ("modes_covered", "high_quality", "kl_to_uniform"):
    out[key] = outputs.mean_and_std([r[key] for r in ok]) if ok else None
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
  fmt = outputs.format_mean_and_std
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
    for i, (objective, variant) in enumerate(cells):
      outputs.samples_panel(axes[d * block + i // columns, i % columns], dataset,
                            samples.get((objective, variant, dataset)), f"{dataset}: {objective}\n{variant}")
  fig.tight_layout()
  fig.savefig(path, dpi=80)
  plt.close(fig)


def run(config: ml_collections.ConfigDict, workdir: str, *, progress: bool = True) -> dict:
  """Trains (or reads) every cell of the study `config` under `workdir` and writes the table, results and figure."""
  datasets = tuple(config.datasets)
  cells = [(o, v, d) for d in datasets for o in config.objectives or jg.losses.available() for v in ("natural", "r1")]
  raw, samples = {}, {}
  for objective, variant, dataset in tqdm(cells, disable=not progress, desc="loss zoo", unit="cell"):
    cell_config = run_config(config, objective, variant, dataset)
    cell_dir = os.path.join(workdir, dataset, f"{objective}__{variant}")
    results = run_cell(cell_config, cell_dir)
    raw.setdefault((objective, variant), {})[dataset] = results
    if "diverged" not in results[0]:
      state, parts = train_lib.load_trained(cell_config, cell_dir)
      seed0, eval_key = train_lib.runs(parts, state)[0]
      samples[objective, variant, dataset] = train_lib.sample(parts, seed0, eval_key, 1000)
  summary = {key: {d: summarise(per[d]) for d in datasets} for key, per in raw.items()}
  outputs.write_results(workdir, {"steps": config.steps.to_dict(), "batch_size": config.batch_size,
                                  "hidden": config.hidden, "seeds": config.seeds,
                                  "datasets": list(datasets),
                                  "cells": [{"objective": o, "variant": v, **{d: s[d] for d in datasets}}
                                            for (o, v), s in summary.items()]},
                        markdown_table(summary, datasets))
  plot(os.path.join(workdir, "samples.png"), samples, datasets)
  return summary


def _define_flags(flag_values: flags.FlagValues) -> None:
  flags.DEFINE_string("workdir", "runs/loss_zoo", "work directory (one sub-directory per cell)",
                      flag_values=flag_values)
  flags.DEFINE_boolean("progress", True, "show the progress bar (--noprogress hides it)", flag_values=flag_values)


def main(argv=None) -> None:
  config, flag_values = cli.parse(argv, doc=__doc__, config_dir=CONFIG_DIR, default_config="full",
                                  define_flags=_define_flags, validate=lambda config, _: validate_config(config))
  summary = run(config, flag_values.workdir, progress=flag_values.progress)
  print(markdown_table(summary, config.datasets))
  print(f"Outputs in {flag_values.workdir}/")


if __name__ == "__main__":
  main()
