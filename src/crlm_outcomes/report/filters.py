"""The spec's inclusion filters, and the step that derives the stratifiers and applies them.

A filter (:class:`crlm_outcomes.report.spec.FilterSpec`) compares one cohort column with values
written in the spec; the values are checked against the column's type (a level of a category,
a date, true/false, a number) so that a typo in the spec is a :class:`SpecError` naming the key,
never a filter that silently keeps nobody. Rows where the column is missing never pass a
comparison (``!=`` and ``not_in`` included), as in SQL and R's ``subset``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes.errors import SpecError
from crlm_outcomes.report._context import BuildContext
from crlm_outcomes.report.spec import FilterSpec

__all__ = ["filter_mask", "stratify_and_filter"]


def filter_mask(frame: pd.DataFrame, flt: FilterSpec, key: str) -> np.ndarray:
    """Boolean mask of the rows of ``frame`` that pass ``flt`` (``key`` names it in errors).

    Parameters
    ----------
    frame
        The cohort (canonical and stratifier columns).
    flt
        The filter: column, operator and value(s) as written in the spec.
    key
        Where the filter sits in the spec (e.g. ``"filters[1]"``), named in errors.

    Returns
    -------
    numpy.ndarray
        Boolean, one per row: True where the row passes. A missing value never passes a
        comparison (``!=`` and ``not_in`` included); ``isna``/``notna`` test for it.

    Raises
    ------
    SpecError
        The column is not in ``frame``, or a value does not fit the column's type (not a
        level of a category, not a date, not a number, not true/false).

    Examples
    --------
    >>> from crlm_outcomes.report.spec import FilterSpec
    >>> cohort = pd.DataFrame({"age_at_diagnosis": [45.0, 71.0, None, 80.0]})
    >>> elderly = FilterSpec(column="age_at_diagnosis", op=">=", value=70)
    >>> filter_mask(cohort, elderly, "filters[0]").tolist()
    [False, True, False, True]
    >>> try:
    ...     filter_mask(cohort, FilterSpec(column="age", op="notna"), "filters[1]")
    ... except SpecError as exc:
    ...     print(exc)
    invalid analysis spec: key 'filters[1].column': column not in the cohort; value 'age'; expected a column of the loaded cohort
    """
    if flt.column not in frame.columns:
        raise SpecError(
            f"invalid analysis spec: key '{key}.column': column not in the cohort",
            value=flt.column,
            expected="a column of the loaded cohort",
        )
    s = frame[flt.column]
    if flt.op == "notna":
        return s.notna().to_numpy()
    if flt.op == "isna":
        return s.isna().to_numpy()
    values = flt.value if isinstance(flt.value, list) else [flt.value]
    conv = [_convert(s, v, f"{key}.value") for v in values]
    if flt.op in ("in", "not_in"):
        hit = s.isin(conv).to_numpy(dtype=bool)
        return hit if flt.op == "in" else ~hit & s.notna().to_numpy()
    value = conv[0]
    if (
        isinstance(s.dtype, pd.CategoricalDtype)
        and not s.cat.ordered
        and flt.op not in ("==", "!=")
    ):
        raise SpecError(
            f"invalid analysis spec: key '{key}.op': order comparison on an unordered category",
            value=flt.op,
            expected="==, !=, in or not_in",
        )
    ops = {
        "==": s.__eq__,
        "!=": s.__ne__,
        "<": s.__lt__,
        "<=": s.__le__,
        ">": s.__gt__,
        ">=": s.__ge__,
    }
    try:
        res = ops[flt.op](value)
    except TypeError as exc:
        raise SpecError(
            f"invalid analysis spec: key '{key}.value': cannot compare with column "
            f"{flt.column!r} ({s.dtype})",
            value=flt.value,
            expected=f"a value of type {s.dtype}",
        ) from exc
    return res.fillna(False).to_numpy(dtype=bool) & s.notna().to_numpy()


def _convert(s: pd.Series, value: Any, key: str) -> Any:
    """``value`` checked against the type of column ``s`` (dates parsed)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = list(s.cat.categories)
        if value not in cats:
            raise SpecError(
                f"invalid analysis spec: key '{key}': not a level of the column",
                value=value,
                expected=f"one of {cats}",
            )
        return value
    if pd.api.types.is_datetime64_any_dtype(s):
        try:
            return pd.Timestamp(value)
        except (ValueError, TypeError) as exc:
            raise SpecError(
                f"invalid analysis spec: key '{key}': not a date",
                value=value,
                expected="a date such as 2015-01-31",
            ) from exc
    if pd.api.types.is_bool_dtype(s):
        if not isinstance(value, bool):
            raise SpecError(
                f"invalid analysis spec: key '{key}': the column is true/false",
                value=value,
                expected="true or false",
            )
        return value
    if pd.api.types.is_numeric_dtype(s):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SpecError(
                f"invalid analysis spec: key '{key}': the column is numeric",
                value=value,
                expected="a number",
            )
        return value
    return value


