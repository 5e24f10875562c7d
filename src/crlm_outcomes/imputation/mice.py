"""Multiple imputation by chained equations (MICE) over a cohort, for survival analyses.

:func:`impute` fills the missing covariates of a cohort ``m`` times, each time by a separate
chain of ``iterations`` rounds in which every incomplete variable is drawn from its conditional
model given all other variables (van Buuren & Groothuis-Oudshoorn 2011). The model follows the
column's type — from the canonical schema for a :class:`~crlm_outcomes.io.Cohort`
(``canonical.yaml``: float/int, boolean, category), from the dtype otherwise:

* continuous and integer columns: predictive mean matching (PMM; mice's default ``pmm``, type-1
  matching, 5 donors). The regression coefficients are drawn from their posterior under a flat
  prior (mice's ``.norm.draw``), the predicted means of the observed rows (at the estimate) and
  of the missing rows (at the draw) are matched, and a donor's *observed* value is taken. So an
  imputed value is always a value that occurs in the data: inside the schema's range, integer
  where the column is, never negative where the column is not;
* binary columns (boolean, two-level category): logistic regression; unordered or ordered
  categories with more levels: polytomous (multinomial) logistic regression. Parameter
  uncertainty comes from fitting on a bootstrap sample of the observed rows (mice's
  ``logreg.boot``; note that mice's own ``polyreg`` omits it), with a tiny ridge penalty so that
  perfect prediction in a bootstrap sample cannot make the fit diverge. Draws are always among
  the column's levels.

The outcome enters every imputation model as White & Royston (2009) recommend: the Nelson–Aalen
cumulative hazard at the patient's follow-up time and the event indicator. With competing risks
(event coded 0 = censored, 1, 2, ... = causes) there is one cause-specific Nelson–Aalen hazard
and one indicator per cause (Bartlett & Taylor 2016 discuss why this approximates the
substantive model). The outcome itself is never imputed (rows with a missing outcome are not
imputed either; they are reported in ``excluded``).

Variables the source never collected are refused: a column that is entirely missing — in the
whole cohort or, with ``era=``, in one era such as the SEER years before KRAS was recorded — has
no observed value to learn from, and imputing it would invent data from other eras under an
untestable transportability assumption. :func:`impute` raises
:class:`~crlm_outcomes.errors.UncollectedVariableError` with the reason (and the cohort's recorded
missing reasons for the column when there are any), unless ``allow_uncollected=True`` says that
assumption is intended.

Why our own chained-equations loop rather than an existing engine: statsmodels' ``MICEData``
imputes every variable by PMM on an OLS fit (no logistic or polytomous models, so a category
would be treated as a number) and its Cox pooling fails (statsmodels issue #9136);
scikit-learn's ``IterativeImputer`` returns conditional means or posterior draws from a Gaussian
regression, not category draws, and is not a dependency; ``miceforest`` needs LightGBM and
imputes with random forests, not the models reviewers expect. The loop here is short; the model
fits are ordinary least squares and a Newton-fitted (multinomial) logistic regression, and the
results pool with :mod:`crlm_outcomes.imputation.pooling`, which agrees with ``mice::pool``.
The simulation in ``benchmarks/sim_imputation.py`` checks that the pooled Cox model recovers
known hazard ratios under a known MAR mechanism where complete-case analysis is biased.

References
----------
van Buuren S, Groothuis-Oudshoorn K. mice: Multivariate imputation by chained equations in R.
*J Stat Softw* 2011;45(3):1–67.
White IR, Royston P. Imputing missing covariate values for the Cox model. *Stat Med*
2009;28:1982–1998.
Bartlett JW, Taylor JMG. Missing covariates in competing risks analysis. *Biostatistics*
2016;17:751–763.
Morris TP, White IR, Royston P. Tuning multiple imputation by predictive mean matching and local
residual draws. *BMC Med Res Methodol* 2014;14:75.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes._display import frames_html
from crlm_outcomes._result import Result, warn_deprecated
from crlm_outcomes.errors import InputError, SpecError, UncollectedVariableError

__all__ = ["Imputations", "impute", "nelson_aalen_at_exit"]

_METHODS = ("pmm", "logreg", "polyreg")
_RIDGE = 1e-5


# ------------------------------------------------------------------------------------------------
# outcome summaries for the imputation model
# ------------------------------------------------------------------------------------------------
def nelson_aalen_at_exit(time: np.ndarray, event: np.ndarray) -> np.ndarray:
    """Cumulative hazard at each subject's own exit time (events at that time included), as
    ``mice::nelsonaalen``: the baseline hazard of the null Cox model with Efron's tie handling,
    i.e. ``d`` tied events among ``n`` at risk add ``sum_{k<d} 1 / (n - k)`` (the
    Fleming–Harrington form of the Nelson–Aalen estimator; identical without ties).

    Parameters
    ----------
    time
        Follow-up time per subject.
    event
        1 for an event at ``time``, 0 for censoring (for one cause of competing risks, the
        indicator of that cause).

    Returns
    -------
    numpy.ndarray
        The cumulative hazard at each subject's own time, in the input order.

    Examples
    --------
    >>> nelson_aalen_at_exit(np.array([1.0, 2.0, 2.0, 3.0]), np.array([1, 1, 0, 1])).round(4)
    array([0.25  , 0.5833, 0.5833, 1.5833])
    >>> nelson_aalen_at_exit(np.array([1.0, 1.0, 2.0]), np.array([1, 1, 0])).round(4)
    array([0.8333, 0.8333, 0.8333])
    """
    time = np.asarray(time, dtype=np.float64)
    event = np.asarray(event, dtype=np.float64)
    ut, inv = np.unique(time, return_inverse=True)
    d = np.bincount(inv, weights=event, minlength=len(ut)).round().astype(np.int64)
    exits = np.bincount(inv, minlength=len(ut)).astype(np.float64)
    at_risk = exits[::-1].cumsum()[::-1]
    inc = np.zeros(len(ut))
    for j in np.flatnonzero(d > 0):
        inc[j] = np.sum(1.0 / (at_risk[j] - np.arange(d[j])))
    return np.cumsum(inc)[inv]


# ------------------------------------------------------------------------------------------------
# conditional models
# ------------------------------------------------------------------------------------------------
def _pmm(
    y_obs: np.ndarray,
    x_obs: np.ndarray,
    x_mis: np.ndarray,
    rng: np.random.Generator,
    donors: int = 5,
) -> np.ndarray:
    """mice's ``pmm`` (type 1): Bayesian draw of the regression, match, draw a donor."""
    n, p = x_obs.shape
    xtx = x_obs.T @ x_obs + np.eye(p) * 1e-5 * np.mean(np.diag(x_obs.T @ x_obs))
    v = np.linalg.inv(xtx)
    v = (v + v.T) / 2
    beta = v @ (x_obs.T @ y_obs)
    resid = y_obs - x_obs @ beta
    df = max(n - p, 1)
    sigma = np.sqrt(float(resid @ resid) / rng.chisquare(df))
    beta_star = beta + np.linalg.cholesky(v + np.eye(p) * 1e-12).dot(rng.standard_normal(p)) * sigma
    yhat_obs = x_obs @ beta
    yhat_mis = x_mis @ beta_star
    k = min(donors, n)
    order = np.argsort(yhat_obs, kind="stable")
    sorted_hat = yhat_obs[order]
    # the k nearest observed predictions lie within k places of the insertion point
    pos = np.searchsorted(sorted_hat, yhat_mis)
    window = pos[:, None] + np.arange(-k, k)[None, :]
    valid = (window >= 0) & (window < n)
    window = np.clip(window, 0, n - 1)
    dist = np.where(valid, np.abs(sorted_hat[window] - yhat_mis[:, None]), np.inf)
    nearest = np.take_along_axis(window, np.argsort(dist, axis=1, kind="stable")[:, :k], axis=1)
    pick = nearest[np.arange(len(yhat_mis)), rng.integers(0, k, len(yhat_mis))]
    return y_obs[order[pick]]


