"""Train a GAN; the project's main job. `train_and_evaluate(config, workdir)` is the library entry point.

    python -m experiments.train                                  # WGAN-GP on the ring of 8
    python -m experiments.train --config grid25_wgan_gp --workdir runs/grid
    python -m experiments.train --config experiments/configs/ring8_ns_r1.py --config.optim.critic_lr=2e-4
    python -m experiments.train --config.objective.name=hinge --config.penalty.name=r1 --config.data.name=grid25
    python -m experiments.train --config.num_runs=8              # seeds 0..7 in one program

The config (`experiments/configs/_base.py` lists its fields) is a named
config or a config file, and any field can be overridden with
`--config.FIELD=VALUE`; a misspelt field or a bad value is one error line
(exit status 2) before anything is written. Naming another objective or
penalty on the command line drops the config file's hyperparameters that the
new choice does not take.

The task (`experiments.tasks`: 2-D mixtures or images) supplies the data,
players, plots and evaluators. Training runs on device in chunks of
`chunk_size` steps (`GAN.run`: one dispatch per chunk, batches drawn in-graph
from a `jg.data` stream, or read by a grain iterator for data too large for
device memory); the progress bar, logging, plots, evaluations and
checkpoints happen between chunks. With `num_runs = N` the job trains seeds
`seed, ..., seed + N - 1` as N vmapped runs in one program (run i is the
single run with seed `seed + i`), optionally with per-run learning rates,
EMA decays and penalty weights (`per_run`).

A run writes to its work directory: `config.json`, `metrics.jsonl` (one JSON
line per logged step, and per run with `"run": i` when N > 1, with steps and
examples per second), `evals.jsonl` (one line per evaluation: the `evals`
section's evaluators every `every_steps` and at the end), `tensorboard/`
(the scalars, evaluations and sample figures), `samples_<step>.png` (run 0),
`final_metrics.json` (the final evaluation; with N > 1 every run, their mean
and std; `history`: the periodic evaluations) and Orbax checkpoints under
`checkpoints/` (one checkpoint holds all runs). Rerunning with the same work
directory resumes from the newest checkpoint and ends bit-identical to an
uninterrupted run. SIGTERM saves a checkpoint and exits cleanly.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import time
from typing import Any

import jax
import jax.numpy as jnp
import matplotlib.image
import ml_collections
import numpy as np
import optax
from absl import flags
from ml_collections import config_flags
from tqdm import tqdm

import jaxgan as jg
from experiments import cli, outputs, tasks, writers
from experiments import configs as configs_lib
from experiments.configs._base import base_config
from experiments.tasks import images

DEFAULT_CONFIG = "ring8_wgan_gp"
# Fields that do not change the state's trajectory: allowed to differ on resume (and every `evals.*` field).
AUGMENTATIONS = (None, "instance_noise", "diff_augment")
RUNTIME_FIELDS = ("log_every", "plot_every", "checkpoint_every", "keep_checkpoints", "chunk_size", "shard_state")
WEIGHTS = ("optim.historical_averaging", "objective.feature_matching", "objective.auxiliary_classifier",
           "objective.geometric_regularizer", "objective.mode_regularizer")
POSITIVE_INTS = ("steps", "num_runs", "log_every", "plot_every", "checkpoint_every", "keep_checkpoints",
                 "data.size", "data.batch_size", "model.latent_dim", "optim.n_critic", "penalty.interval")
# per_run field: (what it sets in jg.train.set_hyperparams, the single value it replaces, its valid range)
PER_RUN = {"generator_lr": ("generator_learning_rate", "optim.generator_lr", "> 0"),
           "critic_lr": ("critic_learning_rate", "optim.critic_lr", "> 0"),
           "ema_decay": ("ema_decay", "optim.ema_decay", "in [0, 1)"),
           "penalty_weight": ("penalty_weight", None, ">= 0")}
_IN_RANGE = {"> 0": lambda v: v > 0, "in [0, 1)": lambda v: 0 <= v < 1, ">= 0": lambda v: v >= 0}


def field(config, path: str):
  """`config`'s value at a dotted `path`."""
  for key in path.split("."):
    config = config[key]
  return config


def set_kwargs(section) -> dict:
  """The hyperparameters a config section sets (its `kwargs` fields that are not None)."""
  return {k: v for k, v in section.kwargs.items() if v is not None}


