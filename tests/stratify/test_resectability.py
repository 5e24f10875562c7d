"""Treatment intent: initially resectable, converted, never NED."""

from __future__ import annotations

import pandas as pd

from crlm_outcomes.stratify import reasons, treatment_intent

NA = None
# initially resectable, ned achieved, ablation type, liver resection date, expected, reason
CASES = [
    (True, True, NA, "2020-01-01", "initially_resectable", None),
    (True, False, NA, NA, "initially_resectable", None),
    (False, True, NA, "2020-01-01", "initially_unresectable_converted", None),
    (False, True, "RFA", NA, "initially_unresectable_converted", None),
    (False, False, NA, "2020-01-01", "never_ned", None),
    (False, NA, "none", NA, "never_ned", None),  # no liver-directed treatment at all
    (False, NA, NA, "2020-01-01", None, "NED unknown for this patient"),
    (False, NA, NA, NA, None, "NED unknown for this patient"),  # ablation unknown: not ruled out
    (NA, True, NA, NA, None, "initial resectability unknown for this patient"),
]


def test_treatment_intent(make):
    frame = make(
        {
            "initially_resectable": [c[0] for c in CASES],
            "ned_achieved": [c[1] for c in CASES],
            "ablation_type": [c[2] for c in CASES],
            "liver_resection_date": [c[3] for c in CASES],
        }
    )
    result = treatment_intent(frame)
    why = reasons(result)
    for i, case in enumerate(CASES):
        if case[-2] is None:
            assert pd.isna(result.iloc[i]) and case[-1] in why.iloc[i], (i, why.iloc[i])
        else:
            assert result.iloc[i] == case[-2], (i, case)
