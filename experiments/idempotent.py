"""Idempotent generative network (IGN) on the 2-D mixtures and the offline shapes, against the GAN runs.

    python -m experiments.idempotent                  # ring8, grid25, shapes; trains the GAN references if needed
    python -m experiments.idempotent --config quick --workdir /tmp/ign_quick
    python -m experiments.idempotent --config.datasets='("ring8",)' --config.setups.ring8.steps=5000
    python -m experiments.idempotent --features my_module:features   # the shapes on your image features

One network f (an MLP 2 -> 2 on the mixtures; the DCGAN encoder-decoder of
Shocher et al. on the 32x32 shapes) is trained with `jg.idempotent`'s
reconstruction, idempotence and tightness losses (weights 20 / 20 / 2.5,
clamp 1.5, L1; frozen copy by `stop_gradient` on the params), noise
z ~ N(0, I) of the data's shape. Samples are one step, f(z), and two steps,
f(f(z)), from the EMA params. They are scored by the same protocol as the
GANs (mode coverage on the mixtures; Frechet distance, precision and recall
of the image features on the shapes: the in-project classifier's, or
`--features module:function`'s, as in every image evaluation) and put beside
the GAN configs of the same data, `ring8_wgan_gp`, `grid25_wgan_gp` and
`shapes_dcgan_hinge_sn` (and `grid25_meg`, the energy model; trained, or
read, in `runs/<config>`). Writes `<workdir>/table.md`, `results.json` and
`samples.png`.

The config (`experiments/configs/idempotent/`: `full`, the default, and
`quick`) holds `datasets`, `seed` and per dataset `setups.<name>` (the GAN
references, steps, batch size, learning rate, EMA decay, evaluation samples
and network widths); any field can be overridden with `--config.FIELD=VALUE`.
"""

from __future__ import annotations

import os

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax
from absl import flags
from tqdm import tqdm

import jaxgan as jg
from experiments import cli, outputs
from experiments import configs as configs_lib
from experiments import train as train_lib
from experiments.tasks import images

CONFIG_DIR = os.path.join(configs_lib.CONFIG_DIR, "idempotent")
DEFAULT_CONFIG = "full"
GAN_RUNS = "runs"  # the GAN references train, or are read, in runs/<config name>
POSITIVE_INTS = ("steps", "batch_size", "eval_samples")