def validate_config(config: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
  """Checks names and values, raising ValueError naming the field; `"none"` names become None."""
  for section, key in ((config.penalty, "name"), (config.objective, "entropy_estimator"), (config.augment, "name"),
                       (config.data, "cluster_critic")):
    if isinstance(section[key], str) and section[key].lower() == "none":
      section[key] = None
  for path in POSITIVE_INTS:
    value = field(config, path)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
      raise ValueError(f"config.{path} must be an integer >= 1, got {value!r}.")
  if not (config.chunk_size is None or config.chunk_size >= 1):
    raise ValueError(f"config.chunk_size must be None (automatic) or an integer >= 1, got {config.chunk_size!r}.")
  augment = config.augment
  if augment.name not in AUGMENTATIONS:
    raise ValueError(f"config.augment.name must be one of {AUGMENTATIONS}, got {augment.name!r}.")
  if augment.name == "diff_augment" and config.model.name == "mlp":
    raise ValueError("config.augment.name 'diff_augment' transforms images; use 'instance_noise' on 2-D data.")
  if not (isinstance(augment.initial_stddev, (int, float)) and augment.initial_stddev >= 0):
    raise ValueError(f"config.augment.initial_stddev must be >= 0, got {augment.initial_stddev!r}.")
  if not (augment.decay_steps is None or (isinstance(augment.decay_steps, int) and augment.decay_steps >= 1)):
    raise ValueError(f"config.augment.decay_steps must be None (config.steps) or an integer >= 1,"
                     f" got {augment.decay_steps!r}.")
  for path in WEIGHTS:
    value = field(config, path)
    if isinstance(value, bool) or not (isinstance(value, (int, float)) and value >= 0):
      raise ValueError(f"config.{path} must be a weight >= 0 (0: off), got {value!r}.")
  if config.objective.feature_matching and config.model.autoencoder_critic:
    raise ValueError("config.objective.feature_matching needs a critic returning features: the MLP, DCGAN or"
                     " ResNet critic (not the autoencoder critics).")
  if isinstance(config.optim.unroll_steps, bool) or not (
      isinstance(config.optim.unroll_steps, int) and config.optim.unroll_steps >= 0):
    raise ValueError(f"config.optim.unroll_steps must be an integer >= 0 (0: off), got {config.optim.unroll_steps!r}.")
  every = config.data.recluster_every
  if isinstance(every, bool) or not isinstance(every, int) or every < 0:
    raise ValueError(f"config.data.recluster_every must be an integer >= 0 (0: fixed clusters), got {every!r}.")
  if every and (not config.data.cluster_labels or config.num_runs != 1):
    raise ValueError(f"config.data.recluster_every re-clusters the labels of one self-conditioned run: it needs"
                     f" data.cluster_labels > 0 and num_runs 1, got {config.data.cluster_labels} and"
                     f" {config.num_runs}.")
  if config.shard_state and config.num_runs > 1:
    raise ValueError("config.shard_state shards one run's state over the devices; with num_runs > 1 the runs"
                     " themselves are sharded: set one of them.")
  tasks.task_class(config).validate(config)
  try:
    jg.losses.get(config.objective.name, **set_kwargs(config.objective))
  except ValueError as e:
    raise ValueError(f"config.objective: {e}") from None
  if config.penalty.name is not None:
    try:
      jg.penalties.get(config.penalty.name, **set_kwargs(config.penalty))
    except ValueError as e:
      raise ValueError(f"config.penalty: {e}") from None
  elif set_kwargs(config.penalty) or config.per_run.penalty_weight:
    raise ValueError("config.penalty.name is None, but penalty.kwargs or per_run.penalty_weight are set.")
  choices = {"objective.entropy_estimator": (None, *jg.losses.ENTROPY_ESTIMATORS, "infogan"),
             "model.compute_dtype": ("float32", "bfloat16"), "optim.lr_schedule": ("constant", "cosine", "linear"),
             "on_nonfinite": ("raise", "skip")}
  for path, options in choices.items():
    if field(config, path) not in options:
      raise ValueError(f"config.{path} must be one of {options}, got {field(config, path)!r}.")
  if config.model.minibatch not in jg.models.MINIBATCH_LAYERS:
    raise ValueError(f"config.model.minibatch must be one of {jg.models.MINIBATCH_LAYERS}, got"
                     f" {config.model.minibatch!r}.")
  if config.model.minibatch is not None and (config.model.name != "mlp" or config.model.autoencoder_critic):
    raise ValueError("config.model.minibatch: the minibatch layers are built into the MLP critic (model.name 'mlp',"
                     " no autoencoder critic).")
  packing = config.model.packing
  if isinstance(packing, bool) or not isinstance(packing, int) or packing < 1:
    raise ValueError(f"config.model.packing must be an integer >= 1 (1: off), got {packing!r}.")
  if packing > 1 and (config.model.num_classes is not None or config.data.batch_size % packing):
    raise ValueError(f"config.model.packing={packing} packs unconditional batches: data.batch_size"
                     f" ({config.data.batch_size}) must be a multiple of it, and model.num_classes unset.")
  vbn = config.model.virtual_batch_norm
  if isinstance(vbn, bool) or not isinstance(vbn, int) or vbn < 0:
    raise ValueError(f"config.model.virtual_batch_norm must be the reference batch size, an integer >= 0 (0: off),"
                     f" got {vbn!r}.")
  if vbn and (config.model.name == "resnet" or config.model.num_classes is not None):
    raise ValueError("config.model.virtual_batch_norm is built into the unconditional MLP and DCGAN generators"
                     " (not the ResNet, and not with model.num_classes).")
  _validate_mlp_architecture(config)
  if config.model.autoencoder_critic and config.model.spectral_norm:
    raise ValueError("config.model.spectral_norm is not available with the autoencoder critic.")
  try:
    codes = _latent_codes(config)
  except ValueError as e:
    raise ValueError(f"config.model: {e}") from None
  if (codes is None) != (config.objective.entropy_estimator != "infogan"):
    raise ValueError("InfoGAN needs both config.model.categorical_codes or continuous_codes and"
                     " config.objective.entropy_estimator = 'infogan'; set both or neither.")
  if not config.objective.entropy_weight >= 0:
    raise ValueError(f"config.objective.entropy_weight must be >= 0, got {config.objective.entropy_weight!r}.")
  for name, (_, single, valid) in PER_RUN.items():
    values = [field(config, single)] if single else []
    if config.per_run[name]:
      if len(config.per_run[name]) != config.num_runs:
        raise ValueError(f"config.per_run.{name} has {len(config.per_run[name])} values but num_runs is"
                         f" {config.num_runs}: give none (every run takes {single or 'weight 1'}) or one per run.")
      values = list(config.per_run[name])
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and _IN_RANGE[valid](v) for v in values):
      raise ValueError(f"config.{'per_run.' + name if config.per_run[name] else single} must be {valid},"
                       f" got {config.per_run[name] or field(config, single)!r}.")
  for name, evaluator in config.evals.items():
    if not (isinstance(evaluator.every_steps, int) and evaluator.every_steps >= 0):
      raise ValueError(f"config.evals.{name}.every_steps must be an integer >= 0 (0: at the end only).")
    if not (isinstance(evaluator.num_samples, int) and evaluator.num_samples >= 1):
      raise ValueError(f"config.evals.{name}.num_samples must be an integer >= 1.")
  return config


