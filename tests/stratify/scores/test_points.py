"""The shared score machinery: missing-component texts built per pattern equal row-by-row ones."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crlm_outcomes.stratify.scores._points import Component, join_where, total


def _rowwise(components, missing):
    """Row-by-row texts: components sharing a reason are listed together, then the reason."""
    listing, labels = [], []
    for row in range(missing.shape[1]):
        parts = [
            (c.label, c.why if isinstance(c.why, str) else c.why[row])
            for c, m in zip(components, missing[:, row], strict=True)
            if m
        ]
        by_why = {}
        for label, why in parts:
            by_why.setdefault(why, []).append(label)
        listing.append("; ".join(f"{', '.join(names)}: {why}" for why, names in by_why.items()))
        labels.append(", ".join(label for label, _ in parts))
    return listing, labels


def test_reasons_per_pattern_equal_reasons_per_row_even_with_many_patterns():
    rng = np.random.default_rng(3)
    n, m = 3000, 12
    components = []
    for j in range(m):
        points = np.where(rng.random(n) < 0.5, np.nan, 1.0)
        # per-patient texts with hundreds of distinct values: the pattern number must be
        # renumbered on the way (about 1000**8 patterns > 2**62) without changing the result
        why = (
            "constant reason"
            if j % 3 == 0
            else np.array([f"why {j}-{k}" for k in rng.integers(0, 1000, n)], dtype=object)
        )
        components.append(Component(f"c{j}", points, why))
    index = pd.RangeIndex(n)
    score = total(components, index=index, name="s", rule="r", source="src")
    missing = np.isnan(np.vstack([c.points for c in components]))
    listing, _ = _rowwise(components, missing)
    reasons = score.attrs["reasons"]
    for row in range(n):
        if missing[:, row].any():
            assert reasons[row] == listing[row]
        else:
            assert row not in reasons


def test_join_where_appends_only_where_asked():
    parts = np.array(["", "a", "a", ""], dtype=object)
    out = join_where(
        parts, np.array([True, True, False, False]), np.array(["x", "y", "z", "w"], dtype=object)
    )
    assert out.tolist() == ["x", "a; y", "a", ""]
    assert parts.tolist() == ["", "a", "a", ""]  # a new array
    assert join_where(parts, np.ones(4, dtype=bool), "k", sep=", ").tolist() == [
        "k",
        "a, k",
        "a, k",
        "k",
    ]
