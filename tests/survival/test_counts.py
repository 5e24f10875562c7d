"""Per-time sufficient statistics: exact against a brute-force count, additive across parts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crlm_outcomes.errors import SurvivalDataError
from crlm_outcomes.survival._counts import (
    combine_counts,
    count_table,
    segment_starts,
    segmented_cumprod,
    time_grid,
)


def brute_force(time, event, cell, weights=None, entry=None):
    """Counts and numbers at risk by definition, one (cell, time) at a time."""
    w = np.ones(len(time)) if weights is None else weights
    times = set(time) | (set() if entry is None else set(entry))
    rows = []
    for c in np.unique(cell):
        in_c = cell == c
        mine = set(time[in_c]) | (set() if entry is None else set(entry[in_c]))
        for t in sorted(times & mine):
            at_risk = in_c & (time >= t) & (True if entry is None else entry < t)
            rows.append(
                (
                    c,
                    t,
                    w[at_risk].sum(),
                    w[in_c & (time == t) & (event == 1)].sum(),
                    w[in_c & (time == t) & (event == 0)].sum(),
                    0.0 if entry is None else w[in_c & (entry == t)].sum(),
                )
            )
    return pd.DataFrame(rows, columns=["cell", "time", "n_risk", "n_event", "n_censor", "n_enter"])


def check(ct, expected):
    got = ct.to_frame()
    assert list(got["cell"]) == list(expected["cell"])
    np.testing.assert_allclose(got["time"], expected["time"])
    for col in ("n_risk", "n_event", "n_censor", "n_enter"):
        np.testing.assert_allclose(got[col], expected[col], rtol=1e-12, atol=1e-12, err_msg=col)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 40).flatmap(
        lambda n: st.tuples(
            st.lists(st.integers(0, 8), min_size=n, max_size=n),
            st.lists(st.integers(0, 1), min_size=n, max_size=n),
            st.lists(st.integers(0, 2), min_size=n, max_size=n),
            st.lists(st.floats(0.1, 3.0), min_size=n, max_size=n),
            st.lists(st.integers(0, 4), min_size=n, max_size=n),
            st.booleans(),
            st.booleans(),
        )
    )
)
def test_matches_brute_force(args):
    t, e, c, w, lag, weighted, truncated = args
    time = np.asarray(t, float) + 1.0
    entry = np.maximum(time - 1.0 - np.asarray(lag, float), 0.0) if truncated else None
    if entry is not None:
        entry = np.minimum(entry, time - 1.0)
    event, cell = np.asarray(e), np.asarray(c)
    weights = np.asarray(w) if weighted else None
    ct = count_table(time_grid(time, entry), event, cell, 3, weights)
    check(ct, brute_force(time, event, cell, weights, entry))


def test_sparse_path_for_continuous_times_equals_dense():
    rng = np.random.default_rng(1)
    n = 20_000
    time = rng.exponential(10, n)
    event = rng.integers(0, 2, n)
    cell = rng.integers(0, 5, n)
    ct = count_table(time_grid(time), event, cell, 5)  # 5 x 20000 > 4 n: hashed path
    frame = pd.DataFrame({"cell": cell, "time": time, "e": event})
    agg = frame.groupby(["cell", "time"]).agg(n_event=("e", "sum"), n=("e", "size"))
    np.testing.assert_array_equal(ct.n_event, agg["n_event"].to_numpy())
    np.testing.assert_array_equal(ct.n_event + ct.n_censor, agg["n"].to_numpy())
    first = ct.n_risk[segment_starts(ct.cell)[:-1]]
    np.testing.assert_array_equal(first, np.bincount(cell))


def test_aeqsurv_merges_floating_point_ties_like_r():
    grid = time_grid(np.array([0.1 + 0.2, 0.3, 1.0]))
    assert len(grid.values) == 2 and grid.stop[0] == grid.stop[1]
    assert len(time_grid(np.array([0.1 + 0.2, 0.3]), timefix=False).values) == 2


def test_aeqsurv_collapsing_an_interval_is_an_error():
    with pytest.raises(SurvivalDataError, match="aeqSurv"):
        time_grid(np.array([0.3, 2.0]), np.array([0.1 + 0.2, 0.0]))


def test_combine_counts_is_exact_and_at_risk_lookup():
    rng = np.random.default_rng(7)
    time = rng.integers(1, 30, 500).astype(float)
    event = rng.integers(0, 2, 500)
    cell = rng.integers(0, 3, 500)
    w = rng.uniform(0.5, 2, 500)
    full = count_table(time_grid(time), event, cell, 3, w)
    parts = [
        count_table(time_grid(time[s]), event[s], cell[s], 3, w[s])
        for s in (slice(0, 200), slice(200, 350), slice(350, 500))
    ]
    merged = combine_counts(*parts)
    for col in ("cell", "time", "n_event", "n_censor", "n_risk"):
        np.testing.assert_allclose(getattr(merged, col), getattr(full, col), rtol=1e-12)
    # at risk at arbitrary codes: first line at or after, 0 past the end
    codes = np.arange(len(full.grid))
    for c in range(3):
        expected = [w[(cell == c) & (time >= t)].sum() for t in full.grid]
        np.testing.assert_allclose(full.at_risk(np.full(len(codes), c), codes), expected)
    with pytest.raises(ValueError):
        combine_counts()


def test_fractional_weights_reach_zero_exactly():
    time = np.array([1.0, 2.0, 2.0])
    w = np.array([0.1, 0.7, 0.2])
    ct = count_table(time_grid(time), np.array([1, 1, 1]), None, None, w)
    assert ct.n_risk[-1] == ct.n_event[-1]
    surv = segmented_cumprod(1 - ct.n_event / ct.n_risk, segment_starts(ct.cell))
    assert surv[-1] == 0.0
