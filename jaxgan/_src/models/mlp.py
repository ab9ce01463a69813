"""Flax MLP generator and critic for low-dimensional data."""

from __future__ import annotations

from typing import Any, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgan._src import validation
from jaxgan._src.models.conditioning import ConditionalLayerNorm
from jaxgan._src.models.conditioning import concat_label_embedding
from jaxgan._src.models.conditioning import projection
from jaxgan._src.models.layers import LinearMaxout
from jaxgan._src.models.layers import dense_init
from jaxgan._src.models.layers import maybe_spectral_norm
from jaxgan._src.techniques.minibatch_discrimination import MinibatchDiscrimination
from jaxgan._src.techniques.minibatch_stddev import MinibatchStdDev
from jaxgan._src.techniques.virtual_batch_norm import check_virtual_batch_norm
from jaxgan._src.techniques.virtual_batch_norm import stacked_virtual_batch_norm
from jaxgan._src.techniques.virtual_batch_norm import with_reference_batch

CONDITIONINGS = ("projection", "concat", "auxiliary")
MINIBATCH_LAYERS = (None, "stddev", "discrimination")


class MLPGenerator(nn.Module):
  """`z (batch, latent_dim) -> x (batch, output_dim)`: ReLU MLP, linear output; `G(z, labels)` with `num_classes`.

  Conditional (`num_classes=C`): the input is `[z, embed(labels)]` (Mirza &
  Osindero 2014) and, with `conditional_norm=True`, every hidden layer is
  followed by a class-conditional layer norm (de Vries et al. 2017).
  With `virtual_batch_norm=N` every hidden layer is followed by virtual
  batch norm (Salimans et al. 2016, Section 3.5) against a fixed reference
  batch of N latents drawn from `key(reference_seed)`, carried through the
  network beside the batch: each output depends on its own z and the
  reference only.

  Attributes:
    output_dim: data dimension.
    hidden: widths of the hidden layers.
    num_classes: None (unconditional) or the number of classes C.
    embed_dim: size of the label embedding concatenated to z.
    conditional_norm: class-dependent gain and bias after each hidden layer.
    virtual_batch_norm: reference batch size N of virtual batch norm after
      each hidden layer (0: off; unconditional generators only).
    reference_seed: the seed of the reference latents.
    batch_norm: batch norm after each hidden layer (unconditional generators,
      not with `virtual_batch_norm`).
    init_std: dense kernels initialised `N(0, init_std^2)` (PacGAN: 0.02), or
      None: Flax's default.
    dtype: compute dtype (e.g. `jnp.bfloat16`); params stay float32 and the
      output is float32.
  """

  output_dim: int = 2
  hidden: Sequence[int] = (256, 256, 256)
  num_classes: int | None = None
  embed_dim: int = 16
  conditional_norm: bool = False
  virtual_batch_norm: int = 0
  reference_seed: int = 0
  batch_norm: bool = False
  init_std: float | None = None
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, z: jax.Array, labels: jax.Array | None = None) -> jax.Array:
    labels = validation.check_labels(labels, self.num_classes, "MLPGenerator", shape=z.shape[:1])
    check_virtual_batch_norm(self.virtual_batch_norm, self.num_classes)
    if self.batch_norm and (self.virtual_batch_norm or self.num_classes is not None):
      raise ValueError("MLPGenerator: `batch_norm` normalises an unconditional generator without virtual batch norm;"
                       " unset `num_classes` and `virtual_batch_norm`, or `batch_norm`.")
    batch_size = z.shape[0]
    kernel_init = dense_init(self.init_std)
    x = z if labels is None else concat_label_embedding(z, labels, self.num_classes, self.embed_dim)
    if self.virtual_batch_norm:
      x = with_reference_batch(x, self.virtual_batch_norm, self.reference_seed)
    for width in self.hidden:
      x = nn.Dense(width, use_bias=not self.batch_norm, kernel_init=kernel_init, dtype=self.dtype)(x)
      if self.virtual_batch_norm:
        x = stacked_virtual_batch_norm(x, batch_size)
      elif self.batch_norm:
        x = nn.BatchNorm(use_running_average=not self.is_mutable_collection("batch_stats"), momentum=0.95,
                         dtype=self.dtype)(x)
      elif labels is not None and self.conditional_norm:
        x = ConditionalLayerNorm(self.num_classes, dtype=self.dtype)(x, labels)
      x = nn.relu(x)
    return nn.Dense(self.output_dim, kernel_init=kernel_init, dtype=self.dtype)(x[:batch_size]).astype(jnp.float32)


