"""Cohort flow diagram (CONSORT/STROBE style): one box per step, exclusions to the side.

The STROBE statement (von Elm et al., Lancet 2007;370:1453, item 13c) recommends a flow diagram
giving the number of participants at each stage and the reasons for non-participation. Counts are
drawn as given, so suppressed counts (text such as ``<11``) pass through unchanged.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from crlm_outcomes.errors import InputError
from crlm_outcomes.plots.style import new_axes, palette, publication_style

__all__ = ["plot_flow", "flow_steps_frame"]

_COLUMNS = ["label", "n", "excluded", "reason"]


def flow_steps_frame(steps: pd.DataFrame | Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Normalise flow steps to a frame with columns label, n, excluded, reason.

    Each step is a box ``label`` with ``n`` remaining; ``excluded`` (with ``reason``) is the
    number removed on the way from the previous box (absent for the first box).

    Raises
    ------
    InputError
        No steps, or a step without ``label`` or ``n``.
    """
    frame = steps.copy() if isinstance(steps, pd.DataFrame) else pd.DataFrame(list(steps))
    if frame.empty:
        raise InputError("a flow diagram needs at least one step", expected="one or more steps")
    for col in ("label", "n"):
        if col not in frame.columns:
            raise InputError("flow step without a required key", column=col,
                             expected="keys label, n (and excluded, reason after the first)")
    for col in ("excluded", "reason"):
        if col not in frame.columns:
            frame[col] = None
    return frame[_COLUMNS].reset_index(drop=True)


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def plot_flow(steps: pd.DataFrame | Sequence[Mapping[str, Any]], ax: plt.Axes | None = None, *,
              width: float = 6.0) -> plt.Axes:
    """Draw the cohort flow: main boxes top to bottom, exclusion boxes on the right.

    Parameters
    ----------
    steps
        Frame or list of mappings with ``label``, ``n`` and, for every step after the first,
        ``excluded`` and ``reason`` (see :func:`flow_steps_frame`). Counts may be numbers or
        already formatted text (e.g. suppressed ``<11``).
    ax
        Axes to draw on; a new figure sized to the number of steps when None.
    width
        Width in inches of a new figure.

    Returns
    -------
    matplotlib.axes.Axes
    """
    frame = flow_steps_frame(steps)
    k = len(frame)
    ax = new_axes(ax, width=width, height=0.85 * k + 0.3)
    main_colour, side_colour = palette(2)
    with publication_style():
        ax.set_xlim(0, 1)
        ax.set_ylim(-0.5, k - 0.4)
        ax.invert_yaxis()
        ax.axis("off")
        box = {"boxstyle": "round,pad=0.4", "facecolor": "white", "linewidth": 0.9}
        for i, row in enumerate(frame.itertuples(index=False)):
            label = textwrap.fill(str(row.label), 40)
            ax.text(0.3, i, f"{label}\nn = {_text(row.n)}", ha="center", va="center",
                    fontsize=7, bbox={**box, "edgecolor": main_colour})
            if i == 0:
                continue
            ax.annotate("", xy=(0.3, i - 0.28), xytext=(0.3, i - 0.72),
                        arrowprops={"arrowstyle": "-|>", "color": "0.3", "linewidth": 0.8})
            excluded = _text(row.excluded)
            if excluded or _text(row.reason):
                ax.annotate("", xy=(0.6, i - 0.5), xytext=(0.3, i - 0.5),
                            arrowprops={"arrowstyle": "-|>", "color": "0.3",
                                        "linewidth": 0.8})
                reason = textwrap.fill(_text(row.reason), 42)
                ax.text(0.62, i - 0.5, f"Excluded: {excluded}\n{reason}",
                        ha="left", va="center", fontsize=6.5,
                        bbox={**box, "edgecolor": side_colour})
    return ax
