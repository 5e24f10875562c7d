"""The disease-free-interval component shared by the Fong and Nordlinger scores."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crlm_outcomes.errors import SpecError
from crlm_outcomes.stratify import _columns as col
from crlm_outcomes.stratify.scores._points import Component, join_where

__all__ = ["short_interval"]


def short_interval(frame: pd.DataFrame, *, months: float, origin: str, label: str) -> Component:
    """1 point when the interval from the primary to the liver metastases is < ``months``.

    ``origin="resection"`` (Fong 1999, Nordlinger 1996): from ``primary_resection_date`` to
    ``liver_mets_diagnosis_date``. Synchronous metastases (found on or before the resection)
    have an interval of 0 and score the point. Where the resection date is missing, the point is
    still certain -- and given -- when the metastases were found less than ``months`` after
    *diagnosis* of the primary (the resection cannot precede the diagnosis), or when
    ``liver_mets_at_primary_diagnosis`` is True.

    ``origin="diagnosis"``: from ``primary_diagnosis_date``; the synchronous flag scores the
    point where dates are missing.

    Strict inequality: exactly ``months`` (``months`` x 30.4375 days) scores 0.
    """
    if origin not in ("resection", "diagnosis"):
        raise SpecError("interval origin must be 'resection' or 'diagnosis'", column="dfi_origin",
                        value=origin, expected="'resection' or 'diagnosis'")
    limit = float(months) * col.DAYS_PER_MONTH
    liver = col.date(frame, "liver_mets_diagnosis_date")
    diagnosis = col.date(frame, "primary_diagnosis_date")
    resection = col.date(frame, "primary_resection_date")
    synchronous_flag = col.boolean(frame, "liver_mets_at_primary_diagnosis").to_numpy(
        dtype=bool, na_value=False)
    from_diagnosis = ((liver - diagnosis) / pd.Timedelta(days=1)).to_numpy(dtype=float)
    from_resection = ((liver - resection) / pd.Timedelta(days=1)).to_numpy(dtype=float)
    n = len(frame)
    points = np.full(n, np.nan)
    if origin == "resection":
        known = ~np.isnan(from_resection)
        points[known] = (from_resection[known] < limit).astype(float)
        short_from_dx = ~known & ~np.isnan(from_diagnosis) & (from_diagnosis < limit)
        points[short_from_dx] = 1.0
        needed = {"liver_mets_diagnosis_date": liver, "primary_resection_date": resection}
    else:
        known = ~np.isnan(from_diagnosis)
        points[known] = (from_diagnosis[known] < limit).astype(float)
        needed = {"liver_mets_diagnosis_date": liver, "primary_diagnosis_date": diagnosis}
    points[np.isnan(points) & synchronous_flag] = 1.0
    # a source without dates may record the interval itself, or only "< 12 months"
    dfi = col.number(frame, "disease_free_interval_months")
    use = np.isnan(points) & ~np.isnan(dfi)
    points[use] = (dfi[use] < float(months)).astype(float)
    if float(months) == 12.0:
        under = col.boolean(frame, "disease_free_interval_under_12m")
        flag = np.isnan(points) & under.notna().to_numpy()
        points[flag] = under.to_numpy(dtype=float, na_value=np.nan)[flag]
    why = np.full(n, "", dtype=object)
    for name, values in needed.items():
        why = join_where(why, values.isna().to_numpy(), col.missing_reason(name, frame),
                         sep=", ")
    why = np.where(why == "", "interval cannot be decided", why).astype(object)
    return Component(label, points, why)
