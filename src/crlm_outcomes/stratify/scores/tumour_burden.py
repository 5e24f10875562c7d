"""Tumour burden score (TBS) and its zones."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes.errors import SpecError
from crlm_outcomes.stratify import _columns as col
from crlm_outcomes.stratify._codes import Levels, Texts
from crlm_outcomes.stratify._explain import attach, categorical_result, reason_texts

__all__ = [
    "tumour_burden_score",
    "tbs_zone",
    "tbs_zone_of",
    "tbs_zone_with_bounds",
    "TBS_ZONE_LEVELS",
]

TBS_ZONE_LEVELS = ("<3", "3-<9", ">=9")
_SOURCE = (
    "Sasaki K, Morioka D, Conci S, et al. The tumor burden score: a new 'metro-ticket' "
    "prognostic tool for colorectal liver metastases based on tumor size and number of "
    "tumors. Ann Surg 2018;267(1):132-141"
)
#: TBS values are rounded to this many decimals before comparison with a cut-off, so that
#: floating-point noise (e.g. hypot(sqrt(8), 1) = 3.0000000000000004) does not move a patient
#: across a zone boundary.
DECIMALS = 9


def tumour_burden_score(data: Any) -> pd.Series:
    """Tumour burden score: sqrt(largest diameter in cm ^ 2 + number of liver lesions ^ 2).

    Source: Sasaki K, Morioka D, Conci S, et al. The tumor burden score: a new "metro-ticket"
    prognostic tool for colorectal liver metastases based on tumor size and number of tumors.
    Ann Surg 2018;267(1):132-141. Formula as reported by a secondary source (the PLATO
    calculator, vilja-a/plato-crlm-risk-prediction: sqrt((largest mm / 10)^2 + count^2));
    primary text not accessible here. Uses ``liver_mets_largest_cm`` and
    ``liver_mets_number``.

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort) with ``liver_mets_largest_cm`` and
        ``liver_mets_number``.

    Returns
    -------
    pandas.Series
        Nullable ``Float64``; missing where either input is missing (reason names which).
        Zones: :func:`tbs_zone`.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.stratify import tumour_burden_score
    >>> df = pd.DataFrame({"liver_mets_largest_cm": [2.0, 3.0, 10.0, None],
    ...                    "liver_mets_number": pd.array([1, 4, 2, 3], dtype="Int64")})
    >>> tumour_burden_score(df).round(3).tolist()  # sqrt(2^2 + 1^2), sqrt(3^2 + 4^2), ...
    [2.236, 5.0, 10.198, <NA>]
    """
    frame = col.as_frame(data)
    col.require_any(frame, ("liver_mets_largest_cm", "liver_mets_number"), "tumour_burden_score")
    size = col.number(frame, "liver_mets_largest_cm")
    number = col.number(frame, "liver_mets_number")
    tbs = np.hypot(size, number)
    why = Texts.none(len(frame))
    why = why.join(np.isnan(size), col.missing_reason("liver_mets_largest_cm", frame), sep=", ")
    why = why.join(np.isnan(number), col.missing_reason("liver_mets_number", frame), sep=", ")
    reason = "tumour burden score: " + why.where(np.isnan(tbs))
    series = pd.Series(pd.array(tbs, dtype="Float64"), index=frame.index)
    series[np.isnan(tbs)] = pd.NA
    return attach(
        series,
        reason,
        name="tumour_burden_score",
        rule="sqrt(liver_mets_largest_cm^2 + liver_mets_number^2)",
        source=_SOURCE,
    )


def tbs_zone_of(tbs: np.ndarray, cuts: Sequence[float] = (3.0, 9.0)) -> np.ndarray:
    """Zone index 0/1/2 (NaN where TBS is missing): < cuts[0], [cuts[0], cuts[1]), >= cuts[1].

    The shared cut of :func:`tbs_zone` and the GAME score's TBS component; values are compared
    after rounding to 9 decimals, so a TBS of exactly 3 or 9 computed in floating point lands
    in the upper zone.

    Parameters
    ----------
    tbs
        Tumour burden scores (float, NaN = missing).
    cuts
        The two zone boundaries, each inclusive on the upper side (default 3 and 9).

    Returns
    -------
    numpy.ndarray
        Float zone index per value: 0.0, 1.0 or 2.0, NaN where ``tbs`` is NaN.

    Examples
    --------
    >>> import numpy as np
    >>> from crlm_outcomes.stratify.scores.tumour_burden import tbs_zone_of
    >>> tbs_zone_of(np.array([2.9, 3.0, 8.99, 9.0, np.nan])).tolist()
    [0.0, 1.0, 1.0, 2.0, nan]
    """
    low, high = float(cuts[0]), float(cuts[1])
    rounded = np.round(tbs, DECIMALS)
    zone = np.where(rounded >= high, 2.0, np.where(rounded >= low, 1.0, 0.0))
    return np.where(np.isnan(tbs), np.nan, zone)


def tbs_lower_bound(frame: pd.DataFrame) -> np.ndarray:
    """A lower bound on the TBS where it is missing: sqrt(size^2 + number^2) with an unknown
    size read as 0 and an unknown count as ``liver_mets_number_at_least`` (else 1, since there
    is at least one lesion). A bound at or above the top cut-off decides the top zone (e.g. a
    9 cm lesion with an unknown count has TBS >= 9).

    Parameters
    ----------
    frame
        Canonical cohort DataFrame with ``liver_mets_largest_cm``, ``liver_mets_number``
        and, when recorded, ``liver_mets_number_at_least`` (a registry's "n or more lesions").

    Returns
    -------
    numpy.ndarray
        Float per patient, never NaN: the TBS itself where size and count are both known,
        else the smallest TBS compatible with what is known (at least 1.0).

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.stratify.scores.tumour_burden import tbs_lower_bound
    >>> df = pd.DataFrame({
    ...     "liver_mets_largest_cm": [3.0, 9.0, None, None, None],
    ...     "liver_mets_number": pd.array([4, None, 12, None, None], dtype="Int64"),
    ...     "liver_mets_number_at_least": pd.array([None, None, None, 5, None], dtype="Int64")})
    >>> tbs_lower_bound(df).round(3).tolist()  # known; 9 cm, >= 1 lesion; 12 lesions; ...
    [5.0, 9.055, 12.0, 5.0, 1.0]
    """
    size = col.number(frame, "liver_mets_largest_cm")
    number = col.number(frame, "liver_mets_number")
    at_least = col.number(frame, "liver_mets_number_at_least")
    count = np.where(np.isnan(number), np.where(np.isnan(at_least), 1.0, at_least), number)
    return np.hypot(np.where(np.isnan(size), 0.0, size), count)


def tbs_zone_with_bounds(frame: pd.DataFrame, cuts: Sequence[float] = (3.0, 9.0)) -> np.ndarray:
    """:func:`tbs_zone_of` of the TBS, with the top zone also where only the lower bound
    (:func:`tbs_lower_bound`) reaches it.

    Parameters
    ----------
    frame
        Canonical cohort DataFrame with ``liver_mets_largest_cm``, ``liver_mets_number``
        (and ``liver_mets_number_at_least``, when recorded).
    cuts
        The two zone boundaries (default 3 and 9).

    Returns
    -------
    numpy.ndarray
        Float zone index per patient: 0.0, 1.0 or 2.0; NaN where the TBS is missing and its
        lower bound stays below the top cut-off.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.stratify.scores.tumour_burden import tbs_zone_with_bounds
    >>> df = pd.DataFrame({"liver_mets_largest_cm": [2.0, 9.0, None],
    ...                    "liver_mets_number": pd.array([1, None, 4], dtype="Int64")})
    >>> tbs_zone_with_bounds(df).tolist()  # a 9 cm lesion: TBS >= 9 whatever the count
    [0.0, 2.0, nan]
    """
    size = col.number(frame, "liver_mets_largest_cm")
    number = col.number(frame, "liver_mets_number")
    zone = tbs_zone_of(np.hypot(size, number), cuts)
    top = np.round(tbs_lower_bound(frame), DECIMALS) >= float(cuts[1])
    return np.where(np.isnan(zone) & top, 2.0, zone)


def tbs_zone(data: Any, *, cuts: Sequence[float] = (3.0, 9.0)) -> pd.Series:
    """Tumour burden zone: < 3, 3 to < 9, >= 9.

    Source: Sasaki K, et al. Ann Surg 2018;267(1):132-141; zones as used by the GAME score
    (Margonis GA, et al. Br J Surg 2018;105(9):1210-1220, abstract: TBS 3-8 one point, 9 and
    over two points): < 3, 3 to < 9, >= 9. A TBS of exactly 3 is in the middle zone, exactly 9 in
    the top zone (values are compared after rounding to 9 decimals). Given the cohort (not a
    score Series), a TBS that is missing but bounded below at the top cut-off -- a 9 cm lesion
    with an unknown count, or an unknown size with 9 or more lesions -- is in the top zone.

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort), or a Series from :func:`tumour_burden_score`.
    cuts
        The two zone boundaries (default 3 and 9).

    Returns
    -------
    pandas.Series
        Ordered Categorical ``<3 < 3-<9 < >=9`` (labels follow ``cuts``).

    Examples
    --------
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> from crlm_outcomes.stratify import tbs_zone
    >>> result = tbs_zone(synthetic_cohort(200, seed=1))
    >>> result.value_counts(sort=False).to_dict()
    {'<3': 51, '3-<9': 123, '>=9': 15}
    >>> int(result.isna().sum())  # unclassified: see explain(result)
    11
    """
    if len(cuts) != 2 or not float(cuts[0]) < float(cuts[1]):
        raise SpecError(
            "cuts must be two increasing numbers", column="cuts", value=cuts, expected="e.g. (3, 9)"
        )
    score = data if isinstance(data, pd.Series) else tumour_burden_score(data)
    tbs = score.to_numpy(dtype=float, na_value=np.nan)
    low, high = (f"{float(c):g}" for c in cuts)
    levels = (f"<{low}", f"{low}-<{high}", f">={high}")
    zone = (
        tbs_zone_of(tbs, cuts)
        if isinstance(data, pd.Series)
        else tbs_zone_with_bounds(col.as_frame(data), cuts)
    )
    value = Levels.empty(len(tbs), levels)
    for i, level in enumerate(levels):
        value[zone == i] = level
    reason = reason_texts(score, default="TBS missing")
    return categorical_result(
        value,
        reason,
        index=score.index,
        levels=levels,
        name="tbs_zone",
        rule=f"TBS < {low}; {low} <= TBS < {high}; TBS >= {high}",
        source=_SOURCE + "; zones of Margonis, BJS 2018;105:1210",
    )
