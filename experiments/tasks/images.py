"""The image task: datasets, DCGAN/ResNet players, sample grids and feature-based evaluation.

Datasets: the offline `shapes` / `stacked_shapes` (rendered here, no
download) or a prepared TFDS dataset (`mnist`, `fashion_mnist`, `cifar10`,
`celeb_a`). Those that fit in device memory are held there as a `jg.data`
stream; CelebA is read from host storage by a grain iterator.

Evaluators: `frechet` (Frechet distance, KID, precision/recall,
density/coverage of image features and the Inception Score of their logits),
`stacked_modes` (the 1000-mode count of `stacked_shapes`) and, for a
conditional run (`model.num_classes`; projection critic, class-conditional
generator norms), `class_agreement` (how often the classifier names the
class each sample was drawn for). The features
are the in-project shape classifier's for the offline datasets, or those of a
user function given once per process with `use_features("module:function")`
(the scripts' `--features` flag): `fn(images (n, H, W, C) in [-1, 1]) ->
features (n, k)`, or `(features, logits)` to add the Inception Score. Every
image evaluation of the experiments goes through :func:`features_and_logits`.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.metadata
import inspect
import json
import os
import tempfile

import flax.serialization
import jax
import jax.numpy as jnp
import numpy as np

import jaxgan as jg
from experiments.tasks.base import Task

OFFLINE = ("shapes", "stacked_shapes")
IMAGE_DATASETS = OFFLINE + tuple(jg.data.TFDS_DATASETS)
MODELS = ("dcgan", "resnet")
# Held on device and drawn in-graph (CIFAR-10 as uint8 is 150 MB); CelebA is read from host storage.
ON_DEVICE = OFFLINE + ("mnist", "fashion_mnist", "cifar10")
# The class count of each labelled image dataset (a conditional run's `model.num_classes`); celeb_a and
# stacked_shapes (whose label is its 1000-mode index) take no class conditioning.
CLASSES = {"shapes": len(jg.data.SHAPE_CLASSES), "mnist": 10, "fashion_mnist": 10, "cifar10": 10}
# Offline held-out images are rendered with the training seed plus this: never seen in training.
HELD_OUT_SEED_OFFSET = 10_000

_user_features = {"spec": None, "fn": None}


def use_features(spec: str | None) -> None:
  """Scores every later image evaluation with `module:function`'s features (None: the in-project classifier)."""
  if spec is None:
    _user_features.update(spec=None, fn=None)
    return
  module, _, attr = spec.partition(":")
  if not module or not attr:
    raise ValueError(f"--features must be 'module:function', got {spec!r}.")
  try:
    fn = getattr(importlib.import_module(module), attr)
  except (ImportError, AttributeError) as e:
    raise ValueError(f"--features {spec!r}: {e}.") from None
  if not callable(fn):
    raise ValueError(f"--features {spec!r} is not a function.")
  _user_features.update(spec=spec, fn=fn)


def features_name() -> str:
  """What the image metrics are computed on: the user's `module:function`, or the in-project classifier."""
  return _user_features["spec"] or "in-project shape classifier"


def has_features(dataset: str) -> bool:
  """Whether images of `dataset` can be scored: a user feature function, or an offline dataset."""
  return _user_features["fn"] is not None or dataset in OFFLINE


def features_and_logits(images) -> tuple[np.ndarray, np.ndarray | None]:
  """`(features (n, k), logits (n, classes) or None)` of images in [-1, 1], from the user's function or the
  in-project classifier (channels featurised separately and concatenated; logits of the first channel)."""
  images = np.asarray(images)
  if _user_features["fn"] is not None:
    out = _user_features["fn"](images)
    features, logits = out if isinstance(out, tuple) else (out, None)
    return np.asarray(features), None if logits is None else np.asarray(logits)
  classifier = shape_classifier()
  return jg.metrics.classifier_features(classifier, images), classifier.apply(images[..., :1])[1]


# The in-project evaluator's training: 400 Adam steps on 6,000 shapes rendered with seed 1234.
CLASSIFIER_TRAINING = {"num_examples": 6000, "seed": 1234, "steps": 400}
CACHE_DIR_ENV = "JAXGAN_CACHE_DIR"


