"""Three sites, no rows moved: pooled site files give the pooled-row analysis exactly."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import crlm_outcomes as co
from crlm_outcomes.errors import InputError
from crlm_outcomes.scale.federated import pool_sites, site_export

RTOL = 1e-10


@pytest.fixture(scope="module")
def sites() -> dict[str, pd.DataFrame]:
    df = co.load_demo().data
    df = df.assign(site=np.array(["A", "B", "C"])[np.arange(len(df)) % 3])
    cols = ["os_months", "os_event", "rfs_months", "rfs_cause", "sex", "site"]
    return {s: part[cols].drop(columns="site") for s, part in df[cols].groupby("site")}


def _export(sites, folder, duration, event, **kw):
    return [
        site_export(d, duration, event, folder / f"{s}.json", site=s, **kw)
        for s, d in sites.items()
    ]


def _pooled_rows(sites, duration):
    rows = pd.concat([d.assign(site=s) for s, d in sites.items()], ignore_index=True)
    return rows.assign(**{duration: np.ceil(rows[duration])})


def _quiet(fn, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **k)


def test_km_and_logrank_equal_the_pooled_rows(sites, tmp_path):
    files = _export(sites, tmp_path, "os_months", "os_event", by="sex", min_cell=None)
    pooled = pool_sites(files)
    rows = _pooled_rows(sites, "os_months")
    a = _quiet(co.kaplan_meier, rows, "os_months", "os_event", by="sex")
    b = _quiet(co.kaplan_meier, pooled, "os_months", "os_event", by="sex")
    cols = ["time", "n_risk", "n_event", "n_censor", "survival", "std_error", "lower", "upper"]
    np.testing.assert_allclose(
        b.table[cols].to_numpy(float), a.table[cols].to_numpy(float), rtol=RTOL
    )
    for kw in ({}, {"strata": "site"}):
        la = _quiet(co.logrank, rows, "os_months", "os_event", by="sex", **kw)
        lb = _quiet(co.logrank, pooled, "os_months", "os_event", by="sex", **kw)
        np.testing.assert_allclose(lb.statistic, la.statistic, rtol=RTOL)


def test_cif_and_gray_equal_the_pooled_rows(sites, tmp_path):
    files = _export(sites, tmp_path, "rfs_months", "rfs_cause", by="sex", min_cell=None)
    pooled = pool_sites(files)
    rows = _pooled_rows(sites, "rfs_months")
    a = _quiet(co.cumulative_incidence, rows, "rfs_months", "rfs_cause", by="sex")
    b = _quiet(co.cumulative_incidence, pooled, "rfs_months", "rfs_cause", by="sex")
    cols = ["time", "n_risk", "n_event", "estimate", "variance"]
    np.testing.assert_allclose(
        b.table[cols].to_numpy(float), a.table[cols].to_numpy(float), rtol=RTOL
    )
    ga = _quiet(co.gray_test, rows, "rfs_months", "rfs_cause", by="sex", strata="site")
    gb = _quiet(co.gray_test, pooled, "rfs_months", "rfs_cause", by="sex", strata="site")
    np.testing.assert_allclose(gb.table["statistic"], ga.table["statistic"], rtol=RTOL)


def test_site_file_publishes_no_small_count_and_no_identifier(sites, tmp_path):
    (path,) = _export({"A": sites["A"]}, tmp_path, "os_months", "os_event", by="sex")
    doc = json.loads(path.read_text())
    counts = [line["n"] for line in doc["lines"]]
    assert min(counts) >= 11
    assert (
        sum(counts) + doc["patients"]["withheld"]
        == doc["patients"]["read"] - doc["patients"]["excluded_missing"]
    )
    assert set(doc["lines"][0]) == {"sex", "time", "os_event", "n"}
    assert all(float(line["time"]).is_integer() for line in doc["lines"])
    assert "no patient identifier" in doc["description"]
    assert "moved" in doc["description"]


def test_pool_refuses_foreign_or_mismatched_files(sites, tmp_path):
    (a,) = _export({"A": sites["A"]}, tmp_path, "os_months", "os_event", by="sex")
    b = site_export(sites["B"], "os_months", "os_event", tmp_path / "B.json", site="B")
    with pytest.raises(InputError, match="different columns"):
        pool_sites([a, b])
    junk = tmp_path / "junk.json"
    junk.write_text("{}")
    with pytest.raises(InputError, match="not a site file"):
        pool_sites([junk])
