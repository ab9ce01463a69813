"""Mode coverage and sample quality on mixtures of Gaussians."""

from __future__ import annotations

import numpy as np

from jaxgan._src import validation


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
  samples = np.asarray(samples, np.float64)
  modes = np.asarray(modes, np.float64)
  if samples.ndim != 2 or modes.ndim != 2 or samples.shape[1] != modes.shape[1]:
    raise ValueError(
        f"`samples` (n, d) and `modes` (m, d) must share d; got {samples.shape} and {modes.shape}."
    )
  validation.check_positive(std, "std")
  distances = np.linalg.norm(samples[:, None, :] - modes[None, :, :], axis=-1)
  nearest = np.argmin(distances, axis=1)
  good = distances[np.arange(len(samples)), nearest] <= threshold * std
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
