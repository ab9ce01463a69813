"""Pseudo-labels for a conditional GAN without labels: k-means clusters of the real data (self-conditioning)."""

from __future__ import annotations

import numpy as np

from jaxgan._src import validation


def cluster_labels(features, num_clusters: int, *, seed: int = 0, restarts: int = 5) -> np.ndarray:
  r"""k-means cluster index of every row of `features`, to train a class-conditional GAN on unlabelled data.

  The self-conditioned GAN (Liu, Wang, Zhu, Isola & Torralba, Diverse Image
  Generation via Self-Conditioned GANs, CVPR 2020, Section 3) partitions the
  real data into k clusters and trains a conditional GAN on the cluster
  indices as labels, fakes drawn for the real batch's labels, so the
  generator's label distribution is the clusters' empirical one. Each
  conditional is simpler than the whole distribution, and the critic sees
  each cluster apart. The rows are L2-normalised (k-means on the cosine
  geometry, as for network features) and clustered by Lloyd's algorithm
  from k-means++ starts (scikit-learn's `KMeans`); of `restarts` restarts
  the one with the smallest within-cluster sum of squares is kept, and
  clusters are numbered by decreasing size (ties: by first occurrence).

  Args:
    features: `(n, ...)` features of the n real examples (flattened per row): pixels, or a network's activations.
    num_clusters: k, in [2, n].
    seed: seed of the k-means++ starts; the same features and seed give the same labels.
    restarts: independent k-means runs (>= 1).

  Returns:
    int32 labels `(n,)` in [0, k), every cluster non-empty.

  Raises:
    ValueError: `features` is not a non-empty numeric array with a batch axis, holds a non-finite value, or
      `num_clusters` or `restarts` is out of range.
  """
  x = _unit_rows(features)
  n = x.shape[0]
  if isinstance(num_clusters, bool) or not isinstance(num_clusters, (int, np.integer)) or not 2 <= num_clusters <= n:
    raise ValueError(f"`num_clusters` must be an integer in [2, {n}] (the number of rows of `features`), got"
                     f" {num_clusters!r}.")
  restarts = validation.check_positive_int(restarts, "restarts")
  # Imported on use: `import jaxgan` stays free of scikit-learn's start-up.
  from sklearn.cluster import KMeans

  best = KMeans(int(num_clusters), n_init=restarts, random_state=seed).fit(x).labels_
  counts = np.bincount(best, minlength=num_clusters)
  first = np.full(num_clusters, n)
  np.minimum.at(first, best, np.arange(n))
  order = np.lexsort((first, -counts))  # by size, then by first occurrence: the numbering is canonical
  return np.argsort(order)[best].astype(np.int32)


def recluster_labels(features, previous_labels, *, seed: int = 0) -> np.ndarray:
  r"""New k-means clusters of `features`, numbered to agree with `previous_labels`: the self-conditioned GAN's step.

  Liu et al. (Diverse Image Generation via Self-Conditioned GANs, CVPR 2020,
  Section 3.2) re-cluster the real data on the current discriminator's
  features during training. To keep the generator's class embeddings
  meaningful across a re-clustering, Lloyd's algorithm starts from the
  previous clusters' means under the new features (a cluster that was empty
  starts at a random row, drawn with `seed`), and the new clusters are then
  renumbered by the one-to-one matching that maximises the number of rows
  keeping their label (the Hungarian algorithm on the k x k overlap counts).
  Rows are L2-normalised, as in :func:`cluster_labels`.

  Args:
    features: `(n, ...)` features of the n real examples under the current network (flattened per row).
    previous_labels: int labels `(n,)` in [0, k): the clusters the GAN has trained on; k >= 2 is their number
      (the highest label plus one, or more if the last clusters are empty).
    seed: draws the start of a cluster that `previous_labels` leaves empty.

  Returns:
    int32 labels `(n,)` in [0, k), each new cluster under the previous label it shares most rows with.

  Raises:
    ValueError: bad `features` (as :func:`cluster_labels`), or `previous_labels` not integers in [0, n) of
      shape `(n,)` with at least two clusters.
  """
  x = _unit_rows(features)
  n = x.shape[0]
  previous = np.asarray(previous_labels)
  if (previous.shape != (n,) or not np.issubdtype(previous.dtype, np.integer) or previous.min() < 0
      or previous.max() >= n or previous.max() < 1):
    raise ValueError(f"`previous_labels` must be integer labels (n,) = ({n},) in [0, n) naming k >= 2 clusters, got"
                     f" dtype {previous.dtype}, shape {previous.shape} and range"
                     f" [{previous.min() if previous.size else None}, {previous.max() if previous.size else None}].")
  k = int(previous.max()) + 1
  counts = np.bincount(previous, minlength=k)
  means = np.zeros((k, x.shape[1]), np.float64)
  np.add.at(means, previous, x)
  starts = means / np.maximum(counts, 1)[:, None]
  empty = np.flatnonzero(counts == 0)
  starts[empty] = x[np.random.default_rng(seed).choice(n, size=empty.size, replace=False)]
  # Imported on use: `import jaxgan` stays free of scikit-learn's start-up.
  from sklearn.cluster import KMeans

  new = KMeans(k, init=starts.astype(np.float32), n_init=1).fit(x).labels_
  return _match_clusters(new, previous, k)[new].astype(np.int32)


def _match_clusters(labels, reference, num_clusters: int) -> np.ndarray:
  """The renumbering `m` (`m[i]`: the new number of cluster i) under which `m[labels]` agrees with `reference` on the
  most rows: the maximum-weight one-to-one matching of the k x k overlap counts (the Hungarian algorithm)."""
  from scipy.optimize import linear_sum_assignment  # scikit-learn's own dependency

  overlap = np.zeros((num_clusters, num_clusters), np.int64)
  np.add.at(overlap, (labels, reference), 1)
  rows, cols = linear_sum_assignment(overlap, maximize=True)
  mapping = np.empty(num_clusters, np.int64)
  mapping[rows] = cols
  return mapping


def _unit_rows(features) -> np.ndarray:
  """`features` flattened per row and L2-normalised as float32 `(n, d)`, after checking them."""
  features = np.asarray(features)
  if features.ndim < 2 or features.shape[0] == 0 or not np.issubdtype(features.dtype, np.number):
    raise ValueError(f"`features` must be a numeric array (n, ...) with n >= 1 rows, got dtype {features.dtype} and"
                     f" shape {features.shape}.")
  x = features.reshape(features.shape[0], -1).astype(np.float32)
  if not np.isfinite(x).all():
    raise ValueError("`features` holds a non-finite value.")
  return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
