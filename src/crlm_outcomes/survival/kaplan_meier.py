"""Kaplan-Meier estimator agreeing with R's ``survfit`` (survival 3.5-3), from per-time counts.

Why not lifelines or statsmodels: neither reproduces ``survfit`` where papers need it (R's
confidence-interval transforms including ``logit``/``arcsin``, the infinitesimal-jackknife
variance R uses for weighted or clustered curves, left truncation with ``(start, stop]`` rows,
``aeqSurv`` tie handling, ``print.survfit``'s median rule and ``summary(fit, times=)``), and both
loop per group over rows. Here every curve is computed from the small per ``(group, time)`` table
of :mod:`crlm_outcomes.survival._counts`.

Variance (Therneau & Grambsch 2000, sections 2.1 and 7; survival vignette "survfit", 3.5-3):

* without weights, or with integer weights (frequency weights): Greenwood's formula on the
  weighted counts, ``var(log S) = sum d / (n (n - d))`` (R's default);
* with non-integer weights or a ``cluster`` (or ``robust=True``): the infinitesimal-jackknife
  (IJ) variance, the sum over clusters of squared influence values of ``S(t)`` (R's
  ``robust = TRUE`` default in that case). Without ``cluster`` every row is its own cluster.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from crlm_outcomes._display import frames_html
from crlm_outcomes._result import AliasedFrame, Result
from crlm_outcomes.errors import DataQualityWarning, SpecError
from crlm_outcomes.survival._counts import (
    AEQ_TOLERANCE,
    CountTable,
    count_table,
    reverse_segmented_cumsum,
    segmented_cumsum,
    time_grid,
)
from crlm_outcomes.survival._inputs import SurvivalInput, survival_input
from crlm_outcomes.survival._km_core import (
    CONF_TYPES,
    Curves,
    check_conf,
    confidence_limits,
    km_curves,
    row_lines,
    survmean,
)

if TYPE_CHECKING:
    import matplotlib.pyplot as plt

__all__ = [
    "kaplan_meier",
    "kaplan_meier_from_input",
    "KaplanMeierResult",
    "CONF_TYPES",
    "confidence_limits",
]

TABLE_COLUMNS = [
    "group",
    "time",
    "n_risk",
    "n_event",
    "n_censor",
    "survival",
    "std_error",
    "lower",
    "upper",
]
#: Column renames of 0.2 (old name -> new name), readable with a FutureWarning until 0.3.
SE_ALIASES = {"std_err": "std_error"}
RMST_ALIASES = {"std_err": "std_error", "rmst": "estimate"}
_TOL = AEQ_TOLERANCE  # R's sqrt(.Machine$double.eps), used by the median and quantile rules


# --------------------------------------------------------------------------------------------
# estimation on the count table
# --------------------------------------------------------------------------------------------


def _ij_pieces(
    ct: CountTable,
    cv: Curves,
    si: SurvivalInput,
    grid_stop: np.ndarray,
    grid_entry: np.ndarray | None,
) -> dict[str, np.ndarray]:
    """Per-line and per-row ingredients of the infinitesimal-jackknife influence of S(t).

    For a row r (weight w, at risk on (e, t], event indicator delta) the IJ influence on S at
    time s is ``-S(s) C_r(s)`` with ``C_r(s) = w [delta E(t) 1(t <= s) - (G(min(s, t)) - G(e))]``,
    ``E = 1 / (n (1 - h))`` and ``G`` the cumulative sum of ``h E`` over event times: this is the
    closed form of the recursion in survival's ``survfitkm.c``.
    """
    d, n, h = ct.n_event, ct.n_risk, cv.hazard
    with np.errstate(divide="ignore", invalid="ignore"):
        e_line = np.where(d > 0, 1.0 / (n * (1.0 - h)), 0.0)
    b_line = h * e_line
    with np.errstate(invalid="ignore"):
        g_line = segmented_cumsum(b_line, cv.bounds)
    stop_line = row_lines(ct, si.group, grid_stop)
    entry_line = None if grid_entry is None else row_lines(ct, si.group, grid_entry)
    w = np.ones(si.n) if si.weights is None else si.weights
    delta = (si.event == 1).astype(np.float64)
    dead = cv.surv == 0
    g_exit = np.where(dead[stop_line], 0.0, g_line[stop_line])
    e_exit = np.where(dead[stop_line], 0.0, e_line[stop_line])
    if entry_line is None:
        g_entry = np.zeros(si.n)
    else:
        g_entry = np.where(dead[entry_line], 0.0, g_line[entry_line])
    return {
        "e_line": e_line,
        "b_line": b_line,
        "g_line": g_line,
        "stop_line": stop_line,
        "entry_line": entry_line,
        "w": w,
        "delta": delta,
        "g_exit": g_exit,
        "e_exit": e_exit,
        "g_entry": g_entry,
    }


def _ij_variance_individual(
    ct: CountTable, cv: Curves, pieces: dict[str, np.ndarray]
) -> np.ndarray:
    """IJ variance of S at every line when each row is its own cluster: O(rows + lines)."""
    lines = len(ct.cell)
    w, stop_line, entry_line = pieces["w"], pieces["stop_line"], pieces["entry_line"]
    final = w * (pieces["delta"] * pieces["e_exit"] - (pieces["g_exit"] - pieces["g_entry"]))
    closed = segmented_cumsum(
        np.bincount(stop_line, weights=final * final, minlength=lines), cv.bounds
    )

    def at_risk_after(x: np.ndarray) -> np.ndarray:
        # sum of x over rows with entry < t_line < exit (strictly after the line)
        by_stop = np.bincount(stop_line, weights=x, minlength=lines)
        rev = reverse_segmented_cumsum(by_stop, cv.bounds) - by_stop
        if entry_line is not None:
            rev = rev - reverse_segmented_cumsum(
                np.bincount(entry_line, weights=x, minlength=lines), cv.bounds
            )
        return rev

    w2 = w * w
    ge = pieces["g_entry"]
    s_w2 = at_risk_after(w2)
    s_w2g = at_risk_after(w2 * ge)
    s_w2gg = at_risk_after(w2 * ge * ge)
    g = pieces["g_line"]
    with np.errstate(invalid="ignore", over="ignore"):
        q = closed + g * g * s_w2 - 2.0 * g * s_w2g + s_w2gg
        var = cv.surv**2 * np.maximum(q, 0.0)
    return np.where(cv.surv == 0, 0.0, var)


def _ij_variance_clustered(
    ct: CountTable,
    cv: Curves,
    pieces: dict[str, np.ndarray],
    cluster: np.ndarray,
    block: int = 2_000_000,
) -> np.ndarray:
    """IJ variance with clusters of several rows: per group, clusters x event times in blocks.

    ``C_k(t_i) = sum_{j <= i} E_j (D_kj - h_j A_kj)`` with ``D`` the cluster's weighted events
    and ``A`` its weighted number at risk at event time ``j`` (R's ``survfitkm.c`` recursion,
    divided by S).
    """
    var = np.zeros(len(ct.cell))
    w, delta = pieces["w"], pieces["delta"]
    stop_line, entry_line = pieces["stop_line"], pieces["entry_line"]
    for g in range(len(cv.bounds) - 1):
        lo, hi = cv.bounds[g], cv.bounds[g + 1]
        ev_lines = lo + np.flatnonzero(ct.n_event[lo:hi] > 0)
        m = len(ev_lines)
        if m == 0:
            continue
        rows = np.flatnonzero((stop_line >= lo) & (stop_line < hi))
        k_codes, _ = pd.factorize(cluster[rows], sort=True)
        k_codes = k_codes.astype(np.int64)
        n_k = int(k_codes.max()) + 1
        a = (
            np.zeros(len(rows), dtype=np.int64)
            if entry_line is None
            else np.searchsorted(ev_lines, entry_line[rows], side="right")
        )
        b = np.searchsorted(ev_lines, stop_line[rows], side="right")
        wr = w[rows]
        is_ev = delta[rows] > 0
        e_j = pieces["e_line"][ev_lines]
        h_j = cv.hazard[ev_lines]
        q = np.zeros(m)
        step = max(1, block // (m + 1))
        order = np.argsort(k_codes, kind="stable")
        k_sorted = k_codes[order]
        for k0 in range(0, n_k, step):
            k1 = min(n_k, k0 + step)
            sel = order[np.searchsorted(k_sorted, k0) : np.searchsorted(k_sorted, k1)]
            kk = k_codes[sel] - k0
            nb = k1 - k0
            diff = np.bincount(
                kk * (m + 1) + a[sel], weights=wr[sel], minlength=nb * (m + 1)
            ) - np.bincount(kk * (m + 1) + b[sel], weights=wr[sel], minlength=nb * (m + 1))
            at_risk = np.cumsum(diff.reshape(nb, m + 1)[:, :m], axis=1)
            evs = sel[is_ev[sel]]
            dmat = np.bincount(
                (k_codes[evs] - k0) * m + (b[evs] - 1), weights=wr[evs], minlength=nb * m
            ).reshape(nb, m)
            with np.errstate(invalid="ignore"):
                c = np.cumsum(e_j * (dmat - h_j * at_risk), axis=1)
                q += np.einsum("ij,ij->j", c, c)
        s_ev = cv.surv[ev_lines]
        with np.errstate(invalid="ignore"):
            v_ev = np.where(s_ev == 0, 0.0, s_ev**2 * q)
        # carry forward to every line of the group (0 before the first event time)
        idx = np.searchsorted(ev_lines, np.arange(lo, hi), side="right") - 1
        var[lo:hi] = np.where(idx >= 0, v_ev[np.maximum(idx, 0)], 0.0)
    return var


# --------------------------------------------------------------------------------------------
# R's median, quantile and restricted-mean rules
# --------------------------------------------------------------------------------------------
def _minmin(y: np.ndarray, x: np.ndarray) -> float:
    """``print.survfit``'s median: first time S <= 0.5, midpoint when S is flat at 0.5."""
    keep = ~np.isnan(y) & (y < 0.5 + _TOL)
    if not keep.any():
        return np.nan
    x, y = x[keep], y[keep]
    if abs(y[0] - 0.5) < _TOL and np.any(y < y[0]):
        return float((x[0] + x[np.flatnonzero(y < y[0])[0]]) / 2)
    return float(x[0])


