"""Predictions from a fitted Cox model: linear predictor / relative risk and survival curves.

``predict_lp`` matches R's ``predict(fit, newdata, type = "lp" | "risk")`` (centred on
``fit$means``, or on the per-stratum means for a stratified model, R's default
``reference = "strata"``). ``predict_survival`` matches ``survfit(fit, newdata)``: the baseline
cumulative hazard is the Breslow estimator for ``ties = "breslow"`` and its Efron analogue for
``ties = "efron"`` (R's default ``ctype``), survival = ``exp(-H)`` (R's default ``stype = 2``),
one baseline per stratum.

Reference: Therneau & Grambsch (2000), section 10.2; survival 3.5-3 ``predict.coxph``,
``survfit.coxph``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crlm_outcomes.errors import SpecError
from crlm_outcomes.survival import _cox_engine as eng
from crlm_outcomes.survival.cox_design import design_matrix_for

__all__ = ["predict_lp", "predict_survival", "baseline_hazard"]


def _raw_x(state) -> np.ndarray:
    return state.x + state.center


def _strata_means(state) -> np.ndarray:
    """Weighted mean design row of each stratum (R's reference = 'strata')."""
    x = _raw_x(state)
    codes = state.strata
    k = int(codes.max()) + 1
    out = np.zeros((k, x.shape[1]))
    wsum = np.bincount(codes, weights=state.w, minlength=k)
    for j in range(x.shape[1]):
        out[:, j] = np.bincount(codes, weights=state.w * x[:, j], minlength=k) / wsum
    return out


def _newdata_strata(state, newdata: pd.DataFrame) -> np.ndarray | None:
    cols = state.strata_columns
    if not cols:
        return None
    missing = [c for c in cols if c not in newdata.columns]
    if missing:
        return None
    labels = state.strata_labels
    lookup = {lab: i for i, lab in enumerate(labels)}
    if len(cols) == 1:
        keys = newdata[cols[0]].tolist()
    else:
        keys = list(newdata[cols].itertuples(index=False, name=None))
    out = []
    for i, key in enumerate(keys):
        if key not in lookup:
            raise SpecError("newdata has a stratum not found in the fitted model", row=i,
                            column=", ".join(cols), value=key,
                            expected=f"one of {labels}")
        out.append(lookup[key])
    return np.asarray(out, dtype=np.int64)


def predict_lp(state, newdata: pd.DataFrame | None = None, type: str = "lp") -> np.ndarray:
    """Linear predictor or risk score, as ``predict(fit, newdata, type)``.

    Without ``newdata`` the fitted rows are predicted, in the order of the data used.
    """
    if type not in ("lp", "risk"):
        raise SpecError("unknown prediction type", column="type", value=type,
                        expected="'lp' or 'risk'")
    beta = state.beta
    if newdata is None:
        x = np.empty_like(state.x)
        x[state.rs.order] = _raw_x(state)
        codes = None
        if state.strata is not None:
            codes = np.empty_like(state.strata)
            codes[state.rs.order] = state.strata
    else:
        x = design_matrix_for(state.design, newdata)
        codes = _newdata_strata(state, newdata) if state.strata is not None else None
        if state.strata is not None and codes is None:
            raise SpecError("a stratified model needs the strata column(s) in newdata",
                            column=", ".join(state.strata_columns),
                            expected="the strata columns used in the fit")
    if state.strata is not None:
        centre = _strata_means(state)[codes]
    else:
        centre = state.means[None, :]
    lp = (x - centre) @ beta
    return lp if type == "lp" else np.exp(lp)


def baseline_hazard(state) -> pd.DataFrame:
    """Baseline cumulative hazard at every distinct exit time of each stratum, for a subject at
    ``fit$means`` (Breslow, or Efron-matched for Efron ties): ``strata, time, n_risk, n_event,
    cumhaz``."""
    rs = state.rs
    eta = state.x @ state.beta + (state.center - state.means) @ state.beta
    r = state.w * np.exp(eta)
    s0, _ = eng.risk_sums(r, None, rs)
    d0 = np.bincount(rs.ev_k, weights=r[rs.ev_rows], minlength=rs.n_times)
    denom = s0[rs.slot_k] - rs.slot_f * d0[rs.slot_k]
    haz = np.bincount(rs.slot_k, weights=rs.slot_wt / denom, minlength=rs.n_times)
    n_risk, _ = eng.risk_sums(state.w, None, rs)
    frames = []
    st = np.zeros(rs.n, dtype=np.int64) if state.strata is None else state.strata
    for s in np.unique(st):
        rows = st == s
        times = np.unique(state.time[rows])
        ks = np.flatnonzero(rs.k_stratum == s) if rs.n_times else np.zeros(0, np.int64)
        ch = np.cumsum(haz[ks])
        idx = np.searchsorted(rs.times[ks], times, side="right")
        cum = np.where(idx > 0, ch[np.maximum(idx - 1, 0)] if ks.size else 0.0, 0.0)
        label = "all" if state.strata is None else state.strata_labels[int(s)]
        frames.append(pd.DataFrame({"strata": label, "stratum_code": int(s), "time": times,
                                    "cumhaz": cum}))
    return pd.concat(frames, ignore_index=True)


def predict_survival(state, newdata: pd.DataFrame, times=None) -> pd.DataFrame:
    """Survival curves of the rows of ``newdata``, as ``survfit(fit, newdata)``.

    Returns a long table: ``row`` (position in newdata), ``strata``, ``time``, ``cumhaz``,
    ``surv``. With ``times``, the step functions are evaluated at those times (as
    ``summary(survfit(...), times = times)``, but keeping times beyond the last exit time
    as missing rather than dropping them). A stratified model uses each row's stratum when
    newdata has the strata columns, otherwise every stratum's curve is returned for every row.
    """
    if not isinstance(newdata, pd.DataFrame):
        raise SpecError("newdata must be a pandas DataFrame", value=type(newdata).__name__,
                        expected="a DataFrame with the model's covariates")
    x = design_matrix_for(state.design, newdata)
    risk = np.exp((x - state.means[None, :]) @ state.beta)
    base = baseline_hazard(state)
    codes = _newdata_strata(state, newdata) if state.strata is not None else None
    frames = []
    for code, grp in base.groupby("stratum_code", sort=True):
        rows = np.arange(len(newdata)) if codes is None else np.flatnonzero(codes == code)
        if rows.size == 0:
            continue
        if times is None:
            t = grp["time"].to_numpy()
            ch = grp["cumhaz"].to_numpy()
        else:
            t = np.asarray(times, dtype=float)
            gt = grp["time"].to_numpy()
            idx = np.searchsorted(gt, t, side="right")
            ch = np.where(idx > 0, grp["cumhaz"].to_numpy()[np.maximum(idx - 1, 0)], 0.0)
            ch = np.where(t > gt.max(), np.nan, ch)
        cum = np.outer(risk[rows], ch)
        frames.append(pd.DataFrame({
            "row": np.repeat(rows, t.size), "strata": grp["strata"].iloc[0],
            "time": np.tile(t, rows.size), "cumhaz": cum.ravel(), "surv": np.exp(-cum.ravel())}))
    return pd.concat(frames, ignore_index=True).sort_values(["row", "strata", "time"],
                                                            kind="stable", ignore_index=True)
