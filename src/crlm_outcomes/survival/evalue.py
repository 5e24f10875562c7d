"""E-values: how strong unmeasured confounding would have to be to explain an association away.

The E-value (VanderWeele & Ding 2017) is the minimum strength of association, on the risk-ratio
scale, that an unmeasured confounder would need with both the treatment and the outcome, above
and beyond the measured covariates, to move the observed risk ratio ``RR`` to the null:

``E = RR + sqrt(RR (RR - 1))`` for ``RR >= 1``; for ``RR < 1`` the same formula on ``1 / RR``.

For the confidence interval the E-value is computed on the limit closer to the null, and is 1
when the interval contains the null. Hazard ratios are risk ratios only for a rare outcome
(< 15% at the end of follow-up). CRLM mortality is common, so the hazard ratio is first converted
with VanderWeele's approximation ``RR = (1 - 0.5^sqrt(HR)) / (1 - 0.5^sqrt(1/HR))``
(VanderWeele & Ding 2017, Table; VanderWeele 2020), and an odds ratio of a common outcome with
``RR = sqrt(OR)``. A ``true`` value other than 1 gives the E-value for moving the estimate to that
value (``RR / true``).

The paper's examples are tests: the breastfeeding–infection risk ratio 3.9 (95% CI 1.8 to 8.7)
has E-values 7.26 and 3.00, and the leukaemia example 0.80 (0.71 to 0.91) has 1.81 and 1.43.

References
----------
VanderWeele TJ, Ding P. Sensitivity analysis in observational research: introducing the
E-value. *Ann Intern Med* 2017;167(4):268–274.
VanderWeele TJ. Optimal approximate conversions of odds ratios and hazard ratios to risk ratios.
*Biometrics* 2020;76(3):746–752.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crlm_outcomes._display import frames_html
from crlm_outcomes._result import Result
from crlm_outcomes.errors import InputError, SpecError

__all__ = ["EValueResult", "evalue", "evalue_point", "hr_to_rr", "evalue_from_model"]

_MEASURES = ("RR", "HR", "OR")


def hr_to_rr(hr: float | np.ndarray) -> float | np.ndarray:
    """VanderWeele's conversion of a hazard ratio of a common outcome to a risk ratio.

    Parameters
    ----------
    hr
        Hazard ratio(s), positive.

    Returns
    -------
    float or numpy.ndarray
        ``(1 - 0.5**sqrt(HR)) / (1 - 0.5**sqrt(1/HR))`` (VanderWeele 2020): a float for a scalar
        ``hr``, an array for an array.

    Examples
    --------
    >>> round(float(hr_to_rr(2.0)), 4)
    1.6125
    >>> float(hr_to_rr(1.0))
    1.0
    """
    hr = np.asarray(hr, dtype=np.float64)
    out = (1 - 0.5 ** np.sqrt(hr)) / (1 - 0.5 ** np.sqrt(1 / hr))
    return out if out.ndim else float(out)


def evalue_point(rr: float) -> float:
    """E-value of a risk ratio: ``RR + sqrt(RR (RR - 1))`` on the side of the ratio above 1.

    Parameters
    ----------
    rr
        A risk ratio (> 0); a ratio below 1 is inverted first.

    Returns
    -------
    float
        The E-value, at least 1.

    Raises
    ------
    InputError
        ``rr`` is not positive.

    Examples
    --------
    >>> round(evalue_point(3.9), 2), round(evalue_point(0.8), 2)
    (7.26, 1.81)
    """
    rr = float(rr)
    if not rr > 0:
        raise InputError("a risk ratio must be positive", value=rr, expected="RR > 0")
    r = rr if rr >= 1 else 1 / rr
    return float(r + np.sqrt(r * (r - 1)))


@dataclass(frozen=True, eq=False, repr=False)
class EValueResult(Result):
    """E-values of one or more estimates.

    Attributes
    ----------
    table
        One row per estimate: term, measure, estimate, lower, upper (as given), rare,
        rr, rr_lower, rr_upper (on the risk-ratio scale after conversion), evalue (point),
        evalue_ci (limit closer to the null; 1 when the interval contains the null).

    Examples
    --------
    >>> from crlm_outcomes.survival.evalue import evalue
    >>> ev = evalue(0.6, lower=0.45, upper=0.8, measure="HR", rare=False)  # HR 0.6 (0.45-0.8)
    >>> ev.table[["rr", "evalue", "evalue_ci"]].round(3).to_dict("records")
    [{'rr': 0.703, 'evalue': 2.2, 'evalue_ci': 1.609}]
    """

    table: pd.DataFrame
    true: float = 1.0
    excluded: pd.DataFrame = field(
        repr=False,
        default_factory=lambda: pd.DataFrame(columns=["index", "column", "value", "reason"]),
    )

    def __repr__(self) -> str:
        r = self.table.iloc[0]
        more = f", +{len(self.table) - 1} more" if len(self.table) > 1 else ""
        return (
            f"<EValueResult {r['measure']} {r['estimate']:.3g}: E-value {r['evalue']:.3g}, "
            f"CI {r['evalue_ci']:.3g}{more}>"
        )

    def summary(self) -> str:
        """One sentence per estimate, as it goes into a results section.

        Returns
        -------
        str
            One line per row of :attr:`table`: the term, the measure and estimate (with the
            risk ratio it was converted to for a common outcome), the E-value of the estimate
            and, when limits were given, that of the confidence limit closer to the null.

        Examples
        --------
        >>> from crlm_outcomes.survival.evalue import evalue
        >>> print(evalue(0.6, lower=0.45, upper=0.8, measure="HR", rare=False).summary())
        estimate: HR 0.60 (converted to RR 0.70 for a common outcome); E-value 2.20; for the confidence limit, 1.61
        >>> print(evalue(3.9, 1.8, 8.7).summary())
        estimate: RR 3.90; E-value 7.26; for the confidence limit, 3.00
        """
        lines = []
        for r in self.table.itertuples(index=False):
            conv = (
                ""
                if r.measure == "RR" or r.rare
                else f" (converted to RR {r.rr:.2f} for a common outcome)"
            )
            ci = "" if np.isnan(r.evalue_ci) else f"; for the confidence limit, {r.evalue_ci:.2f}"
            lines.append(
                f"{r.term}: {r.measure} {r.estimate:.2f}{conv}; E-value {r.evalue:.2f}{ci}"
            )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return frames_html(
            "E-values (VanderWeele & Ding 2017)", {"": self.table}, notes={"true value": self.true}
        )


def _to_rr(x: float, measure: str, rare: bool) -> float:
    if np.isnan(x):
        return np.nan
    if measure == "RR" or rare:
        return float(x)
    if measure == "HR":
        return float(hr_to_rr(x))
    return float(np.sqrt(x))


def evalue(
    estimate: float,
    lower: float | None = None,
    upper: float | None = None,
    *,
    measure: str = "RR",
    rare: bool | None = None,
    true: float = 1.0,
    term: str = "estimate",
) -> EValueResult:
    """E-value of a ratio estimate and of its confidence interval.

    Parameters
    ----------
    estimate, lower, upper
        The ratio and its confidence limits (limits optional).
    measure
        ``"RR"`` (risk or rate ratio), ``"HR"`` or ``"OR"``.
    rare
        For HR and OR: is the outcome rare (< 15% by the end of follow-up)? Must be given for
        HR / OR, because the conversion changes the answer; CRLM mortality is common (False).
    true
        The value to which confounding would have to move the estimate (1 = null).
    term
        Label of the row.

    Returns
    -------
    EValueResult

    Raises
    ------
    SpecError
        Unknown measure; ``rare`` not given for HR or OR.
    InputError
        Non-positive values, or limits that do not bracket the estimate.

    Examples
    --------
    >>> r = evalue(3.9, 1.8, 8.7)
    >>> round(float(r.table["evalue"][0]), 2), round(float(r.table["evalue_ci"][0]), 2)
    (7.26, 3.0)
    >>> round(float(evalue(0.56, 0.46, 0.69, measure="HR", rare=False).table["evalue"][0]), 2)
    2.35
    """
    if measure not in _MEASURES:
        raise SpecError(
            "unknown effect measure for the E-value",
            column="measure",
            value=measure,
            expected=" or ".join(map(repr, _MEASURES)),
        )
    if measure != "RR" and rare is None:
        raise SpecError(
            f"say whether the outcome is rare for an {measure}: the conversion to a "
            "risk ratio depends on it",
            column="rare",
            value=None,
            expected="rare=True (< 15% events by the end of follow-up) or "
            "rare=False (common, e.g. CRLM mortality)",
        )
    lo = np.nan if lower is None else float(lower)
    hi = np.nan if upper is None else float(upper)
    est = float(estimate)
    vals = [v for v in (est, lo, hi, float(true)) if not np.isnan(v)]
    if any(not v > 0 for v in vals):
        raise InputError("ratios must be positive", value=vals, expected="values > 0")
    if (not np.isnan(lo) and lo > est) or (not np.isnan(hi) and hi < est):
        raise InputError(
            "the confidence limits do not bracket the estimate",
            value=(lo, est, hi),
            expected="lower <= estimate <= upper",
        )
    rare_b = bool(rare) if rare is not None else True
    rr, rr_lo, rr_hi = (_to_rr(v, measure, rare_b) for v in (est, lo, hi))
    t_rr = _to_rr(float(true), measure, rare_b)
    e_point = evalue_point(rr / t_rr) if rr != t_rr else 1.0
    if np.isnan(rr_lo) and np.isnan(rr_hi):
        e_ci = np.nan
    elif rr > t_rr:
        e_ci = np.nan if np.isnan(rr_lo) else (1.0 if rr_lo <= t_rr else evalue_point(rr_lo / t_rr))
    elif rr < t_rr:
        e_ci = np.nan if np.isnan(rr_hi) else (1.0 if rr_hi >= t_rr else evalue_point(rr_hi / t_rr))
    else:
        e_ci = 1.0
    table = pd.DataFrame(
        [
            {
                "term": term,
                "measure": measure,
                "estimate": est,
                "lower": lo,
                "upper": hi,
                "rare": rare_b,
                "rr": rr,
                "rr_lower": rr_lo,
                "rr_upper": rr_hi,
                "evalue": e_point,
                "evalue_ci": e_ci,
            }
        ]
    )
    return EValueResult(table=table, true=float(true))


def evalue_from_model(
    model, terms: str | list[str] | None = None, *, rare: bool, measure: str = "HR"
) -> EValueResult:
    """E-values of hazard ratios of a fitted model (Cox, pooled, Fine–Gray: any object whose
    ``table`` or ``summary`` frame has term, hr, lower, upper).

    Parameters
    ----------
    model
        A :class:`~crlm_outcomes.survival.cox.CoxResult`, a
        :class:`~crlm_outcomes.imputation.pooling.PooledModel`, or a frame.
    terms
        Terms to report (default all).
    rare
        Is the outcome rare (< 15% by the end of follow-up)?
    measure
        ``"HR"`` (default).

    Returns
    -------
    EValueResult

    Examples
    --------
    >>> from crlm_outcomes import cox
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> fit = cox(synthetic_cohort(200, seed=1), "age_at_diagnosis + sex", "os_months", "os_event")
    >>> ev = evalue_from_model(fit, "sex[T.male]", rare=False)  # death is a common outcome
    >>> ev.table[["term", "estimate", "rr", "evalue", "evalue_ci"]].round(3).to_dict("records")
    [{'term': 'sex[T.male]', 'estimate': 0.941, 'rr': 0.959, 'evalue': 1.254, 'evalue_ci': 1.0}]
    """
    if isinstance(model, pd.DataFrame):
        frame = model
    elif isinstance(getattr(model, "table", None), pd.DataFrame) and "hr" in model.table:
        frame = model.table
    else:
        frame = model.summary
    if "hr" not in frame.columns and "exp_coef" in frame.columns:
        frame = frame.rename(columns={"exp_coef": "hr"})
    wanted = (
        list(frame["term"])
        if terms is None
        else ([terms] if isinstance(terms, str) else list(terms))
    )
    rows = []
    for t in wanted:
        sel = frame[frame["term"] == t]
        if sel.empty:
            raise InputError(
                "term not in the model",
                column="term",
                value=t,
                expected=f"one of {list(frame['term'])}",
            )
        r = sel.iloc[0]
        rows.append(
            evalue(r["hr"], r["lower"], r["upper"], measure=measure, rare=rare, term=str(t)).table
        )
    return EValueResult(table=pd.concat(rows, ignore_index=True))
