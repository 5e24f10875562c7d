"""Cox on DuckDB and Dask equals the in-memory fit to 1e-10 relative (coef, SE, loglik)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import crlm_outcomes as co
from crlm_outcomes.errors import SpecError

duckdb = pytest.importorskip(
    "duckdb", reason="the scale extra is not installed (pip install -e '.[scale]')"
)
dd = pytest.importorskip(
    "dask.dataframe", reason="the scale extra is not installed (pip install -e '.[scale]')"
)

RTOL = 1e-10
FORMULA = "age_at_diagnosis + C(sex) + liver_mets_number + cea_at_liver_diagnosis"


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    """The demo cohort: whole-month OS (many ties), missing covariates, a stratum, case
    weights and an entry time."""
    df = co.load_demo().data.copy()
    df["os_m"] = np.ceil(df["os_months"])
    i = np.arange(len(df))
    df["site"] = np.array(["a", "b", "c"])[i % 3]
    df["w"] = (i % 3 + 1).astype(float)
    df["w2"] = df["w"] + 0.5
    df["ent"] = np.floor(df["os_m"] * (i % 5) / 10)
    df["sex"] = df["sex"].astype(str)
    df["pid"] = i // 3  # a cluster (e.g. a patient with several rows)
    return df[
        [
            "os_m",
            "os_months",
            "os_event",
            "age_at_diagnosis",
            "sex",
            "liver_mets_number",
            "cea_at_liver_diagnosis",
            "site",
            "w",
            "w2",
            "ent",
            "pid",
        ]
    ]


@pytest.fixture(scope="module", params=["parquet", "relation", "dask"])
def source(request, frame, tmp_path_factory):
    kind = request.param
    if kind == "parquet":
        folder = tmp_path_factory.mktemp("cox_parquet")
        cuts = np.linspace(0, len(frame), 3).astype(int)
        for k in range(2):
            frame.iloc[cuts[k] : cuts[k + 1]].to_parquet(folder / f"part{k}.parquet")
        return folder
    if kind == "relation":
        return duckdb.connect().from_df(frame)
    return dd.from_pandas(frame, npartitions=3)


def _fit(data, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return co.cox(
            data, kw.pop("formula", FORMULA), kw.pop("duration", "os_m"), "os_event", **kw
        )


def _agree(a, b) -> None:
    assert b.robust == a.robust
    cols = ("coef", "std_error", "hr", "lower", "upper", "statistic", "p")
    for col in (*cols, "robust_std_error") if a.robust else cols:
        np.testing.assert_allclose(
            b.table[col].to_numpy(float),
            a.table[col].to_numpy(float),
            rtol=RTOL,
            atol=0,
            err_msg=col,
        )
    np.testing.assert_allclose(b.loglik, a.loglik, rtol=RTOL, atol=0)
    np.testing.assert_allclose(
        b.tests["statistic"].to_numpy(float),
        a.tests["statistic"].to_numpy(float),
        rtol=RTOL,
        atol=0,
    )
    np.testing.assert_allclose(b.vcov.to_numpy(), a.vcov.to_numpy(), rtol=RTOL, atol=0)
    assert list(b.table["term"]) == list(a.table["term"])
    assert (b.n, b.n_event, b.iterations) == (a.n, a.n_event, a.iterations)
    assert b.n_excluded == a.n_excluded > 0
    assert sorted(b.excluded["index"].unique()) == sorted(a.excluded["index"].unique())


#: Efron and Breslow, each with and without strata; case weights, (entry, stop] data and
#: continuous times (R's timefix merging) on top.
CASES = [
    {},
    {"ties": "breslow", "strata": "site"},
    {"strata": "site", "weights": "w", "robust": False, "entry": "ent"},
    {"ties": "breslow", "duration": "os_months"},
]


@pytest.mark.parametrize(
    "kw",
    CASES,
    ids=["efron", "breslow-strata", "efron-strata-weights-entry", "breslow-continuous-times"],
)
def test_cox_equals_the_in_memory_fit(frame, source, kw):
    a = _fit(frame, **kw)
    b = _fit(source, **kw)
    _agree(a, b)
    assert b.state is None and a.state is not None


#: The robust (sandwich) variance by a second aggregation pass: Efron and Breslow, strata, case
#: weights (integer with a cluster; non-integer, whose default is robust), (entry, stop] data,
#: continuous times, with and without a cluster.
ROBUST_CASES = [
    {"robust": True},
    {"ties": "breslow", "strata": "site", "cluster": "pid"},
    {"strata": "site", "weights": "w2", "entry": "ent"},
    {"ties": "breslow", "weights": "w", "cluster": "pid", "entry": "ent"},
    {"duration": "os_months", "cluster": "pid", "weights": "w2"},
]


@pytest.mark.parametrize(
    "kw",
    ROBUST_CASES,
    ids=[
        "efron-robust",
        "breslow-strata-cluster",
        "efron-strata-nonint-weights-entry",
        "breslow-weights-cluster-entry",
        "efron-continuous-cluster-nonint-weights",
    ],
)
def test_robust_variance_equals_the_in_memory_fit(frame, source, kw):
    a = _fit(frame, **kw)
    b = _fit(source, **kw)
    assert a.robust and "robust_score" in set(b.tests["test"])
    _agree(a, b)


def test_cluster_without_robust_is_ignored_with_a_warning(frame):
    from crlm_outcomes.errors import DataQualityWarning

    source = duckdb.connect().from_df(frame)
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        b = co.cox(source, FORMULA, "os_m", "os_event", cluster="pid", robust=False)
    assert any(
        isinstance(w.message, DataQualityWarning) and "cluster ignored" in str(w.message)
        for w in got
    )
    _agree(_fit(frame), b)


def test_what_needs_rows_is_refused_plainly(frame):
    source = duckdb.connect().from_df(frame)
    fit = _fit(source)
    with pytest.raises(SpecError, match="individual rows"):
        fit.zph()
    with pytest.raises(SpecError, match="individual rows"):
        fit.predict()
    assert fit.references == {"sex": "female"}
    assert "Cox" in fit.summary()
    robust = _fit(source, weights="w2")  # non-integer weights: robust, as R and in memory
    assert robust.robust and robust.state is None
    with pytest.raises(SpecError, match="individual rows"):
        robust.predict()
    with pytest.raises(SpecError, match="C\\(column\\)"):
        co.cox(source, "rcs(age_at_diagnosis, 3)", "os_m", "os_event")
