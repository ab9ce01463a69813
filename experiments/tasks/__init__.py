"""Tasks: what the main job trains on, as one interface (`experiments.train` has no dataset-kind branches).

A task owns its dataset, models, data feed, plots and evaluators:

- `Task.validate(config)` (static): checks the config fields the task reads,
  raising ValueError naming the field; nothing is loaded.
- `task = Task(config)`: loads the dataset.
- `task.example()`: a `(1, *data_shape)` zero batch for `GAN.init`.
- `task.models(dtype, return_embeddings)`: `(generator, critic)` Flax modules.
- `task.encoder(output_dim)`: the network of the MEG `encoder` bound and of InfoGAN's Q.
- `task.stream(data_key, mesh)`: an in-graph `jg.data` stream for `GAN.run`,
  or None when the data is read from host storage, then
  `task.host_batches(data_key, start_step, sharding)` (a grain iterator).
- `task.plot(path, gan, state, eval_key, step)`: a figure of one run.
- `task.evaluators`: `{name: fn(samples) -> dict}`, the metrics the config's
  `evals` section may name.
- `task.sample(gan, state, rng_key, n)`: `n` samples of one run's EMA
  generator as a NumPy array (sample i for class `i % num_classes` when
  conditional, or cluster frequencies with `data.cluster_labels`: `task.class_labels(n)`).

`get(config)` builds the task of `config.data.name`; `task_class(config)`
returns its class (for validation without loading).
"""

from __future__ import annotations

from experiments.tasks import images, toy


def task_class(config):
  """The task class of `config.data.name`: `images.ImageTask` for image datasets, `toy.ToyTask` otherwise."""
  return images.ImageTask if config.data.name in images.IMAGE_DATASETS else toy.ToyTask


def get(config):
  """The task of `config` (validated, dataset loaded)."""
  cls = task_class(config)
  cls.validate(config)
  return cls(config)