def _validate_mlp_architecture(config) -> None:
  """The MLP-only architecture fields (PacGAN's 2-D networks) and the simultaneous update rule."""
  model = config.model
  if not (isinstance(model.batch_norm, bool) and isinstance(config.optim.simultaneous, bool)):
    raise ValueError("config.model.batch_norm and config.optim.simultaneous must be True or False.")
  pieces = model.maxout_pieces
  if isinstance(pieces, bool) or not isinstance(pieces, int) or pieces < 0 or pieces == 1:
    raise ValueError(f"config.model.maxout_pieces must be 0 (off) or an integer >= 2, got {pieces!r}.")
  if not (model.init_std is None or model.init_std > 0):
    raise ValueError(f"config.model.init_std must be None (Flax's default) or > 0, got {model.init_std!r}.")
  if not all(isinstance(w, int) and w >= 1 for w in model.generator_hidden):
    raise ValueError(f"config.model.generator_hidden must be widths >= 1 (empty: model.hidden), got"
                     f" {model.generator_hidden!r}.")
  mlp_only = {"generator_hidden": bool(model.generator_hidden), "batch_norm": model.batch_norm,
              "maxout_pieces": bool(pieces), "init_std": model.init_std is not None}
  used = [name for name, on in mlp_only.items() if on]
  if used and model.name != "mlp":
    raise ValueError(f"config.model.{used[0]} is an option of the MLP models (model.name 'mlp'), not of"
                     f" {model.name!r}.")
  if model.batch_norm and (model.virtual_batch_norm or model.num_classes is not None):
    raise ValueError("config.model.batch_norm is for an unconditional generator without virtual batch norm.")
  if pieces and (model.autoencoder_critic or model.spectral_norm):
    raise ValueError("config.model.maxout_pieces builds the MLP critic's hidden layers; not with"
                     " model.autoencoder_critic or model.spectral_norm.")
  if config.optim.simultaneous and (config.optim.n_critic != 1 or config.optim.unroll_steps):
    raise ValueError(f"config.optim.simultaneous updates both players once from the same parameters: it needs"
                     f" optim.n_critic 1 and optim.unroll_steps 0, got {config.optim.n_critic} and"
                     f" {config.optim.unroll_steps}.")


def check_devices(config) -> None:
  """Raises `ValueError` if the batch does not split evenly over every process's devices (starts the backend)."""
  if jax.device_count() > 1 and config.data.batch_size % jax.device_count():
    raise ValueError(f"config.data.batch_size {config.data.batch_size} must be divisible by the"
                     f" {jax.device_count()} devices of the job ({jax.process_count()} process(es)).")


def _lr_schedule(updates_per_run: int, optim, learning_rate: float = 1.0):
  """`learning_rate` times the config's schedule (cosine or linear decay to 0 over the run, or constant)."""
  if optim.lr_schedule == "cosine":
    return optax.cosine_decay_schedule(learning_rate, updates_per_run)
  if optim.lr_schedule == "linear":  # SN-GAN's and the projection discriminator's CIFAR-10 schedule
    return optax.linear_schedule(learning_rate, 0.0, updates_per_run)
  return optax.constant_schedule(learning_rate)


