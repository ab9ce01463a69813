"""The main job end to end on a tiny config: outputs, exact resume, periodic evaluation, the command line."""

import json
import os
import re
import shutil
import subprocess
import sys

from typing import Any

import chex
import flax.struct
import numpy as np
import jax
import jax.numpy as jnp
import pytest

import jaxgan as jg
from experiments import configs, sample, tasks, train
from experiments.tasks import images as images_lib

from tests.cli_checks import assert_cli_error
from tests.conftest import ROOT, one_device_env


def tiny(**changes):
  """The `tiny` config with `{dotted field: value}` changes (keyword `a__b` for field `a.b`)."""
  return configs.override(configs.get_config("tiny"), {k.replace("__", "."): v for k, v in changes.items()})


def final_state(workdir, config):
  return train.load_trained(config, workdir)[0]


def trained(tmp_path_factory, config) -> dict:
  workdir = tmp_path_factory.mktemp("tiny")
  final = train.train_and_evaluate(config, str(workdir), progress=False)
  return {"config": config, "workdir": workdir, "final": final}


# The tiny runs are trained once per module and read by several tests (a test that writes copies the
# directory first); the tests that read them share an xdist group, so one worker trains them.
TINY_RUNS = pytest.mark.xdist_group("tiny_runs")


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> dict:
  """`tiny()` trained to its end: 40 steps, logs every 10, checkpoints at 20 and 40, evaluates modes at 20 and 40."""
  return trained(tmp_path_factory, tiny(evals__modes__every_steps=20))


@TINY_RUNS
def test_a_fully_sharded_state_gives_the_replicated_run_and_resumes_into_either_layout(tiny_run, tmp_path):
  # This process has four CPU devices (conftest): the tiny run's state is replicated over them.
  sharded = train.train_and_evaluate(tiny(shard_state=True, evals__modes__every_steps=20), str(tmp_path / "fsdp"),
                                     progress=False)
  def losses(workdir):
    return [[json.loads(line)[k] for k in ("critic_loss", "generator_loss")] for line in open(workdir / "metrics.jsonl")]

  np.testing.assert_allclose(losses(tmp_path / "fsdp"), losses(tiny_run["workdir"]), rtol=1e-5, atol=1e-6)
  assert sharded["modes_covered"] == tiny_run["final"]["modes_covered"]
  state = final_state(str(tmp_path / "fsdp"), tiny(shard_state=True))
  assert any("data" in leaf.sharding.spec for leaf in jax.tree.leaves(state.critic.params))
  # A replicated run resumes from the sharded checkpoint (the layout is not part of the trajectory).
  assert final_state(str(tmp_path / "fsdp"), tiny(shard_state=False)).step == 40


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory) -> dict:
  """Seeds 3 and 4 of `tiny()` as two vmapped runs, each with its own generator learning rate, EMA decay and
  penalty weight."""
  return trained(tmp_path_factory, tiny(num_runs=2, seed=3, per_run__generator_lr=(1e-3, 3e-4),
                                        per_run__ema_decay=(0.99, 0.9), per_run__penalty_weight=(1.0, 0.5)))


@TINY_RUNS
def test_train_and_evaluate_writes_the_work_directory(tiny_run):
  final, tmp_path = tiny_run["final"], tiny_run["workdir"]
  assert set(final) == {"step", "modes_covered", "num_modes", "high_quality", "kl_to_uniform"}
  assert final["step"] == 40 and final["num_modes"] == 8
  files = set(os.listdir(tmp_path))
  assert {"config.json", "metrics.jsonl", "evals.jsonl", "final_metrics.json", "samples_000020.png",
          "samples_000040.png", "checkpoints"} <= files
  lines = [json.loads(l) for l in open(tmp_path / "metrics.jsonl")]
  assert [l["step"] for l in lines] == [10, 20, 30, 40]
  assert sorted(os.listdir(tmp_path / "checkpoints")) == ["20", "40"]


