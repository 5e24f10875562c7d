"""One vocabulary for every analysis (issue #10): a DataFrame or a Cohort as ``data``, several
``by``/``strata`` columns labelled as R prints them, ``concordance`` on a DataFrame, ``landmark``
by group, Schoenfeld plots of every term."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import crlm_outcomes as co  # noqa: E402
from crlm_outcomes.report.table_one import table_one  # noqa: E402
from crlm_outcomes.survival.concordance import concordance_arrays  # noqa: E402


@pytest.fixture(scope="module")
def cohort():
    return co.synthetic_cohort(300, 11)


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", co.errors.DataQualityWarning)
        return fn(*args, **kwargs)


CALLS = {
    "kaplan_meier": lambda d: co.kaplan_meier(d, "os_months", "os_event", "sex"),
    "logrank": lambda d: co.logrank(d, "os_months", "os_event", "sex"),
    "cox": lambda d: co.cox(d, "age_at_diagnosis + sex", "os_months", "os_event"),
    "fine_gray": lambda d: co.fine_gray(d, "age_at_diagnosis", "rfs_months", "rfs_cause"),
    "cumulative_incidence": lambda d: co.cumulative_incidence(d, "rfs_months", "rfs_cause"),
    "gray_test": lambda d: co.gray_test(d, "rfs_months", "rfs_cause", "sex"),
    "rmst": lambda d: co.rmst(d, "os_months", "os_event", "sex", tau=24),
    "rmst_difference": lambda d: co.rmst_difference(d, "os_months", "os_event", "sex", tau=24),
    "landmark": lambda d: co.landmark(d, "os_months", "os_event", "sex", landmark=6),
    "propensity_weights": lambda d: co.propensity_weights(
        d, "neoadjuvant_chemo", "age_at_diagnosis + sex"
    ),
    "balance_table": lambda d: co.balance_table(
        d, "neoadjuvant_chemo", ["age_at_diagnosis", "sex"]
    ),
    "concordance": lambda d: co.concordance(d, "os_months", "os_event", "age_at_diagnosis"),
    "table_one": lambda d: table_one(d, "sex", ["age_at_diagnosis", "kras_status"]),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_cohort_is_accepted_wherever_a_dataframe_is(cohort, name):
    assert _quiet(CALLS[name], cohort) == _quiet(CALLS[name], cohort.data)


def test_not_a_frame_is_a_clean_input_error():
    with pytest.raises(co.errors.InputError, match="DataFrame or a Cohort"):
        co.cox({"a": [1]}, "a", "t", "e")


def _two_column_data(n: int = 200, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = pd.Categorical(rng.choice(["lo", "hi"], size=n), categories=["lo", "hi"])
    b = rng.integers(1, 3, size=n)
    x = rng.normal(size=n)
    t = rng.exponential(5 * np.exp(-0.5 * x), size=n) + 0.05
    c = rng.uniform(1, 12, size=n)
    frame = pd.DataFrame(
        {
            "a": a,
            "b": b,
            "x": x,
            "time": np.round(np.minimum(t, c), 3),
            "status": (t <= c).astype(int),
        }
    )
    frame["ab"] = [f"a={u}, b={v}" for u, v in zip(frame["a"], frame["b"], strict=True)]
    return frame


def test_kaplan_meier_by_two_columns_labels_as_r():
    d = _two_column_data()
    two = co.kaplan_meier(d, "time", "status", by=["a", "b"])
    # R: strata(a, b) levels, the first column varying slowest, each in its own order
    assert two.group_labels == ["a=lo, b=1", "a=lo, b=2", "a=hi, b=1", "a=hi, b=2"]
    one = co.kaplan_meier(d, "time", "status", by="ab")
    merged = two.table.merge(one.table, on=["group", "time"], suffixes=("", "_1"))
    assert len(merged) == len(two.table) == len(one.table)
    np.testing.assert_allclose(merged["survival"], merged["survival_1"], rtol=1e-14)
    assert "a=hi, b=2" in two.summary()
    lr2 = co.logrank(d, "time", "status", by=["a", "b"])
    lr1 = co.logrank(d, "time", "status", by="ab")
    assert lr2.statistic == pytest.approx(lr1.statistic, rel=1e-12)


def test_cox_stratified_on_two_columns_predicts_and_gives_baseline():
    d = _two_column_data()
    two = co.cox(d, "x", "time", "status", strata=["a", "b"])
    one = co.cox(d, "x", "time", "status", strata="ab")
    np.testing.assert_allclose(two.table["coef"], one.table["coef"], rtol=1e-12)
    base2, base1 = two.baseline_hazard(), one.baseline_hazard()
    assert set(base2["strata"]) == set(base1["strata"]) == set(d["ab"])
    for s in set(d["ab"]):
        np.testing.assert_allclose(
            base2.loc[base2["strata"] == s, "cumhaz"],
            base1.loc[base1["strata"] == s, "cumhaz"],
            rtol=1e-12,
        )
    new = d.iloc[[0, 1, 2]]
    pred2 = two.predict_survival(new, times=[1, 3])
    pred1 = one.predict_survival(new, times=[1, 3])
    assert list(pred2["strata"]) == list(pred1["strata"])
    np.testing.assert_allclose(pred2["surv"], pred1["surv"], rtol=1e-12)
    np.testing.assert_allclose(two.predict(new), one.predict(new), rtol=1e-12)
    all_strata = two.predict_survival(new[["x"]], times=[1])
    assert len(all_strata) == 3 * 4


def test_concordance_on_a_dataframe_matches_the_cox_fit():
    d = _two_column_data()
    fit = co.cox(d, "x", "time", "status")
    res = co.concordance(d.assign(lp=fit.predict()), "time", "status", "lp", reverse=True)
    assert res.estimate == pytest.approx(fit.concordance["concordance"], rel=1e-12)
    assert res.std_error == pytest.approx(fit.concordance["std"], rel=1e-12)
    arrays = concordance_arrays(
        d["time"].to_numpy(float), d["status"].to_numpy(), d["x"].to_numpy(), reverse=False
    )
    plain = co.concordance(d, "time", "status", "x")  # R's default: reverse = FALSE
    assert plain.estimate == pytest.approx(arrays["concordance"], rel=1e-14)


def test_landmark_by_group_counts_and_plot():
    d = _two_column_data()
    res = co.landmark(d, "time", "status", by="a", landmark=2)
    assert res.by == ["a"] and list(res.groups["group"]) == ["lo", "hi"]
    assert res.groups["n_landmark"].sum() == res.n
    assert res.groups["n_input"].sum() == len(d)
    try:
        ax = res.plot()
        assert isinstance(ax, matplotlib.axes.Axes)
    finally:
        plt.close("all")


def test_plot_schoenfeld_defaults_to_every_term():
    d = _two_column_data()
    fit = co.cox(d, "x + a", "time", "status")
    try:
        axes = fit.plot_schoenfeld()
        assert len(axes) == 2 and all(isinstance(a, matplotlib.axes.Axes) for a in axes)
        one = fit.plot_schoenfeld("x")
        assert isinstance(one, matplotlib.axes.Axes)
    finally:
        plt.close("all")


def test_fine_gray_is_a_hazard_ratio_model_for_tables_and_forest_plots():
    from crlm_outcomes.report.regression_table import regression_table

    d = _two_column_data().assign(cause=lambda f: f["status"] * (1 + (f["x"] > 1)))
    fg = co.fine_gray(d, "x", "time", "cause")
    tab = regression_table(fg)
    assert tab.numbers["hr"].tolist() == fg.table["hr"].tolist()
    try:
        assert isinstance(fg.plot(), matplotlib.axes.Axes)
    finally:
        plt.close("all")
