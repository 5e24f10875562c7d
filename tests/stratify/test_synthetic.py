"""On the calibrated synthetic cohort: prognostic groups separate overall survival in the
published order, and every unclassified patient has a reason."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.duration.survfunc import SurvfuncRight, survdiff

from crlm_outcomes.datasets.synthetic import synthetic_frame
from crlm_outcomes.stratify import (
    STRATIFIERS,
    apply_all,
    derive_surgical_strategy,
    describe,
    strategy_disagreements,
)


@pytest.fixture(scope="module")
def cohort():
    frame = synthetic_frame(3000, 20251121)
    return frame, apply_all(frame)


def _overall_survival(frame):
    """OS in months (days / 30.4375) from diagnosis of the liver metastases."""
    dead = (frame["vital_status"] == "dead").to_numpy(dtype=bool, na_value=False)
    end = frame["death_date"].where(dead, frame["last_followup_date"])
    months = ((end - frame["liver_mets_diagnosis_date"]).dt.days / 30.4375).to_numpy(float)
    return months, dead.astype(float)


def _survival_at(months, event, mask, horizon=36.0):
    fit = SurvfuncRight(months[mask], event[mask])
    position = np.searchsorted(fit.surv_times, horizon, side="right") - 1
    return float(fit.surv_prob[position]) if position >= 0 else 1.0


@pytest.mark.parametrize("group", ["fong_group", "game_group"])
def test_groups_separate_survival_in_order(cohort, group):
    frame, stratified = cohort
    months, event = _overall_survival(frame)
    usable = ~np.isnan(months) & stratified[group].notna().to_numpy()
    levels = list(stratified[group].cat.categories)  # low ... high risk
    survival = []
    for level in levels:
        mask = usable & (stratified[group] == level).to_numpy()
        assert mask.sum() >= 200, (group, level, mask.sum())
        survival.append(_survival_at(months, event, mask))
    # 3-year OS falls from the lowest to the highest risk group, by a clear margin
    assert all(a - b > 0.05 for a, b in zip(survival[:-1], survival[1:], strict=True)), survival
    _, p_value = survdiff(
        months[usable], event[usable], stratified[group].astype(str).to_numpy()[usable]
    )
    assert p_value < 1e-6


def test_every_missing_value_is_explained(cohort):
    frame, stratified = cohort
    for name in stratified.attrs["stratify"]:
        missing = stratified[name].isna()
        assert stratified.loc[missing, f"{name}_reason"].notna().all(), name
        assert stratified.loc[~missing, f"{name}_reason"].isna().all(), name
    table = describe(stratified)
    assert (table.groupby("variable")["n"].sum() == len(frame)).all()
    assert set(stratified.attrs["stratify"]) <= set(STRATIFIERS)


def test_calibration_is_plausible(cohort):
    _, stratified = cohort
    sides = stratified["primary_sidedness"].value_counts(normalize=True)
    assert 0.2 < sides["right"] < 0.45  # about a third of CRC primaries are right-sided
    assert pd.api.types.is_integer_dtype(stratified["fong_score"].dtype)


def test_derived_strategy_agrees_with_recorded(cohort):
    frame, _ = cohort
    assert strategy_disagreements(frame).empty
    derived = derive_surgical_strategy(frame)
    recorded = frame["surgical_strategy"].notna()
    assert derived[recorded].notna().mean() > 0.95
