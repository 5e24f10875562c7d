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

import contextlib
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextvars import ContextVar
from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes.errors import ColumnTypeError, InputError, MissingColumnsError
from crlm_outcomes.schema.definition import canonical_definition
from crlm_outcomes.stratify._codes import Levels

__all__ = [
    "as_frame",
    "require_any",
    "boolean",
    "coded",
    "shared_reads",
    "memo",
    "memo_call",
    "number",
    "date",
    "text",
    "node_positive",
    "canonical_levels",
]

#: While :func:`shared_reads` is active (one :func:`~crlm_outcomes.stratify.apply_all` call),
#: every column read and every stratifier result is computed once per frame and reused.
_SHARED: ContextVar[dict | None] = ContextVar("crlm_stratify_shared", default=None)


@contextlib.contextmanager
def shared_reads() -> Iterator[None]:
    """Within this block, column reads and :func:`memo` results are computed once per frame."""
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def memo_call(function: Callable[..., Any], frame: pd.DataFrame, **kwargs: Any) -> Any:
    """``function(frame, **kwargs)``, computed once per frame and options inside
    :func:`shared_reads` (e.g. the timing used by several stratifiers)."""
    key = (function.__module__, function.__name__, id(frame), repr(sorted(kwargs.items())))
    return memo(key, lambda: function(frame, **kwargs))


def memo(key: tuple, compute: Callable[[], Any]) -> Any:
    """``compute()``, reused for the same ``key`` inside :func:`shared_reads`."""
    store = _SHARED.get()
    if store is None:
        return compute()
    if key not in store:
        store[key] = compute()
    return store[key]


def _read(
    kind: str, frame: pd.DataFrame, column: str, extra: Hashable, compute: Callable[[], Any]
) -> Any:
    return memo((kind, id(frame), column, extra), compute)


def canonical_levels(column: str) -> list[str]:
    """Levels of a canonical categorical column, as listed in ``schema/canonical.yaml``."""
    return [str(level) for level in canonical_definition().columns[column].levels or ()]


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
    return _read("boolean", frame, column, None, lambda: _boolean(frame, column))


def _boolean(frame: pd.DataFrame, column: str) -> pd.Series:
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


def coded(frame: pd.DataFrame, column: str, levels: Iterable[str] | None = None) -> Levels:
    """Column as :class:`~crlm_outcomes.stratify._codes.Levels` codes into its canonical levels
    (NA where missing); a value outside the levels raises an :class:`InputError`."""
    allowed = tuple(levels) if levels is not None else tuple(canonical_levels(column))
    return _read("levels", frame, column, allowed, lambda: _levels(frame, column, allowed))


def _levels(frame: pd.DataFrame, column: str, allowed: tuple[str, ...]) -> Levels:
    if column not in frame.columns:
        return Levels.empty(len(frame), allowed)
    series = frame[column]
    if isinstance(series.dtype, pd.CategoricalDtype):
        categories = series.cat.categories
        foreign = [
            i for i, c in enumerate(categories) if not isinstance(c, str) or c not in allowed
        ]
        if foreign:
            codes = series.cat.codes.to_numpy()
            bad = np.isin(codes, foreign)
            if bad.any():
                _bad(
                    frame, column, bad, series.astype(object), f"one of {list(allowed)} or missing"
                )
        return Levels.from_series(series, allowed)
    # text or object columns: each distinct value is checked and mapped once
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    where = {level: i for i, level in enumerate(allowed)}
    table = np.array(
        [where.get(u, -1) if isinstance(u, str) else -1 for u in uniques] + [-1], dtype=np.int16
    )
    bad_unique = np.flatnonzero(table[:-1] < 0)
    if bad_unique.size:
        bad = np.isin(codes, bad_unique)
        _bad(frame, column, bad, series.astype(object), f"one of {list(allowed)} or missing")
    return Levels(table[codes], allowed)


