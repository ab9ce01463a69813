"""Data inside the train program: batch `s` computed in-graph from `(rng_key, s)`, for `GAN.run`.

A stream is a pytree (its arrays: the key and, for images, the dataset on
device) with a `batch(step)` method, so :meth:`jaxgan.train.GAN.run` draws
every batch inside its `lax.scan` and the host never feeds the device. Batch
`s` depends only on `(rng_key, s)`: a run resumed at step `s` sees exactly
the batches an uninterrupted run would have seen.

With a leading axis of `N` keys (`jax.random.split(key, N)` or one key per
seed) a stream feeds `N` independent runs (:class:`jaxgan.train.GAN` with
`num_runs=N`): `batch(steps)` returns `(N, n_critic, batch_size, ...)`.

Image datasets that fit in device memory are held there once (uint8 when
the values are exactly the 256 levels of 8-bit images, 4x smaller than
float32) and shuffled per epoch by a keyed pseudo-random permutation of the
indices, computed per element in O(1) (a Feistel network with cycle walking,
Black & Rogaway 2002, "Ciphers with arbitrary finite domains"), so no
permutation of the whole dataset is materialised or carried.
"""

from __future__ import annotations

import os
from typing import Callable, Iterator

import flax.struct
import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

from jaxgan._src import validation
from jaxgan._src.data.images import ImageSource
from jaxgan._src.data.images import array_images
from jaxgan._src.data.toy import ToyDistribution
from jaxgan._src.training import sharding

_FEISTEL_ROUNDS = 6


def _per_run(fn: Callable, rng_key: jax.Array, step) -> jax.Array:
  """`fn(key, step)`, mapped over the leading run axis of `rng_key` and/or `step` when they have one."""
  step = jnp.asarray(step)
  key_axis = 0 if rng_key.ndim else None
  step_axis = 0 if step.ndim else None
  if key_axis is None and step_axis is None:
    return fn(rng_key, step)
  return jax.vmap(fn, in_axes=(key_axis, step_axis))(rng_key, step)


def _typed(rng_key) -> jax.Array:
  rng_key = jnp.asarray(rng_key) if not isinstance(rng_key, jax.Array) else rng_key
  if not jnp.issubdtype(rng_key.dtype, jax.dtypes.prng_key):
    rng_key = jax.random.wrap_key_data(rng_key)
  if rng_key.ndim > 1:
    raise ValueError(f"`rng_key` must be one key or a 1-D array of keys (one per run), got shape {rng_key.shape}.")
  return rng_key


@flax.struct.dataclass
class ToyStream:
  """Batches of a 2-D toy distribution sampled in-graph: fresh samples every step, or a fixed finite dataset.

  Fresh (`dataset_size` None): batch `s` is `sample(fold_in(rng_key, s))`.
  Finite (`dataset_size` n): the dataset is the n points `x_i = sample(fold_in(k_data, i), 1)`, `i < n`, drawn
  from the key alone (nothing is stored); batches visit them without replacement, reshuffled every epoch, as
  :class:`ImageStream` visits its images (keys `k_order, k_data = split(rng_key)`). A run with its own key has
  its own dataset, as a trial of the published 2-D protocols draws its own (PacGAN: 100,000 samples). The
  epoch order covers the first 2**32 examples a run draws (uint32 positions).

  Attributes:
    rng_key: the data key, or `(N,)` keys for `N` runs.
    sample: the distribution's `sample(rng_key, n)`, or its `labelled_sample`
      (`labelled=True`).
    batch_size: samples per microbatch.
    n_critic: microbatches per step (the batch's leading axis).
    labelled: batches are `(x, labels)` pairs, labels the mode index.
    dataset_size: None (fresh samples) or the size of the fixed dataset.
  """

  rng_key: jax.Array
  sample: Callable = flax.struct.field(pytree_node=False)
  batch_size: int = flax.struct.field(pytree_node=False)
  n_critic: int = flax.struct.field(pytree_node=False)
  labelled: bool = flax.struct.field(pytree_node=False, default=False)
  dataset_size: int | None = flax.struct.field(pytree_node=False, default=None)

  def batch(self, step):
    """Batch `step`: `(n_critic, batch_size, 2)`, or `(N, n_critic, batch_size, 2)` for `N` run keys.

    A labelled stream returns `(x, labels)`, labels int32 `(n_critic, batch_size)` (with the run axis for `N`
    keys); `x` is the unlabelled stream's batch.
    """
    per_step = self.n_critic * self.batch_size

    def dataset_points(data_key, index):
      return jax.vmap(lambda i: jax.tree.map(lambda v: v[0], self.sample(jax.random.fold_in(data_key, i), 1)))(index)

    def one(key, s):
      if self.dataset_size is None:
        drawn = self.sample(jax.random.fold_in(key, s), per_step)
      else:
        order_key, data_key = jax.random.split(key)
        drawn = dataset_points(data_key, _epoch_order(order_key, s, per_step, self.dataset_size))
      return jax.tree.map(lambda v: v.reshape(self.n_critic, self.batch_size, *v.shape[1:]), drawn)

    return _per_run(one, self.rng_key, step)


