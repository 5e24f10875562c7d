"""Log-rank family of tests agreeing with R's ``survdiff`` (survival 3.5-3).

* :func:`logrank` - the G-rho family of Harrington & Fleming (1982): rho = 0 is the log-rank
  (Mantel-Haenszel) test, rho = 1 the Peto & Peto modification of the Gehan-Wilcoxon test,
  optionally stratified; observed, expected and the variance matrix exactly as ``survdiff``.
* :func:`logrank_trend` - the test for trend across ordered groups, ``(c'(O-E))^2 / c'Vc`` on
  one degree of freedom (Collett, Modelling Survival Data in Medical Research, 3rd ed.,
  section 2.6.4), from ``survdiff``'s O-E vector and variance matrix.
* :func:`pairwise_logrank` - every pair of groups with ``survdiff`` on the two groups' rows and
  R's ``p.adjust`` (the rule of ``survminer::pairwise_survdiff``).

Why not lifelines or statsmodels: lifelines has no stratified or G-rho test matching
``survdiff`` (its Fleming-Harrington weights differ), statsmodels' ``survdiff`` has no G-rho
weights on the left-continuous pooled Kaplan-Meier as R uses, and both loop over rows or times
in Python. Here everything comes from the per ``(stratum, group, time)`` counts of
:mod:`crlm_outcomes.survival._counts`.

``survdiff`` takes no case weights, so neither do these functions: there is no R reference for
a weighted log-rank test.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from crlm_outcomes._result import Result
from crlm_outcomes.errors import SpecError, SurvivalDataError
from crlm_outcomes.survival._counts import (
    count_table,
    pool_cells,
    segment_starts,
    segmented_cumprod,
    time_grid,
)
from crlm_outcomes.survival._inputs import SurvivalInput, survival_input

if TYPE_CHECKING:
    import matplotlib.pyplot as plt

__all__ = [
    "logrank",
    "logrank_from_input",
    "logrank_trend",
    "pairwise_logrank",
    "p_adjust",
    "LogRankResult",
    "LogRankTrendResult",
    "PairwiseLogRankResult",
    "P_ADJUST_METHODS",
]

# R's p.adjust names -> statsmodels.stats.multitest.multipletests names (same algorithms)
P_ADJUST_METHODS = {
    "holm": "holm",
    "hochberg": "simes-hochberg",
    "hommel": "hommel",
    "bonferroni": "bonferroni",
    "BH": "fdr_bh",
    "fdr": "fdr_bh",
    "BY": "fdr_by",
    "none": None,
}


def p_adjust(p: Sequence[float] | np.ndarray, method: str = "holm") -> np.ndarray:
    """Adjusted p-values as R's ``p.adjust(p, method)`` (NaN kept in place).

    Computed by statsmodels' ``multipletests`` (Holm 1979; Hochberg 1988; Hommel 1988;
    Benjamini & Hochberg 1995; Benjamini & Yekutieli 2001).

    Parameters
    ----------
    p
        The p-values.
    method
        ``"holm"`` (default), ``"hochberg"``, ``"hommel"``, ``"bonferroni"``, ``"BH"``
        (``"fdr"``), ``"BY"`` or ``"none"``.

    Returns
    -------
    numpy.ndarray
        The adjusted p-values, in the order of ``p``.

    Examples
    --------
    >>> [round(float(v), 3) for v in p_adjust([0.01, 0.04, 0.03])]  # Holm
    [0.03, 0.06, 0.06]
    >>> [round(float(v), 3) for v in p_adjust([0.01, 0.04, 0.03], method="BH")]
    [0.03, 0.04, 0.04]
    """
    if method not in P_ADJUST_METHODS:
        raise SpecError(
            "unknown p-value adjustment method",
            value=method,
            expected=f"one of {', '.join(P_ADJUST_METHODS)}",
        )
    p = np.asarray(p, dtype=np.float64)
    out = p.copy()
    ok = ~np.isnan(p)
    name = P_ADJUST_METHODS[method]
    if name is not None and ok.any():
        out[ok] = multipletests(p[ok], method=name)[1]
    return out


_adjust = p_adjust  # the name p_adjust is also an argument of pairwise_logrank


# --------------------------------------------------------------------------------------------
# survdiff core
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Survdiff:
    observed: np.ndarray  # (groups,) summed over strata
    expected: np.ndarray
    var: np.ndarray  # (groups, groups)
    n: np.ndarray


def _survdiff(
    time: np.ndarray,
    event: np.ndarray,
    group: np.ndarray,
    n_groups: int,
    strata: np.ndarray | None,
    rho: float,
    freq: np.ndarray | None = None,
) -> _Survdiff:
    """R ``survdiff.fit`` (C routine ``survdiff2``) on per-time counts.

    ``freq``: the number of identical rows each row stands for (aggregated lines); ``None`` = 1.
    """
    n_strata = 1 if strata is None else int(strata.max()) + 1
    s_code = np.zeros(len(time), dtype=np.int64) if strata is None else strata
    grid = time_grid(time)
    died = event == 1
    cells = count_table(grid, died, s_code * n_groups + group, n_strata * n_groups, freq)
    pooled = pool_cells(cells, cells.cell // n_groups, n_strata)
    # G-rho weight: pooled Kaplan-Meier just before each time, within the stratum
    bounds = segment_starts(pooled.cell)
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(pooled.n_event > 0, 1.0 - pooled.n_event / pooled.n_risk, 1.0)
    km = segmented_cumprod(step, bounds)
    km_before = np.concatenate(([1.0], km[:-1]))
    km_before[bounds[:-1]] = 1.0
    death = pooled.n_event > 0
    s_l, code_l = pooled.cell[death], pooled.code[death]
    big_n, big_d = pooled.n_risk[death], pooled.n_event[death]
    wt = np.ones(len(big_n)) if rho == 0 else km_before[death] ** rho
    # per-group numbers at risk and deaths at each death time: (lines x groups)
    g_idx = np.arange(n_groups)
    cell_q = (s_l[:, None] * n_groups + g_idx[None, :]).ravel()
    code_q = np.repeat(code_l, n_groups)
    risk = cells.at_risk(cell_q, code_q).reshape(-1, n_groups)
    size = len(cells.grid)
    keys = cells.cell * size + cells.code
    query = cell_q * size + code_q
    pos = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
    deaths = np.where(keys[pos] == query, cells.n_event[pos], 0.0).reshape(-1, n_groups)
    observed = (wt[:, None] * deaths).sum(axis=0)
    expected = (wt[:, None] * big_d[:, None] * risk / big_n[:, None]).sum(axis=0)
    multi = big_n > 1
    kt = np.zeros_like(big_n)
    kt[multi] = (
        wt[multi] ** 2
        * big_d[multi]
        * (big_n[multi] - big_d[multi])
        / (big_n[multi] * (big_n[multi] - 1))
    )
    var = np.diag(kt @ risk) - (risk * (kt / big_n)[:, None]).T @ risk
    return _Survdiff(
        observed=observed,
        expected=expected,
        var=var,
        n=np.bincount(group, weights=freq, minlength=n_groups).astype(np.int64),
    )


def _chisq(sd: _Survdiff) -> tuple[float, int]:
    """``survdiff``'s statistic: drop groups with E = 0 and the first remaining group."""
    use = np.flatnonzero(sd.expected > 0)
    df = len(use) - 1
    if len(use) < 2:
        return 0.0, df
    keep = use[1:]
    oe = (sd.observed - sd.expected)[keep]
    vv = sd.var[np.ix_(keep, keep)]
    return float(oe @ np.linalg.solve(vv, oe)), df


