"""Calibrated synthetic CRLM cohort: the package's embedded default data set.

:func:`synthetic_frame` simulates ``n`` patients with colorectal liver metastases (CRLM) in the
canonical schema (``data_schema/canonical.yaml``: every column except ``source_row`` and the
derived endpoints, which :func:`crlm_outcomes.io.load.load_cohort` derives).
:func:`synthetic_cohort` loads such a frame through the canonical profile; :func:`load_demo`
is the fixed demo cohort (``n = 1500``, ``seed = 20251121``). :func:`synthetic_truth` returns
the latent generating covariates and event times of the same patients, so that an analysis can
be checked against the truth. Nothing here is real patient data.

The simulation is vectorised (no loop over patients) and runs in chunks of
:data:`CHUNK_SIZE` patients, chunk ``j`` drawing from the ``j``-th child of
``numpy.random.SeedSequence(seed)`` (model stream and a separate recording/missingness stream),
so the same ``(n, seed)`` always gives the same frame. 10^6 patients take about 4 s of CPU.

Generating model
----------------
Sources: the clinical definitions file (``clinical-definitions.md``), seed 002 (Ji, Zhang, Wang,
Chin J Clin Res 2025;38:988), seed 004 (2025 Chinese CRLM guideline) and the papers named there.
Values with no published anchor are *assumptions* chosen for realism and are marked (A). All
probabilities are in :mod:`crlm_outcomes.datasets._synthetic_model`, where each is a named
argument of one line of the generative story.

*Calendar.* Primary diagnosis uniform over :data:`DIAGNOSIS_WINDOW` (2005-01-01 to 2020-12-31);
fixed administrative cutoff :data:`STUDY_CUTOFF` (2022-12-31), last contact of patients alive at
the cutoff 0-120 days before it (A); random loss to follow-up, exponential with rate
:data:`LOSS_TO_FOLLOWUP_RATE` = 0.002 per month from the origin (about 11% by 5 years, A). Liver
metastases are diagnosed at least 18 months before the cutoff (cohort entry window).

*Demographics and primary.* Age N(64, 11) clipped to 22-95 years, 58% male (A, registry-like).
ICD-O-3 topography C18.0 9%, C18.1 0.5%, C18.2 10%, C18.3 4%, C18.4 7%, C18.5 3%, C18.6 4%,
C18.7 25%, C18.8 1.5%, C18.9 2%, C19.9 7%, C20.9 27% (about 30% right-sided; sidedness by the
ICD-O-3 rule of clinical-definitions.md). T1 2%, T2 6%, T3 62%, T4/T4a/T4b 30%; node-positive 58%
(72% for T4) with N1/N1a/N1b/N1c/N2/N2a/N2b sub-categories; grade G1/G2/G3/G4 8/68/21/3% (A).

*Timing.* Synchronous (``liver_mets_at_primary_diagnosis``) 50% (issue target about half; seed
002 quotes 15-25% of all colorectal cancers with synchronous disease, but about half of CRLM
cohorts), liver diagnosis on the day of the primary's (55%), 1-30 days after (30%) or 1-21 days
before (15%). Metachronous: primary resected 2-8 weeks after diagnosis (rectum: 3-5 months,
after neoadjuvant chemoradiation), liver metastases log-normal median 14 months later (at
least 3 months after the resection), so about a third of metachronous patients have a
disease-free interval < 12 months (A).

*Liver burden.* Solitary 36% (synchronous) / 50% (metachronous); otherwise 2 + floor(log-normal,
median 2.2). Largest diameter log-normal median 3.4 / 2.9 cm (sd log 0.6), about 21% > 5 cm.
Bilobar with probability 1 - exp(-0.35 (number - 1)) (max 0.9). Extrahepatic disease 20% / 12%
(sites lung 55%, peritoneum 20%, distant nodes 14%, bone 4%, brain 1%, other 6%; 15% two sites);
hepatic hilar nodes 3% (8% with >= 4 lesions). CEA log-normal, median about 16 ng/mL rising
with burden and extrahepatic disease; about 6% > 200 ng/mL (A).

*Molecular (truth).* BRAF V600E 14% right / 3.5% left / 7% unassignable (about 7-8% overall);
non-V600E 2% (Jones, JCO 2017: never pooled). RAS mutant (mutually exclusive with V600E) 58%
right / 51% left, 8% of them NRAS; KRAS exon 2/3/4 85/5/10% (codons 12/13, 59/61, 117/146), NRAS
exon 2/3/4 40/55/5%. dMMR 22% with V600E, 5% right, 1.5% left (about 4%); HER2 positive 6% of
left-sided RAS/BRAF wild-type, 0.4% otherwise (about 3%) (seed 004 section 1.5; A for the
split). *Testing (observed):* KRAS tested 45% (2005) rising to 95% (2020); exon 2 only before
2013, exons 2-4 (extended RAS) from 2013 in 90%, so early exon 3/4 and NRAS mutations are
recorded as wild-type exactly as in real cohorts of that era; NRAS tested from 2013; BRAF tested
20-90%, MMR 25-85%, HER2 mostly from 2015 (A).

*Treatment.* Initially resectable with probability expit(1.9 - 0.33 min(number, 15) - 0.18
max(size - 5, 0) - 1.3 extrahepatic - 0.35 bilobar - 1.0 hilar nodes - 0.03 (age - 65)), about
60%. Resectable patients: 4% (19% over 80) no liver-directed therapy, ablation only 28% if at
most 3 lesions <= 3 cm (seed 004 section 4.2: RFA for lesions < 3 cm), else resection.
Unresectable: liver transplantation 3.5% of the eligible (liver-only, RAS and BRAF wild-type,
age < 70, from 2006; Oslo/SECA selection, seed 002), conversion to resection with probability
expit(-0.6 - 0.08 number - 0.9 extrahepatic + 0.6 era - 0.4 RAS - 0.8 V600E), ablation only 10%
of those with <= 5 lesions <= 5 cm, otherwise systemic therapy only
(``no_liver_directed_therapy``). Resection strategy: two-stage hepatectomy 30% and ALPPS 7% (from
2012) of bilobar disease with >= 4 lesions (1.5% / 0 otherwise); synchronous one-stage
resections simultaneous / staged primary-first / liver-first with weights 0.42 (0.22 when
bilobar >= 4 lesions or > 5 cm) / 0.42 / 0.10 (0.30 for rectal primaries), following seed 004
section 4.1.2; metachronous one-stage hepatectomies are coded ``staged_primary_first`` (primary
resected first, then the liver, as the stratifier derives from the dates). Neoadjuvant
chemotherapy: all conversion, transplant, two-stage and ALPPS patients, 85% liver-first, 35%
ablation, 30-55% (by era) of other resections; regimens FOLFOX/CAPOX/FOLFIRI/FOLFOXIRI with
bevacizumab (from 2006) or anti-EGFR (from 2009, recorded RAS wild-type only), intensive
regimens 4x as likely for conversion, FOLFIRI preferred after adjuvant oxaliplatin (seed 004
section 3.2.2); cycles 3-8 (mostly 6, seed 004 section 5.1.1), 6-12 for conversion, 12-24 before
transplantation; 14- or 21-day cycles; surgery 3-6 weeks after the last cycle, liver resection
4-8 weeks after the primary in staged resections (seed 004 section 4.1.2). RECIST best response
CR/PR/SD/PD 3/45/41/11% (5/68/24/3% for conversion). Adjuvant oxaliplatin after a node-positive
primary in 65% of metachronous patients (``oxaliplatin_last_date`` = its last dose, before the
liver metastases). Margins R1 12% (+6% bilobar >= 4 lesions, +4% > 5 cm), R2 2-4%; R0 width
log-normal median 6 mm (> 1 mm, seed 004 section 4.1.4), R1 0 mm (70%) or < 1 mm. Major
hepatectomy (>= 3 segments) with probability rising with number and size (all two-stage/ALPPS);
FLR% N(76, 9) minor, N(42, 9) major, N(32, 6) two-stage/ALPPS; PVE 75% of two-stage, 12% major.
Clavien-Dindo none/I/II/IIIa/IIIb/IVa/IVb 60/12/15/7/3/2/1% (42/12/20/12/7/4.5/1.5% for major,
ALPPS, transplantation); grade V for 85% of deaths within 90 days. Two-stage drop-out: 15%
planned, plus progression or death before stage 2 (stage 2 after 5-12 weeks; ALPPS 1-2 weeks).
Liver-first primaries are resected 1-3 months (rectum 2-5 months) after the liver if the patient
is alive and followed; 35% of synchronous patients without liver-directed therapy have a
palliative primary resection. NED fails with R2, two-stage drop-out, untreated extrahepatic
disease (30% of it) and 5% of ablations.

*Overall survival (the truth).* Proportional hazards with Weibull baseline
``S0(t) = exp(-(t / scale)^shape)`` (:data:`OS_BASELINE`: shape 1.15, scale 280 months), time zero
at the first liver-directed treatment (first-stage liver resection, ablation, transplantation)
or, without liver-directed therapy, at the later of the two diagnoses; latent time
``T = scale * (E exp(-lp))^(1/shape)``, ``E ~ Exp(1)``, ``lp = sum log(HR_k) x_k`` over
:data:`GENERATING_HAZARD_RATIOS`:

========================== ===== ============================================================
covariate                  HR    source / target
========================== ===== ============================================================
age_per_10y                1.10  (age - 60) / 10 (A)
right_sided                1.15  sidedness (A)
ras_mutant                 1.85  meta-analyses HR 1.7-1.9 (clinical-definitions.md)
braf_v600e                 2.60  Petrelli 2024 HR 2.6 (clinical-definitions.md)
braf_non_v600e             1.20  far better than V600E (Jones, JCO 2017)
node_positive              1.45  Fong factor (Fong, Ann Surg 1999)
dfi_lt_12m                 1.40  Fong factor: primary to liver diagnosis < 12 months
multiple_lesions           1.40  Fong factor: > 1 liver tumour
cea_gt_200                 1.70  Fong factor: CEA > 200 ng/mL
largest_gt_5cm             1.45  Fong factor: largest > 5 cm
tbs_3_to_9                 1.15  TBS zone 3 to < 9 (Sasaki 2018; GAME, Margonis 2018)
tbs_ge_9                   1.40  TBS zone >= 9
extrahepatic_disease       1.60  GAME factor (2 points)
hepatic_lymph_nodes        1.50  poor prognostic factor (seed 002)
margin_r1                  1.35  R1 liver margin (A)
margin_r2                  2.00  R2 liver margin (A)
converted                  1.25  resected after conversion therapy (A)
strategy_two_stage         1.15  vs one-stage resection (A)
strategy_alpps             1.30  (A)
strategy_ablation_only     1.25  (A)
strategy_transplantation   0.80  selected liver-only patients (seed 002, Oslo score)
strategy_no_liver_directed 3.50  systemic therapy only: 5-year OS about 9% (seed 002)
========================== ===== ============================================================

The baseline scale was tuned so that 5-year OS after resection averages about 46-47% over seeds
(seed 002: 42-46%; clinical-definitions.md: 40-58%). Deaths within 90 days of surgery arise
from the same model (about 3%); there is no separate operative-death mechanism.

*Recurrence.* A latent time to first recurrence/progression after liver-directed treatment,
PH with Weibull baseline :data:`RECURRENCE_BASELINE` (shape 0.80, scale 200 months) and the
hazard ratios :data:`GENERATING_RECURRENCE_HAZARD_RATIOS` (same covariates, plus ``not_ned``
3.0 for progression after non-curative treatment), is tied to the death time by a Gaussian
copula (:data:`DEATH_RECURRENCE_COPULA_RHO` = 0.6, so both margins keep their exact PH form).
Patients dying first (more than 90 days after treatment) have a recorded recurrence before death
with probability :data:`RECURRENCE_BEFORE_DEATH_PROB` = 0.5, Gamma(2, 6 months) before death
(about 80% of deaths after resection follow a recurrence). Recurrence site liver /
extrahepatic / both 42/38/20% (65/20/15% after ablation). This coupling makes the *observed*
recurrence process only approximately PH: the recurrence HRs are generating parameters, not
exactly recoverable estimands; the OS HRs are exact. Cause of death: colorectal cancer 85-88%
after recurrence or without liver-directed therapy, mostly ``other`` for deaths within 90 days of
surgery, 40/45/15% otherwise (A).

*Recording (observed data).* :data:`MISSING_PROBS` gives the probability that an existing value
is not recorded (e.g. CEA 10%, grade 10%, N category 6% with the node flag kept in half of
those, exons tested 25%, codon 25%, margin width 25%, hilar nodes 25%, surgical strategy 5%,
RECIST 15%); untested markers are missing. Dates, vital status and the treatment flags are
complete, so every patient loads (no quarantined rows) and the endpoints can be derived.

Calibration (n = 5000, seed 20251121; tests/datasets/test_synthetic.py)
-----------------------------------------------------------------------
Measured with statsmodels (``SurvfuncRight``, ``PHReg``), OS from the liver resection date among
the 2948 resected patients unless stated:

- 5-year OS after resection: target 40-50%, measured 44.2% (median 51 months); over seeds 1-8
  45-49%.
- 5-year OS, systemic therapy only (from liver diagnosis, n = 1478): target <= 12%, measured 8.1%
  (median 16.7 months).
- Recurrence by 5 years after resection, 1 - Kaplan-Meier of recurrence-free time with
  recurrence as the event and death *censored*: target 60-75%, measured 68.3%; 5-year RFS 24.1%
  (seed 002: 21.2%).
- Synchronous: target 45-55%, measured 50.1%.
- RAS mutant among RAS-tested (69%): target 40-50%, measured 43.7%. OS HR, *adjusted* Cox among
  resected patients with known RAS, adjusting for the recorded generating covariates (age,
  side, BRAF with an unknown indicator, the five Fong factors, extrahepatic disease, margin,
  conversion, two-stage, ALPPS; complete cases, n = 1485): target 1.5-1.9, measured 1.83 (seeds
  1-8: 1.53-1.78). The *marginal* HR is lower (1.42-1.63 over four seeds) because
  RAS-wild-type groups contain V600E patients and exon-2-only testing misclassifies early
  exon 3/4 and NRAS mutations.
- BRAF V600E among BRAF-tested (52%): target 5-10%, measured 7.8% (non-V600E 1.9%); adjusted OS
  HR (same model, RAS with an unknown indicator): target 2-3, measured 2.57.
- dMMR 3.7%, HER2 positive 2.1% of those tested.
- Fong score, 5-year OS for 0 / 1 / 2 / 3 / 4-5: 70.8 / 58.8 / 45.6 / 34.9 / 18.9%; low (0-2)
  52.1% vs high (3-5) 31.5%.
- GAME low / medium / high: 5-year OS 64.0 / 43.3 / 30.1%, median 97 / 52 / 37 months (Dutch
  validation 68 / 47 / 32 months).
- Cox on the latent complete covariates (:func:`synthetic_truth`) recovers every generating OS HR
  within 4 standard errors (e.g. RAS 1.87, V600E 2.64, no liver-directed therapy 3.40).
- 90-day mortality after resection 3.2%; R0 / R1 / R2 84 / 13 / 2%; strategies staged
  primary-first 38%, no liver-directed therapy 30%, ablation only 9%, simultaneous 9%,
  liver-first 4%, two-stage 4%, ALPPS 0.3%, transplantation 0.3%, unrecorded 5.6%.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from crlm_outcomes.datasets import _synthetic_model as _m
from crlm_outcomes.datasets._synthetic_model import (
    DAYS_PER_MONTH,
    DEATH_RECURRENCE_COPULA_RHO,
    DIAGNOSIS_WINDOW,
    GENERATING_HAZARD_RATIOS,
    GENERATING_RECURRENCE_HAZARD_RATIOS,
    LOSS_TO_FOLLOWUP_RATE,
    OS_BASELINE,
    RECURRENCE_BASELINE,
    RECURRENCE_BEFORE_DEATH_PROB,
    STUDY_CUTOFF,
)
from crlm_outcomes.errors import SpecError
from crlm_outcomes.schema.definition import canonical_definition

if TYPE_CHECKING:
    from crlm_outcomes.io.cohort import Cohort

__all__ = [
    "DEMO_N",
    "DEMO_SEED",
    "CHUNK_SIZE",
    "MISSING_PROBS",
    "GENERATING_HAZARD_RATIOS",
    "GENERATING_RECURRENCE_HAZARD_RATIOS",
    "OS_BASELINE",
    "RECURRENCE_BASELINE",
    "DEATH_RECURRENCE_COPULA_RHO",
    "RECURRENCE_BEFORE_DEATH_PROB",
    "LOSS_TO_FOLLOWUP_RATE",
    "DIAGNOSIS_WINDOW",
    "STUDY_CUTOFF",
    "DAYS_PER_MONTH",
    "synthetic_frame",
    "synthetic_truth",
    "synthetic_cohort",
    "load_demo",
]

#: Size and seed of the demo cohort returned by :func:`load_demo`.
DEMO_N = 1500
DEMO_SEED = 20251121

#: Patients are simulated in chunks of this size (bounded memory; chunk ``j`` draws from the
#: ``j``-th child of ``numpy.random.SeedSequence(seed)``).
CHUNK_SIZE = 200_000

#: Missingness of recorded (observed) fields: probability that a value which exists is not
#: recorded. Registry-style, documented in the module docstring.
MISSING_PROBS: dict[str, float] = {
    "primary_t_stage": 0.04,
    "primary_n_stage": 0.06,
    "primary_node_positive_without_stage": 0.5,
    "primary_grade": 0.10,
    "primary_resection_date": 0.02,
    "liver_mets_at_primary_diagnosis": 0.03,
    "liver_mets_number": 0.02,
    "liver_mets_largest_cm": 0.04,
    "liver_mets_bilobar": 0.05,
    "hepatic_lymph_nodes": 0.25,
    "extrahepatic_disease": 0.02,
    "extrahepatic_sites": 0.10,
    "cea_at_liver_diagnosis": 0.10,
    "mutation_exon": 0.15,
    "mutation_codon": 0.25,
    "exons_tested": 0.25,
    "initially_resectable": 0.05,
    "neoadjuvant_chemo": 0.03,
    "neoadjuvant_regimen": 0.05,
    "neoadjuvant_cycles": 0.10,
    "neoadjuvant_dates": 0.08,
    "oxaliplatin_exposure": 0.05,
    "oxaliplatin_last_date": 0.20,
    "recist_response": 0.15,
    "liver_resection_extent": 0.08,
    "ablation_type": 0.05,
    "portal_vein_embolisation": 0.05,
    "margin_status": 0.05,
    "margin_width_mm": 0.25,
    "clavien_dindo_grade": 0.05,
    "surgical_strategy": 0.05,
    "ned_achieved": 0.05,
    "recurrence_site": 0.08,
}

_T_LEVELS = ["T0", "Tis", "T1", "T2", "T3", "T4", "T4a", "T4b"]
_N_LEVELS = ["N0", "N1", "N1a", "N1b", "N1c", "N2", "N2a", "N2b"]
_GRADE_LEVELS = ["G1", "G2", "G3", "G4"]
_PRIMARY_RESECTION_LEVELS = [
    "none",
    "colectomy",
    "rectal_resection",
    "simultaneous_with_liver",
    "other",
]
_CD_LEVELS = ["none", "I", "II", "IIIa", "IIIb", "IVa", "IVb", "V"]
_ABLATION_LEVELS = ["none", "RFA", "MWA", "SBRT", "cryoablation", "other"]


_NS_PER_DAY = 86_400_000_000_000  # nanoseconds per day


def _cat(codes: np.ndarray, levels: list[str], ordered: bool = False) -> tuple:
    """Categorical column spec from integer codes (-1 = missing)."""
    return ("cat", np.asarray(codes, dtype=np.int8), levels, ordered)


def _dates(days: np.ndarray) -> tuple:
    """Date column spec from float day numbers since 1970-01-01 (NaN = missing)."""
    return ("date", days)


def _int(values: np.ndarray, present: np.ndarray) -> tuple:
    return ("int", np.where(present, values, 0).astype(np.int64), np.asarray(present, dtype=bool))


def _bool(values: np.ndarray, present: np.ndarray) -> tuple:
    return ("bool", np.asarray(values, dtype=bool), np.broadcast_to(present, values.shape))


def _float(values: np.ndarray) -> tuple:
    return ("float", np.asarray(values, dtype=np.float64))


def _str(lookup: np.ndarray, idx: np.ndarray, present: np.ndarray) -> tuple:
    """String column spec: a lookup table of strings and indices into it."""
    return ("str", np.asarray(lookup, dtype=object), np.where(present, idx, -1).astype(np.int64))


def _materialise(specs: list[tuple]) -> object:
    """Concatenate the chunk specs of one column and build its pandas array."""
    kind = specs[0][0]
    if kind == "cat":
        codes = np.concatenate([sp[1] for sp in specs])
        return pd.Categorical.from_codes(codes, categories=specs[0][2], ordered=specs[0][3])
    if kind == "date":
        days = np.concatenate([sp[1] for sp in specs])
        missing = np.isnan(days)
        ns = np.where(missing, 0.0, days).astype(np.int64)
        ns *= _NS_PER_DAY
        ns[missing] = np.iinfo(np.int64).min  # the NaT bit pattern
        return ns.view("datetime64[ns]")
    if kind == "int":
        values = np.concatenate([sp[1] for sp in specs])
        present = np.concatenate([sp[2] for sp in specs])
        return pd.arrays.IntegerArray(values, ~present)
    if kind == "bool":
        values = np.concatenate([sp[1] for sp in specs])
        present = np.concatenate([sp[2] for sp in specs])
        return pd.arrays.BooleanArray(values, ~present)
    if kind == "float":
        return np.concatenate([sp[1] for sp in specs])
    lookup = np.append(specs[0][1], pd.NA)
    idx = np.concatenate([sp[2] for sp in specs])
    # categorical take over the small lookup table, then one conversion to the string dtype
    return pd.array(lookup[idx], dtype="string")


def _patient_ids(n: int) -> pd.api.extensions.ExtensionArray:
    """``SYN000001``, ``SYN000002``, ... (at least six digits), built as a byte matrix."""
    width = max(6, len(str(n)))
    buf = np.empty((n, 3 + width), dtype=np.uint8)
    buf[:, :3] = np.frombuffer(b"SYN", dtype=np.uint8)
    number = np.arange(1, n + 1, dtype=np.int64)
    for k in range(width):
        buf[:, 2 + width - k] = 48 + number % 10
        number //= 10
    ids = buf.view(f"S{3 + width}").ravel().astype(f"U{3 + width}")
    return pd.array(ids, dtype=pd.StringDtype("pyarrow"))


def _ehd_site_lookup() -> np.ndarray:
    """Semicolon-joined site list for every bit mask of the extrahepatic sites."""
    sites = _m.EXTRAHEPATIC_SITES
    return np.array(
        [
            ";".join(s for b, s in enumerate(sites) if mask >> b & 1)
            for mask in range(1 << len(sites))
        ],
        dtype=object,
    )


def _validate_args(n: int, seed: int) -> None:
    """Raise :class:`~crlm_outcomes.errors.SpecError` (a ValueError) for a bad ``n`` or ``seed``."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise SpecError("n must be a positive integer", value=n, expected="an integer >= 1")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise SpecError(
            "seed must be a non-negative integer", value=seed, expected="an integer >= 0"
        )


