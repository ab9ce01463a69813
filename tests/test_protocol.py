"""The 2-D evaluation protocol (VEEGAN / PacGAN) and its converged configs, `ring8_protocol` and `grid25_protocol`.

The protocol (Srivastava et al. 2017, VEEGAN, Section 5.1; Lin et al. 2018, PacGAN, Section 5): 2,500 samples,
a sample is high quality within 3 standard deviations of its nearest mode, a mode is covered by one high-quality
sample, and the KL is between the high-quality samples' mode histogram and uniform.
"""

import json
import os

import jax
import numpy as np
import pytest

import jaxgan as jg
from experiments import configs, train

NUM_EXACT = 100_000


def within_radius(threshold: float) -> float:
  """P(||x|| <= threshold) for a standard 2-D Gaussian: ||x||^2 is chi-squared with 2 degrees of freedom."""
  return 1.0 - np.exp(-threshold**2 / 2)


@pytest.fixture(scope="module", params=["grid25", "ring8"])
def exact(request):
  dataset = jg.data.get(request.param)
  samples = np.asarray(jax.jit(dataset.sample, static_argnums=1)(jax.random.key(0), NUM_EXACT))
  return dataset, samples


def test_exact_mixture_samples_score_the_chi2_high_quality_all_modes_and_zero_kl(exact):
  dataset, samples = exact
  metrics = jg.metrics.mode_coverage(samples, dataset.modes, dataset.std)
  p = within_radius(3.0)  # 1 - exp(-4.5) = 0.98889
  tolerance = 5 * np.sqrt(p * (1 - p) / NUM_EXACT)  # 5 Monte-Carlo standard errors: 0.0017
  assert metrics["modes_covered"] == metrics["num_modes"] == len(dataset.modes)
  assert abs(metrics["high_quality"] - p) < tolerance
  # Multinomial counts over K modes: E[KL] ~ (K - 1) / (2 n) = 1.2e-4 for the grid.
  assert 0.0 <= metrics["kl_to_uniform"] < 10 * (len(dataset.modes) - 1) / (2 * NUM_EXACT)


def test_a_two_sigma_threshold_would_fail_the_high_quality_check(exact):
  """The check above catches a wrong threshold: at 2 sigma exact samples score 1 - exp(-2) = 0.865."""
  dataset, samples = exact
  p, tolerance = within_radius(3.0), 5 * np.sqrt(within_radius(3.0) * (1 - within_radius(3.0)) / NUM_EXACT)
  two_sigma = jg.metrics.mode_coverage(samples, dataset.modes, dataset.std, threshold=2.0)
  assert abs(two_sigma["high_quality"] - within_radius(2.0)) < 5 * np.sqrt(0.865 * 0.135 / NUM_EXACT)
  assert abs(two_sigma["high_quality"] - p) > 20 * tolerance  # 0.12 off: 70 standard errors


@pytest.mark.parametrize("name, num_modes", [("ring8_protocol", 8), ("grid25_protocol", 25)])
def test_protocol_config_reports_five_seeds_with_the_protocol_evaluator(name, num_modes):
  config = configs.get_config(name)
  assert config.num_runs == 5 and config.seed == 0  # seeds 0-4: the plain command reproduces the table
  assert all(not values for values in config.per_run.values())  # every seed gets the same recipe
  assert config.data.name == name.split("_")[0] and config.evals.modes.num_samples == 2500


@pytest.mark.parametrize("name, hidden, lr, steps, batch_size", [("ring8_protocol", (128,) * 3, 1e-3, 12000, 512),
                                                                 ("grid25_protocol", (256,) * 4, 2e-3, 16000, 256)])
def test_protocol_config_is_the_recipe_its_docstring_and_the_readme_report(name, hidden, lr, steps, batch_size):
  config = configs.get_config(name)
  assert tuple(config.model.hidden) == hidden and config.steps == steps and config.data.batch_size == batch_size
  assert config.optim.generator_lr == config.optim.critic_lr == lr and config.optim.n_critic == 1
  assert (config.objective.name, config.penalty.name, config.penalty.kwargs.gamma, config.penalty.interval) == (
      "non_saturating", "r1", 0.1, 4)
  assert (config.optim.lr_schedule, config.optim.ema_decay, config.model.latent_dim) == ("cosine", 0.999, 2)


