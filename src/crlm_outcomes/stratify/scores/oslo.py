"""Oslo score for liver transplantation of colorectal liver metastases."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes.stratify import _columns as col
from crlm_outcomes.stratify._codes import Texts
from crlm_outcomes.stratify.scores import _points as pt

__all__ = ["oslo_score", "oslo_group"]

_SOURCE = ("Dueland, SECA studies; Ji, Zhang, Wang, Chin J Clin Res 2025, section 1 (seed 002)")


def oslo_score(
    data: Any,
    *,
    until: str = "liver_transplant_date",
    missing_as_zero: bool = False,
) -> pd.Series:
    """Oslo score, 0-4.

    Source: Dueland, SECA studies; Ji, Zhang, Wang, Chin J Clin Res 2025, section 1 (seed 002).
    One point each for:

    1. largest liver lesion > 5.5 cm (``liver_mets_largest_cm``; exactly 5.5 scores 0);
    2. progressive disease on chemotherapy (``recist_response == 'PD'``; CR/PR/SD score 0);
    3. < 24 months from primary resection to transplantation (``primary_resection_date`` to
       ``liver_transplant_date``; exactly 24 months = 730.5 days scores 0);
    4. CEA > 80 ng/mL (``cea_at_liver_diagnosis``). The seed prints "80 ug/mL"; that is a unit
       error: 80 ug/L = 80 ng/mL (clinical-definitions).

    Oslo 0-1: 10-year OS 50%; Oslo 2: 33% (seed 002).

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort).
    until
        Date column ending the interval of item 3 (default ``liver_transplant_date``; e.g.
        ``liver_resection_date`` to apply the score outside transplantation -- a deviation from
        the published score, recorded in the rule).
    missing_as_zero
        Count a missing component as 0 (explicit opt-in; see ``.attrs["assumed"]``).

    Returns
    -------
    pandas.Series
        Nullable ``Int64`` score 0-4.
    """
    frame = col.as_frame(data)
    col.require_any(frame, ("liver_mets_largest_cm", "recist_response", until,
                            "cea_at_liver_diagnosis"), "oslo_score")
    response = col.coded(frame, "recist_response")
    progressive = np.where(response.isna(), np.nan, (response == "PD").astype(float))
    months = col.months_between(col.date(frame, until), col.date(frame, "primary_resection_date"))
    interval = np.where(np.isnan(months), np.nan, (months < 24.0).astype(float))
    interval_why = Texts.none(len(frame)).join(
        col.date(frame, "primary_resection_date").isna().to_numpy(),
        col.missing_reason("primary_resection_date", frame), ", ")
    interval_why = interval_why.join(col.date(frame, until).isna().to_numpy(),
                                     col.missing_reason(until, frame), ", ")
    components = [
        pt.threshold(frame, "liver_mets_largest_cm", "largest lesion > 5.5 cm", above=5.5),
        pt.Component("progressive disease on chemotherapy", progressive,
                     col.missing_reason("recist_response", frame)),
        pt.Component("< 24 months from primary resection to " + until, interval, interval_why),
        pt.threshold(frame, "cea_at_liver_diagnosis", "CEA > 80 ng/mL", above=80),
    ]
    rule = ("1 point each: largest > 5.5 cm; RECIST PD on chemotherapy; < 24 months from primary "
            f"resection to {until}; CEA > 80 ng/mL (= ug/L)")
    return pt.total(components, index=frame.index, name="oslo_score", rule=rule,
                    source=_SOURCE, missing_as_zero=missing_as_zero)


def oslo_group(data: Any, *, cuts: Sequence[int] = (2, 3), **score_options: Any) -> pd.Series:
    """Oslo score group: ``0-1``, ``2``, ``3-4`` by default.

    Source: Dueland, SECA studies; Ji, Zhang, Wang, Chin J Clin Res 2025, section 1 (seed 002)
    reports Oslo 0-1 and Oslo 2; the split of 2 from 3-4 is this package's default grouping
    (override with ``cuts``).

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort), or a Series from :func:`oslo_score`.
    cuts
        Lowest score of the second and third group (default (2, 3)).
    **score_options
        Passed to :func:`oslo_score`.
    """
    score = data if isinstance(data, pd.Series) else oslo_score(data, **score_options)
    first, second = int(cuts[0]), int(cuts[1])

    def label(low: int, high: int) -> str:
        return str(low) if low == high else f"{low}-{high}"

    bins = [(0, first, label(0, first - 1)), (first, second, label(first, second - 1)),
            (second, 5, label(second, 4))]
    return pt.groups(score, bins, name="oslo_group",
                     rule="groups " + ", ".join(b[2] for b in bins), source=_SOURCE)
