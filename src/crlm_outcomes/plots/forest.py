"""Forest plot of hazard ratios (Cox) or subdistribution hazard ratios (Fine-Gray).

The rows are those of the regression table (:func:`crlm_outcomes.survival.term_rows.term_rows`),
so the two always agree: each categorical variable as a header with its levels indented under
it, the reference level at HR 1 (labelled "Reference"), one row per continuous term. Beside the
plot: the number of patients and events per level, "HR (95% CI)" and p. The log axis is labelled
with plain ratios (0.5, 1, 2) and its ticks cover every interval. Aliased (missing)
coefficients are listed as "not estimable" instead of being dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextToPath
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from crlm_outcomes._display import percent_level
from crlm_outcomes.labels import Labels
from crlm_outcomes.plots.style import (
    OKABE_ITO,
    figure_of,
    fit_width,
    new_axes,
    publication_style,
)
from crlm_outcomes.survival.term_rows import term_rows

__all__ = ["forest_rows", "forest_plot", "ratio_name"]

_FONT = 7.0


def ratio_name(model: Any) -> str:
    """``HR`` for a Cox fit, ``SHR`` (subdistribution hazard ratio) for a Fine-Gray fit.

    Parameters
    ----------
    model
        A fitted Cox or Fine-Gray model, or one pooled over imputations.

    Returns
    -------
    str
        ``"SHR"`` for a Fine-Gray model, ``"HR"`` otherwise: the column heading of the plot.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.survival.cox import cox
    >>> from crlm_outcomes.survival.fine_gray import fine_gray
    >>> d = pd.DataFrame({"t": range(1, 11), "e": [1, 2, 0, 1, 1, 0, 2, 1, 1, 0],
    ...                   "x": [61, 50, 72, 55, 66, 58, 70, 52, 63, 57]})
    >>> ratio_name(cox(d.assign(e=d["e"] > 0), "x", "t", "e")), ratio_name(fine_gray(d, "x", "t", "e"))
    ('HR', 'SHR')
    """
    if getattr(model, "model", None) == "fine_gray":  # pooled over imputations
        return "SHR"
    return "SHR" if hasattr(model, "baseline") and hasattr(model, "cause") else "HR"


def forest_rows(result: Any, labels: Labels | Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Rows of the forest plot (:func:`crlm_outcomes.survival.term_rows.term_rows`).

    Parameters
    ----------
    result
        A fitted Cox or Fine-Gray model (or a frame with ``term, hr, lower, upper, p``).
    labels
        Display labels (:func:`crlm_outcomes.labels.resolve_labels`).

    Returns
    -------
    pandas.DataFrame
        One row per line of the plot: variable, term, label, kind (``header``,
        ``reference``, ``level``, ``continuous``, ``not_estimable``), hr, lower, upper, p, n,
        events.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.survival.cox import cox
    >>> d = pd.DataFrame({"t": range(1, 11), "e": [1, 1, 0, 1, 1, 0, 1, 1, 1, 0],
    ...                   "sex": ["male", "female", "female", "male", "male", "female",
    ...                           "female", "male", "female", "male"],
    ...                   "age_at_diagnosis": [61, 50, 72, 55, 66, 58, 70, 52, 63, 57]})
    >>> rows = forest_rows(cox(d, "sex + age_at_diagnosis", "t", "e"))
    >>> list(zip(rows["label"], rows["kind"]))  # doctest: +NORMALIZE_WHITESPACE
    [('Sex', 'header'), ('Female', 'reference'), ('Male', 'level'),
     ('Age at diagnosis (per year)', 'continuous')]
    """
    return term_rows(result, labels)


def _text_width(text: str, size: float = _FONT, bold: bool = False) -> float:
    """Width of ``text`` in points."""
    prop = FontProperties(family="DejaVu Sans", size=size, weight="bold" if bold else "normal")
    width, _, _ = TextToPath().get_text_width_height_descent(text, prop, ismath=False)
    return float(width)


def _count(n: float, ev: float) -> str:
    if not (np.isfinite(n) and np.isfinite(ev)):
        return ""
    return f"{int(n)}/{int(ev)}"


def _ci_text(r: Any) -> str:
    if r.kind == "reference":
        return "Reference"
    if r.kind == "not_estimable":
        return "not estimable"
    if r.kind == "header" or not np.isfinite(r.hr):
        return ""
    return f"{r.hr:.2f} ({r.lower:.2f}–{r.upper:.2f})"


