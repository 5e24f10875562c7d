"""Batched loading (``load_cohort(..., out=...)``) against the in-memory load: time and peak memory.

Writes (once) ``benchmarks/data/seer_<rows>.csv`` (synthetic SEER-format patients, as
``bench_load.py``), then runs, each in its own subprocess so that its peak resident memory
(``ru_maxrss``) is its own:

* ``load_cohort(path, profile="seer")``: the whole file in memory;
* ``load_cohort(path, profile="seer", out=..., batch_rows=B)``: batches of ``B`` rows written as
  a partitioned Parquet cohort.

Prints seconds, peak MB, the ratio of the two, and checks that both audits agree (rows in,
loaded, quarantined).

Usage: ``python benchmarks/bench_batched_load.py [--rows 1000000] [--batch-rows 100000]``
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).with_name("data")


def _child(mode: str, path: str, batch_rows: int) -> dict:
    import resource
    import warnings

    from crlm_outcomes.io import load_cohort

    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    if mode == "memory":
        c = load_cohort(path, profile="seer")
        counts = (c.audit.rows_in, c.audit.rows_loaded, c.audit.rows_quarantined)
    else:
        out = Path(tempfile.mkdtemp()) / "cohort"
        try:
            ds = load_cohort(path, profile="seer", out=out, batch_rows=batch_rows)
            counts = (ds.rows_in, ds.rows_loaded, ds.rows_quarantined)
        finally:
            shutil.rmtree(out.parent, ignore_errors=True)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"mode": mode, "seconds": seconds, "peak_mb": peak, "counts": counts}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--batch-rows", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=20251121)
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(_child(args.child[0], args.child[1], int(args.child[2]))))
        return
    DATA.mkdir(exist_ok=True)
    path = DATA / f"seer_{args.rows}.csv"
    if not path.exists():  # in a subprocess: a child's ru_maxrss starts at its parent's
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from crlm_outcomes.datasets."
                "registry import write_synthetic_registry as w; "
                "w('seer', sys.argv[1], n=int(sys.argv[2]), seed=int(sys.argv[3]))",
                str(path),
                str(args.rows),
                str(args.seed),
            ],
            check=True,
        )
    res = []
    for mode in ("memory", "batched"):
        proc = subprocess.run(
            [sys.executable, __file__, "--child", mode, str(path), str(args.batch_rows)],
            capture_output=True,
            text=True,
            check=True,
        )
        res.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    print(f"{args.rows:,} rows (SEER format), batches of {args.batch_rows:,}")
    print(f"{'load':8} {'seconds':>8} {'peak MB':>8}  rows in / loaded / quarantined")
    for r in res:
        print(f"{r['mode']:8} {r['seconds']:8.1f} {r['peak_mb']:8.0f}  {r['counts']}")
    print(
        f"batched / memory: time {res[1]['seconds'] / res[0]['seconds']:.2f}, peak memory "
        f"{res[1]['peak_mb'] / res[0]['peak_mb']:.2f}; audits agree: "
        f"{res[0]['counts'] == res[1]['counts']}"
    )


if __name__ == "__main__":
    main()
