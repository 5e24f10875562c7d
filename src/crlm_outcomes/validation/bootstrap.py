"""Internal validation by bootstrap optimism correction (Harrell, Lee & Mark 1996, Statistics in
Medicine 15:361-387, section 5.3; Steyerberg 2019, Clinical Prediction Models, chapter 17).

The "model" validated is the risk model built on the score (:func:`~.risk_model.predicted_risk`:
per-level KM or Cox on the score). For each of ``n_boot`` resamples (with replacement, seeded)
the model is refitted on the resample and evaluated on the resample (apparent) and on the original
data (test); optimism is the mean of apparent - test and the corrected estimate is the original
apparent estimate minus the optimism. Metrics: Harrell's C of the predicted risk at the last
horizon, AUC(t), Brier(t) and the calibration slope at each horizon.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crlm_outcomes._display import frames_html
from crlm_outcomes._result import Result
from crlm_outcomes.errors import SurvivalDataError
from crlm_outcomes.validation._concordance_core import concordance_counts
from crlm_outcomes.validation._estimators import cox_fit_predict
from crlm_outcomes.validation._inputs import as_frame, outcome, predictor_values
from crlm_outcomes.validation._ipcw import censoring_km
from crlm_outcomes.validation._td_core import auc_at, brier_at
from crlm_outcomes.validation.risk_model import METHODS, fit_risk

__all__ = ["BootstrapResult", "bootstrap_validation"]

Progress = Callable[[int, int], None]


@dataclass(frozen=True, eq=False, repr=False)
class BootstrapResult(Result):
    """Apparent, optimism and optimism-corrected performance.

    Attributes
    ----------
    table
        term, metric ("C", "AUC", "Brier", "calibration slope"), time, apparent, optimism,
        corrected, n_boot (resamples in which the metric could be computed).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> s = rng.integers(0, 4, 120)
    >>> t = rng.exponential(10 / np.exp(0.5 * s))
    >>> d = pd.DataFrame({"t": np.minimum(t, 15), "e": (t < 15).astype(int), "s": s})
    >>> r = bootstrap_validation(d, "t", "e", "s", [5], n_boot=5, seed=1)
    >>> r
    <BootstrapResult 5 resamples, risk model: cox>
    >>> c = r.table[r.table["metric"] == "C"].iloc[0]
    >>> [round(float(c[k]), 3) for k in ("apparent", "optimism", "corrected")]
    [0.662, 0.009, 0.653]
    """

    table: pd.DataFrame
    n_boot: int
    seed: int | None
    method: str
    excluded: pd.DataFrame = field(repr=False)

    def __repr__(self) -> str:
        return f"<BootstrapResult {self.n_boot} resamples, risk model: {self.method}>"

    def summary(self) -> str:
        """Optimism-corrected performance as text.

        Returns
        -------
        str
            A heading (resamples, seed, risk model) and the :attr:`table` with four decimals.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(0)
        >>> s = rng.integers(0, 4, 120)
        >>> t = rng.exponential(10 / np.exp(0.5 * s))
        >>> d = pd.DataFrame({"t": np.minimum(t, 15), "e": (t < 15).astype(int), "s": s})
        >>> r = bootstrap_validation(d, "t", "e", "s", [5], n_boot=2, seed=1)
        >>> print(r.summary())
        Bootstrap optimism correction (2 resamples, seed 1, risk model: cox)
        term            metric   time  apparent  optimism  corrected  n_boot
           s                 C 5.0000    0.6621    0.0291     0.6330       2
           s               AUC 5.0000    0.7437    0.0374     0.7063       2
           s             Brier 5.0000    0.1978   -0.0175     0.2153       2
           s calibration slope 5.0000    1.0000    0.1466     0.8534       2
        """
        return (
            f"Bootstrap optimism correction ({self.n_boot} resamples, seed {self.seed}, "
            f"risk model: {self.method})\n"
            + self.table.to_string(index=False, float_format=lambda v: f"{v:.4f}")
        )

    def plot(self, ax=None):
        """Apparent and corrected estimates per metric: a dot at the optimism-corrected value
        and a bar to the apparent one, one row per metric and time.

        Parameters
        ----------
        ax
            A matplotlib Axes to draw on; default a new figure in the publication style.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(0)
        >>> s = rng.integers(0, 4, 120)
        >>> t = rng.exponential(10 / np.exp(0.5 * s))
        >>> d = pd.DataFrame({"t": np.minimum(t, 15), "e": (t < 15).astype(int), "s": s})
        >>> r = bootstrap_validation(d, "t", "e", "s", [5], n_boot=2, seed=1)
        >>> ax = r.plot()
        >>> [t.get_text() for t in ax.get_yticklabels()]
        ['C t=5', 'AUC t=5', 'Brier t=5', 'calibration slope t=5']
        >>> plt.close(ax.figure)
        """
        from crlm_outcomes.plots.validation import estimate_plot

        t = self.table.assign(
            term=lambda f: (
                f["metric"] + " " + f["time"].map(lambda v: "" if pd.isna(v) else f"t={v:g}")
            ),
            estimate=self.table["corrected"],
            lower=self.table[["corrected", "apparent"]].min(axis=1),
            upper=self.table[["corrected", "apparent"]].max(axis=1),
        )
        return estimate_plot(t, xlabel="optimism-corrected (bar: to apparent)", ax=ax)

    def _repr_html_(self) -> str:
        return frames_html(
            "Bootstrap optimism correction",
            {"": self.table},
            notes={"resamples": self.n_boot, "seed": self.seed, "risk model": self.method},
        )


def _metrics(time, event, risk, times, cause) -> np.ndarray:
    """[C, AUC(t)..., Brier(t)..., slope(t)...] of a risk matrix on data (time, event)."""
    c = 1 if cause is None else cause
    ev = (event == c).astype(np.int64)
    vals = [concordance_counts(time, ev, risk[:, -1], reverse=True).concordance]
    g = censoring_km(time, event)
    aucs, briers, slopes = [], [], []
    for k, t in enumerate(times):
        aucs.append(auc_at(g, time, event, risk[:, k], t, c)[0])
        briers.append(brier_at(g, time, event, risk[:, k], t, c)[0])
        p = np.clip(risk[:, k], 1e-10, 1 - 1e-10)
        try:
            slopes.append(
                float(cox_fit_predict(time, event, np.log(-np.log1p(-p)), t, cause)[0][0])
            )
        except (ValueError, ArithmeticError, np.linalg.LinAlgError):
            slopes.append(np.nan)
    return np.array(vals + aucs + briers + slopes, dtype=float)


def bootstrap_validation(
    data,
    duration: str,
    event: str,
    score: str,
    times: float | Sequence[float],
    *,
    method: str = "cox",
    n_boot: int = 200,
    seed: int | None = None,
    cause: int | None = None,
    progress: bool | Progress = False,
) -> BootstrapResult:
    """Bootstrap optimism-corrected C, AUC(t), Brier(t) and calibration slope of a score's
    risk model.

    Parameters
    ----------
    data, duration, event
        DataFrame or Cohort; follow-up time and event code.
    score
        Score column.
    times
        Horizon(s).
    method
        Risk model on the score: ``"cox"`` (default) or ``"km"`` (per-level).
    n_boot
        Number of bootstrap resamples.
    seed
        Seed of :func:`numpy.random.default_rng` (reproducible resamples).
    cause
        Event code of interest for competing risks; ``None`` for survival.
    progress
        ``True`` prints ``bootstrap b/B`` to stderr; a callable is called as
        ``progress(b, n_boot)`` after each resample.

    Returns
    -------
    BootstrapResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> s = rng.integers(0, 4, 120)
    >>> t = rng.exponential(10 / np.exp(0.5 * s))
    >>> d = pd.DataFrame({"t": np.minimum(t, 15), "e": (t < 15).astype(int), "s": s})
    >>> r = bootstrap_validation(d, "t", "e", "s", [5], n_boot=5, seed=1)
    >>> r.n_boot, list(r.table["metric"])
    (5, ['C', 'AUC', 'Brier', 'calibration slope'])
    """
    if method not in METHODS:
        raise SurvivalDataError("unknown method", value=method, expected=f"one of {METHODS}")
    if int(n_boot) < 1:
        raise SurvivalDataError("n_boot must be at least 1", value=n_boot)
    frame = as_frame(data)
    tt = sorted({float(t) for t in np.atleast_1d(np.asarray(times, float))})
    out = outcome(frame, duration, event, [score], cause=cause, label=score)
    x = predictor_values(frame, out.index, score)
    time, ev = out.time, out.event
    apparent = _metrics(time, ev, fit_risk(time, ev, x, tt, method, cause), tt, cause)
    rng = np.random.default_rng(seed)
    n = time.size
    opt = np.full((int(n_boot), apparent.size), np.nan)
    report = (
        (lambda b, nb: print(f"\rbootstrap {b}/{nb}", end="" if b < nb else "\n", file=sys.stderr))
        if progress is True
        else (progress if callable(progress) else None)
    )
    for b in range(int(n_boot)):
        idx = rng.integers(0, n, n)
        tb, eb, xb = time[idx], ev[idx], x[idx]
        try:
            rb = fit_risk(tb, eb, xb, tt, method, cause)
            ro = fit_risk(tb, eb, xb, tt, method, cause, newx=x)
            if np.isnan(rb).any() or np.isnan(ro).any():
                raise ValueError("risk not estimable in this resample")
            opt[b] = _metrics(tb, eb, rb, tt, cause) - _metrics(time, ev, ro, tt, cause)
        except (ValueError, ArithmeticError, np.linalg.LinAlgError):
            pass  # counted: n_boot per metric is the number of resamples that gave a value
        if report is not None:
            report(b + 1, int(n_boot))
    names = ["C"] + ["AUC"] * len(tt) + ["Brier"] * len(tt) + ["calibration slope"] * len(tt)
    tcol = [tt[-1]] + tt * 3
    optimism = np.nanmean(opt, axis=0) if np.isfinite(opt).any() else np.full(apparent.size, np.nan)
    table = pd.DataFrame(
        {
            "term": score,
            "metric": names,
            "time": tcol,
            "apparent": apparent,
            "optimism": optimism,
            "corrected": apparent - optimism,
            "n_boot": np.isfinite(opt).sum(axis=0),
        }
    )
    return BootstrapResult(
        table=table, n_boot=int(n_boot), seed=seed, method=method, excluded=out.excluded
    )