def _inputs(
    data: pd.DataFrame,
    duration: str,
    event: str,
    by: str | Sequence[str],
    strata: str | Sequence[str] | None,
) -> SurvivalInput:
    if by is None:
        raise SpecError(
            "the log-rank test needs groups to compare", column=None, expected="by='<group column>'"
        )
    si = survival_input(data, duration, event, by=by, strata=strata)
    if len(si.group_labels) < 2:
        raise SurvivalDataError(
            "the log-rank test needs at least two groups; all rows are in one group",
            column=str(by),
            value=si.group_labels[0],
            expected="two or more distinct values",
        )
    return si


def _check_rho(rho: float) -> float:
    rho = float(rho)
    if not np.isfinite(rho):
        raise SpecError("rho must be a finite number", value=rho, expected="e.g. 0, 0.5 or 1")
    return rho


# --------------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False, repr=False)
class LogRankResult(Result):
    """G-rho test (``survdiff``): statistic, df, p and the observed / expected table.

    Attributes
    ----------
    statistic, df, p
        Chi-square statistic, degrees of freedom (groups with E > 0 minus one) and p-value.
    table
        group, n, observed, expected, oe2_e = (O-E)^2/E, oe2_v = (O-E)^2/V, as ``survdiff``
        prints (summed over strata).
    variance
        The variance matrix of O - E (groups x groups).
    rho
        0 = log-rank, 1 = Peto & Peto.
    strata
        Labels of the strata, or ``None``.
    excluded
        Rows excluded for missing values (index, column, value, reason).

    Examples
    --------
    >>> from crlm_outcomes import logrank
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> lr = logrank(synthetic_cohort(200, seed=1), "os_months", "os_event", by="sex")
    >>> round(float(lr.statistic), 3), int(lr.df), round(float(lr.p), 3)
    (0.053, 1, 0.818)
    >>> lr.table[["group", "n", "observed", "expected"]].round(2).to_dict("records")
    [{'group': 'female', 'n': 81, 'observed': 58.0, 'expected': 56.65}, {'group': 'male', 'n': 119, 'observed': 85.0, 'expected': 86.35}]
    """

    statistic: float
    df: int
    p: float
    table: pd.DataFrame
    variance: pd.DataFrame
    rho: float
    strata: list[Hashable] | None
    excluded: pd.DataFrame = field(repr=False)

    _title = "Log-rank test"

    @property
    def method(self) -> str:
        """Name of the test."""
        name = {0.0: "log-rank", 1.0: "Peto & Peto"}.get(self.rho, f"G-rho, rho = {self.rho:g}")
        return name + (" (stratified)" if self.strata else "")

    def _repr_fields(self) -> dict[str, object]:
        return {
            "test": self.method,
            "statistic": self.statistic,
            "df": self.df,
            "p": self.p,
            "excluded": self.n_excluded,
        }

    def _display_notes(self) -> dict[str, object]:
        return {
            "test": self.method,
            "chi-square": f"{self.statistic:.4g} on {self.df} df",
            "p": f"{self.p:.4g}",
            "rows excluded": self.n_excluded,
        }

    def summary(self) -> str:
        """The test as R's ``print(survdiff(...))``: N, observed, expected, (O-E)^2/E,
        (O-E)^2/V per group, then the chi-square, its df and p.

        Returns
        -------
        str
            The name of the test, the per-group table and the line with the chi-square, its
            degrees of freedom and the p-value.

        Examples
        --------
        >>> import pandas as pd
        >>> from crlm_outcomes.survival.logrank import logrank
        >>> d = pd.DataFrame({"months": [5.0, 8.0, 12.0, 20.0, 9.0, 15.0, 30.0, 41.0, 25.0, 60.0],
        ...                   "died": [1, 1, 1, 0, 1, 1, 0, 1, 1, 0],
        ...                   "tumours": ["4+", "4+", "4+", "4+", "2-3", "2-3", "2-3", "1", "1", "1"]})
        >>> print(logrank(d, "months", "died", by="tumours").summary())
        log-rank
        group  N  Observed  Expected  (O-E)^2/E  (O-E)^2/V
            1  3         2     3.687     0.7718      2.109
          2-3  3         2     1.877   0.008009    0.01174
           4+  4         3     1.436      1.704      2.465
        <BLANKLINE>
         Chisq= 3.144  on 2 degrees of freedom, p= 0.208
        """
        shown = self.table.rename(
            columns={
                "n": "N",
                "observed": "Observed",
                "expected": "Expected",
                "oe2_e": "(O-E)^2/E",
                "oe2_v": "(O-E)^2/V",
            }
        )
        text = shown.to_string(index=False, float_format=lambda v: f"{v:.4g}", na_rep="NA")
        return (
            f"{self.method}\n{text}\n\n Chisq= {self.statistic:.4g}  on {self.df} degrees "
            f"of freedom, p= {self.p:.3g}"
        )

    def plot(self, ax: plt.Axes | None = None) -> plt.Axes:
        """Observed and expected events per group (:func:`crlm_outcomes.plots.tests.plot_logrank`).

        Parameters
        ----------
        ax
            Axes to draw on; a new figure when None.

        Returns
        -------
        matplotlib.axes.Axes
            Two bars per group (observed, expected); the title gives chi2, df and p.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt, pandas as pd
        >>> from crlm_outcomes.survival.logrank import logrank
        >>> d = pd.DataFrame({"months": [5.0, 8.0, 12.0, 20.0, 9.0, 15.0, 30.0, 41.0, 25.0, 60.0],
        ...                   "died": [1, 1, 1, 0, 1, 1, 0, 1, 1, 0],
        ...                   "tumours": ["4+", "4+", "4+", "4+", "2-3", "2-3", "2-3", "1", "1", "1"]})
        >>> ax = logrank(d, "months", "died", by="tumours").plot()
        >>> len(ax.patches), ax.get_title()
        (6, 'log-rank: chi2 = 3.14, df = 2, p = 0.208')
        >>> plt.close(ax.figure)
        """
        from crlm_outcomes.plots.tests import plot_logrank

        return plot_logrank(self, ax=ax)


