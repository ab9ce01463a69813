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
  features = np.asarray(features)
  if features.ndim < 2 or features.shape[0] == 0 or not np.issubdtype(features.dtype, np.number):
    raise ValueError(f"`features` must be a numeric array (n, ...) with n >= 1 rows, got dtype {features.dtype} and"
                     f" shape {features.shape}.")
  n = features.shape[0]
  if isinstance(num_clusters, bool) or not isinstance(num_clusters, (int, np.integer)) or not 2 <= num_clusters <= n:
    raise ValueError(f"`num_clusters` must be an integer in [2, {n}] (the number of rows of `features`), got"
                     f" {num_clusters!r}.")
  restarts = validation.check_positive_int(restarts, "restarts")
  x = features.reshape(n, -1).astype(np.float32)
  if not np.isfinite(x).all():
    raise ValueError("`features` holds a non-finite value.")
  x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
  from sklearn.cluster import KMeans  # imported on use: `import jaxgan` stays free of scikit-learn's start-up

  best = KMeans(int(num_clusters), n_init=restarts, random_state=seed).fit(x).labels_
  counts = np.bincount(best, minlength=num_clusters)
  first = np.full(num_clusters, n)
  np.minimum.at(first, best, np.arange(n))
  order = np.lexsort((first, -counts))  # by size, then by first occurrence: the numbering is canonical
  return np.argsort(order)[best].astype(np.int32)
