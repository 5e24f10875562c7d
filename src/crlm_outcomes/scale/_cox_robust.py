"""The robust (sandwich) variance of a Cox fit from per-time arrays and one more pass over the rows.

R's ``coxph(robust = TRUE)`` / ``cluster()`` variance is ``V = I^-1 (sum_c U_c U_c') I^-1``
with ``U_c = sum_{i in c} w_i U_i`` the weighted score residuals of cluster ``c`` (each row its
own cluster without ``cluster=``) and ``I^-1`` the model-based variance (Lin & Wei 1989, JASA
84:1074–1078; Therneau & Grambsch 2000, *Modeling Survival Data*, Springer, section 7.2.2).
A row's score residual needs, besides its own values, only arrays per (stratum, event time) of
the converged fit (survival's ``coxscore2.c`` / ``agscore3.c``, as
:func:`crlm_outcomes.survival._cox_engine.score_residuals` computes them in memory):

* ``h_k`` (the hazard increment ``dLambda_0``), ``m_k`` (``h_k`` times the risk-set mean of
  ``x``), summed within the stratum over the event times up to ``t``: ``H(t)``, ``M(t)``;
* for the deaths at ``t_k`` themselves: Efron's within-tie parts ``g_k = sum_j h_kj j/d_k`` and
  ``gm_k`` (the same for ``m``), and ``mbar_k``, the mean of the Efron-averaged means;

so that, with ``s_i = exp(x_i'beta)`` and ``k`` the last event time at or before ``t_i``,

``U_i = delta_i (x_i - mbar_k + s_i (x_i g_k - gm_k))
- s_i (x_i (H(t_i) - H(e_i)) - (M(t_i) - M(e_i)))``

(``e_i`` the entry time of counting-process rows, otherwise ``H(e_i) = M(e_i) = 0``). The
arrays (:class:`ScoreTimes`, a few numbers per distinct event time) go back to where the rows
are (an ASOF join in DuckDB, ``np.searchsorted`` in Dask partitions or at a site), and a second
aggregation sums ``w_i U_i`` per cluster and then the outer products: only the ``p x p`` "meat"
``sum_c U_c U_c'`` (and ``sum_i w_i U_i``, for the robust score test) comes back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crlm_outcomes.scale._cox_sums import TIME, TimeSums, _slot_sums, event_sums

__all__ = [
    "ScoreTimes",
    "score_times",
    "score_table",
    "table_score_times",
    "table_columns",
    "weighted_residuals",
    "meat_of",
    "outer_sums",
    "sandwich",
    "robust_score_test",
]


@dataclass(frozen=True)
class ScoreTimes:
    """Per-(stratum, event time) arrays of a fit at one ``beta`` (rows sorted by stratum, time).

    ``strata_values`` holds the key values of each stratum code (row ``c`` = code ``c``;
    ``None`` without strata).
    """

    keys: list[str]
    strata_values: pd.DataFrame | None
    stratum: np.ndarray
    time: np.ndarray
    cum_h: np.ndarray
    cum_m: np.ndarray
    g: np.ndarray
    gm: np.ndarray
    mbar: np.ndarray


def _seg_cumsum(a: np.ndarray, st: np.ndarray) -> np.ndarray:
    """Cumulative sum within runs of equal ``st`` (rows sorted by ``st``)."""
    out = np.empty_like(a)
    bounds = np.flatnonzero(np.concatenate([[True], st[1:] != st[:-1], [True]]))
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        np.add.accumulate(a[lo:hi], axis=0, out=out[lo:hi])
    return out


def score_times(ts: TimeSums, efron: bool, keys: Sequence[str] = ()) -> ScoreTimes:
    """The arrays a row's score residual needs, from the per-time sums at ``beta``.

    Examples
    --------
    Two deaths at time 1 (one tied pair, Efron) and one at time 2, ``beta = 0``:

    >>> import pandas as pd
    >>> from crlm_outcomes.scale._cox_sums import time_sums
    >>> f = pd.DataFrame({"__t": [1.0, 2.0], "n": [2, 2], "d": [2, 1], "dw": [2.0, 1.0],
    ...                   "r0": [2.0, 2.0], "e0": [2.0, 1.0]})
    >>> sc = score_times(time_sums(f, 0), efron=True)
    >>> sc.cum_h.round(4).tolist(), sc.g.round(4).tolist()
    ([0.5833, 1.0833], [0.1667, 0.0])
    """
    es = event_sums(ts, second=False)
    _, a, b, c0, c1, c2 = _slot_sums(es.d, es.dw, es.s0, es.e0, efron)
    s1, e1 = es.s1, es.e1
    m = s1 * c0[:, None] - e1 * c1[:, None]
    gm = s1 * c1[:, None] - e1 * c2[:, None]
    mbar = (s1 * a[:, None] - e1 * b[:, None]) / es.dw[:, None]
    return ScoreTimes(
        keys=list(keys),
        strata_values=ts.strata_values if keys else None,
        stratum=es.stratum,
        time=es.time,
        cum_h=_seg_cumsum(a, es.stratum),
        cum_m=_seg_cumsum(m, es.stratum),
        g=b,
        gm=gm,
        mbar=mbar,
    )


def table_columns(p: int) -> list[str]:
    """The value columns of a :func:`score_table` (after the key columns and ``__t``).

    Examples
    --------
    >>> table_columns(1)
    ['__h', '__g', '__m0', '__gm0', '__mb0']
    """
    return [
        "__h",
        "__g",
        *[f"__m{j}" for j in range(p)],
        *[f"__gm{j}" for j in range(p)],
        *[f"__mb{j}" for j in range(p)],
    ]


def score_table(sc: ScoreTimes) -> pd.DataFrame:
    """The arrays as one frame: the stratum's key columns, ``__t`` and :func:`table_columns`.

    Examples
    --------
    >>> import numpy as np
    >>> sc = ScoreTimes([], None, np.zeros(1, int), np.array([3.0]), np.array([0.5]),
    ...                 np.array([[0.1]]), np.zeros(1), np.zeros((1, 1)), np.array([[0.2]]))
    >>> score_table(sc).to_dict("records")
    [{'__t': 3.0, '__h': 0.5, '__g': 0.0, '__m0': 0.1, '__gm0': 0.0, '__mb0': 0.2}]
    """
    p = sc.cum_m.shape[1]
    cols: dict[str, np.ndarray] = {}
    if sc.keys and sc.strata_values is not None:
        for k in sc.keys:
            cols[k] = sc.strata_values[k].to_numpy()[sc.stratum]
    cols[TIME] = sc.time
    cols["__h"] = sc.cum_h
    cols["__g"] = sc.g
    for pre, arr in (("__m", sc.cum_m), ("__gm", sc.gm), ("__mb", sc.mbar)):
        for j in range(p):
            cols[f"{pre}{j}"] = arr[:, j]
    return pd.DataFrame(cols)


def table_score_times(table: pd.DataFrame, keys: Sequence[str], p: int) -> ScoreTimes:
    """:class:`ScoreTimes` back from a :func:`score_table` (e.g. read from a request file).

    Examples
    --------
    >>> import numpy as np
    >>> sc = ScoreTimes([], None, np.zeros(1, int), np.array([3.0]), np.array([0.5]),
    ...                 np.array([[0.1]]), np.zeros(1), np.zeros((1, 1)), np.array([[0.2]]))
    >>> table_score_times(score_table(sc), [], 1).cum_m.tolist()
    [[0.1]]
    """
    keys = list(keys)
    if keys:
        grouper = table.groupby(keys, sort=True, observed=True, dropna=False)
        codes = grouper.ngroup().to_numpy(dtype=np.int64)
        values = grouper.size().reset_index()[keys]
    else:
        codes = np.zeros(len(table), dtype=np.int64)
        values = None
    order = np.lexsort((table[TIME].to_numpy(np.float64), codes))
    t = table.iloc[order]

    def mat(pre: str) -> np.ndarray:
        return t[[f"{pre}{j}" for j in range(p)]].to_numpy(np.float64).reshape(len(t), p)

    return ScoreTimes(
        keys=keys,
        strata_values=values,
        stratum=codes[order],
        time=t[TIME].to_numpy(np.float64),
        cum_h=t["__h"].to_numpy(np.float64),
        cum_m=mat("__m"),
        g=t["__g"].to_numpy(np.float64),
        gm=mat("__gm"),
        mbar=mat("__mb"),
    )


def _row_codes(sc: ScoreTimes, key_frame: pd.DataFrame | None, n: int) -> np.ndarray:
    """Stratum code of each row (-1: a stratum without events)."""
    if not sc.keys or sc.strata_values is None or key_frame is None:
        return np.zeros(n, dtype=np.int64)
    index = pd.MultiIndex.from_frame(sc.strata_values[sc.keys])
    return index.get_indexer(pd.MultiIndex.from_frame(key_frame[sc.keys]))


def _at_or_before(sc: ScoreTimes, codes: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Index of the last event time ``<= t`` of each row's stratum (-1 if none)."""
    out = np.full(t.shape[0], -1, dtype=np.int64)
    for c in np.unique(codes[codes >= 0]):
        rows = np.flatnonzero(codes == c)
        lo = int(np.searchsorted(sc.stratum, c, side="left"))
        hi = int(np.searchsorted(sc.stratum, c, side="right"))
        if hi == lo:
            continue
        pos = np.searchsorted(sc.time[lo:hi], t[rows], side="right") - 1
        out[rows] = np.where(pos >= 0, lo + pos, -1)
    return out


