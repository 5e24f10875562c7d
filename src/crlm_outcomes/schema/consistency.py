"""Cross-column consistency rules of ``canonical.yaml`` (``consistency_rules``).

Each rule returns the rows that break it, with a reason naming the columns and values. The loader
quarantines those rows; nothing is ever fixed silently. Rules (names as in the YAML):

* ``death_before_diagnosis`` — death_date before primary_diagnosis_date or
  liver_mets_diagnosis_date.
* ``recurrence_before_diagnosis`` — recurrence_date before either diagnosis date.
* ``surgery_before_diagnosis`` — primary_resection_date before primary_diagnosis_date, or
  liver_resection_date before liver_mets_diagnosis_date.
* ``recurrence_after_death`` — recurrence_date after death_date.
* ``followup_before_diagnosis`` — last_followup_date before liver_mets_diagnosis_date.
* ``negative_followup`` — os_months, rfs_months or hepatic_rfs_months below zero.
* ``missing_followup`` — os_months or os_event missing (OS cannot be determined).
* ``age_out_of_range`` — age_at_diagnosis outside the YAML bounds (0-110).
* ``duplicate_conflicting`` — one patient_id on several rows that differ: every such row is
  quarantined; rows identical in every canonical column are kept once and the copies are
  quarantined as "exact duplicate".
"""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crlm_outcomes.schema.definition import SchemaDefinition, nrows
from crlm_outcomes.schema.endpoint_map import DURATION_COLUMNS, ENDPOINTS

__all__ = ["RULE_COLUMNS", "consistency_violations", "ids_all_unique"]

RULE_COLUMNS = ["row", "column", "value", "rule", "reason"]


def _dates(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame:
        return np.full(nrows(frame), np.datetime64("NaT"), dtype="datetime64[ns]")
    return frame[name].to_numpy(dtype="datetime64[ns]")


def _date_text(arr: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(arr, unit="D").astype(object)


def _present(
    frame: pd.DataFrame, name: str, cache: dict[str, np.ndarray | None]
) -> np.ndarray | None:
    """Mask of the rows with a date in column ``name``; ``None`` when no row has one (each
    column is scanned once per check, however many rules use it)."""
    if name not in cache:
        mask = ~np.isnat(_dates(frame, name)) if name in frame else None
        cache[name] = mask if mask is not None and mask.any() else None
    return cache[name]


def _before(
    frame: pd.DataFrame, rule: str, later: str, earlier: str, present: dict[str, np.ndarray | None]
) -> pd.DataFrame:
    """Rows where ``later`` is before ``earlier`` (both present)."""
    has_a, has_b = _present(frame, later, present), _present(frame, earlier, present)
    if has_a is None or has_b is None:
        return _NONE
    a, b = _dates(frame, later), _dates(frame, earlier)
    bad = has_a & has_b & (a < b)
    rows = np.flatnonzero(bad)
    if not len(rows):
        return _NONE
    reason = np.char.add(
        np.char.add(
            np.char.add(f"{later} ", _date_text(a[rows]).astype(str)), f" before {earlier} "
        ),
        _date_text(b[rows]).astype(str),
    )
    return pd.DataFrame(
        {
            "row": rows,
            "column": later,
            "value": _date_text(a[rows]),
            "rule": rule,
            "reason": reason.astype(object),
        }
    )


#: (rule, later date, earlier date): the rows where the later date comes before the earlier one.
_DATE_ORDER_RULES = (
    ("death_before_diagnosis", "death_date", "primary_diagnosis_date"),
    ("death_before_diagnosis", "death_date", "liver_mets_diagnosis_date"),
    ("recurrence_before_diagnosis", "recurrence_date", "primary_diagnosis_date"),
    ("recurrence_before_diagnosis", "recurrence_date", "liver_mets_diagnosis_date"),
    ("surgery_before_diagnosis", "primary_resection_date", "primary_diagnosis_date"),
    ("surgery_before_diagnosis", "liver_resection_date", "liver_mets_diagnosis_date"),
    ("recurrence_after_death", "death_date", "recurrence_date"),
    ("followup_before_diagnosis", "last_followup_date", "liver_mets_diagnosis_date"),
)


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row": pd.Series([], dtype="int64"),
            "column": pd.Series([], dtype=object),
            "value": pd.Series([], dtype=object),
            "rule": pd.Series([], dtype=object),
            "reason": pd.Series([], dtype=object),
        }
    )


#: The (read-only) "no violation" part of a rule; dropped before the parts are combined.
_NONE = _empty()


