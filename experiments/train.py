"""Train a GAN on a 2-D toy distribution; the project's main job.

    python -m experiments.train                        # WGAN-GP on the ring of 8
    python -m experiments.train --config grid25_wgan_gp --workdir runs/grid
    python -m experiments.train --objective hinge --penalty r1 --dataset grid25

A run writes to its work directory: `config.json`, `metrics.jsonl` (one JSON
line per logged step), `samples_<step>.png` (real vs generated with the
critic's contours), `final_metrics.json` (mode coverage of the EMA generator)
and Orbax checkpoints under `checkpoints/`. Rerunning with the same work
directory resumes from the newest checkpoint and ends bit-identical to an
uninterrupted run. SIGTERM saves a checkpoint and exits cleanly.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from tqdm import tqdm

import jaxgan as jg
from experiments import configs as configs_lib
from experiments import images

DEFAULT_CONFIG = "ring8_wgan_gp"
# Keys that do not change the state's trajectory: allowed to differ on resume.
RUNTIME_KEYS = ("log_every", "plot_every", "checkpoint_every", "keep_checkpoints", "eval_samples")
OVERRIDES = {
    "steps": int,
    "seed": int,
    "dataset": str,
    "objective": str,
    "penalty": str,
    "n_critic": int,
    "batch_size": int,
    "compute_dtype": str,
}


def validate_config(config: dict) -> dict:
  """Checks names and values; raises ValueError listing the options."""
  if images.is_image(config):
    images.validate(config)
  else:
    try:
      jg.data.get(config["dataset"])
    except ValueError as e:
      raise ValueError(f"{e} Image datasets: {', '.join(images.IMAGE_DATASETS)}.") from None
    if config["model"] != "mlp":
      raise ValueError(f"config['model'] must be 'mlp' for 2-D datasets, got {config['model']!r}.")
  jg.losses.get(config["objective"], **config["objective_kwargs"])
  if config["penalty"] is not None:
    jg.penalties.get(config["penalty"], **config["penalty_kwargs"])
  if config["entropy_estimator"] not in (None, *jg.losses.ENTROPY_ESTIMATORS):
    raise ValueError(f"config['entropy_estimator'] must be None or one of {jg.losses.ENTROPY_ESTIMATORS},"
                     f" got {config['entropy_estimator']!r}.")
  if config["critic"] not in ("mlp", "autoencoder"):
    raise ValueError(f"config['critic'] must be 'mlp' or 'autoencoder', got {config['critic']!r}.")
  if config["critic"] == "autoencoder" and config["spectral_norm"]:
    raise ValueError("config['spectral_norm'] is not available with the autoencoder critic.")
  if config["compute_dtype"] not in ("float32", "bfloat16"):
    raise ValueError(f"config['compute_dtype'] must be 'float32' or 'bfloat16', got {config['compute_dtype']!r}.")
  if not config["entropy_weight"] >= 0:
    raise ValueError(f"config['entropy_weight'] must be >= 0, got {config['entropy_weight']!r}.")
  for key in ("steps", "batch_size", "n_critic", "latent_dim", "penalty_interval", "log_every", "plot_every",
              "checkpoint_every", "keep_checkpoints", "eval_samples", "dataset_size"):
    if not isinstance(config[key], int) or isinstance(config[key], bool) or config[key] < 1:
      raise ValueError(f"config[{key!r}] must be an integer >= 1, got {config[key]!r}.")
  for key in ("generator_lr", "critic_lr"):
    if not config[key] > 0:
      raise ValueError(f"config[{key!r}] must be > 0, got {config[key]!r}.")
  if config["lr_schedule"] not in ("constant", "cosine"):
    raise ValueError(f"config['lr_schedule'] must be 'constant' or 'cosine', got {config['lr_schedule']!r}.")
  if jax.device_count() > 1 and config["batch_size"] % jax.device_count():
    raise ValueError(f"batch_size {config['batch_size']} must be divisible by the {jax.device_count()} devices.")
  return config


def _optimizer(lr: float, updates_per_run: int, config: dict) -> optax.GradientTransformation:
  schedule = optax.cosine_decay_schedule(lr, updates_per_run) if config["lr_schedule"] == "cosine" else lr
  return optax.adam(schedule, b1=config["adam_b1"], b2=config["adam_b2"])


def _entropy_estimator(config: dict, data_shape: tuple):
  """The MEG entropy estimator named by the config, or None."""
  name = config["entropy_estimator"]
  if name is None:
    return None
  hidden = tuple(config["hidden"])
  if name != "encoder":
    network = jg.models.MLPCritic(hidden=hidden)  # statistics network on [flatten(x), z]
  elif images.is_image(config):
    network = images.encoder(config, data_shape)
  else:
    network = jg.models.MLPGenerator(output_dim=config["latent_dim"], hidden=hidden)
  return jg.losses.entropy_estimator(name, network)


def build(config: dict) -> dict[str, Any]:
  """Dataset, the GAN object and the initial state for `config`."""
  dtype = jnp.dtype(config["compute_dtype"])
  objective = jg.losses.get(config["objective"], **config["objective_kwargs"])
  embeddings = "embeddings" in objective.extras  # EBGAN's pulling-away term reads the autoencoder's codes
  if images.is_image(config):
    dataset = images.dataset(config)
    generator, critic = images.models(config, dataset.image_shape, dtype, return_embeddings=embeddings)
    example = images.example(dataset)
  else:
    dataset = jg.data.get(config["dataset"])
    example = jnp.zeros((1, 2))
    generator = jg.models.MLPGenerator(output_dim=2, hidden=tuple(config["hidden"]), dtype=dtype)
    if config["critic"] == "autoencoder":
      critic = jg.models.MLPAutoencoderCritic(hidden=tuple(config["hidden"]), bottleneck=2,
                                              return_embeddings=embeddings, dtype=dtype)
    else:
      critic = jg.models.MLPCritic(hidden=tuple(config["hidden"]), spectral_norm=config["spectral_norm"],
                                   dtype=dtype)
  gan = jg.train.GAN(
      generator=generator,
      critic=critic,
      objective=objective,
      penalty=jg.penalties.get(config["penalty"], **config["penalty_kwargs"]) if config["penalty"] else None,
      latent_dim=config["latent_dim"],
      n_critic=config["n_critic"],
      generator_optimizer=_optimizer(config["generator_lr"], config["steps"], config),
      critic_optimizer=_optimizer(config["critic_lr"], config["steps"] * config["n_critic"], config),
      ema_decay=config["ema_decay"],
      penalty_interval=config["penalty_interval"],
      entropy_estimator=_entropy_estimator(config, example.shape[1:]),
      entropy_weight=config["entropy_weight"],
      on_nonfinite=config["on_nonfinite"],
      mesh=jg.train.data_mesh() if jax.device_count() > 1 else None,
  )
  init_key, data_key, eval_key = jax.random.split(jax.random.key(config["seed"]), 3)
  return dict(dataset=dataset, gan=gan, state=gan.init(init_key, example), data_key=data_key, eval_key=eval_key)


def plot_samples(path: str, parts: dict, state, config: dict, step: int) -> None:
  """Scatter of real vs EMA-generated samples over the critic's contour map (a sample grid for images)."""
  if images.is_image(config):
    title = f"{config['objective']} + {config['penalty'] or 'no penalty'} on {config['dataset']}, step {step}"
    images.plot_samples(path, np.asarray(sample_generator(parts, state, config, 64)), title)
    return
  import matplotlib

  matplotlib.use("Agg")
  import matplotlib.pyplot as plt

  real = np.asarray(parts["dataset"].sample(jax.random.key(1), 1000))
  fake = np.asarray(sample_generator(parts, state, config, 1000))
  lim = float(np.max(np.abs(real))) * 1.3
  grid = np.linspace(-lim, lim, 120)
  xx, yy = np.meshgrid(grid, grid)
  points = jnp.asarray(np.stack([xx.ravel(), yy.ravel()], -1), jnp.float32)
  scores = parts["gan"].critic_fn(state)(points)
  fig, ax = plt.subplots(figsize=(5, 5))
  contour = ax.contourf(xx, yy, np.asarray(scores).reshape(xx.shape), levels=20, cmap="coolwarm", alpha=0.6)
  is_energy = parts["gan"].objective.scores == "energies"
  fig.colorbar(contour, ax=ax, fraction=0.046, label="energy U(x)" if is_energy else "critic score")
  ax.scatter(real[:, 0], real[:, 1], s=4, c="k", alpha=0.5, label="real")
  ax.scatter(fake[:, 0], fake[:, 1], s=4, c="tab:green", alpha=0.6, label="generated (EMA)")
  ax.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal",
         title=f"{config['objective']} + {config['penalty'] or 'no penalty'} on {config['dataset']}, step {step}")
  ax.legend(loc="upper right", fontsize=8)
  fig.savefig(path, dpi=100, bbox_inches="tight")
  plt.close(fig)


