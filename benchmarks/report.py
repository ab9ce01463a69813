"""What every benchmark report records about its run, and how it is written."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform

import jax


def argument_parser(doc: str, *, name: str, quick_help: str, repeats_help: str) -> argparse.ArgumentParser:
  """The flags every benchmark takes: `--quick`, `--out` and `--repeats`; a script adds its own.

  The description is the first paragraph of `doc` (the script's docstring);
  `--out` defaults to `benchmarks/results/<name>.json`; `--repeats` defaults to
  None, for `repeats` to pick.
  """
  parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
  parser.add_argument("--quick", action="store_true", help=quick_help)
  parser.add_argument("--out", default=f"benchmarks/results/{name}.json")
  parser.add_argument("--repeats", type=int, default=None, help=repeats_help)
  return parser


def run_facts(name: str, quick: bool) -> dict:
  """Benchmark name, date, backend, device, jax and Python versions, and the mode."""
  return {
      "benchmark": name,
      "date": datetime.date.today().isoformat(),
      "backend": jax.default_backend(),
      "device": str(jax.devices()[0].device_kind),
      "jax": jax.__version__,
      "python": platform.python_version(),
      "quick": quick,
  }


def repeats(requested: int | None, cpu_default: int) -> int:
  """Timed repeats: `requested` if given, else `cpu_default` on the CPU and 10x that on an accelerator.

  A GPU step takes milliseconds, where a CPU step takes up to seconds; more
  repeats keep its median as stable as the CPU's.
  """
  if requested is not None:
    if requested < 1:
      raise ValueError(f"--repeats must be >= 1, got {requested}.")
    return requested
  return cpu_default if jax.default_backend() == "cpu" else 10 * cpu_default


def torch_device():
  """(device, synchronize, facts) for the PyTorch side: CUDA when JAX runs on a GPU and torch sees one.

  On CUDA, TF32 is allowed for matrix products and convolutions (what XLA does
  for float32 by default) and cuDNN autotunes (as XLA does); `synchronize`
  waits for queued kernels so a host timer measures the work. Raises
  ImportError without torch.
  """
  import torch

  if jax.default_backend() == "gpu" and torch.cuda.is_available():
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    torch.backends.cudnn.benchmark = True
    facts = {"torch": torch.__version__, "device": torch.cuda.get_device_name(0), "tf32": True,
             "cudnn_benchmark": True}
    return torch.device("cuda"), torch.cuda.synchronize, facts
  return torch.device("cpu"), lambda: None, {"torch": torch.__version__, "device": "cpu",
                                              "threads": torch.get_num_threads()}


def write(path: str, report: dict) -> None:
  """Writes `report` as indented JSON, creating the directory."""
  os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
  with open(path, "w") as f:
    json.dump(report, f, indent=2)
