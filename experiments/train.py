"""Train a GAN on a 2-D toy distribution; the project's main job.

    python -m experiments.train                        # WGAN-GP on the ring of 8
    python -m experiments.train --config grid25_wgan_gp --workdir runs/grid
    python -m experiments.train --objective hinge --penalty r1 --dataset grid25
    python -m experiments.train --num-runs 8           # seeds 0..7 in one program

Training runs on device in chunks of `chunk_size` steps (`GAN.run`: one
dispatch per chunk, batches drawn in-graph from a `jg.data` stream); the
progress bar, logging, plots and checkpoints happen between chunks. With
`num_runs = N` the job trains seeds `seed, ..., seed + N - 1` as N vmapped
runs in one program (run i is the single run with seed `seed + i`).

A run writes to its work directory: `config.json`, `metrics.jsonl` (one JSON
line per logged step, and per run with `"run": i` when N > 1, with steps and
examples per second), `tensorboard/` (the same scalars and the sample figures),
`samples_<step>.png` (real vs generated with the critic's contours; run 0),
`final_metrics.json` (mode coverage of the EMA generator; with N > 1 every
run, their mean and std) and Orbax checkpoints under `checkpoints/` (one
checkpoint holds all runs). Rerunning with the same work directory resumes
from the newest checkpoint and ends bit-identical to an uninterrupted run.
SIGTERM saves a checkpoint and exits cleanly.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from typing import Any

import jax
import jax.numpy as jnp
import matplotlib.image
import numpy as np
import optax
from tqdm import tqdm

import jaxgan as jg
from experiments import configs as configs_lib
from experiments import images, writers

DEFAULT_CONFIG = "ring8_wgan_gp"
# Keys that do not change the state's trajectory: allowed to differ on resume.
RUNTIME_KEYS = ("log_every", "plot_every", "checkpoint_every", "keep_checkpoints", "eval_samples", "chunk_size")
OVERRIDES = {
    "steps": int,
    "seed": int,
    "dataset": str,
    "objective": str,
    "penalty": str,
    "n_critic": int,
    "batch_size": int,
    "compute_dtype": str,
    "num_runs": int,
    "chunk_size": int,
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
              "checkpoint_every", "keep_checkpoints", "eval_samples", "dataset_size", "num_runs"):
    if not isinstance(config[key], int) or isinstance(config[key], bool) or config[key] < 1:
      raise ValueError(f"config[{key!r}] must be an integer >= 1, got {config[key]!r}.")
  for key in ("generator_lr", "critic_lr"):
    values = config[key] if isinstance(config[key], (list, tuple)) else [config[key]]
    if isinstance(config[key], (list, tuple)) and len(values) != config["num_runs"]:
      raise ValueError(f"config[{key!r}] has {len(values)} values (one per run) but num_runs is"
                       f" {config['num_runs']}: give one number, or num_runs of them.")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in values):
      raise ValueError(f"config[{key!r}] must be > 0 (or a list of num_runs such numbers), got {config[key]!r}.")
  chunk = config["chunk_size"]
  if not (chunk is None or (isinstance(chunk, int) and not isinstance(chunk, bool) and chunk >= 1)):
    raise ValueError(f"config['chunk_size'] must be None (automatic) or an integer >= 1, got {config['chunk_size']!r}.")
  if config["num_runs"] > 1 and images.is_image(config) and not images.fits_on_device(config):
    raise ValueError(f"config['num_runs'] > 1 needs a dataset held on device; {config['dataset']} is streamed"
                     " from host storage. Train its seeds as separate runs.")
  if config["lr_schedule"] not in ("constant", "cosine"):
    raise ValueError(f"config['lr_schedule'] must be 'constant' or 'cosine', got {config['lr_schedule']!r}.")
  if jax.device_count() > 1 and config["batch_size"] % jax.device_count():
    raise ValueError(f"batch_size {config['batch_size']} must be divisible by the {jax.device_count()} devices.")
  return config


def _optimizer(updates_per_run: int, config: dict) -> optax.GradientTransformation:
  """Adam with the config's betas; its learning rate (times the schedule's factor) is an injected
  hyperparameter in the optimiser state, so vmapped runs can each carry their own (:func:`_set_learning_rates`)."""
  factor = optax.cosine_decay_schedule(1.0, updates_per_run) if config["lr_schedule"] == "cosine" else (lambda _: 1.0)

  def adam(learning_rate):
    return optax.chain(optax.scale_by_adam(b1=config["adam_b1"], b2=config["adam_b2"]),
                       optax.scale_by_schedule(lambda count: -learning_rate * factor(count)))

  return optax.inject_hyperparams(adam)(learning_rate=0.0)


def _set_learning_rates(state, config: dict):
  """Writes `generator_lr` / `critic_lr` (one number, or one per run) into the optimiser states."""

  def with_rate(player, key):
    current = player.opt_state.hyperparams["learning_rate"]
    rates = jnp.broadcast_to(jnp.asarray(config[key], current.dtype), current.shape)
    hyperparams = {**player.opt_state.hyperparams, "learning_rate": rates}
    return player.replace(opt_state=player.opt_state._replace(hyperparams=hyperparams))

  return state.replace(generator=with_rate(state.generator, "generator_lr"),
                       critic=with_rate(state.critic, "critic_lr"))


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


def run_keys(config: dict) -> tuple[jax.Array, jax.Array, jax.Array]:
  """`(init, data, eval)` keys: from `seed`, or one of each per run (seeds `seed + i`) when `num_runs > 1`."""
  split = lambda seed: jax.random.split(jax.random.key(seed), 3)  # noqa: E731
  if config["num_runs"] == 1:
    return tuple(split(config["seed"]))
  keys = jax.vmap(split)(config["seed"] + jnp.arange(config["num_runs"]))
  return keys[:, 0], keys[:, 1], keys[:, 2]


def default_chunk_size(config: dict) -> int:
  """Steps per dispatch when `chunk_size` is None: 100, or 1 for image models on CPU.

  XLA:CPU runs convolution gradients inside a while loop 13-80x slower than
  outside one (benchmarks/RESULTS.md, end to end), so a CPU image run
  dispatches step by step (its ~0.2 s steps hide the host anyway).
  """
  return 1 if images.is_image(config) and jax.default_backend() == "cpu" else 100


def build(config: dict) -> dict[str, Any]:
  """Dataset, its in-graph stream, the GAN object and the initial state for `config`."""
  dtype = jnp.dtype(config["compute_dtype"])
  objective = jg.losses.get(config["objective"], **config["objective_kwargs"])
  embeddings = "embeddings" in objective.extras  # EBGAN's pulling-away term reads the autoencoder's codes
  mesh = jg.train.data_mesh() if jax.device_count() > 1 else None
  init_key, data_key, eval_key = run_keys(config)
  sizes = dict(batch_size=config["batch_size"], n_critic=config["n_critic"])
  if images.is_image(config):
    dataset = images.dataset(config)
    generator, critic = images.models(config, dataset.image_shape, dtype, return_embeddings=embeddings)
    example = images.example(dataset)
    stream = jg.data.image_stream(dataset, data_key, mesh=mesh, **sizes) if images.fits_on_device(config) else None
  else:
    dataset = jg.data.get(config["dataset"])
    example = jnp.zeros((1, 2))
    stream = jg.data.toy_stream(dataset, data_key, **sizes)
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
      generator_optimizer=_optimizer(config["steps"], config),
      critic_optimizer=_optimizer(config["steps"] * config["n_critic"], config),
      ema_decay=config["ema_decay"],
      penalty_interval=config["penalty_interval"],
      entropy_estimator=_entropy_estimator(config, example.shape[1:]),
      entropy_weight=config["entropy_weight"],
      on_nonfinite=config["on_nonfinite"],
      mesh=mesh,
      num_runs=None if config["num_runs"] == 1 else config["num_runs"],
  )
  state = _set_learning_rates(gan.init(init_key, example), config)
  return dict(dataset=dataset, stream=stream, gan=gan, state=state, data_key=data_key, eval_key=eval_key)


def runs(parts: dict, state) -> list[tuple[Any, jax.Array]]:
  """`(state, eval key)` of every run: one pair, or `num_runs` of them."""
  if parts["gan"].num_runs is None:
    return [(state, parts["eval_key"])]
  return [(jg.train.select_run(state, i), parts["eval_key"][i]) for i in range(parts["gan"].num_runs)]


def plot_samples(path: str, parts: dict, state, config: dict, step: int) -> None:
  """Scatter of real vs EMA-generated samples over the critic's contour map (a sample grid for images)."""
  state, eval_key = runs(parts, state)[0]
  if images.is_image(config):
    title = f"{config['objective']} + {config['penalty'] or 'no penalty'} on {config['dataset']}, step {step}"
    images.plot_samples(path, np.asarray(sample_generator(parts["gan"], state, eval_key, config, 64)), title)
    return
  import matplotlib

  matplotlib.use("Agg")
  import matplotlib.pyplot as plt

  real = np.asarray(parts["dataset"].sample(jax.random.key(1), 1000))
  fake = np.asarray(sample_generator(parts["gan"], state, eval_key, config, 1000))
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


