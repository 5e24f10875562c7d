"""Guideline eligibility flags (2025 Chinese CRLM guideline).

Each flag is a nullable ``boolean`` Series with the usual explanation in ``.attrs``. Criteria
combine with three-valued logic: the flag is False as soon as one *known* criterion fails
(whatever else is missing), True when every criterion is known and met, and missing otherwise
(the reason names the missing columns). Flags that do not apply to a patient (e.g. the
neoadjuvant cycle limit without neoadjuvant chemotherapy) are missing with a "not applicable"
reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes.errors import SpecError
from crlm_outcomes.stratify import _columns as col
from crlm_outcomes.stratify._codes import Texts
from crlm_outcomes.stratify._explain import attach, reason_texts
from crlm_outcomes.stratify._months import basis_text, compare_months
from crlm_outcomes.stratify.surgical_strategy import derive_surgical_strategy
from crlm_outcomes.stratify.timing import liver_mets_timing

__all__ = [
    "rfa_eligible",
    "mwa_eligible",
    "sbrt_eligible",
    "flr_adequate",
    "neoadjuvant_cycles_within_limit",
    "oxaliplatin_within_12_months",
]

_GUIDELINE = (
    "Chinese guidelines for the diagnosis and comprehensive treatment of colorectal "
    "liver metastases (2025 edition)"
)


def _criteria(
    frame: pd.DataFrame,
    criteria: Sequence[tuple[np.ndarray, np.ndarray, str]],
) -> tuple[pd.Series, Texts]:
    """Combine ``(met, known, missing_text)`` criteria with three-valued AND."""
    n = len(frame)
    failed = np.zeros(n, dtype=bool)
    all_known = np.ones(n, dtype=bool)
    why = Texts.none(n)
    for met, known, text in criteria:
        failed |= known & ~met
        all_known &= known
        why = why.join(~known, text, sep=", ")
    value = pd.array(np.where(failed, False, all_known), dtype="boolean")
    undecided = ~failed & ~all_known
    value[undecided] = pd.NA
    reason = why.where(undecided)
    return pd.Series(value, index=frame.index), reason


def _size_number(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    return col.number(frame, "liver_mets_largest_cm"), col.number(frame, "liver_mets_number")


def rfa_eligible(data: Any, *, max_cm: float = 3.0, max_lesions: int = 5) -> pd.Series:
    """Radiofrequency ablation within the guideline's size and number limits.

    Source: Chinese guidelines for the diagnosis and comprehensive treatment of colorectal liver
    metastases (2025 edition), China Journal of General Surgery 2025;34(8):1565-1588, section
    4.2 (seed 004): RFA for lesions with largest diameter < 3 cm, at most 5 per session.

    True when ``liver_mets_largest_cm < max_cm`` (exactly 3 cm is not eligible) and
    ``liver_mets_number <= max_lesions`` (exactly 5 is eligible).

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort) with ``liver_mets_largest_cm`` and/or
        ``liver_mets_number``.
    max_cm
        Largest diameter must be below this (cm, exclusive; default 3).
    max_lesions
        Number of lesions must be at most this (inclusive; default 5).

    Returns
    -------
    pandas.Series
        Nullable ``boolean``, indexed like ``data``: True within both limits, False when a known
        value exceeds one; NA where a criterion needed is unknown, with the reason (see
        :func:`~crlm_outcomes.stratify.explain`), the rule and the source in ``.attrs``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.stratify import rfa_eligible
    >>> df = pd.DataFrame({"liver_mets_largest_cm": [2.5, 3.0, None, None],
    ...                    "liver_mets_number": pd.array([5, 2, 2, 6], dtype="Int64")})
    >>> rfa_eligible(df).tolist()  # 3 cm is too large; 6 lesions too many, size unknown
    [True, False, <NA>, False]
    """
    frame = col.as_frame(data)
    col.require_any(frame, ("liver_mets_largest_cm", "liver_mets_number"), "rfa_eligible")
    size, number = _size_number(frame)
    value, reason = _criteria(
        frame,
        [
            (size < max_cm, ~np.isnan(size), col.missing_reason("liver_mets_largest_cm", frame)),
            (
                number <= max_lesions,
                ~np.isnan(number),
                col.missing_reason("liver_mets_number", frame),
            ),
        ],
    )
    return attach(
        value,
        reason,
        name="rfa_eligible",
        rule=f"largest < {max_cm:g} cm and <= {max_lesions} lesions",
        source=_GUIDELINE + ", section 4.2 (seed 004)",
    )


def mwa_eligible(data: Any, *, max_cm: float = 5.0) -> pd.Series:
    """Microwave ablation within the guideline's size limit.

    Source: Chinese guidelines for the diagnosis and comprehensive treatment of colorectal liver
    metastases (2025 edition), China Journal of General Surgery 2025;34(8):1565-1588, section
    4.2 (seed 004): MWA for lesions < 5 cm, also near major vessels (no number limit stated).

    True when ``liver_mets_largest_cm < max_cm`` (exactly 5 cm is not eligible).

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort) with ``liver_mets_largest_cm``.
    max_cm
        Largest diameter must be below this (cm, exclusive; default 5).

    Returns
    -------
    pandas.Series
        Nullable ``boolean``, indexed like ``data``: True when the largest lesion is below
        ``max_cm``; NA where a criterion needed is unknown, with the reason (see
        :func:`~crlm_outcomes.stratify.explain`), the rule and the source in ``.attrs``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.stratify import mwa_eligible
    >>> df = pd.DataFrame({"liver_mets_largest_cm": [4.9, 5.0, None]})
    >>> mwa_eligible(df).tolist()
    [True, False, <NA>]
    """
    frame = col.as_frame(data)
    col.require_any(frame, ("liver_mets_largest_cm",), "mwa_eligible")
    size, _ = _size_number(frame)
    value, reason = _criteria(
        frame,
        [
            (size < max_cm, ~np.isnan(size), col.missing_reason("liver_mets_largest_cm", frame)),
        ],
    )
    return attach(
        value,
        reason,
        name="mwa_eligible",
        rule=f"largest < {max_cm:g} cm",
        source=_GUIDELINE + ", section 4.2 (seed 004)",
    )


def sbrt_eligible(data: Any, *, max_cm: float = 6.0, max_lesions: int = 3) -> pd.Series:
    """Stereotactic body radiotherapy within the guideline's size and number limits.

    Source: Chinese guidelines for the diagnosis and comprehensive treatment of colorectal liver
    metastases (2025 edition), China Journal of General Surgery 2025;34(8):1565-1588, section
    4.2 (seed 004): SBRT for <= 3 lesions, largest <= 6 cm.

    True when ``liver_mets_number <= max_lesions`` and ``liver_mets_largest_cm <= max_cm``
    (exactly 3 lesions and exactly 6 cm are eligible).

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort) with ``liver_mets_largest_cm`` and/or
        ``liver_mets_number``.
    max_cm
        Largest diameter must be at most this (cm, inclusive; default 6).
    max_lesions
        Number of lesions must be at most this (inclusive; default 3).

    Returns
    -------
    pandas.Series
        Nullable ``boolean``, indexed like ``data``: True within both limits, False when a known
        value exceeds one; NA where a criterion needed is unknown, with the reason (see
        :func:`~crlm_outcomes.stratify.explain`), the rule and the source in ``.attrs``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.stratify import sbrt_eligible
    >>> df = pd.DataFrame({"liver_mets_largest_cm": [6.0, 6.5, 2.0, None],
    ...                    "liver_mets_number": pd.array([3, 1, 4, 2], dtype="Int64")})
    >>> sbrt_eligible(df).tolist()
    [True, False, False, <NA>]
    """
    frame = col.as_frame(data)
    col.require_any(frame, ("liver_mets_largest_cm", "liver_mets_number"), "sbrt_eligible")
    size, number = _size_number(frame)
    value, reason = _criteria(
        frame,
        [
            (size <= max_cm, ~np.isnan(size), col.missing_reason("liver_mets_largest_cm", frame)),
            (
                number <= max_lesions,
                ~np.isnan(number),
                col.missing_reason("liver_mets_number", frame),
            ),
        ],
    )
    return attach(
        value,
        reason,
        name="sbrt_eligible",
        rule=f"<= {max_lesions} lesions and largest <= {max_cm:g} cm",
        source=_GUIDELINE + ", section 4.2 (seed 004)",
    )


def flr_adequate(
    data: Any,
    *,
    synchronous_pct: float = 40.0,
    metachronous_pct: float = 30.0,
    basis: str = "timing",
    timing_convention: str = "chinese_2025",
    window_months: float | None = None,
) -> pd.Series:
    """Future liver remnant adequate for the planned hepatectomy.

    Source: Chinese guidelines for the diagnosis and comprehensive treatment of colorectal liver
    metastases (2025 edition), China Journal of General Surgery 2025;34(8):1565-1588, section
    4.1.4 (seed 004): keep at least one of the three hepatic veins and a remnant liver volume >=
    40% (synchronous hepatectomy, 同时性肝切除) or >= 30% (metachronous hepatectomy, 异时性肝切除). Only the
    volume criterion is in the data.

    True when ``future_liver_remnant_pct`` is at or above the applicable threshold (exactly 40 /
    30 is adequate). A remnant >= ``synchronous_pct`` is adequate and one below
    ``metachronous_pct`` inadequate whatever the timing; in between the timing decides.

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort).
    synchronous_pct, metachronous_pct
        Thresholds in percent (default 40 and 30).
    basis
        How a hepatectomy is classed as synchronous. ``"timing"`` (default): the metastases are
        synchronous by :func:`~crlm_outcomes.stratify.liver_mets_timing` (``timing_convention``,
        ``window_months``), reading 同时性 as "for synchronous metastases". ``"operation"``: the
        liver is resected in the same operation as the primary (derived strategy
        ``simultaneous``), reading 同时性肝切除 as a simultaneous resection. The guideline text
        allows both readings.
    timing_convention, window_months
        Passed to :func:`~crlm_outcomes.stratify.liver_mets_timing` when ``basis="timing"``.

    Returns
    -------
    pandas.Series
        Nullable ``boolean``, indexed like ``data``: True when the remnant reaches the
        applicable threshold; NA where the remnant, or the timing needed between the thresholds,
        is unknown, with the reason (see :func:`~crlm_outcomes.stratify.explain`), the rule and
        the source in ``.attrs``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.stratify import flr_adequate
    >>> df = pd.DataFrame({
    ...     "future_liver_remnant_pct": [45.0, 35.0, 35.0, 25.0],
    ...     "primary_diagnosis_date": pd.to_datetime(["2020-01-01"] * 4),
    ...     "primary_resection_date": pd.to_datetime(["2020-02-01"] * 4),
    ...     "liver_mets_diagnosis_date": pd.to_datetime(
    ...         ["2020-01-01", "2020-01-01", "2021-06-01", "2020-01-01"])})
    >>> flr_adequate(df).tolist()  # 35% is short for synchronous, enough for metachronous
    [True, False, True, False]
    """
    if basis not in ("timing", "operation"):
        raise SpecError(
            "basis must be 'timing' or 'operation'",
            column="basis",
            value=basis,
            expected="'timing' or 'operation'",
        )
    if not metachronous_pct <= synchronous_pct:
        raise SpecError(
            "metachronous_pct must not exceed synchronous_pct",
            value=(synchronous_pct, metachronous_pct),
            expected="metachronous_pct <= synchronous_pct",
        )
    frame = col.as_frame(data)
    col.require_any(frame, ("future_liver_remnant_pct",), "flr_adequate")
    flr = col.number(frame, "future_liver_remnant_pct")
    if basis == "timing":
        kind = col.memo_call(
            liver_mets_timing,
            frame,
            convention=timing_convention,
            window_months=window_months,
            split_metachronous=False,
        )
        label = "liver_mets_timing"
        kind_codes = kind.cat.codes.to_numpy()
        kind_known = kind_codes >= 0
        synchronous = kind_codes == list(kind.cat.categories).index("synchronous")
        kind_reason = reason_texts(kind, default="")
    else:
        # same operation as the primary: the derived strategy, else the two dates
        kind = derive_surgical_strategy(frame)
        label = "same operation as the primary"
        strategy = kind.cat.codes.to_numpy()
        simultaneous_code = list(kind.cat.categories).index("simultaneous")
        liver_date = col.date(frame, "liver_resection_date")
        primary_date = col.date(frame, "primary_resection_date")
        days = ((liver_date - primary_date) / pd.Timedelta(days=1)).to_numpy(dtype=float)
        synchronous = (strategy == simultaneous_code) | (days == 0)
        kind_known = (strategy >= 0) | ~np.isnan(days)
        kind_reason = reason_texts(kind, default="")
    threshold = np.where(synchronous, synchronous_pct, metachronous_pct)
    flr_known = ~np.isnan(flr)
    decided_by_kind = flr_known & kind_known
    adequate = np.where(decided_by_kind, flr >= threshold, False)
    decided = decided_by_kind.copy()
    adequate[flr_known & (flr >= synchronous_pct)] = True
    decided |= flr_known & (flr >= synchronous_pct)
    adequate[flr_known & (flr < metachronous_pct)] = False
    decided |= flr_known & (flr < metachronous_pct)
    reason = (
        f"remnant between {metachronous_pct:g}% and {synchronous_pct:g}% and {label} "
        "unknown: " + kind_reason
    )
    reason[~flr_known] = col.missing_reason("future_liver_remnant_pct", frame)
    value = pd.array(adequate, dtype="boolean")
    value[~decided] = pd.NA
    series = pd.Series(value, index=frame.index)
    return attach(
        series,
        reason,
        name="flr_adequate",
        rule=(
            f"future_liver_remnant_pct >= {synchronous_pct:g}% (synchronous) or >= "
            f"{metachronous_pct:g}% (metachronous); synchronous by {basis}"
            + (f" ({timing_convention})" if basis == "timing" else "")
        ),
        source=_GUIDELINE + ", section 4.1.4 (seed 004)",
    )


def neoadjuvant_cycles_within_limit(data: Any, *, max_cycles: int = 6) -> pd.Series:
    """Neoadjuvant chemotherapy kept to at most 6 cycles.

    Source: Chinese guidelines for the diagnosis and comprehensive treatment of colorectal liver
    metastases (2025 edition), China Journal of General Surgery 2025;34(8):1565-1588, section
    5.1.1 (seed 004): neoadjuvant chemotherapy in principle no more than 6 cycles, surgery
    generally within 2-3 months.

    True when ``neoadjuvant_cycles <= max_cycles`` (exactly 6 is within the limit). Missing,
    as not applicable, when ``neoadjuvant_chemo`` is False.

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort) with ``neoadjuvant_cycles`` (and
        ``neoadjuvant_chemo``, when recorded).
    max_cycles
        Largest number of cycles within the limit (inclusive; default 6).

    Returns
    -------
    pandas.Series
        Nullable ``boolean``, indexed like ``data``: True when the cycles given are at most
        ``max_cycles``; NA where the number of cycles is unknown or no neoadjuvant chemotherapy
        was given, with the reason (see :func:`~crlm_outcomes.stratify.explain`), the rule and
        the source in ``.attrs``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.stratify import explain, neoadjuvant_cycles_within_limit
    >>> df = pd.DataFrame({"neoadjuvant_chemo": [True, True, False],
    ...                    "neoadjuvant_cycles": pd.array([6, 8, None], dtype="Int64")})
    >>> result = neoadjuvant_cycles_within_limit(df)
    >>> result.tolist()
    [True, False, <NA>]
    >>> print(explain(result)["reason"].iloc[2])
    not applicable: no neoadjuvant chemotherapy (neoadjuvant_chemo False)
    """
    frame = col.as_frame(data)
    col.require_any(frame, ("neoadjuvant_cycles",), "neoadjuvant_cycles_within_limit")
    cycles = col.number(frame, "neoadjuvant_cycles")
    n = len(frame)
    given = col.boolean(frame, "neoadjuvant_chemo")
    not_given = (given == False).to_numpy(dtype=bool, na_value=False)  # noqa: E712
    known = ~np.isnan(cycles) & ~not_given
    value = pd.array(np.where(known, cycles <= max_cycles, False), dtype="boolean")
    value[~known] = pd.NA
    reason = Texts.none(n)
    reason[~known] = col.missing_reason("neoadjuvant_cycles", frame)
    reason[not_given] = "not applicable: no neoadjuvant chemotherapy (neoadjuvant_chemo False)"
    return attach(
        pd.Series(value, index=frame.index),
        reason,
        name="neoadjuvant_cycles_within_limit",
        rule=f"neoadjuvant_cycles <= {max_cycles}",
        source=_GUIDELINE + ", section 5.1.1 (seed 004)",
    )


def oxaliplatin_within_12_months(
    data: Any, *, months: float = 12, month_basis: str = "calendar"
) -> pd.Series:
    """Oxaliplatin given within the 12 months before the liver metastases (-> FOLFIRI).

    Source: Chinese guidelines for the diagnosis and comprehensive treatment of colorectal liver
    metastases (2025 edition), China Journal of General Surgery 2025;34(8):1565-1588, section
    3.2.2 (seed 004): patients who received oxaliplatin-based (adjuvant) chemotherapy within the
    12 months before the liver metastases should receive FOLFIRI; more than 12 months after the
    end of chemotherapy, FOLFOX/CapeOX remain options.

    True when ``liver_mets_diagnosis_date - oxaliplatin_last_date`` is between 0 and
    ``months`` months inclusive (exactly 12 calendar months is within; with
    ``month_basis="days"`` months of 30.4375 days, 12 months = 365.25 days); False when the
    interval is longer or ``oxaliplatin_exposure`` is False. A last dose recorded *after* the
    liver diagnosis contradicts the column's definition ("before the liver metastases") and is
    missing with that reason.

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort) with ``oxaliplatin_exposure`` and/or
        ``oxaliplatin_last_date`` (and ``liver_mets_diagnosis_date``).
    months
        Length of the window before the liver metastases (inclusive; default 12).
    month_basis
        ``"calendar"`` (default) or ``"days"`` (months of 30.4375 days).

    Returns
    -------
    pandas.Series
        Nullable ``boolean``, indexed like ``data``: True when the last oxaliplatin dose lies
        within the window; NA where a criterion needed is unknown, with the reason (see
        :func:`~crlm_outcomes.stratify.explain`), the rule and the source in ``.attrs``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.stratify import oxaliplatin_within_12_months
    >>> df = pd.DataFrame({
    ...     "oxaliplatin_exposure": [True, True, False, True],
    ...     "oxaliplatin_last_date": pd.to_datetime(
    ...         ["2020-03-15", "2019-01-10", None, None]),
    ...     "liver_mets_diagnosis_date": pd.to_datetime(["2021-03-15"] * 4)})
    >>> oxaliplatin_within_12_months(df).tolist()  # exactly 12 months is within
    [True, False, False, <NA>]
    """
    frame = col.as_frame(data)
    col.require_any(
        frame, ("oxaliplatin_exposure", "oxaliplatin_last_date"), "oxaliplatin_within_12_months"
    )
    exposure = col.boolean(frame, "oxaliplatin_exposure")
    unexposed = (exposure == False).to_numpy(dtype=bool, na_value=False)  # noqa: E712
    last = col.date(frame, "oxaliplatin_last_date")
    liver = col.date(frame, "liver_mets_diagnosis_date")
    days = ((liver - last) / pd.Timedelta(days=1)).to_numpy(dtype=float)
    sign, _ = compare_months(liver, last, months, month_basis)
    n = len(frame)
    reason = Texts.none(n)
    known = ~np.isnan(days)
    within = np.where(known & (days >= 0), sign <= 0, False)
    decided = known & (days >= 0)
    after = known & (days < 0)
    reason[after] = (
        "oxaliplatin_last_date after liver_mets_diagnosis_date (the column is the "
        "last dose before the liver metastases)"
    )
    decided |= unexposed & ~known
    missing = ~decided & reason.isna()
    text = Texts.none(n).join(
        last.isna().to_numpy(), col.missing_reason("oxaliplatin_last_date", frame), ", "
    )
    text = text.join(
        liver.isna().to_numpy(), col.missing_reason("liver_mets_diagnosis_date", frame), ", "
    )
    text = text.join(
        exposure.isna().to_numpy(), col.missing_reason("oxaliplatin_exposure", frame), ", "
    )
    reason[missing] = text
    value = pd.array(within, dtype="boolean")
    value[~decided] = pd.NA
    series = pd.Series(value, index=frame.index)
    return attach(
        series,
        reason,
        name="oxaliplatin_within_12_months",
        rule=f"last oxaliplatin <= {months:g} months (inclusive) before the liver "
        "metastases; oxaliplatin_exposure False -> False; " + basis_text(month_basis),
        source=_GUIDELINE + ", section 3.2.2 (seed 004)",
    )
