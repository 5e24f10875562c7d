"""Harrell's and Uno's concordance of one or several prognostic scores, with their variance
matrix and pairwise differences (``survival::concordance``, survival 3.5-3)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

from crlm_outcomes._display import frames_html
from crlm_outcomes._result import Result
from crlm_outcomes.errors import SurvivalDataError
from crlm_outcomes.validation._concordance_core import TIMEWTS, concordance_counts, dot
from crlm_outcomes.validation._inputs import (
    as_frame,
    concat_excluded,
    outcome,
    predictor_values,
    resolve_fits,
    score_names,
)

__all__ = ["ConcordanceResult", "concordance"]

_TIMEWT_LABEL = {"n": "Harrell", "S": "S-weighted", "S/G": "S/G-weighted", "n/G2": "Uno"}


@dataclass(frozen=True, eq=False, repr=False)
class ConcordanceResult(Result):
    """Concordance of each score, its variance matrix and the pairwise differences.

    Attributes
    ----------
    table
        One row per score: term, estimate (C), std_error, lower, upper, n, n_events, n_missing,
        concordant, discordant, tied_x, tied_y, tied_xy (survival's counts; time-weighted for
        ``timewt`` other than ``"n"``).
    vcov
        Variance matrix of the C's, computed on the rows every score has (``concordance(fit1,
        fit2, ...)``); equal to the per-score variances when no score is missing.
    contrasts
        One row per pair: term, reference, estimate (C of term minus C of reference), std_error,
        lower, upper, statistic (z), p, n (rows both scores have).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [5, 8, 3, 10, 2, 7, 12, 4, 15, 9, 6, 11],
    ...                   "e": [1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1],
    ...                   "score": [2, 1, 3, 0, 1, 2, 1, 2, 0, 3, 1, 1],
    ...                   "p": [0.6, 0.3, 0.5, 0.2, 0.8, 0.4, 0.2, 0.5, 0.1, 0.3, 0.4, 0.35]})
    >>> r = concordance(d, "t", "e", ["score", "p"])
    >>> r
    <ConcordanceResult Harrell C: score=0.744, p=0.922>
    >>> diff = r.contrasts.iloc[0]
    >>> round(float(diff["estimate"]), 3), round(float(diff["p"]), 3), int(diff["n"])
    (0.178, 0.19, 12)
    """

    table: pd.DataFrame
    vcov: pd.DataFrame
    contrasts: pd.DataFrame
    timewt: str
    ymax: float | None
    reverse: bool
    conf_level: float
    excluded: pd.DataFrame = field(repr=False)

    def __repr__(self) -> str:
        kinds = _TIMEWT_LABEL[self.timewt]
        parts = ", ".join(
            f"{t}={c:.3f}" for t, c in zip(self.table["term"], self.table["estimate"], strict=True)
        )
        return f"<ConcordanceResult {kinds} C: {parts}>"

    def summary(self) -> str:
        """Text like R's ``print(concordance(...))``, with the pairwise differences.

        Returns
        -------
        str
            A heading (kind of C, ``timewt``, ``ymax``), one line per score (n, events,
            missing, C, standard error, limits) and, with two scores or more, the
            :attr:`contrasts`.

        Examples
        --------
        >>> import pandas as pd
        >>> d = pd.DataFrame({"t": [5, 8, 3, 10, 2, 7, 12, 4, 15, 9, 6, 11],
        ...                   "e": [1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1],
        ...                   "score": [2, 1, 3, 0, 1, 2, 1, 2, 0, 3, 1, 1],
        ...                   "p": [0.6, 0.3, 0.5, 0.2, 0.8, 0.4, 0.2, 0.5, 0.1, 0.3, 0.4, 0.35]})
        >>> print(concordance(d, "t", "e", ["score", "p"]).summary())
        Concordance (Harrell, timewt = "n")
         term  n  n_events  n_missing  estimate  std_error  lower  upper
        score 12         7          0    0.7444     0.1197 0.5098 0.9791
            p 12         7          0    0.9222     0.0459 0.8324 1.0121
        <BLANKLINE>
        Differences (rows both scores have):
        term reference  estimate  std_error    lower  upper  statistic      p  n
           p     score    0.1778     0.1356 -0.08805 0.4436      1.311 0.1899 12
        """
        lines = [
            f'Concordance ({_TIMEWT_LABEL[self.timewt]}, timewt = "{self.timewt}"'
            + (f", ymax = {self.ymax:g}" if self.ymax is not None else "")
            + ")"
        ]
        cols = ["term", "n", "n_events", "n_missing", "estimate", "std_error", "lower", "upper"]
        lines.append(self.table[cols].to_string(index=False, float_format=lambda v: f"{v:.4f}"))
        if len(self.contrasts):
            lines.append("")
            lines.append("Differences (rows both scores have):")
            lines.append(self.contrasts.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        return "\n".join(lines)

    def plot(self, ax=None):
        """C of each score with its confidence interval (a dot-and-whisker plot, one row per
        score, with a reference line at 0.5).

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
        >>> ax = concordance(d, "t", "e", ["score", "p"]).plot()
        >>> ax.get_xlabel(), [t.get_text() for t in ax.get_yticklabels()]
        ('Harrell C', ['score', 'p'])
        >>> plt.close(ax.figure)
        """
        from crlm_outcomes.plots.validation import estimate_plot

        return estimate_plot(
            self.table, xlabel=f"{_TIMEWT_LABEL[self.timewt]} C", ax=ax, reference=0.5
        )

    def _repr_html_(self) -> str:
        return frames_html(
            f"Concordance ({_TIMEWT_LABEL[self.timewt]})",
            {"": self.table, "differences": self.contrasts},
            notes={"timewt": self.timewt, "rows excluded": self.n_excluded},
        )


def _ev(event: np.ndarray, cause: int | None) -> np.ndarray:
    return (event > 0 if cause is None else event == cause).astype(np.int64)


def concordance(
    data,
    duration: str,
    event: str,
    scores: str | Sequence[str] | Mapping[str, str],
    *,
    timewt: str = "n",
    ymax: float | None = None,
    reverse: bool = True,
    cause: int | None = None,
    conf_level: float = 0.95,
) -> ConcordanceResult:
    """Harrell's (``timewt="n"``) or Uno's (``timewt="n/G2"``) C of one or several scores.

    Equal to ``survival::concordance`` (3.5-3): C, its infinitesimal-jackknife standard error
    (``sqrt(fit$var)``), the counts, the variance matrix of several scores
    (``concordance(fit1, fit2, ...)$var``) and differences with their standard error. No pair
    loop: counts come from sorting-based dominance counts, O(n log n).

    Parameters
    ----------
    data
        DataFrame or Cohort, one row per patient.
    duration, event
        Follow-up time and event indicator (0 = censored, 1 = event).
    scores
        Column name(s) of the scores, or a mapping label -> column or label -> fitted Cox model
        (:class:`~crlm_outcomes.survival.CoxResult`; its linear predictor on ``data`` is used,
        as ``concordance(fit1, fit2)``).
    timewt
        ``"n"`` (Harrell), ``"S"``, ``"S/G"`` or ``"n/G2"`` (Uno), as survival.
    ymax
        Truncation time: event times after ``ymax`` get weight 0 (survival's ``ymax``).
    reverse
        ``True`` (default): a higher score means a worse prognosis (a risk score; R's
        ``reverse = TRUE``). ``False``: a higher value means a longer survival.
    cause
        With competing risks, the event code of interest: the cause-specific C, other events
        counted as censored at their time (survival has no competing-risks concordance).
    conf_level
        Level of the normal-approximation confidence intervals.

    Returns
    -------
    ConcordanceResult
        Patients missing a score are excluded for that score only (``n_missing``, ``excluded``);
        differences use the patients both scores have.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [5, 8, 3, 10, 2, 7], "e": [1, 0, 1, 1, 1, 0],
    ...                   "score": [2, 1, 3, 0, 3, 1]})
    >>> round(float(concordance(d, "t", "e", "score").table["estimate"].iloc[0]), 4)
    0.9583
    """
    if timewt not in TIMEWTS:
        raise SurvivalDataError("unknown timewt", value=timewt, expected=f"one of {TIMEWTS}")
    frame, named = resolve_fits(as_frame(data), score_names(scores))
    spec = _one_column_scores(named)
    z = stats.norm.ppf(0.5 + conf_level / 2)
    count = partial(concordance_counts, timewt=timewt, ymax=ymax, reverse=reverse)
    rows, excl, fits = [], [], {}
    for label, col in spec.items():
        out = outcome(frame, duration, event, [col], cause=cause, label=label)
        x = predictor_values(frame, out.index, col)
        fit = count(out.time, _ev(out.event, cause), x)
        fits[label] = (out, fit)
        excl.append(out.excluded)
        rows.append(_score_row(label, out, fit, cause, z))
    vcov, contrasts = _differences(_Scores(frame, duration, event, spec, cause, fits, count), z)
    return ConcordanceResult(
        table=pd.DataFrame(rows),
        vcov=vcov,
        contrasts=contrasts,
        timewt=timewt,
        ymax=ymax,
        reverse=reverse,
        conf_level=conf_level,
        excluded=concat_excluded(excl),
    )


def _one_column_scores(named: Mapping) -> dict[str, str]:
    """Label -> column; a score that is not a single column is an input error."""
    spec: dict[str, str] = {}
    for label, col in named.items():
        if not isinstance(col, str):
            raise SurvivalDataError("a concordance score must be one column", value=col)
        spec[label] = col
    return spec


def _score_row(label: str, out, fit, cause: int | None, z: float) -> dict:
    """One row of the concordance table: C, its interval, the counts."""
    se = float(np.sqrt(fit.var))
    return {
        "term": label,
        "estimate": fit.concordance,
        "std_error": se,
        "lower": fit.concordance - z * se,
        "upper": fit.concordance + z * se,
        "n": out.time.size,
        "n_events": int((_ev(out.event, cause) > 0).sum()),
        "n_missing": int(out.excluded["index"].nunique()) if len(out.excluded) else 0,
        "concordant": fit.counts[0],
        "discordant": fit.counts[1],
        "tied_x": fit.counts[2],
        "tied_y": fit.counts[3],
        "tied_xy": fit.counts[4],
    }


@dataclass(frozen=True)
class _Scores:
    """What the variance matrix and the differences need of the per-score fits."""

    frame: pd.DataFrame
    duration: str
    event: str
    spec: dict[str, str]
    cause: int | None
    fits: dict
    count: Callable

    def fit_on(self, rows: pd.Index, time, ev, label: str):
        """The score's fit on ``rows``; its own fit when its rows are exactly those."""
        own_out, own_fit = self.fits[label]
        if own_out.index.equals(rows):
            return own_fit
        x = predictor_values(self.frame, rows, self.spec[label])
        return self.count(time, _ev(ev, self.cause), x)

    def rows_of(self, cols: list[str]):
        """The outcome on the rows that have every one of ``cols``."""
        return outcome(self.frame, self.duration, self.event, cols, cause=self.cause, label="")


