"""Prognostic scores for colorectal liver metastases.

Each score is a numeric function returning a nullable Series (``Int64`` points, ``Float64`` for
the tumour burden score) with a companion group function returning an ordered Categorical.
A missing component makes the score missing, and ``.attrs["reasons"]`` names the missing
component(s); ``missing_as_zero=True`` is an explicit, recorded opt-in.
"""

from crlm_outcomes.stratify.scores.fong import FONG_LEVELS, fong_group, fong_score
from crlm_outcomes.stratify.scores.game import GAME_LEVELS, game_group, game_score
from crlm_outcomes.stratify.scores.modified_clinical import (
    MCS_LEVELS,
    modified_clinical_group,
    modified_clinical_score,
)
from crlm_outcomes.stratify.scores.nordlinger import (
    NORDLINGER_LEVELS,
    nordlinger_group,
    nordlinger_score,
)
from crlm_outcomes.stratify.scores.oslo import oslo_group, oslo_score
from crlm_outcomes.stratify.scores.tumour_burden import (
    TBS_ZONE_LEVELS,
    tbs_zone,
    tumour_burden_score,
)

__all__ = [
    "fong_score",
    "fong_group",
    "tumour_burden_score",
    "tbs_zone",
    "game_score",
    "game_group",
    "modified_clinical_score",
    "modified_clinical_group",
    "nordlinger_score",
    "nordlinger_group",
    "oslo_score",
    "oslo_group",
    "FONG_LEVELS",
    "GAME_LEVELS",
    "MCS_LEVELS",
    "NORDLINGER_LEVELS",
    "TBS_ZONE_LEVELS",
]
