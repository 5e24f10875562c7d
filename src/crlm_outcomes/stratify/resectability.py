"""Treatment intent / resectability course: initially resectable, converted, never NED."""

from __future__ import annotations

from typing import Any

import pandas as pd

from crlm_outcomes.stratify import _columns as col
from crlm_outcomes.stratify._codes import Levels, Texts
from crlm_outcomes.stratify._explain import categorical_result

__all__ = ["treatment_intent", "INTENT_LEVELS"]

INTENT_LEVELS = ("initially_resectable", "initially_unresectable_converted", "never_ned")


def treatment_intent(data: Any) -> pd.Series:
    """Initially resectable, initially unresectable but converted, or never NED.

    Source: Chinese guidelines for the diagnosis and comprehensive treatment of colorectal liver
    metastases (2025 edition), China Journal of General Surgery 2025;34(8):1565-1588, sections
    3.2.1 (resectable liver metastases: treatment aims at cure), 3.2.2 (initially unresectable,
    conversion therapy towards resection / NED) and 4.2 (local ablation to reach NED) (seed
    004).

    Rules:

    * ``initially_resectable`` -- ``initially_resectable`` True (judged at the first
      multidisciplinary assessment, whatever happened next).
    * ``initially_unresectable_converted`` -- ``initially_resectable`` False and
      ``ned_achieved`` True (NED reached by resection, ablation or other treatment after
      conversion therapy).
    * ``never_ned`` -- ``initially_resectable`` False and ``ned_achieved`` False; with
      ``ned_achieved`` missing, also when no liver-directed treatment at all is recorded
      (``ablation_type`` 'none', no liver resection date/extent/margin, no transplantation),
      since NED is reached by liver-directed treatment (section 4.2).
    * missing -- ``initially_resectable`` missing, or ``ned_achieved`` missing for an initially
      unresectable patient who had liver-directed treatment.

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort) with ``initially_resectable`` and
        ``ned_achieved`` (and the liver-treatment columns, read when ``ned_achieved`` is
        missing).

    Returns
    -------
    pandas.Series
        Ordered Categorical ``initially_resectable < initially_unresectable_converted <
        never_ned``; reasons in ``.attrs``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.stratify import explain, treatment_intent
    >>> df = pd.DataFrame({"initially_resectable": [True, False, False, None],
    ...                    "ned_achieved": [True, True, False, True]})
    >>> result = treatment_intent(df)
    >>> result.tolist()
    ['initially_resectable', 'initially_unresectable_converted', 'never_ned', nan]
    >>> print(explain(result)["reason"].iloc[3])
    initial resectability unknown for this patient
    """
    frame = col.as_frame(data)
    col.require_any(frame, ("initially_resectable", "ned_achieved"), "treatment_intent")
    n = len(frame)
    resectable = col.boolean(frame, "initially_resectable")
    ned = col.boolean(frame, "ned_achieved")
    is_true = resectable.to_numpy(dtype=bool, na_value=False)
    is_false = (resectable == False).to_numpy(dtype=bool, na_value=False)  # noqa: E712
    ned_true = ned.to_numpy(dtype=bool, na_value=False)
    ned_false = (ned == False).to_numpy(dtype=bool, na_value=False)  # noqa: E712
    ned_missing = ned.isna().to_numpy()

    resected = (
        col.date(frame, "liver_resection_date").notna().to_numpy()
        | col.coded(frame, "liver_resection_extent").notna()
        | col.coded(frame, "margin_status").notna()
    )
    ablation = col.coded(frame, "ablation_type")
    transplant = col.boolean(frame, "liver_transplant").to_numpy(dtype=bool, na_value=False)
    no_liver_treatment = (ablation == "none") & ~resected & ~transplant

    value = Levels.empty(n, INTENT_LEVELS)
    reason = Texts.none(n)
    value[is_true] = "initially_resectable"
    value[is_false & ned_true] = "initially_unresectable_converted"
    value[is_false & (ned_false | (ned_missing & no_liver_treatment))] = "never_ned"
    reason[~is_true & ~is_false] = col.missing_reason("initially_resectable", frame)
    reason[is_false & ned_missing & ~no_liver_treatment] = (
        "initially unresectable; "
        + col.missing_reason("ned_achieved", frame)
        + " and liver-directed treatment recorded or not ruled out"
    )
    rule = (
        "initially_resectable True -> initially_resectable; False with ned_achieved True -> "
        "initially_unresectable_converted; False with ned_achieved False (or missing with no "
        "liver-directed treatment recorded: ablation_type 'none', no resection, no "
        "transplantation) -> never_ned"
    )
    return categorical_result(
        value,
        reason,
        index=frame.index,
        levels=INTENT_LEVELS,
        name="treatment_intent",
        rule=rule,
        source=(
            "Chinese guidelines for the diagnosis and comprehensive treatment of colorectal "
            "liver metastases (2025 edition), sections 3.2.1, 3.2.2 and 4.2 (seed 004)"
        ),
    )