@TINY_RUNS
def test_resume_is_bit_identical(tmp_path, tiny_run):
  config, straight, resumed = tiny_run["config"], str(tiny_run["workdir"]), str(tmp_path / "b")
  shutil.copytree(straight, resumed)
  shutil.rmtree(os.path.join(resumed, "checkpoints", "40"))  # as if killed after step 20's checkpoint
  train.train_and_evaluate(config, resumed, progress=False)
  a, b = final_state(straight, config), final_state(resumed, config)
  chex.assert_trees_all_equal(a.replace(rng_key=None), b.replace(rng_key=None))
  lines = [json.loads(l)["step"] for l in open(os.path.join(resumed, "metrics.jsonl"))]
  assert lines == [10, 20, 30, 40]  # no duplicated log lines after resuming


@TINY_RUNS
def test_num_runs_trains_seeds_in_one_program_and_run_i_is_the_single_run_with_seed_plus_i(tmp_path, tiny_runs):
  config, final = tiny_runs["config"], tiny_runs["final"]  # per-run learning rates, injected into Adam
  assert final["num_runs"] == 2 and len(final["runs"]) == 2
  hq = [run["high_quality"] for run in final["runs"]]
  np.testing.assert_allclose([final["mean"]["high_quality"], final["std"]["high_quality"]],
                             [np.mean(hq), np.std(hq, ddof=1)])
  lines = [json.loads(l) for l in open(tiny_runs["workdir"] / "metrics.jsonl")]
  assert [(l["step"], l["run"]) for l in lines[:4]] == [(10, 0), (10, 1), (20, 0), (20, 1)]
  both = final_state(str(tiny_runs["workdir"]), config)
  assert both.step.shape == (2,)
  # Run 1's penalty weight 0.5 on WGAN-GP's weight 10 is the single run's weight 5.
  single_config = tiny(seed=4, optim__generator_lr=3e-4, optim__ema_decay=0.9, penalty__kwargs__weight=5.0)
  single = train.train_and_evaluate(single_config, str(tmp_path / "one"), progress=False)
  run_1, one = jg.train.select_run(both, 1), final_state(str(tmp_path / "one"), single_config)
  assert float(run_1.hyperparams["penalty_weight"]) == 0.5 and float(one.hyperparams["penalty_weight"]) == 1.0
  chex.assert_trees_all_close(run_1.replace(rng_key=None, hyperparams=None),
                              one.replace(rng_key=None, hyperparams=None), rtol=1e-4, atol=1e-5)
  assert final["runs"][1]["modes_covered"] == single["modes_covered"]
  with pytest.raises(ValueError, match=r"config.per_run.critic_lr has 3 values but num_runs is 2"):
    train.validate_config(tiny(num_runs=2, per_run__critic_lr=(1e-3, 1e-3, 1e-3)))
  with pytest.raises(ValueError, match=r"config.per_run.ema_decay must be in \[0, 1\), got \(0.9, 1.0\)"):
    train.validate_config(tiny(num_runs=2, per_run__ema_decay=(0.9, 1.0)))


def read_events(logdir):
  """`({tag: {step: value}}, {tag: [steps]})`: the scalars and images of a TensorBoard log directory."""
  try:
    from tensorboard.backend.event_processing import event_accumulator
  except ImportError:  # parse the TFRecord framing (length u64, crc u32, Event proto, crc u32) with tensorboardX's proto
    from tensorboardX.proto import event_pb2
    scalars, images = {}, {}
    for name in sorted(os.listdir(logdir)):
      with open(os.path.join(logdir, name), "rb") as f:
        data, pos = f.read(), 0
      while pos < len(data):
        length = int.from_bytes(data[pos:pos + 8], "little")
        event = event_pb2.Event.FromString(data[pos + 12:pos + 12 + length])
        pos += 16 + length
        for value in event.summary.value:
          if value.HasField("image"):
            images.setdefault(value.tag, []).append(event.step)
          elif value.HasField("simple_value"):
            scalars.setdefault(value.tag, {})[event.step] = value.simple_value
    return scalars, images
  events = event_accumulator.EventAccumulator(logdir, size_guidance={"scalars": 0, "images": 0})
  events.Reload()
  return ({tag: {e.step: e.value for e in events.Scalars(tag)} for tag in events.Tags()["scalars"]},
          {tag: [e.step for e in events.Images(tag)] for tag in events.Tags()["images"]})


