"""Idempotent generative network (IGN) on the 2-D mixtures and the offline shapes, against the GAN runs.

    python -m experiments.idempotent                  # ring8, grid25, shapes; trains the GAN references if needed
    python -m experiments.idempotent --quick --workdir /tmp/ign_quick

One network f (an MLP 2 -> 2 on the mixtures; the DCGAN encoder-decoder of
Shocher et al. on the 32x32 shapes) is trained with `jg.idempotent`'s
reconstruction, idempotence and tightness losses (weights 20 / 20 / 2.5,
clamp 1.5, L1; frozen copy by `stop_gradient` on the params), noise
z ~ N(0, I) of the data's shape. Samples are one step, f(z), and two steps,
f(f(z)), from the EMA params. They are scored by the same protocol as the
GANs (mode coverage on the mixtures; classifier-feature Frechet distance,
precision and recall on the shapes) and put beside the GAN configs of the
same data, `ring8_wgan_gp`, `grid25_wgan_gp` and `shapes_dcgan_hinge_sn`
(and `grid25_meg`, the energy model; trained, or read, in `runs/<config>`). Writes `<workdir>/table.md`,
`results.json` and `samples.png`.
"""

from __future__ import annotations

import argparse
import os

import jax
import jax.numpy as jnp
import numpy as np
import optax
from tqdm import tqdm

import jaxgan as jg
from experiments import configs as configs_lib
from experiments import images
from experiments import outputs
from experiments import train as train_lib

SETUPS = {
    "ring8": dict(gan_configs=("ring8_wgan_gp",), steps=3000, batch_size=256, lr=1e-3, hidden=(256, 256, 256)),
    "grid25": dict(gan_configs=("grid25_wgan_gp", "grid25_meg"), steps=3000, batch_size=256, lr=1e-3, hidden=(256, 256, 256)),
    "shapes": dict(gan_configs=("shapes_dcgan_hinge_sn",), steps=2000, batch_size=64, lr=2e-4, features=(16, 32, 64),
                   bottleneck=64),
}
QUICK = dict(steps=40, hidden=(32, 32), features=(8, 16, 32))
EVAL_SAMPLES = {"ring8": 2500, "grid25": 2500, "shapes": 2000}


def network(name: str, setup: dict, quick: bool):
  if name == "shapes":
    return jg.models.DCGANAutoencoder(features=QUICK["features"] if quick else setup["features"],
                                      bottleneck=setup["bottleneck"], layer_norm=True)
  return jg.models.MLPGenerator(output_dim=2, hidden=QUICK["hidden"] if quick else setup["hidden"])


def data_batches(name: str, rng_key, batch_size: int):
  """An infinite iterator of real batches `(batch, ...)`, and the data (or the image source) for scoring."""
  if name == "shapes":
    data = jg.data.offline_shapes(10000, seed=0)
    batches = jg.data.image_batches(data, rng_key, batch_size=batch_size)
  else:
    data = jg.data.get(name)
    batches = jg.data.batches(data, rng_key, batch_size=batch_size)
  return (batch[0] for batch in batches), data  # one microbatch per step


def train_ign(name: str, *, seed: int, quick: bool, progress: bool):
  """Trains f on `name`; returns `(apply_fn, ema_params, data)`."""
  setup = SETUPS[name]
  module = network(name, setup, quick)
  init_key, data_key, noise_key = jax.random.split(jax.random.key(seed), 3)
  batches, data = data_batches(name, data_key, setup["batch_size"])
  first = next(batches)
  params = module.init(init_key, first)["params"]
  apply_fn = lambda p, x: module.apply({"params": p}, x)
  steps = QUICK["steps"] if quick else setup["steps"]
  optimizer = optax.adam(optax.cosine_decay_schedule(setup["lr"], steps), b1=0.5, b2=0.999)
  state = jg.idempotent.init_idempotent_state(params, optimizer, noise_key)
  step_fn = jg.idempotent.make_idempotent_train_step(apply_fn, optimizer, ema_decay=0.99 if name != "shapes" else 0.999)
  for i in tqdm(range(steps), disable=not progress, desc=f"IGN {name}"):
    batch = first if i == 0 else next(batches)
    state, metrics = step_fn(state, batch)
    if (i + 1) % 100 == 0 or i + 1 == steps:
      if not bool(metrics["finite"]):
        raise RuntimeError(f"IGN on {name}: non-finite loss or gradient after step {int(state.step)}; the state"
                           " holds the last finite update.")
  return apply_fn, state.ema_params, data


def score(name: str, x: np.ndarray, data) -> dict:
  if name == "shapes":
    return images.evaluate(data, x, {"dataset": "shapes"})
  return jg.metrics.mode_coverage(x, data.modes, data.std)


