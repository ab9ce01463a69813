"""The unrolled GAN at Metz et al. (2017)'s own 2-D protocol: unrolled (K > 0) against plain (K = 0) critic steps.

    python -m experiments.unrolled_gan                                  # ring8, K = 0 and 5, 3 seeds; runs/unrolled_gan/
    python -m experiments.unrolled_gan --config quick --workdir /tmp/unrolled   # seconds (CI)
    python -m experiments.unrolled_gan --config.datasets='("grid25",)' --config.unroll_steps='(5,)'

The config (`experiments/configs/unrolled_gan/`: `full`, the default, and
`quick`) has the fields `datasets` (2-D datasets with modes), `unroll_steps`
(the K of each cell; 0 is the plain GAN), `seeds` (seeds 0..seeds-1 train as
vmapped runs), `steps` and `eval_every`; a misspelt field or a bad value is one
error line (exit status 2) before anything is written.

The protocol (Metz, Poole, Pfau & Sohl-Dickstein, Unrolled Generative
Adversarial Networks, ICLR 2017, Section 3.1 and Appendix A): a 256-d
Gaussian latent; a generator of 2 x 128 ReLU layers and a linear map to 2-D;
a critic that scales its input by 1/4, then 1 x 128 ReLU and a linear logit;
orthogonal initialisation (gain 0.8), zero biases; the saturating minimax
value f(G, D) for both players (the generator minimises f against the
critic after K more of its updates, Eq. 7-8: `jg.train.GAN(unroll_steps=K)`);
Adam 1e-4, beta1 0.5 (beta2 0.999) for both; batch 512; one critic step per
generator step; no EMA, no learning-rate decay. Samples are scored at every
`eval_every` steps by the mode-coverage protocol (2,500 samples, 3 sigma:
Srivastava et al. 2017), the same latents at every evaluation.

Every (dataset, K) cell writes `{dataset}_K{K}.json` under the work
directory and is skipped when present, so cells can run in separate
processes into one work directory and an interrupted study resumes by cell.
Writes `table.md` (final step, mean +- std over seeds), `results.json` and
`unrolled_gan.png` (seed 0's samples at every evaluation, one row per cell).
"""

from __future__ import annotations

import json
import os
import time

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax
from absl import flags

import jaxgan as jg
from experiments import cli, loss_zoo, outputs
from experiments import configs as configs_lib

CONFIG_DIR = os.path.join(configs_lib.CONFIG_DIR, "unrolled_gan")
LATENT_DIM, HIDDEN, BATCH_SIZE, LEARNING_RATE, BETA1 = 256, 128, 512, 1e-4, 0.5
NUM_SAMPLES = 2500
KERNEL_INIT = nn.initializers.orthogonal(0.8)


class Generator(nn.Module):
  """`z (B, 256) -> x (B, 2)`: two 128-unit ReLU layers and a linear output (Metz et al. 2017, Appendix A)."""

  @nn.compact
  def __call__(self, z):
    for _ in range(2):
      z = nn.relu(nn.Dense(HIDDEN, kernel_init=KERNEL_INIT)(z))
    return nn.Dense(2, kernel_init=KERNEL_INIT)(z)


class Critic(nn.Module):
  """`x (B, 2) -> logit (B,)`: input / 4, one 128-unit ReLU layer, a linear logit (Metz et al. 2017, Appendix A)."""

  @nn.compact
  def __call__(self, x):
    h = nn.relu(nn.Dense(HIDDEN, kernel_init=KERNEL_INIT)(x / 4.0))
    return nn.Dense(1, kernel_init=KERNEL_INIT)(h)[:, 0]


def build_gan(unroll_steps: int, seeds: int) -> jg.train.GAN:
  """The protocol's GAN with `unroll_steps` unrolled critic updates, `seeds` vmapped runs."""
  return jg.train.GAN(generator=Generator(), critic=Critic(), objective="minimax", latent_dim=LATENT_DIM,
                      generator_optimizer=optax.adam(LEARNING_RATE, b1=BETA1),
                      critic_optimizer=optax.adam(LEARNING_RATE, b1=BETA1),
                      unroll_steps=unroll_steps, num_runs=seeds, ema_decay=0.0)


def validate_config(config: ml_collections.ConfigDict) -> None:
  """Checks the study's fields, raising ValueError naming the field."""
  datasets = loss_zoo.mode_datasets()
  if not config.datasets or any(d not in datasets for d in config.datasets):
    raise ValueError(f"config.datasets must be one or more of {datasets}, got {config.datasets!r}.")
  if not config.unroll_steps or not all(
      isinstance(k, int) and not isinstance(k, bool) and k >= 0 for k in config.unroll_steps):
    raise ValueError(f"config.unroll_steps must be one or more integers >= 0, got {config.unroll_steps!r}.")
  for field in ("seeds", "steps", "eval_every"):
    if not loss_zoo.positive_int(config[field]):
      raise ValueError(f"config.{field} must be an integer >= 1, got {config[field]!r}.")
  if config.steps % config.eval_every:
    raise ValueError(f"config.steps ({config.steps}) must be a multiple of config.eval_every ({config.eval_every}).")


def evaluation_steps(config: ml_collections.ConfigDict) -> list[int]:
  """The steps at which a cell is scored: every `eval_every`, up to `steps`."""
  return list(range(config.eval_every, config.steps + 1, config.eval_every))


