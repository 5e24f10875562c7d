"""RMST and RMST differences against R (survfit rmean / se(rmean) and IJ influence)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crlm_outcomes.errors import SpecError
from crlm_outcomes.survival.kaplan_meier import kaplan_meier
from crlm_outcomes.survival.rmst import rmst, rmst_difference
from tests.survival.km_reference import assert_frame_close, cases, dataset, label, reference

RMST_CASES = cases("rmst_cases")


def _ref(name: str, case: str) -> pd.DataFrame:
    frame = reference(name)
    return frame[frame["case"] == case].drop(columns="case")


def _reference_label(case: dict, data: pd.DataFrame):
    """The R reference label as the value used in the Python data."""
    for value in data[case["by"]].dropna().unique():
        if label(value) == case["reference"]:
            return value
    raise AssertionError(case["reference"])


@pytest.mark.parametrize("case", RMST_CASES, ids=[c["case"] for c in RMST_CASES])
def test_rmst_groups_match_r(case):
    res = rmst(
        dataset(case["data"]),
        case["duration"],
        case["event"],
        case["by"],
        tau=float(case["tau"]),
        weights=case["weights"],
        cluster=case["cluster"],
    )
    assert_frame_close(
        res.table,
        _ref("rmst_groups", case["case"]),
        ["estimate", "std_error"],
        ["group"],
        case["case"],
    )
    assert res.variance == ("ij" if case["weights"] or case["cluster"] else "greenwood")


@pytest.mark.parametrize("case", RMST_CASES, ids=[c["case"] for c in RMST_CASES])
def test_rmst_difference_matches_r(case):
    data = dataset(case["data"])
    res = rmst_difference(
        data,
        case["duration"],
        case["event"],
        case["by"],
        tau=float(case["tau"]),
        weights=case["weights"],
        cluster=case["cluster"],
        reference=_reference_label(case, data),
    )
    ours = res.table.assign(reference=res.table["reference"].map(label))
    assert_frame_close(
        ours,
        _ref("rmst_difference", case["case"]),
        ["estimate", "std_error", "lower", "upper", "p"],
        ["group"],
        case["case"],
    )


def test_unweighted_rmst_equals_kaplan_meier_rmean():
    lung = dataset("lung")
    a = rmst(lung, "time", "status01", "sex", tau=500).table
    b = kaplan_meier(lung, "time", "status01", "sex").rmst(500)
    np.testing.assert_allclose(a["estimate"], b["estimate"], rtol=1e-12)
    np.testing.assert_allclose(a["std_error"], b["std_error"], rtol=1e-12)


def test_ij_without_weights_is_close_to_greenwood():
    # without ties the IJ and Greenwood variances of the RMST agree to O(1/n)
    vet = dataset("veteran")
    g = rmst(vet, "time", "status", "trt", tau=300).table["std_error"]
    ij = rmst(vet, "time", "status", "trt", tau=300, robust=True).table["std_error"]
    np.testing.assert_allclose(g, ij, rtol=0.05)


def test_tau_errors():
    aml = dataset("aml")
    with pytest.raises(SpecError, match="tau"):
        rmst(aml, "time", "status", "x", tau=1)
    with pytest.raises(SpecError, match="tau"):
        rmst(aml, "time", "status", "x", tau=float("inf"))


def test_difference_needs_two_groups_and_known_reference():
    aml = dataset("aml")
    with pytest.raises(SpecError, match="reference"):
        rmst_difference(aml, "time", "status", "x", tau=40, reference="nope")
    with pytest.raises(SpecError, match="two groups"):
        rmst_difference(aml.assign(one="a"), "time", "status", "one", tau=40)
    with pytest.warns(FutureWarning, match="variance="), pytest.raises(SpecError, match="variance"):
        rmst(aml, "time", "status", "x", tau=40, variance="bootstrap")


def test_results_render_and_plot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    aml = dataset("aml")
    for res in (
        rmst(aml, "time", "status", "x", tau=40),
        rmst_difference(aml, "time", "status", "x", tau=40),
    ):
        assert "RMST" in res._repr_html_() or "Restricted" in res._repr_html_()
        ax = res.plot()
        plt.close(ax.figure)
