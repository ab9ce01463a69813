"""The main job end to end on a tiny config: outputs, exact resume, CLI errors."""

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
from experiments import configs, sample, train
from experiments import images as images_lib


def tiny(**overrides):
  return {**configs.get_config("tiny"), **overrides}


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
  """`tiny()` trained to its end: 40 steps, logs every 10, checkpoints at 20 and 40."""
  return trained(tmp_path_factory, tiny())


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory) -> dict:
  """Seeds 3 and 4 of `tiny()` as two vmapped runs, each with its own generator learning rate."""
  return trained(tmp_path_factory, tiny(num_runs=2, seed=3, generator_lr=[1e-3, 3e-4]))


@TINY_RUNS
def test_train_and_evaluate_writes_the_work_directory(tiny_run):
  final, tmp_path = tiny_run["final"], tiny_run["workdir"]
  assert set(final) == {"step", "modes_covered", "num_modes", "high_quality", "kl_to_uniform"}
  assert final["step"] == 40 and final["num_modes"] == 8
  files = set(os.listdir(tmp_path))
  assert {"config.json", "metrics.jsonl", "final_metrics.json", "samples_000020.png", "samples_000040.png",
          "checkpoints"} <= files
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
  single_config = tiny(seed=4, generator_lr=3e-4)
  single = train.train_and_evaluate(single_config, str(tmp_path / "one"), progress=False)
  chex.assert_trees_all_close(jg.train.select_run(both, 1).replace(rng_key=None),
                              final_state(str(tmp_path / "one"), single_config).replace(rng_key=None),
                              rtol=1e-4, atol=1e-5)
  assert final["runs"][1]["modes_covered"] == single["modes_covered"]
  with pytest.raises(ValueError, match=r"config\['critic_lr'\] has 3 values \(one per run\) but num_runs is 2"):
    train.validate_config(tiny(num_runs=2, critic_lr=[1e-3, 1e-3, 1e-3]))


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
    assert line["examples_per_second"] == pytest.approx(line["steps_per_second"] * config["batch_size"]
                                                        * config["n_critic"] * num_runs)
    prefix = f"run_{line['run']}/" if num_runs > 1 else ""
    for key, value in line.items():
      if key not in ("step", "run"):
        expected.setdefault(prefix + key, {})[line["step"]] = pytest.approx(value, rel=1e-6)
  assert {"critic_loss", "steps_per_second"} <= {tag.split("/")[-1] for tag in expected}
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
    expected = train.sample_generator(parts["gan"], jg.train.select_run(state, run), jax.random.key(7), config, 50)
    np.testing.assert_allclose(draw(7, "--run", str(run)), expected)
  sample.main(["--workdir", workdir, "--num", "300", "--seed", "0", "--out", str(tmp_path / "scatter.png")])
  assert (tmp_path / "scatter.png").stat().st_size > 0


@pytest.mark.parametrize("argv,match", [
    (["--workdir", "{missing}", "--num", "5", "--out", "x.npy"], "--workdir .* holds no config.json"),
    (["--workdir", "{run}", "--num", "0", "--out", "x.npy"], "--num must be >= 1, got 0"),
    (["--workdir", "{run}", "--num", "5", "--out", "x.jpg"], "--out must end in one of .npy, .png, got 'x.jpg'"),
    (["--workdir", "{run}", "--num", "5", "--out", "x.npy", "--run", "2"], r"--run must lie in \[0, 1\]"),
])
def test_sample_cli_errors_are_one_line(tmp_path, capsys, argv, match):
  (tmp_path / "run").mkdir()
  (tmp_path / "run" / "config.json").write_text(json.dumps(tiny(num_runs=2)))
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
    train.train_and_evaluate(tiny(objective="hinge"), str(tmp_path), progress=False)
  assert sorted(os.listdir(tmp_path / "checkpoints")) == ["20", "40"]


@pytest.mark.parametrize("argv,match", [
    (["--config", "nope"], "Unknown config 'nope'; available: cifar10_dcgan_hinge_sn, cifar10_resnet_wgan_gp, grid25_meg"),
    (["--steps", "0"], "steps"),
    (["--objective", "wgna"], "Unknown objective 'wgna'"),
    (["--dataset", "mnst"], "Unknown toy dataset 'mnst'"),
    (["--dataset", "mnist"], "config['model'] must be one of ('dcgan', 'resnet') for image datasets"),
    (["--penalty", "gp"], "Unknown penalty 'gp'"),
])
def test_cli_errors_list_the_options(argv, match, capsys):
  with pytest.raises(SystemExit):
    train.parse_args(argv)
  assert match in capsys.readouterr().err


