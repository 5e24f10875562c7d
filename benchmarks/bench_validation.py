"""Timing of crlm_outcomes.validation (concordance, time-dependent AUC) against scikit-survival.

Run from the repository root::

    python benchmarks/bench_validation.py            # n = 1e4 and 1e5
    python benchmarks/bench_validation.py --quick    # n = 1e4 only

Compares, on simulated data with rounded (tied) times,

* Harrell's C (``concordance(..., timewt="n")``) with ``sksurv.metrics.concordance_index_censored``;
* Uno's C (``timewt="n/G2"``, truncated at ``tau``) with ``concordance_index_ipcw``;
* AUC(t) at 3 times with influence-function standard errors (``time_auc``) with
  ``cumulative_dynamic_auc`` (which gives no standard errors).

scikit-survival's concordance functions loop over the events (O(n * events)); at 1e5 they are
skipped unless ``--full`` is given. Ours include the standard errors (survival's infinitesimal
jackknife; riskRegression's influence function), scikit-survival's do not. Prints wall times,
the ratio (other / ours) and the largest difference of the estimates (scikit-survival handles
censorings tied with event times differently from R, so small differences are expected).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import seconds_and_result as timed  # noqa: E402

from crlm_outcomes.validation import concordance, time_auc  # noqa: E402


def make_data(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    score = rng.integers(0, 6, n) + rng.normal(0, 0.5, n)
    t = rng.exponential(40 / np.exp(0.3 * score))
    c = rng.uniform(1, 120, n)
    time = np.ceil(np.minimum(t, c) * 4) / 4       # quarter-month ties
    return pd.DataFrame({"time": time, "event": (t <= c).astype(int), "score": score})


def run(n: int, full: bool) -> list[dict]:
    try:
        from sksurv.metrics import (
            concordance_index_censored,
            concordance_index_ipcw,
            cumulative_dynamic_auc,
        )
    except ImportError:  # pragma: no cover - benchmark-only dependency
        print("scikit-survival is not installed: pip install -e '.[bench]'")
        return []
    d = make_data(n)
    y = np.array(list(zip(d["event"].astype(bool), d["time"], strict=True)),
                 dtype=[("event", bool), ("time", float)])
    tau = 60.0
    times = [12.0, 36.0, 60.0]
    rows = []
    skip = n > 20_000 and not full

    t_ours, r = timed(lambda: concordance(d, "time", "event", "score"), repeat=3, warmup=True)
    ours = r.table["estimate"].iloc[0]
    if skip:
        rows.append({"task": "Harrell C (+SE)", "n": n, "ours_s": t_ours, "sksurv_s": np.nan,
                     "ratio": np.nan, "max_abs_diff": np.nan})
    else:
        t_sk, rs = timed(lambda: concordance_index_censored(y["event"], y["time"],
                                                            d["score"].to_numpy()))
        rows.append({"task": "Harrell C (+SE)", "n": n, "ours_s": t_ours, "sksurv_s": t_sk,
                     "ratio": t_sk / t_ours, "max_abs_diff": abs(ours - rs[0])})

    t_ours, r = timed(lambda: concordance(d, "time", "event", "score", timewt="n/G2",
                                          ymax=tau), repeat=3, warmup=True)
    ours = r.table["estimate"].iloc[0]
    if skip:
        rows.append({"task": "Uno C, tau=60 (+SE)", "n": n, "ours_s": t_ours,
                     "sksurv_s": np.nan, "ratio": np.nan, "max_abs_diff": np.nan})
    else:
        t_sk, rs = timed(lambda: concordance_index_ipcw(y, y, d["score"].to_numpy(), tau=tau))
        rows.append({"task": "Uno C, tau=60 (+SE)", "n": n, "ours_s": t_ours, "sksurv_s": t_sk,
                     "ratio": t_sk / t_ours, "max_abs_diff": abs(ours - rs[0])})

    t_ours, r = timed(lambda: time_auc(d, "time", "event", "score", times), repeat=3,
                      warmup=True)
    t_sk, rs = timed(lambda: cumulative_dynamic_auc(y, y, d["score"].to_numpy(), times),
                     repeat=3)
    rows.append({"task": "AUC(t), 3 times (+SE)", "n": n, "ours_s": t_ours, "sksurv_s": t_sk,
                 "ratio": t_sk / t_ours,
                 "max_abs_diff": float(np.max(np.abs(r.table["estimate"].to_numpy()
                                                     - rs[0])))})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="n = 1e4 only")
    ap.add_argument("--full", action="store_true",
                    help="also run scikit-survival's O(n * events) concordance at 1e5")
    args = ap.parse_args()
    sizes = [10_000] if args.quick else [10_000, 100_000]
    rows = []
    for n in sizes:
        rows += run(n, args.full)
    if rows:
        out = pd.DataFrame(rows)
        with pd.option_context("display.width", 120):
            print(out.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        print("ratio = scikit-survival time / crlm_outcomes time (above 1: we are faster)")


if __name__ == "__main__":
    main()
