"""Cox proportional-hazards regression that agrees with R's survival 3.5-3 ``coxph``.

:func:`cox` fits the model (Efron or Breslow ties, strata, case weights, clusters and the robust
sandwich variance, counting-process ``(entry, stop]`` data) and returns a :class:`CoxResult` that
carries everything ``summary(coxph(...))`` prints, plus the proportional-hazards test
(``cox.zph``), predictions (``predict``, ``survfit(fit, newdata)``) and figures.

Reference: Therneau & Grambsch (2000), *Modeling Survival Data: Extending the Cox Model*,
Springer; the R package survival 3.5-3 (``coxph``, ``coxph.fit``, ``agreg.fit``). The numeric core
lives in :mod:`crlm_outcomes.survival._cox_engine` (see its docstring for why it is our own code).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from crlm_outcomes._data import as_frame
from crlm_outcomes._result import FrameMethodAlias, Result
from crlm_outcomes.errors import (
    ConvergenceWarning,
    DataQualityWarning,
    EstimationError,
    MonotoneLikelihoodWarning,
    SpecError,
    SurvivalDataError,
)
from crlm_outcomes.formula.design import Design, build_design, formula_variables
from crlm_outcomes.survival import _cox_engine as eng
from crlm_outcomes.survival._inputs import SurvivalInput, as_column_list, survival_input

if TYPE_CHECKING:
    from crlm_outcomes.survival.cox_zph import ZphResult

__all__ = ["cox", "CoxResult"]

_EPS = 1e-9
_TOLER_CHOL = float(np.finfo(float).eps) ** 0.75
_TOLER_INF = np.sqrt(_EPS)


@dataclass(frozen=True, eq=False)
class CoxFitState:
    """Arrays of a fitted model, kept for tests, residuals and predictions (rows sorted).

    Built by :func:`cox` and read by :func:`~crlm_outcomes.survival.cox_zph.cox_zph`,
    :mod:`~crlm_outcomes.survival.cox_predict` and
    :func:`~crlm_outcomes.survival.concordance.cox_concordance`; every row array is in the
    order of the risk sets (``rs.order``), not the order of the data.

    Attributes
    ----------
    design
        The :class:`~crlm_outcomes.formula.Design` of the fit (codes new data alike).
    rs
        The risk sets of the engine (row order, event times, strata segments).
    x
        The design centred on ``center``, sorted rows, every column (aliased ones included).
    center
        Internal centring: the weighted column means.
    w
        Case weights of the sorted rows (1 without weights).
    time, event, entry
        Exit times after R's ``aeqSurv`` merging, 0/1 events, and entry times (``None``
        without counting-process data), sorted rows.
    strata, strata_labels, strata_columns
        Stratum code of each sorted row and the labels of the codes (both ``None`` without
        strata), and the strata columns named in the call.
    cluster
        Cluster code of each sorted row used by the robust variance (``None`` otherwise).
    beta
        Coefficients, 0 for aliased columns.
    keep
        Which columns were estimated (``False``: aliased).
    naive_var, var
        Model-based variance and the variance used (the robust one when ``robust``).
    means
        R's ``fit$means``: the column means the linear predictor is centred on (0 for
        {-1, 0, 1} columns).
    method
        ``"efron"`` or ``"breslow"``.
    robust
        Whether ``var`` is the robust sandwich variance.
    deriv
        The engine's derivatives at ``beta`` (score residuals, information).
    strata_keys
        The column values behind each stratum label (``None`` without strata).

    Examples
    --------
    >>> from crlm_outcomes import cox
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> fit = cox(synthetic_cohort(200, seed=1), "age_at_diagnosis + sex", "os_months", "os_event")
    >>> state = fit.state
    >>> state.x.shape, int(state.event.sum()), state.method, state.robust
    ((200, 2), 143, 'efron', False)
    >>> [round(float(m), 2) for m in state.means]  # sex[T.male] is 0/1: not centred, as R
    [64.58, 0.0]
    """

    design: Design
    rs: eng.RiskSets
    x: np.ndarray  # centered design, sorted rows, all columns
    center: np.ndarray  # internal centring (weighted means)
    w: np.ndarray
    time: np.ndarray
    event: np.ndarray
    entry: np.ndarray | None
    strata: np.ndarray | None
    strata_labels: list[Any] | None
    strata_columns: list[str]
    cluster: np.ndarray | None
    beta: np.ndarray  # 0 for aliased columns
    keep: np.ndarray
    naive_var: np.ndarray
    var: np.ndarray
    means: np.ndarray  # R's fit$means
    method: str
    robust: bool
    deriv: eng.Derivatives = field(repr=False)
    strata_keys: list[Any] | None = None  # the values behind each stratum label


#: Old column names of the table (``CoxResult.summary`` before 0.2) -> new names.
_OLD_COLUMNS = {"std_error": "se", "robust_std_error": "robust_se", "statistic": "z"}


@dataclass(frozen=True, eq=False, repr=False)
class CoxResult(Result):
    """A fitted Cox model.

    Attributes
    ----------
    table
        One row per design column: ``term, coef, std_error`` (and ``robust_std_error`` when
        the robust variance is used), ``hr, lower, upper, statistic`` (the Wald z), ``p``, as
        R's ``summary(coxph)``; aliased columns have missing values. With the robust variance,
        ``statistic``, ``p`` and the CI use ``robust_std_error``. Before 0.2 this frame was
        ``summary`` with columns ``se``, ``robust_se`` and ``z``; ``fit.summary`` used as a
        DataFrame still gives that frame, with a FutureWarning, and ``fit.summary()`` returns
        the printed model.
    loglik
        ``(initial, final)`` partial log-likelihood, as ``fit$loglik``.
    tests
        Likelihood-ratio, Wald, score (log-rank) and, when robust, the robust score test:
        ``test, statistic, df, p``.
    n, n_event
        Rows used and number of events.
    excluded
        Rows excluded for missing values (index, column, value, reason).
    vcov
        Variance matrix of the coefficients (robust when used), labelled by column.
    conf_level, ties, robust, iterations, converged
        Fit settings and diagnostics.
    state
        Row-level arrays of the fit (residuals, predictions, ``cox.zph``, concordance).
        ``None`` for a fit on DuckDB, Dask or site files
        (:mod:`crlm_outcomes.scale._cox`): the rows never were in memory, and the methods that
        need them raise :class:`~crlm_outcomes.errors.SpecError`.
    levels
        Levels of each categorical variable (reference first) of a fit without ``state``.

    Examples
    --------
    >>> from crlm_outcomes import cox
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> fit = cox(synthetic_cohort(200, seed=1), "age_at_diagnosis + sex", "os_months", "os_event")
    >>> fit.n, fit.n_event, fit.ties, fit.converged
    (200, 143, 'efron', True)
    >>> fit.tests.round(3).to_dict("records")
    [{'test': 'likelihood_ratio', 'statistic': 4.866, 'df': 2, 'p': 0.088}, {'test': 'wald', 'statistic': 4.804, 'df': 2, 'p': 0.091}, {'test': 'score', 'statistic': 4.813, 'df': 2, 'p': 0.09}]
    """

    table: pd.DataFrame
    loglik: tuple[float, float]
    tests: pd.DataFrame
    n: int
    n_event: int
    excluded: pd.DataFrame
    vcov: pd.DataFrame
    conf_level: float
    ties: str
    robust: bool
    iterations: int
    converged: bool
    state: CoxFitState | None = field(repr=False, compare=False)
    levels: dict[str, list[Any]] | None = field(default=None, repr=False, compare=False)

    _title = "Cox proportional-hazards model"

    def _rows(self, what: str) -> CoxFitState:
        """The row-level state, or a clear error for a fit on DuckDB/Dask/site sums."""
        if self.state is None:
            raise SpecError(
                f"{what} needs the individual rows; this model was fitted from "
                "per-time sums (DuckDB, Dask or site files), which hold no rows",
                value=what,
                expected="a fit on a DataFrame or Cohort",
            )
        return self.state

    @property  # type: ignore[override]
    def summary(self) -> FrameMethodAlias:
        """``fit.summary()`` is the model as R's ``print(coxph)`` prints it.

        Before 0.2 ``summary`` was the coefficient table; used as a DataFrame (indexing,
        attributes) it still is, with the old column names and a FutureWarning: use
        :attr:`table`.
        """
        return FrameMethodAlias(
            self._summary_text,
            self._old_summary,
            "CoxResult.summary",
            "CoxResult.table (new column names std_error, statistic)",
        )

    def _old_summary(self) -> pd.DataFrame:
        return self.table.rename(columns=_OLD_COLUMNS)

    def _summary_text(self) -> str:
        t = self.table
        cols = {"coef": t["coef"], "exp(coef)": t["hr"], "se(coef)": t["std_error"]}
        if self.robust:
            cols["robust se"] = t["robust_std_error"]
        cols.update({"z": t["statistic"], "p": t["p"]})
        coef = pd.DataFrame(cols)
        coef.index = pd.Index(t["term"].astype(str), name=None)
        lr = self.tests.set_index("test").loc["likelihood_ratio"]
        lines = [
            f"Cox proportional-hazards model (ties = {self.ties})",
            "",
            coef.to_string(float_format=lambda v: f"{v:.4g}", na_rep="NA"),
            "",
            f"Likelihood ratio test={lr['statistic']:.4g}  on {int(lr['df'])} df, p={lr['p']:.3g}",
            f"n= {self.n}, number of events= {self.n_event}",
        ]
        if self.n_excluded:
            lines.append(f"   ({self.n_excluded} observation(s) deleted due to missingness)")
        return "\n".join(lines)

    def _repr_fields(self) -> dict[str, object]:
        return {
            "terms": len(self.table),
            "n": self.n,
            "events": self.n_event,
            "excluded": self.n_excluded,
        }

    def _display_notes(self) -> dict[str, object]:
        return {
            "n": self.n,
            "events": self.n_event,
            "excluded rows": self.n_excluded,
            "ties": self.ties,
            "robust variance": self.robust,
            "log-likelihood (initial, final)": f"{self.loglik[0]:.4f}, {self.loglik[1]:.4f}",
        }

    def _display_frames(self) -> dict[str, pd.DataFrame]:
        return {"": self.table, "Tests": self.tests}

    @property
    def coef(self) -> pd.Series:
        """Coefficients by column name (NaN for aliased columns)."""
        return pd.Series(self.table["coef"].to_numpy(), index=self.table["term"])

    @property
    def references(self) -> dict[str, Any]:
        """Reference level of each categorical variable of the formula."""
        if self.state is None:
            return {v: lv[0] for v, lv in (self.levels or {}).items() if lv}
        return dict(self.state.design.references)

    @cached_property
    def concordance(self) -> pd.Series:
        """Harrell's C as printed by ``coxph`` (``fit$concordance``): counts, C and its std err."""
        from crlm_outcomes.survival.concordance import cox_concordance

        return cox_concordance(self._rows("concordance"))

    def ph_test(self, transform: str = "km", terms: bool = True) -> pd.DataFrame:
        """Test of proportional hazards, as R's ``cox.zph(fit, transform, terms)``.

        Parameters
        ----------
        transform
            Time transform: ``"km"`` (default, 1 - the Kaplan-Meier estimate at t-),
            ``"identity"``, ``"log"`` or ``"rank"``.
        terms
            Test the columns of each term jointly (``True``, default) or each column alone.

        Returns
        -------
        pandas.DataFrame
            ``term, statistic, df, p``: the score test per term and a ``GLOBAL`` row (the
            ``table`` of :meth:`zph`).

        Examples
        --------
        >>> from crlm_outcomes import cox
        >>> from crlm_outcomes.datasets import synthetic_cohort
        >>> fit = cox(synthetic_cohort(200, seed=1), "age_at_diagnosis + sex", "os_months", "os_event")
        >>> fit.ph_test().round(3).to_dict("records")
        [{'term': 'age_at_diagnosis', 'statistic': 0.636, 'df': 1, 'p': 0.425}, {'term': 'sex', 'statistic': 0.714, 'df': 1, 'p': 0.398}, {'term': 'GLOBAL', 'statistic': 1.324, 'df': 2, 'p': 0.516}]
        """
        return self.zph(transform=transform, terms=terms).table

    def zph(self, transform: str = "km", terms: bool = True) -> ZphResult:
        """The full ``cox.zph`` result (table and scaled Schoenfeld residuals).

        Parameters
        ----------
        transform
            Time transform: ``"km"`` (default), ``"identity"``, ``"log"`` or ``"rank"``.
        terms
            Test the columns of each term jointly (``True``, default) or each column alone.

        Returns
        -------
        ZphResult
            The tests (``table``) with the scaled Schoenfeld residuals (``y``), the
            transformed event times (``x``) and their variance (``var``).

        Raises
        ------
        SpecError
            The model was fitted from per-time sums (DuckDB, Dask, site files): no rows.

        Examples
        --------
        >>> from crlm_outcomes import cox
        >>> from crlm_outcomes.datasets import synthetic_cohort
        >>> fit = cox(synthetic_cohort(200, seed=1), "age_at_diagnosis + sex", "os_months", "os_event")
        >>> zph = fit.zph(transform="identity")
        >>> zph.table.round(3).to_dict("records")
        [{'term': 'age_at_diagnosis', 'statistic': 0.789, 'df': 1, 'p': 0.374}, {'term': 'sex', 'statistic': 1.321, 'df': 1, 'p': 0.25}, {'term': 'GLOBAL', 'statistic': 1.891, 'df': 2, 'p': 0.389}]
        >>> zph.y.shape  # one row per event, one column per term
        (143, 2)
        """
        from crlm_outcomes.survival.cox_zph import cox_zph

        return cox_zph(self._rows("cox.zph"), transform=transform, terms=terms)

    def predict(self, newdata: pd.DataFrame | None = None, type: str = "lp") -> np.ndarray:
        """Linear predictor (centred on ``fit$means``) or relative risk, as R's ``predict``.

        Parameters
        ----------
        newdata
            Rows with the model's covariates; ``None`` (default) predicts the fitted rows, in
            the order of the data used.
        type
            ``"lp"`` (default): the linear predictor ``(x - fit$means) b``; ``"risk"``: its
            exponential, the hazard ratio against a subject at the means.

        Returns
        -------
        numpy.ndarray
            One value per row (:func:`~crlm_outcomes.survival.cox_predict.predict_lp`).

        Examples
        --------
        >>> import pandas as pd
        >>> from crlm_outcomes import cox
        >>> from crlm_outcomes.datasets import synthetic_cohort
        >>> fit = cox(synthetic_cohort(200, seed=1), "age_at_diagnosis + sex", "os_months", "os_event")
        >>> new = pd.DataFrame({"age_at_diagnosis": [50.0, 70.0], "sex": ["female", "male"]})
        >>> [round(float(v), 3) for v in fit.predict(new)]
        [-0.24, 0.029]
        >>> [round(float(v), 3) for v in fit.predict(new, type="risk")]
        [0.787, 1.029]
        >>> fit.predict().shape  # the fitted rows
        (200,)
        """
        from crlm_outcomes.survival.cox_predict import predict_lp

        return predict_lp(self._rows("predict"), newdata, type=type)

    def predict_survival(
        self,
        newdata: pd.DataFrame,
        times: Any = None,
        *,
        conf_type: str = "log",
        conf_level: float = 0.95,
    ) -> pd.DataFrame:
        """Predicted survival curves for the rows of ``newdata``, with standard errors and
        confidence limits, as ``survfit(fit, newdata)``
        (:func:`~crlm_outcomes.survival.cox_predict.predict_survival`).

        Parameters
        ----------
        newdata
            Rows with the model's covariates (for a stratified model, optionally the strata
            columns).
        times
            Times at which to evaluate the curves; ``None`` (default): every distinct exit
            time. Times beyond the last exit time give missing values.
        conf_type
            ``"log"`` (R's default), ``"log-log"``, ``"plain"``, ``"logit"``, ``"arcsin"`` or
            ``"none"``.
        conf_level
            Level of the pointwise intervals.

        Returns
        -------
        pandas.DataFrame
            A long table: ``row`` (position in newdata), ``strata``, ``time``, ``cumhaz``,
            ``surv``, ``std_error`` (of the cumulative hazard), ``lower``, ``upper``.

        Examples
        --------
        >>> import pandas as pd
        >>> from crlm_outcomes import cox
        >>> from crlm_outcomes.datasets import synthetic_cohort
        >>> fit = cox(synthetic_cohort(200, seed=1), "age_at_diagnosis + sex", "os_months", "os_event")
        >>> new = pd.DataFrame({"age_at_diagnosis": [50.0, 70.0], "sex": ["female", "male"]})
        >>> curves = fit.predict_survival(new, times=[36])
        >>> curves[["row", "time", "surv", "lower", "upper"]].round(3).to_dict("records")
        [{'row': 0, 'time': 36.0, 'surv': 0.624, 'lower': 0.524, 'upper': 0.741}, {'row': 1, 'time': 36.0, 'surv': 0.539, 'lower': 0.458, 'upper': 0.634}]
        """
        from crlm_outcomes.survival.cox_predict import predict_survival

        return predict_survival(
            self._rows("predict_survival"),
            newdata,
            times=times,
            conf_type=conf_type,
            conf_level=conf_level,
        )

    def baseline_hazard(self) -> pd.DataFrame:
        """Baseline cumulative hazard per stratum (``basehaz(fit, centered = TRUE)``).

        Returns
        -------
        pandas.DataFrame
            ``strata`` (label, ``"all"`` without strata), ``stratum_code``, ``time`` (every
            distinct exit time of the stratum), ``cumhaz`` (for a subject at ``fit$means``).

        Examples
        --------
        >>> from crlm_outcomes import cox
        >>> from crlm_outcomes.datasets import synthetic_cohort
        >>> fit = cox(synthetic_cohort(200, seed=1), "age_at_diagnosis + sex", "os_months", "os_event")
        >>> bh = fit.baseline_hazard()
        >>> len(bh), bh.iloc[-1:].round(3).to_dict("records")  # 195 distinct times, the last one
        (195, [{'strata': 'all', 'stratum_code': 0, 'time': 201.889, 'cumhaz': 2.73}])
        """
        from crlm_outcomes.survival.cox_predict import baseline_hazard

        return baseline_hazard(self._rows("baseline_hazard"))

    def plot_forest(self, ax: Any = None, **kwargs: Any) -> Any:
        """Forest plot of hazard ratios with confidence intervals (log scale).

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
            The plot axes (the "HR (95% CI)" and "p" columns are annotations of it).

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from crlm_outcomes import cox
        >>> from crlm_outcomes.datasets import synthetic_cohort
        >>> fit = cox(synthetic_cohort(200, seed=1), "age_at_diagnosis + sex", "os_months", "os_event")
        >>> ax = fit.plot_forest()
        >>> ax.get_xlabel(), ax.get_xscale()
        ('Hazard ratio (95% CI, log scale)', 'log')
        >>> plt.close(ax.figure)
        """
        from crlm_outcomes.plots.forest import forest_plot

        return forest_plot(self, ax=ax, **kwargs)

    def plot_schoenfeld(
        self, term: str | None = None, ax: Any = None, transform: str = "km", **kwargs: Any
    ) -> Any:
        """Scaled Schoenfeld residuals against time, with a smooth.

        ``term=None`` (default) draws every term, as R's ``plot(cox.zph(fit))``: one panel per
        term, returned as an array of Axes (a single Axes for a one-term model); a term name
        draws that term on ``ax``.

        Parameters
        ----------
        term
            A model term (a column of :meth:`zph`'s ``y``), or ``None`` for every term.
        ax
            Axes to draw on: with ``term``, one Axes; without, ``None`` (a new figure), one
            Axes (a one-term model) or one Axes per term.
        transform
            Time transform of the test (see :meth:`zph`).
        **kwargs
            Options of :func:`crlm_outcomes.plots.schoenfeld.schoenfeld_plot`: ``labels``,
            ``endpoint``, ``xlabel``, ``pvalue``.

        Returns
        -------
        matplotlib.axes.Axes or numpy.ndarray of Axes
            The panel of ``term``; without ``term``, one Axes per term (a single Axes for a
            one-term model).

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from crlm_outcomes import cox
        >>> from crlm_outcomes.datasets import synthetic_cohort
        >>> fit = cox(synthetic_cohort(200, seed=1), "age_at_diagnosis + sex", "os_months", "os_event")
        >>> axes = fit.plot_schoenfeld()
        >>> [a.get_title(loc="left").splitlines() for a in axes]
        [['Age at diagnosis', 'PH test p = 0.425'], ['Sex', 'PH test p = 0.398']]
        >>> plt.close(axes[0].figure)
        >>> ax = fit.plot_schoenfeld("sex", pvalue=False)
        >>> ax.get_title(loc="left"), ax.get_ylabel()
        ('Sex', 'β(t)')
        >>> plt.close(ax.figure)
        """
        from crlm_outcomes.plots.schoenfeld import schoenfeld_plot, schoenfeld_plots

        zph = self.zph(transform=transform)
        if term is None:
            return schoenfeld_plots(zph, ax=ax, **kwargs)
        return schoenfeld_plot(zph, term, ax=ax, **kwargs)

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
        >>> import matplotlib.pyplot as plt, pandas as pd
        >>> from crlm_outcomes import cox
        >>> d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6, 7, 8], "e": [1, 1, 0, 1, 1, 0, 1, 1],
        ...                   "sex": ["male", "female"] * 4})
        >>> ax = cox(d, "sex", "t", "e").plot()
        >>> ax.get_xlabel()
        'Hazard ratio (95% CI, log scale)'
        >>> plt.close(ax.figure)
        """
        return self.plot_forest(ax=ax, **kwargs)

    def anova(self) -> pd.DataFrame:
        """Wald chi-square test of each term and of the nonlinear part of each spline term
        (``rcs``, ``poly``), interactions and totals laid out as ``anova(cph)`` of rms
        (:func:`~crlm_outcomes.formula.anova.wald_anova`).

        Returns
        -------
        pandas.DataFrame
            ``term``, ``part`` (``"overall"``, ``"nonlinear"``, ...), ``label`` (rms's row
            label), ``statistic`` (Wald chi-square, with the variance of the fit), ``df``,
            ``p``; a ``TOTAL`` row last.

        Examples
        --------
        >>> from crlm_outcomes import cox
        >>> from crlm_outcomes.datasets import synthetic_cohort
        >>> cohort = synthetic_cohort(200, seed=1)
        >>> fit = cox(cohort, "rcs(age_at_diagnosis, 3) + sex", "os_months", "os_event")
        >>> fit.anova()[["label", "statistic", "df", "p"]].round(3)
                              label  statistic  df      p
        0  rcs(age_at_diagnosis, 3)      5.569   2  0.062
        1                 Nonlinear      0.477   1  0.490
        2                       sex      0.169   1  0.681
        3                     TOTAL      5.604   3  0.133
        """
        from crlm_outcomes.formula.anova import wald_anova

        return wald_anova(
            self._rows("anova").design, self.table["coef"].to_numpy(), self.vcov.to_numpy()
        )

    def partial_effect(self, variable: str, values=None, reference: float | None = None):
        """Hazard ratio against ``variable`` relative to ``reference`` (default its median),
        other covariates at their adjust-to values, with Wald limits at the fit's
        ``conf_level``, as ``rms::Predict(fit, variable, ref.zero = TRUE, fun = exp)``
        (:func:`~crlm_outcomes.formula.effects.partial_effect`).

        Parameters
        ----------
        variable
            A numeric covariate of the model (plain or in ``rcs``, ``poly``, ... terms).
        values
            Values at which to evaluate; default 200 points over the variable's range in the
            fitted data.
        reference
            Value with hazard ratio 1; default the variable's median in the fitted data.

        Returns
        -------
        PartialEffect
            ``table`` with ``value``, ``hr``, ``lower``, ``upper``, ``log_hr``,
            ``std_error``; its ``plot()`` draws the curve.

        Examples
        --------
        >>> from crlm_outcomes import cox
        >>> from crlm_outcomes.datasets import synthetic_cohort
        >>> cohort = synthetic_cohort(200, seed=1)
        >>> fit = cox(cohort, "rcs(age_at_diagnosis, 3) + sex", "os_months", "os_event")
        >>> pe = fit.partial_effect("age_at_diagnosis", values=[50, 60, 70], reference=60)
        >>> pe.table[["value", "hr", "lower", "upper"]].round(3).to_dict("records")
        [{'value': 50.0, 'hr': 0.918, 'lower': 0.704, 'upper': 1.198}, {'value': 60.0, 'hr': 1.0, 'lower': 1.0, 'upper': 1.0}, {'value': 70.0, 'hr': 1.19, 'lower': 1.029, 'upper': 1.375}]
        """
        from crlm_outcomes.formula.effects import partial_effect

        return partial_effect(
            self._rows("partial_effect").design,
            self.table["coef"].to_numpy(),
            self.vcov.to_numpy(),
            variable,
            values=values,
            reference=reference,
            conf_level=self.conf_level,
        )

    def plot_partial_effect(
        self, variable: str, values=None, reference: float | None = None, ax=None
    ):
        """Plot :meth:`partial_effect` (hazard ratio curve, band, reference, knots).

        Parameters
        ----------
        variable, values, reference
            As in :meth:`partial_effect`.
        ax
            Axes to draw on; a new figure when ``None``.

        Returns
        -------
        matplotlib.axes.Axes
            The hazard ratio against ``variable`` (log scale) with its confidence band.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from crlm_outcomes import cox
        >>> from crlm_outcomes.datasets import synthetic_cohort
        >>> cohort = synthetic_cohort(200, seed=1)
        >>> fit = cox(cohort, "rcs(age_at_diagnosis, 3) + sex", "os_months", "os_event")
        >>> ax = fit.plot_partial_effect("age_at_diagnosis")
        >>> ax.get_xlabel(), ax.get_ylabel()
        ('age_at_diagnosis', 'Hazard ratio (95% CI)')
        >>> plt.close(ax.figure)
        """
        return self.partial_effect(variable, values=values, reference=reference).plot(ax=ax)


def _zero_one(x: np.ndarray) -> np.ndarray:
    """Columns whose values are all in {-1, 0, 1} (R's ``nocenter``: not centred)."""
    out = np.zeros(x.shape[1], dtype=bool)
    for j in range(x.shape[1]):
        head = np.abs(x[:256, j])
        if not np.all((head == 0) | (head == 1)):  # cheap rejection of continuous columns
            continue
        c = np.abs(x[:, j])
        out[j] = bool(np.all((c == 0) | (c == 1)))
    return out


def _aeq_times(time: np.ndarray, entry: np.ndarray | None, order: np.ndarray | None = None):
    """R's ``aeqSurv`` (``coxph.control(timefix = TRUE)``): times closer than sqrt(machine eps),
    absolutely or relative to the mean |time|, are made exactly equal (to the smallest).

    Public as ``aeq_times`` for the DuckDB/Dask and federated Cox fits, which merge their
    distinct times the same way as a fit in memory.

    Parameters
    ----------
    time
        Exit times.
    entry
        Entry times of counting-process data, or ``None``; merged together with ``time``.
    order
        A permutation sorting ``time`` (right-censored data only), which saves a sort.

    Returns
    -------
    tuple of (numpy.ndarray, numpy.ndarray or None)
        The exit and entry times with near-ties merged; the input arrays themselves when
        nothing changes (integer-valued times, or no near-ties).

    Raises
    ------
    SurvivalDataError
        An ``(entry, exit]`` interval shrinks to length 0 after merging.

    Examples
    --------
    >>> import numpy as np
    >>> time = np.array([2.5, 1.0 + 1e-10, 1.0, 4.0])  # 1 + 1e-10 is a floating-point tie
    >>> merged, entry = aeq_times(time, None)
    >>> merged.tolist(), entry
    ([2.5, 1.0, 1.0, 4.0], None)
    >>> aeq_times(np.array([3.0, 1.0, 2.0]), None)[0] is not None  # whole numbers: unchanged
    True
    """
    tol = np.sqrt(np.finfo(float).eps)
    allt = time if entry is None else np.concatenate([time, entry])
    if np.all(allt == np.floor(allt)) and np.max(np.abs(allt)) < 1.0 / tol:
        return time, entry  # integer-valued times cannot be near-ties
    if entry is None and order is not None:
        ts = time[order]
        y = ts[np.concatenate([[True], ts[1:] != ts[:-1]])]
    else:
        y = np.unique(allt)
    y = y[np.isfinite(y)]
    dy = np.diff(y)
    tied = (dy <= tol) | (dy / np.mean(np.abs(y)) <= tol)
    if not tied.any():
        return time, entry
    cuts = y[np.concatenate([[True], ~tied])]
    new_time = cuts[np.searchsorted(cuts, time, side="right") - 1]
    if entry is None:
        return new_time, None
    new_entry = cuts[np.searchsorted(cuts, entry, side="right") - 1]
    bad = (new_entry == new_time) & (entry != time)
    if bad.any():
        raise SurvivalDataError(
            "an (entry, exit] interval has effective length 0 after "
            "merging times closer than 1.5e-8 (R: aeqSurv exception)",
            value=float(time[np.flatnonzero(bad)[0]]),
            expected="entry clearly before exit",
        )
    return new_time, new_entry


def _wtest(var: np.ndarray, b: np.ndarray) -> float:
    keep = eng.cholesky2_rank(var, _TOLER_CHOL)
    return float(b @ eng.solve_kept(var, b, keep))


def _collapse(mat: np.ndarray, groups: np.ndarray | None) -> np.ndarray:
    if groups is None:
        return mat
    ng = int(groups.max()) + 1
    out = np.zeros((ng, mat.shape[1]))
    for j in range(mat.shape[1]):
        out[:, j] = np.bincount(groups, weights=mat[:, j], minlength=ng)
    return out


def cox(
    data: Any,
    formula: str,
    duration: str,
    event: str,
    *,
    ties: str = "efron",
    strata: str | list[str] | None = None,
    weights: str | None = None,
    cluster: str | None = None,
    robust: bool | None = None,
    entry: str | None = None,
    conf_level: float = 0.95,
) -> CoxResult:
    """Fit a Cox proportional-hazards model, as R's ``coxph``.

    Parameters
    ----------
    data
        One row per subject, or per ``(entry, duration]`` interval with ``entry``.
    formula
        Right-hand side, formulaic/R style: ``"age + C(sex) + rcs(cea, 4) + age:sex"`` (a
        leading ``~`` is allowed). Checked against the allowlist of
        :mod:`crlm_outcomes.formula` before anything is evaluated.
        String and pandas ``Categorical`` columns are categorical with treatment contrasts
        (first level = reference; categorical order is kept).
    duration, event
        Exit time and event indicator (0 = censored, 1 = event) columns.
    ties
        ``"efron"`` (R's default) or ``"breslow"``. ``"exact"`` is not offered.
    strata
        Column(s) defining strata with separate baseline hazards (R's ``strata()``).
    weights
        Case-weight column (positive).
    cluster
        Cluster column; the variance becomes the grouped robust sandwich (R's ``cluster()``).
    robust
        Robust (sandwich) variance. ``None`` follows R 3.5-3: on with a cluster or with
        non-integer weights, off otherwise.
    entry
        Start-time column for counting-process data ``Surv(entry, duration, event)``
        (time-varying covariates, delayed entry).
    conf_level
        Confidence level of the hazard-ratio intervals.

    Returns
    -------
    CoxResult

    Raises
    ------
    SurvivalDataError, FormulaError, SpecError
        Bad input (named row, column, value).
    EstimationError
        No events in the rows used.

    Warns
    -----
    MonotoneLikelihoodWarning
        A coefficient may be infinite (R: "Loglik converged before variable ...").
    ConvergenceWarning
        The iteration limit was reached.
    DataQualityWarning
        Rows excluded for missing values; aliased (collinear or constant) columns.

    Examples
    --------
    >>> from crlm_outcomes import cox
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> cohort = synthetic_cohort(200, seed=1)
    >>> fit = cox(cohort, "age_at_diagnosis + sex", "os_months", "os_event")
    >>> fit.table[["term", "hr"]].round(3).to_dict("records")
    [{'term': 'age_at_diagnosis', 'hr': 1.017}, {'term': 'sex[T.male]', 'hr': 0.941}]
    """
    _check_options(ties, conf_level)
    from crlm_outcomes.scale.survival import is_external

    if is_external(data):
        from crlm_outcomes.scale._cox import cox_external

        return cox_external(
            data,
            formula,
            duration,
            event,
            ties=ties,
            strata=strata,
            weights=weights,
            cluster=cluster,
            robust=robust,
            entry=entry,
            conf_level=conf_level,
        )
    data = as_frame(data, error=SurvivalDataError)
    variables = formula_variables(formula, data)
    si = survival_input(  # called here so that its warning points at the caller of cox
        data,
        duration,
        event,
        strata=strata,
        weights=weights,
        cluster=cluster,
        entry=entry,
        extra=variables,
    )
    design = _design(
        data, formula, si, variables, [duration, event, strata, weights, cluster, entry]
    )
    ev = _event_indicator(si)
    robust, groups = _variance_choice(si, robust, cluster)
    counting = entry is not None
    rs, time_fix, entry_fix = _risk_sets(si, ev, ties, counting)
    res, xs, ws, center, means = _newton_fit(design.X, si.weights, rs, counting)
    _fit_warnings(res, design.columns, counting)
    var, rscore, order_groups = _variance(res, xs, ws, rs, robust, groups)
    order = rs.order
    state = CoxFitState(
        design=design,
        rs=rs,
        x=xs,
        center=center,
        w=ws,
        time=time_fix[order],
        event=ev[order],
        entry=None if entry_fix is None else entry_fix[order],
        strata=None if si.strata is None else si.strata[order],
        strata_labels=si.strata_labels,
        strata_columns=as_column_list(strata),
        cluster=order_groups,
        beta=np.where(res.keep, res.beta, 0.0),
        keep=res.keep,
        naive_var=res.var,
        var=var,
        means=means,
        method=ties,
        robust=robust,
        deriv=res.deriv,
        strata_keys=si.strata_keys,
    )
    return cox_result(
        res,
        design.columns,
        counting=counting,
        conf_level=conf_level,
        ties=ties,
        n=si.n,
        n_event=int(ev.sum()),
        excluded=si.excluded,
        state=state,
        robust=robust,
        var=var,
        rscore=rscore,
        warn=False,
    )


def _check_options(ties: str, conf_level: float) -> None:
    """The tie method and confidence level, or a :class:`SpecError` naming the bad one."""
    if ties not in ("efron", "breslow"):
        raise SpecError(
            "ties must be 'efron' or 'breslow' ('exact' is not available: R's exact "
            "partial likelihood is combinatorial in the tie size)",
            column="ties",
            value=ties,
            expected="'efron' or 'breslow'",
        )
    if not 0 < conf_level < 1:
        raise SpecError(
            "conf_level must lie strictly between 0 and 1",
            column="conf_level",
            value=conf_level,
            expected="e.g. 0.95",
        )


def _design(
    data: pd.DataFrame,
    formula: str,
    si: SurvivalInput,
    variables: list[str],
    columns: list[str | list[str] | None],
) -> Design:
    """The design matrix of the complete rows (complete in ``columns``, the survival columns,
    and ``variables``), checked to have finite covariates."""
    used_cols = list(
        dict.fromkeys([c for cols in columns for c in as_column_list(cols)] + list(variables))
    )
    if si.excluded.empty:
        frame = data  # build_design reads only the formula's columns
    else:
        frame = data.loc[data[used_cols].notna().all(axis=1).to_numpy(), variables]
    design = build_design(formula, frame)
    x_raw = design.X
    if x_raw.shape[1] == 0:
        raise EstimationError("the formula has no covariate columns")
    if not np.all(np.isfinite(x_raw)):
        bad = int(np.flatnonzero(~np.all(np.isfinite(x_raw), axis=1))[0])
        raise SpecError(
            "data contains an infinite covariate value",
            row=None,
            column=design.columns[int(np.flatnonzero(~np.isfinite(x_raw[bad]))[0])],
            value=str(frame.index[bad]),
            expected="finite covariates",
        )
    return design


def _event_indicator(si: SurvivalInput) -> np.ndarray:
    """0/1 events of the rows used, or an :class:`EstimationError` when there are none."""
    ev = (si.event > 0).astype(np.int64)
    if ev.sum() == 0:
        raise EstimationError(
            "no events in the rows used: a Cox model cannot be fitted "
            '(R: "Can\'t fit a Cox model with 0 failures")'
        )
    return ev


def _variance_choice(
    si: SurvivalInput, robust: bool | None, cluster: str | None
) -> tuple[bool, np.ndarray | None]:
    """Whether the robust variance is used (R 3.5-3's default when ``None``) and the cluster
    codes that group its score residuals (``None``: one group per row)."""
    has_rwt = si.weights is not None and bool(np.any(si.weights != np.floor(si.weights)))
    if robust is None:
        robust = cluster is not None or has_rwt
    groups = None
    if cluster is not None:
        if robust:
            groups = si.cluster
        else:
            warnings.warn(
                "cluster specified with robust=False: cluster ignored (as R)",
                DataQualityWarning,
                stacklevel=3,
            )
    return bool(robust), groups


def _check_strata(si: SurvivalInput, n: int) -> None:
    """An :class:`EstimationError` when every stratum holds a single row."""
    if (
        si.strata is not None
        and n
        and np.bincount(np.unique(np.asarray(si.strata), return_inverse=True)[1]).max() < 2
    ):
        raise EstimationError(
            f"every stratum holds a single row ({n} rows in {n} strata): no event has anyone "
            "else at risk beside it, so the Cox model has no information; use fewer strata "
            "or adjust for the variable instead"
        )


def _risk_sets(
    si: SurvivalInput, ev: np.ndarray, ties: str, counting: bool
) -> tuple[eng.RiskSets, np.ndarray, np.ndarray | None]:
    """The risk sets on the ``aeqSurv``-merged times, and those times (exit, entry); an
    :class:`EstimationError` when every stratum holds a single row."""
    _check_strata(si, si.n)
    is_ev = ev > 0
    time_order = None if counting else eng.event_first_time_order(si.time, is_ev)
    time_fix, entry_fix = _aeq_times(si.time, si.entry, time_order)
    if time_fix is not si.time and time_order is not None:
        time_order = eng.event_first_time_order(time_fix, is_ev)
    rs = eng.build_risk_sets(
        time_fix, ev, si.weights, si.strata, entry_fix, ties == "efron", time_order=time_order
    )
    return rs, time_fix, entry_fix


def _newton_fit(
    x_raw: np.ndarray, weights: np.ndarray | None, rs: eng.RiskSets, counting: bool
) -> tuple[eng.NewtonResult, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Newton-Raphson on the sorted, centred and scaled design, as ``coxph.fit``.

    Returns the fit, the centred sorted design, the sorted weights, the internal centring
    and R's ``fit$means`` (0 for {-1, 0, 1} columns, which R does not centre).
    """
    n = x_raw.shape[0]
    xs = np.take(x_raw, rs.order, axis=0)
    ws = np.ones(n) if weights is None else weights[rs.order]
    zero_one = _zero_one(xs)
    center = (ws @ xs) / ws.sum()
    if counting:
        means = np.where(zero_one, 0.0, xs.mean(axis=0))
    else:
        means = np.where(zero_one, 0.0, center)
    xs -= center
    work = np.abs(xs)  # also the Newton iteration's scratch array
    absdev = ws @ work
    scale = np.where(zero_one | (absdev <= 0), 1.0, ws.sum() / np.where(absdev > 0, absdev, 1))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        res = eng.newton(
            xs, ws, rs, scale, counting=counting, eps=_EPS, toler_chol=_TOLER_CHOL, work=work
        )
    return res, xs, ws, center, means


def _variance(
    res: eng.NewtonResult,
    xs: np.ndarray,
    ws: np.ndarray,
    rs: eng.RiskSets,
    robust: bool,
    groups: np.ndarray | None,
) -> tuple[np.ndarray, float | None, np.ndarray | None]:
    """The variance used (robust sandwich or model-based), the robust score test and the
    sorted cluster codes (both ``None`` without the robust variance)."""
    if not robust:
        return res.var, None, None
    n, p = xs.shape
    order_groups = (np.arange(n) if groups is None else groups)[rs.order]
    resid = eng.score_residuals(res.deriv, xs, rs) * ws[:, None]
    dfb = _collapse(resid, order_groups) @ res.var
    var = dfb.T @ dfb
    d0 = eng.derivatives(np.zeros(p), xs, ws, rs, eng.event_sums(ws, xs, rs), need_info=False)
    r0 = _collapse(eng.score_residuals(d0, xs, rs) * ws[:, None], order_groups)
    u0 = r0.sum(axis=0)
    return var, _wtest(r0.T @ r0, u0), order_groups


def _fit_warnings(res: eng.NewtonResult, names: list[str], counting: bool) -> None:
    """R's warnings: aliased columns, no convergence, a coefficient that may be infinite."""
    keep = res.keep
    beta = np.where(keep, res.beta, 0.0)
    if not keep.all():
        warnings.warn(
            "X matrix deemed to be singular (collinear or constant columns): "
            f"{', '.join(n_ for n_, k in zip(names, keep, strict=False) if not k)}; their "
            "coefficients are missing, as in R",
            DataQualityWarning,
            stacklevel=3,
        )
    if not res.converged:
        warnings.warn(
            "Ran out of iterations and did not converge", ConvergenceWarning, stacklevel=3
        )
    else:
        infs = np.abs(res.u @ res.var)
        if counting:
            flag = ~np.isfinite(res.u) | (infs > _TOLER_INF * (1 + np.abs(beta)))
        else:
            flag = ~np.isfinite(res.u) | ((infs > _EPS) & (infs > _TOLER_INF * np.abs(beta)))
        flag &= keep
        if flag.any():
            warnings.warn(
                "Loglik converged before variable "
                f"{', '.join(n_ for n_, f in zip(names, flag, strict=False) if f)}; "
                "coefficient may be infinite (monotone likelihood)",
                MonotoneLikelihoodWarning,
                stacklevel=3,
            )


def cox_result(
    res: eng.NewtonResult,
    names: list[str],
    *,
    counting: bool,
    conf_level: float,
    ties: str,
    n: int,
    n_event: int,
    excluded: pd.DataFrame,
    state: CoxFitState | None,
    robust: bool = False,
    var: np.ndarray | None = None,
    rscore: float | None = None,
    warn: bool = True,
    levels: dict[str, list[Any]] | None = None,
) -> CoxResult:
    """The :class:`CoxResult` of a Newton fit (rows in memory, engine sums or site rounds).

    Shared by :func:`cox` and the fits without rows in memory
    (:mod:`crlm_outcomes.scale._cox`, :func:`crlm_outcomes.scale.federated_cox.federated_cox`),
    so that every Cox fit reports the same table and tests.

    Parameters
    ----------
    res
        The converged Newton iteration: coefficients, model-based variance, log-likelihoods,
        score test, estimated columns (``keep``).
    names
        Design column names, one per coefficient.
    counting
        Counting-process ``(entry, exit]`` data (changes R's infinite-coefficient check).
    conf_level
        Level of the hazard-ratio intervals.
    ties
        ``"efron"`` or ``"breslow"`` (reported).
    n, n_event
        Rows used and events.
    excluded
        Rows excluded for missing values.
    state
        Row-level arrays of a fit in memory; ``None`` marks a fit without rows in memory.
    robust
        Whether ``var`` is a robust sandwich variance (adds ``robust_std_error`` and the
        robust score test).
    var
        The variance used; default the model-based ``res.var``.
    rscore
        Robust score statistic (with ``robust``).
    warn
        Issue R's warnings (aliased columns, no convergence, possibly infinite coefficient).
    levels
        Levels of each categorical variable (reference first), for a fit without ``state``.

    Returns
    -------
    CoxResult
        Its ``table`` (coef, std_error, hr and limits, Wald z and p) and ``tests``
        (likelihood ratio, Wald, score and, when robust, robust score).

    Examples
    --------
    A model with one coefficient 0.5 (standard error 0.2) whose log-likelihood rose from
    -100 to -97:

    >>> import numpy as np
    >>> from crlm_outcomes._result import empty_excluded
    >>> from crlm_outcomes.survival._cox_engine import NewtonResult
    >>> res = NewtonResult(beta=np.array([0.5]), loglik0=-100.0, loglik=-97.0, sctest=6.3,
    ...                    u=np.zeros(1), var=np.array([[0.04]]), keep=np.array([True]),
    ...                    iterations=4, converged=True, halved=False, deriv=None)
    >>> fit = cox_result(res, ["age_per_10y"], counting=False, conf_level=0.95, ties="efron",
    ...                  n=120, n_event=45, excluded=empty_excluded(), state=None)
    >>> fit.table[["term", "hr", "lower", "upper", "p"]].round(3).to_dict("records")
    [{'term': 'age_per_10y', 'hr': 1.649, 'lower': 1.114, 'upper': 2.44, 'p': 0.012}]
    >>> fit.tests[["test", "statistic"]].round(3).to_dict("records")
    [{'test': 'likelihood_ratio', 'statistic': 6.0}, {'test': 'wald', 'statistic': 6.25}, {'test': 'score', 'statistic': 6.3}]
    """
    if warn:
        _fit_warnings(res, names, counting)
    keep = res.keep
    beta = np.where(keep, res.beta, 0.0)
    naive_var = res.var
    if var is None:
        var = naive_var
    df = int(keep.sum())
    coef = np.where(keep, beta, np.nan)
    se = np.where(keep, np.sqrt(np.diag(naive_var)), np.nan)
    rse = np.where(keep, np.sqrt(np.diag(var)), np.nan) if robust else None
    se_used = rse if robust else se
    zcrit = stats.norm.ppf(1 - (1 - conf_level) / 2)
    z = coef / se_used
    summ = {"term": names, "coef": coef, "std_error": se}
    if robust:
        summ["robust_std_error"] = rse
    with np.errstate(over="ignore"):  # an infinite upper limit is R's answer too
        summ.update(
            {
                "hr": np.exp(coef),
                "lower": np.exp(coef - zcrit * se_used),
                "upper": np.exp(coef + zcrit * se_used),
                "statistic": z,
                "p": 2 * stats.norm.sf(np.abs(z)),
            }
        )
    summary = pd.DataFrame(summ)
    wald = _wtest(var[np.ix_(keep, keep)], beta[keep])
    lr = 2 * (res.loglik - res.loglik0)
    rows: list[tuple[str, float | None, int]] = [
        ("likelihood_ratio", lr, df),
        ("wald", wald, df),
        ("score", res.sctest, df),
    ]
    if robust:
        rows.append(("robust_score", rscore, df))
    tests = pd.DataFrame(rows, columns=["test", "statistic", "df"])
    tests["p"] = stats.chi2.sf(tests["statistic"].to_numpy(float), tests["df"].to_numpy(float))
    vcov = pd.DataFrame(np.where(np.outer(keep, keep), var, np.nan), index=names, columns=names)
    return CoxResult(
        table=summary,
        loglik=(res.loglik0, res.loglik),
        tests=tests,
        n=n,
        n_event=n_event,
        excluded=excluded,
        vcov=vcov,
        conf_level=conf_level,
        ties=ties,
        robust=bool(robust),
        iterations=res.iterations,
        converged=res.converged,
        state=state,
        levels=levels,
    )


#: R's coxph.control defaults and timefix, public for the engines' Newton loop.
EPS = _EPS
TOLER_CHOL = _TOLER_CHOL
aeq_times = _aeq_times
