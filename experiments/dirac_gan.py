"""Dirac-GAN dynamics: which objectives and regularisers converge to the equilibrium (0, 0).

    python -m experiments.dirac_gan                                  # writes runs/dirac_gan/
    python -m experiments.dirac_gan --config quick --workdir /tmp/dirac
    python -m experiments.dirac_gan --config.steps=5000 --config.learning_rate=0.05

The config (`experiments/configs/dirac_gan/`: `full`, the default, and
`quick`) has the fields `steps` and `learning_rate`; a misspelt field or a
bad value is one error line (exit status 2) before anything is written.

Data is a point mass at 0, the generator is x = theta, the critic is
D(x) = psi * x (Mescheder, Geiger & Nowozin, Which Training Methods for GANs
do actually Converge?, ICML 2018, Section 2). For each setting the losses
come from `jg.losses` and the penalties from `jg.penalties`, so this checks
the library's own functions. The gradient field is
v(theta, psi) = (dL_G/dtheta, dL_D/dpsi); consensus optimisation follows
v + gamma grad(|v|^2 / 2) (Mescheder et al. 2017). Both simultaneous and
alternating (critic first) gradient steps are integrated from (1, 1).

Writes `dirac_gan.png` (vector field and trajectories per setting),
`table.md` and `results.json` (final distance to (0, 0), converged or not).
"""

from __future__ import annotations

import os

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from absl import flags

import jaxgan as jg
from experiments import cli, outputs
from experiments import configs as configs_lib

CONFIG_DIR = os.path.join(configs_lib.CONFIG_DIR, "dirac_gan")

# name: (objective, penalty name, penalty kwargs, consensus gamma)
SETTINGS = {
    "minimax": ("minimax", None, {}, 0.0),
    "non_saturating": ("non_saturating", None, {}, 0.0),
    "wgan": ("wgan", None, {}, 0.0),
    "wgan_gp": ("wgan", "wgan_gp", {"weight": 1.0}, 0.0),
    "non_saturating + r1": ("non_saturating", "r1", {"gamma": 1.0}, 0.0),
    "non_saturating + consensus": ("non_saturating", None, {}, 1.0),
}
START = (1.0, 1.0)
TOLERANCE = 0.05  # "converged": final distance to (0, 0) below this


def vector_field(name: str):
  """`v(params) -> (dL_G/dtheta, dL_D/dpsi)` for one setting; `params = [theta, psi]`."""
  objective_name, penalty_name, penalty_kwargs, consensus = SETTINGS[name]
  objective = jg.losses.get(objective_name)
  penalty = jg.penalties.get(penalty_name, **penalty_kwargs) if penalty_name else None
  real = jnp.zeros((1, 1))

  def losses(theta, psi):
    critic_fn = lambda x: psi * x[:, 0]  # noqa: E731
    fake = jnp.full((1, 1), theta)
    real_scores, fake_scores = critic_fn(real), critic_fn(fake)
    critic_loss = objective.critic(real_scores, fake_scores, state=objective.init())
    if penalty is not None:
      critic_loss = critic_loss + penalty(critic_fn, real, fake, jax.random.key(0))
    generator_loss = objective.generator(fake_scores, real_scores, state=objective.init())
    return generator_loss, critic_loss

  def plain(params):
    theta, psi = params[0], params[1]
    return jnp.stack([jax.grad(lambda t: losses(t, psi)[0])(theta), jax.grad(lambda p: losses(theta, p)[1])(psi)])

  if not consensus:
    return plain
  return lambda params: plain(params) + jax.grad(lambda p: jg.penalties.consensus_term(plain(p), gamma=consensus))(
      params)


def trajectory(name: str, *, steps: int, learning_rate: float, alternating: bool) -> np.ndarray:
  """Positions `(steps + 1, 2)` of gradient descent on the field from :data:`START`."""
  field = vector_field(name)

  def step(params, _):
    if alternating:
      psi = params[1] - learning_rate * field(params)[1]
      params = params.at[1].set(psi)
      theta = params[0] - learning_rate * field(params)[0]
      params = params.at[0].set(theta)
    else:
      params = params - learning_rate * field(params)
    return params, params

  start = jnp.asarray(START, jnp.float32)
  _, path = jax.jit(lambda p: jax.lax.scan(step, p, None, length=steps))(start)
  return np.concatenate([np.asarray(start)[None], np.asarray(path)])