@TINY_RUNS
@pytest.mark.parametrize("num_runs", [1, 2])
def test_tensorboard_events_hold_the_logged_scalars_and_sample_figures(request, num_runs):
  run = request.getfixturevalue("tiny_run" if num_runs == 1 else "tiny_runs")
  config, tmp_path = run["config"], run["workdir"]
  scalars, images = read_events(str(tmp_path / "tensorboard"))
  lines = [json.loads(l) for l in (tmp_path / "metrics.jsonl").read_text().splitlines()]
  assert len(lines) == 4 * num_runs
  expected = {}
  for line in lines:
    assert line["steps_per_second"] > 0
    assert line["examples_per_second"] == pytest.approx(line["steps_per_second"] * config.data.batch_size
                                                        * config.optim.n_critic * num_runs)
    prefix = f"run_{line['run']}/" if num_runs > 1 else ""
    for key, value in line.items():
      if key not in ("step", "run"):
        expected.setdefault(prefix + key, {})[line["step"]] = pytest.approx(value, rel=1e-6)
  assert {"critic_loss", "steps_per_second"} <= {tag.split("/")[-1] for tag in expected}
  for record in map(json.loads, (tmp_path / "evals.jsonl").read_text().splitlines()):  # the evaluations
    for tag, value in train._eval_scalars(record).items():
      expected.setdefault(tag, {})[record["step"]] = pytest.approx(value, rel=1e-6)
  assert "eval/high_quality" in expected
  assert scalars == expected
  assert images == {"samples": [20, 40]}


@TINY_RUNS
def test_sample_cli_writes_seeded_samples_of_the_chosen_runs_ema_generator(tmp_path, tiny_runs):
  config, workdir = tiny_runs["config"], str(tiny_runs["workdir"])

  def draw(seed, *extra):
    out = str(tmp_path / "samples.npy")
    sample.main(["--workdir", workdir, "--num", "50", "--seed", str(seed), "--out", out, *extra])
    return np.load(out)

  first = draw(0)
  assert first.shape == (50, 2) and np.all(np.isfinite(first))
  np.testing.assert_array_equal(draw(0), first)
  assert not np.allclose(draw(1), first) and not np.allclose(draw(0, "--run", "1"), first)
  state, parts = train.load_trained(config, workdir)
  for run in (0, 1):
    expected = train.sample(parts, jg.train.select_run(state, run), jax.random.key(7), 50)
    np.testing.assert_allclose(draw(7, "--run", str(run)), expected)
  sample.main(["--workdir", workdir, "--num", "300", "--seed", "0", "--out", str(tmp_path / "scatter.png")])
  assert (tmp_path / "scatter.png").stat().st_size > 0
  # A run written before fields were added to the config (here the MLP architecture fields and the update rule)
  # loads with their defaults and samples the same.
  old = tmp_path / "old_run"
  shutil.copytree(workdir, old)
  saved = json.loads((old / "config.json").read_text())
  for section, field in (("model", "batch_norm"), ("model", "maxout_pieces"), ("optim", "simultaneous")):
    del saved[section][field]
  (old / "config.json").write_text(json.dumps(saved))
  loaded = train.load_config(str(old))
  assert (loaded.model.batch_norm, loaded.model.maxout_pieces, loaded.optim.simultaneous) == (False, 0, False)
  out = str(tmp_path / "old.npy")
  sample.main(["--workdir", str(old), "--num", "50", "--seed", "0", "--out", out])
  np.testing.assert_array_equal(np.load(out), first)


