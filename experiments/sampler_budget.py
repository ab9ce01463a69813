"""Every latent sampler of `jg.samplers` at equal cost, on a trained energy model and a trained image GAN.

    python -m experiments.sampler_budget          # grid25_meg and shapes_dcgan (trains runs/<config> if needed)
    python -m experiments.sampler_budget --config.setups='("grid25_meg",)'            # one model
    python -m experiments.sampler_budget --config quick --workdir /tmp/budget_quick
    python -m experiments.sampler_budget --config cifar10 --features my_inception:features  # see below

The config (`experiments/configs/sampler_budget/`: `full`, `quick`,
`cifar10`) names the setups to run and has one section per setup: the train
config of its model (`gan`, any field overridable, e.g.
`--config.shapes_dcgan.gan.steps=2000`), where the model is trained or
resumed (`model_dir`), the samples per method, the budgets, the methods and
the published mirror's fixed chain length.

All methods target the same distribution, p_g(x) e^{d(x)} with d the critic's
"realness" (d = -U for an energy critic; the Platt-calibrated logit for a GAN
critic, so that d ~ log p_data / p_g), i.e. the latent energy
E(z) = -d(G(z)) + ||z||^2 / 2:

* chains, `jg.samplers.run_chains`: ULA, MALA, Barker, i-SIR (N = 10
  particles from the prior) and Ex2MCMC (i-SIR then MALA);
* latent refinements: DOT (Adam on ||z - y|| - d/K_eff) and DGflow (KL);
* sample-space selection over generator proposals: MH-GAN (independence
  Metropolis over K candidates) and DRS (the first accepted of K candidates,
  else the K-th).

Cost is counted per output sample in *gradient equivalents*: one energy
`value_and_grad` (generator and critic, forward and backward) counts 1, one
gradient-free evaluation counts 1/3 (reverse mode costs about three forward
passes). Chains are charged their initial `value_and_grad` and every step's
`Info.num_grads` / `num_evals`, per chain; at budget B each chain reports its
last state whose cumulative cost is <= B. Step sizes are tuned once on
separate pilot chains (MALA and Ex2MCMC to acceptance 0.574, Barker to 0.40;
ULA runs at a quarter of MALA's step, DGflow at MALA's drift eta = eps/2);
that one-off cost, and DOT's K_eff estimate, are reported and not charged to
the samples. Quality: the mode-coverage protocol on the grid (% high quality,
modes, KL) and classifier-feature Frechet distance, precision/recall and class
mix against held-out real images on the shapes (never-seen renderings; the GAN
critic is calibrated on another held-out set). Writes
`<workdir>/<setup>/{results.json, table.md}` and `<workdir>/budget.png`.

`cifar10_dcgan` (`--config cifar10`) mirrors the DCGAN CIFAR-10 comparison
of Samsonov et al. (2022, Table 3): no sampler, MALA, i-SIR and Ex2MCMC at
1,000 steps, scored by FID. It needs the prepared TFDS `cifar10` and an image-feature function
(e.g. Inception pool3) given as `--features module:function`, mapping
images (n, 32, 32, 3) in [-1, 1] to features (n, k); neither ships here.
"""

from __future__ import annotations

import functools
import math
import os

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from absl import flags

import jaxgan as jg
from experiments import cli, outputs, tasks
from experiments import configs as configs_lib
from experiments import train as train_lib
from experiments.tasks import images

CONFIG_DIR = os.path.join(configs_lib.CONFIG_DIR, "sampler_budget")

FORWARD_PER_GRAD = 3.0
CHAIN_KERNELS = ("ULA", "MALA", "Barker", "i-SIR", "Ex2MCMC")
KERNELS = CHAIN_KERNELS + ("DOT", "DGflow", "MH-GAN", "DRS")
ISIR_PARTICLES = 10
ULA_STEP_FRACTION = 0.25
BARKER_TARGET = 0.40
CALIBRATION_SAMPLES = 1000
IN_PROJECT_FEATURES = "in-project shape classifier"  # images.features_name() without --features


