"""Inverse-probability-of-censoring weights and their influence, as ``riskRegression::Score``.

The censoring distribution is the reverse Kaplan–Meier ``G`` (``prodlim(..., reverse = TRUE)``,
``cens.model = "km"``): ``G(t) = prod_{u <= t} (1 - c(u) / Y(u))`` with ``Y(u)`` the number with
time >= u and ``c(u)`` the censored at u. A subject with an event at ``T_i <= t`` is weighted by
``1 / G(T_i-)``, a subject still event-free at ``t`` by ``1 / G(t)``.

The influence of estimating ``G`` on a statistic ``(1/n) sum_j R_j`` whose terms carry ``1/G(s_j)``
is ``(1/n) sum_j R_j f_k(s_j)``, with ``f_k(s)`` the influence function of the Nelson–Aalen
cumulative censoring hazard at ``s`` for subject ``k`` (riskRegression's ``MC_term2`` construction,
Gerds & Schumacher 2006):
``f_k(s) = 1{T_k <= s, censored} n / Y(T_k) - sum_{u <= min(s, T_k)} n c(u) / Y(u)^2``.
Here the sum over j is taken for every k at once with cumulative sums on the time grid (O(n log n)).

References: Gerds & Schumacher (2006), Biometrical Journal 48:1029-1040; Blanche, Dartigues &
Jacqmin-Gadda (2013), Statistics in Medicine 32:5381-5397; riskRegression 2022.11.28
(``getInfluenceFunctionAUCKMCensoringTerm``, ``getInfluenceFunctionBrierKMCensoringTerm``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CensoringKM", "censoring_km", "censoring_influence"]


@dataclass(frozen=True)
class CensoringKM:
    """Reverse Kaplan–Meier on the unique times, with the pieces of its influence function."""

    utime: np.ndarray  # unique observed times
    idx: np.ndarray  # index of each subject's time in utime
    surv: np.ndarray  # G(u) at each unique time (right-continuous)
    at_risk: np.ndarray  # Y(u) = number with time >= u
    cens: np.ndarray  # censored at u
    mc: np.ndarray  # cumulative sum of n c(u) / Y(u)^2
    censored: np.ndarray  # per subject: status == 0

    @property
    def n(self) -> int:
        return int(self.idx.size)

    def at(self, t: float) -> float:
        """G(t)."""
        p = int(np.searchsorted(self.utime, t, side="right")) - 1
        return 1.0 if p < 0 else float(self.surv[p])

    def before_own_time(self) -> np.ndarray:
        """G(T_i-) for every subject."""
        lag = np.concatenate([[1.0], self.surv[:-1]])
        return lag[self.idx]


def censoring_km(time: np.ndarray, status: np.ndarray) -> CensoringKM:
    """Reverse KM of censoring (``status == 0`` is a censoring, any other code is not)."""
    ut, inv = np.unique(time, return_inverse=True)
    inv = inv.ravel()
    tot = np.bincount(inv, minlength=ut.size).astype(float)
    c = np.bincount(inv, weights=(status == 0).astype(float), minlength=ut.size)
    y = np.cumsum(tot[::-1])[::-1]
    # prodlim's reverse KM: at a time with events and censorings the events happen first, so
    # the censoring risk set excludes the events at that time
    d = tot - c
    yc = y - d
    surv = np.cumprod(np.where(c > 0, 1.0 - c / np.where(yc > 0, yc, 1.0), 1.0))
    n = float(time.size)
    mc = np.cumsum(n * c / (y * y))
    return CensoringKM(
        utime=ut, idx=inv, surv=surv, at_risk=y, cens=c, mc=mc, censored=(status == 0)
    )


def censoring_influence(
    g: CensoringKM, resid: np.ndarray, before: np.ndarray, tau: float
) -> np.ndarray:
    """For every subject k: ``sum_j resid_j f_k(s_j)``.

    ``s_j`` is ``T_j-`` for rows with ``before`` (an event at or before ``tau``) and ``tau`` for
    the others (rows with ``resid_j == 0`` contribute nothing).
    """
    nu = g.utime.size
    p_tau = int(np.searchsorted(g.utime, tau, side="right")) - 1
    q = np.where(before, g.idx - 1, p_tau)  # grid position of s_j (-1: none)
    r_at = np.bincount(q + 1, weights=resid, minlength=nu + 1)  # resid summed by q (shifted)
    s_ge = np.cumsum(r_at[::-1])[::-1]  # sum over q_j >= p - 1 (shifted)
    m_ext = np.concatenate([[0.0], g.mc])  # M at position q (shifted)
    rm_below = np.concatenate([[0.0], np.cumsum(r_at * m_ext)])  # sum over q_j < p of R M(q)
    k = g.idx
    ge_k = s_ge[k + 1]  # sum over q_j >= idx_k
    jump = np.where(g.censored, g.n / g.at_risk[k], 0.0)
    return (jump - g.mc[k]) * ge_k - rm_below[k + 1]
