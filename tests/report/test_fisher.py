"""Exact Fisher test for 2 x k tables against R's fisher.test (reference/fisher.R)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from crlm_outcomes.report.fisher import TooManyTablesError, fisher_exact_2xk

REF = Path(__file__).parent / "reference"


def _tables() -> list[np.ndarray]:
    lines = (REF / "fisher_tables.txt").read_text(encoding="utf-8").splitlines()
    return [np.array([[int(v) for v in row.split()] for row in line.split("|")]) for line in lines]


def test_agrees_with_r():
    expected = pd.read_csv(REF / "fisher_expected.csv")["p"].to_numpy()
    tables = _tables()
    assert len(tables) == len(expected) >= 25
    for table, p in zip(tables, expected, strict=True):
        assert fisher_exact_2xk(table) == pytest.approx(p, rel=1e-9, abs=1e-300)
        assert fisher_exact_2xk(table.T) == pytest.approx(p, rel=1e-9, abs=1e-300)


def test_two_by_two_matches_scipy():
    rng = np.random.default_rng(2)
    for _ in range(20):
        t = rng.integers(0, 30, (2, 2))
        if (t.sum(axis=0) == 0).any() or (t.sum(axis=1) == 0).any():
            continue
        assert fisher_exact_2xk(t) == pytest.approx(stats.fisher_exact(t).pvalue, rel=1e-9)


def test_degenerate_and_bad_tables():
    assert fisher_exact_2xk(np.array([[3, 0], [4, 0]])) == 1.0
    with pytest.raises(ValueError, match="2 x k"):
        fisher_exact_2xk(np.ones((3, 3)))
    with pytest.raises(ValueError, match="non-negative"):
        fisher_exact_2xk(np.array([[1, -1], [2, 3]]))
    with pytest.raises(TooManyTablesError):
        fisher_exact_2xk(
            np.array([[200, 150, 170, 160, 180, 190], [180, 170, 160, 150, 140, 210]]), budget=1000
        )
