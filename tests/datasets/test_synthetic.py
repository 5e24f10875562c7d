"""Tests of crlm_outcomes.datasets.synthetic: schema conformance, consistency, determinism and the
calibration targets (issue acceptance criteria) on n = 5000.

Survival estimates use statsmodels (``SurvfuncRight``, ``PHReg``), independent of the package's
own survival engine.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.duration.survfunc import SurvfuncRight

from crlm_outcomes.datasets import synthetic
from crlm_outcomes.datasets.synthetic import (
    DEMO_N,
    GENERATING_HAZARD_RATIOS,
    OS_BASELINE,
    load_demo,
    synthetic_cohort,
    synthetic_frame,
    synthetic_truth,
)
from crlm_outcomes.errors import SpecError

N = 5000
SEED = 20251121
DPM = 30.4375
YAML_PATH = Path(__file__).resolve().parents[2] / "data_schema" / "canonical.yaml"


# ------------------------------------------------------------------------------------ helpers
@pytest.fixture(scope="module")
def schema() -> dict:
    return yaml.safe_load(YAML_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return synthetic_frame(N, SEED)


def months(end: pd.Series, start: pd.Series) -> np.ndarray:
    return ((end - start).dt.days / DPM).to_numpy(dtype=float, na_value=np.nan)


def surv_at(time: np.ndarray, event: np.ndarray, at: float = 60.0) -> float:
    """Kaplan-Meier survival at ``at`` months (statsmodels)."""
    sf = SurvfuncRight(time, event)
    i = np.searchsorted(sf.surv_times, at, side="right") - 1
    return 1.0 if i < 0 else float(sf.surv_prob[i])


def flag(values: pd.Series) -> np.ndarray:
    """Boolean-ish series to float with NaN for missing."""
    return values.astype("boolean").astype("Float64").to_numpy(dtype=float, na_value=np.nan)


def resected_os(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Resected patients with OS from the (first) liver resection."""
    res = frame[frame["liver_resection_date"].notna()]
    time = months(res["last_followup_date"], res["liver_resection_date"])
    event = (res["vital_status"] == "dead").to_numpy(dtype=float)
    return res, time, event


def clinical_covariates(res: pd.DataFrame) -> pd.DataFrame:
    """Observed non-molecular covariates of the generating model (NaN = not recorded)."""
    dfi = months(res["liver_mets_diagnosis_date"], res["primary_diagnosis_date"])
    number = res["liver_mets_number"].to_numpy(dtype=float, na_value=np.nan)
    size = res["liver_mets_largest_cm"].to_numpy(dtype=float)
    cea = res["cea_at_liver_diagnosis"].to_numpy(dtype=float)
    margin = res["margin_status"].astype(object)
    with np.errstate(invalid="ignore"):
        out = pd.DataFrame(
            {
                "age_per_10y": (res["age_at_diagnosis"].to_numpy() - 60.0) / 10.0,
                "right_sided": res["primary_site_icdo3"]
                .isin(["C18.0", "C18.2", "C18.3", "C18.4"])
                .to_numpy(dtype=float),
                "node_positive": flag(res["primary_node_positive"]),
                "dfi_lt_12m": (dfi < 12).astype(float),
                "multiple_lesions": np.where(np.isnan(number), np.nan, number > 1),
                "cea_gt_200": np.where(np.isnan(cea), np.nan, cea > 200),
                "largest_gt_5cm": np.where(np.isnan(size), np.nan, size > 5),
                "extrahepatic_disease": flag(res["extrahepatic_disease"]),
                "margin_r1": np.where(margin.isna(), np.nan, margin == "R1"),
                "margin_r2": np.where(margin.isna(), np.nan, margin == "R2"),
                "converted": 1.0 - flag(res["initially_resectable"]),
                "strategy_two_stage": res["two_stage_hepatectomy"].to_numpy(dtype=float),
                "strategy_alpps": res["alpps"].to_numpy(dtype=float),
            },
            index=res.index,
        )
    return out


def cox_hr(time: np.ndarray, event: np.ndarray, x: pd.DataFrame) -> pd.DataFrame:
    """Cox (Breslow ties) hazard ratios with statsmodels, complete cases."""
    ok = x.notna().all(axis=1).to_numpy() & ~np.isnan(time)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = PHReg(time[ok], x.to_numpy(dtype=float)[ok], status=event[ok], ties="breslow").fit()
    return pd.DataFrame({"hr": np.exp(fit.params), "se": fit.bse, "n": ok.sum()}, index=x.columns)


