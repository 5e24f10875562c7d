"""Report figures that add small-cell suppression to the library's plots.

The curves themselves are drawn by the survival results' own ``plot`` methods; what this module
adds is what a registry data-use agreement restricts: the numbers-at-risk table under a
Kaplan-Meier plot, from counts that have passed :mod:`crlm_outcomes.report.suppression` (the
table is drawn by :func:`crlm_outcomes.plots.km.plot_km`).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from crlm_outcomes.labels import Labels
from crlm_outcomes.report.suppression import (
    COMPLEMENTARY,
    PRIMARY,
    SuppressionPolicy,
    complementary_mask,
    format_count,
    primary_mask,
)

__all__ = ["time_grid", "at_risk_table", "plot_km_with_risk"]


def time_grid(max_time: float, step: float | None = None) -> np.ndarray:
    """Tick times from 0 to ``max_time``: every 12 months, or 24/6 for long/short follow-up.

    Parameters
    ----------
    max_time
        Right end of the time axis (months).
    step
        Distance between ticks; default 24 beyond 96 months, 12 beyond 24 months, else 6.

    Returns
    -------
    numpy.ndarray
        Float tick times ``0, step, 2 * step, ...`` up to and including ``max_time``.

    Examples
    --------
    >>> time_grid(60).tolist(), time_grid(20).tolist()
    ([0.0, 12.0, 24.0, 36.0, 48.0, 60.0], [0.0, 6.0, 12.0, 18.0])
    >>> time_grid(120).tolist()
    [0.0, 24.0, 48.0, 72.0, 96.0, 120.0]
    """
    if step is None:
        step = 24.0 if max_time > 96 else (12.0 if max_time > 24 else 6.0)
    return np.arange(0.0, max_time + 1e-9, step)


def at_risk_table(
    km,
    times: Sequence[float] | np.ndarray,
    policy: SuppressionPolicy,
    size_kinds: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Numbers at risk per group (rows) and time (columns) as published text.

    Counts below the threshold are masked (``<11``). At time 0 the numbers at risk are the
    group sizes, so ``size_kinds`` (the suppression kinds of the sizes in the summary table)
    are applied there too; the groups of one time add up to the all-patients row of the
    overall curve, so each time column gets complementary suppression (``‡``) across groups.

    Parameters
    ----------
    km
        A :class:`~crlm_outcomes.survival.kaplan_meier.KaplanMeierResult`.
    times
        The times (months) of the columns.
    policy
        Small-cell suppression (disabled: every count printed).
    size_kinds
        Suppression kinds of the group sizes as published in the summary table (one per
        group, in the order of ``km``'s groups); applied to the time-0 column.

    Returns
    -------
    pandas.DataFrame
        Strings, one row per group (index ``group``, the group labels) and one column per
        time (named ``f"{t:g}"``).

    Examples
    --------
    >>> from crlm_outcomes.report.suppression import SuppressionPolicy
    >>> from crlm_outcomes.survival.kaplan_meier import kaplan_meier
    >>> d = pd.DataFrame({
    ...     "months": [3, 8, 12, 15, 20, 26, 30, 40, 44, 50],
    ...     "death": [1, 0, 1, 1, 0, 1, 0, 1, 0, 0],
    ...     "ras": ["wild type", "mutant"] * 5,
    ... })
    >>> km = kaplan_meier(d, "months", "death", by="ras")
    >>> print(at_risk_table(km, [0, 12, 24, 36, 48], SuppressionPolicy(enabled=False)))
               0 12 24 36 48
    group
    mutant     5  4  3  2  1
    wild type  5  4  2  1  0
    >>> masked = SuppressionPolicy(enabled=True, threshold=3, rate_threshold=3)
    >>> print(at_risk_table(km, [0, 12, 24, 36, 48], masked))
               0 12  24  36  48
    group
    mutant     5  4   ‡  <3  <3
    wild type  5  4  <3  <3   ‡
    """
    at = km.at(list(times), extend=True)
    labels = [str(g) for g in km.group_labels if g in set(at["group"])]
    counts = at.pivot_table(
        index="group", columns="time", values="n_risk", sort=False, observed=True
    )
    counts.index = [str(g) for g in counts.index]
    counts = counts.reindex(labels)
    values = counts.to_numpy(dtype=float)
    kinds = np.zeros(values.shape, dtype=np.int8)
    if policy.enabled:
        prim = primary_mask(values, policy.threshold, suppress_zero=policy.suppress_zero)
        kinds[prim] = PRIMARY
        first = 0
        if size_kinds is not None and values.shape[1] and float(counts.columns[0]) == 0.0:
            # at time 0 the numbers at risk are the sizes: exactly their published kinds
            kinds[:, 0] = np.asarray(size_kinds, dtype=np.int8)[: values.shape[0]]
            first = 1
        if values.shape[0] > 1:
            idx = np.arange(values.size).reshape(values.shape)
            full = complementary_mask(
                values.ravel(),
                (kinds > 0).ravel(),
                [idx[:, j] for j in range(first, values.shape[1])],
            )
            kinds[(full.reshape(values.shape)) & (kinds == 0)] = COMPLEMENTARY
    text = [
        [format_count(v, int(k), policy) for v, k in zip(row, krow, strict=True)]
        for row, krow in zip(values, kinds, strict=True)
    ]
    out = pd.DataFrame(text, index=labels, columns=[f"{t:g}" for t in counts.columns])
    out.index.name = "group"
    return out


