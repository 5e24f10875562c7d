"""Test of proportional hazards, as R's ``cox.zph`` (survival >= 3.0 algorithm).

For each term, the score test of adding ``x * g(t)`` to the fitted model (``g`` = transformed time,
centred on its mean over events), using the full ``2p x 2p`` information matrix at the fitted
coefficients, not the older Grambsch-Therneau approximation. ``terms=True`` tests the columns of a
term jointly; ``GLOBAL`` tests all of them. Scaled Schoenfeld residuals are returned for plotting.

References: Grambsch & Therneau (1994), *Biometrika* 81:515-526; survival 3.5-3 ``cox.zph`` and
C routines ``zph1``/``zph2``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from crlm_outcomes._result import AliasedFrame, Result, empty_excluded
from crlm_outcomes.errors import SpecError
from crlm_outcomes.survival import _cox_engine as eng

__all__ = ["cox_zph", "ZphResult"]


@dataclass(frozen=True, eq=False, repr=False)
class ZphResult(Result):
    """Result of the PH test.

    Attributes
    ----------
    table
        ``term, statistic, df, p`` per term plus a ``GLOBAL`` row (the chi-square statistic
        was the column ``chisq`` before 0.2; that name still works with a FutureWarning).
    x, time
        Transformed and raw event times (one per event).
    y
        Scaled Schoenfeld residuals (events x terms), as ``cox.zph(...)$y``.
    var
        ``cox.zph(...)$var``: inverse of the average information, by term.
    transform
        The time transform used.
    excluded
        Always empty (the rows are those of the fitted model; see its ``excluded``).

    Examples
    --------
    >>> from crlm_outcomes import cox
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> fit = cox(synthetic_cohort(200, seed=1), "age_at_diagnosis + sex", "os_months", "os_event")
    >>> zph = fit.zph()
    >>> zph.transform, zph.y.shape  # 143 deaths, 2 terms
    ('km', (143, 2))
    """

    table: pd.DataFrame
    x: np.ndarray
    time: np.ndarray
    y: pd.DataFrame
    var: pd.DataFrame
    transform: str
    excluded: pd.DataFrame = field(default_factory=empty_excluded, repr=False)

    _title = "Test of proportional hazards (cox.zph)"

    def __post_init__(self) -> None:
        object.__setattr__(self, "table", AliasedFrame.wrap(self.table, {"chisq": "statistic"}))

    def _repr_fields(self) -> dict[str, object]:
        return {
            "terms": len(self.table) - 1,
            "events": len(self.time),
            "transform": self.transform,
            "global_p": float(self.table["p"].iloc[-1]),
        }

    def summary(self) -> str:
        """The test as R's ``print(cox.zph(fit))``: chisq, df, p per term and GLOBAL.

        Returns
        -------
        str
            One line per term and a ``GLOBAL`` line: the chi-square statistic, its degrees
            of freedom and p (4 significant digits).

        Examples
        --------
        >>> from crlm_outcomes import cox
        >>> from crlm_outcomes.datasets import synthetic_cohort
        >>> fit = cox(synthetic_cohort(200, seed=1), "age_at_diagnosis + sex", "os_months", "os_event")
        >>> print(fit.zph().summary())
                          chisq  df      p
        age_at_diagnosis 0.6355   1 0.4253
        sex              0.7138   1 0.3982
        GLOBAL            1.324   2 0.5157
        """
        shown = self.table.rename(columns={"statistic": "chisq"}).set_index("term")
        shown.index.name = None
        return shown.to_string(float_format=lambda v: f"{v:.4g}")

    def plot(self, ax: Any = None) -> Any:
        """Scaled Schoenfeld residuals of every term
        (:func:`crlm_outcomes.plots.schoenfeld.schoenfeld_plots`).

        Parameters
        ----------
        ax
            ``None`` (a new figure, one panel per term), one Axes (a one-term model) or one
            Axes per term.

        Returns
        -------
        matplotlib.axes.Axes or numpy.ndarray of Axes
            A single Axes for a one-term model, else one Axes per term: residuals, the spline
            smooth with its band, a zero line, and the term's test p in the title.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from crlm_outcomes import cox
        >>> from crlm_outcomes.datasets import synthetic_cohort
        >>> fit = cox(synthetic_cohort(200, seed=1), "age_at_diagnosis + sex", "os_months", "os_event")
        >>> axes = fit.zph().plot()
        >>> [a.get_title(loc="left").splitlines()[0] for a in axes]
        ['Age at diagnosis', 'Sex']
        >>> plt.close(axes[0].figure)
        """
        from crlm_outcomes.plots.schoenfeld import schoenfeld_plots

        return schoenfeld_plots(self, ax=ax)


def _km_left(state) -> tuple[np.ndarray, np.ndarray]:
    """Per event time index: 1 - KM(t-) of the pooled, unweighted data (R's 'km' transform)."""
    t, ev, entry = state.time, state.event, state.entry
    etimes = np.unique(t[ev > 0])
    d = np.bincount(np.searchsorted(etimes, t[ev > 0]), minlength=etimes.size).astype(float)
    at_risk = t.size - np.searchsorted(np.sort(t), etimes, side="left")
    if entry is not None:
        at_risk = at_risk - (t.size - np.searchsorted(np.sort(entry), etimes, side="left"))
    surv = np.cumprod(1 - d / at_risk)
    left = np.concatenate([[1.0], surv[:-1]])
    return etimes, 1 - left


def _transformed(state, transform: str) -> tuple[np.ndarray, np.ndarray]:
    """Transformed time g of each event-time index, and of each event (R's ``ttimes``)."""
    rs = state.rs
    if transform == "km":
        etimes, g_e = _km_left(state)
        g_k = g_e[np.searchsorted(etimes, rs.times)]
    elif transform == "identity":
        g_k = rs.times.astype(float)
    elif transform == "log":
        g_k = np.log(rs.times)
    elif transform == "rank":
        # rank(times) over all rows, ties averaged, as R's rank()
        values, counts = np.unique(state.time, return_counts=True)
        avg = np.cumsum(counts) - counts + (counts + 1) / 2.0
        g_k = avg[np.searchsorted(values, rs.times)]
    else:
        raise SpecError(
            "unknown transform",
            column="transform",
            value=transform,
            expected="'km', 'identity', 'log' or 'rank'",
        )
    return g_k, g_k[rs.ev_k]


def cox_zph(state, transform: str = "km", terms: bool = True) -> ZphResult:
    """Proportional-hazards test and scaled Schoenfeld residuals of a fitted Cox model, as R's
    ``cox.zph(fit, transform, terms)``.

    Parameters
    ----------
    state
        The row-level state of a fitted model (:attr:`CoxResult.state
        <crlm_outcomes.survival.cox.CoxResult>`).
    transform
        Time transform ``g(t)``: ``"km"`` (default, R's), ``"identity"``, ``"log"`` or ``"rank"``.
    terms
        ``True`` (default): one test per term, the columns of a multi-column term (a factor, a
        spline) jointly; ``False``: one test per design column.

    Returns
    -------
    ZphResult

    Raises
    ------
    SpecError
        An unknown ``transform``.

    Examples
    --------
    >>> from crlm_outcomes import cox
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> fit = cox(synthetic_cohort(200, seed=1), "age_at_diagnosis + sex", "os_months", "os_event")
    >>> cox_zph(fit.state).table.round(3).to_dict("records")
    [{'term': 'age_at_diagnosis', 'statistic': 0.636, 'df': 1, 'p': 0.425}, {'term': 'sex', 'statistic': 0.714, 'df': 1, 'p': 0.398}, {'term': 'GLOBAL', 'statistic': 1.324, 'df': 2, 'p': 0.516}]
    """
    rs = state.rs
    keep = state.keep
    kept = np.flatnonzero(keep)
    x = state.x[:, keep]
    p = kept.size
    design = state.design
    g_k, ev_g = _transformed(state, transform)
    g_k = g_k - ev_g.mean()
    dv = state.deriv
    sub = eng.Derivatives(
        loglik=dv.loglik,
        u=dv.u[keep],
        imat=None,
        s0=dv.s0,
        s1=dv.s1[:, keep],
        d0=dv.d0,
        d1=dv.d1[:, keep],
        risk=dv.risk,
        score=dv.score,
        denom=dv.denom,
    )
    ones = np.ones(rs.n_times)
    i11 = eng.info_weighted(sub, x, rs, ones)
    i12 = eng.info_weighted(sub, x, rs, g_k)
    i22 = eng.info_weighted(sub, x, rs, g_k * g_k)
    imat = np.block([[i11, i12], [i12.T, i22]])
    ug = eng.score_weighted(sub, x, state.w, rs, g_k)
    pos = {int(c): i for i, c in enumerate(kept)}
    if terms:
        groups = {}
        for term, cols in design.term_columns.items():
            jj = [pos[c] for c in cols if c in pos]
            if jj:
                groups[term] = jj
    else:
        groups = {design.columns[int(c)]: [pos[int(c)]] for c in kept}
    rows = []
    for term, jj in groups.items():
        kk = list(range(p)) + [j + p for j in jj]
        u = np.concatenate([np.zeros(p), ug[jj]])
        test = float(np.linalg.solve(imat[np.ix_(kk, kk)], u) @ u)
        rows.append((term, test, len(jj)))
    u = np.concatenate([np.zeros(p), ug])
    rows.append(("GLOBAL", float(np.linalg.solve(imat, u) @ u), p))
    table = pd.DataFrame(rows, columns=["term", "statistic", "df"])
    table["p"] = stats.chi2.sf(table["statistic"].to_numpy(float), table["df"].to_numpy(float))

    y, zvar = _scaled_schoenfeld(state, sub, x, i11, groups, kept)
    orig = rs.order[rs.ev_rows]
    # R lists events by stratum and time; tied times keep data order (right-censored data) or
    # reversed data order (counting-process data), as cox.zph's ``ord`` / ``rev(ord)``.
    ev_order = np.lexsort(
        (
            orig if state.entry is None else -orig,
            state.time[rs.ev_rows],
            np.zeros(rs.ev_rows.size) if state.strata is None else state.strata[rs.ev_rows],
        )
    )
    y = y.iloc[ev_order].reset_index(drop=True)
    return ZphResult(
        table=table,
        x=(ev_g)[ev_order],
        time=state.time[rs.ev_rows][ev_order],
        y=y,
        var=zvar,
        transform=transform,
    )


def _scaled_schoenfeld(state, sub, x, i11, groups, kept) -> pd.DataFrame:
    rs = state.rs
    means = eng.schoenfeld_means(sub, rs)
    schoen = x[rs.ev_rows] - means[rs.ev_k]
    ev_str = (
        np.zeros(rs.ev_rows.size, dtype=np.int64)
        if state.strata is None
        else state.strata[rs.ev_rows]
    )
    all_str = np.zeros(rs.n, dtype=np.int64) if state.strata is None else state.strata
    strata_ids = np.unique(all_str)
    used = np.zeros((strata_ids.size, kept.size))
    for si, s in enumerate(strata_ids):
        rows = all_str == s
        nonconst = np.ptp(x[rows], axis=0) > 0 if rows.any() else np.zeros(kept.size, bool)
        used[si] = np.where(nonconst, float(np.count_nonzero(ev_str == s)), 0.0)
    beta = state.beta[kept]
    names = list(groups)
    multi = any(len(j) > 1 for j in groups.values())
    if multi:
        for jj in groups.values():
            if len(jj) > 1 and np.any(used[:, jj] == 0):
                used[:, jj] = used[:, jj].max(axis=1, keepdims=True)
    wtmat = np.zeros((kept.size, kept.size))
    for row in used:
        wtmat += np.minimum.outer(row, row)
    vmean = i11 / np.where(wtmat == 0, 1, wtmat)
    if multi:
        temp = np.zeros((kept.size, len(names)))
        for i, jj in enumerate(groups.values()):
            temp[jj, i] = 1.0 if len(jj) == 1 else beta[jj]
        schoen = schoen @ temp
        vmean = temp.T @ vmean @ temp
        used = used[:, [jj[0] for jj in groups.values()]]
    out = np.full(schoen.shape, np.nan)
    for si, s in enumerate(strata_ids):
        k = np.flatnonzero(used[si] > 0)
        rows = ev_str == s
        if k.size:
            out[np.ix_(rows, k)] = np.linalg.solve(vmean[np.ix_(k, k)], schoen[np.ix_(rows, k)].T).T
    for i, jj in enumerate(groups.values()):
        out[:, i] += beta[jj[0]] if len(jj) == 1 else 1.0
    var = pd.DataFrame(np.linalg.inv(vmean), index=names, columns=names)
    return pd.DataFrame(out, columns=names), var