def cache_dir() -> str:
  """Where trained evaluators are kept between processes: `$JAXGAN_CACHE_DIR`, else `~/.cache/jaxgan`."""
  return os.environ.get(CACHE_DIR_ENV) or os.path.join(os.path.expanduser("~"), ".cache", "jaxgan")


def _classifier_cache_path() -> str:
  """The cache file of the in-project classifier, named by everything its parameters depend on: the training
  settings, the versions of jax, jaxlib, flax and optax, the device kind, and the source of the network, the
  trainer and the shapes renderer (a change to any gives a new file, never a stale classifier)."""
  digest = hashlib.sha256(json.dumps(CLASSIFIER_TRAINING, sort_keys=True).encode())
  for package in ("jax", "jaxlib", "flax", "optax"):
    digest.update(f"{package}=={importlib.metadata.version(package)}".encode())
  digest.update(jax.devices()[0].device_kind.encode())  # trained on a GPU, a classifier differs in the last bits
  for module in (jg.metrics.train_classifier, jg.data.offline_shapes):
    digest.update(inspect.getsource(inspect.getmodule(module)).encode())
  return os.path.join(cache_dir(), f"shape_classifier-{digest.hexdigest()[:16]}.msgpack")


@functools.lru_cache(maxsize=1)
def shape_classifier() -> jg.metrics.Classifier:
  """The in-project evaluator: trained once per machine (~20 s on CPU) and then read from :func:`cache_dir`.

  Training is deterministic, so the cached parameters are those a fresh training would give on this machine;
  an unreadable cache file is retrained and replaced. The file is written whole or not at all (a temporary
  file renamed into place), so processes that train it at the same time never read a partial one.
  """
  path = _classifier_cache_path()
  net = jg.metrics.ShapeClassifierNet(len(jg.data.SHAPE_CLASSES))
  try:
    with open(path, "rb") as f:
      cached = flax.serialization.msgpack_restore(f.read())
    return jg.metrics.Classifier(net, cached["params"], float(cached["test_accuracy"]))
  except Exception:  # noqa: BLE001 -- absent (not trained on this machine yet) or unreadable: train it
    pass
  settings = dict(CLASSIFIER_TRAINING)
  source = jg.data.offline_shapes(settings.pop("num_examples"), seed=settings.pop("seed"))
  classifier = jg.metrics.train_classifier(source, **settings)
  os.makedirs(os.path.dirname(path), exist_ok=True)
  with tempfile.NamedTemporaryFile(dir=os.path.dirname(path), suffix=".tmp", delete=False) as f:
    f.write(flax.serialization.msgpack_serialize(
        {"params": jax.device_get(classifier.params), "test_accuracy": classifier.test_accuracy}))
  os.replace(f.name, path)
  return classifier


def image_metrics(real_features: np.ndarray, fake_features: np.ndarray, fake_logits: np.ndarray | None) -> dict:
  """Frechet distance, KID, precision/recall, density/coverage and (with logits) the Inception Score."""
  kid, kid_std = jg.metrics.kernel_inception_distance(real_features, fake_features, num_subsets=10,
                                                      subset_size=min(500, fake_features.shape[0]))
  metrics = {"frechet_distance": jg.metrics.frechet_distance_from_features(real_features, fake_features),
             "kid": kid, "kid_std": kid_std,
             **jg.metrics.precision_recall(real_features, fake_features),
             **jg.metrics.density_coverage(real_features, fake_features)}
  if fake_logits is not None:
    metrics["inception_score"], metrics["inception_score_std"] = jg.metrics.inception_score(fake_logits)
  return metrics


def dataset(config) -> jg.data.ImageSource:
  """The training images; with `data.cluster_labels = k`, labelled by their k-means clusters (:func:`clustered`)."""
  name = config.data.name
  if name in OFFLINE:
    source = jg.data.offline_shapes(config.data.size, stacked=name == "stacked_shapes", seed=config.seed)
  else:
    source = jg.data.tfds_images(name, data_dir=config.data.tfds_data_dir)
  return clustered(source, config) if config.data.cluster_labels else source


