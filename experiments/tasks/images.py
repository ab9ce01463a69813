"""The image side of the main job: datasets, DCGAN/ResNet models, sample grids and classifier-based evaluation.

`experiments.train` dispatches here when `config["dataset"]` names an image
dataset: the offline `shapes` / `stacked_shapes` (no download) or a TFDS
dataset (`mnist`, `fashion_mnist`, `cifar10`, `celeb_a`; prepared data
needed). Offline datasets are scored with the in-project classifier's
features (Frechet distance, KID, precision/recall, density/coverage), the
Inception Score of its logits and, for `stacked_shapes`, the 1000-mode count.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

import jaxgan as jg

OFFLINE = ("shapes", "stacked_shapes")
IMAGE_DATASETS = OFFLINE + tuple(jg.data.TFDS_DATASETS)
MODELS = ("dcgan", "resnet")


def is_image(config: dict) -> bool:
  return config["dataset"] in IMAGE_DATASETS


# Held on device and drawn in-graph (CIFAR-10 as uint8 is 150 MB); CelebA is read from host storage.
ON_DEVICE = OFFLINE + ("mnist", "fashion_mnist", "cifar10")


def fits_on_device(config: dict) -> bool:
  return config["dataset"] in ON_DEVICE


def validate(config: dict) -> None:
  if config["model"] not in MODELS:
    raise ValueError(f"config['model'] must be one of {MODELS} for image datasets, got {config['model']!r}.")
  if config["critic"] == "autoencoder" and config["model"] != "dcgan":
    raise ValueError("config['critic'] 'autoencoder' is available with model 'dcgan' only.")
  size = jg.data.TFDS_DATASETS.get(config["dataset"], 32)
  if config["model"] == "resnet" and size != 32:
    raise ValueError(f"The ResNet models are for 32x32 images; {config['dataset']} is {size}x{size}.")
  if not isinstance(config["image_features"], int) or config["image_features"] < 1:
    raise ValueError(f"config['image_features'] must be an integer >= 1, got {config['image_features']!r}.")


def dataset(config: dict) -> jg.data.ImageSource:
  name = config["dataset"]
  if name in OFFLINE:
    return jg.data.offline_shapes(config["dataset_size"], stacked=name == "stacked_shapes", seed=config["seed"])
  return jg.data.tfds_images(name, data_dir=config.get("tfds_data_dir"))


# Offline held-out images are rendered with the training seed plus this: never seen in training.
HELD_OUT_SEED_OFFSET = 10_000


def held_out(config: dict, num: int) -> np.ndarray:
  """`num` real images the model never trained on: a fresh rendering (offline) or the TFDS `test` split."""
  name = config["dataset"]
  if name in OFFLINE:
    source = jg.data.offline_shapes(num, stacked=name == "stacked_shapes", seed=config["seed"] + HELD_OUT_SEED_OFFSET)
  else:
    source = jg.data.tfds_images(name, split="test", data_dir=config.get("tfds_data_dir"))
    if len(source) < num:
      raise ValueError(f"{name}'s test split has {len(source)} images; {num} held-out images were asked for.")
  return np.asarray(source.get(np.arange(num))[0])


def models(config: dict, image_shape: tuple, dtype, return_embeddings: bool = False):
  """Generator and critic for `image_shape` (32x32 or 64x64); `return_embeddings` for the autoencoder critic's codes."""
  f = config["image_features"]
  size, channels = image_shape[0], image_shape[-1]
  if config["model"] == "resnet":
    return (jg.models.ResNetGenerator(features=f, channels=channels, dtype=dtype),
            jg.models.ResNetCritic(features=f, spectral_norm=config["spectral_norm"], dtype=dtype))
  widths = dcgan_widths(config, size)
  if config["critic"] == "autoencoder":
    critic = jg.models.DCGANAutoencoderCritic(features=widths, bottleneck=config["latent_dim"],
                                              return_embeddings=return_embeddings, dtype=dtype)
  else:
    critic = jg.models.DCGANCritic(features=widths, spectral_norm=config["spectral_norm"], dtype=dtype)
  return jg.models.DCGANGenerator(features=widths[::-1], channels=channels, dtype=dtype), critic


def dcgan_widths(config: dict, size: int) -> tuple:
  """Conv widths f, 2f, 4f (, 8f) taking a 32x32 (64x64) image to 4x4."""
  return tuple(config["image_features"] * 2**i for i in range({32: 3, 64: 4}[size]))


def encoder(config: dict, image_shape: tuple):
  """The conv encoder of the InfoGAN entropy bound for images."""
  return jg.models.DCGANEncoder(config["latent_dim"], dcgan_widths(config, image_shape[0]))


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


@functools.lru_cache(maxsize=1)
def shape_classifier() -> jg.metrics.Classifier:
  """The in-project evaluator (trained once per process on seed-0 shapes, ~20 s on CPU)."""
  return jg.metrics.train_classifier(jg.data.offline_shapes(6000, seed=1234), steps=400)


def evaluate(source: jg.data.ImageSource, samples: np.ndarray, config: dict) -> dict:
  """Classifier-feature metrics for offline datasets; `{}` for TFDS ones (bring Inception features)."""
  if config["dataset"] not in OFFLINE:
    return {}
  classifier = shape_classifier()
  samples = np.asarray(samples)
  real = source.get(np.arange(min(len(source), samples.shape[0])))[0]
  real_features = jg.metrics.classifier_features(classifier, real)
  fake_features = jg.metrics.classifier_features(classifier, samples)
  # The classifier reads one channel: for stacked_shapes the IS is that of the first channel's shapes.
  inception_score, inception_score_std = jg.metrics.inception_score(classifier.apply(samples[..., :1])[1])
  kid, kid_std = jg.metrics.kernel_inception_distance(real_features, fake_features, num_subsets=10,
                                                      subset_size=min(500, samples.shape[0]))
  metrics = {
      "frechet_distance": jg.metrics.frechet_distance_from_features(real_features, fake_features),
      "kid": kid,
      "kid_std": kid_std,
      "inception_score": inception_score,
      "inception_score_std": inception_score_std,
      **jg.metrics.precision_recall(real_features, fake_features),
      **jg.metrics.density_coverage(real_features, fake_features),
  }
  if config["dataset"] == "stacked_shapes":
    metrics.update(jg.metrics.stacked_mode_count(classifier, samples))
  return metrics


def batches(source, rng_key, config: dict, start: int, sharding):
  return jg.data.image_batches(source, rng_key, batch_size=config["batch_size"], n_critic=config["n_critic"],
                               start_step=start, sharding=sharding)


def sample(generator_fn, rng_key, num: int, latent_dim: int, batch_size: int = 500) -> np.ndarray:
  """`num` samples of `generator_fn(z)`, `z ~ N(0, I)` from `rng_key`, generated `batch_size` at a time."""
  z = jax.random.normal(rng_key, (num, latent_dim))
  return np.concatenate([np.asarray(generator_fn(z[i:i + batch_size])) for i in range(0, num, batch_size)])


def example(source) -> jax.Array:
  return jnp.zeros((1, *source.image_shape))