def _approx_constant_right(xs: np.ndarray, p: float) -> float:
    """R ``approx(xs, seq_along(xs), p, method = "constant", f = 1)$y``.

    As R does, NaN pairs are dropped and the pairs are sorted by ``xs`` first (confidence
    curves need not be monotone).
    """
    idx = np.flatnonzero(~np.isnan(xs))
    order = np.argsort(xs[idx], kind="stable")
    idx = idx[order]
    xs = xs[idx]
    if len(xs) == 0 or p < xs[0] or p > xs[-1]:
        return np.nan
    j = int(np.searchsorted(xs, p, side="right")) - 1
    if xs[j] == p:
        return float(idx[j])
    return float(idx[j + 1])


def _findq(x: np.ndarray, y: np.ndarray, p: float) -> float:
    """R ``survival:::findq``: quantile of a step function with the flat-segment midpoint."""
    if np.all(np.isnan(y)) or np.nanmax(y) < p:
        return np.nan
    xmax = x[-1]
    keep = ~pd.Series(y).duplicated().to_numpy()
    x, y = x[keep], y[keep]
    i1 = _approx_constant_right(y + _TOL, p)
    i2 = _approx_constant_right(y - _TOL, p)
    x1 = x[int(i1)] if not np.isnan(i1) else np.nan
    x2 = x[int(i2)] if not np.isnan(i2) else np.nan
    quant = (x1 + x2) / 2
    if p == 0:
        quant = x[0]
    if not np.isnan(y[-1]) and abs(p - y[-1]) < _TOL:
        quant = (x1 + xmax) / 2
    return float(quant)


