"""Timing of crlm_outcomes.validation (concordance, time-dependent AUC) against scikit-survival.

Run from the repository root::

    python benchmarks/bench_validation.py              # n = 1e4 and 1e5 (about 2 minutes)
    python benchmarks/bench_validation.py --quick      # n = 1e4 only
    python benchmarks/bench_validation.py --skip-slow  # no scikit-survival C at 1e5 (~40 s each)

Compares, on simulated data with rounded (tied) times,

* Harrell's C (``concordance(..., timewt="n")``) with ``sksurv.metrics.concordance_index_censored``;
* Uno's C (``timewt="n/G2"``, truncated at ``tau``) with ``concordance_index_ipcw``;
* AUC(t) at 3 times with influence-function standard errors (``time_auc``) with
  ``cumulative_dynamic_auc`` (which gives no standard errors);

and times ``compare_scores`` (3 scores, 2 times, no bootstrap: the whole comparison table).

scikit-survival's concordance functions loop over the events (O(n * events)), so they are timed
once (about 40 s each at 1e5); ours are the best of 3 calls after a warm-up. Ours include the
standard errors (survival's infinitesimal jackknife; riskRegression's influence function),
scikit-survival's do not. Prints wall times (and our CPU time, the robust number on a shared
machine), the ratio (scikit-survival / ours) and the largest difference of the estimates
(Harrell's C agrees to ~1e-10, scikit-survival counting scores within 1e-8 as tied; its Uno
C weights by G(t) rather than survival's G(t-) and truncates at t < tau, and its AUC handles
ties differently from riskRegression, so differences in the fifth decimal are expected).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import seconds_and_result as timed  # noqa: E402

from crlm_outcomes.validation import compare_scores, concordance, time_auc  # noqa: E402


def cpu_seconds(fn, repeat: int = 3) -> float:
    """Best process (CPU) time of ``repeat`` calls: little affected by other processes."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


def make_data(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    score = rng.integers(0, 6, n) + rng.normal(0, 0.5, n)
    t = rng.exponential(40 / np.exp(0.3 * score))
    c = rng.uniform(1, 120, n)
    months = np.ceil(np.minimum(t, c) * 4) / 4  # quarter-month ties
    return pd.DataFrame(
        {
            "time": months,
            "event": (t <= c).astype(int),
            "score": score,
            # two more scores for compare_scores: a points score, a noisier one
            "points": np.clip(np.round(score), 0, 5),
            "noisy": score + rng.normal(0, 1.5, n),
        }
    )


def run(n: int, skip_slow: bool) -> list[dict]:
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
    y = np.array(
        list(zip(d["event"].astype(bool), d["time"], strict=True)),
        dtype=[("event", bool), ("time", float)],
    )
    tau = 60.0
    times = [12.0, 36.0, 60.0]
    rows = []
    skip = n > 20_000 and skip_slow
    x = d["score"].to_numpy()

    def row(task, ours_fn, sk_fn, estimate, sk_estimate, sk_repeat=1):
        t_ours, r = timed(ours_fn, repeat=3, warmup=True)
        cpu = cpu_seconds(ours_fn)
        out = {
            "task": task,
            "n": n,
            "ours_s": t_ours,
            "ours_cpu_s": cpu,
            "sksurv_s": np.nan,
            "ratio": np.nan,
            "max_abs_diff": np.nan,
        }
        if sk_fn is not None:
            t_sk, rs = timed(sk_fn, repeat=sk_repeat)
            out.update(
                sksurv_s=t_sk,
                ratio=t_sk / t_ours,
                max_abs_diff=float(np.max(np.abs(estimate(r) - sk_estimate(rs)))),
            )
        rows.append(out)

    def c_of(r):
        return r.table["estimate"].iloc[0]

    row(
        "Harrell C (+SE)",
        lambda: concordance(d, "time", "event", "score"),
        None if skip else lambda: concordance_index_censored(y["event"], y["time"], x),
        c_of,
        lambda rs: rs[0],
    )
    row(
        "Uno C, tau=60 (+SE)",
        lambda: concordance(d, "time", "event", "score", timewt="n/G2", ymax=tau),
        None if skip else lambda: concordance_index_ipcw(y, y, x, tau=tau),
        c_of,
        lambda rs: rs[0],
    )
    row(
        "AUC(t), 3 times (+SE)",
        lambda: time_auc(d, "time", "event", "score", times),
        lambda: cumulative_dynamic_auc(y, y, x, times),
        lambda r: r.table["estimate"].to_numpy(),
        lambda rs: rs[0],
        sk_repeat=3,
    )
    row(
        "compare_scores: 3 scores, 2 times",
        lambda: compare_scores(d, "time", "event", ["score", "points", "noisy"], [12.0, 36.0]),
        None,
        None,
        None,
    )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="n = 1e4 only")
    ap.add_argument(
        "--skip-slow",
        action="store_true",
        help="skip scikit-survival's O(n * events) concordance at 1e5",
    )
    args = ap.parse_args()
    sizes = [10_000] if args.quick else [10_000, 100_000]
    rows = []
    for n in sizes:
        rows += run(n, args.skip_slow)
    if rows:
        out = pd.DataFrame(rows)
        with pd.option_context("display.width", 120):
            print(out.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        print(
            "ratio = scikit-survival time / crlm_outcomes time (above 1: we are faster); "
            "ours_cpu_s = our best process time"
        )


if __name__ == "__main__":
    main()
