"""Selection for liver transplantation beyond the Oslo score."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes.stratify import _columns as col
from crlm_outcomes.stratify._codes import Texts
from crlm_outcomes.stratify._decide import Decider
from crlm_outcomes.stratify._explain import categorical_result
from crlm_outcomes.stratify.extrahepatic import extrahepatic_levels
from crlm_outcomes.stratify.sidedness import RIGHT_SIDED_CODES

__all__ = ["transplant_selection", "TRANSPLANT_LEVELS"]

TRANSPLANT_LEVELS = ("favourable", "unfavourable")
_SOURCE = (
    "Ji, Zhang, Wang, Chin J Clin Res 2025, section 1 (seed 002): transplantation for "
    "unresectable liver-only disease, avoiding right-sided primaries, BRAF mutation, "
    "N2 and poorly differentiated tumours; Chinese guidelines (2025 edition), China "
    "Journal of General Surgery 2025;34(8):1565-1588, section 4.1.4(5) (seed 004): "
    "liver-limited disease responding to systemic therapy"
)
_N2 = ("N2", "N2a", "N2b")


def transplant_selection(data: Any) -> pd.Series:
    """Tumour-biology selection for liver transplantation: favourable or unfavourable.

    Sources: Ji, Zhang, Wang, Chin J Clin Res 2025, section 1 (seed 002); Chinese guidelines
    (2025 edition), section 4.1.4(5) (seed 004).

    ``unfavourable`` when any of these is known (first found wins, no other value needed):
    right-sided primary (C18.0/.2/.3/.4), BRAF mutation (V600E or non-V600E), N2 primary,
    poorly differentiated primary (G3/G4), extrahepatic disease, or progression on
    chemotherapy (``progression_at_transplant`` True, else best ``recist_response`` PD).
    ``favourable`` when all are known and absent: left-sided or rectal primary, BRAF
    wild-type, N0/N1, G1/G2, no extrahepatic disease, and disease responding or stable
    (``progression_at_transplant`` False, else ``recist_response`` CR/PR/SD). Otherwise
    missing, naming what is unknown. Resectability is not part of it (see
    :func:`~crlm_outcomes.stratify.mdt_group`).

    Returns
    -------
    pandas.Series
        Ordered Categorical ``favourable < unfavourable``; reasons in ``.attrs``.
    """
    frame = col.as_frame(data)
    col.require_any(
        frame,
        (
            "primary_site_icdo3",
            "braf_status",
            "primary_n_stage",
            "primary_grade",
            "extrahepatic_disease",
            "recist_response",
            "progression_at_transplant",
        ),
        "transplant_selection",
    )
    n = len(frame)
    site = col.coded(
        frame,
        "primary_site_icdo3",
        levels=(
            "C18.0",
            "C18.1",
            "C18.2",
            "C18.3",
            "C18.4",
            "C18.5",
            "C18.6",
            "C18.7",
            "C18.8",
            "C18.9",
            "C19.9",
            "C20.9",
        ),
    )
    right = site.isin(RIGHT_SIDED_CODES)
    left = site.isin(("C18.5", "C18.6", "C18.7", "C19.9", "C20.9"))
    braf = col.coded(frame, "braf_status")
    n_stage = col.coded(frame, "primary_n_stage")
    grade = col.coded(frame, "primary_grade")
    ehd, _ = extrahepatic_levels(frame)
    ehd_present = col.boolean(frame, "extrahepatic_disease").to_numpy(dtype=bool, na_value=False)
    progression = col.boolean(frame, "progression_at_transplant")
    recist = col.coded(frame, "recist_response")
    progressed = progression.to_numpy(dtype=bool, na_value=False) | (
        progression.isna().to_numpy() & (recist == "PD")
    )
    responding = (
        (progression == False).to_numpy(dtype=bool, na_value=False)  # noqa: E712
        | (progression.isna().to_numpy() & recist.isin(("CR", "PR", "SD")))
    )
    against = (
        right
        | braf.isin(("V600E", "non_V600E"))
        | n_stage.isin(_N2)
        | grade.isin(("G3", "G4"))
        | ehd_present
        | ehd.isin(("lung_only", "peritoneal_only", "hepatic_hilar_nodes_only", "other"))
        | progressed
    )
    checks = [
        (left, "primary side " + col.why_missing("primary_site_icdo3", frame)),
        (braf == "wild_type", "BRAF " + col.why_missing("braf_status", frame)),
        (n_stage.notna(), "N stage " + col.why_missing("primary_n_stage", frame)),
        (grade.isin(("G1", "G2")), "grade " + col.why_missing("primary_grade", frame)),
        (ehd == "none", "extrahepatic disease " + col.why_missing("extrahepatic_disease", frame)),
        (
            responding,
            "response to chemotherapy "
            + col.why_missing(("progression_at_transplant", "recist_response"), frame),
        ),
    ]
    all_known = np.logical_and.reduce([ok for ok, _ in checks])
    why = Texts.none(n)
    for ok, text in checks:
        why = why.join(~ok, text, sep=", ")
    d = Decider(n, TRANSPLANT_LEVELS)
    d.decide(against, "unfavourable")
    d.decide(all_known, "favourable")
    d.decide(np.ones(n, dtype=bool), None, "transplant selection: " + why)
    rule = (
        "unfavourable: right-sided primary, BRAF mutation, N2, G3/G4, extrahepatic disease "
        "or progression on chemotherapy; favourable: all known and absent"
    )
    return categorical_result(
        d.value,
        d.reason,
        index=frame.index,
        levels=TRANSPLANT_LEVELS,
        name="transplant_selection",
        rule=rule,
        source=_SOURCE,
    )
