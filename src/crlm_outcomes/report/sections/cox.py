"""Cox model section: one per model of the spec.

The hazard-ratio table (:func:`crlm_outcomes.report.regression_table.regression_table`), the
forest plot, and - when the spec asks for it - the proportional-hazards test on scaled
Schoenfeld residuals (Grambsch & Therneau 1994, R's ``cox.zph``) with one residual plot per
term.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from crlm_outcomes.formula import formula_variables
from crlm_outcomes.labels import Labels
from crlm_outcomes.plots.schoenfeld import schoenfeld_grid
from crlm_outcomes.report._context import BuildContext
from crlm_outcomes.report.formatting import format_p
from crlm_outcomes.report.regression_table import (
    regression_table,
    split_terms,
    univariable_multivariable,
)
from crlm_outcomes.report.sections._disclosure import cox_counts, univariable_counts
from crlm_outcomes.report.spec import ENDPOINTS, CoxSpec
from crlm_outcomes.report.writer import safe_name, text_block
from crlm_outcomes.survival.term_rows import term_label

__all__ = ["cox_section"]


def cox_section(ctx: BuildContext, i: int) -> None:
    """Add the section of the spec's ``i``-th Cox model.

    The hazard-ratio table (with the univariable fits beside it when the spec asks), the
    forest plot and, with ``ph_test``, the scaled Schoenfeld residual test and plots; under
    the spec's ``imputation:`` the model is pooled over the imputed data sets.

    Parameters
    ----------
    ctx
        The build context (spec, policy, writer, the analysis cohort ``ctx.data`` and any
        imputations ``ctx.imputations``).
    i
        Index of the model in ``ctx.spec.cox``.

    Returns
    -------
    None
        The section is appended to ``ctx.sections``; its tables and figures are written
        through ``ctx.writer`` and its counts recorded in ``ctx.ledger``.

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
    >>> spec = parse_spec({"cohort": {"demo": True}, "cox": [{"name": "m1", "formula": "age_at_diagnosis + sex", "ph_test": False}],
    ...                    "output": {"figure_formats": ["png"], "table_formats": ["csv"]}})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     ctx = BuildContext(spec, SuppressionPolicy(enabled=False), OutputWriter(Path(tmp), spec, 1))
    ...     ctx.cohort = synthetic_cohort(200, seed=1)
    ...     steps = stratify_and_filter(ctx)
    ...     cox_section(ctx, 0)
    ...     tables = sorted(p.name for p in Path(tmp, "tables").iterdir())
    >>> section = ctx.sections[-1]
    >>> section["title"], [b["kind"] for b in section["blocks"]], tables
    ("Cox model 'm1': overall survival", ['table', 'figure'], ['cox_m1.csv'])
    >>> section["paragraphs"][0][:70]
    'Overall survival, time in months from diagnosis of liver metastases; c'
    """
    m = ctx.spec.cox[i]
    lab = ctx.labels
    duration, event = ENDPOINTS[m.endpoint]
    endpoint = lab.endpoint(m.endpoint)
    imp = ctx.imputations
    fit, pooled, ph = _fit_model(ctx, m, duration, event)
    title = f"Cox model '{m.display_name}': {endpoint.lower()}"
    title = title[:1].upper() + title[1:]
    blocks = []
    if m.univariable and pooled is None:
        blocks.append(_univariable_block(ctx, m, title, duration, event))
    reg = (
        regression_table(fit, title=title, suppression=ctx.policy, labels=lab)
        if pooled is None
        else pooled.regression_table(title=title, suppression=ctx.policy, labels=lab)
    )
    reg = cox_counts(
        ctx,
        m.name,
        fit,
        reg,
        event,
        None if imp is None else imp.completed[0].index,
        formula_variables(m.formula, ctx.data),
    )
    blocks.append(
        ctx.writer.table(
            reg.table,
            f"cox_{m.name}",
            title,
            html=reg.to_html(uuid=safe_name(f"cox_{m.name}")),
            latex=reg.to_latex(),
        )
    )
    blocks.append(
        ctx.writer.figure(
            f"forest_{m.name}",
            _forest_caption(ctx, m, endpoint, pooled),
            _forest,
            fit if pooled is None else pooled,
            lab,
            not ctx.policy.enabled,
        )
    )
    paras = _paragraphs(ctx, m, endpoint, pooled)
    if ph is not None:
        blocks.extend(_ph_blocks(ctx, m, fit, ph))
    ctx.sections.append(
        {"id": f"cox-{m.name}", "title": title, "paragraphs": paras, "blocks": blocks}
    )


def _fit_model(ctx: BuildContext, m: CoxSpec, duration: str, event: str) -> tuple[Any, Any, Any]:
    """The model's fit (on the first imputed data set under imputation), the pooled model
    (or None) and the proportional-hazards test (or None)."""
    from crlm_outcomes.survival.cox import cox

    imp = ctx.imputations

    def fit_on(d: pd.DataFrame) -> Any:
        return cox(
            d,
            m.formula,
            duration,
            event,
            ties=m.ties,
            strata=m.strata or None,
            cluster=m.cluster,
        )

    with ctx.collect_warnings(f"Cox model '{m.display_name}'"):
        if imp is None:
            fit = fit_on(ctx.data)
            pooled = None
        else:  # every completed data set, pooled by Rubin's rules
            from crlm_outcomes.imputation.pooling import pool_cox

            pooled = pool_cox(imp.map(fit_on))
            fit = pooled.fits[0]
        ph = fit.ph_test() if m.ph_test else None
    return fit, pooled, ph


def _univariable_block(
    ctx: BuildContext, m: CoxSpec, title: str, duration: str, event: str
) -> dict[str, Any]:
    """The univariable-and-multivariable hazard-ratio table."""
    variables = split_terms(m.formula)
    with ctx.collect_warnings(f"Cox model '{m.display_name}', univariable fits"):
        both = univariable_multivariable(
            ctx.data,
            variables,
            duration,
            event,
            model="cox",
            labels=ctx.labels,
            suppression=ctx.policy,
            ties=m.ties,
            strata=m.strata or None,
            cluster=m.cluster,
            title=f"{title}: univariable and multivariable hazard ratios",
        )
    both = univariable_counts(ctx, f"cox|{m.name}", both, variables, duration, event)
    uuid = safe_name(f"cox_{m.name}_uni_multi")
    return ctx.writer.table(
        both.table,
        f"cox_{m.name}_uni_multi",
        both.title,
        html=both.to_html(uuid=uuid),
        latex=both.to_latex(),
    )


def _forest_caption(ctx: BuildContext, m: CoxSpec, endpoint: str, pooled: Any) -> str:
    """The forest plot's caption: where the N/events are, and the pooling."""
    if ctx.policy.enabled:
        counts = " (N/events in the table)"
    else:
        counts = "; N/events: patients and events in each level" + (
            f" (mean over the {pooled.m} imputed data sets)"
            if pooled is not None and pooled.counts_vary
            else ""
        )
    pooling = f"; pooled over {pooled.m} imputations by Rubin's rules" if pooled is not None else ""
    return (
        f"Hazard ratios (95% CI) of model '{m.display_name}' for "
        f"{endpoint.lower()}" + counts + pooling + "."
    )


