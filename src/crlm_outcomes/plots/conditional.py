"""Conditional survival curves: one step curve per time already survived (and group)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt

from crlm_outcomes.plots.style import new_axes, palette, publication_style

if TYPE_CHECKING:
    from crlm_outcomes.survival.conditional import ConditionalSurvival

__all__ = ["plot_conditional_survival"]


def plot_conditional_survival(
    result: ConditionalSurvival, ax: plt.Axes | None = None, *, ci: bool = True
) -> plt.Axes:
    """Draw ``P(T > s + u | T > s)`` against ``u`` for each given ``s`` (and group), with the
    pointwise interval shaded; the horizons of the table are marked with points.

    Parameters
    ----------
    result
        From :func:`crlm_outcomes.survival.conditional.conditional_survival`.
    ax
        Axes to draw on; a new one-column figure when None.
    ci
        Shade the pointwise confidence interval of each curve.

    Returns
    -------
    matplotlib.axes.Axes
        Per curve (time already survived, group) a step line and a line of horizon points; a
        legend when there are several curves.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt, pandas as pd
    >>> from crlm_outcomes.survival.conditional import conditional_survival
    >>> d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6, 7, 8], "e": [1, 1, 0, 1, 1, 0, 1, 0]})
    >>> ax = plot_conditional_survival(conditional_survival(d, "t", "e", given=[0, 2], horizon=3))
    >>> len(ax.get_lines()), [t.get_text() for t in ax.get_legend().get_texts()]
    (4, ['given 0', 'given 2'])
    >>> plt.close(ax.figure)
    """
    ax = new_axes(ax)
    cv = result.curves
    keys = list(dict.fromkeys(zip(cv["group"], cv["given"], strict=True)))
    several_groups = cv["group"].nunique() > 1
    with publication_style():
        for colour, (g, s) in zip(palette(len(keys)), keys, strict=True):
            sub = cv[(cv["group"] == g) & (cv["given"] == s)]
            label = (f"{g}, " if several_groups else "") + f"given {s:g}"
            t = sub["time"].to_numpy(float)
            ax.step(t, sub["estimate"], where="post", color=colour, label=label)
            if ci:
                ax.fill_between(
                    t,
                    sub["lower"].to_numpy(float),
                    sub["upper"].to_numpy(float),
                    step="post",
                    color=colour,
                    alpha=0.15,
                    linewidth=0,
                )
            pts = result.table[(result.table["group"] == g) & (result.table["given"] == s)]
            ax.plot(pts["horizon"], pts["estimate"], "o", color=colour, markersize=3)
        ax.set_ylim(0, 1.02)
        ax.set_xlim(left=0)
        ax.set_xlabel("Additional time survived")
        ax.set_ylabel("Conditional survival")
        if len(keys) > 1:
            ax.legend(loc="lower left")
    return ax
