"""Restricted mean survival time (RMST) and differences between groups.

The RMST up to ``tau`` is the area under the Kaplan-Meier curve on ``[0, tau]`` (Royston &
Parmar 2013, BMC Med Res Methodol 13:152; Uno et al. 2014, J Clin Oncol 32:2380). The estimate
is R's ``print(survfit(...), rmean = tau)``.

Standard errors (``robust=False`` / ``robust=True``; ``None`` chooses as R does):

* Greenwood-type (``robust=False``) - R's ``se(rmean)`` (``survival:::survmean``):
  ``sum_j A_j^2 d_j / (n_j (n_j - d_j))`` with ``A_j`` the area between event time ``j`` and
  ``tau``; the same as survRM2's ``rmst2``. Used without weights or clusters.
* infinitesimal jackknife (``robust=True``): each row's (or cluster's) influence on the RMST is the
  integral of its influence on S(t), as R's ``survfit(..., robust = TRUE, influence = TRUE)``
  returns it; the variance is the sum over clusters of the squared influences. Used with
  weights (e.g. inverse-probability weights, for which Greenwood's formula is not valid) or
  clusters. Differences between groups take the within-cluster covariance into account.

Why not lifelines: its ``restricted_mean_survival_time`` gives no R-matching variance, no
weighted or clustered variance and loops in Python.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from crlm_outcomes._result import AliasedFrame, Result, warn_deprecated
from crlm_outcomes.errors import SpecError
from crlm_outcomes.survival._counts import (
    CountTable,
    count_table,
    reverse_segmented_cumsum,
    segmented_cumsum,
    time_grid,
)
from crlm_outcomes.survival._inputs import SurvivalInput, survival_input
from crlm_outcomes.survival._km_core import Curves, km_curves, row_lines, survmean

if TYPE_CHECKING:
    import matplotlib.pyplot as plt

__all__ = ["rmst", "rmst_difference", "RMSTResult", "RMSTDifferenceResult"]

VARIANCES = ("auto", "greenwood", "ij")
#: Column renames of 0.2 (old -> new), readable with a FutureWarning until 0.3.
RMST_ALIASES = {"std_err": "std_error", "rmst": "estimate"}
DIFFERENCE_ALIASES = {"std_err": "std_error", "difference": "estimate"}


@dataclass(frozen=True)
class _Fit:
    si: SurvivalInput
    ct: CountTable
    cv: Curves
    stop_line: np.ndarray
    entry_line: np.ndarray | None


def _fit(
    data: Any,
    duration: str,
    event: str,
    by: str | Sequence[str] | None,
    weights: str | None,
    cluster: str | None,
    entry: str | None,
) -> _Fit:
    si = survival_input(data, duration, event, by=by, weights=weights, cluster=cluster, entry=entry)
    grid = time_grid(si.time, si.entry)
    ct = count_table(grid, si.event == 1, si.group, len(si.group_labels), si.weights)
    cv = km_curves(ct)
    stop_line = row_lines(ct, si.group, grid.stop)
    entry_line = None if grid.entry is None else row_lines(ct, si.group, grid.entry)
    return _Fit(si=si, ct=ct, cv=cv, stop_line=stop_line, entry_line=entry_line)


def _check_tau(tau: float, fit: _Fit) -> float:
    tau = float(tau)
    first = float(fit.ct.time[fit.ct.is_exit].min())
    if not np.isfinite(tau) or tau < first:
        raise SpecError(
            "tau for the restricted mean must be a finite time not below the "
            "smallest survival time (R stops here too)",
            value=tau,
            expected=f"a number >= {first:g}",
        )
    return tau


def _estimates_greenwood(fit: _Fit, tau: float) -> tuple[np.ndarray, np.ndarray]:
    exit_ = fit.ct.is_exit
    est, se = [], []
    for g in range(len(fit.si.group_labels)):
        sel = exit_ & (fit.ct.cell == g)
        e, s = survmean(
            fit.ct.time[sel], fit.cv.surv[sel], fit.ct.n_risk[sel], fit.ct.n_event[sel], tau
        )
        est.append(e)
        se.append(s)
    return np.array(est), np.array(se)


def _influence(fit: _Fit, tau: float) -> np.ndarray:
    """Per-row IJ influence on the RMST of the row's own group.

    ``-w [delta E(t) A(t) - (H(t) - H(e))]`` with ``A(u)`` the area under S between u and tau,
    ``E = 1 / (n (1 - h))`` at event times and ``H`` the cumulative sum of ``h E A``: the
    integral over ``[0, tau]`` of the influence on S(t) of ``survfitkm.c``.
    """
    ct, cv = fit.ct, fit.cv
    nxt = np.append(ct.time[1:], np.inf)
    last = np.append(ct.cell[1:] != ct.cell[:-1], True)
    nxt[last] = np.inf
    width = np.where(ct.time <= tau, np.maximum(0.0, np.minimum(nxt, tau) - ct.time), 0.0)
    area = reverse_segmented_cumsum(width * cv.surv, cv.bounds)
    d, n, h = ct.n_event, ct.n_risk, cv.hazard
    with np.errstate(divide="ignore", invalid="ignore"):
        e_a = np.where((d > 0) & (area > 0), area / (n * (1.0 - h)), 0.0)
    h_cum = segmented_cumsum(h * e_a, cv.bounds)
    si = fit.si
    w = np.ones(si.n) if si.weights is None else si.weights
    delta = (si.event == 1).astype(np.float64)
    h_entry = 0.0 if fit.entry_line is None else h_cum[fit.entry_line]
    return -w * (delta * e_a[fit.stop_line] - (h_cum[fit.stop_line] - h_entry))


def _cluster_sum_sq(values: np.ndarray, cluster: np.ndarray | None) -> float:
    if cluster is None:
        return float(np.sum(values**2))
    return float(np.sum(np.bincount(cluster, weights=values) ** 2))


def _variance_kind(
    robust: bool | None, variance: str | None, weights: str | None, cluster: str | None
) -> str:
    """``"ij"`` or ``"greenwood"`` from ``robust`` (or the deprecated ``variance``)."""
    if variance is not None:
        warn_deprecated(
            "variance=",
            "robust= (True = infinitesimal jackknife, False = Greenwood-type, None = automatic)",
            stacklevel=4,
        )
        if variance not in VARIANCES:
            raise SpecError(
                "unknown variance for the restricted mean",
                value=variance,
                expected=f"one of {VARIANCES}",
            )
        if robust is not None:
            raise SpecError(
                "give robust= only (variance= is its deprecated old name)",
                value=variance,
                expected="robust=True/False/None",
            )
        robust = {"auto": None, "greenwood": False, "ij": True}[variance]
    if robust is None:
        return "ij" if (weights is not None or cluster is not None) else "greenwood"
    if not robust and cluster is not None:
        raise SpecError(
            "a cluster needs the infinitesimal-jackknife variance",
            value=robust,
            expected="robust=True or None",
        )
    return "ij" if robust else "greenwood"


@dataclass(frozen=True, eq=False, repr=False)
class RMSTResult(Result):
    """RMST per group.

    Attributes
    ----------
    table
        group, tau, estimate (``rmst`` before 0.2), std_error (``std_err``), lower, upper.
    tau, conf_level
        Truncation time and interval level.
    variance
        ``"greenwood"`` or ``"ij"`` (the infinitesimal jackknife, ``robust=True``).
    excluded
        Rows excluded for missing values.

    Examples
    --------
    >>> from crlm_outcomes import rmst
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> r = rmst(synthetic_cohort(200, seed=1), "os_months", "os_event", by="sex", tau=36)
    >>> r.table.round(2).to_dict("records")  # mean months alive within the first 3 years
    [{'group': 'female', 'tau': 36.0, 'estimate': 26.2, 'std_error': 1.35, 'lower': 23.55, 'upper': 28.84}, {'group': 'male', 'tau': 36.0, 'estimate': 27.25, 'std_error': 1.15, 'lower': 25.01, 'upper': 29.5}]
    """

    table: pd.DataFrame
    tau: float
    variance: str
    conf_level: float
    excluded: pd.DataFrame = field(repr=False)

    _title = "Restricted mean survival time"

    def __post_init__(self) -> None:
        object.__setattr__(self, "table", AliasedFrame.wrap(self.table, RMST_ALIASES))

    @property
    def robust(self) -> bool:
        """Whether the infinitesimal-jackknife (robust) variance was used."""
        return self.variance == "ij"

    def _display_notes(self) -> dict[str, object]:
        return {"tau": self.tau, "variance": self.variance, "rows excluded": self.n_excluded}

    def plot(self, ax: plt.Axes | None = None) -> plt.Axes:
        """Estimates with confidence intervals (:func:`crlm_outcomes.plots.tests.plot_rmst`).

        Parameters
        ----------
        ax
            Axes to draw on; a new one-column figure when None.

        Returns
        -------
        matplotlib.axes.Axes
            One point with its interval per group (groups on the y axis), titled with ``tau``.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt, pandas as pd
        >>> d = pd.DataFrame({"os_months": [5, 8, 12, 20, 30, 40, 6, 9, 15, 22],
        ...                   "os_event": [1, 0, 1, 1, 0, 1, 1, 1, 0, 1],
        ...                   "arm": ["A"] * 6 + ["B"] * 4})
        >>> from crlm_outcomes.survival.rmst import rmst
        >>> ax = rmst(d, "os_months", "os_event", by="arm", tau=24).plot()
        >>> [t.get_text() for t in ax.get_yticklabels()], ax.get_title()
        (['A', 'B'], 'RMST up to 24')
        >>> [round(float(x), 2) for x in ax.get_lines()[0].get_xdata()]  # the estimates
        [17.5, 14.75]
        >>> plt.close(ax.figure)
        """
        from crlm_outcomes.plots.tests import plot_rmst

        return plot_rmst(self, ax=ax)


@dataclass(frozen=True, eq=False, repr=False)
class RMSTDifferenceResult(Result):
    """Differences in RMST, each group minus the reference, with SE, CI and p.

    Attributes
    ----------
    table
        group, reference, tau, estimate (the difference; ``difference`` before 0.2),
        std_error (``std_err``), lower, upper, p.
    groups
        The RMST of each group, as :attr:`RMSTResult.table`.
    tau, variance, conf_level, excluded
        As in :class:`RMSTResult`.

    Examples
    --------
    >>> from crlm_outcomes.survival import rmst_difference
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> cohort = synthetic_cohort(200, seed=1)
    >>> rd = rmst_difference(cohort, "os_months", "os_event", by="sex", tau=36)
    >>> rd.table.round(2).to_dict("records")
    [{'group': 'male', 'reference': 'female', 'tau': 36.0, 'estimate': 1.06, 'std_error': 1.77, 'lower': -2.41, 'upper': 4.53, 'p': 0.55}]
    """

    table: pd.DataFrame
    groups: pd.DataFrame
    tau: float
    variance: str
    conf_level: float
    excluded: pd.DataFrame = field(repr=False)

    _title = "RMST difference"

    def __post_init__(self) -> None:
        object.__setattr__(self, "table", AliasedFrame.wrap(self.table, DIFFERENCE_ALIASES))
        object.__setattr__(self, "groups", AliasedFrame.wrap(self.groups, RMST_ALIASES))

    @property
    def robust(self) -> bool:
        """Whether the infinitesimal-jackknife (robust) variance was used."""
        return self.variance == "ij"

    def _display_notes(self) -> dict[str, object]:
        return {"tau": self.tau, "variance": self.variance, "rows excluded": self.n_excluded}

    def _display_frames(self) -> dict[str, pd.DataFrame]:
        return {"difference": self.table, "groups": self.groups}

    def plot(self, ax: plt.Axes | None = None) -> plt.Axes:
        """Differences with confidence intervals and the line of no difference
        (:func:`crlm_outcomes.plots.tests.plot_rmst_difference`).

        Parameters
        ----------
        ax
            Axes to draw on; a new one-column figure when None.

        Returns
        -------
        matplotlib.axes.Axes
            One point with its interval per group against the reference (labelled
            ``group - reference``), and a dashed line at 0.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt, pandas as pd
        >>> d = pd.DataFrame({"os_months": [5, 8, 12, 20, 30, 40, 6, 9, 15, 22],
        ...                   "os_event": [1, 0, 1, 1, 0, 1, 1, 1, 0, 1],
        ...                   "arm": ["A"] * 6 + ["B"] * 4})
        >>> from crlm_outcomes.survival.rmst import rmst_difference
        >>> ax = rmst_difference(d, "os_months", "os_event", by="arm", tau=24).plot()
        >>> [t.get_text() for t in ax.get_yticklabels()], ax.get_title()
        (['B - A'], 'RMST difference up to 24')
        >>> [round(float(x), 2) for x in ax.get_lines()[0].get_xdata()]  # B minus A, months
        [-2.75]
        >>> plt.close(ax.figure)
        """
        from crlm_outcomes.plots.tests import plot_rmst_difference

        return plot_rmst_difference(self, ax=ax)


def rmst(
    data: Any,
    duration: str,
    event: str,
    by: str | Sequence[str] | None = None,
    *,
    tau: float,
    conf_level: float = 0.95,
    weights: str | None = None,
    cluster: str | None = None,
    entry: str | None = None,
    robust: bool | None = None,
    variance: str | None = None,
) -> RMSTResult:
    """Restricted mean survival time up to ``tau`` for each group.

    Parameters
    ----------
    tau
        Truncation time (in the unit of ``duration``); R stops when it is below the smallest
        time, and so does this function.
    conf_level
        Level of the normal confidence interval ``rmst +- z se``.
    weights, cluster, entry
        As in :func:`crlm_outcomes.survival.kaplan_meier`.
    robust
        ``True``: infinitesimal-jackknife variance; ``False``: R's Greenwood-type
        ``se(rmean)``; ``None`` (default): the jackknife with weights or a cluster, else
        Greenwood, as R.
    variance
        Deprecated (FutureWarning): ``"ij"``, ``"greenwood"``, ``"auto"``; use ``robust``.

    Returns
    -------
    RMSTResult

    Examples
    --------
    >>> import crlm_outcomes as co
    >>> demo = co.load_demo()
    >>> res = co.rmst(demo, "os_months", "os_event", tau=36)
    >>> list(res.table.columns)
    ['group', 'tau', 'estimate', 'std_error', 'lower', 'upper']
    """
    kind = _variance_kind(robust, variance, weights, cluster)
    fit = _fit(data, duration, event, by, weights, cluster, entry)
    tau = _check_tau(tau, fit)
    est, se = _estimates_greenwood(fit, tau)
    if kind == "ij":
        infl = _influence(fit, tau)
        se = np.array(
            [
                np.sqrt(_cluster_sum_sq(np.where(fit.si.group == g, infl, 0.0), fit.si.cluster))
                for g in range(len(fit.si.group_labels))
            ]
        )
    z = stats.norm.ppf(1 - (1 - conf_level) / 2)
    table = pd.DataFrame(
        {
            "group": fit.si.group_labels,
            "tau": tau,
            "estimate": est,
            "std_error": se,
            "lower": est - z * se,
            "upper": est + z * se,
        }
    )
    return RMSTResult(
        table=table, tau=tau, variance=kind, conf_level=conf_level, excluded=fit.si.excluded
    )


def rmst_difference(
    data: Any,
    duration: str,
    event: str,
    by: str | Sequence[str],
    *,
    tau: float,
    conf_level: float = 0.95,
    weights: str | None = None,
    cluster: str | None = None,
    entry: str | None = None,
    reference: Hashable | None = None,
    robust: bool | None = None,
    variance: str | None = None,
) -> RMSTDifferenceResult:
    """Difference in RMST between groups: each group minus ``reference``.

    With the Greenwood-type variance the groups are independent and
    ``se = sqrt(se_1^2 + se_0^2)``. With the IJ variance (weights or clusters) the influence of
    the difference is summed within clusters, so clusters spanning both groups are handled.
    The p-value is the two-sided Wald test of no difference.

    Parameters
    ----------
    by
        Grouping column (two or more groups).
    reference
        Reference group label (default: the first group).
    robust, variance
        As in :func:`rmst`.

    Returns
    -------
    RMSTDifferenceResult

    Examples
    --------
    >>> from crlm_outcomes import rmst_difference
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> cohort = synthetic_cohort(200, seed=1)
    >>> d = rmst_difference(cohort, "os_months", "os_event", by="sex", tau=36.0)
    >>> row = d.table.iloc[0]
    >>> row["group"], row["reference"], round(float(row["estimate"]), 3)  # months
    ('male', 'female', 1.056)
    """
    kind = _variance_kind(robust, variance, weights, cluster)
    fit = _fit(data, duration, event, by, weights, cluster, entry)
    labels = fit.si.group_labels
    if len(labels) < 2:
        raise SpecError(
            "an RMST difference needs at least two groups",
            column=str(by),
            value=labels[0],
            expected="two or more distinct values",
        )
    ref = labels[0] if reference is None else reference
    if ref not in labels:
        raise SpecError(
            "reference group not found", column=str(by), value=ref, expected=f"one of {labels}"
        )
    r = labels.index(ref)
    tau = _check_tau(tau, fit)
    est, se = _estimates_greenwood(fit, tau)
    infl = _influence(fit, tau) if kind == "ij" else None
    if infl is not None:
        se = np.array(
            [
                np.sqrt(_cluster_sum_sq(np.where(fit.si.group == g, infl, 0.0), fit.si.cluster))
                for g in range(len(labels))
            ]
        )
    z = stats.norm.ppf(1 - (1 - conf_level) / 2)
    rows = []
    for g in range(len(labels)):
        if g == r:
            continue
        diff = est[g] - est[r]
        if infl is None:
            s = float(np.sqrt(se[g] ** 2 + se[r] ** 2))
        else:
            contrib = np.where(fit.si.group == g, infl, 0.0) - np.where(
                fit.si.group == r, infl, 0.0
            )
            s = float(np.sqrt(_cluster_sum_sq(contrib, fit.si.cluster)))
        p = float(2 * stats.norm.sf(abs(diff / s))) if s > 0 else np.nan
        rows.append((labels[g], ref, tau, diff, s, diff - z * s, diff + z * s, p))
    table = pd.DataFrame(
        rows, columns=["group", "reference", "tau", "estimate", "std_error", "lower", "upper", "p"]
    )
    groups = pd.DataFrame(
        {
            "group": labels,
            "tau": tau,
            "estimate": est,
            "std_error": se,
            "lower": est - z * se,
            "upper": est + z * se,
        }
    )
    return RMSTDifferenceResult(
        table=table,
        groups=groups,
        tau=tau,
        variance=kind,
        conf_level=conf_level,
        excluded=fit.si.excluded,
    )