def _paragraphs(ctx: BuildContext, m: CoxSpec, endpoint: str, pooled: Any) -> list[str]:
    """The section's text: endpoint, covariates, ties, strata, clustering, pooling."""
    lab = ctx.labels
    covariates = ", ".join(lab.inline(v) for v in formula_variables(m.formula, ctx.data))
    paras = [
        f"{endpoint}, time in months from {lab.origins.get(m.endpoint, 'the origin')}; "
        f"covariates: {covariates}; ties: {m.ties}"
        + (f"; strata: {', '.join(lab.inline(s) for s in m.strata)}" if m.strata else "")
        + (f"; robust variance clustered on {lab.inline(m.cluster)}" if m.cluster else "")
        + "."
    ]
    if pooled is not None:
        paras.append(
            f"Fitted on each of the {pooled.m} imputed data sets and pooled by "
            "Rubin's rules (t intervals, Barnard-Rubin degrees of freedom); the "
            "proportional-hazards test below uses the first imputed data set."
        )
    return paras


def _ph_blocks(ctx: BuildContext, m: CoxSpec, fit: Any, ph: pd.DataFrame) -> list[dict[str, Any]]:
    """The proportional-hazards test table and the residual plots of its terms."""
    lab = ctx.labels
    blocks = [
        text_block("heading", "Proportional-hazards test"),
        ctx.writer.table(
            _ph_published(ph, lab),
            f"ph_test_{m.name}",
            f"Scaled Schoenfeld residual test, model '{m.display_name}'",
        ),
    ]
    first_col = ph.columns[0]
    terms = [t for t in ph[first_col].astype(str) if t.upper() != "GLOBAL"]
    if terms:
        blocks.append(
            ctx.writer.figure(
                f"schoenfeld_{m.name}",
                "Scaled Schoenfeld residuals with a spline smooth "
                f"(±2 SE), model '{m.display_name}'. Residuals are placed on the Kaplan-Meier-"
                "transformed time used by the test (axis labelled in months); a flat smooth "
                "around the model's coefficient supports proportional hazards.",
                _schoenfeld_grid,
                fit,
                terms,
                lab,
                m.endpoint,
            )
        )
    return blocks


def _ph_published(ph: pd.DataFrame, lab: Labels) -> pd.DataFrame:
    """The PH test as published: terms by label, p formatted, other numbers to 3 decimals."""
    pub = ph.copy()
    first = pub.columns[0]
    pub[first] = [
        "Global" if str(t).upper() == "GLOBAL" else term_label(str(t), lab) for t in pub[first]
    ]
    for col in pub.columns:
        if col == "p":
            pub[col] = [format_p(v) for v in pub[col]]
        elif pd.api.types.is_float_dtype(pub[col]):
            pub[col] = [f"{v:.3f}" for v in pub[col]]
    return pub


def _forest(fit: Any, labels: Labels, counts: bool = True) -> plt.Axes:
    """Forest plot of a Cox model or of a pooled model (figure recipe); ``counts=False``
    leaves out the N/events column (under suppression: the table prints them masked)."""
    if hasattr(fit, "plot_forest"):
        return fit.plot_forest(labels=labels, counts=counts)
    return fit.plot(labels=labels, counts=counts)


def _schoenfeld_grid(
    fit: Any, terms: list[str], labels: Labels | None = None, endpoint: str | None = None
) -> plt.Axes:
    """Scaled Schoenfeld residual plots, one panel per term (figure recipe, drawn by
    :func:`crlm_outcomes.plots.schoenfeld.schoenfeld_grid`); returns the first panel's Axes."""
    return schoenfeld_grid(fit.zph(), terms, labels=labels, endpoint=endpoint)[0]
