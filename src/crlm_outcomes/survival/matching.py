"""Propensity-score matching: greedy nearest-neighbour matching on the logit of the propensity.

:func:`match_propensity` pairs each treated patient with its ``ratio`` nearest controls on the
logit of the propensity score, the distance recommended by Austin (2011) and Rosenbaum & Rubin
(1985), greedily in a chosen order of the treated (largest propensity first, smallest first, a
seeded random order, or data order), with or without replacement, within a caliper expressed in
standard deviations of the logit, and optionally exactly on chosen variables. The algorithm is
MatchIt's ``method = "nearest"`` (Ho, Imai, King & Stuart 2011; MatchIt 4.5.1 ``nn_matchC``):

* without replacement, matching proceeds in ``ratio`` rounds; in each round every treated unit,
  in the chosen order, takes the closest still unused control (first in data order on ties)
  among those in its exact stratum and within the caliper;
* distances that differ by less than 1e-10 (relative to the largest logit, at least 1) are ties,
  broken by data order, and so are propensity scores in the ``largest``/``smallest`` orders:
  two controls at exactly the same distance from a treated patient (ages 63.9 and 64.5 around
  64.2 on a linear logit) otherwise go to whichever the last bit of the model fit favours, and
  the same seed would give different pairs with another numpy or BLAS;
* with replacement, each treated unit takes its ``ratio`` closest controls in one pass;
* the weights are MatchIt's ATT weights: 1 for a matched treated unit, and for a control the sum
  over the treated units it is matched to of ``1 / (number of controls of that treated unit)``,
  rescaled so that the control weights sum to the number of matched controls;
* the caliper is ``caliper * sd(logit e)`` with the standard deviation over every unit with a
  propensity score (R's ``sd``, denominator n - 1), as MatchIt's ``std.caliper = TRUE``.

The matched sets equal MatchIt's for the same propensity score and settings
(``tests/reference/matching.R``; the random order is seeded with numpy, not R's RNG).
Balance before and after matching reuses :func:`crlm_outcomes.survival.weighting.balance_table`
with the matching weights (SMD on the unweighted pooled SD of the full sample, as cobalt), and the
Love plot of :mod:`crlm_outcomes.plots.balance`. The matched Cox model
(:meth:`MatchedData.cox`) uses the matching weights and the robust variance clustered on the
matched set (Austin 2014), or on the patient when controls are reused.

References
----------
Austin PC. Optimal caliper widths for propensity-score matching when estimating differences in
means and differences in proportions in observational studies. *Pharm Stat* 2011;10:150–161.
Austin PC. The use of propensity score methods with survival or time-to-event outcomes: reporting
measures of effect similar to those used in randomized experiments. *Stat Med*
2014;33:1242–1258.
Ho DE, Imai K, King G, Stuart EA. MatchIt: nonparametric preprocessing for parametric causal
inference. *J Stat Softw* 2011;42(8):1–28.
Rosenbaum PR, Rubin DB. Constructing a control group using multivariate matched sampling methods
that incorporate the propensity score. *Am Stat* 1985;39:33–38.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes._display import frames_html
from crlm_outcomes._result import Result
from crlm_outcomes.errors import EstimationError, InputError, SpecError
from crlm_outcomes.survival._inputs import as_column_list
from crlm_outcomes.survival.weighting import (
    BalanceTable,
    PropensityWeights,
    balance_table,
    propensity_weights,
    treatment_codes,
)

__all__ = ["MatchedData", "match_propensity", "greedy_match"]

_ORDERS = ("largest", "smallest", "random", "data")


def greedy_match(
    distance: np.ndarray,
    treat: np.ndarray,
    *,
    ratio: int = 1,
    replace: bool = False,
    caliper: float | None = None,
    order: str = "largest",
    exact: np.ndarray | None = None,
    seed: int | None = None,
) -> np.ndarray:
    """Greedy nearest-neighbour matching on a scalar distance (MatchIt's ``nn_matchC``).

    Parameters
    ----------
    distance
        Score per unit (the logit of the propensity), no missing values.
    treat
        0/1 per unit.
    ratio
        Controls per treated unit (k in k:1).
    replace
        Controls may be reused.
    caliper
        Largest allowed absolute difference in ``distance`` (already in its units), or ``None``.
    order
        Order in which treated units choose: ``"largest"`` / ``"smallest"`` distance first,
        ``"random"`` (with ``seed``), or ``"data"``.
    exact
        Integer code per unit; a control is eligible only with the treated unit's code.
    seed
        Seed of the random order.

    Returns
    -------
    numpy.ndarray
        Match matrix, one row per treated unit in data order and ``ratio`` columns holding the
        positions of its controls (-1 where unmatched).

    Examples
    --------
    >>> greedy_match(np.array([0.0, 1.0, 0.1, 0.9]), np.array([1, 1, 0, 0]))
    array([[2],
           [3]])
    """
    d = np.asarray(distance, dtype=np.float64)
    t = np.asarray(treat).astype(bool)
    ind1 = np.flatnonzero(t)
    ind0 = np.flatnonzero(~t)
    ord_ = _treated_order(d[ind1], order, seed)
    # exact-match keys of the controls and the treated (None: no exact matching)
    ex0, ex1 = (None, None) if exact is None else (np.asarray(exact)[ind0], np.asarray(exact)[ind1])
    mm = np.full((len(ind1), ratio), -1, dtype=np.int64)
    if replace:
        _match_with_replacement(mm, d[ind1], d[ind0], ind0, ord_, caliper, ex0, ex1)
    else:
        _match_without_replacement(mm, d[ind1], d[ind0], ind0, ord_, caliper, ex0, ex1)
    return mm


def _tie_keys(x: np.ndarray) -> np.ndarray:
    """``x`` with every value within 1e-10 (relative to ``max(1, max|x|)``) of its sorted
    predecessor set equal to the first of its run, so that sorting or taking the minimum breaks
    floating-point near-ties by position, the same on every platform.

    Examples
    --------
    >>> _tie_keys(np.array([0.3, 0.1 + 0.2, 0.2])).tolist()
    [0.3, 0.3, 0.2]
    """
    if len(x) == 0:
        return x
    tol = 1e-10 * max(1.0, float(np.max(np.abs(x))))
    order = np.argsort(x, kind="stable")
    xs = x[order]
    new_run = np.r_[True, np.diff(xs) > tol]
    out = np.empty_like(xs)
    out[order] = xs[new_run][np.cumsum(new_run) - 1]
    return out


def _treated_order(d1: np.ndarray, order: str, seed: int | None) -> np.ndarray:
    """Positions of the treated units in the order in which they choose their controls."""
    if order == "largest":
        return np.argsort(-_tie_keys(d1), kind="stable")
    if order == "smallest":
        return np.argsort(_tie_keys(d1), kind="stable")
    if order == "random":
        return np.random.default_rng(seed).permutation(len(d1))
    return np.arange(len(d1))


def _match_with_replacement(
    mm: np.ndarray,
    d1: np.ndarray,
    d0: np.ndarray,
    ind0: np.ndarray,
    ord_: np.ndarray,
    caliper: float | None,
    ex0: np.ndarray | None,
    ex1: np.ndarray | None,
) -> None:
    """Fill the match matrix ``mm`` in place: each treated unit (``d1``) takes its ``ratio``
    closest eligible controls (``d0``, positions ``ind0``) in one pass, first in data order on
    ties."""
    ratio = mm.shape[1]
    for ti in ord_:
        ok = np.ones(len(ind0), dtype=bool) if ex0 is None or ex1 is None else ex0 == ex1[ti]
        diff = np.abs(d0 - d1[ti])
        if caliper is not None:
            ok &= diff <= caliper
        cand = np.flatnonzero(ok)
        if len(cand) == 0:
            continue
        if len(cand) > ratio:
            cand = cand[np.argsort(_tie_keys(diff[cand]), kind="stable")[:ratio]]
        mm[ti, : len(cand)] = ind0[cand]


def _match_without_replacement(
    mm: np.ndarray,
    d1: np.ndarray,
    d0: np.ndarray,
    ind0: np.ndarray,
    ord_: np.ndarray,
    caliper: float | None,
    ex0: np.ndarray | None,
    ex1: np.ndarray | None,
) -> None:
    """Fill the match matrix ``mm`` in place in ``ratio`` rounds: in each round every treated
    unit, in order, takes the closest still unused eligible control (first in data order on
    ties)."""
    used = np.zeros(len(ind0), dtype=bool)
    for r in range(mm.shape[1]):
        for ti in ord_:
            if used.all():
                break
            ok = ~used
            if r > 0:
                prior = mm[ti, :r]
                ok &= ~np.isin(ind0, prior[prior >= 0])
            if ex0 is not None and ex1 is not None:
                ok &= ex0 == ex1[ti]
            if not ok.any():
                continue
            diff = np.abs(d0 - d1[ti])
            if caliper is not None:
                ok &= diff <= caliper
            cand = np.flatnonzero(ok)
            if len(cand) == 0:
                continue
            best = cand[int(np.argmin(_tie_keys(diff[cand])))]
            mm[ti, r] = ind0[best]
            used[best] = True


def _weights_from_matrix(mm: np.ndarray, treat: np.ndarray) -> np.ndarray:
    """MatchIt's ATT matching weights (``weights.matrix``) from a match matrix."""
    n = len(treat)
    w = np.zeros(n)
    ind1 = np.flatnonzero(treat)
    for row, ti in zip(mm, ind1, strict=True):
        ctrl = row[row >= 0]
        if len(ctrl) == 0:
            continue
        w[ti] += 1.0
        w[ctrl] += 1.0 / len(ctrl)
    c = ~treat.astype(bool) & (w > 0)
    if c.any():
        w[c] *= c.sum() / w[c].sum()
    return w


@dataclass(frozen=True, eq=False, repr=False)
class MatchedData(Result):
    """The result of propensity-score matching.

    Attributes
    ----------
    table
        One row per arm: arm, n_all, n_matched, n_unmatched (and for controls the effective
        number ``sum(w)^2 / sum(w^2)``), as MatchIt's ``summary(m)$nn``.
    data
        The matched rows of the input (original index and columns) plus ``pair`` (matched-set
        id; the treated unit's set, ``NaN`` with replacement), ``weights`` (matching weights) and
        ``distance`` (logit of the propensity); ``_treat01`` (treatment coded 0/1) and
        ``_unit`` (position of the patient, the cluster with replacement) are for
        :meth:`cox`.
    pairs
        One row per treated–control link: pair, treated (index label), control (index label),
        slot (1..ratio), difference (absolute difference of the logits).
    propensity, distance
        Series aligned to the input index (NaN where not estimable).
    weights
        Matching weights aligned to the input index (0 unmatched, NaN not matchable).
    balance
        :class:`~crlm_outcomes.survival.weighting.BalanceTable`, before (all units with a
        score) and after (matching weights).
    caliper
        Absolute caliper on the logit scale, or ``None``.
    settings
        ratio, replace, caliper_sd, order, exact, seed, treatment.
    excluded
        Rows without a propensity score (missing treatment or covariates) and treated units
        left unmatched (reason says which).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [1, 1, 0, 0, 0], "ps": [0.8, 0.3, 0.7, 0.35, 0.1],
    ...                   "age": [70, 50, 68, 52, 40]})
    >>> m = match_propensity(d, "t", propensity="ps", balance_covariates=["age"])
    >>> m
    <MatchedData 1:1, replace=False, treated matched 2/2, controls 2>
    >>> print(m.table.to_string(index=False))
        arm  n_all  n_matched  n_unmatched  effective_n
    treated      2          2            0          2.0
    control      3          2            1          2.0
    >>> m.data[["pair", "weights"]].values.tolist()
    [[1.0, 1.0], [2.0, 1.0], [1.0, 1.0], [2.0, 1.0]]
    >>> round(m.balance.max_abs_smd(weighted=False), 3), round(m.balance.max_abs_smd(), 3)
    (0.473, 0.0)
    """

    table: pd.DataFrame
    data: pd.DataFrame = field(repr=False)
    pairs: pd.DataFrame = field(repr=False)
    propensity: pd.Series = field(repr=False)
    distance: pd.Series = field(repr=False)
    weights: pd.Series = field(repr=False)
    balance: BalanceTable = field(repr=False)
    caliper: float | None
    settings: dict[str, Any]
    excluded: pd.DataFrame = field(repr=False)

    def __repr__(self) -> str:
        t = self.table.set_index("arm")
        return (
            f"<MatchedData {self.settings['ratio']}:1, replace={self.settings['replace']}, "
            f"treated matched {int(t.loc['treated', 'n_matched'])}/"
            f"{int(t.loc['treated', 'n_all'])}, controls {int(t.loc['control', 'n_matched'])}>"
        )

    def summary(self) -> str:
        """Counts, settings and the largest absolute SMD before and after matching.

        Returns
        -------
        str
            A line with the matching settings (ratio, replacement, order, caliper, exact
            variables), the patients per arm (all, matched, unmatched, effective number) and
            the largest absolute standardised mean difference before and after matching.

        Examples
        --------
        >>> from crlm_outcomes.datasets import synthetic_cohort
        >>> from crlm_outcomes.survival import match_propensity
        >>> d = synthetic_cohort(200, seed=1).data.dropna(subset=["neoadjuvant_chemo"])
        >>> matched = match_propensity(d, "neoadjuvant_chemo", "age_at_diagnosis + sex", seed=1)
        >>> print(matched.summary())
        Nearest-neighbour matching on the logit of the propensity score (1:1, without ...)
            arm  n_all  n_matched  n_unmatched  effective_n
        treated     75         75            0           75
        control    119         75           44           75
        max |SMD| before 0.153, after 0.081
        """
        s = self.settings
        cal = (
            "none"
            if self.caliper is None
            else f"{s['caliper_sd']:g} SD of the logit = {self.caliper:.4g}"
        )
        lines = [
            f"Nearest-neighbour matching on the logit of the propensity score "
            f"({s['ratio']}:1, {'with' if s['replace'] else 'without'} replacement, "
            f"order {s['order']}, caliper {cal}"
            + (f", exact on {', '.join(s['exact'])}" if s["exact"] else "")
            + ")",
            self.table.to_string(index=False, float_format=lambda v: f"{v:.4g}"),
        ]
        if len(self.balance.table):
            lines.append(
                f"max |SMD| before {self.balance.max_abs_smd(weighted=False):.3f}, "
                f"after {self.balance.max_abs_smd(weighted=True):.3f}"
            )
        else:
            lines.append("no balance covariates given")
        return "\n".join(lines)

    def plot(self, ax=None, *, threshold: float = 0.1, labels=None):
        """Love plot of absolute SMDs before and after matching (``labels=`` names covariates
        and levels, see :func:`crlm_outcomes.plots.balance.plot_balance`).

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
            One row per covariate (level), first at the top, with the absolute standardised
            mean difference before and after matching (legend "Before matching", "After
            matching").

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from crlm_outcomes.datasets import synthetic_cohort
        >>> from crlm_outcomes.survival import match_propensity
        >>> d = synthetic_cohort(200, seed=1).data.dropna(subset=["neoadjuvant_chemo"])
        >>> matched = match_propensity(d, "neoadjuvant_chemo", "age_at_diagnosis + sex", seed=1)
        >>> ax = matched.plot(labels={"age_at_diagnosis": "Age"})
        >>> [t.get_text() for t in ax.get_yticklabels()]
        ['Age', 'Sex: Female', 'Sex: Male']
        >>> [t.get_text() for t in ax.get_legend().get_texts()]
        ['Before matching', 'After matching']
        >>> plt.close(ax.figure)
        """
        from crlm_outcomes.plots.balance import plot_balance

        return plot_balance(
            self.balance,
            ax=ax,
            threshold=threshold,
            labels=labels,
            legend=("Before matching", "After matching"),
        )

    def _repr_html_(self) -> str:
        return frames_html(
            repr(self),
            {"Sample sizes": self.table, "Balance": self.balance.table},
            notes={**{k: v for k, v in self.settings.items()}, "excluded rows": self.n_excluded},
        )

    def cox(self, duration: str, event: str, formula: str | None = None, **kwargs: Any):
        """Cox model in the matched data with the matching weights and the robust variance
        clustered on the matched set (on the patient when controls are reused).

        Parameters
        ----------
        duration, event
            Outcome columns of the matched data.
        formula
            Right-hand side; default the treatment alone.
        **kwargs
            Passed to :func:`crlm_outcomes.survival.cox.cox` (e.g. ``ties``).

        Returns
        -------
        CoxResult
            ``hr`` of the treatment (coded 0/1) is the hazard ratio in the matched sample;
            ``robust_std_error`` is the clustered standard error its interval uses.

        Examples
        --------
        >>> from crlm_outcomes.datasets import synthetic_cohort
        >>> from crlm_outcomes.survival import match_propensity
        >>> d = synthetic_cohort(200, seed=1).data.dropna(subset=["neoadjuvant_chemo"])
        >>> matched = match_propensity(d, "neoadjuvant_chemo", "age_at_diagnosis + sex", seed=1)
        >>> fit = matched.cox("os_months", "os_event")
        >>> fit.table[["term", "hr", "lower", "upper"]].round(3).to_dict("records")
        [{'term': 'neoadjuvant_chemo', 'hr': 0.478, 'lower': 0.325, 'upper': 0.703}]
        >>> fit.n, fit.n_event  # matched patients and their deaths
        (150, 109)
        """
        from crlm_outcomes.survival.cox import cox

        treatment = self.settings["treatment"]
        d = self.data.assign(**{treatment: self.data["_treat01"]})
        cluster = "_unit" if self.settings["replace"] else "pair"
        return cox(
            d, formula or treatment, duration, event, weights="weights", cluster=cluster, **kwargs
        )


def match_propensity(
    data: pd.DataFrame,
    treatment: str,
    formula: str | None = None,
    *,
    propensity: PropensityWeights | pd.Series | str | None = None,
    ratio: int = 1,
    replace: bool = False,
    caliper: float | None = None,
    order: str = "largest",
    exact: str | Sequence[str] | None = None,
    seed: int | None = None,
    treated: Hashable | None = None,
    balance_covariates: Sequence[str] | None = None,
) -> MatchedData:
    """Match treated patients to controls on the logit of the propensity score.

    Parameters
    ----------
    data
        One row per patient (a DataFrame or a :class:`~crlm_outcomes.io.Cohort`).
    treatment
        Treatment column: 0/1 or bool, or two values with ``treated=``.
    formula
        Right-hand side of the logistic propensity model (as
        :func:`~crlm_outcomes.survival.weighting.propensity_weights`); not needed when
        ``propensity`` is given.
    propensity
        A fitted :class:`PropensityWeights`, a Series of scores aligned to ``data``, or the name
        of a column holding them.
    ratio
        Number of controls per treated patient.
    replace
        Match with replacement.
    caliper
        Caliper in standard deviations of the logit of the propensity (0.2 is Austin's 2011
        recommendation), or ``None``.
    order
        ``"largest"`` (MatchIt's default for ATT), ``"smallest"``, ``"random"`` (seeded by
        ``seed``) or ``"data"``.
    exact
        Column(s) on which treated and controls must agree exactly.
    seed
        Seed for ``order="random"``.
    treated
        Value of ``treatment`` meaning treated, when not 0/1.
    balance_covariates
        Covariates of the balance table; default the propensity formula's variables.

    Returns
    -------
    MatchedData

    Raises
    ------
    SpecError
        Bad settings (ratio < 1, negative caliper, unknown order, nothing to match on).
    InputError
        Unknown columns, treatment not binary, scores outside (0, 1).
    EstimationError
        No treated unit could be matched.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [1, 1, 0, 0, 0], "ps": [0.8, 0.3, 0.7, 0.35, 0.1],
    ...                   "age": [70, 50, 68, 52, 40]})
    >>> m = match_propensity(d, "t", propensity="ps", balance_covariates=["age"])
    >>> m.pairs[["treated", "control"]].values.tolist()
    [[0, 2], [1, 3]]
    """
    from crlm_outcomes.io.cohort import Cohort

    if isinstance(data, Cohort):
        data = data.data
    exact_cols = as_column_list(exact)
    _check_match_settings(data, ratio, caliper, order, exact_cols)
    tr = treatment_codes(data, treatment, treated)
    ps = _propensity_scores(data, treatment, formula, propensity, treated)
    usable = ps.notna() & tr.notna()
    for c in exact_cols:
        usable &= data[c].notna()
    excluded_rows: list[tuple[Any, str, Any, str]] = [
        (
            i,
            "propensity/treatment/exact",
            None,
            "no propensity score, treatment or exact-matching value",
        )
        for i in data.index[~usable.to_numpy()]
    ]
    idx = data.index[usable.to_numpy()]
    t = tr[usable].to_numpy().astype(np.int64)
    if t.sum() == 0 or (1 - t).sum() == 0:
        raise EstimationError("matching needs treated and control patients with a score")
    logit = np.log(ps[usable].to_numpy() / (1 - ps[usable].to_numpy()))
    cal_abs = None if caliper is None else float(caliper * np.std(logit, ddof=1))
    mm = greedy_match(
        logit,
        t,
        ratio=int(ratio),
        replace=replace,
        caliper=cal_abs,
        order=order,
        exact=_exact_codes(data.loc[idx], exact_cols),
        seed=seed,
    )
    w_used = _weights_from_matrix(mm, t)
    if not (w_used[t == 1] > 0).any():
        raise EstimationError(
            "no treated patient could be matched (caliper or exact matching too strict?)"
        )
    pairs, pair_of, unmatched = _link_pairs(mm, t, idx, logit, replace)
    excluded_rows += [(i, treatment, None, "treated patient without a match") for i in unmatched]
    if balance_covariates is None:
        balance_covariates = _formula_covariates(formula, data, treatment)
    balance = balance_table(
        data.loc[idx],
        pd.Series(t, index=idx, dtype=np.float64),
        list(balance_covariates),
        weights=pd.Series(w_used, index=idx),
    )
    settings = {
        "treatment": treatment,
        "ratio": int(ratio),
        "replace": bool(replace),
        "caliper_sd": caliper,
        "order": order,
        "exact": exact_cols,
        "seed": seed,
    }
    return MatchedData(
        table=_arm_counts(t, w_used),
        data=_matched_rows(data, idx, t, w_used, logit, pair_of),
        pairs=pairs,
        propensity=ps.where(usable).rename("propensity"),
        distance=_on_index(logit, idx, data.index, "distance"),
        weights=_on_index(w_used, idx, data.index, "weights"),
        balance=balance,
        caliper=cal_abs,
        settings=settings,
        excluded=pd.DataFrame(excluded_rows, columns=["index", "column", "value", "reason"]),
    )


def _check_match_settings(
    data: pd.DataFrame, ratio: Any, caliper: float | None, order: str, exact_cols: list[str]
) -> None:
    """SpecError for a bad ratio, caliper or order; InputError for an unknown exact column."""
    if not isinstance(ratio, (int, np.integer)) or ratio < 1:
        raise SpecError(
            "ratio must be a whole number >= 1",
            column="ratio",
            value=ratio,
            expected="1, 2, 3, ...",
        )
    if caliper is not None and not caliper > 0:
        raise SpecError(
            "caliper must be positive (in SDs of the logit of the propensity)",
            column="caliper",
            value=caliper,
            expected="e.g. 0.2",
        )
    if order not in _ORDERS:
        raise SpecError(
            "unknown matching order",
            column="order",
            value=order,
            expected=" or ".join(map(repr, _ORDERS)),
        )
    for c in exact_cols:
        if c not in data.columns:
            raise InputError(
                "exact-matching column not found", column=c, expected="a column of the data"
            )


def _propensity_scores(
    data: pd.DataFrame,
    treatment: str,
    formula: str | None,
    propensity: PropensityWeights | pd.Series | str | None,
    treated: Hashable | None,
) -> pd.Series:
    """Propensity scores aligned to ``data`` (NaN where missing): fitted from ``formula``, taken
    from a fit, a Series or a column; InputError for scores outside (0, 1)."""
    if propensity is None:
        if formula is None:
            raise SpecError(
                "give the propensity model formula or the propensity scores",
                column="formula",
                value=None,
                expected="formula='age + C(stage)' or propensity=...",
            )
        propensity = propensity_weights(data, treatment, formula, estimand="ATT", treated=treated)
    if isinstance(propensity, PropensityWeights):
        ps = propensity.propensity.reindex(data.index).astype(np.float64)
    elif isinstance(propensity, str):
        if propensity not in data.columns:
            raise InputError(
                "propensity column not found", column=propensity, expected="a column of the data"
            )
        ps = pd.to_numeric(data[propensity], errors="coerce").astype(np.float64)
    else:
        ps = pd.Series(propensity).reindex(data.index).astype(np.float64)
    bad = ps.notna() & ~((ps > 0) & (ps < 1))
    if bad.any():
        raise InputError(
            "propensity scores must lie strictly between 0 and 1",
            column=str(ps.name) if ps.name is not None else "propensity",
            value=float(ps[bad].iloc[0]),
            expected="0 < e < 1",
        )
    return ps


def _exact_codes(rows: pd.DataFrame, exact_cols: list[str]) -> np.ndarray | None:
    """One integer code per row for its combination of the exact-matching columns (None when
    there are none)."""
    if not exact_cols:
        return None
    codes = pd.MultiIndex.from_frame(rows[exact_cols].astype(str)).codes
    if len(exact_cols) > 1:
        return np.ravel_multi_index(codes, [int(c.max()) + 1 for c in codes])
    return np.asarray(codes[0])


def _link_pairs(
    mm: np.ndarray, t: np.ndarray, idx: pd.Index, logit: np.ndarray, replace: bool
) -> tuple[pd.DataFrame, np.ndarray, list[Any]]:
    """The treated–control links of the match matrix (pair, treated, control, slot,
    difference), the matched-set number per unit (NaN with replacement or unmatched), and the
    index labels of the treated units left unmatched."""
    link = []
    unmatched = []
    pair_of = np.full(len(t), np.nan)
    pair_no = 0
    for row, ti in zip(mm, np.flatnonzero(t == 1), strict=True):
        ctrl = row[row >= 0]
        if len(ctrl) == 0:
            unmatched.append(idx[ti])
            continue
        pair_no += 1
        if not replace:
            pair_of[ti] = pair_no
            pair_of[ctrl] = pair_no
        for slot, c in enumerate(row, start=1):
            if c >= 0:
                link.append((pair_no, idx[ti], idx[c], slot, abs(logit[ti] - logit[c])))
    pairs = pd.DataFrame(link, columns=["pair", "treated", "control", "slot", "difference"])
    return pairs, pair_of, unmatched


def _matched_rows(
    data: pd.DataFrame,
    idx: pd.Index,
    t: np.ndarray,
    w_used: np.ndarray,
    logit: np.ndarray,
    pair_of: np.ndarray,
) -> pd.DataFrame:
    """The matched rows of ``data`` (labels ``idx`` with a positive weight) with their matched
    set, weight, distance, 0/1 treatment and position (the columns :meth:`MatchedData.cox`
    uses)."""
    matched = w_used > 0
    out = data.loc[idx[matched]].copy()
    out["pair"] = pair_of[matched]
    out["weights"] = w_used[matched]
    out["distance"] = logit[matched]
    out["_treat01"] = t[matched]
    out["_unit"] = np.arange(len(t))[matched]
    return out


def _arm_counts(t: np.ndarray, w_used: np.ndarray) -> pd.DataFrame:
    """Per arm: all, matched and unmatched units and the effective number (Kish's for the
    weighted controls), as MatchIt's ``summary(m)$nn``."""
    matched = w_used > 0
    wc = w_used[(t == 0) & matched]
    return pd.DataFrame(
        {
            "arm": ["treated", "control"],
            "n_all": [int(t.sum()), int((1 - t).sum())],
            "n_matched": [int(((t == 1) & matched).sum()), int(((t == 0) & matched).sum())],
            "n_unmatched": [int(((t == 1) & ~matched).sum()), int(((t == 0) & ~matched).sum())],
            "effective_n": [
                float(((t == 1) & matched).sum()),
                float(wc.sum() ** 2 / np.sum(wc**2)) if len(wc) else 0.0,
            ],
        }
    )


def _on_index(values: np.ndarray, idx: pd.Index, index: pd.Index, name: str) -> pd.Series:
    """``values`` (one per row of ``idx``) as a Series on the full ``index``, NaN elsewhere."""
    out = pd.Series(np.nan, index=index, name=name)
    out.loc[idx] = values
    return out


def _formula_covariates(formula: str | None, data: pd.DataFrame, treatment: str) -> list[str]:
    """The propensity formula's variables other than the treatment (none without a formula)."""
    from crlm_outcomes.formula import formula_variables

    return [v for v in formula_variables(formula, data) if v != treatment] if formula else []
