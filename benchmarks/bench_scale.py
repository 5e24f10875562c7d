"""Engines side by side: in-memory pandas, DuckDB (out of core) and Dask, same data, same run.

Each measurement runs in its own subprocess so that its peak resident memory (``ru_maxrss``)
is its own. The data are written once as a Parquet dataset under ``benchmarks/data/`` (by
DuckDB, without materialising the rows in Python): ``rows`` patients, whole-month times
(1–120), an event indicator, a 4-level group and 10 numeric covariates.

Usage::

    python benchmarks/bench_scale.py --rows 10000000            # pandas vs DuckDB vs Dask
    python benchmarks/bench_scale.py --rows 100000000 --only duckdb
    python benchmarks/bench_scale.py --rows 10000000 --analysis cox
    python benchmarks/bench_scale.py --rows 1000000 --analysis robust --only pandas --only duckdb

Prints, per engine, the seconds for Kaplan–Meier + log-rank by group (``--analysis km``), for
a Cox fit (``--analysis cox``: Efron ties, the 10 covariates, whole-month times) and for the
same fit with the robust (sandwich) variance (``--analysis robust``: two more passes over the
rows, at the fit and at ``beta = 0`` for the robust score test), the ratio to the in-memory
path, the peak memory of the process, and the agreement with pandas.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"


def make_dataset(rows: int) -> Path:
    """A Parquet dataset of ``rows`` synthetic patients (written by DuckDB, 8 files)."""
    import duckdb

    out = DATA / f"scale_{rows}"
    if out.exists() and any(out.glob("*.parquet")):
        return out
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET memory_limit = '1GB'")
    covs = ", ".join(f"random() AS x{i}" for i in range(10))
    per = rows // 8
    for k in range(8):
        n = per if k < 7 else rows - 7 * per
        con.execute(f"""
            COPY (SELECT ceil(-ln(random()) * 40 * (1 + (i % 4) * 0.2)) AS months,
                         CAST(random() < 0.6 AS INTEGER) AS event,
                         'g' || CAST(i % 4 AS VARCHAR) AS grp, {covs}
                  FROM range({k * per}, {k * per + n}) t(i))
            TO '{out}/part{k}.parquet' (FORMAT parquet)""")
    return out


COX_FORMULA = " + ".join(f"x{i}" for i in range(10))


def _child(engine: str, path: str, analysis: str = "km") -> dict:
    import resource

    import crlm_outcomes as co

    columns = (
        ["months", "event", *[f"x{i}" for i in range(10)]]
        if analysis in ("cox", "robust")
        else ["months", "event", "grp"]
    )
    if engine == "pandas":
        import pandas as pd

        t0 = time.perf_counter()
        data = pd.read_parquet(path, columns=columns)
        load = time.perf_counter() - t0
    elif engine == "dask":
        import dask.dataframe as dd
        from distributed import Client, LocalCluster

        cluster = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None)
        client = Client(cluster)
        data = dd.read_parquet(path, columns=columns)
        load = 0.0
    else:
        data = path
        load = 0.0
    t0 = time.perf_counter()
    if analysis in ("cox", "robust"):
        fit = co.cox(
            data, COX_FORMULA, "months", "event", ties="efron", robust=analysis == "robust"
        )
        se = "robust_std_error" if analysis == "robust" else "std_error"
        out = {
            "coef": fit.table["coef"].tolist(),
            "std_error": fit.table[se].tolist(),
            "loglik": fit.loglik[1],
            "iterations": fit.iterations,
        }
    else:
        km = co.kaplan_meier(data, "months", "event", by="grp")
        lr = co.logrank(data, "months", "event", by="grp")
        out = {"chisq": lr.statistic, "last_surv": float(km.table["survival"].iloc[-1])}
    seconds = time.perf_counter() - t0
    if engine == "dask":
        client.close()
        cluster.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"engine": engine, "seconds": seconds, "load_seconds": load, "peak_mb": peak_mb, **out}


def run(engine: str, path: Path, analysis: str) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", engine, str(path), analysis],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _report_cox(rows: int, results: list[dict], robust: bool = False) -> None:
    import numpy as np

    base = next((r for r in results if r["engine"] == "pandas"), None)
    what = "robust (sandwich) variance" if robust else "model-based variance"
    print(f"{rows:,} rows; Cox (Efron, 10 covariates, whole-month times), {what}")
    print(f"{'engine':8} {'seconds':>9} {'ratio':>7} {'peak MB':>9} {'iter':>5}  log-likelihood")
    for r in results:
        total = r["seconds"] + r["load_seconds"]
        ratio = f"{total / (base['seconds'] + base['load_seconds']):.2f}" if base else "-"
        print(
            f"{r['engine']:8} {total:9.2f} {ratio:>7} {r['peak_mb']:9.0f} {r['iterations']:5d}"
            f"  {r['loglik']:.12g}"
        )
    if base:
        for r in results:
            rc = np.max(np.abs(np.array(r["coef"]) / np.array(base["coef"]) - 1))
            rs = np.max(np.abs(np.array(r["std_error"]) / np.array(base["std_error"]) - 1))
            print(
                f"  {r['engine']}: max relative difference to pandas: coef {rc:.1e}, "
                f"{'robust ' if robust else ''}SE {rs:.1e}, "
                f"loglik {abs(r['loglik'] / base['loglik'] - 1):.1e}"
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--only", choices=["pandas", "duckdb", "dask"], action="append")
    ap.add_argument("--analysis", choices=["km", "cox", "robust", "both"], default="both")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(_child(*args.child)))
        return
    # written in a subprocess: a child's ru_maxrss starts at its parent's resident size
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]); "
            "import bench_scale as b; b.make_dataset(int(sys.argv[2]))",
            str(HERE),
            str(args.rows),
        ],
        check=True,
    )
    path = DATA / f"scale_{args.rows}"
    engines = args.only or ["pandas", "duckdb", "dask"]
    if args.analysis == "robust":
        _report_cox(args.rows, [run(e, path, "robust") for e in engines], robust=True)
        return
    if args.analysis in ("cox", "both"):
        _report_cox(args.rows, [run(e, path, "cox") for e in engines])
        if args.analysis == "cox":
            return
    results = [run(e, path, "km") for e in engines]
    base = next((r for r in results if r["engine"] == "pandas"), None)
    print(f"{args.rows:,} rows; KM + log-rank by 4 groups (whole-month times)")
    print(f"{'engine':8} {'seconds':>9} {'ratio':>7} {'peak MB':>9}  chi-square")
    for r in results:
        total = r["seconds"] + r["load_seconds"]
        ratio = f"{total / (base['seconds'] + base['load_seconds']):.2f}" if base else "-"
        print(f"{r['engine']:8} {total:9.2f} {ratio:>7} {r['peak_mb']:9.0f}  {r['chisq']:.10g}")
    if base:
        for r in results:
            rel = abs(r["chisq"] / base["chisq"] - 1)
            print(f"  {r['engine']}: chi-square relative difference to pandas {rel:.1e}")


if __name__ == "__main__":
    main()
