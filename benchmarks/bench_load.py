"""Benchmark: full ``load_cohort`` of a 1,000,000-row SEER file vs. the raw pyarrow CSV read.

Writes (once) ``benchmarks/data/seer_<rows>.csv`` — 1,000,000 synthetic patients in the SEER
profile's raw format (``crlm_outcomes.datasets.registry.write_synthetic_registry``; the data
directory is git-ignored) — then times, alternately (so both see the same machine),

* ``pyarrow.csv.read_csv(path)``: the floor, reading the bytes into columns (multithreaded);
* ``load_cohort(path, profile="seer")``: read, map, parse, validate, derive endpoints, audit,
  hash the file;

``--repeat`` times each after one warm-up, and prints the best and the median of each and their
ratios (goal: at most 3x). A shared machine varies by tens of percent from run to run, which is
why the two are interleaved and the median of the paired ratios is the headline. Also printed:
the CPU time of one load, a single-threaded read, and the YAML-derived value checks in numpy (the
load path) and in pandera (the public schema), which is why the load path does not call pandera.

History on a 2-core machine: 6.8x before the load path was parallelised, about 3x after (2025);
about 2.2x (November 2026) after only the used columns were converted, text dictionary-encoded in
the reader, all-missing columns shared copy-on-write (``crlm_outcomes._filled``), columns
converted in the worker threads and the file hashed after parsing.

Usage: ``python benchmarks/bench_load.py [--rows 1000000] [--repeat 7] [--profile seer]``
"""

from __future__ import annotations

import argparse
import statistics
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


def interleaved(fns: dict, repeat: int) -> dict[str, list[float]]:
    """Wall times of ``repeat`` rounds, each calling every function once, after a warm-up."""
    for fn in fns.values():
        fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            times[name].append(seconds(fn))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=20251121)
    parser.add_argument(
        "--profile",
        default="seer",
        help="registry profile of the file "
        "(seer, the goal's; ncdb, tcia_crlm, institutional also work)",
    )
    args = parser.parse_args()
    profile = args.profile

    path = DATA / f"{profile}_{args.rows}.csv"
    if not path.exists():
        t0 = time.perf_counter()
        write_synthetic_registry(profile, path, n=args.rows, seed=args.seed)
        print(
            f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t0:.1f} s"
        )

    times = interleaved(
        {"read": lambda: pacsv.read_csv(path), "load": lambda: load_cohort(path, profile=profile)},
        args.repeat,
    )
    read, load = times["read"], times["load"]
    pairs = [lo / rd for lo, rd in zip(load, read, strict=True)]
    cohort = load_cohort(path, profile=profile)
    a = cohort.audit
    print(f"rows: {a.rows_in} in, {a.rows_loaded} loaded, {a.rows_quarantined} quarantined")
    print(f"{args.repeat} interleaved rounds     best    median")
    print(f"pyarrow.csv.read_csv : {min(read):7.3f} s {statistics.median(read):7.3f} s")
    print(f"load_cohort ({profile[:6]:6s}): {min(load):7.3f} s {statistics.median(load):7.3f} s")
    print(
        f"ratio                : {min(load) / min(read):7.2f} x "
        f"{statistics.median(load) / statistics.median(read):7.2f} x   "
        f"median of paired ratios {statistics.median(pairs):.2f} x  (goal <= 3x)"
    )
    cpu0 = time.process_time()
    load_cohort(path, profile=profile)
    print(f"CPU time of one load : {time.process_time() - cpu0:7.3f} s")
    single = pacsv.ReadOptions(use_threads=False)
    t_read1 = best_of(lambda: pacsv.read_csv(path, read_options=single), 3)
    print(f"read_csv, 1 thread   : {t_read1:7.3f} s")
    # why the load path uses numpy checks instead of pandera (same YAML-derived checks)
    schema = canonical_definition()
    canonical_schema()  # build once, outside the timing
    t_np = best_of(lambda: value_failures(cohort.data, schema), 3)
    t_pa = best_of(lambda: validate_canonical(cohort.data), 1)
    print(f"value checks, numpy  : {t_np:7.3f} s")
    print(f"value checks, pandera: {t_pa:7.3f} s")


if __name__ == "__main__":
    main()