def _optimizer(updates_per_run: int, optim) -> optax.GradientTransformation:
  """Adam with the config's betas; its learning rate (times the schedule's factor) is an injected
  hyperparameter in the optimiser state, so vmapped runs can each carry their own (`jg.train.set_hyperparams`)."""
  factor = _lr_schedule(updates_per_run, optim)

  def adam(learning_rate):
    # Historical averaging (Salimans et al. 2016) adds its gradient before Adam, as a term of the loss would.
    averaging = [jg.techniques.historical_averaging(optim.historical_averaging)] if optim.historical_averaging else []
    return optax.chain(*averaging, optax.scale_by_adam(b1=optim.b1, b2=optim.b2),
                       optax.scale_by_schedule(lambda count: -learning_rate * factor(count)))

  return optax.inject_hyperparams(adam)(learning_rate=0.0)


def hyperparams(config) -> dict:
  """`jg.train.set_hyperparams` arguments: the `optim` values, or the `per_run` lists (one value per run)."""
  values = {}
  for name, (argument, single, _) in PER_RUN.items():
    per_run = list(config.per_run[name])
    if per_run:
      values[argument] = per_run if config.num_runs > 1 else per_run[0]
    elif single:
      values[argument] = field(config, single)
  return values


def _augment(config):
  """The critic-input augmentation of `config.augment` (None: off)."""
  augment = config.augment
  if augment.name == "instance_noise":
    return jg.techniques.instance_noise_augmentation(augment.initial_stddev, augment.decay_steps or config.steps)
  if augment.name == "diff_augment":
    return jg.techniques.diff_augmentation(tuple(augment.policy))
  return None


def _latent_codes(config):
  """The InfoGAN codes of `config.model`, or None."""
  model = config.model
  if not model.categorical_codes and not model.continuous_codes:
    return None
  return jg.losses.latent_codes(tuple(model.categorical_codes), model.continuous_codes)


def check_latent_sampling(config) -> None:
  """Raises ValueError unless the latent samplers apply: latents `z ~ N(0, I)` alone (no InfoGAN codes, the
  samplers' prior) and a critic that scores single samples (no packing)."""
  if _latent_codes(config) is not None:
    raise ValueError("config.model.categorical_codes / continuous_codes: the latent samplers take z ~ N(0, I) as"
                     " their prior; InfoGAN codes are not supported by this script.")
  if config.model.packing != 1:
    raise ValueError("config.model.packing: the latent samplers need the critic's score of each sample; a packed"
                     " critic scores packs (use packing 1).")


def _mode_regularization(config, task) -> dict:
  """The mode-regularised GAN's `jg.train.GAN` arguments (Che et al. 2017): an encoder onto the generator's input
  trained with the generator's Adam and schedule, and the two weights; `{}` when both weights are 0."""
  objective, optim = config.objective, config.optim
  if not objective.geometric_regularizer and not objective.mode_regularizer:
    return {}
  codes = _latent_codes(config)
  return dict(encoder=task.encoder(config.model.latent_dim + (0 if codes is None else codes.size)),
              encoder_optimizer=optax.adam(_lr_schedule(config.steps, optim, optim.generator_lr), b1=optim.b1,
                                           b2=optim.b2),
              geometric_regularizer=objective.geometric_regularizer, mode_regularizer=objective.mode_regularizer)


def _entropy_estimator(config, task, data_shape: tuple):
  """The MEG entropy estimator or InfoGAN's Q named by the config, or None."""
  name = config.objective.entropy_estimator
  if name is None:
    return None
  if name == "infogan":
    codes = _latent_codes(config)
    return jg.losses.infogan_estimator(task.encoder(codes.size), codes)
  # The JSD/DV statistics network reads [flatten(x), z]; the encoder bound reconstructs z from x.
  network = (task.encoder(config.model.latent_dim) if name == "encoder"
             else jg.models.MLPCritic(hidden=tuple(config.model.hidden)))
  return jg.losses.entropy_estimator(name, network)


def run_keys(config) -> tuple[jax.Array, jax.Array, jax.Array]:
  """`(init, data, eval)` keys: from `seed`, or one of each per run (seeds `seed + i`) when `num_runs > 1`."""
  split = lambda seed: jax.random.split(jax.random.key(seed), 3)  # noqa: E731
  if config.num_runs == 1:
    return tuple(split(config.seed))
  keys = jax.vmap(split)(config.seed + jnp.arange(config.num_runs))
  return keys[:, 0], keys[:, 1], keys[:, 2]


def default_chunk_size(config) -> int:
  """Steps per dispatch when `chunk_size` is None: 100, or 1 for image models on CPU.

  XLA:CPU runs convolution gradients inside a while loop many times slower
  than outside one (benchmarks/RESULTS.md, section 4: 10-18x per step in a
  scan of ten steps, at one and five critic updates), so a CPU image run
  dispatches step by step (its steps of 0.07 s and more hide the host).
  """
  return 1 if tasks.task_class(config) is images.ImageTask and jax.default_backend() == "cpu" else 100


