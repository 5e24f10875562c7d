"""Counting core of Harrell's and Uno's concordance, as ``survival::concordancefit`` (3.5-3).

survival walks the rows in reverse time order with a balanced binary tree over the ranks of the
predictor (C routine ``concordance3``) and weights each event time by ``timewt``:

* ``"n"``: 1 (Harrell's C);
* ``"S"``: ``n S(t-) / n_risk(t)`` (Peto–Wilcoxon-like);
* ``"S/G"``: ``n S(t-) / (G(t-) n_risk(t))``;
* ``"n/G2"``: ``1 / G(t-)^2`` (Uno's C);

with ``S`` the Kaplan–Meier of the outcome and ``G`` that of censoring (a censoring tied with an
event happens after it), both as survival's ``fastkm1``; event times beyond ``ymax`` get weight
0. Here every count is an offline dominance count (a merge-sort tree over the time order whose
levels are stable sorts of two sorted runs per block, queried with sorted ``searchsorted``:
O(n log^2 n) work in O(log n) numpy passes, no loop over rows): each
event against the rows still at risk after it, and each row against the (time-weighted) events
that occur while it is at risk. The infinitesimal-jackknife variance is survival's ``var``.

Reference: Therneau & Atkinson (2020), The concordance statistic (survival package vignette),
sections 3 and 5; Uno et al. (2011), Statistics in Medicine 30:1105-1117.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ConcordanceCounts", "concordance_counts", "TIMEWTS"]

TIMEWTS = ("n", "S", "S/G", "n/G2")
_DENSE_CELLS = 4_000_000  # dense (position x rank) prefix sums below this many cells


@dataclass(frozen=True)
class ConcordanceCounts:
    """Counts (concordant, discordant, tied.x, tied.y, tied.xy), C, and its influence ``dfbeta``.

    ``dfbeta`` is survival's ``dfbeta`` of C (one value per row, sign for ``reverse``), so that
    ``var = sum(dfbeta**2)`` and the covariance of two C's on the same rows is ``dfbeta1 @ dfbeta2``.
    """

    counts: np.ndarray
    concordance: float
    dfbeta: np.ndarray

    @property
    def var(self) -> float:
        """Infinitesimal-jackknife variance of C (``fit$var``)."""
        return float(self.dfbeta @ self.dfbeta)


def _dominance(q_pos: np.ndarray, q_rank: np.ndarray, i_pos: np.ndarray, i_rank: np.ndarray,
               i_w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each query: (sum of insert weights with ``i_pos < q_pos`` and ``i_rank < q_rank``,
    the same with equal rank, the total with ``i_pos < q_pos``).

    Merge-sort tree: the inserts in position order are split at each level into blocks of
    ``2**level``; each block is kept sorted by rank (a stable sort of the previous level's order,
    i.e. a merge of two sorted runs), and a query whose prefix length has bit ``level`` set
    collects the weights of the block just left of it with a smaller (equal) rank by
    ``searchsorted`` with sorted needles.
    """
    nq = q_pos.size
    o = np.argsort(i_pos, kind="stable")
    sp = i_pos[o]
    r = np.asarray(i_rank, np.int64)[o]
    w = np.asarray(i_w, float)[o]
    m = r.size
    prefix = np.searchsorted(sp, q_pos, side="left").astype(np.int64)
    cw = np.concatenate([[0.0], np.cumsum(w)])
    total = cw[prefix]
    less = np.zeros(nq)
    leq = np.zeros(nq)
    if m == 0 or nq == 0:
        return less, leq, total
    qr = np.asarray(q_rank, np.int64)
    k = int(max(int(r.max()), int(qr.max()))) + 1
    if k * (m + 1) <= _DENSE_CELLS:
        # few distinct scores (points-based scores): dense prefix sums over (position, rank)
        onehot = np.zeros((m + 1, k))
        onehot[np.arange(1, m + 1), r] = w
        cum = np.cumsum(np.cumsum(onehot, axis=0), axis=1)      # weight with pos < P, rank <= c
        below = np.concatenate([np.zeros((m + 1, 1)), cum], axis=1)  # rank < c
        return below[prefix, qr], below[prefix, qr + 1] - below[prefix, qr], total
    shift = int(max(int(r.max()), int(qr.max()) + 1)).bit_length() + 1
    perm = np.arange(m, dtype=np.int64)
    qperm = np.argsort(prefix, kind="stable")
    for lev in range(int(m).bit_length()):
        key = ((perm >> lev) << shift) | r[perm]
        ok = np.argsort(key, kind="stable")
        perm = perm[ok]
        ks = key[ok]
        qkey = ((prefix[qperm] >> (lev + 1)) << shift) | qr[qperm]
        qo = np.argsort(qkey, kind="stable")
        qperm = qperm[qo]
        sel = qperm[((prefix[qperm] >> lev) & 1).astype(bool)]
        if sel.size == 0:
            continue
        cs = np.concatenate([[0.0], np.cumsum(w[perm])])
        b = ((prefix[sel] >> (lev + 1)) << 1) << shift
        qh = qr[sel]
        lo = cs[np.searchsorted(ks, b, side="left")]
        less[sel] += cs[np.searchsorted(ks, b | qh, side="left")] - lo
        leq[sel] += cs[np.searchsorted(ks, b | (qh + 1), side="left")] - lo
    return less, leq - less, total


