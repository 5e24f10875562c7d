"""Figures of results pooled over multiple imputations: forest plot of pooled hazard ratios,
pooled survival curves, pooled RMST, and convergence traces of the imputation chains."""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np

from crlm_outcomes._display import percent_level
from crlm_outcomes.plots.forest import plain_log_ticks
from crlm_outcomes.plots.style import (
    OKABE_ITO,
    figure_of,
    new_axes,
    palette,
    panel_grid,
    publication_style,
)

if TYPE_CHECKING:
    from crlm_outcomes.imputation.pooling import PooledModel, PooledRMST, PooledSurvival

__all__ = [
    "pooled_forest_plot",
    "pooled_survival_plot",
    "pooled_rmst_plot",
    "hr_forest_plot",
    "trace_plot",
    "trace_plots",
]


def hr_forest_plot(
    labels: list[str],
    hr: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    ax: plt.Axes | None = None,
    *,
    xlabel: str = "Hazard ratio (95% CI)",
) -> plt.Axes:
    """Hazard ratios with intervals on a log axis, one row per label (top to bottom).

    Parameters
    ----------
    labels
        Row names, top to bottom.
    hr, lower, upper
        Hazard ratios and their interval limits, one per label.
    ax
        Axes to draw on; a new figure sized to the number of rows when None.
    xlabel
        Label of the (log) hazard-ratio axis.

    Returns
    -------
    matplotlib.axes.Axes
        One marker with its interval per row and a dashed line at 1.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> ax = hr_forest_plot(["Age > 70", "CEA > 200"], [1.2, 1.8], [0.9, 1.1], [1.6, 2.9])
    >>> [t.get_text() for t in ax.get_yticklabels()], ax.get_xscale()
    (['Age > 70', 'CEA > 200'], 'log')
    >>> plt.close(ax.figure)
    """
    hr, lower, upper = (np.asarray(v, dtype=np.float64) for v in (hr, lower, upper))
    ax = new_axes(ax, height=max(1.6, 0.22 * len(labels) + 0.8))
    with publication_style():
        y = np.arange(len(labels))[::-1]
        ax.errorbar(
            hr,
            y,
            xerr=[hr - lower, upper - hr],
            fmt="s",
            color=OKABE_ITO[0],
            ecolor=OKABE_ITO[0],
            markersize=4,
            capsize=0,
            linewidth=1.0,
        )
        ax.axvline(1.0, color="0.5", linewidth=0.8, linestyle="--")
        ax.set_xscale("log")
        import pandas as pd

        plain_log_ticks(ax, pd.Series(lower), pd.Series(upper))
        ax.set_yticks(y)
        ax.set_yticklabels(labels)
        ax.set_ylim(-0.7, len(labels) - 0.3)
        ax.set_xlabel(xlabel)
    return ax


def pooled_forest_plot(
    result: PooledModel,
    ax: plt.Axes | None = None,
    *,
    labels=None,
    counts: bool = True,
    columns: bool = True,
    width: float = 6.0,
) -> plt.Axes:
    """Forest plot of a :class:`~crlm_outcomes.imputation.pooling.PooledModel` in the layout
    of :func:`crlm_outcomes.plots.forest.forest_plot`: levels grouped under their variable
    with the reference row, N/events (averaged over the imputations where they differ),
    "HR (95% CI)" and p beside the plot; ``labels`` as
    :func:`crlm_outcomes.labels.resolve_labels`.

    Parameters
    ----------
    result
        A pooled Cox or Fine-Gray model (e.g. ``Imputations.cox(...)``).
    ax
        Axes to draw on; a new figure when None.
    labels
        Display labels of variables and levels.
    counts, columns
        Show the N/events column; show the estimate and p columns.
    width
        Width in inches of a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        The forest axes, its x label naming the number of imputations pooled.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt, pandas as pd
    >>> from crlm_outcomes.imputation.mice import impute
    >>> d = pd.DataFrame({"t": [5, 8, 3, 9, 4, 7, 6, 2, 10, 12],
    ...                   "e": [1, 0, 1, 1, 1, 0, 1, 1, 0, 1],
    ...                   "cea": [3.1, None, 8.0, 2.2, None, 4.5, 6.1, 9.3, 1.8, 5.0],
    ...                   "arm": ["a", "b"] * 5})
    >>> imp = impute(d, ["cea"], duration="t", event="e", predictors=["cea", "arm"],
    ...              m=2, iterations=3, seed=1)
    >>> ax = pooled_forest_plot(imp.cox("cea + arm", "t", "e"))
    >>> ax.get_xlabel()
    'Hazard ratio (95% CI, log scale), pooled over 2 imputations'
    >>> plt.close(ax.figure)
    """
    from crlm_outcomes.plots.forest import forest_plot

    ax = forest_plot(result, ax=ax, labels=labels, counts=counts, columns=columns, width=width)
    level = percent_level(result.conf_level)
    what = "Hazard ratio" if result.model == "cox" else "Subdistribution hazard ratio"
    ax.set_xlabel(f"{what} ({level}% CI, log scale), pooled over {result.m} imputations")
    return ax


