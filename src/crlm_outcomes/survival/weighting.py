"""Propensity-score weights and covariate balance for observational treatment comparisons.

The propensity model is a logistic regression fitted with statsmodels (``GLM``, binomial family,
logit link) on a formulaic right-hand side with R's treatment contrasts; coefficients, standard
errors, fitted probabilities and the weights agree with R's ``glm(..., family = binomial)``
(``tests/reference/competing_risks.R``). The weights are meant for the weighted Kaplan–Meier and
Cox functions of :mod:`crlm_outcomes.survival` (``weights=`` with a robust variance).

Weights for the estimands (``T`` treatment 0/1, ``e`` the propensity score), from Austin &
Stuart (2015) and Li, Morgan & Zaslavsky (2018):

========  ============================  ===========================
estimand  treated                       control
========  ============================  ===========================
ATE       1 / e                         1 / (1 - e)
ATT       1                             e / (1 - e)
ATC       (1 - e) / e                   1
overlap   1 - e                         e
========  ============================  ===========================

``stabilize=True`` (ATE only) multiplies by the marginal probability of the treatment received
(Robins, Hernán & Brumback 2000). ``trim`` drops units whose propensity is outside
``[trim, 1 - trim]`` (Crump et al. 2009; 0.1 is their rule of thumb); ``truncate`` caps weights
at a percentile (Cole & Hernán 2008). Neither is silent: trimmed units get a NaN weight and a row
in ``excluded``; truncation is reported in ``notes``.

Balance (:func:`balance_table`) follows cobalt's defaults (Greifer, R package ``cobalt``):
standardised mean differences use the *unweighted* pooled standard deviation
``sqrt((s1^2 + s0^2)/2)`` both before and after weighting, so that a change in the SMD reflects a
change in the means only; binary variables use ``p(1 - p)`` as variance; categorical variables
give one row per level; variance ratios (treated/control, continuous variables only) use weighted
variances ``sum w (x - m)^2 / (sum w - sum w^2 / sum w)`` after weighting.

References
----------
Austin PC, Stuart EA. Moving towards best practice when using inverse probability of treatment
weighting (IPTW) using the propensity score to estimate causal treatment effects in
observational studies. *Stat Med* 2015;34:3661–3679.
Li F, Morgan KL, Zaslavsky AM. Balancing covariates via propensity score weighting.
*J Am Stat Assoc* 2018;113:390–400.
Robins JM, Hernán MA, Brumback B. Marginal structural models and causal inference in
epidemiology. *Epidemiology* 2000;11:550–560.
Crump RK, Hotz VJ, Imbens GW, Mitnik OA. Dealing with limited overlap in estimation of average
treatment effects. *Biometrika* 2009;96:187–199.
Cole SR, Hernán MA. Constructing inverse probability weights for marginal structural models.
*Am J Epidemiol* 2008;168:656–664.
Austin PC. Balance diagnostics for comparing the distribution of baseline covariates between
treatment groups in propensity-score matched samples. *Stat Med* 2009;28:3083–3107.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from crlm_outcomes._data import as_frame
from crlm_outcomes._display import frames_html
from crlm_outcomes._result import Result, warn_deprecated
from crlm_outcomes._smd import smd as smd_unweighted_sd
from crlm_outcomes.errors import (
    DataQualityWarning,
    EstimationError,
    InputError,
    SpecError,
)
from crlm_outcomes.formula import check_formula, model_matrix
from crlm_outcomes.survival._inputs import treatment_codes

__all__ = [
    "PropensityWeights",
    "propensity_weights",
    "BalanceTable",
    "balance_table",
    "effective_sample_size",
]

_ESTIMANDS = ("ATE", "ATT", "ATC", "overlap")


def effective_sample_size(w: np.ndarray) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum w^2``.

    Parameters
    ----------
    w
        Non-negative weights of the units of one group (no NaN).

    Returns
    -------
    float
        The number of equally weighted units carrying the same information; 0.0 when ``w`` is
        empty.

    Examples
    --------
    Four controls whose weights 1, 1, 2 and 4 are as informative as about three unweighted ones:

    >>> round(effective_sample_size(np.array([1.0, 1.0, 2.0, 4.0])), 3)
    2.909
    >>> effective_sample_size(np.ones(5))
    5.0
    """
    w = np.asarray(w, dtype=np.float64)
    return float(w.sum() ** 2 / np.sum(w * w)) if w.size else 0.0