def sample_generator(gan, state, eval_key: jax.Array, config: dict, n: int) -> jax.Array:
  """`n` samples of one run's EMA generator from its eval key."""
  return images.sample(gan.generator_fn(state), eval_key, n, config["latent_dim"])


def evaluate_run(parts: dict, state, eval_key: jax.Array, config: dict) -> dict:
  """One run's final metrics: mode coverage (2-D) or the image metrics, from `eval_samples` EMA samples."""
  dataset = parts["dataset"]
  samples = sample_generator(parts["gan"], state, eval_key, config, config["eval_samples"])
  if images.is_image(config):
    return {"step": int(state.step), **images.evaluate(dataset, samples, config)}
  if dataset.modes is None:
    return {"step": int(state.step)}
  return {"step": int(state.step), **jg.metrics.mode_coverage(samples, dataset.modes, dataset.std)}


def evaluate(parts: dict, state, config: dict) -> dict:
  """The final metrics: one run's, or with `num_runs > 1` every run's (`runs`) with their `mean` and `std`.

  A run halted on a non-finite update is reported as `{"diverged": message}`
  and left out of the mean and std (`diverged` counts them).
  """
  halted = jg.train.halted_runs(state)
  results = [{"step": int(run_state.step), "diverged": halted[i]} if i in halted
             else evaluate_run(parts, run_state, key, config) for i, (run_state, key) in enumerate(runs(parts, state))]
  if len(results) == 1:
    return results[0]
  finished = [r for r in results if "diverged" not in r]
  names = [k for k, v in finished[0].items() if isinstance(v, (int, float)) and k != "step"]
  values = {k: np.asarray([r[k] for r in finished], np.float64) for k in names}
  with np.errstate(invalid="ignore"):  # an infinite KL (a run missing a mode) has mean inf and std nan
    std = {k: float(v.std(ddof=1)) if len(v) > 1 else 0.0 for k, v in values.items()}
  return {"step": int(jnp.max(state.step)), "num_runs": len(results), "diverged": len(results) - len(finished),
          "runs": results, "mean": {k: float(v.mean()) for k, v in values.items()}, "std": std}


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
    print(f"Resuming from step {int(jnp.max(state.step))} in {workdir}.")
  with open(os.path.join(workdir, "config.json"), "w") as f:
    json.dump(config, f, indent=2)
  metrics_path = os.path.join(workdir, "metrics.jsonl")
  start = int(jnp.max(state.step))
  _truncate_metrics(metrics_path, start)

  chunk_size = config["chunk_size"] or default_chunk_size(config)
  feed = _Feed(parts, config, start, checkpointer.restore_data_state() if start else None)
  writer = writers.TensorBoardWriter(os.path.join(workdir, "tensorboard"), purge_step=start + 1 if start else None)
  examples_per_step = config["batch_size"] * config["n_critic"] * config["num_runs"]
  stop = {"requested": False}
  previous_handler = signal.signal(signal.SIGTERM, lambda *_: stop.update(requested=True))
  try:
    with open(metrics_path, "a") as log, tqdm(total=config["steps"], initial=start, disable=not progress,
                                               desc="train", unit="step") as bar:
      step, halted = start, {}
      timed_from = (start, time.perf_counter())  # (step, time) of the last log point
      while step < config["steps"]:
        num_steps = min(chunk_size, _next_event(step, config) - step)
        state, metrics = feed.advance(state, num_steps)
        step += num_steps
        bar.update(num_steps)
        if step % config["log_every"] == 0 or step == config["steps"]:
          _guard(state, halted)
          now = time.perf_counter()
          steps_per_second = (step - timed_from[0]) / (now - timed_from[1])
          timed_from = (step, now)
          rates = {"steps_per_second": steps_per_second, "examples_per_second": steps_per_second * examples_per_step}
          records = [{**record, **rates} for record in _log_records(step, metrics)]
          log.writelines(json.dumps(record) + "\n" for record in records)
          log.flush()
          for record in records:
            prefix = f"run_{record['run']}/" if "run" in record else ""
            writer.write_scalars(step, {prefix + k: v for k, v in record.items() if k not in ("step", "run")})
          bar.set_postfix(critic=f"{records[0]['critic_loss']:.3f}", gen=f"{records[0]['generator_loss']:.3f}")
        if step % config["plot_every"] == 0 or step == config["steps"]:
          path = os.path.join(workdir, f"samples_{step:06d}.png")
          plot_samples(path, parts, state, config, step)
          writer.write_images(step, "samples", matplotlib.image.imread(path))
        if step % config["checkpoint_every"] == 0 or step == config["steps"] or stop["requested"]:
          _guard(state, halted)
          checkpointer.save(step, state, force=True, data_state=feed.data_state())
        if stop["requested"]:
          checkpointer.wait()
          print(f"SIGTERM: saved step {step} in {workdir}; rerun the same command to resume.")
          sys.exit(0)
  finally:
    signal.signal(signal.SIGTERM, previous_handler)
    feed.close()
    writer.close()
  return state, parts


