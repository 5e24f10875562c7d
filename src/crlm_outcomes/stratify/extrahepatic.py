"""Extrahepatic disease classes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes.stratify import _columns as col
from crlm_outcomes.stratify._codes import Levels, Texts
from crlm_outcomes.stratify._explain import categorical_result

__all__ = ["extrahepatic_class", "extrahepatic_levels", "EXTRAHEPATIC_LEVELS"]

EXTRAHEPATIC_LEVELS = ("none", "lung_only", "peritoneal_only", "hepatic_hilar_nodes_only", "other")
_SOURCE = (
    "Chinese guidelines for the diagnosis and comprehensive treatment of colorectal liver "
    "metastases (2025 edition), China Journal of General Surgery 2025;34(8):1565-1588, "
    "section 4.1.1 (lung-only disease does not change the resection decision; "
    "resectable hilar-node and peritoneal disease) (seed 004)"
)
#: Site groups: the canonical ``extrahepatic_sites`` words and the registry site flags.
_SITE_FLAGS = {
    "lung": "extrahepatic_lung",
    "distant_nodes": "extrahepatic_distant_nodes",
    "bone": "extrahepatic_bone",
    "brain": "extrahepatic_brain",
    "other": "extrahepatic_other",
}
_COLUMNS = (
    "extrahepatic_disease",
    "extrahepatic_sites",
    "hepatic_lymph_nodes",
    *_SITE_FLAGS.values(),
)


def _site_masks(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per site group, where the site is recorded as involved (text list or flag)."""
    n = len(frame)
    sites = col.text(frame, "extrahepatic_sites")
    codes, uniques = pd.factorize(sites)  # parse each distinct list once
    parsed = [{part.strip() for part in str(u).split(";") if part.strip()} for u in uniques]
    masks = {}
    for site in ("lung", "peritoneum", "distant_nodes", "bone", "brain", "other"):
        table = np.array([site in p for p in parsed] + [False], dtype=bool)
        masks[site] = table[codes] if n else np.zeros(0, dtype=bool)
    for site, flag in _SITE_FLAGS.items():
        masks[site] = masks[site] | col.boolean(frame, flag).to_numpy(dtype=bool, na_value=False)
    masks["hilar"] = col.boolean(frame, "hepatic_lymph_nodes").to_numpy(dtype=bool, na_value=False)
    return masks


def extrahepatic_levels(frame: pd.DataFrame) -> tuple[Levels, Texts]:
    """The classes of :func:`extrahepatic_class` as codes, with the reasons.

    The shared core of :func:`extrahepatic_class`, also read by
    :func:`~crlm_outcomes.stratify.transplant_selection` and the guideline groups (computed
    once per frame).

    Parameters
    ----------
    frame
        Canonical cohort DataFrame (any of the extrahepatic columns may be absent).

    Returns
    -------
    tuple of (Levels, Texts)
        Per patient, the class code into :data:`EXTRAHEPATIC_LEVELS` (missing where
        unclassifiable) and the reason where it is missing.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.stratify.extrahepatic import extrahepatic_levels
    >>> df = pd.DataFrame({"extrahepatic_disease": [False, True, True],
    ...                    "extrahepatic_sites": [None, "lung", None]})
    >>> value, why = extrahepatic_levels(df)
    >>> value.to_array().tolist()
    ['none', 'lung_only', None]
    >>> why.to_array().tolist()[2]
    'extrahepatic disease present but its sites unknown for this patient'
    """
    return col.memo(("extrahepatic_levels", id(frame)), lambda: _levels(frame))


