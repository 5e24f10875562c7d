"""Timing of liver metastases: synchronous, early metachronous, late metachronous.

Three published conventions, plus a window option used by many registries and papers. Months
are calendar months by default (``month_basis="calendar"``: 12 months after 2019-03-15 is
2020-03-15), or months of 30.4375 days with ``month_basis="days"``; the rule text says which.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes.errors import SpecError
from crlm_outcomes.stratify import _columns as col
from crlm_outcomes.stratify._codes import Levels, Texts
from crlm_outcomes.stratify._explain import Labels, attach
from crlm_outcomes.stratify._months import basis_text, check_basis, compare_months

__all__ = ["liver_mets_timing", "TIMING_LEVELS", "TIMING_CONVENTIONS", "E_AHPBA_WORKUP_MONTHS"]

TIMING_LEVELS = ("synchronous", "early_metachronous", "late_metachronous")
TIMING_CONVENTIONS = ("chinese_2025", "adam_2015", "e_ahpba_2023")

#: Default work-up window (months after diagnosis of the primary) read as "at presentation"
#: under the E-AHPBA consensus, which gives no number: the 3-month window many registries and
#: papers use. Override with ``window_months`` (0 = strictly at or before diagnosis).
E_AHPBA_WORKUP_MONTHS = 3

_SOURCES = {
    "chinese_2025": (
        "Chinese guidelines for the diagnosis and comprehensive treatment of colorectal liver "
        "metastases (2025 edition), China Journal of General Surgery 2025;34(8):1565-1588, "
        "sections 1.1 and 1.2 (seed 004)"
    ),
    "adam_2015": (
        "Adam R, de Gramont A, Figueras J, et al. Managing synchronous liver "
        "metastases from colorectal cancer: a multidisciplinary international "
        "consensus. Cancer Treat Rev 2015;41(9):729-741"
    ),
    "e_ahpba_2023": (
        "Siriwardena AK, Serrablo A, Fretland AA, et al. Multisocietal European "
        "consensus on the terminology, diagnosis, and management of patients with "
        "synchronous colorectal cancer and liver metastases: an E-AHPBA consensus. "
        "Br J Surg 2023;110(9):1161-1170 (statement on terminology)"
    ),
}

_COLUMNS = (
    "liver_mets_diagnosis_date",
    "primary_diagnosis_date",
    "primary_resection_date",
    "primary_resection_type",
    "liver_mets_at_primary_diagnosis",
)


def liver_mets_timing(
    data: Any,
    *,
    convention: str = "chinese_2025",
    window_months: float | None = None,
    early_months: float = 12.0,
    split_metachronous: bool = True,
    use_flag: bool = True,
    month_basis: str = "calendar",
) -> pd.Series:
    """Classify liver metastases as synchronous, early metachronous or late metachronous.

    Sources, by ``convention``:

    * ``"chinese_2025"`` (default) -- Chinese guidelines for the diagnosis and comprehensive
      treatment of colorectal liver metastases (2025 edition), China Journal of General Surgery
      2025;34(8):1565-1588, section 1.1 (seed 004): synchronous = found before or at the
      diagnosis of the colorectal cancer; metachronous = found after its radical resection.
      Section 1.2 makes the staging work-up (ultrasound, contrast CT, MRI) and the exploration
      of the liver *during the colorectal operation* part of the diagnosis, so metastases found
      **on or before the day of the primary resection** are synchronous. The guideline does not
      split metachronous metastases; this package splits them like Adam 2015, at
      ``early_months`` after the resection.
    * ``"adam_2015"`` -- Adam R, et al. Cancer Treat Rev 2015;41(9):729-741: synchronous =
      detected at or before diagnosis of the primary; early metachronous <= 12 months, late
      > 12 months **after surgery of the primary**. Metastases found after diagnosis but on or
      before the resection fit neither (missing, with that reason; ``window_months`` counts
      them as synchronous).
    * ``"e_ahpba_2023"`` -- Siriwardena AK, et al. Br J Surg 2023;110(9):1161-1170:
      synchronous = detected at presentation of the primary; early metachronous = absent at
      presentation, detected within 12 months of **diagnosis**; late after 12 months. The
      consensus gives "presentation" no length; this package reads it as the diagnostic
      work-up, by default :data:`E_AHPBA_WORKUP_MONTHS` (3) months after diagnosis (a common
      registry window; ``window_months=0`` = strictly at or before diagnosis).

    Rules:

    1. Synchronous when the metastases are found at or before diagnosis of the primary, or
       within ``window_months`` after it (inclusive); under ``chinese_2025`` also when found on
       or before the day of the primary resection.
    2. Metachronous when found after the resection of the primary (``chinese_2025``,
       ``adam_2015``) or after the window (``e_ahpba_2023``). Metastases after diagnosis with
       the primary not resected (``primary_resection_type`` 'none') or its date unknown fit
       neither definition of the resection-anchored conventions: missing with that reason.
    3. Early metachronous when the interval from the convention's anchor is at most
       ``early_months`` (inclusive: exactly 12 months is early), late when longer.
    4. Where the dates cannot decide and ``use_flag`` is true, ``liver_mets_at_primary_diagnosis``
       True gives synchronous; False gives metachronous only where the dates cannot place the
       metastases between diagnosis and resection (always under ``e_ahpba_2023``). Dates, when
       they decide, win over the flag.

    Months are calendar months (``month_basis="calendar"``, default) or months of 30.4375
    days (``"days"``); the rule text says which.

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort with ``.data``).
    convention
        ``"chinese_2025"`` (default), ``"adam_2015"`` or ``"e_ahpba_2023"``.
    window_months
        Liver metastases diagnosed within this many months after diagnosis of the primary are
        synchronous. ``None`` = the convention's default: 0 (at or before diagnosis) for
        ``chinese_2025`` and ``adam_2015``, :data:`E_AHPBA_WORKUP_MONTHS` for ``e_ahpba_2023``.
    early_months
        Boundary between early and late metachronous, inclusive on the early side.
    split_metachronous
        If False the levels are ``synchronous`` / ``metachronous`` and the early/late anchor
        date is not needed once the metastases are known to be metachronous.
    use_flag
        Fall back on ``liver_mets_at_primary_diagnosis`` where the dates cannot decide.
    month_basis
        ``"calendar"`` (default) or ``"days"``.

    Returns
    -------
    pandas.Series
        Ordered Categorical with levels ``synchronous < early_metachronous <
        late_metachronous`` (or ``synchronous < metachronous``); NA where unclassifiable, with
        the reason (see :func:`crlm_outcomes.stratify.reasons`) and the rule in
        ``.attrs["rule"]``. ``.attrs["from_flag"]`` lists the index labels classified from the
        flag rather than from dates.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.stratify import liver_mets_timing
    >>> df = pd.DataFrame({
    ...     "primary_diagnosis_date": pd.to_datetime(["2020-01-01"] * 3),
    ...     "primary_resection_date": pd.to_datetime(["2020-02-01"] * 3),
    ...     "liver_mets_diagnosis_date": pd.to_datetime(
    ...         ["2020-02-01", "2021-02-01", "2021-02-02"])})
    >>> liver_mets_timing(df).tolist()  # at the operation; exactly 12 months; later
    ['synchronous', 'early_metachronous', 'late_metachronous']
    """
    window = _check_options(convention, window_months, early_months)
    check_basis(month_basis, window, early_months)
    frame = col.as_frame(data)
    col.require_any(frame, _COLUMNS, "liver_mets_timing")
    d = _read_dates(frame, window, month_basis)
    anchored = convention != "e_ahpba_2023"
    levels = TIMING_LEVELS if split_metachronous else ("synchronous", "metachronous")
    value = Levels.empty(len(frame), levels)
    reason = Texts.none(len(frame))

    # 1. synchronous from dates
    decided = d.synchronous(convention)
    value[decided] = "synchronous"
    # 2. metachronous from dates
    metachronous, gap = _metachronous_from_dates(frame, d, convention, window, decided, reason)
    decided = decided | metachronous
    # 4. flag fallback where the dates cannot decide
    from_flag = np.zeros(len(frame), dtype=bool)
    if use_flag:
        flagged_sync, flagged_meta = _flag_fallback(frame, d, anchored, ~decided, gap, reason)
        value[flagged_sync] = "synchronous"
        metachronous |= flagged_meta
        from_flag = flagged_sync | flagged_meta
    # 3. metachronous sub-class
    if split_metachronous:
        _split_early_late(
            frame, d, anchored, metachronous, early_months, month_basis, value, reason
        )
    else:
        value[metachronous] = "metachronous"
    _explain_undecided(frame, d, anchored, use_flag, value.isna() & reason.isna() & ~gap, reason)

    rule = _rule_text(convention, window, early_months, split_metachronous, use_flag, month_basis)
    series = pd.Series(value.categorical(levels), index=frame.index)
    series = attach(
        series, reason, name="liver_mets_timing", rule=rule, source=_SOURCES[convention]
    )
    series.attrs["from_flag"] = Labels(frame.index[from_flag & value.notna()].tolist())
    return series


def _check_options(convention: str, window_months: float | None, early_months: float) -> float:
    """Validate the options; the synchronous window in months (the convention's default when
    ``window_months`` is None)."""
    if convention not in TIMING_CONVENTIONS:
        raise SpecError(
            "unknown timing convention",
            column="convention",
            value=convention,
            expected=f"one of {list(TIMING_CONVENTIONS)}",
        )
    if window_months is not None and not (np.isfinite(window_months) and window_months >= 0):
        raise SpecError(
            "window_months must be a non-negative number or None",
            value=window_months,
            expected="None or a number >= 0",
        )
    if not (np.isfinite(early_months) and early_months > 0):
        raise SpecError(
            "early_months must be a positive number", value=early_months, expected="a number > 0"
        )
    if window_months is None:
        return float(E_AHPBA_WORKUP_MONTHS) if convention == "e_ahpba_2023" else 0.0
    return float(window_months)


@dataclass(frozen=True)
class _Dates:
    """The dates and flags of the rule, and where the liver metastases lie relative to the
    end of the synchronous window and to the resection of the primary."""

    liver: pd.Series
    diagnosis: pd.Series
    resection: pd.Series
    not_resected: np.ndarray
    flag_true: np.ndarray
    flag_false: np.ndarray
    #: sign of (liver - diagnosis - window): <= 0 synchronous by the window rule
    window_sign: np.ndarray
    dx_known: np.ndarray
    #: sign of (liver - resection of the primary)
    res_sign: np.ndarray
    res_known: np.ndarray

    def synchronous(self, convention: str) -> np.ndarray:
        """Synchronous from the dates (rule 1)."""
        synchronous = self.dx_known & (self.window_sign <= 0)
        if convention == "chinese_2025":  # staging / at the operation
            synchronous |= self.res_known & (self.res_sign <= 0) & ~self.not_resected
        return synchronous


def _read_dates(frame: pd.DataFrame, window: float, month_basis: str) -> _Dates:
    liver = col.date(frame, "liver_mets_diagnosis_date")
    diagnosis = col.date(frame, "primary_diagnosis_date")
    resection = col.date(frame, "primary_resection_date")
    flag = col.boolean(frame, "liver_mets_at_primary_diagnosis")
    window_sign, dx_known = compare_months(liver, diagnosis, window, month_basis)
    res_sign, res_known = compare_months(liver, resection, 0, month_basis)
    return _Dates(
        liver=liver,
        diagnosis=diagnosis,
        resection=resection,
        not_resected=col.coded(frame, "primary_resection_type") == "none",
        flag_true=(flag == True).to_numpy(dtype=bool, na_value=False),  # noqa: E712
        flag_false=(flag == False).to_numpy(dtype=bool, na_value=False),  # noqa: E712
        window_sign=window_sign,
        dx_known=dx_known,
        res_sign=res_sign,
        res_known=res_known,
    )


def _metachronous_from_dates(
    frame: pd.DataFrame,
    d: _Dates,
    convention: str,
    window: float,
    decided: np.ndarray,
    reason: Texts,
) -> tuple[np.ndarray, np.ndarray]:
    """Rule 2: ``(metachronous, gap)`` from the dates, ``gap`` being the patients found after
    diagnosis who fit neither definition of a resection-anchored convention (their reason is
    written to ``reason``)."""
    after_window = d.dx_known & (d.window_sign > 0)
    if convention == "e_ahpba_2023":
        return ~decided & after_window, np.zeros(len(frame), dtype=bool)
    after_resection = d.res_known & (d.res_sign > 0)
    # Without the diagnosis date, "after the resection" still proves "after diagnosis"
    # (the primary is resected after it is diagnosed) -- but not "after a window".
    metachronous = ~decided & after_resection & (after_window | (~d.dx_known & (window == 0)))
    gap = ~decided & after_window & ~after_resection
    reason[gap] = (
        "timing: liver metastases found after diagnosis of the primary; "
        + col.missing_reason("primary_resection_date", frame)
        + " (metachronous counts from the resection of the primary)"
    )
    reason[gap & d.not_resected] = (
        "timing: liver metastases found after diagnosis of a primary that was not resected "
        f"(neither synchronous nor metachronous under {convention})"
    )
    reason[gap & d.res_known] = (
        "timing: liver metastases found after diagnosis but on or before the resection of "
        "the primary (neither synchronous nor metachronous under adam_2015; window_months "
        "counts work-up findings as synchronous)"
    )
    return metachronous, gap


def _flag_fallback(
    frame: pd.DataFrame,
    d: _Dates,
    anchored: bool,
    undecided: np.ndarray,
    gap: np.ndarray,
    reason: Texts,
) -> tuple[np.ndarray, np.ndarray]:
    """Rule 4: ``(synchronous, metachronous)`` from ``liver_mets_at_primary_diagnosis`` where
    the dates cannot decide."""
    flagged_sync = undecided & d.flag_true
    flagged_meta = undecided & d.flag_false & ~gap
    if anchored:
        # "Not present at diagnosis" is not enough for metachronous here: without the
        # interval from the resection the metastases may lie between diagnosis and
        # resection.
        before_resection = flagged_meta & d.res_known & (d.res_sign <= 0)
        reason[before_resection] = (
            "timing: recorded as absent at diagnosis but found on or before the resection "
            "of the primary (neither synchronous nor metachronous under this convention)"
        )
        no_interval = flagged_meta & ~d.res_known & ~before_resection
        reason[no_interval] = (
            "timing: recorded as absent at diagnosis, but metachronous needs the interval "
            "from the primary resection: "
            + _missing_text(
                frame,
                {"liver_mets_diagnosis_date": d.liver, "primary_resection_date": d.resection},
            )
        )
        flagged_meta &= ~before_resection & ~no_interval
    return flagged_sync, flagged_meta


def _split_early_late(
    frame: pd.DataFrame,
    d: _Dates,
    anchored: bool,
    metachronous: np.ndarray,
    early_months: float,
    month_basis: str,
    value: Levels,
    reason: Texts,
) -> None:
    """Rule 3: early or late metachronous by the interval from the convention's anchor."""
    anchor = d.resection if anchored else d.diagnosis
    anchor_name = "primary_resection_date" if anchored else "primary_diagnosis_date"
    anchor_sign, anchor_known = compare_months(d.liver, anchor, early_months, month_basis)
    value[metachronous & anchor_known & (anchor_sign <= 0)] = "early_metachronous"
    value[metachronous & anchor_known & (anchor_sign > 0)] = "late_metachronous"
    no_anchor = metachronous & ~anchor_known
    if no_anchor.any():
        text = _missing_text(frame, {"liver_mets_diagnosis_date": d.liver, anchor_name: anchor})
        reason[no_anchor] = (
            "timing: metachronous, but early or late needs the interval "
            "from " + anchor_name.replace("_date", "").replace("_", " ") + ": " + text
        )


