"""Benchmark: ``stratify.apply_all`` (every category, score and eligibility flag, with the reason
for every patient left unclassified) on registry-sized cohorts.

No other library computes these guideline categories and CRLM scores, so there is nothing to run
side by side: this prints the package's own time per cohort size, to watch for regressions.
Two cohorts: the calibrated synthetic cohort (institutional detail, most patients classifiable)
and a SEER-profile registry load (``benchmarks/data/seer_<rows>.csv``, written by
``bench_load.py`` if absent), where most patients cannot be classified by most stratifiers and
every one of them gets a reason.

Measured (2-core machine, November 2026): SEER 1,000,000 rows 111 s before the reasons were built
once per distinct pattern instead of once per patient, 39 s after; synthetic 200,000 rows 7.8 s
before, 4.8 s after.

Usage: ``python benchmarks/bench_stratify.py [--rows 100000 1000000]``
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

from _timing import seconds

import crlm_outcomes as co
from crlm_outcomes.datasets import synthetic_cohort
from crlm_outcomes.datasets.registry import write_synthetic_registry
from crlm_outcomes.io import load_cohort

DATA = Path(__file__).with_name("data")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=20251121)
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # the registry's missing-data warnings
    for rows in args.rows:
        path = DATA / f"seer_{rows}.csv"
        if not path.exists():
            write_synthetic_registry("seer", path, n=rows, seed=args.seed)
        seer = load_cohort(path, profile="seer")
        t = seconds(lambda seer=seer: co.stratify.apply_all(seer))
        print(f"apply_all, SEER registry, {rows:>9,} rows: {t:7.2f} s")
        synthetic = synthetic_cohort(min(rows, 200_000), args.seed)
        t = seconds(lambda synthetic=synthetic: co.stratify.apply_all(synthetic))
        print(f"apply_all, synthetic,     {len(synthetic.data):>9,} rows: {t:7.2f} s")


if __name__ == "__main__":
    main()