def synthetic_frame(n: int, seed: int) -> pd.DataFrame:
    """Simulate a synthetic CRLM cohort in the canonical schema.

    Parameters
    ----------
    n
        Number of patients (rows).
    seed
        Non-negative integer seeding :class:`numpy.random.SeedSequence`; the same ``(n, seed)``
        always gives an identical frame.

    Returns
    -------
    pandas.DataFrame
        One row per patient with every non-endpoint column of ``data_schema/canonical.yaml``
        except ``source_row``, in schema order, with the schema's dtypes: ``string``,
        ``Int64``, ``boolean``, ``float64``, ``datetime64[ns]`` and :class:`pandas.Categorical`
        with the schema's levels (ordered where the schema says so). The generating model is
        described in the module docstring.

    Examples
    --------
    >>> frame = synthetic_frame(200, seed=1)
    >>> frame.shape
    (200, 96)
    >>> print(frame[["patient_id", "sex", "liver_mets_number"]].head(3).to_string(index=False))
    patient_id    sex  liver_mets_number
     SYN000001 female               <NA>
     SYN000002 female                  8
     SYN000003 female               <NA>
    >>> str(frame["liver_mets_number"].dtype), int(frame["kras_status"].isna().sum())
    ('Int64', 62)
    >>> synthetic_frame(200, seed=1).equals(frame)  # same (n, seed), same frame
    True
    """
    _validate_args(n, seed)
    parts = [
        _frame_chunk(_m.simulate(m, model_rng).columns, record_rng, m)
        for m, model_rng, record_rng in _chunks(int(n), int(seed))
    ]
    cols: dict[str, object] = {"patient_id": _patient_ids(n)}
    cols.update({name: _materialise([part[name] for part in parts]) for name in parts[0]})
    # copy=False: the arrays are fresh; skips pandas' block consolidation (a full copy)
    return pd.DataFrame(cols, copy=False)


