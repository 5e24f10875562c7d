"""Restricted cubic splines against R's rms 6.5-0 (tests/reference/splines.R, rtol 1e-6):
knots and basis (Hmisc::rcspline.eval), rms::cph fits (coefficients, SE, log-likelihood, Efron
ties), rms::anova Wald tests (term and nonlinear part) and rms::Predict hazard ratios."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

from crlm_outcomes.formula import check_expression, rcs_basis, rcs_knots  # noqa: E402
from crlm_outcomes.formula.effects import spline_knots  # noqa: E402
from crlm_outcomes.survival.cox import cox  # noqa: E402

REF = Path(__file__).resolve().parents[1] / "reference" / "splines"
RTOL = 1e-6


@cache
def values() -> pd.DataFrame:
    return pd.read_csv(REF / "values.csv", dtype={"key": str})


def ref(case: str, what: str) -> pd.Series:
    v = values()
    sub = v[(v["case"] == case) & (v["what"] == what)]
    assert len(sub), (case, what)
    return pd.Series(sub["value"].to_numpy(float), index=sub["key"].to_numpy())


@cache
def dataset(name: str) -> pd.DataFrame:
    if name == "lung_female":
        d = dataset("lung")
        return d[d["sex"] == 2].reset_index(drop=True)
    if name == "tied":
        return pd.read_csv(REF / "data_tied.csv")
    return pd.read_csv(REF / f"data_{name}.csv")


KNOT_VARS = {
    "lung_age": ("lung", "age"),
    "lung_female_age": ("lung_female", "age"),
    "colon_age": ("colon", "age"),
    "colon_nodes": ("colon", "nodes"),
    "lung_wtloss": ("lung", "wt.loss"),
}


@pytest.mark.parametrize("nk", [3, 4, 5, 6, 7])
@pytest.mark.parametrize("name", sorted(KNOT_VARS))
def test_default_knots_match_rcspline_eval(name, nk):
    data, col = KNOT_VARS[name]
    got = rcs_knots(dataset(data)[col].to_numpy(float), nk)
    want = ref(f"{name}_{nk}", "knots").to_numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("nk", [3, 4, 5, 6])
def test_tied_end_value_becomes_its_own_knot(nk):
    x = dataset("tied")["x"].to_numpy(float)
    np.testing.assert_allclose(rcs_knots(x, nk), ref(f"tied_{nk}", "knots").to_numpy(), rtol=1e-12)


@pytest.mark.parametrize("knots", [(44.6, 59, 67, 75.4), (40, 50, 60, 70, 80), (45, 60, 75)])
def test_basis_matches_rcspline_eval(knots):
    case = "basis_" + "_".join(f"{k:g}" for k in knots)
    x = ref(case, "col1").to_numpy()
    basis = rcs_basis(x, knots)
    assert basis.shape == (x.size, len(knots) - 1)
    for j in range(basis.shape[1]):
        np.testing.assert_allclose(
            basis[:, j], ref(case, f"col{j + 1}").to_numpy(), rtol=1e-12, atol=1e-12
        )


FITS = {
    "lung_rcs3": ("lung", "rcs(age, 3)", "age", np.arange(40, 80.1, 2.5)),
    "lung_rcs4_sex": ("lung", "rcs(age, 4) + sex", "age", np.arange(40, 80.1, 2.5)),
    "lung_rcs5_sex_ecog": (
        "lung",
        "~ rcs(age, 5) + sex + ph.ecog",
        "age",
        np.arange(40, 80.1, 2.5),
    ),
    "lung_rcs4_rcs3_sex": (
        "lung",
        "rcs(age, 4) + rcs(`wt.loss`, 3) + sex",
        "age",
        np.arange(40, 80.1, 2.5),
    ),
    "lung_knots": ("lung", "rcs(age, [50, 60, 70]) + sex", "age", np.arange(40, 80.1, 2.5)),
    "lung_rcs4_x_sex": ("lung", "rcs(age, 4) * sex", "age", np.arange(40, 80.1, 2.5)),
    "lung_female_rcs4": ("lung_female", "rcs(age, 4)", "age", np.arange(45, 75.1, 5)),
    "colon_rcs3_rx": ("colon", "rcs(age, 3) + rx", "age", np.arange(30, 75.1, 5)),
    "colon_rcs4": ("colon", "rcs(age, 4)", "age", np.arange(30, 75.1, 5)),
    "colon_rcs5_nodes_rx": (
        "colon",
        "rcs(age, 5) + rcs(nodes, 4) + rx + sex",
        "nodes",
        np.arange(0, 20.1, 2),
    ),
}


@cache
def fitted(case: str):
    data, formula, _, _ = FITS[case]
    return cox(dataset(data), formula, "time", "status")


@pytest.mark.parametrize("case", sorted(FITS))
def test_cph_coefficients_se_loglik(case):
    fit = fitted(case)
    np.testing.assert_allclose(fit.table["coef"], ref(case, "coef").to_numpy(), rtol=RTOL)
    np.testing.assert_allclose(fit.table["std_error"], ref(case, "se").to_numpy(), rtol=RTOL)
    np.testing.assert_allclose(fit.loglik, ref(case, "loglik").to_numpy(), rtol=1e-10)
    assert fit.n == int(ref(case, "n").iloc[0])
    design = fit.state.design
    for what in values().query("case == @case")["what"].unique():
        if what.startswith("knots_") and what.removeprefix("knots_") in design.adjust_to:
            got = spline_knots(design, what.removeprefix("knots_"))
            np.testing.assert_allclose(got, ref(case, what).to_numpy(), rtol=1e-12)


def _rms_name(term: str) -> str:
    """Our term label in rms's spelling: rcs(age, 4) -> age, rcs(age, 4):sex -> age * sex."""
    parts = [check_expression(p)[0] if p.startswith("rcs(") else p for p in term.split(":")]
    return " * ".join(parts)