def number(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Column as a float ndarray with NaN where missing (read-only)."""
    return _read("number", frame, column, None, lambda: _read_only(_number(frame, column)))


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


def _number(frame: pd.DataFrame, column: str) -> np.ndarray:
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
    return _read("date", frame, column, None, lambda: _date(frame, column))


def _date(frame: pd.DataFrame, column: str) -> pd.Series:
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
    return _read("text", frame, column, None, lambda: _text(frame, column))


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
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


_N_POSITIVE = {"N1", "N1a", "N1b", "N1c", "N2", "N2a", "N2b"}


def node_positive(frame: pd.DataFrame) -> tuple[pd.Series, str]:
    """Node-positive primary from ``primary_node_positive``, else from ``primary_n_stage``.

    Returns the nullable boolean Series and a description of the rule. AJCC: N1/N2 (any
    subcategory) is node-positive, N0 node-negative; the canonical schema derives
    ``primary_node_positive`` the same way when the source carries only the stage.
    """
    flag = boolean(frame, "primary_node_positive")
    stage = coded(frame, "primary_n_stage")
    stage_known = stage.notna()
    flag_known = flag.notna().to_numpy()
    positive = np.where(
        flag_known, flag.to_numpy(dtype=bool, na_value=False), stage.isin(_N_POSITIVE)
    )
    result = pd.array(positive, dtype="boolean")
    result[~flag_known & ~stage_known] = pd.NA
    return (
        pd.Series(result, index=frame.index),
        "primary_node_positive, else primary_n_stage N1/N2 (AJCC)",
    )


#: The clinical item behind each canonical column, as reasons name it.
CLINICAL_ITEMS: dict[str, str] = {
    "age_at_diagnosis": "age",
    "primary_t_stage": "T stage",
    "primary_n_stage": "N stage",
    "primary_node_positive": "nodal status",
    "primary_site_icdo3": "primary site",
    "primary_diagnosis_date": "date of primary diagnosis",
    "primary_resection_date": "date of primary resection",
    "primary_resection_type": "primary resection",
    "liver_mets_diagnosis_date": "date of liver metastases",
    "liver_mets_at_primary_diagnosis": "liver metastases at primary diagnosis",
    "liver_mets_number": "number of liver metastases",
    "liver_mets_largest_cm": "largest liver metastasis",
    "cea_at_liver_diagnosis": "CEA",
    "kras_status": "KRAS",
    "nras_status": "NRAS",
    "braf_status": "BRAF",
    "mmr_status": "MMR/MSI",
    "her2_status": "HER2",
    "extrahepatic_disease": "extrahepatic disease",
    "recist_response": "RECIST response",
    "margin_width_mm": "margin width",
    "margin_status": "margin",
    "liver_resection_date": "date of liver resection",
    "ablation_type": "ablation",
    "alpps": "ALPPS",
    "surgical_strategy": "recorded strategy",
    "future_liver_remnant_pct": "future liver remnant",
    "neoadjuvant_cycles": "neoadjuvant cycles",
    "oxaliplatin_exposure": "oxaliplatin",
    "oxaliplatin_last_date": "date of last oxaliplatin",
    "liver_transplant_date": "date of transplantation",
    "cea_before_transplant": "CEA before transplantation",
    "liver_mets_largest_cm_before_transplant": "largest lesion before transplantation",
    "progression_at_transplant": "progression at transplantation",
    "initially_resectable": "initial resectability",
    "ned_achieved": "NED",
}


def item(column: str) -> str:
    """The clinical item of ``column`` (its name in words when not listed)."""
    return CLINICAL_ITEMS.get(column, column.replace("_", " "))


def why_missing(columns: str | Iterable[str], frame: pd.DataFrame) -> str:
    """'unknown for this patient' when the source has (one of) the column(s) but not the
    value, 'not recorded by this source' when it has none of them -- or, for a cohort loaded
    from a file, the loader's own reason (``frame.attrs["missing_why"]``: "not recorded by
    this source (profile X)", or the registry codes read as missing with their meaning)."""
    names = [columns] if isinstance(columns, str) else list(columns)
    loader = frame.attrs.get("missing_why") if isinstance(frame.attrs, dict) else None
    if isinstance(loader, dict):
        for name in names:
            if name in frame.columns and isinstance(loader.get(name), str):
                return loader[name]
    if any(name in frame.columns for name in names):
        return "unknown for this patient"
    return "not recorded by this source"


def missing_reason(column: str, frame: pd.DataFrame) -> str:
    """Why a column's value is missing, clinical item first: '<item> unknown for this patient'
    (the column is there, the value is not) or '<item> not recorded by this source'."""
    return f"{item(column)} {why_missing(column, frame)}"
