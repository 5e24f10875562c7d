"""Helpers of the hostile-input suite: tiny report specs that build in about a second."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest

from crlm_outcomes.report.build import BuildResult, build_report
from crlm_outcomes.report.spec import AnalysisSpec, parse_spec


def tiny_spec(**overrides: Any) -> AnalysisSpec:
    """A demo spec on 60 synthetic patients, overall survival only, no figure files."""
    data: dict[str, Any] = {
        "cohort": {"demo": True, "n": 60},
        "endpoints": ["os"],
        "output": {"figure_formats": [], "table_formats": ["csv"], "survival_times": [12]},
    }
    data.update(overrides)
    return parse_spec(data)


def quiet_build(spec: AnalysisSpec | Path | str, out: Path, **kwargs: Any) -> BuildResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_report(spec, out, jobs=1, **kwargs)


@pytest.fixture
def tiny():
    return tiny_spec


@pytest.fixture
def qbuild():
    return quiet_build