def gan_reference(config_name: str, progress: bool) -> dict:
  config = train_lib.validate_config(configs_lib.get_config(config_name))
  workdir = os.path.join("runs", config_name)
  metrics, state, parts = train_lib.train_and_load(config, workdir, progress=progress)
  return {"metrics": metrics, "samples": np.asarray(train_lib.sample_generator(parts, state, config, 256))}


def headline(name: str, m: dict) -> str:
  if name == "shapes":
    return f"FD {m['frechet_distance']:.1f}, precision {m['precision']:.2f}, recall {m['recall']:.2f}"
  return f"{m['modes_covered']}/{m['num_modes']} modes, {100 * m['high_quality']:.1f}% HQ, KL {m['kl_to_uniform']:.3f}"


def plot(path: str, panels: list) -> None:
  import matplotlib

  matplotlib.use("Agg")
  import matplotlib.pyplot as plt

  width = max(len(columns) for _, _, columns in panels)
  fig, axes = plt.subplots(len(panels), width, figsize=(3.2 * width, 3.3 * len(panels)), squeeze=False)
  for row, (name, data, columns) in enumerate(panels):
    for ax, (title, x) in zip(axes[row], columns):
      x = np.asarray(x)
      if name == "shapes":
        tiles = np.clip((x[:36] + 1) / 2, 0, 1).reshape(6, 6, *x.shape[1:]).transpose(0, 2, 1, 3, 4)
        grid = tiles.reshape(6 * x.shape[1], 6 * x.shape[2], x.shape[3])
        ax.imshow(grid[..., 0] if x.shape[3] == 1 else grid, cmap="gray", vmin=0, vmax=1)
        ax.axis("off")
      else:
        lim = float(np.max(np.abs(data.modes))) * 1.4
        ax.scatter(data.modes[:, 0], data.modes[:, 1], s=20, marker="x", c="k", linewidths=0.8)
        ax.scatter(x[:, 0], x[:, 1], s=1, alpha=0.3, c="tab:green")
        ax.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal", xticks=[], yticks=[])
      ax.set_title(title, fontsize=8)
    for ax in axes[row, len(columns):]:
      ax.axis("off")
  fig.tight_layout()
  fig.savefig(path, dpi=80)
  plt.close(fig)


def run(workdir: str, *, datasets, quick: bool, seed: int = 0, progress: bool = True) -> dict:
  os.makedirs(workdir, exist_ok=True)
  results, panels = {}, []
  for name in datasets:
    apply_fn, params, data = train_ign(name, seed=seed, quick=quick, progress=progress)
    n = 200 if quick else EVAL_SAMPLES[name]
    shape = data.image_shape if name == "shapes" else (2,)
    z = jax.random.normal(jax.random.key(seed + 1), (n, *shape))
    one = jnp.concatenate([apply_fn(params, z[i:i + 500]) for i in range(0, n, 500)])
    two = jnp.concatenate([apply_fn(params, one[i:i + 500]) for i in range(0, n, 500)])
    results[name] = {"IGN f(z)": score(name, np.asarray(one), data), "IGN f(f(z))": score(name, np.asarray(two), data)}
    columns = [("IGN f(z)", one), ("IGN f(f(z))", two)]
    for config_name in () if quick else SETUPS[name]["gan_configs"]:
      reference = gan_reference(config_name, progress)
      results[name][f"GAN ({config_name})"] = {k: v for k, v in reference["metrics"].items() if k != "step"}
      columns.append((f"GAN ({config_name})", reference["samples"]))
    panels.append((name, data, [(f"{name}: {t}", x[:256]) for t, x in columns]))
  outputs.write_results(workdir, {"quick": quick, "seed": seed, "results": results}, markdown_table(results))
  plot(os.path.join(workdir, "samples.png"), panels)
  return results


def markdown_table(results: dict) -> str:
  lines = ["| data | method | result |", "|---|---|---|"]
  for name, methods in results.items():
    for method, metrics in methods.items():
      lines.append(f"| {name} | {method} | {headline(name, metrics)} |")
  return "\n".join(lines) + "\n"


def main(argv=None) -> None:
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("--workdir", default="runs/idempotent")
  parser.add_argument("--datasets", nargs="*", default=list(SETUPS), choices=list(SETUPS))
  parser.add_argument("--quick", action="store_true", help="tiny networks, 40 steps, no GAN references (CI)")
  parser.add_argument("--seed", type=int, default=0)
  parser.add_argument("--no-progress", action="store_true")
  args = parser.parse_args(argv)
  results = run(args.workdir, datasets=args.datasets, quick=args.quick, seed=args.seed,
                progress=not args.no_progress)
  print(markdown_table(results))
  print(f"Outputs in {args.workdir}/")


if __name__ == "__main__":
  main()