@pytest.mark.parametrize("argv,match", [
    (["--workdir", "{missing}", "--num", "5", "--out", "x.npy"], "--workdir .* holds no config.json"),
    (["--workdir", "{run}", "--num", "0", "--out", "x.npy"], "--num must be >= 1, got 0"),
    (["--workdir", "{run}", "--num", "5", "--out", "x.jpg"], "--out must end in one of .npy, .png, got 'x.jpg'"),
    (["--workdir", "{run}", "--num", "5", "--out", "x.npy", "--run", "2"], r"--run must lie in \[0, 1\]"),
])
def test_sample_cli_errors_are_one_line(tmp_path, capsys, argv, match):
  (tmp_path / "run").mkdir()
  (tmp_path / "run" / "config.json").write_text(json.dumps(tiny(num_runs=2).to_dict()))
  argv = [a.format(missing=tmp_path / "missing", run=tmp_path / "run") for a in argv]
  with pytest.raises(SystemExit) as exit_info:
    sample.main(argv)
  assert exit_info.value.code == 2
  errors = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
  assert len(errors) == 1 and re.search(match, errors[0]), errors


@TINY_RUNS
def test_rerun_with_other_config_refuses_to_touch_the_workdir(tmp_path, tiny_run):
  shutil.copytree(tiny_run["workdir"], tmp_path, dirs_exist_ok=True)
  with pytest.raises(jg.checkpoint.CheckpointError, match="objective"):
    train.train_and_evaluate(tiny(objective__name="hinge"), str(tmp_path), progress=False)
  assert sorted(os.listdir(tmp_path / "checkpoints")) == ["20", "40"]


@pytest.mark.parametrize("argv,match", [
    (["--config", "nope"], "--config 'nope' is neither a config file nor one of: cifar10_conditional, "
                           "cifar10_dcgan_hinge_sn, cifar10_resnet_wgan_gp, grid25_meg"),
    (["--config.stepz=5"], "unknown config field 'stepz' Did you mean \"steps\""),
    (["--config.optim.critic_lr=fast"], "--config.optim.critic_lr=fast: could not convert string to float"),
    (["--config.steps=0"], "config.steps must be an integer >= 1, got 0."),
    (["--config.objective.name=wgna"], "config.objective.name: Unknown objective 'wgna'"),
    (["--config.data.name=mnst"], "Unknown toy dataset 'mnst'"),
    (["--config.data.name=mnist"], "config.model.name must be one of ('dcgan', 'resnet') for image datasets"),
    (["--config.penalty.name=gp"], "config.penalty.name: Unknown penalty 'gp'"),
    (["--config.objective.kwargs.margin=2.0"], "config.objective: Objective 'wgan' does not take ['margin']"),
    (["--config.evals.modes.every_steps=-1"], "config.evals.modes.every_steps must be an integer >= 0"),
    (["--config", "tiny", "extra"], "unexpected arguments ['extra']"),
    (["--features", "nomodule"], "--features must be 'module:function', got 'nomodule'."),
    (["--stepz", "5"], "Unknown command line flag 'stepz'"),
    (["--config.shard_state=True", "--config.num_runs=2"], "config.shard_state shards one run's state over the devices"),
    (["--config.augment.name=noise"], "config.augment.name must be one of (None, 'instance_noise', 'diff_augment')"),
    (["--config.augment.name=diff_augment"], "config.augment.name 'diff_augment' transforms images"),
    (["--config.augment.initial_stddev=-1"], "config.augment.initial_stddev must be >= 0"),
    (["--config.optim.historical_averaging=-1"], "config.optim.historical_averaging must be a weight >= 0"),
    (["--config.objective.feature_matching=-1"], "config.objective.feature_matching must be a weight >= 0"),
    (["--config.objective.feature_matching=1", "--config.model.autoencoder_critic=True"],
     "config.objective.feature_matching needs a critic returning features"),
    (["--config.optim.unroll_steps=-1"], "config.optim.unroll_steps must be an integer >= 0 (0: off), got -1."),
    (["--config.model.categorical_codes=(8,)"], "InfoGAN needs both config.model.categorical_codes or"),
    (["--config.objective.entropy_estimator=infogan"], "InfoGAN needs both config.model.categorical_codes or"),
    (["--config.model.categorical_codes=(1,)", "--config.objective.entropy_estimator=infogan"],
     "config.model: `categorical` must hold category counts >= 2"),
    (["--config.objective.mode_regularizer=-1"], "config.objective.mode_regularizer must be a weight >= 0"),
    (["--config.model.minibatch=std"], "config.model.minibatch must be one of (None, 'stddev', 'discrimination')"),
    (["--config.model.minibatch=stddev", "--config.model.autoencoder_critic=True"],
     "config.model.minibatch: the minibatch layers are built into the MLP critic"),
])
def test_cli_errors_are_one_line_with_exit_status_2_and_nothing_written(argv, match, capsys, tmp_path):
  assert_cli_error(train.main, argv, re.escape(match), capsys, tmp_path / "run")


