"""Evaluation metrics: mode coverage on 2-D mixtures; Frechet distance, KID, precision/recall, density/coverage on
features; the Inception Score of class logits; a classifier's agreement with the requested classes; an in-project
classifier for offline features and StackedMNIST-style mode counting."""

from jaxgan._src.metrics.classifier import Classifier
from jaxgan._src.metrics.classifier import class_agreement
from jaxgan._src.metrics.classifier import ShapeClassifierNet
from jaxgan._src.metrics.classifier import classifier_features
from jaxgan._src.metrics.classifier import stacked_mode_count
from jaxgan._src.metrics.classifier import train_classifier
from jaxgan._src.metrics.features import density_coverage
from jaxgan._src.metrics.features import feature_statistics
from jaxgan._src.metrics.features import frechet_distance
from jaxgan._src.metrics.features import frechet_distance_from_features
from jaxgan._src.metrics.features import kernel_inception_distance
from jaxgan._src.metrics.features import precision_recall
from jaxgan._src.metrics.inception_score import inception_score
from jaxgan._src.metrics.modes import code_mode_purity
from jaxgan._src.metrics.modes import conditional_mode_accuracy
from jaxgan._src.metrics.modes import mode_coverage
from jaxgan._src.metrics.modes import mode_histogram_kl

__all__ = [
    "Classifier",
    "ShapeClassifierNet",
    "class_agreement",
    "classifier_features",
    "code_mode_purity",
    "conditional_mode_accuracy",
    "density_coverage",
    "feature_statistics",
    "frechet_distance",
    "frechet_distance_from_features",
    "inception_score",
    "kernel_inception_distance",
    "mode_coverage",
    "mode_histogram_kl",
    "precision_recall",
    "stacked_mode_count",
    "train_classifier",
]