def _levels(frame: pd.DataFrame) -> tuple[Levels, Texts]:
    n = len(frame)
    if not any(c in frame.columns for c in _COLUMNS):
        return (
            Levels.empty(n, EXTRAHEPATIC_LEVELS),
            Texts.full(n, "extrahepatic disease not recorded by this source"),
        )
    masks = _site_masks(frame)
    ehd = col.boolean(frame, "extrahepatic_disease")
    ehd_false = (ehd == False).to_numpy(dtype=bool, na_value=False)  # noqa: E712
    ehd_true = ehd.to_numpy(dtype=bool, na_value=False)
    groups = {
        "lung": masks["lung"],
        "peritoneal": masks["peritoneum"],
        "hilar": masks["hilar"],
        "other": masks["distant_nodes"] | masks["bone"] | masks["brain"] | masks["other"],
    }
    count = sum(m.astype(np.int8) for m in groups.values())
    value = Levels.empty(n, EXTRAHEPATIC_LEVELS)
    reason = Texts.none(n)
    value[(count > 1) | groups["other"]] = "other"
    one = count == 1
    value[one & groups["lung"]] = "lung_only"
    value[one & groups["peritoneal"]] = "peritoneal_only"
    value[one & groups["hilar"]] = "hepatic_hilar_nodes_only"
    value[(count == 0) & ehd_false] = "none"
    reason[value.isna() & ehd_true] = (
        "extrahepatic disease present but its sites " + col.why_missing("extrahepatic_sites", frame)
    )
    reason[value.isna() & ~ehd_true] = col.missing_reason("extrahepatic_disease", frame)
    return value, reason


def extrahepatic_class(data: Any) -> pd.Series:
    """Extrahepatic disease: none, lung only, peritoneal only, hepatic hilar nodes only, other.

    Source: Chinese guidelines (2025 edition), China Journal of General Surgery
    2025;34(8):1565-1588, section 4.1.1 (seed 004): lung nodules alone do not change the
    resection decision; resectable hepatic hilar nodes and resectable peritoneal disease may
    be resected; other extrahepatic disease unsuitable for local treatment is a
    contraindication.

    Rules: sites are read from ``extrahepatic_sites`` (lung; peritoneum; distant_nodes; bone;
    brain; other), the registry site flags (``extrahepatic_lung`` ...) and
    ``hepatic_lymph_nodes`` (hilar nodes). One site group only -> that class; distant nodes,
    bone, brain, other, or more than one group -> ``other``; ``extrahepatic_disease`` False
    with no site recorded -> ``none`` (hilar nodes count only when ``hepatic_lymph_nodes`` is
    True); disease present without its sites -> missing.

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort) with at least one of
        ``extrahepatic_disease``, ``extrahepatic_sites``, ``hepatic_lymph_nodes`` or the site
        flags ``extrahepatic_lung``, ``extrahepatic_distant_nodes``, ``extrahepatic_bone``,
        ``extrahepatic_brain``, ``extrahepatic_other``.

    Returns
    -------
    pandas.Series
        Ordered Categorical with :data:`EXTRAHEPATIC_LEVELS`; reasons in ``.attrs``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.stratify import explain, extrahepatic_class
    >>> df = pd.DataFrame({
    ...     "extrahepatic_disease": [False, True, True, True, True],
    ...     "extrahepatic_sites": [None, "lung", "lung; peritoneum", "bone", None]})
    >>> result = extrahepatic_class(df)
    >>> result.tolist()
    ['none', 'lung_only', 'other', 'other', nan]
    >>> print(explain(result)["reason"].iloc[4])
    extrahepatic disease present but its sites unknown for this patient
    """
    frame = col.as_frame(data)
    col.require_any(frame, _COLUMNS, "extrahepatic_class")
    value, reason = extrahepatic_levels(frame)
    return categorical_result(
        value,
        reason,
        index=frame.index,
        levels=EXTRAHEPATIC_LEVELS,
        name="extrahepatic_class",
        rule=(
            "one site group only -> lung_only / peritoneal_only / "
            "hepatic_hilar_nodes_only; any other site or several "
            "groups -> other; extrahepatic_disease False and no site "
            "-> none"
        ),
        source=_SOURCE,
    )