def clustered(source: jg.data.ImageSource, config) -> jg.data.ImageSource:
  """`source`'s images labelled by `jg.techniques.cluster_labels` of their pixels, or with `data.cluster_critic`
  of that trained run's critic features (:func:`critic_features`), into `data.cluster_labels` clusters."""
  images = np.asarray(source.get(np.arange(len(source)))[0])
  workdir, k = config.data.cluster_critic, config.data.cluster_labels
  features = images if workdir is None else critic_features(workdir, config, images)
  labels = jg.techniques.cluster_labels(features, k, seed=config.seed)
  return jg.data.array_images(images, labels, name=f"{source.name} ({k} clusters)", num_classes=k)


def critic_features(workdir: str, config, images: np.ndarray) -> np.ndarray:
  """The critic's last features (`return_features`: the flattened last conv activations) of `images`, from the
  checkpoint `data.cluster_critic_step` (None: the newest) of the unconditional single-run image run in
  `workdir`, trained on `config`'s images."""
  from experiments import train  # imported on use: `experiments.train` imports the tasks

  where = f"config.data.cluster_critic={workdir!r}"
  trained = _first_run_config(workdir)
  same = [f"data.{key}" for key in ("name", "size") if trained.data[key] != config.data[key]]
  same += ["seed"] if trained.seed != config.seed else []
  if same:
    raise ValueError(f"{where} trained on other images ({', '.join(same)} differ): its critic's features would"
                     f" cluster images it never saw.")
  if trained.model.num_classes is not None or trained.model.autoencoder_critic or trained.num_runs != 1:
    raise ValueError(f"{where}: the run must be an unconditional single run (num_runs 1) with a DCGAN or ResNet"
                     f" critic, not an autoencoder critic.")
  state, parts = train.load_trained(trained, workdir, step=config.data.cluster_critic_step)
  return last_features(parts["task"].models(jnp.float32, return_features=True)[1], state.critic, images)


def last_features(critic, player, images: np.ndarray, labels: np.ndarray | None = None,
                  batch_size: int = 500) -> np.ndarray:
  """`critic`'s last features (built with `return_features`) of `images` under the player state's parameters, in
  batches; a conditional critic is given `labels` (its features are those before the class projection)."""
  variables = {"params": player.params, **player.model_state}
  apply = jax.jit(lambda x, y: critic.apply(variables, x, y)["features"])
  return np.concatenate([np.asarray(apply(images[i:i + batch_size], None if labels is None else
                                          labels[i:i + batch_size])) for i in range(0, len(images), batch_size)])


def _first_run_config(workdir: str):
  """The config of the run named by `data.cluster_critic`, or a ValueError if `workdir` is not a run's."""
  from experiments import train  # imported on use: `experiments.train` imports the tasks

  if not os.path.isfile(os.path.join(workdir, "config.json")):
    raise ValueError(f"config.data.cluster_critic={workdir!r} holds no config.json: not the work directory of a"
                     f" training run.")
  return train.load_config(workdir)


def pin_cluster_critic_step(config, workdir: str) -> None:
  """Sets a None `data.cluster_critic_step` to the checkpoint of the `data.cluster_critic` run to cluster with.

  A run starting in `workdir` takes that run's newest checkpoint; a run resuming there takes the step its saved
  config names. So labels never change within a run, even when the first run has trained on since (its
  checkpoint at the pinned step must still exist: restoring a missing one is an error naming the step).
  """
  from experiments import train  # imported on use: `experiments.train` imports the tasks

  source = config.data.cluster_critic
  if not config.data.cluster_labels or source is None or config.data.cluster_critic_step is not None:
    return
  if os.path.isfile(os.path.join(workdir, "config.json")):
    saved = train.load_config(workdir).data
    if saved.cluster_critic == source:
      config.data.cluster_critic_step = saved.cluster_critic_step  # None for runs written before the field
      return
  checkpointer = train.open_checkpointer(_first_run_config(source), source, save_every=1)
  try:
    step = checkpointer.latest_step()
  finally:
    checkpointer.close()
  if step is None:
    raise ValueError(f"config.data.cluster_critic={source!r} holds no checkpoint: train that run first.")
  config.data.cluster_critic_step = int(step)