class MLPCritic(nn.Module):
  """`x (batch, ...) -> scores (batch,)`: LeakyReLU MLP without batch norm.

  No batch norm, so samples never interact and every gradient-penalty
  `method` is exact. With `spectral_norm=True` each dense layer is wrapped
  in `flax.linen.SpectralNorm`; its power-iteration vectors live in the
  `batch_stats` collection and advance when that collection is mutable.
  `layer_norm=True` adds per-sample layer normalisation.
  `maxout_pieces=k` makes every hidden layer a maxout layer of k linear
  pieces (:class:`jaxgan.models.LinearMaxout`; PacGAN's 2-D critic, k = 5)
  in place of dense + LeakyReLU.
  `return_features=True` returns `{"scores": ..., "features": the last hidden
  activations}` (for feature matching).

  Conditional (`num_classes=C`, called as `D(x, labels)`):
  `conditioning="projection"` adds `<embed(y), phi(x)>` to the score, `phi`
  the last hidden activations (Miyato & Koyama 2018, Eq. 3);
  `conditioning="concat"` feeds `[x, embed(y)]` to the first layer;
  `conditioning="auxiliary"` (AC-GAN, Odena et al. 2017) scores x alone and
  adds a class head: `{"scores": ..., "class_logits": (batch, C)}`. Penalties
  differentiate in x only.

  `minibatch="stddev"` (Karras et al. 2018) or `"discrimination"` (Salimans
  et al. 2016, Sec. 3.2) appends a minibatch layer's features to the last
  hidden activations before the score layer (the features, the projection
  and the class head still read the activations themselves). Such a critic
  couples the samples of a batch: train it with
  `jg.train.GAN(separate_batches=True)` so real and fake are scored apart.

  Attributes:
    hidden: widths of the hidden layers.
    spectral_norm: wrap dense layers in spectral normalisation.
    layer_norm: add layer norm after each hidden dense layer.
    num_classes: None (unconditional) or the number of classes C.
    conditioning: `"projection"`, `"concat"` or `"auxiliary"` (with `num_classes`).
    embed_dim: label embedding size for `"concat"`.
    minibatch: None, `"stddev"` or `"discrimination"`.
    minibatch_group_size: the standard deviation's group size G (4 in ProGAN).
    minibatch_kernels: minibatch discrimination's B kernels of dimension C =
      `minibatch_kernel_dim`.
    maxout_pieces: 0 (dense + LeakyReLU 0.2) or k >= 2: maxout hidden layers of
      k pieces (not with `spectral_norm`).
    init_std: dense kernels initialised `N(0, init_std^2)` (PacGAN: 0.02), or
      None: Flax's default.
    dtype: compute dtype (e.g. `jnp.bfloat16`); params stay float32 and the
      scores are float32 (penalties take their norms in float32).
  """

  hidden: Sequence[int] = (256, 256, 256)
  spectral_norm: bool = False
  layer_norm: bool = False
  return_features: bool = False
  num_classes: int | None = None
  conditioning: str = "projection"
  embed_dim: int = 16
  minibatch: str | None = None
  minibatch_group_size: int = 4
  minibatch_kernels: int = 32
  minibatch_kernel_dim: int = 8
  maxout_pieces: int = 0
  init_std: float | None = None
  dtype: Any = jnp.float32

  def _dense(self, features: int, x: jax.Array) -> jax.Array:
    layer = nn.Dense(features, kernel_init=dense_init(self.init_std), dtype=self.dtype)
    return maybe_spectral_norm(self, layer, x, self.spectral_norm)

  def _hidden(self, width: int, x: jax.Array) -> jax.Array:
    if self.maxout_pieces:
      return LinearMaxout(width, self.maxout_pieces, self.init_std, dtype=self.dtype)(x)
    return self._dense(width, x)

  def _minibatch_features(self, x: jax.Array) -> jax.Array:
    """`x` with the minibatch layer's features appended, or `x` itself without one."""
    if self.minibatch == "stddev":
      return MinibatchStdDev(group_size=self.minibatch_group_size)(x)
    if self.minibatch == "discrimination":
      return MinibatchDiscrimination(self.minibatch_kernels, self.minibatch_kernel_dim)(x)
    return x

  @nn.compact
  def __call__(self, x: jax.Array, labels: jax.Array | None = None) -> jax.Array:
    if self.conditioning not in CONDITIONINGS:
      raise ValueError(f"`conditioning` must be one of {CONDITIONINGS}, got {self.conditioning!r}.")
    if self.minibatch not in MINIBATCH_LAYERS:
      raise ValueError(f"`minibatch` must be one of {MINIBATCH_LAYERS}, got {self.minibatch!r}.")
    pieces = self.maxout_pieces
    if isinstance(pieces, bool) or not isinstance(pieces, int) or pieces < 0 or pieces == 1:
      raise ValueError(f"`maxout_pieces` must be 0 (off) or an integer >= 2, got {pieces!r}.")
    if pieces and self.spectral_norm:
      raise ValueError("MLPCritic: `maxout_pieces` and `spectral_norm` do not combine; set one of them.")
    labels = validation.check_labels(labels, self.num_classes, "MLPCritic", shape=x.shape[:1])
    x = x.reshape(x.shape[0], -1)
    if labels is not None and self.conditioning == "concat":
      x = concat_label_embedding(x, labels, self.num_classes, self.embed_dim)
    for width in self.hidden:
      x = self._hidden(width, x)
      if self.layer_norm:
        x = nn.LayerNorm(dtype=self.dtype)(x)
      if not pieces:
        x = nn.leaky_relu(x, 0.2)
    outputs = {"scores": self._dense(1, self._minibatch_features(x))[:, 0].astype(jnp.float32)}
    if labels is not None and self.conditioning == "projection":
      outputs["scores"] = outputs["scores"] + projection(x, labels, self.num_classes)
    if labels is not None and self.conditioning == "auxiliary":
      outputs["class_logits"] = nn.Dense(self.num_classes, name="class_head")(x).astype(jnp.float32)
    if self.return_features:
      outputs["features"] = x.astype(jnp.float32)
    return outputs if len(outputs) > 1 else outputs["scores"]


