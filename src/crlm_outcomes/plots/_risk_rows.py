"""Rows of numbers at risk under a figure's x axis, shared by the Kaplan-Meier and the
cumulative-incidence figures (one drawing, so both print them alike)."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt

__all__ = ["draw_risk_rows"]


def draw_risk_rows(
    ax: plt.Axes,
    cells: Sequence[Sequence[object]],
    ticks: Sequence[float],
    colours: Sequence[str],
    names: Sequence[str],
    title: str = "Number at risk",
) -> None:
    """Print ``cells`` (one row per group, one column per tick) under ``ax``.

    Short group names sit left of their row; long ones (over 14 characters) above it, so the
    axis keeps its width. The numbers carry ``gid="risk-table"`` in SVG output.

    Parameters
    ----------
    ax
        The figure's axes.
    cells
        The printed texts, one row per group and one entry per tick.
    ticks
        The x positions of the columns (data coordinates).
    colours, names
        Each row's colour and name.
    title
        The bold heading above the rows.

    Returns
    -------
    None
        The annotations are added to ``ax``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> draw_risk_rows(ax, [["10", "4"]], [0, 12], ["C0"], ["All"])
    >>> [t.get_text() for t in ax.texts]
    ['Number at risk', 'All', '10', '4']
    """
    size = plt.rcParams["xtick.labelsize"]
    size = size if isinstance(size, (int, float)) else 7
    first = 30.0  # points below the axis: below tick labels and the x label
    step = size + 3.5
    above = max((len(n) for n in names), default=0) > 14
    ax.annotate(
        title,
        xy=(0, 0),
        xycoords="axes fraction",
        xytext=(0, -first),
        textcoords="offset points",
        ha="left",
        va="top",
        fontsize=size,
        fontweight="bold",
        annotation_clip=False,
    )
    offset = -first
    # the row names end left of the numbers under the first tick (centred on it)
    gap = 6.0 + 0.32 * size * max((len(str(row[0])) for row in cells if len(row)), default=0)
    for colour, name, row in zip(colours, names, cells, strict=False):
        offset -= step
        ax.annotate(
            name,
            xy=(0, 0),
            xycoords="axes fraction",
            xytext=(0, offset) if above else (-gap, offset),
            textcoords="offset points",
            ha="left" if above else "right",
            va="top",
            fontsize=size,
            color=colour,
            annotation_clip=False,
        )
        if above:
            offset -= step
        for t, text in zip(ticks, row, strict=False):
            ax.annotate(
                str(text),
                xy=(t, 0),
                # matplotlib 3.8's stub omits the (x, y) coordinate-system pair
                xycoords=("data", "axes fraction"),  # type: ignore[arg-type]
                xytext=(0, offset),
                textcoords="offset points",
                ha="center",
                va="top",
                fontsize=size,
                annotation_clip=False,
                gid="risk-table",
            )