def pooled_survival_plot(result: PooledSurvival, ax: plt.Axes | None = None) -> plt.Axes:
    """Pooled survival curves (steps) with pointwise pooled limits (shaded).

    Parameters
    ----------
    result
        Pooled Kaplan-Meier survival (e.g. ``Imputations.kaplan_meier(...)``).
    ax
        Axes to draw on; a new one-column figure when None.

    Returns
    -------
    matplotlib.axes.Axes
        One step line and band per group, a legend when there are several groups.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt, pandas as pd
    >>> from crlm_outcomes.imputation.mice import impute
    >>> d = pd.DataFrame({"t": [5, 8, 3, 9, 4, 7, 6, 2, 10, 12],
    ...                   "e": [1, 0, 1, 1, 1, 0, 1, 1, 0, 1],
    ...                   "cea": [3.1, None, 8.0, 2.2, None, 4.5, 6.1, 9.3, 1.8, 5.0],
    ...                   "arm": ["a", "b"] * 5})
    >>> imp = impute(d, ["cea"], duration="t", event="e", predictors=["cea", "arm"],
    ...              m=2, iterations=3, seed=1)
    >>> ax = pooled_survival_plot(imp.kaplan_meier("t", "e", by="arm", times=[2, 4, 6, 8]))
    >>> len(ax.get_lines()), ax.get_ylabel()
    (2, 'Survival (pooled over 2 imputations)')
    >>> plt.close(ax.figure)
    """
    ax = new_axes(ax)
    cv = result.curve
    with publication_style():
        groups = list(dict.fromkeys(cv["group"]))
        for colour, g in zip(palette(len(groups)), groups, strict=True):
            sub = cv[cv["group"] == g].dropna(subset=["estimate"])
            t = np.concatenate(([0.0], sub["time"].to_numpy(float)))
            ax.step(
                t,
                np.concatenate(([1.0], sub["estimate"].to_numpy(float))),
                where="post",
                color=colour,
                label=str(g),
            )
            ax.fill_between(
                t,
                np.concatenate(([1.0], sub["lower"].to_numpy(float))),
                np.concatenate(([1.0], sub["upper"].to_numpy(float))),
                step="post",
                color=colour,
                alpha=0.15,
                linewidth=0,
            )
        ax.set_ylim(0, 1.02)
        ax.set_xlim(left=0)
        ax.set_xlabel("Time")
        ax.set_ylabel(f"Survival (pooled over {result.m} imputations)")
        if len(groups) > 1:
            ax.legend(loc="upper right")
    return ax


def pooled_rmst_plot(result: PooledRMST, ax: plt.Axes | None = None) -> plt.Axes:
    """Pooled RMST per group with its interval.

    Parameters
    ----------
    result
        Pooled restricted mean survival times (e.g. ``Imputations.rmst(...)``).
    ax
        Axes to draw on; a new figure sized to the number of groups when None.

    Returns
    -------
    matplotlib.axes.Axes
        One point with its interval per group, first group at the top.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt, pandas as pd
    >>> from crlm_outcomes.imputation.mice import impute
    >>> d = pd.DataFrame({"t": [5, 8, 3, 9, 4, 7, 6, 2, 10, 12],
    ...                   "e": [1, 0, 1, 1, 1, 0, 1, 1, 0, 1],
    ...                   "cea": [3.1, None, 8.0, 2.2, None, 4.5, 6.1, 9.3, 1.8, 5.0],
    ...                   "arm": ["a", "b"] * 5})
    >>> imp = impute(d, ["cea"], duration="t", event="e", predictors=["cea", "arm"],
    ...              m=2, iterations=3, seed=1)
    >>> ax = pooled_rmst_plot(imp.rmst("t", "e", by="arm", tau=8))
    >>> [t.get_text() for t in ax.get_yticklabels()], ax.get_xlabel()
    (['a', 'b'], 'RMST up to 8 (pooled over 2 imputations)')
    >>> plt.close(ax.figure)
    """
    t = result.table
    ax = new_axes(ax, height=max(1.6, 0.3 * len(t) + 0.8))
    with publication_style():
        y = np.arange(len(t))[::-1]
        est = t["estimate"].to_numpy(float)
        ax.errorbar(
            est,
            y,
            xerr=[est - t["lower"].to_numpy(float), t["upper"].to_numpy(float) - est],
            fmt="o",
            color=OKABE_ITO[0],
            capsize=0,
        )
        ax.set_yticks(y)
        ax.set_yticklabels([str(g) for g in t["group"]])
        ax.set_xlabel(f"RMST up to {result.tau:g} (pooled over {result.m} imputations)")
    return ax


