"""Inception Score: how confident and how varied a classifier's predictions on generated samples are.

Computed from class logits of any classifier (Inception-v3 for the published
numbers, the in-project shapes classifier offline) in float64 NumPy, as the
feature-set metrics in :mod:`jaxgan._src.metrics.features`.
"""

from __future__ import annotations

import numpy as np

from jaxgan._src.metrics.features import _features


def _logsumexp(x: np.ndarray, axis: int) -> np.ndarray:
  top = x.max(axis=axis, keepdims=True)
  return top + np.log(np.sum(np.exp(x - top), axis=axis, keepdims=True))


def inception_score(logits, *, num_splits: int = 10) -> tuple[float, float]:
  r"""Inception Score of class logits, as mean and std over `num_splits` contiguous splits.

  .. math:: \mathrm{IS} = \exp\Big(\mathbb{E}_x\, \mathrm{KL}\big(p(y|x)\,\|\,p(y)\big)\Big),\qquad
            p(y) = \mathbb{E}_x\, p(y|x)

  with :math:`p(y|x) = \mathrm{softmax}(\text{logits})`; the expectations are
  sample means within each split, and the score lies in `[1, num_classes]`:
  1 when every prediction is the same distribution, `num_classes` when each
  prediction is one-hot and the classes are equally frequent. As in the
  paper's code, the samples are cut into `num_splits` consecutive splits (the
  last ones one sample larger when `num_splits` does not divide `n`) and the
  mean and (population) std of the per-split scores are returned.

  Args:
    logits: `(num_samples, num_classes)` class logits (unnormalised log-probabilities).
    num_splits: number of splits, `1 <= num_splits <= num_samples` (10 in the paper).

  Returns:
    `(mean, std)`: floats, the mean and standard deviation of the split scores.

  References:
    Salimans, Goodfellow, Zaremba, Cheung, Radford & Chen, Improved
    Techniques for Training GANs, NeurIPS 2016, Section 4
    (https://arxiv.org/abs/1606.03498); code: openai/improved-gan,
    inception_score/model.py.
  """
  logits = _features(logits, "logits")
  n = logits.shape[0]
  if isinstance(num_splits, bool) or not isinstance(num_splits, (int, np.integer)) or not 1 <= num_splits <= n:
    raise ValueError(f"`num_splits` must be an integer in [1, num_samples] = [1, {n}], got {num_splits!r}.")
  log_p = logits - _logsumexp(logits, axis=1)  # log p(y|x)
  scores = []
  for part in np.split(log_p, [i * n // num_splits for i in range(1, num_splits)]):
    log_marginal = _logsumexp(part, axis=0) - np.log(part.shape[0])  # log p(y), finite even where p(y|x) underflows
    kl = np.sum(np.exp(part) * (part - log_marginal), axis=1)
    scores.append(np.exp(kl.mean()))
  return float(np.mean(scores)), float(np.std(scores))
