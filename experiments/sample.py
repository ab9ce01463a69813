"""Draw samples from a trained run's EMA generator.

    python -m experiments.sample --workdir runs/ring8_wgan_gp --num 1000 --seed 0 --out samples.npy
    python -m experiments.sample --workdir runs/shapes_dcgan_wgan_gp --num 64 --seed 1 --out grid.png
    python -m experiments.sample --workdir runs/seeds --run 3 --num 1000 --seed 0 --out run3.npy

The run's config is read from `<workdir>/config.json` and its newest
checkpoint restored (`train.load_trained`); `--run I` picks run I of a
`num_runs > 1` checkpoint (default 0). The latents are drawn from
`jax.random.key(seed)`, so a seed gives the same samples every time; a
conditional run (`model.num_classes = C`) draws sample i for class `i % C` (with
`data.cluster_labels`: the clusters' frequencies, `task.class_labels`). `.npy`
writes the `(num, *data_shape)` array; `.png` writes a grid of the samples
for image datasets and a scatter for 2-D ones.
"""

from __future__ import annotations

import argparse
import os

import jax
import ml_collections
import numpy as np

from experiments import train
from experiments.tasks import images

EXTENSIONS = (".npy", ".png")


def parse_args(argv=None) -> tuple[argparse.Namespace, ml_collections.ConfigDict]:
  """The arguments and the run's config; a bad argument exits with one line (`parser.error`, code 2)."""
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--workdir", required=True, help="work directory of a training run")
  parser.add_argument("--num", type=int, required=True, help="number of samples (>= 1)")
  parser.add_argument("--seed", type=int, default=0, help="seed of the latents (default 0)")
  parser.add_argument("--out", required=True, help="output file: .npy (array) or .png (grid or scatter)")
  parser.add_argument("--run", type=int, default=0, help="run of a num_runs > 1 checkpoint (default 0)")
  args = parser.parse_args(argv)
  config_path = os.path.join(args.workdir, "config.json")
  if not os.path.isfile(config_path):
    parser.error(f"--workdir {args.workdir!r} holds no config.json: not the work directory of a training run.")
  if args.num < 1:
    parser.error(f"--num must be >= 1, got {args.num}.")
  if os.path.splitext(args.out)[1].lower() not in EXTENSIONS:
    parser.error(f"--out must end in one of {', '.join(EXTENSIONS)}, got {args.out!r}.")
  config = train.load_config(args.workdir)
  if not 0 <= args.run < config.num_runs:
    parser.error(f"--run must lie in [0, {config['num_runs'] - 1}] for this run's num_runs, got {args.run}.")
  return args, config


def plot_scatter(path: str, samples: np.ndarray, title: str) -> None:
  """A scatter of 2-D samples."""
  import matplotlib

  matplotlib.use("Agg")
  import matplotlib.pyplot as plt

  fig, ax = plt.subplots(figsize=(5, 5))
  ax.scatter(samples[:, 0], samples[:, 1], s=4, c="tab:green", alpha=0.6)
  ax.set(aspect="equal", title=title)
  fig.savefig(path, dpi=100, bbox_inches="tight")
  plt.close(fig)


def main(argv=None) -> None:
  args, config = parse_args(argv)
  state, parts = train.load_trained(config, args.workdir)
  run_state = train.runs(parts, state)[args.run][0]
  samples = train.sample(parts, run_state, jax.random.key(args.seed), args.num)
  if args.out.lower().endswith(".npy"):
    np.save(args.out, samples)
  else:
    title = f"{config.data.name}, run {args.run}, step {int(run_state.step)}, seed {args.seed}"
    if isinstance(parts["task"], images.ImageTask):
      images.plot_samples(args.out, samples, title, columns=int(np.ceil(np.sqrt(args.num))))
    else:
      plot_scatter(args.out, samples, title)
  print(f"Wrote {args.num} samples of run {args.run} (step {int(run_state.step)}) to {args.out}.")


if __name__ == "__main__":
  main()
