"""Numbers as published in the report's tables: p-values and estimates with their 95% CI."""

from __future__ import annotations

import numpy as np

__all__ = ["format_p", "est_ci"]


def format_p(p: float) -> str:
    """p-value as published: ``<0.001`` or three decimals; empty when not computed."""
    if p is None or not np.isfinite(p):
        return ""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def est_ci(est: float, lo: float, hi: float, dec: int) -> str:
    """``est (lo–hi)`` with ``dec`` decimals; ``NR`` (not reached) for an undefined estimate
    or bound (e.g. a median survival the curve never reaches)."""

    def f(v: float) -> str:
        return "NR" if v is None or not np.isfinite(v) else f"{v:.{dec}f}"

    if est is None or not np.isfinite(est):
        return "NR"
    return f"{f(est)} ({f(lo)}–{f(hi)})"
