"""One small demo build per test session, shared by the report tests (build, browser)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import yaml

from crlm_outcomes.report.build import DEMO_SPEC, BuildResult, build_report
from crlm_outcomes.report.spec import AnalysisSpec, parse_spec


def small_demo_spec(**overrides) -> AnalysisSpec:
    """The demo spec on 300 synthetic patients with fewer figures (fast in CI)."""
    data = yaml.safe_load(DEMO_SPEC.read_text(encoding="utf-8"))
    data["cohort"]["n"] = 300
    data["endpoints"] = ["os", "rfs"]
    data["stratifiers"] = ["fong_group"]
    data.update(overrides)
    return parse_spec(data)


def build_quietly(spec: AnalysisSpec, out: Path, **kwargs) -> BuildResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_report(spec, out, **kwargs)


@pytest.fixture(scope="session")
def make_spec():
    """Factory of small demo specs (see :func:`small_demo_spec`)."""
    return small_demo_spec


@pytest.fixture(scope="session")
def build():
    """Build a spec with warnings silenced (see :func:`build_quietly`)."""
    return build_quietly


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory) -> BuildResult:
    """The small demo report, built once (two figure workers)."""
    return build_quietly(small_demo_spec(), tmp_path_factory.mktemp("demo") / "report", jobs=2)