def held_out(config, num: int) -> np.ndarray:
  """`num` real images the model never trained on: a fresh rendering (offline) or the TFDS `test` split."""
  name = config.data.name
  if name in OFFLINE:
    source = jg.data.offline_shapes(num, stacked=name == "stacked_shapes", seed=config.seed + HELD_OUT_SEED_OFFSET)
  else:
    source = jg.data.tfds_images(name, split="test", data_dir=config.data.tfds_data_dir)
    if len(source) < num:
      raise ValueError(f"{name}'s test split has {len(source)} images; {num} held-out images were asked for.")
  return np.asarray(source.get(np.arange(num))[0])


def dcgan_widths(config, size: int) -> tuple:
  """Conv widths f, 2f, 4f (, 8f) taking a 32x32 (64x64) image to 4x4."""
  return tuple(config.model.image_features * 2**i for i in range({32: 3, 64: 4}[size]))


def plot_samples(path: str, samples: np.ndarray, title: str, columns: int = 8) -> None:
  """A grid of generated images in [-1, 1]."""
  import matplotlib

  matplotlib.use("Agg")
  import matplotlib.pyplot as plt

  samples = np.clip((np.asarray(samples[: columns * columns]) + 1.0) / 2.0, 0.0, 1.0)
  rows = int(np.ceil(samples.shape[0] / columns))
  h, w, c = samples.shape[1:]
  grid = np.ones((rows * (h + 1), columns * (w + 1), c))
  for i, image in enumerate(samples):
    r, k = divmod(i, columns)
    grid[r * (h + 1):r * (h + 1) + h, k * (w + 1):k * (w + 1) + w] = image
  fig, ax = plt.subplots(figsize=(columns * 0.8, rows * 0.8 + 0.4))
  ax.imshow(grid[..., 0] if c == 1 else grid, cmap="gray" if c == 1 else None, vmin=0, vmax=1)
  ax.set_title(title, fontsize=8)
  ax.axis("off")
  fig.savefig(path, dpi=100, bbox_inches="tight")
  plt.close(fig)


