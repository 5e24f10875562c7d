"""Timing of liver metastases: synchronous, early metachronous, late metachronous.

Three published conventions, plus a window option used by many registries and papers.
Months are days / 30.4375 (canonical schema); every comparison is made in days, so "12 months"
is 365.25 days: 365 days is within 12 months, 366 days is beyond.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes.errors import SpecError
from crlm_outcomes.stratify import _columns as col
from crlm_outcomes.stratify._codes import Levels, Texts
from crlm_outcomes.stratify._explain import Labels, attach

__all__ = ["liver_mets_timing", "TIMING_LEVELS", "TIMING_CONVENTIONS"]

TIMING_LEVELS = ("synchronous", "early_metachronous", "late_metachronous")
TIMING_CONVENTIONS = ("chinese_2025", "adam_2015", "e_ahpba_2023")

_SOURCES = {
    "chinese_2025": (
        "Chinese guidelines for the diagnosis and comprehensive treatment of colorectal liver "
        "metastases (2025 edition), section 1.1 (seed 004)"
    ),
    "adam_2015": "Adam et al., Cancer Treat Rev 2015 consensus",
    "e_ahpba_2023": "E-AHPBA multisociety consensus, BJS 2023;110:1161",
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
) -> pd.Series:
    """Classify liver metastases as synchronous, early metachronous or late metachronous.

    Sources, by ``convention``:

    * ``"chinese_2025"`` -- Chinese guidelines for the diagnosis and comprehensive treatment of
      colorectal liver metastases (2025 edition), section 1.1 (seed 004): synchronous = found
      before or at diagnosis of the colorectal cancer; metachronous = found after radical
      resection of the primary. The guideline does not split metachronous metastases; this
      package splits them like Adam 2015, at ``early_months`` (default 12) **after resection of
      the primary**, because the guideline anchors metachronous disease at that resection.
    * ``"adam_2015"`` -- Adam et al., Cancer Treat Rev 2015 consensus: synchronous = detected
      at or before diagnosis of the primary; early metachronous <= 12 months, late > 12 months
      **after surgery of the primary**.
    * ``"e_ahpba_2023"`` -- E-AHPBA multisociety consensus, BJS 2023;110:1161: synchronous =
      detected at presentation of the primary; early metachronous <= 12 months, late > 12
      months **from diagnosis of the primary**.

    Rules (all in days; months = days / 30.4375):

    1. Synchronous when ``liver_mets_diagnosis_date - primary_diagnosis_date <= window`` (window
       0 days unless ``window_months`` is given; metastases found before the primary count as
       synchronous).
    2. Metachronous otherwise. ``"chinese_2025"`` and ``"adam_2015"`` need the metastases to be
       found after the resection of the primary (``primary_resection_date``); metastases found
       after diagnosis (beyond the window) but on or before the resection, or with the primary
       not resected, fit neither definition by dates alone (the "gap"): they are synchronous
       when the source's flag says the metastases were present at diagnosis (rule 4), and
       otherwise missing with that reason (or pass ``window_months`` to count metastases found
       during the diagnostic work-up as synchronous). ``"e_ahpba_2023"`` measures from
       diagnosis, so it has no such gap.
    3. Early metachronous when the interval from the convention's anchor (resection for
       chinese_2025/adam_2015, diagnosis for e_ahpba_2023) is ``<= early_months`` (inclusive:
       exactly 12 months = 365.25 days is early), late when it is longer.
    4. Where the dates cannot decide and ``use_flag`` is true, ``liver_mets_at_primary_diagnosis``
       (the source's own synchronous flag) is used: True gives synchronous (also in the gap
       of rule 2). False gives metachronous only under ``"e_ahpba_2023"``, which has no gap;
       under the conventions anchored at the resection, False without the interval from the
       resection to the liver metastases is missing with that reason, since the metastases may
       lie in the gap. The early/late split still needs the anchor dates (otherwise missing
       with that reason, unless ``split_metachronous=False``).
       Dates, when they decide, win
       over the flag (canonical schema: the flag is "used for timing only when dates are
       missing").

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort with ``.data``).
    convention
        ``"chinese_2025"`` (default), ``"adam_2015"`` or ``"e_ahpba_2023"``.
    window_months
        Liver metastases diagnosed within this many months after diagnosis of the primary are
        synchronous (registries and many papers use 3 or 6). ``None`` = no window: only at or
        before diagnosis.
    early_months
        Boundary between early and late metachronous, inclusive on the early side.
    split_metachronous
        If False the levels are ``synchronous`` / ``metachronous`` and the early/late anchor
        date is not needed once the metastases are known to be metachronous.
    use_flag
        Fall back on ``liver_mets_at_primary_diagnosis`` where the dates cannot decide.

    Returns
    -------
    pandas.Series
        Ordered Categorical with levels ``synchronous < early_metachronous <
        late_metachronous`` (or ``synchronous < metachronous``); NA where unclassifiable, with
        the reason in ``.attrs["reasons"]`` (see :func:`crlm_outcomes.stratify.reasons`) and the
        rule in ``.attrs["rule"]``. ``.attrs["from_flag"]`` lists the index labels classified
        from the flag rather than from dates.
    """
    if convention not in TIMING_CONVENTIONS:
        raise SpecError(
            "unknown timing convention", column="convention", value=convention,
            expected=f"one of {list(TIMING_CONVENTIONS)}",
        )
    if window_months is not None and not (np.isfinite(window_months) and window_months >= 0):
        raise SpecError("window_months must be a non-negative number or None",
                        value=window_months, expected="None or a number >= 0")
    if not (np.isfinite(early_months) and early_months > 0):
        raise SpecError("early_months must be a positive number", value=early_months,
                        expected="a number > 0")
    frame = col.as_frame(data)
    col.require_any(frame, _COLUMNS, "liver_mets_timing")
    n = len(frame)

    liver = col.date(frame, "liver_mets_diagnosis_date")
    diagnosis = col.date(frame, "primary_diagnosis_date")
    resection = col.date(frame, "primary_resection_date")
    resection_type = col.coded(frame, "primary_resection_type")
    flag = col.boolean(frame, "liver_mets_at_primary_diagnosis")

    window_days = 0.0 if window_months is None else float(window_months) * col.DAYS_PER_MONTH
    early_days = float(early_months) * col.DAYS_PER_MONTH
    from_diagnosis = ((liver - diagnosis) / pd.Timedelta(days=1)).to_numpy(dtype=float)
    from_resection = ((liver - resection) / pd.Timedelta(days=1)).to_numpy(dtype=float)
    dx_known = ~np.isnan(from_diagnosis)
    res_known = ~np.isnan(from_resection)
    anchored_at_resection = convention != "e_ahpba_2023"
    anchor = from_resection if anchored_at_resection else from_diagnosis
    anchor_name = "primary_resection_date" if anchored_at_resection else "primary_diagnosis_date"

    levels = TIMING_LEVELS if split_metachronous else ("synchronous", "metachronous")
    value = Levels.empty(n, levels)
    reason = Texts.none(n)
    decided = np.zeros(n, dtype=bool)

    # 1. synchronous from dates
    synchronous = dx_known & (from_diagnosis <= window_days)
    value[synchronous] = "synchronous"
    decided |= synchronous

    # 2. metachronous from dates
    after_window = dx_known & (from_diagnosis > window_days)
    if anchored_at_resection:
        after_resection = res_known & (from_resection > 0)
        # Without the diagnosis date, "after the resection" still proves "after diagnosis"
        # (the primary is resected after it is diagnosed) -- but not "after the window".
        metachronous = ~decided & after_resection & (after_window | (~dx_known & (window_days == 0)))
        gap = ~decided & after_window & ~after_resection
        not_resected = resection_type == "none"
        reason[gap] = (
            "liver metastases found after diagnosis of the primary; "
            + col.missing_reason("primary_resection_date", frame)
            + " (metachronous is defined from the resection of the primary)")
        reason[gap & not_resected] = (
            "liver metastases found after diagnosis of an unresected primary "
            "(primary_resection_type 'none'): metachronous needs a resected primary under "
            "this convention")
        reason[gap & res_known] = (
            "liver metastases found after diagnosis of the primary but on or before its "
            "resection: neither synchronous nor metachronous under this convention "
            "(window_months counts work-up findings as synchronous)")
    else:
        gap = np.zeros(n, dtype=bool)
        metachronous = ~decided & after_window
    decided |= metachronous

    # 4. flag fallback where the dates cannot decide
    undecided = ~decided
    flag_true = (flag == True).to_numpy(dtype=bool, na_value=False)  # noqa: E712
    flag_false = (flag == False).to_numpy(dtype=bool, na_value=False)  # noqa: E712
    from_flag = np.zeros(n, dtype=bool)
    if use_flag:
        flagged_sync = undecided & flag_true
        value[flagged_sync] = "synchronous"
        # in the gap the dates show the metastases were not found after the resection (or
        # cannot show it), so "not at diagnosis" does not make them metachronous
        flagged_meta = undecided & flag_false & ~gap
        if anchored_at_resection:
            # The flag says "not present at diagnosis". Under a convention anchored at the
            # resection that is not enough for metachronous: without the liver date the
            # metastases may have been found between diagnosis and resection (the gap of
            # rule 2), so the flag alone would be a guess.
            before_resection = flagged_meta & res_known & (from_resection <= 0)
            reason[before_resection] = (
                "liver_mets_at_primary_diagnosis is False but the liver metastases were found on "
                "or before the resection of the primary: neither synchronous nor metachronous "
                "under this convention"
            )
            no_liver_date = flagged_meta & np.isnan(from_resection) & ~before_resection
            reason[no_liver_date] = (
                "liver_mets_at_primary_diagnosis is False, but without the interval from "
                "primary_resection_date to liver_mets_diagnosis_date this convention cannot tell "
                "metachronous (found after the resection) from metastases found between "
                "diagnosis and resection: "
                + _missing_text(frame, {"liver_mets_diagnosis_date": liver,
                                        "primary_resection_date": resection})
            )
            flagged_meta &= ~before_resection & ~no_liver_date
        metachronous |= flagged_meta
        from_flag = flagged_sync | flagged_meta

    # 3. metachronous sub-class
    if split_metachronous:
        anchor_known = ~np.isnan(anchor)
        early = metachronous & anchor_known & (anchor <= early_days)
        late = metachronous & anchor_known & (anchor > early_days)
        value[early] = "early_metachronous"
        value[late] = "late_metachronous"
        no_anchor = metachronous & ~anchor_known
        if no_anchor.any():
            text = _missing_text(frame, {
                "liver_mets_diagnosis_date": liver,
                anchor_name: resection if anchored_at_resection else diagnosis,
            })
            reason[no_anchor] = (
                "metachronous (liver_mets_at_primary_diagnosis is False) but early/late needs "
                "the interval from " + anchor_name + ": " + text
            )
    else:
        value[metachronous] = "metachronous"

    # anything still undecided: say which dates are missing
    still = value.isna() & reason.isna() & ~gap
    if still.any():
        dates = {"liver_mets_diagnosis_date": liver, "primary_diagnosis_date": diagnosis}
        if anchored_at_resection:
            dates["primary_resection_date"] = resection
        text = _missing_text(frame, dates)
        flag_text = (
            col.missing_reason("liver_mets_at_primary_diagnosis", frame)
            if use_flag else "flag fallback disabled (use_flag=False)"
        )
        reason[still] = "cannot place the liver metastases in time: " + text + f"; {flag_text}"

    rule = _rule_text(convention, window_months, early_months, split_metachronous, use_flag)
    series = pd.Series(value.categorical(levels), index=frame.index)
    series = attach(series, reason, name="liver_mets_timing", rule=rule,
                    source=_SOURCES[convention])
    series.attrs["from_flag"] = Labels(frame.index[from_flag & value.notna()].tolist())
    return series


def _missing_text(frame: pd.DataFrame, dates: dict[str, pd.Series]) -> Texts:
    """Per-row text naming which of the given date columns are missing (built once per
    pattern of missing dates)."""
    parts = Texts.none(len(frame))
    for name, values in dates.items():
        parts = parts.join(values.isna().to_numpy(), col.missing_reason(name, frame), sep=", ")
    parts[parts.isna()] = "the dates do not decide"
    return parts


def _rule_text(convention: str, window_months: float | None, early_months: float,
               split: bool, use_flag: bool) -> str:
    window = (
        "at or before diagnosis of the primary" if window_months is None
        else f"within {window_months:g} months (x 30.4375 days) after diagnosis of the primary"
    )
    anchor = ("diagnosis of the primary" if convention == "e_ahpba_2023"
              else "resection of the primary")
    text = f"{convention}: synchronous = liver metastases found {window}; metachronous = later"
    if convention != "e_ahpba_2023":
        text += " and after resection of the primary"
    if split:
        text += (f"; early metachronous <= {early_months:g} months (inclusive) from {anchor}, "
                 f"late > {early_months:g} months")
    if use_flag:
        text += "; liver_mets_at_primary_diagnosis used where the dates cannot decide"
    return text
