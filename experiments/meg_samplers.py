"""Latent samplers on a trained energy model (MEG) on the 5x5 grid.

    python -m experiments.meg_samplers                 # trains runs/grid25_meg if needed, then samples
    python -m experiments.meg_samplers --config quick --workdir /tmp/meg_quick
    python -m experiments.meg_samplers --config.meg_code=True --config.num_samples=1000
    python -m experiments.meg_samplers --config full:ring8_ns_r1   # another named train config

The config (`experiments/configs/meg_samplers/`: `full`, `quick`) holds the
train config of the model as its `gan` section (any field overridable, e.g.
`--config.gan.steps=2000`) and the sampler sizes. The script trains (or
resumes) that model in the work directory (default `runs/<run_name>`, where
`python -m experiments.train --config grid25_meg` trains it too), then draws
`num_samples` samples five ways from the EMA generator:

* `N(0, I)`: plain latents;
* `truncation`: truncated-normal latents (threshold 1);
* `hubness`: the latents with the highest k-occurrence in a larger pool;
* `Langevin` / `MALA`: latent chains on E(z) = U(G(z)) + ||z||^2 / 2 started
  from N(0, I). MALA adapts a step size per chain toward acceptance 0.574
  during warm-up; ULA, which has no Metropolis correction, runs at a quarter
  of the median adapted step to keep its discretisation bias down (at MALA's
  own step it over-weights the outer modes).

With `meg_code` set, a sixth sampler, `MALA (MEG code)`, reproduces the latent
MALA of the MEG reference code (Kumar et al. 2019) at MALA's median adapted
step: its energy has no prior term (E(z) = U(G(z))) and its acceptance test
uses the unsquared norm in the proposal density. Both are **biased** (the
chain no longer targets the latent posterior); the row is for comparisons
with published MEG numbers only.

Each is scored with the mode-coverage protocol (modes covered, % high
quality, KL to uniform over modes); writes `samplers/table.md`,
`samplers/results.json` and `samplers/samplers.png` (one panel per sampler).
A train config with `num_runs = N` (e.g. `--config full:grid25_meg_protocol`,
seeds 0-4) is sampled run by run; the table is the mean +- std over the runs.
"""

from __future__ import annotations

import functools
import os

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from absl import flags

import jaxgan as jg
from experiments import cli, outputs
from experiments import configs as configs_lib
from experiments import train as train_lib

CONFIG_DIR = os.path.join(configs_lib.CONFIG_DIR, "meg_samplers")
SAMPLERS = ("N(0, I)", "truncation", "hubness", "Langevin", "MALA")
MEG_CODE = "MALA (MEG code)"
ULA_STEP_FRACTION = 0.25
SIZES = ("num_samples", "num_warmup", "num_steps", "pool_size")


def meg_code_log_ratio(current, proposed, step_size) -> jax.Array:
  r"""The MEG reference code's MALA acceptance ratio: the proposal density with the *unsquared* norm.

  :math:`\log q(a|b) = -\|a - b + \tfrac{\epsilon}{2}\nabla E(b)\| / (2\epsilon)` in place of
  the Gaussian's squared norm (compare `jg.samplers.mala_log_ratio`). Biased: on N(0, I) in 10
  dimensions at step 0.5 the chain's variance is about 0.6.
  """

  def log_q(to, frm):
    return -jnp.linalg.norm(to - frm.position + 0.5 * step_size * frm.energy_grad) / (2.0 * step_size)

  return current.energy - proposed.energy + log_q(current.position, proposed) - log_q(proposed.position, current)


def meg_code_mala(energy_fn, step_size: float) -> jg.samplers.SamplingAlgorithm:
  """The MEG reference code's latent MALA: jaxgan's Langevin move, then :func:`meg_code_log_ratio`'s test."""

  def step(rng_key, state):
    move_key, accept_key = jax.random.split(rng_key)
    proposed = jg.samplers.langevin_move(move_key, state, energy_fn, step_size)
    return jg.samplers.metropolis_hastings(accept_key, state, proposed,
                                           meg_code_log_ratio(state, proposed, step_size))

  return jg.samplers.SamplingAlgorithm(jg.samplers.mala(energy_fn, step_size).init, step)


def meg_code_energy(generator_fn, realness_fn):
  """The MEG reference code's latent energy E(z) = -d(G(z)): `jg.samplers.latent_energy` without the prior term."""
  return lambda z: -realness_fn(generator_fn(z[None]))[0]


