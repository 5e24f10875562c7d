"""Typed, validated access to canonical cohort columns for the stratifiers.

Every stratifier reads its inputs through these helpers so that the same rules hold everywhere:

* A column that is absent from the frame reads as *all missing*; the stratifier then gives
  missing values whose reason names the column. If **none** of the columns a stratifier uses is
  present the call is almost certainly a mistake, and :func:`require_any` raises
  :class:`~crlm_outcomes.errors.MissingColumnsError`.
* Values are never coerced silently. A category outside the canonical levels, text in a numeric
  column or an unparseable date raises an :class:`~crlm_outcomes.errors.InputError` naming the row
  (``source_row`` when the frame carries it, else the index label), the column, the value and
  what was expected.
* Canonical levels are read from the packaged ``schema/canonical.yaml``, the single source of
  truth for codes.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import yaml

from crlm_outcomes.errors import ColumnTypeError, InputError, MissingColumnsError

__all__ = [
    "DAYS_PER_MONTH",
    "as_frame",
    "require_any",
    "boolean",
    "category",
    "number",
    "date",
    "text",
    "node_positive",
    "canonical_levels",
]

#: Days per month, as fixed by the canonical schema (``days_per_month``).
DAYS_PER_MONTH = 30.4375


@lru_cache(maxsize=1)
def _canonical() -> dict[str, Any]:
    with resources.files("crlm_outcomes").joinpath("schema/canonical.yaml").open(
        "r", encoding="utf-8"
    ) as handle:
        return yaml.safe_load(handle)


def canonical_levels(column: str) -> list[str]:
    """Levels of a canonical categorical column, as listed in ``schema/canonical.yaml``."""
    spec = _canonical()["columns"][column]
    return [str(level) for level in spec["levels"]]


def as_frame(data: Any) -> pd.DataFrame:
    """Return the DataFrame of ``data`` (a DataFrame, or a Cohort-like object with ``.data``).

    The index must be unique: the reasons attached to a result are keyed by index label.
    """
    frame = data
    if not isinstance(frame, pd.DataFrame) and hasattr(frame, "data"):
        frame = frame.data
    if not isinstance(frame, pd.DataFrame):
        raise InputError(
            "stratifiers take a pandas DataFrame or a Cohort (an object with a .data DataFrame)",
            value=type(data).__name__,
            expected="pandas.DataFrame or Cohort",
        )
    if not frame.index.is_unique:
        duplicated = frame.index[frame.index.duplicated()][0]
        raise InputError(
            "the DataFrame index has duplicate labels; reasons are attached by index label",
            value=duplicated,
            expected="a unique index (one row per patient), e.g. data.reset_index(drop=True)",
        )
    return frame


def require_any(frame: pd.DataFrame, columns: Iterable[str], stratifier: str) -> None:
    """Raise :class:`MissingColumnsError` when none of ``columns`` is in ``frame``."""
    columns = list(columns)
    if not any(column in frame.columns for column in columns):
        raise MissingColumnsError(
            columns,
            expected=f"at least one of these canonical columns for {stratifier}",
        )


def _where(frame: pd.DataFrame, position: int) -> tuple[int | None, str]:
    label = frame.index[position]
    row = None
    if "source_row" in frame.columns:
        value = frame["source_row"].iloc[position]
        if not pd.isna(value):
            row = int(value)
    return row, f"index label {label!r}"


def _bad(frame: pd.DataFrame, column: str, mask: np.ndarray, values: Any, expected: str) -> None:
    position = int(np.flatnonzero(mask)[0])
    row, label = _where(frame, position)
    value = values[position] if not isinstance(values, pd.Series) else values.iloc[position]
    raise InputError(
        f"unexpected value in column {column!r} ({label}; {int(mask.sum())} row(s) affected)",
        row=row,
        column=column,
        value=value,
        expected=expected,
    )


def _all_missing(frame: pd.DataFrame, dtype: str) -> pd.Series:
    return pd.Series(pd.array([pd.NA] * len(frame), dtype=dtype), index=frame.index)


def boolean(frame: pd.DataFrame, column: str) -> pd.Series:
    """Column as a nullable ``boolean`` Series (all missing if the column is absent)."""
    if column not in frame.columns:
        return _all_missing(frame, "boolean")
    series = frame[column]
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.astype("boolean")
    if series.dtype == object or isinstance(series.dtype, pd.CategoricalDtype):
        values = series.astype(object)
        ok = values.isna() | values.map(lambda v: isinstance(v, (bool, np.bool_)))
        if not ok.all():
            _bad(frame, column, ~ok.to_numpy(), values, "True, False or missing")
        return values.astype("boolean")
    if series.isna().all():
        return _all_missing(frame, "boolean")
    raise ColumnTypeError(
        f"column {column!r} has dtype {series.dtype}",
        column=column,
        expected="a boolean column (True / False / missing)",
    )


def category(frame: pd.DataFrame, column: str, levels: Iterable[str] | None = None) -> pd.Series:
    """Column as an object Series of canonical level strings (``None`` where missing)."""
    allowed = list(levels) if levels is not None else canonical_levels(column)
    if column not in frame.columns:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    values = frame[column].astype(object)
    missing = values.isna().to_numpy()
    values = values.where(~missing, None)
    ok = missing | values.isin(allowed).to_numpy()
    if not ok.all():
        _bad(frame, column, ~ok, values, f"one of {allowed} or missing")
    return values


def number(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Column as a float ndarray with NaN where missing."""
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    series = frame[column]
    if pd.api.types.is_bool_dtype(series.dtype) or not (
        pd.api.types.is_numeric_dtype(series.dtype) or series.isna().all()
    ):
        if series.dtype == object:
            numeric = pd.to_numeric(series, errors="coerce")
            bad = (numeric.isna() & series.notna()).to_numpy() | series.map(
                lambda v: isinstance(v, (bool, np.bool_, str))
            ).to_numpy()
            if bad.any():
                _bad(frame, column, bad, series, "a number or missing")
            return numeric.to_numpy(dtype=float, na_value=np.nan)
        raise ColumnTypeError(
            f"column {column!r} has dtype {series.dtype}",
            column=column,
            expected="a numeric column",
        )
    return pd.to_numeric(series).to_numpy(dtype=float, na_value=np.nan)