@dataclass(frozen=True, eq=False, repr=False)
class LogRankTrendResult(Result):
    """Test for trend across ordered groups (1 df).

    Attributes
    ----------
    statistic, df, p
        Chi-square statistic on 1 df and its p-value.
    table
        group, score, observed, expected.
    rho
        Weight power, as in :class:`LogRankResult`.
    excluded
        Rows excluded for missing values.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.survival import logrank_trend
    >>> d = pd.DataFrame({"months": [5.0, 8.0, 12.0, 20.0, 9.0, 15.0, 30.0, 41.0, 25.0, 60.0],
    ...                   "died": [1, 1, 1, 0, 1, 1, 0, 1, 1, 0],
    ...                   "tumours": ["4+", "4+", "4+", "4+", "2-3", "2-3", "2-3", "1", "1", "1"]})
    >>> d["tumours"] = pd.Categorical(d["tumours"], categories=["1", "2-3", "4+"], ordered=True)
    >>> tr = logrank_trend(d, "months", "died", by="tumours")
    >>> round(float(tr.statistic), 3), round(float(tr.p), 3)  # more tumours, more deaths
    (3.106, 0.078)
    >>> tr.table.round(2).to_dict("records")
    [{'group': '1', 'score': 1.0, 'observed': 2.0, 'expected': 3.69}, {'group': '2-3', 'score': 2.0, 'observed': 2.0, 'expected': 1.88}, {'group': '4+', 'score': 3.0, 'observed': 3.0, 'expected': 1.44}]
    """

    statistic: float
    df: int
    p: float
    table: pd.DataFrame  # group, score, observed, expected
    rho: float
    excluded: pd.DataFrame = field(repr=False)

    _title = "Log-rank test for trend"

    def _repr_fields(self) -> dict[str, object]:
        return {
            "statistic": self.statistic,
            "df": self.df,
            "p": self.p,
            "excluded": self.n_excluded,
        }

    def _display_notes(self) -> dict[str, object]:
        return {
            "chi-square": f"{self.statistic:.4g} on 1 df",
            "p": f"{self.p:.4g}",
            "rows excluded": self.n_excluded,
        }

    def plot(self, ax: plt.Axes | None = None) -> plt.Axes:
        """O - E against the group scores (:func:`crlm_outcomes.plots.tests.plot_logrank_trend`).

        Parameters
        ----------
        ax
            Axes to draw on; a new figure when None.

        Returns
        -------
        matplotlib.axes.Axes
            A zero line and the O - E points joined by a line, each annotated with its group;
            the title gives the trend chi2 and p.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt, pandas as pd
        >>> from crlm_outcomes.survival.logrank import logrank_trend
        >>> d = pd.DataFrame({"months": [5.0, 8.0, 12.0, 20.0, 9.0, 15.0, 30.0, 41.0, 25.0, 60.0],
        ...                   "died": [1, 1, 1, 0, 1, 1, 0, 1, 1, 0],
        ...                   "tumours": ["4+", "4+", "4+", "4+", "2-3", "2-3", "2-3", "1", "1", "1"]})
        >>> d["tumours"] = pd.Categorical(d["tumours"], categories=["1", "2-3", "4+"], ordered=True)
        >>> ax = logrank_trend(d, "months", "died", by="tumours").plot()
        >>> [t.get_text() for t in ax.texts], ax.get_title()
        (['1', '2-3', '4+'], 'Trend: chi2 = 3.11, p = 0.078')
        >>> ax.get_xlabel(), ax.get_ylabel()
        ('Score', 'Observed - expected events')
        >>> plt.close(ax.figure)
        """
        from crlm_outcomes.plots.tests import plot_logrank_trend

        return plot_logrank_trend(self, ax=ax)


