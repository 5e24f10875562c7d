"""Embedded data: the calibrated synthetic CRLM cohort and its raw registry renderings."""

from crlm_outcomes.datasets.registry import write_synthetic_registry
from crlm_outcomes.datasets.synthetic import (
    GENERATING_HAZARD_RATIOS,
    load_demo,
    synthetic_cohort,
    synthetic_frame,
    synthetic_truth,
)

__all__ = [
    "GENERATING_HAZARD_RATIOS",
    "load_demo",
    "synthetic_cohort",
    "synthetic_frame",
    "synthetic_truth",
    "write_synthetic_registry",
]
