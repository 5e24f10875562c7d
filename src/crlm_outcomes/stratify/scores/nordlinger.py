"""Nordlinger score (French Association of Surgery)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes.stratify import _columns as col
from crlm_outcomes.stratify.scores import _points as pt
from crlm_outcomes.stratify.scores._interval import short_interval

__all__ = ["nordlinger_score", "nordlinger_group", "NORDLINGER_LEVELS"]

NORDLINGER_LEVELS = ("low", "intermediate", "high")
_SOURCE = "Nordlinger, Cancer 1996"
_T4 = ("T4", "T4a", "T4b")


def nordlinger_score(
    data: Any,
    *,
    include_margin: bool = False,
    margin_mm: float = 10.0,
    dfi_origin: str = "resection",
    missing_as_zero: bool = False,
) -> pd.Series:
    """Nordlinger score, 0-6 (0-7 with the margin factor).

    Source: Nordlinger, Cancer 1996. One point each for:

    1. age > 60 years (``age_at_diagnosis``; exactly 60 scores 0);
    2. primary pT4 / serosal invasion (``primary_t_stage`` T4, T4a, T4b);
    3. node-positive primary;
    4. disease-free interval < 24 months, from resection of the primary to the liver metastases
       (synchronous = 0 months, scores; exactly 24 months scores 0);
    5. more than 3 liver metastases (``liver_mets_number > 3``);
    6. largest liver metastasis > 5 cm (exactly 5 scores 0);
    7. only with ``include_margin=True``: resection margin < 1 cm
       (``margin_width_mm < margin_mm``). **Unverified**: the 7th factor appears in some
       versions of the score only; it is off by default.

    Groups (:func:`nordlinger_group`): low 0-2, intermediate 3-4, high 5-6 (5-7 with the
    margin factor).

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort).
    include_margin
        Add the 7th factor (margin < 1 cm). Default False (**unverified** factor).
    margin_mm
        Margin cut-off in mm for the 7th factor (default 10 mm = 1 cm).
    dfi_origin
        ``"resection"`` (default) or ``"diagnosis"`` of the primary.
    missing_as_zero
        Count a missing component as 0 (explicit opt-in; see ``.attrs["assumed"]``).

    Returns
    -------
    pandas.Series
        Nullable ``Int64`` score.
    """
    frame = col.as_frame(data)
    col.require_any(frame, ("age_at_diagnosis", "primary_t_stage", "primary_node_positive",
                            "primary_n_stage", "liver_mets_number", "liver_mets_largest_cm"),
                    "nordlinger_score")
    t_stage = col.coded(frame, "primary_t_stage")
    t4 = np.where(t_stage.isna(), np.nan, t_stage.isin(_T4).astype(float))
    components = [
        pt.threshold(frame, "age_at_diagnosis", "age > 60 years", above=60),
        pt.Component("primary pT4", t4, col.missing_reason("primary_t_stage", frame)),
        pt.node_component(frame),
        short_interval(frame, months=24.0, origin=dfi_origin,
                       label="disease-free interval < 24 months"),
        pt.threshold(frame, "liver_mets_number", "more than 3 liver metastases", above=3),
        pt.threshold(frame, "liver_mets_largest_cm", "largest liver metastasis > 5 cm", above=5),
    ]
    rule = ("1 point each: age > 60; pT4; node-positive; DFI < 24 months from primary "
            f"{dfi_origin}; > 3 metastases; largest > 5 cm")
    if include_margin:
        margin = col.number(frame, "margin_width_mm")
        components.append(pt.Component(
            f"margin < {margin_mm:g} mm",
            np.where(np.isnan(margin), np.nan, (margin < margin_mm).astype(float)),
            col.missing_reason("margin_width_mm", frame),
        ))
        rule += f"; margin < {margin_mm:g} mm (7th factor, unverified)"
    return pt.total(components, index=frame.index, name="nordlinger_score", rule=rule,
                    source=_SOURCE, missing_as_zero=missing_as_zero)


def nordlinger_group(data: Any, **score_options: Any) -> pd.Series:
    """Nordlinger group: low (0-2), intermediate (3-4), high (5-6, or 5-7 with the margin).

    Source: Nordlinger, Cancer 1996.

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort), or a Series from :func:`nordlinger_score`.
    **score_options
        Passed to :func:`nordlinger_score`.
    """
    score = data if isinstance(data, pd.Series) else nordlinger_score(data, **score_options)
    return pt.groups(score, [(0, 3, "low"), (3, 5, "intermediate"), (5, 8, "high")],
                     name="nordlinger_group", rule="low 0-2, intermediate 3-4, high >= 5",
                     source=_SOURCE)