@functools.partial(jax.jit, static_argnames=("energy_fn", "num_warmup", "num_steps"))
def adapted_mala(rng_key, z0, *, energy_fn, num_warmup: int, num_steps: int):
  """MALA with a step size per chain adapted toward 0.574 over `num_warmup` steps, then `num_steps` steps."""
  build = functools.partial(jg.samplers.mala, energy_fn)
  warm_key, run_key = jax.random.split(rng_key)
  state, parameters = jg.samplers.step_size_adaptation(build, 0.05).run(warm_key, z0, num_warmup)
  final, trace = jg.samplers.run_chains(build, run_key, state, num_steps, thin=num_steps, parameters=parameters)
  return final.position, trace, parameters["step_size"]


def fixed_step_chain(algorithm, rng_key, z0, num_steps: int):
  """A chain at one step size for all chains: its final latents and its trace (last step only)."""
  final, trace = jax.jit(functools.partial(jg.samplers.run_chains, algorithm, num_steps=num_steps,
                                           thin=num_steps))(rng_key, z0)
  return final.position, trace


def sample_latents(parts: dict, state, latent_dim: int, *, num_samples: int, num_warmup: int, num_steps: int,
                   pool_size: int, rng_key, meg_code: bool = False) -> dict:
  """Samples from each sampler and per-sampler info (acceptance, step size)."""
  gan = parts["gan"]
  generator_fn, critic_fn = gan.generator_fn(state), gan.critic_fn(state)
  realness_fn = lambda x: gan.objective.realness(critic_fn(x))  # noqa: E731 - d = -U for the energy critic
  energy_fn = jg.samplers.latent_energy(generator_fn, realness_fn)
  prior_key, trunc_key, hub_key, mala_key, ula_key = jax.random.split(rng_key, 5)
  z0 = jax.random.normal(prior_key, (num_samples, latent_dim))
  latents = {
      "N(0, I)": z0,
      "truncation": jg.samplers.truncated_normal_latents(trunc_key, num_samples, latent_dim, threshold=1.0),
      "hubness": jg.samplers.hubness_latents(hub_key, num_samples, latent_dim, pool_size=pool_size),
  }
  info = {name: {} for name in SAMPLERS + ((MEG_CODE,) if meg_code else ())}
  latents["MALA"], mala_trace, step_sizes = adapted_mala(mala_key, z0, energy_fn=energy_fn, num_warmup=num_warmup,
                                                         num_steps=num_steps)
  step_size = float(jnp.median(step_sizes))
  mala = jg.samplers.summarize(mala_trace)
  info["MALA"] = {"acceptance": mala["mean_acceptance"], "step_size": step_size, "nonfinite": mala["nonfinite_draws"]}
  ula_step = ULA_STEP_FRACTION * step_size
  latents["Langevin"], ula_trace = fixed_step_chain(jg.samplers.langevin(energy_fn, ula_step), ula_key, z0,
                                                    num_warmup + num_steps)
  info["Langevin"] = {"step_size": ula_step, "nonfinite": jg.samplers.summarize(ula_trace)["nonfinite_draws"]}
  if meg_code:
    algorithm = meg_code_mala(meg_code_energy(generator_fn, realness_fn), step_size)
    latents[MEG_CODE], meg_trace = fixed_step_chain(algorithm, mala_key, z0, num_warmup + num_steps)
    meg = jg.samplers.summarize(meg_trace)
    info[MEG_CODE] = {"acceptance": meg["mean_acceptance"], "step_size": step_size,
                      "nonfinite": meg["nonfinite_draws"]}
  samples = {name: generator_fn(z) for name, z in latents.items()}
  return {"samples": samples, "info": info}


def score(samples: dict, dataset, info: dict) -> dict:
  results = {}
  for name in info:
    metrics = jg.metrics.mode_coverage(samples[name], dataset.modes, dataset.std)
    results[name] = {**metrics, **info[name]}
  return results


def mean_over_runs(per_run: list[dict]) -> dict:
  """Each sampler's mean and std (ddof 1) over the runs of every entry: `{name: {key: mean, key_std: std}}`."""
  out = {}
  for name in per_run[0]:
    out[name] = {}
    for key in per_run[0][name]:
      out[name][key], out[name][f"{key}_std"] = outputs.mean_and_std([r[name][key] for r in per_run])
  return out


