"""Apply every derivable stratifier to a cohort in one call."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from crlm_outcomes.errors import MissingColumnsError, SpecError
from crlm_outcomes.stratify import (
    eligibility,
    extrahepatic,
    guideline_groups,
    margin,
    molecular,
    neoadjuvant,
    recurrence,
    resectability,
    sidedness,
    timing,
    transplant,
)
from crlm_outcomes.stratify import surgical_strategy as strategy
from crlm_outcomes.stratify._columns import memo_call, shared_reads
from crlm_outcomes.stratify._explain import ReasonMap, reason_texts
from crlm_outcomes.stratify.immortal_time import OUTCOME_DEFINED
from crlm_outcomes.stratify.scores import fong, game, modified_clinical, nordlinger, oslo
from crlm_outcomes.stratify.scores import tumour_burden as tbs

__all__ = ["apply_all", "STRATIFIERS"]


@dataclass(frozen=True)
class _Step:
    """One output column: the function, and (for a group) the score it groups."""

    function: Callable[..., pd.Series]
    of_score: str | None = None


#: Every output column of :func:`apply_all`, in order, with the function that makes it.
STRATIFIERS: dict[str, _Step] = {
    "liver_mets_timing": _Step(timing.liver_mets_timing),
    "primary_sidedness": _Step(sidedness.primary_sidedness),
    "ras_class": _Step(molecular.ras_class),
    "braf_class": _Step(molecular.braf_class),
    "mmr_class": _Step(molecular.mmr_class),
    "her2_class": _Step(molecular.her2_class),
    "molecular_group": _Step(molecular.molecular_group),
    "surgical_strategy_group": _Step(strategy.surgical_strategy_group),
    "treatment_intent": _Step(resectability.treatment_intent),
    "mdt_group": _Step(guideline_groups.mdt_group),
    "resectability": _Step(guideline_groups.resectability),
    "extrahepatic_class": _Step(extrahepatic.extrahepatic_class),
    "margin_class": _Step(margin.margin_class),
    "fong_score": _Step(fong.fong_score),
    "fong_group": _Step(fong.fong_group, of_score="fong_score"),
    "tumour_burden_score": _Step(tbs.tumour_burden_score),
    "tbs_zone": _Step(tbs.tbs_zone, of_score="tumour_burden_score"),
    "game_score": _Step(game.game_score),
    "game_group": _Step(game.game_group, of_score="game_score"),
    "modified_clinical_score": _Step(modified_clinical.modified_clinical_score),
    "modified_clinical_group": _Step(
        modified_clinical.modified_clinical_group, of_score="modified_clinical_score"
    ),
    "nordlinger_score": _Step(nordlinger.nordlinger_score),
    "nordlinger_group": _Step(nordlinger.nordlinger_group, of_score="nordlinger_score"),
    "oslo_score": _Step(oslo.oslo_score),
    "oslo_group": _Step(oslo.oslo_group, of_score="oslo_score"),
    "rfa_eligible": _Step(eligibility.rfa_eligible),
    "mwa_eligible": _Step(eligibility.mwa_eligible),
    "sbrt_eligible": _Step(eligibility.sbrt_eligible),
    "flr_adequate": _Step(eligibility.flr_adequate),
    "neoadjuvant_cycles_within_limit": _Step(eligibility.neoadjuvant_cycles_within_limit),
    "oxaliplatin_within_12_months": _Step(eligibility.oxaliplatin_within_12_months),
    "surgery_within_months_of_chemo": _Step(neoadjuvant.surgery_within_months_of_chemo),
    "upfront_surgery_candidate": _Step(neoadjuvant.upfront_surgery_candidate),
    "transplant_selection": _Step(transplant.transplant_selection),
    "ned_route": _Step(recurrence.ned_route),
    "recurrence_timing": _Step(recurrence.recurrence_timing),
    "recurrence_pattern": _Step(recurrence.recurrence_pattern),
    "recurrence_retreatment": _Step(recurrence.recurrence_retreatment),
}


def apply_all(cohort_or_frame: Any, **options: dict[str, Any]) -> pd.DataFrame:
    """Add every derivable category, score and eligibility flag as columns.

    Sources: each column's own function (see :data:`STRATIFIERS` and the function docstrings:
    2025 Chinese CRLM guideline, China Journal of General Surgery 2025;34(8):1565-1588,
    sections 1.1-1.5, 3.1-3.2.3, 4.1.1-4.1.4, 4.2, 5.1.1, 6.2.1 (seed 004); Fong, Ann Surg
    1999;230(3):309-318; Sasaki, Ann Surg 2018; Margonis, Br J Surg 2018;105(9):1210-1220;
    Brudvik, Ann Surg 2019;269(1):120-126; Nordlinger, Cancer 1996;77(7):1254-1262; Dueland,
    Am J Transplant 2020;20(2):530-537; Vigano, Ann Surg Oncol 2014;21(4):1276-1286; seed 002).

    All stratifiers of one call share their column reads and sub-results (timing, RAS class,
    derived strategy, extrahepatic classes), and values and reasons are built as integer codes
    into the few distinct levels and texts, so a million-row registry takes about as long as
    loading it (``benchmarks/bench_stratify.py``).

    For every stratifier ``name`` in :data:`STRATIFIERS` whose input columns are (at least
    partly) present, the result gets:

    * ``name`` -- the value (Categorical, nullable Int64/Float64 score, or nullable boolean);
    * ``name_reason`` -- why the value is missing, clinical item first (a ``category`` column:
      one code per patient into the few distinct reasons; NA where classified);
    * ``name_assumed`` -- only for scores computed with ``missing_as_zero=True``: which
      components were counted as 0 (``category``).

    :func:`~crlm_outcomes.stratify.explain`, :func:`~crlm_outcomes.stratify.reasons` and
    :func:`~crlm_outcomes.stratify.rule` take the result with a column name, e.g.
    ``explain(result, "fong_score")``.

    Stratifiers with none of their input columns present are left out and listed, with the
    reason, in ``result.attrs["not_derived"]``; ``result.attrs["stratify"]`` records the rule
    and source of every column added (and, for groups defined by an event after diagnosis,
    ``defined_by``: the survival functions warn about immortal time when such a group is
    compared without an entry time). Existing columns of the same names are replaced. A bad
    value in an input column raises an :class:`~crlm_outcomes.errors.InputError` naming the row.

    Parameters
    ----------
    cohort_or_frame
        A canonical cohort DataFrame, or a Cohort (any object with a ``.data`` DataFrame).
    **options
        Per-stratifier keyword options, keyed by output name, e.g.
        ``apply_all(df, liver_mets_timing={"convention": "adam_2015", "window_months": 3},
        fong_score={"missing_as_zero": True}, fong_group={"high_from": 3})``. Options of a
        score apply to its group too (the group is cut from that score).

    Returns
    -------
    pandas.DataFrame
        A copy of the data with the new columns appended, in :data:`STRATIFIERS` order.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.stratify import apply_all, explain
    >>> df = pd.DataFrame({"primary_site_icdo3": ["C18.2", "C20.9", "C18.7", None],
    ...                    "braf_status": ["wild_type", "V600E", "wild_type", None]})
    >>> result = apply_all(df)
    >>> [c for c in result.columns if c not in df.columns][:4]
    ['primary_sidedness', 'primary_sidedness_reason', 'braf_class', 'braf_class_reason']
    >>> result["primary_sidedness"].tolist()  # caecum-transverse right; rectum, sigmoid left
    ['right', 'left', 'left', nan]
    >>> print(explain(result, "braf_class")["reason"].iloc[3])
    BRAF: not tested or unknown for this patient
    >>> "fong_score" in result.attrs["not_derived"]  # none of its columns present
    True
    """
    unknown = sorted(set(options) - set(STRATIFIERS))
    if unknown:
        raise SpecError(
            "unknown stratifier in apply_all options",
            column=unknown[0],
            value=unknown,
            expected=f"names from {list(STRATIFIERS)}",
        )
    for name, value in options.items():
        if not isinstance(value, dict):
            raise SpecError(
                "apply_all options must be dicts of keyword arguments",
                column=name,
                value=value,
                expected="e.g. {'missing_as_zero': True}",
            )
        _check_option_names(name, value)
    frame = cohort_or_frame
    if not isinstance(frame, pd.DataFrame) and hasattr(frame, "data"):
        frame = frame.data
    if not isinstance(frame, pd.DataFrame):
        raise SpecError(
            "apply_all takes a DataFrame or a Cohort",
            value=type(frame).__name__,
            expected="pandas.DataFrame or an object with .data",
        )
    # work on a positional index so that duplicate labels in the caller's frame are harmless
    work = frame.reset_index(drop=True)
    columns: dict[str, Any] = {}
    added: dict[str, dict[str, str]] = {}
    not_derived: dict[str, str] = {}
    computed: dict[str, pd.Series] = {}
    with shared_reads():
        _run(work, options, columns, added, not_derived, computed)
    new = pd.DataFrame(columns, index=frame.index)
    result = pd.concat(
        [frame.drop(columns=[c for c in new.columns if c in frame.columns]), new], axis=1
    )
    result.attrs = dict(frame.attrs)
    result.attrs["stratify"] = added
    result.attrs["not_derived"] = not_derived
    return result


def _run(
    work: pd.DataFrame,
    options: dict[str, dict[str, Any]],
    columns: dict[str, Any],
    added: dict[str, dict[str, str]],
    not_derived: dict[str, str],
    computed: dict[str, pd.Series],
) -> None:
    """Compute every stratifier into ``columns`` (values, reasons as Categorical codes)."""
    for name, step in STRATIFIERS.items():
        kwargs = options.get(name, {})
        if step.of_score is not None:
            score = computed.get(step.of_score)
            if score is None:
                not_derived[name] = not_derived.get(step.of_score, f"{step.of_score} not derived")
                continue
            series = step.function(score, **kwargs)
        else:
            try:
                series = memo_call(step.function, work, **kwargs)
            except MissingColumnsError as exc:
                not_derived[name] = str(exc)
                continue
        computed[name] = series
        columns[name] = series.array
        columns[f"{name}_reason"] = _categorical(series, "reasons", work.index)
        if series.attrs.get("assumed"):
            columns[f"{name}_assumed"] = _categorical(series, "assumed", work.index)
        added[name] = {"rule": series.attrs["rule"], "source": series.attrs["source"]}
        if name in OUTCOME_DEFINED:
            added[name]["defined_by"] = OUTCOME_DEFINED[name]


def _categorical(series: pd.Series, key: str, index: pd.Index) -> pd.Categorical:
    """The stored texts of ``series.attrs[key]`` as a Categorical aligned to ``index``: the
    stored codes themselves when the result was built on ``index`` (no text is touched)."""
    stored = series.attrs[key]
    if isinstance(stored, ReasonMap) and stored.index is index:
        return pd.Categorical.from_codes(
            stored.codes.copy(), categories=pd.Index(list(stored.texts), dtype=object)
        )
    return (
        reason_texts(series).categorical()
        if key == "reasons"
        else ReasonMap.from_dict(dict(stored)).lookup(index).categorical()
    )


def _check_option_names(name: str, value: dict[str, Any]) -> None:
    """Every option of ``name`` must be a keyword of its function (a typo is a SpecError naming
    the option, not a TypeError from the call)."""
    params = list(inspect.signature(STRATIFIERS[name].function).parameters.values())[1:]
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return
    allowed = [
        p.name
        for p in params
        if p.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    for key in value:
        if key not in allowed:
            raise SpecError(
                f"unknown option {key!r} for stratifier {name!r}",
                column=name,
                value=key,
                expected=f"one of {allowed}"
                if allowed
                else "no options (this stratifier takes none)",
            )
