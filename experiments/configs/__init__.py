"""Named train configs: each module has `get_config() -> ml_collections.ConfigDict` (fields: `_base.py`).

`python -m experiments.train --config NAME` runs one; sub-directories hold the
configs of the other experiment scripts (`loss_zoo/`, ...).
"""

import copy
import os

import ml_collections

from experiments import cli

CONFIG_DIR = os.path.dirname(__file__)
CONFIG_NAMES = cli.config_names(CONFIG_DIR)


def get_config(name: str) -> ml_collections.ConfigDict:
  """The named config (or a config file's), unlocked: tests and scripts change its fields before use."""
  return cli.load(name, CONFIG_DIR)


def override(config: ml_collections.ConfigDict, changes: dict) -> ml_collections.ConfigDict:
  """A copy of `config` with `{dotted field: value}` set (`{"optim.n_critic": 1}`); an unknown field raises."""
  config = copy.deepcopy(config)
  for path, value in changes.items():
    section, _, key = path.rpartition(".")
    node = config
    for part in filter(None, section.split(".")):
      node = node[part]
    if key not in node:
      raise KeyError(f"config has no field {path!r}.")
    node[key] = value
  return config


# What a smoke run shrinks to: the MLP widths, batch, critic updates, length, logging and eval sizes of `tiny`.
QUICK_FIELDS = ("model.hidden", "model.generator_hidden", "data.batch_size", "optim.n_critic", "steps", "log_every",
                "plot_every", "checkpoint_every")


def shrink_to_tiny(config: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
  """A copy of `config` with the `QUICK_FIELDS` of `tiny` and its evaluation size: a seconds-long version."""
  tiny = flatten(get_config("tiny"))
  config = override(config, {field: tiny[field] for field in QUICK_FIELDS})
  for evaluator in config.evals.values():
    evaluator.num_samples = tiny["evals.modes.num_samples"]
  return config


def flatten(config) -> dict:
  """`{dotted field: value}` of a config's leaves (tuples stay tuples)."""
  flat = {}
  for key, value in config.items():
    if isinstance(value, (dict, ml_collections.ConfigDict)):
      flat.update({f"{key}.{k}": v for k, v in flatten(value).items()})
    else:
      flat[key] = value
  return flat