def _chunks(n: int, seed: int) -> list[tuple[int, np.random.Generator, np.random.Generator]]:
    """Chunk sizes with their model and recording random streams."""
    sizes = [min(CHUNK_SIZE, n - start) for start in range(0, n, CHUNK_SIZE)]
    children = np.random.SeedSequence(seed).spawn(len(sizes))
    out = []
    for m, child in zip(sizes, children, strict=True):
        model_ss, record_ss = child.spawn(2)
        out.append((m, np.random.default_rng(model_ss), np.random.default_rng(record_ss)))
    return out


_SCHEMA = canonical_definition()

#: Canonical columns the generating model does not simulate (all missing in the frame).
_NOT_SIMULATED = (
    "age_at_diagnosis_at_least",
    "charlson_deyo_score",
    "major_comorbidity",
    "performance_status_ecog",
    "body_mass_index",
    "primary_nodes_positive",
    "liver_mets_number_at_least",
    "disease_free_interval_months",
    "disease_free_interval_under_12m",
    "cea_at_liver_diagnosis_at_least",
    "cea_interpretation",
    "cea_before_hepatectomy",
    "liver_mets_largest_cm_before_hepatectomy",
    "cea_before_transplant",
    "liver_mets_largest_cm_before_transplant",
    "progression_at_transplant",
    "repeat_hepatectomy_for_recurrence",
    "repeat_hepatectomy_date",
    "pathological_response_pct",
    "tumour_necrosis_pct",
    "tumour_fibrosis_pct",
    "tumour_mucin_pct",
    "liver_steatosis",
    "sinusoidal_dilatation",
    "nash",
    "nash_score",
    "source_clinical_risk_score",
)


