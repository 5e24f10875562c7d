"""The first table a biostatistician looks at: counts per level, and why the rest is missing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes.errors import SpecError
from crlm_outcomes.stratify.apply import STRATIFIERS, apply_all

__all__ = ["describe"]

#: Continuous outputs of :func:`apply_all` that :func:`describe` skips by default (describe
#: their groups instead).
CONTINUOUS = ("tumour_burden_score",)

_COLUMNS = ["variable", "level", "reason", "n", "percent", "percent_known"]


def describe(frame_or_cohort: Any, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Tidy count table of stratification results, with the missing counts by reason.

    Source: the stratifiers' own rules (see :func:`~crlm_outcomes.stratify.apply_all`).

    Parameters
    ----------
    frame_or_cohort
        The output of :func:`~crlm_outcomes.stratify.apply_all`, or a canonical cohort
        (DataFrame or Cohort), which is then passed through ``apply_all`` first.
    columns
        Variables to describe. Default: every column ``apply_all`` added (categories, integer
        scores, flags), except continuous scores. Categorical, boolean and integer columns are
        accepted; a column ``<name>_reason``, when present, supplies the reasons.

    Returns
    -------
    pandas.DataFrame
        One row per (variable, level) -- every level of a Categorical, including empty ones --
        then one row per distinct reason for the missing values (``level`` = ``"missing"``).
        Columns: ``variable``, ``level``, ``reason`` (NA on level rows), ``n``, ``percent``
        (of all patients) and ``percent_known`` (of the classified patients; NA on missing
        rows). Rows of one variable sum to the number of patients.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.stratify import apply_all, describe
    >>> df = pd.DataFrame({"primary_site_icdo3": ["C18.2", "C20.9", "C18.7", None]})
    >>> table = describe(apply_all(df), ["primary_sidedness"])
    >>> print(table[["level", "reason", "n", "percent"]].to_string(index=False))
             level                                reason  n  percent
             right                                  <NA>  1     25.0
              left                                  <NA>  2     50.0
    not_assignable                                  <NA>  0      0.0
           missing primary site unknown for this patient  1     25.0
    """
    frame = frame_or_cohort
    if not isinstance(frame, pd.DataFrame) and hasattr(frame, "data"):
        frame = frame.data
    if not isinstance(frame, pd.DataFrame):
        raise SpecError(
            "describe takes a DataFrame or a Cohort",
            value=type(frame).__name__,
            expected="pandas.DataFrame or an object with .data",
        )
    stratified = "stratify" in frame.attrs
    if columns is None:
        if not stratified:
            frame = apply_all(frame)
        names = [c for c in frame.attrs["stratify"] if c not in CONTINUOUS]
    else:
        names = [columns] if isinstance(columns, str) else list(columns)
        absent = [c for c in names if c not in frame.columns]
        if absent and not stratified and set(absent) <= set(STRATIFIERS):
            frame = apply_all(frame)
            absent = [c for c in names if c not in frame.columns]
        if absent:
            raise SpecError(
                "column(s) not in the data",
                column=absent[0],
                value=absent,
                expected="columns of the frame or names from apply_all",
            )
    parts = [_describe_one(frame, name) for name in names]
    if not parts:
        return pd.DataFrame({c: [] for c in _COLUMNS})
    table = pd.concat(parts, ignore_index=True)
    table["n"] = table["n"].astype("int64")
    return table[_COLUMNS]


def _levels(series: pd.Series, name: str) -> tuple[list[Any], pd.Series]:
    """Levels in presentation order and the values to count."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return list(dtype.categories), series
    if pd.api.types.is_bool_dtype(dtype):
        return [True, False], series
    if pd.api.types.is_integer_dtype(dtype):
        return sorted(series.dropna().unique().tolist()), series
    if pd.api.types.is_float_dtype(dtype):
        known = series.dropna().to_numpy(dtype=float)
        if np.all(known == np.round(known)):
            return sorted(set(known.tolist())), series
    if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
        known = series.dropna()
        if known.map(lambda v: isinstance(v, str)).all():
            return sorted(known.unique().tolist()), series
    raise SpecError(
        "describe counts categorical, boolean, integer or text columns",
        column=name,
        value=str(dtype),
        expected="a category or an integer score (describe the zone/group of a continuous score)",
    )


def _describe_one(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    series = frame[name]
    levels, values = _levels(series, name)
    total = len(series)
    missing = series.isna().to_numpy()
    n_known = int((~missing).sum())
    counts = values[~missing].value_counts(dropna=True)
    rows = []
    for level in levels:
        n = int(counts.get(level, 0))
        rows.append(
            {
                "variable": name,
                "level": str(level),
                "reason": pd.NA,
                "n": n,
                "percent": 100.0 * n / total if total else np.nan,
                "percent_known": 100.0 * n / n_known if n_known else np.nan,
            }
        )
    if missing.any():
        reason_column = f"{name}_reason"
        if reason_column in frame.columns:
            why = frame[reason_column].astype("string").to_numpy(dtype=object, na_value=None)
            why = np.where(pd.isna(why), "no reason recorded", why)[missing]
        else:
            why = np.full(int(missing.sum()), "no reason recorded", dtype=object)
        by_reason = (
            pd.Series(why).value_counts().sort_index().sort_values(ascending=False, kind="stable")
        )
        for text, n in by_reason.items():
            rows.append(
                {
                    "variable": name,
                    "level": "missing",
                    "reason": str(text),
                    "n": int(n),
                    "percent": 100.0 * n / total,
                    "percent_known": np.nan,
                }
            )
    out = pd.DataFrame(rows, columns=_COLUMNS)
    out["reason"] = out["reason"].astype("string")
    return out
