"""Validation of survival input shared by every estimator in :mod:`crlm_outcomes.survival`.

Every analysis function takes the same vocabulary: ``data, duration, event, by, strata, weights,
cluster, entry``. This module turns those names into clean numpy arrays once, with the same rules
everywhere:

* Rows with a missing value in any column the analysis uses are excluded, as R's default
  ``na.action = na.omit`` does, but never silently: they are listed in
  :attr:`SurvivalInput.excluded` (source index, column, value, reason), counted in every result,
  and announced with a :class:`~crlm_outcomes.errors.DataQualityWarning`.
* Negative durations, entry times at or after the exit time, event codes outside the declared
  set and non-positive or non-finite weights are errors (:class:`SurvivalDataError`) that name the
  row, the column and the value.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes._data import as_frame, column_codes
from crlm_outcomes._result import excluded_count
from crlm_outcomes.errors import DataQualityWarning, InputError, SurvivalDataError
from crlm_outcomes.stratify.immortal_time import check_immortal_time

__all__ = ["SurvivalInput", "survival_input", "as_column_list", "excluded_count"]


def as_column_list(names: str | Sequence[str] | None) -> list[str]:
    """Normalise ``None``, one column name or a list of names to a list."""
    if names is None:
        return []
    if isinstance(names, str):
        return [names]
    return list(names)


@dataclass(frozen=True)
class SurvivalInput:
    """Clean arrays for one analysis, all of the same length (the rows kept).

    Attributes
    ----------
    time, event
        Exit time (float64) and event code (int64; 0 = censored, otherwise the cause code).
    entry
        Entry (left-truncation / start) time, or ``None``.
    weights
        Case weights, or ``None``.
    group, group_labels
        Integer codes of ``by`` (0..k-1) and the label of each code; a single group ``"all"``
        when ``by`` is None. Labels keep the categorical order when ``by`` is categorical; with
        several ``by`` columns they read ``"a=x, b=y"`` (R's labels), the first column varying
        slowest.
    strata, strata_labels
        Integer codes of the combined ``strata`` columns (labels as for ``by``), or ``None``.
    group_keys, strata_keys
        The values behind each label: the value itself for one column, a tuple of values for
        several (``None`` without ``by``/``strata``).
    cluster
        Integer codes of the cluster column, or ``None``.
    index
        The DataFrame index of the rows kept.
    excluded
        One row per excluded input row and offending column: index, column, value, reason.
    """

    time: np.ndarray
    event: np.ndarray
    entry: np.ndarray | None
    weights: np.ndarray | None
    group: np.ndarray
    group_labels: list[Hashable]
    strata: np.ndarray | None
    strata_labels: list[Hashable] | None
    cluster: np.ndarray | None
    index: pd.Index
    excluded: pd.DataFrame = field(repr=False)
    group_keys: list[Hashable] | None = None
    strata_keys: list[Hashable] | None = None

    @property
    def n(self) -> int:
        """Number of rows kept."""
        return int(self.time.shape[0])


def survival_input(
    data: Any,
    duration: str,
    event: str,
    *,
    by: str | Sequence[str] | None = None,
    strata: str | Sequence[str] | None = None,
    weights: str | None = None,
    cluster: str | None = None,
    entry: str | None = None,
    causes: Sequence[int] = (1,),
    extra: Sequence[str] = (),
    warn: bool = True,
) -> SurvivalInput:
    """Validate and extract the arrays of one survival analysis.

    Parameters
    ----------
    data
        One row per subject (or per interval with ``entry``): a DataFrame or a
        :class:`~crlm_outcomes.io.cohort.Cohort`.
    duration, event
        Column names of the exit time and the event code. Event codes must be 0 (censored) or one
        of ``causes``; booleans are accepted as 0/1.
    by, strata, weights, cluster, entry
        Optional column names, with the package-wide meaning.
    causes
        The event codes that count as events (``(1,)`` for ordinary survival; the declared causes
        for competing risks).
    extra
        Further columns (e.g. model covariates) whose missing values also exclude the row.
    warn
        Issue a :class:`DataQualityWarning` when rows are excluded.

    Returns
    -------
    SurvivalInput

    Raises
    ------
    SurvivalDataError
        Unknown column, negative or infinite time, entry >= exit, event code outside
        ``{0, *causes}``, non-positive weight, or no rows left.
    """
    data = as_frame(data, error=SurvivalDataError)
    by_cols = as_column_list(by)
    strata_cols = as_column_list(strata)
    used = _used_columns(
        data,
        {
            "duration": [duration],
            "event": [event],
            "by": by_cols,
            "strata": strata_cols,
            "weights": as_column_list(weights),
            "cluster": as_column_list(cluster),
            "entry": as_column_list(entry),
            "covariates": list(extra),
        },
    )
    if warn:
        check_immortal_time(
            data, by_cols + strata_cols, duration, entry if isinstance(entry, str) else None
        )
    kept, excluded = _exclude_missing(data, used, duration, warn)
    time = _exit_times(kept, duration)
    ev = _event_codes(kept, event, causes)
    entry_arr = None
    if entry is not None:
        entry_arr = _numeric(kept, entry, "entry")
        bad = ~(entry_arr < time)
        if bad.any():
            _raise_at(
                kept, entry, bad, "entry time is not before the exit time", f"entry < {duration}"
            )
    w = None
    if weights is not None:
        w = _numeric(kept, weights, "weights")
        bad = ~np.isfinite(w) | (w <= 0)
        if bad.any():
            _raise_at(kept, weights, bad, "weight is not a positive finite number", "a weight > 0")
    group_keys: list[Hashable] | None = None
    if by_cols:
        group, group_labels, group_keys = column_codes(kept, by_cols)
    else:
        group, group_labels = np.zeros(len(kept), dtype=np.int64), ["all"]
    strata_arr = strata_labels = strata_keys = None
    if strata_cols:
        strata_arr, strata_labels, strata_keys = column_codes(kept, strata_cols)
    cluster_arr = None
    if cluster is not None:
        cluster_arr, _, _ = column_codes(kept, [cluster])
    return SurvivalInput(
        time=time,
        event=ev,
        entry=entry_arr,
        weights=w,
        group=group,
        group_labels=group_labels,
        strata=strata_arr,
        strata_labels=strata_labels,
        cluster=cluster_arr,
        index=kept.index,
        excluded=excluded,
        group_keys=group_keys,
        strata_keys=strata_keys,
    )


def _used_columns(data: pd.DataFrame, named: dict[str, list[str]]) -> list[str]:
    """The columns named for each role, without repeats, each checked to exist."""
    used: list[str] = []
    for role, cols in named.items():
        for col in cols:
            if col not in data.columns:
                raise SurvivalDataError(
                    f"column for {role} not found",
                    column=col,
                    expected=f"one of the data's columns ({', '.join(map(str, data.columns[:12]))}"
                    + (", ..." if len(data.columns) > 12 else "")
                    + ")",
                )
            if col not in used:
                used.append(col)
    return used


def _exclude_missing(
    data: pd.DataFrame, used: list[str], duration: str, warn: bool
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows complete in the used columns and the table of the excluded cells (index,
    column, value, reason), announced by a warning when ``warn``."""
    # One NA scan per used column; no copy of the used columns unless rows are dropped.
    missing = {col: data[col].isna().to_numpy() for col in used}
    drop = np.logical_or.reduce(list(missing.values()))
    parts = []
    if drop.any():
        for col in used:
            hit = missing[col]  # a missing cell is in a dropped row by definition
            if hit.any():
                parts.append(
                    pd.DataFrame(
                        {
                            "index": data.index[hit],
                            "column": col,
                            "value": data[col].to_numpy()[hit],
                            "reason": "missing value",
                        }
                    )
                )
    excluded = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=["index", "column", "value", "reason"])
    )
    kept = data.loc[~drop, used] if drop.any() else data
    if drop.any() and warn:
        warnings.warn(
            f"{int(drop.sum())} row(s) excluded for missing values in "
            f"{', '.join(sorted(set(excluded['column'].astype(str))))}; see result.excluded",
            DataQualityWarning,
            stacklevel=4,
        )
    if len(kept) == 0:
        raise SurvivalDataError(
            "no rows left after excluding rows with missing values",
            column=duration,
            expected="at least one complete row",
        )
    return kept, excluded


