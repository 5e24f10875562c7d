"""Fisher's exact test for 2 x k (and k x 2) contingency tables, exact like R's ``fisher.test``.

scipy's ``fisher_exact`` is exact only for 2 x 2 tables; for larger tables it draws random
tables (Monte Carlo), so its p-value changes from run to run and differs from R's. Table 1 with
two groups needs the exact 2 x k test, so it is written here.

Method: with both margins fixed, a 2 x k table is its first row ``x`` (``0 <= x_j <= c_j``,
``sum x = r1``) and has probability ``prod_j C(c_j, x_j) / C(N, r1)``. The two-sided p-value is
the total probability of the tables no more probable than the observed one (R's rule, with
its relative tolerance ``1e-7``). The tables are enumerated column by column as a network
(Mehta & Patel, JASA 1983;78:427): at a node (column j, running sum s, partial log-probability
P) the largest and smallest log-probability any completion can add are known (dynamic
programming over the remaining columns), as is the total probability of all completions
(Vandermonde's identity). A node whose every completion is at most as probable as the observed
table contributes all of them at once; a node none of whose completions qualifies is dropped;
only the remaining nodes are expanded. Nodes are processed level by level with numpy.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

from crlm_outcomes.errors import TooManyTablesError

__all__ = ["fisher_exact_2xk", "TooManyTablesError"]

_REL_ERR = 1.0 + 1e-7  # R: fisher.test's relErr
_NODE_BUDGET = 5_000_000


def _log_choose(n: np.ndarray | int, k: np.ndarray | int) -> np.ndarray:
    n = np.asarray(n, dtype=float)
    k = np.asarray(k, dtype=float)
    return gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)


def fisher_exact_2xk(table: np.ndarray, *, budget: int = _NODE_BUDGET) -> float:
    """Two-sided exact p-value of a 2 x k or k x 2 table (R ``fisher.test(x)$p.value``).

    Parameters
    ----------
    table
        Non-negative integer counts, shape (2, k) or (k, 2).
    budget
        Largest number of network nodes expanded before giving up.

    Returns
    -------
    float
        The two-sided p-value: the total probability, given both margins, of the tables no
        more probable than ``table`` (R's rule and relative tolerance).

    Raises
    ------
    ValueError
        Not a 2 x k / k x 2 table of non-negative integers.
    TooManyTablesError
        The exact enumeration would exceed ``budget`` nodes.

    Examples
    --------
    Node-positive primaries (rows: yes/no) across three Fong risk groups; R gives
    ``fisher.test(matrix(c(8, 2, 5, 5, 1, 9), nrow = 2))$p.value = 0.008664089``:

    >>> p = fisher_exact_2xk(np.array([[8, 5, 1], [2, 5, 9]]))
    >>> round(p, 6)
    0.008664
    >>> round(fisher_exact_2xk(np.array([[8, 2], [5, 5], [1, 9]])), 6)  # k x 2: the same
    0.008664
    """
    t = np.asarray(table)
    if t.ndim != 2 or 2 not in t.shape:
        raise ValueError(f"fisher_exact_2xk needs a 2 x k or k x 2 table, got shape {t.shape}")
    if np.any(t < 0) or np.any(t != np.round(t)):
        raise ValueError("table entries must be non-negative integers")
    t = t.astype(np.int64)
    if t.shape[0] != 2:
        t = t.T
    t = t[:, t.sum(axis=0) > 0]
    if t.shape[1] < 2 or np.any(t.sum(axis=1) == 0):
        return 1.0
    cols = t.sum(axis=0)
    r1 = int(t[0].sum())
    n_total = int(cols.sum())
    k = cols.size
    log_total = float(_log_choose(n_total, r1))
    threshold = float(np.sum(_log_choose(cols, t[0]))) + np.log(_REL_ERR)

    # suffix bounds: best/worst log-probability mass the columns j..k-1 can add for a sum r
    neg = -np.inf
    hi = [np.full(r1 + 1, neg) for _ in range(k + 1)]
    lo = [np.full(r1 + 1, np.inf) for _ in range(k + 1)]
    hi[k][0] = 0.0
    lo[k][0] = 0.0
    suffix = np.concatenate((np.cumsum(cols[::-1])[::-1], [0]))
    r = np.arange(r1 + 1)
    for j in range(k - 1, -1, -1):
        x = np.arange(min(cols[j], r1) + 1)
        lc = _log_choose(cols[j], x)
        rem = r[:, None] - x[None, :]
        ok = rem >= 0
        idx = np.clip(rem, 0, r1)
        cand_hi = np.where(ok, lc[None, :] + hi[j + 1][idx], neg)
        cand_lo = np.where(ok, lc[None, :] + lo[j + 1][idx], np.inf)
        hi[j] = cand_hi.max(axis=1)
        lo[j] = cand_lo.min(axis=1)

    # log of the total mass of completions of columns j.. with sum r (Vandermonde)
    def mass(j: int, rem: np.ndarray) -> np.ndarray:
        return _log_choose(suffix[j], rem)

    p_log_terms: list[np.ndarray] = []
    s = np.zeros(1, dtype=np.int64)
    part = np.zeros(1)
    expanded = 0
    for j in range(k):
        rem = r1 - s
        feasible = (rem >= 0) & (rem <= suffix[j])
        s, part, rem = s[feasible], part[feasible], rem[feasible]
        best = part + hi[j][rem]
        worst = part + lo[j][rem]
        whole = best <= threshold
        if whole.any():
            p_log_terms.append(part[whole] + mass(j, rem[whole]))
        keep = ~whole & (worst <= threshold)
        s, part = s[keep], part[keep]
        if s.size == 0:
            break
        if j == k - 1:
            # the last column is fixed by the sum: each node is one table
            last = r1 - s
            lp = part + _log_choose(cols[j], last)
            ok = (last >= 0) & (last <= cols[j]) & (lp <= threshold)
            if ok.any():
                p_log_terms.append(lp[ok])
            break
        x = np.arange(min(cols[j], r1) + 1)
        expanded += s.size * x.size
        if expanded > budget:
            raise TooManyTablesError(f"exact enumeration needs more than {budget} nodes")
        s = (s[:, None] + x[None, :]).ravel()
        part = (part[:, None] + _log_choose(cols[j], x)[None, :]).ravel()
    if not p_log_terms:
        return 0.0
    logs = np.concatenate(p_log_terms) - log_total
    top = logs.max()
    return float(min(1.0, np.exp(top) * np.exp(logs - top).sum()))
