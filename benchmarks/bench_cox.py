"""Benchmark of crlm_outcomes.survival.cox against lifelines, statsmodels and R's coxph.

Run once:  python benchmarks/bench_cox.py [--skip-statsmodels] [--skip-r] [--quick]

``--quick`` times only the month-times case against lifelines (best of ``--repeat`` runs each,
interleaved, so that a busy machine slows both alike) and prints the ratio.

Cases: 10 covariates, Efron ties, n = 1,000,000, with month-resolution integer times (1..120,
heavy ties) and with continuous times (almost no ties). statsmodels runs at n = 1e6 with month
times and, with continuous times, on the first ``--statsmodels-cap`` rows (ratio against our time
on the same rows). Our time includes input validation and
the design matrix (the full public call). Also our time against n (1e4, 1e5, 1e6) and the peak
memory of one fit (tracemalloc). lifelines and statsmodels are benchmark-only dependencies.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from crlm_outcomes.survival.cox import cox

P = 10
FORMULA = " + ".join(f"x{i}" for i in range(P))


def make_data(n: int, continuous: bool, seed: int = 20241121) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, P))
    beta = np.linspace(-0.3, 0.3, P)
    t = rng.exponential(40.0 / np.exp(x @ beta))
    c = rng.uniform(0, 150, n)
    df = pd.DataFrame(x, columns=[f"x{i}" for i in range(P)])
    obs = np.minimum(t, c)
    df["time"] = obs if continuous else np.clip(np.ceil(obs), 1, 120)
    df["event"] = (t <= c).astype(np.int64)
    return df


from _timing import seconds as timed  # noqa: E402


def ours(df: pd.DataFrame):
    return cox(df, FORMULA, "time", "event")


def lifelines_fit(df: pd.DataFrame):
    from lifelines import CoxPHFitter

    return CoxPHFitter().fit(df, "time", "event")


def statsmodels_fit(df: pd.DataFrame):
    from statsmodels.duration.hazard_regression import PHReg

    x = df[[f"x{i}" for i in range(P)]].to_numpy()
    return PHReg(df["time"].to_numpy(), x, status=df["event"].to_numpy(), ties="efron").fit()


def r_fit_seconds(df: pd.DataFrame) -> float | None:
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.csv"
        df.to_csv(path, index=False)
        script = (
            f"suppressPackageStartupMessages(library(survival)); d <- read.csv('{path}');"
            f" s <- system.time(coxph(Surv(time, event) ~ {FORMULA}, d))['elapsed'];"
            " cat(s)"
        )
        out = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True, check=True)
        return float(out.stdout.strip().split()[-1])


def quick(n: int, repeat: int) -> None:
    """Month-times case only: ours and lifelines interleaved, best of ``repeat`` each."""
    df = make_data(n, False)
    ours(df.head(1000))
    t_ours, t_ll = [], []
    for _ in range(repeat):
        t_ours.append(timed(lambda: ours(df)))
        t_ll.append(timed(lambda: lifelines_fit(df)))
        print(f"ours {t_ours[-1]:.3f} s, lifelines {t_ll[-1]:.3f} s", flush=True)
    print(
        f"[month times, n={n}] best of {repeat}: ours {min(t_ours):.3f} s, lifelines "
        f"{min(t_ll):.3f} s, lifelines/ours = {min(t_ll) / min(t_ours):.2f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--quick",
        action="store_true",
        help="month times only, against lifelines (interleaved, best of --repeat)",
    )
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-statsmodels", action="store_true")
    ap.add_argument("--skip-r", action="store_true")
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument(
        "--statsmodels-cap",
        type=int,
        default=100_000,
        help="rows for statsmodels with continuous times (its Efron loop is per "
        "distinct time; 1e6 continuous takes far too long)",
    )
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    if args.quick:
        quick(args.n, args.repeat)
        return
    rows = []
    for label, continuous in (("month times", False), ("continuous times", True)):
        df = make_data(args.n, continuous)
        ours(df.head(1000))
        t_ours = timed(lambda df=df: ours(df), repeat=2)
        print(f"[{label}] ours {t_ours:.3f} s", flush=True)
        t0 = time.perf_counter()
        ll = lifelines_fit(df)
        t_ll = time.perf_counter() - t0
        print(f"[{label}] lifelines {t_ll:.3f} s", flush=True)
        t_sm = sm_note = None
        if not args.skip_statsmodels:
            n_sm = min(args.n, args.statsmodels_cap) if continuous else args.n
            sub = df.head(n_sm)
            t_sm = timed(lambda sub=sub: statsmodels_fit(sub))
            t_ours_sub = t_ours if n_sm == args.n else timed(lambda sub=sub: ours(sub), repeat=2)
            sm_note = f"n={n_sm}: statsmodels/ours = {t_sm / t_ours_sub:.3g}"
            print(f"[{label}] statsmodels {t_sm:.3f} s ({sm_note})", flush=True)
        t_r = None if args.skip_r else r_fit_seconds(df)
        if t_r is not None:
            print(f"[{label}] R coxph {t_r:.3f} s", flush=True)
        fit = ours(df)
        diff = float(np.max(np.abs(fit.summary["coef"].to_numpy() - ll.params_.to_numpy())))
        rows.append(
            {
                "case": label,
                "n": args.n,
                "ours_s": t_ours,
                "lifelines_s": t_ll,
                "statsmodels_s": t_sm,
                "R_coxph_s": t_r,
                "lifelines/ours": t_ll / t_ours,
                "statsmodels": sm_note,
                "R/ours": None if t_r is None else t_r / t_ours,
                "max|coef diff| vs lifelines": diff,
            }
        )
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3g}"))

    scal = []
    for n in (10_000, 100_000, 1_000_000):
        df = make_data(n, False)
        scal.append({"n": n, "ours_s": timed(lambda df=df: ours(df), repeat=2)})
    print("\nours vs n (month times):")
    print(pd.DataFrame(scal).to_string(index=False, float_format=lambda v: f"{v:.3g}"))

    df = make_data(args.n, False)
    tracemalloc.start()
    ours(df)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    data_mb = df.memory_usage(deep=True).sum() / 2**20
    print(
        f"\npeak traced memory of one fit at n={args.n}: {peak / 2**20:.0f} MiB "
        f"(input frame {data_mb:.0f} MiB)"
    )


if __name__ == "__main__":
    main()