def plot_km_with_risk(
    km,
    ax: plt.Axes | None = None,
    *,
    policy: SuppressionPolicy | None = None,
    max_time: float | None = None,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    endpoint: str | None = None,
    labels: Labels | None = None,
    pvalue: float | None = None,
    min_at_risk: float | None = None,
    median_line: bool = False,
    risk: pd.DataFrame | None = None,
) -> plt.Axes:
    """Kaplan-Meier curves with a (suppressed) numbers-at-risk table underneath.

    The curves are :func:`crlm_outcomes.plots.km.plot_km`'s; the numbers at risk printed are
    the published ones (:func:`at_risk_table`), so a count the tables mask is masked here too.

    Parameters
    ----------
    km
        A :class:`~crlm_outcomes.survival.kaplan_meier.KaplanMeierResult`.
    ax
        Axes to draw on; a new one-column figure when None.
    policy
        Small-cell suppression of the at-risk counts.
    max_time
        Right end of the time axis (default: where the number at risk falls below
        ``min_at_risk``, see :func:`crlm_outcomes.plots.km.truncation_time`).
    title, xlabel, ylabel
        Labels (default: the endpoint's name and its time origin).
    endpoint, labels, pvalue, min_at_risk, median_line
        As :func:`crlm_outcomes.plots.km.plot_km`.
    risk
        The numbers-at-risk text to draw (rows = the groups of ``km``, columns = the tick
        times), as the report's at-risk table publishes it; default: computed here.

    Returns
    -------
    matplotlib.axes.Axes
        The axes of the curves; the numbers at risk are texts under it.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from crlm_outcomes.report.suppression import SuppressionPolicy
    >>> from crlm_outcomes.survival.kaplan_meier import kaplan_meier
    >>> d = pd.DataFrame({
    ...     "months": [3, 8, 12, 15, 20, 26, 30, 40, 44, 50],
    ...     "death": [1, 0, 1, 1, 0, 1, 0, 1, 0, 0],
    ...     "ras": ["wild type", "mutant"] * 5,
    ... })
    >>> km = kaplan_meier(d, "months", "death", by="ras")
    >>> masked = SuppressionPolicy(enabled=True, threshold=3, rate_threshold=3)
    >>> ax = plot_km_with_risk(km, policy=masked, max_time=48)
    >>> [t.get_text() for t in ax.texts][:7]
    ['Number at risk', 'mutant', '5', '4', '‡', '<3', '<3']
    >>> plt.close(ax.figure)
    """
    from crlm_outcomes.plots.km import plot_km, time_breaks, truncation_time

    policy = policy or SuppressionPolicy(enabled=False)
    end = float(max_time) if max_time is not None else truncation_time(km, min_at_risk)
    times = time_breaks(end)
    table = at_risk_table(km, times, policy) if risk is None else risk
    return plot_km(
        km,
        ax=ax,
        times=times,
        xmax=end,
        labels=labels,
        endpoint=endpoint,
        xlabel=xlabel,
        ylabel=ylabel,
        pvalue=pvalue,
        median_line=median_line,
        risk_counts=table,
        title=title,
    )
