"""Balance diagnostics figures: Love plot of standardised mean differences and PS overlap.

The Love plot shows absolute standardised mean differences before and after weighting, with a
reference line at 0.1, the commonly used threshold for negligible imbalance (Austin PC. *Stat
Med* 2009;28:3083–3107; Austin & Stuart, *Stat Med* 2015;34:3661–3679).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np

from crlm_outcomes.plots.style import OKABE_ITO, new_axes, publication_style

if TYPE_CHECKING:
    from crlm_outcomes.survival.weighting import BalanceTable, PropensityWeights

__all__ = ["plot_balance", "plot_propensity_overlap", "balance_names"]


def balance_names(table, labels=None) -> list[str]:
    """Readable row names of a balance table (``covariate``, ``level``): ``Sex: Male``.

    Parameters
    ----------
    table
        Frame with the columns ``covariate`` and ``level`` (missing for a numeric covariate),
        e.g. ``balance_table(...).table``.
    labels
        Display labels as :func:`crlm_outcomes.labels.resolve_labels` takes them (default:
        the package's schema labels).

    Returns
    -------
    list of str
        One name per row: the variable's label, with ``: <level label>`` for a level.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"covariate": ["age_at_diagnosis", "sex"], "level": [None, "male"]})
    >>> balance_names(t)
    ['Age at diagnosis', 'Sex: Male']
    """
    from crlm_outcomes.labels import resolve_labels

    lab = resolve_labels(labels)
    return [
        f"{lab.variable(str(c))}: {lab.level(str(c), lv)}"
        if isinstance(lv, str) or (lv is not None and lv == lv)
        else lab.variable(str(c))
        for c, lv in zip(table["covariate"], table["level"], strict=True)
    ]


def plot_balance(
    balance: BalanceTable,
    ax: plt.Axes | None = None,
    *,
    threshold: float = 0.1,
    labels=None,
    legend: tuple[str, str] = ("Unweighted", "Weighted"),
) -> plt.Axes:
    """Love plot: |SMD| per covariate (level) before and, if weighted, after weighting;
    covariates and levels by their labels (``labels`` as
    :func:`crlm_outcomes.labels.resolve_labels`); ``legend`` names the two samples
    (``("Before matching", "After matching")`` for a matched sample).

    Parameters
    ----------
    balance
        From :func:`crlm_outcomes.survival.weighting.balance_table`.
    ax
        Axes to draw on; a new figure sized to the number of rows when None.
    threshold
        Position of the dashed reference line (|SMD| = 0.1 by default).
    labels
        Display labels of covariates and levels.
    legend
        Names of the unweighted and the weighted sample.

    Returns
    -------
    matplotlib.axes.Axes
        One row per covariate (level), first at the top; one marker series per sample.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt, pandas as pd
    >>> from crlm_outcomes.survival.weighting import balance_table, propensity_weights
    >>> d = pd.DataFrame({"neo": [1, 1, 1, 1, 0, 0, 0, 0, 1, 0],
    ...                   "age_at_diagnosis": [55, 61, 48, 70, 66, 72, 59, 68, 52, 64],
    ...                   "sex": ["male", "female", "male", "male", "female",
    ...                           "male", "female", "female", "female", "male"]})
    >>> pw = propensity_weights(d, "neo", "age_at_diagnosis")
    >>> bal = balance_table(d, "neo", ["age_at_diagnosis", "sex"], weights=pw.weights)
    >>> ax = plot_balance(bal)
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['Age at diagnosis', 'Sex: Female', 'Sex: Male']
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['Unweighted', 'Weighted']
    >>> plt.close(ax.figure)
    """
    t = balance.table
    names = balance_names(t, labels)
    y = np.arange(len(t))[::-1]
    ax = new_axes(ax, height=max(1.8, 0.22 * len(t) + 0.8))
    with publication_style():
        ax.scatter(
            np.abs(t["smd"]),
            y,
            marker="o",
            facecolors="none",
            edgecolors=OKABE_ITO[1],
            label=legend[0],
            zorder=3,
        )
        if balance.weighted:
            ax.scatter(
                np.abs(t["smd_w"]), y, marker="o", color=OKABE_ITO[0], label=legend[1], zorder=3
            )
        ax.axvline(threshold, color="0.5", linestyle="--", linewidth=0.8)
        ax.set_yticks(y)
        ax.set_yticklabels(names)
        ax.set_xlim(left=0)
        ax.set_xlabel("Absolute standardised mean difference")
        # above the axes: a legend inside would cover the points of some covariate
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
    return ax


def plot_propensity_overlap(
    weights: PropensityWeights, ax: plt.Axes | None = None, *, bins: int = 30
) -> plt.Axes:
    """Mirrored histograms of the propensity score: treated above, control below the axis.

    Parameters
    ----------
    weights
        From :func:`crlm_outcomes.survival.weighting.propensity_weights` (its ``propensity``
        and ``treatment``; rows missing either are left out).
    ax
        Axes to draw on; a new one-column figure when None.
    bins
        Number of equal-width bins on [0, 1].

    Returns
    -------
    matplotlib.axes.Axes
        Bars of the treated (upwards) then of the controls (downwards), ``bins`` each.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt, pandas as pd
    >>> from crlm_outcomes.survival.weighting import balance_table, propensity_weights
    >>> d = pd.DataFrame({"neo": [1, 1, 1, 1, 0, 0, 0, 0, 1, 0],
    ...                   "age_at_diagnosis": [55, 61, 48, 70, 66, 72, 59, 68, 52, 64],
    ...                   "sex": ["male", "female", "male", "male", "female",
    ...                           "male", "female", "female", "female", "male"]})
    >>> pw = propensity_weights(d, "neo", "age_at_diagnosis")
    >>> ax = plot_propensity_overlap(pw, bins=10)
    >>> len(ax.patches), int(sum(p.get_height() for p in ax.patches[:10]))  # 5 treated
    (20, 5)
    >>> ax.get_xlabel(), [t.get_text() for t in ax.get_legend().get_texts()]
    ('Propensity score', ['Treated', 'Control'])
    >>> plt.close(ax.figure)
    """
    ps = weights.propensity
    tr = weights.treatment
    ok = ps.notna() & tr.notna()
    edges = np.linspace(0.0, 1.0, bins + 1)
    h1, _ = np.histogram(ps[ok & (tr == 1)], bins=edges)
    h0, _ = np.histogram(ps[ok & (tr == 0)], bins=edges)
    ax = new_axes(ax)
    with publication_style():
        width = edges[1] - edges[0]
        ax.bar(edges[:-1], h1, width=width, align="edge", color=OKABE_ITO[0], label="Treated")
        ax.bar(edges[:-1], -h0, width=width, align="edge", color=OKABE_ITO[1], label="Control")
        ax.axhline(0, color="0.3", linewidth=0.6)
        ax.set_xlim(0, 1)
        ax.set_xlabel("Propensity score")
        ax.set_ylabel("Patients (control below)")
        ax.legend(loc="upper right")
    return ax