def sample_generator(parts: dict, state, config: dict, n: int) -> jax.Array:
  return images.sample(parts["gan"].generator_fn(state), parts["eval_key"], n, config["latent_dim"])


def evaluate(parts: dict, state, config: dict) -> dict:
  dataset = parts["dataset"]
  samples = sample_generator(parts, state, config, config["eval_samples"])
  if images.is_image(config):
    return {"step": int(state.step), **images.evaluate(dataset, samples, config)}
  if dataset.modes is None:
    return {"step": int(state.step)}
  return {"step": int(state.step), **jg.metrics.mode_coverage(samples, dataset.modes, dataset.std)}


def _truncate_metrics(path: str, last_step: int) -> None:
  """Drops log lines written after the checkpoint a run resumes from."""
  if not os.path.exists(path):
    return
  with open(path) as f:
    lines = [line for line in f if line.strip() and json.loads(line)["step"] <= last_step]
  with open(path, "w") as f:
    f.writelines(lines)


def _train(config: dict, workdir: str, checkpointer, progress: bool):
  """The training loop; returns the final state and the built parts."""
  parts = build(config)
  state = parts["state"]
  if checkpointer.latest_step() is not None:
    state = checkpointer.restore(state)
    print(f"Resuming from step {int(state.step)} in {workdir}.")
  with open(os.path.join(workdir, "config.json"), "w") as f:
    json.dump(config, f, indent=2)
  metrics_path = os.path.join(workdir, "metrics.jsonl")
  start = int(state.step)
  _truncate_metrics(metrics_path, start)

  mesh = parts["gan"].mesh
  sharding = jg.train.batch_sharding(mesh) if mesh is not None else None
  if images.is_image(config):
    batches = images.batches(parts["dataset"], parts["data_key"], config, start, sharding)
  else:
    batches = jg.data.batches(parts["dataset"], parts["data_key"], batch_size=config["batch_size"],
                              n_critic=config["n_critic"], start_step=start, sharding=sharding)
  stop = {"requested": False}
  previous_handler = signal.signal(signal.SIGTERM, lambda *_: stop.update(requested=True))
  try:
    with open(metrics_path, "a") as log, tqdm(total=config["steps"], initial=start, disable=not progress,
                                               desc="train", unit="step") as bar:
      for step in range(start + 1, config["steps"] + 1):
        state, metrics = parts["gan"].step(state, next(batches))
        bar.update(1)
        if step % config["log_every"] == 0 or step == config["steps"]:
          jg.train.check_health(state)
          record = {"step": step, **{k: float(v) for k, v in metrics.items()}}
          log.write(json.dumps(record) + "\n")
          log.flush()
          bar.set_postfix(critic=f"{record['critic_loss']:.3f}", gen=f"{record['generator_loss']:.3f}")
        if step % config["plot_every"] == 0 or step == config["steps"]:
          plot_samples(os.path.join(workdir, f"samples_{step:06d}.png"), parts, state, config, step)
        if step % config["checkpoint_every"] == 0 or step == config["steps"] or stop["requested"]:
          jg.train.check_health(state)
          checkpointer.save(step, state, force=True)
        if stop["requested"]:
          checkpointer.wait()
          print(f"SIGTERM: saved step {step} in {workdir}; rerun the same command to resume.")
          sys.exit(0)
  finally:
    signal.signal(signal.SIGTERM, previous_handler)
  return state, parts


