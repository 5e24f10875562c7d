"""Surgical strategy for colorectal liver metastases, explicit or derived from dates and flags.

Levels follow the canonical ``surgical_strategy`` column: simultaneous, staged primary first,
liver first, two-stage hepatectomy, ALPPS, ablation only, transplantation, no liver-directed
therapy (2025 Chinese guideline sections 4.1.2-4.1.4 and 4.2, seed 004).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes.errors import SpecError
from crlm_outcomes.schema.definition import canonical_definition
from crlm_outcomes.stratify import _columns as col
from crlm_outcomes.stratify._codes import Levels, Texts
from crlm_outcomes.stratify._explain import Labels, categorical_result

__all__ = [
    "surgical_strategy_group",
    "derive_surgical_strategy",
    "strategy_disagreements",
    "STRATEGY_LEVELS",
]

STRATEGY_LEVELS = tuple(canonical_definition().columns["surgical_strategy"].levels)  # canonical.yaml

_SOURCE = (
    "Chinese guidelines for the diagnosis and comprehensive treatment of colorectal liver "
    "metastases (2025 edition), sections 4.1.2-4.1.4 and 4.2 (seed 004)"
)

_DERIVATION_COLUMNS = (
    "liver_transplant",
    "alpps",
    "two_stage_hepatectomy",
    "second_liver_resection_date",
    "liver_resection_date",
    "liver_resection_extent",
    "margin_status",
    "primary_resection_date",
    "primary_resection_type",
    "ablation_type",
)

_DERIVATION_RULE = (
    "derived by precedence: liver_transplant True -> transplantation; alpps True -> alpps; "
    "two_stage_hepatectomy True (or a second_liver_resection_date with alpps False) -> "
    "two_stage_hepatectomy; liver resected (liver_resection_date, liver_resection_extent or "
    "margin_status recorded) -> primary_resection_type 'simultaneous_with_liver' or same "
    "operation date -> simultaneous, primary resected earlier -> staged_primary_first, later -> "
    "liver_first; no resection and ablation_type recorded (not 'none') -> ablation_only; no "
    "resection, ablation_type 'none' -> no_liver_directed_therapy. The flags count only when "
    "True (a missing flag is read as 'not done')."
)


def derive_surgical_strategy(data: Any) -> pd.Series:
    """Derive the surgical strategy from procedure dates, types and flags.

    Source: Chinese guidelines for the diagnosis and comprehensive treatment of colorectal liver
    metastases (2025 edition), sections 4.1.2-4.1.4 and 4.2 (seed 004) -- simultaneous vs staged
    (primary first or liver first) resection, two-stage hepatectomy / ALPPS, local ablation, and
    liver transplantation.

    Rules, by precedence (first that applies):

    1. ``liver_transplant`` True -> ``transplantation``.
    2. ``alpps`` True -> ``alpps``.
    3. ``two_stage_hepatectomy`` True -> ``two_stage_hepatectomy``; a
       ``second_liver_resection_date`` with ``alpps`` False also counts (with ``alpps`` missing
       the second stage could be ALPPS: missing, with that reason).
    4. Liver resected -- evidence: ``liver_resection_date``, ``liver_resection_extent`` or
       ``margin_status`` recorded:

       * ``primary_resection_type == 'simultaneous_with_liver'`` or the same date for both
         operations -> ``simultaneous``;
       * primary resected before the liver -> ``staged_primary_first``;
       * liver resected before the primary -> ``liver_first``;
       * a date missing -> missing (reason names it); primary known not resected
         (``primary_resection_type == 'none'``) -> missing: no level fits.

    5. No liver resection: ``ablation_type`` RFA/MWA/SBRT/cryoablation/other ->
       ``ablation_only``; ``ablation_type == 'none'`` (recorded as not ablated) ->
       ``no_liver_directed_therapy``; ``ablation_type`` missing -> missing (cannot tell
       ablation only from no liver-directed therapy).

    Metachronous metastases (found after the primary was resected) fall in
    ``staged_primary_first`` by rule 4: the canonical levels do not separate them, so cross the
    strategy with :func:`~crlm_outcomes.stratify.liver_mets_timing` when that matters.
    The canonical schema records a liver resection only through its date, extent and margin, so
    "no resection" in rule 5 means none of those recorded. Flags (rules 1-3) count only when
    True.

    Returns
    -------
    pandas.Series
        Ordered Categorical with :data:`STRATEGY_LEVELS`; reasons in ``.attrs``.
    """
    frame = col.as_frame(data)
    col.require_any(frame, _DERIVATION_COLUMNS, "derive_surgical_strategy")
    value, reason = _derive(frame)
    return categorical_result(value, reason, index=frame.index, levels=STRATEGY_LEVELS,
                              name="surgical_strategy_derived", rule=_DERIVATION_RULE,
                              source=_SOURCE)


def _true(series: pd.Series) -> np.ndarray:
    return series.to_numpy(dtype=bool, na_value=False)


def _derive(frame: pd.DataFrame) -> tuple[Levels, Texts]:
    return col.memo(("derive_surgical_strategy", id(frame)), lambda: _derive_once(frame))


def _derive_once(frame: pd.DataFrame) -> tuple[Levels, Texts]:
    n = len(frame)
    transplant = _true(col.boolean(frame, "liver_transplant"))
    alpps_flag = col.boolean(frame, "alpps")
    alpps = _true(alpps_flag)
    alpps_false = (alpps_flag == False).to_numpy(dtype=bool, na_value=False)  # noqa: E712
    two_stage = _true(col.boolean(frame, "two_stage_hepatectomy"))
    second = col.date(frame, "second_liver_resection_date").notna().to_numpy()
    liver_date = col.date(frame, "liver_resection_date")
    primary_date = col.date(frame, "primary_resection_date")
    primary_type = col.coded(frame, "primary_resection_type")
    extent = col.coded(frame, "liver_resection_extent").notna()
    margin = col.coded(frame, "margin_status").notna()
    ablation = col.coded(frame, "ablation_type")

    value = Levels.empty(n, STRATEGY_LEVELS)
    reason = Texts.none(n)
    open_ = np.ones(n, dtype=bool)

    def decide(mask: np.ndarray, level: str | None, why: str | None = None) -> None:
        nonlocal open_
        mask = mask & open_
        if level is not None:
            value[mask] = level
        else:
            reason[mask] = why
        open_ = open_ & ~mask

    decide(transplant, "transplantation")
    decide(alpps, "alpps")
    decide(two_stage | (second & alpps_false), "two_stage_hepatectomy")
    decide(second, None, "second_liver_resection_date recorded but "
           + col.missing_reason("alpps", frame) + ": two-stage hepatectomy or ALPPS")

    resected = liver_date.notna().to_numpy() | extent | margin
    days = ((liver_date - primary_date) / pd.Timedelta(days=1)).to_numpy(dtype=float)
    decide(resected & (primary_type == "simultaneous_with_liver"), "simultaneous")
    decide(resected & (days == 0), "simultaneous")
    decide(resected & (days > 0), "staged_primary_first")
    decide(resected & (days < 0), "liver_first")
    decide(resected & (primary_type == "none"), None,
           "liver resected but primary_resection_type 'none' (primary not resected): "
           "no strategy level fits")
    decide(resected & liver_date.isna().to_numpy(), None,
           "liver resected (extent or margin recorded) but "
           + col.missing_reason("liver_resection_date", frame)
           + ": order of the operations unknown")
    decide(resected, None, "liver resected but " + col.missing_reason("primary_resection_date",
                                                                     frame)
           + ": order of the operations unknown")

    ablated = ablation.notna() & (ablation != "none")
    decide(ablated, "ablation_only")
    decide(ablation == "none", "no_liver_directed_therapy")
    decide(np.ones(n, dtype=bool), None,
           "no liver resection, transplantation or staged procedure recorded and "
           + col.missing_reason("ablation_type", frame)
           + ": cannot tell ablation only from no liver-directed therapy")
    return value, reason


def surgical_strategy_group(data: Any, *, source: str = "explicit_then_derived") -> pd.Series:
    """Surgical strategy: the recorded ``surgical_strategy``, else derived.

    Source: Chinese guidelines for the diagnosis and comprehensive treatment of colorectal liver
    metastases (2025 edition), sections 4.1.2-4.1.4 and 4.2 (seed 004); derivation rules in
    :func:`derive_surgical_strategy`.

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort).
    source
        ``"explicit_then_derived"`` (default): the source's ``surgical_strategy`` where
        recorded, the derived strategy elsewhere. ``"explicit"``: recorded values only.
        ``"derived"``: derivation only (see :func:`strategy_disagreements` for conflicts).

    Returns
    -------
    pandas.Series
        Ordered Categorical with :data:`STRATEGY_LEVELS`; reasons in ``.attrs``;
        ``.attrs["derived"]`` lists the index labels whose value was derived.
    """
    allowed = ("explicit_then_derived", "explicit", "derived")
    if source not in allowed:
        raise SpecError("unknown strategy source", column="source", value=source,
                        expected=f"one of {list(allowed)}")
    frame = col.as_frame(data)
    col.require_any(frame, ("surgical_strategy", *_DERIVATION_COLUMNS), "surgical_strategy_group")
    n = len(frame)
    explicit = col.coded(frame, "surgical_strategy").recode(STRATEGY_LEVELS)
    value = Levels.empty(n, STRATEGY_LEVELS)
    reason = Texts.none(n)
    derived_rows = np.zeros(n, dtype=bool)
    everyone = np.ones(n, dtype=bool)
    if source in ("explicit_then_derived", "explicit"):
        value[everyone] = explicit
        reason[everyone] = col.missing_reason("surgical_strategy", frame)
    if source in ("explicit_then_derived", "derived"):
        if any(c in frame.columns for c in _DERIVATION_COLUMNS):
            d_value, d_reason = _derive(frame)
        else:
            d_value = Levels.empty(n, STRATEGY_LEVELS)
            d_reason = Texts.full(n, "no derivation column in data")
        fill = value.isna()
        value[fill] = d_value
        derived_rows = fill & d_value.notna()
        prefix = (col.missing_reason("surgical_strategy", frame) + "; derivation: "
                  if source == "explicit_then_derived" else "")
        if prefix:
            reason[fill] = prefix
        reason[fill & d_reason.notna()] = prefix + d_reason
    rule = {
        "explicit_then_derived": "surgical_strategy as recorded; where missing, ",
        "explicit": "surgical_strategy as recorded only",
        "derived": "",
    }[source]
    if source != "explicit":
        rule += _DERIVATION_RULE
    result = categorical_result(value, reason, index=frame.index, levels=STRATEGY_LEVELS,
                                name="surgical_strategy_group", rule=rule, source=_SOURCE)
    result.attrs["derived"] = Labels(frame.index[derived_rows].tolist())
    return result


def strategy_disagreements(data: Any) -> pd.DataFrame:
    """Rows where the recorded ``surgical_strategy`` and the derived strategy disagree.

    Source: derivation rules of :func:`derive_surgical_strategy` (2025 Chinese guideline
    sections 4.1.2-4.1.4 and 4.2, seed 004).

    Only rows where both are known and differ are listed; a derivation that is missing is not a
    disagreement (see :func:`derive_surgical_strategy` reasons for those).

    Returns
    -------
    pandas.DataFrame
        Columns ``index`` (label in ``data``), ``patient_id`` and ``source_row`` (when present),
        ``recorded``, ``derived``, and the date columns that drove the derivation.
    """
    frame = col.as_frame(data)
    col.require_any(frame, ("surgical_strategy",), "strategy_disagreements")
    recorded = col.coded(frame, "surgical_strategy").recode(STRATEGY_LEVELS)
    if any(c in frame.columns for c in _DERIVATION_COLUMNS):
        derived_codes, _ = _derive(frame)
    else:
        derived_codes = Levels.empty(len(frame), STRATEGY_LEVELS)
    differ = recorded.notna() & derived_codes.notna() & (recorded.codes != derived_codes.codes)
    recorded, derived = recorded.to_array(), derived_codes.to_array()
    out = pd.DataFrame({"index": frame.index[differ]})
    for name in ("patient_id", "source_row"):
        if name in frame.columns:
            out[name] = frame[name].to_numpy()[differ]
    out["recorded"] = recorded[differ]
    out["derived"] = derived[differ]
    for name in ("primary_resection_date", "liver_resection_date", "primary_resection_type",
                 "ablation_type"):
        if name in frame.columns:
            out[name] = frame[name].to_numpy()[differ]
    return out.reset_index(drop=True)