def markdown_table(results: dict) -> str:
  """One row per sampler; `mean +- std` where `results` is :func:`mean_over_runs`'s."""
  lines = ["| sampler | modes covered | % high quality | KL to uniform | acceptance | step size |",
           "|---|---|---|---|---|---|"]

  def cell(r, key, spec, scale=1):
    text = f"{scale * r[key]:{spec}}"
    return text + f" ± {scale * r[key + '_std']:{spec}}" if key + "_std" in r else text

  for name, r in results.items():
    acceptance = cell(r, "acceptance", ".2f") if "acceptance" in r else (
        "- (unadjusted)" if name == "Langevin" else "-")
    step = cell(r, "step_size", ".3g") if "step_size" in r else "-"
    modes = f"{cell(r, 'modes_covered', '.1f' if 'modes_covered_std' in r else 'd')}/{r['num_modes']:.0f}"
    lines.append(f"| {name} | {modes} | {cell(r, 'high_quality', '.1f', 100)} |"
                 f" {cell(r, 'kl_to_uniform', '.4f')} | {acceptance} | {step} |")
  return "\n".join(lines) + "\n"


def plot(path: str, samples: dict, dataset, results: dict) -> None:
  import matplotlib

  matplotlib.use("Agg")
  import matplotlib.pyplot as plt

  fig, axes = plt.subplots(1, len(results), figsize=(3.2 * len(results), 3.8), sharex=True, sharey=True)
  lim = float(np.max(np.abs(dataset.modes))) + 1.5
  for ax, name in zip(axes, results):
    x = np.asarray(samples[name])
    ax.scatter(dataset.modes[:, 0], dataset.modes[:, 1], s=30, marker="x", c="k", linewidths=1)
    ax.scatter(x[:, 0], x[:, 1], s=2, alpha=0.4, c="tab:green")
    r = results[name]
    ax.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal",
           title=f"{name}\n{r['modes_covered']}/{r['num_modes']} modes, {100 * r['high_quality']:.0f}% HQ")
  fig.tight_layout()
  fig.savefig(path, dpi=90)
  plt.close(fig)


def run(config: ml_collections.ConfigDict, workdir: str, *, progress: bool = True) -> dict:
  """Trains (or resumes) `config.gan` in `workdir`, samples five ways (six with `config.meg_code`), writes the
  table and figure under `workdir/samplers/`.

  With `num_runs = N` every run (seed `seed + i`, sampler key `seed + i + 1`) is sampled and scored; the table is
  the mean +- std over the runs, `results.json` holds each run's results too, the figure is run 0's.
  """
  _, state, parts = train_lib.train_and_load(config.gan, workdir, progress=progress)
  dataset = parts["task"].dataset
  per_run, figure_samples = [], None
  for i, (run_state, _) in enumerate(train_lib.runs(parts, state)):
    drawn = sample_latents(parts, run_state, config.gan.model.latent_dim,
                           rng_key=jax.random.key(config.gan.seed + i + 1), meg_code=config.meg_code,
                           **{size: config[size] for size in SIZES})
    per_run.append(score(drawn["samples"], dataset, drawn["info"]))
    figure_samples = figure_samples or drawn["samples"]
  results = per_run[0] if len(per_run) == 1 else mean_over_runs(per_run)
  out = os.path.join(workdir, "samplers")
  outputs.write_results(out, {"config": config.to_dict(), "results": results,
                              **({"runs": per_run} if len(per_run) > 1 else {})}, markdown_table(results))
  plot(os.path.join(out, "samplers.png"), figure_samples, dataset, per_run[0])
  return results


def validate(config: ml_collections.ConfigDict, flag_values: flags.FlagValues | None = None) -> None:
  """Raises ValueError naming the first bad field (the `gan` section's as `config.gan.FIELD`)."""
  del flag_values  # no flag to check
  try:
    train_lib.validate_config(config.gan)
    train_lib.check_latent_sampling(config.gan)
  except ValueError as e:
    raise ValueError(str(e).replace("config.", "config.gan.")) from None
  for size in SIZES:
    if not isinstance(config[size], int) or config[size] < 1:
      raise ValueError(f"config.{size} must be an integer >= 1, got {config[size]!r}.")
  if config.pool_size < config.num_samples:
    raise ValueError(f"config.pool_size ({config.pool_size}) must be >= config.num_samples ({config.num_samples}):"
                     " hubness selects the samples from the pool.")


def _define_flags(flag_values: flags.FlagValues) -> None:
  flags.DEFINE_string("workdir", None, "work directory, holding the trained model (default: runs/<config.run_name>)",
                      flag_values=flag_values)
  flags.DEFINE_boolean("progress", True, "show the progress bar (--noprogress hides it)", flag_values=flag_values)


def main(argv=None) -> None:
  config, flag_values = cli.parse(argv, doc=__doc__, config_dir=CONFIG_DIR, default_config="full",
                                  define_flags=_define_flags, validate=validate)
  workdir = flag_values.workdir or os.path.join("runs", config.run_name)
  results = run(config, workdir, progress=flag_values.progress)
  print(markdown_table(results))
  print(f"Outputs in {workdir}/samplers/")


if __name__ == "__main__":
  main()
