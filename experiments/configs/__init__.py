"""Named experiment configs: each module has `get_config() -> dict`."""

import importlib
import pkgutil

CONFIG_NAMES = sorted(
    m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")
)


def get_config(name: str) -> dict:
  """Returns the config dict of the named config module."""
  if name not in CONFIG_NAMES:
    raise ValueError(f"Unknown config {name!r}; available: {', '.join(CONFIG_NAMES)}.")
  return importlib.import_module(f"{__name__}.{name}").get_config()


# What a smoke run shrinks: the MLP widths, batch, critic updates, length and logging of `tiny`.
QUICK_KEYS = ("hidden", "batch_size", "n_critic", "steps", "log_every", "plot_every", "checkpoint_every",
              "eval_samples")


def shrink_to_tiny(config: dict) -> dict:
  """`config` with the `QUICK_KEYS` of the `tiny` config: a seconds-long version of the same run."""
  tiny = get_config("tiny")
  return {**config, **{k: tiny[k] for k in QUICK_KEYS}}
