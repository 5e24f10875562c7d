"""Rows to sufficient statistics on any engine: the distinct (key, time, event) lines and counts.

Kaplan–Meier, the log-rank family and their stratified forms depend on the data only through
the number of rows (and the sum of weights) at each distinct combination of the grouping
columns, the exit time, the entry time and the event code. :func:`aggregate` computes that
table where the data live, and only the table (one line per distinct combination: a few
thousand lines for a registry of any size when times are in days or months) comes back to
Python, where the in-memory estimators run on it with the line counts as frequency weights.
Because frequency weights reproduce replicated rows exactly in every estimator used here, the
results equal those of the in-memory path on the rows (to the last bits of floating-point
summation order).

Engines
-------
* ``pandas``: a ``DataFrame`` (``groupby`` with ``dropna=False`` semantics handled explicitly);
* ``duckdb``: a DuckDB relation, or a Parquet/CSV dataset on disk (a file, a glob or a
  directory), scanned out of core by DuckDB's ``GROUP BY`` under a memory limit;
* ``dask``: a ``dask.dataframe.DataFrame`` on whatever cluster the active
  ``dask.distributed.Client`` points at (``groupby().agg`` with a tree reduction).

The engines are used as they are: the aggregation is one ``GROUP BY`` in each, not a
home-made one. Rows with a missing value in a used column are excluded, as in memory
(R's ``na.omit``), and listed by row number in ``excluded``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes._result import Record, short_names
from crlm_outcomes.errors import SpecError

__all__ = ["Aggregate", "aggregate", "engine_of", "N_COLUMN"]

N_COLUMN = "__n_rows__"
"""Column of :attr:`Aggregate.lines` holding the number of rows of each line."""

#: Excluded rows listed one by one up to this many (beyond, the count is exact and the list is
#: the first ones by row number).
MAX_LISTED_EXCLUDED = 100_000


@dataclass(frozen=True, eq=False, repr=False)
class Aggregate(Record):
    """The distinct lines of one analysis and where they came from.

    Attributes
    ----------
    lines
        One row per distinct combination of the used columns (a weights column is one of
        them), with :data:`N_COLUMN`, the number of rows of the line.
    n_rows
        Rows read (before exclusions).
    n_excluded
        Rows excluded for a missing value in a used column.
    excluded
        Excluded rows: ``index`` (0-based row number in the source), ``column``, ``value``,
        ``reason``; at most :data:`MAX_LISTED_EXCLUDED` rows listed.
    engine
        ``"pandas"``, ``"duckdb"`` or ``"dask"``.

    Examples
    --------
    Four rows, one missing its time: two distinct (time, event) lines remain.

    >>> import pandas as pd
    >>> agg = aggregate(pd.DataFrame({"t": [1.0, 1.0, 2.0, None], "e": [1, 1, 0, 1]}),
    ...                 ["t", "e"])
    >>> len(agg.lines), agg.n_rows, agg.n_excluded, agg.engine
    (2, 4, 1, 'pandas')
    >>> agg
    <Aggregate engine=pandas, rows=4, excluded=1, lines=2, columns=['t', 'e']>
    >>> agg.excluded[["index", "column", "reason"]].to_dict("records")
    [{'index': 3, 'column': 't', 'reason': 'missing value'}]
    """

    lines: pd.DataFrame
    n_rows: int
    n_excluded: int
    excluded: pd.DataFrame = field(repr=False)
    engine: str

    def _repr_fields(self) -> dict[str, object]:
        return {
            "engine": self.engine,
            "rows": self.n_rows,
            "excluded": self.n_excluded,
            "lines": len(self.lines),
            "columns": short_names(c for c in self.lines.columns if c != N_COLUMN),
        }


def _is_dask(data: Any) -> bool:
    mod = type(data).__module__
    return mod.startswith("dask.") or mod.startswith("dask_expr")


def _is_duckdb(data: Any) -> bool:
    return type(data).__module__.startswith("duckdb") or isinstance(data, (str, os.PathLike))


def engine_of(data: Any) -> str:
    """The engine an input calls for: ``"pandas"``, ``"duckdb"``, ``"dask"`` or ``"sites"``.

    Parameters
    ----------
    data : Any
        A pandas DataFrame, a dask DataFrame, a DuckDB relation, the path (or glob) of a
        Parquet/CSV dataset, or pooled site files (:class:`~crlm_outcomes.scale.federated.SiteData`).

    Returns
    -------
    str
        ``"pandas"``, ``"duckdb"``, ``"dask"`` or ``"sites"``; anything else raises
        :class:`~crlm_outcomes.errors.SpecError`.

    Examples
    --------
    >>> import pandas as pd
    >>> engine_of(pd.DataFrame({"t": [1.0]}))
    'pandas'
    >>> engine_of("cohort/*.parquet")
    'duckdb'
    """
    if isinstance(data, pd.DataFrame):
        return "pandas"
    if type(data).__name__ == "SiteData" and hasattr(data, "lines"):
        return "sites"
    if _is_dask(data):
        return "dask"
    if _is_duckdb(data):
        return "duckdb"
    raise SpecError(
        "data must be a DataFrame, a Cohort, a dask DataFrame, a DuckDB relation or "
        "the path of a Parquet/CSV dataset",
        value=type(data).__name__,
    )


def _excluded_frame(
    rows: np.ndarray, columns: list[str], values: list[Any] | None = None
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "index": rows,
            "column": columns,
            "value": values if values is not None else [None] * len(rows),
            "reason": "missing value",
        }
    )


# --------------------------------------------------------------------------- pandas
def _aggregate_pandas(frame: pd.DataFrame, used: list[str], keys: list[str]) -> Aggregate:
    missing = frame[used].isna()
    drop = missing.any(axis=1).to_numpy()
    rows, cols = np.nonzero(missing.to_numpy())
    excluded = _excluded_frame(frame.index.to_numpy()[rows], [used[c] for c in cols])
    kept = frame.loc[~drop, keys] if drop.any() else frame[keys]
    grouped = kept.groupby(keys, sort=True, observed=True, dropna=False)
    lines = grouped.size().rename(N_COLUMN).reset_index()
    return Aggregate(
        lines=lines,
        n_rows=len(frame),
        n_excluded=int(drop.sum()),
        excluded=excluded,
        engine="pandas",
    )


# --------------------------------------------------------------------------- duckdb
def _quote(name: str) -> str:
    """A column name as a quoted SQL identifier (double quotes, inner ones doubled).

    Public as ``quote_identifier`` (the DuckDB Cox sums build their SQL with it).

    Parameters
    ----------
    name
        The column name, as in the data (any characters).

    Returns
    -------
    str
        ``name`` between double quotes, each ``"`` in it doubled, so that DuckDB reads it as
        that one column whatever it contains (spaces, keywords, quotes).

    Examples
    --------
    >>> from crlm_outcomes.scale.aggregate import quote_identifier
    >>> print(quote_identifier("os_months"), quote_identifier('tumour "size" cm'))
    "os_months" "tumour ""size"" cm"
    """
    return '"' + name.replace('"', '""') + '"'


def _dataset_text(data: str | os.PathLike) -> str:
    path = Path(data)
    if path.is_dir():
        kind = "parquet" if any(path.rglob("*.parquet")) else "csv"
        return str(path / "**" / f"*.{kind}")
    return str(data)


def _is_csv(text: str) -> bool:
    low = text.lower()
    return low.endswith((".csv", ".csv.gz", ".tsv", ".txt"))


def _duckdb_source(con: Any, data: Any, *, row_numbers: bool = False) -> Any:
    """The data as a relation; with ``row_numbers`` a ``__row__`` column (0-based row of the
    source: Parquet's own file row number, or the scan order of a CSV file or relation).

    Public as ``duckdb_source`` (the DuckDB Cox sums read the same sources).

    Parameters
    ----------
    con
        The DuckDB connection that reads the files.
    data
        A DuckDB relation (returned as it is without ``row_numbers``), or the path of a
        Parquet/CSV dataset: a file, a glob, or a directory (all its ``*.parquet`` files, or
        all its ``*.csv`` files when it holds no Parquet file, in subfolders too). A path
        ending in ``.csv``, ``.csv.gz``, ``.tsv`` or ``.txt`` is read as CSV, any other as
        Parquet.
    row_numbers
        Add the ``__row__`` column (default False). In a multi-file Parquet dataset rows are
        numbered across files taken in name order, and DuckDB's ``file_row_number`` and
        ``filename`` columns come along.

    Returns
    -------
    duckdb.DuckDBPyRelation
        A lazy relation over the data (its rows are read when it is queried): the
        source's columns, plus ``__row__`` (BIGINT) with ``row_numbers``.

    Examples
    --------
    >>> import duckdb, tempfile
    >>> from pathlib import Path
    >>> from crlm_outcomes.scale.aggregate import duckdb_source
    >>> con = duckdb.connect()
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "cohort.csv"
    ...     _ = path.write_text("os_months,os_event\\n12.5,1\\n30.0,\\n7.25,1\\n", encoding="utf-8")
    ...     rel = duckdb_source(con, path, row_numbers=True)
    ...     missing = rel.filter("os_event IS NULL").project("__row__").fetchall()
    >>> rel.columns, missing
    (['os_months', 'os_event', '__row__'], [(1,)])
    """
    if not isinstance(data, (str, os.PathLike)):
        if not row_numbers:
            return data
        return data.query("src", "SELECT *, row_number() OVER () - 1 AS __row__ FROM src")
    text = _dataset_text(data)
    if _is_csv(text):
        rel = con.read_csv(text)
        if row_numbers:
            rel = rel.query("src", "SELECT *, row_number() OVER () - 1 AS __row__ FROM src")
        return rel
    if not row_numbers:
        return con.read_parquet(text)
    # the row of a multi-file dataset: files in name order, rows in file order
    rel = con.read_parquet(text, file_row_number=True, filename=True)
    return rel.query(
        "src",
        "SELECT src.*, file_row_number + sizes.offset AS __row__ FROM src "
        "JOIN (SELECT filename AS f, sum(count(*)) OVER (ORDER BY filename) "
        "- count(*) AS offset FROM src GROUP BY filename) sizes "
        "ON src.filename = sizes.f",
    )


def _aggregate_duckdb(
    data: Any, used: list[str], keys: list[str], memory_limit: str | None
) -> Aggregate:
    import duckdb

    con = duckdb.connect()
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    src = _duckdb_source(con, data)
    missing_cols = [c for c in used if c not in src.columns]
    if missing_cols:
        raise SpecError(
            "column not found in the dataset",
            column=missing_cols[0],
            expected=f"one of {', '.join(src.columns[:12])}",
        )
    cols_q = ", ".join(_quote(c) for c in keys)
    any_null = " OR ".join(f"{_quote(c)} IS NULL" for c in used)
    counts = src.query("r", f"SELECT count(*), count(*) FILTER (WHERE {any_null}) FROM r")
    n_rows, n_excluded = (int(v) for v in counts.fetchall()[0])
    lines = src.query(
        "r",
        f"SELECT {cols_q}, count(*) AS {_quote(N_COLUMN)} FROM r "
        f"WHERE NOT ({any_null}) GROUP BY ALL ORDER BY ALL",
    ).df()
    excluded = _excluded_frame(np.array([], dtype=np.int64), [])
    if n_excluded:
        numbered = _duckdb_source(con, data, row_numbers=True)
        parts = []
        for c in used:
            got = numbered.query(
                "r",
                f"SELECT __row__ FROM r WHERE {_quote(c)} IS NULL "
                f"ORDER BY __row__ LIMIT {MAX_LISTED_EXCLUDED}",
            ).df()
            parts.append(_excluded_frame(got["__row__"].to_numpy(np.int64), [c] * len(got)))
        excluded = pd.concat(parts, ignore_index=True)
    return Aggregate(
        lines=lines, n_rows=n_rows, n_excluded=n_excluded, excluded=excluded, engine="duckdb"
    )


# --------------------------------------------------------------------------- dask
def _aggregate_dask(ddf: Any, used: list[str], keys: list[str]) -> Aggregate:
    import dask

    part = ddf[used]
    miss = part.isna()
    drop = miss.any(axis=1)
    kept = part[~drop][keys]
    agg = (
        kept.assign(**{N_COLUMN: 1})
        .groupby(keys, sort=False, observed=True, dropna=False)[N_COLUMN]
        .sum()
    )
    n_rows, n_excluded, lines, ex_rows = dask.compute(
        part.shape[0], drop.sum(), agg, miss[drop].reset_index()
    )
    lines = lines.rename(N_COLUMN).reset_index()
    lines = lines.sort_values(keys, kind="stable", ignore_index=True)
    idx_col = ex_rows.columns[0]
    ex_parts = [
        _excluded_frame(
            ex_rows.loc[ex_rows[c].to_numpy(bool), idx_col].to_numpy(), [c] * int(ex_rows[c].sum())
        )
        for c in used
    ]
    excluded = (
        pd.concat(ex_parts, ignore_index=True) if ex_parts else _excluded_frame(np.array([]), [])
    )
    return Aggregate(
        lines=lines,
        n_rows=int(n_rows),
        n_excluded=int(n_excluded),
        excluded=excluded,
        engine="dask",
    )


# --------------------------------------------------------------------------- site files
def _aggregate_sites(sites: Any, used: list[str]) -> Aggregate:
    """Pooled site counts (already lines): re-aggregate onto the columns asked for."""
    lines = sites.lines
    absent = [c for c in used if c not in lines.columns]
    if absent:
        raise SpecError(
            "column not in the site files (export it with by= or strata=)",
            column=absent[0],
            expected=f"one of {', '.join(map(str, lines.columns))}",
        )
    agg = lines.groupby(used, sort=True, observed=True)[N_COLUMN].sum().reset_index()
    agg = agg[agg[N_COLUMN] > 0].reset_index(drop=True)
    return Aggregate(
        lines=agg,
        n_rows=int(lines[N_COLUMN].sum()),
        n_excluded=0,
        excluded=_excluded_frame(np.array([], dtype=np.int64), []),
        engine="sites",
    )


def aggregate(
    data: Any,
    columns: Sequence[str],
    *,
    memory_limit: str | None = "1GB",
    keys: Sequence[str] | None = None,
) -> Aggregate:
    """Count the rows of every distinct combination of ``columns`` where the data live.

    Parameters
    ----------
    data
        A DataFrame, a dask DataFrame, a DuckDB relation, or the path of a Parquet/CSV
        dataset (file, glob or directory).
    columns
        The used columns (grouping, strata, entry, duration, event, weights); a row with a
        missing value in any of them is excluded.
    memory_limit
        DuckDB's memory limit for the scan (DuckDB spills to disk beyond it).
    keys
        Group by these columns only (default: all of ``columns``); the rows excluded are still
        those missing any of ``columns``.

    Returns
    -------
    Aggregate

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"t": [1.0, 1.0, 2.0, None], "e": [1, 1, 0, 1]})
    >>> agg = aggregate(df, ["t", "e"])
    >>> agg.lines.to_dict("list"), agg.n_excluded
    ({'t': [1.0, 2.0], 'e': [1, 0], '__n_rows__': [2, 1]}, 1)
    """
    used = list(dict.fromkeys(columns))
    group = used if keys is None else list(dict.fromkeys(keys))
    engine = engine_of(data)
    if engine == "pandas":
        return _aggregate_pandas(data, used, group)
    if engine == "dask":
        return _aggregate_dask(data, used, group)
    if engine == "sites":
        return _aggregate_sites(data, group)
    return _aggregate_duckdb(data, used, group, memory_limit)


#: Public names for the other engines' modules (the Cox sums read the same sources).
duckdb_source = _duckdb_source
quote_identifier = _quote