@dataclass(frozen=True, eq=False, repr=False)
class PairwiseLogRankResult(Result):
    """Every pair of groups: group1, group2, statistic, p, p_adjusted.

    Attributes
    ----------
    table
        group1, group2, statistic, p, p_adjusted.
    p_adjust, rho
        Adjustment method and weight power.
    excluded
        Rows excluded for missing values.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.survival import pairwise_logrank
    >>> d = pd.DataFrame({"months": [5.0, 8.0, 12.0, 20.0, 9.0, 15.0, 30.0, 41.0, 25.0, 60.0],
    ...                   "died": [1, 1, 1, 0, 1, 1, 0, 1, 1, 0],
    ...                   "tumours": ["4+", "4+", "4+", "4+", "2-3", "2-3", "2-3", "1", "1", "1"]})
    >>> pw = pairwise_logrank(d, "months", "died", by="tumours")
    >>> pw.p_adjust
    'holm'
    >>> pw.table.round(3).to_dict("records")
    [{'group1': '1', 'group2': '2-3', 'statistic': 1.066, 'p': 0.302, 'p_adjusted': 0.604}, {'group1': '1', 'group2': '4+', 'statistic': 3.179, 'p': 0.075, 'p_adjusted': 0.224}, {'group1': '2-3', 'group2': '4+', 'statistic': 0.4, 'p': 0.527, 'p_adjusted': 0.604}]
    """

    table: pd.DataFrame
    p_adjust: str
    rho: float
    excluded: pd.DataFrame = field(repr=False)

    _title = "Pairwise log-rank tests"

    def _display_notes(self) -> dict[str, object]:
        return {"adjustment": self.p_adjust, "rho": self.rho, "rows excluded": self.n_excluded}

    def matrix(self) -> pd.DataFrame:
        """Adjusted p-values as R's ``pairwise.table`` (lower triangle).

        Returns
        -------
        pandas.DataFrame
            The adjusted p-values with ``group2`` as rows and ``group1`` as columns; NaN above
            the diagonal, as R prints ``pairwise.survdiff``.

        Examples
        --------
        >>> import pandas as pd
        >>> from crlm_outcomes.survival.logrank import pairwise_logrank
        >>> d = pd.DataFrame({"months": [5.0, 8.0, 12.0, 20.0, 9.0, 15.0, 30.0, 41.0, 25.0, 60.0],
        ...                   "died": [1, 1, 1, 0, 1, 1, 0, 1, 1, 0],
        ...                   "tumours": ["4+", "4+", "4+", "4+", "2-3", "2-3", "2-3", "1", "1", "1"]})
        >>> print(pairwise_logrank(d, "months", "died", by="tumours").matrix().round(3))
        group1      1    2-3
        group2
        2-3     0.604    NaN
        4+      0.224  0.604
        """
        return self.table.pivot(index="group2", columns="group1", values="p_adjusted")

    def plot(self, ax: plt.Axes | None = None) -> plt.Axes:
        """Heat map of the adjusted p-values (:func:`crlm_outcomes.plots.tests.plot_pairwise`).

        Parameters
        ----------
        ax
            Axes to draw on; a new figure when None.

        Returns
        -------
        matplotlib.axes.Axes
            The image of :meth:`matrix` with each adjusted p written in its cell.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt, pandas as pd
        >>> from crlm_outcomes.survival.logrank import pairwise_logrank
        >>> d = pd.DataFrame({"months": [5.0, 8.0, 12.0, 20.0, 9.0, 15.0, 30.0, 41.0, 25.0, 60.0],
        ...                   "died": [1, 1, 1, 0, 1, 1, 0, 1, 1, 0],
        ...                   "tumours": ["4+", "4+", "4+", "4+", "2-3", "2-3", "2-3", "1", "1", "1"]})
        >>> ax = pairwise_logrank(d, "months", "died", by="tumours").plot()
        >>> [t.get_text() for t in ax.texts], ax.get_title()
        (['0.604', '0.224', '0.604'], 'Pairwise tests, p adjusted (holm)')
        >>> plt.close(ax.figure)
        """
        from crlm_outcomes.plots.tests import plot_pairwise

        return plot_pairwise(self, ax=ax)


