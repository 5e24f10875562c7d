"""Small vectorised estimators used by calibration, decision curves and the risk models:
Kaplan–Meier / Aalen–Johansen risk at t with a standard error, one-covariate Cox/Fine–Gray fits
through the package's R-agreeing estimators, and restricted cubic splines (Harrell)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["risk_at", "rcs_basis", "cox_fit_predict", "cox_risks"]


def risk_at(
    time: np.ndarray, event: np.ndarray, tau: float, cause: int | None
) -> tuple[float, float]:
    """Risk of the event (of ``cause``) by ``tau`` and its standard error.

    ``cause=None``: ``1 - KM(tau)`` with Greenwood's variance. With a cause: the Aalen–Johansen
    cumulative incidence with the variance from its influence function,
    ``var = sum_i IF_i^2 / n^2`` (asymptotically equal to cmprsk's; on mgus2 at 120 months
    the standard errors differ in the third significant digit).
    Returns NaN when ``tau`` is beyond the last follow-up time and someone is censored at that
    time (beyond a last time with only events the estimate is final: the curve has ended).
    """
    n = time.size
    if n == 0:
        return float("nan"), float("nan")
    last = time.max()
    if tau > last and np.any((time == last) & (event == 0)):
        return float("nan"), float("nan")
    ut, inv = np.unique(time, return_inverse=True)
    inv = inv.ravel()
    y = np.cumsum(np.bincount(inv, minlength=ut.size)[::-1])[::-1].astype(float)
    d_all = np.bincount(inv, weights=(event != 0).astype(float), minlength=ut.size)
    keep = ut <= tau
    if cause is None:
        s = np.prod(1.0 - d_all[keep] / y[keep])
        with np.errstate(divide="ignore", invalid="ignore"):
            gw = np.sum(
                np.where(
                    y[keep] > d_all[keep], d_all[keep] / (y[keep] * (y[keep] - d_all[keep])), 0.0
                )
            )
        return float(1.0 - s), float(s * np.sqrt(gw))
    d_c = np.bincount(inv, weights=(event == cause).astype(float), minlength=ut.size)
    s = np.cumprod(1.0 - d_all / y)
    s_minus = np.concatenate([[1.0], s[:-1]])
    f = np.cumsum(s_minus * d_c / y)
    p = int(np.searchsorted(ut, tau, side="right")) - 1
    if p < 0:
        return 0.0, 0.0
    # influence function of the Aalen–Johansen estimate at tau (counting-process form)
    ft = f[p]
    dm_c = d_c / y
    dm_all = d_all / y
    ug = np.arange(ut.size) <= p
    # IF_i = sum_{u<=tau} [S(u-) dM_c,i(u) - (F(tau) - F(u)) dM_i(u)] / (Y(u)/n), evaluated per row
    a = np.where(ug, s_minus / y, 0.0)
    b = np.where(ug, (ft - f) / y, 0.0)
    own_c = (event == cause) & (time <= tau)
    own_all = (event != 0) & (time <= tau)
    ca = np.cumsum(a * dm_c)
    cb = np.cumsum(b * dm_all)
    idx = np.minimum(inv, p)
    infl = (np.where(own_c, a[inv], 0.0) - np.where(own_all, b[inv], 0.0) - ca[idx] + cb[idx]) * n
    return float(ft), float(np.sqrt(np.sum(infl**2)) / n)


def rcs_basis(x: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """Nonlinear terms of a restricted cubic spline (``rms::rcspline.eval``, norm = 2)."""
    k = np.asarray(knots, float)
    nk = k.size
    scale = (k[-1] - k[0]) ** 2
    cols = []
    for j in range(nk - 2):
        term = (
            np.clip(x - k[j], 0, None) ** 3
            - np.clip(x - k[-2], 0, None) ** 3 * (k[-1] - k[j]) / (k[-1] - k[-2])
            + np.clip(x - k[-1], 0, None) ** 3 * (k[-2] - k[j]) / (k[-1] - k[-2])
        )
        cols.append(term / scale)
    return np.column_stack(cols) if cols else np.zeros((x.size, 0))


def cox_fit_predict(
    time: np.ndarray,
    event: np.ndarray,
    x: np.ndarray,
    tau: float,
    cause: int | None,
    newx: np.ndarray | None = None,
):
    """Fit Cox (or Fine–Gray for a cause) on the columns of ``x``; return (coef, se, risk at
    tau for ``newx`` rows, default the fitting rows)."""
    coef, se, risk = cox_risks(time, event, x, [tau], cause, newx)
    return coef, se, risk[:, 0]


def cox_risks(
    time: np.ndarray,
    event: np.ndarray,
    x: np.ndarray,
    taus,
    cause: int | None,
    newx: np.ndarray | None = None,
):
    """One Cox (Fine–Gray) fit; (coef, se, risks of ``newx`` at each of ``taus``)."""
    import warnings

    from crlm_outcomes.errors import CrlmWarning
    from crlm_outcomes.survival.cox import cox
    from crlm_outcomes.survival.fine_gray import fine_gray

    x = np.atleast_2d(np.asarray(x, float).T).T
    names = [f"x{j}" for j in range(x.shape[1])]
    frame = pd.DataFrame(x, columns=names)
    frame["_t"] = time
    frame["_e"] = event
    newx = x if newx is None else np.atleast_2d(np.asarray(newx, float).T).T
    formula = " + ".join(names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CrlmWarning)
        if cause is None:
            fit = cox(frame, formula, "_t", "_e")
            coef = fit.table["coef"].to_numpy()
            se = fit.table["std_error"].to_numpy()
            ref = pd.DataFrame(np.zeros((1, len(names))), columns=names)
            ps = fit.predict_survival(ref, times=list(taus))
            h0 = ps["cumhaz"].to_numpy(float)
            risk = 1.0 - np.exp(-np.exp(newx @ coef)[:, None] * h0[None, :])
        else:
            fg = fine_gray(frame, formula, "_t", "_e", cause=cause)
            coef = fg.table["coef"].to_numpy()
            se = fg.table["std_error"].to_numpy()
            base = fg.baseline
            p = np.searchsorted(base["time"].to_numpy(), np.asarray(taus, float), side="right") - 1
            cum = np.concatenate([[0.0], base["cumhaz"].to_numpy(float)])
            a0 = cum[p + 1]
            risk = 1.0 - np.exp(-np.exp(newx @ coef)[:, None] * a0[None, :])
    return coef, se, risk
