"""Steps/s of the image configs' train step at n_critic = 1 and 2, and at n_critic = 1 in chunks of 1 and 10 steps.

    python -m benchmarks.critic_updates --quick   # seconds on 2 CPU cores (CI runs this)
    python -m benchmarks.critic_updates           # the configs' own sizes, with the chunk probe

Each row is the main job's step as a CPU image run dispatches it, one step per
call (`gan.run(state, stream, 1)`, batches drawn in-graph), for a config with
`optim.n_critic` set to 1 and to 2. A step at n_critic = 2 does one more critic
update than at 1, so `n_critic_2_over_1` (seconds per step) should lie between
1 and 2; far below 1 means the single-update program compiled worse than the
double one. That happened on XLA:CPU while the critic updates ran in a fully
unrolled `lax.scan`: a one-update step took 7-9x longer than a two-update step
(benchmarks/RESULTS.md, section 6); they now run in a Python loop.

The chunk probe (full mode, or `--chunk-probe`) asks whether the steps
themselves may now run in a `lax.scan`: ten steps at n_critic = 1 as one
`gan.run(state, stream, 10)` against ten `gan.run(state, stream, 1)` calls
(`chunk_10_over_1`, seconds per step; above 1 means `train.default_chunk_size`
is right to keep CPU image runs at one step per dispatch). Variants are timed
in the same interleaved rounds, the chunk probe in rounds of its own; writes
JSON to `--out` (default `benchmarks/results/critic_updates.json`).
"""

from __future__ import annotations

import time

import jax

from benchmarks import report as report_lib
from benchmarks.end_to_end import PROBE_CHUNK, job_config
from benchmarks.train_step import interleaved_medians
from experiments import configs as configs_lib
from experiments import train

CONFIGS = ("shapes_dcgan_hinge_sn", "stacked_shapes_r3gan")


def compiled_step(name: str, n_critic: int, quick: bool, chunk_size: int = 1, calls: int = 1):
  """`(step, compile_seconds, box)`: a zero-argument callable advancing the config's state (`box["state"]`).

  Each call runs `calls` dispatches of `chunk_size` steps, blocked at the end.
  """
  config = configs_lib.override(job_config(name, quick), {"optim.n_critic": n_critic})
  parts = train.build(train.validate_config(config))
  gan, stream, box = parts["gan"], parts["stream"], {"state": parts["state"]}

  def step():
    for _ in range(calls):
      box["state"], _ = gan.run(box["state"], stream, chunk_size)
    jax.block_until_ready(box["state"])

  start = time.perf_counter()
  step()
  return step, time.perf_counter() - start, box


def chunk_probe(name: str, quick: bool, repeats: int) -> dict:
  """Ten n_critic = 1 steps as one `PROBE_CHUNK`-step dispatch against ten one-step dispatches, interleaved."""
  variants = {k: compiled_step(name, 1, quick, chunk_size=k, calls=PROBE_CHUNK // k) for k in (1, PROBE_CHUNK)}
  medians = interleaved_medians({k: step for k, (step, _, _) in variants.items()}, repeats)
  return {**{f"chunk_{k}_steps_per_second": PROBE_CHUNK / medians[k] for k in variants},
          **{f"chunk_{k}_first_call_seconds": first for k, (_, first, _) in variants.items()},
          **{f"chunk_{k}_steps_done": int(box["state"].step) for k, (_, _, box) in variants.items()},
          "chunk_10_over_1": medians[PROBE_CHUNK] / medians[1]}


def main(argv=None):
  parser = report_lib.argument_parser(__doc__, name="critic_updates", quick_help="tiny players and batches (CI)",
                                      repeats_help="timed rounds (default 20, x10 on a GPU; the chunk probe a"
                                                   " quarter of them, at least 1)")
  parser.add_argument("--chunk-probe", action="store_true", help="run the chunk probe in quick mode too")
  args = parser.parse_args(argv)
  repeats = report_lib.repeats(args.repeats, 20)
  probe = args.chunk_probe or not args.quick
  rows = []
  for name in CONFIGS:
    steps, compile_seconds, boxes = {}, {}, {}
    for n_critic in (1, 2):
      steps[n_critic], compile_seconds[n_critic], boxes[n_critic] = compiled_step(name, n_critic, args.quick)
    medians = interleaved_medians(steps, repeats)
    rows.append({"config": name, **{f"n_critic_{k}_steps_per_second": 1.0 / medians[k] for k in steps},
                 **{f"n_critic_{k}_first_call_seconds": compile_seconds[k] for k in steps},
                 **{f"n_critic_{k}_steps_done": int(boxes[k]["state"].step) for k in steps},
                 "n_critic_2_over_1": medians[2] / medians[1],
                 **(chunk_probe(name, args.quick, max(1, repeats // 4)) if probe else {})})
  report_lib.write(args.out, {**report_lib.run_facts("critic_updates", args.quick), "repeats": repeats, "rows": rows})
  for row in rows:
    print(f"{row['config']:<24} n_critic 1: {row['n_critic_1_steps_per_second']:7.2f} steps/s,"
          f" 2: {row['n_critic_2_steps_per_second']:7.2f} steps/s, seconds per step 2/1 = {row['n_critic_2_over_1']:.2f}")
    if "chunk_10_over_1" in row:
      print(f"{'':<24} n_critic 1 in chunks of 1: {row['chunk_1_steps_per_second']:7.2f} steps/s, of"
            f" {PROBE_CHUNK}: {row['chunk_10_steps_per_second']:7.2f} steps/s, seconds per step 10/1 ="
            f" {row['chunk_10_over_1']:.2f}")


if __name__ == "__main__":
  main()
