"""Numeric core of the Cox model: risk-set sums, Efron/Breslow derivatives, Newton-Raphson.

Why our own code rather than lifelines or statsmodels: neither reproduces R's ``coxph`` to the
last digits (R's iteration path, convergence rule, aliasing rule, robust variance and score test),
and both are slow on cohort-sized data. This module follows survival 3.5-3's ``coxfit6`` /
``agfit4`` (Therneau; C sources ``coxfit6.c``, ``agfit4.c``, ``coxscore2.c``, ``zph1.c``) step by
step, but computes every sum from per-event-time sufficient statistics instead of R's row loops:

* Rows are mapped once to the half-open range ``[lo, hi)`` of event-time indices (global over
  strata) at which they are at risk; right-censored rows start at their stratum's first event
  time, counting-process rows ``(entry, stop]`` after the last event time <= entry.
* ``S0_k`` and ``S1_k`` are segmented (per-stratum) reverse cumulative sums of per-bin totals.
* Per-bin sums of ``r X`` (event rows, all rows) are sparse-times-dense products
  (``scipy.sparse``, one CSR row per block of sorted rows): one pass over ``X`` with no
  ``n x p`` temporary; ``np.add.reduceat`` over the rows of ``r X`` was several times slower.
* The second-moment term ``sum_k m_k S2_k`` is one weighted ``X'WX`` (a single BLAS call over
  all rows; per-bin products were tried and are slow with threaded BLAS on a busy machine):
  each row's weight is its risk times the sum of ``m_k`` over the event times at which it is at
  risk; Efron's within-tie down-weighting enters as a smaller weight on the tied event rows.
  The weights are >= 0, so it is computed as ``Z'Z`` with ``Z = X sqrt(W)`` (BLAS ``syrk``,
  half the work of ``gemm``) in a scratch array reused across iterations. The ``S1 S1'`` term
  is a ``K x p`` product. No ``n x p x p`` intermediate is ever formed.
* The events' part of the log-likelihood, ``sum_events w_i x_i'beta``, is ``u_events'beta``
  with ``u_events = sum_events w_i x_i`` computed once, so no per-iteration gather of the
  event rows is needed.
* Rows are ordered with a single stable sort by time (events first among ties), which also
  yields the distinct event times and each row's range without any search. Integer-valued
  times in a short range (days, months) are sorted by a 16-bit key (a radix sort).
* Efron's ``d_k`` sub-terms are laid out as "slots" (one per event), so ties of any size are
  vectorised.

The Newton iteration (start, step halving, the ``|1 - l_old/l_new| <= eps`` stopping rule, the
Cholesky tolerance that marks aliased columns, the "coefficient may be infinite" check) is R's, so
the final iterate agrees with R's to rounding error rather than to the convergence tolerance.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from scipy import sparse

__all__ = [
    "RiskSets",
    "build_risk_sets",
    "Derivatives",
    "derivatives",
    "info_weighted",
    "NewtonResult",
    "newton",
    "newton_loop",
    "Evaluation",
    "cholesky2_rank",
    "score_residuals",
    "risk_sums",
    "event_sums",
]


@dataclass(frozen=True)
class RiskSets:
    """Where each (sorted) row is at risk, and the event-time structure.

    Rows are kept in the order ``order`` (a permutation of the input rows) so that the bin of
    each row (the last event-time index at which it is at risk) is non-decreasing.
    """

    n: int
    n_times: int
    order: np.ndarray  # input row of each sorted row
    lo: np.ndarray  # first event-time index at risk (sorted rows)
    hi: np.ndarray  # one past the last event-time index at risk
    lo_sub: np.ndarray | None  # sorted rows whose lo is after their stratum's first time
    bin_starts: np.ndarray  # start of each bin's block in the sorted rows (K entries)
    first_used: int  # sorted rows before this are at risk at no event time
    seg: list[tuple[int, int]]  # event-time index range of each stratum
    bounds: np.ndarray  # reduceat boundaries of event / non-event blocks of each bin
    blk_ptr: np.ndarray  # CSR row pointer of those blocks (``bounds`` plus the end)
    blk_idx: np.ndarray  # CSR column indices: 0 .. n - first_used - 1
    blk_len: np.ndarray  # rows in each block
    bin_ptr: np.ndarray  # CSR row pointer of the bins (relative to first_used)
    ev_idx: np.ndarray  # CSR column indices of the event rows (relative to first_used)
    ev_ptr: np.ndarray  # CSR row pointer of each bin's event rows in ev_idx
    ev_seg: np.ndarray  # segment of each bin's events
    c_seg: np.ndarray  # segment of each bin's non-events (bins with has_c only)
    has_c: np.ndarray
    k_stratum: np.ndarray  # stratum code of each event time
    times: np.ndarray  # event time of each index
    ev_rows: np.ndarray  # sorted positions of event rows
    ev_k: np.ndarray  # event-time index of each event row
    d: np.ndarray  # number of events at each time
    dw: np.ndarray  # sum of event weights at each time
    slot_k: np.ndarray
    slot_f: np.ndarray
    slot_wt: np.ndarray
    slot_starts: np.ndarray  # first slot of each event time
    efron: bool


def event_first_time_order(time: np.ndarray, is_ev: np.ndarray) -> np.ndarray:
    """Row order by time, events before non-events at tied times, data order otherwise.

    Integer-valued times spanning fewer than 32767 units (days, months) are sorted through the
    16-bit key ``2 (time - min) + non-event``, for which numpy's stable sort is a radix sort.
    """
    is_ev = np.asarray(is_ev, dtype=bool)
    if time.size:
        t0 = time.min()
        if time.max() - t0 < 32767:
            shifted = time - t0
            key = shifted.astype(np.uint16)
            if np.array_equal(key, shifted):
                key <<= 1
                key |= ~is_ev
                return np.argsort(key, kind="stable")
    oe = np.argsort(~is_ev, kind="stable")
    return oe[np.argsort(time[oe], kind="stable")]


def _index_right(time, is_ev, strata, time_order):
    """Right-censored rows: sorted order and at-risk ranges from one sort by time."""
    n = time.shape[0]
    order = event_first_time_order(time, is_ev) if time_order is None else time_order
    ss = None
    if strata is not None:
        s_o = strata[order]
        key = s_o.astype(np.uint16) if s_o.max() < np.iinfo(np.uint16).max else s_o
        order = order[np.argsort(key, kind="stable")]
        ss = strata[order]
    ts, es = time[order], is_ev[order]
    gstart = np.empty(n, dtype=bool)  # first row of each (stratum, time) group
    gstart[:1] = True
    np.not_equal(ts[1:], ts[:-1], out=gstart[1:])
    if ss is not None:
        gstart[1:] |= ss[1:] != ss[:-1]
    new_et = es & gstart  # first (event) row of each distinct event time
    # events come first in their group, so the running count of event times is constant
    # within a group: it is each row's number of event times <= its own time, ties included
    hi = np.cumsum(new_et)
    times = ts[new_et]
    if ss is None:
        # the rows at risk at no event time (before the first one) already lead
        lo = np.zeros(n, dtype=hi.dtype)
        k_stratum = np.zeros(times.size, dtype=np.int64)
    else:
        sstart = np.ones(n, dtype=bool)
        sstart[1:] = ss[1:] != ss[:-1]
        lo = (hi - new_et)[np.flatnonzero(sstart)][np.cumsum(sstart) - 1]
        k_stratum = ss[new_et]
        unused = hi == lo
        if unused.any():
            perm = np.concatenate([np.flatnonzero(unused), np.flatnonzero(~unused)])
            order, lo, hi, es = order[perm], lo[perm], hi[perm], es[perm]
    kb = (
        np.flatnonzero(np.concatenate([[True], k_stratum[1:] != k_stratum[:-1]]))
        if times.size
        else np.zeros(0, np.int64)
    )
    seg = list(zip(kb.tolist(), np.append(kb[1:], times.size).tolist(), strict=True))
    return order, lo, hi, times, k_stratum, seg, None, es


def _index_counting(time, entry, is_ev, st, strata):
    """Counting-process rows ``(entry, time]``."""
    n = time.shape[0]
    ev_idx = np.flatnonzero(is_ev)
    if ev_idx.size:
        pair = np.lexsort((time[ev_idx], st[ev_idx]))
        es, et = st[ev_idx][pair], time[ev_idx][pair]
        new = np.ones(es.size, dtype=bool)
        new[1:] = (es[1:] != es[:-1]) | (et[1:] != et[:-1])
        k_stratum, times = es[new], et[new]
    else:
        k_stratum = np.zeros(0, dtype=np.int64)
        times = np.zeros(0)
    seg = []
    hi = np.zeros(n, dtype=np.int64)
    lo = np.zeros(n, dtype=np.int64)
    for s in np.unique(st) if strata is not None else np.array([0]):
        a = int(np.searchsorted(k_stratum, s, side="left"))
        b = int(np.searchsorted(k_stratum, s, side="right"))
        seg.append((a, b))
        rows = slice(None) if strata is None else (st == s)
        tk = times[a:b]
        hi[rows] = a + np.searchsorted(tk, time[rows], side="right")
        lo[rows] = a + np.searchsorted(tk, entry[rows], side="right")
    seg = [(a, b) for a, b in seg if b > a]
    binv = np.where(hi > lo, hi - 1, -1)
    # sorted by bin, events first within a bin, data order otherwise
    key = 2 * (binv + 1) + (~is_ev)
    if key.size and key.max() < np.iinfo(np.uint16).max:
        key = key.astype(np.uint16)  # numpy's stable sort is a radix sort here
    order = np.argsort(key, kind="stable")
    lo_s, hi_s = lo[order], hi[order]
    seg_start_of = np.zeros(max(times.size, 1), dtype=np.int64)
    for a, b in seg:
        seg_start_of[a:b] = a
    safe = np.minimum(lo_s, max(times.size - 1, 0))
    late = (hi_s > lo_s) & (lo_s > seg_start_of[safe])
    return order, lo_s, hi_s, times, k_stratum, seg, np.flatnonzero(late)


def build_risk_sets(
    time: np.ndarray,
    event: np.ndarray,
    weights: np.ndarray | None,
    strata: np.ndarray | None,
    entry: np.ndarray | None,
    efron: bool,
    time_order: np.ndarray | None = None,
) -> RiskSets:
    """Index the risk sets of right-censored or counting-process ``(entry, time]`` data.

    ``weights`` ``None`` means unit case weights. ``time_order`` (right-censored data only) is
    :func:`event_first_time_order` of the data, when the caller already has it.
    """
    n = time.shape[0]
    is_ev = event > 0
    if entry is None:
        order, lo_s, hi_s, times, k_stratum, seg, lo_sub, ev_sorted = _index_right(
            time, is_ev, None if strata is None else strata.astype(np.int64), time_order
        )
    else:
        st = np.zeros(n, dtype=np.int64) if strata is None else strata.astype(np.int64)
        order, lo_s, hi_s, times, k_stratum, seg, lo_sub = _index_counting(
            time, entry, is_ev, st, strata
        )
        ev_sorted = is_ev[order]
    n_times = times.size
    used = hi_s > lo_s
    first_used = int(n - np.count_nonzero(used))
    bu = hi_s[first_used:] - 1
    if n_times:
        bin_starts = first_used + np.flatnonzero(np.concatenate([[True], bu[1:] != bu[:-1]]))
    else:
        bin_starts = np.zeros(0, dtype=np.int64)
    ev_rows = np.flatnonzero(ev_sorted)
    ev_k = hi_s[ev_rows] - 1
    d = np.bincount(ev_k, minlength=n_times).astype(np.float64)
    dw: np.ndarray
    if weights is None:
        dw = d.copy()
    else:
        dw = np.bincount(ev_k, weights=weights[order[ev_rows]], minlength=n_times)
    slot_k, slot_f, slot_wt, slot_starts = _efron_slots(d, dw, efron)
    bounds, ev_seg, c_seg, has_c = _block_bounds(bin_starts, d, n, first_used)
    n_used = n - first_used
    idx_t = np.int32 if n < np.iinfo(np.int32).max else np.int64
    blk_ptr = np.append(bounds, n_used).astype(idx_t)
    return RiskSets(
        n=n,
        n_times=n_times,
        order=order,
        lo=lo_s,
        hi=hi_s,
        lo_sub=lo_sub,
        bin_starts=bin_starts,
        first_used=first_used,
        seg=seg,
        bounds=bounds,
        blk_ptr=blk_ptr,
        blk_idx=np.arange(n_used, dtype=idx_t),
        blk_len=np.diff(blk_ptr).astype(np.int64),
        bin_ptr=np.append(bin_starts - first_used, n_used).astype(idx_t),
        ev_idx=(ev_rows - first_used).astype(idx_t),
        ev_ptr=np.concatenate([[0], np.cumsum(d.astype(np.int64))]).astype(idx_t),
        ev_seg=ev_seg,
        c_seg=c_seg,
        has_c=has_c,
        k_stratum=k_stratum,
        times=times,
        ev_rows=ev_rows,
        ev_k=ev_k,
        d=d,
        dw=dw,
        slot_k=slot_k,
        slot_f=slot_f,
        slot_wt=slot_wt,
        slot_starts=slot_starts,
        efron=efron,
    )


def _efron_slots(
    d: np.ndarray, dw: np.ndarray, efron: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Efron's sub-terms as "slots", one per event (one per event time for Breslow): the
    event time of each slot, its fraction ``f = j/d``, its weight ``dw/d``, and the first slot
    of each event time."""
    n_times = d.size
    if not efron:
        return np.arange(n_times), np.zeros(n_times), dw.copy(), np.arange(n_times)
    counts = d.astype(np.int64)
    slot_k = np.repeat(np.arange(n_times), counts)
    starts = np.cumsum(counts) - counts
    j = np.arange(slot_k.size) - starts[slot_k]
    return slot_k, j / d[slot_k], dw[slot_k] / d[slot_k], starts


