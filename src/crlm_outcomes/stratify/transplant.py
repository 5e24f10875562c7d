"""Selection for liver transplantation beyond the Oslo score."""

from __future__ import annotations

from collections.abc import Callable
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
_RULE = (
    "unfavourable: right-sided primary, BRAF mutation, N2, G3/G4, extrahepatic disease "
    "or progression on chemotherapy; favourable: all known and absent"
)
_COLUMNS = (
    "primary_site_icdo3",
    "braf_status",
    "primary_n_stage",
    "primary_grade",
    "extrahepatic_disease",
    "recist_response",
    "progression_at_transplant",
)
_SITES = (
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
)
_LEFT_SIDED = ("C18.5", "C18.6", "C18.7", "C19.9", "C20.9")
_N2 = ("N2", "N2a", "N2b")

#: One criterion: ``frame -> (unfavourable, known and favourable)`` masks.
_Criterion = Callable[[pd.DataFrame], tuple[np.ndarray, np.ndarray]]


def _side(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    site = col.coded(frame, "primary_site_icdo3", levels=_SITES)
    return site.isin(RIGHT_SIDED_CODES), site.isin(_LEFT_SIDED)


def _braf(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    braf = col.coded(frame, "braf_status")
    return braf.isin(("V600E", "non_V600E")), braf == "wild_type"


def _n_stage(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    n_stage = col.coded(frame, "primary_n_stage")
    return n_stage.isin(_N2), n_stage.notna()


def _grade(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    grade = col.coded(frame, "primary_grade")
    return grade.isin(("G3", "G4")), grade.isin(("G1", "G2"))


def _extrahepatic(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    ehd, _ = extrahepatic_levels(frame)
    present = col.boolean(frame, "extrahepatic_disease").to_numpy(dtype=bool, na_value=False)
    sites = ehd.isin(("lung_only", "peritoneal_only", "hepatic_hilar_nodes_only", "other"))
    return present | sites, ehd == "none"


def _response(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Progression on chemotherapy: ``progression_at_transplant``, else best RECIST response."""
    progression = col.boolean(frame, "progression_at_transplant")
    recist = col.coded(frame, "recist_response")
    unrecorded = progression.isna().to_numpy()
    progressed = progression.to_numpy(dtype=bool, na_value=False) | (unrecorded & (recist == "PD"))
    responding = (progression == False).to_numpy(dtype=bool, na_value=False) | (  # noqa: E712
        unrecorded & recist.isin(("CR", "PR", "SD"))
    )
    return progressed, responding


#: The criteria, in the order the reasons name them: (item, its column(s), test).
_CRITERIA: tuple[tuple[str, str | tuple[str, ...], _Criterion], ...] = (
    ("primary side", "primary_site_icdo3", _side),
    ("BRAF", "braf_status", _braf),
    ("N stage", "primary_n_stage", _n_stage),
    ("grade", "primary_grade", _grade),
    ("extrahepatic disease", "extrahepatic_disease", _extrahepatic),
    ("response to chemotherapy", ("progression_at_transplant", "recist_response"), _response),
)


def transplant_selection(data: Any) -> pd.Series:
    """Tumour-biology selection for liver transplantation: favourable or unfavourable.

    Sources: Ji JW, Zhang YG, Wang HW. Surgical management of liver metastases from
    colorectal cancer. Chin J Clin Res 2025;38(7):988-992, section 1 (seed 002); Chinese
    guidelines for the diagnosis and comprehensive treatment of colorectal liver metastases
    (2025 edition), China Journal of General Surgery 2025;34(8):1565-1588, section 4.1.4(5)
    (seed 004).

    ``unfavourable`` when any of these is known (first found wins, no other value needed):
    right-sided primary (C18.0/.2/.3/.4), BRAF mutation (V600E or non-V600E), N2 primary,
    poorly differentiated primary (G3/G4), extrahepatic disease, or progression on
    chemotherapy (``progression_at_transplant`` True, else best ``recist_response`` PD).
    ``favourable`` when all are known and absent: left-sided or rectal primary, BRAF
    wild-type, N0/N1, G1/G2, no extrahepatic disease, and disease responding or stable
    (``progression_at_transplant`` False, else ``recist_response`` CR/PR/SD). Otherwise
    missing, naming what is unknown. Resectability is not part of it (see
    :func:`~crlm_outcomes.stratify.mdt_group`).

    Parameters
    ----------
    data
        Canonical cohort DataFrame (or a Cohort with ``.data``) with at least one of
        ``primary_site_icdo3``, ``braf_status``, ``primary_n_stage``, ``primary_grade``,
        ``extrahepatic_disease``, ``recist_response``, ``progression_at_transplant``.

    Returns
    -------
    pandas.Series
        Ordered Categorical ``favourable < unfavourable``; reasons in ``.attrs``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.stratify import explain, transplant_selection
    >>> df = pd.DataFrame({
    ...     "primary_site_icdo3": ["C20.9", "C18.2", "C18.7"],
    ...     "braf_status": ["wild_type", "wild_type", "wild_type"],
    ...     "primary_n_stage": ["N1", "N0", "N1"],
    ...     "primary_grade": ["G2", "G2", "G2"],
    ...     "extrahepatic_disease": [False, False, False],
    ...     "progression_at_transplant": [False, False, None]})
    >>> result = transplant_selection(df)
    >>> result.tolist()  # rectal; right-sided colon; response unknown
    ['favourable', 'unfavourable', nan]
    >>> print(explain(result)["reason"].iloc[2])
    transplant selection: response to chemotherapy unknown for this patient
    """
    frame = col.as_frame(data)
    col.require_any(frame, _COLUMNS, "transplant_selection")
    n = len(frame)
    against = np.zeros(n, dtype=bool)
    all_known = np.ones(n, dtype=bool)
    why = Texts.none(n)
    for item, columns, test in _CRITERIA:
        unfavourable, favourable = test(frame)
        against |= unfavourable
        all_known &= favourable
        why = why.join(~favourable, item + " " + col.why_missing(columns, frame), sep=", ")
    d = Decider(n, TRANSPLANT_LEVELS)
    d.decide(against, "unfavourable")
    d.decide(all_known, "favourable")
    d.decide(np.ones(n, dtype=bool), None, "transplant selection: " + why)
    return categorical_result(
        d.value,
        d.reason,
        index=frame.index,
        levels=TRANSPLANT_LEVELS,
        name="transplant_selection",
        rule=_RULE,
        source=_SOURCE,
    )
