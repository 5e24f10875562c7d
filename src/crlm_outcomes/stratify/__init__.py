"""Guideline categories, prognostic scores and eligibility flags for CRLM cohorts.

Every stratifier is a pure function ``f(data, **options) -> pandas.Series`` aligned to
``data.index``: an ordered Categorical for categories, a nullable ``Int64``/``Float64`` for
scores (each with a companion ``*_group``/``*_zone`` Categorical), a nullable ``boolean`` for
eligibility flags. A patient who cannot be classified is missing (NA), never a default level;
``.attrs`` carries the reason per patient (the clinical item, then why), the rule applied and
the source (see :func:`explain`, :func:`reasons`, :func:`rule`, which also take
:func:`apply_all`'s result with a column name). :func:`apply_all` adds everything derivable to
a cohort, :func:`describe` tabulates it, :func:`agreement` compares one of ours with a score
the source reports. Intervals are in calendar months unless ``month_basis="days"``.
"""

from crlm_outcomes.stratify._explain import explain, reasons, rule
from crlm_outcomes.stratify.agreement import Agreement, agreement
from crlm_outcomes.stratify.apply import STRATIFIERS, apply_all
from crlm_outcomes.stratify.dataset import apply_all_dataset
from crlm_outcomes.stratify.describe import describe
from crlm_outcomes.stratify.eligibility import (
    flr_adequate,
    mwa_eligible,
    neoadjuvant_cycles_within_limit,
    oxaliplatin_within_12_months,
    rfa_eligible,
    sbrt_eligible,
)
from crlm_outcomes.stratify.extrahepatic import extrahepatic_class
from crlm_outcomes.stratify.guideline_groups import mdt_group, resectability
from crlm_outcomes.stratify.immortal_time import OUTCOME_DEFINED, check_immortal_time
from crlm_outcomes.stratify.margin import margin_class
from crlm_outcomes.stratify.molecular import (
    braf_class,
    her2_class,
    mmr_class,
    molecular_group,
    ras_class,
)
from crlm_outcomes.stratify.neoadjuvant import (
    surgery_within_months_of_chemo,
    upfront_surgery_candidate,
)
from crlm_outcomes.stratify.recurrence import (
    ned_route,
    recurrence_pattern,
    recurrence_retreatment,
    recurrence_timing,
)
from crlm_outcomes.stratify.resectability import treatment_intent
from crlm_outcomes.stratify.scores import (
    fong_group,
    fong_score,
    game_group,
    game_score,
    modified_clinical_group,
    modified_clinical_score,
    nordlinger_group,
    nordlinger_score,
    oslo_group,
    oslo_score,
    tbs_zone,
    tumour_burden_score,
)
from crlm_outcomes.stratify.sidedness import primary_sidedness
from crlm_outcomes.stratify.surgical_strategy import (
    derive_surgical_strategy,
    strategy_disagreements,
    surgical_strategy_group,
)
from crlm_outcomes.stratify.timing import liver_mets_timing
from crlm_outcomes.stratify.transplant import transplant_selection

__all__ = [
    "apply_all_dataset",
    "explain",
    "reasons",
    "rule",
    "apply_all",
    "describe",
    "STRATIFIERS",
    "liver_mets_timing",
    "primary_sidedness",
    "ras_class",
    "braf_class",
    "mmr_class",
    "her2_class",
    "molecular_group",
    "surgical_strategy_group",
    "derive_surgical_strategy",
    "strategy_disagreements",
    "treatment_intent",
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
    "rfa_eligible",
    "mwa_eligible",
    "sbrt_eligible",
    "flr_adequate",
    "neoadjuvant_cycles_within_limit",
    "oxaliplatin_within_12_months",
    "mdt_group",
    "resectability",
    "extrahepatic_class",
    "margin_class",
    "transplant_selection",
    "surgery_within_months_of_chemo",
    "upfront_surgery_candidate",
    "ned_route",
    "recurrence_timing",
    "recurrence_pattern",
    "recurrence_retreatment",
    "agreement",
    "Agreement",
    "OUTCOME_DEFINED",
    "check_immortal_time",
]