# --------------------------------------------------------------------------------------------
# result
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False, repr=False)
class KaplanMeierResult(Result):
    """Kaplan-Meier curves, one per group, as R's ``survfit``.

    Attributes
    ----------
    table
        One row per distinct exit time per group (censor-only times included): group, time,
        n_risk, n_event, n_censor (weighted), survival (the estimate), std_error (of S, as
        ``summary`` prints; ``std_err`` before 0.2), lower, upper.
    n
        Rows used per group (group, n, events).
    conf_type, conf_level
        Confidence-interval transform and level.
    variance
        ``"greenwood"`` or ``"robust"`` (infinitesimal jackknife).
    excluded
        Rows excluded for missing values (index, column, value, reason).

    Examples
    --------
    >>> from crlm_outcomes import kaplan_meier
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> km = kaplan_meier(synthetic_cohort(200, seed=1), "os_months", "os_event", by="sex")
    >>> km.n.to_dict("records")
    [{'group': 'female', 'n': 81, 'events': 58.0}, {'group': 'male', 'n': 119, 'events': 85.0}]
    >>> km.conf_type, km.variance, km.n_excluded
    ('log', 'greenwood', 0)
    """

    table: pd.DataFrame
    n: pd.DataFrame
    conf_type: str
    conf_level: float
    variance: str
    group_labels: list[Hashable]
    by: list[str]
    excluded: pd.DataFrame = field(repr=False)

    _title = "Kaplan-Meier"

    def __post_init__(self) -> None:
        object.__setattr__(self, "table", AliasedFrame.wrap(self.table, SE_ALIASES))

    def _repr_fields(self) -> dict[str, object]:
        return {
            "groups": len(self.group_labels),
            "n": int(self.n["n"].sum()),
            "events": float(self.n["events"].sum()),
            "excluded": self.n_excluded,
        }

    def summary(self) -> str:
        """The curves' medians as R's ``print(survfit(...))``: n, events, median and limits.

        Returns
        -------
        str
            A header naming the interval transform, level and variance, then one line per
            group: n, events, median and its confidence limits (``NA`` when not reached), and
            the number of rows deleted for missing values when there are any.

        Examples
        --------
        >>> import pandas as pd
        >>> from crlm_outcomes.survival.kaplan_meier import kaplan_meier
        >>> d = pd.DataFrame({"os_months": [5, 8, 12, 20, 30, 40, 6, 9, 15, 22],
        ...                   "os_event": [1, 0, 1, 1, 0, 1, 1, 1, 0, 1],
        ...                   "arm": ["A"] * 6 + ["B"] * 4})
        >>> km = kaplan_meier(d, "os_months", "os_event", by="arm")
        >>> print(km.summary())
        Kaplan-Meier estimate (log 0.95 intervals, greenwood variance)
        group  n  events  median  0.95LCL  0.95UCL
            A  6       4      20       12       NA
            B  4       3    15.5        6       NA
        """
        med = self.median().merge(self.n, on="group")
        lo = f"{self.conf_level:g}LCL"
        hi = f"{self.conf_level:g}UCL"
        shown = med[["group", "n", "events", "median", "lower", "upper"]].rename(
            columns={"lower": lo, "upper": hi}
        )
        head = (
            f"Kaplan-Meier estimate ({self.conf_type} {self.conf_level:g} intervals, "
            f"{self.variance} variance)"
        )
        text = shown.to_string(index=False, float_format=lambda v: f"{v:.4g}", na_rep="NA")
        tail = (
            f"\n{self.n_excluded} observation(s) deleted due to missingness"
            if self.n_excluded
            else ""
        )
        return f"{head}\n{text}{tail}"

    def _groups(self) -> list[tuple[Hashable, pd.DataFrame]]:
        grouped = dict(tuple(self.table.groupby("group", sort=False, observed=True)))
        return [(g, grouped[g]) for g in self.group_labels if g in grouped]

    def median(self) -> pd.DataFrame:
        """Median survival and its confidence limits by R's ``print.survfit`` rule.

        The median is the first time the curve is at or below 0.5; when the curve is flat at
        exactly 0.5 it is the midpoint of that flat segment. The limits apply the same rule to
        the lower and upper confidence curves. NaN when not reached.

        Returns
        -------
        pandas.DataFrame
            One row per group: group, median, lower, upper.

        Examples
        --------
        Group B's curve is flat at exactly 0.5 from 9 to 22 months, so its median is the
        midpoint of the segment from the time it reaches 0.5 (9) to its next drop (22):

        >>> import pandas as pd
        >>> from crlm_outcomes.survival.kaplan_meier import kaplan_meier
        >>> d = pd.DataFrame({"os_months": [5, 8, 12, 20, 30, 40, 6, 9, 15, 22],
        ...                   "os_event": [1, 0, 1, 1, 0, 1, 1, 1, 0, 1],
        ...                   "arm": ["A"] * 6 + ["B"] * 4})
        >>> km = kaplan_meier(d, "os_months", "os_event", by="arm")
        >>> print(km.median().to_string(index=False))
        group  median  lower  upper
            A    20.0   12.0    NaN
            B    15.5    6.0    NaN
        """
        rows = []
        for g, sub in self._groups():
            t = sub["time"].to_numpy()
            rows.append(
                (
                    g,
                    _minmin(sub["survival"].to_numpy(), t),
                    _minmin(sub["lower"].to_numpy(), t),
                    _minmin(sub["upper"].to_numpy(), t),
                )
            )
        return pd.DataFrame(rows, columns=["group", "median", "lower", "upper"])

    def quantile(self, p: float | Sequence[float] = (0.25, 0.5, 0.75)) -> pd.DataFrame:
        """Quantiles of the event-time distribution as R's ``quantile.survfit``.

        ``p`` is the probability of an event (0.5 = median, 0.25 = first quartile of the
        event times, i.e. where S drops to 0.75). Columns: group, p, quantile, lower, upper.

        Parameters
        ----------
        p
            Probability (or probabilities) of an event, each between 0 and 1.

        Returns
        -------
        pandas.DataFrame
            One row per group and probability: group, p, quantile and the limits from the
            confidence curves (NaN where a curve does not reach ``1 - p``).

        Raises
        ------
        SpecError
            A probability outside [0, 1] or NaN.

        Examples
        --------
        >>> import pandas as pd
        >>> from crlm_outcomes.survival.kaplan_meier import kaplan_meier
        >>> d = pd.DataFrame({"os_months": [5, 8, 12, 20, 30, 40, 6, 9, 15, 22],
        ...                   "os_event": [1, 0, 1, 1, 0, 1, 1, 1, 0, 1],
        ...                   "arm": ["A"] * 6 + ["B"] * 4})
        >>> km = kaplan_meier(d, "os_months", "os_event", by="arm")
        >>> print(km.quantile([0.25, 0.5]).to_string(index=False))
        group    p  quantile  lower  upper
            A 0.25      12.0    5.0    NaN
            A 0.50      20.0   12.0    NaN
            B 0.25       7.5    6.0    NaN
            B 0.50      15.5    6.0    NaN
        """
        probs = np.atleast_1d(np.asarray(p, dtype=np.float64))
        if np.any(np.isnan(probs)) or np.any((probs < 0) | (probs > 1)):
            raise SpecError(
                "invalid probability for quantile",
                value=list(probs),
                expected="probabilities between 0 and 1",
            )
        rows = []
        for g, sub in self._groups():
            x = np.concatenate(([0.0], sub["time"].to_numpy()))
            ys = {
                k: np.concatenate(([0.0], 1.0 - sub[k].to_numpy()))
                for k in ("survival", "lower", "upper")
            }
            for q in probs:
                rows.append(
                    (
                        g,
                        float(q),
                        _findq(x, ys["survival"], q),
                        _findq(x, ys["lower"], q),
                        _findq(x, ys["upper"], q),
                    )
                )
        return pd.DataFrame(rows, columns=["group", "p", "quantile", "lower", "upper"])

    def at(self, times: float | Sequence[float], *, extend: bool = False) -> pd.DataFrame:
        """Estimates at chosen times, as R's ``summary(fit, times = times, extend = extend)``.

        n_risk is the number at risk at the time (0 past the end of follow-up); n_event and
        n_censor are cumulated since the previous requested time; the other columns are the
        curve's value at the time (1 and std_error 0 before the first exit time).

        Parameters
        ----------
        times
            Time(s) at which to read the curves (sorted; non-finite values are dropped).
        extend
            Also report times past a group's last follow-up time (as R's ``extend = TRUE``);
            otherwise those times are left out for that group.

        Returns
        -------
        pandas.DataFrame
            One row per group and reported time, with the columns of ``table``: group, time,
            n_risk, n_event, n_censor, survival, std_error, lower, upper.

        Raises
        ------
        SpecError
            When, as in R, a group has no requested time within its follow-up and ``extend`` is
            false.

        Examples
        --------
        Survival at 10 and 24 months; group B's follow-up ends at 22 months, so it has no
        24-month row unless ``extend=True``:

        >>> import pandas as pd
        >>> from crlm_outcomes.survival.kaplan_meier import kaplan_meier
        >>> d = pd.DataFrame({"os_months": [5, 8, 12, 20, 30, 40, 6, 9, 15, 22],
        ...                   "os_event": [1, 0, 1, 1, 0, 1, 1, 1, 0, 1],
        ...                   "arm": ["A"] * 6 + ["B"] * 4})
        >>> km = kaplan_meier(d, "os_months", "os_event", by="arm")
        >>> print(km.at([10, 24])[["group", "time", "n_risk", "n_event", "survival"]]
        ...       .round(3).to_string(index=False))
        group  time  n_risk  n_event  survival
            A  10.0     4.0      1.0     0.833
            A  24.0     2.0      2.0     0.417
            B  10.0     2.0      2.0     0.500
        >>> print(km.at(24, extend=True)[["group", "n_risk", "survival"]]
        ...       .round(3).to_string(index=False))
        group  n_risk  survival
            A     2.0     0.417
            B     0.0     0.000
        """
        req = np.sort(np.atleast_1d(np.asarray(times, dtype=np.float64)))
        req = req[np.isfinite(req)]
        frames = []
        for g, sub in self._groups():
            cols = {k: sub[k].to_numpy() for k in TABLE_COLUMNS[1:]}
            if cols["time"][0] != 0:
                limit = np.nan if self.conf_type == "none" else 1.0
                first = {
                    "time": 0.0,
                    "n_risk": cols["n_risk"][0],
                    "n_event": 0.0,
                    "n_censor": 0.0,
                    "survival": 1.0,
                    "std_error": 0.0,
                    "lower": limit,
                    "upper": limit,
                }
                cols = {k: np.concatenate(([first[k]], v)) for k, v in cols.items()}
            ptimes = req if extend else req[req <= cols["time"].max()]
            if len(ptimes) == 0:
                raise SpecError(
                    f"no requested time within the follow-up of group {g!r}",
                    value=list(np.atleast_1d(times)),
                    expected=f"times <= {cols['time'].max():g} or extend=True",
                )
            i1 = np.searchsorted(cols["time"], ptimes, side="right")
            i2 = np.searchsorted(cols["time"], ptimes, side="left")
            pick = np.maximum(i1, 1) - 1
            out = {
                "group": [g] * len(ptimes),
                "time": ptimes,
                "n_risk": np.append(cols["n_risk"], 0.0)[i2],
            }
            for k in ("n_event", "n_censor"):
                cum = np.concatenate(([0.0], np.cumsum(cols[k])))[i1]
                out[k] = np.diff(np.concatenate(([0.0], cum)))
            for k in ("survival", "std_error", "lower", "upper"):
                out[k] = cols[k][pick]
            frames.append(pd.DataFrame(out))
        return AliasedFrame.wrap(pd.concat(frames, ignore_index=True)[TABLE_COLUMNS], SE_ALIASES)

    def rmst(self, tau: float) -> pd.DataFrame:
        """Restricted mean survival time up to ``tau`` as R's ``print(fit, rmean = tau)``.

        The standard error is R's ``se(rmean)``: ``sum_j A_j^2 d_j / (n_j (n_j - d_j))`` with
        ``A_j`` the area under the curve between event time j and ``tau``, on the (weighted)
        counts. For non-integer weights or clusters use :func:`crlm_outcomes.survival.rmst`,
        whose standard error is the infinitesimal jackknife.

        Parameters
        ----------
        tau
            Truncation time: the area under each curve from 0 to ``tau`` is reported.

        Returns
        -------
        pandas.DataFrame
            One row per group: group, tau, estimate (the restricted mean, in the time unit),
            std_error (``rmst`` and ``std_err`` before 0.2).

        Raises
        ------
        SpecError
            When ``tau`` is below the smallest time, as R does.

        Examples
        --------
        >>> import pandas as pd
        >>> from crlm_outcomes.survival.kaplan_meier import kaplan_meier
        >>> d = pd.DataFrame({"os_months": [5, 8, 12, 20, 30, 40, 6, 9, 15, 22],
        ...                   "os_event": [1, 0, 1, 1, 0, 1, 1, 1, 0, 1],
        ...                   "arm": ["A"] * 6 + ["B"] * 4})
        >>> km = kaplan_meier(d, "os_months", "os_event", by="arm")
        >>> print(km.rmst(24).round(3).to_string(index=False))
        group  tau  estimate  std_error
            A 24.0     17.50      3.062
            B 24.0     14.75      3.664
        """
        tau = float(tau)
        if tau < self.table["time"].min():
            raise SpecError(
                "truncation time tau for the restricted mean is below the smallest survival time",
                value=tau,
                expected=f"tau >= {self.table['time'].min():g}",
            )
        rows = []
        for g, sub in self._groups():
            est, se = survmean(
                sub["time"].to_numpy(),
                sub["survival"].to_numpy(),
                sub["n_risk"].to_numpy(),
                sub["n_event"].to_numpy(),
                tau,
            )
            rows.append((g, tau, est, se))
        return AliasedFrame.wrap(
            pd.DataFrame(rows, columns=["group", "tau", "estimate", "std_error"]), RMST_ALIASES
        )

    def plot(
        self,
        ax: plt.Axes | None = None,
        *,
        risk_table: bool = True,
        censor_marks: bool = True,
        ci: bool = True,
        **kwargs: Any,
    ) -> plt.Axes:
        """Step plot of the curves; see :func:`crlm_outcomes.plots.km.plot_km`.

        Parameters
        ----------
        ax
            Axes to draw on; a new one-column figure when None.
        risk_table
            Add the numbers-at-risk table under the axis.
        censor_marks
            Mark censoring times with "+" on the curves.
        ci
            Shade the pointwise confidence bands.
        **kwargs
            Passed on to :func:`~crlm_outcomes.plots.km.plot_km` (``times``, ``colors``,
            ``labels``, ``endpoint``, ``pvalue``, ``median_line``, ``kind``, ...).

        Returns
        -------
        matplotlib.axes.Axes
            The curve axes (the risk table is drawn as annotations of it).

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> import pandas as pd
        >>> from crlm_outcomes.survival.kaplan_meier import kaplan_meier
        >>> d = pd.DataFrame({"os_months": [5, 8, 12, 20, 30, 40, 6, 9, 15, 22],
        ...                   "os_event": [1, 0, 1, 1, 0, 1, 1, 1, 0, 1],
        ...                   "arm": ["A"] * 6 + ["B"] * 4})
        >>> km = kaplan_meier(d, "os_months", "os_event", by="arm")
        >>> ax = km.plot(endpoint="os", times=[0, 12, 24, 36])
        >>> ax.get_ylabel(), [t.get_text() for t in ax.get_legend().get_texts()]
        ('Overall survival', ['A', 'B'])
        >>> [t.get_text() for t in ax.texts]  # the risk table
        ['Number at risk', 'A', '6', '4', '2', '1', 'B', '4', '2', '0', '0']
        >>> plt.close(ax.figure)
        """
        from crlm_outcomes.plots.km import plot_km

        return plot_km(
            self, ax=ax, risk_table=risk_table, censor_marks=censor_marks, ci=ci, **kwargs
        )

    def _repr_html_(self) -> str:
        med = self.median().merge(self.n, on="group")
        med = med[["group", "n", "events", "median", "lower", "upper"]]
        notes = {
            "confidence interval": f"{self.conf_level:g} ({self.conf_type})",
            "variance": self.variance,
            "rows excluded": self.n_excluded,
        }
        return frames_html(
            "Kaplan-Meier", {"median survival": med, "estimates": self.table}, notes=notes
        )