def build(config) -> dict[str, Any]:
  """The task, its data stream, the GAN object and the initial state for `config`."""
  task = tasks.get(config)
  objective = jg.losses.get(config.objective.name, **set_kwargs(config.objective))
  # EBGAN's pulling-away term reads the autoencoder's codes.
  generator, critic = task.models(jnp.dtype(config.model.compute_dtype),
                                  return_embeddings="embeddings" in objective.extras)
  mesh = jg.train.data_mesh() if jax.device_count() > 1 else None
  init_key, data_key, eval_key = run_keys(config)
  example = task.example()
  optim = config.optim
  gan = jg.train.GAN(
      generator=generator,
      critic=critic,
      objective=objective,
      penalty=jg.penalties.get(config.penalty.name, **set_kwargs(config.penalty)) if config.penalty.name else None,
      latent_dim=config.model.latent_dim,
      n_critic=optim.n_critic,
      generator_optimizer=_optimizer(config.steps, optim),
      critic_optimizer=_optimizer(config.steps * optim.n_critic, optim),
      ema_decay=optim.ema_decay,
      penalty_interval=config.penalty.interval,
      entropy_estimator=_entropy_estimator(config, task, example.shape[1:]),
      entropy_weight=config.objective.entropy_weight,
      on_nonfinite=config.on_nonfinite,
      mesh=mesh,
      num_runs=None if config.num_runs == 1 else config.num_runs,
      shard_state=config.shard_state and mesh is not None,  # one device holds everything either way
      augment=_augment(config),
      unroll_steps=optim.unroll_steps,
      feature_matching=config.objective.feature_matching,
      num_classes=config.model.num_classes,
      auxiliary_classifier=config.objective.auxiliary_classifier,
      latent_codes=_latent_codes(config),
      **_mode_regularization(config, task),
      separate_batches=config.model.minibatch is not None,  # a minibatch layer compares real with real only
      packing=config.model.packing,
      simultaneous=config.optim.simultaneous,
  )
  state = jg.train.set_hyperparams(gan.init(init_key, example), **hyperparams(config))
  return dict(task=task, stream=task.stream(data_key, mesh), gan=gan, state=state, data_key=data_key,
              eval_key=eval_key)


def runs(parts: dict, state) -> list[tuple[Any, jax.Array]]:
  """`(state, eval key)` of every run: one pair, or `num_runs` of them."""
  if parts["gan"].num_runs is None:
    return [(state, parts["eval_key"])]
  return [(jg.train.select_run(state, i), parts["eval_key"][i]) for i in range(parts["gan"].num_runs)]


def sample(parts: dict, state, rng_key: jax.Array, num: int) -> np.ndarray:
  """`num` samples of one run's EMA generator, latents drawn from `rng_key`."""
  return parts["task"].sample(parts["gan"], state, rng_key, num)


def evaluate_run(parts: dict, state, eval_key: jax.Array, config, names) -> dict:
  """One run's metrics from the evaluators `names` of `config.evals`, on EMA samples drawn from `eval_key`."""
  results, drawn = {"step": int(state.step)}, {}
  for name in names:
    num = config.evals[name].num_samples
    if num not in drawn:  # evaluators asking for as many samples share them
      drawn[num] = sample(parts, state, eval_key, num)
    results.update(parts["task"].evaluators[name](drawn[num]))
  return results


def evaluate(parts: dict, state, config, names=None) -> dict:
  """The metrics of the evaluators `names` (default: all of `config.evals`): one run's, or with
  `num_runs > 1` every run's (`runs`) with their `mean` and `std`.

  A run halted on a non-finite update is reported as `{"diverged": message}`
  and left out of the mean and std (`diverged` counts them).
  """
  names = list(config.evals) if names is None else names
  halted = jg.train.halted_runs(state)
  results = [{"step": int(run_state.step), "diverged": halted[i]} if i in halted
             else evaluate_run(parts, run_state, key, config, names)
             for i, (run_state, key) in enumerate(runs(parts, state))]
  if len(results) == 1:
    return results[0]
  finished = [r for r in results if "diverged" not in r]
  numeric = [k for k, v in finished[0].items() if isinstance(v, (int, float)) and k != "step"] if finished else []
  stats = {k: outputs.mean_and_std([r[k] for r in finished]) for k in numeric}  # a missing mode: KL inf, std nan
  return {"step": int(jnp.max(state.step)), "num_runs": len(results), "diverged": len(results) - len(finished),
          "runs": results, "mean": {k: m for k, (m, _) in stats.items()}, "std": {k: s for k, (_, s) in stats.items()}}


def _eval_scalars(record: dict) -> dict:
  """TensorBoard scalars of an evaluation: `eval/<metric>` (the mean over runs) and `run_i/eval/<metric>`."""
  numeric = lambda d: {k: v for k, v in d.items() if isinstance(v, (int, float)) and k != "step"}  # noqa: E731
  if "runs" not in record:
    return {f"eval/{k}": v for k, v in numeric(record).items()}
  scalars = {f"eval/{k}": v for k, v in record["mean"].items()}
  for i, run in enumerate(record["runs"]):
    scalars.update({f"run_{i}/eval/{k}": v for k, v in numeric(run).items()})
  return scalars


