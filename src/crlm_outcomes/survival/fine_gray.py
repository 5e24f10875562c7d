"""Fine–Gray proportional subdistribution hazards regression, agreeing with ``cmprsk::crr``.

Coefficients, the sandwich variance and the log pseudo-likelihoods match R's ``cmprsk::crr``
(version 2.2-11) to machine precision; ``tests/reference/competing_risks.R`` makes the fixtures.

Why our own code: no maintained Python library fits the Fine–Gray model (lifelines and
statsmodels have none). The computations follow cmprsk's Fortran (``crrfsv``, ``crrf``,
``crrvv``) exactly, including

* the inverse-probability-of-censoring weights ``G(t-)/G(T_j-)`` for subjects who had a competing
  event before ``t``, with ``G`` the Kaplan–Meier estimate of the censoring distribution within
  each censoring group, evaluated at the left limit as crr does (``approx(..., xout = t*(1 -
  100*eps))``, 0 after the group's last follow-up time);
* Breslow handling of tied failure times;
* crr's Newton–Raphson with step halving (``gtol``, ``maxiter``), so the iterates are the same;
* the sandwich variance ``I^-1 (sum_i (eta_i + psi_i)(eta_i + psi_i)') I^-1`` whose ``psi_i`` term
  accounts for the estimated censoring distribution (Fine & Gray 1999, section 3.1).

The quadratic loops of the Fortran are replaced by sums over sorted cumulative sums: the risk-set
sums ``S0, S1, S2`` at each distinct failure time are reverse cumulative sums for subjects still
under observation plus forward cumulative sums (divided by ``G(T_j-)``) for subjects with an
earlier competing event, multiplied by ``G(t-)``. Cost is O(n log n + n p^2).

``FineGray.predict`` gives the cumulative incidence for new covariate values as
``predict.crr`` (from crr's baseline increments ``bfitj``), also to machine precision.

Time-varying coefficients (crr's ``cov2``/``tf``) are not offered; the model matrix comes from a
formula with R's treatment contrasts (the same columns as ``model.matrix(~ ..., data)[, -1]``).

References
----------
Fine JP, Gray RJ. A proportional hazards model for the subdistribution of a competing risk.
*J Am Stat Assoc* 1999;94:496–509.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from crlm_outcomes._data import as_frame
from crlm_outcomes._result import AliasedFrame, Result
from crlm_outcomes.errors import (
    ConvergenceWarning,
    EstimationError,
    FormulaError,
    SpecError,
    SurvivalDataError,
)
from crlm_outcomes.formula import build_design, check_formula, design_matrix_for, model_matrix
from crlm_outcomes.survival._inputs import survival_input

__all__ = ["FineGray", "fine_gray", "model_matrix"]

_EPS = np.finfo(np.float64).eps


# ------------------------------------------------------------------------------------------------
# Censoring distribution, evaluated like crr
# ------------------------------------------------------------------------------------------------
def _censoring_left_limit(time: np.ndarray, censored: np.ndarray, xout: np.ndarray) -> np.ndarray:
    """Kaplan–Meier of the censoring times evaluated as crr does, ``G(xout*(1-100eps))``.

    ``time``/``censored`` are one censoring group's rows; ``xout`` are the times (of any group)
    where ``G`` is needed. Beyond the group's last time (times its ``1 + 10eps``) the value is 0.
    """
    uniq, inv = np.unique(time, return_inverse=True)
    counts = np.bincount(inv, minlength=uniq.shape[0]).astype(np.float64)
    cens = np.bincount(inv, weights=censored.astype(np.float64), minlength=uniq.shape[0])
    risk = time.shape[0] - np.concatenate(([0.0], np.cumsum(counts)[:-1]))
    surv = np.cumprod(1.0 - cens / risk)
    knots = np.concatenate(([min(0.0, uniq[0]) - 10 * _EPS], uniq, [uniq[-1] * (1 + 10 * _EPS)]))
    values = np.concatenate(([1.0], surv, [0.0]))
    x = xout * (1 - 100 * _EPS)
    pos = np.searchsorted(knots, x, side="right") - 1
    return values[np.clip(pos, 0, None)]


# ------------------------------------------------------------------------------------------------
# Sufficient statistics at a coefficient vector
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Data:
    time: np.ndarray  # sorted ascending
    status: np.ndarray  # 1 cause of interest, 2 other cause, 0 censored
    x: np.ndarray  # n x p
    cg: np.ndarray  # censoring group 0..ncg-1
    g_own: np.ndarray  # G_{cg_i}(T_i-)
    fail_times: np.ndarray  # distinct failure times of the cause of interest
    d: np.ndarray  # failures per distinct failure time
    first: np.ndarray  # first row index (sorted) with time >= fail time
    g_fail: np.ndarray  # ncg x K: G_g(t_k-)
    x_fail_sum: np.ndarray  # sum of x over failures


def _prepare(time: np.ndarray, status: np.ndarray, x: np.ndarray, cg: np.ndarray) -> _Data:
    order = np.argsort(time, kind="stable")
    time, status, x, cg = time[order], status[order], x[order], cg[order]
    ncg = int(cg.max()) + 1
    g_rows = np.empty((ncg, time.shape[0]))
    fail = status == 1
    fail_times, d = np.unique(time[fail], return_counts=True)
    for g in range(ncg):
        sel = cg == g
        g_rows[g] = _censoring_left_limit(time[sel], status[sel] == 0, time)
    g_own = g_rows[cg, np.arange(time.shape[0])]
    first = np.asarray(np.searchsorted(time, fail_times, side="left"))
    g_fail = g_rows[:, first]
    return _Data(
        time=time,
        status=status,
        x=x,
        cg=cg,
        g_own=g_own,
        fail_times=fail_times,
        d=d.astype(np.float64),
        first=first,
        g_fail=g_fail,
        x_fail_sum=x[fail].sum(axis=0),
    )


def _risk_sums(dat: _Data, beta: np.ndarray, order: int):
    """S0 (K), S1 (K x p) and, if order == 2, S2 (K x p x p) at each distinct failure time."""
    eta = dat.x @ beta
    e = np.exp(eta)
    n, p = dat.x.shape
    # subjects with T >= t: reverse cumulative sums read at the first row with T >= t
    rev0 = np.cumsum(e[::-1])[::-1]
    s0 = rev0[dat.first].copy()
    ex = e[:, None] * dat.x
    rev1 = np.cumsum(ex[::-1], axis=0)[::-1]
    s1 = rev1[dat.first].copy()
    s2 = None
    if order == 2:
        xx = dat.x[:, :, None] * dat.x[:, None, :]
        exx = e[:, None, None] * xx
        rev2 = np.cumsum(exx[::-1], axis=0)[::-1]
        s2 = rev2[dat.first].copy()
    # earlier competing events, weighted G(t-)/G(T_j-): forward sums over rows before `first`
    comp = dat.status == 2
    ncg = dat.g_fail.shape[0]
    for g in range(ncg):
        sel = comp & (dat.cg == g)
        if not sel.any():
            continue
        w = np.where(sel, e / np.where(sel, dat.g_own, 1.0), 0.0)
        fw0 = np.concatenate(([0.0], np.cumsum(w)))[dat.first]
        gk = dat.g_fail[g]
        s0 += gk * fw0
        fw1 = np.vstack([np.zeros((1, p)), np.cumsum(w[:, None] * dat.x, axis=0)])[dat.first]
        s1 += gk[:, None] * fw1
        if order == 2:
            wxx = w[:, None, None] * dat.x[:, :, None] * dat.x[:, None, :]
            fw2 = np.concatenate([np.zeros((1, p, p)), np.cumsum(wxx, axis=0)])[dat.first]
            s2 += gk[:, None, None] * fw2
    return eta, e, s0, s1, s2


def _neg_loglik(dat: _Data, beta: np.ndarray) -> float:
    eta, _, s0, _, _ = _risk_sums(dat, beta, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(-(eta[dat.status == 1].sum()) + np.sum(dat.d * np.log(s0)))


def _neg_loglik_score_info(dat: _Data, beta: np.ndarray):
    eta, _, s0, s1, s2 = _risk_sums(dat, beta, 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        lik = float(-(eta[dat.status == 1].sum()) + np.sum(dat.d * np.log(s0)))
        xbar = s1 / s0[:, None]
        score = -dat.x_fail_sum + (dat.d[:, None] * xbar).sum(axis=0)
        info = np.einsum("k,kij->ij", dat.d / s0, s2) - np.einsum("k,ki,kj->ij", dat.d, xbar, xbar)
    return lik, score, info


def _sandwich_meat(dat: _Data, beta: np.ndarray) -> np.ndarray:
    """sum_i (eta_i + psi_i)(eta_i + psi_i)' of crr's ``crrvv``."""
    eta, e, s0, s1, _ = _risk_sums(dat, beta, 1)
    n, p = dat.x.shape
    ncg = dat.g_fail.shape[0]
    t = dat.time
    tk = dat.fail_times
    xbar = s1 / s0[:, None]
    w0 = dat.d / s0  # d_k / S0_k
    w1 = w0[:, None] * xbar
    # d Lambda part for time at risk with weight 1 (t_k <= T_i)
    c0 = np.concatenate(([0.0], np.cumsum(w0)))
    c1 = np.vstack([np.zeros((1, p)), np.cumsum(w1, axis=0)])
    kin = np.searchsorted(tk, t, side="right")  # number of failure times <= T_i
    eta_i = -(e[:, None] * (dat.x * c0[kin][:, None] - c1[kin]))
    # d N part for the failures themselves
    fail = dat.status == 1
    kf = np.searchsorted(tk, t[fail], side="left")
    eta_i[fail] += dat.x[fail] - xbar[kf]
    # d Lambda part for subjects with a competing event (weighted by G(t_k-)/G(T_i-), t_k > T_i)
    comp = dat.status == 2
    for g in range(ncg):
        sel = comp & (dat.cg == g)
        if not sel.any():
            continue
        gk = dat.g_fail[g]
        r0 = np.concatenate((np.cumsum((w0 * gk)[::-1])[::-1], [0.0]))
        r1 = np.vstack([np.cumsum((w1 * gk[:, None])[::-1], axis=0)[::-1], np.zeros((1, p))])
        f = e[sel] / dat.g_own[sel]
        eta_i[sel] -= f[:, None] * (dat.x[sel] * r0[kin[sel]][:, None] - r1[kin[sel]])
    # psi_i, the censoring-martingale term. For censoring group h, as in cmprsk 2.2-11's crrvv,
    #   q_h(u) = sum_{t_k >= u} d_kh / S0_k * sum_{j in h, competing, T_j < u}
    #            e_j G_h(t_k-)/G_h(T_j-) (x_j - xbar_k)
    # with d_kh the failures of group h at t_k; then
    #   psi_i = -sum_{u <= T_i} c_h(u) q_h(u) / Y_h(u)^2 + [i censored] q_h(T_i) / Y_h(T_i).
    cens = dat.status == 0
    cens_times = np.unique(t[cens])
    pos_u = np.searchsorted(t, cens_times, side="left")  # rows with T < u
    ku = np.searchsorted(tk, cens_times, side="left")  # failure times >= u
    psi = np.zeros((n, p))
    for h in range(ncg):
        in_h = dat.cg == h
        rows = np.flatnonzero(in_h)
        if not (cens & in_h).any():
            continue
        d_h = np.bincount(np.searchsorted(tk, t[fail & in_h]), minlength=tk.shape[0])
        a0 = d_h / s0 * dat.g_fail[h]
        a1 = a0[:, None] * xbar
        r0 = np.concatenate((np.cumsum(a0[::-1])[::-1], [0.0]))
        r1 = np.vstack([np.cumsum(a1[::-1], axis=0)[::-1], np.zeros((1, p))])
        sel = comp & in_h
        wc = np.where(sel, e / np.where(sel, dat.g_own, 1.0), 0.0)
        e0 = np.concatenate(([0.0], np.cumsum(wc)))[pos_u]
        e1 = np.vstack([np.zeros((1, p)), np.cumsum(wc[:, None] * dat.x, axis=0)])[pos_u]
        q = e1 * r0[ku][:, None] - e0[:, None] * r1[ku]
        th = t[in_h]
        y_h = (th.shape[0] - np.searchsorted(th, cens_times, side="left")).astype(np.float64)
        c_h = np.bincount(
            np.searchsorted(cens_times, t[in_h & cens]), minlength=cens_times.shape[0]
        ).astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            inc = np.where((c_h > 0)[:, None], q * (c_h / (y_h * y_h))[:, None], 0.0)
            own = np.where((y_h > 0)[:, None], q / y_h[:, None], 0.0)
        ss2 = -np.cumsum(inc, axis=0)
        ju = np.searchsorted(cens_times, t[rows], side="right") - 1  # censoring times <= T_i
        has = ju >= 0
        psi[rows[has]] = ss2[ju[has]]
        rc = rows[cens[rows]]
        psi[rc] += own[np.searchsorted(cens_times, t[rc], side="left")]
    total = eta_i + psi
    return total.T @ total


# ------------------------------------------------------------------------------------------------
# Result
# ------------------------------------------------------------------------------------------------
#: Column renames of 0.2 (old -> new), readable with a FutureWarning until 0.3.
TABLE_ALIASES = {"exp_coef": "hr", "se": "std_error", "z": "statistic"}


@dataclass(frozen=True, eq=False, repr=False)
class FineGray(Result):
    """Fitted Fine–Gray model (``cmprsk::crr``).

    Attributes
    ----------
    table
        term, coef, hr (the subdistribution hazard ratio exp(coef); ``exp_coef`` before 0.2),
        std_error (``se``), statistic (the Wald z; ``z``), p, lower, upper (interval for the
        hazard ratio), as ``summary(crr(...))``.
    var
        Sandwich variance of the coefficients (``crr$var``), labelled by term.
    information
        Observed information of the pseudo-likelihood (``crr$inf``).
    loglik, loglik_null
        Log pseudo-likelihood at the estimate and at 0; ``logtest`` is their pseudo
        likelihood-ratio statistic ``-2 (null - loglik)`` on ``df`` = number of terms.
    counts
        n_cause (events of the cause of interest), n_competing, n_censored.
    baseline
        ``time`` (each distinct failure time of the cause, crr's ``uftime``), ``hazard`` (the
        baseline subdistribution hazard increment there, crr's ``bfitj``), ``cumhaz``.
    last_time
        Largest follow-up time of the rows analysed (predictions beyond it are missing).
    model_spec
        The :class:`~crlm_outcomes.formula.Design` that codes new data like the fitted data,
        with the transforms' fitted state (:meth:`predict`).
    references
        Reference level of each categorical variable (``{variable: level}``).
    term_counts
        ``term, n, events``: patients with a 0/1 design column equal to 1 and their events of
        the cause (missing for other columns), for tables and forest plots.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes import fine_gray
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> cohort = synthetic_cohort(200, seed=1)  # rfs_cause: 1 recurrence, 2 death first
    >>> fg = fine_gray(cohort, "age_at_diagnosis + sex", "rfs_months", "rfs_cause", cause=1)
    >>> fg.counts, fg.n, fg.converged
    ({'n_cause': 86, 'n_competing': 9, 'n_censored': 29}, 124, True)
    >>> new = pd.DataFrame({"age_at_diagnosis": [60.0], "sex": ["male"]})
    >>> fg.predict(new, times=[12, 24]).round(3).to_dict("records")  # cumulative incidence
    [{'row': 0, 'time': 12.0, 'cif': 0.273}, {'row': 0, 'time': 24.0, 'cif': 0.451}]
    """

    table: pd.DataFrame
    var: pd.DataFrame
    information: pd.DataFrame
    loglik: float
    loglik_null: float
    converged: bool
    iterations: int
    cause: int
    competing: tuple[int, ...]
    formula: str
    conf_level: float
    n: int
    counts: dict[str, int]
    excluded: pd.DataFrame = field(repr=False)
    baseline: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    last_time: float = float("nan")
    model_spec: Any = field(repr=False, default=None)
    references: dict[str, Any] = field(repr=False, default_factory=dict)
    term_counts: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)

    def predict(self, newdata: pd.DataFrame, times: Sequence[float] | None = None) -> pd.DataFrame:
        """Cumulative incidence of the cause for each row of ``newdata``, as
        ``cmprsk::predict.crr(fit, cov1)``: ``F(t | z) = 1 - exp(-exp(z'b) A0(t))`` with ``A0``
        the Breslow-type baseline cumulative subdistribution hazard (:attr:`baseline`; Fine &
        Gray 1999, section 3).

        Returns a long table ``row`` (position in newdata), ``time``, ``cif``: at each failure
        time of the cause (``uftime``), or at ``times`` (a step function: 0 before the first
        failure time, missing beyond the last follow-up time of the data). A row with a missing
        covariate gets missing values (with a ``DataQualityWarning``); a level not seen in the
        fit is a ``FormulaError``. cmprsk gives no standard errors for these predictions, and
        neither does this.

        Parameters
        ----------
        newdata
            One row per covariate pattern, with every covariate of the model (coded as in the
            fitted data: same levels of categorical variables).
        times
            Times at which to predict; default every distinct failure time of the cause.

        Returns
        -------
        pandas.DataFrame
            ``row`` (position in ``newdata``), ``time``, ``cif`` (the predicted cumulative
            incidence of the cause by ``time``, a probability; NaN beyond the last follow-up
            time or for a row with a missing covariate); one row per ``newdata`` row and time,
            times varying fastest.

        Raises
        ------
        SpecError
            ``newdata`` is not a DataFrame.
        FormulaError
            A covariate of the model is missing from ``newdata``, or a level was not seen in
            the fit.

        Examples
        --------
        Cumulative incidence of recurrence (cause 1) at 1 and 2 years, and beyond the last
        follow-up time (missing):

        >>> import pandas as pd
        >>> from crlm_outcomes import fine_gray
        >>> from crlm_outcomes.datasets import synthetic_cohort
        >>> d = synthetic_cohort(200, seed=1).data.dropna(subset=["rfs_months", "rfs_cause"])
        >>> fg = fine_gray(d, "age_at_diagnosis + sex", "rfs_months", "rfs_cause", cause=1)
        >>> new = pd.DataFrame({"age_at_diagnosis": [50.0, 70.0], "sex": ["male", "female"]})
        >>> fg.predict(new, times=[12, 24, 240])["cif"].round(3).tolist()
        [0.283, 0.465, nan, 0.287, 0.471, nan]
        """
        if not isinstance(newdata, pd.DataFrame):
            raise SpecError(
                "newdata must be a pandas DataFrame",
                value=type(newdata).__name__,
                expected="a DataFrame with the model's covariates",
            )
        design = self.model_spec
        variables = list(design.formula.variables)
        missing = [v for v in variables if v not in newdata.columns]
        if missing:
            raise FormulaError(
                "newdata lacks covariates of the model",
                value=missing,
                expected=f"the columns {variables}",
            )
        x = design_matrix_for(design, newdata)
        risk = np.exp(x @ self.table["coef"].to_numpy())
        ft = self.baseline["time"].to_numpy()
        a0 = self.baseline["cumhaz"].to_numpy()
        if times is None:
            t, a = ft, a0
        else:
            t = np.asarray(times, dtype=np.float64)
            idx = np.searchsorted(ft, t, side="right")
            a = np.where(idx > 0, a0[np.maximum(idx - 1, 0)], 0.0)
            a = np.where(t > self.last_time, np.nan, a)
        cif = 1.0 - np.exp(-np.outer(risk, a))
        return pd.DataFrame(
            {
                "row": np.repeat(np.arange(len(newdata)), t.size),
                "time": np.tile(t, len(newdata)),
                "cif": cif.ravel(),
            }
        )

    _title = "Fine–Gray model"

    def __post_init__(self) -> None:
        object.__setattr__(self, "table", AliasedFrame.wrap(self.table, TABLE_ALIASES))

    @property
    def n_event(self) -> int:
        """Number of events of the cause of interest."""
        return int(self.counts["n_cause"])

    @property
    def robust(self) -> bool:
        """The variance is always crr's sandwich (robust) variance."""
        return True

    def _repr_fields(self) -> dict[str, object]:
        return {
            "formula": self.formula,
            "cause": self.cause,
            "n": self.n,
            "events": self.n_event,
            "excluded": self.n_excluded,
        }

    @property
    def logtest(self) -> float:
        return -2.0 * (self.loglik_null - self.loglik)

    @property
    def df(self) -> int:
        return int(len(self.table))

    @property
    def params(self) -> pd.Series:
        return pd.Series(self.table["coef"].to_numpy(), index=self.table["term"], name="coef")

    def plot_forest(self, ax: Any = None, **kwargs: Any) -> Any:
        """Forest plot of the subdistribution hazard ratios
        (:func:`crlm_outcomes.plots.forest.forest_plot`).

        Parameters
        ----------
        ax
            Axes to draw on; a new figure when ``None``.
        **kwargs
            Options of :func:`crlm_outcomes.plots.forest.forest_plot`: ``labels``,
            ``counts``, ``columns``, ``width``.

        Returns
        -------
        matplotlib.axes.Axes
            The plot axes (the N/events, "SHR (95% CI)" and "p" columns are annotations of
            it).

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from crlm_outcomes import fine_gray
        >>> from crlm_outcomes.datasets import synthetic_cohort
        >>> d = synthetic_cohort(200, seed=1).data.dropna(subset=["rfs_months", "rfs_cause"])
        >>> fg = fine_gray(d, "age_at_diagnosis + sex", "rfs_months", "rfs_cause", cause=1)
        >>> ax = fg.plot_forest(labels={"age_at_diagnosis": "Age"})
        >>> ax.get_xlabel()
        'Subdistribution hazard ratio (95% CI, robust SE, log scale)'
        >>> [t.get_text() for t in ax.texts][4:7]  # after the column headers
        ['Age (per year)', '1.00 (0.98–1.01)', '0.657']
        >>> plt.close(ax.figure)
        """
        from crlm_outcomes.plots.forest import forest_plot

        return forest_plot(self, ax=ax, **kwargs)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """The forest plot (see :meth:`plot_forest`).

        Parameters
        ----------
        ax
            Axes to draw on; a new figure when ``None``.
        **kwargs
            Options of :func:`crlm_outcomes.plots.forest.forest_plot` (``labels``, ...).

        Returns
        -------
        matplotlib.axes.Axes
            The plot axes of the forest plot.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from crlm_outcomes import fine_gray
        >>> from crlm_outcomes.datasets import synthetic_cohort
        >>> d = synthetic_cohort(200, seed=1).data.dropna(subset=["rfs_months", "rfs_cause"])
        >>> fg = fine_gray(d, "age_at_diagnosis + sex", "rfs_months", "rfs_cause", cause=1)
        >>> ax = fg.plot()
        >>> ax.get_xlabel(), ax.get_xscale()
        ('Subdistribution hazard ratio (95% CI, robust SE, log scale)', 'log')
        >>> plt.close(ax.figure)
        """
        return self.plot_forest(ax=ax, **kwargs)

    def summary(self) -> str:
        """Plain-text summary laid out like ``print(summary(crr(...)))``.

        Returns
        -------
        str
            The cause of interest and the competing causes, the formula, a coefficient table
            (coef, exp(coef) the subdistribution hazard ratio, se(coef) the sandwich standard
            error, Wald z, p-value), a table of exp(coef), exp(-coef) and the confidence
            limits, then the number of cases analysed (and excluded), the pseudo
            log-likelihood, the pseudo likelihood-ratio test and whether the fit converged.

        Examples
        --------
        >>> from crlm_outcomes import fine_gray
        >>> from crlm_outcomes.datasets import synthetic_cohort
        >>> d = synthetic_cohort(200, seed=1).data.dropna(subset=["rfs_months", "rfs_cause"])
        >>> fg = fine_gray(d, "age_at_diagnosis + sex", "rfs_months", "rfs_cause", cause=1)
        >>> print(fg.summary())
        Competing risks regression (Fine–Gray), cause 1 vs 2
        formula: age_at_diagnosis + sex
        <BLANKLINE>
                    term      coef  exp(coef)  se(coef)       z  p-value
        age_at_diagnosis -0.004336     0.9957  0.009764 -0.4441    0.657
             sex[T.male]   -0.1045     0.9008    0.2181 -0.4793   0.6318
        <BLANKLINE>
                    term  exp(coef)  exp(-coef)   2.5%  97.5%
        age_at_diagnosis     0.9957       1.004 0.9768  1.015
             sex[T.male]     0.9008        1.11 0.5875  1.381
        <BLANKLINE>
        Num. cases = 124
        Pseudo Log-likelihood = -356.4
        Pseudo likelihood ratio test = 0.4571  on 2 df,
        converged: True
        """
        t = self.table
        lines = [
            f"Competing risks regression (Fine–Gray), cause {self.cause} vs "
            f"{', '.join(map(str, self.competing)) or 'none'}",
            f"formula: {self.formula}",
            "",
        ]
        coef = t[["term", "coef", "hr", "std_error", "statistic", "p"]].rename(
            columns={"hr": "exp(coef)", "std_error": "se(coef)", "statistic": "z", "p": "p-value"}
        )
        lines.append(coef.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        lo = f"{100 * (1 - self.conf_level) / 2:g}%"
        hi = f"{100 * (1 + self.conf_level) / 2:g}%"
        ci = pd.DataFrame(
            {
                "term": t["term"],
                "exp(coef)": t["hr"],
                "exp(-coef)": np.exp(-t["coef"]),
                lo: t["lower"],
                hi: t["upper"],
            }
        )
        lines += [
            "",
            ci.to_string(index=False, float_format=lambda v: f"{v:.4g}"),
            "",
            f"Num. cases = {self.n}"
            + (f" ({self.n_excluded} excluded for missing values)" if self.n_excluded else ""),
            f"Pseudo Log-likelihood = {self.loglik:.4g}",
            f"Pseudo likelihood ratio test = {self.logtest:.4g}  on {self.df} df,",
            f"converged: {self.converged}",
        ]
        return "\n".join(lines)

    def _display_title(self) -> str:
        return f"Fine–Gray model: {self.formula}"

    def _display_notes(self) -> dict[str, object]:
        return {
            "cause": self.cause,
            "competing": ", ".join(map(str, self.competing)),
            "n": self.n,
            "excluded": self.n_excluded,
            **self.counts,
            "pseudo log-likelihood": f"{self.loglik:.4f}",
            "pseudo LR test": f"{self.logtest:.3f} on {self.df} df",
            "converged": self.converged,
        }

    def anova(self) -> pd.DataFrame:
        """Wald chi-square test of each term and of the nonlinear part of each spline term
        (``rcs``, ``poly``) with the sandwich variance, laid out as rms's ``anova``
        (:func:`~crlm_outcomes.formula.anova.wald_anova`).

        Returns
        -------
        pandas.DataFrame
            ``term``, ``part`` (``"overall"``, ``"nonlinear"``, ...), ``label`` (rms's row
            label), ``statistic`` (Wald chi-square with the sandwich variance), ``df``, ``p``;
            a ``TOTAL`` row last.

        Examples
        --------
        >>> from crlm_outcomes import fine_gray
        >>> from crlm_outcomes.datasets import synthetic_cohort
        >>> d = synthetic_cohort(200, seed=1).data.dropna(subset=["rfs_months", "rfs_cause"])
        >>> fg = fine_gray(d, "rcs(age_at_diagnosis, 3) + sex", "rfs_months", "rfs_cause", cause=1)
        >>> fg.anova()[["label", "statistic", "df", "p"]].round(3)
                              label  statistic  df      p
        0  rcs(age_at_diagnosis, 3)      0.195   2  0.907
        1                 Nonlinear      0.012   1  0.912
        2                       sex      0.221   1  0.638
        3                     TOTAL      0.498   3  0.919
        """
        from crlm_outcomes.formula.anova import wald_anova

        return wald_anova(self.model_spec, self.table["coef"].to_numpy(), self.var.to_numpy())

    def partial_effect(self, variable: str, values=None, reference: float | None = None):
        """Subdistribution hazard ratio against ``variable`` relative to ``reference`` (default
        its median), other covariates at their adjust-to values, with Wald limits
        (:func:`~crlm_outcomes.formula.effects.partial_effect`).

        Parameters
        ----------
        variable
            A numeric covariate of the model (plain or in ``rcs``, ``poly``, ... terms).
        values
            Values at which to evaluate; default 200 points over the variable's range in the
            fitted data.
        reference
            Value with subdistribution hazard ratio 1; default the variable's median in the
            fitted data.

        Returns
        -------
        PartialEffect
            ``table`` with ``value``, ``hr`` (the subdistribution hazard ratio against
            ``reference``), ``lower``, ``upper`` (Wald limits at the fit's ``conf_level``,
            sandwich variance), ``log_hr``, ``std_error``; its ``plot()`` draws the curve.

        Examples
        --------
        >>> from crlm_outcomes import fine_gray
        >>> from crlm_outcomes.datasets import synthetic_cohort
        >>> d = synthetic_cohort(200, seed=1).data.dropna(subset=["rfs_months", "rfs_cause"])
        >>> fg = fine_gray(d, "rcs(age_at_diagnosis, 3) + sex", "rfs_months", "rfs_cause", cause=1)
        >>> pe = fg.partial_effect("age_at_diagnosis", values=[50, 60, 70], reference=60)
        >>> pe.table[["value", "hr", "lower", "upper"]].round(3).values.tolist()
        [[50.0, 1.028, 0.753, 1.402], [60.0, 1.0, 1.0, 1.0], [70.0, 0.95, 0.737, 1.226]]
        """
        from crlm_outcomes.formula.effects import partial_effect

        return partial_effect(
            self.model_spec,
            self.table["coef"].to_numpy(),
            self.var.to_numpy(),
            variable,
            values=values,
            reference=reference,
            conf_level=self.conf_level,
            ratio_label="Subdistribution hazard ratio",
        )


def fine_gray(
    data: Any,
    formula: str,
    duration: str,
    event: str,
    *,
    cause: int = 1,
    censor_code: int = 0,
    causes: Sequence[int] | None = None,
    cengroup: str | None = None,
    conf_level: float = 0.95,
    max_iter: int = 10,
    gtol: float = 1e-6,
    init: Sequence[float] | None = None,
) -> FineGray:
    """Fine–Gray subdistribution hazards model for one cause, as ``cmprsk::crr``.

    Parameters
    ----------
    data
        One row per subject.
    formula
        Right-hand side, e.g. ``"age + sex + C(stage)"`` (formulaic syntax; factors get R's
        treatment contrasts, first level as reference).
    duration, event
        Follow-up time and event code.
    cause
        Code of the cause of interest (crr's ``failcode``).
    censor_code
        Code of censored rows (crr's ``cencode``); every other declared code is a competing cause.
    causes
        All declared event codes other than ``censor_code`` (default: every code present). A code
        outside ``{censor_code, *causes}`` is an error naming the row.
    cengroup
        Column of censoring groups: the censoring distribution is estimated within each group
        (crr's ``cengroup``).
    conf_level
        Level of the intervals for exp(coef).
    max_iter, gtol, init
        Newton–Raphson controls, as crr's ``maxiter``, ``gtol`` and ``init``.

    Returns
    -------
    FineGray

    Warns
    -----
    ConvergenceWarning
        The iterations did not converge (the coefficients are crr's last iterate); the message
        names the terms with the largest score.

    Raises
    ------
    EstimationError
        No event of the cause of interest, or a singular information matrix (e.g. a constant
        covariate), naming the term.

    Examples
    --------
    >>> from crlm_outcomes import fine_gray
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> cohort = synthetic_cohort(200, seed=1)  # rfs_cause: 1 recurrence, 2 death first
    >>> fg = fine_gray(cohort, "age_at_diagnosis + sex", "rfs_months", "rfs_cause", cause=1)
    >>> fg.table[["term", "hr"]].round(3).to_dict("records")
    [{'term': 'age_at_diagnosis', 'hr': 0.996}, {'term': 'sex[T.male]', 'hr': 0.901}]
    """
    data = as_frame(data, error=SurvivalDataError)
    if not 0 < conf_level < 1:
        raise SpecError(
            "conf_level must be between 0 and 1", value=conf_level, expected="e.g. 0.95"
        )
    checked = check_formula(formula, data.columns)
    variables = list(checked.variables)
    cz = _declared_causes(data, event, causes, censor_code, cause)
    frame, codes_for_input, cause_code = _recode_censoring(data, event, cz, censor_code, cause)
    si = survival_input(
        frame, duration, event, by=cengroup, causes=codes_for_input, extra=variables
    )
    design, terms, x = _design(formula, data.loc[si.index], variables)
    status = np.where(si.event == 0, 0, np.where(si.event == cause_code, 1, 2))
    cg = si.group if cengroup is not None else np.zeros(si.n, dtype=np.int64)
    dat = _prepare(si.time, status, x, cg)
    if dat.fail_times.shape[0] == 0:
        raise EstimationError(f"no event of cause {cause} among the rows analysed")
    beta, lik, score, info, converged, iterations = _newton_raphson(
        dat, _initial_beta(init, terms), terms, max_iter, gtol
    )
    if not converged:
        worst = [terms[j] for j in np.argsort(-np.abs(score))[: min(3, len(terms))]]
        warnings.warn(
            f"Fine–Gray fit did not converge in {max_iter} iterations; largest "
            f"scores for {', '.join(worst)}",
            ConvergenceWarning,
            stacklevel=2,
        )
    table, var = _coefficient_table(dat, beta, info, terms, conf_level)
    counts, term_counts = _event_counts(status, x, terms)
    return FineGray(
        table=table,
        var=pd.DataFrame(var, index=terms, columns=terms),
        information=pd.DataFrame(info, index=terms, columns=terms),
        loglik=-lik,
        loglik_null=-_neg_loglik(dat, np.zeros(len(terms))),
        converged=converged,
        iterations=iterations,
        cause=cause,
        competing=tuple(c for c in cz if c != cause),
        formula=checked.rhs,
        conf_level=conf_level,
        n=si.n,
        counts=counts,
        excluded=si.excluded,
        baseline=_baseline(dat, beta),
        last_time=float(dat.time.max()),
        model_spec=design,
        references=design.references,
        term_counts=term_counts,
    )


def _declared_causes(
    data: pd.DataFrame,
    event: str,
    causes: Sequence[int] | None,
    censor_code: int,
    cause: int,
) -> tuple[int, ...]:
    """The declared event codes, checked to hold the cause of interest."""
    from crlm_outcomes.survival.competing_risks import declared_causes

    cz = declared_causes(data, event, causes, censor_code=censor_code)
    if cause not in cz:
        if causes is not None:
            raise SpecError(
                "cause is not among the declared causes", value=cause, expected=f"one of {list(cz)}"
            )
        raise EstimationError(
            f"no event with code {cause} (the cause of interest) in column {event!r}"
        )
    return cz


def _recode_censoring(
    data: pd.DataFrame, event: str, cz: tuple[int, ...], censor_code: int, cause: int
) -> tuple[pd.DataFrame, tuple[int, ...], int]:
    """The frame, declared codes and cause code with censoring coded 0 (as ``survival_input``
    reads it): a censoring code other than 0 becomes 0 and a cause coded 0 moves to an unused
    code (its identity only matters as "cause" or "competing")."""
    if censor_code == 0:
        return data, cz, cause
    raw = pd.to_numeric(data[event], errors="coerce")
    spare = int(max([*cz, censor_code, 0])) + 1
    recoded = raw.where(raw != 0, spare).where(raw != censor_code, 0).where(raw.notna())
    frame = data.assign(**{event: recoded})
    codes = tuple(spare if c == 0 else c for c in cz)
    return frame, codes, spare if cause == 0 else cause


def _design(
    formula: str, rows: pd.DataFrame, variables: list[str]
) -> tuple[Any, list[str], np.ndarray]:
    """The design of the rows analysed, its column names and matrix, checked finite and
    without constant columns."""
    from crlm_outcomes.formula.design import drop_empty_leading_levels

    # crr takes no column of zeros: levels without a patient are left out (not estimable)
    kept = drop_empty_leading_levels(rows, list(variables), every=True)
    design = build_design(formula, kept)
    terms = list(design.columns)
    if not terms:
        raise FormulaError(
            "the formula gives no covariate columns",
            value=formula,
            expected="at least one covariate",
        )
    x = design.X
    if not np.all(np.isfinite(x)):
        bad = np.flatnonzero(~np.isfinite(x).all(axis=0))[0]
        raise SurvivalDataError(
            "covariate is not finite", column=terms[bad], expected="finite values"
        )
    const = [terms[j] for j in range(x.shape[1]) if np.ptp(x[:, j]) == 0]
    if const:
        raise EstimationError(
            f"covariate(s) {', '.join(const)} constant among the rows "
            "analysed: coefficient not identifiable"
        )
    return design, terms, x


def _initial_beta(init: Sequence[float] | None, terms: list[str]) -> np.ndarray:
    """crr's ``init`` (default zeros), checked to have one value per term."""
    p = len(terms)
    beta = np.zeros(p) if init is None else np.asarray(init, dtype=np.float64)
    if beta.shape != (p,):
        raise SpecError(
            "init has the wrong length",
            value=list(beta),
            expected=f"{p} values ({', '.join(terms)})",
        )
    return beta


def _newton_raphson(
    dat: _Data, beta: np.ndarray, terms: list[str], max_iter: int, gtol: float
) -> tuple[np.ndarray, float, np.ndarray, np.ndarray, bool, int]:
    """crr's Newton–Raphson with step halving: the last iterate, its negative log
    pseudo-likelihood, score and information, whether it converged and the iterations."""
    converged = False
    iterations = 0
    for it in range(max_iter + 1):
        lik, score, info = _neg_loglik_score_info(dat, beta)
        iterations = it
        if np.max(np.abs(score) * np.maximum(np.abs(beta), 1.0)) < max(abs(lik), 1.0) * gtol:
            converged = True
            break
        if it == max_iter:
            break
        try:
            step = -np.linalg.solve(info, score)
        except np.linalg.LinAlgError as exc:
            raise EstimationError(
                "singular information matrix; collinear covariates among " + ", ".join(terms)
            ) from exc
        new, ok = _halved_step(dat, beta, step, lik, score)
        if not ok:
            break
        beta = new
    return beta, lik, score, info, converged, iterations


def _halved_step(
    dat: _Data, beta: np.ndarray, step: np.ndarray, lik: float, score: np.ndarray
) -> tuple[np.ndarray, bool]:
    """The Newton step halved until the objective decreases enough (crr's rule); ``False``
    after more than 20 halvings."""
    new = beta + step
    fnew = _neg_loglik(dat, new)
    halvings = 0
    while not np.isfinite(fnew) or fnew > lik + 1e-4 * float(step @ score):
        halvings += 1
        step = step * 0.5
        new = beta + step
        fnew = _neg_loglik(dat, new)
        if halvings > 20:
            return new, False
    return new, True


def _coefficient_table(
    dat: _Data, beta: np.ndarray, info: np.ndarray, terms: list[str], conf_level: float
) -> tuple[pd.DataFrame, np.ndarray]:
    """The coefficient table (sandwich standard errors, Wald tests and limits) and the
    sandwich variance."""
    try:
        inv_info = np.linalg.inv(info)
    except np.linalg.LinAlgError as exc:
        raise EstimationError(
            "singular information matrix at the estimate; collinear "
            "covariates among " + ", ".join(terms)
        ) from exc
    meat = _sandwich_meat(dat, beta)
    var = inv_info @ meat @ inv_info.T
    se = np.sqrt(np.diag(var))
    z = beta / se
    zq = stats.norm.ppf(0.5 + conf_level / 2.0)
    table = pd.DataFrame(
        {
            "term": terms,
            "coef": beta,
            "hr": np.exp(beta),
            "std_error": se,
            "statistic": z,
            "p": 2.0 * stats.norm.sf(np.abs(z)),
            "lower": np.exp(beta - zq * se),
            "upper": np.exp(beta + zq * se),
        }
    )
    return table, var


def _baseline(dat: _Data, beta: np.ndarray) -> pd.DataFrame:
    """crr's ``bfitj``: Breslow-type increments of the baseline at the failure times, and
    their cumulative sum."""
    _, _, s0, _, _ = _risk_sums(dat, beta, 0)
    jumps = dat.d / s0
    return pd.DataFrame({"time": dat.fail_times, "hazard": jumps, "cumhaz": np.cumsum(jumps)})


def _event_counts(
    status: np.ndarray, x: np.ndarray, terms: list[str]
) -> tuple[dict[str, int], pd.DataFrame]:
    """Counts of the cause, competing events and censored rows; and per binary term the rows
    with the term at 1 and their events of the cause (NaN for other terms)."""
    counts = {
        "n_cause": int((status == 1).sum()),
        "n_competing": int((status == 2).sum()),
        "n_censored": int((status == 0).sum()),
    }
    binary = np.all(np.isclose(x, 0) | np.isclose(x, 1), axis=0)
    on = np.isclose(x, 1)
    term_counts = pd.DataFrame(
        {
            "term": terms,
            "n": np.where(binary, on.sum(axis=0), np.nan),
            "events": np.where(binary, (on & (status == 1)[:, None]).sum(axis=0), np.nan),
        }
    )
    return counts, term_counts
