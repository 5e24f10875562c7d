"""DuckDB and Dask give the in-memory numbers (KM, log-rank, CIF, Gray) to 1e-10 relative."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import crlm_outcomes as co
from crlm_outcomes.errors import SpecError
from crlm_outcomes.scale import aggregate, engine_of

duckdb = pytest.importorskip(
    "duckdb", reason="the scale extra is not installed (pip install -e '.[scale]')"
)
dd = pytest.importorskip(
    "dask.dataframe", reason="the scale extra is not installed (pip install -e '.[scale]')"
)

RTOL = 1e-10


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    """The demo cohort with whole-month OS (ties), missing values and a 3-level group."""
    df = co.load_demo().data.copy()
    df["os_m"] = np.ceil(df["os_months"])
    df["arm"] = np.where(
        df["age_at_diagnosis"] > 65, "old", np.where(df["age_at_diagnosis"] > 55, "mid", "young")
    )
    df.loc[df.index[::37], "arm"] = None  # rows excluded for a missing group
    return df[["os_m", "os_event", "rfs_months", "rfs_cause", "sex", "arm"]]


@pytest.fixture(scope="module", params=["parquet", "csv", "relation", "dask"])
def source(request, frame, tmp_path_factory):
    kind = request.param
    folder = tmp_path_factory.mktemp(kind)
    if kind == "parquet":
        cuts = np.linspace(0, len(frame), 4).astype(int)
        for i in range(3):  # a directory of three files
            frame.iloc[cuts[i] : cuts[i + 1]].to_parquet(folder / f"part{i}.parquet")
        return folder
    if kind == "csv":
        frame.to_csv(folder / "cohort.csv", index=False)
        return folder / "cohort.csv"
    if kind == "relation":
        con = duckdb.connect()
        return con.from_df(frame)
    return dd.from_pandas(frame, npartitions=4)


def _close(a: pd.DataFrame, b: pd.DataFrame, columns: list[str]) -> None:
    np.testing.assert_allclose(
        a[columns].to_numpy(float),
        b[columns].to_numpy(float),
        rtol=RTOL,
        atol=1e-14,
        equal_nan=True,
    )


def _quiet(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kw)


def test_engine_follows_the_input(frame, source):
    assert engine_of(frame) == "pandas"
    assert engine_of(source) in {"duckdb", "dask"}


def test_kaplan_meier(frame, source):
    a = _quiet(co.kaplan_meier, frame, "os_m", "os_event", by="arm")
    b = _quiet(co.kaplan_meier, source, "os_m", "os_event", by="arm")
    assert list(a.table["group"]) == list(b.table["group"])
    _close(
        a.table,
        b.table,
        ["time", "n_risk", "n_event", "n_censor", "survival", "std_error", "lower", "upper"],
    )
    assert a.n.equals(b.n)
    assert a.n_excluded == b.n_excluded > 0
    assert sorted(a.excluded["index"]) == sorted(b.excluded["index"])


def test_logrank_plain_stratified_and_rho(frame, source):
    for kw in ({}, {"strata": "sex"}, {"rho": 1}):
        a = _quiet(co.logrank, frame, "os_m", "os_event", by="arm", **kw)
        b = _quiet(co.logrank, source, "os_m", "os_event", by="arm", **kw)
        assert a.df == b.df
        np.testing.assert_allclose(b.statistic, a.statistic, rtol=RTOL)
        _close(a.table, b.table, ["n", "observed", "expected"])


def test_cumulative_incidence_and_gray(frame, source):
    a = _quiet(co.cumulative_incidence, frame, "rfs_months", "rfs_cause", by="arm")
    b = _quiet(co.cumulative_incidence, source, "rfs_months", "rfs_cause", by="arm")
    _close(
        a.table,
        b.table,
        ["time", "n_risk", "n_event", "n_competing", "estimate", "variance", "lower", "upper"],
    )
    _close(a.tests.table, b.tests.table, ["statistic", "p"])
    g1 = _quiet(co.gray_test, frame, "rfs_months", "rfs_cause", by="arm", strata="sex")
    g2 = _quiet(co.gray_test, source, "rfs_months", "rfs_cause", by="arm", strata="sex")
    _close(g1.table, g2.table, ["statistic", "df", "p"])
    assert g1.n == g2.n


def test_robust_variance_needs_rows(source):
    with pytest.raises(SpecError, match="robust"):
        co.kaplan_meier(source, "os_m", "os_event", robust=True)


def test_aggregate_lists_excluded_rows_by_source_row(frame, tmp_path):
    path = tmp_path / "c.parquet"
    frame.reset_index(drop=True).to_parquet(path)
    agg = aggregate(path, ["arm", "os_m", "os_event"])
    expected = np.flatnonzero(frame["arm"].isna().to_numpy())
    assert sorted(agg.excluded["index"]) == list(expected)
    assert agg.n_rows == len(frame)
    assert int(agg.lines["__n_rows__"].sum()) == len(frame) - len(expected)


def test_unknown_column_is_a_clear_error(tmp_path, frame):
    path = tmp_path / "c.parquet"
    frame.to_parquet(path)
    with pytest.raises(SpecError, match="not found"):
        co.kaplan_meier(path, "os_m", "no_such_event")


def test_dask_on_a_two_worker_local_cluster(frame):
    distributed = pytest.importorskip("distributed", reason="the scale extra is not installed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        ddf = dd.from_pandas(frame, npartitions=4)
        a = _quiet(co.kaplan_meier, frame, "os_m", "os_event", by="sex")
        b = _quiet(co.kaplan_meier, ddf, "os_m", "os_event", by="sex")
        _close(a.table, b.table, ["time", "n_risk", "n_event", "survival", "std_error"])
        la = _quiet(co.logrank, frame, "os_m", "os_event", by="arm")
        lb = _quiet(co.logrank, ddf, "os_m", "os_event", by="arm")
        np.testing.assert_allclose(lb.statistic, la.statistic, rtol=RTOL)
        ca = _quiet(co.cox, frame, "C(arm)", "os_m", "os_event", strata="sex")
        cb = _quiet(co.cox, ddf, "C(arm)", "os_m", "os_event", strata="sex")
        _close(ca.table, cb.table, ["coef", "std_error", "p"])
        np.testing.assert_allclose(cb.loglik, ca.loglik, rtol=RTOL)
