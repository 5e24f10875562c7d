"""Propensity-score matching against MatchIt 4.5.1 (tests/reference/matching.R)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crlm_outcomes.errors import EstimationError, InputError, SpecError
from crlm_outcomes.survival.matching import greedy_match, match_propensity

REF = Path(__file__).parents[1] / "reference" / "matching"
CASES = {
    "nn_data": dict(order="data"),
    "nn_largest_cal02": dict(order="largest", caliper=0.2),
    "nn2_smallest_cal02": dict(order="smallest", ratio=2, caliper=0.2),
    "nn3_largest": dict(order="largest", ratio=3),
    "nn_data_exact_race_cal05": dict(order="data", caliper=0.5, exact="race"),
    "nn3_replace_cal01": dict(order="data", ratio=3, replace=True, caliper=0.1),
    "nn1_replace": dict(order="data", ratio=1, replace=True),
}
COVS = ["age", "educ", "race", "married", "nodegree", "re74", "re75"]


@pytest.fixture(scope="module")
def lalonde() -> pd.DataFrame:
    return pd.read_csv(REF / "data_lalonde.csv").set_index("id")


def _run(d: pd.DataFrame, case: str):
    return match_propensity(d, "treat", propensity="ps", balance_covariates=COVS, **CASES[case])


def _ref(case: str) -> pd.DataFrame:
    ref = pd.read_csv(REF / "pairs.csv")
    return ref[ref["case"] == case]


def _ref_weights(case: str) -> pd.Series:
    w = pd.read_csv(REF / "weights.csv")
    return w[w["case"] == case].set_index("id")["weight"].sort_index()


@pytest.mark.parametrize("case", [c for c in CASES if not CASES[c].get("replace")])
def test_matched_sets_equal_matchit(lalonde, case):
    m = _run(lalonde, case)
    ref = _ref(case)
    # same control for the same treated unit in the same round (slot)
    g = {
        (int(a), int(s)): int(c)
        for a, s, c in m.pairs[["treated", "slot", "control"]].itertuples(index=False)
    }
    e = {
        (int(a), int(s)): int(c)
        for a, s, c in ref[["treated", "slot", "control"]].itertuples(index=False)
    }
    assert g == e
    w = _ref_weights(case)
    np.testing.assert_allclose(
        m.weights.reindex(w.index).to_numpy(float), w.to_numpy(float), rtol=1e-12
    )


@pytest.mark.parametrize("case", [c for c in CASES if CASES[c].get("replace")])
def test_matched_sets_with_replacement_equal_matchit_up_to_ties(lalonde, case):
    """With replacement MatchIt takes the k closest by std::partial_sort, whose order among
    controls at exactly the same distance is unspecified (lalonde has controls with identical
    covariates, hence identical scores): compare the distances of each treated unit's controls,
    and the weights summed over controls sharing a score."""
    m = _run(lalonde, case)
    ref = _ref(case)
    logit = np.log(lalonde["ps"] / (1 - lalonde["ps"]))
    ref = ref.assign(
        difference=np.abs(
            logit.loc[ref["treated"]].to_numpy() - logit.loc[ref["control"]].to_numpy()
        )
    )
    for t, sub in ref.groupby("treated"):
        got = np.sort(m.pairs.loc[m.pairs["treated"] == t, "difference"].to_numpy())
        np.testing.assert_allclose(got, np.sort(sub["difference"].to_numpy()), rtol=1e-12)
    assert set(m.pairs["treated"]) == set(ref["treated"])
    w = _ref_weights(case)
    key = lalonde["ps"].reindex(w.index).round(12)
    np.testing.assert_allclose(
        m.weights.reindex(w.index).groupby(key).sum().to_numpy(float),
        w.groupby(key).sum().to_numpy(float),
        rtol=1e-12,
    )


@pytest.mark.parametrize(
    ("case", "file"),
    [("nn_largest_cal02", "cox_matched.csv"), ("nn2_smallest_cal02", "cox_matched2.csv")],
)
def test_matched_cox_with_pair_cluster_matches_r(lalonde, case, file):
    m = _run(lalonde, case)
    fit = m.cox("time", "status")
    ref = pd.read_csv(REF / file).iloc[0]
    assert fit.n == ref["n"] and fit.n_event == ref["nevent"]
    s = fit.table.iloc[0]
    np.testing.assert_allclose(
        [s["coef"], s["robust_std_error"], s["std_error"]],
        [ref["coef"], ref["robust_se"], ref["naive_se"]],
        rtol=1e-9,
    )


def test_balance_improves_and_contract(lalonde):
    m = _run(lalonde, "nn_largest_cal02")
    assert m.balance.max_abs_smd(weighted=True) < m.balance.max_abs_smd(weighted=False)
    assert m.data["pair"].notna().all()
    assert m.data.groupby("pair").size().eq(2).all()
    t = m.table.set_index("arm")
    assert t.loc["treated", "n_matched"] == len(_ref("nn_largest_cal02"))
    assert m.n_excluded == int(t.loc["treated", "n_unmatched"])
    assert "\n" not in repr(m) and "SMD" in m.summary() and "<table" in m._repr_html_()
    assert m == _run(lalonde, "nn_largest_cal02")
    assert m != _run(lalonde, "nn_data")
    ax = m.plot()
    assert ax.get_xlabel().startswith("Absolute")
    import matplotlib.pyplot as plt

    plt.close("all")


def test_random_order_is_seeded(lalonde):
    a = match_propensity(
        lalonde,
        "treat",
        propensity="ps",
        order="random",
        seed=3,
        caliper=0.2,
        balance_covariates=COVS,
    )
    b = match_propensity(
        lalonde,
        "treat",
        propensity="ps",
        order="random",
        seed=3,
        caliper=0.2,
        balance_covariates=COVS,
    )
    assert a.pairs.equals(b.pairs)


def test_formula_fits_the_propensity(lalonde):
    m = match_propensity(
        lalonde, "treat", "age + educ + C(race) + married + nodegree + re74 + re75", caliper=0.2
    )
    direct = _run(lalonde, "nn_largest_cal02")
    assert set(map(tuple, m.pairs[["treated", "control"]].to_numpy())) == set(
        map(tuple, direct.pairs[["treated", "control"]].to_numpy())
    )


def test_errors(lalonde):
    with pytest.raises(SpecError, match="ratio"):
        match_propensity(lalonde, "treat", propensity="ps", ratio=0)
    with pytest.raises(SpecError, match="caliper"):
        match_propensity(lalonde, "treat", propensity="ps", caliper=-1)
    with pytest.raises(SpecError, match="order"):
        match_propensity(lalonde, "treat", propensity="ps", order="best")
    with pytest.raises(InputError, match="between 0 and 1"):
        match_propensity(lalonde.assign(ps=1.0), "treat", propensity="ps")
    with pytest.raises(EstimationError, match="no treated"):
        match_propensity(
            pd.DataFrame({"t": [1, 0], "ps": [0.9, 0.1]}), "t", propensity="ps", caliper=0.1
        )
    with pytest.raises(SpecError, match="formula"):
        match_propensity(lalonde, "treat")


def test_greedy_match_exact_and_replacement():
    d = np.array([0.0, 1.0, 0.1, 0.9, 0.2])
    t = np.array([1, 1, 0, 0, 0])
    assert greedy_match(d, t, replace=True, ratio=2).tolist() == [[2, 4], [3, 4]]
    assert greedy_match(d, t, exact=np.array([0, 1, 1, 0, 1])).tolist() == [[3], [4]]


def test_comparisons_carry_evalues(lalonde):
    from crlm_outcomes.survival.comparison import matched_comparison, weighted_comparison
    from crlm_outcomes.survival.evalue import evalue
    from crlm_outcomes.survival.weighting import propensity_weights

    m = _run(lalonde, "nn_largest_cal02")
    c = matched_comparison(m, "time", "status")
    ref = pd.read_csv(REF / "cox_matched.csv").iloc[0]
    r = c.table.iloc[0]
    np.testing.assert_allclose(np.log(r["hr"]), ref["coef"], rtol=1e-9)
    exp = evalue(r["hr"], r["lower"], r["upper"], measure="HR", rare=False).table.iloc[0]
    assert r["evalue"] == exp["evalue"] and r["evalue_ci"] == exp["evalue_ci"]
    assert "E-value" in c.summary() and c == matched_comparison(m, "time", "status")
    pw = propensity_weights(
        lalonde, "treat", "age + educ + C(race) + married + nodegree + re74 + re75", estimand="ATT"
    )
    w = weighted_comparison(lalonde, pw, "time", "status", COVS)
    assert w.method == "weighting" and w.cox.robust
    assert w.table["evalue"].iloc[0] > 1
    assert "weighting" in repr(w)


def test_comparison_labels_follow_the_fit(lalonde):
    """The summary names the interval's own level, and the Love plot's legend says matching."""
    import matplotlib.pyplot as plt

    from crlm_outcomes.survival.comparison import matched_comparison

    m = _run(lalonde, "nn_largest_cal02")
    c90 = matched_comparison(m, "time", "status", conf_level=0.9)
    r = c90.table.iloc[0]
    assert f"(90% CI {r['lower']:.3f}-{r['upper']:.3f})" in c90.summary()
    assert "95% CI" not in c90.summary()
    ax = c90.plot()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "Before matching",
        "After matching",
    ]
    plt.close(ax.figure)


def test_near_ties_in_distance_go_to_the_first_control_in_data_order():
    """Two controls at the same distance from a treated patient, up to the last bit of the
    logit (ages 63.9 and 64.5 around 64.2): the first in data order is taken, whichever of the
    two distances rounding made smaller, so the same seed gives the same pairs on any platform."""
    d = np.array([-0.5874206279012404, -0.5840554327763681, -0.5907858230261132])
    t = np.array([1, 0, 0])
    assert greedy_match(d, t).tolist() == [[1]]
    d2 = d.copy()
    d2[2] = d[0] - (d[1] - d[0]) + 2e-16  # the second control a hair closer
    assert abs(abs(d2[2] - d2[0]) - abs(d2[1] - d2[0])) < 1e-15
    assert greedy_match(d2, t).tolist() == [[1]]
    assert greedy_match(d2, t, replace=True).tolist() == [[1]]
    d3 = d.copy()
    d3[2] = d[0] - (d[1] - d[0]) * 0.9  # clearly closer: taken
    assert greedy_match(d3, t).tolist() == [[2]]
