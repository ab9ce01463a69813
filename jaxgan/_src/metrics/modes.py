"""Mode coverage and sample quality on mixtures of Gaussians; the mode histogram of class tuples (StackedMNIST)."""

from __future__ import annotations

import numpy as np

from jaxgan._src import validation


def _nearest_modes(samples, modes, std: float, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
  """`(nearest mode index (n,), high quality (n,) bool, modes)`: within `threshold * std` of the nearest mode."""
  samples = np.asarray(samples, np.float64)
  modes = np.asarray(modes, np.float64)
  if samples.ndim != 2 or modes.ndim != 2 or samples.shape[1] != modes.shape[1]:
    raise ValueError(
        f"`samples` (n, d) and `modes` (m, d) must share d; got {samples.shape} and {modes.shape}."
    )
  validation.check_positive(std, "std")
  distances = np.linalg.norm(samples[:, None, :] - modes[None, :, :], axis=-1)
  nearest = np.argmin(distances, axis=1)
  return nearest, distances[np.arange(len(samples)), nearest] <= threshold * std, modes


def mode_coverage(samples, modes, std: float, *, threshold: float = 3.0) -> dict[str, float]:
  """Modes covered, fraction of high-quality samples and KL to uniform over modes.

  A sample is high-quality when it lies within `threshold * std` of its
  nearest mode; a mode is covered when at least one high-quality sample is
  assigned to it. The KL is between the histogram of high-quality samples
  over modes and the uniform distribution (0 = perfectly balanced; infinite
  when there is no high-quality sample).

  Args:
    samples: array `(n, d)`.
    modes: mode centres `(num_modes, d)`.
    std: per-mode standard deviation.
    threshold: in units of `std` (3 in the protocol).

  Returns:
    dict with `modes_covered` (int), `num_modes`, `high_quality` (fraction in
    [0, 1]) and `kl_to_uniform`.

  References:
    Srivastava et al., VEEGAN, NeurIPS 2017, Section 5.1; Lin et al.,
    PacGAN, NeurIPS 2018, Section 5.
  """
  nearest, good, modes = _nearest_modes(samples, modes, std, threshold)
  counts = np.bincount(nearest[good], minlength=len(modes))
  num_good = int(good.sum())
  if num_good:
    p = counts / num_good
    nz = p > 0
    kl = float(np.sum(p[nz] * np.log(p[nz] * len(modes))))
  else:
    kl = float("inf")
  return {
      "modes_covered": int(np.sum(counts > 0)),
      "num_modes": int(len(modes)),
      "high_quality": num_good / max(len(samples), 1),
      "kl_to_uniform": kl,
  }


def conditional_mode_accuracy(samples, labels, modes, std: float, *, threshold: float = 3.0) -> dict[str, float]:
  """How well a conditional generator hits the mode it was asked for: sample i was drawn for mode `labels[i]`.

  Args:
    samples: array `(n, d)`.
    labels: int `(n,)`, the requested mode of each sample (an index into `modes`).
    modes: mode centres `(num_modes, d)`.
    std: per-mode standard deviation.
    threshold: high quality within `threshold * std` of the nearest mode.

  Returns:
    dict with `label_accuracy` (of the high-quality samples, the fraction on
    their requested mode), `min_class_high_quality` (the lowest, over the
    requested modes, fraction of high-quality samples) and
    `class_high_quality` (that fraction per mode; NaN for a mode never requested).
  """
  nearest, good, modes = _nearest_modes(samples, modes, std, threshold)
  labels = validation.check_per_sample_ints(labels, "labels", len(nearest))
  if labels.size and (labels.min() < 0 or labels.max() >= len(modes)):
    raise ValueError(f"`labels` must index `modes`, in [0, {len(modes)}); got values in [{labels.min()},"
                     f" {labels.max()}].")
  per_class = [float(good[labels == c].mean()) if np.any(labels == c) else float("nan") for c in range(len(modes))]
  return {
      "label_accuracy": float(np.mean(nearest[good] == labels[good])) if good.any() else 0.0,
      "min_class_high_quality": float(np.nanmin(per_class)),
      "class_high_quality": per_class,
  }


def code_mode_purity(samples, codes, modes, std: float, *, threshold: float = 3.0) -> dict[str, float]:
  """How cleanly an unsupervised categorical code (InfoGAN) selects modes: sample i was drawn with code `codes[i]`.

  The code's values carry no names, so each value is matched to its own most
  frequent mode among its high-quality samples (InfoGAN's MNIST digit
  accuracy matches codes to classes the same way: Chen et al. 2016, Sec. 7.2).

  Args:
    samples: array `(n, d)`.
    codes: int `(n,)`, the categorical code value of each sample.
    modes: mode centres `(num_modes, d)`.
    std: per-mode standard deviation.
    threshold: high quality within `threshold * std` of the nearest mode.

  Returns:
    dict with `code_purity` (of the high-quality samples, the fraction on
    their code value's most frequent mode; 0 without any) and
    `distinct_code_modes` (how many different modes are some code value's
    most frequent mode: the number of code values when each owns a mode).
  """
  nearest, good, modes = _nearest_modes(samples, modes, std, threshold)
  codes = validation.check_per_sample_ints(codes, "codes", len(nearest))
  owned, on_owned = set(), 0
  for value in np.unique(codes):
    hits = np.bincount(nearest[good & (codes == value)], minlength=len(modes))
    if hits.sum():
      owned.add(int(np.argmax(hits)))
      on_owned += int(hits.max())
  return {"code_purity": float(on_owned / good.sum()) if good.any() else 0.0, "distinct_code_modes": len(owned)}


def mode_histogram_kl(classes, num_classes: int) -> dict:
  r"""Modes covered by class tuples and the KL of their histogram to uniform, split into its two sources.

  A sample of C channels, each read as one of k classes, is one of k^C modes
  (StackedMNIST: k = 10, C = 3; Metz et al., Unrolled GANs, ICLR 2017,
  Section 3.3). The KL of the mode histogram p to the uniform u^C splits
  exactly (chain rule of relative entropy) into

  .. math::
    KL(p \| u^C) = \sum_c KL(p_c \| u) + KL(p \| \textstyle\prod_c p_c),

  the channels' own class imbalance (`channel_kl`, p_c the histogram of
  channel c) plus the dependence between channels (`total_correlation`,
  Watanabe 1960). A generator that reaches every mode but draws some classes
  too often scores a large `channel_kl`; one that ties channels together, a
  large `total_correlation`. For C = 1 the second term is 0.

  Args:
    classes: integer classes `(n, C)` in [0, num_classes), or `(n,)` for C = 1.
    num_classes: k.

  Returns:
    `modes_covered` (distinct tuples), `num_modes` (k^C), `kl_to_uniform`,
    `channel_kl` and `total_correlation` (both >= 0, summing to
    `kl_to_uniform`; each term computed from its own histograms).
  """
  num_classes = validation.check_positive_int(num_classes, "num_classes")
  classes = np.asarray(classes)
  classes = classes[:, None] if classes.ndim == 1 else classes
  if classes.ndim != 2 or classes.shape[0] == 0 or not np.issubdtype(classes.dtype, np.integer):
    raise ValueError(f"`classes` must be integers (n,) or (n, C) with n >= 1, got dtype {classes.dtype} and shape"
                     f" {classes.shape}.")
  if classes.min() < 0 or classes.max() >= num_classes:
    raise ValueError(f"`classes` must lie in [0, num_classes) = [0, {num_classes}), got values in"
                     f" [{classes.min()}, {classes.max()}].")
  n, channels = classes.shape
  modes = np.ravel_multi_index(tuple(classes.T), (num_classes,) * channels)
  joint = np.bincount(modes, minlength=num_classes**channels) / n
  marginals = [np.bincount(classes[:, c], minlength=num_classes) / n for c in range(channels)]
  seen = joint > 0
  kl = float(np.sum(joint[seen] * np.log(joint[seen] * num_classes**channels)))
  channel_kl = float(sum(np.sum(m[m > 0] * np.log(m[m > 0] * num_classes)) for m in marginals))
  product = np.prod([m[classes[:, c]] for c, m in enumerate(marginals)], axis=0)  # prod_c p_c at each sample
  total_correlation = float(np.mean(np.log(joint[modes] / product)))
  return {"modes_covered": int(np.count_nonzero(seen)), "num_modes": num_classes**channels, "kl_to_uniform": kl,
          "channel_kl": channel_kl, "total_correlation": total_correlation}
