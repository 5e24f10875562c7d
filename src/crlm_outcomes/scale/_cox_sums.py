"""Cox partial likelihood from per-(stratum, time) sums: the numeric core shared by every engine.

Each Newton step of a Cox fit depends on the rows only through, for every stratum and distinct
exit time ``t``, the sums over the rows leaving at ``t`` of

* ``r = w exp(eta)``, ``r x`` and ``r x x'`` (all rows; ``eta = x'beta``),
* the same over the rows with an event at ``t`` (Efron's correction needs them), the number of
  events ``d`` and their summed case weight ``dw``,

and, for counting-process data ``(entry, stop]``, the first three over the rows *entering* at
``t``. The risk-set sums ``S0, S1, S2`` at an event time are reverse cumulative sums of these
per-time sums (minus those of the rows not yet entered), and Efron's or Breslow's log-likelihood,
score and information follow (Therneau & Grambsch 2000, *Modeling Survival Data*, Springer,
section 3.3; Efron 1977, JASA 72:557–565). This is the scheme of H2O's distributed CoxPH and of
WebDISCO (Lu et al., JAMIA 2015;22:1212–1219): a fixed number of sums per distinct time, whatever
the number of rows.

The sums come from DuckDB, Dask, pandas or site files (:mod:`crlm_outcomes.scale._cox`,
:mod:`crlm_outcomes.scale.federated_cox`) as a frame with the key columns, ``__t`` (time) and the
sum columns named by :func:`sum_columns`; :func:`derivatives_from_sums` turns them into the
(log-likelihood, score, information) triple that the shared Newton loop
(:func:`crlm_outcomes.survival._cox_engine.newton_loop`) iterates on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "TIME",
    "EVENT",
    "TimeSums",
    "sum_columns",
    "entry_columns",
    "time_sums",
    "derivatives_from_sums",
    "frame_sums",
    "split_events",
    "SumsEvaluation",
    "EventSums",
    "event_sums",
]

TIME = "__t"
"""Name of the time column of a sums frame."""

#: Efron slots (one per event) evaluated at once; beyond, event times are taken in chunks.
_SLOT_CHUNK = 1 << 20


def _pairs(p: int) -> list[tuple[int, int]]:
    return [(j, k) for j in range(p) for k in range(j, p)]


def sum_columns(p: int) -> list[str]:
    """Names of the per-exit-time sum columns for ``p`` covariates.

    ``n`` rows, ``d`` events, ``dw`` event weight, ``r0`` sum of ``w exp(eta)``, ``r1_j`` of
    ``w exp(eta) x_j``, ``r2_j_k`` of ``w exp(eta) x_j x_k`` (``j <= k``), and ``e0``, ``e1_j``,
    ``e2_j_k`` the same over the event rows.

    Examples
    --------
    >>> sum_columns(1)
    ['n', 'd', 'dw', 'r0', 'r1_0', 'r2_0_0', 'e0', 'e1_0', 'e2_0_0']
    """
    out = ["n", "d", "dw"]
    for pre in ("r", "e"):
        out += [
            f"{pre}0",
            *[f"{pre}1_{j}" for j in range(p)],
            *[f"{pre}2_{j}_{k}" for j, k in _pairs(p)],
        ]
    return out


def entry_columns(p: int) -> list[str]:
    """Names of the per-entry-time sum columns (counting-process data): ``r0, r1_j, r2_j_k``.

    Examples
    --------
    >>> entry_columns(1)
    ['r0', 'r1_0', 'r2_0_0']
    """
    return ["r0", *[f"r1_{j}" for j in range(p)], *[f"r2_{j}_{k}" for j, k in _pairs(p)]]


EVENT = "__ev"
"""Name of the event-indicator column of per-(time, event) sums (:func:`split_events`)."""


def frame_sums(
    frame: pd.DataFrame,
    keys: Sequence[str],
    time: str,
    event: str | None,
    x: np.ndarray,
    w: np.ndarray,
    beta: np.ndarray,
) -> pd.DataFrame:
    """Per-(keys, time) sums of the rows of ``frame`` (in memory: pandas, a Dask partition).

    ``x`` is the (centred) design of the rows, ``w`` their case weights; ``event`` ``None``
    gives the entry-time sums (:func:`entry_columns`), otherwise per-(keys, time, event) sums
    (``n``, ``sw`` and :func:`entry_columns`, with :data:`EVENT`) that :func:`split_events`
    turns into the exit-time sums.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> f = pd.DataFrame({"t": [1.0, 1.0, 2.0], "e": [1, 0, 1]})
    >>> s = split_events(frame_sums(f, [], "t", "e", np.zeros((3, 1)), np.ones(3),
    ...                             np.zeros(1)), [], 1)
    >>> s[["__t", "n", "d", "r0"]].to_dict("list")
    {'__t': [1.0, 2.0], 'n': [2.0, 1.0], 'd': [1.0, 1.0], 'r0': [2.0, 1.0]}
    """
    p = x.shape[1]
    r = w * np.exp(x @ beta) if p else w.copy()
    key_frame = pd.DataFrame({k: frame[k].to_numpy() for k in keys})
    key_frame[TIME] = frame[time].to_numpy(dtype=np.float64)
    group = [*keys, TIME]
    if event is not None:
        key_frame[EVENT] = frame[event].to_numpy(dtype=np.float64) > 0
        group.append(EVENT)
    grouper = key_frame.groupby(group, sort=True, observed=True, dropna=False)
    codes = grouper.ngroup().to_numpy()
    out = grouper.size().reset_index()[group]
    size = len(out)

    def total(v: np.ndarray) -> np.ndarray:
        return np.bincount(codes, weights=v, minlength=size)

    # one product at a time, summed by bincount: no n x p(p+1)/2 temporary
    cols: dict[str, np.ndarray] = {}
    if event is not None:
        cols["n"] = np.bincount(codes, minlength=size).astype(np.float64)
        cols["sw"] = total(w)
    rx = r[:, None] * x
    cols["r0"] = total(r)
    for j in range(p):
        cols[f"r1_{j}"] = total(rx[:, j])
    for j, k in _pairs(p):
        cols[f"r2_{j}_{k}"] = total(rx[:, j] * x[:, k])
    return pd.concat([out, pd.DataFrame(cols)], axis=1)


def split_events(lines: pd.DataFrame, keys: Sequence[str], p: int) -> pd.DataFrame:
    """Per-(keys, time, event) sums -> per-(keys, time) exit-time sums (:func:`sum_columns`):
    ``r*`` over all rows, ``e*`` over the event rows, ``d`` and ``dw`` their count and weight.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"__t": [1.0, 1.0], "__ev": [True, False], "n": [2.0, 3.0],
    ...                   "sw": [2.0, 3.0], "r0": [2.0, 3.0]})
    >>> split_events(f, [], 0)[["n", "d", "dw", "r0", "e0"]].to_dict("records")
    [{'n': 5.0, 'd': 2.0, 'dw': 2.0, 'r0': 5.0, 'e0': 2.0}]
    """
    rcols = entry_columns(p)
    group = [*keys, TIME]
    ev = lines[EVENT].to_numpy(dtype=bool)
    allsum = lines.groupby(group, sort=True, observed=True, dropna=False)[["n", *rcols]].sum()
    evl = (
        lines.loc[ev, [*group, "n", "sw", *rcols]]
        .groupby(group, sort=True, observed=True, dropna=False)
        .sum()
    )
    evl = evl.rename(columns={"n": "d", "sw": "dw", **{c: "e" + c[1:] for c in rcols}})
    out = allsum.join(evl, how="left").fillna(0.0).reset_index()
    return out[[*group, *sum_columns(p)]]


@dataclass(frozen=True)
class TimeSums:
    """Exit-time (and entry-time) sums as arrays, rows sorted by stratum then time."""

    stratum: np.ndarray
    time: np.ndarray
    d: np.ndarray
    dw: np.ndarray
    r0: np.ndarray
    r1: np.ndarray
    r2: np.ndarray
    e0: np.ndarray
    e1: np.ndarray
    e2: np.ndarray
    entry_stratum: np.ndarray | None = None
    entry_time: np.ndarray | None = None
    n0: np.ndarray | None = None
    n1: np.ndarray | None = None
    n2: np.ndarray | None = None
    strata_values: pd.DataFrame | None = None  # key values of each stratum code (row = code)


def _square(frame: pd.DataFrame, pre: str, p: int) -> np.ndarray:
    out = np.zeros((len(frame), p, p))
    for j, k in _pairs(p):
        v = frame[f"{pre}2_{j}_{k}"].to_numpy(dtype=np.float64)
        out[:, j, k] = v
        out[:, k, j] = v
    return out


def _strata_codes(
    frames: list[pd.DataFrame], keys: Sequence[str]
) -> tuple[list[np.ndarray], pd.DataFrame | None]:
    """Stratum code of each line of each frame, and the key values of each code (sorted)."""
    if not keys:
        return [np.zeros(len(f), dtype=np.int64) for f in frames], None
    allk = pd.concat([f[list(keys)] for f in frames], ignore_index=True)
    grouper = allk.groupby(list(keys), sort=True, observed=True, dropna=False)
    codes = grouper.ngroup().to_numpy(dtype=np.int64)
    values = grouper.size().reset_index()[list(keys)]
    out, at = [], 0
    for f in frames:
        out.append(codes[at : at + len(f)])
        at += len(f)
    return out, values


def time_sums(
    stop: pd.DataFrame, p: int, keys: Sequence[str] = (), entry: pd.DataFrame | None = None
) -> TimeSums:
    """Arrays of a sums frame (several lines of the same stratum and time are added up).

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"__t": [2.0, 1.0, 2.0], "n": [1, 1, 1], "d": [1, 0, 0],
    ...                   "dw": [1.0, 0, 0], "r0": [1.0, 1, 1], "e0": [1.0, 0, 0]})
    >>> ts = time_sums(f, 0)
    >>> ts.time.tolist(), ts.r0.tolist(), ts.d.tolist()
    ([1.0, 2.0], [1.0, 2.0], [0.0, 1.0])
    """
    keys = list(keys)
    cols = sum_columns(p)
    stop = stop.groupby([*keys, TIME], sort=True, observed=True, dropna=False)[cols].sum()
    stop = stop.reset_index()
    frames = [stop]
    if entry is not None:
        ecols = entry_columns(p)
        entry = (
            entry.groupby([*keys, TIME], sort=True, observed=True, dropna=False)[ecols]
            .sum()
            .reset_index()
        )
        frames.append(entry)
    codes, strata_values = _strata_codes(frames, keys)
    st = codes[0]
    order = np.lexsort((stop[TIME].to_numpy(np.float64), st))
    stop = stop.iloc[order].reset_index(drop=True)
    st = st[order]

    def vec(frame: pd.DataFrame, pre: str) -> np.ndarray:
        return frame[[f"{pre}1_{j}" for j in range(p)]].to_numpy(np.float64).reshape(len(frame), p)

    extra = {}
    if entry is not None:
        est = codes[1]
        eorder = np.lexsort((entry[TIME].to_numpy(np.float64), est))
        entry = entry.iloc[eorder].reset_index(drop=True)
        extra = dict(
            entry_stratum=est[eorder],
            entry_time=entry[TIME].to_numpy(np.float64),
            n0=entry["r0"].to_numpy(np.float64),
            n1=vec(entry, "r"),
            n2=_square(entry, "r", p),
        )
    return TimeSums(
        stratum=st,
        time=stop[TIME].to_numpy(np.float64),
        d=stop["d"].to_numpy(np.float64),
        dw=stop["dw"].to_numpy(np.float64),
        r0=stop["r0"].to_numpy(np.float64),
        r1=vec(stop, "r"),
        r2=_square(stop, "r", p),
        e0=stop["e0"].to_numpy(np.float64),
        e1=vec(stop, "e"),
        e2=_square(stop, "e", p),
        strata_values=strata_values,
        **extra,
    )


def _seg_revcumsum(a: np.ndarray, st: np.ndarray) -> np.ndarray:
    """Reverse cumulative sum within runs of equal ``st`` (rows sorted by ``st``)."""
    out = np.empty_like(a)
    bounds = np.flatnonzero(np.concatenate([[True], st[1:] != st[:-1], [True]]))
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        np.add.accumulate(a[lo:hi][::-1], axis=0, out=out[lo:hi][::-1])
    return out


def _not_entered(ts: TimeSums, st: np.ndarray, t: np.ndarray):
    """Sums over the rows entering at or after ``t`` (same stratum): not yet at risk at ``t``."""
    p = ts.r1.shape[1]
    k = t.size
    o0, o1, o2 = np.zeros(k), np.zeros((k, p)), np.zeros((k, p, p))
    if ts.entry_time is None or not ts.entry_time.size:
        return o0, o1, o2
    # the entry sums are filled together with entry_time (time_sums with an entry column)
    assert ts.entry_stratum is not None and ts.n0 is not None
    assert ts.n1 is not None and ts.n2 is not None
    c0 = _seg_revcumsum(ts.n0, ts.entry_stratum)
    c1 = _seg_revcumsum(ts.n1, ts.entry_stratum)
    c2 = _seg_revcumsum(ts.n2, ts.entry_stratum)
    for s in np.unique(st):
        rows = np.flatnonzero(st == s)
        lo = np.searchsorted(ts.entry_stratum, s, side="left")
        hi = np.searchsorted(ts.entry_stratum, s, side="right")
        if hi == lo:
            continue
        at = lo + np.searchsorted(ts.entry_time[lo:hi], t[rows], side="left")
        ok = at < hi
        o0[rows[ok]] = c0[at[ok]]
        o1[rows[ok]] = c1[at[ok]]
        o2[rows[ok]] = c2[at[ok]]
    return o0, o1, o2


def _slot_sums(d: np.ndarray, dw: np.ndarray, s0: np.ndarray, e0: np.ndarray, efron: bool):
    """Per event time: sum of wt log(den), A = sum wt/den, B = sum wt f/den,
    C_q = sum wt f^q / den^2 over Efron's slots ``f = j/d`` (one slot ``f = 0`` for Breslow)."""
    k = d.size
    if not efron:
        inv = dw / s0
        z = np.zeros(k)
        return float(np.dot(dw, np.log(s0))), inv, z, inv / s0, z, z
    counts = d.astype(np.int64)
    out = np.zeros((5, k))
    logsum = 0.0
    cum = np.cumsum(counts)
    start = 0
    while start < k:
        # event times [start, stop) hold at most _SLOT_CHUNK slots (at least one time)
        stop = max(
            start + 1,
            int(np.searchsorted(cum, (cum[start - 1] if start else 0) + _SLOT_CHUNK, side="right")),
        )
        cnt = counts[start:stop]
        kk = np.repeat(np.arange(stop - start), cnt)
        first = np.cumsum(cnt) - cnt
        f = (np.arange(kk.size) - first[kk]) / cnt[kk]
        wt = (dw[start:stop] / cnt)[kk]
        den = s0[start:stop][kk] - f * e0[start:stop][kk]
        logsum += float(np.dot(wt, np.log(den)))
        inv = wt / den
        inv2 = inv / den
        for row, v in enumerate((inv, inv * f, inv2, inv2 * f, inv2 * f * f)):
            out[row, start:stop] = np.add.reduceat(v, first)
        start = stop
    return logsum, out[0], out[1], out[2], out[3], out[4]