_CONTRAST_COLUMNS = [
    "term",
    "reference",
    "estimate",
    "std_error",
    "lower",
    "upper",
    "statistic",
    "p",
    "n",
]


def _differences(sc: _Scores, z: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Variance matrix of the C's on the rows every score has, and the pairwise differences
    on the rows each pair has."""
    labels = list(sc.spec)
    outs = [sc.fits[lab][0] for lab in labels]
    same_rows = all(o.index.equals(outs[0].index) for o in outs[1:])
    # no score-specific exclusions: the rows every score has are those of the first
    common = outs[0] if same_rows else sc.rows_of(list(dict.fromkeys(sc.spec.values())))
    dfb = {lab: sc.fit_on(common.index, common.time, common.event, lab) for lab in labels}
    mat = np.array([[dot(dfb[a].dfbeta, dfb[b].dfbeta) for b in labels] for a in labels])
    vcov = pd.DataFrame(mat, index=labels, columns=labels)
    crows = []
    for ref, term in combinations(labels, 2):
        cols = list(dict.fromkeys([sc.spec[ref], sc.spec[term]]))
        pair = common if same_rows or len(cols) == len(set(sc.spec.values())) else sc.rows_of(cols)
        if pair is common:
            fr, ft = dfb[ref], dfb[term]
        else:
            fr = sc.fit_on(pair.index, pair.time, pair.event, ref)
            ft = sc.fit_on(pair.index, pair.time, pair.event, term)
        crows.append(_difference_row(term, ref, ft, fr, pair.time.size, z))
    return vcov, pd.DataFrame(crows, columns=_CONTRAST_COLUMNS)


def _difference_row(term: str, ref: str, ft, fr, n: int, z: float) -> dict:
    """C of ``term`` minus C of ``ref`` with its infinitesimal-jackknife standard error."""
    d = ft.concordance - fr.concordance
    diff = ft.dfbeta - fr.dfbeta
    se = float(np.sqrt(dot(diff, diff)))
    zs = d / se if se > 0 else float("nan")
    return {
        "term": term,
        "reference": ref,
        "estimate": d,
        "std_error": se,
        "lower": d - z * se,
        "upper": d + z * se,
        "statistic": zs,
        "p": float(2 * stats.norm.sf(abs(zs))) if se > 0 else float("nan"),
        "n": n,
    }
