"""Molecular classes: RAS, BRAF, MMR/MSI, HER2, and a combined molecular group.

Source: Chinese guidelines for the diagnosis and comprehensive treatment of colorectal liver
metastases (2025 edition), China Journal of General Surgery 2025;34(8):1565-1588, section 1.5
(seed 004); BRAF V600E vs non-V600E after Jones JC, et al. J Clin Oncol 2017;35(23):2624-2630.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes.errors import SpecError
from crlm_outcomes.stratify import _columns as col
from crlm_outcomes.stratify._codes import Levels, Texts
from crlm_outcomes.stratify._explain import categorical_result, reason_texts

__all__ = [
    "ras_class",
    "braf_class",
    "mmr_class",
    "her2_class",
    "molecular_group",
    "RAS_LEVELS",
    "BRAF_LEVELS",
    "MOLECULAR_GROUP_LEVELS",
]

_SECTION_15 = (
    "Chinese guidelines for the diagnosis and comprehensive treatment of colorectal liver "
    "metastases (2025 edition), section 1.5 (seed 004)"
)

RAS_LEVELS = ("wild_type", "mutant", "incomplete_testing")
BRAF_LEVELS = ("wild_type", "non_V600E", "V600E")
MOLECULAR_GROUP_LEVELS = (
    "RAS_BRAF_wild_type",
    "BRAF_non_V600E",
    "RAS_mutant",
    "BRAF_V600E",
    "dMMR_MSI_H",
)


def _exons(frame: pd.DataFrame, column: str) -> pd.Series:
    """Set of tested exons per row (None where not recorded)."""
    tested = col.text(frame, column)
    bad = tested.notna() & ~tested.str.fullmatch(r"[234](;[234])*").fillna(True)
    if bad.any():
        col._bad(
            frame,
            column,
            bad.to_numpy(),
            tested,
            "semicolon-separated exons from 2, 3, 4 (e.g. '2;3;4') or missing",
        )
    return tested


def _covers(tested: pd.Series, required: Sequence[int]) -> np.ndarray:
    """True where every required exon appears in the tested list; False where any is absent or
    the list is not recorded."""
    covered = np.ones(len(tested), dtype=bool)
    for exon in required:
        covered &= tested.str.contains(str(int(exon)), regex=False).to_numpy(
            dtype=bool, na_value=False
        )
    return covered & tested.notna().to_numpy()


def ras_class(
    data: Any,
    *,
    required_exons: Sequence[int] = (2, 3, 4),
    assume_complete_panel: bool = False,
) -> pd.Series:
    """RAS status from KRAS and NRAS: wild-type, mutant or incomplete testing.

    Source: Chinese guidelines for the diagnosis and comprehensive treatment of colorectal liver
    metastases (2025 edition), China Journal of General Surgery 2025;34(8):1565-1588, section
    1.5.2 (seed 004): test KRAS and NRAS exons 2, 3 and 4 (codons 12/13, 59/61, 117/146). Mutant
    if any is mutant; wild-type only when all tested exons are wild-type; otherwise
    unknown/incomplete.

    Rules:

    * ``mutant`` -- ``kras_status`` or ``nras_status`` is ``mutant`` (one mutation suffices,
      whatever else is known).
    * ``wild_type`` -- both genes ``wild_type`` **and** ``kras_exons_tested`` and
      ``nras_exons_tested`` both list every exon of ``required_exons``.
    * ``incomplete_testing`` -- no mutation found, at least one gene reported wild-type, but the
      full panel is not documented (a gene untested, or exons missing from / not recorded in the
      ``*_exons_tested`` columns). This is a known fact about the testing, so it is a level.
    * missing (NA) -- nothing is known: both statuses missing. The reason names the columns.
      "Unknown" is therefore not a level: a patient with no RAS information is unclassified.

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort).
    required_exons
        Exons of both genes that must be tested for ``wild_type`` (default 2, 3, 4 per the
        guideline). ``(2,)`` reproduces the historical KRAS-exon-2-only definition.
    assume_complete_panel
        If True, a wild-type status whose ``*_exons_tested`` is *not recorded* counts as tested on
        the full panel (for sources that never record exons but used a full panel). A recorded
        list that lacks a required exon is still incomplete. Default False.

    Returns
    -------
    pandas.Series
        Ordered Categorical ``wild_type < mutant < incomplete_testing`` (order = presentation,
        reference first); reasons in ``.attrs``.

    Examples
    --------
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> from crlm_outcomes.stratify import ras_class
    >>> result = ras_class(synthetic_cohort(200, seed=1))
    >>> result.value_counts(sort=False).to_dict()
    {'wild_type': 19, 'mutant': 64, 'incomplete_testing': 55}
    >>> int(result.isna().sum())  # unclassified: see explain(result)
    62
    """
    frame = col.as_frame(data)
    col.require_any(frame, ("kras_status", "nras_status"), "ras_class")
    required = tuple(sorted({int(e) for e in required_exons}))
    if not required or not set(required) <= {2, 3, 4}:
        raise SpecError(
            "required_exons must be a non-empty subset of (2, 3, 4)",
            value=required_exons,
            expected="e.g. (2, 3, 4)",
        )
    kras = col.coded(frame, "kras_status")
    nras = col.coded(frame, "nras_status")
    kras_tested = _exons(frame, "kras_exons_tested")
    nras_tested = _exons(frame, "nras_exons_tested")
    kras_full = _covers(kras_tested, required)
    nras_full = _covers(nras_tested, required)
    if assume_complete_panel:
        kras_full |= kras_tested.isna().to_numpy()
        nras_full |= nras_tested.isna().to_numpy()

    mutant = (kras == "mutant") | (nras == "mutant")
    both_wt = (kras == "wild_type") & (nras == "wild_type")
    any_wt = (kras == "wild_type") | (nras == "wild_type")
    wild = ~mutant & both_wt & kras_full & nras_full
    incomplete = ~mutant & ~wild & any_wt

    value = Levels.empty(len(frame), RAS_LEVELS)
    value[wild] = "wild_type"
    value[mutant] = "mutant"
    value[incomplete] = "incomplete_testing"
    reason = Texts.none(len(frame))
    reason[value.isna()] = "RAS: KRAS and NRAS not tested or " + col.why_missing(
        ("kras_status", "nras_status"), frame
    )
    panel = "+".join(str(e) for e in required)
    rule = (
        f"mutant if KRAS or NRAS mutant; wild_type if both wild-type with exons {panel} of both "
        "genes documented in *_exons_tested"
        + (" (unrecorded exon lists assumed complete)" if assume_complete_panel else "")
        + "; otherwise incomplete_testing; nothing known -> missing"
    )
    return categorical_result(
        value,
        reason,
        index=frame.index,
        levels=RAS_LEVELS,
        name="ras_class",
        rule=rule,
        source=_SECTION_15.replace("section 1.5", "section 1.5.2"),
    )


def braf_class(data: Any) -> pd.Series:
    """BRAF status: wild-type, non-V600E, V600E -- never pooled.

    Source: Chinese guidelines for the diagnosis and comprehensive treatment of colorectal liver
    metastases (2025 edition), China Journal of General Surgery 2025;34(8):1565-1588, section
    1.5.3 (seed 004); Jones JC, Renfro LA, Al-Shamsi HO, et al. Non-V600 BRAF mutations define
    a clinically distinct molecular subtype of metastatic colorectal cancer. J Clin Oncol
    2017;35(23):2624-2630: non-V600E has a far better prognosis than V600E (median OS 60.7 vs
    11.4 months), so the two are never pooled as "BRAF mutant".

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort) with ``braf_status``.

    Returns
    -------
    pandas.Series
        Ordered Categorical ``wild_type < non_V600E < V600E``; missing ``braf_status`` is NA with
        that reason.

    Examples
    --------
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> from crlm_outcomes.stratify import braf_class
    >>> result = braf_class(synthetic_cohort(200, seed=1))
    >>> result.value_counts(sort=False).to_dict()
    {'wild_type': 98, 'non_V600E': 2, 'V600E': 3}
    >>> int(result.isna().sum())  # unclassified: see explain(result)
    97
    """
    frame = col.as_frame(data)
    col.require_any(frame, ("braf_status",), "braf_class")
    value = col.coded(frame, "braf_status").recode(BRAF_LEVELS)
    reason = "BRAF: not tested or " + col.why_missing("braf_status", frame)
    return categorical_result(
        value,
        reason,
        index=frame.index,
        levels=BRAF_LEVELS,
        name="braf_class",
        rule="braf_status as recorded; V600E and non-V600E kept apart",
        source=_SECTION_15.replace("section 1.5", "section 1.5.3") + "; Jones, JCO 2017",
    )


def mmr_class(data: Any) -> pd.Series:
    """Mismatch repair / microsatellite status: pMMR/MSS (incl. MSI-L) or dMMR/MSI-H.

    Source: Chinese guidelines for the diagnosis and comprehensive treatment of colorectal liver
    metastases (2025 edition), China Journal of General Surgery 2025;34(8):1565-1588, section
    1.5.1 (seed 004); MSI-L is counted with pMMR/MSS, as the guideline does (pMMR/MSS/MSI-L,
    sections 3.2.2 and 5.1.1).

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort) with ``mmr_status``.

    Returns
    -------
    pandas.Series
        Ordered Categorical ``pMMR_MSS < dMMR_MSI_H``; missing ``mmr_status`` is NA.

    Examples
    --------
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> from crlm_outcomes.stratify import mmr_class
    >>> result = mmr_class(synthetic_cohort(200, seed=1))
    >>> result.value_counts(sort=False).to_dict()
    {'pMMR_MSS': 103, 'dMMR_MSI_H': 1}
    >>> int(result.isna().sum())  # unclassified: see explain(result)
    96
    """
    return _as_recorded(
        data,
        "mmr_status",
        name="mmr_class",
        levels=("pMMR_MSS", "dMMR_MSI_H"),
        rule="mmr_status as recorded; MSI-L counted as pMMR_MSS",
        section="section 1.5.1",
    )


def her2_class(data: Any) -> pd.Series:
    """HER2 amplification / over-expression: negative or positive.

    Source: Chinese guidelines for the diagnosis and comprehensive treatment of colorectal liver
    metastases (2025 edition), China Journal of General Surgery 2025;34(8):1565-1588, section
    1.5.4 (seed 004).

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort) with ``her2_status``.

    Returns
    -------
    pandas.Series
        Ordered Categorical ``negative < positive``; missing ``her2_status`` is NA.

    Examples
    --------
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> from crlm_outcomes.stratify import her2_class
    >>> result = her2_class(synthetic_cohort(200, seed=1))
    >>> result.value_counts(sort=False).to_dict()
    {'negative': 20, 'positive': 1}
    >>> int(result.isna().sum())  # unclassified: see explain(result)
    179
    """
    return _as_recorded(
        data,
        "her2_status",
        name="her2_class",
        levels=("negative", "positive"),
        rule="her2_status as recorded (amplification or over-expression = positive)",
        section="section 1.5.4",
    )


def _as_recorded(
    data: Any, column: str, *, name: str, levels: tuple[str, ...], rule: str, section: str
) -> pd.Series:
    """A molecular class taken as recorded; missing means not tested or unknown."""
    frame = col.as_frame(data)
    col.require_any(frame, (column,), name)
    value = col.coded(frame, column).recode(levels)
    reason = f"{col.item(column)}: not tested or " + col.why_missing(column, frame)
    return categorical_result(
        value,
        reason,
        index=frame.index,
        levels=levels,
        name=name,
        rule=rule,
        source=_SECTION_15.replace("section 1.5", section),
    )


def molecular_group(
    data: Any,
    *,
    use_mmr: bool = True,
    required_exons: Sequence[int] = (2, 3, 4),
    assume_complete_panel: bool = False,
) -> pd.Series:
    """Combined molecular group from MMR/MSI, BRAF and RAS, by a fixed precedence.

    Sources: Chinese guidelines for the diagnosis and comprehensive treatment of colorectal
    liver metastases (2025 edition), China Journal of General Surgery 2025;34(8):1565-1588,
    section 1.5 (seed 004) for the classes; sections 3.2.2 and 5.1.1 (dMMR/MSI-H patients get
    immune checkpoint inhibitors first, whatever RAS/BRAF) and 6.2.1 (BRAF V600E treated as its
    own group) for the precedence; Jones JC, et al. J Clin Oncol 2017;35(23):2624-2630 for
    keeping non-V600E apart from V600E. The combination itself is this package's convention,
    built from those classes (no single published definition).

    Precedence (first that applies):

    1. ``dMMR_MSI_H`` -- ``mmr_status`` dMMR/MSI-H (only with ``use_mmr=True``).
    2. ``BRAF_V600E``
    3. ``RAS_mutant`` -- :func:`ras_class` mutant.
    4. ``BRAF_non_V600E`` -- BRAF non-V600E without a RAS mutation.
    5. ``RAS_BRAF_wild_type`` -- RAS wild-type on the full panel and BRAF wild-type.

    A level is given only when the data show it *and* exclude every level above it; otherwise
    the value is missing and the reason names the column that stops the classification (for
    example a RAS-mutant patient with ``mmr_status`` missing is unclassified when
    ``use_mmr=True``, because dMMR would take precedence).

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort).
    use_mmr
        Include the dMMR/MSI-H level (default). With False, MMR is ignored and the levels are the
        four RAS/BRAF groups.
    required_exons, assume_complete_panel
        Passed to :func:`ras_class`.

    Returns
    -------
    pandas.Series
        Ordered Categorical ``RAS_BRAF_wild_type < BRAF_non_V600E < RAS_mutant < BRAF_V600E <
        dMMR_MSI_H`` (roughly by worsening prognosis for pMMR; dMMR last as it is treated
        apart); reasons in ``.attrs``.

    Examples
    --------
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> from crlm_outcomes.stratify import molecular_group
    >>> result = molecular_group(synthetic_cohort(200, seed=1))
    >>> result.value_counts(sort=False).to_dict()
    {'RAS_BRAF_wild_type': 9, 'BRAF_non_V600E': 0, 'RAS_mutant': 19, 'BRAF_V600E': 1,
     'dMMR_MSI_H': 1}
    >>> int(result.isna().sum())  # unclassified: see explain(result)
    170
    """
    frame = col.as_frame(data)
    columns = ["kras_status", "nras_status", "braf_status"] + (["mmr_status"] if use_mmr else [])
    col.require_any(frame, columns, "molecular_group")
    n = len(frame)
    mmr = col.coded(frame, "mmr_status")
    braf = col.coded(frame, "braf_status")
    has_ras_input = "kras_status" in frame.columns or "nras_status" in frame.columns
    if has_ras_input:
        exons = tuple(required_exons)
        options = (
            {}
            if exons == (2, 3, 4) and not assume_complete_panel
            else {"required_exons": exons, "assume_complete_panel": assume_complete_panel}
        )
        ras_series = col.memo_call(ras_class, frame, **options)
        ras_reason = reason_texts(ras_series)
        ras = Levels.from_series(ras_series, RAS_LEVELS)
    else:
        ras = Levels.empty(n, RAS_LEVELS)
        ras_reason = Texts.full(n, "RAS: KRAS and NRAS not recorded by this source")

    levels = MOLECULAR_GROUP_LEVELS if use_mmr else MOLECULAR_GROUP_LEVELS[:-1]
    value = Levels.empty(n, levels)
    reason = Texts.none(n)
    open_ = np.ones(n, dtype=bool)  # not yet decided

    def decide(mask: np.ndarray, level: str | None, why: str | Texts | None = None) -> None:
        nonlocal open_
        mask = mask & open_
        if level is not None:
            value[mask] = level
        else:
            reason[mask] = why
        open_ = open_ & ~mask

    if use_mmr:
        decide(mmr == "dMMR_MSI_H", "dMMR_MSI_H")
        decide(
            mmr.isna(),
            None,
            "molecular group: MMR/MSI "
            + col.why_missing("mmr_status", frame)
            + ", so dMMR/MSI-H (which takes precedence) cannot be excluded",
        )
    decide(braf == "V600E", "BRAF_V600E")
    decide(
        braf.isna(),
        None,
        "molecular group: BRAF "
        + col.why_missing("braf_status", frame)
        + ", so BRAF V600E (which takes precedence) cannot be excluded",
    )
    decide(ras == "mutant", "RAS_mutant")
    decide(ras.isna(), None, "molecular group: " + ras_reason)
    decide(braf == "non_V600E", "BRAF_non_V600E")
    decide(
        ras == "incomplete_testing",
        None,
        "molecular group: RAS wild-type not shown on the full KRAS/NRAS panel",
    )
    decide((ras == "wild_type") & (braf == "wild_type"), "RAS_BRAF_wild_type")

    rule = (
        "precedence "
        + (" > ".join(reversed(levels)))
        + "; a level needs every higher level excluded by known data"
    )
    return categorical_result(
        value,
        reason,
        index=frame.index,
        levels=levels,
        name="molecular_group",
        rule=rule,
        source=_SECTION_15 + " with sections 3.2.2, 5.1.1, 6.2.1; Jones, JCO 2017",
    )