def _mask(
    frame: pd.DataFrame, mask: np.ndarray, column: str, rule: str, reason: str
) -> pd.DataFrame:
    rows = np.flatnonzero(mask)
    if not len(rows):
        return _NONE
    values = frame[column].to_numpy(dtype=object)[rows] if column in frame else None
    return pd.DataFrame(
        {"row": rows, "column": column, "value": values, "rule": rule, "reason": reason}
    )


def ids_all_unique(ids: pd.Series) -> bool:
    """True when the non-missing ids are all distinct (no Python per id).

    Registry exports are usually sorted by patient id: ids in strictly increasing order are
    distinct, which one vectorised comparison of neighbours shows (tens of times cheaper than
    hashing a million strings). Otherwise one Arrow hash pass (``unique``) decides.

    Parameters
    ----------
    ids
        Patient ids (Arrow-backed ``string`` dtype takes the fast path; any other dtype is
        checked with :meth:`pandas.Series.duplicated`). Missing ids are ignored.

    Returns
    -------
    bool
        True when no non-missing id occurs twice.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.schema.consistency import ids_all_unique
    >>> ids_all_unique(pd.Series(["P1", "P2", None, None], dtype="string"))
    True
    >>> ids_all_unique(pd.Series(["P2", "P1", "P2"], dtype="string"))
    False
    """
    arr = pa.array(ids.array) if isinstance(ids.dtype, pd.StringDtype) else None
    if arr is None:
        return not ids.dropna().duplicated().any()
    valid = arr.drop_null() if arr.null_count else arr
    if isinstance(valid, pa.ChunkedArray):
        valid = valid.combine_chunks()
    if len(valid) < 2:
        return True
    if pc.all(pc.greater(valid.slice(1), valid.slice(0, len(valid) - 1))).as_py():
        return True
    unique = pc.unique(arr)
    return len(unique) - unique.null_count == len(arr) - arr.null_count


