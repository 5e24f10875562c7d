"""Treatment comparisons by propensity-score matching or weighting, with balance and E-values.

A comparison is the Cox model of the outcome on the treatment in the matched sample (matching
weights, robust variance clustered on the matched set; Austin 2014) or in the weighted sample
(propensity weights, robust variance; Austin & Stuart 2015), the covariate balance that justifies
it, and the E-value of its hazard ratio and confidence limit (VanderWeele & Ding 2017; see
:mod:`crlm_outcomes.survival.evalue`), with the common-outcome conversion unless the outcome is
declared rare.

References
----------
Austin PC. The use of propensity score methods with survival or time-to-event outcomes. *Stat
Med* 2014;33:1242–1258.
Austin PC, Stuart EA. Moving towards best practice when using inverse probability of treatment
weighting (IPTW) using the propensity score. *Stat Med* 2015;34:3661–3679.
VanderWeele TJ, Ding P. Sensitivity analysis in observational research: introducing the E-value.
*Ann Intern Med* 2017;167:268–274.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from crlm_outcomes._display import frames_html, percent_level
from crlm_outcomes._result import Result
from crlm_outcomes.survival.evalue import EValueResult, evalue_from_model
from crlm_outcomes.survival.weighting import BalanceTable, PropensityWeights

__all__ = ["TreatmentComparison", "matched_comparison", "weighted_comparison"]


@dataclass(frozen=True, eq=False, repr=False)
class TreatmentComparison(Result):
    """A matched or weighted treatment comparison.

    Attributes
    ----------
    table
        One row: term (the treatment), hr, lower, upper, p, std_error (robust), rr (the hazard
        ratio on the risk-ratio scale), evalue, evalue_ci.
    method
        ``"matching"`` or ``"weighting"``.
    cox
        The weighted Cox fit (:class:`~crlm_outcomes.survival.cox.CoxResult`).
    balance
        Covariate balance before and after.
    evalues
        :class:`~crlm_outcomes.survival.evalue.EValueResult`.
    excluded
        Rows not in the comparison (no score, unmatched, missing outcome).

    Examples
    --------
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> from crlm_outcomes.survival import match_propensity, matched_comparison
    >>> d = synthetic_cohort(200, seed=1).data.dropna(subset=["neoadjuvant_chemo"])
    >>> matched = match_propensity(d, "neoadjuvant_chemo", "age_at_diagnosis + sex", seed=1)
    >>> comp = matched_comparison(matched, "os_months", "os_event")
    >>> comp
    <TreatmentComparison matching: HR 0.478 [0.325, 0.703], E-value 2.71>
    >>> comp.method, comp.cox.n, comp.cox.n_event  # patients and deaths in the matched sample
    ('matching', 150, 109)
    """

    table: pd.DataFrame
    method: str
    cox: Any = field(repr=False, compare=False)
    balance: BalanceTable = field(repr=False)
    evalues: EValueResult = field(repr=False)
    excluded: pd.DataFrame = field(repr=False)

    def __repr__(self) -> str:
        r = self.table.iloc[0]
        return (
            f"<TreatmentComparison {self.method}: HR {r['hr']:.3g} "
            f"[{r['lower']:.3g}, {r['upper']:.3g}], E-value {r['evalue']:.3g}>"
        )

    def summary(self) -> str:
        """The hazard ratio, its E-values and the balance, as text.

        Returns
        -------
        str
            The method and treatment; the hazard ratio with its interval (at the Cox fit's
            ``conf_level``), p, and the patients and events of the weighted Cox model; the E-values of the estimate and of
            the confidence limit closer to 1 (see
            :class:`~crlm_outcomes.survival.evalue.EValueResult`); and the largest absolute
            standardised mean difference before and after matching or weighting.

        Examples
        --------
        >>> from crlm_outcomes.survival import matched_comparison
        >>> from crlm_outcomes.datasets import synthetic_cohort
        >>> from crlm_outcomes.survival import match_propensity
        >>> d = synthetic_cohort(200, seed=1).data.dropna(subset=["neoadjuvant_chemo"])
        >>> matched = match_propensity(d, "neoadjuvant_chemo", "age_at_diagnosis + sex", seed=1)
        >>> print(matched_comparison(matched, "os_months", "os_event").summary())
        Treatment comparison by propensity-score matching: neoadjuvant_chemo
        HR 0.478 (95% CI 0.325-0.703), p = 0.000172, robust SE, n = 150, events = 109
        neoadjuvant_chemo: HR 0.48 (converted to RR 0.60 for a common outcome); E-value 2.71; ...
        max |SMD| before 0.153, after 0.081
        """
        r = self.table.iloc[0]
        level = percent_level(self.cox.conf_level)
        return "\n".join(
            [
                f"Treatment comparison by propensity-score {self.method}: {r['term']}",
                f"HR {r['hr']:.3f} ({level}% CI {r['lower']:.3f}-{r['upper']:.3f}), p = {r['p']:.3g}, "
                f"robust SE, n = {self.cox.n}, events = {self.cox.n_event}",
                self.evalues.summary(),
                (
                    f"max |SMD| before {self.balance.max_abs_smd(weighted=False):.3f}, after "
                    f"{self.balance.max_abs_smd(weighted=True):.3f}"
                )
                if len(self.balance.table)
                else "no balance covariates given",
            ]
        )

    def plot(self, ax=None, *, threshold: float = 0.1):
        """Love plot of the balance before and after (:meth:`BalanceTable.plot
        <crlm_outcomes.survival.weighting.BalanceTable.plot>`).

        Parameters
        ----------
        ax
            Axes to draw on; a new figure sized to the number of rows when None.
        threshold
            Position of the dashed reference line (|SMD| = 0.1 by default).

        Returns
        -------
        matplotlib.axes.Axes
            One row per covariate (level), first at the top, with the absolute standardised
            mean difference before (open markers) and after (filled markers).

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from crlm_outcomes.survival import matched_comparison
        >>> from crlm_outcomes.datasets import synthetic_cohort
        >>> from crlm_outcomes.survival import match_propensity
        >>> d = synthetic_cohort(200, seed=1).data.dropna(subset=["neoadjuvant_chemo"])
        >>> matched = match_propensity(d, "neoadjuvant_chemo", "age_at_diagnosis + sex", seed=1)
        >>> ax = matched_comparison(matched, "os_months", "os_event").plot()
        >>> [t.get_text() for t in ax.get_yticklabels()], ax.get_xlabel()
        (['Age at diagnosis', 'Sex: Female', 'Sex: Male'], 'Absolute standardised mean difference')
        >>> plt.close(ax.figure)
        """
        from crlm_outcomes.plots.balance import plot_balance

        matched = self.method == "matching"
        legend = ("Before matching", "After matching") if matched else ("Unweighted", "Weighted")
        return plot_balance(self.balance, ax=ax, threshold=threshold, legend=legend)

    def _repr_html_(self) -> str:
        return frames_html(
            repr(self),
            {"Effect": self.table, "Balance": self.balance.table},
            notes={"method": self.method, "excluded rows": self.n_excluded},
        )


def _build(
    method: str, fit: Any, term: str, balance: BalanceTable, rare: bool, excluded: pd.DataFrame
) -> TreatmentComparison:
    row = fit.table[fit.table["term"] == term].iloc[0]
    ev = evalue_from_model(fit.table, term, rare=rare)
    e = ev.table.iloc[0]
    table = pd.DataFrame(
        [
            {
                "term": term,
                "hr": row["hr"],
                "lower": row["lower"],
                "upper": row["upper"],
                "p": row["p"],
                "std_error": row.get("robust_std_error", row["std_error"]),
                "rr": e["rr"],
                "evalue": e["evalue"],
                "evalue_ci": e["evalue_ci"],
            }
        ]
    )
    ex = (
        pd.concat([x for x in (excluded, fit.excluded) if len(x)], ignore_index=True)
        if len(excluded) or len(fit.excluded)
        else excluded
    )
    return TreatmentComparison(
        table=table, method=method, cox=fit, balance=balance, evalues=ev, excluded=ex
    )


def matched_comparison(
    matched, duration: str, event: str, *, rare: bool = False, **cox_kwargs: Any
) -> TreatmentComparison:
    """Cox comparison in a matched sample with E-values.

    Parameters
    ----------
    matched
        :class:`~crlm_outcomes.survival.matching.MatchedData`.
    duration, event
        Outcome columns.
    rare
        Is the outcome rare (< 15% by the end of follow-up)? CRLM mortality is not (default).
    **cox_kwargs
        Passed to :func:`~crlm_outcomes.survival.cox.cox`.

    Returns
    -------
    TreatmentComparison

    Examples
    --------
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> from crlm_outcomes.survival import match_propensity, matched_comparison
    >>> d = synthetic_cohort(200, seed=1).data.dropna(subset=["neoadjuvant_chemo"])
    >>> matched = match_propensity(d, "neoadjuvant_chemo", "age_at_diagnosis + sex", seed=1)
    >>> print(matched_comparison(matched, "os_months", "os_event").summary())
    Treatment comparison by propensity-score matching: neoadjuvant_chemo
    HR 0.478 (95% CI 0.325-0.703), p = 0.000172, robust SE, n = 150, events = 109
    neoadjuvant_chemo: HR 0.48 (converted to RR 0.60 for a common outcome); E-value 2.71; for the confidence limit, 1.87
    max |SMD| before 0.153, after 0.081
    """
    fit = matched.cox(duration, event, **cox_kwargs)
    return _build(
        "matching", fit, matched.settings["treatment"], matched.balance, rare, matched.excluded
    )


def weighted_comparison(
    data: pd.DataFrame,
    weights: PropensityWeights,
    duration: str,
    event: str,
    covariates: Sequence[str],
    *,
    rare: bool = False,
    **cox_kwargs: Any,
) -> TreatmentComparison:
    """Cox comparison weighted by propensity-score weights (robust variance) with E-values.

    Parameters
    ----------
    data
        The data the weights were estimated on.
    weights
        :class:`~crlm_outcomes.survival.weighting.PropensityWeights`.
    duration, event
        Outcome columns.
    covariates
        Covariates of the balance table.
    rare
        Is the outcome rare? (default False: common-outcome conversion of the HR)
    **cox_kwargs
        Passed to :func:`~crlm_outcomes.survival.cox.cox`.

    Returns
    -------
    TreatmentComparison

    Examples
    --------
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> from crlm_outcomes.survival import propensity_weights, weighted_comparison
    >>> d = synthetic_cohort(200, seed=1).data.dropna(subset=["neoadjuvant_chemo"])
    >>> pw = propensity_weights(d, "neoadjuvant_chemo", "age_at_diagnosis + sex")
    >>> comp = weighted_comparison(d, pw, "os_months", "os_event", ["age_at_diagnosis", "sex"])
    >>> comp.table[["hr", "lower", "upper", "rr", "evalue"]].round(3).to_dict("records")
    [{'hr': 0.514, 'lower': 0.361, 'upper': 0.731, 'rr': 0.632, 'evalue': 2.543}]
    >>> round(float(comp.balance.max_abs_smd(weighted=True)), 3)  # largest |SMD| after weighting
    0.008
    """
    from crlm_outcomes.survival.cox import cox

    treatment = str(weights.treatment.name)
    keep = weights.weights.notna().to_numpy()
    d = data.loc[keep].assign(
        **{treatment: weights.treatment[keep], "_ps_weight": weights.weights[keep]}
    )
    fit = cox(d, treatment, duration, event, weights="_ps_weight", robust=True, **cox_kwargs)
    return _build(
        "weighting", fit, treatment, weights.balance(data, covariates), rare, weights.excluded
    )
