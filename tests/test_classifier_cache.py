"""The in-project classifier is trained once per machine and then read from the cache, never stale or partial."""

import os

import chex
import numpy as np
import pytest

import jaxgan as jg
from experiments.tasks import images


@pytest.fixture
def counted_training(monkeypatch, tmp_path):
  """A fresh cache in `tmp_path`, a 2-step training on 1,200 shapes, and the number of trainings so far."""
  monkeypatch.setenv(images.CACHE_DIR_ENV, str(tmp_path))
  monkeypatch.setattr(images, "CLASSIFIER_TRAINING", {"num_examples": 1200, "seed": 3, "steps": 2})
  real_training, calls = jg.metrics.train_classifier, []

  def train_classifier(*args, **kwargs):
    calls.append(kwargs)
    return real_training(*args, **kwargs)

  monkeypatch.setattr(jg.metrics, "train_classifier", train_classifier)
  images.shape_classifier.cache_clear()
  yield calls
  images.shape_classifier.cache_clear()


def test_a_second_process_reads_the_trained_classifier_and_gets_the_same_features(counted_training, tmp_path):
  trained = images.shape_classifier()
  assert counted_training == [{"steps": 2}]
  [cached_file] = os.listdir(tmp_path)
  assert cached_file.startswith("shape_classifier-") and cached_file.endswith(".msgpack")
  images.shape_classifier.cache_clear()  # as a new process would start
  read = images.shape_classifier()
  assert len(counted_training) == 1, "the cached classifier was trained again"
  chex.assert_trees_all_equal(read.params, trained.params)
  assert read.test_accuracy == trained.test_accuracy
  shapes = jg.data.offline_shapes(64, seed=9).get(np.arange(64))[0]
  np.testing.assert_array_equal(read.apply(shapes)[0], trained.apply(shapes)[0])


def test_other_training_settings_use_another_file_and_an_unreadable_file_is_retrained(counted_training, tmp_path,
                                                                                       monkeypatch):
  images.shape_classifier()
  [first] = os.listdir(tmp_path)
  monkeypatch.setattr(images, "CLASSIFIER_TRAINING", {"num_examples": 1200, "seed": 3, "steps": 3})
  images.shape_classifier.cache_clear()
  images.shape_classifier()
  assert len(counted_training) == 2 and len(os.listdir(tmp_path)) == 2  # a new key, not the stale classifier
  (tmp_path / first).write_bytes(b"\x00 truncated")
  monkeypatch.setattr(images, "CLASSIFIER_TRAINING", {"num_examples": 1200, "seed": 3, "steps": 2})
  images.shape_classifier.cache_clear()
  retrained = images.shape_classifier()
  assert len(counted_training) == 3 and retrained.test_accuracy >= 0.0
  images.shape_classifier.cache_clear()
  assert images.shape_classifier().test_accuracy == retrained.test_accuracy and len(counted_training) == 3
  assert not [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]
