"""Fong clinical risk score (CRS)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from crlm_outcomes.stratify import _columns as col
from crlm_outcomes.stratify._months import basis_text
from crlm_outcomes.stratify.scores import _points as pt
from crlm_outcomes.stratify.scores._interval import short_interval

__all__ = ["fong_score", "fong_group", "FONG_LEVELS"]

FONG_LEVELS = ("low", "high")
_SOURCE = (
    "Fong Y, Fortner J, Sun RL, Brennan MF, Blumgart LH. Clinical score for predicting "
    "recurrence after hepatic resection for metastatic colorectal cancer: analysis of "
    "1001 consecutive cases. Ann Surg 1999;230(3):309-318"
)
_COLUMNS = (
    "primary_node_positive",
    "primary_n_stage",
    "liver_mets_diagnosis_date",
    "primary_resection_date",
    "liver_mets_number",
    "cea_at_liver_diagnosis",
    "liver_mets_largest_cm",
)


def fong_score(
    data: Any,
    *,
    dfi_origin: str = "resection",
    month_basis: str = "calendar",
    missing_as_zero: bool = False,
) -> pd.Series:
    """Fong clinical risk score, 0-5.

    Source: Fong Y, Fortner J, Sun RL, Brennan MF, Blumgart LH. Ann Surg 1999;230(3):309-318
    (abstract, Results: the five criteria below, one point each, with these strict cut-offs).
    One point each for:

    1. node-positive primary (``primary_node_positive``, else ``primary_n_stage`` N1/N2);
    2. disease-free interval from the primary to the liver metastases < 12 months -- measured
       by default from **resection** of the primary to diagnosis of the liver metastases (the
       abstract says "from primary to metastases"; the resection origin is this package's
       reading, not checked against the full text);
       synchronous metastases have an interval of 0 and score the point (details in
       :func:`~crlm_outcomes.stratify.scores._interval.short_interval`); exactly 12 calendar
       months scores 0 (``month_basis="days"``: 365.25 days);
    3. more than one liver tumour (``liver_mets_number > 1``; without a count, the source's
       "more than one tumour" fact ``liver_mets_number_at_least >= 2`` decides it);
    4. pre-operative CEA > 200 ng/mL (``cea_at_liver_diagnosis``; exactly 200 scores 0). A
       registry top code (``cea_at_liver_diagnosis_at_least``, e.g. >= 10,000 ng/mL) scores;
       a CEA interpreted as normal at diagnosis of a primary with synchronous liver
       metastases (``cea_interpretation``) scores 0;
    5. largest liver tumour > 5 cm (``liver_mets_largest_cm``; exactly 5 cm scores 0).

    External check (Mann, Arch Surg 2004): 5-year OS 72.5% (score 0-1), 31.2% (2-3), 0% (4-5).

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort).
    dfi_origin
        ``"resection"`` (default, Fong 1999) or ``"diagnosis"`` (interval from diagnosis of the
        primary, for sources without resection dates).
    month_basis
        ``"calendar"`` months (default) or months of 30.4375 ``"days"``.
    missing_as_zero
        Count a missing component as 0 points (explicit opt-in; recorded in
        ``.attrs["assumed"]``). Default False: a missing component makes the score missing.
        **This under-scores**: a component the source does not collect at all (e.g. CEA in
        a registry without it) counts 0 for every patient, so true high-risk patients fall
        into the low group.

    Returns
    -------
    pandas.Series
        Nullable ``Int64`` score 0-5; missing with the missing component(s) named in
        ``.attrs["reasons"]``. Groups: :func:`fong_group`.

    Examples
    --------
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> from crlm_outcomes.stratify import fong_score
    >>> result = fong_score(synthetic_cohort(200, seed=1))
    >>> {int(k): int(n) for k, n in result.value_counts().sort_index().items()}
    {0: 10, 1: 27, 2: 81, 3: 42, 4: 13}
    >>> int(result.isna().sum())  # unclassified: see explain(result)
    27
    """
    frame = col.as_frame(data)
    col.require_any(frame, _COLUMNS, "fong_score")
    components = [
        pt.node_component(frame),
        short_interval(
            frame,
            months=12,
            origin=dfi_origin,
            label="disease-free interval < 12 months",
            month_basis=month_basis,
        ),
        pt.threshold(
            frame,
            "liver_mets_number",
            "more than one liver tumour",
            above=1,
            at_least="liver_mets_number_at_least",
        ),
        pt.threshold(
            frame,
            "cea_at_liver_diagnosis",
            "CEA > 200 ng/mL",
            above=200,
            at_least="cea_at_liver_diagnosis_at_least",
            known_below=pt.cea_known_normal(frame),
        ),
        pt.threshold(frame, "liver_mets_largest_cm", "largest liver tumour > 5 cm", above=5),
    ]
    rule = (
        "1 point each: node-positive primary; DFI < 12 months from primary "
        f"{dfi_origin} to liver metastases (synchronous = 0 months); > 1 liver tumour; "
        "CEA > 200 ng/mL; largest > 5 cm; " + basis_text(month_basis)
    )
    return pt.total(
        components,
        index=frame.index,
        name="fong_score",
        rule=rule,
        source=_SOURCE,
        missing_as_zero=missing_as_zero,
    )


def fong_group(data: Any, *, high_from: int = 3, **score_options: Any) -> pd.Series:
    """Fong clinical risk score group: low (0-2) or high (3-5).

    Sources: Fong Y, et al. Ann Surg 1999;230(3):309-318 (the score); the split at 3 is the one
    of the Chinese guidelines for colorectal liver metastases (2025 edition), China Journal of
    General Surgery 2025;34(8):1565-1588, section 5.1.1 (seed 004: CRS < 3 for upfront surgery).
    The 1999 abstract itself reports no grouping (only that no patient with a score of 5 was a
    long-term survivor).

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort), or a score Series from :func:`fong_score`.
    high_from
        Lowest score of the high-risk group (default 3).
    **score_options
        Passed to :func:`fong_score`.

    Returns
    -------
    pandas.Series
        Ordered Categorical ``low < high``; missing where the score is missing (same reasons).

    Examples
    --------
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> from crlm_outcomes.stratify import fong_group
    >>> result = fong_group(synthetic_cohort(200, seed=1))
    >>> result.value_counts(sort=False).to_dict()
    {'low': 118, 'high': 55}
    >>> int(result.isna().sum())  # unclassified: see explain(result)
    27
    """
    score = data if isinstance(data, pd.Series) else fong_score(data, **score_options)
    return pt.groups(
        score,
        [(0, high_from, "low"), (high_from, 6, "high")],
        name="fong_group",
        rule=f"low 0-{high_from - 1}, high {high_from}-5",
        source=_SOURCE,
    )
