"""Convergence diagnostics over `(chains, draws, ...)` arrays: split R-hat and ESS."""

from __future__ import annotations

import numpy as np


def _as_chains(samples) -> np.ndarray:
  x = np.asarray(samples, np.float64)
  if x.ndim < 2 or x.shape[1] < 4:
    raise ValueError(f"`samples` must have shape (chains, draws >= 4, ...), got {x.shape}.")
  return x


def split_rhat(samples) -> np.ndarray:
  r"""Split potential scale reduction factor per dimension.

  Each chain is halved; with `m` half-chains of length `n`, `W` the mean
  within-chain variance and `B/n` the variance of chain means,
  :math:`\hat R = \sqrt{((n-1)/n\,W + B/n) / W}`.

  Args:
    samples: `(chains, draws, ...)`.

  Returns:
    Array of shape `samples.shape[2:]`; values near 1 indicate mixing.

  References:
    Gelman et al., Bayesian Data Analysis, 3rd ed., 2013, Eq. 11.4 (split chains).
  """
  x = _as_chains(samples)
  half = x.shape[1] // 2
  chains = np.concatenate([x[:, :half], x[:, -half:]], axis=0)
  n = chains.shape[1]
  within = np.mean(np.var(chains, axis=1, ddof=1), axis=0)
  between_over_n = np.var(np.mean(chains, axis=1), axis=0, ddof=1)
  var_plus = (n - 1) / n * within + between_over_n
  return np.sqrt(var_plus / np.where(within > 0, within, np.nan))


def effective_sample_size(samples) -> np.ndarray:
  r"""Multi-chain effective sample size per dimension (Geyer's initial monotone sequence).

  Autocorrelations combine chains as in Stan:
  :math:`\rho_t = 1 - (W - \overline{\gamma_t}) / \widehat{var}^+`; the sum of
  paired autocorrelations is truncated at the first negative pair and made
  monotone. :math:`ESS = mn / (-1 + 2\sum_k P_k)`.

  Args:
    samples: `(chains, draws, ...)`.

  Returns:
    Array of shape `samples.shape[2:]`.

  References:
    Geyer, Practical Markov chain Monte Carlo, Statistical Science 1992;
    Stan Reference Manual, "Effective sample size".
  """
  x = _as_chains(samples)
  m, n = x.shape[:2]
  flat = x.reshape(m, n, -1)
  centred = flat - flat.mean(axis=1, keepdims=True)
  size = 2 ** int(np.ceil(np.log2(2 * n)))
  spectrum = np.fft.rfft(centred, n=size, axis=1)
  autocov = np.fft.irfft(spectrum * np.conj(spectrum), n=size, axis=1)[:, :n] / n
  within = np.mean(autocov[:, 0] * n / (n - 1), axis=0)
  var_plus = within * (n - 1) / n + (np.var(flat.mean(axis=1), axis=0, ddof=1) if m > 1 else 0.0)
  rho = 1.0 - (within - autocov.mean(axis=0)) / np.where(var_plus > 0, var_plus, np.nan)
  rho[0] = 1.0
  ess = np.empty(flat.shape[2])
  for d in range(flat.shape[2]):
    pairs = rho[: 2 * (n // 2), d].reshape(-1, 2).sum(axis=1)
    positive = np.argmax(pairs < 0) if np.any(pairs < 0) else len(pairs)
    pairs = np.minimum.accumulate(pairs[:positive]) if positive else pairs[:1]
    tau = -1.0 + 2.0 * np.sum(pairs)
    ess[d] = m * n / max(tau, 1.0 / np.log10(m * n + 10))  # capped as in Stan
  return ess.reshape(x.shape[2:])
