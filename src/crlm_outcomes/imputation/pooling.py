"""Rubin's rules: pooling estimates over multiply imputed data sets, as R's ``mice::pool``.

For ``m`` completed data sets giving estimates ``Q_i`` with variances ``U_i`` of one quantity
(Rubin 1987, ch. 3):

* pooled estimate ``Qbar = mean(Q_i)``; within variance ``Ubar = mean(U_i)``; between variance
  ``B = var(Q_i)`` (denominator ``m - 1``); total variance ``T = Ubar + (1 + 1/m) B``;
* relative increase in variance ``riv = (1 + 1/m) B / Ubar``, proportion of variance due to
  missingness ``lambda = (1 + 1/m) B / T``;
* degrees of freedom of Barnard & Rubin (1999): ``df_old = (m - 1) / lambda^2`` (lambda floored
  at 1e-4, as mice does), ``df_obs = (dfcom + 1) / (dfcom + 3) dfcom (1 - lambda)``,
  ``df = df_old df_obs / (df_old + df_obs)`` (``df_old`` when ``dfcom`` is infinite);
* fraction of missing information ``fmi = (riv + 2 / (df + 3)) / (riv + 1)``;
* the interval ``Qbar +- t_{df} sqrt(T)`` and the test of ``Q = 0`` on ``t_{df}``.

``dfcom``, the complete-data degrees of freedom, follows mice 3.15: the number of events minus
the number of coefficients for a Cox model (``coxph``), the same for a Fine–Gray model (events of
the cause of interest), and infinite for Kaplan–Meier survival and RMST. Survival probabilities
are pooled on the complementary log-log scale ``log(-log S)`` (its variance by the delta method,
``var(S) / (S log S)^2``) and transformed back, which keeps the pooled estimate and limits in
(0, 1) (Marshall et al. 2009 recommend pooling on a scale closer to normality). A pooled median
is the first time the pooled curve is at or below 0.5, its limits the same on the pooled limits.

Agreement with ``mice::pool`` / ``mice::pool.scalar`` 3.15.0 on the same completed data sets is
tested at rtol 1e-6 or tighter (``tests/reference/pooling.R``).

References
----------
Rubin DB. *Multiple Imputation for Nonresponse in Surveys*. Wiley, 1987.
Barnard J, Rubin DB. Small-sample degrees of freedom with multiple imputation. *Biometrika*
1999;86:948–955.
van Buuren S, Groothuis-Oudshoorn K. mice: Multivariate imputation by chained equations in R.
*J Stat Softw* 2011;45(3):1–67.
Marshall A, Altman DG, Holder RL, Royston P. Combining estimates of interest in prognostic
modelling studies after multiple imputation: current practice and guidelines. *BMC Med Res
Methodol* 2009;9:57.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from crlm_outcomes._display import frames_html
from crlm_outcomes._result import Result
from crlm_outcomes.errors import InputError, SpecError

__all__ = [
    "rubin_rules",
    "barnard_rubin_df",
    "PooledModel",
    "pool_cox",
    "pool_fine_gray",
    "PooledSurvival",
    "pool_km",
    "PooledRMST",
    "pool_rmst",
]

_RUBIN_COLUMNS = [
    "estimate",
    "std_error",
    "statistic",
    "df",
    "p",
    "lower",
    "upper",
    "ubar",
    "b",
    "t",
    "dfcom",
    "riv",
    "lambda",
    "fmi",
]


def barnard_rubin_df(m: int, b: np.ndarray, t: np.ndarray, dfcom: float = np.inf) -> np.ndarray:
    """Barnard–Rubin (1999) degrees of freedom, as ``mice:::barnard.rubin``.

    Parameters
    ----------
    m
        Number of imputations.
    b, t
        Between-imputation and total variances.
    dfcom
        Complete-data degrees of freedom (``inf``: Rubin's 1987 ``(m - 1) / lambda^2``).

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> float(barnard_rubin_df(5, np.array([0.5]), np.array([1.6]))[0]) > 4
    True
    """
    b = np.asarray(b, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = (1 + 1 / m) * b / t
    lam = np.where(lam < 1e-4, 1e-4, lam)
    dfold = (m - 1) / lam**2
    if np.isinf(dfcom):
        return dfold
    dfobs = (dfcom + 1) / (dfcom + 3) * dfcom * (1 - lam)
    return dfold * dfobs / (dfold + dfobs)


def rubin_rules(
    estimates: np.ndarray, variances: np.ndarray, *, dfcom: float = np.inf, conf_level: float = 0.95
) -> pd.DataFrame:
    """Pool ``m`` estimates of ``p`` quantities by Rubin's rules (see the module docstring).

    Parameters
    ----------
    estimates, variances
        Arrays of shape ``(m,)`` or ``(m, p)``: one row per imputation.
    dfcom
        Complete-data degrees of freedom.
    conf_level
        Level of the t intervals.

    Returns
    -------
    pandas.DataFrame
        One row per quantity: estimate, std_error (``sqrt(T)``), statistic (estimate / se), df,
        p, lower, upper, ubar, b, t, dfcom, riv, lambda, fmi.

    Raises
    ------
    InputError
        Fewer than two imputations, shapes that differ, or missing / negative variances.

    Examples
    --------
    >>> tab = rubin_rules(np.array([1.0, 1.2, 0.9]), np.array([0.04, 0.05, 0.04]))
    >>> round(float(tab["estimate"].iloc[0]), 4), round(float(tab["t"].iloc[0]), 5)
    (1.0333, 0.07444)
    """
    q = np.asarray(estimates, dtype=np.float64)
    u = np.asarray(variances, dtype=np.float64)
    if q.ndim == 1:
        q, u = q[:, None], u[:, None]
    if q.shape != u.shape:
        raise InputError(
            "estimates and variances have different shapes",
            value=(q.shape, u.shape),
            expected="one variance per estimate",
        )
    m = q.shape[0]
    if m < 2:
        raise InputError("pooling needs at least two imputations", value=m, expected="m >= 2")
    if np.any(~np.isfinite(u)) or np.any(u < 0):
        raise InputError(
            "a variance to pool is missing, infinite or negative",
            value=u[~(np.isfinite(u) & (u >= 0))][:3].tolist(),
            expected="finite non-negative variances (an aliased coefficient cannot be pooled)",
        )
    if not 0 < conf_level < 1:
        raise SpecError(
            "conf_level must lie strictly between 0 and 1", value=conf_level, expected="e.g. 0.95"
        )
    qbar = q.mean(axis=0)
    ubar = u.mean(axis=0)
    b = q.var(axis=0, ddof=1)
    t = ubar + (1 + 1 / m) * b
    df = barnard_rubin_df(m, b, t, dfcom)
    with np.errstate(divide="ignore", invalid="ignore"):
        riv = (1 + 1 / m) * b / ubar
        lam = (1 + 1 / m) * b / t
        se = np.sqrt(t)
        stat = qbar / se
    fmi = (riv + 2 / (df + 3)) / (riv + 1)
    crit = stats.t.ppf(0.5 + conf_level / 2, df)
    return pd.DataFrame(
        {
            "estimate": qbar,
            "std_error": se,
            "statistic": stat,
            "df": df,
            "p": 2 * stats.t.sf(np.abs(stat), df),
            "lower": qbar - crit * se,
            "upper": qbar + crit * se,
            "ubar": ubar,
            "b": b,
            "t": t,
            "dfcom": np.full(q.shape[1], float(dfcom)),
            "riv": riv,
            "lambda": lam,
            "fmi": fmi,
        }
    )


# ------------------------------------------------------------------------------------------------
# Regression models
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False, repr=False)
class PooledModel(Result):
    """A Cox or Fine–Gray model pooled over imputations by Rubin's rules.

    Attributes
    ----------
    table
        One row per term: term, coef (pooled log hazard ratio), std_error, hr, lower, upper
        (interval for the hazard ratio on t with ``df``), statistic, df, p, fmi, riv, lambda,
        ubar, b, t, dfcom.
    model
        ``"cox"`` or ``"fine_gray"``.
    m
        Number of imputations.
    n, n_event
        Rows and events per completed data set (the outcome is never imputed, so they are equal
        across imputations unless rows were excluded).
    conf_level
        Level of the intervals.
    excluded
        Rows excluded from the fits (union over imputations, with the imputation number).
    fits
        The per-imputation fits.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.imputation import impute
    >>> rng = np.random.default_rng(1)
    >>> d = pd.DataFrame({"t": rng.exponential(10, 40).round(1), "e": rng.integers(0, 2, 40),
    ...                   "age": rng.normal(65, 8, 40).round()})
    >>> d.loc[::4, "age"] = np.nan
    >>> imp = impute(d, ["age"], duration="t", event="e", m=2, iterations=2, seed=7)
    >>> pooled = imp.cox("age", "t", "e")
    >>> pooled
    <PooledModel Cox, m=2, terms=1, n=40, events=24>
    >>> pooled.table[["term", "hr", "lower", "upper", "df"]].round(3).values.tolist()
    [['age', 1.058, 0.966, 1.16, 7.623]]
    """

    table: pd.DataFrame
    model: str
    m: int
    n: int
    n_event: int
    conf_level: float
    excluded: pd.DataFrame = field(repr=False)
    fits: tuple[Any, ...] = field(repr=False, compare=False)

    def __repr__(self) -> str:
        label = "Cox" if self.model == "cox" else "Fine-Gray"
        return (
            f"<PooledModel {label}, m={self.m}, terms={len(self.table)}, n={self.n}, "
            f"events={self.n_event}>"
        )

    def summary(self) -> str:
        """Text as ``summary(pool(fit), conf.int = TRUE, exponentiate = TRUE)`` prints it.

        Returns
        -------
        str
            A header naming the model, the number of imputations and the complete-data df, a
            line with patients, events and rows excluded per completed data set, then one row
            per term: pooled log hazard ratio (``coef``), its standard error, the hazard ratio
            with its t interval, the Wald statistic, the Barnard-Rubin df, p and the fraction
            of missing information (``fmi``).

        Examples
        --------
        Recurrence (cause 1) with death as a competing event (2); tumour size was imputed:

        >>> import pandas as pd
        >>> from crlm_outcomes.survival import fine_gray
        >>> d = pd.DataFrame({"t": [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13],
        ...                   "s": [1, 2, 1, 0, 1, 2, 1, 0, 2, 1, 0, 1],
        ...                   "size": [9, 2, 3, 1, 8, 3, 2, 6, 5, 4, 7, 1]})
        >>> completed = [d, d.assign(size=d["size"].where(d.index != 2, 8))]  # size imputed
        >>> pooled = pool_fine_gray([fine_gray(x, "size", "t", "s") for x in completed])
        >>> print(pooled.summary())
        Fine-Gray model pooled over m = 2 imputations (Rubin's rules, Barnard-Rubin df, dfcom = 5)
        n = 12, events = 6, rows excluded = 0
        term   coef  std_error    hr  lower  upper  statistic    df      p  fmi
        size 0.2365     0.2068 1.267 0.4707  3.409      1.143 1.803 0.3821 0.63
        """
        label = "Cox proportional-hazards" if self.model == "cox" else "Fine-Gray"
        cols = ["term", "coef", "std_error", "hr", "lower", "upper", "statistic", "df", "p", "fmi"]
        lines = [
            f"{label} model pooled over m = {self.m} imputations (Rubin's rules, "
            f"Barnard-Rubin df, dfcom = {self.table['dfcom'].iloc[0]:g})",
            f"n = {self.n}, events = {self.n_event}, rows excluded = {self.n_excluded}",
            self.table[cols].to_string(index=False, float_format=lambda v: f"{v:.4g}"),
        ]
        return "\n".join(lines)

    @property
    def references(self) -> dict[str, Any]:
        """Reference level of each categorical variable (the same in every imputation)."""
        from crlm_outcomes.survival.term_rows import model_design

        return model_design(self.fits[0])[0]

    @property
    def term_counts(self) -> pd.DataFrame | None:
        """Patients and events per level term (``term, n, events``), averaged over the
        imputations and rounded to whole patients (a level of an imputed variable holds a
        different number of patients in each completed data set); ``None`` where the fits do
        not record their design."""
        from crlm_outcomes.survival.term_rows import model_design

        frames = [model_design(f)[1] for f in self.fits]
        if any(not isinstance(f, pd.DataFrame) for f in frames):
            return None
        stacked = pd.concat(frames, ignore_index=True)
        mean = stacked.groupby("term", sort=False)[["n", "events"]].mean()
        mean = mean.round(0).reset_index()
        return mean[["term", "n", "events"]]

    @property
    def counts_vary(self) -> bool:
        """Whether the patients or events in some level differ between imputations."""
        from crlm_outcomes.survival.term_rows import model_design

        frames = [model_design(f)[1] for f in self.fits]
        if any(not isinstance(f, pd.DataFrame) for f in frames):
            return False
        tables: list[pd.DataFrame] = [f for f in frames if f is not None]
        first = tables[0].reset_index(drop=True)
        return not all(f.reset_index(drop=True).equals(first) for f in tables[1:])

    def plot(self, ax=None, **kwargs: Any):
        """Forest plot of the pooled hazard ratios (:func:`crlm_outcomes.plots.pooled.
        pooled_forest_plot`; ``labels=`` names the terms).

        Parameters
        ----------
        ax
            Axes to draw on; a new figure when None.
        **kwargs
            Options of :func:`~crlm_outcomes.plots.pooled.pooled_forest_plot`: ``labels``,
            ``counts``, ``columns``, ``width``.

        Returns
        -------
        matplotlib.axes.Axes
            The forest axes (the N/events, estimate and p columns are annotations of it), its
            x label naming the ratio and the number of imputations pooled.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> import pandas as pd
        >>> from crlm_outcomes.survival import fine_gray
        >>> d = pd.DataFrame({"t": [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13],
        ...                   "s": [1, 2, 1, 0, 1, 2, 1, 0, 2, 1, 0, 1],
        ...                   "size": [9, 2, 3, 1, 8, 3, 2, 6, 5, 4, 7, 1]})
        >>> completed = [d, d.assign(size=d["size"].where(d.index != 2, 8))]  # size imputed
        >>> pooled = pool_fine_gray([fine_gray(x, "size", "t", "s") for x in completed])
        >>> ax = pooled.plot()
        >>> ax.get_xlabel(), ax.get_xscale()
        ('Subdistribution hazard ratio (95% CI, log scale), pooled over 2 imputations', 'log')
        >>> plt.close(ax.figure)
        """
        from crlm_outcomes.plots.pooled import pooled_forest_plot

        return pooled_forest_plot(self, ax=ax, **kwargs)

    def regression_table(self, **kwargs: Any):
        """Publication table HR (95% CI), p (:func:`crlm_outcomes.report.regression_table.
        regression_table`), with the pooling stated in the notes; ``suppression=`` masks small
        counts as for a single model.

        Parameters
        ----------
        **kwargs
            Options of :func:`~crlm_outcomes.report.regression_table.regression_table`:
            ``labels``, ``decimals``, ``title``, ``suppression``.

        Returns
        -------
        RegressionTable
            One row per variable or level with the pooled hazard ratio (``SHR`` for a
            Fine-Gray model) and its interval as text, and p; the notes give n and events (per
            completed data set), the variance used within each imputation and the number of
            imputations; where the patients or events of a level differ between imputations,
            N and events are their mean, rounded to whole patients (a note says so).

        Examples
        --------
        >>> import pandas as pd
        >>> from crlm_outcomes.survival import fine_gray
        >>> d = pd.DataFrame({"t": [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13],
        ...                   "s": [1, 2, 1, 0, 1, 2, 1, 0, 2, 1, 0, 1],
        ...                   "size": [9, 2, 3, 1, 8, 3, 2, 6, 5, 4, 7, 1]})
        >>> completed = [d, d.assign(size=d["size"].where(d.index != 2, 8))]  # size imputed
        >>> pooled = pool_fine_gray([fine_gray(x, "size", "t", "s") for x in completed])
        >>> rt = pooled.regression_table()
        >>> print(rt.table.to_string(index=False))
        variable level N events     SHR (95% CI)     p
            size                1.27 (0.47–3.41) 0.382
        >>> rt.notes["missing data"]
        "multiple imputation, m = 2, pooled by Rubin's rules (t intervals with Barnard-Rubin df)"
        """
        from dataclasses import replace

        from crlm_outcomes.report.regression_table import regression_table
        from crlm_outcomes.report.suppression import SuppressionPolicy, format_count_alone

        policy = kwargs.get("suppression") or SuppressionPolicy(enabled=False)
        rt = regression_table(self, **kwargs)
        variance = (
            ("robust (sandwich)" if getattr(self.fits[0], "robust", False) else "model-based")
            if self.model == "cox"
            else "robust (sandwich), as cmprsk::crr"
        )
        notes = {
            **rt.notes,
            "variance": f"{variance} within each imputation",
            "n": format_count_alone(self.n, policy),
            "events": format_count_alone(self.n_event, policy),
            "missing data": f"multiple imputation, m = {self.m}, pooled by Rubin's rules "
            "(t intervals with Barnard-Rubin df)",
        }
        if self.counts_vary:
            notes["N, events"] = "mean over the imputed data sets, rounded to whole patients"
        return replace(rt, notes=notes)

    def _repr_html_(self) -> str:
        return frames_html(
            repr(self),
            {"": self.table},
            notes={
                "imputations": self.m,
                "n": self.n,
                "events": self.n_event,
                "rows excluded": self.n_excluded,
                "df": f"Barnard-Rubin, dfcom = {self.table['dfcom'].iloc[0]:g}",
            },
        )


def _check_fits(fits: Sequence[Any], kind: type, name: str) -> list[Any]:
    fits = list(fits)
    if len(fits) < 2:
        raise InputError(
            f"pooling needs the {name} fits of at least two imputations",
            value=len(fits),
            expected="m >= 2 fitted models",
        )
    bad = [i for i, f in enumerate(fits) if not isinstance(f, kind)]
    if bad:
        raise InputError(
            f"every fit must be a {kind.__name__}",
            row=bad[0],
            value=type(fits[bad[0]]).__name__,
            expected=kind.__name__,
        )
    return fits


def _union_excluded(fits: Sequence[Any]) -> pd.DataFrame:
    frames = [f.excluded.assign(imputation=i + 1) for i, f in enumerate(fits) if len(f.excluded)]
    if not frames:
        return pd.DataFrame(columns=["index", "column", "value", "reason", "imputation"])
    return pd.concat(frames, ignore_index=True)


def _model_table(
    terms: list[str], q: np.ndarray, u: np.ndarray, dfcom: float, conf_level: float
) -> pd.DataFrame:
    pooled = rubin_rules(q, u, dfcom=dfcom, conf_level=conf_level)
    out = pd.DataFrame(
        {
            "term": terms,
            "coef": pooled["estimate"],
            "std_error": pooled["std_error"],
            "hr": np.exp(pooled["estimate"]),
            "lower": np.exp(pooled["lower"]),
            "upper": np.exp(pooled["upper"]),
        }
    )
    rest = pooled[["statistic", "df", "p", "fmi", "riv", "lambda", "ubar", "b", "t", "dfcom"]]
    return pd.concat([out, rest], axis=1)


def pool_cox(
    fits: Sequence[Any], *, dfcom: float | None = None, conf_level: float = 0.95
) -> PooledModel:
    """Pool Cox models fitted on each completed data set, as ``mice::pool``.

    Parameters
    ----------
    fits
        :class:`~crlm_outcomes.survival.cox.CoxResult` per imputation, same formula.
    dfcom
        Complete-data degrees of freedom; default as mice: events minus the number of
        coefficients. With a robust variance the robust variance is pooled (as mice uses
        ``robust.se``).
    conf_level
        Level of the intervals.

    Returns
    -------
    PooledModel

    Raises
    ------
    InputError
        Fewer than two fits, fits of other models, different terms, an aliased coefficient.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.survival import cox
    >>> d = pd.DataFrame({"t": [5, 8, 3, 9, 4, 7, 6, 2], "e": [1, 0, 1, 1, 1, 0, 1, 1],
    ...                   "x": [0.1, 0.5, 0.9, 0.2, 0.7, 0.3, 0.4, 1.0]})
    >>> fits = [cox(d.assign(x=d["x"] + s), "x", "t", "e") for s in (0.0, 0.0)]
    >>> pool_cox(fits).table["coef"].round(6).tolist() == [round(fits[0].coef["x"], 6)]
    True
    """
    from crlm_outcomes.survival.cox import CoxResult

    fits = _check_fits(fits, CoxResult, "Cox")
    terms = list(fits[0].table["term"])
    for i, f in enumerate(fits[1:], start=2):
        if list(f.table["term"]) != terms:
            raise InputError(
                "the Cox fits have different terms",
                row=i,
                value=list(f.table["term"]),
                expected=str(terms),
            )
    se_col = "robust_std_error" if fits[0].robust else "std_error"
    q = np.vstack([f.table["coef"].to_numpy(float) for f in fits])
    u = np.vstack([f.table[se_col].to_numpy(float) ** 2 for f in fits])
    if dfcom is None:
        dfcom = float(max(fits[0].n_event - len(terms), 1))
    table = _model_table(terms, q, u, dfcom, conf_level)
    return PooledModel(
        table=table,
        model="cox",
        m=len(fits),
        n=fits[0].n,
        n_event=fits[0].n_event,
        conf_level=conf_level,
        excluded=_union_excluded(fits),
        fits=tuple(fits),
    )


def pool_fine_gray(
    fits: Sequence[Any], *, dfcom: float | None = None, conf_level: float = 0.95
) -> PooledModel:
    """Pool Fine–Gray models (``cmprsk::crr`` coefficients and sandwich variance).

    Parameters
    ----------
    fits
        :class:`~crlm_outcomes.survival.fine_gray.FineGray` per imputation, same formula.
    dfcom
        Complete-data degrees of freedom; default events of the cause of interest minus the
        number of coefficients (the Cox convention of mice).
    conf_level
        Level of the intervals.

    Returns
    -------
    PooledModel
        ``hr`` is the subdistribution hazard ratio.

    Raises
    ------
    InputError
        Fewer than two fits, fits of other models or with different terms.

    Examples
    --------
    Recurrence (cause 1) with death as a competing event (2); tumour size was imputed, and
    one patient's size differs between the two completed data sets:

    >>> import pandas as pd
    >>> from crlm_outcomes.survival import fine_gray
    >>> d = pd.DataFrame({"t": [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13],
    ...                   "s": [1, 2, 1, 0, 1, 2, 1, 0, 2, 1, 0, 1],
    ...                   "size": [9, 2, 3, 1, 8, 3, 2, 6, 5, 4, 7, 1]})
    >>> completed = [d, d.assign(size=d["size"].where(d.index != 2, 8))]
    >>> fits = [fine_gray(x, "size", "t", "s") for x in completed]
    >>> [round(float(f.table["coef"].iloc[0]), 3) for f in fits]
    [0.164, 0.309]
    >>> pooled = pool_fine_gray(fits)
    >>> pooled.table[["term", "coef", "hr", "df", "fmi"]].round(3).values.tolist()
    [['size', 0.236, 1.267, 1.803, 0.63]]
    """
    from crlm_outcomes.survival.fine_gray import FineGray

    fits = _check_fits(fits, FineGray, "Fine-Gray")
    terms = list(fits[0].table["term"])
    for i, f in enumerate(fits[1:], start=2):
        if list(f.table["term"]) != terms:
            raise InputError(
                "the Fine-Gray fits have different terms",
                row=i,
                value=list(f.table["term"]),
                expected=str(terms),
            )
    q = np.vstack([f.table["coef"].to_numpy(float) for f in fits])
    u = np.vstack([np.diag(f.var.to_numpy(float)) for f in fits])
    n_event = int(fits[0].counts["n_cause"])
    if dfcom is None:
        dfcom = float(max(n_event - len(terms), 1))
    table = _model_table(terms, q, u, dfcom, conf_level)
    return PooledModel(
        table=table,
        model="fine_gray",
        m=len(fits),
        n=fits[0].n,
        n_event=n_event,
        conf_level=conf_level,
        excluded=_union_excluded(fits),
        fits=tuple(fits),
    )


# ------------------------------------------------------------------------------------------------
# Kaplan-Meier survival and medians, RMST
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False, repr=False)
class PooledSurvival(Result):
    """Kaplan–Meier survival pooled over imputations on the complementary log-log scale.

    Attributes
    ----------
    table
        group, time, estimate (pooled survival), lower, upper, std_error (of ``log(-log S)``),
        df, fmi, and the Rubin components of ``log(-log S)`` (cloglog, ubar, b, t).
    median
        group, median, lower, upper: first time the pooled curve (its limits) is <= 0.5.
    m, conf_level
        Number of imputations; level.
    excluded
        Rows excluded from the curves (union over imputations).

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.survival import kaplan_meier
    >>> d = pd.DataFrame({"t": [2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
    ...                   "e": [1, 1, 0, 1, 1, 0, 1, 0, 1, 0],
    ...                   "cea_high": [1, 1, 1, 0, 1, 0, 0, 1, 0, 0]})
    >>> completed = [d, d.assign(cea_high=[1, 1, 0, 0, 1, 0, 1, 1, 0, 0])]  # two imputations
    >>> pooled = pool_km([kaplan_meier(x, "t", "e", by="cea_high") for x in completed], 5)
    >>> pooled
    <PooledSurvival m=2, groups=2, times=1>
    >>> print(pooled.median.to_string(index=False))
     group  median  lower  upper
         0    10.0    5.0    NaN
         1     6.0    2.0    NaN
    """

    table: pd.DataFrame
    median: pd.DataFrame
    m: int
    conf_level: float
    excluded: pd.DataFrame = field(repr=False)
    curve: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)

    def __repr__(self) -> str:
        return (
            f"<PooledSurvival m={self.m}, groups={self.table['group'].nunique()}, "
            f"times={self.table['time'].nunique()}>"
        )

    def summary(self) -> str:
        """Pooled survival at the requested times and the pooled medians, as text.

        Returns
        -------
        str
            A header line, then per group and time the pooled survival probability with its
            limits, the Barnard-Rubin df and the fraction of missing information (all NaN where
            survival is 0 or 1 in some imputation, as at times before the first event), then
            the pooled median and its limits per group (NaN when not reached).

        Examples
        --------
        Survival at 5 months by CEA group, where CEA was imputed (one patient changes group):

        >>> import pandas as pd
        >>> from crlm_outcomes.survival import kaplan_meier
        >>> d = pd.DataFrame({"t": [2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
        ...                   "e": [1, 1, 0, 1, 1, 0, 1, 0, 1, 0],
        ...                   "cea_high": [1, 1, 1, 0, 1, 0, 0, 1, 0, 0]})
        >>> completed = [d, d.assign(cea_high=[1, 1, 0, 0, 1, 0, 1, 1, 0, 0])]  # two imputations
        >>> pooled = pool_km([kaplan_meier(x, "t", "e", by="cea_high") for x in completed], 5)
        >>> print(pooled.summary())
        Kaplan-Meier survival pooled over m = 2 imputations (Rubin's rules on log(-log S))
         group  time  estimate  lower  upper    df     fmi
             0     5    0.7762 0.1489 0.9669 474.1 0.04992
             1     5       0.6 0.1257 0.8818 1e+08   2e-08
        Median survival (pooled curve):
         group  median  lower  upper
             0      10      5    NaN
             1       6      2    NaN
        """
        fmt = {"float_format": lambda v: f"{v:.4g}", "index": False}
        return "\n".join(
            [
                f"Kaplan-Meier survival pooled over m = {self.m} imputations "
                "(Rubin's rules on log(-log S))",
                self.table[["group", "time", "estimate", "lower", "upper", "df", "fmi"]].to_string(
                    **fmt
                ),
                "Median survival (pooled curve):",
                self.median.to_string(**fmt),
            ]
        )

    def plot(self, ax=None):
        """Pooled survival curves with pointwise limits (:func:`crlm_outcomes.plots.pooled.
        pooled_survival_plot`).

        Parameters
        ----------
        ax
            Axes to draw on; a new one-column figure when None.

        Returns
        -------
        matplotlib.axes.Axes
            One step line of the pooled survival with its shaded pointwise band per group, a
            legend when there are several groups.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> import pandas as pd
        >>> from crlm_outcomes.survival import kaplan_meier
        >>> d = pd.DataFrame({"t": [2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
        ...                   "e": [1, 1, 0, 1, 1, 0, 1, 0, 1, 0],
        ...                   "cea_high": [1, 1, 1, 0, 1, 0, 0, 1, 0, 0]})
        >>> completed = [d, d.assign(cea_high=[1, 1, 0, 0, 1, 0, 1, 1, 0, 0])]  # two imputations
        >>> pooled = pool_km([kaplan_meier(x, "t", "e", by="cea_high") for x in completed], 5)
        >>> ax = pooled.plot()
        >>> len(ax.get_lines()), ax.get_ylabel()
        (2, 'Survival (pooled over 2 imputations)')
        >>> plt.close(ax.figure)
        """
        from crlm_outcomes.plots.pooled import pooled_survival_plot

        return pooled_survival_plot(self, ax=ax)

    def _repr_html_(self) -> str:
        return frames_html(
            repr(self),
            {"survival at times": self.table, "median (pooled curve)": self.median},
            notes={
                "imputations": self.m,
                "rows excluded": self.n_excluded,
                "scale": "complementary log-log",
            },
        )


def _pool_cloglog(s: np.ndarray, se: np.ndarray, conf_level: float) -> pd.DataFrame:
    """Pool survival values ``s`` (m x k) with standard errors ``se`` on log(-log S); columns
    where a curve is 0 or 1 give NaN."""
    ok = np.all((s > 0) & (s < 1), axis=0)
    k = s.shape[1]
    out = pd.DataFrame(
        np.nan,
        index=range(k),
        columns=[
            "cloglog",
            "std_error",
            "df",
            "fmi",
            "ubar",
            "b",
            "t",
            "estimate",
            "lower",
            "upper",
        ],
    )
    if not ok.any():
        return out
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.log(-np.log(s[:, ok]))
        u = (se[:, ok] / (s[:, ok] * np.log(s[:, ok]))) ** 2
    pooled = rubin_rules(q, u, conf_level=conf_level)
    crit = stats.t.ppf(0.5 + conf_level / 2, pooled["df"].to_numpy())
    qb = pooled["estimate"].to_numpy()
    se_p = pooled["std_error"].to_numpy()
    idx = np.flatnonzero(ok)
    out.loc[idx, "cloglog"] = qb
    out.loc[idx, "std_error"] = se_p
    for c in ("df", "fmi", "ubar", "b", "t"):
        out.loc[idx, c] = pooled[c].to_numpy()
    out.loc[idx, "estimate"] = np.exp(-np.exp(qb))
    out.loc[idx, "lower"] = np.exp(-np.exp(qb + crit * se_p))
    out.loc[idx, "upper"] = np.exp(-np.exp(qb - crit * se_p))
    return out


def _first_at_or_below(time: np.ndarray, y: np.ndarray) -> float:
    hit = np.flatnonzero(~np.isnan(y) & (y <= 0.5))
    return float(time[hit[0]]) if len(hit) else np.nan


def pool_km(
    fits: Sequence[Any], times: float | Sequence[float], *, conf_level: float = 0.95
) -> PooledSurvival:
    """Pool Kaplan–Meier survival at ``times`` and the median over imputations.

    Parameters
    ----------
    fits
        :class:`~crlm_outcomes.survival.kaplan_meier.KaplanMeierResult` per imputation (same
        grouping; the group of a patient may differ between imputations when it is imputed).
    times
        Times at which survival is pooled.
    conf_level
        Level of the intervals (t with Rubin's df; ``dfcom`` is infinite).

    Returns
    -------
    PooledSurvival

    Raises
    ------
    InputError
        Fewer than two fits, or groups that differ between imputations.

    Examples
    --------
    Survival at 5 months by CEA group, where CEA was imputed (one patient changes group):

    >>> import pandas as pd
    >>> from crlm_outcomes.survival import kaplan_meier
    >>> d = pd.DataFrame({"t": [2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
    ...                   "e": [1, 1, 0, 1, 1, 0, 1, 0, 1, 0],
    ...                   "cea_high": [1, 1, 1, 0, 1, 0, 0, 1, 0, 0]})
    >>> completed = [d, d.assign(cea_high=[1, 1, 0, 0, 1, 0, 1, 1, 0, 0])]  # two imputations
    >>> fits = [kaplan_meier(x, "t", "e", by="cea_high") for x in completed]
    >>> pooled = pool_km(fits, times=[5])
    >>> print(pooled.table[["group", "time", "estimate", "lower", "upper"]].round(3)
    ...       .to_string(index=False))
     group  time  estimate  lower  upper
         0   5.0     0.776  0.149  0.967
         1   5.0     0.600  0.126  0.882
    """
    from crlm_outcomes.survival.kaplan_meier import KaplanMeierResult

    fits = _check_fits(fits, KaplanMeierResult, "Kaplan-Meier")
    groups = list(fits[0].group_labels)
    for i, f in enumerate(fits[1:], start=2):
        if list(f.group_labels) != groups:
            raise InputError(
                "the Kaplan-Meier fits have different groups",
                row=i,
                value=list(f.group_labels),
                expected=str(groups),
            )
    req = np.atleast_1d(np.asarray(times, dtype=np.float64))
    at = [f.at(req, extend=True) for f in fits]
    rows, curves, medians = [], [], []
    for g in groups:
        s = np.vstack([a.loc[a["group"] == g, "survival"].to_numpy(float) for a in at])
        se = np.vstack([a.loc[a["group"] == g, "std_error"].to_numpy(float) for a in at])
        pooled = _pool_cloglog(s, se, conf_level)
        pooled.insert(0, "time", np.sort(req))
        pooled.insert(0, "group", [g] * len(req))
        rows.append(pooled)
        subs = [f.table[f.table["group"] == g] for f in fits]
        grid = np.unique(
            np.concatenate([sub.loc[sub["n_event"] > 0, "time"].to_numpy(float) for sub in subs])
        )
        if len(grid):
            vals = [f.at(grid, extend=True) for f in fits]
            sg = np.vstack([v.loc[v["group"] == g, "survival"].to_numpy(float) for v in vals])
            eg = np.vstack([v.loc[v["group"] == g, "std_error"].to_numpy(float) for v in vals])
            cv = _pool_cloglog(sg, eg, conf_level)
            cv.insert(0, "time", grid)
            cv.insert(0, "group", [g] * len(grid))
            curves.append(cv)
            medians.append(
                (
                    g,
                    _first_at_or_below(grid, cv["estimate"].to_numpy(float)),
                    _first_at_or_below(grid, cv["lower"].to_numpy(float)),
                    _first_at_or_below(grid, cv["upper"].to_numpy(float)),
                )
            )
        else:
            medians.append((g, np.nan, np.nan, np.nan))
    table = pd.concat(rows, ignore_index=True)
    table = table[
        [
            "group",
            "time",
            "estimate",
            "lower",
            "upper",
            "std_error",
            "df",
            "fmi",
            "cloglog",
            "ubar",
            "b",
            "t",
        ]
    ]
    median = pd.DataFrame(medians, columns=["group", "median", "lower", "upper"])
    curve = (
        pd.concat(curves, ignore_index=True)
        if curves
        else pd.DataFrame(columns=["group", "time", "estimate", "lower", "upper"])
    )
    return PooledSurvival(
        table=table,
        median=median,
        m=len(fits),
        conf_level=conf_level,
        excluded=_union_excluded(fits),
        curve=curve[["group", "time", "estimate", "lower", "upper"]],
    )


@dataclass(frozen=True, eq=False, repr=False)
class PooledRMST(Result):
    """Restricted mean survival time pooled over imputations (Rubin's rules, dfcom infinite).

    Attributes
    ----------
    table
        group, tau, estimate, std_error, lower, upper, df, fmi, riv, lambda, ubar, b, t.
    tau, m, conf_level
        Truncation time; number of imputations; level of the intervals.
    excluded
        Rows excluded from the fits (union over imputations).

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.survival import rmst
    >>> d = pd.DataFrame({"t": [2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
    ...                   "e": [1, 1, 0, 1, 1, 0, 1, 0, 1, 0],
    ...                   "cea_high": [1, 1, 1, 0, 1, 0, 0, 1, 0, 0]})
    >>> completed = [d, d.assign(cea_high=[1, 1, 0, 0, 1, 0, 1, 1, 0, 0])]  # two imputations
    >>> pooled = pool_rmst([rmst(x, "t", "e", by="cea_high", tau=8) for x in completed])
    >>> pooled
    <PooledRMST tau=8, m=2, groups=2>
    >>> pooled.table["estimate"].round(3).tolist()  # CEA normal, high
    [7.325, 5.3]
    """

    table: pd.DataFrame
    tau: float
    m: int
    conf_level: float
    excluded: pd.DataFrame = field(repr=False)

    def __repr__(self) -> str:
        return f"<PooledRMST tau={self.tau:g}, m={self.m}, groups={len(self.table)}>"

    def summary(self) -> str:
        """The pooled RMST per group, as text.

        Returns
        -------
        str
            A header naming ``tau`` and the number of imputations, then one row per group: the
            pooled restricted mean survival time (in the unit of the follow-up time), its
            standard error and limits, the Barnard-Rubin df and the fraction of missing
            information.

        Examples
        --------
        RMST up to 8 months by CEA group, where CEA was imputed (one patient changes group):

        >>> import pandas as pd
        >>> from crlm_outcomes.survival import rmst
        >>> d = pd.DataFrame({"t": [2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
        ...                   "e": [1, 1, 0, 1, 1, 0, 1, 0, 1, 0],
        ...                   "cea_high": [1, 1, 1, 0, 1, 0, 0, 1, 0, 0]})
        >>> completed = [d, d.assign(cea_high=[1, 1, 0, 0, 1, 0, 1, 1, 0, 0])]  # two imputations
        >>> pooled = pool_rmst([rmst(x, "t", "e", by="cea_high", tau=8) for x in completed])
        >>> print(pooled.summary())
        RMST up to 8 pooled over m = 2 imputations
         group  estimate  std_error  lower  upper    df     fmi
             0     7.325     0.6098  6.127  8.523 485.5 0.04929
             1       5.3      1.114  3.116  7.484  1708 0.02533
        """
        return f"RMST up to {self.tau:g} pooled over m = {self.m} imputations\n" + self.table[
            ["group", "estimate", "std_error", "lower", "upper", "df", "fmi"]
        ].to_string(index=False, float_format=lambda v: f"{v:.4g}")

    def plot(self, ax=None):
        """Pooled RMST with intervals per group (:func:`crlm_outcomes.plots.pooled.
        pooled_rmst_plot`).

        Parameters
        ----------
        ax
            Axes to draw on; a new figure sized to the number of groups when None.

        Returns
        -------
        matplotlib.axes.Axes
            One point with its interval per group, first group at the top.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> import pandas as pd
        >>> from crlm_outcomes.survival import rmst
        >>> d = pd.DataFrame({"t": [2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
        ...                   "e": [1, 1, 0, 1, 1, 0, 1, 0, 1, 0],
        ...                   "cea_high": [1, 1, 1, 0, 1, 0, 0, 1, 0, 0]})
        >>> completed = [d, d.assign(cea_high=[1, 1, 0, 0, 1, 0, 1, 1, 0, 0])]  # two imputations
        >>> ax = pool_rmst([rmst(x, "t", "e", by="cea_high", tau=8) for x in completed]).plot()
        >>> [t.get_text() for t in ax.get_yticklabels()], ax.get_xlabel()
        (['0', '1'], 'RMST up to 8 (pooled over 2 imputations)')
        >>> plt.close(ax.figure)
        """
        from crlm_outcomes.plots.pooled import pooled_rmst_plot

        return pooled_rmst_plot(self, ax=ax)

    def _repr_html_(self) -> str:
        return frames_html(
            repr(self),
            {"": self.table},
            notes={"imputations": self.m, "rows excluded": self.n_excluded},
        )


def pool_rmst(fits: Sequence[Any], *, conf_level: float = 0.95) -> PooledRMST:
    """Pool RMST results (:func:`crlm_outcomes.survival.rmst`) over imputations.

    Parameters
    ----------
    fits
        :class:`~crlm_outcomes.survival.rmst.RMSTResult` per imputation, same ``tau`` and groups.
    conf_level
        Level of the intervals.

    Returns
    -------
    PooledRMST

    Raises
    ------
    InputError
        Fewer than two fits, or different ``tau`` / groups.

    Examples
    --------
    RMST up to 8 months by CEA group, where CEA was imputed (one patient changes group):

    >>> import pandas as pd
    >>> from crlm_outcomes.survival import rmst
    >>> d = pd.DataFrame({"t": [2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
    ...                   "e": [1, 1, 0, 1, 1, 0, 1, 0, 1, 0],
    ...                   "cea_high": [1, 1, 1, 0, 1, 0, 0, 1, 0, 0]})
    >>> completed = [d, d.assign(cea_high=[1, 1, 0, 0, 1, 0, 1, 1, 0, 0])]  # two imputations
    >>> fits = [rmst(x, "t", "e", by="cea_high", tau=8) for x in completed]
    >>> [f.table["estimate"].round(3).tolist() for f in fits]
    [[7.4, 5.2], [7.25, 5.4]]
    >>> print(pool_rmst(fits).table[["group", "tau", "estimate", "lower", "upper"]].round(3)
    ...       .to_string(index=False))
     group  tau  estimate  lower  upper
         0  8.0     7.325  6.127  8.523
         1  8.0     5.300  3.116  7.484
    """
    from crlm_outcomes.survival.rmst import RMSTResult

    fits = _check_fits(fits, RMSTResult, "RMST")
    tau = fits[0].tau
    groups = list(fits[0].table["group"])
    for i, f in enumerate(fits[1:], start=2):
        if f.tau != tau or list(f.table["group"]) != groups:
            raise InputError(
                "the RMST results differ in tau or groups",
                row=i,
                value=(f.tau, list(f.table["group"])),
                expected=str((tau, groups)),
            )
    q = np.vstack([f.table["estimate"].to_numpy(float) for f in fits])
    u = np.vstack([f.table["std_error"].to_numpy(float) ** 2 for f in fits])
    pooled = rubin_rules(q, u, conf_level=conf_level)
    table = pd.concat(
        [
            pd.DataFrame({"group": groups, "tau": tau}),
            pooled[
                [
                    "estimate",
                    "std_error",
                    "lower",
                    "upper",
                    "df",
                    "fmi",
                    "riv",
                    "lambda",
                    "ubar",
                    "b",
                    "t",
                ]
            ],
        ],
        axis=1,
    )
    return PooledRMST(
        table=table, tau=tau, m=len(fits), conf_level=conf_level, excluded=_union_excluded(fits)
    )
