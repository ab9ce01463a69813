"""What every task shares: drawing samples of a generator in batches."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np


class Task:
  """Base of the tasks (the interface is described in `experiments.tasks`)."""

  EVALUATORS: tuple[str, ...] = ()

  @classmethod
  def check_evaluators(cls, config) -> None:
    unknown = sorted(set(config.evals) - set(cls.EVALUATORS))
    if unknown:
      raise ValueError(f"config.evals names {unknown}; the evaluators of {config.data.name} are {cls.EVALUATORS}.")

  @staticmethod
  def check_epoch_positions(config) -> None:
    """An in-graph stream over a finite dataset orders the first 2**32 examples a run draws (uint32 positions)."""
    drawn = config.steps * config.optim.n_critic * config.data.batch_size
    if drawn >= 2**32:
      raise ValueError(f"config.steps: {config.steps} steps of optim.n_critic x data.batch_size ="
                       f" {config.optim.n_critic * config.data.batch_size} examples draw {drawn:,} from the finite"
                       f" {config.data.name} dataset; its epoch order is defined for the first 2**32 (uint32"
                       f" positions). Use fewer steps or a smaller batch.")

  def __init__(self, config):
    self.config = config

  def class_labels(self, num: int) -> np.ndarray | None:
    """The labels of `num` conditional samples, sample i for class `i % num_classes`; None if unconditional."""
    num_classes = self.config.model.num_classes
    return None if num_classes is None else np.arange(num, dtype=np.int32) % num_classes

  def code_values(self, num: int) -> np.ndarray | None:
    """The first InfoGAN categorical code of `num` samples, sample i with value `i % K`; None without one."""
    categorical = self.config.model.categorical_codes
    return np.arange(num, dtype=np.int32) % categorical[0] if categorical else None

  def sample(self, gan, state, rng_key: jax.Array, num: int, batch_size: int = 500) -> np.ndarray:
    """`num` samples of one run's EMA generator, latents `gan.latents(rng_key, num)`, `batch_size` at a time.

    A conditional generator draws sample i for the label :meth:`class_labels` gives it; with InfoGAN codes,
    sample i takes value `i % K` of the first categorical code (:meth:`code_values`).
    """
    z = gan.latents(rng_key, num)
    values = self.code_values(num)
    if values is not None:  # the first categorical code sits right after the noise
      k = self.config.model.categorical_codes[0]
      z = z.at[:, gan.latent_dim:gan.latent_dim + k].set(jax.nn.one_hot(values, k))
    labels = self.class_labels(num)

    def chunk(i):
      chunk_labels = None if labels is None else jnp.asarray(labels[i:i + batch_size])
      return np.asarray(gan.generator_fn(state, labels=chunk_labels)(z[i:i + batch_size]))

    return np.concatenate([chunk(i) for i in range(0, num, batch_size)])

  def host_batches(self, data_key, start_step: int, sharding):
    raise NotImplementedError(f"{type(self).__name__} draws its data in-graph (`stream`).")

  def title(self, step: int) -> str:
    c = self.config
    return f"{c.objective.name} + {c.penalty.name or 'no penalty'} on {c.data.name}, step {step}"
