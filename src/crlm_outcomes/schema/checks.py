"""Vectorised value checks derived from ``canonical.yaml``: the load path's validator.

The same YAML declarations build the public pandera schema
(:mod:`crlm_outcomes.schema.pandera_schema`). The loader uses these numpy/pandas versions
instead because they return failures directly as (row, column, value, check) records at the cost
of one vectorised comparison per column: 0.1-0.2 s for a million-row cohort, where pandera takes
0.9-3 s for the same checks on the same frame (benchmarks/bench_load.py prints both). Both are generated from the same :class:`ColumnSpec` fields — ``min``,
``max``, ``levels`` (int columns), ``pattern``, ``required`` — and tests check they agree.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from crlm_outcomes._arrow import string_chunks
from crlm_outcomes.schema.definition import ColumnSpec, SchemaDefinition

__all__ = ["value_failures", "column_failures", "FAILURE_COLUMNS"]

FAILURE_COLUMNS = ["row", "column", "value", "check"]


#: The "no failure" result (copied for each caller).
_NO_FAILURES = pd.DataFrame(
    {
        c: pd.Series([], dtype=t)
        for c, t in zip(FAILURE_COLUMNS, ["int64", object, object, object], strict=True)
    }
)


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


def _pattern_failures(series: pd.Series, pattern: str) -> np.ndarray:
    """Positions of the non-missing values that do not match ``pattern`` in full (Python
    ``re``). Each distinct value is matched once; Arrow-backed text is deduplicated and looked
    up in Arrow (``unique`` / ``is_in``, no Python string per row)."""
    arrow = isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow"
    if not arrow:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        if not len(uniques):
            return np.zeros(0, dtype=np.intp)
        ok_u = pd.Series(uniques, dtype="string").str.fullmatch(pattern)
        ok_u = ok_u.fillna(False).to_numpy(dtype=bool)
        return np.flatnonzero((codes >= 0) & ~ok_u[np.where(codes >= 0, codes, 0)])
    import pyarrow as pa
    import pyarrow.compute as pc

    values = string_chunks(series)
    uniques = pc.unique(values).drop_null()
    if not len(uniques):
        return np.zeros(0, dtype=np.intp)
    ok_u = pd.Series(uniques.to_pylist(), dtype="string").str.fullmatch(pattern)
    ok_u = ok_u.fillna(False).to_numpy(dtype=bool)
    if ok_u.all():
        return np.zeros(0, dtype=np.intp)
    bad_u = uniques.filter(pa.array(~ok_u))
    hit = pc.fill_null(pc.is_in(values, value_set=bad_u), False)
    return np.flatnonzero(hit.to_numpy())


def column_failures(series: pd.Series, spec: ColumnSpec) -> pd.DataFrame:
    """Failures of one column against its YAML declaration (missing values are not failures,
    except in a ``required`` column). ``row`` is the 0-based position.

    Parameters
    ----------
    series
        The column's values, in its canonical dtype.
    spec
        Its declaration: ``required``, ``min``/``max`` (int and float columns), ``levels``
        (allowed codes of an int column) and ``pattern`` (string columns) are checked.

    Returns
    -------
    pandas.DataFrame
        One record per failure: ``row`` (0-based position), ``column`` (``spec.name``),
        ``value`` (the offending value) and ``check`` (what was expected, in words); no rows
        when every value passes.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.schema import canonical_definition
    >>> from crlm_outcomes.schema.checks import column_failures
    >>> spec = canonical_definition().columns["age_at_diagnosis"]  # 0 to 110 years
    >>> ages = pd.Series([64.0, -3.0, None, 131.0])
    >>> print(column_failures(ages, spec).to_string(index=False))
     row           column  value             check
       1 age_at_diagnosis   -3.0   below minimum 0
       3 age_at_diagnosis  131.0 above maximum 110
    """
    parts: list[tuple[np.ndarray, str]] = []
    if spec.required:
        parts.append((np.flatnonzero(series.isna().to_numpy()), "required value missing"))
    if spec.dtype in ("int", "float") and (spec.min is not None or spec.max is not None):
        arr = series.to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            if spec.min is not None:
                parts.append((np.flatnonzero(arr < spec.min), f"below minimum {_fmt(spec.min)}"))
            if spec.max is not None:
                parts.append((np.flatnonzero(arr > spec.max), f"above maximum {_fmt(spec.max)}"))
    if spec.dtype == "int" and spec.levels is not None:
        arr = series.to_numpy(dtype=float, na_value=np.nan)
        bad = ~np.isnan(arr) & ~np.isin(arr, np.asarray(spec.levels, dtype=float))
        parts.append((np.flatnonzero(bad), f"not one of {list(spec.levels)}"))
    if spec.dtype == "string" and spec.pattern is not None:
        parts.append(
            (_pattern_failures(series, spec.pattern), f"does not match pattern {spec.pattern}")
        )
    rows = [p for p in parts if len(p[0])]
    if not rows:
        return _NO_FAILURES.copy()
    idx = np.concatenate([r for r, _ in rows])
    checks = np.concatenate([np.full(len(r), c, dtype=object) for r, c in rows])
    values = series.to_numpy(dtype=object)[idx]
    return pd.DataFrame(
        {"row": idx.astype("int64"), "column": spec.name, "value": values, "check": checks}
    )


def value_failures(
    frame: pd.DataFrame, schema: SchemaDefinition, columns: Iterable[str] | None = None
) -> pd.DataFrame:
    """Every value failure of ``frame`` against the schema, as row/column/value/check records.

    Parameters
    ----------
    frame
        A frame with canonical columns (absent columns are skipped).
    schema
        The schema definition.
    columns
        Restrict to these columns (default: every canonical column present).

    Returns
    -------
    pandas.DataFrame
        Columns ``row`` (0-based position), ``column``, ``value``, ``check``: one record per
        failing value (see :func:`column_failures`), column by column in schema order; no
        rows when the frame passes.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.schema import canonical_definition
    >>> from crlm_outcomes.schema.checks import value_failures
    >>> df = pd.DataFrame({
    ...     "patient_id": pd.array(["P1", None], dtype="string"),
    ...     "age_at_diagnosis": [64.0, 131.0],
    ...     "performance_status_ecog": pd.array([1, 7], dtype="Int64")})
    >>> failures = value_failures(df, canonical_definition())
    >>> for record in failures[["row", "column", "check"]].itertuples(index=False):
    ...     print(int(record.row), record.column, "--", record.check)
    1 patient_id -- required value missing
    1 age_at_diagnosis -- above maximum 110
    1 performance_status_ecog -- not one of [0, 1, 2, 3, 4]
    """
    names = list(columns) if columns is not None else list(schema.columns)
    parts = [column_failures(frame[name], schema.columns[name]) for name in names if name in frame]
    parts = [p for p in parts if len(p)]
    if not parts:
        return _NO_FAILURES.copy()
    return pd.concat(parts, ignore_index=True)