def _multinomial_fit(y: np.ndarray, x: np.ndarray, n_class: int) -> np.ndarray:
    """Ridge-penalised multinomial logistic regression by Newton's method (class 0 is the
    reference); returns the (p, n_class - 1) coefficients. Binary = two classes."""
    n, p = x.shape
    k = n_class - 1
    beta = np.zeros((p, k))
    onehot = np.zeros((n, n_class))
    onehot[np.arange(n), y] = 1.0
    pen = _RIDGE * n
    for _ in range(50):
        eta = np.column_stack([np.zeros(n), x @ beta])
        eta -= eta.max(axis=1, keepdims=True)
        prob = np.exp(eta)
        prob /= prob.sum(axis=1, keepdims=True)
        grad = (x.T @ (onehot[:, 1:] - prob[:, 1:])) - pen * beta
        hess = np.zeros((p * k, p * k))
        for a in range(k):
            for b in range(a, k):
                w = prob[:, a + 1] * ((a == b) - prob[:, b + 1])
                block = (x * w[:, None]).T @ x
                hess[a * p : (a + 1) * p, b * p : (b + 1) * p] = block
                hess[b * p : (b + 1) * p, a * p : (a + 1) * p] = block
        hess += pen * np.eye(p * k)
        step = np.linalg.solve(hess, grad.T.reshape(-1)).reshape(k, p).T
        beta += step
        if np.max(np.abs(step)) < 1e-8:
            break
    return beta


