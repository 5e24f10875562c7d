"""Benchmark: Kaplan-Meier with confidence intervals by a 4-level group plus the log-rank test.

Compares, at n = 1e6 and 1e7 rows:

* crlm_outcomes  - ``kaplan_meier(df, "t", "e", "g")`` + ``logrank(df, "t", "e", "g")``
  (input validation included: each call validates the frame with ``survival_input``);
* crlm core      - the same estimators on already validated arrays
  (``kaplan_meier_from_input`` + ``logrank_from_input``), i.e. without the validation;
* lifelines      - ``KaplanMeierFitter`` per group + ``multivariate_logrank_test``;
* statsmodels    - ``SurvfuncRight`` per group + ``survdiff`` (skipped above --sm-max rows:
  it is too slow at 1e7);
* pandas floor   - ``df.groupby(["g", "t"]).agg(events=sum, n=count)``: the aggregation every
  method needs at least once;
* R survival     - ``survfit`` + ``survdiff`` timed inside R with ``system.time`` at 1e6 (same
  data design, generated in R; skipped when ``Rscript`` is absent).

Data: times in whole days (exponential with a group effect, uniform censoring over 10 years),
as in clinical cohorts, so there are ~3,650 distinct times per group.

Run:  python benchmarks/bench_km.py            (about two minutes on a 2-core machine)
      python benchmarks/bench_km.py --sizes 1e6 --repeat 5
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import warnings

import numpy as np
import pandas as pd

from crlm_outcomes.survival._inputs import SurvivalInput, survival_input
from crlm_outcomes.survival.kaplan_meier import kaplan_meier, kaplan_meier_from_input
from crlm_outcomes.survival.logrank import logrank, logrank_from_input

LEVELS = ["A", "B", "C", "D"]


def make_data(n: int, seed: int = 2026) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 4, n)
    t_event = np.ceil(rng.exponential(900.0 * (1 + 0.3 * g)))
    t_cens = np.ceil(rng.uniform(30, 3650, n))
    return pd.DataFrame(
        {
            "t": np.minimum(t_event, t_cens),
            "e": (t_event <= t_cens).astype(np.int64),
            "g": pd.Categorical.from_codes(g, LEVELS),
        }
    )


from _timing import seconds as best_of  # noqa: E402


def run_ours(df: pd.DataFrame) -> None:
    kaplan_meier(df, "t", "e", "g")
    logrank(df, "t", "e", "g")


def run_core(si: SurvivalInput) -> None:
    kaplan_meier_from_input(si)
    logrank_from_input(si)


def run_lifelines(df: pd.DataFrame) -> None:
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import multivariate_logrank_test

    for level in LEVELS:
        sub = df[df["g"] == level]
        KaplanMeierFitter().fit(sub["t"], sub["e"])  # CIs are computed by fit
    multivariate_logrank_test(df["t"], df["g"], df["e"])


def run_statsmodels(df: pd.DataFrame) -> None:
    from statsmodels.duration.survfunc import SurvfuncRight, survdiff

    for level in LEVELS:
        sub = df[df["g"] == level]
        SurvfuncRight(sub["t"].to_numpy(), sub["e"].to_numpy())  # estimates and SEs
    survdiff(df["t"].to_numpy(), df["e"].to_numpy(), df["g"].cat.codes.to_numpy())


def run_floor(df: pd.DataFrame) -> None:
    df.groupby(["g", "t"], observed=True).agg(events=("e", "sum"), n=("e", "count"))


R_CODE = r"""
suppressPackageStartupMessages(library(survival))
set.seed(2026); n <- %d
g <- sample(0:3, n, TRUE)
te <- ceiling(rexp(n, 1 / (900 * (1 + 0.3 * g))))
tc <- ceiling(runif(n, 30, 3650))
d <- data.frame(t = pmin(te, tc), e = as.integer(te <= tc), g = factor(g, labels = c("A","B","C","D")))
best <- Inf
for (i in 1:%d) {
  el <- system.time({ f <- survfit(Surv(t, e) ~ g, data = d); s <- survdiff(Surv(t, e) ~ g, data = d) })[["elapsed"]]
  best <- min(best, el)
}
cat(best, "\n")
"""


def run_r(n: int, repeat: int) -> float | None:
    if shutil.which("Rscript") is None:
        return None
    out = subprocess.run(
        ["Rscript", "-e", R_CODE % (n, repeat)], capture_output=True, text=True, check=True
    )
    return float(out.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e6, 1e7])
    parser.add_argument("--repeat", type=int, default=3, help="best of N for the fast methods")
    parser.add_argument("--sm-max", type=float, default=1e6, help="largest n for statsmodels")
    parser.add_argument("--r-max", type=float, default=1e6, help="largest n for R")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    rows = []
    for size in args.sizes:
        n = int(size)
        df = make_data(n)
        run_ours(df)  # warm-up (imports, caches)
        reps = args.repeat if n <= 1_000_000 else max(1, args.repeat - 1)
        ours = best_of(lambda df=df: run_ours(df), reps)
        si = survival_input(df, "t", "e", by="g")
        core = best_of(lambda si=si: run_core(si), reps)
        floor = best_of(lambda df=df: run_floor(df), reps)
        life = best_of(lambda df=df: run_lifelines(df), 1)
        sm = best_of(lambda df=df: run_statsmodels(df), 1) if n <= args.sm_max else None
        r = run_r(n, 1 if n > 1_000_000 else 2) if n <= args.r_max else None
        for name, sec in [
            ("crlm_outcomes", ours),
            ("crlm core", core),
            ("pandas floor", floor),
            ("lifelines", life),
            ("statsmodels", sm),
            ("R survival", r),
        ]:
            rows.append(
                {
                    "n": f"{n:.0e}",
                    "method": name,
                    "seconds": sec,
                    "x ours": None if sec is None else sec / ours,
                    "ours / this": None if sec is None else ours / sec,
                }
            )
        del df, si
    table = pd.DataFrame(rows)
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 120):
        print(table.to_string(index=False, na_rep="skipped"))
    print(
        "\n'x ours' = time / time of crlm_outcomes (>1: slower than ours); "
        "'ours / this' vs the pandas floor is the target (<= 2)."
    )


if __name__ == "__main__":
    main()
