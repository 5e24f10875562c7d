"""Kaplan-Meier against R survival 3.5-3 (tests/reference/km_logrank.R) and edge cases."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from crlm_outcomes.errors import DataQualityWarning, InputError, SpecError, SurvivalDataError
from crlm_outcomes.survival.kaplan_meier import TABLE_COLUMNS, kaplan_meier
from tests.survival.km_reference import assert_frame_close, cases, dataset, label, reference

KM_CASES = cases("km_cases")
NUMBERS = ["n_risk", "n_event", "n_censor", "survival", "std_error", "lower", "upper"]


def fit(case: dict):
    robust = None if case["robust"] is None else case["robust"] == "TRUE"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return kaplan_meier(
            dataset(case["data"]),
            case["duration"],
            case["event"],
            case["by"],
            conf_type=case["conf_type"],
            weights=case["weights"],
            entry=case["entry"],
            robust=robust,
            cluster=case["cluster"],
        )


@pytest.fixture(scope="module", params=KM_CASES, ids=[c["case"] for c in KM_CASES])
def fitted(request):
    return request.param, fit(request.param)


def _ref(name: str, case: str) -> pd.DataFrame:
    frame = reference(name)
    return frame[frame["case"] == case].drop(columns="case")


def test_curves_match_survfit(fitted):
    case, res = fitted
    assert list(res.table.columns) == TABLE_COLUMNS
    assert_frame_close(
        res.table, _ref("km_curves", case["case"]), NUMBERS, ["group", "time"], case["case"]
    )


def test_median_matches_print_survfit(fitted):
    case, res = fitted
    assert_frame_close(
        res.median(),
        _ref("km_median", case["case"]),
        ["median", "lower", "upper"],
        ["group"],
        case["case"],
    )


def test_quantiles_match_quantile_survfit(fitted):
    case, res = fitted
    ours = res.quantile([0.1, 0.25, 0.5, 0.75, 0.9])
    assert_frame_close(
        ours,
        _ref("km_quantile", case["case"]),
        ["quantile", "lower", "upper"],
        ["group", "p"],
        case["case"],
    )


@pytest.mark.parametrize("extend", [False, True])
def test_at_matches_summary_times(fitted, extend):
    case, res = fitted
    ref = _ref("km_at", case["case"])
    ref = ref[ref["extend"] == extend].drop(columns="extend")
    times = [float(t) for t in case["times"].split(";")]
    assert_frame_close(res.at(times, extend=extend), ref, NUMBERS, ["group", "time"], case["case"])


def test_rmean_matches_print_rmean(fitted):
    case, res = fitted
    assert_frame_close(
        res.rmst(float(case["tau"])),
        _ref("km_rmean", case["case"]),
        ["estimate", "std_error"],
        ["group"],
        case["case"],
    )


def test_variance_choice_follows_r():
    by_case = {c["case"]: fit(c).variance for c in KM_CASES}
    assert by_case["synth_wint"] == "greenwood"
    assert by_case["synth_wfrac"] == "robust"
    assert by_case["synth_wfrac_greenwood"] == "greenwood"
    assert by_case["synth_cluster"] == "robust"
    assert by_case["lung_sex_log"] == "greenwood"


def test_excluded_rows_are_recorded():
    lung = dataset("lung")
    with pytest.warns(DataQualityWarning):
        res = kaplan_meier(lung, "time", "status01", "ph.ecog")
    assert res.n_excluded == 1
    assert res.excluded["column"].tolist() == ["ph.ecog"]
    assert int(res.n["n"].sum()) == len(lung) - 1


def test_nan_duration_excluded_like_na_omit():
    df = pd.DataFrame({"t": [1.0, np.nan, 3.0, 4.0], "e": [1, 1, 0, 1]})
    with pytest.warns(DataQualityWarning):
        res = kaplan_meier(df, "t", "e")
    assert res.n_excluded == 1
    assert res.table["time"].tolist() == [1.0, 3.0, 4.0]


@pytest.mark.parametrize(
    "bad, column, message",
    [
        ({"t": [1, -2, 3], "e": [1, 0, 1]}, "t", "negative"),
        ({"t": [1, 2, 3], "e": [1, 2, 0]}, "e", "event code"),
        ({"t": [1, 2, 3], "e": [1, 0.5, 0]}, "e", "integer"),
    ],
)
def test_bad_input_is_a_clear_error(bad, column, message):
    with pytest.raises(SurvivalDataError, match=message) as err:
        kaplan_meier(pd.DataFrame(bad), "t", "e")
    assert err.value.column == column
    assert isinstance(err.value, ValueError)


def test_unknown_conf_type():
    with pytest.raises(SpecError, match="conf_type"):
        kaplan_meier(dataset("aml"), "time", "status", conf_type="loglog")


def test_robust_with_entry_needs_cluster():
    with pytest.raises(InputError, match="cluster"):
        kaplan_meier(dataset("synth"), "time", "status", entry="entry", robust=True)


def test_rmst_tau_below_first_time_is_an_error():
    res = kaplan_meier(dataset("aml"), "time", "status")
    with pytest.raises(SpecError, match="tau"):
        res.rmst(1.0)


def test_at_without_times_in_follow_up_is_an_error():
    res = kaplan_meier(dataset("aml"), "time", "status", "x")
    with pytest.raises(SpecError, match="extend"):
        res.at([500.0])
    assert res.at([500.0], extend=True)["n_risk"].tolist() == [0.0, 0.0]


def test_clustered_path_equals_individual_path_for_singleton_clusters():
    synth = dataset("synth").copy()
    synth["pair"] = synth["id"] // 2  # clusters of two rows
    a = kaplan_meier(synth, "time", "status", "g", weights="w_frac", cluster="pair")
    b = kaplan_meier(
        synth.assign(pair=synth["id"]), "time", "status", "g", weights="w_frac", cluster="pair"
    )
    c = kaplan_meier(synth, "time", "status", "g", weights="w_frac")
    np.testing.assert_allclose(b.table["std_error"], c.table["std_error"], rtol=1e-10)
    assert not np.allclose(a.table["std_error"], c.table["std_error"])


def test_repr_html_and_labels():
    res = kaplan_meier(dataset("aml"), "time", "status", "x")
    html = res._repr_html_()
    assert "Kaplan-Meier" in html and "Maintained" in html
    assert [label(g) for g in res.median()["group"]] == ["Maintained", "Nonmaintained"]
