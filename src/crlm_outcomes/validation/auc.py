"""Cumulative/dynamic time-dependent AUC with IPCW (Kaplan–Meier censoring), influence-function
standard errors and differences between scores; competing risks for a cause."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from crlm_outcomes._display import frames_html
from crlm_outcomes._result import Result
from crlm_outcomes.validation._td_core import auc_at
from crlm_outcomes.validation._timed import evaluate

__all__ = ["TimeAUCResult", "time_auc"]


@dataclass(frozen=True, eq=False, repr=False)
class TimeAUCResult(Result):
    """AUC(t) per score and time, and the pairwise differences.

    Attributes
    ----------
    table
        term, time, estimate (AUC), std_error, lower, upper (clipped to [0, 1] as R), n,
        n_cases (events of the cause by t), n_event_free (still event-free at t).
    contrasts
        term, reference, time, estimate (AUC of term minus reference), std_error, lower, upper,
        statistic, p, n (rows both scores have).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [5, 8, 3, 10, 2, 7, 12, 4, 15, 9, 6, 11],
    ...                   "e": [1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1],
    ...                   "score": [2, 1, 3, 0, 1, 2, 1, 2, 0, 3, 1, 1],
    ...                   "p": [0.6, 0.3, 0.5, 0.2, 0.8, 0.4, 0.2, 0.5, 0.1, 0.3, 0.4, 0.35]})
    >>> r = time_auc(d, "t", "e", ["score", "p"], times=[4, 8])
    >>> r
    <TimeAUCResult 2 score(s) at 2 time(s)>
    >>> at8 = r.table[r.table["time"] == 8]
    >>> [round(float(v), 3) for v in at8["estimate"]], at8["n_cases"].tolist()
    ([0.775, 1.0], [4, 4])
    >>> c = r.contrasts.iloc[1]  # p against score at t = 8
    >>> c["term"], c["reference"], round(float(c["estimate"]), 3)
    ('p', 'score', 0.225)
    """

    table: pd.DataFrame
    contrasts: pd.DataFrame
    times: list[float]
    cause: int | None
    conf_level: float
    excluded: pd.DataFrame = field(repr=False)

    def __repr__(self) -> str:
        return (
            f"<TimeAUCResult {self.table['term'].nunique()} score(s) at {len(self.times)} time(s)>"
        )

    def summary(self) -> str:
        """The AUC table and the differences as text.

        Returns
        -------
        str
            A heading naming the estimator (and the cause), the :attr:`table` with four
            decimals and, with two scores or more, the :attr:`contrasts`.

        Examples
        --------
        >>> import pandas as pd
        >>> d = pd.DataFrame({"t": [5, 8, 3, 10, 2, 7, 12, 4, 15, 9, 6, 11],
        ...                   "e": [1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1],
        ...                   "score": [2, 1, 3, 0, 1, 2, 1, 2, 0, 3, 1, 1],
        ...                   "p": [0.6, 0.3, 0.5, 0.2, 0.8, 0.4, 0.2, 0.5, 0.1, 0.3, 0.4, 0.35]})
        >>> r = time_auc(d, "t", "e", ["score", "p"], times=[4, 8])
        >>> print("\\n".join(r.summary().splitlines()[:3]))
        Time-dependent AUC (cumulative/dynamic, IPCW Kaplan-Meier)
         term   time  estimate  std_error  lower  upper  n  n_cases  n_event_free
        score 4.0000    0.7222     0.1547 0.4189      1 12        3             9
        """
        head = "Time-dependent AUC (cumulative/dynamic, IPCW Kaplan-Meier)"
        if self.cause is not None:
            head += f", cause {self.cause}"
        parts = [head, self.table.to_string(index=False, float_format=lambda v: f"{v:.4f}")]
        if len(self.contrasts):
            parts += [
                "",
                "Differences (rows both scores have):",
                self.contrasts.to_string(index=False, float_format=lambda v: f"{v:.4g}"),
            ]
        return "\n".join(parts)

    def plot(self, ax=None, **kwargs):
        """AUC(t) over time with pointwise confidence bands, one line per score and a dashed
        line at 0.5 (chance).

        Parameters
        ----------
        ax
            A matplotlib Axes to draw on; default a new figure in the publication style.
        **kwargs
            Options of :func:`crlm_outcomes.plots.validation.auc_time_plot` (``xlabel=``,
            ``ylabel=``, ...).

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
        >>> r = time_auc(d, "t", "e", ["score", "p"], times=[4, 8])
        >>> ax = r.plot(xlabel="Months")
        >>> ax.get_xlabel(), ax.get_ylabel(), [t.get_text() for t in ax.get_legend().get_texts()]
        ('Months', 'AUC(t)', ['score', 'p'])
        >>> plt.close(ax.figure)
        """
        from crlm_outcomes.plots.validation import auc_time_plot

        return auc_time_plot(self.table, ax=ax, **kwargs)

    def _repr_html_(self) -> str:
        return frames_html(
            "Time-dependent AUC",
            {"": self.table, "differences": self.contrasts},
            notes={"rows excluded": self.n_excluded},
        )


def time_auc(
    data,
    duration: str,
    event: str,
    scores: str | Sequence[str] | Mapping[str, str | Sequence[str]],
    times: float | Sequence[float],
    *,
    cause: int | None = None,
    conf_level: float = 0.95,
) -> TimeAUCResult:
    """Cumulative/dynamic AUC(t) of scores or predicted risks, as ``riskRegression::Score``.

    Cases have the event (of ``cause``) by ``t``, weighted by ``1/G(T-)``; controls are
    event-free at ``t`` (weight ``1/G(t)``) and, with competing risks, patients with another
    event by ``t``. ``G`` is the Kaplan–Meier of censoring. Standard errors come from the
    influence function including the censoring term (``conservative = FALSE``); differences use
    the patients both scores have. Equal to ``Score(..., metrics = "auc", cens.model = "km")``.

    Parameters
    ----------
    data, duration, event
        DataFrame or Cohort; follow-up time and event code (0 censored; with ``cause`` the
        other non-zero codes are competing events).
    scores
        Column name(s), or a mapping label -> column or label -> list of columns (one predicted
        risk column per time). A single column is used at every time (higher = higher risk).
    times
        Prediction horizon(s).
    cause
        Event code of interest for competing risks; ``None`` for ordinary survival.
    conf_level
        Level of the confidence intervals.

    Returns
    -------
    TimeAUCResult

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [5, 8, 3, 10, 2, 7, 12, 4], "e": [1, 0, 1, 0, 1, 0, 1, 1],
    ...                   "score": [2, 1, 3, 0, 3, 1, 1, 2]})
    >>> r = time_auc(d, "t", "e", "score", times=[6])
    >>> round(float(r.table["estimate"].iloc[0]), 4)
    1.0
    """
    table, contrasts, excluded, _ = evaluate(
        data,
        duration,
        event,
        scores,
        times,
        auc_at,
        cause=cause,
        conf_level=conf_level,
        clip=(0, 1),
    )
    return TimeAUCResult(
        table=table,
        contrasts=contrasts,
        times=sorted(set(table["time"])),
        cause=cause,
        conf_level=conf_level,
        excluded=excluded,
    )
