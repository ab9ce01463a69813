"""Steps/s of the main job's training loop against the bare jitted step, and of N vmapped runs against N serial ones.

    python -m benchmarks.end_to_end --quick   # < 1 minute on 2 CPU cores (CI runs this)
    python -m benchmarks.end_to_end           # the configs' sizes; N = 1, 8, 64

A full run is `experiments/train.py`'s loop without plots and checkpoints,
built from its own pieces: `gan.run(state, stream, K)` per chunk (batches
drawn in-graph, `train._Feed`), chunks cut at the job's events
(`train._next_event`), and at every log step the health check
(`train._guard`) and the last step's metrics fetched to the host
(`train._log_records`). The bare step is `gan.step(state, batch)` on one
fixed batch in a Python loop, blocked at the end: the device's work alone, so
full run / bare step (in steps per second) is what the data and the host cost.

Loop rows, for the ring-8 MLP (`ring8_wgan_gp`) and the image configs
(`shapes_dcgan_wgan_gp` at n_critic 5; `shapes_dcgan_hinge_sn` and
`stacked_shapes_r3gan` at n_critic 1): the bare step and full runs at K = 1,
10 and the default K (`train.default_chunk_size`: 100, or 1 for image models
on CPU). K = 1 against K = 10 measures what a `lax.scan` over steps costs or
saves: XLA:CPU runs convolution gradients inside a while loop many times
slower than outside one, the reason for the CPU default of 1 on images.

Runs rows, for the ring-8 MLP at the default K: N runs trained one after
another (each a full run of the single-run program) against the main job
with `--config.num_runs=N` (one vmapped program), in run-steps per second. N = 1 is
the single run alone: the main job does not vmap one run.

Targets (issue #17, on a GPU): a full run >= 0.9x the bare step for the shapes
DCGAN; 64 vmapped ring-8 runs >= 10x the throughput of 64 serial runs.
Variants compared in a ratio are timed in the same interleaved rounds
(`benchmarks.train_step.interleaved_medians`); compile time is the first
call's excess over the median, reported separately. Each row records the
steps its state counted (`steps_done`) beside the steps it was asked to run
(`steps_expected`). Writes JSON to `--out` (default
`benchmarks/results/end_to_end.json`).
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp

import jaxgan as jg
from benchmarks import report as report_lib
from benchmarks.train_step import interleaved_medians
from experiments import configs as configs_lib
from experiments import train

LOOP_CONFIGS = ("ring8_wgan_gp", "shapes_dcgan_wgan_gp", "shapes_dcgan_hinge_sn", "stacked_shapes_r3gan")
RUNS_CONFIG = "ring8_wgan_gp"
PROBE_CHUNK = 10  # a short scan: enough to show the in-loop cost without waiting on its slowest case
# Quick mode: the same jobs with small players and batches (a seconds-long run of each program).
QUICK_SIZES = {"model.hidden": (32, 32), "data.batch_size": 16, "optim.n_critic": 1, "model.image_features": 4,
               "data.size": 256}
TARGETS = {
    "shapes_dcgan_wgan_gp full run / bare step at the default K": ">= 0.9 (GPU)",
    "64 vmapped ring8_wgan_gp runs / 64 serial runs (run-steps/s)": ">= 10 (GPU)",
}


def job_config(name: str, quick: bool):
  """The named config as benchmarked: small sizes in quick mode, and a job longer than any benchmark.

  `steps` only sets the cosine schedule's length (no effect on cost) and the
  job's last event; raised, the chunks end at the job's log, plot and
  checkpoint steps alone, however many rounds are timed.
  """
  return configs_lib.override(configs_lib.get_config(name), {**(QUICK_SIZES if quick else {}), "steps": 10**6})


def model_sizes(config) -> dict:
  """The sizes that set a config's cost: batch, critic updates and its model's widths."""
  width = "image_features" if config.model.name != "mlp" else "hidden"
  return {"batch_size": config.data.batch_size, "n_critic": config.optim.n_critic, width: config.model[width]}


def chunk_sizes(config, probe: bool) -> list[int]:
  """K = 1 and the default K, and with `probe` `PROBE_CHUNK` for image models, whose CPU default it explains.

  Quick mode leaves the probe out: at its sizes (one critic update per step)
  the in-loop cost does not show, and the probe's compilation is the
  longest of the quick run.
  """
  extra = {PROBE_CHUNK} if probe and config.model.name != "mlp" else set()
  return sorted({1, train.default_chunk_size(config), *extra})


def full_run(parts: dict, config, chunk_size: int, steps_per_call: int, state):
  """A callable training `steps_per_call` more steps as `train._train` does (no plots, no checkpoints); its holder.

  `state` is donated by the first call; the holder keeps the current state
  and step.
  """
  feed = train._Feed(parts, config, 0, None)  # the in-graph stream: nothing to close
  holder, halted = {"state": state, "step": 0}, {}

  def call():
    state, step = holder["state"], holder["step"]
    end = step + steps_per_call
    while step < end:
      num_steps = min(chunk_size, train._next_event(step, config) - step, end - step)
      state, metrics = feed.advance(state, num_steps)
      step += num_steps
      if step % config.log_every == 0:
        train._guard(state, halted)
        train._log_records(step, metrics)
    holder["state"], holder["step"] = jax.block_until_ready(state), step

  return call, holder


def bare_step(parts: dict, steps_per_call: int, state):
  """A callable running `gan.step` `steps_per_call` times on one fixed batch, blocked at the end; its holder."""
  gan, batch = parts["gan"], parts["stream"].batch(0)
  holder = {"state": state}

  def call():
    state = holder["state"]
    for _ in range(steps_per_call):
      state, _ = gan.step(state, batch)
    holder["state"] = jax.block_until_ready(state)

  return call, holder


def fresh_state(parts: dict):
  """A copy of the built initial state: each variant trains its own (the steps donate theirs)."""
  return jax.tree.map(jnp.copy, parts["state"])


def timed(callables: dict, repeats: int, compiled: tuple = ()) -> tuple[dict, dict]:
  """Median seconds per call (interleaved rounds) and compile seconds (a first call's excess over its median).

  Callables named in `compiled` run programs another variant already
  compiled: they make no warm-up call and report no compile time.
  """
  first = {}
  for name, fn in callables.items():
    if name not in compiled:
      start = time.perf_counter()
      fn()
      first[name] = time.perf_counter() - start
  medians = interleaved_medians(callables, repeats)
  return medians, {name: max(first[name] - medians[name], 0.0) if name in first else None for name in callables}


def loop_rows(name: str, config, parts: dict, repeats: int, probe: bool) -> list[dict]:
  """The bare step and a full run at each chunk size, timed in one set of interleaved rounds."""
  steps = max(PROBE_CHUNK, *chunk_sizes(config, probe))  # whole chunks of every K; >= 10 steps per timed call
  variants = {("bare_step", None): bare_step(parts, steps, fresh_state(parts))}
  for k in chunk_sizes(config, probe):
    variants["full_run", k] = full_run(parts, config, k, steps, fresh_state(parts))
  seconds, compile_seconds = timed({key: call for key, (call, _) in variants.items()}, repeats)
  return [dict(config=name, variant=variant, chunk_size=k, default_chunk=k == train.default_chunk_size(config),
               steps_per_call=steps, steps_per_second=steps / seconds[variant, k],
               compile_seconds=compile_seconds[variant, k], steps_expected=(repeats + 1) * steps,
               steps_done=int(holder["state"].step))
          for (variant, k), (_, holder) in variants.items()]


def runs_rows(config, single: dict, num_runs: int, repeats: int) -> list[dict]:
  """N serial single runs against one N-run vmapped program (both from `train.build`), interleaved.

  Serial run i starts from run i of the vmapped program's initial state and
  data key (`select_run`), so both train the same N runs. The single-run
  program at the default K is the loop rows' (already compiled).
  """
  chunk = train.default_chunk_size(config)
  if num_runs == 1:
    variants = {"serial": [full_run(single, config, chunk, chunk, fresh_state(single))]}
  else:
    vmapped = train.build(configs_lib.override(config, {"num_runs": num_runs}))
    streams = [single["stream"].replace(rng_key=key) for key in vmapped["stream"].rng_key]
    variants = {"serial": [full_run({**single, "stream": stream}, config, chunk, chunk,
                                    jg.train.select_run(vmapped["state"], i)) for i, stream in enumerate(streams)],
                "vmapped": [full_run(vmapped, config, chunk, chunk, fresh_state(vmapped))]}
  calls = {name: (lambda runs=runs: [call() for call, _ in runs]) for name, runs in variants.items()}
  seconds, compile_seconds = timed(calls, repeats, compiled=("serial",))
  rows = []
  for name, runs in variants.items():
    done = sorted({s for _, holder in runs for s in jnp.atleast_1d(holder["state"].step).tolist()})
    calls_made = repeats if name == "serial" else repeats + 1  # serial makes no warm-up call
    rows.append(dict(num_runs=num_runs, variant=name, chunk_size=chunk, steps_per_call=chunk,
                     run_steps_per_second=num_runs * chunk / seconds[name], compile_seconds=compile_seconds[name],
                     steps_expected=calls_made * chunk, steps_done=done))
  return rows


def ratios(loop: list[dict], runs: list[dict]) -> dict:
  """Full run / bare step per config and K, K = 1 / K = 10 per config, and vmapped / serial per N (steps/s)."""
  bare = {r["config"]: r["steps_per_second"] for r in loop if r["variant"] == "bare_step"}
  full = {(r["config"], r["chunk_size"]): r["steps_per_second"] for r in loop if r["variant"] == "full_run"}
  serial = {r["num_runs"]: r["run_steps_per_second"] for r in runs if r["variant"] == "serial"}
  over_bare = {}
  for (name, k), speed in full.items():
    over_bare.setdefault(name, {})[str(k)] = speed / bare[name]
  return {
      "full_run_over_bare_step": over_bare,
      "chunk_1_over_chunk_10": {name: full[name, 1] / full[name, k] for (name, k) in full if k == PROBE_CHUNK},
      "vmapped_over_serial": {str(r["num_runs"]): r["run_steps_per_second"] / serial[r["num_runs"]]
                              for r in runs if r["variant"] == "vmapped"},
  }


def main(argv=None):
  parser = report_lib.argument_parser(__doc__, name="end_to_end",
                                      quick_help="small players and batches, N = 1 and 8 (CI)",
                                      repeats_help="timed rounds (default 3, x10 on a GPU)")
  args = parser.parse_args(argv)
  repeats = report_lib.repeats(args.repeats, 3)
  built, loop = {}, []
  for name in LOOP_CONFIGS:
    config = job_config(name, args.quick)
    built[name] = train.build(config)
    loop += loop_rows(name, config, built[name], repeats, probe=not args.quick)
  runs = []
  for num_runs in (1, 8) if args.quick else (1, 8, 64):
    runs += runs_rows(job_config(RUNS_CONFIG, args.quick), built[RUNS_CONFIG], num_runs, repeats)
  report = {
      **report_lib.run_facts("end_to_end", args.quick),
      "device_count": jax.device_count(),
      "repeats": repeats,
      "sizes": {name: model_sizes(job_config(name, args.quick)) for name in LOOP_CONFIGS},
      "targets": TARGETS,
      "loop": loop,
      "runs": runs,
      "ratios": ratios(loop, runs),
  }
  report_lib.write(args.out, report)
  for row in loop:
    print(f"{row['config']:<22} {row['variant']:<10} K={row['chunk_size'] or '-':<4} {row['steps_per_second']:>9.1f}"
          f" steps/s (compile {row['compile_seconds']:.1f} s)")
  for row in runs:
    print(f"N={row['num_runs']:<3} {row['variant']:<8} {row['run_steps_per_second']:>9.1f} run-steps/s")
  print(f"ratios: {report['ratios']}")
  print(f"wrote {args.out}")


if __name__ == "__main__":
  main()
