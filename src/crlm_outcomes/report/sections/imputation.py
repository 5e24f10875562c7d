"""Multiple-imputation step and section: what was imputed, how, and the convergence traces.

The spec's ``imputation:`` imputes its variables in the analysis cohort
(:func:`crlm_outcomes.imputation.impute`, with the outcome of the first Cox model - or overall
survival - in every imputation model, White & Royston 2009); the Cox sections then fit each model
on every completed data set and pool by Rubin's rules.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from crlm_outcomes.report._context import BuildContext
from crlm_outcomes.report.sections._disclosure import imputation_counts
from crlm_outcomes.report.spec import ENDPOINTS

__all__ = ["imputation_section", "imputation_endpoint", "METHOD_NAMES", "OUTCOME_TERMS"]

#: Readable names of the imputation methods (van Buuren, *Flexible Imputation of Missing
#: Data*, 2nd ed., 2018, section 3).
METHOD_NAMES = {
    "pmm": "predictive mean matching",
    "logreg": "logistic regression",
    "polyreg": "multinomial logistic regression",
}
#: Readable names of the outcome terms added to every imputation model (White & Royston 2009).
OUTCOME_TERMS = {
    "nelson_aalen": "the Nelson-Aalen cumulative hazard",
    "event": "the event indicator",
}


def imputation_endpoint(ctx: BuildContext) -> str:
    """The endpoint whose outcome enters the imputation models."""
    return ctx.spec.cox[0].endpoint if ctx.spec.cox else "os"


def imputation_section(ctx: BuildContext) -> None:
    """Impute (stored in ``ctx.imputations``) and add the section describing it."""
    from crlm_outcomes.imputation import impute

    spec = ctx.spec.imputation
    assert spec is not None
    duration, event = ENDPOINTS[imputation_endpoint(ctx)]
    predictors = list(dict.fromkeys([*spec.variables, *spec.predictors]))
    with ctx.collect_warnings("Multiple imputation"):
        imp = impute(
            ctx.data,
            spec.variables,
            predictors=predictors,
            duration=duration,
            event=event,
            m=spec.m,
            iterations=spec.iterations,
            seed=spec.seed,
            allow_uncollected=spec.allow_uncollected,
        )
    ctx.imputations = imp
    ctx.seeds["imputation"] = spec.seed
    lab = ctx.labels
    table, not_imputed = imputation_counts(ctx, imp)  # counts and percentages suppressed
    table = table.assign(
        variable=[lab.variable(str(v)) for v in imp.table["variable"]],
        method=[METHOD_NAMES.get(str(v), str(v)) for v in imp.table["method"]],
    )
    table = table.rename(
        columns={
            "fraction_missing": "missing, %",
            "n_missing": "missing, n",
            "n_predictors": "predictors",
        }
    )
    blocks = [
        ctx.writer.table(
            table, "imputation_models", "Imputed variables and their imputation models"
        )
    ]
    variables = list(imp.table["variable"])
    blocks.append(
        ctx.writer.figure(
            "imputation_traces",
            "Convergence: mean of the imputed values per iteration, one line per chain.",
            _traces,
            imp.traces,
            variables,
            lab,
        )
    )
    paras = [
        f"{imp.m} imputations by chained equations, {imp.iterations} iterations each, "
        f"seed {spec.seed}; outcome terms in every imputation model: "
        f"{', '.join(OUTCOME_TERMS.get(t, t) for t in imp.outcome)} of "
        f"{lab.endpoint(imputation_endpoint(ctx)).lower()}. Patients without the outcome "
        f"were not imputed: {not_imputed}."
    ]
    ctx.sections.append(
        {"id": "imputation", "title": "Multiple imputation", "paragraphs": paras, "blocks": blocks}
    )


def _traces(traces: pd.DataFrame, variables: list[str], labels: Any = None) -> Any:
    """Trace plots, one panel per variable (figure recipe)."""
    from crlm_outcomes.plots.pooled import trace_plot

    ncol = min(3, len(variables))
    nrow = -(-len(variables) // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(2.4 * ncol, 2.0 * nrow), squeeze=False)
    for k, v in enumerate(variables):
        trace_plot(traces, v, ax=axes[k // ncol][k % ncol], labels=labels)
    for k in range(len(variables), nrow * ncol):
        axes[k // ncol][k % ncol].axis("off")
    fig.tight_layout()
    return axes[0][0]