# --------------------------------------------------------------------------------------------
# public function
# --------------------------------------------------------------------------------------------
def _integral(w: np.ndarray | None) -> bool:
    return w is None or bool(np.all(w == np.floor(w)))


def kaplan_meier(
    data: pd.DataFrame,
    duration: str,
    event: str,
    by: str | Sequence[str] | None = None,
    *,
    conf_type: str = "log",
    conf_level: float = 0.95,
    weights: str | None = None,
    entry: str | None = None,
    robust: bool | None = None,
    cluster: str | None = None,
) -> KaplanMeierResult:
    """Kaplan-Meier survival curves agreeing with R's ``survfit(Surv(...) ~ by)``.

    Parameters
    ----------
    data
        One row per subject, or per ``(entry, duration]`` interval with ``entry``.
    duration, event
        Exit time and event indicator (1 = event, 0 = censored) columns.
    by
        Column(s) defining the groups (one curve each); ``None`` for one curve labelled "all".
    conf_type
        ``"log"`` (R's default), ``"log-log"``, ``"plain"``, ``"logit"``, ``"arcsin"`` or
        ``"none"``.
    conf_level
        Level of the pointwise intervals.
    weights
        Case weights column. Integer weights are frequency weights (Greenwood variance);
        non-integer weights switch R's default to the robust variance.
    entry
        Entry (left-truncation) time column: rows are at risk on ``(entry, duration]`` as in
        ``Surv(entry, duration, event)``.
    robust
        Infinitesimal-jackknife variance. ``None`` follows R: robust when ``cluster`` is given
        or a weight is not an integer. ``True`` with ``entry`` requires ``cluster`` (as R
        requires ``id`` or ``cluster``).
    cluster
        Cluster column (e.g. patient id for repeated rows, or centre) for the robust variance.

    Returns
    -------
    KaplanMeierResult

    Raises
    ------
    SurvivalDataError
        Bad times, events, weights or entry times (see
        :func:`crlm_outcomes.survival._inputs.survival_input`).
    SpecError
        Unknown ``conf_type`` or a level outside (0, 1).

    References
    ----------
    Kaplan EL, Meier P (1958) JASA 53:457-481. Therneau TM, Grambsch PM (2000) Modeling
    Survival Data, Springer, ch. 2. R package survival 3.5-3: ``survfitKM``, ``survfitkm.c``,
    ``survfit_confint``.

    Examples
    --------
    >>> from crlm_outcomes import kaplan_meier
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> cohort = synthetic_cohort(200, seed=1)
    >>> km = kaplan_meier(cohort, "os_months", "os_event", by="sex")
    >>> int(km.table["n_event"].sum())
    143
    >>> km.median()[["group", "median"]].round(1).to_dict("records")
    [{'group': 'female', 'median': 37.9}, {'group': 'male', 'median': 43.0}]
    """
    check_conf(conf_type, conf_level)
    from crlm_outcomes.scale.survival import is_external, kaplan_meier_external

    if is_external(data):
        return kaplan_meier_external(
            data,
            duration,
            event,
            by,
            conf_type=conf_type,
            conf_level=conf_level,
            weights=weights,
            entry=entry,
            robust=robust,
            cluster=cluster,
        )
    si = survival_input(data, duration, event, by=by, weights=weights, cluster=cluster, entry=entry)
    return kaplan_meier_from_input(
        si, conf_type=conf_type, conf_level=conf_level, robust=robust, by=by
    )


