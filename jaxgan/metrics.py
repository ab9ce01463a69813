"""Evaluation metrics: mode coverage on Gaussian mixtures."""

from jaxgan._src.metrics.modes import mode_coverage

__all__ = ["mode_coverage"]
