"""Shared machinery of the time-dependent metrics: per-predictor rows, risks at each time,
and pairwise comparisons on common rows."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from crlm_outcomes.errors import SurvivalDataError
from crlm_outcomes.validation._inputs import (
    as_frame,
    columns_of,
    concat_excluded,
    outcome,
    predictor_values,
    resolve_fits,
    score_names,
)
from crlm_outcomes.validation._ipcw import censoring_km
from crlm_outcomes.validation._td_core import se_of

__all__ = ["check_times", "evaluate", "null_risk"]

Metric = Callable[..., tuple[float, np.ndarray]]


def check_times(times: float | Sequence[float]) -> list[float]:
    """Sorted unique positive finite times."""
    arr = np.atleast_1d(np.asarray(times, dtype=float))
    if arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise SurvivalDataError(
            "times must be positive finite numbers",
            value=list(arr),
            expected="one or more times > 0",
        )
    return sorted(set(arr.tolist()))


def _risk_matrix(
    frame: pd.DataFrame, index: pd.Index, cols: list[str], times: list[float], label: str
) -> np.ndarray:
    if len(cols) == 1:
        v = predictor_values(frame, index, cols[0])
        return np.repeat(v[:, None], len(times), axis=1)
    if len(cols) != len(times):
        raise SurvivalDataError(
            f"predictor {label!r} has {len(cols)} columns for {len(times)} times",
            value=cols,
            expected="one column (risk at every time) or one column per time",
        )
    return np.column_stack([predictor_values(frame, index, c) for c in cols])


def null_risk(time: np.ndarray, event: np.ndarray, tau: float, cause: int) -> float:
    """Marginal risk at tau: 1 - Kaplan–Meier, or the Aalen–Johansen cumulative incidence."""
    ut, inv = np.unique(time, return_inverse=True)
    inv = inv.ravel()
    y = np.cumsum(np.bincount(inv, minlength=ut.size)[::-1])[::-1].astype(float)
    d_all = np.bincount(inv, weights=(event != 0).astype(float), minlength=ut.size)
    d_c = np.bincount(inv, weights=(event == cause).astype(float), minlength=ut.size)
    s = np.cumprod(1.0 - d_all / y)
    s_minus = np.concatenate([[1.0], s[:-1]])
    cif = np.cumsum(s_minus * d_c / y)
    p = int(np.searchsorted(ut, tau, side="right")) - 1
    return 0.0 if p < 0 else float(cif[p])


@dataclass(frozen=True)
class _Evaluator:
    """One metric at fixed times, with its interval settings."""

    metric: Metric
    times: list[float]
    cause: int
    z: float
    clip: tuple[float, float] | None

    def ci(self, est: float, se: float) -> tuple[float, float]:
        """Normal interval, clipped to the metric's range when it has one."""
        lo, hi = est - self.z * se, est + self.z * se
        if self.clip is not None:
            lo, hi = max(self.clip[0], lo), min(self.clip[1], hi)
        return lo, hi

    def rows(self, out, risk: np.ndarray, label: str) -> list[dict[str, Any]]:
        """One row per time: estimate, SE (sd(IF)/sqrt(n)), CI and the case/control counts."""
        c = self.cause
        g = censoring_km(out.time, out.event)
        rows = []
        for k, t in enumerate(self.times):
            est, ifn = self.metric(g, out.time, out.event, risk[:, k], t, c)
            se = se_of(ifn)
            lo, hi = self.ci(est, se)
            before = out.time <= t
            rows.append(
                {
                    "term": label,
                    "time": t,
                    "estimate": est,
                    "std_error": se,
                    "lower": lo,
                    "upper": hi,
                    "n": out.time.size,
                    "n_cases": int((before & (out.event == c)).sum()),
                    "n_event_free": int((~before).sum()),
                }
            )
        return rows

    def contrast_rows(self, pair, rr: np.ndarray, rt: np.ndarray, ref: str, term: str):
        """Per time: metric of ``term`` minus that of ``ref`` on the rows both have."""
        g = censoring_km(pair.time, pair.event)
        rows = []
        for k, t in enumerate(self.times):
            er, ir = self.metric(g, pair.time, pair.event, rr[:, k], t, self.cause)
            et, it = self.metric(g, pair.time, pair.event, rt[:, k], t, self.cause)
            d = et - er
            se = se_of(ir - it)
            zs = d / se if se > 0 else float("nan")
            rows.append(
                {
                    "term": term,
                    "reference": ref,
                    "time": t,
                    "estimate": d,
                    "std_error": se,
                    "lower": d - self.z * se,
                    "upper": d + self.z * se,
                    "statistic": zs,
                    "p": float(2 * stats.norm.sf(abs(zs))) if se > 0 else float("nan"),
                    "n": pair.time.size,
                }
            )
        return rows


_CONTRAST_COLUMNS = [
    "term",
    "reference",
    "time",
    "estimate",
    "std_error",
    "lower",
    "upper",
    "statistic",
    "p",
    "n",
]


def evaluate(
    data,
    duration: str,
    event: str,
    scores,
    times,
    metric: Metric,
    *,
    cause: int | None,
    conf_level: float,
    clip: tuple[float, float] | None,
    with_null: bool = False,
):
    """Per predictor and time: estimate, SE (sd(IF)/sqrt(n)), CI; pairwise contrasts.

    Returns (table, contrasts, excluded, extras) where extras[label] = (outcome, risk matrix).
    """
    frame, named = resolve_fits(as_frame(data), score_names(scores))
    spec = {k: columns_of(v) for k, v in named.items()}
    tt = check_times(times)
    c = 1 if cause is None else int(cause)
    ev = _Evaluator(metric, tt, c, stats.norm.ppf(0.5 + conf_level / 2), clip)
    rows: list[dict[str, Any]] = []
    excl: list[pd.DataFrame] = []
    if with_null:
        base = outcome(frame, duration, event, [], cause=cause, label="Null model")
        risk0 = np.column_stack(
            [np.full(base.time.size, null_risk(base.time, base.event, t, c)) for t in tt]
        )
        rows.extend(ev.rows(base, risk0, "Null model"))
    extras = {}
    for label, cols in spec.items():
        out = outcome(frame, duration, event, cols, cause=cause, label=label)
        risk = _risk_matrix(frame, out.index, cols, tt, label)
        extras[label] = (out, risk)
        excl.append(out.excluded)
        rows.extend(ev.rows(out, risk, label))
    crow = []
    for ref, term in combinations(list(spec), 2):
        cols = list(dict.fromkeys(spec[ref] + spec[term]))
        pair = outcome(frame, duration, event, cols, cause=cause, label="")
        rr = _risk_matrix(frame, pair.index, spec[ref], tt, ref)
        rt = _risk_matrix(frame, pair.index, spec[term], tt, term)
        crow.extend(ev.contrast_rows(pair, rr, rt, ref, term))
    contrasts = pd.DataFrame(crow, columns=_CONTRAST_COLUMNS)
    return pd.DataFrame(rows), contrasts, concat_excluded(excl), extras


def as_mapping(scores) -> Mapping[str, object]:
    """Public alias of the score normaliser (label -> column spec)."""
    return score_names(scores)