def test_cli_overrides_any_field_of_a_named_config_or_config_file():
  config, workdir, progress, _ = train.parse_args(["--config", "ring8_ns_r1", "--config.optim.critic_lr=2e-4",
                                                "--config.model.hidden=(16, 16)", "--config.seed=3",
                                                "--config.penalty.kwargs.gamma=0.5", "--noprogress"])
  assert (config.optim.critic_lr, config.model.hidden, config.seed, config.penalty.kwargs.gamma) == (
      2e-4, (16, 16), 3, 0.5)
  assert (workdir, progress) == (os.path.join("runs", "ring8_ns_r1"), False)
  expected = configs.override(configs.get_config("ring8_ns_r1"), {"optim.critic_lr": 2e-4, "model.hidden": (16, 16),
                                                                  "seed": 3, "penalty.kwargs.gamma": 0.5})
  assert config.to_dict() == expected.to_dict()
  path = os.path.join(configs.CONFIG_DIR, "ring8_ns_r1.py")
  from_file, _, _, _ = train.parse_args(["--config", path, "--config.optim.critic_lr=2e-4", "--config.seed=3",
                                      "--config.model.hidden=(16, 16)", "--config.penalty.kwargs.gamma=0.5"])
  assert from_file.to_dict() == config.to_dict()
  with pytest.raises(AttributeError):  # locked: a misspelt field cannot be added by code either
    config.optim.critic_rl = 1.0


def test_cli_naming_another_objective_or_penalty_drops_the_hyperparameters_it_does_not_take():
  config, _, _, _ = train.parse_args(["--config", "ring8_ns_r1", "--config.penalty.name=wgan_gp",
                                   "--config.objective.name=hinge"])
  assert (config.penalty.name, config.penalty.kwargs.gamma, config.objective.name) == ("wgan_gp", None, "hinge")
  config, _, _, _ = train.parse_args(["--config", "ring8_ns_r1", "--config.penalty.name=none"])
  assert config.penalty.name is None and config.penalty.kwargs.gamma is None
  config, _, _, _ = train.parse_args(["--config", "ring8_ns_r1", "--config.penalty.name=r2"])
  assert config.penalty.kwargs.gamma == 1.0  # r2 takes gamma: kept


def test_help_shows_the_config_mechanism_and_the_named_configs(capsys):
  with pytest.raises(SystemExit) as exit_info:
    train.main(["--help"])
  assert exit_info.value.code == 0
  out = capsys.readouterr().out
  assert "--config.FIELD=VALUE" in out and "--workdir" in out and "--features" in out
  assert all(name in out for name in configs.CONFIG_NAMES)


def test_every_named_config_is_valid_and_has_the_base_fields():
  base = set(configs.flatten(configs.get_config("ring8_wgan_gp")))
  for name in configs.CONFIG_NAMES:
    config = configs.get_config(name)
    train.validate_config(config)
    assert set(k for k in configs.flatten(config) if not k.startswith("evals.")) == {
        k for k in base if not k.startswith("evals.")}, name