class _Chunk:
    """One simulated chunk being recorded: the model's columns ``c``, the recording stream
    ``rng`` (drawn from in a fixed order: the stages below run in the order of
    :func:`_frame_chunk`) and the chunk size ``n``."""

    def __init__(self, c: dict[str, np.ndarray], rng: np.random.Generator, n: int) -> None:
        self.c = c
        self.rng = rng
        self.n = n
        self.every = np.ones(n, dtype=bool)

    def keep(self, name: str, present: np.ndarray) -> np.ndarray:
        """``present`` minus values that go unrecorded with probability MISSING_PROBS[name]."""
        return present & (self.rng.random(self.n) >= MISSING_PROBS[name])


def _primary_columns(ch: _Chunk) -> dict[str, tuple]:
    """Identifiers (age, sex, year) and the primary tumour."""
    c, keep, every = ch.c, ch.keep, ch.every
    cols: dict[str, tuple] = {}
    cols["age_at_diagnosis"] = _float(c["age"])
    cols["sex"] = _cat(c["male"].astype(np.int64), ["female", "male"])
    cols["diagnosis_year"] = _int(c["year"], every)
    cols["primary_site_icdo3"] = _str(_m.ICDO3_SITES, c["site_idx"], every)
    cols["primary_t_stage"] = _cat(
        np.where(keep("primary_t_stage", every), c["t_idx"], -1), _T_LEVELS, ordered=True
    )
    n_known = keep("primary_n_stage", every)
    cols["primary_n_stage"] = _cat(np.where(n_known, c["n_idx"], -1), _N_LEVELS, ordered=True)
    node_known = n_known | keep("primary_node_positive_without_stage", ~n_known)
    cols["primary_node_positive"] = _bool(c["node_pos"], node_known)
    cols["primary_grade"] = _cat(
        np.where(keep("primary_grade", every), c["grade_idx"], -1), _GRADE_LEVELS, ordered=True
    )
    cols["primary_diagnosis_date"] = _dates(c["pdx"])
    prim_res = np.where(keep("primary_resection_date", every), c["prim_res"], np.nan)
    cols["primary_resection_date"] = _dates(prim_res)
    cols["primary_resection_type"] = _cat(
        np.where(c["prim_type"] >= 0, c["prim_type"], -1), _PRIMARY_RESECTION_LEVELS
    )
    return cols


