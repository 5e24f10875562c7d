"""Decision curves for a survival (or competing-risks) outcome at a horizon.

Net benefit at threshold probability ``pt`` (Vickers, Cronin, Elkin & Gonen 2008, BMC Medical
Informatics and Decision Making 8:53, "Extensions to decision curve analysis", section "Censored
data"): patients with predicted risk ``>= pt`` are "treated";
``NB(pt) = P(high) F_high(t) - P(high) (1 - F_high(t)) pt / (1 - pt)``, with ``F_high`` the
Kaplan–Meier risk (Aalen–Johansen cumulative incidence for a cause) by ``t`` among the treated.
"Treat all" uses the risk of the whole cohort; "treat none" has net benefit 0. Where no
patient is at risk at ``t`` among the treated the risk is not estimable and the net benefit is
missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crlm_outcomes._display import frames_html
from crlm_outcomes._result import Result
from crlm_outcomes.errors import SurvivalDataError
from crlm_outcomes.validation._estimators import risk_at
from crlm_outcomes.validation._inputs import (
    as_frame,
    concat_excluded,
    outcome,
    predictor_values,
    score_names,
)

__all__ = ["DecisionCurveResult", "decision_curve"]


@dataclass(frozen=True, eq=False, repr=False)
class DecisionCurveResult(Result):
    """Net benefit per prediction and threshold, with "treat all" and "treat none".

    Attributes
    ----------
    table
        term, threshold, n_high (treated), risk_high (observed risk among the treated),
        net_benefit.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [5, 8, 3, 10, 2, 7, 12, 4, 15, 9, 6, 11],
    ...                   "e": [1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1],
    ...                   "score": [2, 1, 3, 0, 1, 2, 1, 2, 0, 3, 1, 1],
    ...                   "p": [0.6, 0.3, 0.5, 0.2, 0.8, 0.4, 0.2, 0.5, 0.1, 0.3, 0.4, 0.35]})
    >>> r = decision_curve(d, "t", "e", "p", 8, thresholds=[0.1, 0.3, 0.5])
    >>> r
    <DecisionCurveResult 1 prediction(s) at t=8>
    >>> nb = r.table.pivot(index="threshold", columns="term", values="net_benefit")
    >>> [round(float(v), 3) for v in nb["p"]], [round(float(v), 3) for v in nb["treat all"]]
    ([0.259, 0.155, 0.333], [0.259, 0.048, -0.333])
    """

    table: pd.DataFrame
    time: float
    cause: int | None
    excluded: pd.DataFrame = field(repr=False)

    def __repr__(self) -> str:
        k = self.table["term"].nunique() - 2
        return f"<DecisionCurveResult {k} prediction(s) at t={self.time:g}>"

    def summary(self) -> str:
        """Net benefit table (wide: thresholds by prediction).

        Returns
        -------
        str
            A heading with the time and the net benefit, one row per threshold and one column
            per prediction, "treat all" and "treat none", with four decimals.

        Examples
        --------
        >>> import pandas as pd
        >>> d = pd.DataFrame({"t": [5, 8, 3, 10, 2, 7, 12, 4, 15, 9, 6, 11],
        ...                   "e": [1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1],
        ...                   "score": [2, 1, 3, 0, 1, 2, 1, 2, 0, 3, 1, 1],
        ...                   "p": [0.6, 0.3, 0.5, 0.2, 0.8, 0.4, 0.2, 0.5, 0.1, 0.3, 0.4, 0.35]})
        >>> r = decision_curve(d, "t", "e", "p", 8, thresholds=[0.1, 0.3, 0.5])
        >>> print(r.summary())
        Net benefit at t = 8
        term           p  treat all  treat none
        threshold
        0.1       0.2593     0.2593      0.0000
        0.3       0.1548     0.0476      0.0000
        0.5       0.3333    -0.3333      0.0000
        """
        wide = self.table.pivot(index="threshold", columns="term", values="net_benefit")
        return f"Net benefit at t = {self.time:g}\n" + wide.to_string(
            float_format=lambda v: f"{v:.4f}"
        )

    def plot(self, ax=None, **kwargs):
        """Decision curves: net benefit against the threshold probability, one line per
        prediction, with "treat all" and "treat none".

        Parameters
        ----------
        ax
            A matplotlib Axes to draw on; default a new figure in the publication style.
        **kwargs
            Options of :func:`crlm_outcomes.plots.validation.decision_curve_plot`
            (``xlabel=``, ...).

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> import pandas as pd
        >>> d = pd.DataFrame({"t": [5, 8, 3, 10, 2, 7, 12, 4, 15, 9, 6, 11],
        ...                   "e": [1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1],
        ...                   "score": [2, 1, 3, 0, 1, 2, 1, 2, 0, 3, 1, 1],
        ...                   "p": [0.6, 0.3, 0.5, 0.2, 0.8, 0.4, 0.2, 0.5, 0.1, 0.3, 0.4, 0.35]})
        >>> r = decision_curve(d, "t", "e", "p", 8, thresholds=[0.1, 0.3, 0.5])
        >>> ax = r.plot()
        >>> ax.get_xlabel(), [t.get_text() for t in ax.get_legend().get_texts()]
        ('Threshold probability', ['p', 'treat all', 'treat none'])
        >>> plt.close(ax.figure)
        """
        from crlm_outcomes.plots.validation import decision_curve_plot

        return decision_curve_plot(self.table, ax=ax, **kwargs)

    def _repr_html_(self) -> str:
        return frames_html(
            f"Decision curve at t = {self.time:g}",
            {"": self.table},
            notes={"rows excluded": self.n_excluded},
        )


def _net_benefit(
    time: np.ndarray,
    event: np.ndarray,
    p: np.ndarray,
    tau: float,
    thresholds: np.ndarray,
    cause: int | None,
) -> tuple[np.ndarray, ...]:
    """Array core: (n_high, risk_high, net benefit) at each threshold."""
    n = time.size
    nh = np.zeros(thresholds.size, dtype=np.int64)
    rh = np.full(thresholds.size, np.nan)
    nb = np.full(thresholds.size, np.nan)
    for k, pt in enumerate(thresholds):
        high = p >= pt
        nh[k] = int(high.sum())
        if nh[k] == 0:
            nb[k] = 0.0
            continue
        f, _ = risk_at(time[high], event[high], tau, cause)
        rh[k] = f
        ph = nh[k] / n
        nb[k] = ph * f - ph * (1 - f) * pt / (1 - pt)
    return nh, rh, nb


def decision_curve(
    data,
    duration: str,
    event: str,
    risks: str | Sequence[str] | Mapping[str, str],
    time: float,
    *,
    thresholds: Sequence[float] | None = None,
    cause: int | None = None,
) -> DecisionCurveResult:
    """Net benefit of treating patients whose predicted risk by ``time`` is at least a threshold.

    Parameters
    ----------
    data, duration, event
        DataFrame or Cohort; follow-up time and event code.
    risks
        Column(s) of predicted risks at ``time``.
    time
        The horizon.
    thresholds
        Threshold probabilities in (0, 1); default 0.01 to 0.99 by 0.01.
    cause
        Event code of interest for competing risks; ``None`` for survival.

    Returns
    -------
    DecisionCurveResult

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [5, 8, 3, 10, 2, 7, 12, 4], "e": [1, 0, 1, 0, 1, 0, 1, 1],
    ...                   "p": [0.6, 0.3, 0.7, 0.1, 0.8, 0.3, 0.2, 0.5]})
    >>> r = decision_curve(d, "t", "e", "p", time=6, thresholds=[0.2, 0.5])
    >>> r.table[r.table["term"] == "treat none"]["net_benefit"].tolist()
    [0.0, 0.0]
    """
    thr = (
        np.round(np.arange(1, 100) / 100, 2)
        if thresholds is None
        else np.asarray(thresholds, float)
    )
    if thr.size == 0 or np.any((thr <= 0) | (thr >= 1)):
        raise SurvivalDataError(
            "thresholds must lie strictly between 0 and 1",
            value=list(np.atleast_1d(thr)),
            expected="values in (0, 1)",
        )
    frame = as_frame(data)
    spec = score_names(risks)
    parts, excl = [], []
    base = outcome(frame, duration, event, [], cause=cause, label="treat all")
    f_all, _ = risk_at(base.time, base.event, float(time), cause)
    parts.append(
        pd.DataFrame(
            {
                "term": "treat all",
                "threshold": thr,
                "n_high": base.time.size,
                "risk_high": f_all,
                "net_benefit": f_all - (1 - f_all) * thr / (1 - thr),
            }
        )
    )
    parts.append(
        pd.DataFrame(
            {
                "term": "treat none",
                "threshold": thr,
                "n_high": 0,
                "risk_high": np.nan,
                "net_benefit": 0.0,
            }
        )
    )
    for label, col in spec.items():
        if not isinstance(col, str):
            raise SurvivalDataError(
                "a decision-curve risk must be one column",
                value=col,
                expected="a column name (or a mapping label -> column)",
            )
        out = outcome(frame, duration, event, [col], cause=cause, label=label)
        p = predictor_values(frame, out.index, col)
        nh, rh, nb = _net_benefit(out.time, out.event, p, float(time), thr, cause)
        parts.append(
            pd.DataFrame(
                {"term": label, "threshold": thr, "n_high": nh, "risk_high": rh, "net_benefit": nb}
            )
        )
        excl.append(out.excluded)
    return DecisionCurveResult(
        table=pd.concat(parts, ignore_index=True),
        time=float(time),
        cause=cause,
        excluded=concat_excluded(excl),
    )
