"""Image datasets: an offline procedural dataset, TFDS sources, and a resumable grain batch iterator.

Every dataset is an :class:`ImageSource`: `len(source)` examples, and
`source.get(indices) -> (images (n, H, W, C) float32 in [-1, 1], labels (n,))`.
:func:`image_batches` turns a source into a grain pipeline: an infinite
iterator of shuffled, repeated, device-resident (optionally mesh-sharded)
batches whose batch `s` depends only on `(rng_key, s)`, so a resumed run sees
the same data, and whose state saves beside a checkpoint.

Non-finite values are refused where data enters, once, on the host:
:func:`array_images` checks the user's arrays when it builds the source and
:func:`tfds_images` checks a split stored as floats when it loads it (uint8
images cannot hold NaN or inf). The batch iterator and the losses do not read
values again.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

from absl import flags
import grain
import jax
import jax.numpy as jnp
import numpy as np

from jaxgan._src import validation

SHAPE_CLASSES = ("disk", "square", "triangle", "diamond", "plus", "cross", "ring", "bars", "half_disk", "frame")
TFDS_DATASETS = {"mnist": 32, "fashion_mnist": 32, "cifar10": 32, "celeb_a": 64}


class ImageSource(NamedTuple):
  """A random-access image dataset.

  Attributes:
    name: dataset name.
    num_examples: number of examples.
    image_shape: `(H, W, C)` of the images `get` returns.
    num_classes: number of classes (modes) or None.
    get: `indices (n,) -> (images (n, H, W, C) float32 in [-1, 1], labels (n,) int32)`.

  Build one from in-memory arrays with :func:`array_images`, which checks the
  values once; a source assembled by hand is trusted as it is (no per-batch
  check runs).
  """

  name: str
  num_examples: int
  image_shape: tuple
  num_classes: int | None
  get: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]

  def __len__(self) -> int:
    return self.num_examples


def _shape_mask(label: int, x: np.ndarray, y: np.ndarray) -> np.ndarray:
  """Boolean mask of shape class `label` in normalised coordinates (shape extent about [-1, 1])."""
  ax, ay = np.abs(x), np.abs(y)
  r = lambda: np.hypot(x, y)  # noqa: E731
  box = lambda: np.maximum(ax, ay)  # noqa: E731
  u, v = lambda: np.abs(x - y) / np.sqrt(2), lambda: np.abs(x + y) / np.sqrt(2)  # noqa: E731
  masks = {
      0: lambda: r() < 0.9,
      1: lambda: box() < 0.75,
      2: lambda: (y > -0.65) & (y < 0.85 - 1.7 * ax),
      3: lambda: ax + ay < 0.95,
      4: lambda: ((ax < 0.25) & (ay < 0.9)) | ((ay < 0.25) & (ax < 0.9)),
      5: lambda: ((u() < 0.22) & (v() < 0.95)) | ((v() < 0.22) & (u() < 0.95)),
      6: lambda: (r() > 0.5) & (r() < 0.9),
      7: lambda: ((np.abs(y - 0.45) < 0.2) | (np.abs(y + 0.45) < 0.2)) & (ax < 0.85),
      8: lambda: (r() < 0.9) & (y > 0.0),
      9: lambda: (box() > 0.5) & (box() < 0.85),
  }
  return masks[label]()


_RENDER_CHUNK = 4096


def render_shapes(labels: np.ndarray, rng: np.random.Generator, *, image_size: int = 32,
                  supersample: int = 2) -> np.ndarray:
  """Grayscale images `(n, size, size, 1)` in [-1, 1] of the given shape classes, randomly placed, scaled, rotated."""
  n = labels.shape[0]
  fine = image_size * supersample
  grid = ((np.arange(fine) + 0.5) / fine * 2.0 - 1.0).astype(np.float32)
  gx, gy = np.meshgrid(grid, -grid)
  scale = rng.uniform(0.45, 0.75, n).astype(np.float32)[:, None, None]
  angle = rng.uniform(-0.3, 0.3, n).astype(np.float32)[:, None, None]
  shift = rng.uniform(-0.2, 0.2, (n, 2)).astype(np.float32)[:, :, None, None]
  images = np.empty((n, image_size, image_size), np.float32)
  for start in range(0, n, _RENDER_CHUNK):  # chunks bound the fine-grid memory; the numbers do not depend on them
    part = slice(start, start + _RENDER_CHUNK)
    px, py = gx[None] - shift[part, 0], gy[None] - shift[part, 1]
    x = (np.cos(angle[part]) * px + np.sin(angle[part]) * py) / scale[part]
    y = (-np.sin(angle[part]) * px + np.cos(angle[part]) * py) / scale[part]
    fine_images = np.zeros(x.shape, np.float32)
    for label in range(len(SHAPE_CLASSES)):
      rows = labels[part] == label
      if rows.any():
        fine_images[rows] = _shape_mask(label, x[rows], y[rows])
    images[part] = fine_images.reshape(-1, image_size, supersample, image_size, supersample).mean(axis=(2, 4))
  return (images * 2.0 - 1.0)[..., None].astype(np.float32)


_CHECK_CHUNK = 4096  # examples per host-side chunk when scanning for non-finite values


def _nonfinite_counts(images: np.ndarray) -> np.ndarray:
  """Non-finite values per example, shape `(n,)`, counted on the host in chunks (bounded memory)."""
  counts = np.zeros(images.shape[0], np.int64)
  for start in range(0, images.shape[0], _CHECK_CHUNK):
    chunk = images[start:start + _CHECK_CHUNK]
    counts[start:start + _CHECK_CHUNK] = (~np.isfinite(chunk)).reshape(chunk.shape[0], -1).sum(axis=1)
  return counts


def _record_nonfinite_counts(source) -> np.ndarray:
  """Non-finite values per record of a random-access TFDS source, read once in chunks."""
  n = len(source)
  chunks = (range(start, min(start + _CHECK_CHUNK, n)) for start in range(0, n, _CHECK_CHUNK))
  return np.concatenate([_nonfinite_counts(np.stack([np.asarray(source[i]["image"]) for i in rows]))
                         for rows in chunks])


def _refuse_nonfinite(counts: np.ndarray, what: str, num_values: int) -> None:
  """Raises a ValueError naming `what` and the count of non-finite values, if there are any."""
  total = int(counts.sum())
  if total:
    bad = np.flatnonzero(counts)
    raise ValueError(
        f"{what} contains {total} non-finite value(s) (NaN or inf) out of {num_values}, in"
        f" {bad.size} of {counts.size} examples (first at index {int(bad[0])}). Drop or repair"
        " those examples before training on them."
    )


def array_images(images, labels=None, *, name: str = "arrays", num_classes: int | None = None) -> ImageSource:
  """An :class:`ImageSource` over in-memory arrays, checked once for non-finite and out-of-range values.

  The check runs here, once, in NumPy on the host; batches drawn later by
  :func:`image_batches` are not checked again.

  Args:
    images: floating array of shape `(n, H, W, C)`, `n >= 1`, values in
      [-1, 1] (scale uint8 images with `x / 127.5 - 1` first).
    labels: optional integer labels of shape `(n,)`; `-1` for every example
      when omitted.
    name: the dataset's name, used in messages.
    num_classes: number of classes, or None.

  Returns:
    An :class:`ImageSource` whose `get` returns float32 images and int32 labels.

  Raises:
    TypeError: `images` is not floating or `labels` not integer.
    ValueError: a wrong shape, NaN or inf values (the message gives their
      count and the first bad example), or values outside [-1, 1].
  """
  images = np.asarray(images)
  if not np.issubdtype(images.dtype, np.floating):
    raise TypeError(
        f"`images` of dataset {name!r} must be floating in [-1, 1], got dtype {images.dtype}"
        " (scale uint8 images with x / 127.5 - 1)."
    )
  if images.ndim != 4 or images.shape[0] == 0:
    raise ValueError(f"`images` of dataset {name!r} must have shape (n, H, W, C) with n >= 1, got {images.shape}.")
  _refuse_nonfinite(_nonfinite_counts(images), f"`images` of dataset {name!r}", images.size)
  low, high = float(images.min()), float(images.max())
  if low < -1.0 or high > 1.0:
    raise ValueError(
        f"`images` of dataset {name!r} must lie in [-1, 1], got values in [{low:g}, {high:g}]"
        " (scale uint8 images with x / 127.5 - 1)."
    )
  images = images.astype(np.float32)
  if labels is None:
    labels = np.full(images.shape[0], -1, np.int32)
  labels = np.asarray(labels)
  if not np.issubdtype(labels.dtype, np.integer):
    raise TypeError(f"`labels` of dataset {name!r} must be integers, got dtype {labels.dtype}.")
  if labels.shape != images.shape[:1]:
    raise ValueError(
        f"`labels` of dataset {name!r} must have shape ({images.shape[0]},) to match `images`, got {labels.shape}."
    )
  labels = labels.astype(np.int32)

  def get(indices):
    return images[indices], labels[indices]

  return ImageSource(name, images.shape[0], images.shape[1:], num_classes, get)


def offline_shapes(num_examples: int = 10_000, *, image_size: int = 32, seed: int = 0,
                   stacked: bool = False) -> ImageSource:
  """The offline dataset: 10 procedurally rendered shape classes; no download.

  With `stacked=True` each example stacks three independent shapes as RGB
  channels and has one of `10**3 = 1000` classes (`100 c_R + 10 c_G + c_B`),
  the StackedMNIST protocol (Metz et al. 2017) on shapes.

  Args:
    num_examples: dataset size (rendered once, kept in memory).
    image_size: side in pixels.
    seed: rendering seed.
    stacked: stack three shapes as channels (1000 modes).

  Returns:
    An :class:`ImageSource` named `shapes` or `stacked_shapes`.
  """
  num_examples = validation.check_positive_int(num_examples, "num_examples")
  image_size = validation.check_positive_int(image_size, "image_size")
  rng = np.random.default_rng(seed)
  k = len(SHAPE_CLASSES)
  channels = 3 if stacked else 1
  labels = rng.integers(0, k, (num_examples, channels))
  images = np.concatenate([render_shapes(labels[:, c], rng, image_size=image_size) for c in range(channels)], -1)
  combined = (labels * k ** np.arange(channels)[::-1]).sum(axis=1).astype(np.int32)

  def get(indices):
    return images[indices], combined[indices]

  return ImageSource("stacked_shapes" if stacked else "shapes", num_examples, images.shape[1:], k**channels, get)


def _resize_images(images: np.ndarray, size: int) -> np.ndarray:
  """Centre-crop to a square and resize to `size` (antialiased), values kept in [0, 255]."""
  h, w = images.shape[1:3]
  if (h, w) == (size, size):
    return images
  side = min(h, w)
  if h != w:
    top, left = (h - side) // 2, (w - side) // 2
    images = images[:, top:top + side, left:left + side]
  if side < size:  # MNIST 28 -> 32: pad with the background, do not interpolate
    pad = size - side
    return np.pad(images, ((0, 0), (pad // 2, pad - pad // 2), (pad // 2, pad - pad // 2), (0, 0)))
  resized = jax.image.resize(jnp.asarray(images, jnp.float32), (images.shape[0], size, size, images.shape[3]),
                             method="linear", antialias=True)
  return np.asarray(resized)


def tfds_images(name: str, *, split: str = "train", data_dir: str | None = None,
                image_size: int | None = None) -> ImageSource:
  """A TFDS image dataset read through `tfds.data_source` (array_record; no TensorFlow needed).

  mnist / fashion_mnist are padded to 32x32, cifar10 is 32x32, celeb_a is
  centre-cropped and resized to 64x64 (override with `image_size`). Images
  are scaled to [-1, 1]. The data must have been prepared (downloaded) once
  with `tfds.data_source(name, download=True)` or `tfds build` on a machine
  with network access.

  The supported datasets store uint8 images, which cannot hold NaN or inf; a
  split stored as floats is scanned once here, on the host, and refused if
  any value is non-finite.

  Raises:
    ImportError: tensorflow-datasets is not installed (`pip install 'jaxgan[tfds]'`).
    ValueError: unknown dataset name, or a float split with NaN or inf values
      (the message gives their count and the first bad example).
  """
  validation.check_choice(name, "name", tuple(TFDS_DATASETS))
  try:
    import tensorflow_datasets as tfds
  except ImportError as e:
    raise ImportError(
        f"Loading {name!r} needs tensorflow-datasets: pip install 'jaxgan[tfds]' (or pip install"
        " tensorflow-datasets). The offline dataset `offline_shapes()` needs nothing."
    ) from e
  source = tfds.data_source(name, split=split, data_dir=data_dir)
  size = image_size or TFDS_DATASETS[name]
  first = np.asarray(source[0]["image"])
  if not np.issubdtype(first.dtype, np.integer):  # uint8 images cannot hold NaN or inf
    _refuse_nonfinite(_record_nonfinite_counts(source), f"TFDS dataset {name!r} (split {split!r})",
                      len(source) * first.size)
  shape = (size, size, first.shape[-1])
  num_classes = 10 if name != "celeb_a" else None

  def get(indices):
    records = [source[int(i)] for i in indices]
    images = _resize_images(np.stack([np.asarray(r["image"]) for r in records]), size)
    labels = np.asarray([int(r.get("label", -1)) for r in records], np.int32)
    return (images.astype(np.float32) / 127.5 - 1.0).astype(np.float32), labels

  return ImageSource(name, len(source), shape, num_classes, get)


def _grain_seed(rng_key: jax.Array) -> int:
  """grain's shuffle seed (an int below 2**32), drawn deterministically from `rng_key`."""
  return int(jax.random.bits(rng_key, dtype=jnp.uint32))