@pytest.mark.parametrize("name, num_modes", [("ring8_protocol", 8), ("grid25_protocol", 25)])
def test_shrunk_protocol_config_trains_vmapped_seeds_and_writes_per_run_and_mean_metrics(tmp_path, name, num_modes):
  config = configs.shrink_to_tiny(configs.get_config(name))
  config.checkpoint_every = config.steps  # one checkpoint at the end: the test is about the metrics
  assert config.num_runs == 5
  final = train.train_and_evaluate(config, str(tmp_path), progress=False)
  written = json.loads(open(os.path.join(tmp_path, "final_metrics.json")).read())
  assert json.dumps(written, sort_keys=True) == json.dumps(final, sort_keys=True)  # NaN-safe comparison
  assert final["num_runs"] == 5 and len(final["runs"]) == 5
  for run in final["runs"]:
    assert run["step"] == config.steps and run["num_modes"] == num_modes
    assert 0 <= run["modes_covered"] <= num_modes and 0.0 <= run["high_quality"] <= 1.0
  for key in ("modes_covered", "high_quality", "kl_to_uniform"):
    values = [run[key] for run in final["runs"]]
    if np.all(np.isfinite(values)):
      np.testing.assert_allclose([final["mean"][key], final["std"][key]], [np.mean(values), np.std(values, ddof=1)],
                                 rtol=1e-6)


@pytest.mark.parametrize("dataset", ["ring8", "grid25"])
@pytest.mark.parametrize("packing", [1, 4])
def test_pacgan_config_builds_pacgan_s_networks_optimiser_and_budget(dataset, packing):
  """PacGAN's 2-D recipe (Lin et al. 2018, Section 5.1; the authors' code): checked on the built networks."""
  config = configs.get_config(f"{dataset}_pacgan:{packing}")
  if packing == 1:  # the plain name is the plain GAN
    assert configs.flatten(config) == configs.flatten(configs.get_config(f"{dataset}_pacgan"))
  assert (config.num_runs, config.seed, config.steps, config.data.batch_size) == (10, 0, 400_000, 100 * packing)
  assert (config.objective.name, config.penalty.name, config.optim.n_critic, config.optim.simultaneous) == (
      "non_saturating", None, 1, True)
  assert (config.optim.generator_lr, config.optim.critic_lr, config.optim.b1, config.optim.b2,
          config.optim.lr_schedule, config.optim.ema_decay) == (1e-4, 1e-4, 0.8, 0.999, "constant", 0.0)
  assert (config.data.name, config.data.toy_dataset_size, config.evals.modes.num_samples) == (dataset, 100_000, 2500)
  train.validate_config(config)
  parts = train.build(configs.override(config, {"num_runs": 1}))
  state = parts["state"]
  shapes = jax.tree.map(np.shape, state.generator.params)
  assert [shapes[f"Dense_{i}"]["kernel"] for i in range(5)] == [(2, 400), (400, 400), (400, 400), (400, 400),
                                                                  (400, 2)]
  assert all("bias" not in shapes[f"Dense_{i}"] for i in range(4)) and len(state.generator.model_state[
      "batch_stats"]) == 4
  critic = jax.tree.map(np.shape, state.critic.params)
  assert [critic[f"LinearMaxout_{i}"]["Dense_0"]["kernel"] for i in range(3)] == [(2 * packing, 1000), (200, 1000),
                                                                                  (200, 1000)]
  assert critic["Dense_0"]["kernel"] == (200, 1)
  kernel = np.asarray(state.critic.params["LinearMaxout_1"]["Dense_0"]["kernel"])
  assert abs(kernel.std() - 0.02) < 0.001 and abs(kernel.mean()) < 0.001
  assert parts["gan"].packing == packing and parts["gan"].simultaneous
  assert parts["stream"].dataset_size == 100_000  # the fixed sample set reaches the stream


def test_pacgan_config_refuses_a_packing_that_is_not_a_positive_integer():
  for bad in ("0", "two", "-1"):
    with pytest.raises(ValueError, match="packing m >= 1"):
      configs.get_config(f"grid25_pacgan:{bad}")


