"""Modified clinical score (m-CS) of Brudvik et al."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes.errors import SpecError
from crlm_outcomes.stratify import _columns as col
from crlm_outcomes.stratify._codes import Levels
from crlm_outcomes.stratify._explain import reason_texts
from crlm_outcomes.stratify.molecular import RAS_LEVELS, ras_class
from crlm_outcomes.stratify.scores import _points as pt
from crlm_outcomes.stratify.scores.game import mutation_component

__all__ = ["modified_clinical_score", "modified_clinical_group", "MCS_LEVELS"]

MCS_LEVELS = ("low", "medium", "high")
_SOURCE = (
    "Brudvik KW, Jones RP, Giuliante F, et al. RAS mutation clinical risk score to "
    "predict survival after resection of colorectal liver metastases. Ann Surg "
    "2019;269(1):120-126, doi:10.1097/SLA.0000000000002319 (components as reported by "
    "the PLATO calculator, github.com/vilja-a/plato-crlm-risk-prediction; primary "
    "text not accessible to this package)"
)


def modified_clinical_score(
    data: Any,
    *,
    size_cm: float = 5.0,
    mutation: str = "ras",
    require_full_panel: bool = False,
    missing_as_zero: bool = False,
) -> pd.Series:
    """Modified clinical score (m-CS), 0-3.

    Source: Brudvik KW, Jones RP, Giuliante F, et al. Ann Surg 2019;269(1):120-126. One point
    each for a RAS-mutated tumour, a node-positive primary, and a largest liver metastasis
    > 5 cm (exactly 5 scores 0). Components and cut-offs: threshold as reported by a secondary
    source -- the PLATO calculator of the Helsinki group (GitHub
    vilja-a/plato-crlm-risk-prediction, ``source_code/4_discrimation.R``: KRAS or NRAS
    mutated, pN > 0, largest > 50 mm), and with the editorial of Jost, Major and Dixon
    (Hepatobiliary Surg Nutr 2019, doi:10.21037/hbsn.2019.06.06) on adding RAS status to the
    clinical risk score; primary text not accessible here, so ``size_cm`` and the group
    cut-offs stay overridable.

    RAS mutation (``mutation="ras"``, default): a KRAS or NRAS mutation scores 1; 0 needs
    both genes reported wild-type. With ``require_full_panel=True``, 0 further needs the
    full KRAS/NRAS exon 2-4 panel (:func:`~crlm_outcomes.stratify.ras_class` ``wild_type``).
    ``mutation="kras"`` is for sources that test KRAS only (no NRAS column): KRAS mutated
    scores 1, KRAS wild-type 0 -- a deviation from the paper (an NRAS mutation is missed),
    recorded in the rule.

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort).
    size_cm
        Size cut-off (largest > ``size_cm`` scores; default 5).
    mutation
        ``"ras"`` (default, KRAS or NRAS, as published) or ``"kras"`` (KRAS only).
    require_full_panel
        See above (``mutation="ras"`` only). Default False.
    missing_as_zero
        Count a missing component as 0 (explicit opt-in; see ``.attrs["assumed"]``). **This
        under-scores**: a component the source does not collect counts 0 for every patient.

    Returns
    -------
    pandas.Series
        Nullable ``Int64`` score 0-3.

    Examples
    --------
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> from crlm_outcomes.stratify import modified_clinical_score
    >>> result = modified_clinical_score(synthetic_cohort(200, seed=1))
    >>> {int(k): int(n) for k, n in result.value_counts().sort_index().items()}
    {0: 12, 1: 43, 2: 37, 3: 5}
    >>> int(result.isna().sum())  # unclassified: see explain(result)
    103
    """
    if mutation not in ("ras", "kras"):
        raise SpecError(
            "mutation must be 'ras' or 'kras'",
            column="mutation",
            value=mutation,
            expected="'ras' (published) or 'kras' (sources without NRAS)",
        )
    frame = col.as_frame(data)
    col.require_any(
        frame,
        (
            "kras_status",
            "nras_status",
            "primary_node_positive",
            "primary_n_stage",
            "liver_mets_largest_cm",
        ),
        "modified_clinical_score",
    )
    if mutation == "kras":
        kras = mutation_component(frame, "kras")
        gene = pt.Component("KRAS mutation", kras.points, kras.why)
    elif require_full_panel:
        ras = col.memo_call(ras_class, frame)
        values = Levels.from_series(ras, RAS_LEVELS)
        points = np.where(values == "mutant", 1.0, np.where(values == "wild_type", 0.0, np.nan))
        why = reason_texts(ras)
        why[values == "incomplete_testing"] = "RAS incomplete_testing (full panel required)"
        gene = pt.Component("RAS mutation", points, why)
    else:
        ras_component = mutation_component(frame, "ras")
        gene = pt.Component("RAS mutation", ras_component.points, ras_component.why)
    components = [
        gene,
        pt.node_component(frame),
        pt.threshold(
            frame,
            "liver_mets_largest_cm",
            f"largest liver metastasis > {size_cm:g} cm",
            above=size_cm,
        ),
    ]
    gene_text = {
        "ras": "RAS mutation" + (" (full panel)" if require_full_panel else ""),
        "kras": "KRAS mutation (KRAS only: deviation from the paper's RAS)",
    }[mutation]
    rule = f"1 point each: {gene_text}; node-positive primary; largest > {size_cm:g} cm"
    return pt.total(
        components,
        index=frame.index,
        name="modified_clinical_score",
        rule=rule,
        source=_SOURCE,
        missing_as_zero=missing_as_zero,
    )


def modified_clinical_group(
    data: Any, *, medium_from: int = 1, high_from: int = 3, **score_options: Any
) -> pd.Series:
    """m-CS risk group: low (0), medium (1-2), high (3).

    Source: Brudvik KW, Jones RP, Giuliante F, et al. Ann Surg 2019;269(1):120-126. The
    strata low 0 / medium 1-2 / high 3 could not be verified: primary text not accessible
    here, and the one secondary source read (the PLATO calculator,
    vilja-a/plato-crlm-risk-prediction) reports each score value as its own stratum (0, 1, 2,
    3). Use the score itself for per-value strata, or ``medium_from``/``high_from`` to move
    the cut-offs.

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort), or a Series from
        :func:`modified_clinical_score`.
    medium_from, high_from
        Lowest score of the medium and of the high group (default 1 and 3).
    **score_options
        Passed to :func:`modified_clinical_score`.

    Returns
    -------
    pandas.Series
        Ordered Categorical ``low < medium < high``; NA where the score is missing, with its
        reason, in ``.attrs``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.stratify import modified_clinical_group, modified_clinical_score
    >>> df = pd.DataFrame({"kras_status": ["wild_type", "mutant", "mutant", None],
    ...                    "nras_status": ["wild_type"] * 4,
    ...                    "primary_node_positive": [False, True, True, False],
    ...                    "liver_mets_largest_cm": [3.0, 4.0, 7.5, 2.0]})
    >>> modified_clinical_score(df).tolist()
    [0, 2, 3, <NA>]
    >>> modified_clinical_group(df).tolist()
    ['low', 'medium', 'high', nan]
    """
    if not 0 < medium_from < high_from <= 3:
        raise SpecError(
            "m-CS cut-offs must satisfy 0 < medium_from < high_from <= 3",
            value=(medium_from, high_from),
            expected="e.g. (1, 3)",
        )
    score = data if isinstance(data, pd.Series) else modified_clinical_score(data, **score_options)

    def span(low: int, high: int) -> str:
        return str(low) if low == high else f"{low}-{high}"

    return pt.groups(
        score,
        [(0, medium_from, "low"), (medium_from, high_from, "medium"), (high_from, 4, "high")],
        name="modified_clinical_group",
        rule=(
            f"low {span(0, medium_from - 1)}, medium "
            f"{span(medium_from, high_from - 1)}, high {span(high_from, 3)}"
        ),
        source=_SOURCE,
    )