@TINY_RUNS
def test_periodic_evaluation_is_the_evaluation_of_that_steps_checkpoint(tiny_run):
  config, workdir = tiny_run["config"], str(tiny_run["workdir"])
  records = [json.loads(l) for l in open(os.path.join(workdir, "evals.jsonl"))]
  assert [r["step"] for r in records] == [20, 40]
  final = json.loads(open(os.path.join(workdir, "final_metrics.json")).read())
  assert final["history"] == records[:1] and {**final, "history": None} == {**records[1], "history": None}
  state, parts = train.load_trained(config, workdir, step=20)
  assert train.evaluate(parts, state, config) == records[0]


def test_evaluators_of_the_other_task_are_refused():
  with pytest.raises(ValueError, match="stacked_modes counts the modes of stacked_shapes, not shapes"):
    train.validate_config(configs.override(configs.get_config("shapes_dcgan_hinge_sn"),
                                           {"evals": {"stacked_modes": {"every_steps": 0, "num_samples": 10}}}))
  assert tasks.task_class(tiny()) is tasks.toy.ToyTask
  assert tasks.task_class(configs.get_config("shapes_dcgan_hinge_sn")) is images_lib.ImageTask


@pytest.mark.slow
def test_default_job_covers_all_modes_with_high_quality(tmp_path):
  """The README's main job, run as the README runs it (one CPU device): 8/8 modes, >= 80% HQ at step 5,000."""
  subprocess.run([sys.executable, "-m", "experiments.train", "--workdir", str(tmp_path), "--noprogress"],
                 check=True, env=one_device_env(), cwd=ROOT, timeout=900)
  default_job = json.loads((tmp_path / "final_metrics.json").read_text())
  assert default_job["step"] == 5000
  assert default_job["modes_covered"] == 8
  assert default_job["high_quality"] >= 0.80


@flax.struct.dataclass
class PoisonedStream:
  """A stream whose batch 24 is NaN: the data a corrupted source would feed in-graph."""

  stream: Any

  def batch(self, step):
    return jnp.where(step == 24, jnp.nan, self.stream.batch(step))


def test_nonfinite_data_stops_the_run_naming_step_and_quantity_and_keeps_the_last_good_checkpoint(tmp_path,
                                                                                                   monkeypatch):
  real_stream = jg.data.toy_stream
  monkeypatch.setattr(jg.data, "toy_stream", lambda *args, **kwargs: PoisonedStream(real_stream(*args, **kwargs)))
  with pytest.raises(RuntimeError, match=r"Non-finite critic_loss at train step 24"):
    train.train_and_evaluate(tiny(), str(tmp_path), progress=False)
  assert sorted(os.listdir(tmp_path / "checkpoints")) == ["20"]
  state = final_state(str(tmp_path), tiny())
  assert int(state.step) == 20
  leaves = jax.tree.leaves(state.replace(rng_key=None))
  assert all(bool(jax.numpy.all(jax.numpy.isfinite(leaf))) for leaf in leaves)


@pytest.mark.slow
def test_image_smoke_run_on_the_offline_dataset_writes_grids_metrics_and_checkpoints(tmp_path):
  config = configs.override(configs.get_config("stacked_shapes_dcgan_r1"), {
      "model.image_features": 8, "model.latent_dim": 16, "data.batch_size": 16, "steps": 4, "log_every": 2,
      "plot_every": 2, "checkpoint_every": 2, "evals.frechet.num_samples": 300, "evals.stacked_modes.num_samples": 300,
      "data.size": 600})
  final = train.train_and_evaluate(config, str(tmp_path), progress=False)
  assert final["step"] == 4 and final["num_modes"] == 1000 and 1 <= final["modes_covered"] <= 300
  for key in ("frechet_distance", "kid", "precision", "recall", "density", "coverage", "inception_score"):
    assert np.isfinite(final[key])
  assert final["features"] == "in-project shape classifier"
  assert {"samples_000002.png", "samples_000004.png", "checkpoints"} <= set(os.listdir(tmp_path))
  state = final_state(str(tmp_path), config)
  assert int(state.step) == 4


