"""What latent samplers cost: MALA vs Langevin, chain scaling, jaxgan vs BlackJAX vs a PyTorch loop.

    python -m benchmarks.sampler_cost --quick     # < 1 minute on 2 CPU cores (CI runs this)
    python -m benchmarks.sampler_cost             # 1 to 4096 chains

The target is the latent energy E(z) = U(G(z)) + ||z||^2/2 of an MLP
generator (latent 64 -> 784 = 28x28, two hidden layers of 256) and MLP critic. Every sampler runs
`steps` steps on a batch of chains: jaxgan and BlackJAX (timed in interleaved rounds) as `jax.jit(vmap
over chains of lax.scan over steps)`, PyTorch as an eager loop over steps on
a tensor of chains (autograd for the gradient, MALA with the energy and
gradient carried in the state, as jaxgan; on CUDA when JAX runs on a GPU,
synchronised before the clock stops). Compile times are reported
separately; run times are medians of repeated calls with `block_until_ready`.
Measures:

1. seconds per MALA step / per Langevin step (target <= 1.05);
2. chains x steps per second of jaxgan MALA as the number of chains grows;
3. jaxgan MALA throughput / BlackJAX MALA throughput (target >= 1) and / PyTorch.

BlackJAX and torch come with the optional `bench` extra; without them those
rows are skipped with a message. Writes JSON to `--out`
(default `benchmarks/results/sampler_cost.json`).
"""

from __future__ import annotations

import statistics
import time

import jax
import jax.numpy as jnp

import jaxgan as jg
from benchmarks import report as report_lib

TARGET_MALA_OVER_LANGEVIN = 1.05
TARGET_JAXGAN_OVER_BLACKJAX = 1.0
STEP_SIZE = 0.01  # jaxgan's eps: z' = z - eps/2 grad E + sqrt(eps) xi; BlackJAX's step_size is eps / 2


def latent_energy_fn(sizes: dict):
  """E(z) = -D(G(z)) + ||z||^2/2 for randomly initialised MLPs of the given sizes."""
  generator = jg.models.MLPGenerator(output_dim=sizes["data_dim"], hidden=sizes["hidden"])
  critic = jg.models.MLPCritic(hidden=sizes["hidden"])
  g_params = generator.init(jax.random.key(0), jnp.zeros((1, sizes["latent"])))
  c_params = critic.init(jax.random.key(1), jnp.zeros((1, sizes["data_dim"])))
  realness = jg.losses.get("non_saturating").realness  # a logit critic: d is its score
  return jg.samplers.latent_energy(lambda z: generator.apply(g_params, z),
                                   lambda x: realness(critic.apply(c_params, x)))


def _chains_runner(init, step, steps):
  """jit(vmap over chains of lax.scan over steps) for an `init`/`step` sampling algorithm."""

  def one_chain(key, position):
    state = init(position)
    state, _ = jax.lax.scan(lambda s, k: (step(k, s)[0], None), state, jax.random.split(key, steps))
    return state.position

  return jax.jit(jax.vmap(one_chain))


def timed_interleaved(runners: dict, args, repeats: int) -> dict:
  """Compiles each runner, then times them in interleaved rounds: `{name: (median seconds, compile seconds)}`."""
  compiled, compile_seconds = {}, {}
  for name, runner in runners.items():
    start = time.perf_counter()
    compiled[name] = runner.lower(*args).compile()
    compile_seconds[name] = time.perf_counter() - start
    jax.block_until_ready(compiled[name](*args))
  times = {name: [] for name in runners}
  for _ in range(repeats):
    for name, fn in compiled.items():
      start = time.perf_counter()
      jax.block_until_ready(fn(*args))
      times[name].append(time.perf_counter() - start)
  return {name: (statistics.median(times[name]), compile_seconds[name]) for name in runners}


def jax_samplers(energy_fn, chains: int, latent: int, steps: int, repeats: int) -> dict:
  keys = jax.random.split(jax.random.key(2), chains)
  z0 = jax.random.normal(jax.random.key(3), (chains, latent))
  out = {}
  algorithms = {"jaxgan_mala": jg.samplers.mala(energy_fn, STEP_SIZE),
                "jaxgan_langevin": jg.samplers.langevin(energy_fn, STEP_SIZE)}
  try:
    import blackjax

    # BlackJAX's MALA moves z + h grad log p + sqrt(2 h) xi: h = eps / 2 is the same chain (jg.samplers.mala).
    algorithms["blackjax_mala"] = blackjax.mala(lambda z: -energy_fn(z), STEP_SIZE / 2)
  except ImportError:
    out["blackjax_skipped"] = "blackjax is not installed: pip install -e '.[bench]'"
  runners = {name: _chains_runner(algorithm.init, algorithm.step, steps) for name, algorithm in algorithms.items()}
  for name, (seconds, compile_seconds) in timed_interleaved(runners, (keys, z0), repeats).items():
    out[name] = {"seconds_per_step": seconds / steps, "compile_seconds": compile_seconds,
                 "chain_steps_per_second": chains * steps / seconds}
  return out


