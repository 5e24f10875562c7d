"""Multiple imputation by chained equations: models per type, domain, seeds, refusal of
never-collected variables, outcome terms (White & Royston), pooling end to end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crlm_outcomes.errors import SpecError, UncollectedVariableError
from crlm_outcomes.imputation import impute
from crlm_outcomes.imputation.mice import _multinomial_fit, nelson_aalen_at_exit

REF = Path(__file__).parents[1] / "reference" / "pooling"


def _frame(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.normal(65, 10, n).round()
    kras = rng.random(n) < 0.5
    lp = 0.03 * (age - 65) + 0.6 * kras
    t = rng.exponential(30 * np.exp(-lp))
    d = pd.DataFrame(
        {
            "age": age,
            "cea": np.exp(rng.normal(2, 1, n) + 0.5 * kras),
            "kras": pd.Categorical(np.where(kras, "mutant", "wild"), categories=["wild", "mutant"]),
            "stage": pd.Categorical(
                rng.choice(["I", "II", "III"], n), categories=["I", "II", "III"]
            ),
            "male": pd.array(rng.random(n) < 0.5, dtype="boolean"),
            "nodes": pd.array(rng.integers(0, 10, n), dtype="Int64"),
            "t": np.minimum(t, 60),
            "e": (t < 60).astype(int),
            "era": np.where(np.arange(n) < n // 3, "early", "late"),
        }
    )
    for c in ["cea", "kras", "stage", "male", "nodes"]:
        d.loc[rng.random(n) < 0.25, c] = np.nan if c == "cea" else pd.NA
    return d


VARS = ["cea", "kras", "stage", "male", "nodes"]


@pytest.fixture(scope="module")
def imputed():
    d = _frame()
    return d, impute(
        d, VARS, predictors=["age", *VARS], duration="t", event="e", m=3, iterations=3, seed=11
    )


def test_methods_follow_types_and_values_stay_in_domain(imputed):
    d, imp = imputed
    assert dict(zip(imp.table["variable"], imp.table["method"], strict=True)) == {
        "cea": "pmm",
        "kras": "logreg",
        "stage": "polyreg",
        "male": "logreg",
        "nodes": "pmm",
    }
    assert imp.outcome == ("nelson_aalen", "event")
    for c in imp.completed:
        assert not c[VARS].isna().any().any()
        assert (c.dtypes == d.dtypes).all()
        assert set(c["cea"]) <= set(d["cea"].dropna())  # PMM donors are observed values
        assert set(c["nodes"]) <= set(d["nodes"].dropna())
        assert set(c["stage"]) <= {"I", "II", "III"}
        obs = d["cea"].notna()
        pd.testing.assert_series_equal(c.loc[obs, "cea"], d.loc[obs, "cea"])
    assert not imp.completed[0]["cea"].equals(imp.completed[1]["cea"])


def test_seed_reproducible_and_traces(imputed):
    d, imp = imputed
    again = impute(
        d, VARS, predictors=["age", *VARS], duration="t", event="e", m=3, iterations=3, seed=11
    )
    assert imp == again
    other = impute(
        d, VARS, predictors=["age", *VARS], duration="t", event="e", m=3, iterations=3, seed=12
    )
    assert imp != other
    assert len(imp.traces) == 3 * 3 * len(VARS)
    assert set(imp.traces.columns) == {"imputation", "iteration", "variable", "mean", "sd"}
    ax = imp.plot(variable="cea")
    assert len(ax.get_lines()) == 3
    import matplotlib.pyplot as plt

    plt.close("all")
    assert "\n" not in repr(imp) and "nelson_aalen" in imp.summary()
    assert "<table" in imp._repr_html_() and imp.n_excluded == 0


def test_pooled_cox_end_to_end(imputed):
    _, imp = imputed
    pooled = imp.cox("age + cea + kras + stage + male + nodes", "t", "e")
    assert pooled.m == 3 and len(pooled.table) == 7
    assert (pooled.table["fmi"] > 0).all() and (pooled.table["fmi"] < 1).all()
    km = imp.kaplan_meier("t", "e", by="kras", times=[12, 24])
    assert km.table["estimate"].between(0, 1).all()


def test_progress_callback():
    seen = []
    impute(
        _frame(80),
        ["cea"],
        predictors=["age", "cea"],
        duration="t",
        event="e",
        m=2,
        iterations=2,
        seed=1,
        progress=lambda *a: seen.append(a),
    )
    assert seen == [(1, 2, 1, 2), (1, 2, 2, 2), (2, 2, 1, 2), (2, 2, 2, 2)]


def test_refuses_never_collected_variables():
    d = _frame(90)
    d["braf"] = pd.Categorical([pd.NA] * len(d), categories=["wild", "v600e"])
    with pytest.raises(UncollectedVariableError, match="did not collect"):
        impute(d, ["braf"], predictors=["age"], m=2)
    # recorded only in the late era (as SEER's KRAS from 2018)
    d["kras"] = d["kras"].where(d["era"] == "late")
    with pytest.raises(UncollectedVariableError, match="early"):
        impute(d, ["kras"], predictors=["age"], era="era", m=2)
    imp = impute(
        d,
        ["kras"],
        predictors=["age"],
        era="era",
        m=2,
        iterations=1,
        seed=1,
        allow_uncollected=True,
    )
    assert imp.completed[0]["kras"].notna().all()


def test_setting_errors():
    d = _frame(60)
    with pytest.raises(SpecError, match="m "):
        impute(d, ["cea"], m=1)
    with pytest.raises(SpecError, match="outcome"):
        impute(d, ["t"], duration="t", event="e")
    with pytest.raises(SpecError, match="predictor"):
        impute(d, ["cea"], predictors=["age", "kras"])
    with pytest.raises(SpecError, match="type"):
        impute(d, ["cea"], methods={"cea": "logreg"})


def test_missing_outcome_rows_are_reported():
    d = _frame(60)
    d.loc[0, "t"] = np.nan
    imp = impute(
        d, ["cea"], predictors=["age", "cea"], duration="t", event="e", m=2, iterations=1, seed=1
    )
    assert imp.n_excluded == 1


def test_competing_risks_terms():
    d = _frame(120)
    d["e"] = np.where(d["e"] == 1, np.where(np.arange(len(d)) % 3 == 0, 2, 1), 0)
    imp = impute(
        d, ["cea"], predictors=["age", "cea"], duration="t", event="e", m=2, iterations=1, seed=1
    )
    assert imp.outcome == ("nelson_aalen_1", "event_1", "nelson_aalen_2", "event_2")


def test_nelson_aalen_matches_mice():
    r = pd.read_csv(REF / "nelsonaalen.csv")
    np.testing.assert_allclose(
        nelson_aalen_at_exit(r["futime"], r["death"]), r["na_hazard"], rtol=1e-12
    )


def test_logistic_fit_matches_statsmodels():
    import statsmodels.api as sm

    d = _frame(400).dropna()
    x = np.column_stack([np.ones(len(d)), (d["age"] - 65) / 10, np.log(d["cea"])])
    y = (d["kras"] == "mutant").to_numpy().astype(int)
    ours = _multinomial_fit(y, x, 2)[:, 0]
    ref = sm.Logit(y, x).fit(disp=0).params
    np.testing.assert_allclose(ours, ref, rtol=2e-3, atol=2e-3)  # tiny ridge penalty


def test_cohort_input_uses_schema_types():
    from crlm_outcomes.datasets import synthetic_cohort

    c = synthetic_cohort(300, seed=5)
    imp = impute(
        c,
        ["cea_at_liver_diagnosis", "kras_status", "braf_status"],
        predictors=[
            "age_at_diagnosis",
            "sex",
            "cea_at_liver_diagnosis",
            "kras_status",
            "braf_status",
        ],
        duration="os_months",
        event="os_event",
        m=2,
        iterations=2,
        seed=3,
    )
    methods = dict(zip(imp.table["variable"], imp.table["method"], strict=True))
    assert methods["cea_at_liver_diagnosis"] == "pmm"
    assert methods["kras_status"] in ("logreg", "polyreg")
    col = imp.completed[0]["braf_status"]
    assert set(col.dropna()) <= set(c.data["braf_status"].cat.categories)
    import dataclasses

    none = pd.Series(pd.NA, index=c.data.index, dtype=c.data["her2_status"].dtype)
    c2 = dataclasses.replace(c, data=c.data.assign(her2_status=none))
    with pytest.raises(UncollectedVariableError, match="her2_status"):
        impute(c2, ["her2_status"], predictors=["age_at_diagnosis", "her2_status"], m=2)
