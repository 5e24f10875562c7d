"""Input handling shared by the validation functions: one predictor at a time, missing values
excluded per predictor (counted and listed), pairwise comparisons on the rows both predictors have.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crlm_outcomes.errors import SurvivalDataError
from crlm_outcomes.survival._inputs import survival_input

__all__ = ["Outcome", "as_frame", "outcome", "score_names", "predictor_values"]

EXCLUDED_COLUMNS = ["predictor", "index", "column", "value", "reason"]


def as_frame(data) -> pd.DataFrame:
    """The DataFrame of ``data`` (a DataFrame or a :class:`~crlm_outcomes.io.Cohort`)."""
    frame = getattr(data, "data", data)
    if not isinstance(frame, pd.DataFrame):
        raise SurvivalDataError(
            "data must be a pandas DataFrame or a Cohort", value=type(data).__name__
        )
    return frame


@dataclass(frozen=True)
class Outcome:
    """Time, event code and source index of the rows with a complete outcome and predictor."""

    time: np.ndarray
    event: np.ndarray
    index: pd.Index
    excluded: pd.DataFrame


def _causes(frame: pd.DataFrame, event: str, cause: int | None) -> tuple[int, ...]:
    if cause is None:
        return (1,)
    if event not in frame.columns:
        return (cause,)
    codes = pd.unique(frame[event].dropna())
    nonzero = sorted({int(c) for c in codes if float(c) != 0 and float(c) == int(c)})
    if cause not in nonzero:
        raise SurvivalDataError(
            "the cause of interest never occurs",
            column=event,
            value=cause,
            expected=f"one of the event codes {nonzero}",
        )
    return tuple(nonzero)


def outcome(
    data,
    duration: str,
    event: str,
    columns: Sequence[str],
    *,
    cause: int | None = None,
    label: str = "",
) -> Outcome:
    """Rows with complete outcome and ``columns``; excluded rows listed with ``label``."""
    frame = as_frame(data)
    for col in columns:
        if col not in frame.columns:
            raise SurvivalDataError(
                "predictor column not found", column=col, expected="a column of data"
            )
    si = survival_input(
        frame, duration, event, causes=_causes(frame, event, cause), extra=list(columns), warn=False
    )
    excl = si.excluded.copy()
    excl.insert(0, "predictor", label)
    return Outcome(
        time=si.time,
        event=si.event,
        index=si.index,
        excluded=excl[EXCLUDED_COLUMNS] if len(excl) else pd.DataFrame(columns=EXCLUDED_COLUMNS),
    )


def score_names(scores: str | Sequence[str] | Mapping[str, object]) -> dict[str, object]:
    """Normalise ``scores`` to {label: column name or list of column names}."""
    if isinstance(scores, str):
        return {scores: scores}
    if isinstance(scores, Mapping):
        return {str(k): v for k, v in scores.items()}
    out: dict[str, object] = {}
    for s in scores:
        if not isinstance(s, str):
            raise SurvivalDataError(
                "scores must be column names",
                value=s,
                expected="a column name or a mapping label -> column(s)",
            )
        out[s] = s
    if not out:
        raise SurvivalDataError("no scores given", expected="at least one column name")
    return out


def resolve_fits(
    frame: pd.DataFrame, spec: dict[str, object]
) -> tuple[pd.DataFrame, dict[str, object]]:
    """Replace fitted models in ``spec`` (anything with ``predict``, e.g. a
    :class:`~crlm_outcomes.survival.CoxResult`) by a column of their linear predictor on
    ``frame`` (added to a copy); column names and lists pass through."""
    fits = {k: v for k, v in spec.items() if hasattr(v, "predict") and not isinstance(v, str)}
    if not fits:
        return frame, spec
    extra = {}
    out = dict(spec)
    for label, fit in fits.items():
        col = f"__linear_predictor__{label}"
        extra[col] = np.asarray(fit.predict(frame), dtype=float)
        out[label] = col
    return frame.assign(**extra), out


def columns_of(spec: object) -> list[str]:
    """Column names of one predictor spec (a name or a list of names, one per time)."""
    if isinstance(spec, str):
        return [spec]
    if isinstance(spec, Sequence):
        return [str(c) for c in spec]
    raise SurvivalDataError(
        "a predictor must be a column name or a list of column names", value=spec
    )


def predictor_values(frame: pd.DataFrame, index: pd.Index, column: str) -> np.ndarray:
    """Numeric values of ``column`` at ``index`` (ordered categoricals by their codes)."""
    s = frame.loc[index, column]
    if isinstance(s.dtype, pd.CategoricalDtype):
        if not s.cat.ordered:
            raise SurvivalDataError(
                "a categorical predictor must be ordered",
                column=column,
                expected="an ordered categorical or a numeric column",
            )
        return s.cat.codes.to_numpy(dtype=float)
    if s.dtype == bool or str(s.dtype) == "boolean":
        return s.astype("int64").to_numpy(dtype=float)
    vals = pd.to_numeric(s, errors="coerce")
    bad = vals.isna().to_numpy() & s.notna().to_numpy()
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise SurvivalDataError(
            "predictor is not numeric",
            column=column,
            row=None,
            value=s.iloc[pos],
            expected="a number",
        )
    out = vals.to_numpy(dtype=float, copy=True)
    if not np.all(np.isfinite(out)):
        pos = int(np.flatnonzero(~np.isfinite(out))[0])
        raise SurvivalDataError(
            "predictor is not finite", column=column, value=s.iloc[pos], expected="a finite number"
        )
    return out


def concat_excluded(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """One excluded table from per-predictor tables."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=EXCLUDED_COLUMNS)
    return pd.concat(parts, ignore_index=True)