def _block_bounds(
    bin_starts: np.ndarray, d: np.ndarray, n: int, first_used: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``reduceat`` boundaries (relative to ``first_used``): the event block of every bin
    (never empty) followed by its non-event block when that is not empty; with the block
    index of each bin's events, of its non-events, and which bins have non-events."""
    n_times = d.size
    nxt = np.append(bin_starts[1:], n) if n_times else np.zeros(0, np.int64)
    cstart = bin_starts + d.astype(np.int64)
    has_c = cstart < nxt
    ev_seg = (
        np.arange(n_times) + np.concatenate([[0], np.cumsum(has_c)[:-1]])
        if n_times
        else np.zeros(0, np.int64)
    )
    c_seg = ev_seg[has_c] + 1
    bounds = np.empty(n_times + int(has_c.sum()), dtype=np.int64)
    bounds[ev_seg] = bin_starts - first_used
    bounds[c_seg] = cstart[has_c] - first_used
    return bounds, ev_seg, c_seg, has_c


def _seg_revcumsum(a: np.ndarray, seg: list[tuple[int, int]]) -> np.ndarray:
    out = np.empty_like(a)
    for lo, hi in seg:
        np.add.accumulate(a[lo:hi][::-1], axis=0, out=out[lo:hi][::-1])
    return out


def _seg_cumsum(a: np.ndarray, seg: list[tuple[int, int]]) -> np.ndarray:
    out = np.empty_like(a)
    for lo, hi in seg:
        np.add.accumulate(a[lo:hi], axis=0, out=out[lo:hi])
    return out


def _range_sum(cum: np.ndarray, rs: RiskSets) -> np.ndarray:
    """Per sorted row: sum over its at-risk range [lo, hi) of a quantity whose segmented
    inclusive cumulative sum is ``cum`` (length K, possibly K x p)."""
    shape = (rs.n,) + cum.shape[1:]
    out = np.zeros(shape)
    used = slice(rs.first_used, rs.n)
    out[used] = cum[rs.hi[used] - 1]
    if rs.lo_sub is not None and rs.lo_sub.size:
        out[rs.lo_sub] -= cum[rs.lo[rs.lo_sub] - 1]
    return out


def _bin_sums(v: np.ndarray, rs: RiskSets) -> tuple[np.ndarray, np.ndarray]:
    """Per bin: (sum over the bin's event rows, sum over all its rows) of ``v`` (1-D)."""
    return _split_blocks(np.add.reduceat(v[rs.first_used :], rs.bounds, axis=0), rs)


def _split_blocks(seg: np.ndarray, rs: RiskSets) -> tuple[np.ndarray, np.ndarray]:
    """Per-block sums -> per bin (event-block sums, whole-bin sums)."""
    ev = seg[rs.ev_seg]
    tot = ev.copy()
    tot[rs.has_c] += seg[rs.c_seg]
    return ev, tot


def _row_sums(vals: np.ndarray, idx: np.ndarray, ptr: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Row ``g`` of the result is ``sum_j vals[j] x[idx[j]]`` over ``j`` in
    ``ptr[g]:ptr[g + 1]``: one sparse-times-dense product, a single pass over the rows of ``x``
    with no ``n x p`` temporary (several times faster than ``np.add.reduceat`` on ``r X``)."""
    mat = sparse.csr_array((vals, idx, ptr), shape=(ptr.size - 1, x.shape[0]))
    return mat @ np.ascontiguousarray(x)


def _bin_x_sums(r: np.ndarray, x: np.ndarray, rs: RiskSets) -> tuple[np.ndarray, np.ndarray]:
    """Per bin: the sums of ``r_i x_i`` over its event rows and over all its rows (K x p)."""
    used = rs.first_used
    xu = x[used:]
    if 32 * rs.blk_len.size <= xu.shape[0]:
        # few distinct times: one product over the event / non-event blocks, then combine
        return _split_blocks(_row_sums(r[used:], rs.blk_idx, rs.blk_ptr, xu), rs)
    # about one bin per event (continuous times): two products beat K x p gathers
    return (
        _row_sums(r[rs.ev_rows], rs.ev_idx, rs.ev_ptr, xu),
        _row_sums(r[used:], rs.blk_idx, rs.bin_ptr, xu),
    )


def event_sums(w: np.ndarray, x: np.ndarray, rs: RiskSets) -> np.ndarray:
    """``sum_events w_i x_i`` (sorted rows): a one-row sparse product touches only the event
    rows, with no gathered copy of them."""
    ev = rs.ev_rows
    idx_t = rs.blk_idx.dtype
    mat = sparse.csr_array(
        (w[ev], ev.astype(idx_t), np.array([0, ev.size], dtype=idx_t)), shape=(1, rs.n)
    )
    return (mat @ x)[0]


def _weighted_gram(x: np.ndarray, weight: np.ndarray, work: np.ndarray | None = None) -> np.ndarray:
    """``X' diag(weight) X``. With weights >= 0 it is ``Z'Z`` with ``Z = X sqrt(weight)``:
    numpy hands a product of an array with its own transpose to BLAS ``syrk``, half the work of
    the ``gemm`` that signed weights (the PH test's time-weighted information) need. ``work``
    (at least as many rows as ``x``, same columns) receives ``Z``."""
    z = None if work is None or work.shape[1] != x.shape[1] else work[: x.shape[0]]
    if weight.size and weight.min() >= 0:
        z = np.multiply(x, np.sqrt(weight)[:, None], out=z)
        return z.T @ z
    return np.multiply(x, weight[:, None], out=z).T @ x


def risk_sums_full(r: np.ndarray, x: np.ndarray | None, rs: RiskSets):
    """S0, S1 (risk-set sums) and D0, D1 (sums over the events) of weights ``r``."""
    if rs.n_times == 0:
        p = 0 if x is None else x.shape[1]
        return np.zeros(0), np.zeros((0, p)), np.zeros(0), np.zeros((0, p))
    d0, b0 = _bin_sums(r, rs)
    late = rs.lo_sub is not None and rs.lo_sub.size > 0
    if late:
        b0 = b0 - np.bincount(rs.lo[rs.lo_sub] - 1, weights=r[rs.lo_sub], minlength=rs.n_times)
    s0 = _seg_revcumsum(b0, rs.seg)
    if x is None:
        return s0, None, d0, None
    d1, b1 = _bin_x_sums(r, x, rs)
    if late:
        sub = rs.lo_sub
        kk = rs.lo[sub] - 1
        rx = x[sub] * r[sub, None]
        for j in range(x.shape[1]):
            b1[:, j] -= np.bincount(kk, weights=rx[:, j], minlength=rs.n_times)
    s1 = _seg_revcumsum(b1, rs.seg)
    return s0, s1, d0, d1


def risk_sums(r: np.ndarray, x: np.ndarray | None, rs: RiskSets):
    """Risk-set sums S0 (K) and, if ``x`` is given, S1 (K x p) of weights ``r``."""
    s0, s1, _, _ = risk_sums_full(r, x, rs)
    return s0, s1


@dataclass(frozen=True)
class Derivatives:
    loglik: float
    u: np.ndarray
    imat: np.ndarray | None
    # per event time pieces reused by residuals / tests
    s0: np.ndarray
    s1: np.ndarray
    d0: np.ndarray
    d1: np.ndarray
    risk: np.ndarray  # r = w * exp(eta - shift), sorted rows
    score: np.ndarray  # exp(eta - shift), sorted rows
    denom: np.ndarray  # per slot

    def info(self) -> np.ndarray:
        """The information matrix; only derivatives computed with ``need_info`` carry it."""
        if self.imat is None:
            raise RuntimeError("the information matrix was not computed (need_info=False)")
        return self.imat


def _slot_sums(
    rs: RiskSets, denom: np.ndarray, mult: np.ndarray | None = None, need_info: bool = True
):
    """Per event time: A = sum wt/den, B = sum wt f/den, E0..E2 = sum wt f^q/den^2."""
    wt = rs.slot_wt if mult is None else rs.slot_wt * mult[rs.slot_k]
    f = rs.slot_f
    if rs.slot_k.size == rs.n_times:  # one slot per event time (Breslow, or no ties)
        inv = wt / denom
        if not rs.efron:
            z = np.zeros(rs.n_times)
            return inv, z, (inv / denom if need_info else None), z, z
        inv2 = inv / denom
        return inv, inv * f, inv2, inv2 * f, inv2 * f * f
    starts = rs.slot_starts
    inv = wt / denom
    cols = [inv, inv * f]
    if need_info:
        inv2 = inv / denom
        inv2f = inv2 * f
        cols += [inv2, inv2f, inv2f * f]
    sums = [np.add.reduceat(c, starts) for c in cols]
    if need_info:
        return tuple(sums)
    return sums[0], sums[1], None, None, None


def derivatives(
    beta: np.ndarray,
    x: np.ndarray,
    w: np.ndarray,
    rs: RiskSets,
    u_events: np.ndarray,
    need_info: bool = True,
    work: np.ndarray | None = None,
) -> Derivatives:
    """Partial log-likelihood, score and information at ``beta`` (rows of ``x`` sorted).

    ``u_events`` is ``sum_events w_i x_i``; the events' part of the log-likelihood,
    ``sum_events w_i x_i'beta``, is ``u_events'beta``. ``work`` is an optional scratch array
    shaped like ``x`` (saves allocating one per call).
    """
    if x.shape[1] and np.any(beta != 0):
        score = x @ beta
        mx = float(score.max()) if score.size else 0.0
        shift = mx - 300.0 if mx > 300.0 else 0.0
        if shift:
            score -= shift
        np.exp(score, out=score)
    else:
        score, shift = np.ones(rs.n), 0.0
    r = w * score
    ev_part = float(u_events @ beta) - shift * float(rs.dw.sum())
    if need_info and rs.n_times and (rs.lo_sub is None or rs.lo_sub.size == 0):
        return _derivatives_fused(ev_part, score, r, x, rs, u_events, work)
    s0, s1, d0, d1 = risk_sums_full(r, x, rs)
    denom = s0[rs.slot_k] - rs.slot_f * d0[rs.slot_k]
    loglik = ev_part - float(np.dot(rs.slot_wt, np.log(denom)))
    a, b, e0, e1, e2 = _slot_sums(rs, denom, need_info=need_info)
    u = u_events - (a @ s1 - b @ d1)
    imat = None
    if need_info:
        imat = _info(x, r, rs, s1, d1, a, b, e0, e1, e2, work)
    return Derivatives(
        loglik=loglik, u=u, imat=imat, s0=s0, s1=s1, d0=d0, d1=d1, risk=r, score=score, denom=denom
    )


def _derivatives_fused(ev_part, score, r, x, rs, u_events, work) -> Derivatives:
    """Right-censored rows (no late entry): S1 from one sparse block-sum product, the Hessian
    from one weighted Gram matrix.

    The Hessian row weight is ``r_i * m`` with ``m`` constant over a bin's event rows
    (``cumA_k - B_k``) and over its other rows (``cumA_k``), both >= 0; the weights only need S0
    and the event sums D0, which are one-dimensional.
    """
    d0, b0 = _bin_sums(r, rs)
    s0 = _seg_revcumsum(b0, rs.seg)
    denom = s0[rs.slot_k] - rs.slot_f * d0[rs.slot_k]
    loglik = ev_part - float(np.dot(rs.slot_wt, np.log(denom)))
    a, b, e0, e1, e2 = _slot_sums(rs, denom)
    m_c = _seg_cumsum(a, rs.seg)
    m_e = m_c - b
    d1, b1 = _bin_x_sums(r, x, rs)
    s1 = _seg_revcumsum(b1, rs.seg)
    u = u_events - (a @ s1 - b @ d1)
    m_blk = np.empty(rs.blk_len.size)
    m_blk[rs.ev_seg] = m_e
    m_blk[rs.c_seg] = m_c[rs.has_c]
    roww = np.repeat(m_blk, rs.blk_len)
    roww *= r[rs.first_used :]
    second = _weighted_gram(x[rs.first_used :], roww, work)
    out = second - _first_term(s1, d1, e0, e1, e2)
    return Derivatives(
        loglik=loglik,
        u=u,
        imat=(out + out.T) / 2.0,
        s0=s0,
        s1=s1,
        d0=d0,
        d1=d1,
        risk=r,
        score=score,
        denom=denom,
    )


def _info(x, r, rs, s1, d1, a, b, e0, e1, e2, work=None) -> np.ndarray:
    cum_a = _seg_cumsum(a, rs.seg)
    roww = r * _range_sum(cum_a, rs)
    ev = rs.ev_rows
    roww[ev] -= r[ev] * b[rs.ev_k]
    used = slice(rs.first_used, rs.n)
    second = _weighted_gram(x[used], roww[used], work)
    out = second - _first_term(s1, d1, e0, e1, e2)
    return (out + out.T) / 2.0


def _first_term(s1, d1, e0, e1, e2) -> np.ndarray:
    """sum_k over Efron slots of wt a a' / den^2, with a = S1 - f D1."""
    first = _weighted_gram(s1, e0)
    tied = np.flatnonzero(e1)  # event times with tied events (Efron)
    if tied.size:
        if tied.size < e1.size:
            s1, d1, e1, e2 = s1[tied], d1[tied], e1[tied], e2[tied]
        cross = (s1.T * e1) @ d1
        first += _weighted_gram(d1, e2) - cross - cross.T
    return first


def info_weighted(deriv: Derivatives, x: np.ndarray, rs: RiskSets, mult: np.ndarray) -> np.ndarray:
    """Information matrix with event time k's contribution multiplied by ``mult[k]``."""
    a, b, e0, e1, e2 = _slot_sums(rs, deriv.denom, mult)
    return _info(x, deriv.risk, rs, deriv.s1, deriv.d1, a, b, e0, e1, e2)


def score_weighted(
    deriv: Derivatives, x: np.ndarray, w: np.ndarray, rs: RiskSets, mult: np.ndarray
) -> np.ndarray:
    """Score vector with event time k's contribution multiplied by ``mult[k]``."""
    ev = rs.ev_rows
    ue = (w[ev] * mult[rs.ev_k]) @ x[ev]
    a, b, *_ = _slot_sums(rs, deriv.denom, mult)
    return ue - (a @ deriv.s1 - b @ deriv.d1)


def schoenfeld_means(deriv: Derivatives, rs: RiskSets) -> np.ndarray:
    """Per event time: the (Efron-averaged) weighted mean covariate of the risk set (K x p)."""
    k = rs.slot_k
    means = (deriv.s1[k] - rs.slot_f[:, None] * deriv.d1[k]) / deriv.denom[:, None]
    cnt = np.bincount(k, minlength=rs.n_times).astype(float)
    out = np.zeros((rs.n_times, deriv.s1.shape[1]))
    for j in range(out.shape[1]):
        out[:, j] = np.bincount(k, weights=means[:, j], minlength=rs.n_times)
    return out / cnt[:, None]


def score_residuals(deriv: Derivatives, x: np.ndarray, rs: RiskSets) -> np.ndarray:
    """Score residuals (sorted rows, unweighted), as survival's ``coxscore2``/``agscore3``."""
    k, f = rs.slot_k, rs.slot_f
    K, p = rs.n_times, x.shape[1]
    means = (deriv.s1[k] - f[:, None] * deriv.d1[k]) / deriv.denom[:, None]
    haz = rs.slot_wt / deriv.denom
    h = np.bincount(k, weights=haz, minlength=K)
    hp = np.bincount(k, weights=haz * (1 - f), minlength=K)
    cnt = np.bincount(k, minlength=K).astype(float)
    m = np.empty((K, p))
    mp = np.empty((K, p))
    mbar = np.empty((K, p))
    for j in range(p):
        m[:, j] = np.bincount(k, weights=haz * means[:, j], minlength=K)
        mp[:, j] = np.bincount(k, weights=haz * (1 - f) * means[:, j], minlength=K)
        mbar[:, j] = np.bincount(k, weights=means[:, j], minlength=K) / cnt
    cum_h = _range_sum(_seg_cumsum(h, rs.seg), rs)
    cum_m = _range_sum(_seg_cumsum(m, rs.seg), rs)
    sc = deriv.score
    res = -sc[:, None] * (x * cum_h[:, None] - cum_m)
    ev, ek = rs.ev_rows, rs.ev_k
    xe = x[ev]
    corr = sc[ev, None] * (xe * h[ek, None] - m[ek])
    corr += (xe - mbar[ek]) - sc[ev, None] * (xe * hp[ek, None] - mp[ek])
    res[ev] += corr
    return res


def cholesky2_rank(imat: np.ndarray, toler: float) -> np.ndarray:
    """Columns kept by survival's ``cholesky2`` (pivots below ``toler * max(diag)`` dropped)."""
    a = np.array(imat, dtype=np.float64, copy=True)
    n = a.shape[0]
    keep = np.zeros(n, dtype=bool)
    if n == 0:
        return keep
    diag_max = float(np.max(np.diag(a))) if n else 0.0
    eps = toler if diag_max <= 0 else diag_max * toler
    for i in range(n):
        pivot = a[i, i]
        if not np.isfinite(pivot) or pivot < eps:
            a[i, i] = 0.0
            continue
        keep[i] = True
        v = a[i + 1 :, i].copy()
        a[i + 1 :, i + 1 :] -= np.outer(v, v) / pivot
        a[i + 1 :, i] = v / pivot
    return keep


def solve_kept(imat: np.ndarray, u: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """``chsolve2``: solve on the kept columns, zero elsewhere."""
    out = np.zeros_like(u)
    if keep.any():
        sub = imat[np.ix_(keep, keep)]
        out[keep] = np.linalg.solve(sub, u[keep])
    return out


def inverse_kept(imat: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """``chinv2``: inverse on the kept columns, zero rows/columns elsewhere."""
    out = np.zeros_like(imat)
    if keep.any():
        out[np.ix_(keep, keep)] = np.linalg.inv(imat[np.ix_(keep, keep)])
    return out


@dataclass(frozen=True)
class NewtonResult:
    beta: np.ndarray
    loglik0: float
    loglik: float
    sctest: float
    u: np.ndarray
    var: np.ndarray
    keep: np.ndarray
    iterations: int
    converged: bool
    halved: bool
    deriv: Any  # the last evaluation (Derivatives for rows in memory)


class Evaluation(Protocol):
    """What one Newton step needs at a given ``beta``: the partial log-likelihood, its
    gradient (score) and the information matrix (minus the Hessian)."""

    @property
    def loglik(self) -> float:
        """The partial log-likelihood at ``beta``."""
        ...

    @property
    def u(self) -> np.ndarray:
        """The score (gradient) at ``beta``."""
        ...

    def info(self) -> np.ndarray:
        """The information matrix at ``beta``."""
        ...


def newton(
    x: np.ndarray,
    w: np.ndarray,
    rs: RiskSets,
    scale: np.ndarray,
    *,
    counting: bool,
    eps: float = 1e-9,
    toler_chol: float = float(np.finfo(float).eps) ** 0.75,
    iter_max: int = 20,
    init: np.ndarray | None = None,
    work: np.ndarray | None = None,
) -> NewtonResult:
    """Newton-Raphson on the rows in memory (see :func:`newton_loop`). ``scale`` is R's column
    scaling (used for the rank rule); ``work`` an optional scratch array shaped like ``x``."""
    u_events = event_sums(w, x, rs)
    if work is None or work.shape != x.shape:
        work = np.empty_like(x)

    def evaluate(b: np.ndarray) -> Evaluation:
        return derivatives(b, x, w, rs, u_events, work=work)

    return newton_loop(
        evaluate,
        x.shape[1],
        scale,
        counting=counting,
        eps=eps,
        toler_chol=toler_chol,
        iter_max=iter_max,
        init=init,
    )


def newton_loop(
    evaluate: Callable[[np.ndarray], Evaluation],
    p: int,
    scale: np.ndarray,
    *,
    counting: bool,
    eps: float = 1e-9,
    toler_chol: float = float(np.finfo(float).eps) ** 0.75,
    iter_max: int = 20,
    init: np.ndarray | None = None,
) -> NewtonResult:
    """Newton-Raphson with step halving exactly as survival's ``coxfit6`` (right-censored) or
    ``agfit4`` (counting process), on any source of (log-likelihood, score, information).

    ``evaluate(beta)`` returns an object with ``loglik``, ``u`` and ``info()`` (the information matrix) at
    ``beta``: the
    rows in memory (:func:`derivatives`), or per-time sums aggregated by DuckDB, Dask or sites
    (:mod:`crlm_outcomes.scale._cox`). The result's ``deriv`` is the last such object.
    """
    beta = np.zeros(p) if init is None else np.asarray(init, dtype=float).copy()

    def evaluate_(b: np.ndarray) -> tuple[Any, np.ndarray]:
        dv = evaluate(b)
        keep = cholesky2_rank(dv.info() * np.outer(scale, scale), toler_chol)
        return dv, keep

    dv, keep = evaluate_(beta)
    loglik0 = dv.loglik
    step = solve_kept(dv.info(), dv.u, keep)
    sctest = float(dv.u @ step)
    if iter_max == 0 or not np.isfinite(loglik0):
        return _newton_result(beta, loglik0, sctest, dv, keep, 0, True, False)
    best = loglik0
    rank0 = int(keep.sum())
    old = beta.copy()
    new = beta + step
    halving = 0
    ever_halved = False
    it = 0
    for it in range(1, iter_max + 1):
        dvn, keepn = evaluate_(new)
        notfinite = _not_finite(dvn)
        if counting:
            notfinite = notfinite or int(keepn.sum()) != rank0
            ok = (not notfinite) and halving == 0
        else:
            ok = not notfinite
        if ok and _loglik_converged(best, dvn.loglik, eps):
            halved = ever_halved or halving > 0
            return _newton_result(new, loglik0, sctest, dvn, keepn, it, True, halved)
        if it == iter_max:
            break
        if notfinite or dvn.loglik < best:
            halving += 1
            ever_halved = True
            new = (new + halving * old) / (halving + 1.0)
        else:
            halving = 0
            best = dvn.loglik
            st = solve_kept(dvn.info(), dvn.u, keepn)
            old = new
            new = new + st
    final_b, final_dv, final_keep = _out_of_iterations(
        evaluate_, counting, new, old, best, eps, iter_max
    )
    return _newton_result(final_b, loglik0, sctest, final_dv, final_keep, it, False, ever_halved)


def _newton_result(
    beta: np.ndarray,
    loglik0: float,
    sctest: float,
    dv: Any,
    keep: np.ndarray,
    iterations: int,
    converged: bool,
    halved: bool,
) -> NewtonResult:
    """The :class:`NewtonResult` at ``beta`` (``dv`` its evaluation; variance on the kept
    columns)."""
    return NewtonResult(
        beta,
        loglik0,
        dv.loglik,
        sctest,
        dv.u,
        inverse_kept(dv.info(), keep),
        keep,
        iterations,
        converged,
        halved,
        dv,
    )


def _not_finite(dv: Any) -> bool:
    """Whether the log-likelihood, score or information has a non-finite value."""
    return (
        not np.isfinite(dv.loglik)
        or not np.all(np.isfinite(dv.u))
        or not np.all(np.isfinite(dv.info()))
    )


def _loglik_converged(best: float, loglik: float, eps: float) -> bool:
    """R's coxfit6 rule ``fabs(1 - loglik/newlk) <= eps``; a zero log-likelihood (0/0 in C) is
    NaN there, i.e. not converged, never a ZeroDivisionError."""
    ratio = best / loglik if loglik != 0 else (1.0 if best == 0 else math.inf)
    return abs(1.0 - ratio) <= eps


def _out_of_iterations(
    evaluate_: Callable[[np.ndarray], tuple[Any, np.ndarray]],
    counting: bool,
    new: np.ndarray,
    old: np.ndarray,
    best: float,
    eps: float,
    iter_max: int,
) -> tuple[np.ndarray, Any, np.ndarray]:
    """The iterate R reports when the iterations ran out: ``agfit4`` keeps the last step
    unless it lowered the log-likelihood; ``coxfit6`` the last accepted iterate."""
    if counting:
        dvn, keepn = evaluate_(new)
        if (dvn.loglik - best) / abs(best) < -eps:
            new = old
            dvn, keepn = evaluate_(new)
        return new, dvn, keepn
    final = new if iter_max <= 1 else old
    dvn, keepn = evaluate_(final)
    return final, dvn, keepn
