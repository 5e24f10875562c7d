"""Hazard ratio against a continuous covariate, with its confidence band and reference value.

The picture ``plot(Predict(fit, x, ref.zero = TRUE, fun = exp))`` gives in rms: the ratio on a log
axis, the pointwise confidence band shaded, a dashed line at 1 and a marker at the reference
value (where the ratio is 1 by construction), and a rug of the knots of an ``rcs`` term.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, NullFormatter

from crlm_outcomes.plots.style import OKABE_ITO, new_axes, publication_style

__all__ = ["partial_effect_plot"]


def partial_effect_plot(
    effect: Any,
    ax: Axes | None = None,
    *,
    knots: Sequence[float] | None = None,
    log_scale: bool = True,
) -> Axes:
    """Draw a :class:`~crlm_outcomes.formula.effects.PartialEffect`.

    Parameters
    ----------
    effect
        The partial effect (``table`` with ``value, hr, lower, upper``).
    ax
        Axes to draw on; a new one-column figure when ``None``.
    knots
        Spline knots to mark along the x axis (optional).
    log_scale
        Ratio axis on a log scale (default, as hazard ratios are multiplicative).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.formula.effects import PartialEffect
    >>> t = pd.DataFrame({"value": [1.0, 2.0, 3.0], "hr": [0.8, 1.0, 1.3],
    ...                   "lower": [0.6, 1.0, 1.0], "upper": [1.1, 1.0, 1.7]})
    >>> ax = partial_effect_plot(PartialEffect(t, "x", 2.0, {}, 0.95))
    >>> len(ax.lines) >= 2
    True
    """
    t = effect.table
    ax = new_axes(ax)
    with publication_style():
        x = t["value"].to_numpy(dtype=float)
        ax.fill_between(
            x,
            t["lower"].to_numpy(dtype=float),
            t["upper"].to_numpy(dtype=float),
            color=OKABE_ITO[0],
            alpha=0.2,
            linewidth=0,
            label=f"{effect.conf_level:.0%} CI",
        )
        ax.plot(x, t["hr"].to_numpy(dtype=float), color=OKABE_ITO[0], label=effect.ratio_label)
        ax.axhline(1.0, color="0.5", linewidth=0.8, linestyle="--")
        ax.plot(
            [effect.reference],
            [1.0],
            marker="o",
            color=OKABE_ITO[7],
            markerfacecolor="white",
            markersize=4,
            linestyle="none",
            label=f"reference ({effect.variable} = {effect.reference:g})",
        )
        if knots is not None:
            k = np.asarray(knots, dtype=float)
            ax.plot(
                k,
                np.zeros_like(k),
                marker="|",
                color="0.3",
                markersize=6,
                linestyle="none",
                transform=ax.get_xaxis_transform(),
                label="knots",
            )
        if log_scale:
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(effect.variable)
        ax.set_ylabel(f"{effect.ratio_label} ({effect.conf_level:.0%} CI)")
        ax.legend(loc="best")
    return ax
