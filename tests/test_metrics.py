"""Feature-set metrics against closed forms, scipy, direct O(n^2) formulas and their known expectations."""

import collections

import numpy as np
import pytest
import scipy.linalg

import jaxgan as jg


def random_spd(rng, d):
  a = rng.normal(size=(d, d))
  return a @ a.T / d + 0.1 * np.eye(d)


def test_frechet_distance_closed_form_for_diagonal_gaussians():
  mu1, mu2 = np.array([0.0, 1.0, -2.0]), np.array([0.5, 1.0, 0.0])
  std1, std2 = np.array([1.0, 2.0, 0.5]), np.array([3.0, 1.0, 0.5])
  expected = np.sum((mu1 - mu2) ** 2) + np.sum((std1 - std2) ** 2)  # W2^2 of diagonal Gaussians
  assert jg.metrics.frechet_distance(mu1, np.diag(std1**2), mu2, np.diag(std2**2)) == pytest.approx(expected)


def test_frechet_distance_matches_scipy_sqrtm_on_random_covariances():
  rng = np.random.default_rng(0)
  for d in (2, 16, 64):
    s1, s2 = random_spd(rng, d), random_spd(rng, d)
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    covmean = scipy.linalg.sqrtm(s1 @ s2).real
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2 * covmean)
    assert jg.metrics.frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-6)
    assert jg.metrics.frechet_distance(mu1, s1, mu1, s1) == pytest.approx(0.0, abs=1e-8)


def test_frechet_from_features_fits_gaussians():
  rng = np.random.default_rng(1)
  x, y = rng.normal(size=(20000, 3)), 2.0 + 0.5 * rng.normal(size=(20000, 3))
  expected = 3 * 2.0**2 + 3 * (1.0 - 0.5) ** 2
  assert jg.metrics.frechet_distance_from_features(x, y) == pytest.approx(expected, rel=0.03)


def test_kid_equals_direct_unbiased_mmd_and_is_near_zero_for_one_distribution():
  rng = np.random.default_rng(2)
  x, y = rng.normal(size=(300, 8)), rng.normal(size=(300, 8)) + 0.3
  k = lambda a, b: (a @ b.T / 8 + 1.0) ** 3  # noqa: E731
  m = 300
  direct = ((k(x, x).sum() - np.trace(k(x, x))) / (m * (m - 1)) + (k(y, y).sum() - np.trace(k(y, y))) / (m * (m - 1))
            - 2 * k(x, y).mean())
  mean, std = jg.metrics.kernel_inception_distance(x, y, num_subsets=3, subset_size=300)
  assert mean == pytest.approx(direct, rel=1e-10) and std == pytest.approx(0.0, abs=1e-12)
  same_mean, same_std = jg.metrics.kernel_inception_distance(rng.normal(size=(2000, 8)), rng.normal(size=(2000, 8)),
                                                             num_subsets=20, subset_size=500)
  assert abs(same_mean) < 3 * same_std + 1e-3 and mean > 10 * abs(same_mean)


def test_precision_recall_extremes_and_a_half_covered_support():
  rng = np.random.default_rng(3)
  real = rng.normal(size=(500, 2))
  assert jg.metrics.precision_recall(real, real) == {"precision": 1.0, "recall": 1.0}
  far = jg.metrics.precision_recall(real, real + 100.0)
  assert far == {"precision": 0.0, "recall": 0.0}
  # Fake = the real points with x > 0: every fake is on the real manifold, about half the reals are covered.
  half = jg.metrics.precision_recall(real, real[real[:, 0] > 0])
  assert half["precision"] == 1.0 and 0.4 < half["recall"] < 0.65


def test_density_and_coverage_have_their_expected_values_for_identical_distributions():
  rng = np.random.default_rng(4)
  k = 5
  densities, coverages = [], []
  for _ in range(4):
    result = jg.metrics.density_coverage(rng.normal(size=(1000, 4)), rng.normal(size=(1000, 4)), k=k)
    densities.append(result["density"])
    coverages.append(result["coverage"])
  assert np.mean(densities) == pytest.approx(1.0, abs=0.05)  # Naeem et al. 2020, Lemma 1
  assert np.mean(coverages) == pytest.approx(1 - 0.5**k, abs=0.02)  # 1 - 2^-k for M = N
  shifted = jg.metrics.density_coverage(rng.normal(size=(1000, 4)), rng.normal(size=(1000, 4)) + 3.0, k=k)
  assert shifted["coverage"] < 0.2 and shifted["density"] < 0.2


def test_inception_score_closed_forms():
  uniform = np.zeros((50, 10))  # every p(y|x) uniform: p(y|x) = p(y), KL = 0
  assert jg.metrics.inception_score(uniform, num_splits=5) == pytest.approx((1.0, 0.0), abs=1e-12)
  same = np.tile(np.random.default_rng(0).normal(size=(1, 7)), (40, 1))  # any one shared prediction: IS = 1
  assert jg.metrics.inception_score(same, num_splits=4)[0] == pytest.approx(1.0, abs=1e-12)
  k, splits = 6, 4
  one_hot = 60.0 * np.eye(k)[np.tile(np.arange(k), splits)]  # each split holds every class once: IS = K
  assert jg.metrics.inception_score(one_hot, num_splits=splits) == pytest.approx((k, 0.0), abs=1e-9)


