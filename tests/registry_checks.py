"""The contract `jg.losses` and `jg.penalties` share: `hyperparameters(name)` lists what `get(name, **kw)` takes."""

import re

import pytest


def assert_hyperparameters_are_what_get_takes(registry, names, evaluate, unknown_name):
  """Checks `registry.hyperparameters` against `registry.get` for every name.

  Passing every default back to `get` gives the same `evaluate(built)` value as no arguments; an unknown keyword
  raises an error listing the hyperparameters; an unknown name raises `get`'s own error.
  """
  for name in names:
    defaults = registry.hyperparameters(name)
    assert evaluate(registry.get(name, **defaults)) == evaluate(registry.get(name))
    with pytest.raises(ValueError, match=re.escape(f"its hyperparameters are: {list(defaults) or 'none'}")):
      registry.get(name, not_a_hyperparameter=1.0)
  with pytest.raises(ValueError) as from_get:
    registry.get(unknown_name)
  with pytest.raises(ValueError, match=re.escape(str(from_get.value))):
    registry.hyperparameters(unknown_name)
