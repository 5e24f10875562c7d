"""Restricted cubic splines with the knots and basis of R's ``rms::rcs``.

The basis is Hmisc's ``rcspline.eval(x, knots, inclx = TRUE)`` with its default ``norm = 2``
(the truncated cubes divided by ``(t_k - t_1)^(2/3)``), so the coefficients of a model with
``rcs(x, k)`` equal those ``rms::cph`` / ``rms::lrm`` report. Default knots follow Harrell
(2015, *Regression Modeling Strategies*, 2nd ed., Springer, section 2.4.6, table 2.3): the
quantiles ``0.1, 0.5, 0.9`` for 3 knots, ``0.05 … 0.95`` equally spaced for 4–6 knots and
``0.025 … 0.975`` for 7 or more, with rms's refinements (``rcspline.eval``, Hmisc 4.8-0): with
fewer than 100 values the outer knots move to the 5th smallest and 5th largest values; a value
that holds at least 5 % of the data at either end (``fractied = 0.05``) becomes its own knot;
with few distinct values the interior values are the knots.

In a formula, ``rcs(x)`` (5 knots, rms's default), ``rcs(x, 4)`` or ``rcs(x, [20, 40, 60])`` is a
stateful transform: the knots are computed on the data of the fit and reused for predictions.
Its columns are named ``rcs(x, 4)[1]`` (the linear part, ``x`` itself) to ``rcs(x, 4)[3]``.

The knots come from the rows the model uses (complete cases). ``rms`` computes them inside
``model.frame`` before rows with other missing covariates are dropped, so the two differ when
other model variables are missing; pass the knots explicitly to reproduce such an rms fit.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from crlm_outcomes.errors import DataQualityWarning, FormulaError

__all__ = ["rcs_knots", "rcs_basis", "formula_transform"]


def _quantile7(x: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """R's ``quantile(x, probs, type = 7)`` (``x`` sorted), with R's arithmetic."""
    n = x.shape[0]
    index = 1 + (n - 1) * probs
    lo = np.floor(index).astype(np.int64)
    hi = np.ceil(index).astype(np.int64)
    qs = x[lo - 1].astype(np.float64)
    xhi = x[hi - 1]
    i = (index > lo) & (xhi != qs)
    h = (index - lo)[i]
    qs[i] = (1 - h) * qs[i] + h * xhi[i]
    return qs


def rcs_knots(
    x: Sequence[float] | np.ndarray, nk: int = 5, *, fractied: float = 0.05
) -> np.ndarray:
    """Default knots of a restricted cubic spline, as ``Hmisc::rcspline.eval(x, nk = nk)``
    (the knots ``rms::rcs(x, nk)`` uses).

    Parameters
    ----------
    x
        The values (missing values are ignored).
    nk
        Number of knots (at least 3).
    fractied
        rms's ``options(fractied)``: an end value holding at least this fraction of the data
        becomes a knot of its own.

    Returns
    -------
    numpy.ndarray
        The sorted knots.

    Raises
    ------
    FormulaError
        Fewer than 6 values, ``nk < 3``, or fewer than 3 distinct knots.

    Examples
    --------
    >>> rcs_knots(range(1, 201), 4).round(2).tolist()
    [10.95, 70.65, 130.35, 190.05]
    """
    xx = np.asarray(x, dtype=np.float64)
    xx = xx[~np.isnan(xx)]
    n = xx.shape[0]
    if n < 6:
        raise FormulaError(
            "rcs(): knots not specified, and fewer than 6 non-missing values",
            value=n,
            expected="at least 6 values or explicit knots",
        )
    if int(nk) != nk or nk < 3:
        raise FormulaError(
            "rcs(): the number of knots must be a whole number of at least 3",
            value=nk,
            expected="3 to 7 (Harrell's defaults)",
        )
    nk = int(nk)
    xu, counts = np.unique(xx, return_counts=True)
    nxu = xu.shape[0]
    if nxu - 2 <= nk:
        warnings.warn(
            f"rcs(): {nk} knots requested with {nxu} unique values of x; the knots are "
            f"the {nxu - 2} interior values (as rms)",
            DataQualityWarning,
            stacklevel=3,
        )
        knots = xu[1:-1]
    else:
        knots = _default_knots(xx, xu, counts, nk, fractied)
    knots = np.unique(knots)
    if knots.shape[0] < 3:
        raise FormulaError(
            "rcs(): fewer than 3 distinct knots; the variable has too few "
            "distinct values for a spline",
            value=knots.tolist(),
            expected="a variable with more distinct values, or fewer knots",
        )
    return knots


def _tied_ends(
    xx: np.ndarray, counts: np.ndarray, fractied: float
) -> tuple[np.ndarray, list[float], list[float]]:
    """rms's ``fractied`` rule: an end value holding at least ``fractied`` of the data (with no
    interior value that frequent) makes its neighbour a knot and leaves the quantiles."""
    first: list[float] = []
    last: list[float] = []
    if not 0 < fractied < 1:
        return xx, first, last
    f = counts / xx.shape[0]
    if f[1:-1].max() >= fractied:
        return xx, first, last
    if f[0] >= fractied:
        first = [float(xx[xx > xx.min()].min())]
        xx = xx[xx > first[0]]
    if f[-1] >= fractied:
        last = [float(xx[xx < xx.max()].max())]
        xx = xx[xx < last[0]]
    return xx, first, last


def _default_knots(
    xx: np.ndarray, xu: np.ndarray, counts: np.ndarray, nk: int, fractied: float
) -> np.ndarray:
    outer = 0.025 if nk > 6 else (0.05 if nk > 3 else 0.1)
    xx, first, last = _tied_ends(xx, counts, fractied)
    nke = nk - len(first) - len(last)
    xs = np.sort(xx)
    if nke == 1:
        knots = np.array([np.median(xs)])
    elif xu.shape[0] <= nke:
        knots = xu.astype(np.float64)
    else:
        p = np.linspace(0.5, 1 - outer, nke) if nke == 2 else np.linspace(outer, 1 - outer, nke)
        knots = _quantile7(xs, p)
        if np.unique(knots).shape[0] < min(nke, 3):
            knots = _alternate_knots(xs, nke, outer, first, last)
        if xs.shape[0] < 100:  # small samples: the 5th smallest / largest values
            if not first:
                knots[0] = xs[4]
            if not last:
                knots[nke - 1] = xs[-5]
    return np.concatenate([first, knots, last])


def _alternate_knots(
    xs: np.ndarray, nke: int, outer: float, first: list[float], last: list[float]
) -> np.ndarray:
    knots = _quantile7(xs, np.linspace(outer, 1 - outer, 2 * nke))
    if first and np.unique(knots).shape[0] < 3:
        mid = (first[0] + last[0]) / 2 if last else float(np.median(xs))
        knots = np.sort(
            np.array(
                [
                    first[0],
                    mid,
                    last[0] if last else float(_quantile7(xs, np.array([1 - outer]))[0]),
                ]
            )
        )
    nu = np.unique(knots).shape[0]
    if nu < 3:
        raise FormulaError(
            "rcs(): fewer than 3 distinct knots; the variable has too few "
            "distinct values for a spline",
            value=np.unique(knots).tolist(),
            expected="a variable with more distinct values",
        )
    warnings.warn(
        f"rcs(): could not obtain {nke} interior knots with the default algorithm; "
        f"used rms's alternate algorithm ({nu} knots)",
        DataQualityWarning,
        stacklevel=4,
    )
    return knots


def rcs_basis(x: Sequence[float] | np.ndarray, knots: Sequence[float] | np.ndarray) -> np.ndarray:
    """Restricted cubic spline basis, as ``Hmisc::rcspline.eval(x, knots, inclx = TRUE)``.

    Parameters
    ----------
    x
        Values (missing values give missing rows).
    knots
        At least 3 sorted knots.

    Returns
    -------
    numpy.ndarray
        ``len(x) × (len(knots) - 1)``: ``x`` itself, then the ``len(knots) - 2`` nonlinear
        columns, each scaled by ``(t_k - t_1)^(2/3)`` (rms's ``norm = 2``).

    Examples
    --------
    >>> rcs_basis([0.0, 5.0, 10.0], [1.0, 4.0, 9.0]).round(6).tolist()
    [[0.0, 0.0], [5.0, 0.975], [10.0, 6.0]]
    """
    xv = np.asarray(x, dtype=np.float64)
    t = np.unique(np.asarray(knots, dtype=np.float64))
    k = t.shape[0]
    if k < 3:
        raise FormulaError(
            "rcs(): at least 3 distinct knots are needed",
            value=t.tolist(),
            expected="3 or more knots",
        )
    kd = (t[-1] - t[0]) ** (2.0 / 3.0)
    out = np.empty((xv.shape[0], k - 1))
    out[:, 0] = xv

    def cube(u: np.ndarray) -> np.ndarray:
        return np.maximum(u / kd, 0.0) ** 3

    with np.errstate(invalid="ignore"):
        tail_last = cube(xv - t[-1])
        tail_prev = cube(xv - t[-2])
        for j in range(k - 2):
            out[:, j + 1] = cube(xv - t[j]) + (
                (t[-2] - t[j]) * tail_last - (t[-1] - t[j]) * tail_prev
            ) / (t[-1] - t[-2])
    out[np.isnan(xv)] = np.nan
    return out


def _rcs_transform(data: Any, parms: int | Sequence[float] = 5, _state: dict | None = None) -> Any:
    from formulaic.materializers.types import FactorValues

    state = {} if _state is None else _state
    x = np.asarray(data, dtype=np.float64)
    if "knots" not in state:
        if np.ndim(parms) == 0:
            knots = rcs_knots(x, int(parms))  # type: ignore[arg-type]
        else:
            knots = np.unique(np.asarray(parms, dtype=np.float64))
        state["knots"] = [float(v) for v in knots]
        name = getattr(data, "name", None)
        state["variable"] = None if name is None else str(name)
    basis = rcs_basis(x, state["knots"])
    return FactorValues(
        {i + 1: basis[:, i] for i in range(basis.shape[1])},
        kind="numerical",
        spans_intercept=False,
        format="{name}[{field}]",
        encoded=False,
    )


@functools.cache
def formula_transform() -> Any:
    """The formulaic stateful transform behind ``rcs(...)`` in a formula."""
    from formulaic.utils.stateful_transforms import stateful_transform

    def rcs(data: Any, parms: Any = 5, _state: dict = {}) -> Any:  # noqa: B006 (formulaic)
        """rms-style restricted cubic spline of ``data``: ``parms`` knots or the knots."""
        return _rcs_transform(data, parms, _state)

    return stateful_transform(rcs)