def _fastkm(time: np.ndarray, status: np.ndarray) -> tuple[np.ndarray, ...]:
    """S(t-), G(t-), number at risk at each unique event time (survival's ``fastkm1``)."""
    ut, inv = np.unique(time, return_inverse=True)
    inv = inv.ravel()
    d = np.bincount(inv, weights=status.astype(float), minlength=ut.size)
    c = np.bincount(inv, weights=(status == 0).astype(float), minlength=ut.size)
    tot = np.bincount(inv, minlength=ut.size).astype(float)
    nrisk = np.cumsum(tot[::-1])[::-1]           # time >= t
    # event at t: S update with (nrisk - d)/nrisk; censoring at t after the deaths: its risk
    # set is the rows with time > t plus the censored at t
    s_fac = np.where(nrisk > 0, (nrisk - d) / np.where(nrisk > 0, nrisk, 1), 1.0)
    crisk = nrisk - d
    g_fac = np.where(c > 0, (crisk - c) / np.where(crisk > 0, crisk, 1), 1.0)
    s_minus = np.concatenate([[1.0], np.cumprod(s_fac)[:-1]])
    g_minus = np.concatenate([[1.0], np.cumprod(g_fac)[:-1]])
    ev = d > 0
    return ut[ev], s_minus[ev], g_minus[ev], nrisk[ev]


def _time_weights(time, status, timewt: str, ymax: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Unique event times and their weights."""
    etime, s, g, nrisk = _fastkm(time, status)
    n = float(time.size)
    if timewt == "n" or etime.size < 2:
        w = np.ones(etime.size)
    elif timewt == "S":
        w = n * s / nrisk
    elif timewt == "S/G":
        w = n * s / (g * nrisk)
    else:  # "n/G2"
        w = 1.0 / g ** 2
    if ymax is not None:
        w = np.where(etime > ymax, 0.0, w)
    return etime, w


def concordance_counts(time: np.ndarray, status: np.ndarray, x: np.ndarray, *,
                       timewt: str = "n", ymax: float | None = None,
                       reverse: bool = True) -> ConcordanceCounts:
    """Concordance of ``x`` with right-censored survival, as ``concordancefit``.

    ``reverse=True``: a higher ``x`` predicts a shorter survival (a risk score); ``False``: a
    higher ``x`` predicts a longer survival (survival's default).
    """
    time = np.asarray(time, float)
    status = (np.asarray(status) > 0).astype(np.int64)
    n = time.size
    _, xrank = np.unique(np.asarray(x, float), return_inverse=True)
    xrank = xrank.ravel().astype(np.int64)
    etime, tw = _time_weights(time, status, timewt, ymax)
    dead = np.flatnonzero(status > 0)
    a = tw[np.searchsorted(etime, time[dead])]   # time weight of each event
    # reverse time order, censored before events at the same time
    order = np.lexsort((status, -time))
    pos = np.empty(n, dtype=np.int64)
    pos[order] = np.arange(n)
    ts, ss = time[order], status[order]
    newblk = np.concatenate([[True], (ts[1:] != ts[:-1]) | (ss[1:] != ss[:-1])])
    first = np.maximum.accumulate(np.where(newblk, np.arange(n), 0))
    blk = np.empty(n, dtype=np.int64)
    blk[order] = first
    bstart = blk[dead]
    ones = np.ones(n)
    counts = np.zeros(5)
    imat = np.zeros((n, 3))
    # (1) each event against the rows at risk after it (later times, or censored at its time)
    less, eq, tot = _dominance(bstart, xrank[dead], pos, xrank, ones)
    greater = tot - less - eq
    counts[0] = a @ greater
    counts[1] = a @ less
    counts[2] = a @ eq
    imat[dead, 0] += a * greater
    imat[dead, 1] += a * less
    imat[dead, 2] += a * eq
    # (2) each row against the time-weighted events that occur while it is at risk
    less, eq, tot = _dominance(-pos, xrank, -bstart, xrank[dead], a)
    imat[:, 0] += less
    imat[:, 1] += tot - less - eq
    imat[:, 2] += eq
    # tied on time (and on x) among events, weighted by the event time's weight
    td = time[dead]
    tied_y = _pairs_weighted([td], a)
    tied_xy = _pairs_weighted([td, xrank[dead].astype(float)], a)
    counts[3] = tied_y - tied_xy
    counts[4] = tied_xy
    npair = counts[:3].sum()
    if npair <= 0:
        return ConcordanceCounts(counts=counts, concordance=float("nan"),
                                 dfbeta=np.full(n, np.nan))
    somer = (counts[0] - counts[1]) / npair
    dfbeta = ((imat[:, 0] - imat[:, 1]) / npair - (somer / npair) * imat.sum(axis=1)) / 2
    conc = (somer + 1) / 2
    if reverse:
        conc = 1 - conc
        dfbeta = -dfbeta
        counts = counts[[1, 0, 2, 3, 4]]
    return ConcordanceCounts(counts=counts, concordance=float(conc), dfbeta=dfbeta)


def _pairs_weighted(keys: list[np.ndarray], a: np.ndarray) -> float:
    """Pairs within groups of equal keys, each pair weighted by the group's (common) weight."""
    if a.size == 0:
        return 0.0
    # all events sharing a time share its weight: count unit pairs per group times that weight
    code = np.zeros(a.size, dtype=np.int64)
    for k in keys:
        _, kr = np.unique(k, return_inverse=True)
        kr = kr.ravel().astype(np.int64)
        code = code * (int(kr.max()) + 1) + kr
    _, inv, cnt = np.unique(code, return_inverse=True, return_counts=True)
    wg = np.zeros(cnt.size)
    wg[inv.ravel()] = a
    cnt = cnt.astype(float)
    return float((cnt * (cnt - 1) / 2 * wg).sum())