def _liver_columns(ch: _Chunk) -> tuple[dict[str, tuple], np.ndarray]:
    """The liver metastases at diagnosis, and the mask of patients whose extrahepatic disease
    is recorded (used again by :func:`_site_flag_columns`)."""
    c, keep, every = ch.c, ch.keep, ch.every
    cols: dict[str, tuple] = {}
    cols["liver_mets_diagnosis_date"] = _dates(c["ldx"])
    cols["liver_mets_at_primary_diagnosis"] = _bool(
        c["synchronous"], keep("liver_mets_at_primary_diagnosis", every)
    )
    cols["liver_mets_number"] = _int(c["n_les"], keep("liver_mets_number", every))
    cols["liver_mets_largest_cm"] = _float(
        np.where(keep("liver_mets_largest_cm", every), c["size"], np.nan)
    )
    cols["liver_mets_bilobar"] = _bool(c["bilobar"], keep("liver_mets_bilobar", every))
    cols["hepatic_lymph_nodes"] = _bool(c["hln"], keep("hepatic_lymph_nodes", every))
    ehd_known = keep("extrahepatic_disease", every)
    cols["extrahepatic_disease"] = _bool(c["ehd"], ehd_known)
    cols["extrahepatic_sites"] = _str(
        _ehd_site_lookup(), c["ehd_mask"], keep("extrahepatic_sites", ehd_known & c["ehd"])
    )
    cols["cea_at_liver_diagnosis"] = _float(
        np.where(keep("cea_at_liver_diagnosis", every), c["cea"], np.nan)
    )
    return cols, ehd_known