@pytest.mark.slow
def test_a_dataset_read_from_host_storage_trains_through_grain_and_resumes_from_the_saved_iterator_state(
    tmp_path, monkeypatch):
  monkeypatch.setattr(images_lib, "ON_DEVICE", ())  # as CelebA: read by grain, not held
  config = small_shapes(**{"optim.n_critic": 2, "data.size": 40, "steps": 6, "log_every": 3, "plot_every": 6,
                           "checkpoint_every": 3, "evals.frechet.num_samples": 64})
  straight, resumed = str(tmp_path / "a"), str(tmp_path / "b")
  train.train_and_evaluate(config, straight, progress=False)
  shutil.copytree(straight, resumed)
  shutil.rmtree(os.path.join(resumed, "checkpoints", "6"))  # as if killed after step 3's checkpoint
  checkpointer = jg.checkpoint.Checkpointer(os.path.join(resumed, "checkpoints"), save_every=1)
  assert checkpointer.restore_data_state(3) is not None  # the grain iterator's position, in the same checkpoint
  checkpointer.close()
  train.train_and_evaluate(config, resumed, progress=False)
  chex.assert_trees_all_equal(final_state(straight, config).replace(rng_key=None),
                              final_state(resumed, config).replace(rng_key=None))


@pytest.mark.parametrize("override,match", [
    ({"model.name": "mlp"}, "model"),
    ({"model.autoencoder_critic": True, "model.name": "resnet"}, "autoencoder"),
    ({"model.name": "resnet", "data.name": "celeb_a"}, "32x32"),
    ({"data.name": "celeb_a", "num_runs": 2}, "num_runs > 1 needs a dataset held on device"),
])
def test_image_config_errors(override, match):
  with pytest.raises(ValueError, match=match):
    train.validate_config(configs.override(configs.get_config("shapes_dcgan_wgan_gp"), override))


def small_shapes(**changes):
  """`shapes_dcgan_wgan_gp` with 8-feature convs, 8-d latents, batch 8 and `{dotted field: value}` changes."""
  return configs.override(configs.get_config("shapes_dcgan_wgan_gp"), {
      "model.image_features": 8, "model.latent_dim": 8, "data.batch_size": 8, **changes})


@pytest.mark.parametrize("override", [
    {"objective.name": "began", "penalty.name": None, "model.autoencoder_critic": True},
    {"objective.name": "energy", "penalty.name": "r1", "objective.entropy_estimator": "encoder"},
    # EBGAN's pulling-away term: the autoencoder critic returns its codes for the generator's loss.
    {"objective.name": "ebgan", "objective.kwargs.pulling_away_weight": 0.1, "penalty.name": None,
     "model.autoencoder_critic": True},
])
def test_image_autoencoder_critic_and_conv_encoder_entropy_build_and_step(override):
  config = small_shapes(**{"optim.n_critic": 1, "data.size": 64, **override})
  parts = train.build(train.validate_config(config))
  batch = next(jg.data.image_batches(parts["task"].dataset, jax.random.key(0), batch_size=8))
  state, metrics = parts["gan"].step(parts["state"], batch)
  assert int(state.step) == 1 and int(metrics["nonfinite"]) == 0


def test_held_out_images_are_fresh_renderings_not_training_images():
  config = configs.get_config("shapes_dcgan_hinge_sn")
  held_out = images_lib.held_out(config, 64)
  assert held_out.shape == (64, 32, 32, 1)
  np.testing.assert_array_equal(held_out, images_lib.held_out(config, 64))  # deterministic
  training = images_lib.dataset(configs.override(config, {"data.size": 2000})).get(np.arange(2000))[0]
  distances = np.min(np.sum((held_out[:, None] - training[None]) ** 2, axis=(2, 3, 4)), axis=1)
  assert np.all(distances > 0)  # no held-out image is a training image


def pixel_features(images):
  """A user feature function for `--features`: the flattened pixels, and the mean brightness as 2-class logits."""
  flat = np.asarray(images).reshape(images.shape[0], -1)
  return flat, np.stack([flat.mean(1), -flat.mean(1)], axis=1)


