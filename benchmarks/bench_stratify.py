"""Benchmark: ``stratify.apply_all`` (every category, score and eligibility flag, with the reason
for every patient left unclassified) on registry-sized cohorts, as a ratio to ``load_cohort``.

No other library computes these guideline categories and CRLM scores, so the yardstick is the
package's own loader: the target (issue #13) is ``apply_all`` on a SEER-profile registry file in
at most 3 times the ``load_cohort`` time of the same file, both measured in this one run
(best of ``--repeat`` calls each, interleaved, so that a busy machine slows both alike).
Two cohorts: a SEER-profile registry load (``benchmarks/data/seer_<rows>.csv``, written by
``bench_load.py``'s generator if absent), where most patients cannot be classified by most
stratifiers and every one of them gets a reason, and the calibrated synthetic cohort
(institutional detail, most patients classifiable).

Measured (2-core machine shared with other jobs, December 2026; SEER profile, 1,000,000 rows):
before issue #13, load_cohort 10.7 s and apply_all 250.8 s (ratio 23.4; about 39 s / 40x on an
idle machine); after (values and reasons as integer codes, shared reads and sub-results, and
the 11 new categories included), load_cohort 10.9 s and apply_all 14.6 s (ratio 1.34). Outputs
were identical before and after the code change on the regression cohorts
(``benchmarks/check_stratify_regression.py``). Re-measured for the issue #13 verification
(same machine, shared): load_cohort 9.91 s, apply_all 7.74 s (ratio 0.78); a second run with
``--repeat 3`` 13.46 s and 12.00 s (ratio 0.89).

Usage: ``python benchmarks/bench_stratify.py [--rows 100000 1000000] [--repeat 2]``
"""

from __future__ import annotations

import argparse
import time
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
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # the registry's missing-data warnings
    for rows in args.rows:
        path = args.data / f"seer_{rows}.csv"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            write_synthetic_registry("seer", path, n=rows, seed=args.seed)
        load_best = apply_best = float("inf")
        seer = None
        for _ in range(max(1, args.repeat)):  # interleaved: load, apply, load, apply ...
            t0 = time.perf_counter()
            seer = load_cohort(path, profile="seer")
            load_best = min(load_best, time.perf_counter() - t0)
            t0 = time.perf_counter()
            co.stratify.apply_all(seer)
            apply_best = min(apply_best, time.perf_counter() - t0)
        print(
            f"SEER registry {rows:>9,} rows: load_cohort {load_best:7.2f} s, apply_all "
            f"{apply_best:7.2f} s, ratio {apply_best / load_best:5.2f} (target <= 3)"
        )
        synthetic = synthetic_cohort(min(rows, 200_000), args.seed)
        t = seconds(lambda synthetic=synthetic: co.stratify.apply_all(synthetic))
        print(f"apply_all, synthetic,     {len(synthetic.data):>9,} rows: {t:7.2f} s")


if __name__ == "__main__":
    main()
