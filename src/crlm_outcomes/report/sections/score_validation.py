"""Score-validation section: discrimination, accuracy, calibration and decision curves of
prognostic scores, compared pairwise (:func:`crlm_outcomes.validation.compare_scores`; C as
``survival::concordance``, AUC/Brier/IPA as ``riskRegression::Score``)."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from crlm_outcomes.labels import Labels, default_labels, lower_first
from crlm_outcomes.report._context import BuildContext
from crlm_outcomes.report.formatting import format_p
from crlm_outcomes.report.sections._common import skipped, unusable
from crlm_outcomes.report.sections._disclosure import score_counts
from crlm_outcomes.report.spec import ENDPOINTS, ScoreValidationSpec

__all__ = ["score_validation_section", "score_validation_methods"]


def _auc(res: Any, xlabel: str) -> plt.Axes:
    return res.plot_auc(xlabel=xlabel)


def _calibration(res: Any) -> plt.Axes:
    return res.plot_calibration()


def _decision(res: Any) -> plt.Axes:
    return res.plot_decision()


def score_validation_methods(sv: ScoreValidationSpec, labels: Labels | None = None) -> str:
    """The methods paragraph of the section (what :func:`compare_scores` computes)."""
    lab = labels or default_labels()
    scores = ", ".join(f"{lab.variable(s)} ({lab.short_name(s)})" if lab.short_name(s) !=
                       lab.variable(s) else lab.variable(s) for s in sv.scores)
    tw = "Harrell's" if sv.timewt == "n" else "Uno's"
    risk = ("a Cox model with the score as a linear term" if sv.method == "cox"
            else "the Kaplan-Meier risk of each score level")
    boot = (f" Optimism was corrected with {sv.bootstrap} bootstrap resamples (Harrell)."
            if sv.bootstrap else "")
    return (f"Prognostic scores ({scores}) were compared for "
            f"{lower_first(lab.endpoint(sv.endpoint))}: {tw} C (infinitesimal-jackknife standard "
            "errors, as R's survival::concordance), cumulative/dynamic time-dependent AUC at "
            f"{', '.join(f'{t:g}' for t in sv.times)} months with Kaplan-Meier inverse "
            "probability of censoring weights and influence-function standard errors (as "
            f"riskRegression::Score). Scores were turned into predicted risks with {risk} for "
            "the Brier score, the index of prediction accuracy, calibration (slope, grouped and "
            "smooth calibration curves, ICI; Austin, Harrell & van Klaveren 2020) and decision "
            "curves (Vickers et al. 2008). Patients without a score were excluded for that "
            "score; pairwise differences used the patients with both scores." + boot)


def score_validation_section(ctx: BuildContext) -> None:
    """Add the score-validation section."""
    from crlm_outcomes.validation import compare_scores

    sv = ctx.spec.score_validation
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
    if (all(n.isidentifier() for n in names.values()) and len(set(names.values())) == len(names)
            and not set(names.values()) & (set(data.columns) - set(names))):
        data = data.rename(columns=names)
    else:
        names = {s: s for s in sv.scores}
    ctx.seeds["score_validation_bootstrap"] = sv.seed
    with ctx.collect_warnings(title):
        res = compare_scores(data, duration, event, list(names.values()), sv.times,
                             method=sv.method,
                             timewt=sv.timewt, n_boot=sv.bootstrap, seed=sv.seed)
    table, pw = score_counts(ctx, res, res.paper_table(), _pairwise_published(res.pairwise),
                             duration, event, names)
    note = "Differences (Δ) against the first score use the patients with both scores."
    if sv.method == "cox":
        note += (" The apparent calibration slope of a Cox model fitted on the score is 1 by "
                 "construction" + ("; the bootstrap-corrected slope measures overfitting."
                                   if sv.bootstrap else
                                   "; set bootstrap resamples for the corrected slope."))
    blocks = [ctx.writer.table(table, "score_validation", title, footnote=note)]
    blocks.append(ctx.writer.table(pw, "score_validation_pairwise",
                                   "Pairwise differences (patients with both scores)"))
    blocks.append(ctx.writer.figure("score_validation_auc", "Time-dependent AUC with 95% "
                                    "pointwise confidence bands.", _auc, res,
                                    lab.time_label(sv.endpoint)))
    t_cal = res.calibration.time
    blocks.append(ctx.writer.figure("score_validation_calibration",
                                    f"Calibration at {t_cal:g} months: observed (Kaplan-Meier) "
                                    "against predicted risk by risk group, with the smooth "
                                    "calibration curve.", _calibration, res))
    blocks.append(ctx.writer.figure("score_validation_decision",
                                    f"Decision curves at {t_cal:g} months (net benefit).",
                                    _decision, res))
    ctx.sections.append({"id": "score-validation", "title": title,
                         "paragraphs": [res.methods_text()], "blocks": blocks})


def _pairwise_published(pw: pd.DataFrame) -> pd.DataFrame:
    """Pairwise differences as published: estimates to 3 decimals, p as ``<0.001`` or three
    decimals, readable column names."""
    out = pd.DataFrame({"score": pw["term"].astype(str),
                        "compared with": pw["reference"].astype(str),
                        "measure": pw["metric"].astype(str),
                        "months": [("" if pd.isna(v) else f"{v:g}") for v in pw["time"]]})
    for col, name in (("estimate", "difference"), ("std_error", "standard error"),
                      ("lower", "lower 95% CI"), ("upper", "upper 95% CI")):
        out[name] = [("" if pd.isna(v) else f"{v:.3f}") for v in pw[col]]
    out["p"] = [format_p(v) for v in pw["p"]]
    out["n"] = pw["n"].to_numpy()
    return out
