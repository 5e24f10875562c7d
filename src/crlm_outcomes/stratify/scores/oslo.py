"""Oslo score for liver transplantation of colorectal liver metastases."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes.stratify import _columns as col
from crlm_outcomes.stratify._codes import Texts
from crlm_outcomes.stratify._months import basis_text, compare_months
from crlm_outcomes.stratify.scores import _points as pt

__all__ = ["oslo_score", "oslo_group", "OSLO_SOURCE"]

OSLO_SOURCE = (
    "Dueland S, Grut H, Syversveen T, Hagness M, Line PD. Selection criteria related to "
    "long-term survival following liver transplantation for colorectal liver metastasis. "
    "Am J Transplant 2020;20(2):530-537, doi:10.1111/ajt.15682 (the Oslo score); items and "
    "cut-offs as reported by Ji, Zhang, Wang, Chin J Clin Res 2025, section 1 (seed 002) -- "
    "primary text not accessible to this package"
)


def oslo_score(
    data: Any,
    *,
    until: str = "liver_transplant_date",
    month_basis: str = "calendar",
    missing_as_zero: bool = False,
) -> pd.Series:
    """Oslo score, 0-4, from the values **before transplantation**.

    Source: Dueland S, Grut H, Syversveen T, Hagness M, Line PD. Am J Transplant
    2020;20(2):530-537 (doi:10.1111/ajt.15682), whose abstract compares the Oslo Score with
    the Fong score and the PET metabolic tumour volume in the SECA-I and SECA-II patients but
    does not list the items. Items and cut-offs: threshold as reported by Ji, Zhang, Wang,
    Chin J Clin Res 2025, section 1 (seed 002); primary text not accessible here. The same
    group reports a largest tumour > 5.5 cm as a negative predictor after transplantation
    (Dueland S, Smedman TM, Syversveen T, et al. JAMA Surg 2023, doi:10.1001/jamasurg.2023.2932,
    abstract), and names pre-transplant CEA and the time from resection of the primary to
    transplantation as the factors (Line PD, Hagness M, Dueland S. Can J Gastroenterol Hepatol
    2018;2018:8547940, abstract) -- hence the values before transplantation. One point each
    for:

    1. largest liver lesion > 5.5 cm **on the last imaging before transplantation**
       (``liver_mets_largest_cm_before_transplant``; exactly 5.5 scores 0);
    2. **progressive disease on chemotherapy at the time of transplantation**
       (``progression_at_transplant``). The best RECIST response during neoadjuvant
       therapy (``recist_response``) is a different fact and is not used;
    3. < 24 months from resection of the primary to transplantation
       (``primary_resection_date`` to ``liver_transplant_date``; exactly 24 calendar months
       scores 0);
    4. **pre-transplant** CEA > 80 ng/mL (``cea_before_transplant``; 80 ug/L = 80 ng/mL --
       seed 002 prints "80 ug/mL", a unit error).

    The values at diagnosis of the liver metastases (``cea_at_liver_diagnosis``,
    ``liver_mets_largest_cm``) are never substituted: a patient without the pre-transplant
    value is missing, with that reason. Oslo 0-1: 10-year OS 50%; Oslo 2: 33% (seed 002).

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort).
    until
        Date column ending the interval of item 3 (default ``liver_transplant_date``; e.g.
        ``liver_resection_date`` outside transplantation -- a deviation from the published
        score, recorded in the rule).
    month_basis
        ``"calendar"`` months (default) or months of 30.4375 ``"days"``.
    missing_as_zero
        Count a missing component as 0 (explicit opt-in; see ``.attrs["assumed"]``). This
        under-scores: a component that is not collected at all counts 0 for every patient.

    Returns
    -------
    pandas.Series
        Nullable ``Int64`` score 0-4.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.stratify import oslo_score
    >>> df = pd.DataFrame({
    ...     "liver_mets_largest_cm_before_transplant": [6.0],
    ...     "progression_at_transplant": [False],
    ...     "primary_resection_date": pd.to_datetime(["2019-01-10"]),
    ...     "liver_transplant_date": pd.to_datetime(["2021-01-10"]),
    ...     "cea_before_transplant": [12.0]})
    >>> int(oslo_score(df).iloc[0])  # only the size scores (24 months exactly: 0)
    1
    """
    frame = col.as_frame(data)
    col.require_any(
        frame,
        (
            "liver_mets_largest_cm_before_transplant",
            "progression_at_transplant",
            until,
            "cea_before_transplant",
        ),
        "oslo_score",
    )
    resection = col.date(frame, "primary_resection_date")
    end = col.date(frame, until)
    sign, known = compare_months(end, resection, 24, month_basis)
    interval = np.where(known, (sign < 0).astype(float), np.nan)
    interval_why = Texts.none(len(frame)).join(
        resection.isna().to_numpy(), col.missing_reason("primary_resection_date", frame), ", "
    )
    interval_why = interval_why.join(end.isna().to_numpy(), col.missing_reason(until, frame), ", ")
    components = [
        pt.threshold(
            frame,
            "liver_mets_largest_cm_before_transplant",
            "largest lesion before transplantation > 5.5 cm",
            above=5.5,
        ),
        pt.flag(
            frame,
            col.boolean(frame, "progression_at_transplant"),
            "progression_at_transplant",
            "progression on chemotherapy at transplantation",
        ),
        pt.Component(
            "< 24 months from primary resection to "
            + (
                "transplantation"
                if until == "liver_transplant_date"
                else col.item(until).replace("date of ", "")
            ),
            interval,
            interval_why,
        ),
        pt.threshold(
            frame, "cea_before_transplant", "CEA before transplantation > 80 ng/mL", above=80
        ),
    ]
    rule = (
        "1 point each, pre-transplant values: largest > 5.5 cm; progression on "
        f"chemotherapy at transplantation; < 24 months from primary resection to {until}; "
        "CEA > 80 ng/mL (= ug/L); " + basis_text(month_basis)
    )
    return pt.total(
        components,
        index=frame.index,
        name="oslo_score",
        rule=rule,
        source=OSLO_SOURCE,
        missing_as_zero=missing_as_zero,
    )


def oslo_group(data: Any, *, cuts: Sequence[int] = (2, 3), **score_options: Any) -> pd.Series:
    """Oslo score group: ``0-1``, ``2``, ``3-4`` by default.

    Source: Dueland S, et al. Am J Transplant 2020;20(2):530-537, whose abstract reports
    survival for "Oslo Score 0-2" (``cuts=(3, 4)`` gives 0-2 / 3 / 4); Ji JW, Zhang YG, Wang
    HW. Surgical management of liver metastases from colorectal cancer. Chin J Clin Res
    2025;38(7):988-992, section 1 (seed 002) reports Oslo 0-1 (10-year OS 50%) and Oslo 2
    (33%). The default 0-1 / 2 / 3-4 is this package's
    grouping (override with ``cuts``).

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort), or a Series from :func:`oslo_score`.
    cuts
        Lowest score of the second and third group (default (2, 3)).
    **score_options
        Passed to :func:`oslo_score`.

    Returns
    -------
    pandas.Series
        Ordered Categorical of the groups named by their score ranges (``0-1 < 2 < 3-4`` by
        default); NA where the score is missing, with its reason, in ``.attrs``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.stratify import oslo_group, oslo_score
    >>> df = pd.DataFrame({
    ...     "liver_mets_largest_cm_before_transplant": [3.0, 6.0, 6.0],
    ...     "progression_at_transplant": [False, False, True],
    ...     "primary_resection_date": pd.to_datetime(["2019-01-10"] * 3),
    ...     "liver_transplant_date": pd.to_datetime(["2021-01-10", "2021-01-10", "2020-01-10"]),
    ...     "cea_before_transplant": [12.0, 12.0, 120.0]})
    >>> oslo_score(df).tolist()
    [0, 1, 4]
    >>> oslo_group(df).tolist(), oslo_group(df, cuts=(3, 4)).tolist()
    (['0-1', '0-1', '3-4'], ['0-2', '0-2', '4'])
    """
    score = data if isinstance(data, pd.Series) else oslo_score(data, **score_options)
    first, second = int(cuts[0]), int(cuts[1])

    def label(low: int, high: int) -> str:
        return str(low) if low == high else f"{low}-{high}"

    bins = [
        (0, first, label(0, first - 1)),
        (first, second, label(first, second - 1)),
        (second, 5, label(second, 4)),
    ]
    return pt.groups(
        score,
        bins,
        name="oslo_group",
        rule="groups " + ", ".join(b[2] for b in bins),
        source=OSLO_SOURCE,
    )
