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

    Source: Viganò L, Capussotti L, Lapointe R, et al. Early recurrence after liver resection
    for colorectal metastases: risk factors, prognosis, and treatment. A LiverMetSurvey-based
    study of 6,025 patients. Ann Surg Oncol 2014;21(4):1276-1286 (early recurrence: within 6
    months of liver resection); ``early_months=12`` gives the other common definition.

    ``early`` when ``recurrence_date`` is at most ``early_months`` (inclusive) after
    ``liver_resection_date``; ``late`` when later. Missing, as not applicable, without a
    recurrence date.

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort) with ``liver_resection_date`` and
        ``recurrence_date``.
    early_months
        Longest interval, in months, counted as early (inclusive; default 6).
    month_basis
        ``"calendar"`` months (default) or months of 30.4375 ``"days"``.

    Returns
    -------
    pandas.Series
        Ordered Categorical ``early < late``; reasons in ``.attrs``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({
    ...     "liver_resection_date": pd.to_datetime(["2020-01-15"] * 4),
    ...     "recurrence_date": pd.to_datetime(
    ...         ["2020-07-15", "2020-07-16", None, "2021-09-01"]),
    ...     "recurrence_site": ["liver", "extrahepatic", None, "liver_and_extrahepatic"],
    ...     "repeat_hepatectomy_for_recurrence": [True, False, None, None]})
    >>> from crlm_outcomes.stratify import recurrence_timing
    >>> recurrence_timing(df).tolist()  # exactly 6 calendar months is early
    ['early', 'late', nan, 'late']
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

    Source: Chinese guidelines (2025 edition), China Journal of General Surgery
    2025;34(8):1565-1588, section 1.4 (seed 004): follow-up after NED for liver recurrence and
    other distant metastases. From ``recurrence_site`` (liver / extrahepatic /
    liver_and_extrahepatic).

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort) with ``recurrence_site``.

    Returns
    -------
    pandas.Series
        Ordered Categorical ``intrahepatic_only < extrahepatic_only < both``; reasons in
        ``.attrs``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({
    ...     "liver_resection_date": pd.to_datetime(["2020-01-15"] * 4),
    ...     "recurrence_date": pd.to_datetime(
    ...         ["2020-07-15", "2020-07-16", None, "2021-09-01"]),
    ...     "recurrence_site": ["liver", "extrahepatic", None, "liver_and_extrahepatic"],
    ...     "repeat_hepatectomy_for_recurrence": [True, False, None, None]})
    >>> from crlm_outcomes.stratify import explain, recurrence_pattern
    >>> result = recurrence_pattern(df)
    >>> result.tolist()
    ['intrahepatic_only', 'extrahepatic_only', nan, 'both']
    >>> print(explain(result)["reason"].iloc[2])
    recurrence pattern: site of recurrence unknown for this patient (or no recurrence)
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

    Source: Chinese guidelines (2025 edition), China Journal of General Surgery
    2025;34(8):1565-1588, sections 1.4 and 4.1.3 (seed 004): liver recurrences are resected
    again when the criteria of a first resection are met. The schema records curative
    re-treatment as ``repeat_hepatectomy_for_recurrence``; other curative re-treatment (ablation
    of a recurrence, metastasectomy elsewhere) is not recorded, so ``no_repeat_hepatectomy``
    does not exclude it.

    Missing, as not applicable, for patients without a recorded recurrence.

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort) with ``repeat_hepatectomy_for_recurrence``
        and the recurrence columns (``recurrence_date``, ``recurrence_site``).

    Returns
    -------
    pandas.Series
        Ordered Categorical ``repeat_hepatectomy < no_repeat_hepatectomy``; reasons in
        ``.attrs``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({
    ...     "liver_resection_date": pd.to_datetime(["2020-01-15"] * 4),
    ...     "recurrence_date": pd.to_datetime(
    ...         ["2020-07-15", "2020-07-16", None, "2021-09-01"]),
    ...     "recurrence_site": ["liver", "extrahepatic", None, "liver_and_extrahepatic"],
    ...     "repeat_hepatectomy_for_recurrence": [True, False, None, None]})
    >>> from crlm_outcomes.stratify import explain, recurrence_retreatment
    >>> result = recurrence_retreatment(df)
    >>> result.tolist()
    ['repeat_hepatectomy', 'no_repeat_hepatectomy', nan, nan]
    >>> explain(result)["reason"].tolist()[2:]
    ['not applicable: no recurrence recorded',
     're-treatment: repeat hepatectomy unknown for this patient']
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

    Source: Chinese guidelines (2025 edition), China Journal of General Surgery
    2025;34(8):1565-1588, sections 3.2.1 (resection, combined with ablation or SBRT when
    resection alone is difficult, to reach NED) and 4.2 (local ablation and SBRT) (seed 004).

    Only for ``ned_achieved`` True: ``liver_transplant`` True -> ``transplantation``; liver
    resected (``liver_resection_date``, ``liver_resection_extent`` or ``margin_status``)
    with an ablation recorded -> ``resection_plus_ablation``, without (``ablation_type``
    'none') -> ``resection``; not resected with ``ablation_type`` SBRT -> ``sbrt_only``,
    other ablation -> ``ablation_only``. ``ned_achieved`` False -> missing, not applicable.

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort) with ``ned_achieved`` and the treatment
        columns (``liver_transplant``, ``liver_resection_date``, ``liver_resection_extent``,
        ``margin_status``, ``ablation_type``).

    Returns
    -------
    pandas.Series
        Ordered Categorical with :data:`NED_ROUTE_LEVELS`; reasons in ``.attrs``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.stratify import explain, ned_route
    >>> df = pd.DataFrame({
    ...     "ned_achieved": [True, True, True, True, False],
    ...     "liver_resection_date": pd.to_datetime(
    ...         ["2020-01-15", "2020-02-01", None, None, None]),
    ...     "ablation_type": ["none", "RFA", "SBRT", "MWA", "none"],
    ...     "liver_transplant": [False] * 5})
    >>> result = ned_route(df)
    >>> result.tolist()
    ['resection', 'resection_plus_ablation', 'sbrt_only', 'ablation_only', nan]
    >>> print(explain(result)["reason"].iloc[4])
    not applicable: NED not reached
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