def _allow_workers_outside_absl() -> None:
  """Lets grain 0.2.18 start worker processes in a program that never parsed absl flags.

  With JAX imported, grain reads its `grain_enable_multiprocess_worker_profiling`
  flag when workers start, which raises `UnparsedFlagAccessError` unless flags
  were parsed (google/grain#1355, fixed upstream by google/grain#1362). Marking
  that one flag as given keeps its default (off); programs run by `absl.app`
  have parsed flags and are left alone.
  """
  if not flags.FLAGS.is_parsed():
    flags.FLAGS["grain_enable_multiprocess_worker_profiling"].present = True


def _worker_jax_on_cpu(worker_index: int, worker_count: int) -> None:
  """Keeps JAX in a worker process (TFDS resizing) off the accelerator, which belongs to the training process."""
  del worker_index, worker_count
  jax.config.update("jax_platforms", "cpu")


def image_batches(
    source: ImageSource,
    rng_key: jax.Array,
    *,
    batch_size: int,
    n_critic: int = 1,
    start_step: int = 0,
    sharding: jax.sharding.Sharding | None = None,
    prefetch: int = 2,
    worker_count: int = 0,
) -> grain.DatasetIterator:
  """Infinite iterator of image batches `(n_critic, batch_size, H, W, C)` on device, read by a grain pipeline.

  For datasets read from host storage (CelebA through TFDS array_record);
  one that fits in device memory trains faster from `jg.data.image_stream`.
  Examples are drawn without replacement, reshuffled every epoch (grain's
  index shuffle, seeded from `rng_key`), and batch `s` is the stream's slice
  `[s * n, (s + 1) * n)` with `n = n_critic * batch_size`, read with one
  `source.get` call. Batch `s` depends only on `(rng_key, s)`, so starting
  at `start_step` resumes exactly. Reading runs ahead of the consumer in
  threads (or `worker_count` processes), and batches are transferred to the
  device (with `sharding`, directly into their shards) before they are asked
  for. A reader's exception reaches the consumer as it was raised.

  The iterator's `get_state()` is a JSON-serialisable dict (save it with
  `Checkpointer.save(..., data_state=...)`); `set_state(state)` on an
  iterator built with the same arguments (`start_step` and `worker_count`
  included) continues from where that state was taken. Call `close()` when
  done to stop worker processes promptly.

  Args:
    source: the dataset; `source.get` is called from `prefetch` threads at
      once. With `worker_count > 0` the source is pickled to every worker, so
      in-memory sources are copied (workers pay off for sources that read storage).
    rng_key: the data key: decides the shuffle of every epoch.
    batch_size: images per microbatch.
    n_critic: microbatches per step.
    start_step: the first batch's step.
    sharding: where to place each batch (default: the default device). In
      a multi-process job (a sharding over several processes' devices) each
      process reads only the rows its devices hold, and the global batch is
      assembled from every process's rows: batch `s` is the same global
      array as in one process.
    prefetch: batches read ahead (per reader) and placed on device ahead.
    worker_count: reader processes (0: threads of this process).

  Returns:
    A `grain.DatasetIterator` of float32 arrays `(n_critic, batch_size, H, W, C)`.
  """
  batch_size = validation.check_positive_int(batch_size, "batch_size")
  n_critic = validation.check_positive_int(n_critic, "n_critic")
  prefetch = validation.check_positive_int(prefetch, "prefetch")
  for value, name in ((start_step, "start_step"), (worker_count, "worker_count")):
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
      raise ValueError(f"`{name}` must be an integer >= 0, got {value!r}.")
  if len(source) < 1:
    raise ValueError(f"`source` {source.name!r} is empty.")
  global_shape = (n_critic, batch_size, *source.image_shape)
  per_process = sharding is not None and not sharding.is_fully_addressable
  rows = _process_rows(sharding, global_shape) if per_process else slice(None)

  def read(indices: np.ndarray) -> np.ndarray:
    mine = indices.reshape(n_critic, batch_size)[:, rows]  # in a multi-process job, this process's rows only
    images, _ = source.get(mine.reshape(-1))
    return images.reshape(*mine.shape, *images.shape[1:])

  steps = (grain.MapDataset.range(len(source)).shuffle(seed=_grain_seed(rng_key)).repeat()
           .batch(batch_size * n_critic).map(read))
  batches = steps[start_step:].to_iter_dataset(grain.ReadOptions(num_threads=prefetch, prefetch_buffer_size=prefetch))
  if worker_count:
    _allow_workers_outside_absl()
    batches = batches.mp_prefetch(
        grain.MultiprocessingOptions(num_workers=worker_count, per_worker_buffer_size=prefetch),
        worker_init_fn=_worker_jax_on_cpu)
  if per_process:  # the global batch from every process's rows
    return iter(batches.map(lambda local: jax.make_array_from_process_local_data(sharding, local, global_shape)))
  return iter(grain.experimental.device_put(batches, sharding, cpu_buffer_size=prefetch, device_buffer_size=prefetch))


def _process_rows(sharding: jax.sharding.Sharding, global_shape: tuple) -> slice:
  """The contiguous rows of the batch axis (axis 1) that this process's devices hold under `sharding`.

  A multi-process job reads only those rows of each global batch (`jax.make_array_from_process_local_data`
  assembles the rest from the other processes), so each host reads its share of the dataset.
  """
  starts, stops = [], []
  for index in sharding.addressable_devices_indices_map(global_shape).values():
    if any(part != slice(None) for i, part in enumerate(index) if i != 1):
      raise ValueError(f"A multi-process `sharding` may split the batch axis (axis 1) only; got {sharding}.")
    start, stop, _ = index[1].indices(global_shape[1])
    starts.append(start)
    stops.append(stop)
  covered = sorted(set(zip(starts, stops)))
  if any(a[1] != b[0] for a, b in zip(covered, covered[1:])):
    raise ValueError(f"This process's devices hold non-contiguous rows {covered} of the batch under {sharding}.")
  return slice(min(starts), max(stops))