def _anova_keys(table: pd.DataFrame) -> list[str]:
    """rms's row labels, with a " Nonlinear" row keyed by the row above it (as splines.R)."""
    keys: list[str] = []
    for term, label in zip(table["term"], table["label"], strict=True):
        if label.startswith(term):
            label = _rms_name(term) + label[len(term) :]
        keys.append(f"{keys[-1]} nonlinear" if label == " Nonlinear" else label)
    return keys


@pytest.mark.parametrize("case", sorted(FITS))
def test_wald_anova_matches_rms(case):
    table = fitted(case).anova()
    assert _anova_keys(table) == list(ref(case, "anova_chisq").index)
    np.testing.assert_allclose(table["statistic"], ref(case, "anova_chisq").to_numpy(), rtol=RTOL)
    np.testing.assert_array_equal(table["df"], ref(case, "anova_df").to_numpy())
    # rms computes P as 1 - pchisq(), which is 0 below ~1e-16
    np.testing.assert_allclose(table["p"], ref(case, "anova_p").to_numpy(), rtol=RTOL, atol=1e-14)


def test_wald_anova_parts():
    additive = fitted("lung_rcs4_sex").anova()
    assert list(additive["part"]) == ["overall", "nonlinear", "overall", "overall"]
    table = fitted("lung_rcs4_x_sex").anova()
    assert list(table["part"]) == [
        "factor+higher order factors",
        "all interactions",
        "nonlinear (factor+higher order factors)",
        "factor+higher order factors",
        "all interactions",
        "factor+higher order factors",
        "nonlinear",
        "nonlinear interaction: f(A,B) vs. AB",
        "overall",
        "overall",
        "overall",
    ]


@pytest.mark.parametrize("case", sorted(FITS))
def test_partial_effect_matches_predict(case):
    _, _, var, grid = FITS[case]
    fit = fitted(case)
    eff = fit.partial_effect(var, values=grid)
    assert eff.reference == ref(case, "adjust_to").iloc[0]
    np.testing.assert_allclose(eff.table["value"], ref(case, "pred_hr").index.astype(float))
    np.testing.assert_allclose(eff.table["hr"], ref(case, "pred_hr").to_numpy(), rtol=RTOL)
    np.testing.assert_allclose(eff.table["lower"], ref(case, "pred_lower").to_numpy(), rtol=RTOL)
    np.testing.assert_allclose(eff.table["upper"], ref(case, "pred_upper").to_numpy(), rtol=RTOL)
    default = fit.partial_effect(var).table["value"]
    n, first, last = ref(case, "default_grid").to_numpy()
    assert len(default) == n
    np.testing.assert_allclose([default.iloc[0], default.iloc[-1]], [first, last], rtol=RTOL)


def test_partial_effect_curve_is_exp_basis_times_beta_and_plots():
    fit = fitted("lung_rcs4_sex")
    eff = fit.partial_effect("age", values=[45.0, 55.0, 63.0, 70.0])
    knots = spline_knots(fit.state.design, "age")
    beta = fit.table["coef"].to_numpy()[:3]
    basis = rcs_basis(np.array([45.0, 55.0, 63.0, 70.0]), knots)
    expected = np.exp((basis - rcs_basis([63.0], knots)) @ beta)
    np.testing.assert_allclose(eff.table["hr"], expected, rtol=1e-12)
    assert eff.table["hr"].iloc[2] == pytest.approx(1.0)
    assert eff.knots == tuple(knots)
    ax = fit.plot_partial_effect("age")
    assert isinstance(ax, Axes)
    line = ax.lines[0]
    np.testing.assert_allclose(line.get_ydata(), fit.partial_effect("age").table["hr"])
    assert ax.get_yscale() == "log"
    plt.close(ax.figure)
    fig, own = plt.subplots()
    assert eff.plot(ax=own) is own
    plt.close(fig)


def test_partial_effect_result_contract():
    eff = fitted("lung_rcs3").partial_effect("age", values=[50.0, 60.0])
    assert eff == fitted("lung_rcs3").partial_effect("age", values=[50.0, 60.0])
    assert eff != fitted("lung_rcs3").partial_effect("age", values=[50.0, 61.0])
    assert "points=2" in repr(eff) and "\n" not in repr(eff)
    assert "reference age = 63" in eff.summary()
    assert "<table" in eff._repr_html_()
    assert eff.n_excluded == 0
