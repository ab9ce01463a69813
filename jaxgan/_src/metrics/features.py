"""Sample-quality metrics on feature sets: Frechet distance, KID, precision/recall, density/coverage.

All take features of shape `(num_samples, dim)` from any extractor (Inception
pool features, an in-project classifier's penultimate layer, raw 2-D points)
and compute in float64 NumPy: they are evaluation code, run once per
evaluation, where float32 matrix square roots lose digits.
"""

from __future__ import annotations

import numpy as np


def _features(x, name: str) -> np.ndarray:
  x = np.asarray(x)
  if x.ndim != 2 or x.shape[0] < 2:
    raise ValueError(f"`{name}` must have shape (num_samples >= 2, dim), got {x.shape}.")
  if not np.issubdtype(x.dtype, np.floating):
    raise TypeError(f"`{name}` must be floating point, got {x.dtype}.")
  if not np.all(np.isfinite(x)):
    raise ValueError(f"`{name}` contains NaN or inf values.")
  return x.astype(np.float64)


def _pair(real, fake):
  real, fake = _features(real, "real_features"), _features(fake, "fake_features")
  if real.shape[1] != fake.shape[1]:
    raise ValueError(f"`real_features` and `fake_features` must have the same dim, got {real.shape[1]} and"
                     f" {fake.shape[1]}.")
  return real, fake


def feature_statistics(features) -> tuple[np.ndarray, np.ndarray]:
  """Mean `(dim,)` and covariance `(dim, dim)` (unbiased) of a feature set, float64."""
  features = _features(features, "features")
  return features.mean(axis=0), np.cov(features, rowvar=False).reshape(features.shape[1], features.shape[1])


def _sqrt_psd(matrix: np.ndarray) -> np.ndarray:
  values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
  return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
  r"""Frechet distance between N(mu1, sigma1) and N(mu2, sigma2).

  .. math:: \|\mu_1-\mu_2\|^2 + \mathrm{tr}\big(\Sigma_1 + \Sigma_2 - 2(\Sigma_1^{1/2}\Sigma_2\Sigma_1^{1/2})^{1/2}\big)

  The symmetric form (equal to tr sqrt(S1 S2)) is computed with two
  eigendecompositions, so it stays real and needs no scipy.

  Returns:
    The squared 2-Wasserstein distance between the Gaussians (FID on Inception features).

  References:
    Heusel et al., GANs Trained by a Two Time-Scale Update Rule Converge to a
    Local Nash Equilibrium, NeurIPS 2017, Eq. 6; Dowson & Landau 1982.
  """
  mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
  sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
  d = mu1.shape[0]
  for name, value, shape in (("mu2", mu2, (d,)), ("sigma1", sigma1, (d, d)), ("sigma2", sigma2, (d, d))):
    if value.shape != shape:
      raise ValueError(f"`{name}` must have shape {shape} to match `mu1` {mu1.shape}, got {value.shape}.")
  root1 = _sqrt_psd(sigma1)
  cross = np.sum(np.sqrt(np.clip(np.linalg.eigvalsh(root1 @ sigma2 @ root1), 0.0, None)))
  return float(np.sum((mu1 - mu2) ** 2) + np.trace(sigma1) + np.trace(sigma2) - 2.0 * cross)


def frechet_distance_from_features(real_features, fake_features) -> float:
  """:func:`frechet_distance` between the Gaussians fitted to two feature sets."""
  real, fake = _pair(real_features, fake_features)
  return frechet_distance(*feature_statistics(real), *feature_statistics(fake))


def kernel_inception_distance(real_features, fake_features, *, num_subsets: int = 100, subset_size: int = 1000,
                              seed: int = 0) -> tuple[float, float]:
  r"""KID: unbiased MMD^2 with the cubic polynomial kernel :math:`k(x,y) = (x^\top y/d + 1)^3`, over random subsets.

  Returns:
    `(mean, std)` over `num_subsets` subsets of `min(subset_size, n)` samples.

  References:
    Binkowski, Sutherland, Arbel & Gretton, Demystifying MMD GANs, ICLR 2018, Section 4.
  """
  real, fake = _pair(real_features, fake_features)
  if num_subsets < 1 or subset_size < 2:
    raise ValueError(f"`num_subsets` must be >= 1 and `subset_size` >= 2, got {num_subsets}, {subset_size}.")
  m = min(subset_size, real.shape[0], fake.shape[0])
  d = real.shape[1]
  rng = np.random.default_rng(seed)
  values = []
  for _ in range(num_subsets):
    x = real[rng.choice(real.shape[0], m, replace=False)]
    y = fake[rng.choice(fake.shape[0], m, replace=False)]
    kxx, kyy, kxy = ((a @ b.T / d + 1.0) ** 3 for a, b in ((x, x), (y, y), (x, y)))
    off_diagonal = (kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy)) / (m * (m - 1))
    values.append(off_diagonal - 2.0 * kxy.mean())
  return float(np.mean(values)), float(np.std(values))


def _pairwise(a: np.ndarray, b: np.ndarray) -> np.ndarray:
  sq = np.sum(a**2, 1)[:, None] + np.sum(b**2, 1)[None, :] - 2.0 * a @ b.T
  return np.sqrt(np.clip(sq, 0.0, None))


def _knn_radii(x: np.ndarray, k: int) -> np.ndarray:
  """Distance from each point to its k-th nearest other point."""
  if not 1 <= k < x.shape[0]:
    raise ValueError(f"`k` must lie in [1, num_samples - 1] = [1, {x.shape[0] - 1}], got {k}.")
  distances = _pairwise(x, x)
  return np.partition(distances, k, axis=1)[:, k]  # index 0 is the point itself


def precision_recall(real_features, fake_features, *, k: int = 3) -> dict:
  r"""Improved precision and recall: the share of fake samples inside the real k-NN manifold, and vice versa.

  A sample is inside a set's manifold if it lies within the k-NN radius of at
  least one of the set's points.

  References:
    Kynkaanniemi, Karras, Laine, Lehtinen & Aila, Improved Precision and
    Recall Metric for Assessing Generative Models, NeurIPS 2019, Eq. 1-2.
  """
  real, fake = _pair(real_features, fake_features)
  real_radii, fake_radii = _knn_radii(real, k), _knn_radii(fake, k)
  distances = _pairwise(real, fake)  # (real, fake)
  precision = np.mean(np.any(distances <= real_radii[:, None], axis=0))
  recall = np.mean(np.any(distances <= fake_radii[None, :], axis=1))
  return {"precision": float(precision), "recall": float(recall)}


def density_coverage(real_features, fake_features, *, k: int = 5) -> dict:
  r"""Density (how many real k-NN balls contain each fake sample, / k) and coverage (share of real balls hit).

  .. math:: \text{density} = \frac{1}{kM}\sum_j\sum_i 1[Y_j\in B(X_i, r_k(X_i))],\quad
            \text{coverage} = \frac1N\sum_i 1[\exists j: Y_j\in B(X_i, r_k(X_i))]

  For identical distributions E[density] = 1 and, with M = N, E[coverage] is
  about `1 - 2^-k`.

  References:
    Naeem, Oh, Uh, Choi & Yoo, Reliable Fidelity and Diversity Metrics for
    Generative Models, ICML 2020, Eq. 3-4.
  """
  real, fake = _pair(real_features, fake_features)
  radii = _knn_radii(real, k)
  inside = _pairwise(real, fake) <= radii[:, None]  # (real, fake)
  return {"density": float(inside.sum() / (k * fake.shape[0])), "coverage": float(np.mean(inside.any(axis=1)))}
