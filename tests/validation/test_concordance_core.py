"""The wavelet-matrix concordance core against a plain O(n^2) pair-by-pair reference on small
random data with ties in time and predictor, every ``timewt``, truncation and ``reverse``."""

from __future__ import annotations

import numpy as np
import pytest

from crlm_outcomes.validation._concordance_core import (
    TIMEWTS,
    _before_counts,
    concordance_counts,
)


def _time_weights_reference(time, status, timewt, ymax):
    """Weight of each row's event time, from the Kaplan-Meier products written out."""
    n = time.size
    out = np.zeros(n)
    etimes = np.unique(time[status == 1])
    for i in np.flatnonzero(status == 1):
        t = time[i]
        s_minus = g_minus = 1.0
        for u in np.unique(time[time < t]):
            at_risk = np.sum(time >= u)
            d = np.sum((time == u) & (status == 1))
            c = np.sum((time == u) & (status == 0))
            s_minus *= 1 - d / at_risk
            if c:
                g_minus *= 1 - c / (at_risk - d)  # censorings after the deaths at u
        nrisk = np.sum(time >= t)
        if timewt == "n" or etimes.size < 2:
            w = 1.0
        elif timewt == "S":
            w = n * s_minus / nrisk
        elif timewt == "S/G":
            w = n * s_minus / (g_minus * nrisk)
        else:
            w = 1.0 / g_minus**2
        out[i] = 0.0 if (ymax is not None and t > ymax) else w
    return out


def _reference(time, status, x, timewt, ymax, reverse):
    """survival's definitions pair by pair: event i against every row j at risk after it."""
    a = _time_weights_reference(time, status, timewt, ymax)
    ev = status == 1
    # j at risk after event i: later time, or censored at the same time
    comparable = ev[:, None] & (
        (time[None, :] > time[:, None]) | ((time[None, :] == time[:, None]) & ~ev[None, :])
    )
    wpair = np.where(comparable, a[:, None], 0.0)
    conc = wpair * (x[None, :] > x[:, None])  # the longer survivor has the larger x
    disc = wpair * (x[None, :] < x[:, None])
    tie = wpair * (x[None, :] == x[:, None])
    same_t = ev[:, None] & ev[None, :] & (time[:, None] == time[None, :])
    upper = np.triu(np.ones_like(same_t), k=1)
    tied_y_all = np.sum(np.where(same_t & upper, a[:, None], 0.0))
    tied_xy = np.sum(np.where(same_t & upper & (x[:, None] == x[None, :]), a[:, None], 0.0))
    counts = np.array([conc.sum(), disc.sum(), tie.sum(), tied_y_all - tied_xy, tied_xy])
    # each pair counts for both of its rows (survival's imat)
    imat = np.stack(
        [conc.sum(1) + conc.sum(0), disc.sum(1) + disc.sum(0), tie.sum(1) + tie.sum(0)], axis=1
    )
    npair = counts[:3].sum()
    if npair <= 0:
        return counts, np.nan, None
    somer = (counts[0] - counts[1]) / npair
    dfbeta = ((imat[:, 0] - imat[:, 1]) / npair - somer / npair * imat.sum(1)) / 2
    c = (somer + 1) / 2
    if reverse:
        return counts[[1, 0, 2, 3, 4]], 1 - c, -dfbeta
    return counts, c, dfbeta


def _random_data(rng):
    n = int(rng.integers(1, 45))
    scale = rng.choice([0.5, 2.0, 10.0])
    time = np.ceil(rng.exponential(scale, n))  # many tied times
    status = (rng.random(n) < rng.choice([0.3, 0.7, 1.0])).astype(int)
    kind = int(rng.integers(0, 3))
    if kind == 0:
        x = rng.integers(0, 4, n).astype(float)  # points-based score: many ties
    elif kind == 1:
        x = rng.normal(size=n)  # continuous
    else:
        x = np.round(rng.normal(size=n), 1) - 0.3 * (time > np.median(time))
    return time, status, x


@pytest.mark.parametrize("seed", range(4))
def test_core_equals_pairwise_reference(seed):
    rng = np.random.default_rng(1000 + seed)
    checked = 0
    for _ in range(20):
        time, status, x = _random_data(rng)
        for timewt in TIMEWTS:
            for ymax in (None, float(np.quantile(time, 0.6))):
                for reverse in (True, False):
                    got = concordance_counts(
                        time, status, x, timewt=timewt, ymax=ymax, reverse=reverse
                    )
                    counts, c, dfbeta = _reference(time, status, x, timewt, ymax, reverse)
                    np.testing.assert_allclose(got.counts, counts, rtol=1e-12, atol=1e-12)
                    if dfbeta is None:
                        assert np.isnan(got.concordance)
                        continue
                    assert got.concordance == pytest.approx(c, rel=1e-12, abs=1e-14)
                    np.testing.assert_allclose(got.dfbeta, dfbeta, rtol=1e-10, atol=1e-14)
                    checked += 1
    assert checked > 200  # most data sets have comparable pairs


def test_before_counts_equal_brute_force():
    rng = np.random.default_rng(7)
    for _ in range(200):
        m = int(rng.integers(1, 70))
        seq = rng.integers(0, int(rng.integers(1, 40)), m)
        w = rng.random(m) * (rng.random(m) < 0.7)
        got = _before_counts(seq, w)
        for p in range(m):
            before, wb = seq[:p], w[:p]
            want = [
                np.sum(before < seq[p]),
                np.sum(before == seq[p]),
                wb[before < seq[p]].sum(),
                wb[before == seq[p]].sum(),
            ]
            np.testing.assert_allclose(got[:, p], want, rtol=1e-12, atol=1e-12)


def test_large_rank_range_and_single_row():
    # ranks needing many levels, and the degenerate sizes
    rng = np.random.default_rng(3)
    time = rng.integers(1, 400, 300).astype(float)
    status = (rng.random(300) < 0.6).astype(int)
    x = rng.normal(size=300)
    got = concordance_counts(time, status, x, timewt="n/G2")
    counts, c, dfbeta = _reference(time, status, x, "n/G2", None, True)
    np.testing.assert_allclose(got.counts, counts, rtol=1e-12)
    np.testing.assert_allclose(got.dfbeta, dfbeta, rtol=1e-10, atol=1e-15)
    one = concordance_counts(np.array([3.0]), np.array([1]), np.array([0.5]))
    assert np.isnan(one.concordance) and one.counts.sum() == 0
