"""Cohort flow diagram (CONSORT/STROBE style): one box per step, exclusions to the side.

The STROBE statement (von Elm et al., Lancet 2007;370:1453, item 13c) recommends a flow diagram
giving the number of participants at each stage and the reasons for non-participation. Counts are
drawn as given, so suppressed counts (text such as ``<11``) pass through unchanged.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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

    Parameters
    ----------
    steps
        A frame, or a list of mappings, with ``label`` and ``n`` and, after the first step,
        ``excluded`` and ``reason``.

    Returns
    -------
    pandas.DataFrame
        Columns label, n, excluded, reason (missing where not given), one row per step in order.

    Raises
    ------
    InputError
        No steps, or a step without ``label`` or ``n``.

    Examples
    --------
    >>> f = flow_steps_frame([{"label": "Records", "n": 120},
    ...                       {"label": "Adults", "n": 100, "excluded": 20, "reason": "Age < 18"}])
    >>> f.columns.tolist(), f["label"].tolist(), int(f.loc[1, "excluded"])
    (['label', 'n', 'excluded', 'reason'], ['Records', 'Adults'], 20)
    >>> try:
    ...     flow_steps_frame([{"n": 120}])
    ... except ValueError as exc:
    ...     print(str(exc).splitlines()[0])
    flow step without a required key...
    """
    frame = steps.copy() if isinstance(steps, pd.DataFrame) else pd.DataFrame(list(steps))
    if frame.empty:
        raise InputError("a flow diagram needs at least one step", expected="one or more steps")
    for col in ("label", "n"):
        if col not in frame.columns:
            raise InputError(
                "flow step without a required key",
                column=col,
                expected="keys label, n (and excluded, reason after the first)",
            )
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


def _shown(value: Any) -> bool:
    """An exclusion worth a box: not empty and not zero (suppressed text such as ``<11`` is)."""
    text = _text(value)
    return bool(text) and text != "0"


def plot_flow(
    steps: pd.DataFrame | Sequence[Mapping[str, Any]],
    ax: plt.Axes | None = None,
    *,
    width: float = 6.0,
    final_label: str | None = "Analysis cohort",
) -> plt.Axes:
    """Draw the cohort flow: main boxes top to bottom, exclusion boxes on the right.

    Every main box has the same width, and so has every exclusion box; arrows run from edge
    to edge. A step that excluded nobody gets no exclusion box.

    Parameters
    ----------
    steps
        Frame or list of mappings with ``label``, ``n`` and, for every step after the first,
        ``excluded`` and ``reason`` (see :func:`flow_steps_frame`). Counts may be numbers or
        already formatted text (e.g. suppressed ``<11``).
    ax
        Axes to draw on; a new figure sized to the boxes when None.
    width
        Width in inches of a new figure.
    final_label
        Title of the last box (the patients analysed), shown above its own label; None keeps
        the step's label alone.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> ax = plot_flow([{"label": "Records in the source file", "n": 120},
    ...                 {"label": "Adults", "n": 100, "excluded": 20, "reason": "Age < 18"}])
    >>> sorted(t.get_text().splitlines()[0] for t in ax.texts if t.get_text())
    ['Analysis cohort', 'Excluded, n = 20', 'Records in the source file']
    """
    frame = flow_steps_frame(steps)
    main_texts, side_texts = _box_texts(frame, final_label)
    lay = _layout(main_texts, side_texts)
    line_in = 7.0 * 1.35 / 72.0
    ax = new_axes(ax, width=width, height=lay.total * line_in + 0.15)
    main_colour, side_colour = palette(2)
    main_x0, main_w = (0.03, 0.46) if any(side_texts) else (0.27, 0.46)
    side_x0, side_w = 0.56, 0.42
    centre = main_x0 + main_w / 2
    with publication_style():
        ax.set_xlim(0, 1)
        ax.set_ylim(lay.total, 0)
        ax.axis("off")
        for i, text in enumerate(main_texts):
            _box(ax, (main_x0, lay.tops[i]), main_w, lay.heights[i], main_colour, lay.total)
            ax.text(
                centre,
                lay.tops[i] + lay.heights[i] / 2,
                text,
                ha="center",
                va="center",
                fontsize=7,
                linespacing=1.25,
            )
            if i == 0:
                continue
            bottom_prev = lay.tops[i - 1] + lay.heights[i - 1]
            _arrow(ax, (centre, lay.tops[i]), (centre, bottom_prev))
            side_text = side_texts[i]
            if side_text is not None:
                mid = bottom_prev + lay.gaps[i - 1] / 2
                _arrow(ax, (side_x0, mid), (centre, mid))
                h = lay.side_heights[i]
                _box(ax, (side_x0, mid - h / 2), side_w, h, side_colour, lay.total)
                ax.text(
                    side_x0 + 0.02,
                    mid,
                    side_text,
                    ha="left",
                    va="center",
                    fontsize=6.5,
                    linespacing=1.25,
                )
    return ax


def _box_texts(frame: pd.DataFrame, final_label: str | None) -> tuple[list[str], list[str | None]]:
    """Text of each main box and of its exclusion box (None: nobody excluded)."""
    k = len(frame)
    main_texts: list[str] = []
    side_texts: list[str | None] = []
    for i, row in enumerate(frame.itertuples(index=False)):
        label = textwrap.fill(str(row.label), 44)
        if i == k - 1 and final_label and k > 1:
            label = f"{final_label}\n{label}" if label and label != final_label else final_label
        main_texts.append(f"{label}\nn = {_text(row.n)}")
        side = None
        if i > 0 and _shown(row.excluded):
            reason = textwrap.fill(_text(row.reason), 46)
            side = f"Excluded, n = {_text(row.excluded)}" + (f"\n{reason}" if reason else "")
        side_texts.append(side)
    return main_texts, side_texts


@dataclass(frozen=True)
class _Layout:
    """Vertical layout in text lines: box heights, box tops, gaps between boxes, total."""

    heights: list[float]
    side_heights: list[float]
    tops: list[float]
    gaps: list[float]
    total: float


def _layout(main_texts: list[str], side_texts: list[str | None]) -> _Layout:
    """Stack the main boxes with a gap tall enough for the exclusion box beside it."""
    pad = 0.7  # box padding, in text lines
    heights = [t.count("\n") + 1 + pad for t in main_texts]
    side_h = [0.0 if s is None else s.count("\n") + 1 + pad for s in side_texts]
    tops, y = [], 0.0
    gaps = []
    for i in range(len(main_texts)):
        if i > 0:
            gap = max(1.6, side_h[i] + 0.8)
            gaps.append(gap)
            y += gap
        tops.append(y)
        y += heights[i]
    return _Layout(heights, side_h, tops, gaps, y)


def _box(
    ax: plt.Axes, xy: tuple[float, float], w: float, h: float, colour: str, total: float
) -> None:
    """A rounded white box with a coloured edge."""
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(
        FancyBboxPatch(
            xy,
            w,
            h,
            boxstyle="round,pad=0,rounding_size=0.01",
            facecolor="white",
            edgecolor=colour,
            linewidth=0.9,
            mutation_aspect=total,
        )
    )


def _arrow(ax: plt.Axes, xy: tuple[float, float], xytext: tuple[float, float]) -> None:
    """An edge-to-edge arrow from ``xytext`` to ``xy``."""
    arrow = {
        "arrowstyle": "-|>",
        "color": "0.3",
        "linewidth": 0.8,
        "shrinkA": 0,
        "shrinkB": 0,
        "mutation_scale": 8,
    }
    ax.annotate("", xy=xy, xytext=xytext, arrowprops=arrow)