def _due_evaluators(step: int, config) -> list[str]:
  return [name for name, e in config.evals.items() if e.every_steps and step % e.every_steps == 0]


def _truncate_log(path: str, last_step: int) -> None:
  """Drops the JSON lines written after the checkpoint a run resumes from."""
  if not os.path.exists(path):
    return
  with open(path) as f:
    lines = [line for line in f if line.strip() and json.loads(line)["step"] <= last_step]
  with open(path, "w") as f:
    f.writelines(lines)


def _read_log(path: str) -> list[dict]:
  if not os.path.exists(path):
    return []
  with open(path) as f:
    return [json.loads(line) for line in f if line.strip()]


def _train(config, workdir: str, checkpointer, progress: bool):
  """The training loop; returns the final state, the built parts and the final evaluation."""
  parts = build(config)
  state = parts["state"]
  primary = jg.train.is_primary()
  if checkpointer.latest_step() is not None:
    state = checkpointer.restore(state)
    if primary:
      print(f"Resuming from step {int(jnp.max(state.step))} in {workdir}.")
  # Every process runs the same loop (each step is one program over all of them); process 0 alone writes files.
  output = lambda name: os.path.join(workdir, name) if primary else os.devnull  # noqa: E731
  with open(output("config.json"), "w") as f:
    json.dump(config.to_dict(), f, indent=2)
  metrics_path, evals_path = output("metrics.jsonl"), output("evals.jsonl")
  start = int(jnp.max(state.step))
  if primary:
    _truncate_log(metrics_path, start)
    _truncate_log(evals_path, start - 1 if start == config.steps else start)  # a finished run evaluates again

  chunk_size = config.chunk_size or default_chunk_size(config)
  saved_data_state = checkpointer.restore_data_state() if start else None
  _restore_cluster_labels(parts, saved_data_state)
  feed = _Feed(parts, config, start, saved_data_state)
  writer = writers.TensorBoardWriter(os.path.join(workdir, "tensorboard"), purge_step=start + 1 if start else None)
  examples_per_step = config.data.batch_size * config.optim.n_critic * config.num_runs
  stop = {"requested": False}
  previous_handler = signal.signal(signal.SIGTERM, lambda *_: stop.update(requested=True))
  try:
    with open(metrics_path, "a") as log, open(evals_path, "a") as eval_log, \
         tqdm(total=config.steps, initial=start, disable=not (progress and primary), desc="train",
              unit="step") as bar:
      step, halted = start, {}
      timed_from = (start, time.perf_counter())  # (step, time) of the last log point
      while step < config.steps:
        num_steps = min(chunk_size, _next_event(step, config) - step)
        state, metrics = feed.advance(state, num_steps)
        step += num_steps
        bar.update(num_steps)
        if step % config.log_every == 0 or step == config.steps:
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
        if step % config.plot_every == 0 or step == config.steps:
          path = output(f"samples_{step:06d}.png")
          run_state, eval_key = runs(parts, state)[0]
          parts["task"].plot(path, parts["gan"], run_state, eval_key, step)
          if primary:
            writer.write_images(step, "samples", matplotlib.image.imread(path))
        due = [] if step == config.steps else _due_evaluators(step, config)  # the final evaluation runs them all
        if due:
          _guard(state, halted)
          record = evaluate(parts, state, config, due)
          eval_log.write(json.dumps(record) + "\n")
          eval_log.flush()
          writer.write_scalars(step, _eval_scalars(record))
        if config.data.recluster_every and step % config.data.recluster_every == 0 and step < config.steps:
          _guard(state, halted)  # never cluster the features of a non-finite critic
          labels = parts["task"].recluster(state)
          changed = float(np.mean(labels != np.asarray(parts["stream"].labels)))
          _set_cluster_labels(parts, labels)
          writer.write_scalars(step, {"recluster_changed": changed})
          if primary:
            tqdm.write(f"Step {step}: re-clustered the training images, {changed:.1%} changed cluster.")
        if step % config.checkpoint_every == 0 or step == config.steps or stop["requested"]:
          _guard(state, halted)
          checkpointer.save(step, state, force=True, data_state=feed.data_state())
        if stop["requested"]:
          checkpointer.wait()
          if primary:
            print(f"SIGTERM: saved step {step} in {workdir}; rerun the same command to resume.")
          sys.exit(0)
      final = evaluate(parts, state, config)
      eval_log.write(json.dumps(final) + "\n")
      writer.write_scalars(step, _eval_scalars(final))
  finally:
    signal.signal(signal.SIGTERM, previous_handler)
    feed.close()
    writer.close()
  return state, parts, final


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


