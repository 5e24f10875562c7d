"""Generating model of the synthetic CRLM cohort (see :mod:`crlm_outcomes.datasets.synthetic`).

Everything here is a pure, vectorised function of a :class:`numpy.random.Generator`: no loops over
patients. Dates are carried as float64 day numbers since 1970-01-01 (``NaN`` = missing) and turned
into ``datetime64[ns]`` only when the frame is assembled. The parameters, their sources and the
calibration are documented in the docstring of :mod:`crlm_outcomes.datasets.synthetic`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit, ndtr

from crlm_outcomes.schema.definition import canonical_definition

DAYS_PER_MONTH = 30.4375

#: Primary diagnoses are drawn uniformly over these calendar dates (inclusive).
DIAGNOSIS_WINDOW = ("2005-01-01", "2020-12-31")
#: Fixed administrative study cutoff (last possible date of follow-up).
STUDY_CUTOFF = "2022-12-31"
#: Liver metastases are only included when diagnosed at least this many days before the cutoff,
#: so that every patient's treatment falls before the cutoff (entry window of the cohort).
LIVER_ENTRY_MARGIN_DAYS = 548

#: Generating hazard ratios of overall survival (proportional hazards, Weibull baseline).
#: Time origin: first liver-directed treatment (liver resection, ablation, transplantation);
#: liver-metastasis diagnosis for patients without liver-directed therapy.
GENERATING_HAZARD_RATIOS: dict[str, float] = {
    "age_per_10y": 1.10,  # (age - 60) / 10, continuous
    "right_sided": 1.15,
    "ras_mutant": 1.85,
    "braf_v600e": 2.60,
    "braf_non_v600e": 1.20,
    "node_positive": 1.45,
    "dfi_lt_12m": 1.40,
    "multiple_lesions": 1.40,
    "cea_gt_200": 1.70,
    "largest_gt_5cm": 1.45,
    "tbs_3_to_9": 1.15,
    "tbs_ge_9": 1.40,
    "extrahepatic_disease": 1.60,
    "hepatic_lymph_nodes": 1.50,
    "margin_r1": 1.35,
    "margin_r2": 2.00,
    "converted": 1.25,
    "strategy_two_stage": 1.15,
    "strategy_alpps": 1.30,
    "strategy_ablation_only": 1.25,
    "strategy_transplantation": 0.80,
    "strategy_no_liver_directed": 3.50,
}

#: Weibull baseline of OS: S0(t) = exp(-(t / scale)^shape), t in months, for the reference patient
#: (all indicators 0, age 60).
OS_BASELINE: dict[str, float] = {"shape": 1.15, "scale_months": 280.0}

#: Generating hazard ratios of the *latent* time to first recurrence/progression after
#: liver-directed treatment (PH, Weibull baseline). See the coupling rule in the module docstring
#: of :mod:`crlm_outcomes.datasets.synthetic`: observed recurrence is not exactly PH.
GENERATING_RECURRENCE_HAZARD_RATIOS: dict[str, float] = {
    "age_per_10y": 0.97,
    "right_sided": 1.05,
    "ras_mutant": 1.40,
    "braf_v600e": 1.80,
    "braf_non_v600e": 1.10,
    "node_positive": 1.30,
    "dfi_lt_12m": 1.30,
    "multiple_lesions": 1.35,
    "cea_gt_200": 1.40,
    "largest_gt_5cm": 1.20,
    "tbs_3_to_9": 1.10,
    "tbs_ge_9": 1.30,
    "extrahepatic_disease": 1.50,
    "hepatic_lymph_nodes": 1.40,
    "margin_r1": 1.40,
    "margin_r2": 1.00,
    "converted": 1.30,
    "strategy_two_stage": 1.20,
    "strategy_alpps": 1.20,
    "strategy_ablation_only": 1.50,
    "strategy_transplantation": 1.00,
    "strategy_no_liver_directed": 1.00,
    "not_ned": 3.00,
}

#: Weibull baseline of the latent recurrence time (months).
RECURRENCE_BASELINE: dict[str, float] = {"shape": 0.80, "scale_months": 200.0}

#: Gaussian-copula correlation between the latent death and recurrence variates.
DEATH_RECURRENCE_COPULA_RHO = 0.6
#: Probability that a death occurring before the latent recurrence (and > 90 days after treatment)
#: is nevertheless preceded by a recorded recurrence/progression.
RECURRENCE_BEFORE_DEATH_PROB = 0.5
#: Monthly hazard of random loss to follow-up (exponential, from the origin).
LOSS_TO_FOLLOWUP_RATE = 0.002

ICDO3_SITES = np.array(
    [
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
    ]
)
#: Topography distribution of colorectal primaries with liver metastases (about 30% right-sided,
#: 30% rectal), after registry series (SEER stage IV colorectal).
ICDO3_PROBS = np.array([0.09, 0.005, 0.10, 0.04, 0.07, 0.03, 0.04, 0.25, 0.015, 0.02, 0.07, 0.27])
RIGHT_SITES = ("C18.0", "C18.2", "C18.3", "C18.4")
LEFT_SITES = ("C18.5", "C18.6", "C18.7", "C19.9", "C20.9")

STRATEGIES = canonical_definition().columns["surgical_strategy"].declared_levels  # canonical.yaml
S_SIM, S_STAGED, S_LFIRST, S_TWO, S_ALPPS, S_ABL, S_LT, S_NONE, S_META = (
    STRATEGIES.index(level)
    for level in (
        "simultaneous",
        "staged_primary_first",
        "liver_first",
        "two_stage_hepatectomy",
        "alpps",
        "ablation_only",
        "transplantation",
        "no_liver_directed_therapy",
        "metachronous_hepatectomy",
    )
)

REGIMENS = np.array(
    [
        "FOLFOX",
        "CAPOX",
        "FOLFIRI",
        "FOLFOXIRI",
        "FOLFOX+bevacizumab",
        "CAPOX+bevacizumab",
        "FOLFIRI+bevacizumab",
        "FOLFOXIRI+bevacizumab",
        "FOLFOX+cetuximab",
        "FOLFIRI+cetuximab",
        "FOLFOX+panitumumab",
    ]
)
REGIMEN_OXALIPLATIN = np.array(
    [True, True, False, True, True, True, False, True, True, False, True]
)
REGIMEN_CYCLE_DAYS = np.array([14, 21, 14, 14, 14, 21, 14, 14, 14, 14, 14])
REGIMEN_ANTI_EGFR = np.array([False] * 8 + [True] * 3)
REGIMEN_BEVACIZUMAB = np.array(
    [False, False, False, False, True, True, True, True, False, False, False]
)
REGIMEN_FOLFOXIRI = np.array(
    [False, False, False, True, False, False, False, True, False, False, False]
)

EXTRAHEPATIC_SITES = ("lung", "peritoneum", "distant_nodes", "bone", "brain", "other")
EXTRAHEPATIC_SITE_PROBS = np.array([0.55, 0.20, 0.14, 0.04, 0.01, 0.06])


def day_number(date: str) -> float:
    """Days since 1970-01-01 of an ISO date."""
    return float(np.datetime64(date, "D").astype(np.int64))


def _choice(rng: np.random.Generator, n: int, probs: np.ndarray) -> np.ndarray:
    """Vectorised categorical draw with one probability vector."""
    cum = np.cumsum(probs) / np.sum(probs)
    return np.minimum(np.searchsorted(cum, rng.random(n), side="right"), len(probs) - 1)


def _choice_rows(
    rng: np.random.Generator, n: int, weights: Sequence[np.ndarray | float]
) -> np.ndarray:
    """Vectorised categorical draw with per-patient weights.

    ``weights[j]`` is the (unnormalised) weight of category ``j``, a scalar or an array of length
    ``n``. Works column by column so that no ``n x k`` matrix is allocated.
    """
    total = np.zeros(n)
    for w in weights:
        total += w
    u = rng.random(n) * total
    idx = np.zeros(n, dtype=np.int64)
    cum = np.zeros(n)
    for w in weights[:-1]:
        cum += w
        idx += u >= cum
    return idx


def _where_rows(cond: np.ndarray, a: Sequence[float], b: Sequence[float]) -> list[np.ndarray]:
    """Per-category weights: vector ``a`` where ``cond`` else vector ``b``."""
    return [np.where(cond, x, y) for x, y in zip(a, b, strict=True)]


def _uniform_days(rng: np.random.Generator, n: int, low: float, high: float) -> np.ndarray:
    """Whole days uniformly in [low, high]."""
    return np.floor(rng.uniform(low, high + 1, n))


@dataclass(frozen=True)
class Simulation:
    """Raw arrays of one simulated cohort (internal)."""

    columns: dict[str, np.ndarray]
    truth: dict[str, np.ndarray]


def linear_predictor(cov: dict[str, np.ndarray], hazard_ratios: dict[str, float]) -> np.ndarray:
    """Sum of log(HR) x covariate over the keys of ``hazard_ratios``."""
    lp = np.zeros(next(iter(cov.values())).shape[0])
    for key, hr in hazard_ratios.items():
        lp += np.log(hr) * cov[key]
    return lp


def _demographics(rng: np.random.Generator, n: int, s: Mapping[str, Any]) -> dict[str, Any]:
    """Demographics and the primary tumour (site, T, N, grade)."""
    pdx = _uniform_days(rng, n, day_number(DIAGNOSIS_WINDOW[0]), day_number(DIAGNOSIS_WINDOW[1]))
    year = (
        pdx.astype(np.int64).astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    )
    era = (year - 2005) / 15.0  # 0 .. 1 over the diagnosis window
    age = np.round(np.clip(rng.normal(64.0, 11.0, n), 22.0, 95.0), 1)
    male = rng.random(n) < 0.58
    site_idx = _choice(rng, n, ICDO3_PROBS)
    right = np.isin(ICDO3_SITES, RIGHT_SITES)[site_idx]
    left = np.isin(ICDO3_SITES, LEFT_SITES)[site_idx]
    rectal = (ICDO3_SITES == "C20.9")[site_idx]

    # T: T1, T2, T3, T4 (NOS), T4a, T4b
    t_code = _choice(rng, n, np.array([0.02, 0.06, 0.62, 0.06, 0.16, 0.08]))
    t_levels_idx = np.array([2, 3, 4, 5, 6, 7])[t_code]  # index into T0..T4b levels
    node_pos = rng.random(n) < np.where(t_code >= 3, 0.72, 0.58)
    # N levels: N0 N1 N1a N1b N1c N2 N2a N2b
    n_pos_code = _choice(rng, n, np.array([0.06, 0.20, 0.22, 0.03, 0.05, 0.26, 0.18]))
    n_levels_idx = np.where(node_pos, n_pos_code + 1, 0)
    grade_idx = _choice(rng, n, np.array([0.08, 0.68, 0.21, 0.03]))
    return {
        "age": age,
        "era": era,
        "grade_idx": grade_idx,
        "left": left,
        "male": male,
        "n_levels_idx": n_levels_idx,
        "node_pos": node_pos,
        "pdx": pdx,
        "rectal": rectal,
        "right": right,
        "site_idx": site_idx,
        "t_levels_idx": t_levels_idx,
        "year": year,
    }


def _molecular_truth(rng: np.random.Generator, n: int, s: Mapping[str, Any]) -> dict[str, Any]:
    """True molecular status (RAS, BRAF, MMR, HER2), by sidedness."""
    right, left = s["right"], s["left"]
    braf_v600e = rng.random(n) < np.where(right, 0.14, np.where(left, 0.035, 0.07))
    braf_non_v600e = ~braf_v600e & (rng.random(n) < 0.02)
    ras_mut = ~braf_v600e & (rng.random(n) < np.where(right, 0.58, 0.51))
    nras_mut = ras_mut & (rng.random(n) < 0.08)
    kras_mut = ras_mut & ~nras_mut
    kras_exon = np.where(kras_mut, 2 + _choice(rng, n, np.array([0.85, 0.05, 0.10])), 0)
    u = rng.random(n)
    kras_codon = np.select(
        [kras_exon == 2, kras_exon == 3, kras_exon == 4],
        [np.where(u < 0.78, 12, 13), np.where(u < 0.15, 59, 61), np.where(u < 0.25, 117, 146)],
        0,
    )
    nras_exon = np.where(nras_mut, 2 + _choice(rng, n, np.array([0.40, 0.55, 0.05])), 0)
    u = rng.random(n)
    nras_codon = np.select(
        [nras_exon == 2, nras_exon == 3, nras_exon == 4],
        [np.where(u < 0.7, 12, 13), np.where(u < 0.1, 59, 61), np.where(u < 0.3, 117, 146)],
        0,
    )
    dmmr = rng.random(n) < np.where(braf_v600e, 0.22, np.where(right, 0.05, 0.015))
    her2_pos = rng.random(n) < np.where(~ras_mut & ~braf_v600e & left, 0.06, 0.004)
    return {
        "braf_non_v600e": braf_non_v600e,
        "braf_v600e": braf_v600e,
        "dmmr": dmmr,
        "her2_pos": her2_pos,
        "kras_codon": kras_codon,
        "kras_exon": kras_exon,
        "kras_mut": kras_mut,
        "nras_codon": nras_codon,
        "nras_exon": nras_exon,
        "nras_mut": nras_mut,
        "ras_mut": ras_mut,
    }


def _liver_timing(rng: np.random.Generator, n: int, s: Mapping[str, Any]) -> dict[str, Any]:
    """Synchronous or metachronous liver metastases and their diagnosis date."""
    rectal, liver_limit, pdx = s["rectal"], s["liver_limit"], s["pdx"]
    synchronous = rng.random(n) < 0.50
    # synchronous: liver mets found at (same day), shortly after, or shortly before the primary
    kind = _choice(rng, n, np.array([0.55, 0.30, 0.15]))
    sync_offset = np.select(
        [kind == 0, kind == 1],
        [np.zeros(n), _uniform_days(rng, n, 1, 30)],
        -_uniform_days(rng, n, 1, 21),
    )
    # metachronous: primary resected first (rectum after neoadjuvant chemoradiation)
    prim_lag = np.where(rectal, _uniform_days(rng, n, 90, 150), _uniform_days(rng, n, 14, 56))
    gap = np.maximum(90.0, np.floor(np.exp(rng.normal(np.log(420.0), 0.75, n))))
    room = liver_limit - (pdx + prim_lag)
    too_late = ~synchronous & (pdx + prim_lag + gap > liver_limit)
    gap = np.where(too_late, 90.0 + np.floor(rng.random(n) * np.maximum(room - 90.0, 0.0)), gap)
    late_primary = ~synchronous & (room < 90.0)
    synchronous = synchronous | late_primary  # too late to be metachronous within the window
    ldx = np.where(synchronous, pdx + sync_offset, pdx + prim_lag + gap)
    ldx = np.minimum(ldx, liver_limit)
    dfi_days = ldx - pdx
    dfi_lt_12 = dfi_days < 12 * DAYS_PER_MONTH
    return {"dfi_lt_12": dfi_lt_12, "ldx": ldx, "prim_lag": prim_lag, "synchronous": synchronous}


def _tumour_burden(rng: np.random.Generator, n: int, s: Mapping[str, Any]) -> dict[str, Any]:
    """Liver tumour burden, extrahepatic disease, hepatic nodes and CEA."""
    synchronous = s["synchronous"]
    single = rng.random(n) < np.where(synchronous, 0.36, 0.50)
    extra = np.floor(np.exp(rng.normal(np.log(2.2), 0.85, n)))
    n_les = np.clip(np.where(single, 1.0, 2.0 + extra), 1, 200).astype(np.int64)
    size = np.round(
        np.clip(np.exp(rng.normal(np.log(np.where(synchronous, 3.4, 2.9)), 0.6, n)), 0.4, 25.0), 1
    )
    bilobar = (n_les > 1) & (rng.random(n) < np.minimum(0.9, 1 - np.exp(-0.35 * (n_les - 1))))
    ehd = rng.random(n) < np.where(synchronous, 0.20, 0.12)
    n_sites = np.where(rng.random(n) < 0.85, 1, 2)
    site_a = _choice(rng, n, EXTRAHEPATIC_SITE_PROBS)
    site_b = _choice(rng, n, EXTRAHEPATIC_SITE_PROBS)
    ehd_mask = np.where(ehd, (1 << site_a) | np.where(n_sites == 2, 1 << site_b, 0), 0)
    hln = rng.random(n) < np.where(n_les >= 4, 0.08, 0.03)
    log_cea = (
        np.log(12.0)
        + 0.25 * np.log(n_les)
        + 0.45 * np.log(size / 3.0)
        + 0.3 * ehd
        + rng.normal(0.0, 1.6, n)
    )
    cea = np.round(np.clip(np.exp(log_cea), 0.3, 60000.0), 1)
    tbs = np.sqrt(size**2 + n_les.astype(np.float64) ** 2)
    return {
        "bilobar": bilobar,
        "cea": cea,
        "ehd": ehd,
        "ehd_mask": ehd_mask,
        "hln": hln,
        "n_les": n_les,
        "size": size,
        "tbs": tbs,
    }


def _molecular_tests(rng: np.random.Generator, n: int, s: Mapping[str, Any]) -> dict[str, Any]:
    """Which molecular tests were done (by era) and what they showed."""
    era, year, kras_mut, kras_exon = s["era"], s["year"], s["kras_mut"], s["kras_exon"]
    nras_mut = s["nras_mut"]
    kras_tested = rng.random(n) < 0.45 + 0.5 * era
    extended = year >= 2013
    kras_ext = kras_tested & (rng.random(n) < np.where(extended, 0.90, 0.05))
    kras_seen = kras_tested & kras_mut & ((kras_exon == 2) | kras_ext)
    nras_tested = kras_tested & (
        rng.random(n) < np.where(extended, np.where(kras_seen, 0.4, 0.9), 0.05)
    )
    nras_seen = nras_tested & nras_mut
    braf_tested = rng.random(n) < (0.2 + 0.7 * era) * np.where(kras_seen, 0.8, 1.0)
    mmr_tested = rng.random(n) < 0.25 + 0.6 * era
    her2_tested = rng.random(n) < np.where(
        year >= 2015, np.where(kras_seen | nras_seen, 0.1, 0.45), 0.03
    )
    ras_seen_wt = kras_tested & ~kras_seen & (nras_tested & ~nras_seen | ~extended)
    return {
        "braf_tested": braf_tested,
        "her2_tested": her2_tested,
        "kras_ext": kras_ext,
        "kras_seen": kras_seen,
        "kras_tested": kras_tested,
        "mmr_tested": mmr_tested,
        "nras_seen": nras_seen,
        "nras_tested": nras_tested,
        "ras_seen_wt": ras_seen_wt,
    }


def _allocation(rng: np.random.Generator, n: int, s: Mapping[str, Any]) -> dict[str, Any]:
    """Resectability, conversion, transplantation, ablation and the surgical strategy."""
    n_les, size, ehd, bilobar, hln = s["n_les"], s["size"], s["ehd"], s["bilobar"], s["hln"]
    age, ras_mut, braf_v600e, year = s["age"], s["ras_mut"], s["braf_v600e"], s["year"]
    ldx, cutoff, era, rectal = s["ldx"], s["cutoff"], s["era"], s["rectal"]
    synchronous = s["synchronous"]
    score = (
        1.9
        - 0.33 * np.minimum(n_les, 15)
        - 0.18 * np.maximum(size - 5.0, 0.0)
        - 1.3 * ehd
        - 0.35 * bilobar
        - 1.0 * hln
        - 0.03 * (age - 65.0)
    )
    init_res = rng.random(n) < expit(score)
    small = (n_les <= 3) & (size <= 3.0)
    strategy = np.full(n, S_NONE)
    u = rng.random(n)
    p_refuse = 0.04 + 0.15 * (age > 80)
    p_abl_res = np.where(small, 0.28, 0.03)
    abl = init_res & (u >= p_refuse) & (u < p_refuse + p_abl_res)
    resect = init_res & (u >= p_refuse + p_abl_res)
    # initially unresectable: conversion, transplantation, ablation, or systemic therapy only
    eligible_lt = (
        ~init_res
        & ~ehd
        & ~ras_mut
        & ~braf_v600e
        & (age < 70)
        & (year >= 2006)
        & (ldx <= cutoff - 30 * DAYS_PER_MONTH)
    )
    p_conv = expit(
        -0.6
        - 0.08 * np.minimum(n_les, 20)
        - 0.9 * ehd
        + 0.6 * era
        - 0.4 * ras_mut
        - 0.8 * braf_v600e
    )
    u = rng.random(n)
    lt = eligible_lt & (u < 0.035)
    conv = ~init_res & ~lt & (u >= 0.035) & (u < 0.035 + p_conv)
    p_abl_unres = np.where((n_les <= 5) & (size <= 5.0), 0.10, 0.0)
    abl |= ~init_res & ~lt & ~conv & (rng.random(n) < p_abl_unres)
    resect |= conv
    converted = conv
    strategy = np.where(abl, S_ABL, strategy)
    strategy = np.where(lt, S_LT, strategy)
    # resection strategy
    big = bilobar & (n_les >= 4)
    u = rng.random(n)
    p_two = np.where(big, 0.30, 0.015)
    p_alpps = np.where(big & (year >= 2012), 0.07, 0.0)
    two = resect & (u < p_two)
    alpps = resect & ~two & (u < p_two + p_alpps)
    one = resect & ~two & ~alpps
    # synchronous one-stage resections: simultaneous / staged primary-first / liver-first
    sync_weights: list[np.ndarray | float] = [
        np.where(big | (size > 5), 0.22, 0.42),
        0.42,
        np.where(rectal, 0.30, 0.10),
    ]
    sync_choice = np.array([S_SIM, S_STAGED, S_LFIRST])[_choice_rows(rng, n, sync_weights)]
    # a one-stage resection of metachronous metastases is a metachronous hepatectomy
    # (2025 Chinese guideline section 4.1.3), not a staged resection
    strategy = np.where(one, np.where(synchronous, sync_choice, S_META), strategy)
    strategy = np.where(two, S_TWO, strategy)
    strategy = np.where(alpps, S_ALPPS, strategy)
    treated = strategy != S_NONE
    return {
        "big": big,
        "converted": converted,
        "init_res": init_res,
        "lt": lt,
        "resect": resect,
        "strategy": strategy,
        "treated": treated,
    }


def _systemic_therapy(rng: np.random.Generator, n: int, s: Mapping[str, Any]) -> dict[str, Any]:
    """Adjuvant and neoadjuvant chemotherapy: regimen, cycles and response."""
    synchronous, node_pos, treated = s["synchronous"], s["node_pos"], s["treated"]
    converted, lt, strategy, era, year = s["converted"], s["lt"], s["strategy"], s["era"], s["year"]
    ras_seen_wt, braf_v600e = s["ras_seen_wt"], s["braf_v600e"]
    adjuvant = ~synchronous & node_pos & (rng.random(n) < 0.65)
    recent_oxali = adjuvant  # seed 004 section 3.2.2: FOLFIRI after recent oxaliplatin
    neo = treated & (
        rng.random(n)
        < np.select(
            [
                converted | lt | (strategy == S_TWO) | (strategy == S_ALPPS),
                strategy == S_LFIRST,
                strategy == S_ABL,
            ],
            [1.0, 0.85, 0.35],
            0.30 + 0.25 * era,
        )
    )
    anti_egfr_ok = (year >= 2009) & ras_seen_wt & ~braf_v600e
    intensive = converted | lt | (strategy == S_TWO) | (strategy == S_ALPPS)
    base = np.array([0.30, 0.22, 0.10, 0.03, 0.10, 0.05, 0.05, 0.02, 0.05, 0.03, 0.02])
    f_bev = np.where(year >= 2006, 1.0, 0.1)
    f_intensive = np.where(intensive, 4.0, 1.0)
    f_oxali = np.where(recent_oxali, 0.15, 1.0)
    weights = []
    for j in range(len(REGIMENS)):
        wj = np.full(n, base[j])
        if REGIMEN_BEVACIZUMAB[j]:
            wj *= f_bev
        if REGIMEN_BEVACIZUMAB[j] or REGIMEN_ANTI_EGFR[j] or REGIMEN_FOLFOXIRI[j]:
            wj *= f_intensive
        if REGIMEN_ANTI_EGFR[j]:
            wj *= anti_egfr_ok
        if REGIMEN_OXALIPLATIN[j]:
            wj *= f_oxali
        weights.append(wj)
    regimen = _choice_rows(rng, n, weights)
    cycles = np.select(
        [lt, intensive],
        [rng.integers(12, 25, n), rng.integers(6, 13, n)],
        rng.choice(np.array([3, 4, 4, 5, 6, 6, 6, 6, 8]), n),
    )
    cycle_days = REGIMEN_CYCLE_DAYS[regimen]
    recist = _choice_rows(
        rng, n, _where_rows(intensive, [0.05, 0.68, 0.24, 0.03], [0.03, 0.45, 0.41, 0.11])
    )
    return {
        "adjuvant": adjuvant,
        "cycle_days": cycle_days,
        "cycles": cycles,
        "neo": neo,
        "recist": recist,
        "regimen": regimen,
    }


def _treatment_dates(rng: np.random.Generator, n: int, s: Mapping[str, Any]) -> dict[str, Any]:
    """Dates of the primary resection, chemotherapy and the liver-phase origin."""
    synchronous, pdx, prim_lag, rectal = s["synchronous"], s["pdx"], s["prim_lag"], s["rectal"]
    strategy, ldx, neo, cycles = s["strategy"], s["ldx"], s["neo"], s["cycles"]
    cycle_days, lt, treated = s["cycle_days"], s["lt"], s["treated"]
    nan = np.full(n, np.nan)
    prim_res = np.where(synchronous, nan, pdx + prim_lag)
    prim_type = np.where(synchronous, -1, np.where(rectal, 2, 1))  # -1: decide below
    # synchronous primary resected before the liver (staged, two-stage, ALPPS, ablation, LT)
    sync_first = synchronous & np.isin(strategy, [S_STAGED, S_TWO, S_ALPPS, S_ABL, S_LT])
    dx_last = np.maximum(pdx, ldx)  # both diagnoses established
    sync_first_date = dx_last + _uniform_days(rng, n, 14, 42)
    prim_res = np.where(sync_first, sync_first_date, prim_res)
    prim_type = np.where(sync_first, np.where(rectal, 2, 1), prim_type)
    ready = np.where(sync_first, sync_first_date, dx_last)  # earliest start of liver-phase care
    chemo_start = np.where(neo, ready + _uniform_days(rng, n, 14, 35), nan)
    chemo_end = np.where(neo, chemo_start + (cycles - 1) * cycle_days, nan)
    wait_after_chemo = _uniform_days(rng, n, 21, 42)
    wait_no_chemo = np.where(
        sync_first, _uniform_days(rng, n, 28, 56), _uniform_days(rng, n, 14, 42)
    )
    t0 = np.where(neo, chemo_end + wait_after_chemo, ready + wait_no_chemo)
    t0 = np.where(lt, np.maximum(t0, ldx + 365.0) + _uniform_days(rng, n, 0, 120), t0)
    t0 = np.where(treated, t0, dx_last)
    sim = strategy == S_SIM
    prim_res = np.where(sim, t0, prim_res)
    prim_type = np.where(sim, 3, prim_type)
    return {
        "chemo_end": chemo_end,
        "chemo_start": chemo_start,
        "dx_last": dx_last,
        "prim_res": prim_res,
        "prim_type": prim_type,
        "t0": t0,
    }


def _surgery(rng: np.random.Generator, n: int, s: Mapping[str, Any]) -> dict[str, Any]:
    """Major hepatectomy, margin, planned drop-out and NED at the origin."""
    resect, lt, strategy, n_les, size = s["resect"], s["lt"], s["strategy"], s["n_les"], s["size"]
    big, ehd, treated = s["big"], s["ehd"], s["treated"]
    surgery = resect | lt
    major = resect & (
        (strategy == S_TWO)
        | (strategy == S_ALPPS)
        | (rng.random(n) < expit(-1.3 + 0.25 * np.minimum(n_les, 10) + 0.25 * (size - 3)))
    )
    u = rng.random(n)
    p_r2 = np.where(resect, 0.02 + 0.02 * big, 0.0)
    p_r1 = np.where(resect, 0.12 + 0.06 * big + 0.04 * (size > 5), 0.0)
    margin = np.where(resect, np.where(u < p_r2, 2, np.where(u < p_r2 + p_r1, 1, 0)), -1)
    planned_dropout = ((strategy == S_TWO) & (rng.random(n) < 0.15)) | (
        (strategy == S_ALPPS) & (rng.random(n) < 0.05)
    )
    ehd_untreated = ehd & (rng.random(n) < 0.30)
    ned_gen = treated & (margin != 2) & ~planned_dropout & ~ehd_untreated
    ned_gen &= ~((strategy == S_ABL) & (rng.random(n) < 0.05))
    return {
        "major": major,
        "margin": margin,
        "ned_gen": ned_gen,
        "planned_dropout": planned_dropout,
        "surgery": surgery,
    }


def _generating_covariates(
    rng: np.random.Generator, n: int, s: Mapping[str, Any]
) -> dict[str, Any]:
    """The covariates of the generating hazard models and their linear predictors."""
    age, right, ras_mut, braf_v600e = s["age"], s["right"], s["ras_mut"], s["braf_v600e"]
    braf_non_v600e, node_pos, dfi_lt_12 = s["braf_non_v600e"], s["node_pos"], s["dfi_lt_12"]
    n_les, cea, size, tbs, ehd, hln = s["n_les"], s["cea"], s["size"], s["tbs"], s["ehd"], s["hln"]
    margin, converted, strategy, treated = s["margin"], s["converted"], s["strategy"], s["treated"]
    ned_gen = s["ned_gen"]
    cov = {
        "age_per_10y": (age - 60.0) / 10.0,
        "right_sided": right,
        "ras_mutant": ras_mut,
        "braf_v600e": braf_v600e,
        "braf_non_v600e": braf_non_v600e,
        "node_positive": node_pos,
        "dfi_lt_12m": dfi_lt_12,
        "multiple_lesions": n_les > 1,
        "cea_gt_200": cea > 200.0,
        "largest_gt_5cm": size > 5.0,
        "tbs_3_to_9": (tbs >= 3.0) & (tbs < 9.0),
        "tbs_ge_9": tbs >= 9.0,
        "extrahepatic_disease": ehd,
        "hepatic_lymph_nodes": hln,
        "margin_r1": margin == 1,
        "margin_r2": margin == 2,
        "converted": converted,
        "strategy_two_stage": strategy == S_TWO,
        "strategy_alpps": strategy == S_ALPPS,
        "strategy_ablation_only": strategy == S_ABL,
        "strategy_transplantation": strategy == S_LT,
        "strategy_no_liver_directed": strategy == S_NONE,
        "not_ned": treated & ~ned_gen,
    }
    lp_os = linear_predictor(cov, GENERATING_HAZARD_RATIOS)
    lp_rec = linear_predictor(cov, GENERATING_RECURRENCE_HAZARD_RATIOS)
    return {"cov": cov, "lp_os": lp_os, "lp_rec": lp_rec}


def _event_times(rng: np.random.Generator, n: int, s: Mapping[str, Any]) -> dict[str, Any]:
    """Death and recurrence times (Weibull, Gaussian copula) and censoring."""
    lp_os, lp_rec, t0, treated, cutoff = s["lp_os"], s["lp_rec"], s["t0"], s["treated"], s["cutoff"]
    z1 = rng.standard_normal(n)
    z2 = DEATH_RECURRENCE_COPULA_RHO * z1 + np.sqrt(1 - DEATH_RECURRENCE_COPULA_RHO**2) * (
        rng.standard_normal(n)
    )
    e_death = -np.log(ndtr(-z1))  # Exp(1): ndtr(-z) = 1 - Phi(z), a Uniform(0, 1)
    e_rec = -np.log(ndtr(-z2))
    death_m = OS_BASELINE["scale_months"] * (e_death * np.exp(-lp_os)) ** (
        1.0 / OS_BASELINE["shape"]
    )
    rec_latent_m = RECURRENCE_BASELINE["scale_months"] * (e_rec * np.exp(-lp_rec)) ** (
        1.0 / RECURRENCE_BASELINE["shape"]
    )
    death = t0 + np.maximum(1.0, np.round(death_m * DAYS_PER_MONTH))
    rec = t0 + np.maximum(21.0, np.round(rec_latent_m * DAYS_PER_MONTH))
    # coupling: most deaths are preceded by a recorded recurrence/progression
    died_first = rec >= death
    couple = (
        treated & died_first & (death - t0 > 90) & (rng.random(n) < RECURRENCE_BEFORE_DEATH_PROB)
    )
    post_rec = np.minimum(rng.gamma(2.0, 6.0 * DAYS_PER_MONTH, n), 0.8 * (death - t0))
    rec = np.where(couple, np.maximum(t0 + 21.0, np.round(death - post_rec)), rec)
    rec = np.where(treated & (rec < death), rec, np.nan)

    # censoring: administrative cutoff (last contact up to 4 months before it) and random loss
    admin = cutoff - _uniform_days(rng, n, 0, 120)
    loss = t0 + np.round(rng.exponential(1.0 / LOSS_TO_FOLLOWUP_RATE, n) * DAYS_PER_MONTH)
    censor = np.maximum(np.minimum(admin, loss), t0 + 1.0)
    dead = death <= censor
    last_fu = np.where(dead, death, censor)
    rec = np.where(rec <= last_fu, rec, np.nan)
    return {
        "censor": censor,
        "dead": dead,
        "death": death,
        "death_m": death_m,
        "last_fu": last_fu,
        "rec": rec,
        "rec_latent_m": rec_latent_m,
    }


def _post_origin(rng: np.random.Generator, n: int, s: Mapping[str, Any]) -> dict[str, Any]:
    """Procedures after the origin: second stages, liver-first and palliative primary resections."""
    t0, strategy, rec, last_fu = s["t0"], s["strategy"], s["rec"], s["last_fu"]
    planned_dropout, dead, death = s["planned_dropout"], s["dead"], s["death"]
    ned_gen, rectal, synchronous = s["ned_gen"], s["rectal"], s["synchronous"]
    dx_last, prim_res, prim_type = s["dx_last"], s["prim_res"], s["prim_type"]
    stage2_plan = t0 + np.where(
        strategy == S_TWO, _uniform_days(rng, n, 35, 84), _uniform_days(rng, n, 7, 14)
    )
    stage2_block = np.fmin(rec, last_fu)
    stage2_done = (
        np.isin(strategy, [S_TWO, S_ALPPS])
        & ~planned_dropout
        & (stage2_plan < stage2_block)
        & ~(dead & (death <= stage2_plan))
    )
    stage2 = np.where(stage2_done, stage2_plan, np.nan)
    ned = ned_gen & ~(np.isin(strategy, [S_TWO, S_ALPPS]) & ~stage2_done)
    # liver-first: primary after the liver; no liver-directed therapy: palliative primary resection
    lf = strategy == S_LFIRST
    lf_plan = t0 + np.where(rectal, _uniform_days(rng, n, 60, 150), _uniform_days(rng, n, 28, 90))
    palliative = synchronous & (strategy == S_NONE) & (rng.random(n) < 0.35)
    pal_plan = dx_last + _uniform_days(rng, n, 7, 42)
    plan = np.where(lf, lf_plan, np.where(palliative, pal_plan, np.nan))
    has_plan = lf | palliative
    done = has_plan & (plan <= last_fu) & ~(dead & (death <= plan))
    unknown = has_plan & ~done & ~(dead & (death <= plan))  # censored before the operation
    prim_res = np.where(has_plan, np.where(done, plan, np.nan), prim_res)
    prim_type = np.where(
        has_plan, np.where(done, np.where(rectal, 2, 1), np.where(unknown, -2, 0)), prim_type
    )
    prim_type = np.where(synchronous & (strategy == S_NONE) & ~palliative, 0, prim_type)
    other_type = (prim_type == 1) | (prim_type == 2)
    prim_type = np.where(other_type & (rng.random(n) < 0.02), 4, prim_type)
    return {"ned": ned, "prim_res": prim_res, "prim_type": prim_type, "stage2": stage2}


def _complications(rng: np.random.Generator, n: int, s: Mapping[str, Any]) -> dict[str, Any]:
    """Clavien-Dindo complications and 90-day mortality after surgery."""
    surgery, dead, death, t0, last_fu = s["surgery"], s["dead"], s["death"], s["t0"], s["last_fu"]
    major, lt, strategy = s["major"], s["lt"], s["strategy"]
    death90 = surgery & dead & (death - t0 <= 90)
    alive90_known = surgery & (last_fu - t0 > 90)
    cd = _choice_rows(  # none, I, II, IIIa, IIIb, IVa, IVb
        rng,
        n,
        _where_rows(
            major | lt | (strategy == S_ALPPS),
            [0.42, 0.12, 0.20, 0.12, 0.07, 0.045, 0.015],
            [0.60, 0.12, 0.15, 0.07, 0.03, 0.02, 0.01],
        ),
    )
    cd = np.where(death90 & (rng.random(n) < 0.85), 7, cd)
    cd = np.where(surgery, cd, -1)
    mort90 = np.where(death90, 1, np.where(alive90_known, 0, -1))
    mort90 = np.where(surgery, mort90, -1)
    return {"cd": cd, "death90": death90, "mort90": mort90}


def _recurrence_site_and_death(
    rng: np.random.Generator, n: int, s: Mapping[str, Any]
) -> dict[str, Any]:
    """Site of recurrence and cause of death."""
    strategy, rec, death90 = s["strategy"], s["rec"], s["death90"]
    rec_site = _choice_rows(
        rng, n, _where_rows(strategy == S_ABL, [0.65, 0.20, 0.15], [0.42, 0.38, 0.20])
    )
    has_rec = ~np.isnan(rec)
    cod_conditions = [strategy == S_NONE, has_rec, death90]
    cod_probs = [(0.88, 0.05, 0.07), (0.85, 0.05, 0.10), (0.10, 0.75, 0.15)]
    cod_default = (0.40, 0.45, 0.15)
    cod = _choice_rows(
        rng,
        n,
        [np.select(cod_conditions, [p[j] for p in cod_probs], cod_default[j]) for j in range(3)],
    )
    return {"cod": cod, "rec_site": rec_site}


def _assemble(s: Mapping[str, Any]) -> Simulation:
    """The simulation's columns (what a registry would record) and its truth (the
    generating covariates, linear predictors and latent times)."""
    columns = {
        "age": s["age"],
        "male": s["male"],
        "year": s["year"],
        "site_idx": s["site_idx"],
        "right": s["right"],
        "t_idx": s["t_levels_idx"],
        "n_idx": s["n_levels_idx"],
        "node_pos": s["node_pos"],
        "grade_idx": s["grade_idx"],
        "pdx": s["pdx"],
        "ldx": s["ldx"],
        "synchronous": s["synchronous"],
        "prim_res": s["prim_res"],
        "prim_type": s["prim_type"],
        "n_les": s["n_les"],
        "size": s["size"],
        "bilobar": s["bilobar"],
        "hln": s["hln"],
        "ehd": s["ehd"],
        "ehd_mask": s["ehd_mask"],
        "cea": s["cea"],
        "kras_tested": s["kras_tested"],
        "kras_ext": s["kras_ext"],
        "kras_seen": s["kras_seen"],
        "kras_exon": s["kras_exon"],
        "kras_codon": s["kras_codon"],
        "nras_tested": s["nras_tested"],
        "nras_seen": s["nras_seen"],
        "nras_exon": s["nras_exon"],
        "nras_codon": s["nras_codon"],
        "braf_tested": s["braf_tested"],
        "braf_v600e": s["braf_v600e"],
        "braf_non_v600e": s["braf_non_v600e"],
        "mmr_tested": s["mmr_tested"],
        "dmmr": s["dmmr"],
        "her2_tested": s["her2_tested"],
        "her2_pos": s["her2_pos"],
        "init_res": s["init_res"],
        "neo": s["neo"],
        "regimen": s["regimen"],
        "cycles": s["cycles"],
        "chemo_start": s["chemo_start"],
        "chemo_end": s["chemo_end"],
        "adjuvant": s["adjuvant"],
        "recist": s["recist"],
        "strategy": s["strategy"],
        "treated": s["treated"],
        "resect": s["resect"],
        "t0": s["t0"],
        "major": s["major"],
        "stage2": s["stage2"],
        "margin": s["margin"],
        "lt": s["lt"],
        "two": s["strategy"] == S_TWO,
        "alpps": s["strategy"] == S_ALPPS,
        "big": s["big"],
        "cd": s["cd"],
        "mort90": s["mort90"],
        "ned": s["ned"],
        "rec": s["rec"],
        "rec_site": s["rec_site"],
        "dead": s["dead"],
        "death": s["death"],
        "last_fu": s["last_fu"],
        "cod": s["cod"],
        "prim_lag": s["prim_lag"],
    }
    truth = dict(s["cov"])
    truth.update(
        {
            "origin_day": s["t0"],
            "lp_os": s["lp_os"],
            "lp_recurrence": s["lp_rec"],
            "death_months_latent": s["death_m"],
            "recurrence_months_latent": s["rec_latent_m"],
            "censor_day": s["censor"],
        }
    )
    return Simulation(columns=columns, truth=truth)


_STAGES = (
    _demographics,
    _molecular_truth,
    _liver_timing,
    _tumour_burden,
    _molecular_tests,
    _allocation,
    _systemic_therapy,
    _treatment_dates,
    _surgery,
    _generating_covariates,
    _event_times,
    _post_origin,
    _complications,
    _recurrence_site_and_death,
)


def simulate(n: int, rng: np.random.Generator) -> Simulation:
    """Simulate ``n`` patients; see the module docstring of ``synthetic`` for the model.

    The stages run in order on one random generator (the draws, and so the cohort, are
    those of one sequential pass); each reads what the earlier stages produced.
    """
    cutoff = day_number(STUDY_CUTOFF)
    s: dict[str, Any] = {"cutoff": cutoff, "liver_limit": cutoff - LIVER_ENTRY_MARGIN_DAYS}
    for stage in _STAGES:
        s.update(stage(rng, n, s))
    return _assemble(s)
