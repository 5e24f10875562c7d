"""Warnings raised by the analyses become data notes, with small numbers masked."""

from __future__ import annotations

import warnings

import pytest

from crlm_outcomes.report._context import BuildContext
from crlm_outcomes.report.suppression import SuppressionPolicy


def _ctx(enabled: bool) -> BuildContext:
    return BuildContext(
        spec=None, policy=SuppressionPolicy(enabled=enabled, threshold=11), writer=None
    )  # type: ignore[arg-type]


def test_warnings_become_notes_once_with_small_numbers_masked():
    ctx = _ctx(True)
    for _ in range(2):
        with ctx.collect_warnings("Cox model m"):
            warnings.warn(
                "3 rows excluded of 120 (0 events, 1.5 months)", UserWarning, stacklevel=1
            )
    assert ctx.notes == ["Cox model m: <11 rows excluded of 120 (0 events, 1.5 months)"]


def test_numbers_are_kept_without_suppression():
    ctx = _ctx(False)
    with ctx.collect_warnings("KM"):
        warnings.warn("3 rows excluded", UserWarning, stacklevel=1)
    assert ctx.notes == ["KM: 3 rows excluded"]


def test_no_note_when_the_analysis_fails():
    ctx = _ctx(True)
    with pytest.raises(RuntimeError), ctx.collect_warnings("KM"):
        warnings.warn("3 rows excluded", UserWarning, stacklevel=1)
        raise RuntimeError("boom")
    assert ctx.notes == []
