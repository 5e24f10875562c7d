"""crlm_outcomes: outcome research on colorectal cancer liver metastases.

The pipeline, one subpackage per stage:

* **load** — :func:`load_cohort` turns a registry or hospital file into a canonical
  :class:`Cohort` with an audit of every row (:mod:`crlm_outcomes.io`, :mod:`crlm_outcomes.schema`);
  :func:`load_demo` gives the calibrated synthetic demo cohort (:mod:`crlm_outcomes.datasets`).
* **stratify** — guideline categories and prognostic scores (:mod:`crlm_outcomes.stratify`).
* **analyse** — Kaplan-Meier, log-rank, Cox, competing risks, RMST, weighting, landmarks
  (:mod:`crlm_outcomes.survival`), agreeing with R's survival and cmprsk; model formulas,
  vetted against an allowlist, with rms-style splines (:mod:`crlm_outcomes.formula`).
* **present** — figures (:mod:`crlm_outcomes.plots`) and reproducible reports
  (:mod:`crlm_outcomes.report`, imported on demand).
"""

from crlm_outcomes import datasets, errors, formula, io, stratify, survival
from crlm_outcomes._versions import show_versions
from crlm_outcomes.datasets import load_demo, synthetic_cohort, write_synthetic_registry
from crlm_outcomes.io import Cohort, list_profiles, load_cohort
from crlm_outcomes.survival import (
    balance_table,
    concordance,
    cox,
    cumulative_incidence,
    fine_gray,
    gray_test,
    kaplan_meier,
    landmark,
    logrank,
    logrank_trend,
    pairwise_logrank,
    propensity_weights,
    rmst,
    rmst_difference,
)

__version__ = "0.1.0"

__all__ = [
    "Cohort",
    "balance_table",
    "concordance",
    "cox",
    "cumulative_incidence",
    "datasets",
    "errors",
    "fine_gray",
    "formula",
    "gray_test",
    "io",
    "kaplan_meier",
    "landmark",
    "list_profiles",
    "load_cohort",
    "load_demo",
    "logrank",
    "logrank_trend",
    "pairwise_logrank",
    "propensity_weights",
    "rmst",
    "rmst_difference",
    "show_versions",
    "stratify",
    "survival",
    "synthetic_cohort",
    "write_synthetic_registry",
]
