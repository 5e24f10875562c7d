"""Table 1 section: baseline characteristics of the analysis cohort by the main comparison.

The table itself is :func:`crlm_outcomes.report.table_one.table_one`; this module picks its rows
(the spec's ``comparison.variables``, or :data:`DEFAULT_TABLE_ONE` where present in the data)
and says how many patients lack the comparison variable (they appear only in Overall).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from crlm_outcomes.errors import SpecError
from crlm_outcomes.report._context import BuildContext
from crlm_outcomes.report.sections._common import skipped, unusable
from crlm_outcomes.report.sections._disclosure import link_sets
from crlm_outcomes.report.spec import ENDPOINTS
from crlm_outcomes.report.suppression import format_count, suppress_vector
from crlm_outcomes.report.table_one import is_categorical, level_text, table_one, variable_levels

__all__ = ["DEFAULT_TABLE_ONE", "DEFAULT_NONNORMAL", "table_one_section", "record_table_one"]

#: Table 1 rows used when the spec lists none (those present in the data are kept).
DEFAULT_TABLE_ONE = [
    "age_at_diagnosis",
    "sex",
    "primary_sidedness",
    "primary_node_positive",
    "liver_mets_timing",
    "liver_mets_number",
    "liver_mets_largest_cm",
    "liver_mets_bilobar",
    "extrahepatic_disease",
    "cea_at_liver_diagnosis",
    "ras_class",
    "braf_class",
    "mmr_class",
    "neoadjuvant_chemo",
    "surgical_strategy_group",
    "fong_group",
]
#: Default rows shown as median [IQR] (skewed counts, sizes and CEA).
DEFAULT_NONNORMAL = ["liver_mets_number", "liver_mets_largest_cm", "cea_at_liver_diagnosis"]


def table_one_section(ctx: BuildContext) -> None:
    """Add the Table 1 section (the spec has a ``comparison``).

    Table 1 of the comparison's variables (a default set when it lists none) by its
    ``by`` column, with tests; its counts are recorded in ``ctx.ledger`` and the groups it
    masks are kept in ``ctx.group_masks`` for the later sections.

    Parameters
    ----------
    ctx
        The build context (spec, policy, writer and the analysis cohort ``ctx.data``).

    Returns
    -------
    None
        The section is appended to ``ctx.sections``; the tests used are kept in
        ``ctx.table_one_tests`` for the methods text.

    Raises
    ------
    SpecError
        A variable of the comparison is not a column of the cohort.

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
    >>> spec = parse_spec({"cohort": {"demo": True}, "comparison": {"by": "fong_group", "variables": ["age_at_diagnosis", "sex"]},
    ...                    "output": {"figure_formats": ["png"], "table_formats": ["csv"]}})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     ctx = BuildContext(spec, SuppressionPolicy(enabled=False), OutputWriter(Path(tmp), spec, 1))
    ...     ctx.cohort = synthetic_cohort(200, seed=1)
    ...     steps = stratify_and_filter(ctx)
    ...     table_one_section(ctx)
    ...     tables = sorted(p.name for p in Path(tmp, "tables").iterdir())
    >>> ctx.sections[-1]["paragraphs"][0], tables
    ('Characteristics of the analysis cohort by Fong clinical risk score.', ['table_one.csv'])
    >>> ctx.table_one_tests
    ['Welch t-test', 'Chi-square']
    """
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
        variables = [
            v
            for v in DEFAULT_TABLE_ONE
            if v in data.columns and v != comp.by and data[v].notna().any()
        ]
        nonnormal = list(comp.nonnormal) or [v for v in DEFAULT_NONNORMAL if v in variables]
    for i, v in enumerate(variables):
        if v not in data.columns:
            raise SpecError(
                f"invalid analysis spec: key 'comparison.variables[{i}]': column not in the cohort",
                value=v,
                expected="a column of the cohort",
            )
    with ctx.collect_warnings("Table 1"):
        t1 = table_one(
            data,
            comp.by,
            variables,
            nonnormal=nonnormal,
            exact=comp.exact,
            suppression=ctx.policy,
            labels=ctx.labels,
        )
    ctx.table_one_tests = [t for t in dict.fromkeys(t1.tests["test"]) if t]
    n_missing_by = int(data[comp.by].isna().sum())
    record_table_one(ctx, t1, comp.by, variables, n_missing_by)
    nrow = t1.table.iloc[0]
    # the groups masked here, as raw values (the Kaplan-Meier sections mask them too)
    raw_of = {ctx.labels.level(comp.by, g): g for g in variable_levels(data[comp.by])}
    ctx.group_masks.setdefault(comp.by, set()).update(
        level_text(raw_of.get(g, g))
        for g in t1.groups
        if str(nrow[g]) in (ctx.policy.primary_marker, ctx.policy.complementary_marker)
    )
    by_label = ctx.labels.inline(comp.by)
    paras = [f"Characteristics of the analysis cohort by {by_label}."]
    if n_missing_by:
        kind = missing_by_kind(t1, n_missing_by, ctx)
        paras.append(
            f"{format_count(n_missing_by, kind, ctx.policy)}"
            f" patient(s) without a recorded {by_label} appear only in the Overall "
            "column."
        )
    # the footnote is part of the table's HTML (printed once, under the table)
    block = ctx.writer.table(
        t1.table,
        "table_one",
        f"Table 1 by {by_label}",
        html=t1.to_html(uuid="table_one"),
        latex=t1.to_latex(),
    )
    ctx.sections.append(
        {"id": "table-one", "title": "Table 1", "paragraphs": paras, "blocks": [block]}
    )


_CELL = re.compile(r"^(?P<n>\d+)(?: \((?P<pct>[\d.]+)\))?$")


def _cell(led: Any, ctx: BuildContext, key: str, value: float, text: str, where: str) -> str | None:
    """Record one printed Table 1 count cell; return its printed percentage (or None)."""
    text = str(text)
    markers = (ctx.policy.primary_marker, ctx.policy.complementary_marker)
    if text in markers:
        led.count(key, value, masked=True, where=where)
        return None
    m = _CELL.match(text)
    if m is None:
        led.hidden(key, value)
        return None
    led.count(key, value, masked=False, where=where)
    return m.group("pct")


def record_table_one(
    ctx: BuildContext, t1: Any, by: str, variables: list[str], n_missing_by: int
) -> None:
    """Record Table 1's counts, percentages and their arithmetic in the disclosure ledger
    (group sizes, level counts, missing counts, the Overall column), linked to the
    Kaplan-Meier group sizes of the same stratifier.

    Parameters
    ----------
    ctx
        The build context (spec, policy, ledger, labels and the analysis cohort).
    t1
        The published Table 1 (:func:`crlm_outcomes.report.table_one.table_one`).
    by
        The column splitting it.
    variables
        Its rows' variables.
    n_missing_by
        Patients without a value of ``by`` (in the Overall column only).

    Returns
    -------
    None
        The counts and their arithmetic are added to ``ctx.ledger``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.report._context import BuildContext
    >>> from crlm_outcomes.report.disclosure_check import check_disclosure
    >>> from crlm_outcomes.report.spec import parse_spec
    >>> from crlm_outcomes.report.suppression import SuppressionPolicy
    >>> from crlm_outcomes.report.table_one import table_one
    >>> d = pd.DataFrame({"sex": ["male"] * 14 + ["female"] * 16,
    ...                   "fong_group": ["low"] * 20 + ["high"] * 10})
    >>> spec = parse_spec({"cohort": {"demo": True},
    ...                    "comparison": {"by": "fong_group", "variables": ["sex"]}})
    >>> policy = SuppressionPolicy(threshold=5)
    >>> ctx = BuildContext(spec, policy, writer=None, data=d)
    >>> t1 = table_one(d, "fong_group", ["sex"], suppression=policy, labels=ctx.labels)
    >>> ctx.ledger.hidden("cohort|n", 30)
    >>> record_table_one(ctx, t1, "fong_group", ["sex"], 0)
    >>> ctx.ledger.values["t1|n|High"], check_disclosure(ctx.ledger, threshold=5)
    (10.0, [])
    """
    led, data, lab = ctx.ledger, ctx.data, ctx.labels
    where = "Table 1"
    gser = data[by]
    glevels = [g for g in variable_levels(gser) if (gser == g).any()]
    # the group columns are headed by the groups' display labels
    gmask = {lab.level(by, g): (gser == g).to_numpy(dtype=bool, na_value=False) for g in glevels}
    raw = {lab.level(by, g): g for g in glevels}
    cols = [c for c in t1.table.columns if c in gmask]
    nrow = t1.table.iloc[0]
    size_keys = []
    for c in cols:
        key = f"t1|n|{c}"
        _cell(led, ctx, key, gmask[c].sum(), nrow[c], where)
        link_sets(led, data, {key: gmask[c]})
        size_keys.append(key)
        _link_km_sizes(ctx, by, key, gmask[c], raw[c])
    miss_key = f"t1|n|<missing {by}>"
    led.count(
        miss_key,
        n_missing_by,
        masked=missing_by_kind(t1, n_missing_by, ctx) != 0,
        where="Table 1 text",
    )
    led.total("cohort|n", [*size_keys, miss_key])
    if "Overall" in t1.table.columns:
        _cell(led, ctx, "cohort|n", len(data), nrow["Overall"], where)
    all_masks = dict(gmask)
    all_masks["Overall"] = np.ones(len(data), bool)
    all_masks[f"<missing {by}>"] = gser.isna().to_numpy(dtype=bool)
    for var in variables:
        _record_variable(ctx, t1.table, var, all_masks, cols, by)


def _link_km_sizes(ctx: BuildContext, by: str, key: str, member: np.ndarray, raw: Any) -> None:
    """Link a Table 1 group size (ledger ``key``) to the Kaplan-Meier sizes of the same
    group: the patients with the endpoint plus those without it."""
    led, data = ctx.ledger, ctx.data
    for endpoint, (dur, ev) in ENDPOINTS.items():
        if (
            by in ctx.spec.stratifiers
            and endpoint in ctx.spec.endpoints
            and dur in data.columns
            and ev in data.columns
        ):
            present = (data[dur].notna() & data[ev].notna()).to_numpy(dtype=bool)
            km_key = f"km|{endpoint}|{by}|{raw}|n"
            led.hidden(km_key, (member & present).sum())
            led.hidden(f"{km_key}|absent", (member & ~present).sum())
            led.total(key, [km_key, f"{km_key}|absent"])


def _record_variable(
    ctx: BuildContext,
    table: Any,
    var: str,
    all_masks: dict[str, np.ndarray],
    cols: list[str],
    by: str,
) -> None:
    """Record one variable's rows of Table 1: each level's (and Missing's) cell per column,
    each column adding up across the groups to Overall, and the levels adding up to the
    column's size."""
    led, lab = ctx.ledger, ctx.labels
    s = ctx.data[var]
    label = table["variable"].astype(str)
    name = lab.variable(var)
    block = table[label.eq(name) | label.str.startswith(f"{name}, ")]
    categorical = is_categorical(s)
    levels = [lab.level(var, v) for v in variable_levels(s)] if categorical else []
    texts = {(str(r["level"]) or ""): r for _, r in block.iterrows()}
    rows_keys: dict[str, dict[str, str]] = {}
    for level in [*levels, "Missing"]:
        if categorical and level != "Missing":
            lev_raw = variable_levels(s)[levels.index(level)]
            hit = (s == lev_raw).to_numpy(dtype=bool, na_value=False)
        else:
            hit = s.isna().to_numpy(dtype=bool)
        keys = _record_level_cells(ctx, var, level, hit, texts.get(level), all_masks, cols)
        rows_keys[level] = keys
        led.total(keys["Overall"], [keys[c] for c in [*cols, f"<missing {by}>"]])
    if not categorical:  # the patients with a value are not printed
        rows_keys["<present>"] = {}
        for c, m in all_masks.items():
            key = f"t1|{var}|<present>|{c}"
            led.hidden(key, float((s.notna().to_numpy(dtype=bool) & m).sum()))
            rows_keys["<present>"][c] = key
    for c in [*cols, "Overall"]:
        _record_column_arithmetic(led, c, rows_keys, levels, texts, categorical)


def _record_level_cells(
    ctx: BuildContext,
    var: str,
    level: str,
    hit: np.ndarray,
    row: Any,
    all_masks: dict[str, np.ndarray],
    cols: list[str],
) -> dict[str, str]:
    """Record the cells of one level's row, per column (printed, masked, or not printed);
    return their ledger keys by column."""
    led = ctx.ledger
    keys = {}
    for c, m in all_masks.items():
        key = f"t1|{var}|{level}|{c}"
        value = float((hit & m).sum())
        if row is not None and c in row.index:
            _cell(led, ctx, key, value, row[c], "Table 1")
        elif row is None and level == "Missing" and c in (*cols, "Overall"):
            # no Missing row: the reader knows nobody is missing
            led.count(key, value, masked=False, where="Table 1 (no missing row)")
        else:
            led.hidden(key, value)
        keys[c] = key
    return keys


def _record_column_arithmetic(
    led: Any,
    c: str,
    rows_keys: dict[str, dict[str, str]],
    levels: list[str],
    texts: dict[str, Any],
    categorical: bool,
) -> None:
    """Record one column's arithmetic for one variable: its rows add up to the column's
    size; each printed percentage is of the levels' total (Missing: of the column's size)."""
    size = "cohort|n" if c == "Overall" else f"t1|n|{c}"
    led.total(size, [rows_keys[lv][c] for lv in rows_keys])
    level_keys = [rows_keys[lv][c] for lv in levels]
    for level in rows_keys:
        row = texts.get(level)
        if row is None or c not in row.index:
            continue
        m = _CELL.match(str(row[c]))
        if m is None or m.group("pct") is None:
            continue
        den = level_keys if level != "Missing" else [size]
        if level == "Missing" or categorical:
            led.percent(rows_keys[level][c], den, m.group("pct"))


def missing_by_kind(t1: Any, n_missing_by: int, ctx: BuildContext) -> int:
    """Suppression kind of the number of patients without a group: it completes the group
    sizes to the Overall size, so it is decided with them (as :func:`table_one` does).

    Parameters
    ----------
    t1
        The published Table 1 (:func:`crlm_outcomes.report.table_one.table_one`); whether it
        has an Overall column decides whether the group sizes add up to a published total.
    n_missing_by
        Patients without a value of the comparison's ``by`` column.
    ctx
        The build context (spec with a ``comparison``, suppression policy, analysis cohort).

    Returns
    -------
    int
        Suppression kind of ``n_missing_by`` in the text under Table 1: 0 published,
        1 primary (below the threshold), 2 complementary (masked because a masked group size
        could be derived from it); always 0 when suppression is disabled.

    Raises
    ------
    SpecError
        The spec has no ``comparison`` block (with suppression enabled).

    Examples
    --------
    Groups of 20 and 4 with 9 patients missing: the group of 4 is masked, so the 9 must be too.

    >>> import pandas as pd
    >>> from crlm_outcomes.report._context import BuildContext
    >>> from crlm_outcomes.report.spec import parse_spec
    >>> from crlm_outcomes.report.suppression import SuppressionPolicy
    >>> from crlm_outcomes.report.table_one import table_one
    >>> d = pd.DataFrame({"sex": ["male"] * 15 + ["female"] * 18,
    ...                   "fong_group": ["low"] * 20 + ["high"] * 4 + [None] * 9})
    >>> spec = parse_spec({"cohort": {"demo": True},
    ...                    "comparison": {"by": "fong_group", "variables": ["sex"]}})
    >>> policy = SuppressionPolicy(threshold=5)
    >>> ctx = BuildContext(spec, policy, writer=None, data=d)
    >>> t1 = table_one(d, "fong_group", ["sex"], suppression=policy, labels=ctx.labels)
    >>> t1.table.iloc[0][["Low", "High", "Overall"]].tolist(), missing_by_kind(t1, 9, ctx)
    (['20', '<5', '33'], 2)
    >>> off = BuildContext(spec, SuppressionPolicy(enabled=False), writer=None, data=d)
    >>> missing_by_kind(t1, 9, off)
    0
    """
    if not ctx.policy.enabled:
        return 0
    if ctx.spec.comparison is None:  # only a comparison has patients without a group
        raise SpecError("the analysis spec has no comparison block", column="comparison")
    by = ctx.data[ctx.spec.comparison.by]
    sizes = [float(by.astype(object).eq(g).sum()) for g in variable_levels(by) if by.eq(g).any()]
    kinds = suppress_vector(
        np.r_[sizes, float(n_missing_by)], ctx.policy, total_published="Overall" in t1.table.columns
    )
    return int(kinds[-1])
