"""Kaplan-Meier building blocks shared by :mod:`~crlm_outcomes.survival.kaplan_meier`,
:mod:`~crlm_outcomes.survival.rmst` and :mod:`~crlm_outcomes.survival.cox_predict` (shared
internals: no public API).

The curves on a count table, the line of each row in that table, R's ``survfit_confint``
confidence limits and R's ``survmean`` restricted mean (survival 3.5-3).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from crlm_outcomes.errors import SpecError
from crlm_outcomes.survival._counts import (
    CountTable,
    segment_starts,
    segmented_cumprod,
    segmented_cumsum,
)

__all__ = [
    "CONF_TYPES",
    "Curves",
    "check_conf",
    "confidence_limits",
    "km_curves",
    "row_lines",
    "survmean",
]

CONF_TYPES = ("plain", "log", "log-log", "logit", "arcsin", "none")


# --------------------------------------------------------------------------------------------
# confidence limits (R: survival:::survfit_confint)
# --------------------------------------------------------------------------------------------
def confidence_limits(
    surv: np.ndarray, se: np.ndarray, *, logse: bool, conf_type: str, conf_level: float
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise confidence limits of a survival curve, as R's ``survfit_confint``.

    Parameters
    ----------
    surv
        Survival estimates.
    se
        Standard error of ``log S`` when ``logse`` (Greenwood), else of ``S`` (robust).
    logse
        ``True`` when ``se`` is the standard error of ``log S`` (Greenwood), ``False`` when it is
        the standard error of ``S`` itself (the robust variance).
    conf_type
        ``"plain"``, ``"log"``, ``"log-log"``, ``"logit"``, ``"arcsin"`` or ``"none"``.
    conf_level
        Two-sided level, e.g. 0.95.

    Returns
    -------
    lower, upper
        NaN where R gives NA (for example ``log`` limits where S = 0, ``log-log`` where S is 0
        or 1), and all NaN for ``"none"``.

    Examples
    --------
    >>> import numpy as np
    >>> surv = np.array([0.8, 0.5])  # S(t) at two times
    >>> se_log = np.array([0.1, 0.2])  # standard errors of log S(t)
    >>> lower, upper = confidence_limits(
    ...     surv, se_log, logse=True, conf_type="log-log", conf_level=0.95
    ... )
    >>> [round(float(v), 4) for v in lower], [round(float(v), 4) for v in upper]
    ([0.5844, 0.2952], [0.9115, 0.6745])
    """
    p = np.asarray(surv, dtype=np.float64)
    se = np.asarray(se, dtype=np.float64)
    if conf_type == "none":
        nan = np.full_like(p, np.nan)
        return nan, nan.copy()
    z = stats.norm.ppf(1 - (1 - conf_level) / 2)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if not logse:
            se = np.where(se == 0, 0.0, se / p)
        if conf_type == "plain":
            se2 = se * p * z
            return np.maximum(p - se2, 0.0), np.minimum(p + se2, 1.0)
        if conf_type == "log":
            xx = np.where(p == 0, np.nan, p)
            se2 = z * se
            return np.exp(np.log(xx) - se2), np.minimum(np.exp(np.log(xx) + se2), 1.0)
        if conf_type == "log-log":
            xx = np.where((p == 0) | (p == 1), np.nan, p)
            se2 = z * se / np.log(xx)
            return (
                np.exp(-np.exp(np.log(-np.log(xx)) - se2)),
                np.exp(-np.exp(np.log(-np.log(xx)) + se2)),
            )
        if conf_type == "logit":
            xx = np.where(p == 0, np.nan, p)
            se2 = z * se * (1 + xx / (1 - xx))
            logit = np.log(p / (1 - p))
            return 1 - 1 / (1 + np.exp(logit - se2)), 1 - 1 / (1 + np.exp(logit + se2))
        if conf_type == "arcsin":
            xx = np.where(p == 0, np.nan, p)
            se2 = 0.5 * z * se * np.sqrt(xx / (1 - xx))
            base = np.arcsin(np.sqrt(xx))
            return (
                np.sin(np.maximum(0.0, base - se2)) ** 2,
                np.sin(np.minimum(np.pi / 2, base + se2)) ** 2,
            )
    raise SpecError("unknown conf_type", value=conf_type, expected=f"one of {CONF_TYPES}")


@dataclass(frozen=True)
class Curves:
    """KM on every line of a count table (exit and entry-only lines)."""

    surv: np.ndarray
    hazard: np.ndarray
    greenwood: np.ndarray  # cumulative d / (n (n - d)), the variance of log S
    bounds: np.ndarray


def km_curves(ct: CountTable) -> Curves:
    d, n = ct.n_event, ct.n_risk
    bounds = segment_starts(ct.cell)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.where(d > 0, d / n, 0.0)
        gw = np.where(d > 0, d / (n * (n - d)), 0.0)
    surv = segmented_cumprod(1.0 - h, bounds)
    with np.errstate(invalid="ignore"):
        return Curves(surv=surv, hazard=h, greenwood=segmented_cumsum(gw, bounds), bounds=bounds)


def row_lines(ct: CountTable, cell: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Index of the table line of each row's (cell, time code)."""
    size = len(ct.grid)
    keys = ct.cell * size + ct.code
    query = cell * size + codes
    bound = ct.n_cells * size
    if bound <= 4 * len(query) + (1 << 16):  # direct lookup table, no search
        line_of = np.zeros(bound, dtype=np.int64)
        line_of[keys] = np.arange(len(keys))
        return line_of[query]
    return np.searchsorted(keys, query)


def survmean(
    time: np.ndarray,
    surv: np.ndarray,
    n_risk: np.ndarray,
    n_event: np.ndarray,
    tau: float,
    start: float = 0.0,
) -> tuple[float, float]:
    """Restricted mean and its standard error as R's ``survmean`` (``print(fit, rmean=tau)``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        hh = np.where(n_risk - n_event == 0, 0.0, n_event / (n_risk * (n_risk - n_event)))
    keep = np.flatnonzero(time <= tau)
    if len(keep) == 0:
        temptime, tempsurv, hh = np.array([tau]), np.array([1.0]), np.array([0.0])
    else:
        temptime = np.append(time[keep], tau)
        tempsurv = np.append(surv[keep], surv[keep[-1]])
        hh = np.append(hh[keep], 0.0)
    delta = np.diff(np.concatenate(([start], temptime)))
    rect = delta * np.concatenate(([1.0], tempsurv[:-1]))
    tail = np.cumsum(rect[1:][::-1])
    varmean = float(np.sum(tail**2 * hh[::-1][1:]))
    return float(rect.sum() + start), float(np.sqrt(varmean))


def check_conf(conf_type: str, conf_level: float) -> None:
    if conf_type not in CONF_TYPES:
        raise SpecError("unknown conf_type", value=conf_type, expected=f"one of {CONF_TYPES}")
    if not 0 < conf_level < 1:
        raise SpecError(
            "conf_level must be between 0 and 1",
            value=conf_level,
            expected="a number in (0, 1), e.g. 0.95",
        )