def toy_stream(distribution: ToyDistribution, rng_key: jax.Array, *, batch_size: int,
               n_critic: int = 1, labels: bool = False, dataset_size: int | None = None) -> ToyStream:
  """A :class:`ToyStream` of `distribution` (a `jg.data.get(name)`), one key or `(N,)` keys for `N` runs.

  With `labels=True` (mixtures only) the batches are `(x, mode index)` pairs, for conditional GANs. With
  `dataset_size=n` the stream reads a fixed dataset of n samples per run key, reshuffled every epoch (default:
  fresh samples every step).
  """
  if dataset_size is not None:
    dataset_size = validation.check_positive_int(dataset_size, "dataset_size")
    if dataset_size >= 2**32:
      raise ValueError(f"`dataset_size` must be below 2**32 (uint32 indices), got {dataset_size}.")
  if not isinstance(distribution, ToyDistribution):
    raise TypeError(f"`distribution` must be a jg.data.ToyDistribution, got {type(distribution).__name__}.")
  if labels and distribution.labelled_sample is None:
    raise ValueError(f"`labels=True` needs a mixture with modes; {distribution.name!r} has no class labels.")
  return ToyStream(_typed(rng_key), distribution.labelled_sample if labels else distribution.sample,
                   validation.check_positive_int(batch_size, "batch_size"),
                   validation.check_positive_int(n_critic, "n_critic"), bool(labels), dataset_size)


def _hash(key: jax.Array, x: jax.Array) -> jax.Array:
  """32 pseudo-random bits per element of `x` (uint32), keyed: the Feistel round function."""
  return jax.vmap(lambda v: jax.random.bits(jax.random.fold_in(key, v), (), jnp.uint32))(x)