def _lower_first(text: str) -> str:
    """``Liver resection`` -> ``liver resection``; acronyms (``KRAS``) stay."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def stratify_and_filter(ctx: BuildContext) -> list[dict[str, Any]]:
    """Add the stratifiers (:func:`crlm_outcomes.stratify.apply_all`) to the loaded cohort,
    apply the filters in order and store the analysis cohort in ``ctx.data``.

    Parameters
    ----------
    ctx
        The build context, with the cohort loaded (:func:`crlm_outcomes.report.load.
        load_cohort_step`); its spec gives the stratifier options and the filters.

    Returns
    -------
    list of dict
        The flow steps: label, n remaining, n excluded and the reason, from the source file's
        records through the load's quarantine to each filter.

    Raises
    ------
    SpecError
        A filter does not fit the cohort (:func:`filter_mask`), or no patient is left.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from crlm_outcomes.report._context import BuildContext
    >>> from crlm_outcomes.report.load import load_cohort_step
    >>> from crlm_outcomes.report.spec import parse_spec
    >>> from crlm_outcomes.report.suppression import SuppressionPolicy
    >>> from crlm_outcomes.report.writer import OutputWriter
    >>> spec = parse_spec({
    ...     "cohort": {"demo": True, "n": 50, "seed": 3},
    ...     "filters": [
    ...         {"column": "liver_resection_date", "op": "notna", "label": "Resected"},
    ...         {"column": "age_at_diagnosis", "op": ">=", "value": 70},
    ...     ],
    ... })
    >>> with tempfile.TemporaryDirectory() as d:
    ...     writer = OutputWriter(Path(d), spec, jobs=1)
    ...     ctx = BuildContext(spec=spec, policy=SuppressionPolicy(enabled=False), writer=writer)
    ...     load_cohort_step(ctx, Path(d))
    ...     steps = stratify_and_filter(ctx)
    >>> for step in steps[2:]:
    ...     print(step["label"], step["n"], step["excluded"])
    Resected 30 20
    Age at diagnosis ≥ 70 years 8 22
    >>> len(ctx.data), "fong_group" in ctx.data.columns
    (8, True)
    """
    from crlm_outcomes.stratify import apply_all

    frame = apply_all(ctx.cohort, **{k: dict(v) for k, v in ctx.spec.stratify_options.items()})
    a = ctx.cohort.audit
    lab = ctx.labels
    steps = [
        {"label": "Records in the source", "n": a.rows_in, "excluded": None, "reason": ""},
        {
            "label": "Records loaded",
            "n": a.rows_loaded,
            "excluded": a.rows_quarantined,
            "reason": "Failed validation at load (quarantined, listed below)",
        },
    ]
    keep = np.ones(len(frame), dtype=bool)
    for i, flt in enumerate(ctx.spec.filters):
        mask = filter_mask(frame, flt, f"filters[{i}]")
        before = int(keep.sum())
        keep &= mask
        steps.append(
            {
                "label": flt.describe(lab),
                "n": int(keep.sum()),
                "excluded": before - int(keep.sum()),
                "reason": f"Not meeting: {_lower_first(flt.describe(lab))}",
            }
        )
    ctx.data = frame.loc[keep].copy()
    if len(ctx.data) == 0:
        raise SpecError(
            "no patient is left after the inclusion filters",
            value=[f.describe(lab) for f in ctx.spec.filters],
            expected="filters that keep some patients",
        )
    return steps
