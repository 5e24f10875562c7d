"""Pooling by Rubin's rules against mice::pool / pool.scalar 3.15.0 on the same completed data
sets (tests/reference/pooling.R)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crlm_outcomes.errors import InputError
from crlm_outcomes.imputation import pool_cox, pool_fine_gray, pool_km, pool_rmst, rubin_rules
from crlm_outcomes.survival import cox, fine_gray, kaplan_meier, rmst

REF = Path(__file__).parents[1] / "reference" / "pooling"
RTOL = 1e-6
COLS = [
    "estimate",
    "ubar",
    "b",
    "t",
    "dfcom",
    "df",
    "riv",
    "lambda",
    "fmi",
    "std_error",
    "statistic",
    "p",
    "lower",
    "upper",
]


@cache
def completed() -> list[pd.DataFrame]:
    long = pd.read_csv(REF / "completed.csv")
    return [g.drop(columns=".imp").reset_index(drop=True) for _, g in long.groupby(".imp")]


def ref(what: str) -> pd.DataFrame:
    r = pd.read_csv(REF / "pooled.csv")
    return r[r["what"] == what].reset_index(drop=True)


def _compare(table: pd.DataFrame, expected: pd.DataFrame) -> None:
    got = table.rename(columns={"coef": "estimate"}).copy()
    got["lower"] = np.log(got["lower"])
    got["upper"] = np.log(got["upper"])
    assert list(got["term"]) == list(expected["term"])
    for c in COLS:
        np.testing.assert_allclose(
            got[c].to_numpy(float), expected[c].to_numpy(float), rtol=RTOL, atol=1e-12, err_msg=c
        )


@pytest.fixture(scope="module")
def cox_fits():
    return [cox(d, "age + sex + hgb + creat + mspike", "futime", "death") for d in completed()]


def test_cox_matches_mice_pool(cox_fits):
    pooled = pool_cox(cox_fits)
    assert pooled.table["dfcom"].iloc[0] == cox_fits[0].n_event - 5
    _compare(pooled.table.replace({"term": {"sex[T.M]": "sexM"}}), ref("cox"))


def test_cox_breslow_with_explicit_dfcom():
    fits = [cox(d, "age + sex + hgb", "futime", "death", ties="breslow") for d in completed()]
    pooled = pool_cox(fits, dfcom=100)
    _compare(pooled.table.replace({"term": {"sex[T.M]": "sexM"}}), ref("cox_breslow_dfcom100"))


def test_fine_gray_matches_pool_scalar():
    fits = [fine_gray(d, "age + sex + hgb + creat", "etime", "event", cause=1) for d in completed()]
    pooled = pool_fine_gray(fits)
    exp = ref("fine_gray")
    got = pooled.table.copy()
    got["term"] = exp["term"].to_numpy()  # crr names sexM, formulaic sex[T.M]
    _compare(got, exp)


def test_km_at_times_and_median_match_cloglog_pooling():
    fits = [kaplan_meier(d, "futime", "death", by="hgb_low") for d in completed()]
    pooled = pool_km(fits, [24, 60, 120, 240])
    exp = pd.read_csv(REF / "km_pooled.csv")
    got = pooled.table
    assert list(got["group"]) == list(exp["group"])
    np.testing.assert_allclose(got["time"], exp["time"])
    for a, b in [
        ("cloglog", "estimate"),
        ("ubar", "ubar"),
        ("b", "b"),
        ("t", "t"),
        ("df", "df"),
        ("fmi", "fmi"),
        ("estimate", "survival"),
        ("lower", "lower"),
        ("upper", "upper"),
    ]:
        np.testing.assert_allclose(
            got[a].to_numpy(float), exp[b].to_numpy(float), rtol=RTOL, err_msg=a
        )
    med = pd.read_csv(REF / "km_median_pooled.csv")
    np.testing.assert_array_equal(
        pooled.median[["median", "lower", "upper"]].to_numpy(float),
        med[["median", "lower", "upper"]].to_numpy(float),
    )


def test_rmst_matches_pool_scalar():
    fits = [rmst(d, "futime", "death", by="hgb_low", tau=120) for d in completed()]
    pooled = pool_rmst(fits)
    exp = pd.read_csv(REF / "rmst_pooled.csv")
    for c in ["estimate", "ubar", "b", "t", "df", "fmi", "std_error", "lower", "upper"]:
        np.testing.assert_allclose(
            pooled.table[c].to_numpy(float), exp[c].to_numpy(float), rtol=RTOL, err_msg=c
        )


def test_result_contract(cox_fits):
    pooled = pool_cox(cox_fits)
    assert pooled == pool_cox(cox_fits)
    assert pooled != pool_cox(cox_fits[:3])
    assert "m=5" in repr(pooled) and "\n" not in repr(pooled)
    assert "Rubin" in pooled.summary()
    assert "<table" in pooled._repr_html_()
    assert pooled.n_excluded == 0
    rt = pooled.regression_table()
    assert "m = 5" in rt.notes["missing data"]
    ax = pooled.plot()
    # the grouped layout of the complete-case forest (issue 14): header, reference row,
    # N/events, "HR (95% CI)" and p columns
    texts = [t.get_text() for t in ax.texts]
    assert "Reference" in texts and "N/events" in texts and "HR (95% CI)" in texts
    assert "pooled over 5 imputations" in ax.get_xlabel()
    import matplotlib.pyplot as plt

    plt.close("all")


def test_rubin_rules_errors():
    with pytest.raises(InputError, match="at least two"):
        rubin_rules(np.array([1.0]), np.array([0.1]))
    with pytest.raises(InputError, match="variance"):
        rubin_rules(np.array([1.0, 2.0]), np.array([0.1, np.nan]))
    with pytest.raises(InputError, match="Cox"):
        pool_cox([1, 2])
