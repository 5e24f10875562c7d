"""Score-validation section: discrimination, accuracy, calibration and decision curves of
prognostic scores, compared pairwise (:func:`crlm_outcomes.validation.compare_scores`; C as
``survival::concordance``, AUC/Brier/IPA as ``riskRegression::Score``)."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from crlm_outcomes.errors import SpecError
from crlm_outcomes.report._context import BuildContext
from crlm_outcomes.report.sections._common import skipped, unusable
from crlm_outcomes.report.spec import ENDPOINT_LABELS, ENDPOINTS, ScoreValidationSpec
from crlm_outcomes.report.suppression import format_count, kind_alone

__all__ = ["score_validation_section", "score_validation_methods"]


def _auc(res: Any) -> plt.Axes:
    return res.plot_auc()


def _calibration(res: Any) -> plt.Axes:
    return res.plot_calibration()


def _decision(res: Any) -> plt.Axes:
    return res.plot_decision()


def score_validation_methods(sv: ScoreValidationSpec) -> str:
    """The methods paragraph of the section (what :func:`compare_scores` computes)."""
    tw = "Harrell's" if sv.timewt == "n" else "Uno's"
    risk = ("a Cox model with the score as a linear term" if sv.method == "cox"
            else "the Kaplan-Meier risk of each score level")
    boot = (f" Optimism was corrected with {sv.bootstrap} bootstrap resamples (Harrell)."
            if sv.bootstrap else "")
    return (f"Prognostic scores ({', '.join(sv.scores)}) were compared for "
            f"{ENDPOINT_LABELS[sv.endpoint].lower()}: {tw} C (infinitesimal-jackknife standard "
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
    if sv is None:  # the build adds this section only for a spec with the block
        raise SpecError("the analysis spec has no score_validation block",
                        column="score_validation")
    duration, event = ENDPOINTS[sv.endpoint]
    title = f"Prognostic scores: {ENDPOINT_LABELS[sv.endpoint]}"
    why = unusable(ctx, duration, event, *sv.scores)
    if why:
        skipped(ctx, "score-validation", title, why)
        return
    data = ctx.data.copy()
    for s in sv.scores:
        data[s] = pd.to_numeric(data[s], errors="coerce").astype("float64")
    ctx.seeds["score_validation_bootstrap"] = sv.seed
    with ctx.collect_warnings(title):
        res = compare_scores(data, duration, event, sv.scores, sv.times, method=sv.method,
                             timewt=sv.timewt, n_boot=sv.bootstrap, seed=sv.seed)
    policy = ctx.policy
    table = res.paper_table()
    for col in ("n", "Events", "Missing score"):
        table[col] = [format_count(v, kind_alone(int(v), policy), policy) for v in table[col]]
    blocks = [ctx.writer.table(table, "score_validation", title,
                               footnote="Differences (Δ) against the first score use the "
                                        "patients with both scores.")]
    pw = res.pairwise.copy()
    pw["time"] = pw["time"].map(lambda v: "" if pd.isna(v) else f"{v:g}")
    pw = pw.round(4).astype(str)
    pw["n"] = [format_count(v, kind_alone(int(v), policy), policy) for v in res.pairwise["n"]]
    blocks.append(ctx.writer.table(pw, "score_validation_pairwise",
                                   "Pairwise differences (patients with both scores)"))
    blocks.append(ctx.writer.figure("score_validation_auc", "Time-dependent AUC with 95% "
                                    "pointwise confidence bands.", _auc, res))
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