def _p_text(p: float) -> str:
    if not np.isfinite(p):
        return ""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def forest_plot(
    result: Any,
    ax: Axes | None = None,
    *,
    labels: Labels | Mapping[str, Any] | None = None,
    counts: bool = True,
    columns: bool = True,
    width: float = 6.0,
) -> Axes:
    """Draw the hazard ratios of a Cox or Fine-Gray fit with their table beside them.

    Parameters
    ----------
    result
        A :class:`~crlm_outcomes.survival.cox.CoxResult` or
        :class:`~crlm_outcomes.survival.fine_gray.FineGray` (any result whose ``table`` has
        ``term, coef, hr, lower, upper`` and which has ``conf_level`` and ``robust``).
    ax
        Axes to draw on; a new figure ``width`` inches wide when ``None``.
    labels
        Display labels (:func:`crlm_outcomes.labels.resolve_labels`).
    counts
        Show the "N/events" column (where the fit records its design).
    columns
        Show the "HR (95% CI)" and "p" columns right of the plot.
    width
        Width of a new figure in inches (the text columns and the plot share it).

    Returns
    -------
    matplotlib.axes.Axes
        The plot axes (the text columns are annotations of it).

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.survival.cox import cox
    >>> d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6, 7, 8], "e": [1, 1, 0, 1, 1, 0, 1, 1],
    ...                   "sex": ["male", "female"] * 4})
    >>> ax = forest_plot(cox(d, "sex", "t", "e"))
    >>> ax.get_xlabel()
    'Hazard ratio (95% CI, log scale)'
    """
    rows = term_rows(result, labels)
    name = ratio_name(result)
    n_rows = len(rows)
    new_figure = ax is None
    ax = new_axes(ax, width=width, height=max(1.4, 0.19 * (n_rows + 1) + 0.75))
    with publication_style():
        y = np.arange(n_rows)[::-1].astype(float)
        est = rows["kind"].isin(["level", "continuous"]).to_numpy()
        ref = (rows["kind"] == "reference").to_numpy()
        hr = rows["hr"].to_numpy(float)
        lo = rows["lower"].to_numpy(float)
        hi = rows["upper"].to_numpy(float)
        finite = est & np.isfinite(lo) & np.isfinite(hi)
        ax.errorbar(
            hr[finite],
            y[finite],
            xerr=[hr[finite] - lo[finite], hi[finite] - hr[finite]],
            fmt="s",
            color=OKABE_ITO[0],
            ecolor=OKABE_ITO[0],
            markersize=3.5,
            capsize=0,
            linewidth=1.0,
        )
        ax.plot(
            np.ones(int(ref.sum())),
            y[ref],
            marker="D",
            linestyle="none",
            color="0.35",
            markerfacecolor="white",
            markersize=3.5,
        )
        ax.axvline(1.0, color="0.5", linewidth=0.7, linestyle="--", zorder=0)
        ax.set_xscale("log")
        plain_log_ticks(ax, lo[finite], hi[finite])
        ax.set_yticks([])
        ax.spines["left"].set_visible(False)
        ax.set_ylim(-0.7, n_rows - 0.1)
        level = percent_level(getattr(result, "conf_level", None))
        long = "Subdistribution hazard ratio" if name == "SHR" else "Hazard ratio"
        robust = getattr(result, "robust", False)
        ax.set_xlabel(f"{long} ({level}% CI{', robust SE' if robust else ''}, log scale)")
        _columns(ax, rows, y, name, level, counts, columns)
        if new_figure:
            fit_width(figure_of(ax), width)
    return ax


