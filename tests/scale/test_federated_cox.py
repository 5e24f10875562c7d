"""Federated Cox by rounds equals the pooled in-memory fit on whole-month times to 1e-10."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import crlm_outcomes as co
from crlm_outcomes.errors import SpecError
from crlm_outcomes.scale.federated_cox import federated_cox, local_exchange

pytest.importorskip("duckdb", reason="the scale extra is not installed (pip install -e '.[scale]')")

RTOL = 1e-10
FORMULA = "age_at_diagnosis + C(sex) + liver_mets_number + cea_at_liver_diagnosis"
COLS = [
    "os_months",
    "os_event",
    "age_at_diagnosis",
    "sex",
    "liver_mets_number",
    "cea_at_liver_diagnosis",
    "w",
    "w2",
    "pid",
    "ent",
]


@pytest.fixture(scope="module")
def sites() -> dict[str, pd.DataFrame]:
    df = co.load_demo().data.copy()
    df["sex"] = df["sex"].astype(str)
    i = np.arange(len(df))
    df["w"] = (i % 2 + 1).astype(float)
    df["w2"] = df["w"] + 0.25
    df["pid"] = i // 3  # clusters of 3 rows, each within one site (the cuts are multiples of 3)
    df["ent"] = np.floor(df["os_months"] * (i % 5) / 10)
    df = df[COLS]
    cuts = [0, 402, 900, len(df)]
    return {
        name: df.iloc[cuts[i] : cuts[i + 1]].reset_index(drop=True)
        for i, name in enumerate(["north", "south", "east"])
    }


def _pooled(sites, whole_months=True, **kw):
    rows = pd.concat([d.assign(site=s) for s, d in sites.items()], ignore_index=True)
    if whole_months:
        rows["os_months"] = np.ceil(rows["os_months"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return co.cox(rows, FORMULA, "os_months", "os_event", **kw)


@pytest.mark.parametrize(
    ("ties", "by_site", "weights", "months"),
    [
        ("efron", False, None, True),
        ("efron", True, None, True),
        ("breslow", True, "w", True),
        ("efron", False, "w", False),
    ],
)
def test_three_sites_equal_the_pooled_fit(sites, tmp_path, ties, by_site, weights, months):
    a = _pooled(
        sites, whole_months=months, ties=ties, strata="site" if by_site else None, weights=weights
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b = federated_cox(
            local_exchange(sites, tmp_path),
            tmp_path,
            FORMULA,
            "os_months",
            "os_event",
            columns=COLS,
            ties=ties,
            by_site=by_site,
            weights=weights,
            whole_months=months,
        )
    for col in ("coef", "std_error", "p"):
        np.testing.assert_allclose(b.table[col], a.table[col], rtol=RTOL, atol=0)
    np.testing.assert_allclose(b.loglik, a.loglik, rtol=RTOL, atol=0)
    assert (b.n, b.n_event, b.iterations) == (a.n, a.n_event, a.iterations)
    # what the files hold: plain words, whole months, no row-level value
    answer = json.loads((tmp_path / "north_round005.json").read_text())
    assert "no patient identifier" in answer["description"]
    assert set(answer) == {"format", "description", "site", "round", "step", "exit"}
    times = [row[answer["exit"]["columns"].index("__t")] for row in answer["exit"]["data"]]
    assert all(float(t).is_integer() for t in times) or not months
    request = json.loads((tmp_path / "round005_sums.json").read_text())
    assert "nothing about patients" in request["description"] and len(request["beta"]) == 4


def test_entry_needs_exact_times(sites, tmp_path):
    with pytest.raises(SpecError, match="whole_months=False"):
        federated_cox(
            local_exchange(sites, tmp_path),
            tmp_path,
            FORMULA,
            "os_months",
            "os_event",
            columns=COLS,
            entry="w",
        )


@pytest.mark.parametrize(
    ("kw", "months"),
    [
        ({"ties": "efron", "robust": True}, True),
        ({"ties": "breslow", "by_site": True, "cluster": "pid"}, True),
        ({"ties": "efron", "by_site": True, "weights": "w2"}, False),
        ({"ties": "breslow", "weights": "w", "cluster": "pid", "entry": "ent"}, False),
        ({"ties": "efron", "by_site": True, "cluster": "pid", "entry": "ent"}, False),
    ],
    ids=[
        "efron-robust-months",
        "breslow-site-strata-cluster-months",
        "efron-site-strata-nonint-weights",
        "breslow-weights-cluster-entry",
        "efron-site-strata-cluster-entry",
    ],
)
def test_robust_variance_by_one_more_round(sites, tmp_path, kw, months):
    kw = dict(kw)
    by_site = kw.pop("by_site", False)
    a = _pooled(sites, whole_months=months, strata="site" if by_site else None, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b = federated_cox(
            local_exchange(sites, tmp_path),
            tmp_path,
            FORMULA,
            "os_months",
            "os_event",
            columns=COLS,
            by_site=by_site,
            whole_months=months,
            **kw,
        )
    assert a.robust and b.robust
    for col in ("coef", "std_error", "robust_std_error", "p", "lower", "upper"):
        np.testing.assert_allclose(b.table[col], a.table[col], rtol=RTOL, atol=0, err_msg=col)
    # covariances relative to the product of the standard errors (a covariance near 0 is
    # the difference of larger sums: its own relative error reached 4e-11)
    sd = np.sqrt(np.outer(np.diag(a.vcov), np.diag(a.vcov)))
    np.testing.assert_allclose(b.vcov.to_numpy() / sd, a.vcov.to_numpy() / sd, rtol=0, atol=RTOL)
    np.testing.assert_allclose(b.tests["statistic"], a.tests["statistic"], rtol=RTOL, atol=0)
    assert list(b.tests["test"]) == list(a.tests["test"])
    # the last round: p x p matrices and p sums per site, in plain words, nothing per row
    last = max(tmp_path.glob("north_round*.json"))
    answer = json.loads(last.read_text())
    assert answer["step"] == "meat" and "sandwich" in answer["description"]
    assert "no value of an individual patient" in answer["description"]
    assert set(answer) == {
        "format",
        "description",
        "site",
        "round",
        "step",
        "meat",
        "meat_null",
        "score_null",
    }
    assert np.shape(answer["meat"]) == np.shape(answer["meat_null"]) == (4, 4)
    assert np.shape(answer["score_null"]) == (4,)