def _next_event(step: int, config) -> int:
  """The first step after `step` that logs, plots, evaluates, re-clusters, checkpoints or ends: where a chunk must
  stop."""
  every = [config.log_every, config.plot_every, config.checkpoint_every]
  every += [e.every_steps for e in config.evals.values() if e.every_steps]
  every += [config.data.recluster_every] if config.data.recluster_every else []
  return min(config.steps, *((step // e + 1) * e for e in every))


class _Feed:
  """How chunks get their data: `gan.run` on the task's in-graph stream, or on batches of its grain iterator.

  `advance(state, num_steps) -> (state, metrics)`; `data_state()` is the
  iterator's JSON state, or the labels of a re-clustering run's stream (saved
  in the checkpoint; None for other streams, whose position is the step
  itself); `close()` stops the iterator's workers.
  """

  def __init__(self, parts: dict, config, start: int, saved_data_state: dict | None):
    self.gan, self.parts, self.batches = parts["gan"], parts, None
    self.reclusters = bool(config.data.recluster_every)
    if parts["stream"] is None:
      sharding = jg.train.batch_sharding(self.gan.mesh) if self.gan.mesh is not None else None
      # A saved iterator state restores into an iterator built as the saving one was (from step 0).
      self.batches = parts["task"].host_batches(parts["data_key"], 0 if saved_data_state else start, sharding)
      if saved_data_state:
        self.batches.set_state(saved_data_state)

  def advance(self, state, num_steps: int):
    if self.batches is None:  # the stream in `parts`, relabelled there by a re-clustering
      return self.gan.run(state, self.parts["stream"], num_steps)
    return self.gan.run(state, jnp.stack([next(self.batches) for _ in range(num_steps)]), num_steps)

  def data_state(self) -> dict | None:
    if self.batches is not None:
      return self.batches.get_state()
    return {"cluster_labels": np.asarray(self.parts["stream"].labels).tolist()} if self.reclusters else None

  def close(self) -> None:
    if self.batches is not None:
      self.batches.close()


def _log_records(step: int, metrics: dict) -> list[dict]:
  """The log lines of `step`, the last of a chunk: one, or one per run (`"run": i`) with a run axis."""
  last = jg.train.to_host({k: v[-1] for k, v in metrics.items()})
  if next(iter(last.values())).ndim == 0:
    return [{"step": step, **{k: float(v) for k, v in last.items()}}]
  num_runs = next(iter(last.values())).shape[0]
  return [{"step": step, "run": i, **{k: float(v[i]) for k, v in last.items()}} for i in range(num_runs)]


def open_checkpointer(config, workdir: str, **kwargs) -> jg.checkpoint.Checkpointer:
  """The run's checkpointer; a resume must agree with the saved config on every field that shapes the trajectory.

  A field the saved config predates counts as its `base_config` default, so runs written before a field existed
  resume while it is left at that default.
  """
  flat = configs_lib.flatten(config)
  return jg.checkpoint.Checkpointer(
      os.path.join(workdir, "checkpoints"), config=flat,
      match_keys=[k for k in flat if k not in RUNTIME_FIELDS and not k.startswith("evals.")],
      defaults=configs_lib.flatten(base_config()), **kwargs)


def train_and_evaluate(config, workdir: str, *, progress: bool = True) -> dict:
  """Trains (resuming from `workdir` if it holds checkpoints) and returns the final metrics."""
  return train_and_load(config, workdir, progress=progress)[0]


def train_and_load(config, workdir: str, *, progress: bool = True):
  """Like :func:`train_and_evaluate`, also returning the final state and the built parts (no second restore)."""
  config = validate_config(config)
  check_devices(config)
  images.pin_cluster_critic_step(config, workdir)  # the saved config names the critic the labels came from
  os.makedirs(workdir, exist_ok=True)
  checkpointer = open_checkpointer(config, workdir, save_every=config.checkpoint_every, keep=config.keep_checkpoints)
  try:
    state, parts, final = _train(config, workdir, checkpointer, progress)
  finally:
    checkpointer.close()
  if jg.train.is_primary():
    history = _read_log(os.path.join(workdir, "evals.jsonl"))[:-1]  # the periodic evaluations before the final one
    with open(os.path.join(workdir, "final_metrics.json"), "w") as f:
      json.dump({**final, "history": history} if history else final, f, indent=2)
  return final, state, parts


def load_trained(config, workdir: str, step: int | None = None):
  """The built parts and the state restored from `workdir`'s checkpoint (default: newest)."""
  parts = build(config)
  checkpointer = open_checkpointer(config, workdir, save_every=1)
  try:
    state = checkpointer.restore(parts["state"], step)
    _restore_cluster_labels(parts, checkpointer.restore_data_state(step))
    return state, parts
  finally:
    checkpointer.close()


def _restore_cluster_labels(parts: dict, data_state: dict | None) -> None:
  """Gives the task and its stream the cluster labels a checkpoint's data state holds (`data.recluster_every`)."""
  labels = (data_state or {}).get("cluster_labels")
  if labels is not None:
    _set_cluster_labels(parts, labels)


def _set_cluster_labels(parts: dict, labels) -> None:
  """Gives the task (its dataset, whose labels samples follow) and its stream (what training draws) new labels."""
  parts["task"].relabel(labels)
  parts["stream"] = parts["stream"].with_labels(labels)


def load_config(workdir: str) -> ml_collections.ConfigDict:
  """The config a run in `workdir` was trained with (its `config.json`).

  A field the run predates (added to `base_config` after it was written) takes its default, the value that keeps
  the old behaviour: the rule the checkpoints' config check follows (`open_checkpointer`).
  """
  with open(os.path.join(workdir, "config.json")) as f:
    saved = json.load(f)
  defaults = json.loads(json.dumps(base_config().to_dict()))  # tuples as lists, as config.json has them
  del defaults["evals"]  # a run's evaluators are its own
  return ml_collections.ConfigDict(_with_defaults(saved, defaults))


def _with_defaults(saved: dict, defaults: dict) -> dict:
  merged = dict(defaults)
  for key, value in saved.items():
    nested = isinstance(value, dict) and isinstance(defaults.get(key), dict)
    merged[key] = _with_defaults(value, defaults[key]) if nested else value
  return merged


def _define_flags(flag_values: flags.FlagValues) -> None:
  flags.DEFINE_string("workdir", None, "work directory (default: runs/<config name>, runs/<name>_<ARG> for NAME:ARG)",
                      flag_values=flag_values)
  flags.DEFINE_boolean("progress", True, "show the progress bar (--noprogress hides it)", flag_values=flag_values)
  flags.DEFINE_string("features", None, "module:function giving image features (n, k), or (features, logits), of"
                      " images in [-1, 1], for every image evaluation (default: the in-project classifier)",
                      flag_values=flag_values)
  # A multi-process job (the names of `jax.distributed.initialize`'s arguments; `--coordinator-address` works too).
  flags.DEFINE_string("coordinator_address", None, "HOST:PORT of process 0's coordinator, for a multi-process job"
                      " (with --num_processes and --process_id; default: detected on SLURM, Open MPI, TPU pods)",
                      flag_values=flag_values)
  flags.DEFINE_integer("num_processes", None, "processes in the job", flag_values=flag_values)
  flags.DEFINE_integer("process_id", None, "this process's index in [0, num_processes)", flag_values=flag_values)
  flags.DEFINE_integer("initialization_timeout", 300, "seconds to wait for every process to join",
                       flag_values=flag_values)
  flags.DEFINE_integer("heartbeat_timeout_seconds", 100, "seconds after which a silent (dead) process ends the job",
                       flag_values=flag_values)


PROCESS_FLAGS = ("coordinator_address", "num_processes", "process_id", "initialization_timeout",
                 "heartbeat_timeout_seconds")


def _validate_command_line(config, flag_values: flags.FlagValues) -> None:
  """Drops hyperparameters that a command-line objective/penalty does not take, then validates."""
  overrides = config_flags.get_override_values(flag_values["config"])
  for section, hyperparameters in ((config.objective, jg.losses.hyperparameters),
                                   (config.penalty, jg.penalties.hyperparameters)):
    prefix = "objective" if section is config.objective else "penalty"
    if f"{prefix}.name" in overrides:
      try:
        taken = {} if str(section.name).lower() == "none" else hyperparameters(section.name)
      except ValueError as e:
        raise ValueError(f"config.{prefix}.name: {e}") from None
      for key in section.kwargs:
        if key not in taken and f"{prefix}.kwargs.{key}" not in overrides:
          section.kwargs[key] = None
  validate_config(config)
  try:
    jg.train.check_process_arguments(**{name: flag_values[name].value for name in PROCESS_FLAGS})
  except ValueError as e:
    raise ValueError(re.sub(r"`(\w+)`", r"--\1", str(e))) from None
  images.use_features(flag_values.features)


def parse_args(argv=None) -> tuple[ml_collections.ConfigDict, str, bool, dict]:
  """`(config, workdir, progress, processes)` from the command line (errors: one line, exit status 2).

  `processes` holds the multi-process flags, `jg.train.initialize_distributed`'s keyword arguments.
  """
  config, flag_values = cli.parse(argv, doc=__doc__, config_dir=configs_lib.CONFIG_DIR,
                                  default_config=DEFAULT_CONFIG, define_flags=_define_flags,
                                  validate=_validate_command_line)
  name, _, arg = os.path.basename(flag_values["config"].config_filename).partition(":")
  name = name.removesuffix(".py") + (f"_{arg}" if arg else "")  # `grid25_pacgan:2` -> runs/grid25_pacgan_2
  workdir = flag_values.workdir or os.path.join("runs", name)
  return config, workdir, flag_values.progress, {name: flag_values[name].value for name in PROCESS_FLAGS}


def main(argv=None) -> None:
  config, workdir, progress, processes = parse_args(argv)
  prog = os.path.basename(sys.argv[0])
  try:
    jg.train.initialize_distributed(**processes)
  except RuntimeError as e:  # the coordinator did not answer in time: one line, not the runtime's trace
    sys.exit(f"{prog}: error: {e}")
  try:
    check_devices(config)  # needs the job's devices: after the runtime started
  except ValueError as e:
    cli.fail(prog, str(e))
  final = train_and_evaluate(config, workdir, progress=progress)
  if jg.train.is_primary():
    print(json.dumps(final, indent=2))
    print(f"Outputs in {workdir}/")


if __name__ == "__main__":
  main()
