"""apply_all: every derivable stratifier as columns, with reasons; Cohort duck typing."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pytest

from crlm_outcomes.errors import InputError, SpecError
from crlm_outcomes.stratify import STRATIFIERS, apply_all, fong_score


@pytest.fixture
def small(make):
    return make(
        {
            "primary_node_positive": [True, False, None],
            "primary_diagnosis_date": ["2020-01-01"] * 3,
            "primary_resection_date": ["2020-02-01"] * 3,
            "liver_mets_diagnosis_date": ["2020-01-01", "2021-06-01", "2021-06-01"],
            "liver_mets_number": [3, 1, 1],
            "cea_at_liver_diagnosis": [250.0, 10.0, None],
            "liver_mets_largest_cm": [6.0, 2.0, 2.0],
            "primary_site_icdo3": ["C18.0", "C20.9", None],
        }
    )


@dataclass(frozen=True)
class FakeCohort:
    data: pd.DataFrame


def test_adds_values_and_reasons(small):
    out = apply_all(small)
    assert out["fong_score"].tolist()[:2] == [5, 0]
    assert pd.isna(out.loc[2, "fong_score"])
    assert "CEA > 200 ng/mL: unknown for this patient" in out.loc[2, "fong_score_reason"]
    assert out["fong_group"].tolist()[:2] == ["high", "low"]
    assert out["primary_sidedness"].tolist()[:2] == ["right", "left"]
    # one code per patient into the few distinct reasons
    assert isinstance(out["fong_score_reason"].dtype, pd.CategoricalDtype)
    assert isinstance(out["fong_group"].dtype, pd.CategoricalDtype)
    assert out["fong_group"].cat.ordered
    # original columns untouched, new columns appended in STRATIFIERS order
    assert list(out.columns[: small.shape[1]]) == list(small.columns)
    added = [c for c in out.columns if c in STRATIFIERS]
    assert added == [c for c in STRATIFIERS if c in added]
    assert out.attrs["stratify"]["fong_score"]["source"].endswith("Ann Surg 1999;230(3):309-318")
    # no molecular column at all: not derived, with the reason
    assert "ras_class" not in out.columns
    assert "kras_status" in out.attrs["not_derived"]["ras_class"]
    assert "game_score" in out.columns  # partly derivable: present, with reasons


def test_cohort_options_and_duplicate_index(small):
    small.index = [5, 5, 6]  # duplicate labels are fine for apply_all
    out = apply_all(
        FakeCohort(small),
        fong_score={"missing_as_zero": True},
        liver_mets_timing={"convention": "adam_2015"},
    )
    assert out["fong_score"].tolist() == [5, 0, 0]
    assert out["fong_score_assumed"].iloc[2] == (
        "counted as 0: node-positive primary, CEA > 200 ng/mL"
    )
    assert "adam_2015" in out.attrs["stratify"]["liver_mets_timing"]["rule"]
    assert list(out.index) == [5, 5, 6]


def test_idempotent_and_matches_single_function(small):
    once = apply_all(small)
    twice = apply_all(once)
    assert list(twice.columns) == list(once.columns)
    pd.testing.assert_series_equal(once["fong_score"], twice["fong_score"])
    direct = fong_score(small)
    assert once["fong_score"].tolist() == direct.tolist()


def test_bad_options(small):
    with pytest.raises(SpecError, match="unknown stratifier"):
        apply_all(small, fong={"missing_as_zero": True})
    with pytest.raises(SpecError):
        apply_all(small, fong_score=True)
    with pytest.raises(SpecError):
        apply_all([1, 2, 3])


def test_bad_value_raises_with_row(small):
    small["source_row"] = [2, 3, 4]
    small["primary_site_icdo3"] = pd.array(["C18.0", "C99.9", None], dtype="string")
    with pytest.raises(InputError, match="row 3"):
        apply_all(small)
