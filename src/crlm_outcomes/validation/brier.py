"""Brier score at t with IPCW (Kaplan–Meier censoring), integrated Brier score and the index of
prediction accuracy (IPA) against the null model; competing risks for a cause."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crlm_outcomes._display import frames_html
from crlm_outcomes._result import Result
from crlm_outcomes.validation._td_core import brier_at
from crlm_outcomes.validation._timed import evaluate

__all__ = ["BrierResult", "brier_score", "integrated_brier"]


@dataclass(frozen=True, eq=False, repr=False)
class BrierResult(Result):
    """Brier score per predicted risk and time, IPA and IBS, and pairwise differences.

    Attributes
    ----------
    table
        term ("Null model" first: 1 - Kaplan–Meier or the Aalen–Johansen incidence), time,
        estimate (Brier), std_error, lower, upper, ipa (1 - Brier / Brier of the null model on
        the same rows), ibs (integrated Brier from 0 to the time, step function over the
        requested times, as ``Score(summary = "ibs")``), n, n_cases, n_event_free.
    contrasts
        term, reference, time, estimate (Brier of term minus reference), std_error, lower,
        upper, statistic, p, n.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [5, 8, 3, 10, 2, 7, 12, 4, 15, 9, 6, 11],
    ...                   "e": [1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1],
    ...                   "score": [2, 1, 3, 0, 1, 2, 1, 2, 0, 3, 1, 1],
    ...                   "p": [0.6, 0.3, 0.5, 0.2, 0.8, 0.4, 0.2, 0.5, 0.1, 0.3, 0.4, 0.35]})
    >>> r = brier_score(d, "t", "e", "p", times=[4, 8])
    >>> r
    <BrierResult 1 prediction(s) at 2 time(s)>
    >>> at8 = r.table[r.table["time"] == 8]
    >>> list(at8["term"]), [round(float(v), 3) for v in at8["estimate"]]
    (['Null model', 'p'], [0.222, 0.099])
    >>> round(float(at8["ipa"].iloc[1]), 3)  # 1 - 0.099 / 0.222
    0.556
    """

    table: pd.DataFrame
    contrasts: pd.DataFrame
    times: list[float]
    cause: int | None
    conf_level: float
    excluded: pd.DataFrame = field(repr=False)

    def __repr__(self) -> str:
        return (
            f"<BrierResult {self.table['term'].nunique() - 1} prediction(s) at "
            f"{len(self.times)} time(s)>"
        )

    def summary(self) -> str:
        """The Brier/IPA table and the differences as text.

        Returns
        -------
        str
            A heading (and the cause), the :attr:`table` with four decimals and, with two
            predictions or more, the :attr:`contrasts`.

        Examples
        --------
        >>> import pandas as pd
        >>> d = pd.DataFrame({"t": [5, 8, 3, 10, 2, 7, 12, 4, 15, 9, 6, 11],
        ...                   "e": [1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1],
        ...                   "score": [2, 1, 3, 0, 1, 2, 1, 2, 0, 3, 1, 1],
        ...                   "p": [0.6, 0.3, 0.5, 0.2, 0.8, 0.4, 0.2, 0.5, 0.1, 0.3, 0.4, 0.35]})
        >>> r = brier_score(d, "t", "e", "p", times=[4, 8])
        >>> print(r.summary())
        Brier score (IPCW Kaplan-Meier) with IPA
              term   time  estimate  std_error  lower  upper    ipa    ibs  n  n_cases  n_event_free
        Null model 4.0000    0.1875     0.0653 0.0596 0.3154 0.0000 0.0000 12        3             9
        Null model 8.0000    0.2222     0.0475 0.1292 0.3153 0.0000 0.0938 12        4             5
                 p 4.0000    0.1344     0.0308 0.0740 0.1947 0.2833 0.0000 12        3             9
                 p 8.0000    0.0987     0.0255 0.0487 0.1486 0.5560 0.0672 12        4             5
        """
        head = "Brier score (IPCW Kaplan-Meier) with IPA"
        if self.cause is not None:
            head += f", cause {self.cause}"
        parts = [head, self.table.to_string(index=False, float_format=lambda v: f"{v:.4f}")]
        if len(self.contrasts):
            parts += [
                "",
                "Differences (rows both predictions have):",
                self.contrasts.to_string(index=False, float_format=lambda v: f"{v:.4g}"),
            ]
        return "\n".join(parts)

    def plot(self, ax=None):
        """Brier score over time per prediction, with the null model, and pointwise bands.

        Parameters
        ----------
        ax
            A matplotlib Axes to draw on; default a new figure in the publication style.

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
        >>> r = brier_score(d, "t", "e", "p", times=[4, 8])
        >>> ax = r.plot()
        >>> ax.get_ylabel(), [t.get_text() for t in ax.get_legend().get_texts()]
        ('Brier score', ['Null model', 'p'])
        >>> plt.close(ax.figure)
        """
        from crlm_outcomes.plots.validation import auc_time_plot

        return auc_time_plot(self.table, ax=ax, ylabel="Brier score", chance=None)

    def _repr_html_(self) -> str:
        return frames_html(
            "Brier score",
            {"": self.table, "differences": self.contrasts},
            notes={"rows excluded": self.n_excluded},
        )


def integrated_brier(times: Sequence[float], brier: Sequence[float]) -> np.ndarray:
    """IBS at each time: ``(1/t) * integral_0^t Brier``, Brier a step function on ``times``.

    As ``riskRegression::Score(summary = "ibs")``: the step function has value 0 on [0, t1).

    Parameters
    ----------
    times
        Increasing evaluation times.
    brier
        Brier score at each of ``times``.

    Returns
    -------
    numpy.ndarray
        The integrated Brier score up to each time.

    Examples
    --------
    >>> integrated_brier([1, 2, 4], [0.1, 0.2, 0.2]).round(4).tolist()
    [0.0, 0.05, 0.125]
    """
    x = np.concatenate([[0.0], np.asarray(times, float)])
    y = np.concatenate([[0.0], np.asarray(brier, float)])
    area = np.concatenate([[0.0], np.cumsum(y[:-1] * np.diff(x))])
    return area[1:] / x[1:]


def brier_score(
    data,
    duration: str,
    event: str,
    risks: str | Sequence[str] | Mapping[str, str | Sequence[str]],
    times: float | Sequence[float],
    *,
    cause: int | None = None,
    conf_level: float = 0.95,
) -> BrierResult:
    """Brier score, IPA and IBS of predicted risks, as ``riskRegression::Score``.

    Parameters
    ----------
    data, duration, event
        DataFrame or Cohort; follow-up time and event code (0 censored; with ``cause`` the
        other non-zero codes are competing events).
    risks
        Predicted risks (probabilities of the event by t): a column used at every time, or a
        mapping label -> list of columns, one per time (see
        :func:`~crlm_outcomes.validation.predicted_risk` for points-based scores).
    times
        Prediction horizon(s).
    cause
        Event code of interest for competing risks; ``None`` for ordinary survival.
    conf_level
        Level of the confidence intervals (clipped to [0, 1] as R).

    Returns
    -------
    BrierResult

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [5, 8, 3, 10, 2, 7, 12, 4], "e": [1, 0, 1, 0, 1, 0, 1, 1],
    ...                   "p": [0.6, 0.3, 0.7, 0.1, 0.8, 0.3, 0.2, 0.5]})
    >>> r = brier_score(d, "t", "e", "p", times=[6])
    >>> r.table["term"].tolist()
    ['Null model', 'p']
    """
    table, contrasts, excluded, extras = evaluate(
        data,
        duration,
        event,
        risks,
        times,
        brier_at,
        cause=cause,
        conf_level=conf_level,
        clip=(0, 1),
        with_null=True,
    )
    c = 1 if cause is None else int(cause)
    from crlm_outcomes.validation._ipcw import censoring_km
    from crlm_outcomes.validation._timed import null_risk

    ipa = np.zeros(len(table))
    for label, (out, _risk) in extras.items():
        g = censoring_km(out.time, out.event)
        for t in sorted(set(table["time"])):
            p0 = np.full(out.time.size, null_risk(out.time, out.event, t, c))
            b0, _ = brier_at(g, out.time, out.event, p0, t, c)
            m = ((table["term"] == label) & (table["time"] == t)).to_numpy()
            ipa[m] = 1.0 - table.loc[m, "estimate"].to_numpy() / b0
    table.insert(6, "ipa", ipa)
    ibs = np.zeros(len(table))
    for term in dict.fromkeys(table["term"]):
        m = (table["term"] == term).to_numpy()
        sub = table[m].sort_values("time")
        ibs[np.flatnonzero(m)[np.argsort(table.loc[m, "time"].to_numpy())]] = integrated_brier(
            sub["time"].to_numpy(), sub["estimate"].to_numpy()
        )
    table.insert(7, "ibs", ibs)
    return BrierResult(
        table=table,
        contrasts=contrasts,
        times=sorted(set(table["time"])),
        cause=cause,
        conf_level=conf_level,
        excluded=excluded,
    )
