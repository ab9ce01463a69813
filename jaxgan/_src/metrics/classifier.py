"""An in-project classifier for offline evaluation: features for FD/KID/PR/DC and StackedMNIST-style mode counting.

Inception features need weights this project never downloads. For offline
runs, a small CNN trained on the offline shapes dataset in seconds gives
features (its penultimate layer) and per-channel class predictions; stacking
three channels gives the 1000-mode count of the StackedMNIST protocol
(Metz et al. 2017; Srivastava et al. 2017).

To use Inception features instead, compute them with your own weights file
(e.g. the pt_inception-2015-12-05 weights used by clean-fid, converted to a
JAX/Flax function of `(batch, 299, 299, 3)` images in [-1, 1]) and pass the
feature arrays to `jaxgan.metrics.frechet_distance_from_features` and friends.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxgan._src import validation
from jaxgan._src.metrics.modes import mode_histogram_kl


class ShapeClassifierNet(nn.Module):
  """`(batch, H, W, 1) -> (features (batch, 128), logits (batch, num_classes))`: two strided convs and an MLP."""

  num_classes: int = 10

  @nn.compact
  def __call__(self, x):
    x = nn.relu(nn.Conv(32, (3, 3), strides=(2, 2))(x))
    x = nn.relu(nn.Conv(64, (3, 3), strides=(2, 2))(x))
    features = nn.relu(nn.Dense(128)(x.reshape(x.shape[0], -1)))
    return features, nn.Dense(self.num_classes)(features)


class Classifier(NamedTuple):
  """A trained single-channel classifier: `net.apply({"params": params}, x) -> (features, logits)`."""

  net: nn.Module
  params: Any
  test_accuracy: float

  def apply(self, images, batch_size: int = 1024):
    """`(features, logits)` of single-channel images `(n, H, W, 1)`, in batches."""
    apply_fn = jax.jit(self.net.apply)
    outputs = [apply_fn({"params": self.params}, jnp.asarray(images[i:i + batch_size]))
               for i in range(0, images.shape[0], batch_size)]
    return tuple(np.concatenate([np.asarray(o[j]) for o in outputs]) for j in range(2))


def train_classifier(source, *, steps: int = 600, batch_size: int = 128, learning_rate: float = 2e-3,
                     seed: int = 0, test_examples: int = 1000) -> Classifier:
  """Trains :class:`ShapeClassifierNet` on a single-channel :class:`jaxgan.data.ImageSource` with labels.

  The last `test_examples` examples are held out; their accuracy is returned.
  """
  steps = validation.check_positive_int(steps, "steps")
  if source.image_shape[-1] != 1 or source.num_classes is None:
    raise ValueError(f"`source` must be single-channel and labelled, got {source.name!r} with shape"
                     f" {source.image_shape} and num_classes {source.num_classes}.")
  n_train = len(source) - test_examples
  if n_train < batch_size:
    raise ValueError(f"`source` has {len(source)} examples: too few for {test_examples} test examples and"
                     f" batch_size {batch_size}.")
  images, labels = source.get(np.arange(len(source)))
  net = ShapeClassifierNet(source.num_classes)
  params = net.init(jax.random.key(seed), jnp.zeros((1, *source.image_shape)))["params"]
  tx = optax.adam(learning_rate)
  opt_state = tx.init(params)

  @jax.jit
  def step(params, opt_state, x, y):
    def loss_fn(p):
      return optax.softmax_cross_entropy_with_integer_labels(net.apply({"params": p}, x)[1], y).mean()

    grads = jax.grad(loss_fn)(params)
    updates, opt_state = tx.update(grads, opt_state)
    return optax.apply_updates(params, updates), opt_state

  rng = np.random.default_rng(seed)
  for _ in range(steps):
    idx = rng.integers(0, n_train, batch_size)
    params, opt_state = step(params, opt_state, images[idx], labels[idx])
  classifier = Classifier(net, params, 0.0)
  logits = classifier.apply(images[n_train:])[1]
  return classifier._replace(test_accuracy=float(np.mean(np.argmax(logits, 1) == labels[n_train:])))


def stacked_mode_count(classifier: Classifier, images) -> dict:
  """Modes of C-channel samples: classify each channel, count distinct class tuples (C = 1: plain classes).

  With C = 3 this is the StackedMNIST protocol (1000 modes for 10 classes);
  with C = 1 it is the class histogram, which shows a sampler that shifts the
  class mix even when each sample looks real.

  Returns:
    :func:`jaxgan.metrics.mode_histogram_kl` of the predicted classes:
    `modes_covered` (distinct tuples), `num_modes` (`classes**C`),
    `kl_to_uniform`: KL(histogram of tuples || uniform over all modes), and
    its split into `channel_kl` (each channel's class imbalance) and
    `total_correlation` (dependence between channels). Exact samples do not
    score 0: the histogram of N uniform draws over K modes has KL ~
    (K - 1) / (2N) (2N KL is asymptotically chi-squared with K - 1 degrees
    of freedom), 0.050 for K = 1000 at N = 10,000 and 0.019 at the
    published protocol's N = 26,000, so KLs compare only at equal N.

  References:
    Metz et al., Unrolled GANs, ICLR 2017, Section 3.3 (StackedMNIST);
    Srivastava et al., VEEGAN, NeurIPS 2017, Table 2.
  """
  images = np.asarray(images)
  if images.ndim != 4:
    raise ValueError(f"`images` must have shape (n, H, W, C), got {images.shape}.")
  classes = [np.argmax(classifier.apply(images[..., c:c + 1])[1], axis=1) for c in range(images.shape[-1])]
  return mode_histogram_kl(np.stack(classes, axis=1), classifier.net.num_classes)


def classifier_features(classifier: Classifier, images) -> np.ndarray:
  """Penultimate features `(n, 128 * C)` of images `(n, H, W, C)`; channels are embedded separately and concatenated."""
  images = np.asarray(images)
  return np.concatenate([classifier.apply(images[..., c:c + 1])[0] for c in range(images.shape[-1])], axis=1)


def class_agreement(logits, labels) -> dict[str, float]:
  """How often a classifier names the class each conditional sample was drawn for.

  The accuracy of a pretrained classifier on class-conditional samples
  (the "classification accuracy" of AC-GAN, Odena et al. 2017, Section 4.1;
  CAS-style evaluation).

  Args:
    logits: the classifier's logits `(n, num_classes)` on the samples.
    labels: the requested class of each sample, integers `(n,)` in `[0, num_classes)`.

  Returns:
    `class_agreement` (fraction of samples classified as requested) and
    `min_class_agreement` (that fraction for the worst class among those requested).
  """
  logits = np.asarray(logits)
  if logits.ndim != 2:
    raise ValueError(f"`logits` must have shape (n, num_classes), got {logits.shape}.")
  labels = validation.check_per_sample_ints(labels, "labels", logits.shape[0])
  if labels.size == 0 or labels.min() < 0 or labels.max() >= logits.shape[1]:
    raise ValueError(f"`labels` must be non-empty and index the {logits.shape[1]} classes of `logits`.")
  hits = np.argmax(logits, axis=1) == labels
  return {"class_agreement": float(hits.mean()),
          "min_class_agreement": float(min(hits[labels == c].mean() for c in np.unique(labels)))}
