"""Behaviour of crlm_outcomes.validation beyond the R numbers: brute-force checks on small
data, missing scores, errors, result contract, calibration/decision/bootstrap/compare."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from crlm_outcomes.errors import SurvivalDataError  # noqa: E402
from crlm_outcomes.validation import (  # noqa: E402
    bootstrap_validation,
    brier_score,
    calibration,
    compare_scores,
    concordance,
    decision_curve,
    predicted_risk,
    time_auc,
)
from crlm_outcomes.validation._concordance_core import concordance_counts  # noqa: E402
from crlm_outcomes.validation._ipcw import censoring_km  # noqa: E402
from crlm_outcomes.validation._td_core import auc_at  # noqa: E402

REF = Path(__file__).resolve().parents[1] / "reference" / "validation"


@pytest.fixture(scope="module")
def pbc() -> pd.DataFrame:
    return pd.read_csv(REF / "data_pbc.csv")


def _toy(n=60, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 5, n)
    t = np.ceil(rng.exponential(10 / np.exp(0.4 * x)))
    c = np.ceil(rng.uniform(2, 25, n))
    return pd.DataFrame(
        {"t": np.minimum(t, c), "e": (t <= c).astype(int), "x": x, "y": x + rng.integers(0, 3, n)}
    )


def test_concordance_counts_equal_brute_force():
    d = _toy(80, 1)
    t, e, x = d["t"].to_numpy(float), d["e"].to_numpy(), d["x"].to_numpy(float)
    conc = disc = tx = 0
    for i in range(t.size):
        if e[i] != 1:
            continue
        for j in range(t.size):
            # j still at risk after i's event (later, or censored at the same time)
            if t[j] > t[i] or (t[j] == t[i] and e[j] == 0):
                if x[i] > x[j]:
                    conc += 1
                elif x[i] < x[j]:
                    disc += 1
                else:
                    tx += 1
    res = concordance_counts(t, e, x, reverse=True)
    assert res.counts[:3].tolist() == [conc, disc, tx]
    assert res.concordance == pytest.approx((conc + tx / 2) / (conc + disc + tx))


def test_auc_equals_weighted_brute_force():
    d = _toy(70, 2)
    t, e, x = d["t"].to_numpy(float), d["e"].to_numpy(), d["x"].to_numpy(float)
    g = censoring_km(t, e)
    tau = 8.0
    gm = g.before_own_time()
    gt = g.at(tau)
    num = den = 0.0
    for i in np.flatnonzero((t <= tau) & (e == 1)):
        for j in np.flatnonzero(t > tau):
            w = 1 / (gm[i] * gt)
            den += w
            num += w * (1.0 if x[i] > x[j] else 0.5 if x[i] == x[j] else 0.0)
    assert auc_at(g, t, e, x, tau)[0] == pytest.approx(num / den, rel=1e-12)


def test_reverse_is_the_mirror():
    d = _toy()
    a = concordance(d, "t", "e", "x").table["estimate"].iloc[0]
    b = concordance(d.assign(m=-d["x"]), "t", "e", "m", reverse=False).table["estimate"].iloc[0]
    assert a == pytest.approx(b, rel=1e-12)


def test_missing_scores_are_excluded_per_score_and_pairs_use_common_rows():
    d = _toy(80, 3)
    d.loc[[1, 5, 9], "x"] = np.nan
    d.loc[[2], "y"] = np.nan
    res = concordance(d, "t", "e", ["x", "y"])
    tab = res.table.set_index("term")
    assert tab.loc["x", "n"] == 77 and tab.loc["x", "n_missing"] == 3
    assert tab.loc["y", "n"] == 79 and tab.loc["y", "n_missing"] == 1
    assert res.contrasts["n"].iloc[0] == 76
    assert res.n_excluded == 4
    assert set(res.excluded["predictor"]) == {"x", "y"}
    auc = time_auc(d, "t", "e", ["x", "y"], [6, 10])
    assert auc.contrasts["n"].unique().tolist() == [76]


def test_errors_are_input_errors():
    d = _toy()
    with pytest.raises(SurvivalDataError, match="timewt"):
        concordance(d, "t", "e", "x", timewt="uno")
    with pytest.raises(ValueError, match="not numeric"):
        concordance(d.assign(s=["a"] * len(d)), "t", "e", "s")
    with pytest.raises(SurvivalDataError, match="not found"):
        time_auc(d, "t", "e", "nope", [5])
    with pytest.raises(SurvivalDataError, match="times"):
        time_auc(d, "t", "e", "x", [0])
    with pytest.raises(SurvivalDataError, match=r"\[0, 1\]"):
        calibration(d, "t", "e", "x", 5)
    with pytest.raises(SurvivalDataError, match="columns for"):
        brier_score(d.assign(p=0.3), "t", "e", {"p": ["p", "p"]}, [5, 6, 7])
    with pytest.raises(SurvivalDataError, match="cause"):
        time_auc(d, "t", "e", "x", [5], cause=3)


def test_result_contract(pbc):
    res = compare_scores(
        pbc, "time", "event", ["points", "log_bili"], [1000, 2000], thresholds=[0.1, 0.3]
    )
    for r in (res, res.concordance, res.auc, res.brier, res.calibration, res.decision):
        assert len(repr(r)) < 200 and "\n" not in repr(r)
        assert isinstance(r.summary(), str) and r._repr_html_().startswith("<div")
        ax = r.plot()
        assert isinstance(ax, plt.Axes)
        plt.close(ax.figure)
        assert r.n_excluded == 0
    assert res == res and res.concordance == res.concordance
    other = compare_scores(
        pbc, "time", "event", ["points", "age"], [1000, 2000], thresholds=[0.1, 0.3]
    )
    assert res != other
    paper = res.paper_table()
    assert list(paper["Score"]) == ["points", "log_bili"]
    assert "common patients" in " ".join(paper.columns)
    assert "Harrell" in res.methods_text()
    # the tidy table carries the individual results
    c = res.table[(res.table["term"] == "points") & (res.table["metric"] == "C")]
    assert c["estimate"].iloc[0] == res.concordance.table["estimate"].iloc[0]


def test_calibration_of_true_risks_is_good():
    rng = np.random.default_rng(4)
    n = 2000
    lp = rng.normal(0, 0.8, n)
    t = rng.exponential(1 / (0.1 * np.exp(lp)))
    c = rng.uniform(0, 20, n)
    d = pd.DataFrame(
        {"t": np.minimum(t, c), "e": (t <= c).astype(int), "p": 1 - np.exp(-0.1 * np.exp(lp) * 5)}
    )
    res = calibration(d, "t", "e", "p", 5, groups=5)
    row = res.table.iloc[0]
    assert abs(row["slope"] - 1) < 3 * row["slope_std_error"]
    assert row["ici"] < 0.03 and row["e50"] <= row["e90"]
    assert abs(row["citl"]) < 0.03
    g = res.groups
    assert np.all(np.abs(g["observed"] - g["predicted"]) < 0.06)


def test_decision_curve_treat_all_and_perfect_prediction():
    d = _toy(200, 5)
    d["perfect"] = ((d["t"] <= 6) & (d["e"] == 1)).astype(float)
    res = decision_curve(d, "t", "e", "perfect", 6, thresholds=[0.2, 0.5])
    tab = res.table.set_index(["term", "threshold"])["net_benefit"]
    from crlm_outcomes.validation._estimators import risk_at

    f, _ = risk_at(d["t"].to_numpy(float), d["e"].to_numpy(), 6, None)
    assert tab[("treat all", 0.2)] == pytest.approx(f - (1 - f) * 0.25)
    assert tab[("perfect", 0.5)] >= tab[("treat all", 0.5)]


def test_predicted_risk_km_is_the_level_kaplan_meier():
    from crlm_outcomes.survival import kaplan_meier

    d = _toy(120, 6)
    pr = predicted_risk(d, "t", "e", "x", [6], method="km")
    km = kaplan_meier(d, "t", "e", by="x").at(6)
    for level, s in zip(km["group"], km["survival"], strict=True):
        got = pr.loc[d["x"] == level, "x_risk_6"].unique()
        assert got == pytest.approx([1 - s])
    assert "Kaplan-Meier" in pr.attrs["method"]
    assert "Cox" in predicted_risk(d, "t", "e", "x", [6]).attrs["method"]


def test_bootstrap_is_seeded_and_reports_progress():
    d = _toy(100, 7)
    calls = []
    a = bootstrap_validation(
        d, "t", "e", "x", [6], n_boot=4, seed=11, progress=lambda b, n: calls.append((b, n))
    )
    b = bootstrap_validation(d, "t", "e", "x", [6], n_boot=4, seed=11)
    assert a == b and calls == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert a.n_boot == 4 and (a.table["n_boot"] <= 4).all()
    tab = a.table.set_index("metric")
    assert tab.loc["C", "corrected"] == pytest.approx(
        tab.loc["C", "apparent"] - tab.loc["C", "optimism"]
    )


def test_paper_table_shows_corrected_c_and_slope_with_bootstrap():
    d = _toy(120, 5)
    res = compare_scores(d, "t", "e", ["x", "y"], [6, 10], n_boot=3, seed=2, thresholds=[0.2, 0.4])
    paper = res.paper_table().set_index("Score")
    tab = res.table[res.table["term"] == "y"].set_index("metric")
    assert paper.loc["y", "C (corrected)"] == f"{tab.loc['C (corrected)', 'estimate']:.3f}"
    slope = tab.loc["calibration slope (corrected)"]
    slope = slope[slope["time"] == 10]["estimate"].iloc[0]
    assert paper.loc["y", "Calibration slope(10) (corrected)"] == f"{slope:.3f}"


def test_competing_risks_compare():
    m = pd.read_csv(REF / "data_mgus2.csv").iloc[:400]
    res = compare_scores(
        m, "time", "event", ["age", "hgb"], [60, 120], cause=1, thresholds=[0.05, 0.1]
    )
    assert res.auc.cause == 1 and "cause 1" in res.methods_text()
    assert np.isfinite(res.table["estimate"]).all()


@pytest.mark.parametrize(
    "module",
    [
        "concordance",
        "auc",
        "brier",
        "calibration",
        "decision",
        "risk_model",
        "bootstrap",
        "compare",
    ],
)
def test_docstring_examples_run(module):
    mod = importlib.import_module(f"crlm_outcomes.validation.{module}")
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE  # as pyproject's doctest options
    failed, _ = doctest.testmod(mod, verbose=False, optionflags=flags)
    assert failed == 0