def _molecular_columns(ch: _Chunk) -> dict[str, tuple]:
    """RAS (status, exon, codon, exons tested), BRAF, MMR and HER2."""
    c, keep, every = ch.c, ch.keep, ch.every
    cols: dict[str, tuple] = {}
    status = np.array(["wild_type", "mutant"])
    exons = np.array(["2", "2;3;4"], dtype=object)
    for gene in ("kras", "nras"):
        tested = c[f"{gene}_tested"]
        seen = c[f"{gene}_seen"]
        cols[f"{gene}_status"] = _cat(np.where(tested, seen.astype(np.int64), -1), list(status))
        cols[f"{gene}_exon"] = _int(c[f"{gene}_exon"], keep("mutation_exon", seen))
        cols[f"{gene}_codon"] = _int(c[f"{gene}_codon"], keep("mutation_codon", seen))
        ext = c["kras_ext"] if gene == "kras" else every
        cols[f"{gene}_exons_tested"] = _str(
            exons, ext.astype(np.int64), keep("exons_tested", tested)
        )
    braf_code = np.where(c["braf_v600e"], 1, np.where(c["braf_non_v600e"], 2, 0))
    cols["braf_status"] = _cat(
        np.where(c["braf_tested"], braf_code, -1), ["wild_type", "V600E", "non_V600E"]
    )
    cols["mmr_status"] = _cat(
        np.where(c["mmr_tested"], np.where(c["dmmr"], 0, 1), -1), ["dMMR_MSI_H", "pMMR_MSS"]
    )
    cols["her2_status"] = _cat(
        np.where(c["her2_tested"], c["her2_pos"].astype(np.int64), -1), ["negative", "positive"]
    )
    return cols


def _systemic_columns(ch: _Chunk) -> dict[str, tuple]:
    """Resectability, neoadjuvant chemotherapy, oxaliplatin exposure and RECIST response."""
    c, keep, every, rng, n = ch.c, ch.keep, ch.every, ch.rng, ch.n
    neo = c["neo"]
    cols: dict[str, tuple] = {}
    cols["initially_resectable"] = _bool(c["init_res"], keep("initially_resectable", every))
    cols["neoadjuvant_chemo"] = _bool(neo, keep("neoadjuvant_chemo", every))
    cols["neoadjuvant_regimen"] = _str(_m.REGIMENS, c["regimen"], keep("neoadjuvant_regimen", neo))
    cols["neoadjuvant_cycles"] = _int(c["cycles"], keep("neoadjuvant_cycles", neo))
    neo_dates = keep("neoadjuvant_dates", neo)
    cols["neoadjuvant_start_date"] = _dates(np.where(neo_dates, c["chemo_start"], np.nan))
    cols["neoadjuvant_end_date"] = _dates(np.where(neo_dates, c["chemo_end"], np.nan))
    oxali = c["adjuvant"] | (neo & _m.REGIMEN_OXALIPLATIN[c["regimen"]])
    cols["oxaliplatin_exposure"] = _bool(oxali, keep("oxaliplatin_exposure", every))
    adj_last = np.minimum(
        c["prim_res"] + np.floor(rng.uniform(150, 201, n)),
        c["ldx"] - np.floor(rng.uniform(7, 31, n)),
    )
    cols["oxaliplatin_last_date"] = _dates(
        np.where(keep("oxaliplatin_last_date", c["adjuvant"]), adj_last, np.nan)
    )
    cols["recist_response"] = _cat(
        np.where(keep("recist_response", neo), c["recist"], -1), ["CR", "PR", "SD", "PD"]
    )
    return cols