# --------------------------------------------------------------------------------------------
# public functions
# --------------------------------------------------------------------------------------------
def logrank(
    data: pd.DataFrame,
    duration: str,
    event: str,
    by: str | Sequence[str],
    *,
    strata: str | Sequence[str] | None = None,
    rho: float = 0,
) -> LogRankResult:
    """Log-rank / G-rho test of equal survival across groups, as R's ``survdiff``.

    Parameters
    ----------
    data
        One row per subject.
    duration, event
        Time and event indicator (1 = event, 0 = censored) columns.
    by
        Column(s) defining the groups.
    strata
        Column(s) of a stratified test (``+ strata(...)`` in R).
    rho
        Weight ``S(t-)^rho`` on the pooled Kaplan-Meier of the stratum (0 = log-rank,
        1 = Peto & Peto).

    Returns
    -------
    LogRankResult

    Raises
    ------
    SurvivalDataError
        Bad input, or a single group (R: "There is only 1 group").

    References
    ----------
    Harrington DP, Fleming TR (1982) Biometrika 69:553-566. R survival 3.5-3 ``survdiff``.

    Examples
    --------
    >>> from crlm_outcomes import logrank
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> cohort = synthetic_cohort(200, seed=1)
    >>> test = logrank(cohort, "os_months", "os_event", by="sex")
    >>> round(float(test.statistic), 4), test.df, round(float(test.p), 4)
    (0.0531, 1, 0.8177)
    """
    from crlm_outcomes.scale.survival import is_external, logrank_external

    if is_external(data):
        return logrank_external(data, duration, event, by, strata=strata, rho=rho)
    si = _inputs(data, duration, event, by, strata)
    return logrank_from_input(si, rho=rho)