def _exit_times(kept: pd.DataFrame, duration: str) -> np.ndarray:
    """The durations as float64, checked finite and non-negative."""
    time = _numeric(kept, duration, "duration")
    if np.any(~np.isfinite(time)):
        _raise_at(kept, duration, ~np.isfinite(time), "duration is not finite", "a finite number")
    if np.any(time < 0):
        _raise_at(kept, duration, time < 0, "negative duration", "a duration >= 0")
    return time


def _event_codes(kept: pd.DataFrame, event: str, causes: Sequence[int]) -> np.ndarray:
    """The event codes as int64 (booleans as 0/1), checked to be 0 or a declared cause."""
    raw_event = kept[event]
    if raw_event.dtype == bool or str(raw_event.dtype) == "boolean":
        ev = raw_event.astype("int64").to_numpy()
    else:
        ev_float = _numeric(kept, event, "event")
        bad = ev_float != np.round(ev_float)
        if bad.any():
            _raise_at(
                kept, event, bad, "event code is not an integer", f"one of {sorted({0, *causes})}"
            )
        ev = ev_float.astype(np.int64)
    allowed = np.array(sorted({0, *causes}))
    # A chain of comparisons beats np.isin (which sorts) for the usual two or three codes.
    bad = (
        ~np.logical_or.reduce([ev == a for a in allowed])
        if len(allowed) <= 3
        else ~np.isin(ev, allowed)
    )
    if bad.any():
        _raise_at(
            kept,
            event,
            bad,
            "event code outside the declared set",
            f"0 (censored) or {', '.join(map(str, causes))}",
        )
    return ev


