"""Surgical strategy for colorectal liver metastases, explicit or derived from dates and flags.

Levels follow the canonical ``surgical_strategy`` column: simultaneous, staged primary first,
liver first (synchronous metastases, section 4.1.2), metachronous hepatectomy (section 4.1.3),
two-stage hepatectomy, ALPPS, ablation only, transplantation, no liver-directed therapy (2025
Chinese guideline sections 4.1.2-4.1.4 and 4.2, seed 004).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes.errors import MissingColumnsError, SpecError
from crlm_outcomes.schema.definition import canonical_definition
from crlm_outcomes.stratify import _columns as col
from crlm_outcomes.stratify._codes import Levels, Texts
from crlm_outcomes.stratify._decide import Decider
from crlm_outcomes.stratify._explain import Labels, categorical_result, reason_texts
from crlm_outcomes.stratify.timing import liver_mets_timing

__all__ = [
    "surgical_strategy_group",
    "derive_surgical_strategy",
    "strategy_disagreements",
    "STRATEGY_LEVELS",
]

STRATEGY_LEVELS = (
    canonical_definition().columns["surgical_strategy"].declared_levels
)  # canonical.yaml

_SOURCE = (
    "Chinese guidelines for the diagnosis and comprehensive treatment of colorectal liver "
    "metastases (2025 edition), sections 4.1.2-4.1.4 and 4.2 (seed 004)"
)

_DERIVATION_COLUMNS = (
    "liver_transplant",
    "alpps",
    "two_stage_hepatectomy",
    "second_liver_resection_date",
    "repeat_hepatectomy_for_recurrence",
    "liver_resection_date",
    "liver_resection_extent",
    "margin_status",
    "primary_resection_date",
    "primary_resection_type",
    "ablation_type",
)

_DERIVATION_RULE = (
    "derived by precedence: liver_transplant True -> transplantation; alpps True -> alpps; "
    "two_stage_hepatectomy True, or a second_liver_resection_date with alpps False that is not "
    "a repeat hepatectomy for recurrence (repeat_hepatectomy_for_recurrence True, or "
    "recurrence_date on or before it) -> two_stage_hepatectomy; liver resected "
    "(liver_resection_date, liver_resection_extent or margin_status recorded) -> same operation "
    "as the primary -> simultaneous; metastases metachronous (liver_mets_timing) -> "
    "metachronous_hepatectomy; liver before the primary -> liver_first; primary before the liver "
    "with synchronous metastases -> staged_primary_first; no resection and ablation_type "
    "recorded (not 'none') -> ablation_only; ablation_type 'none' -> no_liver_directed_therapy. "
    "The flags count only when True (a missing flag is read as 'not done')."
)


def derive_surgical_strategy(data: Any, *, timing_convention: str = "chinese_2025") -> pd.Series:
    """Derive the surgical strategy from procedure dates, types and flags.

    Source: Chinese guidelines for the diagnosis and comprehensive treatment of colorectal liver
    metastases (2025 edition), China Journal of General Surgery 2025;34(8):1565-1588, sections
    4.1.2 (synchronous metastases: simultaneous resection, staged resection primary first, or
    liver first), 4.1.3 (metastases found after radical resection of the primary: hepatectomy),
    4.1.4 (two-stage hepatectomy / ALPPS) and 4.2 (local ablation), 4.1.4(5) (liver
    transplantation) (seed 004).

    Rules, by precedence (first that applies):

    1. ``liver_transplant`` True -> ``transplantation``.
    2. ``alpps`` True -> ``alpps``.
    3. ``two_stage_hepatectomy`` True -> ``two_stage_hepatectomy``. A
       ``second_liver_resection_date`` with ``alpps`` False also counts, unless it is a
       **repeat hepatectomy for recurrence** (``repeat_hepatectomy_for_recurrence`` True, or a
       ``recurrence_date`` on or before it) or ``two_stage_hepatectomy`` is False: a repeat
       hepatectomy is not a two-stage hepatectomy, and the strategy is then that of the first
       liver resection (rule 4). With ``alpps`` missing the second stage could be ALPPS:
       missing, with that reason.
    4. Liver resected -- evidence: ``liver_resection_date``, ``liver_resection_extent`` or
       ``margin_status`` recorded:

       * ``primary_resection_type == 'simultaneous_with_liver'`` or the same date for both
         operations -> ``simultaneous``;
       * metastases **metachronous** by :func:`~crlm_outcomes.stratify.liver_mets_timing`
         (``timing_convention``) -> ``metachronous_hepatectomy`` (section 4.1.3: a strategy
         of its own, not a staged resection);
       * liver resected before the primary -> ``liver_first``;
       * primary resected before the liver, metastases synchronous -> ``staged_primary_first``;
         timing unknown -> missing (staged resection and metachronous hepatectomy cannot be
         told apart);
       * a date missing -> missing (reason names it); primary known not resected
         (``primary_resection_type == 'none'``) -> missing: no level fits.

    5. No liver resection: ``ablation_type`` RFA/MWA/SBRT/cryoablation/other ->
       ``ablation_only``; ``ablation_type == 'none'`` -> ``no_liver_directed_therapy``;
       ``ablation_type`` missing -> missing.

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort).
    timing_convention
        Convention of :func:`~crlm_outcomes.stratify.liver_mets_timing` that decides
        synchronous vs metachronous (default ``"chinese_2025"``).

    Returns
    -------
    pandas.Series
        Ordered Categorical with :data:`STRATEGY_LEVELS`; reasons in ``.attrs``.

    Examples
    --------
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> from crlm_outcomes.stratify import derive_surgical_strategy
    >>> result = derive_surgical_strategy(synthetic_cohort(200, seed=1))
    >>> result.value_counts(sort=False).to_dict()
    {'simultaneous': 20, 'staged_primary_first': 23, 'liver_first': 4,
     'two_stage_hepatectomy': 4, 'alpps': 1, 'ablation_only': 22, 'transplantation': 1,
     'no_liver_directed_therapy': 61, 'metachronous_hepatectomy': 56}
    >>> int(result.isna().sum())  # unclassified: see explain(result)
    8
    """
    frame = col.as_frame(data)
    col.require_any(frame, _DERIVATION_COLUMNS, "derive_surgical_strategy")
    value, reason = _derive(frame, timing_convention)
    return categorical_result(
        value,
        reason,
        index=frame.index,
        levels=STRATEGY_LEVELS,
        name="surgical_strategy_derived",
        rule=_DERIVATION_RULE,
        source=_SOURCE,
    )


def _true(series: pd.Series) -> np.ndarray:
    return series.to_numpy(dtype=bool, na_value=False)


def _derive(frame: pd.DataFrame, timing_convention: str = "chinese_2025") -> tuple[Levels, Texts]:
    return col.memo(
        ("derive_surgical_strategy", id(frame), timing_convention),
        lambda: _derive_once(frame, timing_convention),
    )


def _timing(frame: pd.DataFrame, convention: str) -> tuple[Levels, Texts]:
    """Synchronous / metachronous per patient, with the reasons where unknown."""
    try:
        timing = col.memo_call(
            liver_mets_timing,
            frame,
            convention=convention,
            window_months=None,
            split_metachronous=False,
        )
    except MissingColumnsError:
        n = len(frame)
        return (
            Levels.empty(n, ("synchronous", "metachronous")),
            Texts.full(n, "timing: no timing column recorded by this source"),
        )
    return Levels.from_series(timing, ("synchronous", "metachronous")), reason_texts(timing)


def _derive_once(frame: pd.DataFrame, timing_convention: str) -> tuple[Levels, Texts]:
    d = Decider(len(frame), STRATEGY_LEVELS)
    _decide_staged_procedures(frame, d)
    _decide_liver_resection(frame, d, timing_convention)
    _decide_without_resection(frame, d)
    return d.value, d.reason


def _decide_staged_procedures(frame: pd.DataFrame, d: Decider) -> None:
    """Rules 1-3: transplantation, ALPPS, two-stage hepatectomy (a second liver resection
    that is not a repeat hepatectomy for recurrence)."""
    alpps_flag = col.boolean(frame, "alpps")
    alpps_false = (alpps_flag == False).to_numpy(dtype=bool, na_value=False)  # noqa: E712
    two_stage_flag = col.boolean(frame, "two_stage_hepatectomy")
    two_stage_false = (two_stage_flag == False).to_numpy(dtype=bool, na_value=False)  # noqa: E712
    second_date = col.date(frame, "second_liver_resection_date")
    second = second_date.notna().to_numpy()
    repeat = _true(col.boolean(frame, "repeat_hepatectomy_for_recurrence"))
    recurrence = col.date(frame, "recurrence_date")
    recurred_before = (recurrence <= second_date).to_numpy(dtype=bool, na_value=False)
    staged_second = second & ~(repeat | recurred_before) & ~two_stage_false

    d.decide(_true(col.boolean(frame, "liver_transplant")), "transplantation")
    d.decide(_true(alpps_flag), "alpps")
    d.decide(_true(two_stage_flag) | (staged_second & alpps_false), "two_stage_hepatectomy")
    d.decide(
        staged_second,
        None,
        "surgical strategy: a second liver resection is recorded but "
        + col.missing_reason("alpps", frame)
        + " (two-stage hepatectomy or ALPPS)",
    )


def _decide_liver_resection(frame: pd.DataFrame, d: Decider, timing_convention: str) -> None:
    """Rule 4: a resected liver, by the order of the operations and the timing of the
    metastases."""
    liver_date = col.date(frame, "liver_resection_date")
    primary_date = col.date(frame, "primary_resection_date")
    primary_type = col.coded(frame, "primary_resection_type")
    extent = col.coded(frame, "liver_resection_extent").notna()
    margin = col.coded(frame, "margin_status").notna()
    resected = liver_date.notna().to_numpy() | extent | margin
    days = ((liver_date - primary_date) / pd.Timedelta(days=1)).to_numpy(dtype=float)
    timing, timing_why = _timing(frame, timing_convention)

    d.decide(resected & (primary_type == "simultaneous_with_liver"), "simultaneous")
    d.decide(resected & (days == 0), "simultaneous")
    d.decide(resected & (timing == "metachronous"), "metachronous_hepatectomy")
    d.decide(resected & (days < 0), "liver_first")
    d.decide(resected & (days > 0) & (timing == "synchronous"), "staged_primary_first")
    d.decide(
        resected & (days > 0),
        None,
        "surgical strategy: primary resected before the liver, but staged resection "
        "(synchronous metastases) and metachronous hepatectomy cannot be told apart; " + timing_why,
    )
    d.decide(
        resected & (primary_type == "none"),
        None,
        "surgical strategy: liver resected but the primary was not resected "
        "(primary_resection_type 'none'): no strategy level fits",
    )
    d.decide(
        resected & liver_date.isna().to_numpy(),
        None,
        "surgical strategy: liver resected (extent or margin recorded) but "
        + col.missing_reason("liver_resection_date", frame)
        + ": order of the operations unknown",
    )
    d.decide(
        resected,
        None,
        "surgical strategy: liver resected but "
        + col.missing_reason("primary_resection_date", frame)
        + ": order of the operations unknown",
    )


def _decide_without_resection(frame: pd.DataFrame, d: Decider) -> None:
    """Rule 5: no liver resection: ablation only, or no liver-directed therapy."""
    ablation = col.coded(frame, "ablation_type")
    d.decide(ablation.notna() & (ablation != "none"), "ablation_only")
    d.decide(ablation == "none", "no_liver_directed_therapy")
    d.decide(
        np.ones(len(frame), dtype=bool),
        None,
        "surgical strategy: no liver resection, transplantation or staged procedure recorded "
        "and "
        + col.missing_reason("ablation_type", frame)
        + ": cannot tell ablation only from no liver-directed therapy",
    )


def surgical_strategy_group(
    data: Any, *, source: str = "explicit_then_derived", timing_convention: str = "chinese_2025"
) -> pd.Series:
    """Surgical strategy: the recorded ``surgical_strategy``, else derived.

    Source: Chinese guidelines for the diagnosis and comprehensive treatment of colorectal liver
    metastases (2025 edition), China Journal of General Surgery 2025;34(8):1565-1588, sections
    4.1.2-4.1.4 and 4.2 (seed 004); derivation rules in :func:`derive_surgical_strategy`.

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort).
    source
        ``"explicit_then_derived"`` (default): the source's ``surgical_strategy`` where
        recorded, the derived strategy elsewhere. ``"explicit"``: recorded values only.
        ``"derived"``: derivation only (see :func:`strategy_disagreements` for conflicts).
    timing_convention
        Passed to :func:`derive_surgical_strategy`.

    Returns
    -------
    pandas.Series
        Ordered Categorical with :data:`STRATEGY_LEVELS`; reasons in ``.attrs``;
        ``.attrs["derived"]`` lists the index labels whose value was derived.

    Examples
    --------
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> from crlm_outcomes.stratify import surgical_strategy_group
    >>> result = surgical_strategy_group(synthetic_cohort(200, seed=1))
    >>> result.value_counts(sort=False).to_dict()
    {'simultaneous': 20, 'staged_primary_first': 23, 'liver_first': 4,
     'two_stage_hepatectomy': 4, 'alpps': 1, 'ablation_only': 24, 'transplantation': 1,
     'no_liver_directed_therapy': 66, 'metachronous_hepatectomy': 57}
    """
    allowed = ("explicit_then_derived", "explicit", "derived")
    if source not in allowed:
        raise SpecError(
            "unknown strategy source",
            column="source",
            value=source,
            expected=f"one of {list(allowed)}",
        )
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
            d_value, d_reason = _derive(frame, timing_convention)
        else:
            d_value = Levels.empty(n, STRATEGY_LEVELS)
            d_reason = Texts.full(n, "no derivation column in data")
        fill = value.isna()
        value[fill] = d_value
        derived_rows = fill & d_value.notna()
        reason[fill & d_reason.notna()] = d_reason
    rule = {
        "explicit_then_derived": "surgical_strategy as recorded; where missing, ",
        "explicit": "surgical_strategy as recorded only",
        "derived": "",
    }[source]
    if source != "explicit":
        rule += _DERIVATION_RULE
    result = categorical_result(
        value,
        reason,
        index=frame.index,
        levels=STRATEGY_LEVELS,
        name="surgical_strategy_group",
        rule=rule,
        source=_SOURCE,
    )
    result.attrs["derived"] = Labels(frame.index[derived_rows].tolist())
    return result


def strategy_disagreements(data: Any) -> pd.DataFrame:
    """Rows where the recorded ``surgical_strategy`` and the derived strategy disagree.

    Source: derivation rules of :func:`derive_surgical_strategy` (2025 Chinese guideline
    sections 4.1.2-4.1.4 and 4.2, seed 004).

    Only rows where both are known and differ are listed; a derivation that is missing is not a
    disagreement (see :func:`derive_surgical_strategy` reasons for those).

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort) with ``surgical_strategy`` and the columns
        the derivation reads (see :func:`derive_surgical_strategy`).

    Returns
    -------
    pandas.DataFrame
        Columns ``index`` (label in ``data``), ``patient_id`` and ``source_row`` (when present),
        ``recorded``, ``derived``, and the date columns that drove the derivation.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.stratify import strategy_disagreements
    >>> df = pd.DataFrame({
    ...     "patient_id": ["P1", "P2", "P3"],
    ...     "surgical_strategy": ["simultaneous", "liver_first", "ablation_only"],
    ...     "primary_resection_type": ["simultaneous_with_liver", "colectomy", "colectomy"],
    ...     "primary_diagnosis_date": pd.to_datetime(["2020-01-15"] * 3),
    ...     "liver_mets_diagnosis_date": pd.to_datetime(["2020-01-15"] * 3),
    ...     "primary_resection_date": pd.to_datetime(["2020-03-01"] * 3),
    ...     "liver_resection_date": pd.to_datetime(["2020-03-01", "2020-06-01", None]),
    ...     "ablation_type": ["none", "none", "RFA"]})
    >>> out = strategy_disagreements(df)  # P2: liver resected after the primary
    >>> print(out[["index", "patient_id", "recorded", "derived"]].to_string(index=False))
     index patient_id    recorded              derived
         1         P2 liver_first staged_primary_first
    """
    frame = col.as_frame(data)
    col.require_any(frame, ("surgical_strategy",), "strategy_disagreements")
    recorded = col.coded(frame, "surgical_strategy").recode(STRATEGY_LEVELS)
    if any(c in frame.columns for c in _DERIVATION_COLUMNS):
        derived_codes, _ = _derive(frame)
    else:
        derived_codes = Levels.empty(len(frame), STRATEGY_LEVELS)
    differ = recorded.notna() & derived_codes.notna() & (recorded.codes != derived_codes.codes)
    recorded_values, derived_values = recorded.to_array(), derived_codes.to_array()
    out = pd.DataFrame({"index": frame.index[differ]})
    for name in ("patient_id", "source_row"):
        if name in frame.columns:
            out[name] = frame[name].to_numpy()[differ]
    out["recorded"] = recorded_values[differ]
    out["derived"] = derived_values[differ]
    for name in (
        "primary_resection_date",
        "liver_resection_date",
        "primary_resection_type",
        "ablation_type",
    ):
        if name in frame.columns:
            out[name] = frame[name].to_numpy()[differ]
    return out.reset_index(drop=True)