def logrank_from_input(si: SurvivalInput, *, rho: float = 0) -> LogRankResult:
    """The G-rho test on already validated arrays (the functional core of :func:`logrank`).

    Parameters
    ----------
    si
        The validated arrays (:func:`~crlm_outcomes.survival._inputs.survival_input`) with at
        least two groups; with strata, O - E and its variance are summed over the strata.
    rho
        Weight power: 0 (default) the log-rank test, 1 the Peto & Peto test.

    Returns
    -------
    LogRankResult

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.survival._inputs import survival_input
    >>> d = pd.DataFrame({"t": [2.0, 3.0, 5.0, 7.0, 11.0, 13.0, 4.0, 6.0],
    ...                   "e": [1, 0, 1, 1, 0, 1, 1, 1],
    ...                   "arm": ["a", "a", "a", "a", "b", "b", "b", "b"]})
    >>> lr = logrank_from_input(survival_input(d, "t", "e", by="arm"))
    >>> round(float(lr.statistic), 4), int(lr.df), round(float(lr.p), 4)
    (1.2481, 1, 0.2639)
    """
    rho = _check_rho(rho)
    if len(si.group_labels) < 2:
        raise SurvivalDataError(
            "the log-rank test needs at least two groups",
            value=None,
            expected="two or more distinct groups",
        )
    # logrank takes no case weights (R's survdiff has none): weights here are frequencies
    sd = _survdiff(si.time, si.event, si.group, len(si.group_labels), si.strata, rho, si.weights)
    chi, df = _chisq(sd)
    o, e = sd.observed, sd.expected
    with np.errstate(divide="ignore", invalid="ignore"):
        table = pd.DataFrame(
            {
                "group": si.group_labels,
                "n": sd.n,
                "observed": o,
                "expected": e,
                "oe2_e": (o - e) ** 2 / e,
                "oe2_v": (o - e) ** 2 / np.diag(sd.var),
            }
        )
    labels = [str(g) for g in si.group_labels]
    p = float(stats.chi2.sf(chi, df)) if df > 0 else np.nan
    return LogRankResult(
        statistic=chi,
        df=df,
        p=p,
        table=table,
        variance=pd.DataFrame(sd.var, index=labels, columns=labels),
        rho=rho,
        strata=si.strata_labels,
        excluded=si.excluded,
    )


