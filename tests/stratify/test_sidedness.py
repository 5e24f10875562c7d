"""Sidedness from ICD-O-3 topography (seed 004 section 6.2.1; clinical-definitions)."""

from __future__ import annotations

import pandas as pd
import pytest

from crlm_outcomes.errors import InputError, SpecError
from crlm_outcomes.stratify import primary_sidedness, reasons

CODES = [
    "C18.0",
    "C18.1",
    "C18.2",
    "C18.3",
    "C18.4",
    "C18.5",
    "C18.6",
    "C18.7",
    "C18.8",
    "C18.9",
    "C19.9",
    "C20.9",
    None,
]
DEFAULT = [
    "right",
    "not_assignable",
    "right",
    "right",
    "right",
    "left",
    "left",
    "left",
    "not_assignable",
    "not_assignable",
    "left",
    "left",
    None,
]
RECTUM = [
    "right",
    "not_assignable",
    "right",
    "right",
    "right",
    "left_colon",
    "left_colon",
    "left_colon",
    "not_assignable",
    "not_assignable",
    "left_colon",
    "rectum",
    None,
]


def _as_list(series):
    return [None if pd.isna(v) else v for v in series]


def test_every_code(make):
    frame = make({"primary_site_icdo3": CODES})
    result = primary_sidedness(frame)
    assert _as_list(result) == DEFAULT
    assert list(result.cat.categories) == ["right", "left", "not_assignable"]
    assert reasons(result).iloc[-1] == "primary site unknown for this patient"
    assert _as_list(primary_sidedness(frame, rectum_separate=True)) == RECTUM
    rectosigmoid = primary_sidedness(frame, rectum_separate=True, rectosigmoid="rectum")
    assert rectosigmoid.iloc[10] == "rectum"


def test_invalid_code(make):
    frame = make({"primary_site_icdo3": ["C18.0", "C21.0"]})
    with pytest.raises(InputError, match="C21.0"):
        primary_sidedness(frame)
    with pytest.raises(SpecError):
        primary_sidedness(make({"primary_site_icdo3": ["C18.0"]}), rectosigmoid="colon")
