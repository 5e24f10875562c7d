"""Cox model section: one per model of the spec.

The hazard-ratio table (:func:`crlm_outcomes.report.regression_table.regression_table`), the
forest plot, and - when the spec asks for it - the proportional-hazards test on scaled
Schoenfeld residuals (Grambsch & Therneau 1994, R's ``cox.zph``) with one residual plot per
term.
"""

from __future__ import annotations

import math
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from crlm_outcomes.report._context import BuildContext
from crlm_outcomes.report.formatting import format_p
from crlm_outcomes.report.regression_table import regression_table
from crlm_outcomes.report.sections._disclosure import cox_counts
from crlm_outcomes.report.spec import ENDPOINT_LABELS, ENDPOINTS
from crlm_outcomes.report.writer import safe_name, text_block

__all__ = ["cox_section"]


def cox_section(ctx: BuildContext, i: int) -> None:
    """Add the section of the spec's ``i``-th Cox model."""
    from crlm_outcomes.survival.cox import cox

    m = ctx.spec.cox[i]
    duration, event = ENDPOINTS[m.endpoint]
    imp = ctx.imputations
    with ctx.collect_warnings(f"Cox model {m.name}"):
        if imp is None:
            fit = cox(ctx.data, m.formula, duration, event, ties=m.ties,
                      strata=m.strata or None, cluster=m.cluster)
            pooled = None
        else:   # every completed data set, pooled by Rubin's rules
            from crlm_outcomes.imputation.pooling import pool_cox

            pooled = pool_cox(imp.map(lambda d: cox(d, m.formula, duration, event, ties=m.ties,
                                                    strata=m.strata or None,
                                                    cluster=m.cluster)))
            fit = pooled.fits[0]
        ph = fit.ph_test() if m.ph_test else None
    title = f"Cox model '{m.name}': {ENDPOINT_LABELS[m.endpoint]}"
    reg = (regression_table(fit, title=title, suppression=ctx.policy) if pooled is None else
           pooled.regression_table(title=title, suppression=ctx.policy))
    reg = cox_counts(ctx, m.name, fit, reg, event, None if imp is None else imp.completed[0].index)
    blocks = [ctx.writer.table(reg.table, f"cox_{m.name}", title,
                               html=reg.to_html(uuid=safe_name(f"cox_{m.name}")), latex=reg.to_latex())]
    blocks.append(ctx.writer.figure(f"forest_{m.name}", f"Hazard ratios (95% CI), model "
                                    f"'{m.name}'.", _forest, fit if pooled is None else pooled))
    paras = [f"Formula: {m.formula}; ties: {m.ties}"
             + (f"; strata: {', '.join(m.strata)}" if m.strata else "")
             + (f"; cluster: {m.cluster}" if m.cluster else "") + "."]
    if pooled is not None:
        paras.append(f"Fitted on each of the {pooled.m} imputed data sets and pooled by "
                     "Rubin's rules (t intervals, Barnard-Rubin degrees of freedom); the "
                     "proportional-hazards test below uses the first imputed data set.")
    if ph is not None:
        blocks.append(text_block("heading", "Proportional-hazards test"))
        blocks.append(ctx.writer.table(_ph_published(ph), f"ph_test_{m.name}",
                                       f"Scaled Schoenfeld residual test, model '{m.name}'"))
        first_col = ph.columns[0]
        terms = [t for t in ph[first_col].astype(str) if t.upper() != "GLOBAL"]
        if terms:
            blocks.append(ctx.writer.figure(
                f"schoenfeld_{m.name}", "Scaled Schoenfeld residuals against Kaplan-Meier-"
                f"transformed time, model '{m.name}'.", _schoenfeld_grid, fit, terms))
    ctx.sections.append({"id": f"cox-{m.name}", "title": title, "paragraphs": paras,
                         "blocks": blocks})


def _ph_published(ph: pd.DataFrame) -> pd.DataFrame:
    """The PH test as published: p-values formatted, other numbers to three decimals."""
    pub = ph.copy()
    for col in pub.columns:
        if col == "p":
            pub[col] = [format_p(v) for v in pub[col]]
        elif pd.api.types.is_float_dtype(pub[col]):
            pub[col] = [f"{v:.3f}" for v in pub[col]]
    return pub


def _forest(fit: Any) -> plt.Axes:
    """Forest plot of a Cox model or of a pooled model (figure recipe)."""
    return fit.plot_forest() if hasattr(fit, "plot_forest") else fit.plot()


def _schoenfeld_grid(fit: Any, terms: list[str]) -> plt.Axes:
    """Scaled Schoenfeld residual plots, one panel per term (figure recipe); returns the
    first panel's Axes."""
    ncol = min(3, len(terms))
    nrow = math.ceil(len(terms) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(2.4 * ncol, 2.0 * nrow), squeeze=False)
    for k, term in enumerate(terms):
        fit.plot_schoenfeld(term, ax=axes[k // ncol][k % ncol])
    for k in range(len(terms), nrow * ncol):
        axes[k // ncol][k % ncol].axis("off")
    fig.tight_layout()
    return axes[0][0]
