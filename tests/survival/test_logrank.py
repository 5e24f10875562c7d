"""Log-rank family against R survival 3.5-3 survdiff (tests/reference/km_logrank.R)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from crlm_outcomes.errors import DataQualityWarning, SpecError, SurvivalDataError
from crlm_outcomes.survival.logrank import (
    P_ADJUST_METHODS,
    logrank,
    logrank_trend,
    p_adjust,
    pairwise_logrank,
)
from tests.survival.km_reference import RTOL, assert_frame_close, cases, dataset, label, reference

LR_CASES = cases("logrank_cases")
PW_CASES = cases("pairwise_cases")


def _ref(name: str, case: str) -> pd.DataFrame:
    frame = reference(name)
    return frame[frame["case"] == case].drop(columns="case")


def _run(fn, case, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return fn(
            dataset(case["data"]),
            case["duration"],
            case["event"],
            case["by"],
            strata=case["strata"],
            rho=float(case["rho"]),
            **kw,
        )


@pytest.mark.parametrize("case", LR_CASES, ids=[c["case"] for c in LR_CASES])
def test_logrank_matches_survdiff(case):
    res = _run(logrank, case)
    stat = _ref("logrank_stat", case["case"]).iloc[0]
    np.testing.assert_allclose(res.statistic, stat["statistic"], rtol=RTOL)
    np.testing.assert_allclose(res.p, stat["p"], rtol=RTOL)
    assert res.df == stat["df"]
    assert_frame_close(
        res.table,
        _ref("logrank_table", case["case"]),
        ["n", "observed", "expected", "oe2_e", "oe2_v"],
        ["group"],
        case["case"],
    )
    var = _ref("logrank_var", case["case"])
    ours = res.variance.copy()
    ours.index = [label(g) for g in res.table["group"]]
    ours.columns = ours.index
    for row in var.itertuples():
        np.testing.assert_allclose(ours.loc[row.row, row.col], row.value, rtol=RTOL, atol=1e-12)


@pytest.mark.parametrize("case", LR_CASES, ids=[c["case"] for c in LR_CASES])
def test_trend_matches_r_computation(case):
    ref = _ref("logrank_trend", case["case"]).iloc[0]
    scores = dict(item.rsplit(":", 1) for item in ref["scores"].split(";"))
    data = dataset(case["data"])
    by = data[case["by"]].map(label)
    ordered = dict(sorted(((g, float(s)) for g, s in scores.items()), key=lambda kv: kv[1]))
    data = data.assign(
        **{case["by"]: pd.Categorical(by.where(data[case["by"]].notna()), categories=list(ordered))}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        res = logrank_trend(
            data,
            case["duration"],
            case["event"],
            case["by"],
            strata=case["strata"],
            rho=float(case["rho"]),
        )
        mapped = logrank_trend(
            data,
            case["duration"],
            case["event"],
            case["by"],
            strata=case["strata"],
            rho=float(case["rho"]),
            scores={g: 10 * s for g, s in ordered.items()},
        )
    np.testing.assert_allclose(res.statistic, ref["statistic"], rtol=RTOL)
    np.testing.assert_allclose(res.p, ref["p"], rtol=RTOL)
    np.testing.assert_allclose(mapped.statistic, ref["statistic"], rtol=RTOL)  # scale-free


@pytest.mark.parametrize("case", PW_CASES, ids=[c["case"] for c in PW_CASES])
@pytest.mark.parametrize("method", ["holm", "hochberg", "hommel", "bonferroni", "BH", "BY", "none"])
def test_pairwise_matches_survminer_rule(case, method):
    res = _run(pairwise_logrank, case, p_adjust=method)
    ref = _ref("pairwise", case["case"])
    ref = ref[ref["method"] == method]
    ours = res.table.assign(
        group1=res.table["group1"].map(label), group2=res.table["group2"].map(label)
    )
    # R orders the pair by its level order; the test is symmetric in the pair
    key = lambda a, b: "|".join(sorted([a, b]))  # noqa: E731
    ours_by = {key(r.group1, r.group2): r for r in ours.itertuples()}
    assert len(ours_by) == len(ref)
    for r in ref.itertuples():
        mine = ours_by[key(r.group1, r.group2)]
        np.testing.assert_allclose(mine.statistic, r.statistic, rtol=RTOL)
        np.testing.assert_allclose(mine.p_adjusted, r.p_adjusted, rtol=RTOL)


@pytest.mark.parametrize("method", ["holm", "hochberg", "hommel", "bonferroni", "BH", "BY", "none"])
def test_p_adjust_matches_r(method):
    ref = reference("p_adjust")
    ref = ref[ref["method"] == method]
    np.testing.assert_allclose(p_adjust(ref["p"].to_numpy(), method), ref["p_adjusted"], rtol=RTOL)


def test_p_adjust_keeps_nan_and_rejects_unknown():
    out = p_adjust([0.01, np.nan, 0.04], "bonferroni")
    assert np.isnan(out[1]) and out[0] == pytest.approx(0.02)
    assert "fdr" in P_ADJUST_METHODS
    with pytest.raises(SpecError):
        p_adjust([0.1], "sidak")


def test_one_group_is_a_clear_error():
    df = pd.DataFrame({"t": [1, 2, 3], "e": [1, 0, 1], "g": ["a", "a", "a"]})
    with pytest.raises(SurvivalDataError, match="two groups") as err:
        logrank(df, "t", "e", "g")
    assert err.value.column == "g"


def test_no_groups_is_a_clear_error():
    with pytest.raises(SpecError):
        logrank(dataset("aml"), "time", "status", None)


def test_logrank_excludes_missing_groups_with_record():
    with pytest.warns(DataQualityWarning):
        res = logrank(dataset("lung"), "time", "status01", "ph.ecog")
    assert res.n_excluded == 1
    assert "log-rank" in res._repr_html_()


def test_plots_return_axes():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    vet = dataset("veteran")
    for res in (
        logrank(vet, "time", "status", "celltype"),
        logrank_trend(vet, "time", "status", "celltype"),
        pairwise_logrank(vet, "time", "status", "celltype"),
    ):
        ax = res.plot()
        assert ax is not None and res._repr_html_()
        plt.close(ax.figure)


def test_all_censored_gives_r_zero_statistic():
    df = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "e": 0, "g": [1, 2] * 3})
    res = logrank(df, "t", "e", "g")
    assert res.statistic == 0 and res.df == -1 and np.isnan(res.p)
    assert res.table["expected"].tolist() == [0.0, 0.0]


def test_tied_events_and_censorings_count_events_first():
    # at t = 2 the censored row is still at risk for the events (survdiff orders -status)
    df = pd.DataFrame({"t": [2, 2, 2, 3, 4], "e": [1, 0, 1, 1, 0], "g": [1, 1, 2, 2, 1]})
    res = logrank(df, "t", "e", "g")
    # at t=2: 5 at risk (3 in g1), 2 deaths; at t=3: 2 at risk (1 in g1), 1 death
    np.testing.assert_allclose(res.table["expected"], [2 * 3 / 5 + 1 / 2, 2 * 2 / 5 + 1 / 2])


def test_trend_takes_one_column_and_says_so_for_several():
    from crlm_outcomes import logrank_trend
    from crlm_outcomes.datasets import synthetic_cohort

    df = synthetic_cohort(200, seed=1).data.dropna(subset=["os_months", "margin_status"])
    one = logrank_trend(df, "os_months", "os_event", "margin_status")
    assert logrank_trend(df, "os_months", "os_event", ["margin_status"]) == one
    with pytest.raises(SpecError, match="one ordered grouping column"):
        logrank_trend(df, "os_months", "os_event", ["margin_status", "sex"])
