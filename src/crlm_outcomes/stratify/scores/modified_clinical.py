"""Modified clinical score (m-CS) of Brudvik et al."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes.stratify import _columns as col
from crlm_outcomes.stratify._codes import Levels
from crlm_outcomes.stratify._explain import reason_texts
from crlm_outcomes.stratify.molecular import RAS_LEVELS, ras_class
from crlm_outcomes.stratify.scores import _points as pt
from crlm_outcomes.stratify.scores.game import _mutation_component

__all__ = ["modified_clinical_score", "modified_clinical_group", "MCS_LEVELS"]

MCS_LEVELS = ("low", "high")
_SOURCE = "Brudvik, Ann Surg 2019;269:120"


def modified_clinical_score(
    data: Any,
    *,
    size_cm: float = 5.0,
    require_full_panel: bool = False,
    missing_as_zero: bool = False,
) -> pd.Series:
    """Modified clinical score (m-CS), 0-3.

    Source: Brudvik, Ann Surg 2019;269:120. One point each for RAS mutation, node-positive
    primary, and largest liver metastasis > 5 cm. **Unverified**: these components and the
    5 cm cut-off are taken from the project's clinical definitions and have not been checked
    against the paper's text; ``size_cm`` is therefore an overridable parameter.

    RAS mutation: a KRAS or NRAS mutation scores 1; 0 needs both genes reported wild-type
    (``kras_status``/``nras_status``). With ``require_full_panel=True``, 0 further needs the
    full KRAS/NRAS exon 2-4 panel (:func:`~crlm_outcomes.stratify.ras_class` ``wild_type``).

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort).
    size_cm
        Size cut-off (largest > ``size_cm`` scores; default 5, **unverified**).
    require_full_panel
        See above. Default False.
    missing_as_zero
        Count a missing component as 0 (explicit opt-in; see ``.attrs["assumed"]``).

    Returns
    -------
    pandas.Series
        Nullable ``Int64`` score 0-3.
    """
    frame = col.as_frame(data)
    col.require_any(frame, ("kras_status", "nras_status", "primary_node_positive",
                            "primary_n_stage", "liver_mets_largest_cm"),
                    "modified_clinical_score")
    if require_full_panel:
        ras = col.memo(("ras_class", id(frame)), lambda: ras_class(frame))
        values = Levels.from_series(ras, RAS_LEVELS)
        points = np.where(values == "mutant", 1.0, np.where(values == "wild_type", 0.0, np.nan))
        why = reason_texts(ras)
        why[values == "incomplete_testing"] = "RAS incomplete_testing (full panel required)"
        mutation = pt.Component("RAS mutation", points, why)
    else:
        mutation = _mutation_component(frame, "ras")
        mutation = pt.Component("RAS mutation", mutation.points, mutation.why)
    components = [
        mutation,
        pt.node_component(frame),
        pt.threshold(frame, "liver_mets_largest_cm", f"largest liver metastasis > {size_cm:g} cm",
                     above=size_cm),
    ]
    rule = (f"1 point each: RAS mutation{' (full panel)' if require_full_panel else ''}; "
            f"node-positive primary; largest > {size_cm:g} cm (unverified against the paper)")
    return pt.total(components, index=frame.index, name="modified_clinical_score", rule=rule,
                    source=_SOURCE, missing_as_zero=missing_as_zero)


def modified_clinical_group(data: Any, *, high_from: int = 2, **score_options: Any) -> pd.Series:
    """m-CS group: low (0 to ``high_from - 1``) or high (``high_from`` to 3).

    Source: Brudvik, Ann Surg 2019;269:120. **Unverified**: the cut-off ``high_from`` (default
    2) is not confirmed against the paper; override it as needed.

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort), or a Series from
        :func:`modified_clinical_score`.
    high_from
        Lowest score of the high group (default 2, unverified).
    **score_options
        Passed to :func:`modified_clinical_score`.
    """
    score = data if isinstance(data, pd.Series) else modified_clinical_score(data,
                                                                            **score_options)
    return pt.groups(score, [(0, high_from, "low"), (high_from, 4, "high")],
                     name="modified_clinical_group",
                     rule=f"low 0-{high_from - 1}, high {high_from}-3 (cut-off unverified)",
                     source=_SOURCE)
