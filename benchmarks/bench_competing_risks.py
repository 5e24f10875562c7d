"""Timing of cumulative_incidence and fine_gray against lifelines and R (cmprsk).

Run from the repository root::

    python benchmarks/bench_competing_risks.py            # n = 1e5 and 1e6 for the CIF
    python benchmarks/bench_competing_risks.py --quick    # smaller sizes

Compares

* ``cumulative_incidence`` (both causes, with cmprsk's variance) with lifelines'
  ``AalenJohansenFitter`` fitted once per cause (continuous times, so lifelines does not jitter),
  and with R ``cmprsk::cuminc`` timed inside R (``system.time``) when ``Rscript`` is available;
* ``fine_gray`` with R ``cmprsk::crr`` (3 covariates) at smaller n, since crr's variance is
  O(n^2).

Prints wall times and ratios (other / ours) plus the largest difference of the estimates.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from crlm_outcomes.survival.competing_risks import cumulative_incidence
from crlm_outcomes.survival.fine_gray import fine_gray


def make_data(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.binomial(1, 0.4, n)
    x3 = rng.uniform(size=n)
    t1 = rng.exponential(1 / (0.1 * np.exp(0.5 * x1 - 0.3 * x2)))
    t2 = rng.exponential(1 / (0.08 * np.exp(0.2 * x3)))
    c = rng.uniform(0, 15, n)
    t = np.minimum(np.minimum(t1, t2), c)
    status = np.where(t == c, 0, np.where(t == t1, 1, 2))
    return pd.DataFrame({"time": t, "status": status, "x1": x1, "x2": x2, "x3": x3})


from _timing import seconds_and_result as timed  # noqa: E402


def r_time(df: pd.DataFrame, code: str) -> float | None:
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.csv"
        df.to_csv(path, index=False)
        script = (
            f"suppressPackageStartupMessages(library(cmprsk)); d <- read.csv('{path}');"
            f"st <- system.time({{ {code} }}); cat(st[['elapsed']])"
        )
        res = subprocess.run(
            ["Rscript", "-e", script], capture_output=True, text=True, timeout=3600
        )
        if res.returncode != 0:
            print("R failed:", res.stderr[-500:], file=sys.stderr)
            return None
        return float(res.stdout.strip().split()[-1])


LIFELINES_MAX_N = 100_000  # lifelines needs ~1 min at 1e5 and grows superlinearly


def bench_cif(n: int) -> None:
    df = make_data(n)
    t_ours, res = timed(
        lambda: cumulative_incidence(df, "time", "status"), repeat=3 if n <= 100_000 else 1
    )
    line = f"CIF n={n:>9,d}: ours {t_ours:8.3f}s"
    try:
        from lifelines import AalenJohansenFitter

        if n > LIFELINES_MAX_N:
            raise TimeoutError

        def run_lifelines():
            fits = []
            for cause in (1, 2):
                ajf = AalenJohansenFitter(calculate_variance=True, jitter_level=0)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    ajf.fit(df["time"], df["status"], event_of_interest=cause)
                fits.append(ajf)
            return fits

        t_ll, fits = timed(run_lifelines)
        grid = np.quantile(df["time"], [0.25, 0.5, 0.75])
        ours = res.at(grid)
        diff = 0.0
        for cause, ajf in zip((1, 2), fits, strict=True):
            cdf = ajf.cumulative_density_
            pos = np.searchsorted(cdf.index.to_numpy(), grid, side="right") - 1
            theirs = cdf.iloc[:, 0].to_numpy()[pos]
            mine = ours.loc[ours["cause"] == cause, "estimate"].to_numpy()
            diff = max(diff, float(np.max(np.abs(theirs - mine))))
        line += f" | lifelines {t_ll:8.3f}s (x{t_ll / t_ours:6.1f}), max |dF| {diff:.1e}"
    except ImportError:
        line += " | lifelines not installed"
    except TimeoutError:
        line += f" | lifelines skipped (n > {LIFELINES_MAX_N:,d})"
    t_r = r_time(df, "z <- cuminc(d$time, d$status)")
    if t_r is not None:
        line += f" | R cuminc {t_r:8.3f}s (x{t_r / t_ours:6.1f})"
    print(line, flush=True)


def bench_crr(n: int) -> None:
    df = make_data(n, seed=2)
    t_ours, res = timed(lambda: fine_gray(df, "x1 + x2 + x3", "time", "status"))
    line = f"crr n={n:>9,d}: ours {t_ours:8.3f}s"
    t_r = r_time(df, "z <- crr(d$time, d$status, as.matrix(d[, c('x1','x2','x3')]))")
    if t_r is not None:
        line += f" | R crr {t_r:8.3f}s (x{t_r / t_ours:6.1f})"
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    cif_sizes = [10_000, 100_000] if args.quick else [100_000, 1_000_000]
    crr_sizes = [1_000, 2_000] if args.quick else [1_000, 5_000]
    for n in cif_sizes:
        bench_cif(n)
    for n in crr_sizes:
        bench_crr(n)
    for big in [100_000] if args.quick else [100_000, 1_000_000]:
        data = make_data(big, 3)
        t_big, _ = timed(lambda d=data: fine_gray(d, "x1 + x2 + x3", "time", "status"))
        print(f"crr n={big:>9,d}: ours {t_big:8.3f}s (R crr not run: O(n^2) variance)")


if __name__ == "__main__":
    main()
