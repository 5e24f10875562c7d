"""Score-validation section: discrimination, accuracy, calibration and decision curves of
prognostic scores, compared pairwise (:func:`crlm_outcomes.validation.compare_scores`; C as
``survival::concordance``, AUC/Brier/IPA as ``riskRegression::Score``). The report says what
was computed in words; the R functions it agrees with are named in a table footnote."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from crlm_outcomes.errors import SpecError
from crlm_outcomes.labels import Labels, default_labels, lower_first
from crlm_outcomes.report._context import BuildContext
from crlm_outcomes.report.formatting import format_p
from crlm_outcomes.report.sections._common import skipped, unusable
from crlm_outcomes.report.sections._disclosure import score_counts
from crlm_outcomes.report.spec import ENDPOINTS, ScoreValidationSpec

__all__ = ["score_validation_section", "score_validation_methods", "event_risk"]


#: Where each measure agrees with R (a footnote: the reader gets the method in words).
R_AGREEMENT = (
    "Computed by crlm_outcomes and checked against R: C as survival::concordance, "
    "time-dependent AUC, Brier score and IPA as riskRegression::Score."
)


def _auc(res: Any, xlabel: str) -> plt.Axes:
    return res.plot_auc(xlabel=xlabel)


def _calibration(res: Any, xlabel: str, ylabel: str) -> plt.Axes:
    return res.plot_calibration(xlabel=xlabel, ylabel=ylabel)


def _decision(res: Any, xlabel: str) -> plt.Axes:
    return res.plot_decision(xlabel=xlabel)


def event_risk(lab: Labels, endpoint: str, time: float) -> str:
    """``risk of death by 60 months``: the risk a prediction or threshold is of, with the
    endpoint's event and the time unit.

    Examples
    --------
    >>> event_risk(default_labels(), "rfs", 36)
    'risk of recurrence or death by 36 months'
    """
    event = lab.events.get(endpoint)
    what = f"risk of {lower_first(event)}" if event else "risk of the event"
    return f"{what} by {time:g} months"


def _method_words(sv: ScoreValidationSpec, lab: Labels, calibration_time: float | None) -> str:
    """What the section computed, in words a reader follows (no software names)."""
    scores = ", ".join(
        f"{lab.variable(s)} ({lab.short_name(s)})"
        if lab.short_name(s) != lab.variable(s)
        else lab.variable(s)
        for s in sv.scores
    )
    times = ", ".join(f"{t:g}" for t in sv.times)
    tw = (
        "Harrell's C (every comparable pair of patients counts equally)"
        if sv.timewt == "n"
        else "Uno's C (pairs weighted by the inverse probability of remaining uncensored)"
    )
    risk = (
        "a Cox model with the score as a linear term"
        if sv.method == "cox"
        else "the Kaplan-Meier risk of each score level"
    )
    origin = lab.origins.get(sv.endpoint)
    boot = (
        f" Optimism in C was corrected with {sv.bootstrap} bootstrap resamples (Harrell's method)."
        if sv.bootstrap
        else ""
    )
    cal = (
        f" Calibration was assessed at {calibration_time:g} months"
        if calibration_time is not None
        else " Calibration was assessed"
    )
    return (
        f"Prognostic scores ({scores}) were compared for "
        f"{lower_first(lab.endpoint(sv.endpoint))}"
        + (f", time in months from {origin}" if origin else "")
        + ". "
        f"Discrimination: {tw}, the probability that of two patients the one with the "
        "earlier event had the higher score, with its standard error by the "
        "infinitesimal jackknife; and the time-dependent area under the ROC curve (AUC) at "
        f"{times} months, comparing patients with an event by that time with those still "
        "event-free, weighted by the inverse probability of remaining uncensored "
        "(Kaplan-Meier estimate of censoring). Each score was turned into predicted risks "
        f"with {risk}; accuracy was measured by the Brier score (mean squared difference "
        "between predicted risk and outcome, lower is better) and the index of prediction "
        "accuracy (IPA: the relative gain in Brier score over a model without the score)."
        + cal
        + " by the calibration slope, observed (Kaplan-Meier) against predicted risk "
        "in risk groups with a smooth calibration curve and the integrated calibration "
        "index (ICI; Austin, Harrell & van Klaveren 2020), and clinical usefulness by "
        "decision curves (net benefit across risk thresholds; Vickers et al. 2008). "
        "Patients without a score were excluded for that score only; differences between "
        "scores were computed on the patients with both." + boot
    )


def score_validation_methods(sv: ScoreValidationSpec, labels: Labels | None = None) -> str:
    """The methods paragraph of the section (what :func:`compare_scores` computes), in words.

    Examples
    --------
    >>> from crlm_outcomes.report.spec import ScoreValidationSpec
    >>> text = score_validation_methods(ScoreValidationSpec(scores=["fong_score"]))
    >>> "Harrell's C" in text and "::" not in text
    True
    """
    return _method_words(sv, labels or default_labels(), None)


def _scores_published(res: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two narrow tables: per score (patients, C, calibration) and per score and time (AUC,
    Brier score, IPA). The counts stay numbers: :func:`~crlm_outcomes.report.sections.
    _disclosure.score_counts` suppresses and formats them."""
    t = res.table

    def ci(r: Any) -> str:
        return f"{r.estimate:.3f} ({r.lower:.3f}–{r.upper:.3f})"

    def count(v: Any) -> int:
        return int(v)

    per_score, per_time = [], []
    for term in res.concordance.table["term"].astype(str):
        sub = t[t["term"].astype(str) == term]
        c = sub[sub["metric"] == "C"].iloc[0]
        row = {
            "Score": term,
            "Patients": count(c.n),
            "Events": count(c.n_events),
            "Missing score": count(c.n_missing),
            "C (95% CI)": ci(c),
        }
        corrected = sub[sub["metric"] == "C (corrected)"]
        if len(corrected):
            row["C, optimism-corrected"] = f"{corrected['estimate'].iloc[0]:.3f}"
        slope = sub[sub["metric"] == "calibration slope"]
        if len(slope):
            row["Calibration slope (95% CI)"] = ci(slope.iloc[0])
        ici = sub[sub["metric"] == "ICI"]
        if len(ici):
            row["ICI"] = f"{ici['estimate'].iloc[0]:.3f}"
        per_score.append(row)
        for time in res.times:
            at = sub[sub["time"] == time]

            def one(metric: str, at: pd.DataFrame = at) -> pd.Series:
                return at[at["metric"] == metric].iloc[0]

            per_time.append(
                {
                    "Score": term,
                    "Months": f"{time:g}",
                    "AUC (95% CI)": ci(one("AUC")),
                    "Brier score": f"{one('Brier').estimate:.3f}",
                    "IPA": f"{one('IPA').estimate:.3f}",
                }
            )
    return pd.DataFrame(per_score), pd.DataFrame(per_time)


