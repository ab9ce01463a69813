"""Minibatch discrimination: each sample's critic features gain its closeness to the rest of the batch."""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgan._src import validation


class MinibatchDiscrimination(nn.Module):
  r"""Appends to each sample's features its similarity to the batch, per kernel.

  With features :math:`f(x_i) \in \mathbb{R}^A` and a learned tensor
  :math:`T \in \mathbb{R}^{A \times B \times C}` (`B = num_kernels`,
  `C = kernel_dim`):

  .. math::
    M_i = f(x_i)\,T \in \mathbb{R}^{B \times C}, \qquad
    c_b(x_i, x_j) = \exp\big(-\|M_{i,b} - M_{j,b}\|_{L_1}\big), \\
    o(x_i)_b = \sum_{j=1}^{n} c_b(x_i, x_j), \qquad
    \text{output}_i = [f(x_i), o(x_i)] \in \mathbb{R}^{A + B}.

  The sum runs over the whole batch, `j = i` included, as in the paper's
  equation; the authors' code leaves it out (it adds 1e6 to the distance of
  a sample to itself), which shifts every :math:`o_b` by exactly 1
  (:math:`c_b(x_i, x_i) = 1`). That code also adds a per-kernel bias and
  weight-normalises `T`; this layer keeps to the equation (no bias, `T`
  drawn from N(0, 0.05^2)). Real and fake batches go through the critic
  separately, so each sample is compared with samples of its own kind.

  The layer couples the samples of a batch, so an input-gradient penalty on
  a critic that uses it has no exact per-sample gradient: `method="vmap"`
  sees batches of one (the statistic of a lone sample), `"batch_sum"` adds
  the cross-sample terms.

  Attributes:
    num_kernels: B, the number of similarity features appended.
    kernel_dim: C, the dimension each sample is projected to per kernel.

  Call with `x` of shape `(batch, A)`; returns shape `(batch, A + B)`.

  References:
    Salimans et al., Improved Techniques for Training GANs, NeurIPS 2016,
    Section 3.2. https://arxiv.org/abs/1606.03498
  """

  num_kernels: int
  kernel_dim: int

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    num_kernels = validation.check_positive_int(self.num_kernels, "num_kernels")
    kernel_dim = validation.check_positive_int(self.kernel_dim, "kernel_dim")
    x = validation.check_batch(x, "x")
    if x.ndim != 2:
      raise ValueError(
          f"`x` must have shape (batch, features), got shape {tuple(x.shape)}; flatten the features first."
      )
    kernel = self.param("kernel", nn.initializers.normal(0.05), (x.shape[1], num_kernels * kernel_dim))
    m = (x @ kernel.astype(x.dtype)).reshape(x.shape[0], num_kernels, kernel_dim)
    l1 = jnp.sum(jnp.abs(m[:, None] - m[None, :]), axis=-1)  # (i, j, b)
    o = jnp.sum(jnp.exp(-l1), axis=1)
    return jnp.concatenate([x, o], axis=-1)