def ras_flags(res: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    mutant = ((res["kras_status"] == "mutant") | (res["nras_status"] == "mutant")).to_numpy()
    known = (res["kras_status"].notna() | res["nras_status"].notna()).to_numpy()
    return mutant.astype(float), known


# ------------------------------------------------------------------------ schema conformance
def _expected_columns(schema: dict) -> list[str]:
    return [
        name
        for name, spec in schema["columns"].items()
        if spec["group"] != "endpoints" and name != "source_row"
    ]


def test_columns_in_schema_order(frame, schema):
    assert list(frame.columns) == _expected_columns(schema)
    assert len(frame) == N
    assert isinstance(frame.index, pd.RangeIndex)


def test_dtypes_levels_and_bounds_match_yaml(frame, schema):
    for name in _expected_columns(schema):
        spec = schema["columns"][name]
        col = frame[name]
        kind = spec["dtype"]
        if kind == "string":
            assert isinstance(col.dtype, pd.StringDtype), name
            if "pattern" in spec:
                values = col.dropna().unique()
                bad = [v for v in values if not re.fullmatch(spec["pattern"], v)]
                assert not bad, (name, bad[:5])
        elif kind == "int":
            assert col.dtype == "Int64", name
        elif kind == "float":
            assert col.dtype == np.float64, name
        elif kind == "boolean":
            assert col.dtype == "boolean", name
        elif kind == "date":
            assert col.dtype == "datetime64[ns]", name
        elif kind == "category":
            assert isinstance(col.dtype, pd.CategoricalDtype), name
            assert list(col.cat.categories) == spec["levels"], name
            assert col.cat.ordered == bool(spec.get("ordered", False)), name
        else:
            raise AssertionError(f"unknown dtype {kind} for {name}")
        if "min" in spec:
            assert (col.dropna() >= spec["min"]).all(), name
        if "max" in spec:
            assert (col.dropna() <= spec["max"]).all(), name
        if spec.get("required"):
            assert col.notna().all(), name
    assert frame["patient_id"].is_unique
    assert frame["patient_id"].iloc[0] == "SYN000001"


def test_every_level_of_the_main_categoricals_occurs(frame):
    for name in (
        "surgical_strategy",
        "sex",
        "braf_status",
        "margin_status",
        "recist_response",
        "clavien_dindo_grade",
        "recurrence_site",
        "cause_of_death",
        "ablation_type",
        "primary_resection_type",
        "kras_status",
        "mmr_status",
        "her2_status",
    ):
        counts = frame[name].value_counts()
        assert (counts > 0).all(), (name, counts[counts == 0].index.tolist())
    sites = set(frame["primary_site_icdo3"].unique())
    assert sites == {f"C18.{i}" for i in range(10)} | {"C19.9", "C20.9"}


# ------------------------------------------------------------------------------ consistency
_ORDER = [  # (later, earlier): later must never be before earlier
    ("death_date", "primary_diagnosis_date"),
    ("death_date", "liver_mets_diagnosis_date"),
    ("recurrence_date", "primary_diagnosis_date"),
    ("recurrence_date", "liver_mets_diagnosis_date"),
    ("primary_resection_date", "primary_diagnosis_date"),
    ("liver_resection_date", "liver_mets_diagnosis_date"),
    ("death_date", "recurrence_date"),
    ("last_followup_date", "liver_mets_diagnosis_date"),
    ("last_followup_date", "recurrence_date"),
    ("last_followup_date", "primary_resection_date"),
    ("last_followup_date", "liver_resection_date"),
    ("last_followup_date", "second_liver_resection_date"),
    ("last_followup_date", "ablation_date"),
    ("last_followup_date", "liver_transplant_date"),
    ("neoadjuvant_start_date", "liver_mets_diagnosis_date"),
    ("neoadjuvant_end_date", "neoadjuvant_start_date"),
    ("liver_resection_date", "neoadjuvant_end_date"),
    ("second_liver_resection_date", "liver_resection_date"),
    ("recurrence_date", "liver_resection_date"),
    ("liver_mets_diagnosis_date", "oxaliplatin_last_date"),
    ("oxaliplatin_last_date", "primary_resection_date"),
    ("ablation_date", "liver_mets_diagnosis_date"),
    ("liver_transplant_date", "liver_mets_diagnosis_date"),
]


@pytest.mark.parametrize(("later", "earlier"), _ORDER)
def test_dates_in_order(frame, later, earlier):
    bad = frame[later] < frame[earlier]
    assert not bad.any(), frame.loc[bad, ["patient_id", earlier, later]].head()


def test_simulated_dates_are_whole_days():
    """Same-day events must compare equal after conversion: no fractional day numbers."""
    from crlm_outcomes.datasets import _synthetic_model as model

    cols = model.simulate(20000, np.random.default_rng(5)).columns
    for name in (
        "pdx",
        "ldx",
        "prim_res",
        "chemo_start",
        "chemo_end",
        "t0",
        "stage2",
        "rec",
        "death",
        "last_fu",
    ):
        values = cols[name][~np.isnan(cols[name])]
        assert (values == np.round(values)).all(), name


def test_outcome_fields_agree(frame):
    dead = frame["vital_status"] == "dead"
    assert (frame["death_date"].notna() == dead).all()
    assert (frame["cause_of_death"].notna() == dead).all()
    assert (frame.loc[dead, "last_followup_date"] == frame.loc[dead, "death_date"]).all()
    assert (frame["last_followup_date"] <= pd.Timestamp(synthetic.STUDY_CUTOFF)).all()
    assert frame["primary_diagnosis_date"].between(*synthetic.DIAGNOSIS_WINDOW).all()
    assert (frame["primary_diagnosis_date"].dt.year == frame["diagnosis_year"]).all()
    after = frame["recurrence_date"].notna() & frame["death_date"].notna()
    assert (frame.loc[after, "recurrence_date"] < frame.loc[after, "death_date"]).all()
    # recurrence only after liver-directed treatment; none without it
    none = frame["surgical_strategy"] == "no_liver_directed_therapy"
    assert frame.loc[none, "recurrence_date"].isna().all()
    # 90-day mortality is exactly death within 90 days of the liver operation, where known
    surgery = frame["liver_resection_date"].fillna(frame["liver_transplant_date"])
    within = ((frame["death_date"] - surgery).dt.days <= 90).to_numpy()
    known = frame["mortality_90d"].notna().to_numpy()
    assert (
        frame["mortality_90d"].to_numpy(dtype=bool, na_value=False)[known] == within[known]
    ).all()
    grade_v = (frame["clavien_dindo_grade"] == "V").to_numpy()
    assert within[grade_v].all()
    # node status agrees with the N category
    n_stage = frame["primary_n_stage"]
    node = frame["primary_node_positive"]
    both = n_stage.notna() & node.notna()
    assert ((n_stage[both] != "N0") == node[both]).all()
    # flags agree with the dates and strategy
    assert (
        frame["second_liver_resection_date"].notna()
        <= (frame["two_stage_hepatectomy"] | frame["alpps"])
    ).all()
    assert (frame["liver_transplant_date"].notna() == frame["liver_transplant"]).all()
    ras_mut = frame["kras_status"] == "mutant"
    assert frame.loc[frame["kras_codon"].notna(), "kras_status"].eq("mutant").all()
    assert not (ras_mut & (frame["braf_status"] == "V600E")).any()


def test_loads_with_nothing_quarantined(frame):
    from crlm_outcomes.io.load import load_cohort

    cohort = load_cohort(frame, profile="canonical")
    assert cohort.audit.rows_in == N
    assert cohort.audit.rows_quarantined == 0, cohort.audit.quarantine.head(10)
    assert cohort.audit.rows_loaded == N


def test_synthetic_cohort_and_demo():
    cohort = synthetic_cohort(400, 3)
    assert cohort.audit.rows_loaded == 400
    assert cohort.audit.rows_quarantined == 0
    demo = load_demo()
    assert demo.audit.rows_loaded == DEMO_N
    assert demo.audit.rows_quarantined == 0


# ------------------------------------------------------------------------------ determinism
def test_same_seed_same_frame():
    pd.testing.assert_frame_equal(synthetic_frame(500, 11), synthetic_frame(500, 11))
    assert not synthetic_frame(500, 11).equals(synthetic_frame(500, 12))


def test_chunked_generation_is_deterministic_and_consistent(monkeypatch):
    monkeypatch.setattr(synthetic, "CHUNK_SIZE", 170)
    a = synthetic_frame(500, 4)
    pd.testing.assert_frame_equal(a, synthetic_frame(500, 4))
    assert a["patient_id"].is_unique
    for later, earlier in _ORDER:
        assert not (a[later] < a[earlier]).any(), (later, earlier)
    truth = synthetic_truth(500, 4)
    assert list(truth["patient_id"]) == list(a["patient_id"])


@pytest.mark.parametrize(("n", "seed"), [(0, 1), (-5, 1), (True, 1), (2.5, 1), (10, -1), (10, "x")])
def test_invalid_arguments(n, seed):
    with pytest.raises(SpecError, match="must be"):
        synthetic_frame(n, seed)
    with pytest.raises(ValueError):
        synthetic_truth(n, seed)


# ------------------------------------------------------------------------------ calibration
def test_five_year_os_after_resection(frame):
    _, time, event = resected_os(frame)
    assert 0.40 <= surv_at(time, event) <= 0.50


def test_five_year_os_systemic_therapy_only(frame):
    sub = frame[frame["surgical_strategy"] == "no_liver_directed_therapy"]
    time = months(sub["last_followup_date"], sub["liver_mets_diagnosis_date"])
    event = (sub["vital_status"] == "dead").to_numpy(dtype=float)
    assert surv_at(time, event) <= 0.12


def test_recurrence_after_resection(frame):
    """1 - KM of recurrence-free at 5 years, recurrence = event, death censored."""
    res, _, _ = resected_os(frame)
    end = res["recurrence_date"].fillna(res["last_followup_date"])
    time = months(end, res["liver_resection_date"])
    event = res["recurrence_date"].notna().to_numpy(dtype=float)
    assert 0.60 <= 1.0 - surv_at(time, event) <= 0.75


def test_synchronous_fraction(frame):
    assert 0.45 <= frame["liver_mets_at_primary_diagnosis"].mean() <= 0.55


def test_molecular_prevalences(frame):
    mutant, known = ras_flags(frame)
    assert 0.40 <= mutant[known].mean() <= 0.50
    braf = frame["braf_status"].dropna()
    assert 0.05 <= (braf == "V600E").mean() <= 0.10
    assert 0.01 <= (braf == "non_V600E").mean() <= 0.03
    mmr = frame["mmr_status"].dropna()
    assert 0.02 <= (mmr == "dMMR_MSI_H").mean() <= 0.06
    her2 = frame["her2_status"].dropna()
    assert 0.015 <= (her2 == "positive").mean() <= 0.045


def test_ras_hazard_ratio_adjusted(frame):
    """Cox among resected patients with known RAS, OS from resection, adjusted for the other
    generating covariates as recorded (BRAF with an 'unknown' indicator)."""
    res, time, event = resected_os(frame)
    mutant, known = ras_flags(res)
    x = clinical_covariates(res)
    x.insert(0, "ras_mutant", mutant)
    x["braf_v600e"] = (res["braf_status"] == "V600E").to_numpy(dtype=float)
    x["braf_non_v600e"] = (res["braf_status"] == "non_V600E").to_numpy(dtype=float)
    x["braf_unknown"] = res["braf_status"].isna().to_numpy(dtype=float)
    hr = cox_hr(time[known], event[known], x[known])
    assert hr.loc["ras_mutant", "n"] > 1200
    assert 1.5 <= hr.loc["ras_mutant", "hr"] <= 1.9


def test_braf_v600e_hazard_ratio_adjusted(frame):
    res, time, event = resected_os(frame)
    known = res["braf_status"].notna().to_numpy()
    mutant, ras_known = ras_flags(res)
    x = clinical_covariates(res)
    x.insert(0, "braf_v600e", (res["braf_status"] == "V600E").to_numpy(dtype=float))
    x["braf_non_v600e"] = (res["braf_status"] == "non_V600E").to_numpy(dtype=float)
    x["ras_mutant"] = mutant
    x["ras_unknown"] = (~ras_known).astype(float)
    hr = cox_hr(time[known], event[known], x[known])
    assert 2.0 <= hr.loc["braf_v600e", "hr"] <= 3.0


def _fong(frame: pd.DataFrame) -> np.ndarray:
    """Fong clinical risk score (Fong, Ann Surg 1999;230:309); NaN when a factor is missing."""
    x = clinical_covariates(frame)
    parts = x[["node_positive", "dfi_lt_12m", "multiple_lesions", "cea_gt_200", "largest_gt_5cm"]]
    return parts.sum(axis=1, skipna=False).to_numpy()


def test_os_graded_by_fong_score(frame):
    res, time, event = resected_os(frame)
    score = _fong(res)
    groups = [score == 0, score == 1, score == 2, score == 3, score >= 4]
    surv = [surv_at(time[g], event[g]) for g in groups]
    assert all(a > b for a, b in zip(surv[:-1], surv[1:], strict=True)), surv
    low = surv_at(time[score <= 2], event[score <= 2])
    high = surv_at(time[score >= 3], event[score >= 3])
    assert low - high > 0.10


def test_os_graded_by_game_score(frame):
    """GAME (Margonis, BJS 2018): low 0-1, medium 2-3, high >= 4."""
    res, time, event = resected_os(frame)
    x = clinical_covariates(res)
    number = res["liver_mets_number"].to_numpy(dtype=float, na_value=np.nan)
    tbs = np.sqrt(res["liver_mets_largest_cm"].to_numpy() ** 2 + number**2)
    cea = res["cea_at_liver_diagnosis"].to_numpy()
    kras = res["kras_status"]
    with np.errstate(invalid="ignore"):
        score = (
            np.where(kras.isna(), np.nan, (kras == "mutant").to_numpy(dtype=float))
            + np.where(np.isnan(cea), np.nan, cea >= 20)
            + x["node_positive"].to_numpy()
            + np.where(np.isnan(tbs), np.nan, np.where(tbs >= 9, 2, tbs >= 3))
            + 2 * x["extrahepatic_disease"].to_numpy()
        )
    groups = [score <= 1, (score >= 2) & (score <= 3), score >= 4]
    surv = [surv_at(time[g], event[g]) for g in groups]
    assert surv[0] - surv[1] > 0.05 and surv[1] - surv[2] > 0.05, surv


def test_generating_hazard_ratios_recovered_from_truth():
    """Cox on the latent complete covariates, OS from the model's origin, recovers every
    generating HR within 4 standard errors."""
    frame = synthetic_frame(N, SEED)
    truth = synthetic_truth(N, SEED)
    time = months(frame["last_followup_date"], truth["origin_date"])
    event = (frame["vital_status"] == "dead").to_numpy(dtype=float)
    keys = list(GENERATING_HAZARD_RATIOS)
    hr = cox_hr(time, event, truth[keys])
    z = (np.log(hr["hr"]) - np.log(pd.Series(GENERATING_HAZARD_RATIOS))) / hr["se"]
    assert (z.abs() < 4).all(), z[z.abs() >= 4]
    # the central effects are estimated tightly at n = 5000
    for key in ("ras_mutant", "braf_v600e", "strategy_no_liver_directed"):
        assert abs(np.log(hr.loc[key, "hr"] / GENERATING_HAZARD_RATIOS[key])) < 0.15, key


def test_truth_latent_times_follow_the_weibull_baseline():
    """exp(lp) * (T / scale)^shape is Exp(1) under the generating model."""
    truth = synthetic_truth(20000, 9)
    e = (
        np.exp(truth["lp_os"])
        * (truth["death_months_latent"] / OS_BASELINE["scale_months"]) ** (OS_BASELINE["shape"])
    )
    assert abs(e.mean() - 1.0) < 0.03
    assert abs(np.median(e) - np.log(2.0)) < 0.03


def test_ninety_day_mortality_and_strategy_mix(frame):
    res = frame[frame["liver_resection_date"].notna()]
    assert 0.01 <= res["mortality_90d"].mean() <= 0.05
    mix = frame["surgical_strategy"].value_counts(normalize=True)
    assert 0.5 <= frame["liver_resection_date"].notna().mean() <= 0.7
    assert 0.2 <= mix["no_liver_directed_therapy"] <= 0.4
    assert mix["transplantation"] < 0.01
    assert (frame["surgical_strategy"].isna().mean()) < 0.1


def test_docstring_table_matches_the_generating_hazard_ratios():
    rows = re.findall(r"^(\w+)\s+(\d+\.\d\d)\s", synthetic.__doc__, flags=re.MULTILINE)
    documented = {name: float(hr) for name, hr in rows}
    assert documented == GENERATING_HAZARD_RATIOS
