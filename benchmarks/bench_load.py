"""Benchmark: full ``load_cohort`` of a 1,000,000-row SEER file vs. the raw pyarrow CSV read.

Writes (once) ``benchmarks/data/seer_<rows>.csv`` — 1,000,000 synthetic patients in the SEER
profile's raw format (``crlm_outcomes.datasets.registry.write_synthetic_registry``; the data
directory is git-ignored) — then times

* ``pyarrow.csv.read_csv(path)``: the floor, reading the bytes into columns (multithreaded; also
  shown single-threaded, a steadier reference on a busy machine);
* ``load_cohort(path, profile="seer")``: read, map, parse, validate, derive endpoints, audit;

and prints both and their ratio (goal: at most 3x). On a 2-core machine (November 2025):
read 0.24 s; load 1.62 s (6.8x) before the load path was parallelised and its missing-value
reasons stored as blocks, about 0.7 s (~3x) after. Timings on a shared machine vary by tens of
percent between runs: compare ratios from the same run. Each is timed as the best of ``--repeat``
runs after one warm-up (so imports and first-call caches are not counted). It also times the
YAML-derived value checks on the loaded cohort in numpy (the load path) and in pandera (the
public schema), which is why the load path does not call pandera.

Usage: ``python benchmarks/bench_load.py [--rows 1000000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pyarrow.csv as pacsv

from crlm_outcomes.datasets.registry import write_synthetic_registry
from crlm_outcomes.io import load_cohort
from crlm_outcomes.schema.checks import value_failures
from crlm_outcomes.schema.definition import canonical_definition
from crlm_outcomes.schema.pandera_schema import canonical_schema, validate_canonical

DATA = Path(__file__).with_name("data")


from _timing import seconds  # noqa: E402


def best_of(fn, repeat: int) -> float:
    """Best of ``repeat`` calls after one warm-up call."""
    return seconds(fn, repeat, warmup=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20251121)
    args = parser.parse_args()

    path = DATA / f"seer_{args.rows}.csv"
    if not path.exists():
        t0 = time.perf_counter()
        write_synthetic_registry("seer", path, n=args.rows, seed=args.seed)
        print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB) in "
              f"{time.perf_counter() - t0:.1f} s")

    t_read = best_of(lambda: pacsv.read_csv(path), args.repeat)
    single = pacsv.ReadOptions(use_threads=False)
    t_read1 = best_of(lambda: pacsv.read_csv(path, read_options=single), args.repeat)
    cohort = load_cohort(path, profile="seer")
    t_load = best_of(lambda: load_cohort(path, profile="seer"), args.repeat)
    a = cohort.audit
    print(f"rows: {a.rows_in} in, {a.rows_loaded} loaded, {a.rows_quarantined} quarantined")
    print(f"pyarrow.csv.read_csv : {t_read:8.3f} s")
    print(f"load_cohort (seer)   : {t_load:8.3f} s")
    print(f"ratio                : {t_load / t_read:8.2f} x  (goal <= 3x)")
    print(f"read_csv, 1 thread   : {t_read1:8.3f} s  (load / that: {t_load / t_read1:.2f} x)")
    # why the load path uses numpy checks instead of pandera (same YAML-derived checks)
    schema = canonical_definition()
    canonical_schema()  # build once, outside the timing
    t_np = best_of(lambda: value_failures(cohort.data, schema), args.repeat)
    t_pa = best_of(lambda: validate_canonical(cohort.data), 1)
    print(f"value checks, numpy  : {t_np:8.3f} s")
    print(f"value checks, pandera: {t_pa:8.3f} s")


if __name__ == "__main__":
    main()