def inception_score_reference(logits, splits):
  """The paper's code (openai/improved-gan) on float64 softmax probabilities."""
  logits = np.asarray(logits, np.float64)
  preds = np.exp(logits - logits.max(1, keepdims=True))
  preds /= preds.sum(1, keepdims=True)
  scores = []
  for i in range(splits):
    part = preds[(i * preds.shape[0] // splits):((i + 1) * preds.shape[0] // splits), :]
    kl = part * (np.log(part) - np.log(np.expand_dims(np.mean(part, 0), 0)))
    scores.append(np.exp(np.mean(np.sum(kl, 1))))
  return np.mean(scores), np.std(scores)


@pytest.mark.parametrize("n,classes,splits", [(1000, 10, 10), (103, 5, 7), (64, 3, 1)])
def test_inception_score_matches_the_papers_code_on_random_logits(n, classes, splits):
  logits = 3.0 * np.random.default_rng(n).normal(size=(n, classes)).astype(np.float32)
  mean, std = jg.metrics.inception_score(logits, num_splits=splits)
  expected_mean, expected_std = inception_score_reference(logits, splits)
  assert mean == pytest.approx(expected_mean, rel=1e-12) and std == pytest.approx(expected_std, rel=1e-9, abs=1e-15)
  assert 1.0 < mean < classes


@pytest.mark.parametrize("call,match", [
    (lambda: jg.metrics.frechet_distance_from_features(np.ones((5, 3)), np.ones((5, 4))), "same dim"),
    (lambda: jg.metrics.precision_recall(np.ones((5,)), np.ones((5, 2))), "real_features"),
    (lambda: jg.metrics.density_coverage(np.ones((5, 2)), np.full((5, 2), np.nan)), "NaN"),
    (lambda: jg.metrics.density_coverage(np.ones((5, 2)), np.ones((5, 2)), k=5), "`k`"),
    (lambda: jg.metrics.frechet_distance(np.zeros(2), np.eye(3), np.zeros(2), np.eye(2)), "sigma1"),
    (lambda: jg.metrics.kernel_inception_distance(np.ones((5, 2)), np.ones((5, 2)), num_subsets=0), "num_subsets"),
    (lambda: jg.metrics.inception_score(np.zeros((5, 3, 1))), "`logits`"),
    (lambda: jg.metrics.inception_score(np.zeros(10)), "`logits`"),
    (lambda: jg.metrics.inception_score(np.zeros((20, 3)), num_splits=0), "`num_splits`"),
    (lambda: jg.metrics.inception_score(np.zeros((20, 3)), num_splits=21), "`num_splits`"),
])
def test_bad_feature_inputs_name_the_argument(call, match):
  with pytest.raises((ValueError, TypeError), match=match):
    call()


@pytest.fixture(scope="module")
def classifier():
  """The experiments' in-project evaluator (trained once per test session, then read from its cache)."""
  from experiments.tasks import images

  return images.shape_classifier()


def test_in_project_classifier_learns_the_offline_shapes(classifier):
  assert classifier.test_accuracy > 0.95
  images, labels = jg.data.offline_shapes(500, seed=7).get(np.arange(500))  # unseen rendering seed
  assert np.mean(np.argmax(classifier.apply(images)[1], 1) == labels) > 0.95


def test_stacked_mode_count_on_real_and_collapsed_samples(classifier):
  images, labels = jg.data.offline_shapes(5000, stacked=True, seed=5).get(np.arange(5000))
  real = jg.metrics.stacked_mode_count(classifier, images)
  assert real["num_modes"] == 1000
  true_modes = len(np.unique(labels))  # ~993 for 5000 uniform draws over 1000 modes
  assert abs(real["modes_covered"] - true_modes) <= 0.05 * true_modes
  p = np.bincount(labels, minlength=1000) / labels.size
  assert real["kl_to_uniform"] == pytest.approx(np.sum(p[p > 0] * np.log(1000 * p[p > 0])), abs=0.01)
  # the noise floor of exact samples: KL ~ (K - 1) / (2N) = 0.0999 (0.105 +- 0.005 by simulation at N = 5000)
  assert 0.08 < real["kl_to_uniform"] < 0.125
  # both sources near their own floors: 3 x 9 / (2N) = 0.0027 for the channels, the rest for the dependence
  assert real["channel_kl"] < 0.01 and real["total_correlation"] > 0.07
  collapsed = jg.metrics.stacked_mode_count(classifier, np.repeat(images[:1], 100, axis=0))
  assert collapsed["modes_covered"] == 1 and collapsed["kl_to_uniform"] == pytest.approx(np.log(1000))
  features = jg.metrics.classifier_features(classifier, images[:200])
  assert features.shape == (200, 3 * 128)


def test_mode_histogram_kl_closed_forms():
  every_mode = np.stack(np.unravel_index(np.arange(1000), (10, 10, 10)), axis=1)  # each of the 1000 tuples once
  exact = jg.metrics.mode_histogram_kl(every_mode, 10)
  assert exact["modes_covered"] == exact["num_modes"] == 1000
  assert exact["kl_to_uniform"] == pytest.approx(0, abs=1e-12)
  assert exact["channel_kl"] == pytest.approx(0, abs=1e-12)
  assert exact["total_correlation"] == pytest.approx(0, abs=1e-12)
  tied = jg.metrics.mode_histogram_kl(np.repeat(np.arange(10)[:, None], 3, axis=1), 10)  # (i, i, i): 10 modes
  assert tied["modes_covered"] == 10 and tied["kl_to_uniform"] == pytest.approx(np.log(100))
  assert tied["channel_kl"] == pytest.approx(0, abs=1e-12) and tied["total_correlation"] == pytest.approx(np.log(100))
  first_fixed = every_mode[every_mode[:, 0] == 3]  # (3, j, l): channel 0 always 3, the others independent
  fixed = jg.metrics.mode_histogram_kl(first_fixed, 10)
  assert fixed["kl_to_uniform"] == pytest.approx(np.log(10)) and fixed["channel_kl"] == pytest.approx(np.log(10))
  assert fixed["total_correlation"] == pytest.approx(0, abs=1e-12)
  single = jg.metrics.mode_histogram_kl(np.array([0, 0, 1, 2]), 4)  # C = 1: the class histogram
  assert single["num_modes"] == 4 and single["modes_covered"] == 3
  expected = 0.5 * np.log(0.5 * 4) + 2 * 0.25 * np.log(0.25 * 4)
  assert single["kl_to_uniform"] == pytest.approx(expected) and single["channel_kl"] == pytest.approx(expected)


def test_mode_histogram_kl_splits_into_channel_imbalance_and_dependence():
  rng = np.random.default_rng(0)
  first = rng.choice(4, 3000, p=[0.4, 0.3, 0.2, 0.1])
  classes = np.stack([first, (first + rng.integers(0, 2, 3000)) % 4, rng.integers(0, 4, 3000)], axis=1)
  result = jg.metrics.mode_histogram_kl(classes, 4)
  # a float64 reference by counting tuples in a dictionary
  joint = collections.Counter(map(tuple, classes.tolist()))
  marginal = [collections.Counter(classes[:, c].tolist()) for c in range(3)]
  kl = sum(m / 3000 * np.log(m / 3000 * 64) for m in joint.values())
  channel = sum(m / 3000 * np.log(m / 3000 * 4) for counts in marginal for m in counts.values())
  tc = sum(m / 3000 * np.log(m / 3000 / np.prod([marginal[c][t[c]] / 3000 for c in range(3)]))
           for t, m in joint.items())
  assert result["modes_covered"] == len(joint)
  assert result["kl_to_uniform"] == pytest.approx(kl, rel=1e-10)
  assert result["channel_kl"] == pytest.approx(channel, rel=1e-10)
  assert result["total_correlation"] == pytest.approx(tc, rel=1e-10)
  assert result["channel_kl"] + result["total_correlation"] == pytest.approx(result["kl_to_uniform"], rel=1e-10)
  assert result["channel_kl"] > 0.1 and result["total_correlation"] > 0.3  # both sources present here


@pytest.mark.parametrize("classes, num_classes, match", [
    (np.array([[0, 1], [2, 4]]), 4, r"\[0, num_classes\)"),
    (np.array([[-1, 0]]), 4, r"\[0, num_classes\)"),
    (np.zeros((0, 3), int), 10, "n >= 1"),
    (np.zeros((2, 3)), 10, "integers"),
    (np.zeros((2, 3, 1), int), 10, "integers"),
    (np.zeros((2, 3), int), 0, "num_classes"),
])
def test_mode_histogram_kl_rejects_bad_input(classes, num_classes, match):
  with pytest.raises(ValueError, match=match):
    jg.metrics.mode_histogram_kl(classes, num_classes)


def test_single_channel_mode_count_is_the_class_histogram(classifier):
  images, labels = jg.data.offline_shapes(2000, seed=9).get(np.arange(2000))
  real = jg.metrics.stacked_mode_count(classifier, images)
  p = np.bincount(labels, minlength=10) / labels.size
  assert real["num_modes"] == 10 and real["modes_covered"] == 10
  assert real["kl_to_uniform"] == pytest.approx(np.sum(p * np.log(10 * p)), abs=0.01)
  half = images[labels < 5]  # half the classes, near-uniformly: KL = log 2
  shifted = jg.metrics.stacked_mode_count(classifier, half)
  assert shifted["modes_covered"] == 5
  assert shifted["kl_to_uniform"] == pytest.approx(np.log(2), abs=0.02)