def validate(config: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
  """Checks the datasets, the setups' values and the GAN references, raising ValueError naming the field."""
  if not config.datasets or any(name not in config.setups for name in config.datasets):
    raise ValueError(f"config.datasets must be a non-empty tuple of {tuple(config.setups)}, got {config.datasets!r}.")
  for name in config.datasets:
    setup = config.setups[name]
    for key in POSITIVE_INTS:
      if not isinstance(setup[key], int) or setup[key] < 1:
        raise ValueError(f"config.setups.{name}.{key} must be an integer >= 1, got {setup[key]!r}.")
    if not setup.lr > 0:
      raise ValueError(f"config.setups.{name}.lr must be > 0, got {setup.lr!r}.")
    if not 0 <= setup.ema_decay < 1:
      raise ValueError(f"config.setups.{name}.ema_decay must be in [0, 1), got {setup.ema_decay!r}.")
    for gan_config in setup.gan_configs:
      if gan_config not in configs_lib.CONFIG_NAMES or configs_lib.get_config(gan_config).data.name != name:
        raise ValueError(f"config.setups.{name}.gan_configs: {gan_config!r} is not a main-job config on {name}.")
  return config


def network(name: str, setup):
  if name == "shapes":
    return jg.models.DCGANAutoencoder(features=setup.features, bottleneck=setup.bottleneck, layer_norm=True)
  return jg.models.MLPGenerator(output_dim=2, hidden=setup.hidden)


def data_batches(name: str, rng_key, batch_size: int):
  """An infinite iterator of real batches `(batch, ...)`, and the data (or the image source) for scoring."""
  if name == "shapes":
    data = jg.data.offline_shapes(10000, seed=0)
    batches = jg.data.image_batches(data, rng_key, batch_size=batch_size)
  else:
    data = jg.data.get(name)
    batches = jg.data.batches(data, rng_key, batch_size=batch_size)
  return (batch[0] for batch in batches), data  # one microbatch per step


def train_ign(name: str, setup, *, seed: int, progress: bool):
  """Trains f on `name` as `setup` (a `config.setups` section) says; returns `(apply_fn, ema_params, data)`."""
  module = network(name, setup)
  init_key, data_key, noise_key = jax.random.split(jax.random.key(seed), 3)
  batches, data = data_batches(name, data_key, setup.batch_size)
  first = next(batches)
  params = module.init(init_key, first)["params"]
  apply_fn = lambda p, x: module.apply({"params": p}, x)
  optimizer = optax.adam(optax.cosine_decay_schedule(setup.lr, setup.steps), b1=0.5, b2=0.999)
  state = jg.idempotent.init_idempotent_state(params, optimizer, noise_key)
  step_fn = jg.idempotent.make_idempotent_train_step(apply_fn, optimizer, ema_decay=setup.ema_decay)
  for i in tqdm(range(setup.steps), disable=not progress, desc=f"IGN {name}"):
    batch = first if i == 0 else next(batches)
    state, metrics = step_fn(state, batch)
    if (i + 1) % 100 == 0 or i + 1 == setup.steps:
      if not bool(metrics["finite"]):
        raise RuntimeError(f"IGN on {name}: non-finite loss or gradient after step {int(state.step)}; the state"
                           " holds the last finite update.")
  return apply_fn, state.ema_params, data


def score(name: str, x: np.ndarray, data) -> dict:
  """Mode coverage on a mixture; on the shapes the image metrics against as many training images, on the
  features every image evaluation uses (`images.features_and_logits`: `--features`, or the classifier's)."""
  if name == "shapes":
    real = data.get(np.arange(min(len(data), x.shape[0])))[0]
    fake_features, fake_logits = images.features_and_logits(x)
    return {**images.image_metrics(images.features_and_logits(real)[0], fake_features, fake_logits),
            "features": images.features_name()}
  return jg.metrics.mode_coverage(x, data.modes, data.std)


def gan_reference(config_name: str, progress: bool) -> dict:
  """The main-job config `config_name` trained (or read) in runs/<config_name>: its final metrics and 256
  samples of its EMA generator from its eval key."""
  config = configs_lib.get_config(config_name)
  metrics, state, parts = train_lib.train_and_load(config, os.path.join(GAN_RUNS, config_name), progress=progress)
  run_state, eval_key = train_lib.runs(parts, state)[0]
  return {"metrics": metrics, "samples": train_lib.sample(parts, run_state, eval_key, 256)}


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


def run(config: ml_collections.ConfigDict, workdir: str, *, progress: bool = True) -> dict:
  """The study of `config` (validated first): IGN and its GAN references per dataset; writes the outputs."""
  config = validate(config)
  os.makedirs(workdir, exist_ok=True)
  seed, results, panels = config.seed, {}, []
  for name in config.datasets:
    setup = config.setups[name]
    apply_fn, params, data = train_ign(name, setup, seed=seed, progress=progress)
    n = setup.eval_samples
    shape = data.image_shape if name == "shapes" else (2,)
    z = jax.random.normal(jax.random.key(seed + 1), (n, *shape))
    one = jnp.concatenate([apply_fn(params, z[i:i + 500]) for i in range(0, n, 500)])
    two = jnp.concatenate([apply_fn(params, one[i:i + 500]) for i in range(0, n, 500)])
    results[name] = {"IGN f(z)": score(name, np.asarray(one), data), "IGN f(f(z))": score(name, np.asarray(two), data)}
    columns = [("IGN f(z)", one), ("IGN f(f(z))", two)]
    for config_name in setup.gan_configs:
      reference = gan_reference(config_name, progress)
      results[name][f"GAN ({config_name})"] = {k: v for k, v in reference["metrics"].items() if k != "step"}
      columns.append((f"GAN ({config_name})", reference["samples"]))
    panels.append((name, data, [(f"{name}: {t}", x[:256]) for t, x in columns]))
  outputs.write_results(workdir, {"config": config.to_dict(), "results": results}, markdown_table(results))
  plot(os.path.join(workdir, "samples.png"), panels)
  return results


def markdown_table(results: dict) -> str:
  lines = ["| data | method | result |", "|---|---|---|"]
  for name, methods in results.items():
    for method, metrics in methods.items():
      lines.append(f"| {name} | {method} | {headline(name, metrics)} |")
  return "\n".join(lines) + "\n"


def _define_flags(flag_values: flags.FlagValues) -> None:
  flags.DEFINE_string("workdir", "runs/idempotent", "output directory", flag_values=flag_values)
  flags.DEFINE_boolean("progress", True, "show progress bars (--noprogress hides them)", flag_values=flag_values)
  flags.DEFINE_string("features", None, "module:function scoring the shapes (experiments.tasks.images.use_features;"
                      " default: the in-project classifier)", flag_values=flag_values)


def _validate_command_line(config, flag_values: flags.FlagValues) -> None:
  validate(config)
  images.use_features(flag_values.features)


def main(argv=None) -> None:
  config, flag_values = cli.parse(argv, doc=__doc__, config_dir=CONFIG_DIR, default_config=DEFAULT_CONFIG,
                                  define_flags=_define_flags, validate=_validate_command_line)
  results = run(config, flag_values.workdir, progress=flag_values.progress)
  print(markdown_table(results))
  print(f"Outputs in {flag_values.workdir}/")


if __name__ == "__main__":
  main()