class Target:
  """A trained model seen as the latent target: generator, realness score d, energy, quality."""

  def __init__(self, config: ml_collections.ConfigDict, workdir: str, num_chains: int, progress: bool = True):
    _, state, parts = train_lib.train_and_load(config, workdir, progress=progress)
    self.dataset = parts["task"].dataset
    self.latent_dim = config.model.latent_dim
    self.image = isinstance(parts["task"], images.ImageTask)
    gan = parts["gan"]
    critic, generate = gan.critic_fn(state), gan.generator_fn(state)
    self.generate = jax.jit(generate)
    raw_realness = lambda x: gan.objective.realness(critic(x))  # noqa: E731 - d = -U, or the raw logit
    if self.image:
      # Calibration reals are held out (training reals make the calibrated logit overconfident). The quality
      # reference: more held-out reals for the offline data, the training split for TFDS (the FID convention).
      offline = config.data.name in images.OFFLINE
      fresh = images.held_out(config, CALIBRATION_SAMPLES + (num_chains if offline else 0))
      calibration_reals = fresh[:CALIBRATION_SAMPLES]
      self.reference = fresh[CALIBRATION_SAMPLES:] if offline else self.dataset.get(np.arange(num_chains))[0]
    self.calibration = None
    realness = raw_realness
    if gan.objective.scores == "logits":  # Platt-calibrate on held-out real vs generated samples (MH-GAN, Sec. 3.3)
      n = CALIBRATION_SAMPLES
      real = calibration_reals if self.image else self.dataset.sample(jax.random.key(7), n)
      fake = self.generate(jax.random.normal(jax.random.key(8), (n, self.latent_dim)))
      self.calibration = jg.samplers.calibrate_logits(raw_realness(real), raw_realness(fake))
      realness = lambda x: self.calibration(raw_realness(x))  # noqa: E731
    self.score = jax.jit(lambda z: realness(generate(z)))
    self.energy = jg.samplers.latent_energy(generate, realness)
    self._real_features = None

  def samples(self, z, batch: int = 1000) -> np.ndarray:
    return np.concatenate([np.asarray(self.generate(z[i:i + batch])) for i in range(0, z.shape[0], batch)])

  def quality(self, z) -> dict:
    x = self.samples(z)
    if not self.image:
      return jg.metrics.mode_coverage(x, self.dataset.modes, self.dataset.std)
    if self._real_features is None:  # featurised once for every method and budget
      self._real_features = images.features_and_logits(self.reference[:x.shape[0]])[0]
    real_f, fake_f = self._real_features, images.features_and_logits(x)[0]
    metrics = {"frechet_distance": float(jg.metrics.frechet_distance_from_features(real_f, fake_f)),
               **jg.metrics.precision_recall(real_f, fake_f)}
    if images.features_name() == IN_PROJECT_FEATURES:  # the in-project classifier also gives the class mix
      metrics.update(jg.metrics.stacked_mode_count(images.shape_classifier(), x))
    return metrics


def tune_step_sizes(target: Target, rng_key, *, pilot_warmup: int, pool_chains: int) -> dict:
  """Median adapted step sizes from pilot chains (MALA -> 0.574, Barker -> 0.40); their cost is one-off."""
  z = jax.random.normal(rng_key, (pool_chains, target.latent_dim))
  mala_key, barker_key = jax.random.split(jax.random.fold_in(rng_key, 1))
  steps = {}
  for name, build, key, acceptance in (("mala", jg.samplers.mala, mala_key, 0.574),
                                       ("barker", jg.samplers.barker, barker_key, BARKER_TARGET)):
    warmup = jg.samplers.step_size_adaptation(functools.partial(build, target.energy), 0.05,
                                              target_acceptance=acceptance)
    _, parameters = jax.jit(warmup.run, static_argnums=2)(key, z, pilot_warmup)
    steps[name] = float(jnp.median(parameters["step_size"]))
  return {**steps, "pilot_gradients": 2 * pool_chains * (pilot_warmup + 1)}  # init + warm-up, both kernels


def chain_kernel(name: str, target: Target, steps: dict):
  return {
      "ULA": lambda: jg.samplers.langevin(target.energy, ULA_STEP_FRACTION * steps["mala"]),
      "MALA": lambda: jg.samplers.mala(target.energy, steps["mala"]),
      "Barker": lambda: jg.samplers.barker(target.energy, steps["barker"]),
      "i-SIR": lambda: jg.samplers.isir(target.energy, ISIR_PARTICLES),
      "Ex2MCMC": lambda: jg.samplers.ex2mcmc(target.energy, steps["mala"], ISIR_PARTICLES),
  }[name]()


def min_cost_per_step(name: str) -> float:
  """The least a step of the chain kernel `name` can cost, to size a run for the largest budget."""
  isir = (ISIR_PARTICLES - 1) / FORWARD_PER_GRAD
  return {"i-SIR": isir, "Ex2MCMC": isir + 1.0}.get(name, 1.0)


