"""Predictions from a fitted Cox model: linear predictor / relative risk and survival curves.

``predict_lp`` matches R's ``predict(fit, newdata, type = "lp" | "risk")`` (centred on
``fit$means``, or on the per-stratum means for a stratified model, R's default
``reference = "strata"``). ``predict_survival`` matches ``survfit(fit, newdata)``: the baseline
cumulative hazard is the Breslow estimator for ``ties = "breslow"`` and its Efron analogue for
``ties = "efron"`` (R's default ``ctype``), survival = ``exp(-H)`` (R's default ``stype = 2``),
one baseline per stratum; the standard error of ``H`` includes the variance of the coefficients
(R's ``agsurv`` / ``coxsurv.fit``), and the confidence limits are ``survfit_confint``'s.

Reference: Therneau & Grambsch (2000), section 10.2; survival 3.5-3 ``predict.coxph``,
``survfit.coxph``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crlm_outcomes._result import AliasedFrame
from crlm_outcomes.errors import SpecError
from crlm_outcomes.formula.design import design_matrix_for
from crlm_outcomes.survival import _cox_engine as eng

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
    keys = state.strata_keys if state.strata_keys is not None else labels
    lookup = {key: i for i, key in enumerate(keys)}
    if len(cols) == 1:
        keys = newdata[cols[0]].tolist()
    else:
        keys = list(newdata[cols].itertuples(index=False, name=None))
    out = []
    for i, key in enumerate(keys):
        values = key if len(cols) > 1 else (key,)
        absent = [c for c, v in zip(cols, values, strict=True) if pd.isna(v)]
        if absent:
            raise SpecError(
                "newdata has no value for the stratification column(s) "
                f"{', '.join(absent)}: the stratum (and so the baseline hazard) is unknown",
                row=i,
                column=", ".join(absent),
                value=None,
                expected=f"a recorded value; the model's strata are {labels}",
            )
        if key not in lookup:
            raise SpecError(
                "newdata has a stratum not found in the fitted model",
                row=i,
                column=", ".join(cols),
                value=str(key),
                expected=f"one of {labels}",
            )
        out.append(lookup[key])
    return np.asarray(out, dtype=np.int64)


def predict_lp(state, newdata: pd.DataFrame | None = None, type: str = "lp") -> np.ndarray:
    """Linear predictor or risk score, as ``predict(fit, newdata, type)``.

    Parameters
    ----------
    state
        The row-level state of a fitted model (:attr:`CoxResult.state
        <crlm_outcomes.survival.cox.CoxResult>`).
    newdata
        Rows with the model's covariates; ``None`` (default) predicts the fitted rows, in the
        order of the data used.
    type
        ``"lp"`` (default): the linear predictor centred on ``fit$means``; ``"risk"``: its
        exponential, the hazard ratio against a subject at the means.

    Returns
    -------
    numpy.ndarray
        One value per row.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes import cox
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> fit = cox(synthetic_cohort(200, seed=1), "age_at_diagnosis + sex", "os_months", "os_event")
    >>> new = pd.DataFrame({"age_at_diagnosis": [50.0, 70.0], "sex": ["female", "male"]})
    >>> [round(float(v), 3) for v in predict_lp(fit.state, new)]
    [-0.24, 0.029]
    >>> [round(float(v), 3) for v in predict_lp(fit.state, new, type="risk")]
    [0.787, 1.029]
    """
    if type not in ("lp", "risk"):
        raise SpecError(
            "unknown prediction type", column="type", value=type, expected="'lp' or 'risk'"
        )
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
            raise SpecError(
                "a stratified model needs the strata column(s) in newdata",
                column=", ".join(state.strata_columns),
                expected="the strata columns used in the fit",
            )
    if state.strata is not None:
        centre = _strata_means(state)[codes]
    else:
        centre = state.means[None, :]
    lp = (x - centre) @ beta
    return lp if type == "lp" else np.exp(lp)


def _increments(state) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per event time ``k``: the baseline hazard increment ``h_k``, its variance term ``v_k`` and
    the covariate-weighted increment ``g_k`` (K x p, centred design), as R's ``agsurv``.

    With Efron ties the ``d`` tied deaths at ``k`` are spread over ``d`` sub-steps whose risk sum
    drops by ``j/d`` of the deaths' risk (``j = 0..d-1``; one step for Breslow):
    ``h = sum_j (w/d) / den_j``, ``v = sum_j (w/d) / den_j**2`` and
    ``g = sum_j (w/d) (S1 - j/d E1) / den_j**2`` with ``den_j = S0 - j/d E0`` (R's ``agsurv5``).
    """
    rs = state.rs
    eta = state.x @ state.beta + (state.center - state.means) @ state.beta
    r = state.w * np.exp(eta)
    s0, s1, d0, d1 = eng.risk_sums_full(r, state.x, rs)
    denom = s0[rs.slot_k] - rs.slot_f * d0[rs.slot_k]
    k = rs.n_times
    haz = np.bincount(rs.slot_k, weights=rs.slot_wt / denom, minlength=k)
    vw = rs.slot_wt / denom**2
    var = np.bincount(rs.slot_k, weights=vw, minlength=k)
    xsum = s1[rs.slot_k] - rs.slot_f[:, None] * d1[rs.slot_k]
    g = (
        np.column_stack(
            [
                np.bincount(rs.slot_k, weights=vw * xsum[:, j], minlength=k)
                for j in range(state.x.shape[1])
            ]
        )
        if state.x.shape[1]
        else np.zeros((k, 0))
    )
    return haz, var, g


