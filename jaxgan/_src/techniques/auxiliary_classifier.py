"""The auxiliary classifier of AC-GAN: the critic also predicts the class, both players minimise its error."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax


def auxiliary_classifier_loss(class_logits: jax.Array, labels: jax.Array) -> jax.Array:
  r"""Mean cross-entropy of the critic's class prediction: AC-GAN's :math:`-L_C`.

  .. math:: L_C = \mathbb{E}[\log P(C = c \mid X_{real})] + \mathbb{E}[\log P(C = c \mid X_{fake})]

  The critic is trained to maximise :math:`L_S + L_C` and the generator
  :math:`L_C - L_S` (Odena et al., Eq. 1-2): in minimisation form the critic
  adds this loss on the real and on the fake batch, the generator on the fake
  batch (:class:`jaxgan.train.GAN` with `auxiliary_classifier=w` weights both).

  Args:
    class_logits: the critic's class logits, shape `(batch, num_classes)`.
    labels: int class labels, shape `(batch,)`.

  Returns:
    Scalar mean cross-entropy (float32 at least).

  References:
    Odena, Olah & Shlens, Conditional Image Synthesis with Auxiliary Classifier
    GANs, ICML 2017, Section 3. https://arxiv.org/abs/1610.09585
  """
  class_logits, labels = jnp.asarray(class_logits), jnp.asarray(labels)
  if class_logits.ndim != 2 or labels.shape != class_logits.shape[:1]:
    raise ValueError(f"`class_logits` must have shape (batch, num_classes) and `labels` (batch,); got"
                     f" {tuple(class_logits.shape)} and {tuple(labels.shape)}.")
  if not jnp.issubdtype(labels.dtype, jnp.integer):
    raise ValueError(f"`labels` must be integers, got {labels.dtype}.")
  logits = class_logits.astype(jnp.promote_types(class_logits.dtype, jnp.float32))
  return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, labels))
