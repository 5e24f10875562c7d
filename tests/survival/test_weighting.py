"""propensity_weights / balance_table: R glm agreement, balance formulas, IPTW pipeline."""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from crlm_outcomes.errors import (  # noqa: E402
    DataQualityWarning,
    EstimationError,
    FormulaError,
    InputError,
    SpecError,
)
from crlm_outcomes.survival.weighting import (  # noqa: E402
    balance_table,
    effective_sample_size,
    propensity_weights,
)

REF = Path(__file__).resolve().parents[1] / "reference" / "competing_risks"
FORMULA = "age + stage + cea_high"


@pytest.fixture(scope="module")
def syn() -> pd.DataFrame:
    return pd.read_csv(REF / "data_synthetic.csv")


@pytest.fixture(scope="module")
def r_weights() -> pd.DataFrame:
    return pd.read_csv(REF / "ps_weights.csv")


@pytest.mark.parametrize(
    "estimand,column", [("ATE", "ate"), ("ATT", "att"), ("ATC", "atc"), ("overlap", "overlap")]
)
def test_weights_match_r_glm(syn, r_weights, estimand, column):
    res = propensity_weights(syn, "treated", FORMULA, estimand=estimand)
    np.testing.assert_allclose(res.propensity.to_numpy(), r_weights["ps"], rtol=1e-9)
    np.testing.assert_allclose(res.weights.to_numpy(), r_weights[column], rtol=1e-9)
    assert res.weights.index.equals(syn.index)


def test_stabilized_weights_match(syn, r_weights):
    res = propensity_weights(syn, "treated", FORMULA, stabilize=True)
    np.testing.assert_allclose(res.weights.to_numpy(), r_weights["ate_stabilized"], rtol=1e-9)
    # stabilised ATE weights have mean about 1 in each arm's total
    assert res.weights.sum() == pytest.approx(len(syn), rel=0.05)


def test_model_table_matches_r(syn):
    ref = pd.read_csv(REF / "ps_model.csv")
    res = propensity_weights(syn, "treated", FORMULA)
    t = res.table
    assert list(t["term"]) == ["Intercept", "age", "stage[T.II]", "stage[T.III]", "cea_high"]
    # the R reference is fitted with glm.control(epsilon = 1e-14): the MLE itself
    for col, rcol in (("coef", "coef"), ("std_error", "se"), ("statistic", "z"), ("p", "p")):
        np.testing.assert_allclose(t[col], ref[rcol], rtol=1e-8, err_msg=col)
    assert "Logit" in str(res.model.summary()) or "Binomial" in str(res.model.summary())


def test_effective_sample_size(syn):
    res = propensity_weights(syn, "treated", FORMULA)
    w = res.weights.to_numpy()
    t = syn["treated"].to_numpy()
    eff = res.effective_n.set_index("arm")
    for arm, code in (("treated", 1), ("control", 0)):
        ww = w[t == code]
        assert eff.loc[arm, "ess"] == pytest.approx(ww.sum() ** 2 / (ww**2).sum(), rel=1e-12)
        assert eff.loc[arm, "n"] == (t == code).sum()
    assert effective_sample_size(np.ones(10)) == pytest.approx(10.0)


def test_missing_covariates_give_nan_weight_and_record(syn):
    df = syn.copy()
    df.loc[[0, 7], "age"] = np.nan
    df.loc[9, "treated"] = np.nan
    with pytest.warns(DataQualityWarning, match="3 row"):
        res = propensity_weights(df, "treated", FORMULA)
    assert res.weights.loc[[0, 7, 9]].isna().all()
    assert res.weights.drop([0, 7, 9]).notna().all()
    assert set(res.excluded["index"]) == {0, 7, 9}
    assert res.n_excluded == 3


def test_trim_and_truncate(syn):
    with pytest.warns(DataQualityWarning, match="trimmed"):
        res = propensity_weights(syn, "treated", FORMULA, trim=0.25)
    ps = res.propensity
    out = (ps < 0.25) | (ps > 0.75)
    assert out.any()
    assert res.weights[out].isna().all() and res.weights[~out].notna().all()
    assert (res.excluded["reason"].str.contains("trimmed")).sum() == out.sum()
    res = propensity_weights(syn, "treated", FORMULA, truncate=0.9)
    w0 = propensity_weights(syn, "treated", FORMULA).weights
    lo, hi = np.quantile(w0, [0.1, 0.9])
    np.testing.assert_allclose(res.weights, np.clip(w0, lo, hi))
    assert "truncate" in res.notes


def test_treated_label_and_errors(syn):
    df = syn.assign(arm=np.where(syn["treated"] == 1, "hepatectomy", "chemo"))
    a = propensity_weights(df, "arm", FORMULA, treated="hepatectomy")
    b = propensity_weights(syn, "treated", FORMULA)
    np.testing.assert_allclose(a.weights, b.weights, rtol=1e-12)
    with pytest.raises(InputError, match="0/1"):
        propensity_weights(df, "arm", FORMULA)
    with pytest.raises(InputError, match="does not occur"):
        propensity_weights(df, "arm", FORMULA, treated="surgery")
    with pytest.raises(SpecError):
        propensity_weights(syn, "treated", FORMULA, estimand="ATO")
    with pytest.raises(SpecError):
        propensity_weights(syn, "treated", FORMULA, estimand="ATT", stabilize=True)
    with pytest.raises(SpecError):
        propensity_weights(syn, "treated", FORMULA, trim=0.7)
    with pytest.raises(FormulaError):
        propensity_weights(syn, "treated", "age + bogus")
    sep = syn.assign(x=syn["treated"] * 10.0)
    with pytest.raises(EstimationError):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            propensity_weights(sep, "treated", "x")