def torch_mala(sizes: dict, chains: int, steps: int, repeats: int) -> dict:
  """MALA in PyTorch eager on the same architecture (weights differ; cost does not)."""
  try:
    import torch
    from torch import nn

    device, synchronize, facts = report_lib.torch_device()
  except ImportError:
    return {"skipped": "torch is not installed: pip install -e '.[bench]'"}
  torch.manual_seed(0)

  def mlp(inp, out, act):
    layers, width = [], inp
    for h in sizes["hidden"]:
      layers += [nn.Linear(width, h), act()]
      width = h
    return nn.Sequential(*layers, nn.Linear(width, out))

  generator = mlp(sizes["latent"], sizes["data_dim"], nn.ReLU).requires_grad_(False).to(device)
  critic = mlp(sizes["data_dim"], 1, lambda: nn.LeakyReLU(0.2)).requires_grad_(False).to(device)
  eps = STEP_SIZE

  def energy_and_grad(z):
    z = z.detach().requires_grad_(True)
    energy = -critic(generator(z))[:, 0] + 0.5 * (z**2).sum(1)
    grad, = torch.autograd.grad(energy.sum(), z)
    return energy.detach(), grad

  def log_q(to, frm, grad_frm):
    return -((to - frm + 0.5 * eps * grad_frm) ** 2).sum(1) / (2 * eps)

  def run():
    z = torch.randn(chains, sizes["latent"], device=device)
    energy, grad = energy_and_grad(z)
    for _ in range(steps):
      proposal = z - 0.5 * eps * grad + eps**0.5 * torch.randn_like(z)
      p_energy, p_grad = energy_and_grad(proposal)
      log_alpha = energy - p_energy + log_q(z, proposal, p_grad) - log_q(proposal, z, grad)
      accept = (torch.log(torch.rand(chains, device=device)) < log_alpha)[:, None]
      z, grad = torch.where(accept, proposal, z), torch.where(accept, p_grad, grad)
      energy = torch.where(accept[:, 0], p_energy, energy)
    synchronize()
    return z

  run()
  times = []
  for _ in range(repeats):
    start = time.perf_counter()
    run()
    times.append(time.perf_counter() - start)
  seconds = statistics.median(times)
  return {**facts, "seconds_per_step": seconds / steps,
          "chain_steps_per_second": chains * steps / seconds}


def main(argv=None):
  parser = report_lib.argument_parser(__doc__, name="sampler_cost",
                                      quick_help="small model, few chains and repeats (CI)",
                                      repeats_help="timed rounds (default 3, x10 on a GPU)")
  args = parser.parse_args(argv)
  if args.quick:
    sizes = dict(latent=16, data_dim=64, hidden=(64, 64))
    chain_counts, steps, compare_chains = (1, 16, 128), 20, 128
  else:
    sizes = dict(latent=64, data_dim=784, hidden=(256, 256))
    chain_counts, steps, compare_chains = (1, 16, 256, 4096), 20, 256
  repeats = report_lib.repeats(args.repeats, 3)
  energy_fn = latent_energy_fn(sizes)
  scaling = []
  for chains in chain_counts:
    row = jax_samplers(energy_fn, chains, sizes["latent"], steps, repeats)
    scaling.append({"chains": chains, **row})
  compare = next(r for r in scaling if r["chains"] == compare_chains)
  torch_row = torch_mala(sizes, compare_chains, steps, repeats)
  mala = compare["jaxgan_mala"]
  summary = {
      "chains": compare_chains,
      "mala_over_langevin_seconds": mala["seconds_per_step"] / compare["jaxgan_langevin"]["seconds_per_step"],
      "jaxgan_over_blackjax_throughput": (mala["chain_steps_per_second"]
                                          / compare["blackjax_mala"]["chain_steps_per_second"]
                                          if "blackjax_mala" in compare else None),
      "jaxgan_over_torch_throughput": (mala["chain_steps_per_second"] / torch_row["chain_steps_per_second"]
                                       if "skipped" not in torch_row else None),
  }
  report = {
      **report_lib.run_facts("sampler_cost", args.quick),
      "sizes": sizes,
      "steps": steps,
      "repeats": repeats,
      "targets": {"mala_over_langevin_seconds": f"<= {TARGET_MALA_OVER_LANGEVIN}",
                  "jaxgan_over_blackjax_throughput": f">= {TARGET_JAXGAN_OVER_BLACKJAX}"},
      "scaling": scaling,
      "pytorch": torch_row,
      "summary": summary,
  }
  report_lib.write(args.out, report)
  print(f"{'chains':>7} {'MALA chain-steps/s':>20} {'Langevin':>12} {'BlackJAX MALA':>14} {'MALA compile s':>15}")
  for row in scaling:
    bj = row.get("blackjax_mala", {}).get("chain_steps_per_second")
    print(f"{row['chains']:>7} {row['jaxgan_mala']['chain_steps_per_second']:>20.0f}"
          f" {row['jaxgan_langevin']['chain_steps_per_second']:>12.0f} {bj or float('nan'):>14.0f}"
          f" {row['jaxgan_mala']['compile_seconds']:>15.2f}")
  print(f"at {compare_chains} chains: MALA / Langevin step time {summary['mala_over_langevin_seconds']:.2f}"
        f" (target <= {TARGET_MALA_OVER_LANGEVIN})")
  for key, label in (("jaxgan_over_blackjax_throughput", "BlackJAX"), ("jaxgan_over_torch_throughput", "PyTorch")):
    value = summary[key]
    print(f"  jaxgan MALA throughput / {label}: " + (f"{value:.2f}" if value else "skipped (not installed)")
          + (f" (target >= {TARGET_JAXGAN_OVER_BLACKJAX})" if label == "BlackJAX" else ""))
  print(f"wrote {args.out}")


if __name__ == "__main__":
  main()