def test_cli_overrides():
  config, workdir, _ = train.parse_args(["--objective", "hinge", "--penalty", "none", "--seed", "3",
                                         "--workdir", "/tmp/x"])
  assert (config["objective"], config["penalty"], config["seed"], workdir) == ("hinge", None, 3, "/tmp/x")


def test_every_named_config_is_valid():
  for name in configs.CONFIG_NAMES:
    train.validate_config(configs.get_config(name))
    assert configs.get_config(name).keys() == configs.get_config("tiny").keys()


@pytest.mark.slow
@pytest.mark.xdist_group("default_job")
def test_default_job_covers_all_modes_with_high_quality(default_job):
  """The README's main job, run as the README runs it (the shared `default_job` run): 8/8 modes, >= 80% HQ."""
  assert default_job["step"] == 5000
  assert default_job["modes_covered"] == 8
  assert default_job["high_quality"] >= 0.80


def test_meg_sampler_experiment_quick_mode_writes_table_and_figure(tmp_path):
  from experiments import meg_samplers

  meg_samplers.main(["--quick", "--workdir", str(tmp_path), "--no-progress", "--meg-code"])
  table = (tmp_path / "samplers" / "table.md").read_text()
  for name in (*meg_samplers.SAMPLERS, meg_samplers.MEG_CODE):
    assert f"| {name} |" in table
  results = json.loads((tmp_path / "samplers" / "results.json").read_text())["results"]
  for name in ("MALA", meg_samplers.MEG_CODE):
    assert 0.0 < results[name]["acceptance"] <= 1.0
    assert results[name]["nonfinite"] == 0
  assert (tmp_path / "samplers" / "samplers.png").stat().st_size > 10_000
  config = json.loads((tmp_path / "config.json").read_text())
  assert config["objective"] == "energy" and config["entropy_estimator"] == "jsd"


@pytest.mark.slow
def test_meg_latent_mcmc_raises_quality_without_losing_modes(tmp_path):
  """The README's MEG table: MALA beats N(0, I) on % high quality; MALA and Langevin keep all 25 modes."""
  env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}  # one CPU device, as the README runs it
  subprocess.run([sys.executable, "-m", "experiments.meg_samplers", "--workdir", str(tmp_path), "--no-progress"],
                 check=True, env=env, cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))), timeout=1200)
  results = json.loads((tmp_path / "samplers" / "results.json").read_text())["results"]
  prior = results["N(0, I)"]
  assert prior["modes_covered"] == 25
  for name in ("MALA", "Langevin"):
    assert results[name]["modes_covered"] == 25
  # Measured 2026-11-23 (gan.run, BlackJAX-shaped kernels): N(0, I) 72.3% HQ, MALA 84.8% (KL 0.026), ULA at a quarter
  # of MALA's step 61.0% (KL 0.15).
  assert results["MALA"]["high_quality"] > prior["high_quality"] + 0.03
  assert results["MALA"]["kl_to_uniform"] < 0.1
  assert 0.4 < results["MALA"]["acceptance"] < 0.75


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


def test_dirac_gan_field_matches_the_closed_form_and_only_regularised_dynamics_converge(tmp_path):
  import numpy as np

  from experiments import dirac_gan

  theta, psi = 0.7, -1.3
  sigmoid = 1.0 / (1.0 + np.exp(-psi * theta))
  # Minimax: L_D = softplus(-D(0)) + softplus(D(theta)), L_G = -softplus(D(theta)) (Mescheder et al. 2018, Eq. 4).
  np.testing.assert_allclose(dirac_gan.vector_field("minimax")(jax.numpy.array([theta, psi])),
                             [-psi * sigmoid, theta * sigmoid], rtol=1e-5)
  results = dirac_gan.run(str(tmp_path), steps=400)
  for scheme in ("simultaneous", "alternating"):
    assert results["non_saturating + r1"][scheme]["converged"]
    assert results["non_saturating + consensus"][scheme]["converged"]
    for name in ("minimax", "wgan", "wgan_gp"):
      assert not results[name][scheme]["converged"]
  assert results["minimax"]["simultaneous"]["final_distance"] > np.hypot(*dirac_gan.START)  # spirals out
  assert (tmp_path / "dirac_gan.png").exists() and "| minimax |" in (tmp_path / "table.md").read_text()