def _explain_undecided(
    frame: pd.DataFrame,
    d: _Dates,
    anchored: bool,
    use_flag: bool,
    still: np.ndarray,
    reason: Texts,
) -> None:
    """Reason for the patients still unplaced: which dates are missing."""
    if not still.any():
        return
    dates = {"liver_mets_diagnosis_date": d.liver, "primary_diagnosis_date": d.diagnosis}
    if anchored:
        dates["primary_resection_date"] = d.resection
    flag_text = (
        col.missing_reason("liver_mets_at_primary_diagnosis", frame)
        if use_flag
        else "flag fallback disabled (use_flag=False)"
    )
    reason[still] = (
        "timing: cannot place the liver metastases in time: "
        + _missing_text(frame, dates)
        + f"; {flag_text}"
    )


def _missing_text(frame: pd.DataFrame, dates: dict[str, pd.Series]) -> Texts:
    """Per-row text naming which of the given date columns are missing (built once per
    pattern of missing dates)."""
    parts = Texts.none(len(frame))
    for name, values in dates.items():
        parts = parts.join(values.isna().to_numpy(), col.missing_reason(name, frame), sep=", ")
    parts[parts.isna()] = "the dates do not decide"
    return parts


def _rule_text(
    convention: str, window: float, early_months: float, split: bool, use_flag: bool, basis: str
) -> str:
    found = (
        "at or before diagnosis of the primary"
        if window == 0
        else f"within {window:g} months after diagnosis of the primary"
    )
    if convention == "chinese_2025":
        found += ", or on or before the day of its resection (staging and operation, §1.2)"
    anchor = (
        "diagnosis of the primary" if convention == "e_ahpba_2023" else "resection of the primary"
    )
    text = f"{convention}: synchronous = liver metastases found {found}; metachronous = later"
    if convention != "e_ahpba_2023":
        text += " and after resection of the primary"
    if split:
        text += (
            f"; early metachronous <= {early_months:g} months (inclusive) from {anchor}, "
            f"late > {early_months:g} months"
        )
    if use_flag:
        text += "; liver_mets_at_primary_diagnosis used where the dates cannot decide"
    return text + "; " + basis_text(basis)
