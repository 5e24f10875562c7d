"""Calibration of predicted risks at a time horizon: grouped observed vs predicted, a smooth
calibration curve, calibration-in-the-large, calibration slope and ICI/E50/E90.

Method (Austin, Harrell & van Klaveren 2020, Statistics in Medicine 39:2714-2742, sections 2-3):
the observed risk is regressed on the complementary log-log of the predicted risk,
``cll = log(-log(1 - p))``, with a Cox model (Fine–Gray subdistribution model for a cause)
using a restricted cubic spline with 3 knots at the 10th, 50th and 90th percentiles; the fitted
risk at ``t`` for each patient is the smoothed observed risk. ICI is the mean, E50 the median and
E90 the 90th percentile of ``|smoothed observed - predicted|``. The calibration slope is the
coefficient of ``cll`` in the same model without the spline term (1 = ideal). Calibration-in-the-
large compares the mean predicted risk with the Kaplan–Meier (Aalen–Johansen) risk at ``t``:
difference ``observed - expected`` and ratio ``O/E``. Groups are quantile groups of predicted
risk (or the distinct values when there are fewer), observed by Kaplan–Meier (Aalen–Johansen)
within each group with a normal confidence interval on the log(-log) survival scale (KM) or on
the risk scale (influence-function standard error, Aalen–Johansen).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from crlm_outcomes._display import frames_html
from crlm_outcomes._result import Result
from crlm_outcomes.errors import SurvivalDataError
from crlm_outcomes.validation._estimators import cox_fit_predict, rcs_basis, risk_at
from crlm_outcomes.validation._inputs import (
    as_frame,
    concat_excluded,
    outcome,
    predictor_values,
    score_names,
)

__all__ = ["CalibrationResult", "calibration", "calibration_metrics"]


@dataclass(frozen=True, eq=False, repr=False)
class CalibrationResult(Result):
    """Calibration at ``time`` of one or several predicted risks.

    Attributes
    ----------
    table
        term, time, n, observed (KM / Aalen–Johansen risk), expected (mean predicted),
        citl (observed - expected), oe_ratio, slope, slope_std_error, slope_lower, slope_upper,
        ici, e50, e90.
    groups
        term, group, n, predicted (mean), observed, lower, upper.
    curve
        term, predicted, observed: the smooth calibration curve on a grid of predicted risks.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> p = rng.uniform(0.1, 0.9, 300)
    >>> t = rng.exponential(-1 / np.log(1 - p))
    >>> d = pd.DataFrame({"t": np.minimum(t, 2), "e": (t < 2).astype(int), "p": p})
    >>> r = calibration(d, "t", "e", "p", time=1, groups=5)
    >>> r
    <CalibrationResult 1 prediction(s) at t=1>
    >>> [round(float(r.table[k].iloc[0]), 3) for k in ("observed", "expected", "slope", "ici")]
    [0.527, 0.492, 0.958, 0.033]
    >>> r.groups["n"].tolist(), len(r.curve)
    ([60, 60, 60, 60, 60], 50)
    """

    table: pd.DataFrame
    groups: pd.DataFrame
    curve: pd.DataFrame
    time: float
    cause: int | None
    conf_level: float
    excluded: pd.DataFrame = field(repr=False)

    def __repr__(self) -> str:
        return f"<CalibrationResult {len(self.table)} prediction(s) at t={self.time:g}>"

    def summary(self) -> str:
        """Calibration table and the grouped observed/predicted risks as text.

        Returns
        -------
        str
            A heading (time, cause), the :attr:`table` and the :attr:`groups`, with four
            decimals.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(1)
        >>> p = rng.uniform(0.1, 0.9, 300)
        >>> t = rng.exponential(-1 / np.log(1 - p))
        >>> d = pd.DataFrame({"t": np.minimum(t, 2), "e": (t < 2).astype(int), "p": p})
        >>> r = calibration(d, "t", "e", "p", time=1, groups=5)
        >>> print("\\n".join(r.summary().splitlines()[:1] + r.summary().splitlines()[4:7]))
        Calibration at t = 1
        Groups:
        term  group  n  events  predicted  observed  lower  upper
           p      1 60      19     0.1766    0.3167 0.2151 0.4504
        """
        return "\n".join(
            [
                f"Calibration at t = {self.time:g}"
                + (f" (cause {self.cause})" if self.cause is not None else ""),
                self.table.to_string(index=False, float_format=lambda v: f"{v:.4f}"),
                "",
                "Groups:",
                self.groups.to_string(index=False, float_format=lambda v: f"{v:.4f}"),
            ]
        )

    def plot(self, ax=None, **kwargs):
        """Calibration plot: groups with CIs, the smooth curve and the diagonal.

        Parameters
        ----------
        ax
            A matplotlib Axes to draw on; default a new figure in the publication style.
        **kwargs
            Options of :func:`crlm_outcomes.plots.validation.calibration_plot` (``xlabel=``,
            ``ylabel=``, ...).

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on: observed against predicted risk at :attr:`time`.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(1)
        >>> p = rng.uniform(0.1, 0.9, 300)
        >>> t = rng.exponential(-1 / np.log(1 - p))
        >>> d = pd.DataFrame({"t": np.minimum(t, 2), "e": (t < 2).astype(int), "p": p})
        >>> r = calibration(d, "t", "e", "p", time=1, groups=5)
        >>> ax = r.plot()
        >>> ax.get_xlabel(), ax.get_ylabel()
        ('Predicted risk at 1', 'Observed risk at 1')
        >>> plt.close(ax.figure)
        """
        from crlm_outcomes.plots.validation import calibration_plot

        return calibration_plot(self.groups, self.curve, time=self.time, ax=ax, **kwargs)

    def _repr_html_(self) -> str:
        return frames_html(
            f"Calibration at t = {self.time:g}",
            {"": self.table, "groups": self.groups},
            notes={"rows excluded": self.n_excluded},
        )


def _cll(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, 1e-10, 1 - 1e-10)
    return np.log(-np.log1p(-q))


def calibration_metrics(
    time: np.ndarray,
    event: np.ndarray,
    p: np.ndarray,
    tau: float,
    cause: int | None,
    *,
    smooth: bool = True,
    grid: np.ndarray | None = None,
) -> dict:
    """Array core: calibration slope (with SE), CITL, O/E, ICI/E50/E90 and the curve on ``grid``.

    Parameters
    ----------
    time, event
        Follow-up times and event codes (0 censored).
    p
        Predicted risks of the event by ``tau``.
    tau
        Horizon.
    cause
        Event code of interest with competing risks; None for survival.
    smooth
        Also fit the smooth calibration curve (restricted cubic spline of cloglog(p)) and
        compute ICI, E50, E90.
    grid
        Predicted risks at which to evaluate the curve (default 50 points over the range).

    Returns
    -------
    dict
        observed (Kaplan-Meier / Aalen-Johansen risk), expected (mean p), citl, oe_ratio,
        slope, slope_std_error; with ``smooth`` also ici, e50, e90, grid and curve (arrays).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> p = rng.uniform(0.1, 0.9, 300)
    >>> t = rng.exponential(-1 / np.log(1 - p))
    >>> d = pd.DataFrame({"t": np.minimum(t, 2), "e": (t < 2).astype(int), "p": p})
    >>> m = calibration_metrics(d["t"].to_numpy(), d["e"].to_numpy(), d["p"].to_numpy(), 1.0,
    ...                         None)
    >>> {k: round(m[k], 3) for k in ("citl", "oe_ratio", "slope", "e90")}
    {'citl': 0.034, 'oe_ratio': 1.069, 'slope': 0.958, 'e90': 0.069}
    >>> m["curve"].shape
    (50,)
    """
    obs, _ = risk_at(time, event, tau, cause)
    exp_ = float(np.mean(p))
    x = _cll(p)
    coef, se, _ = cox_fit_predict(time, event, x, tau, cause)
    out: dict[str, Any] = {
        "observed": obs,
        "expected": exp_,
        "citl": obs - exp_,
        "oe_ratio": obs / exp_ if exp_ > 0 else float("nan"),
        "slope": float(coef[0]),
        "slope_std_error": float(se[0]),
    }
    if smooth:
        knots = np.quantile(x, [0.1, 0.5, 0.9])
        if np.unique(knots).size == 3:
            design = np.column_stack([x, rcs_basis(x, knots)])
            g = np.linspace(p.min(), p.max(), 50) if grid is None else grid
            newx = np.column_stack([_cll(g), rcs_basis(_cll(g), knots)])
            _, _, smooth_obs = cox_fit_predict(time, event, design, tau, cause)
            _, _, curve = cox_fit_predict(time, event, design, tau, cause, newx=newx)
        else:  # too few distinct predictions for a spline: linear in cll
            g = np.linspace(p.min(), p.max(), 50) if grid is None else grid
            _, _, smooth_obs = cox_fit_predict(time, event, x, tau, cause)
            _, _, curve = cox_fit_predict(time, event, x, tau, cause, newx=_cll(g))
        diff = np.abs(smooth_obs - p)
        out.update(
            {
                "ici": float(diff.mean()),
                "e50": float(np.median(diff)),
                "e90": float(np.quantile(diff, 0.9)),
                "grid": g,
                "curve": curve,
            }
        )
    return out


def _groups(time, event, p, tau, cause, n_groups, z) -> pd.DataFrame:
    vals = np.unique(p)
    if vals.size <= n_groups:
        codes = np.searchsorted(vals, p)
    else:
        codes = pd.qcut(pd.Series(p), n_groups, labels=False, duplicates="drop").to_numpy()
    rows = []
    for k in np.unique(codes):
        m = codes == k
        est, se = risk_at(time[m], event[m], tau, cause)
        if cause is None and np.isfinite(est) and 0 < est < 1 and se > 0:
            s = 1 - est
            lls = np.log(-np.log(s))
            half = z * se / (s * abs(np.log(s)))
            lo_s, hi_s = np.exp(-np.exp(lls + half)), np.exp(-np.exp(lls - half))
            lo, hi = 1 - hi_s, 1 - lo_s
        else:
            lo, hi = max(0.0, est - z * se), min(1.0, est + z * se)
        rows.append(
            {
                "group": int(k) + 1,
                "n": int(m.sum()),
                "events": int(
                    ((event[m] == (1 if cause is None else cause)) & (time[m] <= tau)).sum()
                ),
                "predicted": float(p[m].mean()),
                "observed": est,
                "lower": lo,
                "upper": hi,
            }
        )
    return pd.DataFrame(rows)


def calibration(
    data,
    duration: str,
    event: str,
    risks: str | Sequence[str] | Mapping[str, str],
    time: float,
    *,
    groups: int = 10,
    cause: int | None = None,
    smooth: bool = True,
    conf_level: float = 0.95,
) -> CalibrationResult:
    """Calibration at ``time`` of predicted risks (probabilities of the event by ``time``).

    Parameters
    ----------
    data, duration, event
        DataFrame or Cohort; follow-up time and event code.
    risks
        Column(s) of predicted risks at ``time`` (see
        :func:`~crlm_outcomes.validation.predicted_risk` to turn a points score into risks).
    time
        The horizon.
    groups
        Number of quantile groups of predicted risk (fewer when there are fewer distinct values).
    cause
        Event code of interest for competing risks (Aalen–Johansen, Fine–Gray); ``None``: survival.
    smooth
        Also fit the smooth calibration curve and ICI/E50/E90.
    conf_level
        Level of the confidence intervals.

    Returns
    -------
    CalibrationResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> p = rng.uniform(0.1, 0.9, 300)
    >>> t = rng.exponential(-1 / np.log(1 - p))
    >>> d = pd.DataFrame({"t": np.minimum(t, 2), "e": (t < 2).astype(int), "p": p})
    >>> r = calibration(d, "t", "e", "p", time=1, groups=5)
    >>> bool(0.7 < r.table["slope"].iloc[0] < 1.3)
    True
    """
    frame = as_frame(data)
    spec = score_names(risks)
    z = stats.norm.ppf(0.5 + conf_level / 2)
    rows, grp, cur, excl = [], [], [], []
    for label, col in spec.items():
        if not isinstance(col, str):
            raise SurvivalDataError(
                "calibration takes one risk column per prediction",
                value=col,
                expected="a column of risks at the time",
            )
        out = outcome(frame, duration, event, [col], cause=cause, label=label)
        p = predictor_values(frame, out.index, col)
        if np.any((p < 0) | (p > 1)):
            raise SurvivalDataError(
                "predicted risks must lie in [0, 1]",
                column=col,
                value=float(p[(p < 0) | (p > 1)][0]),
                expected="a probability",
            )
        met = calibration_metrics(out.time, out.event, p, float(time), cause, smooth=smooth)
        se = met["slope_std_error"]
        row = {
            "term": label,
            "time": float(time),
            "n": out.time.size,
            "observed": met["observed"],
            "expected": met["expected"],
            "citl": met["citl"],
            "oe_ratio": met["oe_ratio"],
            "slope": met["slope"],
            "slope_std_error": se,
            "slope_lower": met["slope"] - z * se,
            "slope_upper": met["slope"] + z * se,
        }
        if smooth:
            row.update({"ici": met["ici"], "e50": met["e50"], "e90": met["e90"]})
            cur.append(
                pd.DataFrame({"term": label, "predicted": met["grid"], "observed": met["curve"]})
            )
        rows.append(row)
        g = _groups(out.time, out.event, p, float(time), cause, groups, z)
        g.insert(0, "term", label)
        grp.append(g)
        excl.append(out.excluded)
    return CalibrationResult(
        table=pd.DataFrame(rows),
        groups=pd.concat(grp, ignore_index=True),
        curve=(
            pd.concat(cur, ignore_index=True)
            if cur
            else pd.DataFrame(columns=["term", "predicted", "observed"])
        ),
        time=float(time),
        cause=cause,
        conf_level=conf_level,
        excluded=concat_excluded(excl),
    )
