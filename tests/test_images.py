"""Image data: the offline dataset, array sources, the resumable grain iterator, and TFDS loading on mock data."""

import json
import sys
import time

import jax
import numpy as np
import pytest

import jaxgan as jg
from jaxgan._src.data import images as images_lib


def indexed_source(n=40):
  """Each image holds its own index, so batches reveal which examples they drew."""
  def get(indices):
    indices = np.asarray(indices)
    return np.broadcast_to(indices[:, None, None, None], (len(indices), 2, 2, 1)).astype(np.float32), indices
  return jg.data.ImageSource("indexed", n, (2, 2, 1), None, get)


def test_offline_shapes_are_deterministic_in_range_and_balanced():
  a = jg.data.offline_shapes(600, seed=3)
  b = jg.data.offline_shapes(600, seed=3)
  images, labels = a.get(np.arange(600))
  np.testing.assert_array_equal(images, b.get(np.arange(600))[0])
  assert images.shape == (600, 32, 32, 1) and images.dtype == np.float32
  assert images.min() >= -1.0 and images.max() <= 1.0
  assert a.num_classes == 10 and set(labels.tolist()) == set(range(10))
  # Classes differ: mean foreground area of disks exceeds that of crosses and frames.
  area = (images + 1).mean(axis=(1, 2, 3)) / 2
  assert area[labels == 0].mean() > 1.5 * area[labels == 5].mean()