def _step_at(grid: np.ndarray, values: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The right-continuous step function that takes ``values[i]`` (rows) from ``grid[i]`` on,
    evaluated at ``t``: 0 before ``grid[0]``."""
    idx = np.searchsorted(grid, t, side="right")
    if not len(grid):
        return np.zeros((len(t),) + values.shape[1:])
    out = values[np.maximum(idx - 1, 0)]
    out[idx == 0] = 0.0
    return out


def _baseline(state) -> list[dict]:
    """Per stratum: its distinct exit times and, at each, the cumulative baseline hazard (for
    a subject at ``fit$means``), the cumulative variance term and the cumulative
    covariate-weighted hazard (centred design)."""
    rs = state.rs
    haz, var, g = _increments(state)
    st = np.zeros(rs.n, dtype=np.int64) if state.strata is None else state.strata
    out = []
    for s in np.unique(st):
        times = np.unique(state.time[st == s])
        ks = np.flatnonzero(rs.k_stratum == s) if rs.n_times else np.zeros(0, np.int64)
        grid = rs.times[ks]
        out.append(
            {
                "code": int(s),
                "times": times,
                "label": "all" if state.strata is None else state.strata_labels[int(s)],
                "cumhaz": _step_at(grid, np.cumsum(haz[ks]), times),
                "cumvar": _step_at(grid, np.cumsum(var[ks]), times),
                "cumx": _step_at(grid, np.cumsum(g[ks], axis=0), times),
            }
        )
    return out


def baseline_hazard(state) -> pd.DataFrame:
    """Baseline cumulative hazard at every distinct exit time of each stratum, for a subject at
    ``fit$means`` (Breslow, or Efron-matched for Efron ties), as ``basehaz(fit, centered = TRUE)``.

    Parameters
    ----------
    state
        The row-level state of a fitted model (:attr:`CoxResult.state
        <crlm_outcomes.survival.cox.CoxResult>`).

    Returns
    -------
    pandas.DataFrame
        ``strata`` (label, ``"all"`` without strata), ``stratum_code``, ``time``, ``cumhaz``.

    Examples
    --------
    >>> from crlm_outcomes import cox
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> fit = cox(synthetic_cohort(200, seed=1), "age_at_diagnosis + sex", "os_months", "os_event")
    >>> bh = baseline_hazard(fit.state)
    >>> len(bh), bh.iloc[-1:].round(3).to_dict("records")  # 195 distinct times, the last one
    (195, [{'strata': 'all', 'stratum_code': 0, 'time': 201.889, 'cumhaz': 2.73}])
    """
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "strata": b["label"],
                    "stratum_code": b["code"],
                    "time": b["times"],
                    "cumhaz": b["cumhaz"],
                }
            )
            for b in _baseline(state)
        ],
        ignore_index=True,
    )


def predict_survival(
    state, newdata: pd.DataFrame, times=None, *, conf_type: str = "log", conf_level: float = 0.95
) -> pd.DataFrame:
    """Survival curves of the rows of ``newdata``, with standard errors and confidence limits,
    as ``survfit(fit, newdata)``.

    ``std_error`` is the standard error of the cumulative hazard (R's ``std.err`` of a Cox
    curve), including the uncertainty of the coefficients (Tsiatis 1981; Therneau & Grambsch
    2000, section 10.2.3):
    ``var H(t; z) = r(z)**2 [sum_{k<=t} v_k + d(t)' V d(t)]``, ``d(t) = H0(t) z - sum_{k<=t} g_k``
    (see :func:`_increments`), ``V`` the model's variance (the robust one when the fit used it,
    as R's ``fit$var``). The limits are those of ``conf_type`` at ``conf_level``, on the
    log-survival scale as R's ``survfit_confint(logse = TRUE)``.

    With ``times``, the step functions are evaluated at those times (as
    ``summary(survfit(...), times = times)``, but keeping times beyond the last exit time as
    missing rather than dropping them). A stratified model uses each row's stratum when newdata
    has the strata columns, otherwise every stratum's curve is returned for every row.

    Parameters
    ----------
    state
        The row-level state of a fitted model (:attr:`CoxResult.state
        <crlm_outcomes.survival.cox.CoxResult>`).
    newdata
        Rows with the model's covariates (for a stratified model, optionally the strata
        columns).
    times
        Times at which to evaluate the curves; ``None`` (default): every distinct exit time.
    conf_type
        ``"log"`` (R's default), ``"log-log"``, ``"plain"``, ``"logit"``, ``"arcsin"`` or
        ``"none"``.
    conf_level
        Level of the pointwise intervals.

    Returns
    -------
    pandas.DataFrame
        A long table: ``row`` (position in newdata), ``strata``, ``time``, ``cumhaz``,
        ``surv``, ``std_error`` (of the cumulative hazard), ``lower``, ``upper``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes import cox
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> fit = cox(synthetic_cohort(200, seed=1), "age_at_diagnosis + sex", "os_months", "os_event")
    >>> new = pd.DataFrame({"age_at_diagnosis": [50.0, 70.0], "sex": ["female", "male"]})
    >>> curves = predict_survival(fit.state, new, times=[12, 36])
    >>> curves[["row", "time", "surv", "lower", "upper"]].round(3).to_dict("records")
    [{'row': 0, 'time': 12.0, 'surv': 0.831, 'lower': 0.768, 'upper': 0.9}, {'row': 0, 'time': 36.0, 'surv': 0.624, 'lower': 0.524, 'upper': 0.741}, {'row': 1, 'time': 12.0, 'surv': 0.785, 'lower': 0.724, 'upper': 0.853}, {'row': 1, 'time': 36.0, 'surv': 0.539, 'lower': 0.458, 'upper': 0.634}]
    """
    from crlm_outcomes.survival._km_core import check_conf, confidence_limits

    if not isinstance(newdata, pd.DataFrame):
        raise SpecError(
            "newdata must be a pandas DataFrame",
            value=type(newdata).__name__,
            expected="a DataFrame with the model's covariates",
        )
    check_conf(conf_type, conf_level)
    x = design_matrix_for(state.design, newdata)
    risk = np.exp((x - state.means[None, :]) @ state.beta)
    z = x - state.center[None, :]  # the centred design, as the baseline's cumulative x
    codes = _newdata_strata(state, newdata) if state.strata is not None else None
    vmat = np.where(np.isfinite(state.var), state.var, 0.0)
    frames = []
    for b in _baseline(state):
        rows = np.arange(len(newdata)) if codes is None else np.flatnonzero(codes == b["code"])
        if rows.size == 0:
            continue
        bt, ch, cv, cx = b["times"], b["cumhaz"], b["cumvar"], b["cumx"]
        if times is None:
            t = bt
        else:
            t = np.asarray(times, dtype=float)
            ch, cv, cx = (_step_at(bt, values, t) for values in (ch, cv, cx))
            beyond = t > bt.max()
            ch, cv = np.where(beyond, np.nan, ch), np.where(beyond, np.nan, cv)
        cum = np.outer(risk[rows], ch)
        # d' V d with d = H0 z - cx, expanded so that no rows x times x p array is formed
        zv = z[rows] @ vmat
        quad = (
            np.einsum("rp,rp->r", zv, z[rows])[:, None] * ch[None, :] ** 2
            - 2.0 * ch[None, :] * (zv @ cx.T)
            + np.einsum("tp,pq,tq->t", cx, vmat, cx)[None, :]
        )
        se = np.sqrt(np.maximum(cv[None, :] + quad, 0.0) * risk[rows][:, None] ** 2)
        surv = np.exp(-cum)
        lower, upper = confidence_limits(
            surv.ravel(), se.ravel(), logse=True, conf_type=conf_type, conf_level=conf_level
        )
        frames.append(
            pd.DataFrame(
                {
                    "row": np.repeat(rows, t.size),
                    "strata": b["label"],
                    "time": np.tile(t, rows.size),
                    "cumhaz": cum.ravel(),
                    "surv": surv.ravel(),
                    "std_error": se.ravel(),
                    "lower": lower,
                    "upper": upper,
                }
            )
        )
    out = pd.concat(frames, ignore_index=True).sort_values(
        ["row", "strata", "time"], kind="stable", ignore_index=True
    )
    return AliasedFrame.wrap(out, {"std_err": "std_error"})