def _duplicates(frame: pd.DataFrame, ids_unique: bool | None = None) -> pd.DataFrame:
    ids = frame["patient_id"]
    if ids_unique if ids_unique is not None else ids_all_unique(ids):
        return _NONE
    dup = ids.duplicated(keep=False).to_numpy() & ids.notna().to_numpy()
    if not dup.any():
        return _NONE
    idx = np.flatnonzero(dup)
    sub = pd.DataFrame(
        {
            name: frame[name].iloc[idx].reset_index(drop=True)
            for name in frame
            if name != "source_row"
        }
    )
    row_hash = pd.util.hash_pandas_object(sub, index=False).to_numpy()
    keys = pd.DataFrame(
        {"id": sub["patient_id"].to_numpy(), "h": row_hash}, index=np.flatnonzero(dup)
    )
    n_versions = keys.groupby("id", sort=False)["h"].transform("nunique").to_numpy()
    conflicting = n_versions > 1
    copies = ~conflicting & keys.duplicated(subset=["id", "h"], keep="first").to_numpy()
    rows_c = keys.index.to_numpy()[conflicting]
    rows_x = keys.index.to_numpy()[copies]
    parts = []
    if len(rows_c):
        parts.append(
            pd.DataFrame(
                {
                    "row": rows_c,
                    "column": "patient_id",
                    "value": ids.iloc[rows_c].to_numpy(dtype=object),
                    "rule": "duplicate_conflicting",
                    "reason": "patient_id on several rows with conflicting data",
                }
            )
        )
    if len(rows_x):
        parts.append(
            pd.DataFrame(
                {
                    "row": rows_x,
                    "column": "patient_id",
                    "value": ids.iloc[rows_x].to_numpy(dtype=object),
                    "rule": "duplicate_conflicting",
                    "reason": "exact duplicate (the first copy is kept)",
                }
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else _NONE


#: Follow-up beyond this many months (100 years) is not a follow-up time: an unknown code
#: read as a number (SEER "Survival months" 9999) or a unit error.
MAX_FOLLOWUP_MONTHS = 1200.0


def consistency_violations(
    frame: pd.DataFrame,
    schema: SchemaDefinition,
    *,
    ids_unique: bool | None = None,
    today: datetime.date | None = None,
) -> pd.DataFrame:
    """Every violation of the YAML consistency rules, one record per row and rule broken.

    Parameters
    ----------
    frame
        Canonical frame (RangeIndex) including the derived endpoints.
    schema
        The schema (rule names and the age bounds come from it).
    ids_unique
        Whether the non-missing patient ids are known to be distinct (:func:`ids_all_unique`,
        computed ahead by the loader); ``None`` computes it here.
    today
        The load date: a diagnosis after it is impossible (``diagnosis_after_load_date``);
        ``None`` skips that rule.

    Returns
    -------
    DataFrame
        Columns ``row`` (0-based position), ``column``, ``value``, ``rule``, ``reason``.

    Raises
    ------
    KeyError
        A rule implemented here is not declared in the schema's ``consistency_rules``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.schema import canonical_definition
    >>> from crlm_outcomes.schema.consistency import consistency_violations
    >>> df = pd.DataFrame({
    ...     "patient_id": pd.array(["P1", "P2", "P3", "P3"], dtype="string"),
    ...     "primary_diagnosis_date": pd.to_datetime(
    ...         ["2019-03-01", "2020-05-10", "2021-01-04", "2021-01-04"]),
    ...     "death_date": pd.to_datetime(["2018-12-31", None, None, None]),
    ...     "age_at_diagnosis": [64.0, 131.0, 58.0, 59.0]})
    >>> violations = consistency_violations(df, canonical_definition())
    >>> for v in violations.itertuples(index=False):
    ...     print(int(v.row), v.rule, "--", v.reason)
    0 death_before_diagnosis -- death_date 2018-12-31 before primary_diagnosis_date 2019-03-01
    1 age_out_of_range -- age outside 0-110 years
    2 duplicate_conflicting -- patient_id on several rows with conflicting data
    3 duplicate_conflicting -- patient_id on several rows with conflicting data
    """
    present: dict[str, np.ndarray | None] = {}
    parts = [
        _before(frame, rule, later, earlier, present) for rule, later, earlier in _DATE_ORDER_RULES
    ]
    parts += _followup_parts(frame)
    if today is not None:
        parts += _load_date_parts(frame, today)
    if "age_at_diagnosis" in frame:
        parts.append(_age_part(frame, schema))
    if "patient_id" in frame:
        parts.append(_duplicates(frame, ids_unique))
    parts = [p for p in parts if len(p)]
    if not parts:
        return _empty()
    out = pd.concat(parts, ignore_index=True)
    unknown = set(out["rule"]) - set(schema.consistency_rules)
    if unknown:  # a rule implemented here must be declared in the YAML
        raise KeyError(f"consistency rule(s) not declared in canonical.yaml: {sorted(unknown)}")
    return out


def _durations(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """The duration columns present in ``frame``, as float arrays (NaN where missing)."""
    return {
        name: frame[name].to_numpy(dtype=float, na_value=np.nan)
        for name in DURATION_COLUMNS
        if name in frame
    }


def _followup_parts(frame: pd.DataFrame) -> list[pd.DataFrame]:
    """``negative_followup``, ``missing_followup`` (OS) and ``implausible_followup``."""
    durations = _durations(frame)
    parts = []
    with np.errstate(invalid="ignore"):
        for name, arr in durations.items():
            parts.append(_mask(frame, arr < 0, name, "negative_followup", f"{name} below zero"))
    for name in (ENDPOINTS["os"].duration, ENDPOINTS["os"].event):
        if name in frame:
            missing = frame[name].isna().to_numpy()
            why = f"{name} cannot be determined (see missing_reasons)"
            parts.append(_mask(frame, missing, name, "missing_followup", why))
    why_long = (
        f"above {MAX_FOLLOWUP_MONTHS:g} months (100 years): "
        "an unknown code read as a number, or a unit error"
    )
    with np.errstate(invalid="ignore"):
        for name, arr in durations.items():
            long = arr > MAX_FOLLOWUP_MONTHS
            parts.append(_mask(frame, long, name, "implausible_followup", f"{name} {why_long}"))
    return parts


def _load_date_parts(frame: pd.DataFrame, today: datetime.date) -> list[pd.DataFrame]:
    """``diagnosis_after_load_date``: a diagnosis year or date after the load date."""
    parts = []
    rule = "diagnosis_after_load_date"
    if "diagnosis_year" in frame:
        year = frame["diagnosis_year"].to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            late = year > today.year
        why = f"diagnosis year after the load date ({today.isoformat()})"
        parts.append(_mask(frame, late, "diagnosis_year", rule, why))
    for name in ("primary_diagnosis_date", "liver_mets_diagnosis_date"):
        if name in frame:
            d = frame[name].to_numpy(dtype="datetime64[ns]")
            late = ~np.isnat(d) & (d > np.datetime64(today, "ns"))
            why = f"{name} after the load date ({today.isoformat()})"
            parts.append(_mask(frame, late, name, rule, why))
    return parts


def _age_part(frame: pd.DataFrame, schema: SchemaDefinition) -> pd.DataFrame:
    """``age_out_of_range``: age outside the schema's bounds."""
    age = schema.columns["age_at_diagnosis"]
    arr = frame["age_at_diagnosis"].to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        bad = (arr < (age.min if age.min is not None else -np.inf)) | (
            arr > (age.max if age.max is not None else np.inf)
        )
    why = f"age outside {age.min:g}-{age.max:g} years"
    return _mask(frame, bad, "age_at_diagnosis", "age_out_of_range", why)