def test_stacked_shapes_channels_are_independent_shapes_with_combined_labels():
  source = jg.data.offline_shapes(300, stacked=True, seed=1)
  images, labels = source.get(np.arange(300))
  assert images.shape == (300, 32, 32, 3) and source.num_classes == 1000
  assert labels.min() >= 0 and labels.max() < 1000
  digits = np.stack([labels // 100, labels // 10 % 10, labels % 10], 1)
  assert len({tuple(d) for d in digits}) > 200  # channels drawn independently
  # A channel's class is recoverable: disks (0) cover more area than crosses (5) in the same channel.
  area = (images + 1).mean(axis=(1, 2)) / 2
  assert area[digits[:, 0] == 0, 0].mean() > 1.5 * area[digits[:, 0] == 5, 0].mean()


def test_shapes_render_the_same_images_in_chunks_as_in_one_piece(monkeypatch):
  whole = jg.data.offline_shapes(50, stacked=True, seed=2).get(np.arange(50))[0]
  monkeypatch.setattr(images_lib, "_RENDER_CHUNK", 7)  # 50 images: 7 full chunks and one of 1
  np.testing.assert_array_equal(jg.data.offline_shapes(50, stacked=True, seed=2).get(np.arange(50))[0], whole)


def test_image_batches_cover_each_epoch_once_and_resume_exactly():
  source = indexed_source(40)
  it = jg.data.image_batches(source, jax.random.key(0), batch_size=5, n_critic=2)
  batches = [np.asarray(next(it)) for _ in range(8)]  # 80 examples = 2 epochs
  assert batches[0].shape == (2, 5, 2, 2, 1)
  ids = np.concatenate([b[:, :, 0, 0, 0].ravel() for b in batches])
  assert sorted(ids[:40]) == list(range(40)) and sorted(ids[40:]) == list(range(40))
  assert list(ids[:40]) != list(ids[40:])  # reshuffled every epoch
  resumed = jg.data.image_batches(source, jax.random.key(0), batch_size=5, n_critic=2, start_step=5)
  for expected in batches[5:]:
    np.testing.assert_array_equal(np.asarray(next(resumed)), expected)


def test_image_batches_shard_over_a_mesh():
  mesh = jg.train.data_mesh()
  it = jg.data.image_batches(indexed_source(64), jax.random.key(0), batch_size=8,
                             sharding=jg.train.batch_sharding(mesh))
  batch = next(it)
  assert batch.shape == (1, 8, 2, 2, 1)
  assert len(batch.sharding.device_set) == len(jax.devices())


def test_image_batches_surface_reader_errors():
  def broken(indices):
    raise OSError("disk on fire")
  source = jg.data.ImageSource("broken", 10, (2, 2, 1), None, broken)
  with pytest.raises(OSError, match="disk on fire"):
    next(jg.data.image_batches(source, jax.random.key(0), batch_size=2))
  with pytest.raises(ValueError, match="batch_size"):
    next(jg.data.image_batches(indexed_source(), jax.random.key(0), batch_size=0))
  for name in ("start_step", "worker_count"):
    with pytest.raises(ValueError, match=name):
      jg.data.image_batches(indexed_source(), jax.random.key(0), batch_size=2, **{name: -1})


def test_image_batches_state_round_trips_through_json():
  source = indexed_source(12)  # 5 examples a batch: batches straddle epochs
  it = jg.data.image_batches(source, jax.random.key(1), batch_size=5)
  for _ in range(3):
    next(it)
  state = json.loads(json.dumps(it.get_state()))
  expected = [np.asarray(next(it)) for _ in range(4)]
  it.close()
  restored = jg.data.image_batches(source, jax.random.key(1), batch_size=5)
  next(restored)  # a used iterator is moved, not only a fresh one
  restored.set_state(state)
  started = jg.data.image_batches(source, jax.random.key(1), batch_size=5, start_step=3)
  for batch in expected:
    np.testing.assert_array_equal(np.asarray(next(restored)), batch)
    np.testing.assert_array_equal(np.asarray(next(started)), batch)
  restored.close()
  started.close()


def test_image_batches_in_worker_processes_match_in_process_reading():
  source = indexed_source(12)
  kwargs = dict(batch_size=5, n_critic=2, start_step=1, worker_count=2)
  local = jg.data.image_batches(source, jax.random.key(2), **{**kwargs, "worker_count": 0})
  expected = [np.asarray(next(local)) for _ in range(7)]  # more batches than workers x buffers
  local.close()
  start = time.perf_counter()
  workers = jg.data.image_batches(source, jax.random.key(2), **kwargs)
  try:
    for batch in expected[:3]:
      np.testing.assert_array_equal(np.asarray(next(workers)), batch)
    state = json.loads(json.dumps(workers.get_state()))
    for batch in expected[3:]:
      np.testing.assert_array_equal(np.asarray(next(workers)), batch)
    workers.set_state(state)  # the workers' positions go back: the same batches again
    for batch in expected[3:]:
      np.testing.assert_array_equal(np.asarray(next(workers)), batch)
  finally:
    workers.close()
  assert time.perf_counter() - start < 20  # two spawned readers start in a few seconds


def test_array_images_round_trip_through_the_iterator():
  images = np.linspace(-1.0, 1.0, 10 * 2 * 2 * 1, dtype=np.float32).reshape(10, 2, 2, 1)
  source = jg.data.array_images(images, np.arange(10), name="mine", num_classes=10)
  assert (source.name, len(source), source.image_shape, source.num_classes) == ("mine", 10, (2, 2, 1), 10)
  got, labels = source.get(np.array([3, 7]))
  np.testing.assert_array_equal(got, images[[3, 7]])
  np.testing.assert_array_equal(labels, [3, 7])
  batch = np.asarray(next(jg.data.image_batches(source, jax.random.key(0), batch_size=10)))
  np.testing.assert_array_equal(np.sort(batch.ravel()), images.ravel())  # one epoch: every value once


@pytest.mark.parametrize("chunk", [4096, 3], ids=["one_chunk", "chunks_of_3"])
def test_array_images_refuse_non_finite_values_naming_the_dataset_and_count(chunk, monkeypatch):
  monkeypatch.setattr(images_lib, "_CHECK_CHUNK", chunk)  # the host-side scan reads in chunks: every chunk counts
  images = np.zeros((10, 2, 2, 1), np.float32)
  images[3, 0, 0, 0] = np.nan
  images[3, 1, 1, 0] = np.inf
  images[9, 0, 1, 0] = -np.inf  # in the last, partial chunk of 3
  with pytest.raises(ValueError, match=r"`images` of dataset 'mine' contains 3 non-finite value\(s\) \(NaN or inf\)"
                                       r" out of 40, in 2 of 10 examples \(first at index 3\)"):
    jg.data.array_images(images, name="mine")
  images64 = np.zeros((4, 2, 2, 1), np.float64)
  images64[1, 0, 0, 0] = np.nan  # the check runs before the float32 cast
  with pytest.raises(ValueError, match=r"'arrays' contains 1 non-finite value\(s\)"):
    jg.data.array_images(images64)


def test_array_images_refuse_bad_dtype_shape_range_and_labels():
  ok = np.zeros((4, 2, 2, 1), np.float32)
  with pytest.raises(TypeError, match=r"`images`.*x / 127.5 - 1"):
    jg.data.array_images(ok.astype(np.uint8))
  with pytest.raises(ValueError, match=r"`images`.*\(n, H, W, C\)"):
    jg.data.array_images(ok[0])
  with pytest.raises(ValueError, match=r"`images`.*\(n, H, W, C\)"):
    jg.data.array_images(ok[:0])
  with pytest.raises(ValueError, match=r"must lie in \[-1, 1\], got values in \[0, 255\]"):
    jg.data.array_images(ok + np.arange(4, dtype=np.float32)[:, None, None, None] * 85.0)
  with pytest.raises(ValueError, match=r"`labels`.*shape \(4,\)"):
    jg.data.array_images(ok, np.arange(3))
  with pytest.raises(TypeError, match="`labels`"):
    jg.data.array_images(ok, np.zeros(4, np.float32))


def test_tfds_float_split_with_nan_is_refused_when_loaded(monkeypatch):
  tfds = pytest.importorskip("tensorflow_datasets")
  monkeypatch.setattr(images_lib, "_CHECK_CHUNK", 4)  # records read in chunks of 4: the NaN is in the second
  records = [{"image": np.zeros((32, 32, 3), np.float32), "label": i % 10} for i in range(6)]
  records[4]["image"][5, 5, 1] = np.nan
  monkeypatch.setattr(tfds, "data_source", lambda name, split, data_dir: records)
  with pytest.raises(ValueError, match=r"TFDS dataset 'cifar10' \(split 'test'\) contains 1 non-finite value\(s\)"
                                       r" \(NaN or inf\) out of 18432, in 1 of 6 examples \(first at index 4\)"):
    jg.data.tfds_images("cifar10", split="test")
  records[4]["image"][5, 5, 1] = 0.0
  assert len(jg.data.tfds_images("cifar10", split="test")) == 6  # a finite float split loads


@pytest.mark.parametrize("name,shape", [("mnist", (32, 32, 1)), ("fashion_mnist", (32, 32, 1)),
                                        ("cifar10", (32, 32, 3)), ("celeb_a", (64, 64, 3))])
def test_tfds_loading_on_mock_data(name, shape):
  tfds = pytest.importorskip("tensorflow_datasets")
  with tfds.testing.mock_data(num_examples=12, policy=tfds.testing.MockPolicy.USE_CODE):
    source = jg.data.tfds_images(name)
    assert len(source) == 12 and source.image_shape == shape
    batch = np.asarray(next(jg.data.image_batches(source, jax.random.key(0), batch_size=4)))
  assert batch.shape == (1, 4, *shape)
  assert batch.min() >= -1.0 and batch.max() <= 1.0 and batch.dtype == np.float32


def test_tfds_without_the_package_says_how_to_install(monkeypatch):
  monkeypatch.setitem(sys.modules, "tensorflow_datasets", None)
  with pytest.raises(ImportError, match=r"pip install 'jaxgan\[tfds\]'"):
    jg.data.tfds_images("mnist")
  with pytest.raises(ValueError, match="celeb_a"):
    jg.data.tfds_images("imagenet")


def test_importing_jaxgan_starts_no_jax_backend():
  # grain's worker processes import jaxgan to unpickle the pipeline; on a GPU machine a backend started at
  # import would open the GPU in every worker before it is pinned to the CPU.
  import subprocess

  code = "import jaxgan, jax._src.xla_bridge as xb; print(len(xb._backends))"
  out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
  assert out.stdout.strip() == "0", out.stderr[-500:]
