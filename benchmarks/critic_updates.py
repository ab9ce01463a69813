"""Steps/s of the image configs' train step at n_critic = 1 and 2.

    python -m benchmarks.critic_updates --quick   # seconds on 2 CPU cores (CI runs this)
    python -m benchmarks.critic_updates           # the configs' own sizes

Each row is the main job's step as a CPU image run dispatches it, one step per
call (`gan.run(state, stream, 1)`, batches drawn in-graph), for a config with
`optim.n_critic` set to 1 and to 2. A step at n_critic = 2 does one more critic
update than at 1, so `n_critic_2_over_1` (seconds per step) should lie between
1 and 2; far below 1 means the single-update program compiled worse than the
double one. That happened on XLA:CPU while the critic updates ran in a fully
unrolled `lax.scan`: a one-update step took 7-9x longer than a two-update step
(benchmarks/RESULTS.md, section 6); they now run in a Python loop.

Whether these steps could run several to a dispatch (a `lax.scan` over
steps) is `benchmarks.end_to_end`'s K = 10 probe, which covers the same
configs. Variants are timed in the same interleaved rounds; writes JSON to
`--out` (default `benchmarks/results/critic_updates.json`).
"""

from __future__ import annotations

import time

import jax

from benchmarks import report as report_lib
from benchmarks.end_to_end import job_config
from benchmarks.train_step import interleaved_medians
from experiments import configs as configs_lib
from experiments import train

CONFIGS = ("shapes_dcgan_hinge_sn", "stacked_shapes_r3gan")


def compiled_step(name: str, n_critic: int, quick: bool):
  """`(step, compile_seconds, box)`: a zero-argument callable running one step of the config (`box["state"]`)."""
  config = configs_lib.override(job_config(name, quick), {"optim.n_critic": n_critic})
  parts = train.build(train.validate_config(config))
  gan, stream, box = parts["gan"], parts["stream"], {"state": parts["state"]}

  def step():
    box["state"], _ = gan.run(box["state"], stream, 1)
    jax.block_until_ready(box["state"])

  start = time.perf_counter()
  step()
  return step, time.perf_counter() - start, box


def main(argv=None):
  parser = report_lib.argument_parser(__doc__, name="critic_updates", quick_help="tiny players and batches (CI)",
                                      repeats_help="timed rounds (default 20, x10 on a GPU)")
  args = parser.parse_args(argv)
  repeats = report_lib.repeats(args.repeats, 20)
  rows = []
  for name in CONFIGS:
    steps, compile_seconds, boxes = {}, {}, {}
    for n_critic in (1, 2):
      steps[n_critic], compile_seconds[n_critic], boxes[n_critic] = compiled_step(name, n_critic, args.quick)
    medians = interleaved_medians(steps, repeats)
    rows.append({"config": name, **{f"n_critic_{k}_steps_per_second": 1.0 / medians[k] for k in steps},
                 **{f"n_critic_{k}_first_call_seconds": compile_seconds[k] for k in steps},
                 **{f"n_critic_{k}_steps_done": int(boxes[k]["state"].step) for k in steps},
                 "n_critic_2_over_1": medians[2] / medians[1]})
  report_lib.write(args.out, {**report_lib.run_facts("critic_updates", args.quick), "repeats": repeats, "rows": rows})
  for row in rows:
    print(f"{row['config']:<24} n_critic 1: {row['n_critic_1_steps_per_second']:7.2f} steps/s,"
          f" 2: {row['n_critic_2_steps_per_second']:7.2f} steps/s, seconds per step 2/1 = {row['n_critic_2_over_1']:.2f}")


if __name__ == "__main__":
  main()
