"""Adapters from Flax Linen modules to the train step's pure functions."""

from __future__ import annotations

import flax.linen as nn


def generator_apply_fn(module: nn.Module):
  """`(params, z) -> x` for a Linen generator."""

  def apply(params, z):
    return module.apply({"params": params}, z)

  return apply


def critic_apply_fn(module: nn.Module):
  """`(params, model_state, x) -> (scores, new_model_state)` for a Linen critic.

  `model_state` holds the critic's non-trainable collections (e.g. spectral
  norm's `batch_stats`), which are mutable during the call.
  """

  def apply(params, model_state, x):
    if not model_state:
      return module.apply({"params": params}, x), model_state
    scores, new_state = module.apply({"params": params, **model_state}, x, mutable=list(model_state))
    return scores, dict(new_state)

  return apply
