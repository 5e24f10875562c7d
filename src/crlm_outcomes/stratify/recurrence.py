"""Recurrence after NED (timing, pattern, re-treatment) and how NED was reached."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes.stratify import _columns as col
from crlm_outcomes.stratify._decide import Decider
from crlm_outcomes.stratify._explain import categorical_result
from crlm_outcomes.stratify._months import basis_text, compare_months

__all__ = [
    "recurrence_timing",
    "recurrence_pattern",
    "recurrence_retreatment",
    "ned_route",
    "NED_ROUTE_LEVELS",
]

_VIGANO = (
    "Vigano L, Capussotti L, Lapointe R, et al. Early recurrence after liver resection "
    "for colorectal metastases: risk factors, prognosis, and treatment. A "
    "LiverMetSurvey-based study of 6,025 patients. Ann Surg Oncol 2014;21(4):1276-1286"
)
_GUIDELINE = (
    "Chinese guidelines for the diagnosis and comprehensive treatment of colorectal "
    "liver metastases (2025 edition), China Journal of General Surgery "
    "2025;34(8):1565-1588"
)
NED_ROUTE_LEVELS = (
    "resection",
    "resection_plus_ablation",
    "ablation_only",
    "sbrt_only",
    "transplantation",
)


def recurrence_timing(
    data: Any, *, early_months: int = 6, month_basis: str = "calendar"
) -> pd.Series:
    """Early or late recurrence after liver resection.

    Source: Vigano L, et al. Ann Surg Oncol 2014;21(4):1276-1286 (early recurrence: within 6
    months of liver resection); ``early_months=12`` gives the other common definition.

    ``early`` when ``recurrence_date`` is at most ``early_months`` (inclusive) after
    ``liver_resection_date``; ``late`` when later. Missing, as not applicable, without a
    recurrence date.

    Returns
    -------
    pandas.Series
        Ordered Categorical ``early < late``; reasons in ``.attrs``.
    """
    frame = col.as_frame(data)
    col.require_any(frame, ("recurrence_date",), "recurrence_timing")
    n = len(frame)
    recurrence = col.date(frame, "recurrence_date")
    resection = col.date(frame, "liver_resection_date")
    sign, known = compare_months(recurrence, resection, early_months, month_basis)
    d = Decider(n, ("early", "late"))
    d.decide(known & (sign <= 0), "early")
    d.decide(known, "late")
    d.decide(
        recurrence.isna().to_numpy(),
        None,
        "recurrence timing: no recurrence date (no recurrence, or "
        + col.why_missing("recurrence_date", frame)
        + ")",
    )
    d.decide(
        np.ones(n, dtype=bool),
        None,
        "recurrence timing: " + col.missing_reason("liver_resection_date", frame),
    )
    return categorical_result(
        d.value,
        d.reason,
        index=frame.index,
        levels=("early", "late"),
        name="recurrence_timing",
        rule=(
            f"early <= {early_months} months (inclusive) after liver "
            "resection, late after; " + basis_text(month_basis)
        ),
        source=_VIGANO,
    )


def recurrence_pattern(data: Any) -> pd.Series:
    """First recurrence: intrahepatic only, extrahepatic only, or both.

    Source: Chinese guidelines (2025 edition), section 1.4 (seed 004): follow-up after NED
    for liver recurrence and other distant metastases. From ``recurrence_site`` (liver /
    extrahepatic / liver_and_extrahepatic).

    Returns
    -------
    pandas.Series
        Ordered Categorical ``intrahepatic_only < extrahepatic_only < both``.
    """
    frame = col.as_frame(data)
    col.require_any(frame, ("recurrence_site",), "recurrence_pattern")
    site = col.coded(frame, "recurrence_site")
    levels = ("intrahepatic_only", "extrahepatic_only", "both")
    value = site.map(
        {
            "liver": "intrahepatic_only",
            "extrahepatic": "extrahepatic_only",
            "liver_and_extrahepatic": "both",
        },
        levels,
    )
    return categorical_result(
        value,
        "recurrence pattern: site of recurrence "
        + col.why_missing("recurrence_site", frame)
        + " (or no recurrence)",
        index=frame.index,
        levels=levels,
        name="recurrence_pattern",
        rule="recurrence_site liver / extrahepatic / both",
        source=_GUIDELINE + ", section 1.4 (seed 004)",
    )


def recurrence_retreatment(data: Any) -> pd.Series:
    """Re-treatment of a recurrence with curative intent: repeat hepatectomy or not.

    Source: Chinese guidelines (2025 edition), sections 1.4 and 4.1.3 (seed 004): liver
    recurrences are resected again when the criteria of a first resection are met. The
    schema records curative re-treatment as ``repeat_hepatectomy_for_recurrence``; other
    curative re-treatment (ablation of a recurrence, metastasectomy elsewhere) is not
    recorded, so ``no_repeat_hepatectomy`` does not exclude it.

    Missing, as not applicable, for patients without a recorded recurrence.

    Returns
    -------
    pandas.Series
        Ordered Categorical ``repeat_hepatectomy < no_repeat_hepatectomy``.
    """
    frame = col.as_frame(data)
    col.require_any(frame, ("repeat_hepatectomy_for_recurrence",), "recurrence_retreatment")
    n = len(frame)
    recurred = (
        col.date(frame, "recurrence_date").notna().to_numpy()
        | col.coded(frame, "recurrence_site").notna()
    )
    repeat = col.boolean(frame, "repeat_hepatectomy_for_recurrence")
    levels = ("repeat_hepatectomy", "no_repeat_hepatectomy")
    d = Decider(n, levels)
    d.decide(repeat.to_numpy(dtype=bool, na_value=False), "repeat_hepatectomy")
    d.decide(~recurred, None, "not applicable: no recurrence recorded")
    d.decide(
        (repeat == False).to_numpy(dtype=bool, na_value=False),  # noqa: E712
        "no_repeat_hepatectomy",
    )
    d.decide(
        np.ones(n, dtype=bool),
        None,
        "re-treatment: repeat hepatectomy "
        + col.why_missing("repeat_hepatectomy_for_recurrence", frame),
    )
    return categorical_result(
        d.value,
        d.reason,
        index=frame.index,
        levels=levels,
        name="recurrence_retreatment",
        rule=(
            "repeat_hepatectomy_for_recurrence True -> "
            "repeat_hepatectomy; False (with a recurrence) -> "
            "no_repeat_hepatectomy"
        ),
        source=_GUIDELINE + ", sections 1.4 and 4.1.3 (seed 004)",
    )


def ned_route(data: Any) -> pd.Series:
    """How NED was reached: resection, resection plus ablation, ablation or SBRT alone,
    transplantation.

    Source: Chinese guidelines (2025 edition), sections 3.2.1 (resection, combined with
    ablation or SBRT when resection alone is difficult, to reach NED) and 4.2 (local
    ablation and SBRT) (seed 004).

    Only for ``ned_achieved`` True: ``liver_transplant`` True -> ``transplantation``; liver
    resected (``liver_resection_date``, ``liver_resection_extent`` or ``margin_status``)
    with an ablation recorded -> ``resection_plus_ablation``, without (``ablation_type``
    'none') -> ``resection``; not resected with ``ablation_type`` SBRT -> ``sbrt_only``,
    other ablation -> ``ablation_only``. ``ned_achieved`` False -> missing, not applicable.

    Returns
    -------
    pandas.Series
        Ordered Categorical with :data:`NED_ROUTE_LEVELS`; reasons in ``.attrs``.
    """
    frame = col.as_frame(data)
    col.require_any(frame, ("ned_achieved",), "ned_route")
    n = len(frame)
    ned = col.boolean(frame, "ned_achieved")
    ned_true = ned.to_numpy(dtype=bool, na_value=False)
    transplant = col.boolean(frame, "liver_transplant").to_numpy(dtype=bool, na_value=False)
    resected = (
        col.date(frame, "liver_resection_date").notna().to_numpy()
        | col.coded(frame, "liver_resection_extent").notna()
        | col.coded(frame, "margin_status").notna()
    )
    ablation = col.coded(frame, "ablation_type")
    ablated = ablation.notna() & (ablation != "none")
    d = Decider(n, NED_ROUTE_LEVELS)
    d.decide(
        (ned == False).to_numpy(dtype=bool, na_value=False),  # noqa: E712
        None,
        "not applicable: NED not reached",
    )
    d.decide(~ned_true, None, col.missing_reason("ned_achieved", frame))
    d.decide(transplant, "transplantation")
    d.decide(resected & ablated, "resection_plus_ablation")
    d.decide(resected & (ablation == "none"), "resection")
    d.decide(
        resected, None, "NED route: liver resected, " + col.missing_reason("ablation_type", frame)
    )
    d.decide(ablation == "SBRT", "sbrt_only")
    d.decide(ablated, "ablation_only")
    d.decide(
        np.ones(n, dtype=bool),
        None,
        "NED route: NED reached but no resection, ablation or transplantation recorded",
    )
    return categorical_result(
        d.value,
        d.reason,
        index=frame.index,
        levels=NED_ROUTE_LEVELS,
        name="ned_route",
        rule=(
            "NED only: transplantation; resection with / without "
            "ablation; SBRT alone; other ablation alone"
        ),
        source=_GUIDELINE + ", sections 3.2.1 and 4.2 (seed 004)",
    )
