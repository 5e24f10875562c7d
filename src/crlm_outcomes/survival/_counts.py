"""Per-time sufficient statistics: the one aggregation every nonparametric estimator starts from.

Kaplan-Meier, Nelson-Aalen, the log-rank family and the restricted mean all depend on the data
only through, for each *cell* (a group, or a stratum x group combination) and each distinct
time ``t``:

* ``n_event``  - the (weighted) number of events at ``t``,
* ``n_censor`` - the (weighted) number of censorings at ``t``,
* ``n_enter``  - the (weighted) number of rows whose entry (left-truncation) time is ``t``,

from which the number at risk follows by reverse cumulative sums,

    n_risk(t) = sum_{s >= t} (n_event + n_censor)(s) - sum_{s >= t} n_enter(s),

i.e. a row is at risk on ``(entry, exit]`` as in R's ``Surv(start, stop, event)``.

The table is tiny compared with the rows (one line per cell and distinct time), so everything
downstream costs O(cells x times). Building it is one pass of hashing (:func:`pandas.factorize`)
and :func:`numpy.bincount`; no sort of the rows and no Python loop over rows.

The counts are *additive*: tables built on disjoint parts of the data (chunks of a large file,
partitions of a distributed frame, or sites of a federated analysis) combine exactly with
:func:`combine_counts`, which adds the counts on equal ``(cell, time)`` keys and recomputes
``n_risk``. This is the seam a distributed engine reuses: each worker calls
:func:`count_table` on its part (with the same cell coding) and only the small tables travel.

Times are put on a common grid by :func:`time_grid`, which reproduces R's ``aeqSurv`` (survival
3.5-3, ``timefix = TRUE``): distinct times closer than ``sqrt(.Machine$double.eps)`` (absolutely,
or relative to the mean absolute time) are treated as tied, so that floating-point noise such as
``0.1 + 0.2`` vs ``0.3`` does not split a tie, exactly as ``survfit`` and ``survdiff`` do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crlm_outcomes.errors import SurvivalDataError

__all__ = [
    "TimeGrid",
    "CountTable",
    "time_grid",
    "count_table",
    "combine_counts",
    "pool_cells",
    "segment_starts",
    "segmented_cumsum",
    "segmented_cumprod",
    "reverse_segmented_cumsum",
    "AEQ_TOLERANCE",
]

AEQ_TOLERANCE = float(np.sqrt(np.finfo(float).eps))
"""R's ``aeqSurv`` default tolerance, ``sqrt(.Machine$double.eps)``."""

# Dense (cells x times) bincount is used when the grid has at most this many cells per row.
_DENSE_FACTOR = 4


@dataclass(frozen=True)
class TimeGrid:
    """Distinct times, sorted, and the grid code of every row's exit (and entry) time.

    Attributes
    ----------
    values
        Sorted distinct times after R's ``aeqSurv`` merge of near-equal times.
    stop
        Grid code (index into ``values``) of each row's exit time.
    entry
        Grid code of each row's entry time, or ``None`` without left truncation.
    """

    values: np.ndarray
    stop: np.ndarray
    entry: np.ndarray | None