def _categorical_draw(
    codes_obs: np.ndarray,
    x_obs: np.ndarray,
    x_mis: np.ndarray,
    n_class: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Bootstrap the observed rows, fit the (multinomial) logistic model, draw categories."""
    n = len(codes_obs)
    boot = rng.integers(0, n, n)
    yb, xb = codes_obs[boot], x_obs[boot]
    present = np.unique(yb)
    if len(present) == 1:
        return np.full(len(x_mis), present[0])
    # classes absent from the bootstrap sample get probability 0 this round
    remap = {c: i for i, c in enumerate(present)}
    beta = _multinomial_fit(np.array([remap[c] for c in yb]), xb, len(present))
    eta = np.column_stack([np.zeros(len(x_mis)), x_mis @ beta])
    eta -= eta.max(axis=1, keepdims=True)
    prob = np.exp(eta)
    prob /= prob.sum(axis=1, keepdims=True)
    u = rng.random(len(x_mis))
    idx = (prob.cumsum(axis=1) < u[:, None]).sum(axis=1)
    return present[np.minimum(idx, len(present) - 1)]


# ------------------------------------------------------------------------------------------------
# result
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False, repr=False)
class Imputations(Result):
    """``m`` completed data sets and how they were made.

    Attributes
    ----------
    table
        One row per imputed variable: variable, method (pmm / logreg / polyreg), n_missing,
        fraction_missing, n_predictors (design columns of its model).
    completed
        The ``m`` completed frames (the input's index and columns, imputed values filled in,
        dtypes kept).
    traces
        imputation, iteration, variable, mean, sd of the imputed values per iteration (for
        categories the mean of the level codes, as R's ``plot(mids)``).
    m, iterations, seed
        Settings.
    outcome
        The outcome terms added to every imputation model (e.g. ``nelson_aalen``, ``event``).
    excluded
        Rows not imputed (missing outcome), index / column / value / reason.

    Examples
    --------
    >>> import pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> d = pd.DataFrame({"t": rng.exponential(10, 40).round(1), "e": rng.integers(0, 2, 40),
    ...                   "age": rng.normal(65, 8, 40).round()})
    >>> d.loc[::4, "age"] = np.nan
    >>> imp = impute(d, ["age"], duration="t", event="e", m=2, iterations=2, seed=7)
    >>> imp
    <Imputations m=2, iterations=2, seed=7, variables=1>
    >>> imp.table[["variable", "method", "n_missing", "fraction_missing"]].values.tolist()
    [['age', 'pmm', 10, 0.25]]
    >>> imp.outcome, len(imp.completed), int(imp.completed[1]["age"].isna().sum())
    (('nelson_aalen', 'event'), 2, 0)

    The Cox model on each completed data set, pooled by Rubin's rules:

    >>> pooled = imp.cox("age", "t", "e")
    >>> round(float(pooled.table["hr"].iloc[0]), 3), round(float(pooled.table["fmi"].iloc[0]), 3)
    (1.058, 0.399)
    """

    table: pd.DataFrame
    completed: tuple[pd.DataFrame, ...] = field(repr=False)
    traces: pd.DataFrame = field(repr=False)
    m: int
    iterations: int
    seed: int | None
    outcome: tuple[str, ...]
    excluded: pd.DataFrame = field(repr=False)

    def __repr__(self) -> str:
        return (
            f"<Imputations m={self.m}, iterations={self.iterations}, seed={self.seed}, "
            f"variables={len(self.table)}>"
        )

    def summary(self) -> str:
        """What was imputed, how, and with which outcome terms.

        Returns
        -------
        str
            The settings (m, iterations, seed), the outcome terms added to the imputation
            models, and :attr:`table` (method and missing values per variable).

        Examples
        --------
        >>> import pandas as pd
        >>> rng = np.random.default_rng(1)
        >>> d = pd.DataFrame({"t": rng.exponential(10, 40).round(1), "e": rng.integers(0, 2, 40),
        ...                   "age": rng.normal(65, 8, 40).round()})
        >>> d.loc[::4, "age"] = np.nan
        >>> imp = impute(d, ["age"], duration="t", event="e", m=2, iterations=2, seed=7)
        >>> print(imp.summary())
        Multiple imputation by chained equations: m = 2, 2 iterations per chain, seed 7
        outcome in the imputation models: nelson_aalen, event
        variable method  n_missing  fraction_missing  n_predictors
             age    pmm         10              0.25             2
        """
        return "\n".join(
            [
                f"Multiple imputation by chained equations: m = {self.m}, {self.iterations} "
                f"iterations per chain, seed {self.seed}",
                "outcome in the imputation models: " + (", ".join(self.outcome) or "none"),
                self.table.to_string(index=False, float_format=lambda v: f"{v:.3g}"),
            ]
        )

    def plot(self, ax=None, *old_ax: Any, variable: str | None = None):
        """Convergence traces of one variable (default the first imputed one): the mean of
        its imputed values per iteration, one line per chain (:func:`crlm_outcomes.plots.
        pooled.trace_plot`, as R's ``plot(mids)``).

        ``plot("age")`` and ``plot("age", ax)`` (the variable first, as before 0.2) still work
        with a FutureWarning; use ``plot(ax, variable="age")``.

        Parameters
        ----------
        ax
            A matplotlib Axes to draw on; default a new one-column figure.
        *old_ax
            Only for the deprecated ``plot(variable, ax)`` form; more is a TypeError.
        variable
            The imputed variable to show; default the first row of :attr:`table`.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on, titled with the variable.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> import pandas as pd
        >>> rng = np.random.default_rng(1)
        >>> d = pd.DataFrame({"t": rng.exponential(10, 40).round(1), "e": rng.integers(0, 2, 40),
        ...                   "age": rng.normal(65, 8, 40).round()})
        >>> d.loc[::4, "age"] = np.nan
        >>> imp = impute(d, ["age"], duration="t", event="e", m=2, iterations=2, seed=7)
        >>> ax = imp.plot(variable="age")
        >>> len(ax.get_lines()), ax.get_xlabel(), ax.get_title(loc="left")
        (2, 'Iteration', 'age')
        >>> plt.close(ax.figure)
        """
        from crlm_outcomes.plots.pooled import trace_plot

        if isinstance(ax, str):
            warn_deprecated(
                "Imputations.plot(variable) as the first argument",
                "Imputations.plot(ax, variable=...)",
            )
            ax, variable = (old_ax[0] if old_ax else None), ax
        elif old_ax:
            raise TypeError(
                "Imputations.plot takes one positional argument (ax); give the "
                "variable as variable=..."
            )
        return trace_plot(self.traces, variable or str(self.table["variable"].iloc[0]), ax=ax)

    def _repr_html_(self) -> str:
        return frames_html(
            repr(self),
            {"": self.table},
            notes={
                "outcome terms": ", ".join(self.outcome) or "none",
                "rows not imputed": self.n_excluded,
            },
        )

    def map(self, fn: Callable[[pd.DataFrame], Any]) -> list[Any]:
        """``fn`` applied to each completed data set (R's ``with(mids, ...)``).

        Parameters
        ----------
        fn
            A function of one completed DataFrame (e.g. a model fit).

        Returns
        -------
        list
            ``fn``'s result on each of the :attr:`m` completed data sets, in order (pool
            model fits with :func:`~crlm_outcomes.imputation.pooling.pool_cox` and friends).

        Examples
        --------
        >>> import pandas as pd
        >>> rng = np.random.default_rng(1)
        >>> d = pd.DataFrame({"t": rng.exponential(10, 40).round(1), "e": rng.integers(0, 2, 40),
        ...                   "age": rng.normal(65, 8, 40).round()})
        >>> d.loc[::4, "age"] = np.nan
        >>> imp = impute(d, ["age"], duration="t", event="e", m=2, iterations=2, seed=7)
        >>> imp.map(lambda x: round(float(x["age"].mean()), 2))  # mean age per data set
        [63.95, 63.33]
        """
        return [fn(d) for d in self.completed]

    def cox(
        self, formula: str, duration: str, event: str, *, dfcom: float | None = None, **kwargs: Any
    ):
        """Cox model on each completed data set, pooled by Rubin's rules
        (:func:`~crlm_outcomes.imputation.pooling.pool_cox`), as ``pool(with(mids,
        coxph(...)))``.

        Parameters
        ----------
        formula
            Right-hand side of the model, as for :func:`~crlm_outcomes.survival.cox.cox`.
        duration, event
            Follow-up time and event indicator columns.
        dfcom
            Complete-data degrees of freedom; default events minus the number of
            coefficients (as mice).
        **kwargs
            Further options of :func:`~crlm_outcomes.survival.cox.cox` (``strata=``,
            ``robust=``, ...); ``conf_level`` also sets the level of the pooled intervals.

        Returns
        -------
        PooledModel
            Pooled coefficients, hazard ratios with t intervals on Barnard-Rubin df, and the
            fraction of missing information per term.

        Examples
        --------
        >>> import pandas as pd
        >>> rng = np.random.default_rng(1)
        >>> d = pd.DataFrame({"t": rng.exponential(10, 40).round(1), "e": rng.integers(0, 2, 40),
        ...                   "age": rng.normal(65, 8, 40).round()})
        >>> d.loc[::4, "age"] = np.nan
        >>> imp = impute(d, ["age"], duration="t", event="e", m=2, iterations=2, seed=7)
        >>> pooled = imp.cox("age", "t", "e")
        >>> pooled.table[["term", "hr", "lower", "upper", "fmi"]].round(3).values.tolist()
        [['age', 1.058, 0.966, 1.16, 0.399]]
        """
        from crlm_outcomes.imputation.pooling import pool_cox
        from crlm_outcomes.survival.cox import cox

        return pool_cox(
            self.map(lambda d: cox(d, formula, duration, event, **kwargs)),
            dfcom=dfcom,
            conf_level=kwargs.get("conf_level", 0.95),
        )

    def fine_gray(self, formula: str, duration: str, event: str, **kwargs: Any):
        """Fine–Gray model on each completed data set, pooled by Rubin's rules
        (:func:`~crlm_outcomes.imputation.pooling.pool_fine_gray`).

        Parameters
        ----------
        formula
            Right-hand side of the model, as for
            :func:`~crlm_outcomes.survival.fine_gray.fine_gray`.
        duration, event
            Follow-up time and event code columns (0 censored, 1, 2, ... the causes).
        **kwargs
            Further options of :func:`~crlm_outcomes.survival.fine_gray.fine_gray`
            (``cause=``, ...).

        Returns
        -------
        PooledModel
            ``hr`` is the pooled subdistribution hazard ratio.

        Examples
        --------
        Death from cancer (1) with death from other causes (2) competing:

        >>> import pandas as pd
        >>> rng = np.random.default_rng(1)
        >>> d = pd.DataFrame({"t": rng.exponential(10, 40).round(1), "e": rng.integers(0, 2, 40),
        ...                   "age": rng.normal(65, 8, 40).round()})
        >>> d.loc[::4, "age"] = np.nan
        >>> d["e"] = rng.integers(0, 3, 40)
        >>> imp = impute(d, ["age"], duration="t", event="e", m=2, iterations=2, seed=7)
        >>> imp.outcome
        ('nelson_aalen_1', 'event_1', 'nelson_aalen_2', 'event_2')
        >>> pooled = imp.fine_gray("age", "t", "e")
        >>> pooled
        <PooledModel Fine-Gray, m=2, terms=1, n=40, events=11>
        >>> pooled.table[["term", "hr", "lower", "upper"]].round(3).values.tolist()
        [['age', 0.992, 0.691, 1.426]]
        """
        from crlm_outcomes.imputation.pooling import pool_fine_gray
        from crlm_outcomes.survival.fine_gray import fine_gray

        return pool_fine_gray(self.map(lambda d: fine_gray(d, formula, duration, event, **kwargs)))

    def kaplan_meier(
        self, duration: str, event: str, by: str | None = None, *, times: Sequence[float]
    ):
        """Kaplan–Meier survival at ``times`` and medians, pooled on the cloglog scale
        (:func:`~crlm_outcomes.imputation.pooling.pool_km`); ``by`` may be an imputed
        variable (a patient's group may then differ between the data sets).

        Parameters
        ----------
        duration, event
            Follow-up time and event indicator columns.
        by
            Grouping column; default one curve for everybody.
        times
            Times at which survival is pooled.

        Returns
        -------
        PooledSurvival
            Pooled survival at ``times`` per group and the medians of the pooled curves.

        Examples
        --------
        >>> import pandas as pd
        >>> rng = np.random.default_rng(1)
        >>> d = pd.DataFrame({"t": rng.exponential(10, 40).round(1), "e": rng.integers(0, 2, 40),
        ...                   "age": rng.normal(65, 8, 40).round()})
        >>> d.loc[::4, "age"] = np.nan
        >>> d["cea"] = pd.Categorical(rng.choice(["normal", "high"], 40),
        ...                           categories=["normal", "high"])
        >>> d.loc[1::5, "cea"] = np.nan
        >>> imp = impute(d, ["age", "cea"], duration="t", event="e", m=2, iterations=2, seed=7)
        >>> km = imp.kaplan_meier("t", "e", by="cea", times=[5, 10])
        >>> print(km.median.to_string(index=False))
         group  median  lower  upper
        normal    11.0    3.1   53.8
          high    18.0    3.1   28.4
        """
        from crlm_outcomes.imputation.pooling import pool_km
        from crlm_outcomes.survival.kaplan_meier import kaplan_meier

        return pool_km(self.map(lambda d: kaplan_meier(d, duration, event, by=by)), times)

    def rmst(self, duration: str, event: str, by: str | None = None, *, tau: float):
        """Restricted mean survival time up to ``tau`` per group, pooled by Rubin's rules
        (:func:`~crlm_outcomes.imputation.pooling.pool_rmst`).

        Parameters
        ----------
        duration, event
            Follow-up time and event indicator columns.
        by
            Grouping column (may be an imputed variable); default everybody together.
        tau
            Truncation time.

        Returns
        -------
        PooledRMST
            Pooled RMST per group with t intervals.

        Examples
        --------
        >>> import pandas as pd
        >>> rng = np.random.default_rng(1)
        >>> d = pd.DataFrame({"t": rng.exponential(10, 40).round(1), "e": rng.integers(0, 2, 40),
        ...                   "age": rng.normal(65, 8, 40).round()})
        >>> d.loc[::4, "age"] = np.nan
        >>> d["cea"] = pd.Categorical(rng.choice(["normal", "high"], 40),
        ...                           categories=["normal", "high"])
        >>> d.loc[1::5, "cea"] = np.nan
        >>> imp = impute(d, ["age", "cea"], duration="t", event="e", m=2, iterations=2, seed=7)
        >>> r = imp.rmst("t", "e", by="cea", tau=10)
        >>> r.table[["group", "estimate", "lower", "upper"]].round(2).values.tolist()
        [['normal', 7.3, 5.66, 8.94], ['high', 8.85, 5.68, 12.02]]
        """
        from crlm_outcomes.imputation.pooling import pool_rmst
        from crlm_outcomes.survival.rmst import rmst

        return pool_rmst(self.map(lambda d: rmst(d, duration, event, by=by, tau=tau)))


# ------------------------------------------------------------------------------------------------
# main function
# ------------------------------------------------------------------------------------------------
def _schema_kind(data: pd.DataFrame, col: str, specs: dict[str, Any] | None) -> str:
    spec = (specs or {}).get(col)
    s = data[col]
    if spec is not None:
        if spec.dtype in ("float", "int"):
            return "pmm"
        if spec.dtype == "boolean":
            return "logreg"
        if spec.dtype == "category":
            return "logreg" if len(spec.levels or ()) == 2 else "polyreg"
        raise SpecError(
            "this column cannot be imputed (only numbers, booleans and categories can)",
            column=col,
            value=spec.dtype,
            expected="a float, int, boolean or category column",
        )
    if s.dtype == bool or str(s.dtype) == "boolean":
        return "logreg"
    if isinstance(s.dtype, pd.CategoricalDtype):
        return "logreg" if len(s.cat.categories) == 2 else "polyreg"
    if pd.api.types.is_numeric_dtype(s):
        return "pmm"
    n_levels = s.dropna().nunique()
    return "logreg" if n_levels == 2 else "polyreg"


def _levels(s: pd.Series) -> list[Any]:
    if isinstance(s.dtype, pd.CategoricalDtype):
        return list(s.cat.categories)
    if s.dtype == bool or str(s.dtype) == "boolean":
        return [False, True]
    return sorted(s.dropna().unique(), key=str)


def _check_collected(
    data: pd.DataFrame, col: str, era: str | None, allow: bool, reasons: pd.DataFrame | None
) -> None:
    miss = data[col].isna()
    why = ""
    if reasons is not None and len(reasons):
        sub = reasons[reasons["column"] == col]
        if len(sub):
            why = "; recorded reasons: " + "; ".join(
                f"{r} ({n})" for r, n in sub.groupby("reason", observed=True).size().items()
            )
    if miss.all():
        if not allow:
            raise UncollectedVariableError(
                "this variable is missing for every patient: the source did not collect it, "
                "and imputing it would invent data" + why,
                column=col,
                value=int(miss.sum()),
                expected="drop it from the imputation, or allow_uncollected=True if that is "
                "really intended",
            )
        raise UncollectedVariableError(
            "a variable missing for every patient cannot be imputed (no observed value to "
            "learn from)" + why,
            column=col,
            value=int(miss.sum()),
            expected="at least some observed values",
        )
    if era is not None and not allow:
        by_era = miss.groupby(data[era], observed=True).agg(["all", "size"])
        never = by_era.index[by_era["all"].to_numpy(bool)]
        if len(never):
            raise UncollectedVariableError(
                f"this variable was not recorded in the {era} era(s) "
                f"{', '.join(map(str, list(never)[:5]))}: imputing it there transports a model "
                "from other eras (a design decision)" + why,
                column=col,
                value=int(by_era.loc[never, "size"].sum()),
                expected=f"restrict the analysis to the eras that recorded {col}, or "
                "allow_uncollected=True",
            )


def _design(
    frame: pd.DataFrame, kinds: dict[str, str], levels: dict[str, list[Any]], columns: list[str]
) -> tuple[np.ndarray, list[tuple[str, int, int]]]:
    """Numeric design (intercept first) of ``columns``; returns spans per column."""
    parts = [np.ones((len(frame), 1))]
    spans = []
    pos = 1
    for c in columns:
        s = frame[c]
        if kinds.get(c, "pmm") == "pmm":
            v = s.to_numpy(dtype=np.float64, na_value=np.nan)[:, None]
        else:
            lv = levels[c]
            v = (
                np.column_stack(
                    [(s == lv_).to_numpy(dtype=np.float64, na_value=0.0) for lv_ in lv[1:]]
                )
                if len(lv) > 1
                else np.zeros((len(s), 0))
            )
        parts.append(v)
        spans.append((c, pos, pos + v.shape[1]))
        pos += v.shape[1]
    x = np.hstack(parts)
    return x, spans


def _unwrap_cohort(data: Any) -> tuple[pd.DataFrame, Any, Any]:
    """The frame of ``data``, with the canonical column specs and the loader's missing-value
    summary (context for the messages) when ``data`` is a :class:`Cohort`."""
    from crlm_outcomes.io.cohort import Cohort

    specs = None
    reasons = None
    if isinstance(data, Cohort):
        from crlm_outcomes.schema.definition import canonical_definition

        specs = canonical_definition().columns
        try:
            reasons = data.missing_summary()
        except Exception:  # the audit summary is optional context for the message only
            reasons = None
        data = data.data
    if not isinstance(data, pd.DataFrame):
        raise InputError(
            "data must be a DataFrame or a Cohort",
            value=type(data).__name__,
            expected="pandas.DataFrame or crlm_outcomes.io.Cohort",
        )
    return data, specs, reasons


def _check_impute_args(
    data: pd.DataFrame,
    variables: Sequence[str] | None,
    predictors: Sequence[str] | None,
    duration: str | None,
    event: str | None,
    era: str | None,
    m: int,
    iterations: int,
    allow_uncollected: bool,
    reasons: Any,
) -> tuple[list[str], list[str]]:
    """Check :func:`impute`'s arguments; return the variables to impute (by default every
    incomplete column but the outcome) and the predictors."""
    if not isinstance(m, (int, np.integer)) or m < 2:
        raise SpecError(
            "m (number of imputations) must be a whole number >= 2",
            column="m",
            value=m,
            expected="e.g. 20",
        )
    if not isinstance(iterations, (int, np.integer)) or iterations < 1:
        raise SpecError(
            "iterations must be >= 1", column="iterations", value=iterations, expected="e.g. 10"
        )
    preds = list(predictors) if predictors is not None else list(variables or [])
    if variables is None:
        variables = (
            [c for c in preds if data[c].isna().any()]
            if preds
            else [c for c in data.columns if data[c].isna().any() and c not in (duration, event)]
        )
    variables = list(variables)
    for c in [*variables, *preds, *(x for x in (duration, event, era) if x)]:
        if c not in data.columns:
            raise InputError("column not found", column=c, expected="a column of the data")
    if not variables:
        raise SpecError(
            "nothing to impute: no incomplete variable given",
            column="variables",
            value=[],
            expected="columns with missing values",
        )
    for outcome_col in (duration, event):
        if outcome_col is not None and outcome_col in variables:
            raise SpecError(
                "the outcome is never imputed",
                column=outcome_col,
                value=outcome_col,
                expected="covariates only",
            )
    if (duration is None) != (event is None):
        raise SpecError(
            "give both duration and event (or neither)",
            column="duration",
            value=(duration, event),
            expected="both outcome columns",
        )
    for c in variables:
        _check_collected(data, c, era, allow_uncollected, reasons)
    for c in preds:
        if c not in variables and data[c].isna().any():
            raise SpecError(
                "a predictor has missing values but is not imputed",
                column=c,
                value=int(data[c].isna().sum()),
                expected="impute it too (add it to variables) or drop it",
            )
    return variables, preds


def _method_kinds(
    data: pd.DataFrame,
    variables: list[str],
    preds: list[str],
    specs: Any,
    methods: dict[str, str] | None,
) -> dict[str, str]:
    """The imputation model of each column: from its type (or the schema), overridden by
    ``methods`` where it fits the type."""
    kinds = {c: _schema_kind(data, c, specs) for c in dict.fromkeys([*variables, *preds])}
    for c, meth in (methods or {}).items():
        if meth not in _METHODS:
            raise SpecError(
                "unknown imputation method",
                column=c,
                value=meth,
                expected=" or ".join(map(repr, _METHODS)),
            )
        if (meth == "pmm") != (kinds.get(c) == "pmm"):
            raise SpecError(
                "method does not fit the column type",
                column=c,
                value=meth,
                expected="pmm for numbers, logreg/polyreg for categories",
            )
        kinds[c] = meth
    return kinds


def _outcome_terms(
    data: pd.DataFrame, duration: str | None, event: str | None
) -> tuple[np.ndarray, dict[str, np.ndarray], pd.DataFrame]:
    """The outcome in the imputation models (White & Royston 2009): the Nelson-Aalen
    cumulative hazard at exit and the event indicator, per cause; the rows with a usable
    outcome and the excluded rows (missing outcome: not imputed)."""
    rows_ok = np.ones(len(data), dtype=bool)
    outcome_cols: dict[str, np.ndarray] = {}
    excluded = pd.DataFrame(columns=["index", "column", "value", "reason"])
    if duration is None or event is None:
        return rows_ok, outcome_cols, excluded
    tt = pd.to_numeric(data[duration], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    ev = pd.to_numeric(data[event], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    rows_ok = ~(np.isnan(tt) | np.isnan(ev))
    if (~rows_ok).any():
        bad = data.index[~rows_ok]
        excluded = pd.DataFrame(
            {
                "index": bad,
                "column": f"{duration}/{event}",
                "value": None,
                "reason": "missing outcome: not imputed",
            }
        )
    causes = sorted(int(c) for c in np.unique(ev[rows_ok]) if c != 0)
    for cause in causes:
        name = "nelson_aalen" if len(causes) == 1 else f"nelson_aalen_{cause}"
        h = np.zeros(len(data))
        h[rows_ok] = nelson_aalen_at_exit(tt[rows_ok], (ev[rows_ok] == cause).astype(float))
        outcome_cols[name] = h
        outcome_cols["event" if len(causes) == 1 else f"event_{cause}"] = np.where(
            rows_ok, (ev == cause).astype(float), 0.0
        )
    return rows_ok, outcome_cols, excluded


def _update_variable(
    cur: pd.DataFrame,
    c: str,
    mc: np.ndarray,
    all_cols: list[str],
    kinds: dict[str, str],
    levels: dict[str, list],
    out_mat: np.ndarray,
    rng: np.random.Generator,
    donors: int,
) -> tuple[np.ndarray, int]:
    """One chained-equations step: draw the missing values of ``c`` (rows ``mc``) from its
    model on the other columns and the outcome terms, written into ``cur``; return the
    values drawn (numbers, or level indexes of a category, for the trace) and the number of
    predictors used."""
    others = [o for o in all_cols if o != c]
    x, _ = _design(cur, kinds, levels, others)
    x = np.hstack([x, out_mat])
    keep_cols = np.ones(x.shape[1], dtype=bool)
    keep_cols[1:] = np.nanstd(x[~mc][:, 1:], axis=0) > 0
    x = x[:, keep_cols]
    # standardise for numerical stability (does not change the fitted values)
    mu = x[~mc][:, 1:].mean(axis=0)
    sd = x[~mc][:, 1:].std(axis=0)
    x[:, 1:] = (x[:, 1:] - mu) / np.where(sd > 0, sd, 1.0)
    n_predictors = x.shape[1] - 1
    if kinds[c] == "pmm":
        y = cur[c].to_numpy(dtype=np.float64, na_value=np.nan)
        draw = _pmm(y[~mc], x[~mc], x[mc], rng, donors=donors)
        new = (
            pd.array(draw, dtype=cur[c].dtype)
            if pd.api.types.is_integer_dtype(cur[c].dtype)
            else draw
        )
    else:
        lv = levels[c]
        codes = np.full(len(cur), -1)
        for i, lev in enumerate(lv):
            codes[(cur[c] == lev).to_numpy(dtype=bool, na_value=False)] = i
        draw = _categorical_draw(codes[~mc], x[~mc], x[mc], len(lv), rng)
        new = (
            pd.array([lv[i] for i in draw], dtype=cur[c].dtype)
            if not isinstance(cur[c].dtype, pd.CategoricalDtype)
            else pd.Categorical([lv[i] for i in draw], dtype=cur[c].dtype)
        )
    cur[c] = cur[c].copy()
    cur.loc[cur.index[mc], c] = new
    imputed = cur.loc[cur.index[mc], c]
    if kinds[c] == "pmm":
        vals = imputed.to_numpy(dtype=np.float64)
    else:
        vals = np.array([lv.index(v) for v in imputed], dtype=np.float64)
    return vals, n_predictors


def _initial_fill(
    work: pd.DataFrame,
    variables: Sequence[str],
    miss: dict[str, np.ndarray],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """A copy of ``work`` whose missing values are random draws of the column's observed values
    (mice's starting point)."""
    cur = work.copy()
    for c in variables:
        mc = miss[c]
        if mc.any():
            obs = cur.loc[~mc, c].to_numpy()
            fill = obs[rng.integers(0, len(obs), int(mc.sum()))]
            cur.loc[cur.index[mc], c] = fill
    return cur


def _report_progress(
    progress: bool | Callable[[int, int, int, int], None],
    chain: int,
    m: int,
    it: int,
    iterations: int,
) -> None:
    """Call the progress callback, or print the progress line to stderr when ``progress`` is
    True."""
    if callable(progress):
        progress(chain, m, it, iterations)
    elif progress:
        print(
            f"\rimputation {chain}/{m}, iteration {it}/{iterations}",
            end="",
            file=sys.stderr,
            flush=True,
        )


def impute(
    data: Any,
    variables: Sequence[str] | None = None,
    *,
    duration: str | None = None,
    event: str | None = None,
    predictors: Sequence[str] | None = None,
    m: int = 5,
    iterations: int = 10,
    seed: int | None = None,
    methods: dict[str, str] | None = None,
    era: str | None = None,
    allow_uncollected: bool = False,
    donors: int = 5,
    progress: bool | Callable[[int, int, int, int], None] = False,
) -> Imputations:
    """Impute missing covariates ``m`` times by chained equations (see the module docstring).

    Parameters
    ----------
    data
        A :class:`~crlm_outcomes.io.Cohort` (column types from the canonical schema) or a
        DataFrame (types from the dtypes).
    variables
        Columns to impute; default every incomplete column among ``predictors``.
    duration, event
        Outcome columns: the Nelson–Aalen cumulative hazard and the event indicator (one per
        cause for event codes > 1) join every imputation model. Strongly recommended.
    predictors
        Complete or incomplete columns used as predictors (default: ``variables``). Every
        imputed variable is also a predictor of the others.
    m
        Number of imputations (chains).
    iterations
        Rounds per chain.
    seed
        Seed; the same seed gives the same imputations.
    methods
        Override of the model per variable: ``"pmm"``, ``"logreg"`` or ``"polyreg"``.
    era
        Column of registry eras (e.g. a period of diagnosis): a variable entirely missing in an
        era is refused (see ``allow_uncollected``).
    allow_uncollected
        Impute variables also in eras that never recorded them (transporting the model).
    donors
        Donor pool size of PMM.
    progress
        ``True`` prints progress to stderr; a callable receives
        ``(imputation, m, iteration, iterations)``.

    Returns
    -------
    Imputations

    Raises
    ------
    UncollectedVariableError
        A variable the source never collected (see the module docstring).
    SpecError, InputError
        Unknown columns, bad settings, a method that does not fit the column type.

    Examples
    --------
    >>> import pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> d = pd.DataFrame({"t": rng.exponential(10, 60), "e": rng.integers(0, 2, 60),
    ...                   "age": rng.normal(65, 8, 60).round()})
    >>> d.loc[::4, "age"] = np.nan
    >>> imp = impute(d, ["age"], duration="t", event="e", m=3, iterations=2, seed=7)
    >>> bool(imp.completed[0]["age"].isna().any()), set(imp.completed[0]["age"]) <= set(d["age"])
    (False, True)
    """
    data, specs, reasons = _unwrap_cohort(data)
    variables, preds = _check_impute_args(
        data, variables, predictors, duration, event, era, m, iterations, allow_uncollected, reasons
    )
    kinds = _method_kinds(data, variables, preds, specs, methods)
    all_cols = list(dict.fromkeys([*preds, *variables]))
    levels = {c: _levels(data[c]) for c in all_cols if kinds[c] != "pmm"}

    rows_ok, outcome_cols, excluded = _outcome_terms(data, duration, event)
    work = data.loc[rows_ok, all_cols]
    miss = {c: work[c].isna().to_numpy() for c in variables}
    out_mat = (
        np.column_stack(list(outcome_cols.values())) if outcome_cols else np.zeros((len(work), 0))
    )
    out_mat = out_mat[rows_ok]
    table = pd.DataFrame(
        {
            "variable": variables,
            "method": [kinds[c] for c in variables],
            "n_missing": [int(miss[c].sum()) for c in variables],
            "fraction_missing": [float(miss[c].mean()) for c in variables],
        }
    )
    root = np.random.SeedSequence(seed)
    completed: list[pd.DataFrame] = []
    traces: list[tuple[int, int, str, float, float]] = []
    n_pred: dict[str, int] = {}
    for chain, child in enumerate(root.spawn(m), start=1):
        rng = np.random.default_rng(child)
        cur = _initial_fill(work, variables, miss, rng)
        for it in range(1, iterations + 1):
            _report_progress(progress, chain, m, it, iterations)
            for c in variables:
                mc = miss[c]
                if not mc.any():
                    continue
                vals, n_pred[c] = _update_variable(
                    cur, c, mc, all_cols, kinds, levels, out_mat, rng, donors
                )
                sd = float(vals.std(ddof=1)) if len(vals) > 1 else np.nan
                traces.append((chain, it, c, float(vals.mean()), sd))
        full = data.copy()
        for c in variables:
            full.loc[work.index, c] = cur[c]
        completed.append(full)
    if progress is True:
        print(file=sys.stderr)
    table["n_predictors"] = [n_pred.get(c, 0) for c in variables]
    trace_frame = pd.DataFrame(
        traces, columns=["imputation", "iteration", "variable", "mean", "sd"]
    )
    return Imputations(
        table=table,
        completed=tuple(completed),
        traces=trace_frame,
        m=int(m),
        iterations=int(iterations),
        seed=seed,
        outcome=tuple(outcome_cols),
        excluded=excluded,
    )
