"""The disease-free-interval component shared by the Fong and Nordlinger scores."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crlm_outcomes.errors import SpecError
from crlm_outcomes.stratify import _columns as col
from crlm_outcomes.stratify._codes import Texts
from crlm_outcomes.stratify._months import check_basis, compare_months
from crlm_outcomes.stratify.scores._points import Component

__all__ = ["short_interval"]


def short_interval(
    frame: pd.DataFrame, *, months: float, origin: str, label: str, month_basis: str = "calendar"
) -> Component:
    """1 point when the interval from the primary to the liver metastases is < ``months``.

    ``origin="resection"`` (Fong 1999, Nordlinger 1996): from ``primary_resection_date`` to
    ``liver_mets_diagnosis_date``. Synchronous metastases (found on or before the resection)
    have an interval of 0 and score the point. Where the resection date is missing, the point is
    still certain -- and given -- when the metastases were found less than ``months`` after
    *diagnosis* of the primary (the resection cannot precede the diagnosis), or when
    ``liver_mets_at_primary_diagnosis`` is True.

    ``origin="diagnosis"``: from ``primary_diagnosis_date``; the synchronous flag scores the
    point where dates are missing.

    Where the dates cannot decide, a source's own interval decides:
    ``disease_free_interval_months`` (< ``months`` scores), or the fact
    ``disease_free_interval_under_12m`` (True scores any limit of 12 months or more; False,
    i.e. at least 12 months, scores 0 for any limit of 12 months or less).

    Strict inequality: exactly ``months`` calendar months (or ``months`` x 30.4375 days with
    ``month_basis="days"``) scores 0.
    """
    if origin not in ("resection", "diagnosis"):
        raise SpecError(
            "interval origin must be 'resection' or 'diagnosis'",
            column="dfi_origin",
            value=origin,
            expected="'resection' or 'diagnosis'",
        )
    check_basis(month_basis, months)
    liver = col.date(frame, "liver_mets_diagnosis_date")
    diagnosis = col.date(frame, "primary_diagnosis_date")
    resection = col.date(frame, "primary_resection_date")
    synchronous_flag = col.boolean(frame, "liver_mets_at_primary_diagnosis").to_numpy(
        dtype=bool, na_value=False
    )
    dx_sign, dx_known = compare_months(liver, diagnosis, months, month_basis)
    res_sign, res_known = compare_months(liver, resection, months, month_basis)
    n = len(frame)
    points = np.full(n, np.nan)
    if origin == "resection":
        points[res_known] = (res_sign[res_known] < 0).astype(float)
        short_from_dx = ~res_known & dx_known & (dx_sign < 0)
        points[short_from_dx] = 1.0
        needed = {"liver_mets_diagnosis_date": liver, "primary_resection_date": resection}
    else:
        points[dx_known] = (dx_sign[dx_known] < 0).astype(float)
        needed = {"liver_mets_diagnosis_date": liver, "primary_diagnosis_date": diagnosis}
    points[np.isnan(points) & synchronous_flag] = 1.0
    # a source that gives the interval (or the "< 12 months" fact) without dates
    recorded = col.number(frame, "disease_free_interval_months")
    from_recorded = np.isnan(points) & ~np.isnan(recorded)
    points[from_recorded] = (recorded[from_recorded] < float(months)).astype(float)
    under_12 = col.boolean(frame, "disease_free_interval_under_12m")
    if float(months) >= 12:  # "< 12 months" proves "< months"
        points[np.isnan(points) & under_12.to_numpy(dtype=bool, na_value=False)] = 1.0
    if float(months) <= 12:  # ">= 12 months" proves ">= months"
        over = (under_12 == False).to_numpy(dtype=bool, na_value=False)  # noqa: E712
        points[np.isnan(points) & over] = 0.0
    why = Texts.none(n)
    for name, values in needed.items():
        why = why.join(values.isna().to_numpy(), col.missing_reason(name, frame), sep=", ")
    why[why.isna()] = "interval cannot be decided"
    return Component(label, points, why)