def _excluded_rows(data: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    rows = []
    miss = data[columns].isna()
    for col in columns:
        for idx in miss.index[miss[col].to_numpy()]:
            rows.append((idx, col, None, "missing value"))
    return pd.DataFrame(rows, columns=["index", "column", "value", "reason"])


@dataclass(frozen=True, eq=False, repr=False)
class PropensityWeights(Result):
    """Propensity scores and weights for one estimand.

    Attributes
    ----------
    weights, propensity, treatment
        Series aligned to the input index; NaN for rows not used (see ``excluded``).
    table
        Logistic model: term, coef, std_error, statistic (Wald z), p, lower, upper (Wald
        interval of the coefficient). Before 0.2 this was ``model_table`` with columns ``se``
        and ``z``; that name still works with a FutureWarning.
    model
        The fitted statsmodels GLM results (``model.summary()`` prints the full summary).
    effective_n
        arm, n, sum_weights, ess (Kish), min_weight, max_weight.
    excluded
        index, column, value, reason: rows with missing treatment/covariates, or trimmed.
    notes
        Settings and what was done (estimand, stabilisation, trimming, truncation).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"neo": [1, 1, 1, 1, 0, 0, 0, 0, 0, 0],
    ...                   "age": [58, 62, 49, 66, 71, 64, 55, 69, 60, 74],
    ...                   "cea_high": [1, 0, 1, 1, 0, 1, 0, 0, 1, 0]})
    >>> pw = propensity_weights(d, "neo", "age + cea_high")
    >>> pw.estimand, pw.notes["model"]
    ('ATE', 'logit(neo) ~ age + cea_high')
    >>> pw.weights.round(2).tolist()
    [1.52, 3.92, 1.17, 2.43, 1.11, 1.9, 1.83, 1.14, 2.49, 1.07]
    >>> pw.effective_n[["arm", "n", "sum_weights", "ess"]].round(2).values.tolist()
    [['treated', 4, 9.04, 3.27], ['control', 6, 9.55, 5.41]]

    The largest absolute SMD falls from 0.934 to 0.42 with the weights:

    >>> bal = pw.balance(d, ["age", "cea_high"])
    >>> round(bal.max_abs_smd(weighted=False), 3), round(bal.max_abs_smd(), 3)
    (0.934, 0.42)
    """

    weights: pd.Series
    propensity: pd.Series
    treatment: pd.Series
    estimand: str
    table: pd.DataFrame
    effective_n: pd.DataFrame
    excluded: pd.DataFrame
    notes: dict[str, Any]
    model: Any = field(repr=False, compare=False)

    _title = "Propensity-score weights"

    @property
    def model_table(self) -> pd.DataFrame:
        """Deprecated (FutureWarning): the model table with the old column names; use
        :attr:`table`."""
        warn_deprecated(
            "PropensityWeights.model_table",
            "PropensityWeights.table (columns std_error, statistic)",
        )
        return self.table.rename(columns={"std_error": "se", "statistic": "z"})

    def _display_title(self) -> str:
        return f"Propensity-score weights ({self.estimand})"

    def _display_notes(self) -> dict[str, object]:
        return {**self.notes, "excluded rows": self.n_excluded}

    def _display_frames(self) -> dict[str, pd.DataFrame]:
        return {
            "Effective sample size": self.effective_n,
            "Propensity model (logistic)": self.table,
        }

    def _repr_fields(self) -> dict[str, object]:
        return {
            "estimand": self.estimand,
            "n": int(self.weights.notna().sum()),
            "excluded": self.n_excluded,
        }

    def balance(self, data: pd.DataFrame, covariates: Sequence[str]) -> BalanceTable:
        """Balance of ``covariates`` before and after these weights (:func:`balance_table`
        with this treatment and these weights).

        Parameters
        ----------
        data
            The data the weights were estimated on (same index).
        covariates
            Columns to compare; strings and categoricals give one row per level.

        Returns
        -------
        BalanceTable
            Standardised mean differences (SMD) and variance ratios before (``smd``) and after
            (``smd_w``) weighting; rows without a weight (e.g. trimmed) count only before.

        Examples
        --------
        >>> from crlm_outcomes.datasets import synthetic_cohort
        >>> from crlm_outcomes.survival import propensity_weights
        >>> d = synthetic_cohort(200, seed=1).data.dropna(subset=["neoadjuvant_chemo"])
        >>> pw = propensity_weights(d, "neoadjuvant_chemo", "age_at_diagnosis + sex")
        >>> bal = pw.balance(d, ["age_at_diagnosis", "sex"])
        >>> bal.table[["covariate", "smd", "smd_w"]].round(3).values.tolist()
        [['age_at_diagnosis', -0.132, -0.008], ['sex', 0.153, 0.001], ['sex', -0.153, -0.001]]
        """
        return balance_table(data, self.treatment, covariates, weights=self.weights)

    def plot(self, ax=None, *, bins: int = 30):
        """Overlap plot: histograms of the propensity score by arm (mirrored), see
        :func:`crlm_outcomes.plots.balance.plot_propensity_overlap`.

        Parameters
        ----------
        ax
            Axes to draw on; a new one-column figure when None.
        bins
            Number of equal-width bins on [0, 1].

        Returns
        -------
        matplotlib.axes.Axes
            Bars of the treated (upwards) then of the controls (downwards), ``bins`` each;
            the heights are numbers of patients.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from crlm_outcomes.datasets import synthetic_cohort
        >>> from crlm_outcomes.survival import propensity_weights
        >>> d = synthetic_cohort(200, seed=1).data.dropna(subset=["neoadjuvant_chemo"])
        >>> pw = propensity_weights(d, "neoadjuvant_chemo", "age_at_diagnosis + sex")
        >>> ax = pw.plot(bins=10)
        >>> len(ax.patches), int(sum(p.get_height() for p in ax.patches[:10]))  # 75 treated
        (20, 75)
        >>> ax.get_xlabel(), ax.get_ylabel()
        ('Propensity score', 'Patients (control below)')
        >>> plt.close(ax.figure)
        """
        from crlm_outcomes.plots.balance import plot_propensity_overlap

        return plot_propensity_overlap(self, ax=ax, bins=bins)


def propensity_weights(
    data: Any,
    treatment: str,
    formula: str,
    *,
    estimand: str = "ATE",
    stabilize: bool = False,
    trim: float | None = None,
    truncate: float | None = None,
    treated: Hashable | None = None,
    conf_level: float = 0.95,
) -> PropensityWeights:
    """Fit a logistic propensity model and derive weights for ``estimand``.

    Parameters
    ----------
    data
        One row per patient.
    treatment
        Treatment column: 0/1 or bool, or any two values with ``treated=`` naming the treated one.
    formula
        Right-hand side of the propensity model, e.g. ``"age + C(stage) + cea_high"`` (formulaic;
        factors get R's treatment contrasts).
    estimand
        ``"ATE"``, ``"ATT"``, ``"ATC"`` or ``"overlap"`` (see the module docstring).
    stabilize
        Multiply ATE weights by the marginal probability of the treatment received.
    trim
        Exclude units with a propensity outside ``[trim, 1 - trim]`` (0 < trim < 0.5).
    truncate
        Cap the weights at their ``truncate`` quantile and floor them at the ``1 - truncate``
        quantile (0.5 < truncate < 1), e.g. 0.99.
    treated
        Value of ``treatment`` that means treated, when it is not coded 0/1.
    conf_level
        Level of the Wald intervals in ``model_table``.

    Returns
    -------
    PropensityWeights

    Raises
    ------
    InputError
        Unknown columns, treatment not binary; :class:`FormulaError` for a bad formula;
        :class:`EstimationError` when the model cannot be fitted (e.g. perfect separation).

    Examples
    --------
    >>> from crlm_outcomes import propensity_weights
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> data = synthetic_cohort(300, seed=1).data.dropna(subset=["neoadjuvant_chemo"])
    >>> data["neo"] = data["neoadjuvant_chemo"].astype(int)
    >>> pw = propensity_weights(data, "neo", "age_at_diagnosis + sex")
    >>> pw.table["term"].tolist()  # the propensity model
    ['Intercept', 'age_at_diagnosis', 'sex[T.male]']
    >>> len(pw.weights) == len(data)
    True
    """
    data = as_frame(data)
    _check_weight_settings(estimand, stabilize, trim, truncate)
    checked = check_formula(formula, data.columns)
    tr = treatment_codes(data, treatment, treated)
    kept, y, excluded = _complete_rows(data, tr, treatment, list(checked.variables))
    x = model_matrix(kept, formula)
    x.insert(0, "Intercept", 1.0)
    fit, e = _fit_propensity_model(y, x, checked.rhs)
    t1 = y == 1
    w = _WEIGHT_FORMULAS[estimand](e, t1)
    notes: dict[str, Any] = {
        "estimand": estimand,
        "model": f"logit({treatment}) ~ {checked.rhs}",
        "stabilized": bool(stabilize),
    }
    if stabilize:
        p_t = float(t1.mean())
        w = w * np.where(t1, p_t, 1.0 - p_t)
    use = np.ones(len(w), dtype=bool)
    if trim is not None:
        use, excluded, notes["trim"] = _trim(e, kept.index, trim, excluded)
    if truncate is not None:
        w, notes["truncate"] = _truncate(w, use, truncate)
    w = np.where(use, w, np.nan)
    weights = pd.Series(np.nan, index=data.index, name="weight")
    weights.loc[kept.index] = w
    ps = pd.Series(np.nan, index=data.index, name="propensity")
    ps.loc[kept.index] = e
    return PropensityWeights(
        weights=weights,
        propensity=ps,
        treatment=tr.rename(treatment),
        estimand=estimand,
        table=_logit_table(fit, list(x.columns), conf_level),
        effective_n=_effective_n_table(y, w, use),
        excluded=excluded,
        notes=notes,
        model=fit,
    )


def _check_weight_settings(
    estimand: str, stabilize: bool, trim: float | None, truncate: float | None
) -> None:
    """SpecError for an unknown estimand, stabilisation other than ATE, or a bad trim/truncate."""
    if estimand not in _ESTIMANDS:
        raise SpecError(
            "unknown estimand", value=estimand, expected=" or ".join(map(repr, _ESTIMANDS))
        )
    if stabilize and estimand != "ATE":
        raise SpecError(
            "stabilize applies to ATE weights only",
            value=estimand,
            expected="estimand='ATE' with stabilize=True",
        )
    if trim is not None and not 0 < trim < 0.5:
        raise SpecError("trim must be between 0 and 0.5", value=trim, expected="e.g. 0.1")
    if truncate is not None and not 0.5 < truncate < 1:
        raise SpecError(
            "truncate must be a quantile between 0.5 and 1", value=truncate, expected="e.g. 0.99"
        )


def _complete_rows(
    data: pd.DataFrame, tr: pd.Series, treatment: str, variables: list[str]
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """Rows complete in the treatment and the model's variables (the others reported with a
    DataQualityWarning), their 0/1 treatment, and the excluded rows; EstimationError when an
    arm is empty."""
    used = [treatment, *[v for v in variables if v != treatment]]
    frame = data[used].assign(**{treatment: tr})
    excluded = _excluded_rows(frame, used)
    keep = ~frame.isna().any(axis=1)
    if not keep.all():
        warnings.warn(
            f"{int((~keep).sum())} row(s) excluded from the propensity model for "
            "missing values (NaN weight); see result.excluded",
            DataQualityWarning,
            stacklevel=3,
        )
    kept = data.loc[keep.to_numpy()]
    y = tr[keep].to_numpy()
    if len(np.unique(y)) < 2:
        raise EstimationError(
            "both arms need at least one patient with complete data; found "
            f"only treatment = {int(y[0]) if len(y) else 'none'}"
        )
    return kept, y, excluded


def _fit_propensity_model(y: np.ndarray, x: pd.DataFrame, rhs: str) -> tuple[Any, np.ndarray]:
    """Logistic GLM of ``y`` on ``x`` (statsmodels) and its fitted propensities;
    EstimationError on separation, collinearity or scores of 0 or 1."""
    import statsmodels.api as sm

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        try:
            fit = sm.GLM(y, x, family=sm.families.Binomial()).fit(tol=1e-12, maxiter=100)
        except Exception as exc:  # statsmodels: PerfectSeparationError / warnings as errors
            raise EstimationError(
                f"the propensity model cannot be fitted ({exc}); check for "
                "perfect separation or collinear covariates"
            ) from exc
    if not np.all(np.isfinite(fit.bse)):
        raise EstimationError(
            "the propensity model has undefined standard errors; collinear "
            "covariates among " + ", ".join(x.columns[1:])
        )
    e = np.asarray(fit.fittedvalues, dtype=np.float64)
    if np.any((e <= 1e-12) | (e >= 1 - 1e-12)):
        raise EstimationError(
            "propensity scores of 0 or 1 (perfect separation): weights are "
            f"undefined; model {rhs!r}"
        )
    return fit, e


# weight of each unit from its propensity ``e`` and whether it is treated (module docstring)
_WEIGHT_FORMULAS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "ATE": lambda e, t1: np.where(t1, 1.0 / e, 1.0 / (1.0 - e)),
    "ATT": lambda e, t1: np.where(t1, 1.0, e / (1.0 - e)),
    "ATC": lambda e, t1: np.where(t1, (1.0 - e) / e, 1.0),
    "overlap": lambda e, t1: np.where(t1, 1.0 - e, e),
}


def _trim(
    e: np.ndarray, kept_index: pd.Index, trim: float, excluded: pd.DataFrame
) -> tuple[np.ndarray, pd.DataFrame, str]:
    """Units kept by trimming at ``[trim, 1 - trim]``, the excluded rows with the trimmed ones
    added (and a DataQualityWarning), and the note."""
    out = (e < trim) | (e > 1 - trim)
    trimmed = pd.DataFrame(
        {
            "index": kept_index[out],
            "column": "propensity",
            "value": e[out],
            "reason": f"propensity outside [{trim:g}, {1 - trim:g}] (trimmed)",
        }
    )
    if out.any():
        if len(excluded):  # their values are all missing: float, as the trimmed propensities
            excluded = excluded.astype({"value": np.float64})
            excluded = pd.concat([excluded, trimmed], ignore_index=True)
        else:
            excluded = trimmed
        warnings.warn(
            f"{int(out.sum())} row(s) trimmed: propensity outside [{trim:g}, {1 - trim:g}]",
            DataQualityWarning,
            stacklevel=3,
        )
    return ~out, excluded, f"[{trim:g}, {1 - trim:g}], {int(out.sum())} trimmed"


def _truncate(w: np.ndarray, use: np.ndarray, truncate: float) -> tuple[np.ndarray, str]:
    """Weights limited to their ``1 - truncate`` and ``truncate`` quantiles (among the units
    used), and the note."""
    lo, hi = np.quantile(w[use], [1 - truncate, truncate])
    n_cap = int(np.sum(use & ((w < lo) | (w > hi))))
    note = (
        f"weights limited to [{lo:.4g}, {hi:.4g}] (quantiles "
        f"{1 - truncate:g}, {truncate:g}); {n_cap} weight(s) changed"
    )
    return np.clip(w, lo, hi), note


def _logit_table(fit: Any, terms: list[str], conf_level: float) -> pd.DataFrame:
    """Coefficient table of the propensity model with Wald z tests and intervals."""
    zq = stats.norm.ppf(0.5 + conf_level / 2)
    params = np.asarray(fit.params)
    bse = np.asarray(fit.bse)
    return pd.DataFrame(
        {
            "term": terms,
            "coef": params,
            "std_error": bse,
            "statistic": params / bse,
            "p": 2 * stats.norm.sf(np.abs(params / bse)),
            "lower": params - zq * bse,
            "upper": params + zq * bse,
        }
    )


def _effective_n_table(y: np.ndarray, w: np.ndarray, use: np.ndarray) -> pd.DataFrame:
    """Per arm: n, sum of weights, Kish's effective sample size, smallest and largest weight."""
    eff = []
    for arm, lab in ((1, "treated"), (0, "control")):
        sel = (y == arm) & use
        ww = w[sel]
        eff.append(
            (
                lab,
                int(sel.sum()),
                float(ww.sum()),
                effective_sample_size(ww),
                float(ww.min()) if ww.size else np.nan,
                float(ww.max()) if ww.size else np.nan,
            )
        )
    return pd.DataFrame(eff, columns=["arm", "n", "sum_weights", "ess", "min_weight", "max_weight"])


# ------------------------------------------------------------------------------------------------
# Balance
# ------------------------------------------------------------------------------------------------
def _wmean(x: np.ndarray, w: np.ndarray) -> float:
    return float(np.sum(w * x) / np.sum(w))


def _wvar(x: np.ndarray, w: np.ndarray) -> float:
    """Weighted variance with the reliability-weights correction (cobalt's ``col_w_sd``)."""
    sw = np.sum(w)
    m = np.sum(w * x) / sw
    denom = sw - np.sum(w * w) / sw
    return float(np.sum(w * (x - m) ** 2) / denom) if denom > 0 else np.nan


@dataclass(frozen=True, eq=False, repr=False)
class BalanceTable(Result):
    """Covariate balance before and after weighting.

    Attributes
    ----------
    table
        covariate, level, type (continuous/binary/categorical), n_treated, n_control, n_missing,
        mean_treated, mean_control, smd (unweighted), mean_treated_w, mean_control_w, smd_w
        (weighted), var_ratio, var_ratio_w (continuous only). Binary/categorical means are
        proportions.
    excluded
        Rows without treatment, or without a weight (the latter only leave the weighted columns).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [1, 1, 1, 0, 0, 0, 0], "age": [70, 64, 58, 55, 61, 49, 52],
    ...                   "sex": ["m", "f", "m", "f", "f", "m", "f"],
    ...                   "w": [1.0, 1.0, 1.0, 0.5, 2.0, 0.5, 1.0]})
    >>> bal = balance_table(d, "t", ["age", "sex"], weights="w")
    >>> cols = ["covariate", "level", "type", "smd", "smd_w"]
    >>> bal.table[cols].fillna({"level": "-"}).round(3).values.tolist()  # no level: continuous
    [['age', '-', 'continuous', 1.748, 1.344],
     ['sex', 'f', 'categorical', -0.921, -1.197],
     ['sex', 'm', 'categorical', 0.921, 1.197]]
    >>> round(bal.max_abs_smd(), 3), round(bal.max_abs_smd(weighted=False), 3)
    (1.344, 1.748)
    """

    table: pd.DataFrame
    weighted: bool
    excluded: pd.DataFrame

    _title = "Covariate balance"

    def _display_notes(self) -> dict[str, object]:
        return {
            "weighted": self.weighted,
            "SMD denominator": "unweighted pooled SD",
            "rows excluded": self.n_excluded,
        }

    def _repr_fields(self) -> dict[str, object]:
        return {
            "covariates": int(self.table["covariate"].nunique()),
            "weighted": self.weighted,
            "max_abs_smd": self.max_abs_smd(),
            "excluded": self.n_excluded,
        }

    def max_abs_smd(self, weighted: bool = True) -> float:
        """Largest absolute SMD (after weighting when weighted, else before).

        Parameters
        ----------
        weighted
            Take the SMDs after weighting (``smd_w``); False (or a table without weights)
            takes those before (``smd``).

        Returns
        -------
        float
            The largest absolute standardised mean difference over covariates and levels,
            ignoring missing SMDs (NaN when every SMD is missing).

        Examples
        --------
        >>> import pandas as pd
        >>> d = pd.DataFrame({"t": [1, 1, 1, 0, 0, 0, 0], "age": [70, 64, 58, 55, 61, 49, 52],
        ...                   "w": [1.0, 1.0, 1.0, 0.5, 2.0, 0.5, 1.0]})
        >>> bal = balance_table(d, "t", ["age"], weights="w")
        >>> round(bal.max_abs_smd(weighted=False), 3), round(bal.max_abs_smd(), 3)
        (1.748, 1.344)
        """
        col = "smd_w" if weighted and self.weighted else "smd"
        return float(np.nanmax(np.abs(self.table[col])))

    def plot(self, ax=None, *, threshold: float = 0.1, labels=None):
        """Love plot of absolute SMDs; see :func:`crlm_outcomes.plots.balance.plot_balance`
        (``labels=`` names covariates and levels).

        Parameters
        ----------
        ax
            Axes to draw on; a new figure sized to the number of rows when None.
        threshold
            Position of the dashed reference line (|SMD| = 0.1 by default).
        labels
            Display labels of covariates and levels
            (:func:`crlm_outcomes.labels.resolve_labels`).

        Returns
        -------
        matplotlib.axes.Axes
            One row per covariate (level), first at the top, with the absolute SMD before
            (open markers) and, for a weighted table, after weighting (filled markers).

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from crlm_outcomes.datasets import synthetic_cohort
        >>> from crlm_outcomes.survival import propensity_weights
        >>> d = synthetic_cohort(200, seed=1).data.dropna(subset=["neoadjuvant_chemo"])
        >>> pw = propensity_weights(d, "neoadjuvant_chemo", "age_at_diagnosis + sex")
        >>> ax = pw.balance(d, ["age_at_diagnosis", "sex"]).plot(threshold=0.05)
        >>> [t.get_text() for t in ax.get_yticklabels()]
        ['Age at diagnosis', 'Sex: Female', 'Sex: Male']
        >>> [t.get_text() for t in ax.get_legend().get_texts()]
        ['Unweighted', 'Weighted']
        >>> plt.close(ax.figure)
        """
        from crlm_outcomes.plots.balance import plot_balance

        return plot_balance(self, ax=ax, threshold=threshold, labels=labels)

    def _repr_html_(self) -> str:
        return frames_html(
            "Covariate balance", {"": self.table}, notes=self._display_notes(), max_rows=60
        )


def _kind(s: pd.Series) -> str:
    if s.dtype == bool or str(s.dtype) == "boolean":
        return "binary"
    if isinstance(s.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(s):
        return "categorical"
    vals = pd.unique(s.dropna())
    if len(vals) <= 2 and set(np.asarray(vals, dtype=np.float64)) <= {0.0, 1.0}:
        return "binary"
    return "continuous"


def balance_table(
    data: Any,
    treatment: str | pd.Series,
    covariates: Sequence[str],
    *,
    weights: str | pd.Series | np.ndarray | None = None,
    treated: Hashable | None = None,
) -> BalanceTable:
    """Standardised mean differences and variance ratios before and after weighting.

    Parameters
    ----------
    data
        One row per patient.
    treatment
        Treatment column name (0/1, bool, or two values with ``treated=``) or a 0/1 Series
        aligned to ``data``.
    covariates
        Columns to compare. Numeric 0/1 and bool columns are binary; strings and categoricals give
        one row per level; other numeric columns are continuous.
    weights
        Column name, Series aligned to ``data.index`` or array; NaN weights leave the row out of
        the weighted columns only (counted in ``excluded``).
    treated
        Value of ``treatment`` that means treated, when it is not coded 0/1.

    Returns
    -------
    BalanceTable

    Examples
    --------
    >>> from crlm_outcomes import balance_table
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> data = synthetic_cohort(300, seed=1).data.dropna(subset=["neoadjuvant_chemo"])
    >>> data["neo"] = data["neoadjuvant_chemo"].astype(int)
    >>> bal = balance_table(data, "neo", ["age_at_diagnosis", "sex"])
    >>> round(float(bal.table["smd"].abs().max()), 4)
    0.0738
    """
    data = as_frame(data)
    tr = _balance_treatment(data, treatment, treated)
    for c in covariates:
        if c not in data.columns:
            raise InputError(
                "covariate column not found", column=c, expected="a column of the data"
            )
    w_all = None if weights is None else _balance_weights(data, weights)
    rows_ex = [(i, "treatment", None, "missing treatment") for i in tr.index[tr.isna()]]
    if w_all is not None:
        rows_ex += [
            (i, "weights", None, "missing weight (weighted columns only)")
            for i in w_all.index[w_all.isna() & tr.notna()]
        ]
    excluded = pd.DataFrame(rows_ex, columns=["index", "column", "value", "reason"])
    has_t = tr.notna().to_numpy()
    t = tr.to_numpy()
    w = w_all.to_numpy() if w_all is not None else None
    out = [
        _balance_row(c, level, kind, x, ok, t, has_t, w)
        for c in covariates
        for level, kind, x, ok in _covariate_indicators(data[c])
    ]
    table = pd.DataFrame(out).reindex(columns=_balance_columns(w is not None))
    return BalanceTable(table=table, weighted=w is not None, excluded=excluded)


def _balance_treatment(
    data: pd.DataFrame, treatment: str | pd.Series, treated: Hashable | None
) -> pd.Series:
    """The treatment as a float 0/1 Series aligned to ``data`` (NaN where missing)."""
    if isinstance(treatment, pd.Series):
        tr = treatment.reindex(data.index).astype(np.float64)
        if not tr.dropna().isin([0.0, 1.0]).all():
            raise InputError(
                "treatment Series must be coded 0/1", column=str(treatment.name), expected="0/1"
            )
        return tr
    return treatment_codes(data, treatment, treated)


def _balance_weights(data: pd.DataFrame, weights: str | pd.Series | np.ndarray) -> pd.Series:
    """The weights (column name, Series or array) as a float Series aligned to ``data``;
    InputError for an unknown column, a wrong length or a negative weight."""
    if isinstance(weights, str):
        if weights not in data.columns:
            raise InputError(
                "weights column not found", column=weights, expected="a column of the data"
            )
        w_all = pd.to_numeric(data[weights], errors="coerce")
    elif isinstance(weights, pd.Series):
        w_all = weights.reindex(data.index).astype(np.float64)
    else:
        arr = np.asarray(weights, dtype=np.float64)
        if arr.shape != (len(data),):
            raise InputError(
                "weights array has the wrong length",
                value=arr.shape,
                expected=f"{len(data)} values",
            )
        w_all = pd.Series(arr, index=data.index)
    neg = w_all.notna() & ~(w_all >= 0)
    if neg.any():
        raise InputError(
            "weights must be >= 0",
            value=float(w_all[neg].iloc[0]),
            expected="non-negative weights",
        )
    return w_all


def _covariate_indicators(s: pd.Series) -> list[tuple[Any, str, np.ndarray, np.ndarray]]:
    """(level, type, values as float, observed mask) per balance row of one covariate: one row
    per level (an indicator) for a categorical, else one row of the values."""
    ok = s.notna().to_numpy()
    kind = _kind(s)
    if kind == "categorical":
        levels = (
            list(s.cat.categories)
            if isinstance(s.dtype, pd.CategoricalDtype)
            else sorted(s.dropna().unique(), key=str)
        )
        return [(lev, kind, (s == lev).to_numpy(dtype=np.float64), ok) for lev in levels]
    if kind == "binary":
        return [(None, kind, s.astype("float64").to_numpy(), ok)]
    return [(None, kind, s.to_numpy(dtype=np.float64), ok)]


def _mean_or_nan(x: np.ndarray) -> float:
    return x.mean() if x.size else np.nan


def _balance_row(
    name: str,
    level: Any,
    kind: str,
    x: np.ndarray,
    ok: np.ndarray,
    t: np.ndarray,
    has_t: np.ndarray,
    w: np.ndarray | None,
) -> dict[str, Any]:
    """One row of the balance table: counts, means, SMD and variance ratio before, and with
    ``w`` also after weighting (weighted means over the unweighted pooled SD)."""
    base = ok & has_t
    x1, x0 = x[base & (t == 1)], x[base & (t == 0)]
    m1, m0 = _mean_or_nan(x1), _mean_or_nan(x0)
    if kind == "continuous":
        v1 = np.var(x1, ddof=1) if x1.size > 1 else np.nan
        v0 = np.var(x0, ddof=1) if x0.size > 1 else np.nan
    else:
        v1, v0 = m1 * (1 - m1), m0 * (1 - m0)
    row = {
        "covariate": name,
        "level": level,
        "type": kind,
        "n_treated": int(x1.size),
        "n_control": int(x0.size),
        "n_missing": int(np.sum(~ok & has_t)),
        "mean_treated": m1,
        "mean_control": m0,
        "smd": smd_unweighted_sd(m1, m0, v1, v0),
    }
    if w is not None:
        wb = base & ~np.isnan(w)
        s1, s0 = wb & (t == 1), wb & (t == 0)
        mw1 = _wmean(x[s1], w[s1]) if s1.any() else np.nan
        mw0 = _wmean(x[s0], w[s0]) if s0.any() else np.nan
        smd_w = smd_unweighted_sd(mw1, mw0, v1, v0)  # weighted means, unweighted SD
        row.update({"mean_treated_w": mw1, "mean_control_w": mw0, "smd_w": smd_w})
    if kind == "continuous":
        row["var_ratio"] = v1 / v0 if v0 > 0 else np.nan
        if w is not None:
            vw1 = _wvar(x[s1], w[s1]) if s1.sum() > 1 else np.nan
            vw0 = _wvar(x[s0], w[s0]) if s0.sum() > 1 else np.nan
            row["var_ratio_w"] = vw1 / vw0 if vw0 and vw0 > 0 else np.nan
    return row


def _balance_columns(weighted: bool) -> list[str]:
    """Column order of the balance table (the weighted columns only when weighted)."""
    cols = [
        "covariate",
        "level",
        "type",
        "n_treated",
        "n_control",
        "n_missing",
        "mean_treated",
        "mean_control",
        "smd",
    ]
    if weighted:
        cols += ["mean_treated_w", "mean_control_w", "smd_w"]
    return cols + ["var_ratio"] + (["var_ratio_w"] if weighted else [])
