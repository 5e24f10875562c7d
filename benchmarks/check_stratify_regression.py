"""Regression check for performance work on ``stratify.apply_all``: outputs must not change.

Run it once on the code before an optimisation (``save``) and once after (``compare``): it
applies :func:`crlm_outcomes.stratify.apply_all` to six regression cohorts (the synthetic
cohort, the same with 30% of every column blanked, and synthetic SEER, NCDB, TCIA and
institutional files loaded through their profiles) under three option sets, and compares
every value, every reason text and every value dtype, plus the recorded rules.

Used for issue #13: the switch to integer-coded values and reasons (commit "Stratify: values
and reasons as integer codes ...") gave 0 differences on 18 cohort x option combinations.

Usage::

    python benchmarks/check_stratify_regression.py save /tmp/before.pkl
    # ... change the code ...
    python benchmarks/check_stratify_regression.py compare /tmp/before.pkl
"""

from __future__ import annotations

import argparse
import pickle
import tempfile
import warnings
from pathlib import Path

import numpy as np

from crlm_outcomes import stratify as st
from crlm_outcomes.datasets import synthetic_cohort
from crlm_outcomes.datasets.registry import write_synthetic_registry
from crlm_outcomes.io import load_cohort

OPTION_SETS = {
    "default": {},
    "variants": {
        "liver_mets_timing": {"convention": "adam_2015", "window_months": 3},
        "fong_score": {"missing_as_zero": True, "dfi_origin": "diagnosis"},
        "game_score": {"mutation": "ras", "missing_as_zero": True},
        "modified_clinical_score": {"require_full_panel": True},
        "oslo_score": {"missing_as_zero": True},
        "flr_adequate": {"basis": "operation"},
        "surgical_strategy_group": {"source": "derived"},
        "molecular_group": {"use_mmr": False},
        "primary_sidedness": {"rectum_separate": True},
    },
    "variants2": {
        "liver_mets_timing": {
            "convention": "e_ahpba_2023",
            "split_metachronous": False,
            "use_flag": False,
        },
        "ras_class": {"assume_complete_panel": True, "required_exons": (2,)},
        "tbs_zone": {"cuts": (2, 8)},
        "surgical_strategy_group": {"source": "explicit"},
    },
}


def cohorts(workdir: Path) -> dict:
    """The regression cohorts (DataFrames), by name."""
    out = {}
    syn = synthetic_cohort(4000, 7).data
    out["synthetic"] = syn
    rng = np.random.default_rng(11)
    holes = syn.copy()
    for column in holes.columns:
        if column not in ("patient_id", "source_row"):
            holes.loc[rng.random(len(holes)) < 0.3, column] = None
    out["synthetic_holes"] = holes
    for profile in ("seer", "ncdb", "tcia_crlm", "institutional"):
        path = workdir / f"regression_{profile}.csv"
        write_synthetic_registry(profile, path, n=6000, seed=5)
        out[profile] = load_cohort(path, profile=profile).data
    return out


def snapshot(frame, options: dict) -> dict:
    """Every stratifier value, reason and dtype of one apply_all call, as plain lists."""
    result = st.apply_all(frame, **options)
    out = {}
    for column in result.columns:
        if column in st.STRATIFIERS or column.endswith(("_reason", "_assumed")):
            series = result[column]
            kind = "text" if column.endswith(("_reason", "_assumed")) else str(series.dtype)
            out[column] = (series.astype(object).where(series.notna(), None).tolist(), kind)
    out["__rules__"] = repr(result.attrs.get("stratify")), repr(result.attrs.get("not_derived"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["save", "compare"])
    parser.add_argument("path", type=Path)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        data = cohorts(Path(tmp))
        results = {
            (c, o): snapshot(frame, opts)
            for c, frame in data.items()
            for o, opts in OPTION_SETS.items()
        }
    if args.mode == "save":
        args.path.write_bytes(pickle.dumps(results))
        print(f"saved {len(results)} cohort x option snapshots to {args.path}")
        return
    old = pickle.loads(args.path.read_bytes())
    differences = 0
    for key, before in old.items():
        after = results.get(key, {})
        for column in sorted(set(before) | set(after)):
            if before.get(column) != after.get(column):
                differences += 1
                print(f"{key} {column}: differs")
    print(f"{len(old)} snapshots compared, {differences} difference(s)")


if __name__ == "__main__":
    main()