def _columns(
    ax: Axes, rows: pd.DataFrame, y: np.ndarray, name: str, level: str, counts: bool, columns: bool
) -> None:
    """The text columns: labels and N/events left of the plot, ratio (CI) and p right."""
    # (x, y) coordinate systems; matplotlib 3.8's stub omits the pair, hence the ignore below
    trans = ("axes fraction", "data")
    head_y = len(rows) - 0.1
    show_counts = counts and rows["n"].notna().any()
    count_w = (
        max(
            [
                _text_width("N/events", bold=True),
                *[
                    _text_width(_count(n, e))
                    for n, e in zip(rows["n"], rows["events"], strict=True)
                ],
            ]
        )
        if show_counts
        else 0
    )
    indent = 8.0
    label_w = max(
        _text_width(str(lab), bold=(k == "header"))
        + (0 if k in ("header", "continuous", "not_estimable") else indent)
        for lab, k in zip(rows["label"], rows["kind"], strict=True)
    )
    count_x = -10.0
    label_x = count_x - (count_w + 12.0 if show_counts else 0.0) - label_w
    ci_x = 10.0
    ci_w = max(
        [
            _text_width(f"{name} ({level}% CI)", bold=True),
            *[_text_width(_ci_text(r)) for r in rows.itertuples(index=False)],
        ]
    )
    p_x = ci_x + ci_w + 12.0

    def put(
        text: str, x: float, yy: float, side: str, ha: str, bold: bool = False, italic: bool = False
    ) -> None:
        if not text:
            return
        ax.annotate(
            text,
            xy=(0 if side == "left" else 1, yy),
            xycoords=trans,  # type: ignore[arg-type]
            xytext=(x, 0),
            textcoords="offset points",
            ha=ha,
            va="center",
            fontsize=_FONT,
            fontweight="bold" if bold else "normal",
            fontstyle="italic" if italic else "normal",
            annotation_clip=False,
        )

    put("Variable", label_x, head_y, "left", "left", bold=True)
    if show_counts:
        put("N/events", count_x, head_y, "left", "right", bold=True)
    if columns:
        put(f"{name} ({level}% CI)", ci_x, head_y, "right", "left", bold=True)
        put("p", p_x, head_y, "right", "left", bold=True)
    for r, yy in zip(rows.itertuples(index=False), y, strict=True):
        header = r.kind == "header"
        flat = r.kind in ("header", "continuous") or (r.kind == "not_estimable" and not r.term)
        put(str(r.label), label_x + (0 if flat else indent), yy, "left", "left", bold=header)
        if show_counts:
            put(_count(r.n, r.events), count_x, yy, "left", "right")
        if columns:
            put(_ci_text(r), ci_x, yy, "right", "left", italic=r.kind == "reference")
            put(_p_text(r.p), p_x, yy, "right", "left")


_TICK_CANDIDATES = np.array(
    [0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 4.0, 5.0, 10.0, 20.0, 50.0, 100.0]
)


def plain_log_ticks(ax: Axes, lower: np.ndarray, upper: np.ndarray) -> None:
    """Label the log axis with plain ratios (0.5, 1, 2), as journals print them, from a tick at
    or below the smallest lower limit to one at or above the largest upper limit.

    The ticks come from 0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 4, 5, 10, 20, 50, 100 and
    always include 1; on a range needing more than seven, every other one is kept (1 and the
    ends stay). The x limits are set to the outer ticks with 8% room.

    Parameters
    ----------
    ax
        An Axes whose x axis is already on a log scale.
    lower, upper
        The lower and upper confidence limits drawn (ratios; missing values are ignored).

    Returns
    -------
    None
        ``ax`` is changed in place: tick locator, formatter and x limits.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> fig, ax = plt.subplots()
    >>> ax.set_xscale("log")
    >>> plain_log_ticks(ax, np.array([0.6, 0.9]), np.array([1.5, 3.2]))
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['0.5', '1', '2', '4']
    >>> plt.close(fig)
    """
    lo = float(np.nanmin(lower, initial=1.0))
    hi = float(np.nanmax(upper, initial=1.0))
    below = _TICK_CANDIDATES[_TICK_CANDIDATES <= min(lo, 1.0)]
    above = _TICK_CANDIDATES[_TICK_CANDIDATES >= max(hi, 1.0)]
    first = below[-1] if below.size else _TICK_CANDIDATES[0]
    last = above[0] if above.size else _TICK_CANDIDATES[-1]
    ticks = _TICK_CANDIDATES[(_TICK_CANDIDATES >= first) & (_TICK_CANDIDATES <= last)]
    if len(ticks) > 7:  # keep every other one on wide ranges, always keeping 1 and the ends
        keep = np.zeros(len(ticks), dtype=bool)
        one = int(np.flatnonzero(ticks == 1.0)[0])
        keep[one::2] = True
        keep[one::-2] = True
        keep[0] = keep[-1] = True
        ticks = ticks[keep]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:g}"))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlim(ticks[0] / 1.08, ticks[-1] * 1.08)
