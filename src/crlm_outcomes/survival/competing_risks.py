"""Cumulative incidence under competing risks (Aalen–Johansen) and Gray's K-sample test.

The estimates, their variances and Gray's test agree with R's ``cmprsk::cuminc`` (Gray 2000,
version 2.2-11) to machine precision; ``tests/reference/competing_risks.R`` produces the fixtures.

Why our own code: ``lifelines.AalenJohansenFitter`` has no Gray test, no grouping or strata,
jitters tied event times by default (so its estimates differ from cuminc on tied data) and is
slow on large cohorts; ``cmprsk`` itself is R only. The algorithms below are cmprsk's Fortran
routines ``cinc`` and ``crstm`` rewritten on per-time sufficient statistics: event counts per
distinct time x group x cause come from one ``np.unique``/``np.bincount`` pass, and every running
quantity (Kaplan–Meier, cumulative incidence, the variance accumulators, Gray's score and
covariance) is a cumulative product or sum over distinct event times; there is no loop over rows.

References
----------
Kalbfleisch JD, Prentice RL. *The Statistical Analysis of Failure Time Data*, 2nd ed. Wiley,
2002, section 8.2 (Aalen–Johansen estimator of the cumulative incidence).
Gray RJ. A class of K-sample tests for comparing the cumulative incidence of a competing risk.
*Ann Stat* 1988;16:1141–1154 (the test and its variance).
Aalen O. Nonparametric estimation of partial transition probabilities in multiple decrement
models. *Ann Stat* 1978;6:534–545 (the delta-method variance cmprsk reports).
Choudhury JB. Non-parametric confidence interval estimation for competing risks analysis:
application to contraceptive data. *Stat Med* 2002;21:1129–1144 (log(-log) intervals for the CIF).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from crlm_outcomes._data import as_frame
from crlm_outcomes._result import Result
from crlm_outcomes.errors import EstimationError, SpecError, SurvivalDataError
from crlm_outcomes.survival._inputs import (
    SurvivalInput,
    as_column_list,
    survival_input,
)

__all__ = [
    "CumulativeIncidence",
    "cumulative_incidence",
    "GrayTest",
    "gray_test",
    "declared_causes",
]

_CONF_TYPES = ("log-log", "plain")


# ------------------------------------------------------------------------------------------------
# Input helpers
# ------------------------------------------------------------------------------------------------
def declared_causes(
    data: pd.DataFrame, event: str, causes: Sequence[int] | None, censor_code: int = 0
) -> tuple[int, ...]:
    """The cause codes of an analysis: ``causes`` when given, else every non-censoring code seen.

    Codes that are not integers are left for :func:`survival_input` to report (it names the row).

    Parameters
    ----------
    data
        The analysis data.
    event
        Column of the event codes.
    causes
        The declared event codes, or ``None`` to take every code present other than
        ``censor_code``.
    censor_code
        The code of censored rows (default 0).

    Returns
    -------
    tuple of int
        The cause codes: ``causes`` as given, or the integer codes seen in ``event`` in
        increasing order (empty when ``event`` is not a column of ``data``).

    Raises
    ------
    SpecError
        ``causes`` is empty or contains ``censor_code``.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"months": [3.0, 8.5, 12.0, 20.1, 30.0], "status": [1, 2, 0, 1, 0]})
    >>> declared_causes(d, "status", None)  # the codes seen
    (1, 2)
    >>> declared_causes(d, "status", [1, 2, 3])  # a declared cause need not occur
    (1, 2, 3)
    """
    if causes is not None:
        out = tuple(int(c) for c in causes)
        if len(out) == 0:
            raise SpecError(
                "causes must name at least one event code",
                value=list(causes),
                expected="e.g. causes=[1, 2]",
            )
        if censor_code in out:
            raise SpecError(
                "the censoring code cannot also be a cause",
                value=censor_code,
                expected=f"causes other than {censor_code}",
            )
        return out
    if not isinstance(data, pd.DataFrame) or event not in data.columns:
        return ()
    raw = data[event]
    values = pd.to_numeric(raw.astype("float64") if raw.dtype == bool else raw, errors="coerce")
    values = values[np.isfinite(values)]
    values = values[values == np.round(values)].astype(np.int64)
    return tuple(int(c) for c in np.unique(values) if c != censor_code)


# ------------------------------------------------------------------------------------------------
# Aalen–Johansen estimate with cmprsk's variance (Fortran routine ``cinc``)
# ------------------------------------------------------------------------------------------------
def _cinc(
    time: np.ndarray, event: np.ndarray, causes: Sequence[int], freq: np.ndarray | None = None
) -> dict[int, dict[str, np.ndarray]]:
    """Cumulative incidence of each cause in one group (cmprsk ``cinc``), vectorised.

    Returns, per cause, the rows at the distinct times with an event of that cause: time, n_risk,
    n_event, n_competing, estimate, variance. ``freq`` gives the number of identical rows each
    row stands for (the lines of :func:`crlm_outcomes.scale.aggregate`); ``None`` = 1.
    """
    uniq, inv = np.unique(time, return_inverse=True)
    k = uniq.shape[0]
    ones = np.ones(time.shape[0]) if freq is None else np.asarray(freq, dtype=np.float64)
    n = ones.sum()
    counts = np.bincount(inv, weights=ones, minlength=k)
    d_all = np.bincount(inv, weights=(event != 0) * ones, minlength=k)
    rs = n - np.concatenate(([0.0], np.cumsum(counts)[:-1]))  # at risk just before each time
    # only times with an event change anything: drop the others (censoring-only times)
    ev = d_all > 0
    uniq, rs, d_all, inv_ev = uniq[ev], rs[ev], d_all[ev], np.cumsum(ev) - 1
    inv = inv_ev[inv]
    surv = np.cumprod((rs - d_all) / rs)  # all-cause Kaplan–Meier, right-continuous
    fk = np.concatenate(([1.0], surv[:-1]))  # its left limit
    k = uniq.shape[0]
    keep_row = event != 0
    inv = inv[keep_row]
    ev_codes = event[keep_row]
    ev_freq = ones[keep_row]
    out: dict[int, dict[str, np.ndarray]] = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for cause in causes:
            is_c = ev_codes == cause
            d1 = np.bincount(inv[is_c], weights=ev_freq[is_c], minlength=k)
            d2 = d_all - d1
            f = np.cumsum(fk * d1 / rs)
            inv_s = np.where(surv > 0, 1.0 / surv, 0.0)
            # competing-cause contributions (skipped when the KM drops to zero, as in cinc)
            use2 = (d2 > 0) & (surv > 0)
            t5 = np.where(d2 > 1, 1.0 - (d2 - 1.0) / (rs - 1.0), 1.0)
            t6 = np.where(use2, fk * fk * t5 * d2 / (rs * rs), 0.0)
            t4 = f * inv_s
            dv1 = t4 * t4 * t6
            dv2 = inv_s * t4 * t6
            dv3 = inv_s * inv_s * t6
            # cause-of-interest contributions
            use1 = d1 > 0
            t5 = np.where(d1 > 1, 1.0 - (d1 - 1.0) / (rs - 1.0), 1.0)
            t6 = np.where(use1, fk * fk * t5 * d1 / (rs * rs), 0.0)
            t4 = 1.0 + inv_s * f
            dv1 = dv1 + t4 * t4 * t6
            dv2 = dv2 + inv_s * t4 * t6
            dv3 = dv3 + inv_s * inv_s * t6
            v1, v2, v3 = np.cumsum(dv1), np.cumsum(dv2), np.cumsum(dv3)
            var = v1 + f * f * v3 - 2.0 * f * v2
            sel = use1
            out[cause] = {
                "time": uniq[sel],
                "n_risk": rs[sel].astype(np.int64),
                "n_event": d1[sel].astype(np.int64),
                "n_competing": d2[sel].astype(np.int64),
                "estimate": f[sel],
                "variance": var[sel],
            }
    return out


def _label_array(labels: Sequence[Hashable], codes: np.ndarray) -> np.ndarray | pd.Series:
    """Labels for integer codes, fast; tuples (several ``by`` columns) stay tuples."""
    arr = np.empty(len(labels), dtype=object)
    for i, lab in enumerate(labels):
        arr[i] = lab
    out = arr[codes]
    if all(not isinstance(lab, tuple) for lab in labels):
        return pd.Series(out).infer_objects().to_numpy()
    return out


def _conf_limits(
    est: np.ndarray, var: np.ndarray, conf_level: float, conf_type: str
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise limits of the cumulative incidence.

    ``log-log``: ``est ** exp(±z · se / (est · log est))`` (lower with the minus sign), i.e. a
    symmetric interval for ``log(-log F)`` mapped back; it stays inside (0, 1). At ``est == 0``
    (no events yet, variance 0) both limits are 0; at ``est == 1`` they are undefined (NaN).
    ``plain``: ``est ± z · se`` clipped to [0, 1].
    """
    z = stats.norm.ppf(0.5 + conf_level / 2.0)
    se = np.sqrt(np.maximum(var, 0.0))
    if conf_type == "plain":
        return np.clip(est - z * se, 0.0, 1.0), np.clip(est + z * se, 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        k = z * se / (est * np.log(est))
        lower = est ** np.exp(-k)
        upper = est ** np.exp(k)
    zero = est == 0
    lower = np.where(zero, 0.0, lower)
    upper = np.where(zero, 0.0, upper)
    one = est >= 1
    lower = np.where(one, np.nan, lower)
    upper = np.where(one, np.nan, upper)
    return lower, upper


# ------------------------------------------------------------------------------------------------
# Gray's test (Fortran routines ``crstm``/``crst``)
# ------------------------------------------------------------------------------------------------
def _crst(
    time: np.ndarray,
    m: np.ndarray,
    grp: np.ndarray,
    ng: int,
    rho: float,
    freq: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Score (first ng-1 groups) and its covariance within one stratum (cmprsk ``crst``).

    ``m`` is 0 censored, 1 the cause of interest, 2 any other cause; ``grp`` is 0..ng-1;
    ``freq`` the number of identical rows each row stands for (``None`` = 1).
    """
    ng1 = ng - 1
    uniq, inv = np.unique(time, return_inverse=True)
    kt = uniq.shape[0]
    d = np.bincount((inv * ng + grp) * 3 + m, weights=freq, minlength=kt * ng * 3).reshape(
        kt, ng, 3
    )
    d = d.astype(np.float64)
    tot = d.sum(axis=2)
    n_g = tot.sum(axis=0)
    rs_all = n_g[None, :] - np.vstack([np.zeros((1, ng)), np.cumsum(tot, axis=0)[:-1]])
    nd1_all = d[:, :, 1].sum(axis=1)
    nd2_all = d[:, :, 2].sum(axis=1)
    ev = (nd1_all > 0) | (nd2_all > 0)
    if not ev.any():
        return np.zeros(ng1), np.zeros((ng1, ng1))
    d = d[ev]
    rs = rs_all[ev]
    nd1 = nd1_all[ev]
    d1 = d[:, :, 1]
    d2 = d[:, :, 2]
    td = d1 + d2
    pos = rs > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(pos, (rs - td) / rs, 1.0)
        skm = np.cumprod(factor, axis=0)
        skmm = np.vstack([np.ones((1, ng)), skm[:-1]])
        jump1 = np.where(pos, skmm * d1 / rs, 0.0)
        f1 = np.cumsum(jump1, axis=0)
        f1m = f1 - jump1
        t1 = np.where(pos, rs / skmm, 0.0)  # \hat h_r in Gray's notation
        tr = t1.sum(axis=1)
        tq = np.where(pos, rs * (1.0 - f1m) / skmm, 0.0).sum(axis=1)
        inc = nd1 / tr
        f = np.cumsum(inc)
        fm = f - inc
        fb = (1.0 - fm) ** rho
        # a_t = fb (diag(t1) - t1 t1' / tr);   c = running sum of a_t * nd1 / (tr (1 - fm))
        a = fb[:, None, None] * (
            t1[:, :, None] * (np.eye(ng)[None, :, :] - t1[:, None, :] / tr[:, None, None])
        )
        cw = np.where(nd1 > 0, nd1 / (tr * (1.0 - fm)), 0.0)
        c = np.cumsum(a * cw[:, None, None], axis=0)
        score_t = np.where(
            pos, fb[:, None] * (d1 - nd1[:, None] * rs * (1.0 - f1m) / (skmm * tq[:, None])), 0.0
        )
        score = score_t.sum(axis=0)[:ng1]

        # cause-of-interest part of the variance
        s1 = (nd1 > 0)[:, None] & pos
        t4 = np.where(skm > 0, 1.0 - (1.0 - f[:, None]) / skm, 1.0)
        t5 = np.where(
            nd1[:, None] > 1, 1.0 - (nd1[:, None] - 1.0) / (tr[:, None] * skmm - 1.0), 1.0
        )
        t3 = np.where(s1, t5 * skmm * nd1[:, None] / (tr[:, None] * rs), 0.0)
        v3 = (t4 * t4 * t3).sum(axis=0)
        b = a[:, :ng1, :] - t4[:, None, :] * c[:, :ng1, :]  # (t, i, k)
        v2 = np.einsum("tik,tk->ik", b, t4 * t3)
        v = np.einsum("tik,tk,tjk->ij", b, t3, b)

        # other-cause part
        s2 = (skm > 0) & (d2 > 0)
        t4c = np.where(s2, (1.0 - f[:, None]) / skm, 0.0)
        t5c = np.where(d2 > 1, 1.0 - (d2 - 1.0) / (rs - 1.0), 1.0)
        t3c = np.where(s2, t5c * skmm * skmm * d2 / (rs * rs), 0.0)
        v3 = v3 + (t4c * t4c * t3c).sum(axis=0)
        bc = t4c[:, None, :] * c[:, :ng1, :]
        v2 = v2 - np.einsum("tik,tk->ik", bc, t4c * t3c)
        v = v + np.einsum("tik,tk,tjk->ij", bc, t3c, bc)

    cf = c[-1, :ng1, :]
    v = v + (cf * v3[None, :]) @ cf.T + cf @ v2.T + v2 @ cf.T
    return score, v


@dataclass(frozen=True, eq=False, repr=False)
class GrayTest(Result):
    """Gray's K-sample test of equal cumulative incidence, one row per cause.

    Attributes
    ----------
    table
        cause, statistic, df, p (chi-square on df = groups - 1), as ``cuminc(...)$Tests``.
        The statistic is NaN when its covariance is singular (cmprsk prints -1).
    rho
        Power of the weight ``(1 - F(t-))^rho``; 0 gives the log-rank-like test.
    groups, strata
        The group labels compared and the stratum labels (None without strata).
    statistic, df, p
        The test of the first cause in ``table`` (the lowest declared code, by convention the
        cause of interest); the other causes are in ``table``.
    excluded
        Rows excluded for missing values.

    Examples
    --------
    >>> from crlm_outcomes import gray_test
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> cohort = synthetic_cohort(200, seed=1)  # rfs_cause: 1 recurrence, 2 death first
    >>> g = gray_test(cohort, "rfs_months", "rfs_cause", by="sex")
    >>> g.table.round(3).to_dict("records")
    [{'cause': 1, 'statistic': 0.252, 'df': 1, 'p': 0.616}, {'cause': 2, 'statistic': 0.018, 'df': 1, 'p': 0.893}]
    >>> g.groups, round(float(g.p), 3)  # p of the first cause (recurrence)
    (['female', 'male'], 0.616)
    """

    table: pd.DataFrame
    rho: float
    groups: list[Hashable]
    strata: list[Hashable] | None
    n: int
    excluded: pd.DataFrame = field(repr=False)

    _title = "Gray's test of equal cumulative incidence"

    @property
    def statistic(self) -> float:
        """Chi-square statistic of the first cause (see the class docstring)."""
        return float(self.table["statistic"].iloc[0])

    @property
    def df(self) -> int:
        """Degrees of freedom (groups - 1)."""
        return int(self.table["df"].iloc[0])

    @property
    def p(self) -> float:
        """p-value of the first cause (see the class docstring)."""
        return float(self.table["p"].iloc[0])

    def _display_notes(self) -> dict[str, object]:
        notes: dict[str, object] = {
            "rho": self.rho,
            "groups": ", ".join(map(str, self.groups)),
            "n": self.n,
            "excluded": self.n_excluded,
        }
        if self.strata is not None:
            notes["strata"] = ", ".join(map(str, self.strata))
        return notes

    def summary(self) -> str:
        """The tests as ``print(cuminc(...)$Tests)``: stat, pv, df per cause.

        Returns
        -------
        str
            ``Tests:`` and one line per cause: statistic, p-value and degrees of freedom
            (6 significant digits; ``NA`` for a singular covariance).

        Examples
        --------
        >>> from crlm_outcomes import gray_test
        >>> from crlm_outcomes.datasets import synthetic_cohort
        >>> cohort = synthetic_cohort(200, seed=1)  # rfs_cause: 1 recurrence, 2 death first
        >>> print(gray_test(cohort, "rfs_months", "rfs_cause", by="sex").summary())
        Tests:
         cause      stat       pv  df
             1  0.251998 0.615672   1
             2 0.0180397 0.893156   1
        """
        shown = self.table.rename(columns={"statistic": "stat", "p": "pv"})[
            ["cause", "stat", "pv", "df"]
        ]
        return "Tests:\n" + shown.to_string(
            index=False, float_format=lambda v: f"{v:.6g}", na_rep="NA"
        )


def _gray_from_input(si: SurvivalInput, causes: Sequence[int], rho: float) -> pd.DataFrame:
    ng = len(si.group_labels)
    strata = si.strata if si.strata is not None else np.zeros(si.n, dtype=np.int64)
    n_strata = int(strata.max()) + 1 if si.n else 0
    rows = []
    for cause in causes:
        m = np.where(si.event == 0, 0, np.where(si.event == cause, 1, 2)).astype(np.int64)
        score = np.zeros(ng - 1)
        cov = np.zeros((ng - 1, ng - 1))
        for s in range(n_strata):
            sel = strata == s
            if not sel.any():
                continue
            sc, v = _crst(
                si.time[sel],
                m[sel],
                si.group[sel],
                ng,
                rho,
                None if si.weights is None else si.weights[sel],
            )
            score += sc
            cov += v
        stat = np.nan
        if (
            np.all(np.isfinite(cov))
            and np.linalg.matrix_rank(cov, tol=1e-7 * max(1.0, float(np.abs(cov).max()))) == ng - 1
        ):
            stat = float(score @ np.linalg.solve(cov, score))
        p = float(stats.chi2.sf(stat, ng - 1)) if np.isfinite(stat) else np.nan
        rows.append((cause, stat, ng - 1, p))
    return pd.DataFrame(rows, columns=["cause", "statistic", "df", "p"])


def gray_test(
    data: Any,
    duration: str,
    event: str,
    by: str | Sequence[str],
    *,
    strata: str | Sequence[str] | None = None,
    rho: float = 0.0,
    causes: Sequence[int] | None = None,
) -> GrayTest:
    """Gray's test that the cumulative incidence of each cause is equal across groups.

    Agrees with ``cmprsk::cuminc(ftime, fstatus, group, strata, rho)$Tests``.

    Parameters
    ----------
    data
        One row per subject.
    duration, event
        Follow-up time and event code (0 censored, other integers = causes).
    by
        Column(s) defining the groups compared (at least two groups with data).
    strata
        Column(s) of strata: scores and variances are summed over strata (stratified test).
    rho
        Power of the weight function ``(1 - F(t-))^rho`` (Gray 1988); 0 by default.
    causes
        Declared cause codes (default: every non-zero code present); other codes are errors.

    Returns
    -------
    GrayTest
        ``table`` with cause, statistic, df and p.

    References
    ----------
    Gray RJ. *Ann Stat* 1988;16:1141–1154.

    Examples
    --------
    >>> from crlm_outcomes import gray_test
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> cohort = synthetic_cohort(200, seed=1)  # rfs_cause: 1 recurrence, 2 death first
    >>> test = gray_test(cohort, "rfs_months", "rfs_cause", by="sex")
    >>> test.table["cause"].tolist()
    [1, 2]
    """
    if not as_column_list(by):
        raise SpecError(
            "gray_test needs groups to compare", column=None, value=by, expected="by= a column name"
        )
    from crlm_outcomes.scale.survival import gray_test_external, is_external

    if is_external(data):
        return gray_test_external(data, duration, event, by, strata=strata, rho=rho, causes=causes)
    data = as_frame(data, error=SurvivalDataError)
    cz = declared_causes(data, event, causes)
    if not cz:
        raise EstimationError(f"no events of any cause in column {event!r}: nothing to test")
    si = survival_input(data, duration, event, by=by, strata=strata, causes=cz)
    return gray_test_from_input(si, cz, rho=rho, by=by)


def gray_test_from_input(
    si: SurvivalInput,
    causes: Sequence[int],
    *,
    rho: float = 0.0,
    by: str | Sequence[str] | None = None,
) -> GrayTest:
    """:func:`gray_test` on validated arrays; ``si.weights`` are frequencies (aggregated lines).

    The functional core shared by :func:`gray_test` and its DuckDB/Dask form
    (:mod:`crlm_outcomes.scale.survival`).

    Parameters
    ----------
    si
        The validated arrays
        (:func:`~crlm_outcomes.survival._inputs.survival_input` with ``by`` and ``causes``).
    causes
        The cause codes to test, one row of the table each.
    rho
        Power of the weight function ``(1 - F(t-))^rho``; 0 by default.
    by
        Only names the grouping columns in the error message (the groups are ``si.group``).

    Returns
    -------
    GrayTest
        ``table`` with cause, statistic, df and p.

    Raises
    ------
    EstimationError
        Fewer than two groups among the rows analysed.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.survival._inputs import survival_input
    >>> d = pd.DataFrame({"months": [2.0, 3.5, 5.0, 6.0, 8.0, 9.5, 11.0, 12.0, 14.0, 18.0],
    ...                   "status": [1, 2, 1, 0, 1, 1, 2, 0, 1, 0],  # 1 recurrence, 2 death
    ...                   "arm": ["A", "B"] * 5})
    >>> si = survival_input(d, "months", "status", by="arm", causes=(1, 2))
    >>> gray_test_from_input(si, [1, 2], by="arm").table.round(3).to_dict("records")
    [{'cause': 1, 'statistic': 2.269, 'df': 1, 'p': 0.132}, {'cause': 2, 'statistic': 0.029, 'df': 1, 'p': 0.865}]
    """
    if len(si.group_labels) < 2:
        raise EstimationError(
            f"Gray's test needs at least two groups; {by!r} has only "
            f"{', '.join(map(str, si.group_labels))} among the rows analysed"
        )
    table = _gray_from_input(si, list(causes), rho)
    n_rows = si.n if si.weights is None else int(si.weights.sum())
    return GrayTest(
        table=table,
        rho=float(rho),
        groups=list(si.group_labels),
        strata=None if si.strata_labels is None else list(si.strata_labels),
        n=n_rows,
        excluded=si.excluded,
    )


# ------------------------------------------------------------------------------------------------
# Result and public estimator
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False, repr=False)
class CumulativeIncidence(Result):
    """Aalen–Johansen cumulative incidence of each cause, by group.

    Attributes
    ----------
    table
        One row per group x cause x time: a starting row at time 0 (estimate 0), then one row per
        distinct time with an event of that cause. Columns: group, cause, time, n_risk, n_event
        (this cause), n_competing (other causes at that time), estimate, variance (cmprsk's),
        std_error, lower, upper.
    follow_up
        group, n, max_time: the estimate is defined up to the group's largest follow-up time;
        :meth:`at` returns NaN beyond it (as ``cmprsk::timepoints``).
    tests
        Gray's test per cause when ``by`` was given (``None`` otherwise).
    conf_level, conf_type
        Level and transform of the pointwise intervals (see :func:`cumulative_incidence`).

    Examples
    --------
    >>> from crlm_outcomes import cumulative_incidence
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> cohort = synthetic_cohort(200, seed=1)  # rfs_cause: 1 recurrence, 2 death first
    >>> ci = cumulative_incidence(cohort, "rfs_months", "rfs_cause", by="sex")
    >>> at = ci.at([12, 24])
    >>> at[at["cause"] == 1][["group", "time", "estimate"]].round(3).to_dict("records")
    [{'group': 'female', 'time': 12.0, 'estimate': 0.315}, {'group': 'female', 'time': 24.0, 'estimate': 0.533}, {'group': 'male', 'time': 12.0, 'estimate': 0.257}, {'group': 'male', 'time': 24.0, 'estimate': 0.411}]
    >>> ci.follow_up.round(1).to_dict("records")
    [{'group': 'female', 'n': 54, 'max_time': 200.3}, {'group': 'male', 'n': 70, 'max_time': 169.7}]
    """

    table: pd.DataFrame
    follow_up: pd.DataFrame
    tests: GrayTest | None
    causes: tuple[int, ...]
    by: list[str]
    conf_level: float
    conf_type: str
    n: int
    excluded: pd.DataFrame = field(repr=False)

    _title = "Cumulative incidence (Aalen–Johansen)"

    @property
    def gray_test(self) -> pd.DataFrame | None:
        """Gray's test table (cause, statistic, df, p), or None without groups."""
        return None if self.tests is None else self.tests.table

    def at(self, times: float | Sequence[float]) -> pd.DataFrame:
        """Estimate, variance and limits at given times, as ``cmprsk::timepoints``.

        The step function is right-continuous; times after the group's largest follow-up time,
        or negative, give NaN.

        Parameters
        ----------
        times
            One time or several (duplicates are dropped, the rest sorted).

        Returns
        -------
        pandas.DataFrame
            One row per group x cause x time: ``group``, ``cause``, ``time``, ``estimate``,
            ``variance``, ``lower``, ``upper``.

        Raises
        ------
        SpecError
            A time is not a finite number.

        Examples
        --------
        >>> import pandas as pd
        >>> from crlm_outcomes import cumulative_incidence
        >>> d = pd.DataFrame({"months": [2.0, 3.5, 5.0, 6.0, 8.0, 9.5, 11.0, 12.0, 14.0, 18.0],
        ...                   "status": [1, 2, 1, 0, 1, 1, 2, 0, 1, 0]})  # 1 recurrence, 2 death
        >>> at = cumulative_incidence(d, "months", "status").at([6, 12, 24])
        >>> at[["cause", "time", "estimate"]].round(3).to_dict("records")  # 24: after follow-up
        [{'cause': 1, 'time': 6.0, 'estimate': 0.2}, {'cause': 1, 'time': 12.0, 'estimate': 0.433}, {'cause': 1, 'time': 24.0, 'estimate': nan}, {'cause': 2, 'time': 6.0, 'estimate': 0.1}, {'cause': 2, 'time': 12.0, 'estimate': 0.217}, {'cause': 2, 'time': 24.0, 'estimate': nan}]
        """
        t = np.unique(np.atleast_1d(np.asarray(times, dtype=np.float64)))
        if np.any(~np.isfinite(t)):
            raise SpecError(
                "times must be finite numbers",
                value=list(np.atleast_1d(times)),
                expected="finite times >= 0",
            )
        max_time = dict(zip(self.follow_up["group"], self.follow_up["max_time"], strict=True))
        frames = []
        for (g, c), cur in self.table.groupby(["group", "cause"], sort=False, observed=True):
            ct = cur["time"].to_numpy()
            idx = np.searchsorted(ct, t, side="right") - 1
            ok = (idx >= 0) & (t <= max_time[g]) & (t >= 0)
            safe = np.clip(idx, 0, None)
            est = np.where(ok, cur["estimate"].to_numpy()[safe], np.nan)
            var = np.where(ok, cur["variance"].to_numpy()[safe], np.nan)
            lower = np.where(ok, cur["lower"].to_numpy()[safe], np.nan)
            upper = np.where(ok, cur["upper"].to_numpy()[safe], np.nan)
            frames.append(
                pd.DataFrame(
                    {
                        "group": _label_array([g], np.zeros(t.shape[0], dtype=np.int64)),
                        "cause": c,
                        "time": t,
                        "estimate": est,
                        "variance": var,
                        "lower": lower,
                        "upper": upper,
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Step curves per group x cause; see :func:`crlm_outcomes.plots.cif.plot_cif`.

        Parameters
        ----------
        ax
            Axes to draw on; a new one-column figure when ``None``.
        **kwargs
            Options of :func:`~crlm_outcomes.plots.cif.plot_cif`: ``causes``, ``groups``,
            ``ci``, ``stacked``, ``cause_labels``, ``xlabel``, ``ylabel``, ``legend``,
            ``labels``, ``endpoint``, ``xmax``, ``times``, ``risk_counts``, ``pvalues``.

        Returns
        -------
        matplotlib.axes.Axes
            The curve axes: one step curve per group x cause, with shaded pointwise intervals.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt, pandas as pd
        >>> from crlm_outcomes import cumulative_incidence
        >>> d = pd.DataFrame({"months": [2.0, 3.5, 5.0, 6.0, 8.0, 9.5, 11.0, 12.0, 14.0, 18.0],
        ...                   "status": [1, 2, 1, 0, 1, 1, 2, 0, 1, 0]})  # 1 recurrence, 2 death
        >>> ax = cumulative_incidence(d, "months", "status").plot(
        ...     cause_labels={1: "Recurrence", 2: "Death without recurrence"})
        >>> ax.get_ylabel(), len(ax.get_lines())  # one curve per cause
        ('Cumulative incidence', 2)
        >>> plt.close(ax.figure)
        """
        from crlm_outcomes.plots.cif import plot_cif

        return plot_cif(self, ax=ax, **kwargs)

    def _repr_fields(self) -> dict[str, object]:
        return {
            "causes": len(self.causes),
            "groups": len(self.follow_up),
            "n": self.n,
            "excluded": self.n_excluded,
        }

    def _display_notes(self) -> dict[str, object]:
        return {
            "causes": ", ".join(map(str, self.causes)),
            "n": self.n,
            "excluded": self.n_excluded,
            "intervals": f"{self.conf_level:.0%} pointwise, {self.conf_type}",
        }

    def _display_frames(self) -> dict[str, pd.DataFrame]:
        frames = {"Cumulative incidence": self.table, "Follow-up": self.follow_up}
        if self.tests is not None:
            frames["Gray's test" + (f" (rho = {self.tests.rho:g})" if self.tests.rho else "")] = (
                self.tests.table
            )
        return frames


def cumulative_incidence(
    data: Any,
    duration: str,
    event: str,
    by: str | Sequence[str] | None = None,
    *,
    causes: Sequence[int] | None = None,
    strata: str | Sequence[str] | None = None,
    rho: float = 0.0,
    conf_level: float = 0.95,
    conf_type: str = "log-log",
) -> CumulativeIncidence:
    """Cumulative incidence of each competing cause (Aalen–Johansen), optionally by group.

    Estimates and variances agree with ``cmprsk::cuminc``; the variance is the delta-method
    (Aalen 1978) estimator of cmprsk's Fortran routine ``cinc``, including its tie correction
    ``1 - (d - 1)/(n - 1)``. ``1 - KM`` is *not* the cumulative incidence when competing events
    exist: it treats them as censoring and overstates the risk (Kalbfleisch & Prentice 2002,
    section 8.2).

    Parameters
    ----------
    data
        One row per subject.
    duration
        Follow-up time (>= 0).
    event
        0 = censored, any other integer = the cause of the event (e.g. 1 = recurrence,
        2 = death without recurrence).
    by
        Column(s) defining groups; with two or more groups Gray's test is computed for each cause
        (``tests``).
    causes
        Declared cause codes. Default: every non-zero code present. A code in the data that is
        neither 0 nor declared is an error naming the row.
    strata, rho
        Passed to Gray's test (stratified test; weight power), as in ``cuminc``.
    conf_level
        Level of the pointwise intervals.
    conf_type
        ``"log-log"`` (default): ``lower = F ** exp(-z*se/(F*log F))``,
        ``upper = F ** exp(z*se/(F*log F))``, i.e. a symmetric interval for ``log(-log F)``
        (Choudhury 2002), using cmprsk's variance; ``"plain"``: ``F ± z*se`` clipped to [0, 1].
        cmprsk itself prints no intervals.

    Returns
    -------
    CumulativeIncidence

    Raises
    ------
    SurvivalDataError
        Negative or non-finite times, codes outside ``{0, *causes}``, unknown columns.
    EstimationError
        No events of any cause and no ``causes`` declared.

    Examples
    --------
    >>> from crlm_outcomes import cumulative_incidence
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> cohort = synthetic_cohort(200, seed=1)  # rfs_cause: 1 recurrence, 2 death first
    >>> cif = cumulative_incidence(cohort, "rfs_months", "rfs_cause", by="sex")
    >>> at24 = cif.at(24.0)
    >>> at24.loc[at24["cause"] == 1, ["group", "estimate"]].round(3).to_dict("records")
    [{'group': 'female', 'estimate': 0.533}, {'group': 'male', 'estimate': 0.411}]
    """
    if conf_type not in _CONF_TYPES:
        raise SpecError(
            "unknown conf_type", value=conf_type, expected=" or ".join(map(repr, _CONF_TYPES))
        )
    if not 0 < conf_level < 1:
        raise SpecError(
            "conf_level must be between 0 and 1", value=conf_level, expected="e.g. 0.95"
        )
    if strata is not None and by is None:
        raise SpecError(
            "strata are only used by Gray's test, which needs groups",
            value=strata,
            expected="by= as well",
        )
    from crlm_outcomes.scale.survival import cumulative_incidence_external, is_external

    if is_external(data):
        return cumulative_incidence_external(
            data,
            duration,
            event,
            by,
            causes=causes,
            strata=strata,
            rho=rho,
            conf_level=conf_level,
            conf_type=conf_type,
        )
    data = as_frame(data, error=SurvivalDataError)
    cz = declared_causes(data, event, causes)
    if not cz:
        # validate the rest of the input first so that bad rows are reported as such
        survival_input(data, duration, event, by=by, strata=strata, causes=(1,), warn=False)
        raise EstimationError(
            f"no events of any cause in column {event!r} (all rows censored); declare "
            "causes=[...] to obtain cumulative incidence curves that stay at 0"
        )
    si = survival_input(data, duration, event, by=by, strata=strata, causes=cz)
    return cumulative_incidence_from_input(
        si, cz, by=by, rho=rho, conf_level=conf_level, conf_type=conf_type
    )


def cumulative_incidence_from_input(
    si: SurvivalInput,
    causes: Sequence[int],
    *,
    by: str | Sequence[str] | None = None,
    rho: float = 0.0,
    conf_level: float = 0.95,
    conf_type: str = "log-log",
) -> CumulativeIncidence:
    """:func:`cumulative_incidence` on validated arrays (the functional core).

    ``si.weights``, when given, are frequencies: the number of identical rows each row stands
    for (the aggregated lines of a DuckDB, Dask or federated input); cmprsk has no case weights.

    Parameters
    ----------
    si
        The validated arrays
        (:func:`~crlm_outcomes.survival._inputs.survival_input` with ``causes``).
    causes
        The cause codes to estimate.
    by
        Only names the grouping columns in the result (the groups are ``si.group``).
    rho
        Weight power of Gray's test, computed when there are two or more groups.
    conf_level, conf_type
        Level and transform (``"log-log"`` or ``"plain"``) of the pointwise intervals, as in
        :func:`cumulative_incidence`.

    Returns
    -------
    CumulativeIncidence

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.survival._inputs import survival_input
    >>> d = pd.DataFrame({"months": [2.0, 3.5, 5.0, 6.0, 8.0, 9.5, 11.0, 12.0, 14.0, 18.0],
    ...                   "status": [1, 2, 1, 0, 1, 1, 2, 0, 1, 0],  # 1 recurrence, 2 death
    ...                   "arm": ["A", "B"] * 5})
    >>> si = survival_input(d, "months", "status", by="arm", causes=(1, 2))
    >>> ci = cumulative_incidence_from_input(si, [1, 2], by="arm")
    >>> ci.at(12.0)[["group", "cause", "estimate"]].round(3).to_dict("records")
    [{'group': 'A', 'cause': 1, 'estimate': 0.6}, {'group': 'A', 'cause': 2, 'estimate': 0.2}, {'group': 'B', 'cause': 1, 'estimate': 0.267}, {'group': 'B', 'cause': 2, 'estimate': 0.2}]
    >>> ci.gray_test["p"].round(3).tolist()  # two groups: Gray's test per cause
    [0.132, 0.865]
    """
    cz = list(causes)
    freq = si.weights
    pieces: dict[str, list[np.ndarray]] = {
        k: []
        for k in (
            "group",
            "cause",
            "time",
            "n_risk",
            "n_event",
            "n_competing",
            "estimate",
            "variance",
        )
    }
    follow = []
    for gi, label in enumerate(si.group_labels):
        sel = si.group == gi
        t = si.time[sel]
        e = si.event[sel]
        f_g = None if freq is None else freq[sel]
        n_g = int(sel.sum()) if f_g is None else int(f_g.sum())
        follow.append((label, n_g, float(t.max())))
        per_cause = _cinc(t, e, cz, f_g)
        for cause in cz:
            cur = per_cause[cause]
            if cur["time"].shape[0] == 0 or cur["time"][0] > 0:
                start = {
                    "time": 0.0,
                    "n_risk": n_g,
                    "n_event": 0,
                    "n_competing": 0,
                    "estimate": 0.0,
                    "variance": 0.0,
                }
                cur = {k: np.concatenate(([start[k]], v)).astype(v.dtype) for k, v in cur.items()}
            m = cur["time"].shape[0]
            pieces["group"].append(np.full(m, gi, dtype=np.int64))
            pieces["cause"].append(np.full(m, cause, dtype=np.int64))
            for k, v in cur.items():
                pieces[k].append(v)
    cols = {k: np.concatenate(v) for k, v in pieces.items()}
    cols["group"] = _label_array(si.group_labels, cols["group"])
    table = pd.DataFrame(cols)
    est = table["estimate"].to_numpy()
    var = table["variance"].to_numpy()
    lower, upper = _conf_limits(est, var, conf_level, conf_type)
    table["std_error"] = np.sqrt(np.maximum(var, 0.0))
    table["lower"] = lower
    table["upper"] = upper
    follow_up = pd.DataFrame(follow, columns=["group", "n", "max_time"])
    n_rows = si.n if freq is None else int(freq.sum())
    tests = None
    if len(si.group_labels) >= 2:
        tests = GrayTest(
            table=_gray_from_input(si, cz, rho),
            rho=float(rho),
            groups=list(si.group_labels),
            strata=None if si.strata_labels is None else list(si.strata_labels),
            n=n_rows,
            excluded=si.excluded,
        )
    return CumulativeIncidence(
        table=table,
        follow_up=follow_up,
        tests=tests,
        causes=tuple(cz),
        by=as_column_list(by),
        conf_level=conf_level,
        conf_type=conf_type,
        n=n_rows,
        excluded=si.excluded,
    )