def _one_trend_column(by: str | Sequence[str]) -> str:
    """The single ordered column of a trend test (a one-column list unwrapped)."""
    if isinstance(by, str):
        return by
    cols = list(by)
    if len(cols) != 1:
        raise SpecError(
            "a trend test needs one ordered grouping column",
            column=", ".join(map(str, cols)),
            value=cols,
            expected="by='liver_mets_number' (combine columns into one ordered column first)",
        )
    return str(cols[0])


def logrank_trend(
    data: pd.DataFrame,
    duration: str,
    event: str,
    by: str | Sequence[str],
    *,
    scores: Mapping[Hashable, float] | Sequence[float] | None = None,
    strata: str | Sequence[str] | None = None,
    rho: float = 0,
) -> LogRankTrendResult:
    """Log-rank test for trend across ordered groups (chi-square on 1 df).

    The statistic is ``(c'(O - E))^2 / (c' V c)`` with ``O - E`` and ``V`` from ``survdiff``
    (summed over strata when stratified) and ``c`` the group scores (Collett 2015, section
    2.6.4; Peto et al. 1977).

    Parameters
    ----------
    by
        The ordered grouping column (one column; a list of one column is accepted). Group
        order is the categorical order, else sorted values; text levels are scored in natural
        order ("1", "2", "10"; "stage 2" before "stage 10").
    scores
        Score of each group: a mapping label -> score, or a sequence in group order.
        Default 1, 2, ..., k in that order.
    strata, rho
        As in :func:`logrank`.

    Returns
    -------
    LogRankTrendResult
        The trend statistic (chi-square on 1 df), its p value, the scores used and the rows
        excluded.

    Examples
    --------
    >>> from crlm_outcomes import logrank_trend
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> data = synthetic_cohort(200, seed=1).data
    >>> data["mets"] = data["liver_mets_number"].clip(upper=4)  # 1, 2, 3, 4 or more
    >>> trend = logrank_trend(data, "os_months", "os_event", by="mets")
    >>> round(float(trend.statistic), 3), round(float(trend.p), 4), trend.n_excluded
    (1.434, 0.2311, 5)
    """
    rho = _check_rho(rho)
    by = _one_trend_column(by)
    si = _inputs(data, duration, event, by, strata)
    k = len(si.group_labels)
    if scores is None:
        frame = data if isinstance(data, pd.DataFrame) else getattr(data, "data", data)
        ordered = isinstance(frame[by].dtype, pd.CategoricalDtype)
        # text levels in natural order ("1" < "2" < "10"), not "1" < "10" < "2"
        order = (
            list(range(k))
            if ordered
            else sorted(range(k), key=lambda i: _natural_key(si.group_labels[i]))
        )
        c = np.empty(k, dtype=np.float64)
        c[order] = np.arange(1, k + 1, dtype=np.float64)
    elif isinstance(scores, Mapping):
        missing = [g for g in si.group_labels if g not in scores]
        if missing:
            raise SpecError(
                "scores missing for some groups",
                value=missing,
                expected=f"a score for each of {si.group_labels}",
            )
        c = np.array([float(scores[g]) for g in si.group_labels])
    else:
        c = np.asarray(scores, dtype=np.float64)
        if len(c) != k:
            raise SpecError(
                "one score per group is needed",
                value=list(c),
                expected=f"{k} scores in the order {si.group_labels}",
            )
    sd = _survdiff(si.time, si.event, si.group, k, si.strata, rho)
    u = float(c @ (sd.observed - sd.expected))
    v = float(c @ sd.var @ c)
    stat = u * u / v
    table = pd.DataFrame(
        {"group": si.group_labels, "score": c, "observed": sd.observed, "expected": sd.expected}
    )
    return LogRankTrendResult(
        statistic=stat,
        df=1,
        p=float(stats.chi2.sf(stat, 1)),
        table=table,
        rho=rho,
        excluded=si.excluded,
    )


