"""Numbers as published in the report's tables: p-values and estimates with their 95% CI."""

from __future__ import annotations

import numpy as np

__all__ = ["format_p", "est_ci"]


def format_p(p: float) -> str:
    """p-value as published: ``<0.001`` or three decimals; empty when not computed.

    Parameters
    ----------
    p
        The p-value; None or NaN when no test was computed.

    Returns
    -------
    str
        ``"<0.001"`` below 0.001, else ``p`` rounded to three decimals; ``""`` for None/NaN.

    Examples
    --------
    >>> format_p(0.04567), format_p(0.0002), format_p(float("nan"))
    ('0.046', '<0.001', '')
    """
    if p is None or not np.isfinite(p):
        return ""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def est_ci(est: float, lo: float, hi: float, dec: int) -> str:
    """``est (lo–hi)`` with ``dec`` decimals; ``NR`` (not reached) for an undefined estimate
    or bound (e.g. a median survival the curve never reaches).

    Parameters
    ----------
    est
        The estimate (None or NaN: not reached).
    lo, hi
        Lower and upper confidence limits (None or NaN: not reached).
    dec
        Decimals of all three numbers.

    Returns
    -------
    str
        ``"est (lo–hi)"`` with an en dash; ``"NR"`` alone when ``est`` is undefined, and
        ``NR`` in place of an undefined limit.

    Examples
    --------
    >>> est_ci(0.7512, 0.6, 0.94, 2)
    '0.75 (0.60–0.94)'
    >>> est_ci(41.2, 33.1, float("nan"), 1)  # upper limit of a median survival not reached
    '41.2 (33.1–NR)'
    >>> est_ci(float("nan"), 50.0, float("nan"), 1)
    'NR'
    """

    def f(v: float) -> str:
        return "NR" if v is None or not np.isfinite(v) else f"{v:.{dec}f}"

    if est is None or not np.isfinite(est):
        return "NR"
    return f"{f(est)} ({f(lo)}–{f(hi)})"