def run_cell(dataset: str, unroll_steps: int, config: ml_collections.ConfigDict) -> dict:
  """Trains seeds 0..seeds-1 (vmapped) for `config.steps` steps; per evaluation, each seed's scores and samples."""
  data = jg.data.get(dataset)
  gan = build_gan(unroll_steps, config.seeds)
  seeds = jnp.arange(config.seeds)
  state = gan.init(jax.vmap(jax.random.key)(seeds), jnp.zeros((BATCH_SIZE, 2)))
  stream = jg.data.toy_stream(data, jax.vmap(lambda s: jax.random.fold_in(jax.random.key(s), 1))(seeds),
                              batch_size=BATCH_SIZE)
  history, start = [], time.perf_counter()
  for step in evaluation_steps(config):
    state, _ = gan.run(state, stream, config.eval_every, reduce="mean")
    samples = np.asarray(gan.sample(state, jax.random.key(NUM_SAMPLES), NUM_SAMPLES))  # the same latents each time
    history.append({"step": step, "seconds": time.perf_counter() - start,
                    "runs": [jg.metrics.mode_coverage(x, data.modes, data.std) for x in samples],
                    "samples_seed0": samples[0].tolist()})
  return {"dataset": dataset, "unroll_steps": unroll_steps, "seeds": config.seeds, "history": history}


def summarise(cell: dict) -> dict:
  """Mean and std (ddof 1) over seeds of the final evaluation's modes covered, % high quality and KL."""
  final = cell["history"][-1]
  out = {key: outputs.mean_and_std([r[key] for r in final["runs"]])
         for key in ("modes_covered", "high_quality", "kl_to_uniform")}
  return {**out, "num_modes": final["runs"][0]["num_modes"], "step": final["step"], "seconds": final["seconds"]}


def markdown_table(cells: list[dict]) -> str:
  lines = ["| dataset | K (unrolled critic steps) | modes | % high quality | KL | time |", "|---|---|---|---|---|---|"]
  for cell in cells:
    s = summarise(cell)
    cells = [outputs.format_mean_and_std(s["modes_covered"]) + f" /{s['num_modes']}",
             outputs.format_mean_and_std(s["high_quality"], 100.0),
             outputs.format_mean_and_std(s["kl_to_uniform"], digits=3), f"{s['seconds']:.0f} s"]
    lines.append(f"| {cell['dataset']} | {cell['unroll_steps']} | " + " | ".join(cells) + " |")
  return "\n".join(lines) + "\n"


def plot(path: str, cells: list[dict]) -> None:
  """Seed 0's samples at every evaluation (columns), one row per (dataset, K)."""
  import matplotlib

  matplotlib.use("Agg")
  import matplotlib.pyplot as plt

  columns = max(len(c["history"]) for c in cells)
  fig, axes = plt.subplots(len(cells), columns, figsize=(2 * columns, 2.1 * len(cells)), squeeze=False)
  for ax in axes.flat:
    ax.axis("off")
  for row, cell in zip(axes, cells):
    for ax, record in zip(row, cell["history"]):
      outputs.samples_panel(ax, cell["dataset"], np.asarray(record["samples_seed0"]),
                            f"{cell['dataset']} K={cell['unroll_steps']}, step {record['step']}")
  fig.tight_layout()
  fig.savefig(path, dpi=80)
  plt.close(fig)


def run(config: ml_collections.ConfigDict, workdir: str) -> list[dict]:
  """Trains (or reads) every (dataset, K) cell of `config` under `workdir` and writes the table, results and figure."""
  os.makedirs(workdir, exist_ok=True)
  cells = []
  for dataset in config.datasets:
    for unroll_steps in config.unroll_steps:
      path = os.path.join(workdir, f"{dataset}_K{unroll_steps}.json")
      if os.path.exists(path):
        with open(path) as f:
          cell = json.load(f)
        evaluated = [r["step"] for r in cell["history"]]
        if cell["seeds"] != config.seeds or evaluated != evaluation_steps(config):
          raise ValueError(f"{path} holds {cell['seeds']} seeds evaluated at steps {evaluated}, not this config's "
                           f"seeds ({config.seeds}), steps ({config.steps}) and eval_every ({config.eval_every}): "
                           "use another --workdir.")
      else:
        cell = run_cell(dataset, unroll_steps, config)
        with open(path + ".tmp", "w") as f:
          json.dump(cell, f)
        os.replace(path + ".tmp", path)  # a cell file is complete or absent
      cells.append(cell)
  table = markdown_table(cells)
  outputs.write_results(workdir, {"config": config.to_dict(), "cells": [
      {"dataset": c["dataset"], "unroll_steps": c["unroll_steps"], **summarise(c),
       "history": [{k: v for k, v in r.items() if k != "samples_seed0"} for r in c["history"]]} for c in cells]},
                        table)
  plot(os.path.join(workdir, "unrolled_gan.png"), cells)
  return cells


def _define_flags(flag_values: flags.FlagValues) -> None:
  flags.DEFINE_string("workdir", "runs/unrolled_gan", "work directory", flag_values=flag_values)


def main(argv=None) -> None:
  config, flag_values = cli.parse(argv, doc=__doc__, config_dir=CONFIG_DIR, default_config="full",
                                  define_flags=_define_flags, validate=lambda config, _: validate_config(config))
  print(markdown_table(run(config, flag_values.workdir)))
  print(f"Outputs in {flag_values.workdir}/")


if __name__ == "__main__":
  main()
