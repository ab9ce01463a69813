"""What a gradient penalty costs: critic step with WGAN-GP / critic step without, per `method=`.

    python -m benchmarks.penalty_cost --quick     # < 1 minute on 2 CPU cores (CI runs this)
    python -m benchmarks.penalty_cost             # MLP, DCGAN and ResNet critics, batch 64 and 256

A critic step is loss + gradient + Adam update, jitted. All variants of one
(critic, batch) are timed interleaved in the same process (median of repeated
calls after compilation, `block_until_ready`), so the ratios are robust to
machine noise. Compile times are reported separately, and so is XLA's
temporary-buffer size of each compiled step (`memory_analysis()`, on every
backend) and the device's peak memory where the backend reports it. Writes JSON to
`--out` (default `benchmarks/results/penalty_cost.json`).
"""

from __future__ import annotations

import statistics
import time

import jax
import optax

import jaxgan as jg
from benchmarks import report as report_lib

TARGET_DCGAN_RATIO = 1.6


def critic_step(critic, method):
  """A jitted WGAN critic step, with the WGAN-GP penalty by `method` (None: no penalty)."""
  tx = optax.adam(1e-4, b1=0.5, b2=0.9)

  def loss(params, real, fake, key):
    critic_fn = lambda x: critic.apply(params, x)  # noqa: E731
    value = jg.losses.wasserstein_critic(critic_fn(real), critic_fn(fake))
    if method is not None:
      value = value + jg.penalties.wgan_gp(critic_fn, real, fake, key, method=method)
    return value

  @jax.jit
  def step(params, opt_state, real, fake, key):
    grads = jax.grad(loss)(params, real, fake, key)
    updates, opt_state = tx.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state

  return step, tx


def measure(name, critic, shape, batch, repeats):
  key = jax.random.key(0)
  real = jax.random.normal(jax.random.key(1), (batch, *shape))
  fake = jax.random.normal(jax.random.key(2), (batch, *shape))
  params = critic.init(key, real)
  variants = {"plain": None, **{m: m for m in jg.penalties.METHODS}}
  steps, compile_s, temp_bytes, times = {}, {}, {}, {v: [] for v in variants}
  for label, method in variants.items():
    step, tx = critic_step(critic, method)
    opt_state = tx.init(params)
    start = time.perf_counter()
    compiled = step.lower(params, opt_state, real, fake, key).compile()
    compile_s[label] = time.perf_counter() - start
    analysis = compiled.memory_analysis()
    temp_bytes[label] = getattr(analysis, "temp_size_in_bytes", None)
    jax.block_until_ready(compiled(params, opt_state, real, fake, key))
    steps[label] = (compiled, opt_state)
  for _ in range(repeats):
    for label, (step, opt_state) in steps.items():
      start = time.perf_counter()
      jax.block_until_ready(step(params, opt_state, real, fake, key))
      times[label].append(time.perf_counter() - start)
  median = {k: statistics.median(v) for k, v in times.items()}
  return {
      "critic": name,
      "batch": batch,
      "step_seconds": median,
      "ratio_to_plain": {k: median[k] / median["plain"] for k in median if k != "plain"},
      "compile_seconds": compile_s,
      "temp_bytes": temp_bytes,
      "peak_bytes": (jax.devices()[0].memory_stats() or {}).get("peak_bytes_in_use"),
  }


def main(argv=None):
  parser = report_lib.argument_parser(
      __doc__, name="penalty_cost", quick_help="small sizes, few repeats (CI)",
      repeats_help="timed rounds (default 3 quick / 15, 5 for the CPU ResNet; x10 on a GPU)")
  args = parser.parse_args(argv)
  critics = {
      "mlp_2d": (jg.models.MLPCritic(), (2,)),
      "dcgan_32x32x3": (jg.models.DCGANCritic(), (32, 32, 3)),
      "resnet_32x32x3": (jg.models.ResNetCritic(features=32 if args.quick else 128), (32, 32, 3)),
  }
  batches = (16,) if args.quick else (64, 256)
  repeats = report_lib.repeats(args.repeats, 3 if args.quick else 15)
  # The full-size ResNet critic takes seconds per vmap step on a CPU: fewer repeats there.
  resnet_repeats = report_lib.repeats(args.repeats, 3 if args.quick else 5)
  rows = [measure(name, critic, shape, b, resnet_repeats if name.startswith("resnet") else repeats)
          for name, (critic, shape) in critics.items() for b in batches]
  report = {
      **report_lib.run_facts("penalty_cost", args.quick),
      "target": f"WGAN-GP critic step / plain critic step <= {TARGET_DCGAN_RATIO} on the DCGAN critic",
      "rows": rows,
  }
  report_lib.write(args.out, report)
  print(f"{'critic':<16}{'batch':>6}  " + "  ".join(f"{m:>22}" for m in jg.penalties.METHODS) + "  target")
  for row in rows:
    target = f"<= {TARGET_DCGAN_RATIO}" if row["critic"].startswith("dcgan") else "-"
    print(f"{row['critic']:<16}{row['batch']:>6}  "
          + "  ".join(f"{row['ratio_to_plain'][m]:>22.2f}" for m in jg.penalties.METHODS) + f"  {target}")
  print(f"wrote {args.out}")


if __name__ == "__main__":
  main()