class ImageTask(Task):
  """Image datasets with DCGAN or ResNet players; evaluators `frechet`, (stacked_shapes) `stacked_modes` and
  (conditional runs) `class_agreement`."""

  EVALUATORS = ("frechet", "stacked_modes", "class_agreement")

  @classmethod
  def validate(cls, config) -> None:
    model = config.model
    if model.name not in MODELS:
      raise ValueError(f"config.model.name must be one of {MODELS} for image datasets, got {model.name!r}.")
    name = config.data.name
    if config.data.toy_dataset_size:
      raise ValueError(f"config.data.toy_dataset_size sets the sample set of 2-D data; {name} is an image dataset"
                       f" (its size is data.size for the offline renderings).")
    clusters = config.data.cluster_labels
    if isinstance(clusters, bool) or not isinstance(clusters, int) or clusters < 0:
      raise ValueError(f"config.data.cluster_labels must be an integer >= 0 (0: off; k: k-means clusters as labels),"
                       f" got {clusters!r}.")
    step = config.data.cluster_critic_step
    if step is not None and (config.data.cluster_critic is None or isinstance(step, bool) or not isinstance(step, int)
                             or step < 0):
      raise ValueError(f"config.data.cluster_critic_step picks a checkpoint (an integer >= 0) of the run named by"
                       f" data.cluster_critic; got {step!r} with data.cluster_critic {config.data.cluster_critic!r}.")
    if config.data.cluster_critic is not None and not clusters:
      raise ValueError("config.data.cluster_critic names the run whose critic features are clustered: set"
                       " data.cluster_labels (the number of clusters) too.")
    if clusters:
      if clusters < 2 or name not in ON_DEVICE:
        raise ValueError(f"config.data.cluster_labels clusters an image dataset held on device {ON_DEVICE} into"
                         f" k >= 2 groups; got {clusters} for {name}.")
      if model.num_classes != clusters:
        raise ValueError(f"config.model.num_classes must be data.cluster_labels ({clusters}): the clusters are the"
                         f" conditional GAN's classes; got {model.num_classes}.")
      if "class_agreement" in config.evals:
        raise ValueError("config.evals.class_agreement asks for the dataset's classes; with data.cluster_labels the"
                         " labels are clusters. Drop the evaluator.")
    if model.num_classes is not None and not clusters:
      if name not in CLASSES:
        raise ValueError(f"config.model.num_classes: {name} has no class labels to condition on; conditional image"
                         f" runs take {tuple(CLASSES)}.")
      if model.num_classes != CLASSES[name]:
        raise ValueError(f"config.model.num_classes must be {name}'s {CLASSES[name]} classes, got"
                         f" {model.num_classes}.")
      if model.conditioning != "projection":
        raise ValueError(f"config.model.conditioning: the image critics condition by projection (Miyato & Koyama"
                         f" 2018); got {model.conditioning!r}.")
      if model.autoencoder_critic:
        raise ValueError("config.model.autoencoder_critic: the autoencoder critics are unconditional; unset"
                         " model.num_classes or model.autoencoder_critic.")
    if config.objective.auxiliary_classifier:
      raise ValueError("config.objective.auxiliary_classifier (AC-GAN): the image critics have no class head; it is"
                       " available with the MLP critic (model.conditioning = 'auxiliary').")
    if "class_agreement" in config.evals and model.num_classes is None:
      raise ValueError("config.evals.class_agreement scores a conditional run: set model.num_classes.")
    if model.autoencoder_critic and model.name != "dcgan":
      raise ValueError("config.model.autoencoder_critic is available with model.name 'dcgan' only.")
    size = jg.data.TFDS_DATASETS.get(config.data.name, 32)
    if model.name == "resnet" and size != 32:
      raise ValueError(f"The ResNet models are for 32x32 images; {config.data.name} is {size}x{size}.")
    if config.num_runs > 1 and config.data.name not in ON_DEVICE:
      raise ValueError(f"config.num_runs > 1 needs a dataset held on device; {config.data.name} is streamed from"
                       " host storage. Train its seeds as separate runs.")
    if config.data.name in ON_DEVICE:
      cls.check_epoch_positions(config)
    cls.check_evaluators(config)
    if "stacked_modes" in config.evals and name != "stacked_shapes":
      raise ValueError(f"config.evals.stacked_modes counts the modes of stacked_shapes, not {name}.")

  def __init__(self, config):
    super().__init__(config)
    self.dataset = dataset(config)
    self.evaluators = {"frechet": self._frechet, "stacked_modes": self._stacked_modes,
                       "class_agreement": self._class_agreement}
    self._real_features = {}

  def example(self) -> jax.Array:
    return jnp.zeros((1, *self.dataset.image_shape))

  def models(self, dtype, return_embeddings: bool = False, return_features: bool | None = None):
    """Generator and critic for the dataset's 32x32 or 64x64 images (conditional ones with `model.num_classes`).

    The critic returns its last features beside the scores with `return_features` (default: for feature matching).
    """
    model = self.config.model
    if return_features is None:
      return_features = bool(self.config.objective.feature_matching)
    size, channels, classes = self.dataset.image_shape[0], self.dataset.image_shape[-1], model.num_classes
    if model.name == "resnet":
      return (jg.models.ResNetGenerator(features=model.image_features, channels=channels, num_classes=classes,
                                        dtype=dtype),
              jg.models.ResNetCritic(features=model.image_features, spectral_norm=model.spectral_norm,
                                     return_features=return_features, num_classes=classes, dtype=dtype))
    widths = dcgan_widths(self.config, size)
    if model.autoencoder_critic:
      critic = jg.models.DCGANAutoencoderCritic(features=widths, bottleneck=model.latent_dim,
                                                return_embeddings=return_embeddings, dtype=dtype)
    else:
      critic = jg.models.DCGANCritic(features=widths, spectral_norm=model.spectral_norm, dtype=dtype,
                                     return_features=return_features, num_classes=classes)
    return jg.models.DCGANGenerator(features=widths[::-1], channels=channels, num_classes=classes,
                                    virtual_batch_norm=model.virtual_batch_norm, dtype=dtype), critic

  def encoder(self, output_dim: int):
    """The conv encoder of the MEG encoder bound (`latent_dim` outputs) or of InfoGAN's Q (one per code value)."""
    return jg.models.DCGANEncoder(output_dim,
                                  dcgan_widths(self.config, self.dataset.image_shape[0]))

  def class_labels(self, num: int) -> np.ndarray | None:
    """Classes `i % num_classes`, or with `data.cluster_labels` the clusters of `num` training images in a seeded
    order: the clusters' frequencies, as training draws fakes for the real batch's labels."""
    if not self.config.data.cluster_labels:
      return super().class_labels(num)
    order = np.random.default_rng(self.config.seed).permutation(len(self.dataset))
    return self.dataset.get(np.resize(order, num))[1]

  def recluster(self, state) -> np.ndarray:
    """The training images re-clustered on the critic features of `state` (`data.recluster_every`): new labels,
    numbered to agree with the current ones (`jg.techniques.recluster_labels`); :meth:`relabel` applies them."""
    if jax.process_count() > 1:
      raise ValueError("config.data.recluster_every re-clusters in one process; this job has"
                       f" {jax.process_count()}.")
    images, labels = self.dataset.get(np.arange(len(self.dataset)))
    features = last_features(self.models(jnp.float32, return_features=True)[1], state.critic, images, labels)
    return jg.techniques.recluster_labels(features, labels, seed=self.config.seed)

  def relabel(self, labels) -> None:
    """Gives the training images the cluster labels `labels` (a re-clustering, or one restored from a checkpoint)."""
    images = self.dataset.get(np.arange(len(self.dataset)))[0]
    self.dataset = jg.data.array_images(images, np.asarray(labels, np.int32), name=self.dataset.name,
                                        num_classes=self.dataset.num_classes)

  def stream(self, data_key, mesh=None):
    if self.config.data.name not in ON_DEVICE:
      return None
    return jg.data.image_stream(self.dataset, data_key, mesh=mesh, batch_size=self.config.data.batch_size,
                                n_critic=self.config.optim.n_critic, labels=self.config.model.num_classes is not None)

  def host_batches(self, data_key, start_step: int, sharding):
    return jg.data.image_batches(self.dataset, data_key, batch_size=self.config.data.batch_size,
                                 n_critic=self.config.optim.n_critic, start_step=start_step, sharding=sharding)

  def plot(self, path: str, gan, state, eval_key, step: int) -> None:
    plot_samples(path, self.sample(gan, state, eval_key, 64), self.title(step))

  def _frechet(self, samples: np.ndarray) -> dict:
    if not has_features(self.config.data.name):
      return {"frechet_skipped": f"no image features for {self.config.data.name}: pass --features module:function"}
    n = min(len(self.dataset), samples.shape[0])
    key = (features_name(), n)
    if key not in self._real_features:  # the training images' features, computed once per extractor and size
      self._real_features[key] = features_and_logits(self.dataset.get(np.arange(n))[0])[0]
    fake_features, fake_logits = features_and_logits(samples)
    return {**image_metrics(self._real_features[key], fake_features, fake_logits), "features": features_name()}

  def _stacked_modes(self, samples: np.ndarray) -> dict:
    return jg.metrics.stacked_mode_count(shape_classifier(), samples)

  def _class_agreement(self, samples: np.ndarray) -> dict:
    """How often the classifier (in-project, or the logits of `--features`) names each sample's requested class."""
    logits = features_and_logits(samples)[1] if has_features(self.config.data.name) else None
    if logits is None:
      return {"class_agreement_skipped": f"no classifier logits for {self.config.data.name}: pass --features"
                                         " module:function returning (features, logits)"}
    return jg.metrics.class_agreement(logits, self.class_labels(len(samples)))
