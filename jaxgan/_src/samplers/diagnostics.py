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


def _rank_normalise(x: np.ndarray) -> np.ndarray:
  """Pooled ranks mapped through the normal quantile function: z = Phi^-1((r - 3/8) / (S + 1/4))."""
  from statistics import NormalDist

  flat = x.reshape(-1, *x.shape[2:])
  ranks = np.argsort(np.argsort(flat, axis=0, kind="stable"), axis=0) + 1.0
  quantile = np.vectorize(NormalDist().inv_cdf)
  return quantile((ranks - 0.375) / (flat.shape[0] + 0.25)).reshape(x.shape)


def _split(x: np.ndarray) -> np.ndarray:
  half = x.shape[1] // 2
  return np.concatenate([x[:, :half], x[:, -half:]], axis=0)


def rank_normalized_split_rhat(samples) -> np.ndarray:
  r"""Rank-normalised split R-hat: the larger of split R-hat on rank-normalised draws and on folded draws.

  Robust to heavy tails and sensitive to chains that differ in scale as well
  as location; values below 1.01 are the recommended threshold.

  References:
    Vehtari, Gelman, Simpson, Carpenter & Buerkner, Rank-normalization,
    folding, and localization: an improved R-hat for assessing convergence of
    MCMC, Bayesian Analysis 2021, Section 4.3.
  """
  x = _as_chains(samples)
  bulk = split_rhat(_rank_normalise(x))
  folded = np.abs(x - np.median(x.reshape(-1, *x.shape[2:]), axis=0))
  return np.maximum(bulk, split_rhat(_rank_normalise(folded)))


def bulk_effective_sample_size(samples) -> np.ndarray:
  """ESS of the rank-normalised split chains: reliability of the centre of the distribution (Vehtari et al. 2021)."""
  return effective_sample_size(_split(_rank_normalise(_as_chains(samples))))


def tail_effective_sample_size(samples) -> np.ndarray:
  """Minimum ESS of the indicators of the 5% and 95% quantiles: reliability of the tails (Vehtari et al. 2021)."""
  x = _as_chains(samples)
  pooled = x.reshape(-1, *x.shape[2:])
  values = [effective_sample_size(_split((x <= np.quantile(pooled, q, axis=0)).astype(np.float64)))
            for q in (0.05, 0.95)]
  return np.minimum(*values)


def prior_shell_drift(latents) -> np.ndarray:
  r"""Mean of :math:`\|z\|/\sqrt{d} - 1` per chain for latents `(chains, draws, d)`: 0 on the N(0, I) shell.

  Latent MCMC that leaves the prior's typical set (where G was trained) shows
  a drift away from 0 (Che et al. 2020 discuss the prior term's role).
  """
  z = np.asarray(latents, np.float64)
  if z.ndim != 3:
    raise ValueError(f"`latents` must have shape (chains, draws, latent_dim), got {z.shape}.")
  return np.mean(np.linalg.norm(z, axis=-1) / np.sqrt(z.shape[-1]) - 1.0, axis=1)