def validate_config(config: ml_collections.ConfigDict) -> None:
  """Checks `steps` and `learning_rate`, raising ValueError naming the field."""
  if not isinstance(config.steps, int) or isinstance(config.steps, bool) or config.steps < 1:
    raise ValueError(f"config.steps must be an integer >= 1, got {config.steps!r}.")
  if not (isinstance(config.learning_rate, (int, float)) and config.learning_rate > 0):
    raise ValueError(f"config.learning_rate must be > 0, got {config.learning_rate!r}.")


def run(config: ml_collections.ConfigDict, workdir: str) -> dict:
  """Integrates every setting for `config.steps` steps of `config.learning_rate` and writes the outputs."""
  steps, learning_rate = config.steps, config.learning_rate
  os.makedirs(workdir, exist_ok=True)
  results, paths = {}, {}
  for name in SETTINGS:
    for alternating in (False, True):
      path = trajectory(name, steps=steps, learning_rate=learning_rate, alternating=alternating)
      scheme = "alternating" if alternating else "simultaneous"
      paths[name, scheme] = path
      distance = float(np.linalg.norm(path[-1]))
      results.setdefault(name, {})[scheme] = {"final_distance": distance if np.isfinite(distance) else None,
                                              "converged": bool(distance < TOLERANCE)}
  outputs.write_results(workdir, {"steps": steps, "learning_rate": learning_rate, "start": START,
                                  "tolerance": TOLERANCE, "results": results}, markdown_table(results))
  plot(os.path.join(workdir, "dirac_gan.png"), paths)
  return results


def markdown_table(results: dict) -> str:
  lines = ["| setting | simultaneous: distance to (0,0) | alternating: distance to (0,0) |", "|---|---|---|"]
  for name, r in results.items():
    cells = []
    for scheme in ("simultaneous", "alternating"):
      d = r[scheme]["final_distance"]
      cells.append(("diverged" if d is None else f"{d:.3g}") + (" (converged)" if r[scheme]["converged"] else ""))
    lines.append(f"| {name} | {cells[0]} | {cells[1]} |")
  return "\n".join(lines) + "\n"


def plot(path: str, paths: dict) -> None:
  import matplotlib

  matplotlib.use("Agg")
  import matplotlib.pyplot as plt

  grid = np.linspace(-2, 2, 17)
  theta, psi = np.meshgrid(grid, grid)
  points = jnp.asarray(np.stack([theta.ravel(), psi.ravel()], -1), jnp.float32)
  fig, axes = plt.subplots(2, 3, figsize=(12, 8))
  for ax, name in zip(axes.ravel(), SETTINGS):
    field = np.asarray(jax.vmap(vector_field(name))(points))
    ax.quiver(theta, psi, -field[:, 0].reshape(theta.shape), -field[:, 1].reshape(theta.shape), color="0.6",
              angles="xy")
    for scheme, style in (("simultaneous", "-"), ("alternating", "--")):
      p = np.clip(paths[name, scheme], -2.5, 2.5)
      ax.plot(p[:, 0], p[:, 1], style, lw=1.2, label=scheme)
    ax.plot(*START, "ko", ms=4)
    ax.plot(0, 0, "r*", ms=10)
    ax.set(xlim=(-2, 2), ylim=(-2, 2), xlabel="theta (generator)", ylabel="psi (critic)", title=name)
    ax.legend(fontsize=7, loc="lower left")
  fig.tight_layout()
  fig.savefig(path, dpi=80)
  plt.close(fig)


def _define_flags(flag_values: flags.FlagValues) -> None:
  flags.DEFINE_string("workdir", "runs/dirac_gan", "work directory", flag_values=flag_values)


def main(argv=None) -> None:
  config, flag_values = cli.parse(argv, doc=__doc__, config_dir=CONFIG_DIR, default_config="full",
                                  define_flags=_define_flags, validate=lambda config, _: validate_config(config))
  results = run(config, flag_values.workdir)
  print(markdown_table(results))
  print(f"Outputs in {flag_values.workdir}/")


if __name__ == "__main__":
  main()
