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

    Parameters
    ----------
    lab
        Display labels (the endpoint's event).
    endpoint
        ``"os"``, ``"rfs"`` or ``"hepatic_rfs"``.
    time
        The horizon in months.

    Returns
    -------
    str
        The phrase, lower case.

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

    Parameters
    ----------
    sv
        The spec's ``score_validation`` block.
    labels
        Display labels (default :func:`crlm_outcomes.labels.default_labels`).

    Returns
    -------
    str
        One paragraph: the scores, endpoint, discrimination, accuracy, calibration and
        decision-curve measures as the spec asks for them.

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
    """Add the score-validation section.

    Discrimination (C, time-dependent AUC), accuracy (Brier score, IPA), calibration and
    decision curves of each score of the spec, with pairwise differences
    (:func:`crlm_outcomes.validation.compare_scores`).

    Parameters
    ----------
    ctx
        The build context (spec, policy, writer and the analysis cohort ``ctx.data``).

    Returns
    -------
    None
        The section is appended to ``ctx.sections``; its tables and figures are written
        through ``ctx.writer`` and its counts recorded in ``ctx.ledger``.

    Raises
    ------
    SpecError
        The spec has no ``score_validation`` block.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> from crlm_outcomes.report._context import BuildContext
    >>> from crlm_outcomes.report.filters import stratify_and_filter
    >>> from crlm_outcomes.report.spec import parse_spec
    >>> from crlm_outcomes.report.suppression import SuppressionPolicy
    >>> from crlm_outcomes.report.writer import OutputWriter
    >>> spec = parse_spec({"cohort": {"demo": True}, "score_validation": {"scores": ["fong_score"], "times": [12, 36]},
    ...                    "output": {"figure_formats": ["png"], "table_formats": ["csv"]}})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     ctx = BuildContext(spec, SuppressionPolicy(enabled=False), OutputWriter(Path(tmp), spec, 1))
    ...     ctx.cohort = synthetic_cohort(200, seed=1)
    ...     steps = stratify_and_filter(ctx)
    ...     score_validation_section(ctx)
    ...     tables = sorted(p.name for p in Path(tmp, "tables").iterdir())
    >>> [b.get("name") for b in ctx.sections[-1]["blocks"]]  # doctest: +NORMALIZE_WHITESPACE
    ['score_validation', 'score_validation_time', 'score_validation_pairwise',
     'score_validation_auc', 'score_validation_calibration', 'score_validation_decision']
    """
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
    data, names = _scored_data(ctx, sv)
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
    blocks = _table_blocks(ctx, sv, title, t_cal, per_score, per_time, pw)
    blocks.extend(_figure_blocks(ctx, sv, res, t_cal))
    ctx.sections.append(
        {
            "id": "score-validation",
            "title": title,
            "paragraphs": [_method_words(sv, lab, t_cal)],
            "blocks": blocks,
        }
    )


def _scored_data(ctx: BuildContext, sv: ScoreValidationSpec) -> tuple[pd.DataFrame, dict[str, str]]:
    """The cohort with the scores as numbers, renamed to their short names (Fong, GAME, TBS)
    for every table and figure when those are distinct identifiers not already taken; and
    the renaming (column -> name used)."""
    lab = ctx.labels
    data = ctx.data.copy()
    for s in sv.scores:
        data[s] = pd.to_numeric(data[s], errors="coerce").astype("float64")
    names = {s: lab.short_name(s) for s in sv.scores}
    if (
        all(n.isidentifier() for n in names.values())
        and len(set(names.values())) == len(names)
        and not set(names.values()) & (set(data.columns) - set(names))
    ):
        return data.rename(columns=names), names
    return data, {s: s for s in sv.scores}


def _per_score_footnote(lab: Labels, sv: ScoreValidationSpec, t_cal: float) -> str:
    """The per-score table's footnote: what C and the calibration measures are."""
    if sv.method != "cox":
        how = ". "
    elif sv.bootstrap:
        how = (
            "; the risks come from a Cox model fitted in these patients, so the apparent "
            "slope is 1 by construction; the bootstrap-corrected slope measures overfitting. "
        )
    else:
        how = (
            "; the risks come from a Cox model fitted in these patients, so the apparent "
            "slope is 1 by construction (set bootstrap resamples for the corrected slope). "
        )
    return (
        "C: concordance index. Calibration slope and ICI (integrated calibration index) of "
        f"the predicted {event_risk(lab, sv.endpoint, t_cal)}"
        + how
        + "Differences (Δ) between scores use the patients with both scores. "
        + R_AGREEMENT
    )


def _table_blocks(
    ctx: BuildContext,
    sv: ScoreValidationSpec,
    title: str,
    t_cal: float,
    per_score: pd.DataFrame,
    per_time: pd.DataFrame,
    pw: pd.DataFrame,
) -> list[dict[str, Any]]:
    """The per-score, per-time and pairwise tables."""
    return [
        ctx.writer.table(
            per_score,
            "score_validation",
            f"{title}: patients, discrimination (C) and calibration at {t_cal:g} months",
            footnote=_per_score_footnote(ctx.labels, sv, t_cal),
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
        ctx.writer.table(
            pw,
            "score_validation_pairwise",
            "Differences between the scores (patients with both scores)",
        ),
    ]


def _figure_blocks(
    ctx: BuildContext, sv: ScoreValidationSpec, res: Any, t_cal: float
) -> list[dict[str, Any]]:
    """The AUC, calibration and decision-curve figures."""
    lab = ctx.labels
    risk = event_risk(lab, sv.endpoint, t_cal)
    return [
        ctx.writer.figure(
            "score_validation_auc",
            "Time-dependent AUC with 95% pointwise confidence bands.",
            _auc,
            res,
            lab.time_label(sv.endpoint),
        ),
        ctx.writer.figure(
            "score_validation_calibration",
            f"Calibration at {t_cal:g} months: observed (Kaplan-Meier) "
            "against predicted risk by risk group, with the smooth "
            "calibration curve; dashed: perfect calibration.",
            _calibration,
            res,
            f"Predicted {risk}",
            f"Observed {risk}",
        ),
        ctx.writer.figure(
            "score_validation_decision",
            f"Decision curves at {t_cal:g} months: net benefit of "
            "acting on each score's predicted risk against treating "
            "all or none.",
            _decision,
            res,
            f"Threshold probability ({risk})",
        ),
    ]


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
