"""Multiple-imputation step and section: what was imputed, how, and the convergence traces.

The spec's ``imputation:`` imputes its variables in the analysis cohort
(:func:`crlm_outcomes.imputation.impute`, with the outcome of the first Cox model - or overall
survival - in every imputation model, White & Royston 2009); the Cox sections then fit each model
on every completed data set and pool by Rubin's rules.
"""

from __future__ import annotations

from typing import Any

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
    """The endpoint whose outcome enters the imputation models.

    Parameters
    ----------
    ctx
        The build context (its spec).

    Returns
    -------
    str
        The endpoint of the spec's first Cox model, or ``"os"`` when it has none.

    Examples
    --------
    >>> from crlm_outcomes.report._context import BuildContext
    >>> from crlm_outcomes.report.spec import parse_spec
    >>> from crlm_outcomes.report.suppression import SuppressionPolicy
    >>> spec = parse_spec({"cohort": {"demo": True}, "endpoints": ["rfs"],
    ...                    "cox": [{"name": "m", "endpoint": "rfs", "formula": "age_at_diagnosis"}]})
    >>> imputation_endpoint(BuildContext(spec, SuppressionPolicy(), writer=None))
    'rfs'
    """
    return ctx.spec.cox[0].endpoint if ctx.spec.cox else "os"


def imputation_section(ctx: BuildContext) -> None:
    """Impute (stored in ``ctx.imputations``) and add the section describing it.

    Parameters
    ----------
    ctx
        The build context (the spec's ``imputation:`` block, policy, writer and the
        analysis cohort ``ctx.data``).

    Returns
    -------
    None
        The imputations are stored in ``ctx.imputations`` (the Cox sections pool over
        them) and their seed in ``ctx.seeds``; the section (imputed variables, models and
        convergence traces) is appended to ``ctx.sections``.

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
    >>> spec = parse_spec({"cohort": {"demo": True}, "imputation": {"variables": ["cea_at_liver_diagnosis"], "m": 2, "iterations": 2},
    ...                    "output": {"figure_formats": ["png"], "table_formats": ["csv"]}})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     ctx = BuildContext(spec, SuppressionPolicy(enabled=False), OutputWriter(Path(tmp), spec, 1))
    ...     ctx.cohort = synthetic_cohort(200, seed=1)
    ...     steps = stratify_and_filter(ctx)
    ...     imputation_section(ctx)
    ...     tables = sorted(p.name for p in Path(tmp, "tables").iterdir())
    >>> ctx.imputations.m, tables
    (2, ['imputation_models.csv'])
    >>> ctx.sections[-1]["paragraphs"][0][:60]
    '2 imputations by chained equations, 2 iterations each, seed '
    """
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
    """Trace plots, one panel per variable (figure recipe, drawn by
    :func:`crlm_outcomes.plots.pooled.trace_plots`); returns the first panel's Axes."""
    from crlm_outcomes.plots.pooled import trace_plots

    return trace_plots(traces, variables, labels=labels)[0]
