"""Typed cell parsing: formats, codes, units, missing codes, failure capture."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crlm_outcomes.io.parse import parse_column
from crlm_outcomes.io.profile import ColumnRule
from crlm_outcomes.schema.definition import canonical_definition

SPEC = canonical_definition().columns


def _rule(target: str, **kw) -> ColumnRule:
    return ColumnRule(target=target, sources=(target,), **kw)


def test_dates_day_first_and_excel_serials():
    s = pd.Series(
        ["04/03/2021", 44259, "44259", "2021-03-04", "31/02/2021", None, " "], dtype=object
    )
    rule = _rule(
        "liver_resection_date", date_formats=("%d/%m/%Y", "%Y-%m-%d"), excel_serial_dates=True
    )
    p = parse_column(s, rule, SPEC["liver_resection_date"])
    want = pd.Timestamp("2021-03-04")
    assert p.values.iloc[:4].tolist() == [want] * 4
    assert p.invalid.tolist() == [False, False, False, False, True, False, False]
    assert p.raw_text.loc[4] == "31/02/2021"
    assert "not a date" in p.reason


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_excel_serials_beyond_datetime64_are_invalid_not_wrapped():
    s = pd.Series([106750, 106751, 2958465, 1e300], dtype=object)
    rule = _rule("ablation_date", excel_serial_dates=True, date_formats=("%Y-%m-%d",))
    p = parse_column(s, rule, SPEC["ablation_date"])
    assert p.values.iloc[0] == pd.Timestamp("2192-04-07")
    assert p.invalid.tolist() == [False, True, True, True]
    assert p.values.iloc[1:].isna().all()


def test_excel_serial_not_accepted_unless_declared():
    p = parse_column(pd.Series([44259.0]), _rule("ablation_date"), SPEC["ablation_date"])
    assert p.invalid.tolist() == [True]


def test_numbers_units_and_missing_codes():
    s = pd.Series(["25", "31,5", "-999", "abc", ""], dtype=object)
    rule = _rule(
        "liver_mets_largest_cm",
        factor=0.1,
        unit="mm",
        decimal=",",
        missing_values=frozenset({"-999"}),
    )
    p = parse_column(s, rule, SPEC["liver_mets_largest_cm"])
    np.testing.assert_allclose(p.values.to_numpy()[:2], [2.5, 3.15])
    assert p.invalid.tolist() == [False, False, False, True, False]
    assert p.missing_codes.to_dict("records") == [{"value": "-999", "count": 1}]


def test_numeric_source_fast_path_counts_missing_codes():
    s = pd.Series([60.0, 999.0, 999.0, np.nan, np.inf])
    rule = _rule("age_at_diagnosis", missing_values=frozenset({"999"}))
    p = parse_column(s, rule, SPEC["age_at_diagnosis"])
    assert p.values.iloc[0] == 60.0 and p.values.iloc[1:].isna().all()
    assert p.missing_codes.to_dict("records") == [{"value": "999", "count": 2}]
    assert p.invalid.tolist() == [False, False, False, False, True]


def test_integers_reject_fractions():
    p = parse_column(
        pd.Series(["3", "3.5", "4.0"]), _rule("liver_mets_number"), SPEC["liver_mets_number"]
    )
    assert p.values.tolist()[0] == 3 and p.values.tolist()[2] == 4
    assert p.invalid.tolist() == [False, True, False]
    assert str(p.values.dtype) == "Int64"


@pytest.mark.filterwarnings("error::RuntimeWarning")  # no overflowing cast on the way
@pytest.mark.parametrize(
    "source",
    [
        pd.Series(["1997", "1e300", "-1e19", str(2**70)], dtype=object),
        pd.Series([1997.0, 1e300, -1e19, 2.0**70]),
    ],
)
def test_integers_beyond_int64_are_invalid_with_their_source_text(source):
    p = parse_column(source, _rule("diagnosis_year"), SPEC["diagnosis_year"])
    assert p.invalid.tolist() == [False, True, True, True]
    assert p.values.tolist()[0] == 1997 and p.values.isna().tolist() == [False, True, True, True]
    assert "whole number" in p.reason
    shown = p.raw_text.tolist()
    assert shown[0] in ("1e300", "1e+300") and "9223372036854775808" not in "".join(shown)


def test_codes_case_insensitive_numbers_as_text_and_null_codes():
    rule = _rule("sex", codes={"1": "male", "2": "female", "9": None})
    p = parse_column(pd.Series([1, 2.0, "2", 9, 3, None], dtype=object), rule, SPEC["sex"])
    assert list(p.values.astype(object)[:3]) == ["male", "female", "female"]
    assert p.invalid.tolist() == [False, False, False, False, True, False]
    assert p.missing_codes.to_dict("records") == [{"value": "9", "count": 1}]
    assert str(p.values.dtype) == "category"


def test_booleans_default_codes():
    p = parse_column(
        pd.Series(["Yes", "n", "TRUE", "0", True, "maybe"], dtype=object),
        _rule("alpps"),
        SPEC["alpps"],
    )
    assert p.values.tolist()[:5] == [True, False, True, False, True]
    assert p.invalid.tolist()[-1]


def test_extract_and_composite_sources():
    rule = _rule("age_at_diagnosis", extract=r"^(\d+) years?$")
    p = parse_column(pd.Series(["07 years", "85+ years"]), rule, SPEC["age_at_diagnosis"])
    assert p.values.iloc[0] == 7.0 and p.invalid.tolist() == [False, True]
    comp = ColumnRule(
        target="rfs_cause",
        sources=("a", "b"),
        codes={"0|0": 0, "1|1": 1, "1|0": 2},
        missing_values=frozenset({"-999"}),
    )
    p = parse_column(
        [pd.Series([1, 1, 0, -999, 0]), pd.Series([1, 0, 0, 0, 1])], comp, SPEC["rfs_cause"]
    )
    assert p.values.tolist()[:3] == [1, 2, 0]
    assert pd.isna(p.values.iloc[3])
    assert p.invalid.tolist() == [False, False, False, False, True]


@pytest.mark.parametrize("dtype", [object, "string[pyarrow]"])
def test_strings_trimmed_blank_is_missing(dtype):
    p = parse_column(
        pd.Series([" P1 ", "", None, "NA"], dtype=dtype),
        _rule("patient_id", missing_values=frozenset({"na"})),
        SPEC["patient_id"],
    )
    assert p.values.iloc[0] == "P1" and p.values.iloc[1:].isna().all()
    assert p.missing_codes["value"].tolist() == ["NA"]


def test_small_integer_codes_and_numbers_match_the_general_path():
    """Integer sources take shortcuts (offset factorisation, no float round trip); results are
    those of the text path."""
    kras = _rule("kras_status", codes={"0": "wild_type", "1": "mutant", "9": None})
    ints = pd.Series([1, 0, 9, 1, 5, 0], dtype="int64")
    a = parse_column(ints, kras, SPEC["kras_status"])
    b = parse_column(ints.astype(str).astype(object), kras, SPEC["kras_status"])
    pd.testing.assert_series_equal(a.values, b.values)
    assert a.invalid.tolist() == b.invalid.tolist() == [False] * 4 + [True, False]
    pd.testing.assert_frame_equal(a.missing_codes, b.missing_codes)
    year = _rule("diagnosis_year", missing_values=frozenset({"9999"}))
    y = parse_column(pd.Series([2015, 9999, 2020], dtype="int64"), year, SPEC["diagnosis_year"])
    assert y.values.tolist() == [2015, pd.NA, 2020] and str(y.values.dtype) == "Int64"
    assert y.missing_codes.to_dict("list") == {"value": ["9999"], "count": [1]}
