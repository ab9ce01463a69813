"""Every docstring example of the public modules runs and prints what it shows."""

import doctest
import importlib

import pytest

MODULES = ["jaxgan.losses", "jaxgan.penalties", "jaxgan.samplers", "jaxgan.train", "jaxgan._src.training.gan",
           "jaxgan._src.training.hyperparams", "jaxgan.techniques"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
  module = importlib.import_module(name)
  result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False)
  assert result.attempted > 0, f"{name} has no docstring example"
  assert result.failed == 0