def test_features_hook_scores_every_image_evaluation_with_the_users_function():
  config = small_shapes(**{"data.size": 300})
  task = tasks.get(config)
  samples = np.asarray(task.dataset.get(np.arange(100, 300))[0])
  try:
    images_lib.use_features("tests.test_experiments:pixel_features")
    metrics = task.evaluators["frechet"](samples)
  finally:
    images_lib.use_features(None)
  real = pixel_features(task.dataset.get(np.arange(200))[0])[0]
  fake, logits = pixel_features(samples)
  assert metrics["features"] == "tests.test_experiments:pixel_features"
  np.testing.assert_allclose(metrics["frechet_distance"], jg.metrics.frechet_distance_from_features(real, fake),
                             rtol=1e-6)
  np.testing.assert_allclose(metrics["inception_score"], jg.metrics.inception_score(logits)[0], rtol=1e-6)
  assert task.evaluators["frechet"](samples)["features"] == "in-project shape classifier"  # reset
  for spec, match in (("nomodule", "must be 'module:function'"), ("tests.test_experiments:nothing", "nothing"),
                      ("no_such_module_xyz:f", "No module named")):
    with pytest.raises(ValueError, match=match):
      images_lib.use_features(spec)


def test_training_technique_switches_reach_the_train_step():
  def critic_after_3_steps(**changes):
    parts = train.build(tiny(**changes))
    state, _ = parts["gan"].run(parts["state"], parts["stream"], 3)
    return state.critic

  plain = critic_after_3_steps()
  # Zero instance noise is the identity (bit for bit); nonzero noise and historical averaging change the updates.
  chex.assert_trees_all_equal(critic_after_3_steps(augment__name="instance_noise", augment__initial_stddev=0.0).params,
                              plain.params)
  changed = {}
  for changes in ({"augment__name": "instance_noise", "augment__initial_stddev": 0.5},
                  {"optim__historical_averaging": 10.0}, {"optim__unroll_steps": 2},
                  {"objective__feature_matching": 1.0}, {"model__minibatch": "stddev"}, {"model__packing": 2}):
    changed[next(iter(changes))] = critic = critic_after_3_steps(**changes)
    assert not np.allclose(jax.tree.leaves(critic.params)[0], jax.tree.leaves(plain.params)[0]), changes
  averaged = changed["optim__historical_averaging"]
  means = [s for s in jax.tree.leaves(averaged.opt_state, is_leaf=lambda s: isinstance(
      s, jg.techniques.HistoricalAveragingState)) if isinstance(s, jg.techniques.HistoricalAveragingState)]
  assert len(means) == 1 and int(means[0].count) == 3 * tiny().optim.n_critic
  vbn = train.build(tiny(model__virtual_batch_norm=8))["state"].generator.params
  assert {"VirtualBatchNorm_0", "VirtualBatchNorm_1"} <= set(vbn)
  assert changed["model__packing"].params["Dense_0"]["kernel"].shape[0] == 2 * plain.params["Dense_0"]["kernel"].shape[0]
  for changes, match in (({"model__virtual_batch_norm": -2}, "integer >= 0"), ({"model__packing": 0}, "integer >= 1"),
                         ({"model__packing": 3}, "multiple of it"),
                         ({"model__virtual_batch_norm": 8, "model__num_classes": 8}, "unconditional")):
    with pytest.raises(ValueError, match=match):
      train.validate_config(tiny(**changes))


def test_lr_schedules_decay_the_rate_as_named():
  optim = configs.get_config("tiny").optim
  expected = {"constant": (1.0, 1.0, 1.0), "cosine": (1.0, 0.5, 0.0), "linear": (1.0, 0.75, 0.0)}
  for name, values in expected.items():
    optim.lr_schedule = name
    schedule = train._lr_schedule(100, optim, 2.0)
    steps = (0, 50, 100) if name == "cosine" else (0, 25, 100)
    np.testing.assert_allclose([float(schedule(s)) for s in steps], 2.0 * np.array(values), atol=1e-6)