def _natural_key(label: Hashable) -> tuple:
    """Sort key putting digit runs in numeric order: "2" < "10", "T2" < "T10"."""
    if isinstance(label, str):
        parts = re.split(r"(\d+(?:\.\d+)?)", label)
        return (
            1,
            tuple(
                (0, float(p), "") if i % 2 else (1, 0.0, p.casefold())
                for i, p in enumerate(parts)
                if p != ""
            ),
        )
    try:
        return (0, ((0, float(label), ""),))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return (2, ((1, 0.0, str(label)),))


def pairwise_logrank(
    data: pd.DataFrame,
    duration: str,
    event: str,
    by: str,
    *,
    p_adjust: str = "holm",
    rho: float = 0,
    strata: str | Sequence[str] | None = None,
) -> PairwiseLogRankResult:
    """Log-rank (G-rho) test for every pair of groups with multiplicity adjustment.

    As ``survminer::pairwise_survdiff``: for each pair, ``survdiff`` on the rows of the two
    groups (stratified when ``strata`` is given), p from chi-square on 1 df, then R's
    ``p.adjust`` over all pairs.

    Parameters
    ----------
    p_adjust
        ``"holm"`` (default), ``"hochberg"``, ``"hommel"``, ``"bonferroni"``, ``"BH"``,
        ``"BY"`` or ``"none"``.

    Returns
    -------
    PairwiseLogRankResult
        One row per pair of groups (``group1``, ``group2``, ``statistic``, ``p``,
        ``p_adjusted``) in ``.table``, and the rows excluded.

    Examples
    --------
    >>> from crlm_outcomes import pairwise_logrank
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> data = synthetic_cohort(200, seed=1).data
    >>> data["mets"] = data["liver_mets_number"].clip(upper=3)  # 1, 2, 3 or more
    >>> pairs = pairwise_logrank(data, "os_months", "os_event", by="mets")
    >>> pairs.table["p_adjusted"].round(4).tolist()  # Holm-adjusted, pairs 1-2, 1-3, 2-3
    [0.3574, 0.6206, 0.6206]
    """
    rho = _check_rho(rho)
    if p_adjust not in P_ADJUST_METHODS:
        raise SpecError(
            "unknown p-value adjustment method",
            value=p_adjust,
            expected=f"one of {', '.join(P_ADJUST_METHODS)}",
        )
    si = _inputs(data, duration, event, by, strata)
    rows = []
    for i, j in combinations(range(len(si.group_labels)), 2):
        keep = (si.group == i) | (si.group == j)
        grp = (si.group[keep] == j).astype(np.int64)
        strata_sub = None
        if si.strata is not None:
            strata_sub = pd.factorize(si.strata[keep], sort=True)[0].astype(np.int64)
        sd = _survdiff(si.time[keep], si.event[keep], grp, 2, strata_sub, rho)
        chi, _ = _chisq(sd)
        rows.append((si.group_labels[i], si.group_labels[j], chi, float(stats.chi2.sf(chi, 1))))
    table = pd.DataFrame(rows, columns=["group1", "group2", "statistic", "p"])
    table["p_adjusted"] = _adjust(table["p"].to_numpy(), p_adjust)
    return PairwiseLogRankResult(table=table, p_adjust=p_adjust, rho=rho, excluded=si.excluded)