@functools.partial(jax.jit, static_argnums=(0, 3))
def chain_trace(kernel, rng_key, z0, num_steps: int) -> jg.samplers.Trace:
  """Every step of `num_steps` of `kernel` from `z0`, jitted once per kernel and length."""
  return jg.samplers.run_chains(kernel, rng_key, z0, num_steps)[1]


def chain_at_budgets(kernel, rng_key, z0, budgets, num_steps: int) -> tuple[dict, dict]:
  """Per budget B: each chain's last state with cumulative cost <= B, and the mean cost actually spent."""
  trace = chain_trace(kernel, rng_key, z0, num_steps)
  step_cost = np.asarray(trace.info.num_grads) + np.asarray(trace.info.num_evals) / FORWARD_PER_GRAD
  cost = 1.0 + np.cumsum(step_cost, axis=1)  # the initial value_and_grad, then each step's
  positions = np.asarray(trace.position)
  rows = np.arange(positions.shape[0])
  latents, spent = {}, {}
  for budget in budgets:
    last = (cost <= budget).sum(axis=1) - 1  # -1: not even one step fits; the chain reports z0
    latents[budget] = jnp.asarray(np.where(last[:, None] >= 0, positions[rows, np.maximum(last, 0)], np.asarray(z0)))
    spent[budget] = float(np.mean(np.where(last >= 0, cost[rows, np.maximum(last, 0)], min(budget, 1.0))))
  summary = jg.samplers.summarize(trace)
  return latents, {"spent": spent, "acceptance": summary["mean_acceptance"], "nonfinite": summary["nonfinite_draws"]}


def selection_at_budgets(target: Target, rng_key, z0, budgets, method: str) -> tuple[dict, dict]:
  """MH-GAN / DRS with K = B * FORWARD_PER_GRAD generator proposals per output; candidate 0 is the chain's z0."""
  n, d = z0.shape
  k_max = int(round(max(budgets) * FORWARD_PER_GRAD))
  pool_key, pick_key, burn_key = jax.random.split(rng_key, 3)
  pool = jnp.concatenate([z0[:, None], jax.random.normal(pool_key, (n, max(k_max - 1, 0), d))], axis=1)
  logits = jnp.stack([target.score(pool[:, j]) for j in range(k_max)], axis=1) if k_max else None
  latents, info = {}, {}
  if method == "DRS":  # l_M from a burn-in set of 10,000 generator samples (Azadi et al. 2019, Section 3.2)
    burn = jax.random.normal(burn_key, (10000, d))
    max_logit = jnp.max(jnp.concatenate([target.score(burn[i:i + 1000]) for i in range(0, 10000, 1000)]))
    info["max_logit"] = float(max_logit)
  info["spent"] = {}
  for budget in budgets:
    k = int(round(budget * FORWARD_PER_GRAD))
    info["spent"][budget] = k / FORWARD_PER_GRAD if k > 1 else 0.0
    if k <= 1:
      latents[budget] = z0
      continue
    keys = jax.random.split(jax.random.fold_in(pick_key, budget), n)
    if method == "MH-GAN":
      index, _ = jax.vmap(lambda key, l: jg.samplers.independent_metropolis(key, l))(keys, logits[:, :k])
    else:
      accept = jg.samplers.drs_acceptance(logits[:, :k].reshape(-1), max_logit=max_logit).reshape(n, k)
      accepted = jax.vmap(lambda key, p: jax.random.uniform(key, p.shape) < p)(keys, accept)
      index = jnp.where(accepted.any(axis=1), jnp.argmax(accepted, axis=1), k - 1)
      info.setdefault("acceptance", {})[budget] = float(jnp.mean(accept))
    latents[budget] = pool[jnp.arange(n), index]
  return latents, info


def refinement_at_budgets(target: Target, rng_key, z0, budgets, method: str, steps: dict) -> tuple[dict, dict]:
  """DOT / DGflow run B gradient steps for budget B (one score gradient per step)."""
  latents, info = {0: z0}, {"spent": {b: float(b) for b in budgets}}
  if method == "DOT":
    k_eff = jg.samplers.effective_lipschitz(target.score, jax.random.split(rng_key)[0], target.latent_dim)
    info["k_eff"] = float(k_eff)
    run = jax.jit(lambda z, b: jg.samplers.dot_transport(target.score, z, k_eff=k_eff, num_steps=b),
                  static_argnums=1)
  else:
    eta = steps["mala"] / 2.0
    info["step_size"] = eta
    run = jax.jit(lambda z, b: jg.samplers.dgflow(target.score, jax.random.fold_in(rng_key, b), z, num_steps=b,
                                                  step_size=eta, divergence="kl"), static_argnums=1)
  for budget in budgets:
    if budget > 0:
      latents[budget] = run(z0, budget)
  return latents, info