def score_validation_section(ctx: BuildContext) -> None:
    """Add the score-validation section."""
    from crlm_outcomes.validation import compare_scores

    sv = ctx.spec.score_validation
    if sv is None:  # the build adds this section only for a spec with the block
        raise SpecError(
            "the analysis spec has no score_validation block", column="score_validation"
        )
    duration, event = ENDPOINTS[sv.endpoint]
    lab = ctx.labels
    title = f"Prognostic scores: {lab.endpoint(sv.endpoint)}"
    why = unusable(ctx, duration, event, *sv.scores)
    if why:
        skipped(ctx, "score-validation", title, why)
        return
    data = ctx.data.copy()
    for s in sv.scores:
        data[s] = pd.to_numeric(data[s], errors="coerce").astype("float64")
    # the scores by their short names (Fong, GAME, TBS) in every table and figure
    names = {s: lab.short_name(s) for s in sv.scores}
    if (
        all(n.isidentifier() for n in names.values())
        and len(set(names.values())) == len(names)
        and not set(names.values()) & (set(data.columns) - set(names))
    ):
        data = data.rename(columns=names)
    else:
        names = {s: s for s in sv.scores}
    ctx.seeds["score_validation_bootstrap"] = sv.seed
    with ctx.collect_warnings(title):
        res = compare_scores(
            data,
            duration,
            event,
            list(names.values()),
            sv.times,
            method=sv.method,
            timewt=sv.timewt,
            n_boot=sv.bootstrap,
            seed=sv.seed,
        )
    t_cal = res.calibration.time
    per_score, per_time = _scores_published(res)
    # the counts are suppressed, linked to the other sections' patient sets and recorded in
    # the disclosure ledger together (patients + missing score = the analysis cohort)
    per_score, pw = score_counts(
        ctx,
        res,
        per_score.rename(columns={"Patients": "n"}),
        _pairwise_published(res.pairwise),
        duration,
        event,
        names,
    )
    per_score = per_score.rename(columns={"n": "Patients"})
    pw = pw.rename(columns={"n": "patients"})
    blocks = [
        ctx.writer.table(
            per_score,
            "score_validation",
            f"{title}: patients, discrimination (C) and calibration at {t_cal:g} months",
            footnote="C: concordance index. Calibration slope and ICI "
            "(integrated calibration index) of the predicted "
            f"{event_risk(lab, sv.endpoint, t_cal)}"
            + (
                "; the risks come from a Cox model fitted in these "
                "patients, so the apparent slope is 1 by "
                "construction"
                + (
                    "; the bootstrap-corrected slope measures overfitting. "
                    if sv.bootstrap
                    else " (set bootstrap resamples for the corrected slope). "
                )
                if sv.method == "cox"
                else ". "
            )
            + "Differences (Δ) between scores use the patients "
            "with both scores. " + R_AGREEMENT,
        ),
        ctx.writer.table(
            per_time,
            "score_validation_time",
            f"{title}: time-dependent AUC, Brier score and IPA",
            footnote="AUC: area under the time-dependent ROC curve "
            "(cumulative cases, dynamic controls); IPA: index of "
            "prediction accuracy (gain in Brier score over a "
            "model without the score).",
        ),
    ]
    blocks.append(
        ctx.writer.table(
            pw,
            "score_validation_pairwise",
            "Differences between the scores (patients with both scores)",
        )
    )
    blocks.append(
        ctx.writer.figure(
            "score_validation_auc",
            "Time-dependent AUC with 95% pointwise confidence bands.",
            _auc,
            res,
            lab.time_label(sv.endpoint),
        )
    )
    risk = event_risk(lab, sv.endpoint, t_cal)
    blocks.append(
        ctx.writer.figure(
            "score_validation_calibration",
            f"Calibration at {t_cal:g} months: observed (Kaplan-Meier) "
            "against predicted risk by risk group, with the smooth "
            "calibration curve; dashed: perfect calibration.",
            _calibration,
            res,
            f"Predicted {risk}",
            f"Observed {risk}",
        )
    )
    blocks.append(
        ctx.writer.figure(
            "score_validation_decision",
            f"Decision curves at {t_cal:g} months: net benefit of "
            "acting on each score's predicted risk against treating "
            "all or none.",
            _decision,
            res,
            f"Threshold probability ({risk})",
        )
    )
    ctx.sections.append(
        {
            "id": "score-validation",
            "title": title,
            "paragraphs": [_method_words(sv, lab, t_cal)],
            "blocks": blocks,
        }
    )


def _pairwise_published(pw: pd.DataFrame) -> pd.DataFrame:
    """Pairwise differences as published: difference (95% CI) to 3 decimals, p as
    ``<0.001`` or three decimals, readable column names."""

    def diff(r: Any) -> str:
        if pd.isna(r.estimate):
            return ""
        if pd.isna(r.lower) or pd.isna(r.upper):
            return f"{r.estimate:+.3f}"
        return f"{r.estimate:+.3f} ({r.lower:+.3f} to {r.upper:+.3f})"

    return pd.DataFrame(
        {
            "score": pw["term"].astype(str),
            "compared with": pw["reference"].astype(str),
            "measure": pw["metric"].astype(str),
            "months": [("" if pd.isna(v) else f"{v:g}") for v in pw["time"]],
            "difference (95% CI)": [diff(r) for r in pw.itertuples(index=False)],
            "p": [format_p(v) for v in pw["p"]],
        }
    )