@dataclass(frozen=True)
class SumsEvaluation:
    """Log-likelihood, score and information at one ``beta`` (the Newton loop's input)."""

    loglik: float
    u: np.ndarray
    imat: np.ndarray
    n_event_times: int
    sums: TimeSums | None = None  # the per-time sums it came from (for the robust variance)

    def info(self) -> np.ndarray:
        """The information matrix (the Newton loop's accessor, as for rows in memory)."""
        return self.imat


@dataclass(frozen=True)
class EventSums:
    """Risk-set sums at each event time (rows of :class:`TimeSums` with ``d > 0``)."""

    stratum: np.ndarray
    time: np.ndarray
    d: np.ndarray
    dw: np.ndarray
    s0: np.ndarray
    s1: np.ndarray
    s2: np.ndarray | None
    e0: np.ndarray
    e1: np.ndarray
    e2: np.ndarray


def event_sums(ts: TimeSums, second: bool = True) -> EventSums:
    """``S0, S1`` (and ``S2`` if ``second``) of the risk set at each event time: reverse
    cumulative sums per stratum, minus the rows not yet entered (counting-process data)."""
    s0 = _seg_revcumsum(ts.r0, ts.stratum)
    s1 = _seg_revcumsum(ts.r1, ts.stratum)
    s2 = _seg_revcumsum(ts.r2, ts.stratum) if second else None
    ev = ts.d > 0
    st, t = ts.stratum[ev], ts.time[ev]
    s0, s1 = s0[ev], s1[ev]
    s2 = None if s2 is None else s2[ev]
    if ts.entry_time is not None:
        o0, o1, o2 = _not_entered(ts, st, t)
        s0, s1 = s0 - o0, s1 - o1
        s2 = None if s2 is None else s2 - o2
    return EventSums(
        stratum=st,
        time=t,
        d=ts.d[ev],
        dw=ts.dw[ev],
        s0=s0,
        s1=s1,
        s2=s2,
        e0=ts.e0[ev],
        e1=ts.e1[ev],
        e2=ts.e2[ev],
    )


