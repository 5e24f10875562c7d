"""Baseline MDT treatment groups (section 3) and resectability criteria (section 4.1.1).

Source: Chinese guidelines for the diagnosis and comprehensive treatment of colorectal liver
metastases (2025 edition), China Journal of General Surgery 2025;34(8):1565-1588, sections
3.1, 3.2.1-3.2.3 and 4.1.1 (seed 004). These groups are judged at the first MDT assessment,
from baseline facts only -- unlike :func:`~crlm_outcomes.stratify.treatment_intent`, which
uses whether NED was reached later (an outcome).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes.errors import MissingColumnsError
from crlm_outcomes.stratify import _columns as col
from crlm_outcomes.stratify._codes import Levels, Texts
from crlm_outcomes.stratify._decide import Decider
from crlm_outcomes.stratify._explain import categorical_result
from crlm_outcomes.stratify.extrahepatic import extrahepatic_levels
from crlm_outcomes.stratify.surgical_strategy import STRATEGY_LEVELS, surgical_strategy_group

__all__ = ["mdt_group", "resectability", "MDT_LEVELS", "RESECTABILITY_LEVELS"]

_GUIDELINE = (
    "Chinese guidelines for the diagnosis and comprehensive treatment of colorectal "
    "liver metastases (2025 edition), China Journal of General Surgery "
    "2025;34(8):1565-1588"
)
MDT_LEVELS = (
    "unfit_for_intensive_treatment",
    "resectable",
    "potentially_convertible",
    "not_convertible",
)
RESECTABILITY_LEVELS = (
    "indicated",
    "contraindicated_primary",
    "contraindicated_extrahepatic",
    "contraindicated_remnant",
    "contraindicated_unfit",
)
_RESECTED_PRIMARY = ("colectomy", "rectal_resection", "simultaneous_with_liver", "other")


def _fitness(frame: pd.DataFrame, unfit_ecog: int) -> tuple[np.ndarray, np.ndarray]:
    """(unfit, fit) from ECOG performance status: unfit at ``unfit_ecog`` or worse."""
    ecog = col.number(frame, "performance_status_ecog")
    return ecog >= unfit_ecog, ecog < unfit_ecog


def mdt_group(data: Any, *, unfit_ecog: int = 2) -> pd.Series:
    """Baseline MDT treatment group of the 2025 Chinese guideline, section 3.

    Source: Chinese guidelines (2025 edition), China Journal of General Surgery
    2025;34(8):1565-1588, sections 3.1 and 3.2.1-3.2.3 (seed 004).

    Rules, first that applies:

    1. ``unfit_for_intensive_treatment`` (section 3.1, general condition too poor for
       intensive treatment): ECOG performance status ``>= unfit_ecog`` (default 2: the usual
       reading of "not fit for intensive treatment"; the guideline gives no number).
    2. Fitness unknown (``performance_status_ecog`` missing): missing -- section 3.1 comes
       first.
    3. ``resectable`` (section 3.2.1): ``initially_resectable`` True at the first MDT.
    4. ``not_convertible`` (section 3.2.3): initially unresectable with extrahepatic disease
       that section 4.1.1 counts as a contraindication (any site other than the lungs, see
       :func:`~crlm_outcomes.stratify.extrahepatic_class`).
    5. ``potentially_convertible`` (section 3.2.2): initially unresectable, disease confined
       to the liver (or liver and lungs).

    Whether a patient is "never" converted is known only afterwards; the baseline
    ``not_convertible`` group uses the contraindication of section 4.1.1 instead, so the
    group never depends on the outcome.

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort).
    unfit_ecog
        Lowest ECOG score counted as unfit for intensive treatment (default 2).

    Returns
    -------
    pandas.Series
        Ordered Categorical with :data:`MDT_LEVELS`; reasons in ``.attrs``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.stratify import explain, mdt_group
    >>> df = pd.DataFrame({
    ...     "performance_status_ecog": pd.array([0, 2, 1, 1, None], dtype="Int64"),
    ...     "initially_resectable": [True, True, False, False, True],
    ...     "extrahepatic_disease": [False, False, True, False, False],
    ...     "extrahepatic_sites": [None, None, "bone", None, None]})
    >>> result = mdt_group(df)
    >>> result.tolist()
    ['resectable', 'unfit_for_intensive_treatment', 'not_convertible',
     'potentially_convertible', nan]
    >>> print(explain(result)["reason"].iloc[4])
    MDT group: performance status unknown for this patient (fitness for intensive treatment
    comes first, section 3.1)
    """
    frame = col.as_frame(data)
    col.require_any(frame, ("performance_status_ecog", "initially_resectable"), "mdt_group")
    n = len(frame)
    unfit, fit = _fitness(frame, unfit_ecog)
    resectable = col.boolean(frame, "initially_resectable")
    is_resectable = resectable.to_numpy(dtype=bool, na_value=False)
    unresectable = (resectable == False).to_numpy(dtype=bool, na_value=False)  # noqa: E712
    ehd, ehd_why = extrahepatic_levels(frame)
    d = Decider(n, MDT_LEVELS)
    d.decide(unfit, "unfit_for_intensive_treatment")
    d.decide(
        ~fit,
        None,
        "MDT group: performance status "
        + col.why_missing("performance_status_ecog", frame)
        + " (fitness for intensive treatment comes first, section 3.1)",
    )
    d.decide(is_resectable, "resectable")
    d.decide(~unresectable, None, col.missing_reason("initially_resectable", frame))
    d.decide(ehd.isin(("peritoneal_only", "hepatic_hilar_nodes_only", "other")), "not_convertible")
    d.decide(ehd.isin(("none", "lung_only")), "potentially_convertible")
    d.decide(np.ones(n, dtype=bool), None, "MDT group: initially unresectable; " + ehd_why)
    rule = (
        f"ECOG >= {unfit_ecog} -> unfit (3.1); initially_resectable True -> resectable "
        "(3.2.1); initially unresectable with extrahepatic disease beyond the lungs -> "
        "not_convertible (3.2.3, contraindication of 4.1.1); liver (and lung) only -> "
        "potentially_convertible (3.2.2)"
    )
    return categorical_result(
        d.value,
        d.reason,
        index=frame.index,
        levels=MDT_LEVELS,
        name="mdt_group",
        rule=rule,
        source=_GUIDELINE + ", sections 3.1 and 3.2.1-3.2.3 (seed 004)",
    )


def resectability(
    data: Any,
    *,
    min_remnant_pct: float = 30.0,
    simultaneous_min_remnant_pct: float = 40.0,
    unfit_ecog: int = 3,
) -> pd.Series:
    """Surgical indication of section 4.1.1, or the contraindication that applies.

    Source: Chinese guidelines (2025 edition), China Journal of General Surgery
    2025;34(8):1565-1588, section 4.1.1 (seed 004). Indication: (1) the primary can be or has
    been radically resected; (2) the metastases can be resected R0 with an adequate
    functional remnant (>= 30-40%); (3) the patient is fit, with no unresectable extrahepatic
    disease (lung nodules alone do not change the decision). Contraindications: (1) primary
    not radically resectable; (2) extrahepatic disease unsuitable for local treatment; (3)
    insufficient remnant; (4) patient unfit for surgery.

    Rules (contraindications in the guideline's order, first that applies):

    * ``contraindicated_primary`` -- ``primary_resection_type`` 'none' (primary not resected);
    * ``contraindicated_extrahepatic`` -- extrahepatic disease beyond the lungs
      (:func:`~crlm_outcomes.stratify.extrahepatic_class` peritoneal, hilar nodes or other;
      the guideline accepts *resectable* hilar or peritoneal disease, which the data cannot
      show, so these count as contraindications);
    * ``contraindicated_remnant`` -- ``future_liver_remnant_pct`` below the remnant the
      operation needs. Section 4.1.1 asks for >= 30-40%, and section 4.1.4(1) says which:
      >= 40% when the liver is resected together with the primary (``simultaneous``), >= 30%
      for a liver resection apart from it (any other recorded or derived
      :func:`~crlm_outcomes.stratify.surgical_strategy_group`). Below 30% is always
      contraindicated; 30% to < 40% is contraindicated for a simultaneous resection, adequate
      otherwise, and **missing** (with that reason) when the strategy is unknown;
    * ``contraindicated_unfit`` -- ECOG ``>= unfit_ecog`` (default 3: cannot tolerate
      surgery; the guideline gives no number);
    * ``indicated`` -- primary resected, extrahepatic disease none or lung-only, remnant
      adequate as above and ECOG below ``unfit_ecog``, all known.

    R0 feasibility itself is an MDT judgment not recorded before surgery; it is not checked.

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort).
    min_remnant_pct, simultaneous_min_remnant_pct
        Remnant needed for a liver resection apart from the primary (default 30) and for a
        simultaneous resection (default 40), in percent; exactly the limit is adequate.
    unfit_ecog
        ECOG at or above which the patient is unfit for surgery (default 3).

    Returns
    -------
    pandas.Series
        Ordered Categorical with :data:`RESECTABILITY_LEVELS`; reasons in ``.attrs``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.stratify import explain, resectability
    >>> df = pd.DataFrame({
    ...     "primary_resection_type": ["none"] + ["colectomy"] * 4,
    ...     "extrahepatic_disease": [False] * 5,
    ...     "future_liver_remnant_pct": [50.0, 25.0, 45.0, 35.0, 35.0],
    ...     "surgical_strategy": ["simultaneous", "staged_primary_first",
    ...                           "staged_primary_first", "simultaneous", None],
    ...     "performance_status_ecog": pd.array([0, 0, 1, 0, 0], dtype="Int64")})
    >>> result = resectability(df)
    >>> result.tolist()
    ['contraindicated_primary', 'contraindicated_remnant', 'indicated',
     'contraindicated_remnant', nan]
    >>> print(explain(result)["reason"].iloc[4])  # 35% and the strategy unknown
    resectability: future liver remnant 30% to < 40% is enough for a liver resection apart
    from the primary, not for a simultaneous one (section 4.1.4), and the surgical strategy
    is unknown
    """
    frame = col.as_frame(data)
    col.require_any(
        frame,
        (
            "primary_resection_type",
            "extrahepatic_disease",
            "future_liver_remnant_pct",
            "performance_status_ecog",
        ),
        "resectability",
    )
    n = len(frame)
    primary = col.coded(frame, "primary_resection_type")
    ehd, ehd_why = extrahepatic_levels(frame)
    remnant = col.number(frame, "future_liver_remnant_pct")
    unfit, fit = _fitness(frame, unfit_ecog)
    d = Decider(n, RESECTABILITY_LEVELS)
    d.decide(primary == "none", "contraindicated_primary")
    d.decide(
        ehd.isin(("peritoneal_only", "hepatic_hilar_nodes_only", "other")),
        "contraindicated_extrahepatic",
    )
    simultaneous, strategy_known = _simultaneous(frame)
    needed = np.where(simultaneous, simultaneous_min_remnant_pct, min_remnant_pct)
    d.decide(remnant < needed, "contraindicated_remnant")
    d.decide(unfit, "contraindicated_unfit")
    in_gap = (
        (remnant >= min_remnant_pct) & (remnant < simultaneous_min_remnant_pct) & ~strategy_known
    )
    known = (
        primary.isin(_RESECTED_PRIMARY)
        & ehd.isin(("none", "lung_only"))
        & ~np.isnan(remnant)
        & fit
        & ~in_gap
    )
    d.decide(known, "indicated")
    d.decide(
        in_gap,
        None,
        (
            f"resectability: future liver remnant {min_remnant_pct:g}% to < "
            f"{simultaneous_min_remnant_pct:g}% is enough for a liver resection "
            "apart from the primary, not for a simultaneous one (section "
            "4.1.4), and the surgical strategy is unknown"
        ),
    )
    why = _join_texts(
        frame,
        [
            (
                ~primary.isin(_RESECTED_PRIMARY),
                "primary resection " + col.why_missing("primary_resection_type", frame),
            ),
            (ehd.isna(), ehd_why),
            (np.isnan(remnant), col.missing_reason("future_liver_remnant_pct", frame)),
            (~fit, "performance status " + col.why_missing("performance_status_ecog", frame)),
        ],
    )
    d.decide(np.ones(n, dtype=bool), None, "resectability: " + why)
    rule = (
        f"contraindicated: primary not resected; extrahepatic disease beyond the lungs; "
        f"remnant < {simultaneous_min_remnant_pct:g}% (simultaneous resection) or < "
        f"{min_remnant_pct:g}% (liver resection apart from the primary); ECOG >= "
        f"{unfit_ecog}; otherwise indicated when all are known"
    )
    return categorical_result(
        d.value,
        d.reason,
        index=frame.index,
        levels=RESECTABILITY_LEVELS,
        name="resectability",
        rule=rule,
        source=_GUIDELINE + ", section 4.1.1 (seed 004)",
    )


def _simultaneous(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(simultaneous, known): whether the liver is resected together with the primary, from
    the recorded or derived surgical strategy (section 4.1.2); unknown without either."""
    try:
        strategy = col.memo_call(surgical_strategy_group, frame)
    except MissingColumnsError:
        none = np.zeros(len(frame), dtype=bool)
        return none, none
    values = Levels.from_series(strategy, STRATEGY_LEVELS)
    return values == "simultaneous", ~values.isna()


def _join_texts(frame: pd.DataFrame, parts: list) -> Texts:
    """The texts of ``parts`` (mask, text) joined with ", " where each mask holds."""
    out = Texts.none(len(frame))
    for mask, text in parts:
        out = out.join(mask, text, sep=", ")
    return out
