"""Disclosure bookkeeping of the analysis sections: what each prints, masked or not, recorded
in the build's :class:`~crlm_outcomes.report.disclosure_check.DisclosureLedger`.

Each section calls one function here (one line in the section): it decides the suppression of
the counts the section prints (small counts, the same patients masked elsewhere, and the
complementary cells a total would give away), returns the published text, and records every
count under the patients it counts (:meth:`DisclosureLedger.same_set`), so the checker links
it to Table 1, the cohort flow and the Kaplan-Meier tables.

* Cox and Fine-Gray models (:func:`cox_counts`, :func:`univariable_counts`,
  :func:`regression_counts`): n, events and the rows excluded for missing values (n +
  excluded = the analysis cohort), and the N / events of every level of a categorical
  variable (the levels add up to the model's n and events; a univariable fit's to the
  patients with the variable).
* Competing risks (:func:`cif_hidden_groups`, :func:`record_cif`): the curves of a group show
  its size and its events of each cause; groups too small, masked elsewhere or needed as a
  complement are not drawn, and are recorded as masked (the section records its numbers at
  risk itself, linked to the same patients).
* Score validation (:func:`score_counts`): per score n, events and patients without the score
  (n + missing = the analysis cohort); patients with both scores of a pairwise difference.
* Multiple imputation (:func:`imputation_counts`): missing values per variable and their
  percentage, the rows not imputed (no outcome).
* Matching (:func:`matching_sizes`): per arm all, matched and unmatched patients and the
  effective sample size (matched + unmatched = all; the two arms add up to the patients with
  the covariates; 1:1 matching without replacement pairs equal numbers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes.report.disclosure_check import DisclosureLedger
from crlm_outcomes.report.suppression import (
    COMPLEMENTARY,
    PRIMARY,
    complementary_mask,
    format_count,
    primary_mask,
)

__all__ = [
    "link_sets",
    "decide",
    "cox_counts",
    "univariable_counts",
    "regression_counts",
    "cif_hidden_groups",
    "record_cif",
    "score_counts",
    "imputation_counts",
    "matching_sizes",
]


def link_sets(led: DisclosureLedger, data: pd.DataFrame, masks: Mapping[str, np.ndarray]) -> None:
    """Tell the ledger which patients (rows of ``data``) each recorded key counts."""
    if not data.index.is_unique:
        return
    for key, mask in masks.items():
        led.same_set(key, data.index[np.asarray(mask, dtype=bool)].to_numpy())


def _ids(data: pd.DataFrame, mask: np.ndarray) -> np.ndarray:
    return data.index[np.asarray(mask, dtype=bool)].to_numpy()


def decide(
    ctx: Any,
    values: Sequence[float],
    *,
    data: pd.DataFrame | None = None,
    masks: Sequence[np.ndarray | None] = (),
    constraints: Sequence[Sequence[int]] = (),
    forced: Sequence[bool] = (),
) -> np.ndarray:
    """Suppression kinds (0 published, 1 primary, 2 complementary) of ``values``.

    Small counts are primary; a count of patients already masked elsewhere in the report
    (``masks``, rows of ``data``) is masked here too; then every ``constraints`` set (indices
    whose sum the reader knows) with a single masked cell gets a complementary one, never a
    count of patients printed elsewhere (masking it would hide nothing). ``forced`` cells are
    masked whatever their value (e.g. the row of a group whose curve is not drawn).
    """
    vals = np.asarray(values, dtype=float)
    kinds = np.zeros(len(vals), dtype=np.int8)
    if not ctx.policy.enabled or not len(vals):
        return kinds
    prim = primary_mask(vals, ctx.policy.threshold, suppress_zero=ctx.policy.suppress_zero)
    start = prim.copy()
    if len(forced):
        start |= np.asarray(forced, dtype=bool)
    choice = vals.copy()  # values the complementary choice sees
    if data is not None and data.index.is_unique:
        for j, mask in enumerate(masks):
            if mask is None:
                continue
            ids = _ids(data, mask)
            if ctx.ledger.masked_set(ids):
                start[j] = True
            elif ctx.ledger.published_set(ids):
                choice[j] = np.inf  # printed elsewhere: masking it here would hide nothing
    full = complementary_mask(choice, start, list(constraints))
    kinds[full] = COMPLEMENTARY
    kinds[prim] = PRIMARY
    return kinds


def _record(
    led: DisclosureLedger,
    data: pd.DataFrame,
    key: str,
    mask: np.ndarray,
    kind: int | None,
    where: str,
) -> None:
    """One count: printed (kind 0), masked (kind > 0) or hidden (kind None)."""
    value = float(np.asarray(mask, dtype=bool).sum())
    if kind is None:
        led.hidden(key, value)
    else:
        led.count(key, value, masked=bool(kind), where=where)
    link_sets(led, data, {key: mask})


def _cohort(ctx: Any) -> str:
    """The cohort-size key, linked to every row of the analysis cohort."""
    led, data = ctx.ledger, ctx.data
    if "cohort|n" not in led.values:
        led.hidden("cohort|n", len(data))
    link_sets(led, data, {"cohort|n": np.ones(len(data), bool)})
    return "cohort|n"


def _markers(ctx: Any) -> tuple[str, str]:
    return ctx.policy.primary_marker, ctx.policy.complementary_marker


# ------------------------------------------------------------------------------ Cox models


def cox_counts(
    ctx: Any,
    name: str,
    fit: Any,
    reg: Any,
    event: str,
    rows: pd.Index | None = None,
    variables: Sequence[str] = (),
) -> Any:
    """Record a Cox model's published counts (the notes' n, events and rows excluded) and
    return its regression table with them masked where the report masks the same patients
    elsewhere (and their complements).

    ``fit`` is the model whose rows are counted: for a pooled model, the fit on the first
    imputed data set, whose rows are ``rows`` (the imputed rows; nothing is excluded then).
    """
    from dataclasses import replace

    led, data, policy = ctx.ledger, ctx.data, ctx.policy
    where = f"Cox model '{name}' (notes)"
    base = data.index.isin(rows) if rows is not None else np.ones(len(data), bool)
    dropped = list(fit.excluded["index"]) if len(fit.excluded) else []
    used = base & ~data.index.isin(dropped)
    ev = pd.to_numeric(data[event], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    dead = used & (ev == 1)
    n_event = getattr(fit, "n_event", None)
    if n_event is None:  # a Fine-Gray fit: events of the cause of interest (code 1 here)
        n_event = (getattr(fit, "counts", None) or {}).get("n_cause", dead.sum())
    ok = used.sum() == fit.n and dead.sum() == n_event
    exc_note = next((k for k in reg.notes if "excluded" in k), None)
    parts: list[tuple[str, str | None, float, Any]] = [
        ("n", "n", float(fit.n), used),
        ("events", "events", float(n_event), dead),
    ]
    if rows is None:  # n + excluded = the analysis cohort
        parts.append(("excluded", exc_note, float(len(data) - fit.n), ~used))
    kinds = decide(
        ctx,
        [p[2] for p in parts],
        data=data,
        masks=[p[3] if ok else None for p in parts],
        constraints=[[0, 2]] if rows is None else [],
    )
    notes = dict(reg.notes)
    prefix = f"cox|{name}"
    for (part, note, value, mask), kind in zip(parts, kinds, strict=True):
        key = f"{prefix}|{part}"
        if note is None or note not in notes:
            led.hidden(key, value)
        else:
            already = notes[note] in _markers(ctx)
            if kind and not already:
                notes[note] = format_count(value, int(kind), policy)
            led.count(key, value, masked=bool(kind) or already, where=where)
        if ok:
            link_sets(led, data, {key: mask})
    led.at_most(f"{prefix}|events", f"{prefix}|n")
    if rows is None:
        led.total(_cohort(ctx), [f"{prefix}|n", f"{prefix}|excluded"])
    table = reg.table
    if ok and variables:  # the N / events of each level (publication tables)
        table = regression_counts(
            ctx, prefix, table, variables, {"": used}, ev == 1, {"": f"{prefix}|n"}
        )
    if notes == reg.notes and table is reg.table:
        return reg
    return replace(reg, notes=notes, table=table)


def univariable_counts(
    ctx: Any,
    prefix: str,
    reg: Any,
    variables: Sequence[str],
    duration: str,
    event: str,
    code: int = 1,
) -> Any:
    """Suppress and record the per-level N / events of a univariable + multivariable table
    (:func:`~crlm_outcomes.report.regression_table.merge_tables`: the counts are the
    univariable fits', each on the patients with its variable and the endpoint)."""
    from dataclasses import replace

    data = ctx.data
    present = (data[duration].notna() & data[event].notna()).to_numpy(dtype=bool)
    ev = pd.to_numeric(data[event], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    groups = sorted({c[: -len("N")] for c in reg.table.columns if str(c).endswith(": N")})
    table = regression_counts(
        ctx,
        f"{prefix}|uni",
        reg.table,
        variables,
        {g: present for g in groups},
        ev == code,
        {g: None for g in groups},
    )
    return reg if table is reg.table else replace(reg, table=table)


# ------------------------------------------------------------------------- competing risks


def _cif_used(data: pd.DataFrame) -> np.ndarray:
    return (data["rfs_months"].notna() & data["rfs_cause"].notna()).to_numpy(dtype=bool)


def cif_hidden_groups(ctx: Any, by: str | None) -> list[object]:
    """Groups of ``by`` whose curves are not drawn: their size is small, masked elsewhere in
    the report, or the complement of such a group (the group sizes and the patients without a
    group add up to the analysis cohort, whose size is printed)."""
    if by is None or not ctx.policy.enabled:
        return []
    data = ctx.data
    used = _cif_used(data)
    col = data[by].astype(object)
    groups = list(pd.unique(col[used].dropna()))
    masks = [used & col.eq(g).to_numpy(dtype=bool, na_value=False) for g in groups]
    rest = ~np.logical_or.reduce(masks) if masks else np.ones(len(data), bool)
    named = set(ctx.group_masks.get(by, set()))
    values = [float(m.sum()) for m in masks] + [float(rest.sum())]
    kinds = decide(
        ctx,
        values,
        data=data,
        masks=[*masks, None],
        forced=[str(g) in named for g in groups] + [False],
        constraints=[list(range(len(values)))],
    )
    return [g for g, k in zip(groups, kinds, strict=False) if k]


def record_cif(ctx: Any, i: int, by: str | None, hidden: Sequence[object]) -> None:
    """Record the curves of a competing-risks section: a drawn group's curves publish its
    size and its events of each cause; a group not drawn is masked there."""
    led, data = ctx.ledger, ctx.data
    used = _cif_used(data)
    cause = pd.to_numeric(data["rfs_cause"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    where = f"competing risks {i + 1} (curves)"
    prefix = f"cif{i}"
    _record(led, data, f"{prefix}|all|n", used, None, where)
    _record(led, data, f"{prefix}|absent", ~used, None, where)
    led.total(_cohort(ctx), [f"{prefix}|all|n", f"{prefix}|absent"])
    if by is None:
        parts = [("all", used, 0)]
    else:
        col = data[by].astype(object)
        names = {str(h) for h in hidden}
        parts = [
            (
                str(g),
                used & col.eq(g).to_numpy(dtype=bool, na_value=False),
                1 if str(g) in names else 0,
            )
            for g in pd.unique(col[used].dropna())
        ]
        miss = used & col.isna().to_numpy(dtype=bool)
        _record(led, data, f"{prefix}|{by}|<missing>|n", miss, None, where)
    for g, m, kind in parts:
        key = f"{prefix}|all" if by is None else f"{prefix}|{by}|{g}"
        if by is not None:
            _record(led, data, f"{key}|n", m, kind, where + (" not drawn" if kind else ""))
        else:
            led.reveal(f"{key}|n", m.sum(), where)
        events = m & np.isin(cause, (1.0, 2.0))
        _record(led, data, f"{key}|events", events, None, where)
        led.at_most(f"{key}|events", f"{key}|n")
        causes = []
        for c in (1, 2):
            ck = f"{key}|cause{c}"
            _record(led, data, ck, m & (cause == c), None if kind else 0, where)
            causes.append(ck)
        led.total(f"{key}|events", causes)
    if by is not None:
        led.total(
            f"{prefix}|all|n",
            [*[f"{prefix}|{by}|{g}|n" for g, _, _ in parts], f"{prefix}|{by}|<missing>|n"],
        )


# ------------------------------------------------------------------------ score validation


def score_counts(
    ctx: Any,
    res: Any,
    table: pd.DataFrame,
    pairwise: pd.DataFrame,
    duration: str,
    event: str,
    scores: Mapping[str, str] | Sequence[str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The score table's n / Events / Missing score and the pairwise n, suppressed (n and
    the patients without the score add up to the analysis cohort) and recorded. ``scores``
    maps each score column to the name the tables print (or lists the columns)."""
    names = dict(scores) if isinstance(scores, Mapping) else {s: s for s in scores}
    column = {str(short): col for col, short in names.items()}
    led, data, policy = ctx.ledger, ctx.data, ctx.policy
    where = "score validation"
    present = (data[duration].notna() & data[event].notna()).to_numpy(dtype=bool)
    ev = pd.to_numeric(data[event], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    cohort = _cohort(ctx)
    table = table.copy()
    n_text, e_text, m_text = [], [], []
    used_of: dict[str, np.ndarray | None] = {}
    for s, n, e, miss in zip(
        table["Score"], table["n"], table["Events"], table["Missing score"], strict=True
    ):
        col = column.get(str(s), str(s))
        used = present & data[col].notna().to_numpy(dtype=bool) if col in data.columns else None
        if used is not None and (used.sum() != n or (used & (ev == 1)).sum() != e):
            used = None
        used_of[str(s)] = used
        masks = [used, None if used is None else used & (ev == 1), None if used is None else ~used]
        kinds = decide(ctx, [n, e, miss], data=data, masks=masks, constraints=[[0, 2]])
        n_text.append(format_count(n, kinds[0], policy))
        e_text.append(format_count(e, kinds[1], policy))
        m_text.append(format_count(miss, kinds[2], policy))
        key = f"sv|{s}"
        for part, value, kind, mask in zip(
            ("n", "events", "missing"), (n, e, miss), kinds, masks, strict=True
        ):
            led.count(f"{key}|{part}", value, masked=bool(kind), where=where)
            if mask is not None:
                link_sets(led, data, {f"{key}|{part}": mask})
        led.total(cohort, [f"{key}|n", f"{key}|missing"])
        led.at_most(f"{key}|events", f"{key}|n")
    table["n"], table["Events"], table["Missing score"] = n_text, e_text, m_text
    pw = pairwise.copy()
    texts = []
    for term, ref, n in zip(
        res.pairwise["term"], res.pairwise["reference"], res.pairwise["n"], strict=True
    ):
        a, b = used_of.get(str(term)), used_of.get(str(ref))
        both = a & b if a is not None and b is not None else None
        if both is not None and both.sum() != n:
            both = None
        kind = decide(ctx, [n], data=data, masks=[both])[0]
        texts.append(format_count(n, kind, policy))
        key = f"sv|{term}&{ref}|n"
        led.count(key, n, masked=bool(kind), where=f"{where} (pairwise)")
        if both is not None:
            link_sets(led, data, {key: both})
        led.at_most(key, f"sv|{term}|n")
        led.at_most(key, f"sv|{ref}|n")
        led.linear({f"sv|{term}|n": 1.0, f"sv|{ref}|n": 1.0, key: -1.0, cohort: -1.0}, -np.inf, 0.0)
    pw["n"] = texts
    return table, pw


# ------------------------------------------------------------------- multiple imputation


def _percent_hidden(kind: int, exc_kind: int, policy: Any) -> bool:
    """Whether a variable's percentage missing is masked: it would give its masked count (over
    the imputed rows, whose number follows from the cohort and the rows not imputed), or,
    beside its printed count, the masked number of rows not imputed."""
    return bool(policy.enabled and (kind or exc_kind))


def imputation_counts(ctx: Any, imp: Any) -> tuple[pd.DataFrame, str]:
    """The imputation table as published (missing counts and percentages suppressed) and the
    text of the rows not imputed; both recorded."""
    led, data, policy = ctx.ledger, ctx.data, ctx.policy
    where = "multiple imputation"
    cohort = _cohort(ctx)
    dropped = (
        data.index.isin(list(imp.excluded["index"]))
        if len(imp.excluded)
        else np.zeros(len(data), bool)
    )
    rows = ~np.asarray(dropped, dtype=bool)
    exc_kind = decide(ctx, [float((~rows).sum())], data=data, masks=[~rows])[0]
    _record(led, data, "imp|excluded", ~rows, int(exc_kind), where)
    _record(led, data, "imp|n", rows, None, where)
    led.total(cohort, ["imp|n", "imp|excluded"])
    table = imp.table.copy()
    counts, pcts = [], []
    for var, n_miss, frac in zip(
        table["variable"], table["n_missing"], table["fraction_missing"], strict=True
    ):
        miss = rows & data[var].isna().to_numpy(dtype=bool)
        if miss.sum() != n_miss:
            miss = None
        kind = decide(ctx, [float(n_miss)], data=data, masks=[miss])[0]
        key = f"imp|{var}|missing"
        led.count(key, n_miss, masked=bool(kind), where=where)
        if miss is not None:
            link_sets(led, data, {key: miss})
        led.at_most(key, "imp|n")
        counts.append(format_count(n_miss, kind, policy))
        if _percent_hidden(int(kind), int(exc_kind), policy):
            pcts.append(policy.primary_marker if kind else policy.complementary_marker)
        else:
            text = f"{100 * frac:.1f}"
            led.percent(key, ["imp|n"], text)
            pcts.append(f"{text}%")
    table["n_missing"] = counts
    table["fraction_missing"] = pcts
    return table, format_count(float((~rows).sum()), int(exc_kind), policy)


# ------------------------------------------------------------------------------ matching


def _treated(data: pd.DataFrame, treatment: str, treated: Any) -> np.ndarray:
    col = data[treatment]
    if treated is not None:
        return col.astype(object).eq(treated).to_numpy(dtype=bool, na_value=False)
    num = pd.to_numeric(col.astype("float64") if col.dtype == bool else col, errors="coerce")
    return num.eq(1).to_numpy(dtype=bool, na_value=False)


def matching_sizes(ctx: Any, i: int, matched: Any, treatment: str, treated: Any) -> pd.DataFrame:
    """The before/after matching sizes as published and recorded: per arm all = matched +
    unmatched, the arms add up to the patients the propensity model used, and matching
    without replacement at k:1 keeps matched controls between k and k times the matched
    treated (equal at 1:1); an arm's effective size is masked with its matched count."""
    led, data, policy = ctx.ledger, ctx.data, ctx.policy
    where = f"matched comparison {i + 1} (sizes)"
    t = matched.table.set_index("arm")
    usable = matched.weights.reindex(data.index).notna().to_numpy(dtype=bool)
    in_matched = data.index.isin(matched.data.index)
    is_treated = _treated(data, treatment, treated)
    arms = {"treated": usable & is_treated, "control": usable & ~is_treated}
    masks: list[np.ndarray | None] = []
    values: list[float] = []
    for arm, m in arms.items():
        parts = [m, m & in_matched, m & ~in_matched]
        counts = [int(t.loc[arm, c]) for c in ("n_all", "n_matched", "n_unmatched")]
        ok = [int(p.sum()) for p in parts] == counts
        masks += parts if ok else [None, None, None]
        values += [float(c) for c in counts]
    settings = matched.settings
    cons = [[0, 1, 2], [3, 4, 5], [0, 3]]
    if settings["ratio"] == 1 and not settings["replace"]:
        cons.append([1, 4])
    kinds = decide(ctx, values, data=data, masks=masks, constraints=cons)
    prefix = f"match{i}"
    keys = [f"{prefix}|{arm}|{c}" for arm in arms for c in ("all", "matched", "unmatched")]
    for key, value, kind, mask in zip(keys, values, kinds, masks, strict=True):
        led.count(key, value, masked=bool(kind), where=where)
        if mask is not None:
            link_sets(led, data, {key: mask})
    for a in (0, 3):
        led.total(keys[a], [keys[a + 1], keys[a + 2]])
    led.hidden(f"{prefix}|usable", float(usable.sum()))
    link_sets(led, data, {f"{prefix}|usable": usable})
    led.total(f"{prefix}|usable", [keys[0], keys[3]])
    led.at_most(f"{prefix}|usable", _cohort(ctx))
    if not settings["replace"]:
        k = float(settings["ratio"])
        led.linear({keys[4]: 1.0, keys[1]: -k}, -np.inf, 0.0)
        led.linear({keys[1]: 1.0, keys[4]: -1.0}, -np.inf, 0.0)
    sizes = matched.table.copy()
    for j, col in enumerate(("n_all", "n_matched", "n_unmatched")):
        sizes[col] = [
            format_count(values[3 * r + j], int(kinds[3 * r + j]), policy) for r in range(len(arms))
        ]
    sizes["effective_n"] = [
        policy.complementary_marker if kinds[3 * r + 1] else f"{v:.1f}"
        for r, v in enumerate(matched.table["effective_n"])
    ]
    return sizes


# ------------------------------------------------------------- regression tables per level


def _level_names(ctx: Any, var: str, value: Any) -> tuple[str, ...]:
    """How a table may print a level: its label, and the raw code."""
    raw = value.item() if hasattr(value, "item") else value
    names = [str(raw)]
    lab = getattr(ctx, "labels", None)
    if lab is not None:
        names.insert(0, lab.level(var, raw))
    return tuple(dict.fromkeys(names))


def _var_names(ctx: Any, var: str) -> tuple[str, ...]:
    lab = getattr(ctx, "labels", None)
    return tuple(dict.fromkeys([*([lab.variable(var)] if lab is not None else []), var]))


def regression_counts(
    ctx: Any,
    prefix: str,
    table: pd.DataFrame,
    variables: Sequence[str],
    used: Mapping[str, np.ndarray],
    events: np.ndarray,
    totals: Mapping[str, str | None],
) -> pd.DataFrame:
    """Suppress and record the per-level ``N`` / ``events`` columns of a regression table.

    The levels of a categorical variable add up to the patients of its model (printed in the
    notes, or, for a univariable fit, the patients with the variable), so a single masked
    level gets a complementary one; a level whose patients are masked elsewhere is masked
    here too.

    Parameters
    ----------
    prefix
        Ledger key prefix (e.g. ``"cox|m1"``).
    table
        The published table: ``variable``, ``level`` and, per column group ``g`` (``""`` or
        e.g. ``"Univariable: "``), ``g + "N"`` and ``g + "events"``.
    variables
        The formula's variables.
    used
        Per column group, the rows of ``ctx.data`` its model used (for a univariable group the
        rows with the endpoint; each variable's own missing rows are left out here).
    events
        Rows with the event counted in ``events`` (e.g. death, recurrence).
    totals
        Per column group, the ledger key of the model's n (or None: unknown to the reader).

    Returns
    -------
    pandas.DataFrame
        The table with the masked cells replaced.
    """
    out = table.copy()
    if not {"variable", "level"} <= set(out.columns):
        return out
    cells = (out["variable"].astype(str).to_numpy(), out["level"].astype(str).to_numpy())
    for group, rows in used.items():
        if f"{group}N" not in out.columns or f"{group}events" not in out.columns:
            continue
        for var in variables:
            col = ctx.data[var] if var in ctx.data.columns else None
            if (
                col is None
                or pd.api.types.is_numeric_dtype(col)
                and not pd.api.types.is_bool_dtype(col)
                and col.nunique(dropna=True) > 2
            ):
                continue
            _variable_counts(ctx, out, prefix, group, var, rows, events, totals, cells)
    return out


def _level_rows(
    ctx: Any, var: str, base: np.ndarray, cells: tuple[np.ndarray, np.ndarray]
) -> tuple[list[int], list[Any], list[np.ndarray]] | None:
    """The table row, value and patients (within ``base``) of each level of ``var``; None
    when a level is not printed on exactly one row."""
    col = ctx.data[var]
    vcol, lcol = cells
    values = list(pd.unique(col[base].dropna()))
    idx, masks = [], []
    for v in values:
        hit = np.flatnonzero(
            np.isin(vcol, _var_names(ctx, var)) & np.isin(lcol, _level_names(ctx, var, v))
        )
        if len(hit) != 1:
            return None
        idx.append(int(hit[0]))
        masks.append(base & col.astype(object).eq(v).to_numpy(dtype=bool, na_value=False))
    if not idx:
        return None
    return idx, values, masks


def _variable_counts(
    ctx: Any,
    out: pd.DataFrame,
    prefix: str,
    group: str,
    var: str,
    rows: np.ndarray,
    events: np.ndarray,
    totals: Mapping[str, str | None],
    cells: tuple[np.ndarray, np.ndarray],
) -> None:
    """Suppress (in ``out``) and record one categorical variable's ``N`` / ``events`` cells
    of one column group."""
    led, data = ctx.ledger, ctx.data
    univariable = totals.get(group) is None
    col = data[var]
    base = rows & col.notna().to_numpy(dtype=bool) if univariable else rows
    found = _level_rows(ctx, var, base, cells)
    if found is None:
        return
    idx, values, masks = found
    n = [float(m.sum()) for m in masks]
    e = [float((m & events).sum()) for m in masks]
    shown = [str(out[f"{group}N"].iat[i]) for i in idx]
    if any(t.isdigit() and int(t) != v for t, v in zip(shown, n, strict=True)):
        return  # the table counts something else: not ours to record
    key = f"{prefix}|{group or 'model'}|{var}"
    total_n = totals.get(group) or f"{key}|n"
    total_e = f"{prefix}|events" if not univariable else f"{key}|events"
    # the levels add up to the model's n (events): a masked total is one more masked
    # cell of that sum, so the levels must not all be printed
    every = [list(range(len(idx) + 1))]
    kn = decide(
        ctx,
        [*n, sum(n)],
        data=data,
        masks=[*masks, None],
        constraints=every,
        forced=[False] * len(n) + [total_n in led.masked],
    )[:-1]
    ke = decide(
        ctx,
        [*e, sum(e)],
        data=data,
        masks=[*[m & events for m in masks], None],
        constraints=every,
        forced=[False] * len(e) + [total_e in led.masked],
    )[:-1]
    if univariable:
        _record(led, data, total_n, base, None, "regression table")
        _record(led, data, total_e, base & events, None, "regression table")
    parts_n, parts_e = _level_cells(
        ctx, out, group, key, idx, values, (n, e), (masks, [m & events for m in masks]), (kn, ke)
    )
    led.total(total_n, parts_n)
    if total_e in led.values:
        led.total(total_e, parts_e)


def _level_cells(
    ctx: Any,
    out: pd.DataFrame,
    group: str,
    key: str,
    idx: list[int],
    values: list[Any],
    counts: tuple[list[float], list[float]],
    masks: tuple[list[np.ndarray], list[np.ndarray]],
    kinds: tuple[Any, Any],
) -> tuple[list[str], list[str]]:
    """Mask (in ``out``) and record the ``N`` and ``events`` cells of a variable's levels
    (``counts``, ``masks`` and suppression ``kinds``: of N, of events); return the ledger
    keys of each column's cells."""
    led = ctx.ledger
    parts_n: list[str] = []
    parts_e: list[str] = []
    for j, (i, v) in enumerate(zip(idx, values, strict=True)):
        for kd, column, vals, mask, parts, part in (
            (kinds[0], f"{group}N", counts[0], masks[0][j], parts_n, "n"),
            (kinds[1], f"{group}events", counts[1], masks[1][j], parts_e, "events"),
        ):
            text = str(out[column].iat[i])
            masked = bool(kd[j]) or text in _markers(ctx)
            if kd[j] and text not in _markers(ctx):
                out.iloc[i, out.columns.get_loc(column)] = format_count(
                    vals[j], int(kd[j]), ctx.policy
                )
            k = f"{key}|{v}|{part}"
            if text == "":
                led.hidden(k, vals[j])
            else:
                led.count(k, vals[j], masked=masked, where=f"regression table ({column})")
            link_sets(led, ctx.data, {k: mask})
            parts.append(k)
    return parts_n, parts_e