def _numeric(frame: pd.DataFrame, column: str, role: str) -> np.ndarray:
    s = frame[column]
    if s.dtype == bool or str(s.dtype) == "boolean":
        return s.astype("float64").to_numpy()
    if not pd.api.types.is_numeric_dtype(s):
        converted = pd.to_numeric(s, errors="coerce")
        bad = converted.isna().to_numpy()
        if bad.any():
            _raise_at(frame, column, bad, f"{role} is not numeric", "a number")
        s = converted
    return s.to_numpy(dtype=np.float64)


def _raise_at(
    frame: pd.DataFrame, column: str, mask: np.ndarray, message: str, expected: str
) -> None:
    pos = int(np.flatnonzero(mask)[0])
    n_bad = int(np.count_nonzero(mask))
    label = frame.index[pos]
    value = frame[column].iloc[pos]
    more = f" ({n_bad} row(s) in all)" if n_bad > 1 else ""
    row = int(label) if isinstance(label, (int, np.integer)) else None
    if isinstance(value, np.generic):
        value = value.item()
    raise SurvivalDataError(message + more, row=row, column=column, value=value, expected=expected)


def treatment_codes(data: pd.DataFrame, treatment: str, treated: Any) -> pd.Series:
    """0/1 float Series (NaN where missing) for the treatment column (weighting, matching)."""
    if treatment not in data.columns:
        raise InputError(
            "treatment column not found", column=treatment, expected="a column of the data"
        )
    s = data[treatment]
    if treated is not None:
        values = set(s.dropna().unique())
        if treated not in values:
            raise InputError(
                "the treated value does not occur in the treatment column",
                column=treatment,
                value=treated,
                expected=f"one of {sorted(map(str, values))}",
            )
        if len(values) != 2:
            raise InputError(
                "the treatment column must have exactly two values",
                column=treatment,
                value=sorted(map(str, values)),
                expected="two arms",
            )
        return (s == treated).astype(np.float64).where(s.notna())
    if s.dtype == bool or str(s.dtype) == "boolean":
        return s.astype("float64")
    num = pd.to_numeric(s, errors="coerce")
    bad = (num.notna() & ~num.isin([0, 1])) | (s.notna() & num.isna())
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        label = s.index[pos]
        raise InputError(
            "treatment must be coded 0/1 (or give treated=...)",
            row=int(label) if isinstance(label, (int, np.integer)) else None,
            column=treatment,
            value=s.iloc[pos],
            expected="0 = control, 1 = treated, or treated=<value of the treated>",
        )
    return num.astype(np.float64)
