"""GAME score (Genetic And Morphological Evaluation)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes.errors import SpecError
from crlm_outcomes.stratify import _columns as col
from crlm_outcomes.stratify._codes import Texts
from crlm_outcomes.stratify.scores import _points as pt
from crlm_outcomes.stratify.scores.tumour_burden import tbs_zone_with_bounds

__all__ = ["game_score", "game_group", "GAME_LEVELS"]

GAME_LEVELS = ("low", "medium", "high")
_SOURCE = (
    "Margonis GA, Sasaki K, Gholami S, et al. Genetic And Morphological Evaluation (GAME) "
    "score for patients with colorectal liver metastases. Br J Surg "
    "2018;105(9):1210-1220"
)


def mutation_component(frame: pd.DataFrame, mutation: str) -> pt.Component:
    """The mutation point of the GAME score (also used by the modified clinical score).

    With ``mutation="kras"`` (as published) a KRAS-mutated primary scores 1 and a KRAS
    wild-type one 0; with ``"ras"`` a KRAS **or** NRAS mutation scores 1, and 0 needs both
    genes wild-type. Anything else cannot be evaluated.

    Parameters
    ----------
    frame
        Canonical cohort DataFrame with ``kras_status`` (and ``nras_status`` for ``"ras"``),
        levels ``wild_type`` / ``mutant``.
    mutation
        ``"kras"`` or ``"ras"`` (not checked here: any other value reads as ``"ras"``).

    Returns
    -------
    Component
        ``label`` (``"KRAS-mutated"`` or ``"RAS-mutated"``), ``points`` (float array per
        patient: 1.0, 0.0, NaN when the status cannot be evaluated) and ``why`` (per patient,
        why the status is unknown: the gene unknown for the patient, or not recorded by the
        source; read where ``points`` is NaN).

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.stratify.scores.game import mutation_component
    >>> df = pd.DataFrame({"kras_status": ["mutant", "wild_type", "wild_type", None],
    ...                    "nras_status": ["wild_type", "mutant", "wild_type", "wild_type"]})
    >>> kras = mutation_component(df, "kras")
    >>> kras.label, kras.points.tolist(), kras.why
    ('KRAS-mutated', [1.0, 0.0, 0.0, nan], 'KRAS unknown for this patient')
    >>> ras = mutation_component(df, "ras")
    >>> ras.label, ras.points.tolist(), ras.why.to_array().tolist()[-1]
    ('RAS-mutated', [1.0, 1.0, 0.0, nan], 'KRAS unknown for this patient')
    """
    kras = col.coded(frame, "kras_status")
    if mutation == "kras":
        points = np.where(kras == "mutant", 1.0, np.where(kras == "wild_type", 0.0, np.nan))
        return pt.Component("KRAS-mutated", points, col.missing_reason("kras_status", frame))
    nras = col.coded(frame, "nras_status")
    mutant = (kras == "mutant") | (nras == "mutant")
    both_wt = (kras == "wild_type") & (nras == "wild_type")
    points = np.where(mutant, 1.0, np.where(both_wt, 0.0, np.nan))
    why = Texts.none(len(frame))
    why = why.join(kras.isna(), col.missing_reason("kras_status", frame), ", ")
    why = why.join(nras.isna(), col.missing_reason("nras_status", frame), ", ")
    return pt.Component("RAS-mutated", points, why)


def game_score(
    data: Any,
    *,
    mutation: str = "kras",
    missing_as_zero: bool = False,
) -> pd.Series:
    """GAME score, 0-7.

    Source: Margonis GA, Sasaki K, Gholami S, et al. Br J Surg 2018;105(9):1210-1220
    (abstract, Results: the points below; high risk >= 4). Points:

    * KRAS-mutated primary: 1 (``kras_status``; the paper scores KRAS only -- with
      ``mutation="ras"`` a KRAS **or NRAS** mutation scores, and 0 needs both wild-type);
    * CEA >= 20 ng/mL: 1 (``cea_at_liver_diagnosis``; exactly 20 scores; a registry top code
      ``cea_at_liver_diagnosis_at_least`` >= 20 scores, a CEA interpreted as normal at
      diagnosis of a primary with synchronous metastases scores 0);
    * node-positive primary: 1;
    * tumour burden score (Sasaki, Ann Surg 2018) 3 to < 9: 1, >= 9: 2 (the paper's "3-8" and
      ">= 9" read with the TBS zones < 3 / 3 to < 9 / >= 9, so TBS 8.5 scores 1; exactly 3
      scores 1, exactly 9 scores 2; a missing TBS whose lower bound reaches 9 -- e.g. a 9 cm
      lesion with an unknown count -- scores 2);
    * extrahepatic disease: 2 (``extrahepatic_disease``).

    Groups (:func:`game_group`): low 0-1, medium 2-3, high >= 4. Dutch validation (n=1105):
    median OS 68.1 / 46.7 / 32.4 months.

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort).
    mutation
        ``"kras"`` (default, as published) or ``"ras"`` (KRAS or NRAS).
    missing_as_zero
        Count a missing component as 0 (explicit opt-in; see ``.attrs["assumed"]``). **This
        under-scores**: a component the source does not collect at all (e.g. KRAS or CEA in
        a registry) counts 0 for every patient.

    Returns
    -------
    pandas.Series
        Nullable ``Int64`` score 0-7 with reasons naming missing components.

    Examples
    --------
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> from crlm_outcomes.stratify import game_score
    >>> result = game_score(synthetic_cohort(200, seed=1))
    >>> {int(k): int(n) for k, n in result.value_counts().sort_index().items()}
    {0: 2, 1: 17, 2: 36, 3: 30, 4: 15, 5: 13, 6: 2}
    >>> int(result.isna().sum())  # unclassified: see explain(result)
    85
    """
    if mutation not in ("kras", "ras"):
        raise SpecError(
            "mutation must be 'kras' or 'ras'",
            column="mutation",
            value=mutation,
            expected="'kras' (published) or 'ras'",
        )
    frame = col.as_frame(data)
    col.require_any(
        frame,
        (
            "kras_status",
            "cea_at_liver_diagnosis",
            "primary_node_positive",
            "primary_n_stage",
            "liver_mets_largest_cm",
            "liver_mets_number",
            "extrahepatic_disease",
        ),
        "game_score",
    )
    size = col.number(frame, "liver_mets_largest_cm")
    number = col.number(frame, "liver_mets_number")
    tbs_why = Texts.none(len(frame))
    tbs_why = tbs_why.join(np.isnan(size), col.missing_reason("liver_mets_largest_cm", frame), ", ")
    tbs_why = tbs_why.join(np.isnan(number), col.missing_reason("liver_mets_number", frame), ", ")
    components = [
        mutation_component(frame, mutation),
        pt.threshold(
            frame,
            "cea_at_liver_diagnosis",
            "CEA >= 20 ng/mL",
            above=20,
            inclusive=True,
            at_least="cea_at_liver_diagnosis_at_least",
            known_below=pt.cea_known_normal(frame),
        ),
        pt.node_component(frame),
        pt.Component("tumour burden score", tbs_zone_with_bounds(frame), tbs_why),
        pt.flag(
            frame,
            col.boolean(frame, "extrahepatic_disease"),
            "extrahepatic_disease",
            "extrahepatic disease",
            points=2.0,
        ),
    ]
    rule = (
        f"{'KRAS' if mutation == 'kras' else 'KRAS or NRAS'} mutated 1; CEA >= 20 ng/mL 1; "
        "node-positive primary 1; TBS 3-<9 1, >= 9 2; extrahepatic disease 2"
    )
    return pt.total(
        components,
        index=frame.index,
        name="game_score",
        rule=rule,
        source=_SOURCE,
        missing_as_zero=missing_as_zero,
    )


def game_group(data: Any, **score_options: Any) -> pd.Series:
    """GAME group: low (0-1), medium (2-3), high (>= 4).

    Source: Margonis GA, Sasaki K, Gholami S, et al. Br J Surg 2018;105(9):1210-1220 (high
    risk >= 4 in the abstract; low 0-1 and medium 2-3 as summarised by JNCCN 360, 21 June 2018,
    "Preoperative prognostic score for patients with colorectal liver metastases").

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort), or a Series from :func:`game_score`.
    **score_options
        Passed to :func:`game_score`.

    Returns
    -------
    pandas.Series
        Ordered Categorical ``low < medium < high``.

    Examples
    --------
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> from crlm_outcomes.stratify import game_group
    >>> result = game_group(synthetic_cohort(200, seed=1))
    >>> result.value_counts(sort=False).to_dict()
    {'low': 19, 'medium': 66, 'high': 30}
    >>> int(result.isna().sum())  # unclassified: see explain(result)
    85
    """
    score = data if isinstance(data, pd.Series) else game_score(data, **score_options)
    return pt.groups(
        score,
        [(0, 2, "low"), (2, 4, "medium"), (4, 8, "high")],
        name="game_group",
        rule="low 0-1, medium 2-3, high >= 4",
        source=_SOURCE,
    )