def trace_plot(traces, variable: str, ax: plt.Axes | None = None, *, labels=None) -> plt.Axes:
    """Convergence traces: mean of the imputed values of ``variable`` per iteration, one line
    per chain (imputation), as R's ``plot(mids)``. ``traces`` is the frame of
    :attr:`crlm_outcomes.imputation.Imputations.traces`; ``labels`` (as
    :func:`crlm_outcomes.labels.resolve_labels`) names the variable.

    Parameters
    ----------
    traces
        Frame with columns imputation, iteration, variable, mean (``Imputations.traces``).
    variable
        The imputed variable to show.
    ax
        Axes to draw on; a new one-column figure when None.
    labels
        Display labels; the variable's label is the title.

    Returns
    -------
    matplotlib.axes.Axes
        One line per chain (imputation) over the iterations.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt, pandas as pd
    >>> from crlm_outcomes.imputation.mice import impute
    >>> d = pd.DataFrame({"t": [5, 8, 3, 9, 4, 7, 6, 2, 10, 12],
    ...                   "e": [1, 0, 1, 1, 1, 0, 1, 1, 0, 1],
    ...                   "cea": [3.1, None, 8.0, 2.2, None, 4.5, 6.1, 9.3, 1.8, 5.0],
    ...                   "arm": ["a", "b"] * 5})
    >>> imp = impute(d, ["cea"], duration="t", event="e", predictors=["cea", "arm"],
    ...              m=2, iterations=3, seed=1)
    >>> ax = trace_plot(imp.traces, "cea")
    >>> len(ax.get_lines()), ax.get_xlabel(), ax.get_title(loc="left")
    (2, 'Iteration', 'cea')
    >>> plt.close(ax.figure)
    """
    from crlm_outcomes.labels import resolve_labels

    name = resolve_labels(labels).variable(variable)
    sub = traces[traces["variable"] == variable]
    ax = new_axes(ax)
    with publication_style():
        chains = sorted(sub["imputation"].unique())
        for colour, c in zip(palette(len(chains)), chains, strict=True):
            s = sub[sub["imputation"] == c].sort_values("iteration")
            ax.plot(s["iteration"], s["mean"], color=colour, linewidth=1.0)
        ax.set_xlabel("Iteration")
        ax.set_ylabel("Mean of imputed values")
        ax.set_title(name, loc="left")  # a long label as a title keeps the panels aligned
    return ax


def trace_plots(traces, variables, *, labels=None) -> list[plt.Axes]:
    """Convergence traces of several imputed variables: one :func:`trace_plot` panel
    (2.4 x 2.0 in) per variable, up to three a row, on one figure laid out tightly.

    Parameters
    ----------
    traces
        Frame with columns imputation, iteration, variable, mean (``Imputations.traces``).
    variables
        The imputed variables to show, in order.
    labels
        Display labels (:func:`crlm_outcomes.labels.resolve_labels`); they title the panels.

    Returns
    -------
    list of matplotlib.axes.Axes
        One panel per variable.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt, pandas as pd
    >>> from crlm_outcomes.imputation.mice import impute
    >>> d = pd.DataFrame({"t": [5, 8, 3, 9, 4, 7, 6, 2, 10, 12],
    ...                   "e": [1, 0, 1, 1, 1, 0, 1, 1, 0, 1],
    ...                   "cea": [3.1, None, 8.0, 2.2, None, 4.5, 6.1, 9.3, 1.8, 5.0],
    ...                   "age": [61, 50, None, 55, 66, 58, None, 52, 63, 57],
    ...                   "arm": ["a", "b"] * 5})
    >>> imp = impute(d, ["cea", "age"], duration="t", event="e", predictors=["arm"],
    ...              m=2, iterations=3, seed=1)
    >>> axes = trace_plots(imp.traces, ["cea", "age"])
    >>> [a.get_title(loc="left") for a in axes], [len(a.get_lines()) for a in axes]
    (['cea', 'age'], [2, 2])
    >>> plt.close(axes[0].figure)
    """
    axes = panel_grid(len(variables))
    for variable, a in zip(variables, axes, strict=True):
        trace_plot(traces, variable, ax=a, labels=labels)
    with publication_style():
        figure_of(axes[0]).tight_layout()
    return axes
