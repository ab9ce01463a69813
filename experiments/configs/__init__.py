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