def test_loss_zoo_quick_writes_table_figure_and_resumes(tmp_path):
  from experiments import loss_zoo

  loss_zoo.main(["--quick", "--workdir", str(tmp_path), "--objectives", "wgan", "ebgan", "--no-progress"])
  table = (tmp_path / "table.md").read_text()
  assert "| wgan | wgan_gp |" in table and "| wgan | R1 |" in table and "| ebgan | none |" in table
  results = json.loads((tmp_path / "results.json").read_text())
  assert {(c["objective"], c["variant"]) for c in results["cells"]} == {
      ("wgan", "natural"), ("wgan", "r1"), ("ebgan", "natural"), ("ebgan", "r1")}
  assert all(c["ring8"]["seeds"] == 2 for c in results["cells"])  # two seeds, vmapped in one program per cell
  ebgan = json.loads((tmp_path / "ring8" / "ebgan__natural" / "config.json").read_text())
  assert ebgan["critic"] == "autoencoder" and ebgan["penalty"] is None and ebgan["num_runs"] == 2
  wgan = json.loads((tmp_path / "ring8" / "wgan__r1" / "final_metrics.json").read_text())
  assert [run["step"] for run in wgan["runs"]] == [30, 30]
  assert wgan["runs"][0]["high_quality"] != wgan["runs"][1]["high_quality"]
  assert (tmp_path / "samples.png").exists()
  before = os.path.getmtime(tmp_path / "ring8" / "wgan__r1" / "final_metrics.json")
  loss_zoo.main(["--quick", "--workdir", str(tmp_path), "--objectives", "wgan", "ebgan", "--no-progress"])
  assert os.path.getmtime(tmp_path / "ring8" / "wgan__r1" / "final_metrics.json") == before


def test_loss_zoo_rejects_unknown_objectives(capsys):
  from experiments import loss_zoo

  with pytest.raises(SystemExit):
    loss_zoo.main(["--quick", "--objectives", "wgna"])
  assert "unknown objectives ['wgna']" in capsys.readouterr().err


def test_image_smoke_run_on_the_offline_dataset_writes_grids_metrics_and_checkpoints(tmp_path):
  config = {**configs.get_config("stacked_shapes_dcgan_r1"), "image_features": 8, "latent_dim": 16,
            "batch_size": 16, "steps": 4, "log_every": 2, "plot_every": 2, "checkpoint_every": 2,
            "eval_samples": 300, "dataset_size": 600}
  final = train.train_and_evaluate(config, str(tmp_path), progress=False)
  assert final["step"] == 4 and final["num_modes"] == 1000 and 1 <= final["modes_covered"] <= 300
  for key in ("frechet_distance", "kid", "precision", "recall", "density", "coverage", "inception_score"):
    assert np.isfinite(final[key])
  assert {"samples_000002.png", "samples_000004.png", "checkpoints"} <= set(os.listdir(tmp_path))
  state = final_state(str(tmp_path), config)
  assert int(state.step) == 4


def test_a_dataset_read_from_host_storage_trains_through_grain_and_resumes_from_the_saved_iterator_state(
    tmp_path, monkeypatch):
  monkeypatch.setattr(images_lib, "fits_on_device", lambda config: False)  # as CelebA: read by grain, not held
  config = {**configs.get_config("shapes_dcgan_wgan_gp"), "image_features": 8, "latent_dim": 8, "batch_size": 8,
            "n_critic": 2, "dataset_size": 40, "steps": 6, "log_every": 3, "plot_every": 6, "checkpoint_every": 3,
            "eval_samples": 64}
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
    ({"model": "mlp"}, "model"),
    ({"critic": "autoencoder", "model": "resnet"}, "autoencoder"),
    ({"model": "resnet", "dataset": "celeb_a"}, "32x32"),
])
def test_image_config_errors(override, match):
  config = {**configs.get_config("shapes_dcgan_wgan_gp"), **override}
  with pytest.raises(ValueError, match=match):
    train.validate_config(config)


@pytest.mark.parametrize("override", [
    {"objective": "began", "penalty": None, "critic": "autoencoder"},
    {"objective": "energy", "penalty": "r1", "entropy_estimator": "encoder"},
    # EBGAN's pulling-away term: the autoencoder critic returns its codes for the generator's loss.
    {"objective": "ebgan", "objective_kwargs": {"pulling_away_weight": 0.1}, "penalty": None, "critic": "autoencoder"},
])
def test_image_autoencoder_critic_and_conv_encoder_entropy_build_and_step(override):
  config = {**configs.get_config("shapes_dcgan_wgan_gp"), "image_features": 8, "latent_dim": 8, "batch_size": 8,
            "n_critic": 1, "dataset_size": 64, **override}
  parts = train.build(train.validate_config(config))
  batch = next(jg.data.image_batches(parts["dataset"], jax.random.key(0), batch_size=8))
  state, metrics = parts["gan"].step(parts["state"], batch)
  assert int(state.step) == 1 and int(metrics["nonfinite"]) == 0


