"""The 2-D task: a `jg.data` mixture (ring8, grid25, ...), MLP players, contour plots and mode coverage."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

import jaxgan as jg
from experiments.tasks.base import Task


class ToyTask(Task):
  """Data drawn in-graph from `fold_in(data_key, step)`; evaluators: `modes` (mixtures with modes)."""

  EVALUATORS = ("modes",)

  @classmethod
  def validate(cls, config) -> None:
    dataset = jg.data.get(config.data.name)
    if config.model.name != "mlp":
      raise ValueError(f"config.model.name must be 'mlp' for 2-D data ({config.data.name}), got"
                       f" {config.model.name!r}.")
    cls.check_evaluators(config)
    if config.data.cluster_labels:
      raise ValueError(f"config.data.cluster_labels clusters image datasets; a conditional run on {config.data.name}"
                       f" takes its mode index as the label (model.num_classes).")
    size = config.data.toy_dataset_size
    if not (isinstance(size, int) and not isinstance(size, bool) and 0 <= size < 2**32):
      raise ValueError(f"config.data.toy_dataset_size must be 0 (fresh samples every step) or an integer in"
                       f" [1, 2**32), got {size!r}.")
    if size:
      cls.check_epoch_positions(config)
    if "modes" in config.evals and dataset.modes is None:
      raise ValueError(f"config.evals.modes: {config.data.name} has no modes to cover.")
    model = config.model
    if model.num_classes is not None:
      if dataset.modes is None or model.num_classes != len(dataset.modes):
        raise ValueError(f"config.model.num_classes: a conditional {config.data.name} run takes the mode index as"
                         f" its label, so num_classes must be the number of modes"
                         f" ({None if dataset.modes is None else len(dataset.modes)}), got {model.num_classes}.")
      if model.autoencoder_critic:
        raise ValueError("config.model.autoencoder_critic: the autoencoder critics are unconditional; unset"
                         " model.num_classes or use the MLP critic.")
    if config.objective.auxiliary_classifier and (model.num_classes is None or model.conditioning != "auxiliary"):
      raise ValueError("config.objective.auxiliary_classifier (AC-GAN) needs model.num_classes and"
                       " model.conditioning = 'auxiliary' (the critic's class head).")
    if model.conditioning not in jg.models.CONDITIONINGS:
      raise ValueError(f"config.model.conditioning must be one of {jg.models.CONDITIONINGS}, got"
                       f" {model.conditioning!r}.")

  def __init__(self, config):
    super().__init__(config)
    self.dataset = jg.data.get(config.data.name)
    self.evaluators = {"modes": self._modes}

  def example(self) -> jax.Array:
    return jnp.zeros((1, 2))

  def models(self, dtype, return_embeddings: bool = False):
    model = self.config.model
    hidden = tuple(model.hidden)
    generator = jg.models.MLPGenerator(output_dim=2, hidden=tuple(model.generator_hidden) or hidden,
                                       num_classes=model.num_classes, conditional_norm=model.conditional_norm,
                                       virtual_batch_norm=model.virtual_batch_norm, batch_norm=model.batch_norm,
                                       init_std=model.init_std, dtype=dtype)
    if model.autoencoder_critic:
      return generator, jg.models.MLPAutoencoderCritic(hidden=hidden, bottleneck=2,
                                                       return_embeddings=return_embeddings, dtype=dtype)
    return generator, jg.models.MLPCritic(hidden=hidden, spectral_norm=model.spectral_norm, dtype=dtype,
                                          return_features=bool(self.config.objective.feature_matching),
                                          num_classes=model.num_classes, conditioning=model.conditioning,
                                          minibatch=model.minibatch, maxout_pieces=model.maxout_pieces,
                                          init_std=model.init_std)

  def encoder(self, output_dim: int):
    return jg.models.MLPGenerator(output_dim=output_dim, hidden=tuple(self.config.model.hidden))

  def stream(self, data_key, mesh=None):
    del mesh  # drawn in-graph: every device draws its shard of the same batch
    return jg.data.toy_stream(self.dataset, data_key, batch_size=self.config.data.batch_size,
                              n_critic=self.config.optim.n_critic, labels=self.config.model.num_classes is not None,
                              dataset_size=self.config.data.toy_dataset_size or None)

  def _modes(self, samples: np.ndarray) -> dict:
    """Mode coverage; a conditional run (sample i drawn for mode `i % num_classes`) adds whether it hit that mode,
    an InfoGAN run (sample i drawn with code value `i % K`) how cleanly its code values pick modes."""
    results = jg.metrics.mode_coverage(samples, self.dataset.modes, self.dataset.std)
    labels = self.class_labels(len(samples))
    if labels is not None:
      results.update(jg.metrics.conditional_mode_accuracy(samples, labels, self.dataset.modes, self.dataset.std))
    values = self.code_values(len(samples))
    if values is not None:
      results.update(jg.metrics.code_mode_purity(samples, values, self.dataset.modes, self.dataset.std))
    return results

  def plot(self, path: str, gan, state, eval_key, step: int) -> None:
    """Real vs EMA-generated samples over the critic's contour map."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    real = np.asarray(self.dataset.sample(jax.random.key(1), 1000))
    fake = self.sample(gan, state, eval_key, 1000)
    lim = float(np.max(np.abs(real))) * 1.3
    grid = np.linspace(-lim, lim, 120)
    xx, yy = np.meshgrid(grid, grid)
    points = jnp.asarray(np.stack([xx.ravel(), yy.ravel()], -1), jnp.float32)
    # A conditional critic is drawn for the label of each point's nearest mode.
    nearest = None if self.class_labels(1) is None else jnp.argmin(
        jnp.linalg.norm(points[:, None] - jnp.asarray(self.dataset.modes, jnp.float32)[None], axis=-1), axis=1)
    # A packed critic (PacGAN) is drawn on packs of m copies of each point.
    scores = gan.critic_fn(state, labels=nearest)(jg.techniques.pack(jnp.repeat(points, gan.packing, 0), gan.packing))
    fig, ax = plt.subplots(figsize=(5, 5))
    contour = ax.contourf(xx, yy, np.asarray(scores).reshape(xx.shape), levels=20, cmap="coolwarm", alpha=0.6)
    is_energy = gan.objective.scores == "energies"
    fig.colorbar(contour, ax=ax, fraction=0.046, label="energy U(x)" if is_energy else "critic score")
    ax.scatter(real[:, 0], real[:, 1], s=4, c="k", alpha=0.5, label="real")
    ax.scatter(fake[:, 0], fake[:, 1], s=4, c="tab:green", alpha=0.6, label="generated (EMA)")
    ax.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal", title=self.title(step))
    ax.legend(loc="upper right", fontsize=8)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