def derivatives_from_sums(
    ts: TimeSums, beta: np.ndarray, u_events: np.ndarray, efron: bool
) -> SumsEvaluation:
    """Efron/Breslow partial log-likelihood, score and information from per-time sums.

    ``u_events`` is ``sum_events w x`` (the event sums ``e1`` at ``beta = 0``); the events'
    part of the log-likelihood is ``u_events'beta``.
    """
    p = ts.r1.shape[1]
    es = event_sums(ts)
    s1, s2, e1 = es.s1, es.s2, es.e1
    assert s2 is not None  # computed with second=True
    logsum, a, b, c0, c1, c2 = _slot_sums(es.d, es.dw, es.s0, es.e0, efron)
    loglik = float(u_events @ beta) - logsum
    u = u_events - (a @ s1 - b @ e1)
    second = np.einsum("k,kij->ij", a, s2) - np.einsum("k,kij->ij", b, es.e2)
    cross = (s1.T * c1) @ e1
    first = (s1.T * c0) @ s1 + (e1.T * c2) @ e1 - cross - cross.T
    imat = second - first
    imat = (imat + imat.T) / 2.0
    return SumsEvaluation(
        loglik=loglik, u=u, imat=imat.reshape(p, p), n_event_times=int(es.d.size), sums=ts
    )
