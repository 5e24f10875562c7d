"""One call for the comparison of prognostic scores that a paper needs: discrimination (C,
AUC(t)), overall accuracy (Brier, IPA), calibration, clinical usefulness (decision curves),
optionally bootstrap optimism correction, with pairwise differences and the methods text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crlm_outcomes._display import frames_html, percent_level
from crlm_outcomes._result import Result
from crlm_outcomes.errors import SurvivalDataError
from crlm_outcomes.validation._inputs import as_frame, concat_excluded, outcome
from crlm_outcomes.validation._timed import check_times
from crlm_outcomes.validation.auc import TimeAUCResult, time_auc
from crlm_outcomes.validation.bootstrap import BootstrapResult, Progress, bootstrap_validation
from crlm_outcomes.validation.brier import BrierResult, brier_score
from crlm_outcomes.validation.calibration import CalibrationResult, calibration
from crlm_outcomes.validation.concordance import ConcordanceResult, concordance
from crlm_outcomes.validation.decision import DecisionCurveResult, decision_curve
from crlm_outcomes.validation.risk_model import predicted_risk, risk_columns

__all__ = ["ScoreComparison", "compare_scores"]

_METHOD_NAME = {
    "km": "Kaplan-Meier estimate of each score level",
    "cox": "Cox model with the score as a linear term",
}


@dataclass(frozen=True, eq=False, repr=False)
class ScoreComparison(Result):
    """Everything :func:`compare_scores` computed.

    Attributes
    ----------
    table
        Tidy: term (score), metric ("C", "AUC", "Brier", "IPA", "calibration slope", and with
        the bootstrap "C (corrected)", ...), time, estimate, std_error, lower, upper, n,
        n_events, n_missing.
    pairwise
        term, reference, metric ("C" or "AUC"), time, estimate (term minus reference),
        std_error, lower, upper, p, n (patients both scores have).
    concordance, auc, brier, calibration, decision, bootstrap
        The underlying results (``bootstrap``: score -> :class:`BootstrapResult`, empty without
        resamples).
    risks
        Predicted risks from each score, one column per time (``<score>_risk_<t>``).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [5, 8, 3, 10, 2, 7, 12, 4, 15, 9, 6, 11],
    ...                   "e": [1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1],
    ...                   "score": [2, 1, 3, 0, 1, 2, 1, 2, 0, 3, 1, 1],
    ...                   "p": [0.6, 0.3, 0.5, 0.2, 0.8, 0.4, 0.2, 0.5, 0.1, 0.3, 0.4, 0.35]})
    >>> r = compare_scores(d, "t", "e", ["score", "p"], times=[8])
    >>> r
    <ScoreComparison of score, p at t=8>
    >>> list(dict.fromkeys(r.table["metric"]))[:5]
    ['C', 'AUC', 'Brier', 'IPA', 'calibration slope']
    >>> dc = r.pairwise.iloc[0]  # C of p minus C of score
    >>> dc["metric"], round(float(dc["estimate"]), 3), round(float(dc["p"]), 3)
    ('C', 0.178, 0.19)
    """

    table: pd.DataFrame
    pairwise: pd.DataFrame
    concordance: ConcordanceResult
    auc: TimeAUCResult
    brier: BrierResult
    calibration: CalibrationResult
    decision: DecisionCurveResult
    bootstrap: dict[str, BootstrapResult]
    risks: pd.DataFrame = field(repr=False)
    times: list[float] = field(default_factory=list)
    method: str = "cox"
    cause: int | None = None
    timewt: str = "n"
    conf_level: float = 0.95
    excluded: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def __repr__(self) -> str:
        terms = ", ".join(self.concordance.table["term"].astype(str))
        return f"<ScoreComparison of {terms} at t={', '.join(f'{t:g}' for t in self.times)}>"

    def paper_table(self, digits: int = 3) -> pd.DataFrame:
        """Wide table of formatted strings, one row per score: n, events, C (CI), AUC(t) (CI),
        Brier(t), IPA(t), calibration slope (CI), with a bootstrap the optimism-corrected C and
        calibration slope, and ΔC / ΔAUC with p against the first score (on the patients both
        scores have).

        Parameters
        ----------
        digits
            Decimals of the estimates and limits (p values keep three).

        Returns
        -------
        pandas.DataFrame
            One row per score, columns as listed above (strings, except n, Events and
            Missing score); the Δ columns are empty for the first score.

        Examples
        --------
        >>> import pandas as pd
        >>> d = pd.DataFrame({"t": [5, 8, 3, 10, 2, 7, 12, 4, 15, 9, 6, 11],
        ...                   "e": [1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1],
        ...                   "score": [2, 1, 3, 0, 1, 2, 1, 2, 0, 3, 1, 1],
        ...                   "p": [0.6, 0.3, 0.5, 0.2, 0.8, 0.4, 0.2, 0.5, 0.1, 0.3, 0.4, 0.35]})
        >>> r = compare_scores(d, "t", "e", ["score", "p"], times=[8])
        >>> row = r.paper_table(digits=2).iloc[1]
        >>> row["Score"], row["C (95% CI)"], row["ΔC vs score, common patients (p)"]
        ('p', '0.92 (0.83–1.01)', '+0.18 (p = 0.190)')
        """
        f = f"{{:.{digits}f}}"
        level = f"{percent_level(self.conf_level)}% CI"

        def ci(r):
            return f"{f.format(r.estimate)} ({f.format(r.lower)}–{f.format(r.upper)})"

        rows = []
        first = str(self.concordance.table["term"].iloc[0])
        for term in self.concordance.table["term"]:
            sub = self.table[self.table["term"] == term]
            c = sub[sub["metric"] == "C"].iloc[0]
            row = {
                "Score": term,
                "n": int(c.n),
                "Events": int(c.n_events),
                "Missing score": int(c.n_missing),
                f"C ({level})": ci(c),
            }
            for t in self.times:
                a = sub[(sub["metric"] == "AUC") & (sub["time"] == t)].iloc[0]
                row[f"AUC({t:g}) ({level})"] = ci(a)
                b = sub[(sub["metric"] == "Brier") & (sub["time"] == t)].iloc[0]
                i = sub[(sub["metric"] == "IPA") & (sub["time"] == t)].iloc[0]
                row[f"Brier({t:g})"] = f.format(b.estimate)
                row[f"IPA({t:g})"] = f.format(i.estimate)
            s = sub[sub["metric"] == "calibration slope"].iloc[0]
            row[f"Calibration slope({s.time:g}) ({level})"] = ci(s)
            # optimism-corrected C and slope (the apparent slope of the score's own Cox risk
            # model is 1 by construction: only the corrected one says something)
            cc = sub[sub["metric"] == "C (corrected)"]
            if len(cc):
                row["C (corrected)"] = f.format(cc["estimate"].iloc[0])
            cs = sub[(sub["metric"] == "calibration slope (corrected)") & (sub["time"] == s.time)]
            if len(cs):
                row[f"Calibration slope({s.time:g}) (corrected)"] = f.format(cs["estimate"].iloc[0])
            if term != first:
                pw = self.pairwise[
                    (self.pairwise["term"] == term) & (self.pairwise["reference"] == first)
                ]
                dc = pw[pw["metric"] == "C"].iloc[0]
                row[f"ΔC vs {first}, common patients (p)"] = (
                    f"{dc.estimate:+.{digits}f} ({_p(dc.p)})"
                )
                for t in self.times:
                    da = pw[(pw["metric"] == "AUC") & (pw["time"] == t)].iloc[0]
                    row[f"ΔAUC({t:g}) vs {first}, common patients (p)"] = (
                        f"{da.estimate:+.{digits}f} ({_p(da.p)})"
                    )
            rows.append(row)
        return pd.DataFrame(rows).fillna("")

    def methods_text(self) -> str:
        """A methods paragraph describing exactly what was computed.

        Returns
        -------
        str
            One paragraph: the concordance and AUC estimators and times, the risk model, the
            accuracy, calibration and decision-curve measures, the handling of missing scores,
            and the competing-risk and bootstrap settings when they apply.

        Examples
        --------
        >>> import pandas as pd
        >>> d = pd.DataFrame({"t": [5, 8, 3, 10, 2, 7, 12, 4, 15, 9, 6, 11],
        ...                   "e": [1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1],
        ...                   "score": [2, 1, 3, 0, 1, 2, 1, 2, 0, 3, 1, 1],
        ...                   "p": [0.6, 0.3, 0.5, 0.2, 0.8, 0.4, 0.2, 0.5, 0.1, 0.3, 0.4, 0.35]})
        >>> r = compare_scores(d, "t", "e", ["score", "p"], times=[8])
        >>> r.methods_text().split(";")[0]
        "Discrimination was measured with Harrell's concordance index (standard error by the
        infinitesimal jackknife, as in R's survival::concordance) and the cumulative/dynamic
        time-dependent AUC at 8 with inverse probability of censoring weights from the
        Kaplan-Meier estimate of the censoring distribution and influence-function standard
        errors (as riskRegression::Score). Scores were turned into predicted risks with a Cox
        model with the score as a linear term"
        """
        tw = {"n": "Harrell's", "n/G2": "Uno's"}.get(self.timewt, f'the "{self.timewt}"-weighted')
        ts = ", ".join(f"{t:g}" for t in self.times)
        cr = (
            ""
            if self.cause is None
            else f" Competing events were handled with cause {self.cause} as the event of interest "
            "(cases: events of that cause by t; controls: event-free or other events; "
            "Aalen-Johansen and Fine-Gray estimators)."
        )
        boot = ""
        if self.bootstrap:
            nb = next(iter(self.bootstrap.values())).n_boot
            boot = (
                f" Internal validity was assessed with {nb} bootstrap resamples "
                "(Harrell's optimism correction)."
            )
        return (
            f"Discrimination was measured with {tw} concordance index (standard error by the "
            "infinitesimal jackknife, as in R's survival::concordance) and the cumulative/"
            f"dynamic time-dependent AUC at {ts} with inverse probability of censoring "
            "weights from the Kaplan-Meier estimate of the censoring distribution and "
            "influence-function standard errors (as riskRegression::Score). Scores were turned "
            f"into predicted risks with a {_METHOD_NAME[self.method]}; overall accuracy was "
            "measured with the IPCW Brier score and the index of prediction accuracy (IPA) "
            "against the null (Kaplan-Meier) model, calibration with the calibration slope, "
            "grouped observed-versus-predicted risks and the smooth calibration curve with "
            "ICI/E50/E90 (Austin, Harrell and van Klaveren 2020), and clinical usefulness with "
            "decision curves (Vickers et al. 2008). Patients without a score were excluded for "
            "that score only; pairwise differences in C and AUC were computed on the patients "
            f"with both scores.{cr}{boot}"
        )

    def summary(self) -> str:
        """The paper table and the pairwise differences as text.

        Returns
        -------
        str
            A heading, :meth:`paper_table` with three decimals and the :attr:`pairwise`
            differences.

        Examples
        --------
        >>> import pandas as pd
        >>> d = pd.DataFrame({"t": [5, 8, 3, 10, 2, 7, 12, 4, 15, 9, 6, 11],
        ...                   "e": [1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1],
        ...                   "score": [2, 1, 3, 0, 1, 2, 1, 2, 0, 3, 1, 1],
        ...                   "p": [0.6, 0.3, 0.5, 0.2, 0.8, 0.4, 0.2, 0.5, 0.1, 0.3, 0.4, 0.35]})
        >>> r = compare_scores(d, "t", "e", ["score", "p"], times=[8])
        >>> print("\\n".join(r.summary().splitlines()[-4:]))
        Pairwise differences (patients with both scores):
        term reference metric  time  estimate  std_error    lower  upper      p  n
           p     score      C   NaN    0.1778     0.1356 -0.08805 0.4436 0.1899 12
           p     score    AUC     8     0.225     0.1642 -0.09685 0.5469 0.1706 12
        """
        return "\n".join(
            [
                "Comparison of prognostic scores",
                self.paper_table().to_string(index=False),
                "",
                "Pairwise differences (patients with both scores):",
                self.pairwise.to_string(index=False, float_format=lambda v: f"{v:.4g}"),
            ]
        )

    def plot(self, ax=None):
        """AUC(t) over time, one line per score (the same as :meth:`plot_auc`; see also
        :meth:`plot_calibration`, :meth:`plot_decision`).

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
        >>> r = compare_scores(d, "t", "e", ["score", "p"], times=[8])
        >>> ax = r.plot()
        >>> ax.get_ylabel(), [t.get_text() for t in ax.get_legend().get_texts()]
        ('AUC(t)', ['score', 'p'])
        >>> plt.close(ax.figure)
        """
        return self.auc.plot(ax=ax)

    def plot_auc(self, ax=None, **kwargs):
        """AUC(t) over time with pointwise confidence bands, one line per score.

        Parameters
        ----------
        ax
            A matplotlib Axes to draw on; default a new figure in the publication style.
        **kwargs
            Options of :func:`crlm_outcomes.plots.validation.auc_time_plot` (``xlabel=``,
            ...).

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
        >>> r = compare_scores(d, "t", "e", ["score", "p"], times=[8])
        >>> ax = r.plot_auc(xlabel="Months")
        >>> ax.get_xlabel(), ax.get_ylabel()
        ('Months', 'AUC(t)')
        >>> plt.close(ax.figure)
        """
        return self.auc.plot(ax=ax, **kwargs)

    def plot_calibration(self, ax=None, **kwargs):
        """Calibration plot of the scores' predicted risks at the first time.

        Parameters
        ----------
        ax
            A matplotlib Axes to draw on; default a new figure in the publication style.
        **kwargs
            Options of :func:`crlm_outcomes.plots.validation.calibration_plot`
            (``xlabel=``, ``ylabel=``, ...).

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
        >>> r = compare_scores(d, "t", "e", ["score", "p"], times=[8])
        >>> ax = r.plot_calibration()
        >>> ax.get_xlabel(), [t.get_text() for t in ax.get_legend().get_texts()]
        ('Predicted risk at 8', ['score', 'p'])
        >>> plt.close(ax.figure)
        """
        return self.calibration.plot(ax=ax, **kwargs)

    def plot_decision(self, ax=None, **kwargs):
        """Decision curves of the scores' predicted risks at the first time, with "treat all"
        and "treat none".

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
        >>> r = compare_scores(d, "t", "e", ["score", "p"], times=[8])
        >>> ax = r.plot_decision(xlabel="Risk threshold")
        >>> ax.get_xlabel(), [t.get_text() for t in ax.get_legend().get_texts()]
        ('Risk threshold', ['score', 'p', 'treat all', 'treat none'])
        >>> plt.close(ax.figure)
        """
        return self.decision.plot(ax=ax, **kwargs)

    def _repr_html_(self) -> str:
        return frames_html(
            "Comparison of prognostic scores",
            {"": self.paper_table(), "pairwise": self.pairwise},
            notes={"risk model": _METHOD_NAME[self.method], "rows excluded": self.n_excluded},
        )


def _p(p: float) -> str:
    if not np.isfinite(p):
        return "p = NA"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def compare_scores(
    data,
    duration: str,
    event: str,
    scores: Sequence[str],
    times: float | Sequence[float],
    *,
    cause: int | None = None,
    method: str = "cox",
    timewt: str = "n",
    calibration_time: float | None = None,
    groups: int = 10,
    thresholds: Sequence[float] | None = None,
    n_boot: int = 0,
    seed: int | None = None,
    progress: bool | Progress = False,
    conf_level: float = 0.95,
) -> ScoreComparison:
    """Compare prognostic scores: C, AUC(t), Brier/IPA, calibration, decision curves.

    Parameters
    ----------
    data, duration, event
        DataFrame or Cohort; follow-up time and event code.
    scores
        Score columns (higher = worse prognosis). The first is the reference of the differences.
    times
        Horizons for AUC, Brier and IPA.
    cause
        Event code of interest for competing risks; ``None`` for survival.
    method
        How a score becomes a predicted risk (for Brier, IPA, calibration, decision curves):
        ``"cox"`` (Cox/Fine-Gray with the score as a linear term) or ``"km"`` (per level).
    timewt
        Concordance weighting: ``"n"`` (Harrell) or ``"n/G2"`` (Uno), as survival.
    calibration_time
        Horizon of calibration and decision curves (default: the last of ``times``).
    groups
        Number of risk groups of the calibration plot.
    thresholds
        Threshold probabilities of the decision curves (default 0.01..0.99).
    n_boot, seed, progress
        Bootstrap optimism correction (0 = none), its seed and progress report.
    conf_level
        Level of the confidence intervals.

    Returns
    -------
    ScoreComparison

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> a = rng.integers(0, 5, 200); b = a + rng.integers(0, 3, 200)
    >>> t = rng.exponential(20 / np.exp(0.4 * a))
    >>> d = pd.DataFrame({"t": np.minimum(t, 30), "e": (t < 30).astype(int), "A": a, "B": b})
    >>> res = compare_scores(d, "t", "e", ["A", "B"], times=[6, 12])
    >>> list(res.paper_table()["Score"])
    ['A', 'B']
    """
    frame = as_frame(data)
    scores = [scores] if isinstance(scores, str) else list(scores)
    if not scores:
        raise SurvivalDataError("no scores given", expected="one or more score columns")
    tt = check_times(times)
    t_cal = float(tt[-1] if calibration_time is None else calibration_time)
    risk_times = sorted(set(tt) | {t_cal})
    conc = concordance(
        frame, duration, event, scores, timewt=timewt, cause=cause, conf_level=conf_level
    )
    auc = time_auc(frame, duration, event, scores, tt, cause=cause, conf_level=conf_level)
    risks, work = _predicted_risks(frame, duration, event, scores, risk_times, method, cause)
    by_time = {s: risk_columns(s, risk_times) for s in scores}
    idx = [risk_times.index(t) for t in tt]
    brier = brier_score(
        work,
        duration,
        event,
        {s: [by_time[s][i] for i in idx] for s in scores},
        tt,
        cause=cause,
        conf_level=conf_level,
    )
    cal_cols = {s: by_time[s][risk_times.index(t_cal)] for s in scores}
    cal = calibration(
        work, duration, event, cal_cols, t_cal, groups=groups, cause=cause, conf_level=conf_level
    )
    dca = decision_curve(work, duration, event, cal_cols, t_cal, thresholds=thresholds, cause=cause)
    boots = {}
    if n_boot:
        for s in scores:
            boots[s] = bootstrap_validation(
                frame,
                duration,
                event,
                s,
                tt,
                method=method,
                n_boot=n_boot,
                seed=seed,
                cause=cause,
                progress=progress,
            )
    ctab = conc.table.set_index("term")
    rows = []
    for s in scores:
        common = _score_counts(frame, duration, event, s, ctab.loc[s], cause)
        rows.extend(_concordance_auc_rows(common, ctab.loc[s], auc.table, brier.table, tt))
        rows.extend(_calibration_rows(common, cal.table, t_cal))
        if s in boots:
            rows.extend(_corrected_rows(common, boots[s].table))
    return ScoreComparison(
        table=pd.DataFrame(rows)[_TABLE_COLUMNS],
        pairwise=_pairwise_table(conc, auc),
        concordance=conc,
        auc=auc,
        brier=brier,
        calibration=cal,
        decision=dca,
        bootstrap=boots,
        risks=risks,
        times=tt,
        method=method,
        cause=cause,
        timewt=timewt,
        conf_level=conf_level,
        excluded=concat_excluded([conc.excluded]),
    )


_TABLE_COLUMNS = [
    "term",
    "metric",
    "time",
    "estimate",
    "std_error",
    "lower",
    "upper",
    "n",
    "n_events",
    "n_missing",
]


def _predicted_risks(frame, duration, event, scores, risk_times, method, cause):
    """Each score's predicted risks at ``risk_times`` and the frame the accuracy metrics use
    (follow-up, event and those risk columns)."""
    risk_frames = [
        predicted_risk(frame, duration, event, s, risk_times, method=method, cause=cause)
        for s in scores
    ]
    risks = pd.concat(risk_frames, axis=1)
    work = pd.concat([frame[[duration, event]], risks], axis=1)
    return risks, work


def _score_counts(frame, duration, event, score, c, cause) -> dict:
    """The term and counts shared by every row of one score (events of ``cause`` under
    competing risks)."""
    common = {
        "term": score,
        "n": int(c["n"]),
        "n_events": int(c["n_events"]),
        "n_missing": int(c["n_missing"]),
    }
    if cause is not None:
        out = outcome(frame, duration, event, [score], cause=cause, label=score)
        common["n_events"] = int((out.event == cause).sum())
    return common


def _row(common, metric, time, estimate, std_error=np.nan, lower=np.nan, upper=np.nan) -> dict:
    """One row of the tidy comparison table."""
    return {
        **common,
        "metric": metric,
        "time": time,
        "estimate": estimate,
        "std_error": std_error,
        "lower": lower,
        "upper": upper,
    }


def _interval_row(common, metric, time, r) -> dict:
    """A row whose estimate, standard error and interval come from a result-table row."""
    return _row(common, metric, time, r["estimate"], r["std_error"], r["lower"], r["upper"])


def _concordance_auc_rows(common, c, auc_table, brier_table, tt) -> list[dict]:
    """C, then per time AUC, Brier and IPA of one score."""
    s = common["term"]
    rows = [_interval_row(common, "C", np.nan, c)]
    for t in tt:
        a = auc_table[(auc_table["term"] == s) & (auc_table["time"] == t)].iloc[0]
        rows.append(_interval_row(common, "AUC", t, a))
        b = brier_table[(brier_table["term"] == s) & (brier_table["time"] == t)].iloc[0]
        rows.append(_interval_row(common, "Brier", t, b))
        rows.append(_row(common, "IPA", t, b["ipa"]))
    return rows


def _calibration_rows(common, cal_table, t_cal) -> list[dict]:
    """Calibration slope (with its interval), calibration-in-the-large, ICI, E50, E90."""
    k = cal_table[cal_table["term"] == common["term"]].iloc[0]
    rows = [
        _row(
            common,
            "calibration slope",
            t_cal,
            k["slope"],
            k["slope_std_error"],
            k["slope_lower"],
            k["slope_upper"],
        )
    ]
    for name in ("citl", "ici", "e50", "e90"):
        metric = name.upper() if name != "citl" else "calibration-in-the-large"
        rows.append(_row(common, metric, t_cal, k[name]))
    return rows


def _corrected_rows(common, boot_table) -> list[dict]:
    """The bootstrap optimism-corrected metrics of one score."""
    return [
        _row(
            common,
            f"{r['metric']} (corrected)",
            np.nan if r["metric"] == "C" else r["time"],
            r["corrected"],
        )
        for _, r in boot_table.iterrows()
    ]


def _pairwise_table(conc, auc) -> pd.DataFrame:
    """Differences in C and AUC(t) against the reference score, on common patients."""
    pw = [conc.contrasts.assign(metric="C", time=np.nan), auc.contrasts.assign(metric="AUC")]
    return pd.concat(pw, ignore_index=True)[
        ["term", "reference", "metric", "time", "estimate", "std_error", "lower", "upper", "p", "n"]
    ]