def kaplan_meier_from_input(
    si: SurvivalInput,
    *,
    conf_type: str = "log",
    conf_level: float = 0.95,
    robust: bool | None = None,
    by: str | Sequence[str] | None = None,
) -> KaplanMeierResult:
    """The Kaplan-Meier estimator on already validated arrays (the functional core).

    For callers that hold a :class:`~crlm_outcomes.survival._inputs.SurvivalInput` (for example
    after weighting, or a chunked/distributed reader).

    Parameters
    ----------
    si
        The validated arrays (:func:`~crlm_outcomes.survival._inputs.survival_input`).
    conf_type, conf_level
        Interval transform and level, as in :func:`kaplan_meier`.
    robust
        Infinitesimal-jackknife variance; ``None`` follows R: robust when ``si`` has a cluster
        or a weight is not an integer.
    by
        Only names the grouping columns in the result (the groups are ``si.group``).

    Returns
    -------
    KaplanMeierResult

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.survival._inputs import survival_input
    >>> d = pd.DataFrame({"t": [2.0, 3.0, 5.0, 7.0, 11.0, 13.0], "e": [1, 0, 1, 1, 0, 1]})
    >>> km = kaplan_meier_from_input(survival_input(d, "t", "e"))
    >>> km.table[["time", "n_risk", "n_event", "survival"]].round(4).to_dict("records")
    [{'time': 2.0, 'n_risk': 6.0, 'n_event': 1.0, 'survival': 0.8333}, {'time': 3.0, 'n_risk': 5.0, 'n_event': 0.0, 'survival': 0.8333}, {'time': 5.0, 'n_risk': 4.0, 'n_event': 1.0, 'survival': 0.625}, {'time': 7.0, 'n_risk': 3.0, 'n_event': 1.0, 'survival': 0.4167}, {'time': 11.0, 'n_risk': 2.0, 'n_event': 0.0, 'survival': 0.4167}, {'time': 13.0, 'n_risk': 1.0, 'n_event': 1.0, 'survival': 0.0}]
    """
    check_conf(conf_type, conf_level)
    has_cluster = si.cluster is not None
    explicit = robust is not None
    if robust is None:
        robust = has_cluster or not _integral(si.weights)
    elif not robust and has_cluster:
        warnings.warn(
            "cluster given with robust=False: the cluster is ignored, as R does",
            DataQualityWarning,
            stacklevel=2,
        )
    cluster_codes = si.cluster if robust else None
    if robust and explicit and cluster_codes is None and si.entry is not None:
        raise SpecError(
            "robust=True with entry times needs a cluster (the subject id), as R "
            "requires id or cluster",
            column=None,
            expected="cluster='<subject id column>'",
        )
    grid = time_grid(si.time, si.entry)
    ct = count_table(grid, si.event == 1, si.group, len(si.group_labels), si.weights)
    cv = km_curves(ct)
    if robust:
        pieces = _ij_pieces(ct, cv, si, grid.stop, grid.entry)
        if cluster_codes is None or np.bincount(cluster_codes).max() <= 1:
            var = _ij_variance_individual(ct, cv, pieces)
        else:
            var = _ij_variance_clustered(ct, cv, pieces, cluster_codes)
        se_s = np.sqrt(var)
        lower, upper = confidence_limits(
            cv.surv, se_s, logse=False, conf_type=conf_type, conf_level=conf_level
        )
    else:
        se_log = np.sqrt(cv.greenwood)
        with np.errstate(invalid="ignore"):
            se_s = se_log * cv.surv
        lower, upper = confidence_limits(
            cv.surv, se_log, logse=True, conf_type=conf_type, conf_level=conf_level
        )
    exit_lines = ct.is_exit
    labels = np.asarray(si.group_labels, dtype=object)
    table = pd.DataFrame(
        {
            "group": labels[ct.cell[exit_lines]],
            "time": ct.time[exit_lines],
            "n_risk": ct.n_risk[exit_lines],
            "n_event": ct.n_event[exit_lines],
            "n_censor": ct.n_censor[exit_lines],
            "survival": cv.surv[exit_lines],
            "std_error": se_s[exit_lines],
            "lower": lower[exit_lines],
            "upper": upper[exit_lines],
        }
    )
    counts = np.bincount(si.group, minlength=len(si.group_labels))
    events = np.bincount(ct.cell, weights=ct.n_event, minlength=len(si.group_labels))
    n_frame = pd.DataFrame({"group": si.group_labels, "n": counts, "events": events})
    return KaplanMeierResult(
        table=table,
        n=n_frame,
        conf_type=conf_type,
        conf_level=conf_level,
        variance="robust" if robust else "greenwood",
        group_labels=list(si.group_labels),
        by=[] if by is None else ([by] if isinstance(by, str) else list(by)),
        excluded=si.excluded,
    )