def date(frame: pd.DataFrame, column: str) -> pd.Series:
    """Column as a ``datetime64[ns]`` Series (NaT where missing).

    datetime64 columns and object columns of dates/Timestamps/ISO-8601 strings are accepted;
    anything else raises an :class:`InputError` naming the first bad value.
    """
    if column not in frame.columns:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    series = frame[column]
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        if getattr(series.dt, "tz", None) is not None:
            series = series.dt.tz_localize(None)
        return series.astype("datetime64[ns]")
    converted = pd.to_datetime(series, errors="coerce", format="ISO8601")
    bad = (converted.isna() & series.notna()).to_numpy()
    if bad.any():
        _bad(frame, column, bad, series, "a date (datetime64, or ISO-8601 text such as 2020-01-31)")
    return converted.astype("datetime64[ns]")


def text(frame: pd.DataFrame, column: str) -> pd.Series:
    """Column as a ``string`` Series (NA where missing); non-text values raise."""
    if column not in frame.columns:
        return _all_missing(frame, "string")
    series = frame[column]
    if pd.api.types.is_string_dtype(series.dtype) and not pd.api.types.is_object_dtype(
        series.dtype
    ):
        return series.astype("string")
    values = series.astype(object)
    missing = values.isna()
    ok = missing | values.map(lambda v: isinstance(v, str))
    if not ok.all():
        _bad(frame, column, ~ok.to_numpy(), values, "text or missing")
    return values.where(~missing, None).astype("string")


def months_between(later: pd.Series, earlier: pd.Series) -> np.ndarray:
    """``(later - earlier)`` in months of 30.4375 days, NaN where either date is missing."""
    return ((later - earlier) / pd.Timedelta(days=1)).to_numpy(dtype=float) / DAYS_PER_MONTH


_N_POSITIVE = {"N1", "N1a", "N1b", "N1c", "N2", "N2a", "N2b"}


def node_positive(frame: pd.DataFrame) -> tuple[pd.Series, str]:
    """Node-positive primary from ``primary_node_positive``, else from ``primary_n_stage``.

    Returns the nullable boolean Series and a description of the rule. AJCC: N1/N2 (any
    subcategory) is node-positive, N0 node-negative; the canonical schema derives
    ``primary_node_positive`` the same way when the source carries only the stage.
    """
    flag = boolean(frame, "primary_node_positive")
    stage = category(frame, "primary_n_stage")
    stage_known = stage.notna().to_numpy()
    flag_known = flag.notna().to_numpy()
    positive = np.where(flag_known, flag.to_numpy(dtype=bool, na_value=False),
                        stage.isin(_N_POSITIVE).to_numpy())
    result = pd.array(positive, dtype="boolean")
    result[~flag_known & ~stage_known] = pd.NA
    return (pd.Series(result, index=frame.index),
            "primary_node_positive, else primary_n_stage N1/N2 (AJCC)")


def missing_reason(column: str, frame: pd.DataFrame) -> str:
    """'<column> missing' or '<column> not in data' -- or, for a cohort loaded from a file,
    the loader's reason (``frame.attrs["missing_why"]``): "not recorded by this source
    (profile X)", or the registry codes read as missing with their meaning."""
    why = frame.attrs.get("missing_why") if isinstance(frame.attrs, dict) else None
    if column in frame.columns and isinstance(why, dict) and isinstance(why.get(column), str):
        return why[column]
    return f"{column} {'missing' if column in frame.columns else 'not in data'}"


def labels(frame: pd.DataFrame) -> list[Hashable]:
    """Index labels as a list (for the reasons mapping)."""
    return list(frame.index)