def setup_names(config: ml_collections.ConfigDict) -> list[str]:
  """The setups the config defines: its sections."""
  return [name for name, value in config.items() if isinstance(value, ml_collections.ConfigDict)]


def run_setup(config: ml_collections.ConfigDict, name: str, workdir: str, *, progress: bool = True) -> dict:
  """Trains (or resumes) setup `name`'s model, runs its methods at every budget, writes `<workdir>/<name>/`."""
  setup, out = config[name], os.path.join(workdir, name)
  # The trained model lives in `model_dir` (runs/<config>, where `experiments.train` puts it), or in `out`.
  target = Target(setup.gan, setup.model_dir or out, setup.num_chains, progress)
  key = jax.random.key(setup.gan.seed + 11)
  tune_key, z_key, run_key = jax.random.split(key, 3)
  steps = tune_step_sizes(target, tune_key, pilot_warmup=config.pilot_warmup, pool_chains=config.pool_chains)
  z0 = jax.random.normal(z_key, (setup.num_chains, target.latent_dim))
  # The published comparison runs every chain a fixed number of steps; its "budget" is then all of them.
  budgets = (0, math.inf) if setup.fixed_steps else setup.budgets
  results = {"setup": name, "config": setup.to_dict(), "num_chains": int(z0.shape[0]),
             "budgets": [float(b) for b in budgets], "fixed_steps": setup.fixed_steps,
             "forward_per_grad": FORWARD_PER_GRAD, "step_sizes": steps, "methods": {},
             "calibration": target.calibration and {k: float(v) for k, v in target.calibration._asdict().items()}}
  for i, method in enumerate(setup.kernels):
    method_key = jax.random.fold_in(run_key, i)
    if method in CHAIN_KERNELS:
      num_steps = setup.fixed_steps or int(math.ceil(max(budgets) / min_cost_per_step(method)))
      latents, info = chain_at_budgets(chain_kernel(method, target, steps), method_key, z0, budgets, num_steps)
    elif method in ("MH-GAN", "DRS"):
      latents, info = selection_at_budgets(target, method_key, z0, budgets, method)
    else:
      latents, info = refinement_at_budgets(target, method_key, z0, budgets, method, steps)
    info["quality"] = {b: target.quality(latents[b]) for b in budgets}
    results["methods"][method] = info
  outputs.write_results(out, results, markdown_table(results))
  return results


def first_quality(results: dict) -> dict:
  """The quality metrics of the first method at its first budget (to see which metrics a setup has)."""
  return next(iter(next(iter(results["methods"].values()))["quality"].values()))


def primary(results: dict) -> tuple[str, str, float]:
  """(metric key, label, scale) of the setup's headline quality."""
  if "high_quality" in first_quality(results):
    return "high_quality", "% high quality", 100.0
  return "frechet_distance", "Frechet distance (classifier features)", 1.0


def markdown_table(results: dict) -> str:
  key, label, scale = primary(results)
  budgets = results["budgets"]
  columns = [f"all {results['fixed_steps']} steps" if math.isinf(b) else f"B = {b:g}" for b in budgets]
  lines = [f"{label} at a budget of B gradient equivalents per sample ({results['setup']},"
           f" {results['num_chains']} samples):", "",
           "| method | " + " | ".join(columns) + " | spent at max B | note |",
           "|---|" + "---|" * (len(budgets) + 2)]
  for method, info in results["methods"].items():
    cells = [f"{scale * info['quality'][b][key]:.1f}" for b in budgets]
    if "kl_to_uniform" in info["quality"][budgets[0]]:
      second = "modes_covered" if key == "high_quality" else "precision"
      cells = [f"{c} ({info['quality'][b][second]:.3g}, {info['quality'][b]['kl_to_uniform']:.2f})"
               for c, b in zip(cells, budgets)]
    note = (f"acceptance {info['acceptance']:.2f}" if "acceptance" in info and not isinstance(info["acceptance"], dict)
            else f"K_eff {info['k_eff']:.3g}" if "k_eff" in info else "")
    lines.append(f"| {method} | " + " | ".join(cells) + f" | {info['spent'][budgets[-1]]:.1f} | {note} |")
  if key == "high_quality":
    lines += ["", "(in brackets: modes covered of 25, KL to uniform over modes)"]
  elif "kl_to_uniform" in first_quality(results):
    lines += ["", "(in brackets: precision, KL of the classifier's class histogram to uniform)"]
  return "\n".join(lines) + "\n"