def permuted_index(rng_key: jax.Array, index: jax.Array, n: int) -> jax.Array:
  """`perm(index)` for the pseudo-random permutation of `[0, n)` keyed by `rng_key`, element-wise.

  A balanced Feistel network on `2 * h` bits (`4^h >= n`, `h` the smallest
  such) with `_FEISTEL_ROUNDS` keyed rounds is a bijection of
  `[0, 4^h)`; cycle walking (apply it again while the value is `>= n`)
  restricts it to a bijection of `[0, n)` (Black & Rogaway 2002). Expected
  walks are below 4 since `4^h < 4n`.

  Args:
    rng_key: typed key; a different key gives an independent permutation.
    index: integer array of positions in `[0, n)`.
    n: the domain size, `1 <= n < 2**31`.

  Returns:
    uint32 array of `index`'s shape: distinct positions for distinct inputs.
  """
  half = max(1, (int(n - 1).bit_length() + 1) // 2)
  mask = jnp.uint32((1 << half) - 1)
  round_keys = jax.random.split(rng_key, _FEISTEL_ROUNDS)
  shift = jnp.uint32(half)

  def feistel(x):
    left, right = x >> shift, x & mask
    for r in range(_FEISTEL_ROUNDS):
      left, right = right, left ^ (_hash(round_keys[r], right) & mask)
    return (left << shift) | right

  flat = jnp.ravel(index).astype(jnp.uint32)
  walked = jax.lax.while_loop(lambda x: jnp.any(x >= n), lambda x: jnp.where(x >= n, feistel(x), x), feistel(flat))
  return walked.reshape(jnp.shape(index))


def _epoch_order(rng_key: jax.Array, step: jax.Array, per_step: int, n: int) -> jax.Array:
  """Indices in `[0, n)` of batch `step`: the slice `[step * per_step, (step + 1) * per_step)` of the concatenation
  of epochs, epoch `e` visiting every index once in the order of :func:`permuted_index` keyed by `fold_in(rng_key, e)`.

  Positions are uint32, so the order holds for the first 2**32 examples a run draws (PacGAN's 400,000 steps of
  400: 1.6e8; CIFAR-10 at 5 x 64 per step: 13 million steps); the main job's config check refuses more."""
  position = step.astype(jnp.uint32) * jnp.uint32(per_step) + jnp.arange(per_step, dtype=jnp.uint32)
  epoch, offset = position // jnp.uint32(n), position % jnp.uint32(n)
  return jax.vmap(lambda e, o: permuted_index(jax.random.fold_in(rng_key, e), o, n))(epoch, offset)


@flax.struct.dataclass
class ImageStream:
  """An image dataset held on device, batches drawn in-graph without replacement, reshuffled every epoch.

  The stream is the concatenation of epochs; epoch `e` visits every example
  once in the order of :func:`permuted_index` keyed by `fold_in(rng_key, e)`,
  and batch `s` is the stream's slice `[s * m, (s + 1) * m)`,
  `m = n_critic * batch_size`. Positions are uint32: the order covers the first
  2**32 examples a run draws (the main job refuses a config that draws more).

  Attributes:
    images: `(n, H, W, C)` uint8 (scaled to [-1, 1] when drawn) or float32 in [-1, 1].
    rng_key: the data key, or `(N,)` keys for `N` runs.
    batch_size: images per microbatch.
    n_critic: microbatches per step.
    labels: None, or the examples' int32 class labels `(n,)`: batches are
      then `(x, labels)` pairs (conditional GANs).
  """

  images: jax.Array
  rng_key: jax.Array
  batch_size: int = flax.struct.field(pytree_node=False)
  n_critic: int = flax.struct.field(pytree_node=False)
  labels: jax.Array | None = None

  def batch(self, step):
    """Batch `step`: float32 `(n_critic, batch_size, H, W, C)`, with a leading run axis for `N` run keys.

    With `labels`, `(x, labels)`, the labels int32 `(n_critic, batch_size)` (and the run axis).
    """
    n, per_step = self.images.shape[0], self.n_critic * self.batch_size

    def one(key, s):
      index = _epoch_order(key, s, per_step, n)
      x = self.images[index]
      x = x.astype(jnp.float32) / 127.5 - 1.0 if x.dtype == jnp.uint8 else x.astype(jnp.float32)
      x = x.reshape(self.n_critic, self.batch_size, *x.shape[1:])
      return x if self.labels is None else (x, self.labels[index].reshape(self.n_critic, self.batch_size))

    return _per_run(one, self.rng_key, step)

  def with_labels(self, labels) -> ImageStream:
    """The same stream with new class labels `(n,)` for the same images, placed as the old ones.

    For a self-conditioned GAN that re-clusters its data during training
    (`jg.techniques.recluster_labels`): the batches keep their images and
    order, and take the new labels.
    """
    if self.labels is None:
      raise ValueError("`with_labels` relabels a labelled stream (built with `labels=True`); this one has none.")
    labels = np.asarray(labels)
    if labels.shape != self.labels.shape or not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0:
      raise ValueError(f"`labels` must be integer labels >= 0 of shape {self.labels.shape} (one per image), got dtype"
                       f" {labels.dtype} and shape {labels.shape}.")
    return self.replace(labels=sharding.place(labels.astype(np.int32), self.labels.sharding))


def _memory_budget() -> int:
  """Half the first device's memory (its allocator limit; host RAM for CPU devices)."""
  stats = jax.devices()[0].memory_stats() or {}
  if "bytes_limit" in stats:
    return int(stats["bytes_limit"]) // 2
  return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2


def _read_source(source: ImageSource) -> tuple[np.ndarray, np.ndarray]:
  """A source's images and labels as two host arrays, read once in chunks."""
  chunks = [source.get(np.arange(i, min(i + 4096, len(source)))) for i in range(0, len(source), 4096)]
  return np.concatenate([c[0] for c in chunks]), np.concatenate([c[1] for c in chunks]).astype(np.int32)


def _as_array(images) -> np.ndarray:
  """The dataset as one host array: uint8 as given; floats checked by `array_images`, stored as uint8 when lossless."""
  images = np.asarray(images)
  if images.dtype == np.uint8:
    if images.ndim != 4 or images.shape[0] == 0:
      raise ValueError(f"`images` must have shape (n, H, W, C) with n >= 1, got {images.shape}.")
    return images
  source = array_images(images)  # refuses non-float dtypes, wrong shapes, non-finite and out-of-range values
  images = source.get(np.arange(len(source)))[0]
  levels = (images + 1.0) * 127.5
  rounded = np.round(levels)
  if np.all(np.abs(levels - rounded) < 1e-3):
    return rounded.astype(np.uint8)
  return images


def _refuse_oversize(nbytes: int, budget: int) -> None:
  if nbytes > budget:
    raise ValueError(
        f"The dataset needs {nbytes / 2**20:.0f} MiB of device memory, over the {budget / 2**20:.0f} MiB allowed"
        " (`max_bytes`); stream it from host storage with jg.data.image_batches (grain) instead."
    )


def image_stream(images, rng_key: jax.Array, *, batch_size: int, n_critic: int = 1,
                 mesh: jax.sharding.Mesh | None = None, max_bytes: int | None = None,
                 labels: bool = False) -> ImageStream:
  """Places an image dataset on device once and returns its :class:`ImageStream`.

  Args:
    images: a `jg.data.ImageSource` (read whole), a uint8 array `(n, H, W, C)`
      or a float array in [-1, 1] (checked for non-finite and out-of-range
      values; kept as uint8 when its values are exactly 8-bit levels).
    rng_key: the data key, or `(N,)` keys for `N` runs.
    batch_size: images per microbatch.
    n_critic: microbatches per step.
    mesh: optional data mesh: the examples are sharded over its `"data"`
      axis when their number divides evenly, replicated otherwise.
    max_bytes: refuse datasets larger than this (default: half the device's memory).
    labels: batches are `(x, labels)` with the source's class labels (a
      `jg.data.ImageSource` whose every label is >= 0), for conditional GANs.

  Raises:
    ValueError: the dataset is larger than `max_bytes` (use
      `jg.data.image_batches`, which reads from host storage), or bad values.
  """
  batch_size = validation.check_positive_int(batch_size, "batch_size")
  n_critic = validation.check_positive_int(n_critic, "n_critic")
  budget = _memory_budget() if max_bytes is None else validation.check_positive_int(max_bytes, "max_bytes")
  # A source is measured before it is read (at its smallest, uint8), an array as given, then the result.
  class_labels = None
  if isinstance(images, ImageSource):
    _refuse_oversize(len(images) * int(np.prod(images.image_shape)), budget)
    name, (images, source_labels) = images.name, _read_source(images)
    if labels:
      if source_labels.min() < 0:
        raise ValueError(f"`labels=True`, but dataset {name!r} has unlabelled examples (label -1).")
      class_labels = source_labels
  else:
    _refuse_oversize(np.asarray(images).nbytes, budget)
    if labels:
      raise TypeError("`labels=True` needs a jg.data.ImageSource with class labels (build one from arrays with"
                      f" jg.data.array_images(images, labels)); got {type(images).__name__}.")
  array = _as_array(images)
  _refuse_oversize(array.nbytes, budget)
  if mesh is not None:
    spec = P("data") if array.shape[0] % mesh.size == 0 else P()
    placed = sharding.place(array, NamedSharding(mesh, spec))  # each process writes its own devices' rows
  else:
    placed = jax.device_put(array)
  placed_labels = None if class_labels is None else (
      sharding.place(class_labels, NamedSharding(mesh, P())) if mesh is not None else jax.device_put(class_labels))
  return ImageStream(placed, _typed(rng_key), batch_size, n_critic, placed_labels)


def batches(
    distribution: ToyDistribution,
    rng_key: jax.Array,
    *,
    batch_size: int,
    n_critic: int = 1,
    start_step: int = 0,
    sharding: jax.sharding.Sharding | None = None,
) -> Iterator[jax.Array]:
  """Host-side iterator over a :class:`ToyStream`'s batches, for loops that call `gan.step` themselves.

  Yields batch `start_step`, then `start_step + 1`, ... of
  `toy_stream(distribution, rng_key, ...)`: the batches `GAN.run` draws in-graph.

  Values are not checked per batch (that would cost a device-to-host sync per
  step): the registered distributions are closed-form samplers of finite
  values; the train step's non-finite guard catches the NaN losses a
  hand-written `distribution.sample` returning NaN would give.

  Args:
    distribution: a :class:`ToyDistribution`.
    rng_key: data key.
    batch_size: samples per microbatch.
    n_critic: leading axis (one microbatch per critic update).
    start_step: index of the first batch.
    sharding: optional output sharding (e.g. `jg.train.batch_sharding(mesh)`).

  Yields:
    float32 arrays of shape `(n_critic, batch_size, 2)`.
  """
  stream = toy_stream(distribution, rng_key, batch_size=batch_size, n_critic=n_critic)
  make = jax.jit(lambda s: stream.batch(s), out_shardings=sharding)
  step = start_step
  while True:
    yield make(step)
    step += 1