class MLPAutoencoderCritic(nn.Module):
  """`x (batch, ...) -> energies (batch,)`: per-sample mean squared reconstruction error of an MLP autoencoder.

  The energy critic of EBGAN, MAGAN and BEGAN: `U(x) = mean((Dec(Enc(x)) - x)^2) >= 0`.

  Attributes:
    hidden: widths of the encoder's hidden layers (the decoder mirrors them).
    bottleneck: code size.
    return_embeddings: return `{"scores": energies, "embeddings": codes (batch, bottleneck)}`,
      what EBGAN's pulling-away term needs.
    dtype: compute dtype; energies are float32.

  References:
    Zhao, Mathieu & LeCun, Energy-based GAN, ICLR 2017, Section 2.3;
    Berthelot, Schumm & Metz, BEGAN, 2017, Section 3.
  """

  hidden: Sequence[int] = (256, 256)
  bottleneck: int = 16
  return_embeddings: bool = False
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x: jax.Array):
    flat = x.reshape(x.shape[0], -1)
    h = flat
    for width in (*self.hidden, self.bottleneck):
      h = nn.leaky_relu(nn.Dense(width, dtype=self.dtype)(h), 0.2)
    code = h
    for width in reversed(self.hidden):
      h = nn.leaky_relu(nn.Dense(width, dtype=self.dtype)(h), 0.2)
    reconstruction = nn.Dense(flat.shape[1], dtype=self.dtype)(h).astype(jnp.float32)
    energies = jnp.mean((reconstruction - flat.astype(jnp.float32)) ** 2, axis=1)
    return {"scores": energies, "embeddings": code.astype(jnp.float32)} if self.return_embeddings else energies


def split_variables(variables) -> tuple[dict, dict]:
  """Splits Linen variables into `(params, model_state)` (every other collection)."""
  variables = dict(variables)
  params = variables.pop("params")
  return params, variables


def init_linen(module: nn.Module, rng_key: jax.Array, example: jax.Array, *conditioning) -> tuple[dict, dict]:
  """Initialises a Linen module on `example` (and the conditioning, e.g. labels); returns `(params, model_state)`."""
  return split_variables(module.init(rng_key, jnp.asarray(example), *conditioning))
