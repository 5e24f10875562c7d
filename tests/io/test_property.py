"""Property: junk in any cell never crashes the loader, and the audit always balances."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crlm_outcomes.datasets.registry import registry_frame
from crlm_outcomes.errors import InputError
from crlm_outcomes.io import load_cohort

# an overflowing cast (RuntimeWarning) would mean a junk cell turned into a made-up value
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

JUNK = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            " ",
            "NA",
            "-999",
            "1e309",
            "nan",
            "2020-02-30",
            "31/12/1899",
            "0",
            "-1",
            "999999",
            "dead",
            "male",
            "T4b",
            "C18.7",
            "Y",
            "9999-12-31",
            "00:00",
            "１２",
            "\x00",
            "None",
            "True",
            "1e300",
            "106752",
            "2958465",
        ]
    ),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
)


def _check(cohort) -> None:
    a = cohort.audit
    assert a.rows_in == a.rows_loaded + a.rows_quarantined
    assert len(cohort.data) == a.rows_loaded
    assert a.quarantine["source_row"].nunique() == a.rows_quarantined
    assert set(a.quarantine["source_row"]).isdisjoint(set(cohort.data["source_row"]))


def _load_or_input_error(frame: pd.DataFrame, **kw) -> None:
    try:
        cohort = load_cohort(frame, **kw)
    except InputError:
        return  # a documented whole-input problem (e.g. a whole column of the wrong type)
    _check(cohort)


_CELLS = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 15), JUNK), min_size=1, max_size=4)


_HC = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]


@settings(max_examples=25, deadline=None, suppress_health_check=_HC)
@given(cells=_CELLS)
def test_junk_cells_canonical_frame(make_frame, cells):
    frame = make_frame().astype(object)
    for row, col, value in cells:
        frame.iat[row, col] = value
    _load_or_input_error(frame)


@settings(max_examples=20, deadline=None, suppress_health_check=_HC)
@given(
    cells=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 13), JUNK), min_size=1, max_size=4)
)
def test_junk_cells_seer_frame(make_frame, cells):
    frame = registry_frame(load_cohort(make_frame()).data, "seer").astype(object)
    for row, col, value in cells:
        frame.iat[row, col] = value
    _load_or_input_error(frame, profile="seer")


@settings(max_examples=10, deadline=None, suppress_health_check=_HC)
@given(text=st.text(max_size=300))
def test_junk_csv_text(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("junk") / "junk.csv"
    path.write_text(text, encoding="utf-8")
    try:
        cohort = load_cohort(path)
    except InputError:
        return
    _check(cohort)
