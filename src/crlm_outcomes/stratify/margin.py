"""Resection margin classes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes.errors import SpecError
from crlm_outcomes.stratify import _columns as col
from crlm_outcomes.stratify._decide import Decider
from crlm_outcomes.stratify._explain import categorical_result

__all__ = ["margin_class", "MARGIN_LEVELS", "NORDLINGER_MARGIN_LEVELS"]

MARGIN_LEVELS: tuple[str, ...] = ("R0_over_1mm", "R0_1mm_or_less", "involved")
NORDLINGER_MARGIN_LEVELS: tuple[str, ...] = ("1cm_or_more", "under_1cm")
_GUIDELINE = (
    "Chinese guidelines for the diagnosis and comprehensive treatment of colorectal "
    "liver metastases (2025 edition), China Journal of General Surgery "
    "2025;34(8):1565-1588, section 4.1.4 (seed 004)"
)
_NORDLINGER = (
    "Nordlinger B, Guiguet M, Vaillant JC, et al. Cancer 1996;77(7):1254-1262 (margin < 1 cm)"
)


def margin_class(data: Any, *, scheme: str = "guideline") -> pd.Series:
    """Liver resection margin: R0 > 1 mm, R0 <= 1 mm or involved; or Nordlinger's 1 cm.

    Sources: ``scheme="guideline"`` -- Chinese guidelines (2025 edition), China Journal of
    General Surgery 2025;34(8):1565-1588, section 4.1.4 (seed 004): the resection must be R0
    with a margin of **more than** 1 mm, so exactly 1 mm is ``R0_1mm_or_less``.
    ``scheme="nordlinger"`` -- Nordlinger B, et al. Cancer 1996;77(7):1254-1262: margin < 1 cm
    (``under_1cm``) or >= 1 cm (exactly 10 mm is ``1cm_or_more``).

    Rules: ``margin_status`` R1/R2, or a width of 0 mm, is ``involved`` (``under_1cm``); a
    width > 0 is R0 and classed by its size; R0 without a width is missing for the guideline
    scheme (the 1 mm class is unknown) and for Nordlinger's.

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort).
    scheme
        ``"guideline"`` (default) or ``"nordlinger"``.

    Returns
    -------
    pandas.Series
        Ordered Categorical; reasons in ``.attrs``.

    Examples
    --------
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> from crlm_outcomes.stratify import margin_class
    >>> result = margin_class(synthetic_cohort(200, seed=1))
    >>> result.value_counts(sort=False).to_dict()
    {'R0_over_1mm': 76, 'R0_1mm_or_less': 0, 'involved': 15}
    >>> int(result.isna().sum())  # unclassified: see explain(result)
    109
    """
    if scheme not in ("guideline", "nordlinger"):
        raise SpecError(
            "unknown margin scheme",
            column="scheme",
            value=scheme,
            expected="'guideline' or 'nordlinger'",
        )
    frame = col.as_frame(data)
    col.require_any(frame, ("margin_status", "margin_width_mm"), "margin_class")
    n = len(frame)
    status = col.coded(frame, "margin_status")
    width = col.number(frame, "margin_width_mm")
    involved = status.isin(("R1", "R2")) | (width == 0)
    if scheme == "guideline":
        d = Decider(n, MARGIN_LEVELS)
        d.decide(involved, "involved")
        d.decide(width > 1.0, "R0_over_1mm")
        d.decide(width > 0, "R0_1mm_or_less")
        rule = "R1/R2 or 0 mm -> involved; > 1 mm -> R0_over_1mm; (0, 1] mm -> R0_1mm_or_less"
        source, levels = _GUIDELINE, MARGIN_LEVELS
    else:
        d = Decider(n, NORDLINGER_MARGIN_LEVELS)
        d.decide(involved | (width < 10.0), "under_1cm")
        d.decide(width >= 10.0, "1cm_or_more")
        rule = "R1/R2 or width < 10 mm -> under_1cm; width >= 10 mm -> 1cm_or_more"
        source, levels = _NORDLINGER, NORDLINGER_MARGIN_LEVELS
    d.decide(status == "R0", None, "margin: R0 but " + col.missing_reason("margin_width_mm", frame))
    d.decide(
        np.ones(n, dtype=bool),
        None,
        "margin: " + col.why_missing(("margin_status", "margin_width_mm"), frame),
    )
    return categorical_result(
        d.value,
        d.reason,
        index=frame.index,
        levels=levels,
        name="margin_class",
        rule=rule,
        source=source,
    )
