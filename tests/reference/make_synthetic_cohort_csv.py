"""Export the synthetic CRLM cohort used by ``tests/reference/synthetic_cohort.R``.

Run from the repository root::

    python tests/reference/make_synthetic_cohort_csv.py
    Rscript tests/reference/synthetic_cohort.R

It writes ``tests/reference/synthetic_cohort/cohort.csv`` (the analysis columns of
``synthetic_cohort(n=800, seed=20251121)`` after ``stratify.apply_all``, floats with 17
significant digits, missing values as empty fields) and ``levels.csv`` (the level order of every
categorical column, so that R's factors and pandas' Categoricals have the same reference level).
The R script and ``tests/survival/test_synthetic_reference.py`` both read these files, not a
regenerated cohort, so the reference stays valid when the generator changes; the test module
checks separately (and tolerantly) that regenerating gives the same table.

The case weight ``iptw_neoadjuvant`` is the stabilised ATE inverse-probability weight of
neoadjuvant chemotherapy (``crlm_outcomes.survival.propensity_weights``, logistic model on age,
sex, diagnosis year, number of liver metastases and extrahepatic disease); rows whose weight
cannot be derived (missing treatment or covariate) are missing, never a default.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

N = 800
SEED = 20251121
OUT = Path(__file__).resolve().parent / "synthetic_cohort"

#: Exported columns, in order (canonical names; derived stratifiers from ``apply_all``).
COLUMNS = [
    "patient_id",
    "os_months",
    "os_event",
    "rfs_months",
    "rfs_event",
    "rfs_cause",
    "hepatic_rfs_months",
    "hepatic_rfs_event",
    "age_at_diagnosis",
    "sex",
    "diagnosis_year",
    "primary_sidedness",
    "liver_mets_timing",
    "ras_class",
    "fong_score",
    "fong_group",
    "game_score",
    "game_group",
    "tbs_zone",
    "surgical_strategy_group",
    "treatment_intent",
    "kras_status",
    "braf_status",
    "cea_at_liver_diagnosis",
    "liver_mets_number",
    "liver_mets_largest_cm",
    "primary_node_positive",
    "extrahepatic_disease",
    "margin_status",
    "neoadjuvant_chemo",
    "propensity_neoadjuvant",
    "iptw_neoadjuvant",
]

#: Propensity model of the case-weight column.
PS_TREATMENT = "neoadjuvant_chemo"
PS_FORMULA = "age_at_diagnosis + C(sex) + diagnosis_year + liver_mets_number + extrahepatic_disease"


def build() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The exported table and its level table (column, position, level)."""
    from crlm_outcomes.datasets.synthetic import synthetic_cohort
    from crlm_outcomes.stratify import apply_all
    from crlm_outcomes.survival.weighting import propensity_weights

    data = apply_all(synthetic_cohort(n=N, seed=SEED))
    ps = propensity_weights(data, PS_TREATMENT, PS_FORMULA, estimand="ATE", stabilize=True)
    data = data.assign(propensity_neoadjuvant=ps.propensity, iptw_neoadjuvant=ps.weights)
    out = data[COLUMNS].reset_index(drop=True).copy()
    levels = []
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            used = s.cat.remove_unused_categories().cat.categories
            levels += [(col, i + 1, str(v)) for i, v in enumerate(used)]
            out[col] = s.astype("string")
        elif str(s.dtype) == "boolean" or s.dtype == bool:
            out[col] = s.astype("Int64")
    return out, pd.DataFrame(levels, columns=["column", "position", "level"])


def to_csv_text(frame: pd.DataFrame) -> str:
    """CSV text exactly as written to disk (17 significant digits, NA as empty)."""
    return frame.to_csv(index=False, float_format="%.17g", na_rep="", lineterminator="\n")


def main() -> int:
    out, levels = build()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "cohort.csv").write_text(to_csv_text(out))
    (OUT / "levels.csv").write_text(levels.to_csv(index=False, lineterminator="\n"))
    print(
        f"wrote {OUT / 'cohort.csv'}: {out.shape[0]} rows x {out.shape[1]} columns; "
        f"{int(np.isfinite(out['iptw_neoadjuvant'].astype(float)).sum())} weights"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
