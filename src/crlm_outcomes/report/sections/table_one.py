"""Table 1 section: baseline characteristics of the analysis cohort by the main comparison.

The table itself is :func:`crlm_outcomes.report.table_one.table_one`; this module picks its rows
(the spec's ``comparison.variables``, or :data:`DEFAULT_TABLE_ONE` where present in the data)
and says how many patients lack the comparison variable (they appear only in Overall).
"""

from __future__ import annotations

from crlm_outcomes.errors import SpecError
from crlm_outcomes.report._context import BuildContext
from crlm_outcomes.report.sections._common import skipped, unusable
from crlm_outcomes.report.suppression import format_count_alone
from crlm_outcomes.report.table_one import table_one

__all__ = ["DEFAULT_TABLE_ONE", "DEFAULT_NONNORMAL", "table_one_section"]

#: Table 1 rows used when the spec lists none (those present in the data are kept).
DEFAULT_TABLE_ONE = [
    "age_at_diagnosis", "sex", "primary_sidedness", "primary_node_positive", "liver_mets_timing",
    "liver_mets_number", "liver_mets_largest_cm", "liver_mets_bilobar", "extrahepatic_disease",
    "cea_at_liver_diagnosis", "ras_class", "braf_class", "mmr_class", "neoadjuvant_chemo",
    "surgical_strategy_group", "fong_group",
]
#: Default rows shown as median [IQR] (skewed counts, sizes and CEA).
DEFAULT_NONNORMAL = ["liver_mets_number", "liver_mets_largest_cm", "cea_at_liver_diagnosis"]


def table_one_section(ctx: BuildContext) -> None:
    """Add the Table 1 section (the spec has a ``comparison``)."""
    comp = ctx.spec.comparison
    assert comp is not None
    data = ctx.data
    why = unusable(ctx, comp.by)
    if why:
        skipped(ctx, "table-one", "Table 1", why)
        return
    if comp.variables:
        variables = list(comp.variables)
        nonnormal = list(comp.nonnormal)
    else:
        variables = [v for v in DEFAULT_TABLE_ONE
                     if v in data.columns and v != comp.by and data[v].notna().any()]
        nonnormal = list(comp.nonnormal) or [v for v in DEFAULT_NONNORMAL if v in variables]
    for i, v in enumerate(variables):
        if v not in data.columns:
            raise SpecError(f"invalid analysis spec: key 'comparison.variables[{i}]': column "
                            "not in the cohort", value=v, expected="a column of the cohort")
    with ctx.collect_warnings("Table 1"):
        t1 = table_one(data, comp.by, variables, nonnormal=nonnormal, exact=comp.exact,
                       suppression=ctx.policy, labels=ctx.labels)
    ctx.table_one_tests = [t for t in dict.fromkeys(t1.tests["test"]) if t]
    n_missing_by = int(data[comp.by].isna().sum())
    by_label = ctx.labels.inline(comp.by)
    paras = [f"Characteristics of the analysis cohort by {by_label}."]
    if n_missing_by:
        paras.append(f"{format_count_alone(n_missing_by, ctx.policy)}"
                     f" patient(s) without a recorded {by_label} appear only in the Overall "
                     "column.")
    # the footnote is part of the table's HTML (printed once, under the table)
    block = ctx.writer.table(t1.table, "table_one", f"Table 1 by {by_label}",
                             html=t1.to_html(uuid="table_one"), latex=t1.to_latex())
    ctx.sections.append({"id": "table-one", "title": "Table 1", "paragraphs": paras,
                         "blocks": [block]})
