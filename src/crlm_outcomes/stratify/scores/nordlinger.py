"""Nordlinger score (French Association of Surgery, 1996)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes.errors import SpecError
from crlm_outcomes.stratify import _columns as col
from crlm_outcomes.stratify._months import basis_text
from crlm_outcomes.stratify.scores import _points as pt
from crlm_outcomes.stratify.scores._interval import short_interval

__all__ = ["nordlinger_score", "nordlinger_group", "NORDLINGER_LEVELS", "NORDLINGER_VARIANTS"]

NORDLINGER_LEVELS = ("low", "intermediate", "high")
NORDLINGER_VARIANTS = ("paper", "preoperative")
_SOURCE = (
    "Nordlinger B, Guiguet M, Vaillant JC, et al. Surgical resection of colorectal "
    "carcinoma metastases to the liver. A prognostic scoring system to improve case "
    "selection, based on 1568 patients. Association Francaise de Chirurgie. Cancer "
    "1996;77(7):1254-1262 (factors, cut-offs and groups as reported by the PLATO "
    "calculator, github.com/vilja-a/plato-crlm-risk-prediction; primary text not "
    "accessible to this package)"
)
_T4 = ("T4", "T4a", "T4b")


def nordlinger_score(
    data: Any,
    *,
    variant: str = "paper",
    margin_mm: float = 10.0,
    dfi_origin: str = "resection",
    month_basis: str = "calendar",
    missing_as_zero: bool = False,
    include_margin: bool | None = None,
) -> pd.Series:
    """Nordlinger score: 0-7 (the paper's 7 factors) or 0-6 (the pre-operative variant).

    Source: Nordlinger B, Guiguet M, Vaillant JC, et al. Cancer 1996;77(7):1254-1262. One
    point each for:

    1. age > 60 years (``age_at_diagnosis``; exactly 60 scores 0; a registry top code
       ``age_at_diagnosis_at_least`` such as 85+ or 90+ scores);
    2. extension of the primary into the serosa: pT4 (``primary_t_stage`` T4, T4a, T4b);
    3. lymphatic spread of the primary: node-positive;
    4. disease-free interval < 2 years (24 calendar months; exactly 24 scores 0) from
       resection of the primary to the liver metastases; synchronous metastases score; a
       source's own interval (``disease_free_interval_months``, or the fact
       ``disease_free_interval_under_12m``) decides where the dates cannot;
    5. 4 or more liver metastases (``liver_mets_number > 3``; ``liver_mets_number_at_least``
       >= 4 decides it without a count);
    6. largest liver metastasis > 5 cm (exactly 5 scores 0);
    7. (``variant="paper"`` only) resection margin (clearance) < 1 cm: ``margin_width_mm <
       margin_mm``, or an involved margin (``margin_status`` R1/R2, width 0).

    Groups (:func:`nordlinger_group`): low 0-2, intermediate 3-4, high 5-7 -- the paper's
    risk groups. The **6-factor pre-operative variant** (``variant="preoperative"``, no
    margin, 0-6, high 5-6) is the form used to select patients before surgery, when the
    margin is not yet known; it is named as such in the rule.

    Factors, cut-offs and groups: threshold as reported by a secondary source -- the PLATO
    calculator of the Helsinki group (GitHub vilja-a/plato-crlm-risk-prediction,
    ``source_code/4_discrimation.R`` and ``plato_app/app.R``), which scores age > 60,
    pT > 3, pN > 0, interval < 24 months, count > 3, largest > 50 mm and margin < 10 mm with
    strata 0-2 / 3-4 / 5-7; primary text not accessible here (neither the paper nor its
    abstract could be read), so ">" against ">=" at exactly 60 years and exactly 5 cm is that
    source's reading. No CEA factor is part of the score in that source.

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort).
    variant
        ``"paper"`` (default, 7 factors) or ``"preoperative"`` (6 factors, no margin).
    margin_mm
        Margin cut-off in mm for factor 7 (default 10 mm = 1 cm).
    dfi_origin
        ``"resection"`` (default) or ``"diagnosis"`` of the primary.
    month_basis
        ``"calendar"`` months (default) or months of 30.4375 ``"days"``.
    missing_as_zero
        Count a missing component as 0 (explicit opt-in; see ``.attrs["assumed"]``). **This
        under-scores**: a factor the source does not collect (e.g. the margin in a registry)
        counts 0 for every patient.
    include_margin
        Deprecated spelling of the variant: True = ``"paper"``, False = ``"preoperative"``.

    Returns
    -------
    pandas.Series
        Nullable ``Int64`` score.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.stratify import nordlinger_score
    >>> df = pd.DataFrame({"age_at_diagnosis": [61.0], "primary_t_stage": ["T3"],
    ...                    "primary_node_positive": [True], "liver_mets_number": [4],
    ...                    "liver_mets_largest_cm": [3.0], "margin_status": ["R1"],
    ...                    "liver_mets_at_primary_diagnosis": [True]})
    >>> int(nordlinger_score(df).iloc[0])  # age, nodes, interval, number, margin
    5
    """
    if include_margin is not None:
        variant = "paper" if include_margin else "preoperative"
    if variant not in NORDLINGER_VARIANTS:
        raise SpecError(
            "unknown Nordlinger variant",
            column="variant",
            value=variant,
            expected=f"one of {list(NORDLINGER_VARIANTS)}",
        )
    frame = col.as_frame(data)
    col.require_any(
        frame,
        (
            "age_at_diagnosis",
            "primary_t_stage",
            "primary_node_positive",
            "primary_n_stage",
            "liver_mets_number",
            "liver_mets_largest_cm",
        ),
        "nordlinger_score",
    )
    t_stage = col.coded(frame, "primary_t_stage")
    t4 = np.where(t_stage.isna(), np.nan, t_stage.isin(_T4).astype(float))
    components = [
        pt.threshold(
            frame,
            "age_at_diagnosis",
            "age > 60 years",
            above=60,
            at_least="age_at_diagnosis_at_least",
        ),
        pt.Component("primary pT4", t4, col.missing_reason("primary_t_stage", frame)),
        pt.node_component(frame),
        short_interval(
            frame,
            months=24,
            origin=dfi_origin,
            label="disease-free interval < 2 years",
            month_basis=month_basis,
        ),
        pt.threshold(
            frame,
            "liver_mets_number",
            "4 or more liver metastases",
            above=3,
            at_least="liver_mets_number_at_least",
        ),
        pt.threshold(frame, "liver_mets_largest_cm", "largest liver metastasis > 5 cm", above=5),
    ]
    rule = (
        "1 point each: age > 60; pT4; node-positive; DFI < 2 years from primary "
        f"{dfi_origin}; >= 4 metastases; largest > 5 cm"
    )
    if variant == "paper":
        width = col.number(frame, "margin_width_mm")
        involved = col.coded(frame, "margin_status").isin(("R1", "R2"))
        margin = np.where(np.isnan(width), np.nan, (width < margin_mm).astype(float))
        margin = np.where(np.isnan(margin) & involved, 1.0, margin)
        components.append(
            pt.Component(
                f"margin < {margin_mm:g} mm", margin, col.missing_reason("margin_width_mm", frame)
            )
        )
        rule = f"paper's 7 factors, {rule}; margin < {margin_mm:g} mm (R1/R2 = 0 mm)"
    else:
        rule = f"6-factor pre-operative variant (no margin), {rule}"
    rule += "; " + basis_text(month_basis)
    return pt.total(
        components,
        index=frame.index,
        name="nordlinger_score",
        rule=rule,
        source=_SOURCE,
        missing_as_zero=missing_as_zero,
    )


def nordlinger_group(data: Any, **score_options: Any) -> pd.Series:
    """Nordlinger risk group: low (0-2), intermediate (3-4), high (5-7; 5-6 pre-operative).

    Source: Nordlinger B, Guiguet M, Vaillant JC, et al. Cancer 1996;77(7):1254-1262. Groups
    as reported by a secondary source (PLATO, vilja-a/plato-crlm-risk-prediction: strata
    0-2 / 3-4 / 5-7); primary text not accessible here.

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort), or a Series from :func:`nordlinger_score`.
    **score_options
        Passed to :func:`nordlinger_score`.

    Returns
    -------
    pandas.Series
        Ordered Categorical ``low < intermediate < high``; NA where the score is missing,
        with its reason, in ``.attrs``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.stratify import nordlinger_group, nordlinger_score
    >>> df = pd.DataFrame({
    ...     "age_at_diagnosis": [50.0, 70.0, 61.0], "primary_t_stage": ["T2", "T4a", "T3"],
    ...     "primary_node_positive": [False, True, True],
    ...     "disease_free_interval_months": [30.0, 12.0, 0.0],
    ...     "liver_mets_number": [1, 2, 4], "liver_mets_largest_cm": [3.0, 3.0, 3.0],
    ...     "margin_width_mm": [15.0, 12.0, 0.0], "margin_status": ["R0", "R0", "R1"]})
    >>> nordlinger_score(df).tolist(), nordlinger_group(df).tolist()
    ([0, 4, 5], ['low', 'intermediate', 'high'])
    """
    score = data if isinstance(data, pd.Series) else nordlinger_score(data, **score_options)
    return pt.groups(
        score,
        [(0, 3, "low"), (3, 5, "intermediate"), (5, 8, "high")],
        name="nordlinger_group",
        rule="low 0-2, intermediate 3-4, high 5-7",
        source=_SOURCE,
    )
