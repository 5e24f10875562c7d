"""Time-dependent AUC and Brier score at one time with IPCW and influence functions.

Array-level core of :mod:`crlm_outcomes.validation.auc` and :mod:`~.brier`, equal to
``riskRegression::Score(..., cens.model = "km", conservative = FALSE)`` (2022.11.28):

* cumulative/dynamic AUC(t): cases have the event of interest at ``T <= t`` (weight
  ``1/G(T-)``), controls are event-free at ``t`` (weight ``1/G(t)``) or, with competing risks,
  had another event at ``T <= t`` (weight ``1/G(T-)``); ties in the risk count one half;
* Brier(t): mean of ``(1{case} - risk)^2`` weighted as above (censored before ``t``: 0);
* influence functions: the IPCW-statistic terms plus the censoring-model term
  (:func:`~crlm_outcomes.validation._ipcw.censoring_influence`); standard errors are
  ``sd(IF) / sqrt(n)`` as in R.

Reference: Blanche, Dartigues & Jacqmin-Gadda (2013), Statistics in Medicine 32:5381-5397
(AUC with competing risks); Gerds, Cai & Schumacher (2008), Biometrical Journal 50:457-479;
Kattan & Gerds (2018), Diagnostic and Prognostic Research 2:7 (IPA).
"""

from __future__ import annotations

import numpy as np

from crlm_outcomes.validation._ipcw import CensoringKM, censoring_influence

__all__ = ["auc_at", "brier_at", "roles"]


def roles(time: np.ndarray, event: np.ndarray, cause: int, tau: float):
    """Boolean masks (case, control-before-tau, control-after-tau)."""
    before = time <= tau
    case = before & (event == cause)
    other = before & (event != 0) & (event != cause)
    after = ~before
    return case, other, after


def _weights(g: CensoringKM, time: np.ndarray, event: np.ndarray, tau: float) -> np.ndarray:
    w = np.zeros(time.size)
    g_minus = g.before_own_time()
    ev_before = (time <= tau) & (event != 0)
    w[ev_before] = 1.0 / g_minus[ev_before]
    gt = g.at(tau)
    w[time > tau] = 1.0 / gt
    return w


def _mann_whitney(risk: np.ndarray, case: np.ndarray, ctrl: np.ndarray, w: np.ndarray):
    """For each row: weighted controls with lower risk (+1/2 ties), and weighted cases with
    higher risk (+1/2 ties). One sort of the risk, then O(n) bincounts and cumulative sums."""
    _, rank = np.unique(risk, return_inverse=True)
    rank = rank.ravel()
    nu = int(rank.max()) + 1 if rank.size else 0
    wc = np.bincount(rank, weights=np.where(ctrl, w, 0.0), minlength=nu)
    wa = np.bincount(rank, weights=np.where(case, w, 0.0), minlength=nu)
    cc = np.cumsum(wc)
    ca = np.cumsum(wa)
    below_ctrl = cc[rank] - 0.5 * wc[rank]
    above_case = (ca[-1] - ca[rank]) + 0.5 * wa[rank]
    return below_ctrl, above_case


def auc_at(
    g: CensoringKM,
    time: np.ndarray,
    event: np.ndarray,
    risk: np.ndarray,
    tau: float,
    cause: int = 1,
) -> tuple[float, np.ndarray]:
    """AUC(tau) and its influence function (one value per subject, not centred)."""
    n = time.size
    case, other, after = roles(time, event, cause, tau)
    ctrl = other | after
    w = _weights(g, time, event, tau)
    if not case.any() or not ctrl.any():
        return float("nan"), np.full(n, np.nan)
    ic_case, ic_ctrl = _mann_whitney(risk, case, ctrl, w)
    mu_case = w[case].sum()
    mu_ctrl = w[ctrl].sum()
    num = (w[case] * ic_case[case]).sum()
    auc = num / (mu_case * mu_ctrl)
    mu = mu_case * mu_ctrl / n**2
    nu = auc * mu
    a = np.where(case, w * ic_case, np.where(ctrl, w * ic_ctrl, 0.0))
    b = np.where(case, w * mu_ctrl, np.where(ctrl, w * mu_case, 0.0))
    ic0 = (a / n * mu - b / n * nu) / mu**2
    before = case | other
    if_num = censoring_influence(g, a, before, tau) / n**2
    if_den = censoring_influence(g, b, before, tau) / n**2
    return float(auc), ic0 + (if_num * mu - if_den * nu) / mu**2


def brier_at(
    g: CensoringKM,
    time: np.ndarray,
    event: np.ndarray,
    risk: np.ndarray,
    tau: float,
    cause: int = 1,
) -> tuple[float, np.ndarray]:
    """Brier score at tau and its influence function (centred)."""
    n = time.size
    case, other, after = roles(time, event, cause, tau)
    w = _weights(g, time, event, tau)
    resid = np.zeros(n)
    resid[case] = (1.0 - risk[case]) ** 2 * w[case]
    resid[other] = risk[other] ** 2 * w[other]
    resid[after] = risk[after] ** 2 * w[after]
    brier = resid.mean()
    infl = resid - brier + censoring_influence(g, resid, case | other, tau) / n
    return float(brier), infl


def se_of(infl: np.ndarray) -> float:
    """``sd(IF) / sqrt(n)`` (R's sd: denominator n - 1)."""
    n = infl.size
    return float(np.std(infl, ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
