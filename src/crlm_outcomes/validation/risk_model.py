"""Predicted risk at a horizon from a (points-based) prognostic score.

Two ways, and the result says which:

* ``method="km"``: the risk of each score level is the Kaplan–Meier risk ``1 - S(t)`` (the
  Aalen–Johansen cumulative incidence for a cause) of the patients with that level;
* ``method="cox"``: a Cox model (Fine–Gray for a cause) with the score as one linear term; the risk
  is ``1 - exp(-H0(t) exp(b x))`` (``1 - exp(-A0(t) exp(b x))``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from crlm_outcomes.errors import SurvivalDataError
from crlm_outcomes.validation._estimators import cox_risks, risk_at
from crlm_outcomes.validation._inputs import as_frame, outcome, predictor_values

__all__ = ["predicted_risk", "risk_columns", "fit_risk"]

METHODS = ("km", "cox")


def fit_risk(
    time: np.ndarray,
    event: np.ndarray,
    x: np.ndarray,
    times: Sequence[float],
    method: str,
    cause: int | None,
    newx: np.ndarray | None = None,
) -> np.ndarray:
    """Array core: risks (rows of ``newx``, default ``x``) at each time, shape (n, len(times)).

    Parameters
    ----------
    time, event
        Follow-up times and event codes (0 censored).
    x
        The score of each row.
    times
        Horizons of the risks.
    method
        ``"km"``: the Kaplan-Meier (Aalen-Johansen) risk of the rows with the same score
        level; ``"cox"``: Cox (Fine-Gray with ``cause``) model with the score as a linear term.
    cause
        Event code of interest with competing risks; None for survival.
    newx
        Scores to predict for (default ``x``); with ``"km"`` a level not in ``x`` gets NaN.

    Returns
    -------
    numpy.ndarray
        Predicted risk by each time: one row per score of ``newx``, one column per time.

    Examples
    --------
    >>> import numpy as np
    >>> time = np.array([5.0, 8, 3, 10, 2, 7, 12, 4])
    >>> event = np.array([1, 0, 1, 0, 1, 0, 1, 1])
    >>> s = np.array([1.0, 0, 1, 0, 1, 0, 0, 1])
    >>> fit_risk(time, event, s, [6], "km", None, newx=np.array([0.0, 1.0, 2.0])).ravel().tolist()
    [0.0, 1.0, nan]
    """
    newx = x if newx is None else newx
    out = np.full((newx.size, len(times)), np.nan)
    if method == "km":
        levels = np.unique(x)
        pos = np.searchsorted(levels, newx)
        known = (pos < levels.size) & (levels[np.minimum(pos, levels.size - 1)] == newx)
        for k, t in enumerate(times):
            rl = np.array([risk_at(time[x == v], event[x == v], t, cause)[0] for v in levels])
            out[known, k] = rl[pos[known]]
        return out
    _, _, r = cox_risks(time, event, x, list(times), cause, newx=newx)
    return r


def risk_columns(label: str, times: Sequence[float]) -> list[str]:
    """Names of the risk columns made by :func:`predicted_risk`.

    Parameters
    ----------
    label
        The score's name.
    times
        Horizons of the risks.

    Returns
    -------
    list of str
        ``<label>_risk_<t>`` for each time (``t`` printed with ``:g``).

    Examples
    --------
    >>> risk_columns("fong", [12, 24.5])
    ['fong_risk_12', 'fong_risk_24.5']
    """
    return [f"{label}_risk_{t:g}" for t in times]


def predicted_risk(
    data,
    duration: str,
    event: str,
    score: str,
    times: float | Sequence[float],
    *,
    method: str = "cox",
    cause: int | None = None,
) -> pd.DataFrame:
    """Predicted risk by each time for every patient, from a score (per-level KM or Cox).

    Parameters
    ----------
    data, duration, event
        DataFrame or Cohort; follow-up time and event code.
    score
        Score column (numeric or ordered categorical; higher = worse for ``method="cox"`` is not
        required: the fitted coefficient gives the direction).
    times
        Horizon(s).
    method
        ``"km"``: Kaplan–Meier (Aalen–Johansen) risk of the patient's score level;
        ``"cox"``: Cox (Fine–Gray) model with the score as a linear term.
    cause
        Event code of interest for competing risks; ``None`` for survival.

    Returns
    -------
    DataFrame
        Same index as ``data``; one column ``<score>_risk_<t>`` per time; missing where the
        score is missing (or, with ``"km"``, where a level has no follow-up to ``t``). The method
        is recorded in ``.attrs["method"]``.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [5, 8, 3, 10, 2, 7, 12, 4], "e": [1, 0, 1, 0, 1, 0, 1, 1],
    ...                   "s": [1, 0, 1, 0, 1, 0, 0, 1]})
    >>> predicted_risk(d, "t", "e", "s", [6], method="km")["s_risk_6"].round(3).tolist()
    [1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0]
    """
    if method not in METHODS:
        raise SurvivalDataError("unknown method", value=method, expected=f"one of {METHODS}")
    frame = as_frame(data)
    tt = [float(t) for t in np.atleast_1d(np.asarray(times, float))]
    out = outcome(frame, duration, event, [score], cause=cause, label=score)
    x = predictor_values(frame, out.index, score)
    risk = fit_risk(out.time, out.event, x, tt, method, cause)
    res = pd.DataFrame(np.nan, index=frame.index, columns=risk_columns(score, tt))
    res.loc[out.index, :] = risk
    res.attrs["method"] = (
        "Kaplan-Meier per score level"
        if method == "km" and cause is None
        else "Aalen-Johansen per score level"
        if method == "km"
        else "Cox model on the score (linear)"
        if cause is None
        else "Fine-Gray model on the score (linear)"
    )
    return res