def plot(path: str, all_results: list[dict]) -> None:
  import matplotlib

  matplotlib.use("Agg")
  import matplotlib.pyplot as plt

  fig, axes = plt.subplots(1, len(all_results), figsize=(5.2 * len(all_results), 4), squeeze=False)
  for ax, results in zip(axes[0], all_results):
    key, label, scale = primary(results)
    for method, info in results["methods"].items():
      budgets = list(info["quality"])
      ax.plot([max(info["spent"][b], 0.5) for b in budgets], [scale * info["quality"][b][key] for b in budgets],
              marker="o", ms=3, label=method, ls="--" if method in ("MH-GAN", "DRS", "i-SIR") else "-")
    ax.set(xscale="log", xlabel="gradient equivalents per sample (0 plotted at 0.5)", ylabel=label,
           title=results["setup"])
    ax.grid(alpha=0.3)
  axes[0, -1].legend(fontsize=7, ncol=2)
  fig.tight_layout()
  fig.savefig(path, dpi=90)
  plt.close(fig)


def run(config: ml_collections.ConfigDict, workdir: str, *, progress: bool = True) -> list[dict]:
  """Every setup of `config.setups` (tables under `<workdir>/<setup>/`), then `<workdir>/budget.png`."""
  all_results = [run_setup(config, name, workdir, progress=progress) for name in config.setups]
  plot(os.path.join(workdir, "budget.png"), all_results)
  return all_results


def validate(config: ml_collections.ConfigDict, flag_values: flags.FlagValues) -> None:
  """Raises ValueError naming the first bad field; sets the image features of `--features`."""
  images.use_features(flag_values.features)
  defined = setup_names(config)
  if not config.setups or set(config.setups) - set(defined):
    raise ValueError(f"config.setups must name some of {defined}, got {config.setups!r}.")
  for field in ("pilot_warmup", "pool_chains"):
    if not isinstance(config[field], int) or config[field] < 1:
      raise ValueError(f"config.{field} must be an integer >= 1, got {config[field]!r}.")
  for name in config.setups:
    setup, where = config[name], f"config.{name}"
    try:
      train_lib.validate_config(setup.gan)
      train_lib.check_latent_sampling(setup.gan)
    except ValueError as e:
      raise ValueError(str(e).replace("config.", f"{where}.gan.")) from None
    if not isinstance(setup.num_chains, int) or setup.num_chains < 1:
      raise ValueError(f"{where}.num_chains must be an integer >= 1, got {setup.num_chains!r}.")
    if not setup.kernels or set(setup.kernels) - set(KERNELS):
      raise ValueError(f"{where}.kernels must name some of {KERNELS}, got {setup.kernels!r}.")
    if setup.fixed_steps is not None and setup.fixed_steps < 1:
      raise ValueError(f"{where}.fixed_steps must be None (use the budgets) or >= 1, got {setup.fixed_steps!r}.")
    budgets = list(setup.budgets)
    numeric = all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in budgets)
    if setup.fixed_steps is None and not (numeric and budgets and budgets[0] >= 0
                                          and budgets == sorted(set(budgets))):
      raise ValueError(f"{where}.budgets must be increasing numbers >= 0, got {setup.budgets!r}.")
    if tasks.task_class(setup.gan) is images.ImageTask and not images.has_features(setup.gan.data.name):
      raise ValueError(f"setup {name} is scored by image features: pass --features module:function (e.g."
                       " Inception pool3 features of images in [-1, 1]); the prepared TFDS"
                       f" {setup.gan.data.name} is needed too.")


def _define_flags(flag_values: flags.FlagValues) -> None:
  flags.DEFINE_string("workdir", "runs/sampler_budget", "work directory", flag_values=flag_values)
  flags.DEFINE_boolean("progress", True, "show the progress bars (--noprogress hides them)", flag_values=flag_values)
  flags.DEFINE_string("features", None, "module:function giving image features (n, k) of images in [-1, 1]"
                      " (required for cifar10_dcgan; default: the in-project shape classifier)",
                      flag_values=flag_values)


def main(argv=None) -> None:
  config, flag_values = cli.parse(argv, doc=__doc__, config_dir=CONFIG_DIR, default_config="full",
                                  define_flags=_define_flags, validate=validate)
  for results in run(config, flag_values.workdir, progress=flag_values.progress):
    print(markdown_table(results))
  print(f"Outputs in {flag_values.workdir}/")


if __name__ == "__main__":
  main()
