"""The result contract (issue #10; CONTRIBUTING.md), checked on every public result class.

Each class has a factory below; :func:`test_every_result_class_has_a_factory` walks the
package and fails when a public dataclass with a ``table`` has none, so a new result class
cannot skip the contract.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import warnings
from collections.abc import Callable

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import crlm_outcomes  # noqa: E402
from crlm_outcomes import imputation  # noqa: E402
from crlm_outcomes import survival as sv  # noqa: E402
from crlm_outcomes import validation as va  # noqa: E402
from crlm_outcomes.report.regression_table import regression_table  # noqa: E402
from crlm_outcomes.report.table_one import table_one  # noqa: E402

#: Column names replaced by the shared vocabulary in 0.2; none may appear in a ``table``.
OLD_COLUMNS = {"se", "std_err", "exp_coef", "z", "chisq", "robust_se", "rmst", "difference"}
#: Hazard-ratio models: their table has ``hr``.
HR_MODELS = {"CoxResult", "FineGray", "PooledModel", "TreatmentComparison"}


def _data(n: int = 120, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    arm = rng.integers(0, 2, size=n)
    t = rng.exponential(10 * np.exp(-0.4 * x - 0.3 * arm)) + 0.1
    c = rng.uniform(2, 25, size=n)
    cause = np.where(t <= c, rng.integers(1, 3, size=n), 0)
    frame = pd.DataFrame(
        {
            "time": np.round(np.minimum(t, c), 2),
            "status": (t <= c).astype(int),
            "cause": cause,
            "x": x,
            "arm": arm,
            "site": rng.choice(["left", "right"], size=n),
            "stage": pd.Categorical(
                rng.choice(["I", "II", "III"], size=n), categories=["I", "II", "III"]
            ),
        }
    )
    exposed = rng.random(n) < 0.5
    frame["exposure_time"] = np.where(exposed, frame["time"] * rng.uniform(0, 1, size=n), np.nan)
    frame.loc[3, "x"] = np.nan  # one excluded row everywhere x is used
    return frame


DATA = _data()


def _cox() -> sv.CoxResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sv.cox(DATA, "x + arm", "time", "status")


def _risk() -> pd.Series:
    """A predicted risk in (0, 1) from ``x`` (NaN where ``x`` is missing)."""
    return 1.0 / (1.0 + np.exp(-DATA["x"]))


def _compare() -> object:
    return va.compare_scores(
        DATA, "time", "status", ["x", "arm"], [5, 10], thresholds=[0.2, 0.4], groups=4
    )


def _matched() -> object:
    return sv.match_propensity(
        DATA, "arm", "x + site", caliper=0.2, balance_covariates=["x", "site"]
    )


def _imputed() -> object:
    return imputation.impute(
        DATA, ["x"], predictors=["arm"], duration="time", event="status", m=2, iterations=2, seed=1
    )


def _quiet(fn: Callable[[], object]) -> Callable[[], object]:
    def run() -> object:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # DataQualityWarning for the excluded row
            return fn()

    return run


FACTORIES: dict[str, Callable[[], object]] = {
    "KaplanMeierResult": _quiet(lambda: sv.kaplan_meier(DATA, "time", "status", "arm")),
    "LogRankResult": _quiet(lambda: sv.logrank(DATA, "time", "status", "stage")),
    "LogRankTrendResult": _quiet(lambda: sv.logrank_trend(DATA, "time", "status", "stage")),
    "PairwiseLogRankResult": _quiet(lambda: sv.pairwise_logrank(DATA, "time", "status", "stage")),
    "CoxResult": _cox,
    "ZphResult": _quiet(lambda: _cox().zph()),
    "Concordance": _quiet(lambda: sv.concordance(DATA, "time", "status", "x", reverse=True)),
    "FineGray": _quiet(lambda: sv.fine_gray(DATA, "x + arm", "time", "cause")),
    "GrayTest": _quiet(lambda: sv.gray_test(DATA, "time", "cause", "arm")),
    "CumulativeIncidence": _quiet(lambda: sv.cumulative_incidence(DATA, "time", "cause", "arm")),
    "RMSTResult": _quiet(lambda: sv.rmst(DATA, "time", "status", "arm", tau=8)),
    "RMSTDifferenceResult": _quiet(
        lambda: sv.rmst_difference(DATA, "time", "status", "arm", tau=8)
    ),
    "PropensityWeights": _quiet(lambda: sv.propensity_weights(DATA, "arm", "x + site")),
    "BalanceTable": _quiet(lambda: sv.balance_table(DATA, "arm", ["x", "site", "stage"])),
    "LandmarkResult": _quiet(
        lambda: sv.landmark(
            DATA, "time", "status", "arm", landmark=2, exposure_time="exposure_time"
        )
    ),
    "RegressionTable": _quiet(lambda: regression_table(_cox())),
    "TableOne": _quiet(lambda: table_one(DATA, "arm", ["x", "site", "stage"])),
    "Agreement": _quiet(
        lambda: __import__("crlm_outcomes").stratify.agreement(
            pd.DataFrame(
                {"ours": [0, 1, 2, 1, 0, 2, 1, None] * 3, "theirs": [0, 1, 1, 1, 0, 2, 2, 1] * 3}
            ),
            "ours",
            "theirs",
        )
    ),
    # validation/
    "ConcordanceResult": _quiet(lambda: va.concordance(DATA, "time", "status", ["x", "arm"])),
    "TimeAUCResult": _quiet(lambda: va.time_auc(DATA, "time", "status", "x", [5, 10])),
    "BrierResult": _quiet(
        lambda: va.brier_score(DATA.assign(p=_risk()), "time", "status", "p", [5, 10])
    ),
    "CalibrationResult": _quiet(
        lambda: va.calibration(DATA.assign(p=_risk()), "time", "status", "p", 8, groups=4)
    ),
    "DecisionCurveResult": _quiet(
        lambda: va.decision_curve(
            DATA.assign(p=_risk()), "time", "status", "p", 8, thresholds=[0.2, 0.4]
        )
    ),
    "BootstrapResult": _quiet(
        lambda: va.bootstrap_validation(DATA, "time", "status", "x", [8], n_boot=3, seed=1)
    ),
    "ScoreComparison": _quiet(lambda: _compare()),
    # formula/, survival/ extras
    "PartialEffect": _quiet(
        lambda: sv.cox(DATA, "rcs(x, 3) + arm", "time", "status").partial_effect(
            "x", values=[-1.0, 0.0, 1.0]
        )
    ),
    "ConditionalSurvival": _quiet(
        lambda: sv.conditional_survival(
            DATA.assign(x1=DATA["x"]), "time", "status", "arm", given=[0, 2], horizon=[5]
        )
    ),
    "EValueResult": _quiet(lambda: sv.evalue(0.56, 0.46, 0.69, measure="HR", rare=False)),
    "MatchedData": _quiet(lambda: _matched()),
    "TreatmentComparison": _quiet(lambda: sv.matched_comparison(_matched(), "time", "status")),
    # imputation/
    "Imputations": _quiet(lambda: _imputed()),
    "PooledModel": _quiet(lambda: _imputed().cox("x + arm", "time", "status")),
    "PooledSurvival": _quiet(
        lambda: _imputed().kaplan_meier("time", "status", "arm", times=[5, 10])
    ),
    "PooledRMST": _quiet(lambda: _imputed().rmst("time", "status", "arm", tau=8)),
}


def _public_result_classes() -> dict[str, type]:
    """Public dataclasses with a ``table`` field, defined anywhere in the package."""
    found: dict[str, type] = {}
    for info in pkgutil.walk_packages(crlm_outcomes.__path__, "crlm_outcomes."):
        if any(part.startswith("_") for part in info.name.split(".")[1:]):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (
                isinstance(obj, type)
                and obj.__module__ == module.__name__
                and not name.startswith("_")
                and dataclasses.is_dataclass(obj)
                and "table" in {f.name for f in dataclasses.fields(obj)}
            ):
                found[name] = obj
    return found


def test_every_result_class_has_a_factory():
    classes = _public_result_classes()
    missing = sorted(set(classes) - set(FACTORIES))
    assert not missing, f"result classes without a contract-test factory: {missing}"
    assert len(classes) >= 34


@pytest.fixture(scope="module", params=sorted(FACTORIES))
def result(request):
    res = FACTORIES[request.param]()
    assert type(res).__name__ == request.param
    return res


def test_frozen_dataclass_with_tidy_table(result):
    assert dataclasses.is_dataclass(result)
    assert type(result).__dataclass_params__.frozen
    assert isinstance(result.table, pd.DataFrame) and len(result.table) > 0
    assert not OLD_COLUMNS & set(result.table.columns), "old column names in .table"
    if type(result).__name__ in HR_MODELS:
        assert {"hr", "lower", "upper", "p", "std_error"} <= set(result.table.columns)


def test_summary_is_text_and_repr_is_one_short_line(result):
    text = result.summary()
    assert isinstance(text, str) and text.strip()
    assert str(result) == text
    r = repr(result)
    assert "\n" not in r and len(r) < 200 and r.startswith(f"<{type(result).__name__}")
    html = result._repr_html_()
    assert isinstance(html, str) and html.lstrip().startswith("<")


def test_excluded_and_n_excluded(result):
    assert isinstance(result.excluded, pd.DataFrame)
    assert isinstance(result.n_excluded, int) and result.n_excluded >= 0
    if type(result).__name__ not in {
        "ZphResult",
        "RegressionTable",
        "TableOne",
        "BalanceTable",
        "LogRankResult",
        "LogRankTrendResult",
        "PairwiseLogRankResult",
        "GrayTest",
        "CumulativeIncidence",
        "KaplanMeierResult",
        "RMSTResult",
        "RMSTDifferenceResult",
        # computed from estimates, a fitted model or complete
        # outcomes: nothing to exclude here
        "EValueResult",
        "PartialEffect",
        "ConditionalSurvival",
        "Imputations",
        "PooledModel",
        "PooledRMST",
        "PooledSurvival",
    }:
        assert result.n_excluded >= 1  # the row with x missing, or the landmark exclusions


def test_value_equality_never_raises(result):
    same = dataclasses.replace(result)
    assert result == same and not (result != same)
    table = result.table.copy()
    num = [c for c in table.select_dtypes("number").columns if pd.notna(table[c].iloc[0])]
    if len(num):
        table.loc[table.index[0], num[0]] = np.nan
        changed = dataclasses.replace(result, table=table)
        assert result != changed
        assert changed == dataclasses.replace(changed, table=table.copy())  # NaN == NaN
    assert (result == object()) is False
    with pytest.raises(TypeError):
        hash(result)


def test_plot_returns_axes(result):
    if not hasattr(result, "plot"):
        pytest.skip(f"{type(result).__name__} has no figure")
    try:
        out = result.plot()
        axes = np.atleast_1d(np.asarray(out, dtype=object)).ravel()
        assert all(isinstance(a, matplotlib.axes.Axes) for a in axes)
        fig, ax = plt.subplots()
        if len(axes) == 1:
            assert result.plot(ax=ax) is ax
    finally:
        plt.close("all")


# --------------------------------------------------------------------------------------------
# deprecated names: one minor version, with a FutureWarning pointing at the caller
# --------------------------------------------------------------------------------------------
def _warns_here(fn: Callable[[], object]) -> object:
    with pytest.warns(FutureWarning) as record:
        out = fn()
    assert any(w.filename == __file__ for w in record), [w.filename for w in record]
    return out


def test_cox_summary_frame_alias():
    fit = FACTORIES["CoxResult"]()
    frame = _warns_here(lambda: fit.summary["se"])
    np.testing.assert_array_equal(frame.to_numpy(), fit.table["std_error"].to_numpy())
    assert _warns_here(lambda: list(fit.summary.columns))[:3] == ["term", "coef", "se"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert "exp(coef)" in fit.summary()  # the new method: no warning


def test_renamed_columns_and_attributes_warn():
    fg = FACTORIES["FineGray"]()
    np.testing.assert_array_equal(_warns_here(lambda: fg.table["exp_coef"]), fg.table["hr"])
    _warns_here(lambda: fg.table["se"])
    pair = _warns_here(lambda: fg.table[["exp_coef", "p"]])  # a list: old names kept
    assert list(pair.columns) == ["exp_coef", "p"]
    np.testing.assert_array_equal(pair["exp_coef"].to_numpy(), fg.table["hr"].to_numpy())
    km = FACTORIES["KaplanMeierResult"]()
    _warns_here(lambda: km.table["std_err"])
    _warns_here(lambda: km.at([5])["std_err"])
    rm = FACTORIES["RMSTResult"]()
    _warns_here(lambda: rm.table["rmst"])
    ps = FACTORIES["PropensityWeights"]()
    assert "se" in _warns_here(lambda: ps.model_table).columns
    lm = FACTORIES["LandmarkResult"]()
    assert _warns_here(lambda: lm.data) is lm.table
    zph = FACTORIES["ZphResult"]()
    _warns_here(lambda: zph.table["chisq"])
    t1 = FACTORIES["TableOne"]()
    _warns_here(lambda: t1.summary["variable"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        old = sv.rmst(DATA, "time", "status", "arm", tau=8, robust=True)
    new = _warns_here(lambda: sv.rmst(DATA, "time", "status", "arm", tau=8, variance="ij"))
    assert new == old
    arrays = _warns_here(
        lambda: sv.concordance(
            DATA["time"].to_numpy(float), DATA["status"].to_numpy(), DATA["x"].fillna(0).to_numpy()
        )
    )
    assert isinstance(arrays, pd.Series)


def test_renamed_names_of_the_results_merged_later_warn():
    cs = FACTORIES["ConditionalSurvival"]()
    np.testing.assert_array_equal(_warns_here(lambda: cs.table["std_err"]), cs.table["std_error"])
    imp = FACTORIES["Imputations"]()
    try:
        ax = _warns_here(lambda: imp.plot("x"))
        assert isinstance(ax, matplotlib.axes.Axes) and ax.get_title(loc="left") == "x"
        _, mine = plt.subplots()
        assert _warns_here(lambda: imp.plot("x", mine)) is mine
        assert imp.plot(mine, variable="x") is mine
    finally:
        plt.close("all")


def test_gray_test_has_top_level_p():
    g = FACTORIES["GrayTest"]()
    assert g.p == g.table["p"].iloc[0] and g.df == 1 and g.statistic > 0


# --------------------------------------------------------------------------------------------
# helper records returned by public functions (no ``table``): one short line too
# --------------------------------------------------------------------------------------------
def _aggregate(tmp: object) -> object:
    from crlm_outcomes.scale.aggregate import aggregate

    return aggregate(DATA, ["time", "status", "x"])


def _site_data(tmp: object) -> object:
    from crlm_outcomes.federated import pool_sites, site_export

    frame = DATA.dropna()
    return pool_sites(
        [site_export(frame, "time", "status", tmp / f"{s}.json", site=s) for s in ("A", "B")]
    )


def _cohort_dataset(tmp: object) -> object:
    path = tmp / "export.csv"
    crlm_outcomes.synthetic_cohort(120, seed=1).data.to_csv(path, index=False)
    return crlm_outcomes.load_cohort(path, out=tmp / "cohort", batch_rows=50)


def _endpoints(tmp: object) -> object:
    from crlm_outcomes.schema import canonical_definition
    from crlm_outcomes.schema.endpoints import derive_endpoints

    return derive_endpoints(crlm_outcomes.synthetic_cohort(80, seed=2).data, canonical_definition())


def _build(tmp: object) -> object:
    from crlm_outcomes.report import build_report, parse_spec

    spec = parse_spec(
        {
            "title": "repr",
            "cohort": {"demo": True, "n": 120},
            "endpoints": ["os"],
            "stratifiers": ["fong_group"],
            "output": {"figure_formats": ["png"], "table_formats": ["csv"]},
        }
    )
    return build_report(spec, tmp / "report", jobs=1)


HELPER_FACTORIES: dict[str, Callable[[object], object]] = {
    "Aggregate": _aggregate,
    "SiteData": _site_data,
    "EndpointResult": _endpoints,
    "BuildResult": _build,
    "CohortDataset": _cohort_dataset,
    "SchemaDefinition": lambda tmp: __import__(
        "crlm_outcomes.schema"
    ).schema.canonical_definition(),
    "ColumnSpec": lambda tmp: (
        __import__("crlm_outcomes.schema").schema.canonical_definition().columns["os_months"]
    ),
    "Labels": lambda tmp: __import__("crlm_outcomes.labels").labels.default_labels(),
    "Profile": lambda tmp: __import__("crlm_outcomes.io").io.profile.resolve_profile("ncdb"),
    "ColumnRule": lambda tmp: (
        __import__("crlm_outcomes.io")
        .io.profile.resolve_profile("ncdb")
        .rules["cea_at_liver_diagnosis"]
    ),
    "Design": lambda tmp: __import__("crlm_outcomes.formula").formula.design.build_design(
        "x + C(stage)", DATA.dropna()
    ),
}


@pytest.mark.parametrize("name", sorted(HELPER_FACTORIES))
def test_helper_results_have_short_reprs(name, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        obj = HELPER_FACTORIES[name](tmp_path)
    assert type(obj).__name__ == name
    r = repr(obj)
    assert "\n" not in r and len(r) < 200 and r.startswith(f"<{name} "), r
    if name != "Design":  # a model's design compares by identity (eq=False)
        same = dataclasses.replace(obj)
        assert obj == same and not (obj != same)  # by value, never raising on DataFrames
        assert (obj == object()) is False
