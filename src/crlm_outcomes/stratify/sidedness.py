"""Primary tumour sidedness from the ICD-O-3 topography code."""

from __future__ import annotations

from typing import Any

import pandas as pd

from crlm_outcomes.errors import SpecError
from crlm_outcomes.stratify import _columns as col
from crlm_outcomes.stratify._explain import categorical_result

__all__ = ["primary_sidedness", "SIDEDNESS_LEVELS", "SIDEDNESS_RECTUM_LEVELS"]

SIDEDNESS_LEVELS = ("right", "left", "not_assignable")
SIDEDNESS_RECTUM_LEVELS = ("right", "left_colon", "rectum", "not_assignable")

RIGHT_SIDED_CODES = ("C18.0", "C18.2", "C18.3", "C18.4")
_LEFT_COLON = ("C18.5", "C18.6", "C18.7")
_NOT_ASSIGNABLE = ("C18.1", "C18.8", "C18.9")
_VALID = RIGHT_SIDED_CODES + _LEFT_COLON + _NOT_ASSIGNABLE + ("C19.9", "C20.9")


def primary_sidedness(
    data: Any,
    *,
    rectum_separate: bool = False,
    rectosigmoid: str = "left_colon",
) -> pd.Series:
    """Right or left primary (or right / left colon / rectum) from ICD-O-3 topography.

    Source: Chinese guidelines for the diagnosis and comprehensive treatment of colorectal liver
    metastases (2025 edition), China Journal of General Surgery 2025;34(8):1565-1588, section
    6.2.1 (seed 004): left = splenic flexure to rectum, right = caecum to splenic flexure. Codes
    (clinical-definitions):

    * right: C18.0 caecum, C18.2 ascending, C18.3 hepatic flexure, C18.4 transverse
    * left: C18.5 splenic flexure, C18.6 descending, C18.7 sigmoid, C19.9 rectosigmoid,
      C20.9 rectum
    * not assignable: C18.1 appendix, C18.8 overlapping lesion, C18.9 colon NOS -- a known
      anatomical fact, so a level; a missing code is NA.

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort); uses ``primary_site_icdo3`` ('C18.0' form).
    rectum_separate
        Levels ``right / left_colon / rectum / not_assignable`` instead of
        ``right / left / not_assignable``; C20.9 is ``rectum``.
    rectosigmoid
        Where C19.9 (rectosigmoid junction) goes when ``rectum_separate``: ``"left_colon"``
        (default; the junction lies above the peritoneal reflection and is usually treated as
        colon) or ``"rectum"`` (the SEER "rectum and rectosigmoid" grouping).

    Returns
    -------
    pandas.Series
        Ordered Categorical; an invalid code raises an InputError naming row and value.

    Examples
    --------
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> from crlm_outcomes.stratify import primary_sidedness
    >>> result = primary_sidedness(synthetic_cohort(200, seed=1))
    >>> result.value_counts(sort=False).to_dict()
    {'right': 53, 'left': 143, 'not_assignable': 4}
    """
    if rectosigmoid not in ("left_colon", "rectum"):
        raise SpecError(
            "rectosigmoid must be 'left_colon' or 'rectum'",
            column="rectosigmoid",
            value=rectosigmoid,
            expected="'left_colon' or 'rectum'",
        )
    frame = col.as_frame(data)
    col.require_any(frame, ("primary_site_icdo3",), "primary_sidedness")
    code = col.coded(frame, "primary_site_icdo3", levels=_VALID)
    left = "left_colon" if rectum_separate else "left"
    mapping = dict.fromkeys(RIGHT_SIDED_CODES, "right")
    mapping.update(dict.fromkeys(_LEFT_COLON, left))
    mapping.update(dict.fromkeys(_NOT_ASSIGNABLE, "not_assignable"))
    mapping["C20.9"] = "rectum" if rectum_separate else "left"
    mapping["C19.9"] = rectosigmoid if rectum_separate else "left"
    levels = SIDEDNESS_RECTUM_LEVELS if rectum_separate else SIDEDNESS_LEVELS
    value = code.map(mapping, levels)
    reason = col.missing_reason("primary_site_icdo3", frame)
    rule = (
        "right C18.0/.2/.3/.4; left C18.5/.6/.7, C19.9, C20.9; not assignable C18.1/.8/.9"
        if not rectum_separate
        else f"right C18.0/.2/.3/.4; left_colon C18.5/.6/.7; rectum C20.9; C19.9 -> {rectosigmoid}"
        "; not assignable C18.1/.8/.9"
    )
    return categorical_result(
        value,
        reason,
        index=frame.index,
        levels=levels,
        name="primary_sidedness",
        rule=rule,
        source=(
            "Chinese guidelines for the diagnosis and comprehensive treatment of colorectal "
            "liver metastases (2025 edition), section 6.2.1 (seed 004)"
        ),
    )