def _liver_procedure_columns(ch: _Chunk) -> dict[str, tuple]:
    """Resection, ablation, portal vein embolisation, two-stage, ALPPS and transplant."""
    c, keep, every, rng, n = ch.c, ch.keep, ch.every, ch.rng, ch.n
    resect = c["resect"]
    cols: dict[str, tuple] = {}
    cols["liver_resection_date"] = _dates(np.where(resect, c["t0"], np.nan))
    cols["liver_resection_extent"] = _cat(
        np.where(keep("liver_resection_extent", resect), c["major"].astype(np.int64), -1),
        ["minor", "major"],
    )
    cols["second_liver_resection_date"] = _dates(c["stage2"])
    abl_only = c["strategy"] == _m.S_ABL
    combined = resect & (rng.random(n) < np.where(c["big"], 0.25, 0.08))
    abl_kind = np.where(
        abl_only,
        1 + _m._choice(rng, n, np.array([0.55, 0.35, 0.06, 0.02, 0.02])),
        1 + _m._choice(rng, n, np.array([0.6, 0.4])),
    )
    abl_code = np.where(abl_only | combined, abl_kind, 0)
    cols["ablation_type"] = _cat(
        np.where(keep("ablation_type", every), abl_code, -1), _ABLATION_LEVELS
    )
    cols["ablation_date"] = _dates(np.where(abl_only | combined, c["t0"], np.nan))
    p_pve = np.where(c["two"], 0.75, np.where(c["major"], 0.12, 0.01))
    pve = resect & (rng.random(n) < p_pve)
    cols["portal_vein_embolisation"] = _bool(pve, keep("portal_vein_embolisation", every))
    cols["two_stage_hepatectomy"] = _bool(c["two"], every)
    cols["alpps"] = _bool(c["alpps"], every)
    cols["liver_transplant"] = _bool(c["lt"], every)
    cols["liver_transplant_date"] = _dates(np.where(c["lt"], c["t0"], np.nan))
    return cols


def _margin_columns(ch: _Chunk) -> dict[str, tuple]:
    """Resection margin (status and width) and the future liver remnant."""
    c, keep, rng, n = ch.c, ch.keep, ch.rng, ch.n
    margin = c["margin"]
    cols: dict[str, tuple] = {}
    cols["margin_status"] = _cat(
        np.where(keep("margin_status", c["resect"]), margin, -1), ["R0", "R1", "R2"], ordered=True
    )
    width = np.select(
        [margin == 0, margin == 1],
        [
            np.round(np.clip(np.exp(rng.normal(np.log(6.0), 0.8, n)), 1.1, 60.0), 1),
            np.where(rng.random(n) < 0.7, 0.0, np.round(rng.uniform(0.1, 0.9, n), 1)),
        ],
        np.nan,
    )
    cols["margin_width_mm"] = _float(np.where(keep("margin_width_mm", margin <= 1), width, np.nan))
    staged_liver = c["two"] | c["alpps"]
    flr = np.select(
        [staged_liver, c["major"]],
        [rng.normal(32.0, 6.0, n), rng.normal(42.0, 9.0, n)],
        rng.normal(76.0, 9.0, n),
    )
    flr = np.round(np.clip(flr, 18.0, 97.0), 1)
    flr_rec = c["resect"] & (rng.random(n) < np.where(c["major"], 0.75, 0.35))
    cols["future_liver_remnant_pct"] = _float(np.where(flr_rec, flr, np.nan))
    return cols


def _postoperative_columns(ch: _Chunk) -> dict[str, tuple]:
    """Complications, 90-day mortality, the surgical strategy and NED."""
    c, keep, every = ch.c, ch.keep, ch.every
    cols: dict[str, tuple] = {}
    cols["clavien_dindo_grade"] = _cat(
        np.where(keep("clavien_dindo_grade", c["cd"] >= 0), c["cd"], -1), _CD_LEVELS, ordered=True
    )
    cols["mortality_90d"] = _bool(c["mort90"] == 1, c["mort90"] >= 0)
    cols["surgical_strategy"] = _cat(
        np.where(keep("surgical_strategy", every), c["strategy"], -1), list(_m.STRATEGIES)
    )
    cols["ned_achieved"] = _bool(c["ned"], keep("ned_achieved", every))
    return cols


def _outcome_columns(ch: _Chunk) -> dict[str, tuple]:
    """Recurrence, last follow-up, vital status and death."""
    c, keep = ch.c, ch.keep
    has_rec = ~np.isnan(c["rec"])
    dead = c["dead"]
    cols: dict[str, tuple] = {}
    cols["recurrence_date"] = _dates(c["rec"])
    cols["recurrence_site"] = _cat(
        np.where(keep("recurrence_site", has_rec), c["rec_site"], -1),
        ["liver", "extrahepatic", "liver_and_extrahepatic"],
    )
    cols["last_followup_date"] = _dates(c["last_fu"])
    cols["vital_status"] = _cat(dead.astype(np.int64), ["alive", "dead"])
    cols["death_date"] = _dates(np.where(dead, c["death"], np.nan))
    cols["cause_of_death"] = _cat(
        np.where(dead, c["cod"], -1), ["colorectal_cancer", "other", "unknown"]
    )
    return cols