@dataclass(frozen=True)
class CountTable:
    """Per ``(cell, time)`` weighted counts, sorted by cell then time.

    Attributes
    ----------
    cell, code
        Cell number (0..n_cells-1) and grid code of the time of each line.
    time
        The time of each line (``grid[code]``).
    n_event, n_censor, n_enter
        Weighted sums of events, censorings and entries at that time (counts when unweighted).
    n_risk
        Weighted number at risk at that time (``entry < t <= exit``).
    n_cells
        Number of cells the codes refer to (cells without rows have no lines).
    grid
        The time grid the codes index.
    """

    cell: np.ndarray
    code: np.ndarray
    time: np.ndarray
    n_event: np.ndarray
    n_censor: np.ndarray
    n_enter: np.ndarray
    n_risk: np.ndarray
    n_cells: int
    grid: np.ndarray

    @property
    def is_exit(self) -> np.ndarray:
        """Lines where at least one row leaves (event or censoring): R's ``survfit`` times."""
        return (self.n_event > 0) | (self.n_censor > 0)

    def to_frame(self) -> pd.DataFrame:
        """The table as a DataFrame (cell, time, n_risk, n_event, n_censor, n_enter)."""
        return pd.DataFrame(
            {
                "cell": self.cell,
                "time": self.time,
                "n_risk": self.n_risk,
                "n_event": self.n_event,
                "n_censor": self.n_censor,
                "n_enter": self.n_enter,
            }
        )

    def at_risk(self, cells: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """Weighted number at risk in ``cells`` just at grid ``codes`` (vectorised lookup).

        Because entry times are lines of the table, the number at risk at any time equals the
        ``n_risk`` of the cell's first line at or after it (0 past the cell's last line).
        """
        size = len(self.grid)
        keys = self.cell * size + self.code
        query = np.asarray(cells, dtype=np.int64) * size + np.asarray(codes, dtype=np.int64)
        pos = np.searchsorted(keys, query, side="left")
        inside = pos < len(keys)
        pos_c = np.minimum(pos, len(keys) - 1)
        same_cell = inside & (self.cell[pos_c] == np.asarray(cells))
        return np.where(same_cell, self.n_risk[pos_c], 0.0)


def segment_starts(cell: np.ndarray) -> np.ndarray:
    """Start index of each run of equal values in the sorted ``cell`` array (with a final end)."""
    if len(cell) == 0:
        return np.zeros(1, dtype=np.int64)
    change = np.flatnonzero(np.diff(cell)) + 1
    return np.concatenate(([0], change, [len(cell)])).astype(np.int64)


def segmented_cumsum(x: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Cumulative sum restarting at each segment of ``bounds`` (from :func:`segment_starts`).

    One numpy call per segment (per group or stratum, never per row), so that each segment is
    summed in the same order as R's running sums.
    """
    out = np.empty_like(x)
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        np.cumsum(x[lo:hi], out=out[lo:hi])
    return out


def segmented_cumprod(x: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Cumulative product restarting at each segment (exact, unlike exp of a cumsum of logs)."""
    out = np.empty_like(x)
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        np.cumprod(x[lo:hi], out=out[lo:hi])
    return out


def reverse_segmented_cumsum(x: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Sum from each position to the end of its segment."""
    out = np.empty_like(x)
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        out[lo:hi] = np.cumsum(x[lo:hi][::-1])[::-1]
    return out


def _integer_codes(x: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """Fast path for whole-number times (days, months): codes by bincount, no hashing."""
    if len(x) == 0:
        return None, x
    lo, hi = x.min(), x.max()
    if lo < 0 or hi > 4 * len(x) + (1 << 16):
        return None, x
    as_int = x.astype(np.int64)
    if not np.array_equal(as_int, x):
        return None, x
    present = np.bincount(as_int) > 0
    rank = np.cumsum(present) - 1
    return rank[as_int], np.flatnonzero(present).astype(np.float64)


def time_grid(
    time: np.ndarray, entry: np.ndarray | None = None, *, timefix: bool = True
) -> TimeGrid:
    """Code exit (and entry) times on their sorted distinct values, merging near-ties like R.

    Parameters
    ----------
    time
        Exit times (finite, already validated).
    entry
        Entry times of left-truncated / counting-process rows, or ``None``.
    timefix
        Apply R's ``aeqSurv`` merge (survival's default ``timefix = TRUE``).

    Raises
    ------
    SurvivalDataError
        When the merge makes an interval ``(entry, exit]`` empty, as ``aeqSurv`` does.
    """
    time = np.asarray(time, dtype=np.float64)
    pooled = time if entry is None else np.concatenate([time, np.asarray(entry, np.float64)])
    codes, values = _integer_codes(pooled)
    if codes is None:
        codes, uniques = pd.factorize(pooled, sort=False)
        order = np.argsort(uniques, kind="stable")
        values = np.asarray(uniques)[order]
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        codes = rank[codes]
    if timefix and len(values) > 1:
        gaps = np.diff(values)
        scale = np.mean(np.abs(values))
        tied = (gaps <= AEQ_TOLERANCE) | (
            (gaps / scale) <= AEQ_TOLERANCE if scale > 0 else np.zeros_like(gaps, dtype=bool)
        )
        if tied.any():
            keep = np.concatenate(([True], ~tied))
            remap = np.cumsum(keep) - 1
            values = values[keep]
            codes = remap[codes]
    n = len(time)
    stop = codes[:n].astype(np.int64, copy=False)
    start = None
    if entry is not None:
        start = codes[n:].astype(np.int64, copy=False)
        empty = start >= stop
        if empty.any():
            pos = int(np.flatnonzero(empty)[0])
            raise SurvivalDataError(
                "entry and exit times are equal after merging times that differ by less than "
                "R's aeqSurv tolerance (sqrt(machine epsilon))",
                row=pos,
                value=(float(entry[pos]), float(time[pos])),
                expected="entry < exit",
            )
    return TimeGrid(values=values, stop=stop, entry=start)


def _sum_by_key(
    keys: np.ndarray, bound: int, columns: Sequence[np.ndarray | None], n_rows: int
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Sorted distinct ``keys`` and the sum of each column over each key (``None`` = ones)."""
    if bound <= max(_DENSE_FACTOR * n_rows, 1 << 16):
        count = np.bincount(keys, minlength=bound)
        present = np.flatnonzero(count)
        sums = [
            count[present].astype(np.float64)
            if col is None
            else np.bincount(keys, weights=col, minlength=bound)[present]
            for col in columns
        ]
        return present.astype(np.int64), sums
    local, uniques = pd.factorize(keys, sort=False)
    order = np.argsort(uniques, kind="stable")
    k = len(uniques)
    sums = [
        np.bincount(local, minlength=k).astype(np.float64)[order]
        if col is None
        else np.bincount(local, weights=col, minlength=k)[order]
        for col in columns
    ]
    return np.asarray(uniques, dtype=np.int64)[order], sums


def count_table(
    grid: TimeGrid,
    event: np.ndarray,
    cell: np.ndarray | None = None,
    n_cells: int | None = None,
    weights: np.ndarray | None = None,
) -> CountTable:
    """Aggregate rows to per ``(cell, time)`` weighted event, censoring and entry counts.

    Parameters
    ----------
    grid
        From :func:`time_grid` on the same rows.
    event
        Event indicator per row (true/1 = event, false/0 = censored).
    cell
        Integer cell of each row (0..n_cells-1); ``None`` puts every row in cell 0.
    n_cells
        Number of cells (default ``cell.max() + 1``).
    weights
        Case weights (default 1).

    Returns
    -------
    CountTable
        Lines for every ``(cell, time)`` where a row of the cell exits or enters.
    """
    n = len(grid.stop)
    size = len(grid.values)
    if cell is None:
        cell = np.zeros(n, dtype=np.int64)
        n_cells = 1
    cell = np.asarray(cell, dtype=np.int64)
    if n_cells is None:
        n_cells = int(cell.max()) + 1 if n else 1
    ev = np.asarray(event).astype(bool, copy=False)
    w = None if weights is None else np.asarray(weights, dtype=np.float64)
    keys = cell * size + grid.stop
    if grid.entry is None and w is None:
        # counts: events by weighted bincount, censorings = rows - events (exact in float64)
        uniq, (total, d) = _sum_by_key(keys, n_cells * size, [None, ev.astype(np.float64)], n)
        return _finish(
            uniq // size, uniq % size, d, total - d, np.zeros_like(d), n_cells, grid.values
        )
    w_event = ev.astype(np.float64) if w is None else np.where(ev, w, 0.0)
    w_censor = (~ev).astype(np.float64) if w is None else np.where(ev, 0.0, w)
    if grid.entry is None:
        uniq, (d, c) = _sum_by_key(keys, n_cells * size, [w_event, w_censor], n)
        e = np.zeros_like(d)
    else:
        ekeys = cell * size + grid.entry
        both = np.concatenate([keys, ekeys])
        zeros = np.zeros(n)
        w_enter = np.concatenate([zeros, np.ones(n) if w is None else w])
        uniq, (d, c, e) = _sum_by_key(
            both,
            n_cells * size,
            [np.concatenate([w_event, zeros]), np.concatenate([w_censor, zeros]), w_enter],
            2 * n,
        )
    return _finish(uniq // size, uniq % size, d, c, e, n_cells, grid.values)


def _finish(
    cell: np.ndarray,
    code: np.ndarray,
    d: np.ndarray,
    c: np.ndarray,
    e: np.ndarray,
    n_cells: int,
    values: np.ndarray,
) -> CountTable:
    """Reverse cumulative sums within cells give the number at risk.

    With integral counts one global reverse cumsum minus each cell's tail is exact; with
    fractional weights each cell is summed on its own (as R's running sums are), so that a
    last line holding only events has ``n_risk == n_event`` exactly and the estimate reaches 0.
    """
    net = d + c - e
    bounds = segment_starts(cell)
    if np.all(net == np.round(net)):
        rev = np.cumsum(net[::-1])[::-1]
        tail = np.append(rev, 0.0)[bounds[1:]]
        n_risk = rev - np.repeat(tail, np.diff(bounds))
    else:
        n_risk = reverse_segmented_cumsum(net, bounds)
    return CountTable(
        cell=cell,
        code=code,
        time=values[code],
        n_event=d,
        n_censor=c,
        n_enter=e,
        n_risk=n_risk,
        n_cells=n_cells,
        grid=values,
    )


def pool_cells(table: CountTable, new_cell: np.ndarray, n_cells: int) -> CountTable:
    """Re-aggregate a count table onto coarser cells (e.g. strata x group -> stratum).

    ``new_cell`` gives the coarse cell of each line. Works on the small table, not the rows.
    """
    size = len(table.grid)
    keys = np.asarray(new_cell, dtype=np.int64) * size + table.code
    uniq, (d, c, e) = _sum_by_key(
        keys, n_cells * size, [table.n_event, table.n_censor, table.n_enter], len(keys)
    )
    return _finish(uniq // size, uniq % size, d, c, e, n_cells, table.grid)


def combine_counts(*tables: CountTable) -> CountTable:
    """Add count tables built on disjoint parts of the same data (same cell coding).

    Times are matched on their values (the grids may differ between parts); ``n_risk`` is
    recomputed from the summed counts. ``aeqSurv`` merging is not re-applied across parts, so
    pass exact times (for example times already rounded to days).
    """
    if not tables:
        raise ValueError("combine_counts needs at least one table")
    n_cells = max(t.n_cells for t in tables)
    values = np.unique(np.concatenate([t.grid for t in tables]))
    size = len(values)
    keys = np.concatenate([t.cell * size + np.searchsorted(values, t.time) for t in tables])
    cols = [
        np.concatenate([getattr(t, name) for t in tables])
        for name in ("n_event", "n_censor", "n_enter")
    ]
    uniq, (d, c, e) = _sum_by_key(keys, n_cells * size, cols, len(keys))
    return _finish(uniq // size, uniq % size, d, c, e, n_cells, values)
