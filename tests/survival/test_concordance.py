"""survival.concordance: against R (via coxph fits) and against an O(n^2) pair count."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crlm_outcomes.survival.concordance import concordance_arrays

REF = Path(__file__).resolve().parents[1] / "reference" / "cox"


def brute(time, status, x, w, strata, entry):
    """R's definitions, pair by pair (before ``reverse``)."""
    n = time.size
    counts = np.zeros(5)
    imat = np.zeros((n, 3))
    for i in range(n):
        if status[i] == 0:
            continue
        for j in range(n):
            if j == i or strata[j] != strata[i]:
                continue
            if entry is not None and not entry[j] < time[i]:
                continue
            if time[j] > time[i] or (time[j] == time[i] and status[j] == 0):
                k = 0 if x[j] > x[i] else (1 if x[j] < x[i] else 2)
                counts[k] += w[i] * w[j]
                imat[i, k] += w[j]
                imat[j, k] += w[i]
            elif time[j] == time[i] and status[j] == 1 and j > i:
                counts[4 if x[j] == x[i] else 3] += w[i] * w[j]
    npair = counts[:3].sum()
    somer = (counts[0] - counts[1]) / npair
    dfb = w * ((imat[:, 0] - imat[:, 1]) / npair - somer / npair * imat.sum(axis=1))
    return counts, (somer + 1) / 2, np.sqrt(np.sum(dfb**2) / 4)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("use_entry", [False, True])
def test_against_pairwise_definition(seed, use_entry):
    rng = np.random.default_rng(seed)
    n = 70
    time = rng.integers(1, 12, n).astype(float)
    status = rng.integers(0, 2, n)
    x = rng.integers(0, 6, n).astype(float)  # heavy ties in the score
    w = rng.choice([1.0, 2.0, 0.5], n)
    strata = rng.integers(0, 2, n)
    entry = (
        np.where(rng.random(n) < 0.5, 0.0, np.floor(time * rng.random(n))) if use_entry else None
    )
    if entry is not None:
        entry = np.minimum(entry, time - 1)
    got = concordance_arrays(time, status, x, weights=w, strata=strata, entry=entry, reverse=False)
    counts, conc, std = brute(time, status, x, w, strata, entry)
    np.testing.assert_allclose(got.iloc[:5], counts, rtol=1e-12)
    assert got["concordance"] == pytest.approx(conc, rel=1e-12)
    assert got["std"] == pytest.approx(std, rel=1e-10)
    rev = concordance_arrays(time, status, x, weights=w, strata=strata, entry=entry, reverse=True)
    assert rev["concordance"] == pytest.approx(1 - conc, rel=1e-12)
    assert rev["concordant"] == got["discordant"] and rev["std"] == pytest.approx(std)


def test_standalone_function_with_r_scores():
    """concordance() on R's own linear predictor reproduces R's fit$concordance."""
    vals = pd.read_csv(REF / "values.csv", dtype={"key": str})
    sub = vals[vals["case"] == "lung_efron"]
    lp = sub[sub["what"] == "predict_lp_fitted"]["value"].to_numpy(float)
    expected = sub[sub["what"] == "concordance"]["value"].to_numpy(float)
    df = pd.read_csv(REF / "data_lung.csv").dropna(subset=["age", "sex", "ph.ecog", "wt.loss"])
    got = concordance_arrays(df["time"].to_numpy(float), df["status"].to_numpy(), lp)
    assert list(got.index) == [
        "concordant",
        "discordant",
        "tied.x",
        "tied.y",
        "tied.xy",
        "concordance",
        "std",
    ]
    np.testing.assert_allclose(got.to_numpy(), expected, rtol=1e-9)
