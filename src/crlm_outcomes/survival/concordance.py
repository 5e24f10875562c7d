"""Harrell's concordance of a Cox model, as R's ``concordancefit`` (survival 3.5-3).

Counts (concordant, discordant, tied on x, tied on y, tied on both) and the infinitesimal-jackknife
standard error of ``fit$concordance``, with case weights, strata, clusters and counting-process
data. R walks the rows with a balanced binary tree; here every count is an offline 2-D dominance
count ("weight of rows before me in time order with a smaller score") computed level by level over
the bits of the score rank with stable integer sorts, so there is no Python loop over rows.

Reference: Therneau & Watson (2015), The concordance statistic and the Cox model (Mayo Clinic
technical report #85); survival 3.5-3 ``concordancefit``, C ``concordance3``/``concordance4``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from crlm_outcomes._result import Result, warn_deprecated
from crlm_outcomes.errors import SpecError, SurvivalDataError
from crlm_outcomes.survival._inputs import survival_input

__all__ = ["Concordance", "concordance", "concordance_arrays", "cox_concordance"]


def _dominance(q_pos, q_rank, i_pos, i_rank, i_w):
    """For each query: (sum of insert weights with i_pos < q_pos and i_rank < q_rank,
    ... with equal rank, total with i_pos < q_pos).

    An MSD radix refinement over the bits of the rank: at each level the sequence (in position
    order) is grouped by the rank's higher bits, and a query whose current bit is 1 collects the
    weight of earlier inserts in its group whose bit is 0. Each level is a few O(n) passes.
    """
    nq, ni = q_pos.size, i_pos.size
    if nq == 0:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    pos = np.concatenate([q_pos, i_pos]).astype(np.int64)
    typ = np.concatenate([np.zeros(nq, np.int8), np.ones(ni, np.int8)])
    seq = np.lexsort((typ, pos))  # queries before inserts at equal position
    rank = np.concatenate([q_rank, i_rank]).astype(np.int64)[seq]
    w = np.concatenate([np.zeros(nq), i_w])[seq]
    isq = seq < nq
    total = np.cumsum(w)
    n = rank.size
    nbits = max(int(rank.max()).bit_length(), 1)
    order = np.arange(n)  # stable order by rank >> (b + 1)
    less = np.zeros(n)
    idx = np.arange(n)
    for b in range(nbits - 1, -1, -1):
        rk = rank[order]
        parent = rk >> (b + 1)
        start = np.empty(n, dtype=bool)
        start[0] = True
        start[1:] = parent[1:] != parent[:-1]
        gstart = np.maximum.accumulate(np.where(start, idx, 0))
        bit = (rk >> b) & 1
        zero = bit == 0
        cs = np.cumsum(np.where(zero, w[order], 0.0))
        base = np.where(gstart > 0, cs[gstart - 1], 0.0)
        hit = (bit == 1) & isq[order]
        less[order[hit]] += (cs - base)[hit]
        # stable partition of each group by the bit (zeros first)
        zc = np.cumsum(zero)
        zbase = np.where(gstart > 0, zc[gstart - 1], 0)
        zeros_before = zc - zero - zbase
        ends = np.append(np.flatnonzero(start)[1:], n) - 1
        gid = np.cumsum(start) - 1
        zeros_in_group = zc[ends] - np.where(
            np.flatnonzero(start) > 0, zc[np.maximum(np.flatnonzero(start) - 1, 0)], 0
        )
        ones_before = (idx - gstart) - zeros_before
        newpos = np.where(zero, gstart + zeros_before, gstart + zeros_in_group[gid] + ones_before)
        nxt = np.empty_like(order)
        nxt[newpos] = order
        order = nxt
    # equal ranks: order is now sorted by rank, stable in position
    rk = rank[order]
    start = np.empty(n, dtype=bool)
    start[0] = True
    start[1:] = rk[1:] != rk[:-1]
    gstart = np.maximum.accumulate(np.where(start, idx, 0))
    cs = np.cumsum(w[order])
    equal = np.empty(n)
    equal[order] = cs - np.where(gstart > 0, cs[gstart - 1], 0.0)
    out_less, out_eq, out_tot = np.empty(nq), np.empty(nq), np.empty(nq)
    qi = seq[isq]
    out_less[qi], out_eq[qi], out_tot[qi] = less[isq], equal[isq], total[isq]
    return out_less, out_eq, out_tot


def _pairs(keys: list[np.ndarray], w: np.ndarray) -> float:
    """Sum over groups (rows sharing all ``keys``) of the weighted number of pairs."""
    if w.size == 0:
        return 0.0
    _, inv = np.unique(np.column_stack(keys), axis=0, return_inverse=True)
    inv = inv.ravel()
    s = np.bincount(inv, weights=w)
    s2 = np.bincount(inv, weights=w * w)
    return float(((s * s - s2) / 2).sum())


def _one_stratum(time, status, start, xrank, w):
    n = time.size
    # time descending, censored before deaths at the same time (R's sort.stop)
    order = np.lexsort((status, -time))
    pos = np.empty(n, dtype=np.int64)
    pos[order] = np.arange(n)
    dead = np.flatnonzero(status > 0)
    ts = time[order]
    ss = status[order]
    blk = np.empty(n, dtype=np.int64)
    newblk = np.concatenate([[True], (ts[1:] != ts[:-1]) | (ss[1:] != ss[:-1])])
    first = np.maximum.accumulate(np.where(newblk, np.arange(n), 0))
    blk[order] = first
    bstart = blk[dead]
    counts = np.zeros(5)
    imat = np.zeros((n, 3))
    # (1) each death against the rows still at risk after it
    less, eq, tot = _dominance(bstart, xrank[dead], pos, xrank, w)
    if start is not None:
        allt = np.unique(np.concatenate([time, start]))
        r_start = np.searchsorted(allt, start)
        r_time = np.searchsorted(allt, time)
        l2, e2, t2 = _dominance(-r_time[dead] + 1, xrank[dead], -r_start, xrank, w)
        less, eq, tot = less - l2, eq - e2, tot - t2
    greater = tot - less - eq
    wd = w[dead]
    counts[0] = wd @ greater
    counts[1] = wd @ less
    counts[2] = wd @ eq
    imat[dead, 0] += greater
    imat[dead, 1] += less
    imat[dead, 2] += eq
    # (2) each row against the deaths that occur while it is at risk
    less, eq, tot = _dominance(-pos, xrank, -bstart, xrank[dead], wd)
    if start is not None:
        l2, e2, t2 = _dominance(r_start + 1, xrank, r_time[dead], xrank[dead], wd)
        less, eq, tot = less - l2, eq - e2, tot - t2
    imat[:, 0] += less
    imat[:, 1] += tot - less - eq
    imat[:, 2] += eq
    tied_y = _pairs([time[dead]], wd)
    tied_xy = _pairs([time[dead], xrank[dead].astype(float)], wd)
    counts[3] = tied_y - tied_xy
    counts[4] = tied_xy
    return counts, imat


def concordance_arrays(
    time: np.ndarray,
    status: np.ndarray,
    x: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    strata: np.ndarray | None = None,
    cluster: np.ndarray | None = None,
    entry: np.ndarray | None = None,
    reverse: bool = True,
) -> pd.Series:
    """Concordance of score ``x`` with survival, as ``concordancefit(..., timefix=FALSE)``
    (the functional core of :func:`concordance`, on arrays).

    Parameters
    ----------
    time, status
        Exit times and event indicators (1 = event, 0 = censored).
    x
        The score of each row.
    weights
        Case weights (default 1 for every row).
    strata
        Integer stratum codes: pairs are compared only within a stratum.
    cluster
        Integer cluster codes of the jackknife variance (default: each row its own cluster).
    entry
        Entry times of ``(entry, time]`` rows (delayed entry, time-varying data).
    reverse
        ``True`` (the default, as ``coxph``) counts a pair as concordant when the higher score has
        the shorter survival; ``False`` when it has the longer survival.

    Returns
    -------
    pandas.Series
        ``concordant, discordant, tied.x, tied.y, tied.xy`` (weighted pair counts),
        ``concordance`` (C) and ``std`` (its infinitesimal-jackknife standard error).

    Examples
    --------
    >>> import numpy as np
    >>> time = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    >>> status = np.array([1, 1, 0, 1, 0])
    >>> score = np.array([5.0, 3.0, 4.0, 2.0, 1.0])  # a risk score: higher, shorter survival
    >>> res = concordance_arrays(time, status, score)
    >>> {k: round(float(v), 4) for k, v in res.items()}
    {'concordant': 7.0, 'discordant': 1.0, 'tied.x': 0.0, 'tied.y': 0.0, 'tied.xy': 0.0, 'concordance': 0.875, 'std': 0.1449}
    """
    n = time.size
    w = np.ones(n) if weights is None else np.asarray(weights, float)
    st = np.zeros(n, dtype=np.int64) if strata is None else np.asarray(strata)
    _, xrank = np.unique(x, return_inverse=True)
    xrank = xrank.ravel().astype(np.int64)
    counts = np.zeros(5)
    imat = np.zeros((n, 3))
    for s in np.unique(st):
        rows = np.flatnonzero(st == s)
        c, im = _one_stratum(
            time[rows], status[rows], None if entry is None else entry[rows], xrank[rows], w[rows]
        )
        counts += c
        imat[rows] = im
    npair = counts[:3].sum()
    somer = (counts[0] - counts[1]) / npair
    dfbeta = w * ((imat[:, 0] - imat[:, 1]) / npair - (somer / npair) * imat.sum(axis=1))
    if cluster is not None:
        dfbeta = np.bincount(np.asarray(cluster), weights=dfbeta)
    var = float(np.sum(dfbeta**2)) / 4
    conc = (somer + 1) / 2
    if reverse:
        conc = 1 - conc
        counts = counts[[1, 0, 2, 3, 4]]
    return pd.Series(
        np.concatenate([counts, [conc, np.sqrt(var)]]),
        index=["concordant", "discordant", "tied.x", "tied.y", "tied.xy", "concordance", "std"],
    )


def cox_concordance(state) -> pd.Series:
    """``fit$concordance`` of a fitted :func:`~crlm_outcomes.survival.cox.cox` model.

    Parameters
    ----------
    state
        The row-level state of the fit (:attr:`CoxResult.state
        <crlm_outcomes.survival.cox.CoxResult>`).

    Returns
    -------
    pandas.Series
        Harrell's C of the linear predictor (a higher risk predicting shorter survival), laid out
        as :func:`concordance_arrays`: pair counts, ``concordance`` and ``std``.

    Examples
    --------
    >>> from crlm_outcomes import cox
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> fit = cox(synthetic_cohort(200, seed=1), "age_at_diagnosis + sex", "os_months", "os_event")
    >>> c = cox_concordance(fit.state)
    >>> round(float(c["concordance"]), 4), round(float(c["std"]), 4)
    (0.5628, 0.0272)
    """
    lp = state.x @ state.beta
    return concordance_arrays(
        state.time,
        state.event,
        lp,
        weights=state.w,
        strata=state.strata,
        cluster=state.cluster,
        entry=state.entry,
        reverse=True,
    )


@dataclass(frozen=True, eq=False, repr=False)
class Concordance(Result):
    """Harrell's concordance of a score with survival, as R's ``concordance()``.

    Attributes
    ----------
    table
        One row: estimate (the concordance C), std_error (infinitesimal jackknife), lower,
        upper (Wald interval), concordant, discordant, tied_x, tied_y, tied_xy (weighted pair
        counts).
    score, reverse, conf_level
        The score column, whether a higher score predicts shorter survival, interval level.
    n
        Rows used.
    excluded
        Rows excluded for missing values.

    Examples
    --------
    >>> from crlm_outcomes.survival.concordance import concordance
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> cohort = synthetic_cohort(200, seed=1)
    >>> c = concordance(cohort, "os_months", "os_event", "age_at_diagnosis", reverse=True)
    >>> round(float(c.estimate), 3), round(float(c.table["std_error"][0]), 3), c.n
    (0.561, 0.027, 200)
    """

    table: pd.DataFrame
    score: str
    reverse: bool
    conf_level: float
    n: int
    excluded: pd.DataFrame = field(repr=False)

    _title = "Concordance"

    @property
    def estimate(self) -> float:
        """The concordance C."""
        return float(self.table["estimate"].iloc[0])

    @property
    def std_error(self) -> float:
        """Infinitesimal-jackknife standard error of C."""
        return float(self.table["std_error"].iloc[0])

    def _repr_fields(self) -> dict[str, object]:
        return {
            "score": self.score,
            "estimate": self.estimate,
            "std_error": self.std_error,
            "n": self.n,
            "excluded": self.n_excluded,
        }

    def summary(self) -> str:
        """As R's ``print(concordance(...))``: C, its standard error and the pair counts.

        Returns
        -------
        str
            Three lines: the rows used, C with its infinitesimal-jackknife standard error, and
            the weighted counts of concordant, discordant and tied pairs.

        Examples
        --------
        >>> import pandas as pd
        >>> from crlm_outcomes.survival.concordance import concordance
        >>> d = pd.DataFrame(
        ...     {"t": [1, 2, 3, 4, 5, 6], "e": [1, 1, 0, 1, 0, 1], "score": [6, 4, 5, 3, 2, 1]}
        ... )
        >>> print(concordance(d, "t", "e", "score", reverse=True).summary())
        n= 6
        Concordance= 0.9091 se= 0.1096
        concordant=10  discordant=1  tied_x=0  tied_y=0  tied_xy=0
        """
        t = self.table.iloc[0]
        counts = "  ".join(
            f"{k}={t[k]:g}" for k in ("concordant", "discordant", "tied_x", "tied_y", "tied_xy")
        )
        return f"n= {self.n}\nConcordance= {self.estimate:.4g} se= {self.std_error:.4g}\n{counts}"


def concordance(
    data: Any,
    duration: Any = None,
    event: Any = None,
    score: str | None = None,
    *,
    weights: str | None = None,
    strata: str | Sequence[str] | None = None,
    cluster: str | None = None,
    entry: str | None = None,
    reverse: bool | None = None,
    conf_level: float = 0.95,
    **old: Any,
) -> Concordance | pd.Series:
    """Harrell's concordance of ``score`` with survival, as R's
    ``concordance(Surv(duration, event) ~ score, data, reverse = reverse)``.

    Parameters
    ----------
    data
        A DataFrame or a :class:`~crlm_outcomes.io.cohort.Cohort`.
    duration, event
        Exit time and event indicator (1 = event, 0 = censored) columns.
    score
        Column of the predictor (e.g. a prognostic score or a model's linear predictor).
    weights, strata, cluster, entry
        The package-wide meaning: case weights, strata (pairs are compared within a stratum),
        cluster of the jackknife variance, entry time of ``(entry, duration]`` rows.
    reverse
        ``False`` (the default, as R): a pair is concordant when the higher score has the
        longer survival; ``True``: when it has the shorter survival (risk scores, Cox models).
    conf_level
        Level of the Wald interval of C.

    Returns
    -------
    Concordance

    Notes
    -----
    Before 0.2 this function took arrays, ``concordance(time, status, x, ...)`` with
    ``reverse=True`` by default, and returned a Series; that form still works with a
    FutureWarning (see :func:`concordance_arrays`).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [1, 2, 3, 4], "e": [1, 1, 0, 1], "x": [4, 3, 2, 1]})
    >>> concordance(d, "t", "e", "x", reverse=True).estimate
    1.0
    """
    if isinstance(data, (np.ndarray, pd.Series, list, tuple)):
        return _array_form(data, duration, event, weights, strata, cluster, entry, reverse, old)
    score = _checked_score(old, duration, event, score, conf_level)
    si = survival_input(
        data,
        duration,
        event,
        strata=strata,
        weights=weights,
        cluster=cluster,
        entry=entry,
        extra=[score],
    )
    from crlm_outcomes._data import as_frame

    x = as_frame(data, error=SurvivalDataError).loc[si.index, score]
    x_num = pd.to_numeric(x, errors="coerce")
    if x_num.isna().any():
        raise SurvivalDataError(
            "score is not numeric", column=score, value=x[x_num.isna()].iloc[0], expected="a number"
        )
    res = concordance_arrays(
        si.time,
        si.event,
        x_num.to_numpy(np.float64),
        weights=si.weights,
        strata=si.strata,
        cluster=si.cluster,
        entry=si.entry,
        reverse=bool(reverse),
    )
    return Concordance(
        table=_concordance_table(res, conf_level),
        score=score,
        reverse=bool(reverse),
        conf_level=conf_level,
        n=si.n,
        excluded=si.excluded,
    )


def _array_form(
    time: Any,
    status: Any,
    x: Any,
    weights: Any,
    strata: Any,
    cluster: Any,
    entry: Any,
    reverse: bool | None,
    old: dict[str, Any],
) -> pd.Series:
    """The deprecated ``concordance(time, status, x, ...)`` on arrays, with its FutureWarning."""
    warn_deprecated(
        "concordance(time, status, x, ...) on arrays",
        "concordance(data, duration, event, score, ...) on a DataFrame, or "
        "concordance_arrays() for arrays",
        stacklevel=4,
    )
    # the old positional order (time, status, x) lands in (data, duration, event)
    x = x if x is not None else old.pop("x", None)
    if old:
        raise SpecError(
            "unknown argument(s) to concordance",
            value=sorted(old),
            expected="time, status, x, weights, strata, cluster, entry, reverse",
        )
    return concordance_arrays(
        np.asarray(time, float),
        np.asarray(status),
        np.asarray(x),
        weights=weights,
        strata=strata,
        cluster=cluster,
        entry=entry,
        reverse=True if reverse is None else reverse,
    )


def _checked_score(
    old: dict[str, Any], duration: Any, event: Any, score: str | None, conf_level: float
) -> str:
    """The score column, after a :class:`SpecError` for an unknown keyword, a missing column
    name or a bad level."""
    if old:
        raise SpecError(
            "unknown argument(s) to concordance",
            value=sorted(old),
            expected="data, duration, event, score, weights, strata, cluster, entry, "
            "reverse, conf_level",
        )
    if score is None or duration is None or event is None:
        raise SpecError(
            "concordance needs duration, event and score columns",
            value=None,
            expected="concordance(data, duration, event, score)",
        )
    if not 0 < conf_level < 1:
        raise SpecError(
            "conf_level must lie strictly between 0 and 1", value=conf_level, expected="e.g. 0.95"
        )
    return score


def _concordance_table(res: pd.Series, conf_level: float) -> pd.DataFrame:
    """One row: C, its standard error and Wald limits, and the pair counts."""
    z = stats.norm.ppf(0.5 + conf_level / 2)
    est, se = float(res["concordance"]), float(res["std"])
    return pd.DataFrame(
        {
            "estimate": [est],
            "std_error": [se],
            "lower": [est - z * se],
            "upper": [est + z * se],
            "concordant": [res["concordant"]],
            "discordant": [res["discordant"]],
            "tied_x": [res["tied.x"]],
            "tied_y": [res["tied.y"]],
            "tied_xy": [res["tied.xy"]],
        }
    )