def test_shrunk_pacgan_config_trains_and_samples_from_running_averages(tmp_path):
  config = configs.override(configs.shrink_to_tiny(configs.get_config("ring8_pacgan:2")),
                            {"optim.n_critic": 1, "num_runs": 2, "checkpoint_every": 40})
  final = train.train_and_evaluate(config, str(tmp_path), progress=False)
  assert final["num_runs"] == 2 and all(run["step"] == config.steps for run in final["runs"])
  state, parts = train.load_trained(config, str(tmp_path))
  run = jg.train.select_run(state, 0)
  assert run.generator.model_state["batch_stats"]["BatchNorm_0"]["var"].shape == (32,)
  z = jax.random.normal(jax.random.key(0), (16, 2))
  generate = parts["gan"].generator_fn(run)
  np.testing.assert_allclose(generate(z[:1]), generate(z)[:1], rtol=1e-5, atol=1e-6)  # no batch coupling


@pytest.mark.parametrize("changes, match", [
    ({"model.maxout_pieces": 1}, "maxout_pieces must be 0"),
    ({"model.init_std": -0.1}, "init_std must be None"),
    ({"model.generator_hidden": (400, 0)}, "generator_hidden must be widths"),
    ({"model.batch_norm": True, "model.virtual_batch_norm": 8}, "batch_norm is for an unconditional"),
    ({"model.maxout_pieces": 5, "model.spectral_norm": True}, "maxout_pieces builds"),
    ({"optim.n_critic": 5}, "simultaneous updates both players"),
    ({"data.toy_dataset_size": -1}, "toy_dataset_size must be 0"),
])
def test_pacgan_fields_refuse_bad_values_naming_the_field(changes, match):
  with pytest.raises(ValueError, match=match):
    train.validate_config(configs.override(configs.get_config("grid25_pacgan"), changes))


def test_mlp_architecture_and_toy_data_fields_are_refused_on_image_models():
  with pytest.raises(ValueError, match="model.batch_norm is an option of the MLP models"):
    train.validate_config(configs.override(configs.get_config("shapes_dcgan_hinge_sn"), {"model.batch_norm": True}))
  with pytest.raises(ValueError, match="toy_dataset_size sets the sample set of 2-D data; shapes is an image"):
    train.validate_config(configs.override(configs.get_config("shapes_dcgan_hinge_sn"),
                                           {"data.toy_dataset_size": 1000}))


def test_runs_drawing_past_the_epoch_order_of_a_finite_dataset_are_refused_naming_steps():
  """Finite in-graph streams order the first 2**32 examples of a run (uint32 positions); fresh 2-D samples and
  host-streamed images have no such limit."""
  pacgan = configs.get_config("grid25_pacgan")  # 100 examples a step from its fixed 100,000
  first_over = 2**32 // 100 + 1
  train.validate_config(configs.override(pacgan, {"steps": first_over - 1}))
  with pytest.raises(ValueError, match=r"config.steps: .* draw 4,294,967,300 from the finite grid25 .* 2\*\*32"):
    train.validate_config(configs.override(pacgan, {"steps": first_over}))
  train.validate_config(configs.override(pacgan, {"steps": first_over, "data.toy_dataset_size": 0}))
  shapes = configs.get_config("shapes_dcgan_hinge_sn")  # 64 a step
  train.validate_config(configs.override(shapes, {"steps": 2**26 - 1}))
  with pytest.raises(ValueError, match="config.steps: .* finite shapes dataset"):
    train.validate_config(configs.override(shapes, {"steps": 2**26}))
  train.validate_config(configs.override(shapes, {"steps": 2**26, "data.name": "celeb_a"}))


def test_cli_passes_the_packing_argument_and_gives_each_packing_its_own_default_workdir():
  config, workdir, _, _ = train.parse_args(["--config", "grid25_pacgan:4", "--config.seed=3"])
  assert (config.model.packing, config.data.batch_size, config.seed) == (4, 400, 3)
  assert workdir == os.path.join("runs", "grid25_pacgan_4")
  assert train.parse_args(["--config", "grid25_pacgan"])[1] == os.path.join("runs", "grid25_pacgan")