def train_and_evaluate(config: dict, workdir: str, *, progress: bool = True) -> dict:
  """Trains (resuming from `workdir` if it holds checkpoints) and returns the final metrics."""
  return train_and_load(config, workdir, progress=progress)[0]


def train_and_load(config: dict, workdir: str, *, progress: bool = True):
  """Like :func:`train_and_evaluate`, also returning the final state and the built parts (no second restore)."""
  config = validate_config(config)
  os.makedirs(workdir, exist_ok=True)
  checkpointer = jg.checkpoint.Checkpointer(
      os.path.join(workdir, "checkpoints"),
      save_every=config["checkpoint_every"],
      keep=config["keep_checkpoints"],
      config=config,
      match_keys=[k for k in config if k not in RUNTIME_KEYS],
  )
  try:
    state, parts = _train(config, workdir, checkpointer, progress)
  finally:
    checkpointer.close()
  final = evaluate(parts, state, config)
  with open(os.path.join(workdir, "final_metrics.json"), "w") as f:
    json.dump(final, f, indent=2)
  return final, state, parts


def load_trained(config: dict, workdir: str, step: int | None = None):
  """The built parts and the state restored from `workdir`'s checkpoint (default: newest)."""
  parts = build(config)
  checkpointer = jg.checkpoint.Checkpointer(os.path.join(workdir, "checkpoints"), save_every=1, config=config,
                                            match_keys=[k for k in config if k not in RUNTIME_KEYS])
  try:
    return checkpointer.restore(parts["state"], step), parts
  finally:
    checkpointer.close()


def parse_args(argv=None) -> tuple[dict, str, bool]:
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--config", default=DEFAULT_CONFIG,
                      help=f"named config, one of: {', '.join(configs_lib.CONFIG_NAMES)}")
  parser.add_argument("--workdir", default=None, help="work directory (default: runs/<config>)")
  for key, kind in OVERRIDES.items():
    parser.add_argument(f"--{key.replace('_', '-')}", dest=key, type=kind, default=None,
                        help=f"override config[{key!r}]" + (" ('none' for no penalty)" if key == "penalty" else ""))
  parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
  args = parser.parse_args(argv)
  try:
    config = configs_lib.get_config(args.config)
  except ValueError as e:
    parser.error(str(e))
  for key in OVERRIDES:
    value = getattr(args, key)
    if value is not None:
      if key in ("objective", "penalty") and value != config[key]:
        config[f"{key}_kwargs"] = {}  # hyperparameters belong to the replaced choice
      config[key] = None if (key == "penalty" and value.lower() == "none") else value
  try:
    validate_config(config)
  except ValueError as e:
    parser.error(str(e))
  return config, args.workdir or os.path.join("runs", args.config), not args.no_progress


def main(argv=None) -> None:
  config, workdir, progress = parse_args(argv)
  final = train_and_evaluate(config, workdir, progress=progress)
  print(json.dumps(final, indent=2))
  print(f"Outputs in {workdir}/")


if __name__ == "__main__":
  main()
