"""stratify.agreement against R (tests/reference/agreement.R): Cohen's kappa, its standard
error and 95% limits from psych::cohen.kappa (Fleiss, Cohen & Everitt, Psychol Bull
1969;72:323-327), and the z test with the variance under kappa = 0 (same paper, base R)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crlm_outcomes.stratify import agreement

REF = Path(__file__).resolve().parents[1] / "reference" / "agreement"
RTOL = 1e-6

PAIRS = pd.read_csv(REF / "data_pairs.csv", dtype=str)
KAPPA = pd.read_csv(REF / "kappa.csv").set_index("table")
#: Tables whose categories are score values: passed as numbers (the score path), the others as
#: strings (the category path).
NUMERIC = {"two_by_two", "score_0_5", "four_levels"}


def _frame(table: str) -> pd.DataFrame:
    pairs = PAIRS[PAIRS["table"] == table]
    frame = pd.DataFrame({"ours": pairs["ours"].to_numpy(), "theirs": pairs["theirs"].to_numpy()})
    if table in NUMERIC:
        frame = frame.astype(float)
    return frame


@pytest.mark.parametrize("table", list(KAPPA.index))
def test_kappa_se_ci_and_test_match_r(table):
    ref = KAPPA.loc[table]
    result = agreement(_frame(table), "ours", "theirs")
    row = result.table.iloc[0]
    assert int(row["n"]) == int(ref["n"])
    for ours, theirs in [
        ("estimate", "kappa"),
        ("std_error", "std_error"),
        ("lower", "lower"),
        ("upper", "upper"),
        ("observed_agreement", "observed_agreement"),
        ("statistic", "statistic"),
        ("p", "p"),
    ]:
        np.testing.assert_allclose(row[ours], ref[theirs], rtol=RTOL, err_msg=f"{table}: {ours}")


def test_missing_values_are_excluded_not_compared():
    """Rows missing on either side leave the R numbers unchanged and are listed as excluded."""
    frame = _frame("three_groups")
    extra = pd.DataFrame({"ours": [None, "low", None], "theirs": ["high", None, None]})
    result = agreement(pd.concat([frame, extra], ignore_index=True), "ours", "theirs")
    np.testing.assert_allclose(result.kappa, KAPPA.loc["three_groups", "kappa"], rtol=RTOL)
    assert result.n_excluded == 3
    assert list(result.excluded["reason"]) == ["ours missing", "theirs missing", "both missing"]


def test_empty_category_on_one_side_is_kept_in_the_counts():
    """A score value only one side uses (ours never 5, theirs never 0) is a row/column of zeros,
    as in the R table."""
    result = agreement(_frame("score_0_5"), "ours", "theirs")
    assert result.counts.shape == (6, 6)
    assert result.counts.loc[5].sum() == 0 and result.counts[0].sum() == 0
