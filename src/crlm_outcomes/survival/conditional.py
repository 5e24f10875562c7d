"""Conditional survival: the probability of surviving ``t`` more time units given ``s`` survived.

For a Kaplan–Meier curve ``S``, ``CS(t | s) = S(s + t) / S(s)``, the product of the conditional
survival factors over the event times in ``(s, s + t]``. Its Greenwood variance on the log scale
is the Greenwood sum over that interval only,
``var(log CS) = sum_{s < t_j <= s + t} d_j / (n_j (n_j - d_j))``, and the default interval is
the log-log one (``conf_type`` accepts every transform of
:func:`crlm_outcomes.survival.kaplan_meier.confidence_limits`). This equals R's
``survfit(..., start.time = s)`` at ``s + t`` when no event happens exactly at ``s`` (tests:
``tests/reference/conditional.R``). Patients with a liver resection for CRLM who are alive after
a few years have a much better outlook than at surgery; conditional survival is how that is
reported (Zabor et al. 2013; for CRLM e.g. Nathan et al. 2010).

References
----------
Zabor EC, Gonen M, Chapman PB, Panageas KS. Dynamic prognostication using conditional survival
estimates. *Cancer* 2013;119:3589–3592.
Nathan H, de Jong MC, Pulitano C, et al. Conditional survival after surgical resection of
colorectal liver metastasis: an international multi-institutional analysis of 949 patients.
*J Am Coll Surg* 2010;210:755–764.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from crlm_outcomes._display import frames_html
from crlm_outcomes._result import AliasedFrame, Result
from crlm_outcomes.errors import SpecError
from crlm_outcomes.survival.kaplan_meier import confidence_limits, kaplan_meier

__all__ = ["ConditionalSurvival", "conditional_survival"]


@dataclass(frozen=True, eq=False, repr=False)
class ConditionalSurvival(Result):
    """Conditional survival estimates.

    Attributes
    ----------
    table
        One row per group, given time ``s`` and horizon ``t``: group, given, horizon, time
        (``s + t``), n_risk (alive and under follow-up just after ``s``), survival_given
        (``S(s)``), estimate (``CS(t | s)``), std_error (of CS; ``std_err`` before 0.2),
        lower, upper. NaN when
        ``s + t`` is beyond the group's follow-up or nobody is at risk after ``s``.
    curves
        group, given, time since ``s``, estimate, lower, upper: whole conditional curves up to
        the largest horizon (for :meth:`plot`).
    conf_type, conf_level
        Interval transform and level.
    excluded
        Rows excluded for missing values.

    Examples
    --------
    >>> from crlm_outcomes.survival import conditional_survival
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> cohort = synthetic_cohort(200, seed=1)
    >>> cs = conditional_survival(cohort, "os_months", "os_event", given=[0, 12], horizon=36)
    >>> cs.table[["given", "n_risk", "survival_given", "estimate"]].round(3).to_dict("records")
    [{'given': 0.0, 'n_risk': 200.0, 'survival_given': 1.0, 'estimate': 0.559}, {'given': 12.0, 'n_risk': 158.0, 'survival_given': 0.795, 'estimate': 0.549}]
    """

    table: pd.DataFrame
    curves: pd.DataFrame = field(repr=False)
    conf_type: str
    conf_level: float
    excluded: pd.DataFrame = field(repr=False)

    _title = "Conditional survival"

    def __post_init__(self) -> None:
        object.__setattr__(self, "table", AliasedFrame.wrap(self.table, {"std_err": "std_error"}))

    def __repr__(self) -> str:
        return (
            f"<ConditionalSurvival groups={self.table['group'].nunique()}, "
            f"given={len(set(self.table['given']))} time(s), "
            f"horizons={len(set(self.table['horizon']))}, excluded={self.n_excluded}>"
        )

    def summary(self) -> str:
        """The table as text.

        Returns
        -------
        str
            A header naming the interval level and transform, then one row per group, given
            time ``s`` and horizon ``t``: patients at risk just after ``s``, the conditional
            survival ``P(T > s + t | T > s)`` and its limits (NaN beyond the follow-up).

        Examples
        --------
        >>> from crlm_outcomes.survival import conditional_survival
        >>> from crlm_outcomes.datasets import synthetic_cohort
        >>> cohort = synthetic_cohort(200, seed=1)
        >>> cs = conditional_survival(cohort, "os_months", "os_event", given=[0, 12], horizon=36)
        >>> print(cs.summary())
        Conditional survival P(T > s + t | T > s), 0.95 CI (log-log)
        group  given  horizon  n_risk  estimate  lower  upper
          all      0       36     200    0.5592 0.4855 0.6265
          all     12       36     158    0.5495 0.4626 0.6281
        """
        cols = ["group", "given", "horizon", "n_risk", "estimate", "lower", "upper"]
        return (
            f"Conditional survival P(T > s + t | T > s), {self.conf_level:g} CI "
            f"({self.conf_type})\n"
            + self.table[cols].to_string(index=False, float_format=lambda v: f"{v:.4g}")
        )

    def plot(self, ax=None):
        """Conditional survival curves, one per given time (and group)
        (:func:`crlm_outcomes.plots.conditional.plot_conditional_survival`).

        Parameters
        ----------
        ax
            Axes to draw on; a new one-column figure when None.

        Returns
        -------
        matplotlib.axes.Axes
            Per curve (time already survived, group) a step line of the conditional survival
            against the additional time, with its shaded pointwise interval and the horizons
            of the table as points; a legend when there are several curves.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from crlm_outcomes.survival import conditional_survival
        >>> from crlm_outcomes.datasets import synthetic_cohort
        >>> cohort = synthetic_cohort(200, seed=1)
        >>> cs = conditional_survival(cohort, "os_months", "os_event", given=[0, 12], horizon=36)
        >>> ax = cs.plot()
        >>> [t.get_text() for t in ax.get_legend().get_texts()], ax.get_xlabel()
        (['given 0', 'given 12'], 'Additional time survived')
        >>> plt.close(ax.figure)
        """
        from crlm_outcomes.plots.conditional import plot_conditional_survival

        return plot_conditional_survival(self, ax=ax)

    def _repr_html_(self) -> str:
        return frames_html(
            "Conditional survival",
            {"": self.table},
            notes={
                "confidence interval": f"{self.conf_level:g} ({self.conf_type})",
                "rows excluded": self.n_excluded,
            },
        )


def _step(times: np.ndarray, values: np.ndarray, at: np.ndarray, start: float) -> np.ndarray:
    """Right-continuous step function (value ``start`` before the first time)."""
    idx = np.searchsorted(times, at, side="right") - 1
    return np.where(idx >= 0, values[np.maximum(idx, 0)], start)


def conditional_survival(
    data: pd.DataFrame,
    duration: str,
    event: str,
    by: str | Sequence[str] | None = None,
    *,
    given: float | Sequence[float],
    horizon: float | Sequence[float],
    conf_type: str = "log-log",
    conf_level: float = 0.95,
    weights: str | None = None,
) -> ConditionalSurvival:
    """Probability of surviving ``horizon`` more given survival to each ``given`` time.

    Parameters
    ----------
    data
        One row per patient (DataFrame or :class:`~crlm_outcomes.io.Cohort`).
    duration, event
        Follow-up time and event indicator.
    by
        Group column(s).
    given
        Time(s) ``s`` already survived (e.g. 12, 24, 36 months).
    horizon
        Additional time(s) ``t`` (e.g. 60 months for conditional 5-year survival).
    conf_type
        Interval transform (default ``"log-log"``).
    conf_level
        Level of the intervals.
    weights
        Integer case weights (frequency weights), as in
        :func:`~crlm_outcomes.survival.kaplan_meier`.

    Returns
    -------
    ConditionalSurvival

    Raises
    ------
    SpecError
        Negative given times or non-positive horizons.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "e": [1, 1, 0, 1, 1, 0]})
    >>> cs = conditional_survival(d, "t", "e", given=2, horizon=3)
    >>> round(float(cs.table["estimate"][0]), 4)   # factors at t = 4 and 5: (2/3) (1/2)
    0.3333
    """
    from crlm_outcomes.io.cohort import Cohort

    if isinstance(data, Cohort):
        data = data.data
    s_all, t_all = _checked_times(given, horizon)
    km = kaplan_meier(data, duration, event, by=by, weights=weights, conf_type="none", robust=False)
    rows, curves = [], []
    for g in km.group_labels:
        sub = km.table[km.table["group"] == g]
        tt = sub["time"].to_numpy(float)
        surv = sub["survival"].to_numpy(float)
        n = sub["n_risk"].to_numpy(float)
        d = sub["n_event"].to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            gw = np.where(d > 0, d / (n * (n - d)), 0.0)
        km_g = _GroupKM(tt, surv, n, np.cumsum(gw))
        for s in s_all:
            rows += _conditional_rows(km_g, g, s, t_all, conf_type, conf_level)
            curves.append(_conditional_curve(km_g, g, s, t_all, conf_type, conf_level))
    table = pd.DataFrame(rows)
    return ConditionalSurvival(
        table=table,
        curves=pd.concat(curves, ignore_index=True),
        conf_type=conf_type,
        conf_level=conf_level,
        excluded=km.excluded,
    )


class _GroupKM(NamedTuple):
    """One group's Kaplan–Meier steps: times, survival, numbers at risk and the cumulative
    Greenwood sum ``sum d / (n (n - d))``."""

    time: np.ndarray
    surv: np.ndarray
    n_risk: np.ndarray
    cum_gw: np.ndarray


def _checked_times(
    given: float | Sequence[float], horizon: float | Sequence[float]
) -> tuple[np.ndarray, np.ndarray]:
    """The given times (finite, >= 0) and horizons (finite, > 0) as float arrays."""
    s_all = np.atleast_1d(np.asarray(given, dtype=np.float64))
    t_all = np.atleast_1d(np.asarray(horizon, dtype=np.float64))
    if np.any(~np.isfinite(s_all)) or np.any(s_all < 0):
        raise SpecError(
            "given times must be finite and >= 0",
            column="given",
            value=s_all.tolist(),
            expected="e.g. [12, 24, 36]",
        )
    if np.any(~np.isfinite(t_all)) or np.any(t_all <= 0):
        raise SpecError(
            "horizons must be finite and > 0",
            column="horizon",
            value=t_all.tolist(),
            expected="e.g. 60",
        )
    return s_all, t_all


def _conditional_rows(
    km: _GroupKM, group: Any, s: float, t_all: np.ndarray, conf_type: str, conf_level: float
) -> list[dict[str, Any]]:
    """The table rows of one group and given time ``s``: ``S(s + t) / S(s)`` for each
    horizon ``t``, its standard error (Greenwood from ``s``) and limits."""
    tt, surv, cum_gw = km.time, km.surv, km.cum_gw
    s_s = float(_step(tt, surv, np.array([s]), 1.0)[0])
    gw_s = float(_step(tt, cum_gw, np.array([s]), 0.0)[0])
    after = tt > s
    n_risk = float(km.n_risk[after][0]) if after.any() else 0.0
    ends = s + t_all
    s_end = _step(tt, surv, ends, 1.0)
    gw_end = _step(tt, cum_gw, ends, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        est = np.where(s_s > 0, s_end / s_s, np.nan)
        se_log = np.sqrt(gw_end - gw_s)
    beyond = (ends > tt.max()) | (s_s <= 0)
    est = np.where(beyond, np.nan, est)
    lo, hi = confidence_limits(est, se_log, logse=True, conf_type=conf_type, conf_level=conf_level)
    if conf_type != "none":
        lo = np.where(est == 1, 1.0, lo)
        hi = np.where(est == 1, 1.0, hi)
    return [
        {
            "group": group,
            "given": s,
            "horizon": t,
            "time": s + t,
            "n_risk": n_risk,
            "survival_given": s_s,
            "estimate": est[k],
            "std_error": est[k] * se_log[k],
            "lower": lo[k],
            "upper": hi[k],
        }
        for k, t in enumerate(t_all)
    ]


def _conditional_curve(
    km: _GroupKM, group: Any, s: float, t_all: np.ndarray, conf_type: str, conf_level: float
) -> pd.DataFrame:
    """The conditional survival curve of one group from ``s`` to the longest horizon, with
    its limits, against the time since ``s``."""
    tt, surv, cum_gw = km.time, km.surv, km.cum_gw
    s_s = float(_step(tt, surv, np.array([s]), 1.0)[0])
    gw_s = float(_step(tt, cum_gw, np.array([s]), 0.0)[0])
    grid = np.concatenate(([s], tt[(tt > s) & (tt <= s + t_all.max())]))
    cs = np.where(s_s > 0, _step(tt, surv, grid, 1.0) / s_s, np.nan)
    se_c = np.sqrt(_step(tt, cum_gw, grid, 0.0) - gw_s)
    clo, chi = confidence_limits(cs, se_c, logse=True, conf_type=conf_type, conf_level=conf_level)
    clo = np.where(cs == 1, 1.0, clo)
    chi = np.where(cs == 1, 1.0, chi)
    return pd.DataFrame(
        {
            "group": group,
            "given": s,
            "time": grid - s,
            "estimate": cs,
            "lower": clo,
            "upper": chi,
        }
    )
