"""Scaled Schoenfeld residuals against transformed time, as R's ``plot(cox.zph(fit))``.

The smooth is R's: a least-squares natural cubic spline with 4 degrees of freedom (knots at the
25/50/75 % quantiles of the transformed event times, boundary knots at their range), drawn with
a +/- 2 standard-error band. The natural-spline space is spanned here with the truncated-power
basis of Hastie, Tibshirani & Friedman (2009, eq. 5.4-5.5), which gives the same fitted curve as
``lm(y ~ ns(x, df = 4))``.

Reference: Grambsch & Therneau (1994), *Biometrika* 81:515-526; survival 3.5-3
``plot.cox.zph``.
"""

from __future__ import annotations

import numpy as np

from crlm_outcomes.errors import SpecError
from crlm_outcomes.plots.style import (
    OKABE_ITO,
    figure_of,
    new_axes,
    panel_grid,
    publication_style,
)

__all__ = [
    "natural_spline_basis",
    "zph_smooth",
    "schoenfeld_plot",
    "schoenfeld_plots",
    "schoenfeld_grid",
]


def natural_spline_basis(x: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """Natural cubic spline basis (with intercept) for sorted ``knots`` (boundaries included).

    Parameters
    ----------
    x
        Points at which to evaluate the basis.
    knots
        Sorted knots, the two boundary knots first and last.

    Returns
    -------
    numpy.ndarray
        ``len(x)`` rows and ``len(knots)`` columns: 1, x and one truncated-power column per
        interior knot (linear beyond the boundary knots).

    Examples
    --------
    >>> import numpy as np
    >>> b = natural_spline_basis(np.linspace(0, 1, 5), np.array([0.0, 0.5, 1.0]))
    >>> b.shape, [round(float(v), 4) for v in b[:, 2]]
    ((5, 3), [0.0, 0.0156, 0.125, 0.3906, 0.75])
    """
    x = np.asarray(x, float)
    k = np.asarray(knots, float)
    K = k.size

    def d(j):
        return (np.clip(x - k[j], 0, None) ** 3 - np.clip(x - k[K - 1], 0, None) ** 3) / (
            k[K - 1] - k[j]
        )

    cols = [np.ones_like(x), x]
    last = d(K - 2)
    for j in range(K - 2):
        cols.append(d(j) - last)
    return np.column_stack(cols)


def zph_smooth(x: np.ndarray, y: np.ndarray, var: float, df: int = 4, nsmo: int = 40):
    """R's smooth of ``plot.cox.zph``: grid, fit and half-width of the +/- 2 SE band.

    ``ns(c(grid, x), df = df, intercept = TRUE)``: ``df - 2`` interior knots at equally spaced
    quantiles of the grid and data together, boundary knots at the range; the band is
    ``2 * sqrt(var * diag(P (X'X)^-1 P'))`` with ``var`` the term's ``cox.zph`` variance.

    Parameters
    ----------
    x, y
        Transformed event times and the term's scaled Schoenfeld residuals (missing
        residuals are left out).
    var
        The term's variance from ``cox.zph`` (scales the band).
    df
        Degrees of freedom of the natural spline (R's default 4).
    nsmo
        Number of grid points the smooth is evaluated at (R's default 40).

    Returns
    -------
    tuple of numpy.ndarray
        ``(grid, fit, half)``: the grid over the range of ``x``, the smooth on it and the
        half-width of the band.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(10.0)
    >>> grid, fit, half = zph_smooth(x, 0.1 * x, var=0.01, nsmo=5)
    >>> grid.tolist(), bool(np.allclose(fit, 0.1 * grid))  # a straight line is reproduced
    ([0.0, 2.25, 4.5, 6.75, 9.0], True)
    >>> [round(float(v), 4) for v in half]  # widest at the ends
    [0.1741, 0.1174, 0.0985, 0.1174, 0.1741]
    """
    ok = np.isfinite(y)
    x, y = x[ok], y[ok]
    grid = np.linspace(x.min(), x.max(), nsmo)
    both = np.concatenate([grid, x])
    inner = np.quantile(both, np.linspace(0, 1, df)[1:-1])
    knots = np.concatenate([[both.min()], inner, [both.max()]])
    basis = natural_spline_basis(x, knots)
    coef, *_ = np.linalg.lstsq(basis, y, rcond=None)
    xtx_inv = np.linalg.pinv(basis.T @ basis)
    g = natural_spline_basis(grid, knots)
    fit = g @ coef
    half = 2 * np.sqrt(var * np.einsum("ij,jk,ik->i", g, xtx_inv, g))
    return grid, fit, half


def schoenfeld_plot(
    zph,
    term: str,
    ax=None,
    *,
    labels=None,
    endpoint: str | None = None,
    xlabel: str | None = None,
    pvalue: bool = True,
):
    """Scaled Schoenfeld residuals of ``term`` with a spline smooth, +/- 2 SE band and a zero
    line, on an axis labelled in months.

    The points and the smooth are placed on the transformed time of the test
    (``zph.transform``, as R's ``plot.cox.zph``), and the axis ticks are labelled with the
    months they correspond to (every 12 or 24 months), so the reader reads time while the
    picture is the one the test judges. The test's p for the term is printed in the panel.

    Parameters
    ----------
    zph
        A :class:`~crlm_outcomes.survival.cox_zph.ZphResult`.
    term
        A column of ``zph.y`` (a model term).
    ax
        Axes to draw on; a new one-column figure when ``None``.
    labels
        Display labels (:func:`crlm_outcomes.labels.resolve_labels`) for the panel title.
    endpoint
        Endpoint of the model (``os``...): its time origin names the x axis.
    xlabel
        Override the x label.
    pvalue
        Print the term's test p-value in the panel.

    Returns
    -------
    matplotlib.axes.Axes
        The panel: residual points, the smooth and its band (when more than four distinct
        times), a zero line; the title names the term and its p.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt, pandas as pd
    >>> from crlm_outcomes.survival.cox import cox
    >>> d = pd.DataFrame({"t": [5, 8, 3, 9, 4, 7, 6, 2, 10, 12, 15, 20],
    ...                   "e": [1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 1, 0],
    ...                   "age": [61, 50, 72, 55, 66, 58, 70, 52, 63, 57, 49, 60],
    ...                   "cea": [3.1, 2.0, 8.0, 2.2, 5.5, 4.5, 6.1, 9.3, 1.8, 5.0, 2.5, 1.0]})
    >>> zph = cox(d, "age + cea", "t", "e").zph()
    >>> ax = schoenfeld_plot(zph, "age", endpoint="os")
    >>> ax.get_title(loc="left").splitlines(), ax.get_ylabel()
    (['age', 'PH test p = 0.935'], 'β(t)')
    >>> len(ax.get_lines())  # zero line, smooth, two band limits
    4
    >>> plt.close(ax.figure)
    """
    from crlm_outcomes.labels import resolve_labels
    from crlm_outcomes.plots.km import format_p_plot, time_breaks
    from crlm_outcomes.survival.term_rows import term_label

    if term not in zph.y.columns:
        raise SpecError(
            "unknown term for the Schoenfeld plot",
            column="term",
            value=term,
            expected=f"one of {list(zph.y.columns)}",
        )
    lab = resolve_labels(labels)
    ax = new_axes(ax)
    x = np.asarray(zph.x, float)
    y = zph.y[term].to_numpy(float)
    with publication_style():
        ax.axhline(0.0, color="0.5", linewidth=0.7, linestyle="--", zorder=0)
        ax.scatter(x, y, s=5, color=OKABE_ITO[0], alpha=0.45, linewidths=0)
        if np.unique(x).size > 4:
            grid, fit, half = zph_smooth(x, y, float(zph.var.loc[term, term]))
            ax.plot(grid, fit, color=OKABE_ITO[1])
            ax.plot(grid, fit + half, color=OKABE_ITO[1], linestyle="--", linewidth=0.8)
            ax.plot(grid, fit - half, color=OKABE_ITO[1], linestyle="--", linewidth=0.8)
        times = np.asarray(getattr(zph, "time", np.array([])), float)
        if times.size == x.size and times.size > 1:
            order = np.argsort(times, kind="stable")
            ts, xs = times[order], x[order]
            months = [m for m in time_breaks(float(ts[-1])) if ts[0] <= m <= ts[-1]]
            if len(months) < 3:  # short follow-up: finer breaks
                months = [
                    m for m in time_breaks(float(ts[-1]), float(ts[-1]) / 4) if ts[0] <= m <= ts[-1]
                ]
            pos = np.interp(months, ts, xs)
            # late months crowd on the Kaplan-Meier scale: keep ticks at least 14% apart
            span = float(xs[-1] - xs[0]) or 1.0
            keep, last = [], -np.inf
            for j, p in enumerate(pos):
                if p - last >= 0.14 * span:
                    keep.append(j)
                    last = p
            months = [months[j] for j in keep]
            pos = pos[keep]
            ax.set_xticks(pos)
            ax.set_xticklabels([f"{m:g}" for m in months])
            ax.set_xlabel(xlabel if xlabel is not None else lab.time_label(endpoint))
        else:
            names = {
                "km": "1 - KM(t-)",
                "identity": "time",
                "log": "log(time)",
                "rank": "rank(time)",
            }
            ax.set_xlabel(xlabel or f"Transformed time: {names.get(zph.transform, zph.transform)}")
        name = term_label(term, lab)
        ax.set_ylabel("β(t)")
        if pvalue and "p" in zph.table.columns:
            first = zph.table.columns[0]
            row = zph.table[zph.table[first].astype(str) == term]
            if len(row) and np.isfinite(float(row["p"].iloc[0])):
                name += "\n" + format_p_plot(float(row["p"].iloc[0]), "PH test")
        ax.set_title(name, loc="left", fontsize=_plt_size() - 0.5)
    return ax


def schoenfeld_plots(zph, ax=None, **kwargs):
    """One Schoenfeld panel per term, as R's ``plot(cox.zph(fit))`` without ``resid`` index.

    Parameters
    ----------
    zph
        A :class:`~crlm_outcomes.survival.cox_zph.ZphResult`.
    ax
        ``None`` (a new figure, one panel per term in a grid of up to 3 columns), one Axes (a
        one-term model) or a sequence of Axes, one per term.
    **kwargs
        Options of :func:`schoenfeld_plot` for every panel (``labels=``, ``endpoint=``...).

    Returns
    -------
    matplotlib.axes.Axes or numpy.ndarray of Axes
        A single Axes for a one-term model, else an array with one Axes per term.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt, pandas as pd
    >>> from crlm_outcomes.survival.cox import cox
    >>> d = pd.DataFrame({"t": [5, 8, 3, 9, 4, 7, 6, 2, 10, 12, 15, 20],
    ...                   "e": [1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 1, 0],
    ...                   "age": [61, 50, 72, 55, 66, 58, 70, 52, 63, 57, 49, 60],
    ...                   "cea": [3.1, 2.0, 8.0, 2.2, 5.5, 4.5, 6.1, 9.3, 1.8, 5.0, 2.5, 1.0]})
    >>> zph = cox(d, "age + cea", "t", "e").zph()
    >>> axes = schoenfeld_plots(zph)
    >>> [a.get_title(loc="left").splitlines()[0] for a in axes]
    ['age', 'cea']
    >>> plt.close(axes[0].figure)
    """
    import matplotlib.pyplot as plt

    terms = list(zph.y.columns)
    if ax is not None:
        axes = np.atleast_1d(np.asarray(ax, dtype=object)).ravel()
        if axes.size != len(terms):
            raise SpecError(
                "one Axes per term is needed for the Schoenfeld plots",
                column="ax",
                value=int(axes.size),
                expected=f"{len(terms)} Axes ({', '.join(map(str, terms))})",
            )
    else:
        ncol = min(3, len(terms))
        nrow = -(-len(terms) // ncol)
        fig, grid = plt.subplots(nrow, ncol, figsize=(3.3 * ncol, 2.6 * nrow), squeeze=False)
        axes = grid.ravel()
        for extra in axes[len(terms) :]:
            extra.set_visible(False)
        axes = axes[: len(terms)]
    for term, a in zip(terms, axes, strict=True):
        schoenfeld_plot(zph, term, ax=a, **kwargs)
    return axes[0] if len(terms) == 1 else axes


def schoenfeld_grid(zph, terms=None, *, labels=None, endpoint=None):
    """Compact Schoenfeld panels sharing one time-axis label, as the report prints them.

    One :func:`schoenfeld_plot` panel (2.4 x 2.0 in) per term, up to three a row; the panels
    carry no x label of their own, the figure one below them all (the endpoint's time label).

    Parameters
    ----------
    zph
        A :class:`~crlm_outcomes.survival.cox_zph.ZphResult`.
    terms
        The terms to show, in order (columns of ``zph.y``); default all of them.
    labels
        Display labels (:func:`crlm_outcomes.labels.resolve_labels`) for the panel titles.
    endpoint
        Endpoint of the model (``os``...): its time origin names the shared x axis.

    Returns
    -------
    list of matplotlib.axes.Axes
        One panel per term, on one figure laid out tightly.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt, pandas as pd
    >>> from crlm_outcomes.survival.cox import cox
    >>> d = pd.DataFrame({"t": [5, 8, 3, 9, 4, 7, 6, 2, 10, 12, 15, 20],
    ...                   "e": [1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 1, 0],
    ...                   "age": [61, 50, 72, 55, 66, 58, 70, 52, 63, 57, 49, 60],
    ...                   "cea": [3.1, 2.0, 8.0, 2.2, 5.5, 4.5, 6.1, 9.3, 1.8, 5.0, 2.5, 1.0]})
    >>> axes = schoenfeld_grid(cox(d, "age + cea", "t", "e").zph(), endpoint="os")
    >>> [a.get_title(loc="left").splitlines()[0] for a in axes], axes[0].get_xlabel()
    (['age', 'cea'], '')
    >>> axes[0].figure.get_supxlabel()
    'Months from diagnosis of liver metastases'
    >>> plt.close(axes[0].figure)
    """
    from crlm_outcomes.labels import resolve_labels

    terms = list(zph.y.columns) if terms is None else list(terms)
    axes = panel_grid(len(terms))
    for term, a in zip(terms, axes, strict=True):
        schoenfeld_plot(zph, term, ax=a, labels=labels, endpoint=endpoint, xlabel="")
    fig = figure_of(axes[0])
    with publication_style():
        fig.supxlabel(resolve_labels(labels).time_label(endpoint), fontsize=8)
        fig.tight_layout()
    return axes


def _plt_size() -> float:
    """The axis-label font size of the publication style (points)."""
    import matplotlib.pyplot as plt

    size = plt.rcParams["axes.labelsize"]
    return float(size) if isinstance(size, (int, float)) else 8.0