def _site_flag_columns(ch: _Chunk, ehd_known: np.ndarray) -> dict[str, tuple]:
    """Schema 1.1 per-site flags of metastases at diagnosis of the primary, recorded for
    synchronous patients whose extrahepatic disease is recorded (what a registry's "mets at
    diagnosis" items hold). No random draws."""
    c = ch.c
    sync_known = ehd_known & c["synchronous"]
    site_bits = {name: 1 << b for b, name in enumerate(_m.EXTRAHEPATIC_SITES)}
    cols: dict[str, tuple] = {}
    for column, sites in (
        ("extrahepatic_lung", ("lung",)),
        ("extrahepatic_bone", ("bone",)),
        ("extrahepatic_brain", ("brain",)),
        ("extrahepatic_distant_nodes", ("distant_nodes",)),
        ("extrahepatic_other", ("peritoneum", "other")),
    ):
        bits = sum(site_bits[x] for x in sites)
        cols[column] = _bool((c["ehd_mask"] & bits) != 0, sync_known)
    return cols


def _unsimulated_columns(n: int) -> dict[str, tuple]:
    """The columns of :data:`_NOT_SIMULATED`, all missing, with the schema's dtypes."""
    none = np.zeros(n, dtype=bool)
    nan = np.full(n, np.nan)
    cols: dict[str, tuple] = {}
    for column in _NOT_SIMULATED:
        spec = _SCHEMA.columns[column]
        if spec.dtype == "float":
            cols[column] = _float(nan)
        elif spec.dtype == "int":
            cols[column] = _int(np.zeros(n, dtype=np.int64), none)
        elif spec.dtype == "boolean":
            cols[column] = _bool(none, none)
        elif spec.dtype == "date":
            cols[column] = _dates(nan)
        else:
            cols[column] = _cat(np.full(n, -1), [str(x) for x in spec.declared_levels])
    return cols


def _frame_chunk(c: dict[str, np.ndarray], rng: np.random.Generator, n: int) -> dict[str, tuple]:
    """Recorded columns (as specs) of one simulated chunk: coding and missingness.

    The stages draw from ``rng`` in this fixed order (changing it changes every frame)."""
    ch = _Chunk(c, rng, n)
    cols = _primary_columns(ch)
    liver, ehd_known = _liver_columns(ch)
    cols.update(liver)
    for stage in (
        _molecular_columns,
        _systemic_columns,
        _liver_procedure_columns,
        _margin_columns,
        _postoperative_columns,
        _outcome_columns,
    ):
        cols.update(stage(ch))
    cols.update(_site_flag_columns(ch, ehd_known))
    cols.update(_unsimulated_columns(n))
    return {name: cols[name] for name in _SCHEMA.columns if name in cols}


def synthetic_truth(n: int, seed: int) -> pd.DataFrame:
    """The latent generating covariates and event times behind :func:`synthetic_frame`.

    Parameters
    ----------
    n, seed
        As for :func:`synthetic_frame`; rows are the same patients in the same order.

    Returns
    -------
    pandas.DataFrame
        ``patient_id``; one float column per key of :data:`GENERATING_HAZARD_RATIOS` and
        :data:`GENERATING_RECURRENCE_HAZARD_RATIOS` (the *true*, complete covariate values,
        before any test was missed or value went unrecorded); ``origin_date`` (time zero of the
        generating model); ``lp_os`` and ``lp_recurrence`` (linear predictors); the latent times
        ``death_months_latent`` and ``recurrence_months_latent`` (before censoring and before
        the recurrence-death coupling); ``censor_date``.

    Examples
    --------
    The true linear predictor and latent death time of the first patients of
    ``synthetic_frame(200, seed=1)``:

    >>> truth = synthetic_truth(200, seed=1)
    >>> truth["patient_id"].head(3).tolist()
    ['SYN000001', 'SYN000002', 'SYN000003']
    >>> [round(float(x), 3) for x in truth["lp_os"].head(3)]
    [1.048, 2.017, 2.54]
    >>> [round(float(x), 3) for x in truth["death_months_latent"].head(3)]
    [49.374, 10.966, 7.602]
    """
    _validate_args(n, seed)
    truths = [_m.simulate(m, model_rng).truth for m, model_rng, _ in _chunks(int(n), int(seed))]
    keys = list(dict.fromkeys([*GENERATING_HAZARD_RATIOS, *GENERATING_RECURRENCE_HAZARD_RATIOS]))
    keys += ["lp_os", "lp_recurrence", "death_months_latent", "recurrence_months_latent"]
    out: dict[str, object] = {"patient_id": _patient_ids(n)}
    out.update({k: np.concatenate([t[k] for t in truths]).astype(np.float64) for k in keys})
    out["origin_date"] = _materialise([_dates(t["origin_day"]) for t in truths])
    out["censor_date"] = _materialise([_dates(t["censor_day"]) for t in truths])
    return pd.DataFrame(out)


def synthetic_cohort(n: int = 1000, seed: int = 20251121) -> Cohort:
    """A synthetic cohort loaded through the canonical profile.

    Parameters
    ----------
    n, seed
        As for :func:`synthetic_frame`.

    Returns
    -------
    Cohort
        ``crlm_outcomes.io.load.load_cohort(synthetic_frame(n, seed), profile="canonical")``.

    Examples
    --------
    >>> from crlm_outcomes import synthetic_cohort
    >>> cohort = synthetic_cohort(100, seed=7)
    >>> len(cohort.data), cohort.audit.rows_quarantined
    (100, 0)
    """
    from crlm_outcomes.io.load import load_cohort

    return load_cohort(synthetic_frame(n, seed), profile="canonical")


def load_demo() -> Cohort:
    """The demo cohort: :func:`synthetic_cohort` with ``n = DEMO_N`` (1500) and ``DEMO_SEED``.

    Returns
    -------
    Cohort
        1500 synthetic patients, loaded and audited like a real source.

    Examples
    --------
    >>> from crlm_outcomes import load_demo
    >>> demo = load_demo()
    >>> len(demo.data), demo.provenance["profile"]
    (1500, 'canonical')
    """
    return synthetic_cohort(DEMO_N, DEMO_SEED)