def test_sampler_budget_quick_runs_every_method_within_its_budget(tmp_path):
  from experiments import sampler_budget

  sampler_budget.main(["--quick", "--setups", "grid25_meg", "--workdir", str(tmp_path), "--no-progress"])
  results = json.loads((tmp_path / "grid25_meg_quick" / "results.json").read_text())
  assert set(results["methods"]) == set(sampler_budget.KERNELS)
  for method, info in results["methods"].items():
    for budget, spent in info["spent"].items():
      assert spent <= float(budget) + 1e-9, (method, budget, spent)
    assert set(info["quality"]) == {str(b) for b in sampler_budget.QUICK["budgets"]}
  table = (tmp_path / "grid25_meg_quick" / "table.md").read_text()
  assert all(f"| {m} |" in table for m in sampler_budget.KERNELS)
  assert (tmp_path / "budget.png").stat().st_size > 10_000


def test_chain_budget_picks_the_last_state_whose_cumulative_cost_fits():
  """i-SIR's cost per step is random (a gradient only when it moves): recount it from the trace by hand."""
  from experiments import sampler_budget

  energy = lambda z: 0.5 * jnp.sum(z**2)
  kernel = jg.samplers.isir(energy, 4)  # 3 evaluations (1 gradient equivalent) + 1 gradient if it moves
  z0 = jax.random.normal(jax.random.key(0), (16, 2))
  latents, info = sampler_budget.chain_at_budgets(kernel, jax.random.key(1), z0, (0, 1, 5, 12), 8)
  trace = sampler_budget.chain_trace(kernel, jax.random.key(1), z0, 8)
  for c in range(16):
    cost, expected = {0: 0.0, 1: 1.0, 5: 1.0, 12: 1.0}, {b: np.asarray(z0[c]) for b in (0, 1, 5, 12)}
    total = 1.0
    for t in range(8):
      total += float(trace.info.num_grads[c, t]) + float(trace.info.num_evals[c, t]) / 3.0
      for b in (5, 12):
        if total <= b:
          cost[b], expected[b] = total, np.asarray(trace.position[c, t])
    for b in (0, 1, 5, 12):
      np.testing.assert_allclose(latents[b][c], expected[b])
  assert info["spent"][12] <= 12 and info["spent"][5] <= 5 and info["spent"][5] > 1


def test_sampler_budget_cifar10_mirror_needs_image_features(capsys):
  from experiments import sampler_budget

  with pytest.raises(SystemExit):
    sampler_budget.main(["--setups", "cifar10_dcgan"])
  assert "--features module:function" in capsys.readouterr().err
  assert sampler_budget.SETUPS["cifar10_dcgan"]["kernels"] == ("MALA", "i-SIR", "Ex2MCMC")
  assert sampler_budget.SETUPS["cifar10_dcgan"]["fixed_steps"] == 1000


def test_idempotent_quick_trains_and_scores_one_and_two_steps(tmp_path):
  from experiments import idempotent

  idempotent.main(["--quick", "--datasets", "ring8", "--workdir", str(tmp_path), "--no-progress"])
  results = json.loads((tmp_path / "results.json").read_text())["results"]["ring8"]
  assert set(results) == {"IGN f(z)", "IGN f(f(z))"}
  assert results["IGN f(z)"]["num_modes"] == 8
  assert "| ring8 | IGN f(z) |" in (tmp_path / "table.md").read_text()
  assert (tmp_path / "samples.png").exists()


def test_held_out_images_are_fresh_renderings_not_training_images():
  from experiments import images

  config = configs.get_config("shapes_dcgan_hinge_sn")
  held_out = images.held_out(config, 64)
  assert held_out.shape == (64, 32, 32, 1)
  np.testing.assert_array_equal(held_out, images.held_out(config, 64))  # deterministic
  training = images.dataset({**config, "dataset_size": 2000}).get(np.arange(2000))[0]
  distances = np.min(np.sum((held_out[:, None] - training[None]) ** 2, axis=(2, 3, 4)), axis=1)
  assert np.all(distances > 0)  # no held-out image is a training image


def test_sampler_budget_image_table_shows_precision_and_class_mix():
  from experiments import sampler_budget

  quality = {"frechet_distance": 450.0, "precision": 0.2, "recall": 0.5, "modes_covered": 10, "num_modes": 10,
             "kl_to_uniform": 0.17}
  results = {"setup": "shapes_dcgan", "num_chains": 8, "budgets": [0.0, 10.0], "fixed_steps": None,
             "methods": {"MALA": {"quality": {0.0: quality, 10.0: {**quality, "frechet_distance": 400.0}},
                                  "spent": {0.0: 0.0, 10.0: 10.0}, "acceptance": 0.57}}}
  table = sampler_budget.markdown_table(results)
  assert "| MALA | 450.0 (0.2, 0.17) | 400.0 (0.2, 0.17) | 10.0 | acceptance 0.57 |" in table
  assert "precision, KL of the classifier's class histogram" in table