def _guard(state, halted: dict) -> None:
  """Stops training on a non-finite update: a one-run job raises; of many runs, the halted ones stay frozen
  (reported once) and the job raises only when every run has halted."""
  if np.ndim(state.health.halted_step) == 0:
    jg.train.check_health(state)
    return
  for run, message in jg.train.halted_runs(state).items():
    if run not in halted:
      halted[run] = message
      tqdm.write(f"{message}: run {run} is frozen at its last finite step; the other runs go on.")
  if len(halted) == state.health.halted_step.shape[0]:
    jg.train.check_health(state)


def _next_event(step: int, config: dict) -> int:
  """The first step after `step` that logs, plots, checkpoints or ends: where a chunk must stop."""
  every = (config["log_every"], config["plot_every"], config["checkpoint_every"])
  return min(config["steps"], *((step // e + 1) * e for e in every))


class _Feed:
  """How chunks get their data: `gan.run` on the in-graph stream, or on batches read by a grain iterator.

  `advance(state, num_steps) -> (state, metrics)`; `data_state()` is the
  iterator's JSON state (saved in the checkpoint; None for a stream, whose
  position is the step itself); `close()` stops the iterator's workers.
  """

  def __init__(self, parts: dict, config: dict, start: int, saved_data_state: dict | None):
    self.gan, self.stream, self.batches = parts["gan"], parts["stream"], None
    if self.stream is None:
      sharding = jg.train.batch_sharding(self.gan.mesh) if self.gan.mesh is not None else None
      # A saved iterator state restores into an iterator built as the saving one was (from step 0).
      self.batches = images.batches(parts["dataset"], parts["data_key"], config,
                                    0 if saved_data_state else start, sharding)
      if saved_data_state:
        self.batches.set_state(saved_data_state)

  def advance(self, state, num_steps: int):
    if self.stream is not None:
      return self.gan.run(state, self.stream, num_steps)
    return self.gan.run(state, jnp.stack([next(self.batches) for _ in range(num_steps)]), num_steps)

  def data_state(self) -> dict | None:
    return None if self.batches is None else self.batches.get_state()

  def close(self) -> None:
    if self.batches is not None:
      self.batches.close()


def _log_records(step: int, metrics: dict) -> list[dict]:
  """The log lines of `step`, the last of a chunk: one, or one per run (`"run": i`) with a run axis."""
  last = {k: np.asarray(v[-1]) for k, v in metrics.items()}
  if next(iter(last.values())).ndim == 0:
    return [{"step": step, **{k: float(v) for k, v in last.items()}}]
  num_runs = next(iter(last.values())).shape[0]
  return [{"step": step, "run": i, **{k: float(v[i]) for k, v in last.items()}} for i in range(num_runs)]


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
