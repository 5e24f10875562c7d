"""The one SMD implementation (crlm_outcomes._smd) against MatchIt's summary()
(tests/reference/smd.R), through every user: balance_table (weighting, matching) and Table 1."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crlm_outcomes import _smd
from crlm_outcomes.survival.weighting import balance_table

t1 = importlib.import_module("crlm_outcomes.report.table_one")  # the package exports the function
weighting = importlib.import_module("crlm_outcomes.survival.weighting")
REF = Path(__file__).parent / "reference"
COVS = ["age", "educ", "race", "married", "nodegree", "re74", "re75"]


@pytest.fixture(scope="module")
def lalonde() -> pd.DataFrame:
    d = pd.read_csv(REF / "matching" / "data_lalonde.csv")
    w = pd.read_csv(REF / "smd" / "subclass_weights.csv")
    assert (w["id"].to_numpy() == d["id"].to_numpy()).all()
    d["race"] = pd.Categorical(d["race"], categories=["black", "hispan", "white"])
    return d.assign(w=w["weights"].to_numpy())


@pytest.fixture(scope="module")
def ref() -> pd.DataFrame:
    return pd.read_csv(REF / "smd" / "matchit_smd.csv").set_index("term")


def _terms(table: pd.DataFrame) -> pd.DataFrame:
    names = [
        c if pd.isna(lv) or str(lv) == "None" else f"{c}{lv}"
        for c, lv in zip(table["covariate"], table["level"], strict=True)
    ]
    return table.assign(term=names).set_index("term")


def test_balance_table_equals_matchit(lalonde, ref):
    got = _terms(balance_table(lalonde, "treat", COVS, weights="w").table)
    assert set(got.index) == set(ref.index)
    got = got.loc[ref.index]
    np.testing.assert_allclose(got["smd"], ref["smd"], rtol=1e-10)
    np.testing.assert_allclose(got["smd_w"], ref["smd_w"], rtol=1e-10)
    np.testing.assert_allclose(got["mean_treated_w"], ref["mean_treated_w"], rtol=1e-10)
    np.testing.assert_allclose(got["mean_control_w"], ref["mean_control_w"], rtol=1e-10)


def test_table_one_smd_equals_matchit_for_two_groups(lalonde, ref):
    # 0/1 columns as categories: Table 1 treats a numeric column as continuous (ddof=1 variance)
    d = lalonde.assign(**{c: lalonde[c].map({0: "no", 1: "yes"}) for c in ["married", "nodegree"]})
    res = t1.table_one(d, "treat", ["age", "re74", "married", "nodegree"])
    tests = res.tests.set_index("variable")
    for var in ["age", "re74", "married", "nodegree"]:
        np.testing.assert_allclose(tests.loc[var, "smd"], abs(ref.loc[var, "smd"]), rtol=1e-10)


def test_one_implementation_everywhere():
    assert t1.smd_continuous is _smd.smd_continuous
    assert t1.smd_categorical is _smd.smd_categorical
    assert weighting.smd_unweighted_sd is _smd.smd


def test_conventions():
    assert _smd.smd(2.0, 2.0, 0.0, 0.0) == 0.0  # cobalt / MatchIt
    assert np.isnan(_smd.smd(2.0, 3.0, 0.0, 0.0))
    assert np.isnan(_smd.smd_continuous([np.array([1.0, 1.0]), np.array([1.0, 1.0])]))  # tableone
    p1, p0 = 0.42, 0.17
    counts = np.array([[58, 83], [42, 17]])
    assert _smd.smd_categorical(counts) == pytest.approx(abs(_smd.smd_binary(p1, p0)), rel=1e-12)
    assert _smd.smd_continuous([np.array([1.0])] * 2) != _smd.smd_continuous([np.array([1.0])] * 2)