def _cumulative(sc: ScoreTimes, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ok = idx >= 0
    at = np.where(ok, idx, 0)
    h = np.where(ok, sc.cum_h[at] if sc.cum_h.size else 0.0, 0.0)
    p = sc.cum_m.shape[1]
    m = np.where(ok[:, None], sc.cum_m[at] if sc.cum_h.size else 0.0, 0.0).reshape(-1, p)
    return h, m


def weighted_residuals(
    sc: ScoreTimes,
    key_frame: pd.DataFrame | None,
    time: np.ndarray,
    entry: np.ndarray | None,
    event: np.ndarray,
    x: np.ndarray,
    w: np.ndarray,
    beta: np.ndarray,
) -> np.ndarray:
    """``w_i U_i`` (``n x p``) of rows in memory (a Dask partition, a site's rows).

    ``x`` is the design centred as in the fit; ``time`` (and ``entry``) as the fit saw them
    (before R's merging of near-equal times, which the lookup reproduces).

    Examples
    --------
    >>> import numpy as np
    >>> sc = ScoreTimes([], None, np.zeros(1, int), np.array([1.0]), np.array([0.5]),
    ...                 np.array([[0.0]]), np.zeros(1), np.zeros((1, 1)), np.array([[0.0]]))
    >>> x = np.array([[1.0], [-1.0]])
    >>> weighted_residuals(sc, None, np.array([1.0, 2.0]), None, np.array([1, 0]), x,
    ...                    np.ones(2), np.zeros(1)).ravel().tolist()
    [0.5, 0.5]
    """
    n, p = x.shape
    codes = _row_codes(sc, key_frame, n)
    s = np.exp(x @ beta) if p else np.ones(n)
    it = _at_or_before(sc, codes, time)
    h, m = _cumulative(sc, it)
    if entry is not None:
        he, me = _cumulative(sc, _at_or_before(sc, codes, entry))
        h, m = h - he, m - me
    u = -(s[:, None] * (x * h[:, None] - m))
    ev = np.flatnonzero((event > 0) & (it >= 0))
    if ev.size:
        k = it[ev]
        xe = x[ev]
        u[ev] += (xe - sc.mbar[k]) + s[ev, None] * (xe * sc.g[k, None] - sc.gm[k])
    return u * w[:, None]


def meat_of(
    wu: np.ndarray, cluster: np.ndarray | pd.Series | None
) -> tuple[np.ndarray, np.ndarray]:
    """``(sum_c U_c U_c', sum_i w_i U_i)``: per row, or per cluster value when given.

    Examples
    --------
    >>> import numpy as np
    >>> meat, total = meat_of(np.array([[1.0], [2.0], [3.0]]), np.array(["a", "a", "b"]))
    >>> meat.tolist(), total.tolist()
    ([[18.0]], [6.0])
    """
    if cluster is not None:
        wu = pd.DataFrame(wu).groupby(np.asarray(cluster), sort=False).sum().to_numpy()
    return wu.T @ wu, wu.sum(axis=0)


def outer_sums(frame: pd.DataFrame, p: int) -> pd.DataFrame:
    """One line holding ``sum u u'`` (``o_j_k``) and ``sum u`` (``s_j``) of the ``__u*``
    columns of ``frame`` (a partition of per-cluster sums).

    Examples
    --------
    >>> import pandas as pd
    >>> outer_sums(pd.DataFrame({"__u0": [1.0, 2.0]}), 1).to_dict("records")
    [{'o_0_0': 5.0, 's_0': 3.0}]
    """
    wu = frame[[f"__u{j}" for j in range(p)]].to_numpy(np.float64).reshape(len(frame), p)
    meat, total = wu.T @ wu, wu.sum(axis=0)
    row = {f"o_{j}_{k}": [meat[j, k]] for j in range(p) for k in range(p)}
    row.update({f"s_{j}": [total[j]] for j in range(p)})
    return pd.DataFrame(row)


def sandwich(naive_var: np.ndarray, meat: np.ndarray) -> np.ndarray:
    """``V meat V`` (``V`` the model-based variance), symmetric.

    Examples
    --------
    >>> import numpy as np
    >>> sandwich(np.array([[2.0]]), np.array([[3.0]])).tolist()
    [[12.0]]
    """
    v = naive_var @ meat @ naive_var
    return (v + v.T) / 2.0


def robust_score_test(meat0: np.ndarray, u0: np.ndarray, toler: float) -> float:
    """R's robust score test: ``u0' (meat at beta = 0)^- u0`` (generalised inverse as
    survival's ``cholesky2``/``chsolve2``).

    Examples
    --------
    >>> import numpy as np
    >>> robust_score_test(np.array([[4.0]]), np.array([2.0]), 1e-12)
    1.0
    """
    from crlm_outcomes.survival import _cox_engine as eng

    keep = eng.cholesky2_rank(meat0, toler)
    return float(u0 @ eng.solve_kept(meat0, u0, keep))
