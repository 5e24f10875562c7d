"""Neoadjuvant rules of section 5.1.1: time to surgery and upfront surgery."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes.errors import SpecError
from crlm_outcomes.stratify import _columns as col
from crlm_outcomes.stratify._codes import Texts
from crlm_outcomes.stratify._explain import attach
from crlm_outcomes.stratify._months import basis_text, compare_months
from crlm_outcomes.stratify.scores.fong import fong_score
from crlm_outcomes.stratify.timing import liver_mets_timing

__all__ = ["surgery_within_months_of_chemo", "upfront_surgery_candidate"]

_SECTION = (
    "Chinese guidelines for the diagnosis and comprehensive treatment of colorectal liver "
    "metastases (2025 edition), China Journal of General Surgery 2025;34(8):1565-1588, "
    "section 5.1.1 (seed 004)"
)


def surgery_within_months_of_chemo(
    data: Any, *, months: int = 3, origin: str = "start", month_basis: str = "calendar"
) -> pd.Series:
    """Neoadjuvant chemotherapy completed and the liver operated within 2-3 months.

    Source: Chinese guidelines (2025 edition), China Journal of General Surgery
    2025;34(8):1565-1588, section 5.1.1 (seed 004): to limit the harm of chemotherapy to the
    liver operation, neoadjuvant chemotherapy is in principle no more than 6 cycles (see
    :func:`~crlm_outcomes.stratify.neoadjuvant_cycles_within_limit`) and is "generally
    recommended to be completed within 2-3 months, followed by surgery"; section 5.1.2 likewise
    gives neoadjuvant therapy a duration of 2-3 months. The 2-3 months are therefore counted
    from the **start** of neoadjuvant chemotherapy (``origin="start"``, default): True when
    ``liver_resection_date`` is at most ``months`` (default 3, the upper end of the guideline's
    2-3 months; exactly 3 calendar months is within) after ``neoadjuvant_start_date``.
    ``origin="end"`` counts from ``neoadjuvant_end_date`` instead (time from the last cycle to
    surgery) -- not the guideline's wording, recorded in the rule.

    False when later; missing, as not applicable, without neoadjuvant chemotherapy
    (``neoadjuvant_chemo`` False), and missing with the reason when a date is unknown.

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort).
    months
        Upper limit in months (default 3).
    origin
        ``"start"`` (default, the guideline's reading) or ``"end"`` of neoadjuvant
        chemotherapy.
    month_basis
        ``"calendar"`` months (default) or months of 30.4375 ``"days"``.

    Returns
    -------
    pandas.Series
        Nullable ``boolean``; reasons in ``.attrs``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.stratify import explain, surgery_within_months_of_chemo
    >>> df = pd.DataFrame({
    ...     "neoadjuvant_chemo": [True, True, False],
    ...     "neoadjuvant_start_date": pd.to_datetime(["2020-01-10", "2020-01-10", None]),
    ...     "liver_resection_date": pd.to_datetime(["2020-04-10", "2020-05-02", "2020-03-01"])})
    >>> result = surgery_within_months_of_chemo(df)
    >>> result.tolist()  # exactly 3 calendar months is within
    [True, False, <NA>]
    >>> print(explain(result)["reason"].iloc[2])
    not applicable: no neoadjuvant chemotherapy
    """
    if origin not in ("start", "end"):
        raise SpecError(
            "origin must be 'start' or 'end'",
            column="origin",
            value=origin,
            expected="'start' (guideline section 5.1.1) or 'end'",
        )
    origin_column = f"neoadjuvant_{origin}_date"
    frame = col.as_frame(data)
    col.require_any(frame, (origin_column,), "surgery_within_months_of_chemo")
    n = len(frame)
    first = col.date(frame, origin_column)
    surgery = col.date(frame, "liver_resection_date")
    sign, known = compare_months(surgery, first, months, month_basis)
    given = col.boolean(frame, "neoadjuvant_chemo")
    not_given = (given == False).to_numpy(dtype=bool, na_value=False)  # noqa: E712
    decided = known & ~not_given
    value = pd.array(np.where(decided, sign <= 0, False), dtype="boolean")
    value[~decided] = pd.NA
    reason = Texts.none(n)
    reason = reason.join(first.isna().to_numpy(), col.missing_reason(origin_column, frame), ", ")
    reason = reason.join(
        surgery.isna().to_numpy(), col.missing_reason("liver_resection_date", frame), ", "
    )
    reason[not_given] = "not applicable: no neoadjuvant chemotherapy"
    if origin == "start":
        rule = (
            f"neoadjuvant chemotherapy completed and liver resection <= {months} months "
            "after its start (inclusive)"
        )
    else:
        rule = (
            f"liver resection <= {months} months after the end of neoadjuvant "
            "chemotherapy (inclusive; counted from the end, not the guideline's wording)"
        )
    return attach(
        pd.Series(value, index=frame.index),
        reason,
        name="surgery_within_months_of_chemo",
        rule=rule + "; " + basis_text(month_basis),
        source=_SECTION,
    )


def upfront_surgery_candidate(data: Any, *, crs_below: int = 3) -> pd.Series:
    """Upfront surgery rather than neoadjuvant therapy (CRS < 3, easy resection).

    Source: Chinese guidelines (2025 edition), China Journal of General Surgery
    2025;34(8):1565-1588, section 5.1.1 (seed 004): for liver metastases present at diagnosis of
    the colorectal cancer, neoadjuvant therapy may be considered except when the metastases are
    technically easy to resect and there is no poor prognostic factor, e.g. a clinical risk
    score (Fong) < 3.

    True when the metastases are synchronous (:func:`~crlm_outcomes.stratify.liver_mets_timing`,
    chinese_2025), ``initially_resectable`` is True (the recorded MDT judgment that stands in
    for "technically easy"; the data hold no finer judgment) and the Fong score is below
    ``crs_below``; False when synchronous and either the score is ``crs_below`` or more or the
    metastases were initially unresectable. Missing, as not applicable, for metachronous
    metastases (section 5.1.2 applies), and where a needed item is unknown.

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort) with the timing dates, ``initially_resectable``
        and the Fong score items (see :func:`~crlm_outcomes.stratify.fong_score`).
    crs_below
        Fong clinical risk score below which upfront surgery is preferred (default 3).

    Returns
    -------
    pandas.Series
        Nullable ``boolean``; reasons in ``.attrs``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.stratify import explain, upfront_surgery_candidate
    >>> df = pd.DataFrame({
    ...     "primary_diagnosis_date": pd.to_datetime(["2020-01-01"] * 3),
    ...     "primary_resection_date": pd.to_datetime(["2020-02-01"] * 3),
    ...     "liver_mets_diagnosis_date": pd.to_datetime(
    ...         ["2020-01-01", "2020-01-01", "2021-06-01"]),
    ...     "initially_resectable": [True, True, True],
    ...     "primary_node_positive": [False, True, False],
    ...     "disease_free_interval_months": [0.0, 0.0, 16.0],
    ...     "liver_mets_number": pd.array([1, 3, 1], dtype="Int64"),
    ...     "cea_at_liver_diagnosis": [12.0, 250.0, 5.0],
    ...     "liver_mets_largest_cm": [2.0, 6.0, 3.0]})
    >>> result = upfront_surgery_candidate(df)  # Fong scores 1, 5 and 0
    >>> result.tolist()
    [True, False, <NA>]
    >>> print(explain(result)["reason"].iloc[2])
    not applicable: metachronous metastases (section 5.1.2)
    """
    frame = col.as_frame(data)
    col.require_any(frame, ("initially_resectable",), "upfront_surgery_candidate")
    n = len(frame)
    timing = col.memo_call(
        liver_mets_timing,
        frame,
        convention="chinese_2025",
        window_months=None,
        split_metachronous=False,
    )
    score = col.memo_call(fong_score, frame)
    crs = score.to_numpy(dtype=float, na_value=np.nan)
    resectable = col.boolean(frame, "initially_resectable")
    is_true = resectable.to_numpy(dtype=bool, na_value=False)
    is_false = (resectable == False).to_numpy(dtype=bool, na_value=False)  # noqa: E712
    sync = (timing == "synchronous").to_numpy(dtype=bool, na_value=False)
    meta = (timing == "metachronous").to_numpy(dtype=bool, na_value=False)
    yes = sync & is_true & (crs < crs_below)
    no = sync & (is_false | (crs >= crs_below))
    value = pd.array(yes, dtype="boolean")
    value[~(yes | no)] = pd.NA
    reason = Texts.none(n)
    reason = reason.join(~sync & ~meta, "timing unknown", ", ")
    reason = reason.join(
        ~is_true & ~is_false, col.missing_reason("initially_resectable", frame), ", "
    )
    reason = reason.join(np.isnan(crs), "Fong score unknown", ", ")
    reason[meta] = "not applicable: metachronous metastases (section 5.1.2)"
    return attach(
        pd.Series(value, index=frame.index),
        reason,
        name="upfront_surgery_candidate",
        rule=(
            f"synchronous, initially resectable and Fong score < {crs_below} -> "
            "True; synchronous with score >= cut-off or initially unresectable "
            "-> False"
        ),
        source=_SECTION + "; Fong Y, et al. Ann Surg 1999;230(3):309-318",
    )
