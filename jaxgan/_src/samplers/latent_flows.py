r"""Deterministic and diffusion latent refinements driven by the critic: DOT and DGflow.

Both move a batch of latents `z (n, d)` along the gradient of a latent score
`score_fn(z) = D(G(z))` (a logit: high = real), with no accept/reject.
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp

from jaxgan._src import validation

DGFLOW_DIVERGENCES = ("kl", "js", "logd")


def _check_latents(z) -> jax.Array:
  z = validation.check_batch(z, "z")
  if z.ndim != 2:
    raise ValueError(f"`z` must have shape (n, latent_dim), got {tuple(z.shape)}.")
  return z


def effective_lipschitz(score_fn: Callable, rng_key, latent_dim: int, *, num_pairs: int = 1024) -> jax.Array:
  r"""DOT's effective Lipschitz constant :math:`K_{eff} = \max_{pairs} |D(G(z_1)) - D(G(z_2))| / \|z_1 - z_2\|`.

  Pairs are drawn from N(0, I).

  References:
    Tanaka, Discriminator optimal transport, NeurIPS 2019, Eq. 9.
  """
  latent_dim = validation.check_positive_int(latent_dim, "latent_dim")
  num_pairs = validation.check_positive_int(num_pairs, "num_pairs")
  k1, k2 = jax.random.split(rng_key)
  z1, z2 = jax.random.normal(k1, (num_pairs, latent_dim)), jax.random.normal(k2, (num_pairs, latent_dim))
  return jnp.max(jnp.abs(score_fn(z1) - score_fn(z2)) / jnp.linalg.norm(z1 - z2, axis=1))


def dot_transport(score_fn: Callable, z, *, k_eff, num_steps: int = 20, learning_rate: float = 0.01) -> jax.Array:
  r"""Discriminator optimal transport in latent space: minimise :math:`\|z - y\|_2 - D(G(z))/K_{eff}` from `z = y`.

  Runs `num_steps` of Adam (as the paper) per latent, independently.

  Args:
    score_fn: `z (n, d) -> logits (n,)`.
    z: starting latents `y`, shape `(n, d)`.
    k_eff: effective Lipschitz constant (:func:`effective_lipschitz`), > 0.
    num_steps: optimisation steps.
    learning_rate: Adam learning rate.

  Returns:
    Transported latents `(n, d)`.

  References:
    Tanaka, Discriminator optimal transport, NeurIPS 2019, Algorithm 2.
  """
  import optax

  y = _check_latents(z)
  num_steps = validation.check_positive_int(num_steps, "num_steps")
  validation.check_positive(learning_rate, "learning_rate")
  tx = optax.adam(learning_rate)

  def objective(x):
    # safe_norm: zero gradient (not NaN) at the starting point x = y.
    return jnp.sum(optax.safe_norm(x - y, 0.0, axis=1) - score_fn(x) / k_eff)

  def step(carry, _):
    x, opt_state = carry
    updates, opt_state = tx.update(jax.grad(objective)(x), opt_state)
    return (optax.apply_updates(x, updates), opt_state), None

  (x, _), _ = jax.lax.scan(step, (y, tx.init(y)), None, length=num_steps)
  return x


def dgflow(score_fn: Callable, rng_key, z, *, num_steps: int = 25, step_size: float = 0.01, noise: float = 0.01,
           divergence: str = "kl") -> jax.Array:
  r"""Discriminator gradient flow in latent space: an f-divergence Wasserstein gradient flow, discretised.

  .. math:: z_{k+1} = z_k - \eta \nabla_z f'(\rho(G(z_k))) + \sqrt{2\gamma\eta}\,\xi,\quad
            \rho = p_g/p_{data} = e^{-d}

  with :math:`f'(\rho) = \log\rho + 1 = 1 - d` (KL) or
  :math:`\log\frac{2\rho}{1+\rho} = \log 2 - \mathrm{softplus}(d)` (JS); `"logd"` follows
  the potential :math:`-\log\sigma(d)` (the non-saturating generator loss).

  Args:
    score_fn: `z (n, d) -> logits d (n,)` (calibrated, high = real).
    rng_key: key for the noise.
    z: starting latents `(n, d)`.
    num_steps: flow steps.
    step_size: eta > 0.
    noise: gamma >= 0 (0: deterministic flow).
    divergence: `"kl"`, `"js"` or `"logd"`.

  Returns:
    Refined latents `(n, d)`.

  References:
    Ansari, Ang & Soh, Refining Deep Generative Models via Discriminator
    Gradient Flow, ICLR 2021, Eq. 10 and Table 1.
  """
  z = _check_latents(z)
  num_steps = validation.check_positive_int(num_steps, "num_steps")
  validation.check_positive(step_size, "step_size")
  validation.check_non_negative(noise, "noise")
  validation.check_choice(divergence, "divergence", DGFLOW_DIVERGENCES)

  def potential(x):
    d = score_fn(x)  # log p_data/p_g; rho = exp(-d)
    if divergence == "kl":
      return jnp.sum(-d)  # f'(rho) = log rho + 1
    if divergence == "js":
      return jnp.sum(jnp.log(2.0) - jax.nn.softplus(d))  # log(2 rho / (1 + rho)) with rho = e^-d
    return jnp.sum(-jax.nn.log_sigmoid(d))

  def step(x, key):
    drift = jax.grad(potential)(x)
    return x - step_size * drift + jnp.sqrt(2.0 * noise * step_size) * jax.random.normal(key, x.shape), None

  x, _ = jax.lax.scan(step, z, jax.random.split(rng_key, num_steps))
  return x
