"""Evaluation metrics: mode coverage on 2-D mixtures; Frechet distance, KID, precision/recall, density/coverage on features."""

from jaxgan._src.metrics.features import density_coverage
from jaxgan._src.metrics.features import feature_statistics
from jaxgan._src.metrics.features import frechet_distance
from jaxgan._src.metrics.features import frechet_distance_from_features
from jaxgan._src.metrics.features import kernel_inception_distance
from jaxgan._src.metrics.features import precision_recall
from jaxgan._src.metrics.modes import mode_coverage

__all__ = [
    "density_coverage",
    "feature_statistics",
    "frechet_distance",
    "frechet_distance_from_features",
    "kernel_inception_distance",
    "mode_coverage",
    "precision_recall",
]