def _smd_by_hand(x, t, w=None):
    x1, x0 = x[t == 1], x[t == 0]
    sd = np.sqrt((x1.var(ddof=1) + x0.var(ddof=1)) / 2)
    if w is None:
        return (x1.mean() - x0.mean()) / sd
    return (np.average(x1, weights=w[t == 1]) - np.average(x0, weights=w[t == 0])) / sd


def test_balance_formulas(syn):
    res = propensity_weights(syn, "treated", FORMULA)
    bal = res.balance(syn, ["age", "stage", "cea_high"])
    level = bal.table["level"].astype(object).where(bal.table["level"].notna(), "None").map(str)
    t = bal.table.set_index(["covariate", level])
    x = syn["age"].to_numpy()
    tr = syn["treated"].to_numpy()
    w = res.weights.to_numpy()
    assert t.loc[("age", "None"), "smd"] == pytest.approx(_smd_by_hand(x, tr), rel=1e-12)
    assert t.loc[("age", "None"), "smd_w"] == pytest.approx(_smd_by_hand(x, tr, w), rel=1e-12)

    # variance ratio after weighting, reliability-weights variance
    def wvar(v, ww):
        m = np.average(v, weights=ww)
        return np.sum(ww * (v - m) ** 2) / (ww.sum() - (ww**2).sum() / ww.sum())

    vr = wvar(x[tr == 1], w[tr == 1]) / wvar(x[tr == 0], w[tr == 0])
    assert t.loc[("age", "None"), "var_ratio_w"] == pytest.approx(vr, rel=1e-12)
    # binary: p(1-p) variances
    c = syn["cea_high"].to_numpy()
    p1, p0 = c[tr == 1].mean(), c[tr == 0].mean()
    expected = (p1 - p0) / np.sqrt((p1 * (1 - p1) + p0 * (1 - p0)) / 2)
    assert t.loc[("cea_high", "None"), "smd"] == pytest.approx(expected, rel=1e-12)
    assert t.loc[("cea_high", "None"), "type"] == "binary"
    # categorical: one row per level
    assert {lv for cov, lv in t.index if cov == "stage"} == {"I", "II", "III"}
    # IPTW improves balance on the modelled covariates
    assert bal.max_abs_smd(weighted=True) < 0.1 < bal.max_abs_smd(weighted=False)


def test_balance_unweighted_and_missing(syn):
    df = syn.copy()
    df.loc[[1, 2], "age"] = np.nan
    bal = balance_table(df, "treated", ["age", "site"])
    assert not bal.weighted and "smd_w" not in bal.table.columns
    row = bal.table[bal.table["covariate"] == "age"].iloc[0]
    assert row["n_missing"] == 2 and row["n_treated"] + row["n_control"] == len(df) - 2
    with pytest.raises(InputError):
        balance_table(df, "treated", ["nope"])
    with pytest.raises(InputError):
        balance_table(df, "treated", ["age"], weights=np.ones(3))


def test_plots(syn):
    res = propensity_weights(syn, "treated", FORMULA)
    ax = res.balance(syn, ["age", "stage", "cea_high"]).plot()
    assert len(ax.collections) >= 2
    ax2 = res.plot()
    assert len(ax2.patches) > 0
    assert "Effective sample size" in res._repr_html_()
    assert "balance" in res.balance(syn, ["age"])._repr_html_()
    plt.close("all")


def test_iptw_cox_robust_matches_r(syn):
    """End to end: our ATE weights into the package's weighted robust Cox == R coxph."""
    from crlm_outcomes.survival.cox import cox

    ref = pd.read_csv(REF / "iptw_coxph.csv").iloc[0]
    res = propensity_weights(syn, "treated", FORMULA)
    df = syn.assign(w=res.weights, event1=(syn["status"] == 1).astype(int))
    fit = cox(df, "treated", "time", "event1", weights="w", robust=True)
    row = fit.table.set_index("term").loc["treated"]
    assert row["coef"] == pytest.approx(ref["coef"], rel=1e-6)
    assert row["robust_std_error"] == pytest.approx(ref["robust_se"], rel=1e-6)
    assert row["std_error"] == pytest.approx(ref["naive_se"], rel=1e-6)


def test_weighted_kaplan_meier_runs_with_weights(syn):
    from crlm_outcomes.survival.kaplan_meier import kaplan_meier

    res = propensity_weights(syn, "treated", FORMULA)
    df = syn.assign(w=res.weights, event1=(syn["status"] == 1).astype(int))
    km = kaplan_meier(df, "time", "event1", "treated", weights="w")
    # weighted product-limit by hand for the treated arm at t = 12
    sub = df[df["treated"] == 1]
    t, e, w = sub["time"].to_numpy(), sub["event1"].to_numpy(), sub["w"].to_numpy()
    s = 1.0
    for u in np.unique(t[(e == 1) & (t <= 12)]):
        s *= 1 - w[(t == u) & (e == 1)].sum() / w[t >= u].sum()
    tab = km.table[(km.table["group"] == 1) & (km.table["time"] <= 12)]
    assert tab["survival"].iloc[-1] == pytest.approx(s, rel=1e-12)
