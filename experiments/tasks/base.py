"""What every task shares: drawing samples of a generator in batches."""

from __future__ import annotations

import jax
import numpy as np


class Task:
  """Base of the tasks (the interface is described in `experiments.tasks`)."""

  EVALUATORS: tuple[str, ...] = ()

  @classmethod
  def check_evaluators(cls, config) -> None:
    unknown = sorted(set(config.evals) - set(cls.EVALUATORS))
    if unknown:
      raise ValueError(f"config.evals names {unknown}; the evaluators of {config.data.name} are {cls.EVALUATORS}.")

  def __init__(self, config):
    self.config = config

  def sample(self, generator_fn, rng_key: jax.Array, num: int, batch_size: int = 500) -> np.ndarray:
    """`num` samples of `generator_fn(z)`, `z ~ N(0, I)` from `rng_key`, generated `batch_size` at a time."""
    z = jax.random.normal(rng_key, (num, self.config.model.latent_dim))
    return np.concatenate([np.asarray(generator_fn(z[i:i + batch_size])) for i in range(0, num, batch_size)])

  def host_batches(self, data_key, start_step: int, sharding):
    raise NotImplementedError(f"{type(self).__name__} draws its data in-graph (`stream`).")

  def title(self, step: int) -> str:
    c = self.config
    return f"{c.objective.name} + {c.penalty.name or 'no penalty'} on {c.data.name}, step {step}"
