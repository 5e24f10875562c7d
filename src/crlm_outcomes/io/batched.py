"""Load a large delimited export in batches into a partitioned Parquet cohort (bounded memory).

``load_cohort(src, profile=..., out="cohort/")`` streams the file with pyarrow's CSV reader,
``batch_rows`` rows at a time, runs the ordinary loader (:func:`crlm_outcomes.load_cohort`'s
parse, value checks, endpoints and consistency rules) on each batch and writes

* ``cohort/part-NNNNN.parquet``: the loaded rows of each batch (canonical columns; the analysis
  functions read the directory through DuckDB, e.g. ``cox("cohort/", ...)``);
* ``cohort_quarantine/part-NNNNN.parquet`` beside it: the quarantine records (and, under
  ``invalid_cells``, the cells set missing), ``source_row`` numbered in the whole file;
* ``cohort_audit.json``: rows in, loaded and quarantined (``rows_in == rows_loaded +
  rows_quarantined``, checked), per batch, with the file's SHA-256 and the profile.

Memory is bounded by the batch size, not the file size. Two things need the whole file and are
handled before the batches are loaded, so that the result equals the in-memory load row for
row:

* column types: pyarrow infers a column's type from the first block only when streaming (the
  in-memory reader from the whole file); a first pass reads the file once and widens a column
  whose later values do not fit (integers to floats, otherwise text), as the whole-file reader
  does;
* duplicate ``patient_id``: the same pass records each row's id; ids found in more than one
  batch are counted by DuckDB over those ids (spilling to disk), and the rows holding them are
  taken out of their batches and loaded together as a last batch, so that the duplicate rules
  (conflicting copies quarantined, exact copies after the first quarantined) see every copy.
  That batch is as large as the number of such rows.

Delimited files only (CSV/TSV); a file with malformed rows (ragged lines) is refused with a
clear error: the in-memory loader repairs and quarantines those, the streaming reader cannot.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from crlm_outcomes._result import Record
from crlm_outcomes.errors import CrlmError, SpecError, UnreadableFileError
from crlm_outcomes.io.profile import Profile

if TYPE_CHECKING:
    from crlm_outcomes.io.readers import RawTable
    from crlm_outcomes.schema.definition import SchemaDefinition

__all__ = ["CohortDataset", "BLOCK_BYTES"]

#: Bytes of the file parsed at a time by the streaming reader (a batch is one or more blocks).
BLOCK_BYTES = 1 << 24


@dataclass(frozen=True, eq=False, repr=False)
class CohortDataset(Record):
    """A cohort written as a partitioned Parquet dataset by a batched load.

    Attributes
    ----------
    path
        The dataset directory (pass it as ``data`` to the analysis functions).
    quarantine_path
        Directory of the quarantine records (``part-NNNNN.parquet``) and of the cells set
        missing (``invalid_cells/``).
    audit_path
        The JSON audit (counts per batch, source SHA-256, profile).
    rows_in, rows_loaded, rows_quarantined
        ``rows_in == rows_loaded + rows_quarantined`` (checked).
    batches
        Rows read, loaded and quarantined per batch (the last batch holds the rows of
        ``patient_id`` values seen in more than one batch).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from crlm_outcomes import load_cohort
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> synthetic_cohort(250, seed=1).data.to_csv(folder / "export.csv", index=False)
    >>> ds = load_cohort(folder / "export.csv", out=folder / "cohort", batch_rows=100)
    >>> ds.rows_in == ds.rows_loaded + ds.rows_quarantined, len(ds.batches) >= 3
    (True, True)
    >>> repr(ds).startswith("<CohortDataset path=")
    True
    """

    path: Path
    quarantine_path: Path
    audit_path: Path
    rows_in: int
    rows_loaded: int
    rows_quarantined: int
    batches: pd.DataFrame = field(repr=False)

    def _repr_fields(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "rows_in": self.rows_in,
            "loaded": self.rows_loaded,
            "quarantined": self.rows_quarantined,
            "batches": len(self.batches),
        }

    def __post_init__(self) -> None:
        if self.rows_in != self.rows_loaded + self.rows_quarantined:
            raise CrlmError(
                f"audit invariant broken: rows_in {self.rows_in} != rows_loaded "
                f"{self.rows_loaded} + rows_quarantined {self.rows_quarantined}"
            )

    def read(self, columns: list[str] | None = None) -> pd.DataFrame:
        """The loaded rows as one DataFrame, in source order (for data that fit in memory).

        Parameters
        ----------
        columns : list of str, optional
            Canonical columns to read (default: all); fewer columns read faster.

        Returns
        -------
        pandas.DataFrame
            The rows of every ``part-*.parquet`` of :attr:`path`, sorted by ``source_row``
            when that column is read (parts are written batch by batch, and the last batch
            holds rows moved from earlier ones), with a RangeIndex.

        Examples
        --------
        Two parts, the second holding an earlier source row (as the duplicate-id batch does):

        >>> import pathlib, tempfile
        >>> import pandas as pd
        >>> from crlm_outcomes.io.batched import CohortDataset
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     folder = pathlib.Path(tmp)
        ...     (folder / "cohort").mkdir()
        ...     pd.DataFrame({"patient_id": ["P3", "P4"], "source_row": [3, 4]}).to_parquet(
        ...         folder / "cohort" / "part-00000.parquet", index=False)
        ...     pd.DataFrame({"patient_id": ["P1"], "source_row": [1]}).to_parquet(
        ...         folder / "cohort" / "part-00001.parquet", index=False)
        ...     ds = CohortDataset(folder / "cohort", folder / "cohort_quarantine",
        ...                        folder / "cohort_audit.json", rows_in=4, rows_loaded=3,
        ...                        rows_quarantined=1, batches=pd.DataFrame())
        ...     frame = ds.read()
        >>> frame["patient_id"].tolist(), frame["source_row"].tolist()
        (['P1', 'P3', 'P4'], [1, 3, 4])
        """
        frame = pd.read_parquet(self.path, columns=columns)
        if "source_row" in frame.columns:
            frame = frame.sort_values("source_row", kind="stable", ignore_index=True)
        return frame

    def quarantine(self) -> pd.DataFrame:
        """The quarantine records, in source-row order.

        Returns
        -------
        pandas.DataFrame
            The records of every ``part-*.parquet`` of :attr:`quarantine_path` (columns as
            :attr:`LoadAudit.quarantine <crlm_outcomes.io.cohort.LoadAudit>`, ``value`` as
            text), sorted by ``source_row`` (numbered in the whole file). A frame with only
            ``source_row`` and no rows when nothing was quarantined.

        Examples
        --------
        >>> import pathlib, tempfile
        >>> import pandas as pd
        >>> from crlm_outcomes.io.batched import CohortDataset
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     folder = pathlib.Path(tmp)
        ...     (folder / "q").mkdir()
        ...     pd.DataFrame({"source_row": [7], "column": ["age_at_diagnosis"],
        ...                   "value": ["250"], "rule": ["age_out_of_range"]}).to_parquet(
        ...         folder / "q" / "part-00001.parquet", index=False)
        ...     pd.DataFrame({"source_row": [2], "column": ["sex"], "value": ["X"],
        ...                   "rule": ["parse"]}).to_parquet(
        ...         folder / "q" / "part-00000.parquet", index=False)
        ...     ds = CohortDataset(folder / "cohort", folder / "q", folder / "audit.json",
        ...                        rows_in=10, rows_loaded=8, rows_quarantined=2,
        ...                        batches=pd.DataFrame())
        ...     records = ds.quarantine()
        >>> print(records[["source_row", "column", "rule"]].to_string(index=False))
         source_row           column             rule
                  2              sex            parse
                  7 age_at_diagnosis age_out_of_range
        """
        parts = sorted(self.quarantine_path.glob("part-*.parquet"))
        if not parts:
            return pd.DataFrame({"source_row": pd.Series([], dtype="int64")})
        frame = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
        return frame.sort_values("source_row", kind="stable", ignore_index=True)


def _stream(
    path: Path,
    delimiter: str,
    encoding: str,
    include: list[str],
    types: dict[str, Any],
    block_bytes: int,
):
    import pyarrow.csv as pacsv

    from crlm_outcomes.io.readers import DICT_MAX_CARDINALITY

    read = pacsv.ReadOptions(encoding=encoding, block_size=block_bytes)
    parse = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=False)
    convert = pacsv.ConvertOptions(
        null_values=[""],
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
        auto_dict_encode=True,
        auto_dict_max_cardinality=DICT_MAX_CARDINALITY,
        column_types=types,
        include_columns=include,
    )
    return pacsv.open_csv(path, read_options=read, parse_options=parse, convert_options=convert)


def _failing_column(message: str, names: list[str]) -> str | None:
    """The column of a streaming conversion error ('In CSV column #3: ...', a file column)."""
    import re

    m = re.search(r"CSV column #(\d+)", message)
    return names[int(m.group(1))] if m and int(m.group(1)) < len(names) else None


def _type_pass(
    path: Path,
    delimiter: str,
    encoding: str,
    include: list[str],
    text: list[str],
    id_col: str | None,
    block_bytes: int,
    batch_rows: int,
    ids_file: Path,
    all_names: list[str],
) -> tuple[dict[str, Any], int]:
    """Read the whole file once: the column types the whole-file reader would give, and each
    row's id and batch (written to ``ids_file``). Returns (types, rows)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    types: dict[str, Any] = {c: pa.string() for c in text}
    for _attempt in range(3 * len(include) + 1):
        writer = None
        rows = 0
        try:
            reader = _stream(path, delimiter, encoding, include, types, block_bytes)
            names = list(reader.schema.names)
            for batch in reader:
                if id_col is not None:
                    ids = batch.column(names.index(id_col))
                    if pa.types.is_dictionary(ids.type):
                        ids = ids.cast(pa.string())
                    ids = pc.utf8_trim_whitespace(ids.cast(pa.string()))
                    idx = np.arange(rows, rows + batch.num_rows, dtype=np.int64)
                    tab = pa.table({"id": ids, "row": idx, "batch": idx // batch_rows})
                    if writer is None:
                        writer = pq.ParquetWriter(ids_file, tab.schema)
                    writer.write_table(tab)
                rows += batch.num_rows
            if writer is not None:
                writer.close()
            return types, rows
        except pa.ArrowInvalid as exc:
            if writer is not None:
                writer.close()
            col = _failing_column(str(exc), all_names)
            if col is None or col in text or "conversion error" not in str(exc):
                raise UnreadableFileError(
                    f"cannot stream the file in batches: {exc} (a malformed row: load it "
                    "without out= to have such rows repaired and quarantined)",
                    file=str(path),
                ) from exc
            # widen as the whole-file reader does: null -> int64 -> float64 -> text
            msg = str(exc)
            types[col] = (
                pa.int64()
                if "to null" in msg
                else pa.float64()
                if "to int64" in msg
                else pa.string()
            )
    raise UnreadableFileError("cannot settle the column types of the file", file=str(path))


def _cross_batch_rows(ids_file: Path) -> np.ndarray:
    """0-based rows whose (trimmed) id occurs in more than one batch (DuckDB, out of core)."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET memory_limit = '512MB'")
    got = con.execute(
        "SELECT row FROM read_parquet(?) WHERE id IN (SELECT id FROM read_parquet(?) "
        "WHERE id IS NOT NULL GROUP BY id HAVING count(DISTINCT batch) > 1) ORDER BY row",
        [str(ids_file), str(ids_file)],
    ).fetchnumpy()["row"]
    return np.asarray(got, dtype=np.int64)


def _renumber(frame: pd.DataFrame, global_rows: np.ndarray) -> pd.DataFrame:
    """``source_row`` (1-based within the batch) -> 1-based row of the whole file."""
    if "source_row" not in frame.columns or not len(frame):
        return frame
    local = frame["source_row"].to_numpy(dtype=np.int64) - 1
    new = global_rows[local] + 1
    return frame.assign(source_row=pd.array(new, dtype=frame["source_row"].dtype))


def _write(frame: pd.DataFrame, path: Path) -> None:
    frame.to_parquet(path, index=False)


def _text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Quarantine records with mixed-type ``value`` cells written as text."""
    out = frame.copy()
    for c in ("value",):
        if c in out.columns:
            out[c] = out[c].map(
                lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
            )
    return out


def _source_file(source: Any, batch_rows: int) -> tuple[Path, str]:
    """The delimited file to load and its reader kind (``csv``/``tsv``); refuses a DataFrame,
    another format, a missing file or a non-positive ``batch_rows``."""
    from crlm_outcomes.io.readers import SUPPORTED_SUFFIXES

    if isinstance(source, pd.DataFrame) or not isinstance(source, (str, Path)):
        raise SpecError(
            "out= loads a file in batches; a DataFrame is already in memory",
            value=type(source).__name__,
            expected="the path of a CSV/TSV file",
        )
    path = Path(source).expanduser()
    kind = SUPPORTED_SUFFIXES.get(path.suffix.lower())
    if kind not in ("csv", "tsv"):
        raise SpecError(
            "batched loading (out=) reads delimited files (CSV/TSV)",
            value=path.suffix,
            expected=".csv, .tsv or .txt",
        )
    if not path.is_file():
        raise UnreadableFileError("no such file", file=str(path))
    if batch_rows < 1:
        raise SpecError(
            "batch_rows must be a positive number of rows",
            value=batch_rows,
            expected="e.g. 1000000",
        )
    return path, kind


def _output_paths(out: str | Path) -> tuple[Path, Path, Path]:
    """The dataset, quarantine and audit paths; none may exist already (nothing overwritten)."""
    out = Path(out)
    qdir = out.parent / f"{out.name}_quarantine"
    audit_path = out.parent / f"{out.name}_audit.json"
    for p in (out, qdir, audit_path):
        if p.exists() and (p.is_file() or any(p.iterdir())):
            raise SpecError(
                "the output already exists; choose a new directory (nothing is overwritten)",
                value=str(p),
                expected="a path that does not exist",
            )
    return out, qdir, audit_path


@dataclass(frozen=True)
class _Columns:
    """What the streaming reader reads: the header as written (``raw_names``) and trimmed
    (``names``), the columns the profile reads (``include``), those read as text (``text``)
    and the ``patient_id`` column (``None`` when the file has none)."""

    raw_names: list[str]
    names: list[str]
    include: list[str]
    text: list[str]
    id_col: str | None


def _columns(
    path: Path, delimiter: str, encoding: str, prof: Profile, schema: SchemaDefinition
) -> _Columns:
    """The file's columns the profile reads; ``patient_id`` must come from one column."""
    from crlm_outcomes.io.readers import csv_header

    raw_names = csv_header(path, delimiter, encoding)
    names = [str(c).strip() for c in raw_names]
    wanted = {src for rule in prof.rules.values() for src in rule.sources}
    text_targets = {
        src
        for rule in prof.rules.values()
        if schema.columns[rule.target].dtype == "string" and rule.codes is None
        for src in rule.sources
    }
    id_rule = prof.rules.get("patient_id")
    id_col = None
    if id_rule is not None and all(s in names for s in id_rule.sources):
        if len(id_rule.sources) != 1:
            raise SpecError(
                "batched loading needs patient_id read from one column",
                value=id_rule.sources,
                expected="a single source column",
            )
        id_col = raw_names[names.index(id_rule.sources[0])]
    return _Columns(
        raw_names=raw_names,
        names=names,
        include=[r for r, c in zip(raw_names, names, strict=True) if c in wanted],
        text=[r for r, c in zip(raw_names, names, strict=True) if c in text_targets],
        id_col=id_col,
    )


def _first_pass(
    path: Path,
    delimiter: str,
    encoding: str,
    cols: _Columns,
    block_bytes: int,
    batch_rows: int,
) -> tuple[dict[str, Any], int, np.ndarray]:
    """The whole-file pass: column types, number of rows, and the rows whose id occurs in more
    than one batch (0-based; loaded together last). An empty file is refused."""
    from crlm_outcomes.errors import EmptyFileError

    tmp = Path(tempfile.mkdtemp(prefix="crlm_batched_"))
    try:
        ids_file = tmp / "ids.parquet"
        types, n_rows = _type_pass(
            path,
            delimiter,
            encoding,
            cols.include,
            cols.text,
            cols.id_col,
            block_bytes,
            batch_rows,
            ids_file,
            cols.raw_names,
        )
        if n_rows == 0:
            raise EmptyFileError("the file has no data rows", file=str(path))
        moved = _cross_batch_rows(ids_file) if cols.id_col is not None else np.zeros(0, np.int64)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return types, n_rows, moved


def _parts(reader: Any, batch_rows: int, moved: np.ndarray) -> Iterator[tuple[Any, np.ndarray]]:
    """``(table, 0-based file rows)`` of each part to load: the stream cut into
    ``batch_rows``-row batches less the ``moved`` rows, then those rows together last."""
    import pyarrow as pa

    held: list[Any] = []  # rows of ids seen in several batches, loaded last
    held_rows: list[np.ndarray] = []
    pending: list[Any] = []
    pending_n = 0
    start = 0

    def cut() -> Iterator[tuple[Any, np.ndarray]]:
        table = pa.Table.from_batches(pending)
        rows = np.arange(start, start + pending_n, dtype=np.int64)
        hold = np.isin(rows, moved, assume_unique=True) if moved.size else None
        if hold is not None and hold.any():
            held.append(table.filter(pa.array(hold)))
            held_rows.append(rows[hold])
            table = table.filter(pa.array(~hold))
            rows = rows[~hold]
        if table.num_rows:
            yield table, rows

    for batch in reader:
        while batch.num_rows:
            take = min(batch.num_rows, batch_rows - pending_n)
            pending.append(batch.slice(0, take))
            pending_n += take
            batch = batch.slice(take)
            if pending_n == batch_rows:
                yield from cut()
                start += pending_n
                pending, pending_n = [], 0
    if pending_n:
        yield from cut()
    if held:
        yield pa.concat_tables(held).combine_chunks(), np.concatenate(held_rows)


@dataclass
class _PartWriter:
    """Loads each part with the ordinary loader and writes its rows, quarantine records and
    invalid cells; keeps the per-batch counts and the distinct warnings raised."""

    raw_table: Callable[[Any], RawTable]  # a pyarrow table of the part -> its RawTable
    prof: Profile
    opts: dict[str, Any]
    schema: SchemaDefinition
    out: Path
    qdir: Path
    records: list[dict[str, Any]] = field(default_factory=list)
    seen_warnings: dict[tuple[str, type], Warning | str] = field(default_factory=dict)

    def load(self, table: Any, global_rows: np.ndarray, k: int) -> None:
        from crlm_outcomes.io.load import load_raw

        table = table.rename_columns([str(c).strip() for c in table.column_names])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            cohort = load_raw(self.raw_table(table), self.prof, dict(self.opts), self.schema)
        for w in caught:
            self.seen_warnings.setdefault((str(w.message), w.category), w.message)
        data = _renumber(cohort.data, global_rows)
        quar = _renumber(cohort.audit.quarantine, global_rows)
        invalid = _renumber(cohort.audit.invalid_cells, global_rows)
        _write(data, self.out / f"part-{k:05d}.parquet")
        if len(quar):
            _write(_text_frame(quar), self.qdir / f"part-{k:05d}.parquet")
        if len(invalid):
            _write(_text_frame(invalid), self.qdir / "invalid_cells" / f"part-{k:05d}.parquet")
        a = cohort.audit
        self.records.append(
            {
                "batch": k,
                "rows_in": a.rows_in,
                "rows_loaded": a.rows_loaded,
                "rows_quarantined": a.rows_quarantined,
            }
        )


def _audit_record(
    path: Path,
    digest: str,
    prof: Profile,
    out: Path,
    qdir: Path,
    batch_rows: int,
    n_moved: int,
    records: list[dict[str, Any]],
) -> dict[str, Any]:
    """The JSON audit of a batched load (totals checked against the first pass by the caller)."""
    batches = pd.DataFrame(records)
    return {
        "description": (
            "Audit of a batched load: every row of the source is either loaded "
            f"(in {out.name}/) or quarantined (in {qdir.name}/, one record per "
            "reason, source_row numbered in the whole file)."
        ),
        "source": str(path),
        "source_sha256": digest,
        "profile": prof.name,
        "profile_sha256": prof.sha256,
        "batch_rows": batch_rows,
        "rows_in": int(batches["rows_in"].sum()),
        "rows_loaded": int(batches["rows_loaded"].sum()),
        "rows_quarantined": int(batches["rows_quarantined"].sum()),
        "rows_of_ids_in_several_batches": n_moved,
        "batches": records,
    }


def load_batched(
    source: str | Path,
    prof: Profile,
    opts: dict[str, Any],
    out: str | Path,
    *,
    batch_rows: int = 1_000_000,
) -> CohortDataset:
    """The batched load behind ``load_cohort(..., out=...)`` (see the module docstring).

    Call :func:`crlm_outcomes.load_cohort` with ``out=`` instead: it resolves the profile and
    checks the options before calling this.

    Parameters
    ----------
    source : str or pathlib.Path
        A delimited file (``.csv``, ``.tsv``, ``.txt``); other sources are refused.
    prof : Profile
        The resolved mapping profile (:func:`crlm_outcomes.io.profile.resolve_profile`).
    opts : dict
        Checked load options: every key of :data:`crlm_outcomes.io.load.LOAD_OPTIONS`
        (``delimiter`` and ``encoding`` override the profile's reader options when not None).
    out : str or pathlib.Path
        The dataset directory to write; ``<out>_quarantine/`` and ``<out>_audit.json`` are
        written beside it.
    batch_rows : int, default 1_000_000
        Rows loaded at a time (memory is bounded by it, not by the file size).

    Returns
    -------
    CohortDataset
        The paths written and the row counts, in total and per batch (``rows_in ==
        rows_loaded + rows_quarantined``, checked against the rows of the file).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from crlm_outcomes.datasets import synthetic_frame
    >>> from crlm_outcomes.io.batched import load_batched
    >>> from crlm_outcomes.io.load import LOAD_OPTIONS
    >>> from crlm_outcomes.io.profile import resolve_profile
    >>> frame = synthetic_frame(8, seed=1)
    >>> frame.loc[2, "age_at_diagnosis"] = 250.0
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     folder = pathlib.Path(tmp)
    ...     frame.to_csv(folder / "export.csv", index=False)
    ...     ds = load_batched(folder / "export.csv", resolve_profile("canonical"),
    ...                       dict(LOAD_OPTIONS), folder / "cohort", batch_rows=8)
    ...     parts = sorted(p.name for p in ds.path.iterdir())
    ...     beside = ds.quarantine_path.name, ds.audit_path.name
    >>> ds.rows_in, ds.rows_loaded, ds.rows_quarantined
    (8, 7, 1)
    >>> parts, beside
    (['part-00000.parquet'], ('cohort_quarantine', 'cohort_audit.json'))
    """
    from crlm_outcomes.io.readers import RawTable, file_sha256
    from crlm_outcomes.schema.definition import canonical_definition

    path, kind = _source_file(source, batch_rows)
    out, qdir, audit_path = _output_paths(out)
    delimiter = (
        opts.get("delimiter") or prof.reader.get("delimiter") or ("," if kind == "csv" else "\t")
    )
    encoding = opts.get("encoding") or prof.reader.get("encoding") or "utf8"
    schema = canonical_definition()
    cols = _columns(path, delimiter, encoding, prof, schema)
    block_bytes = BLOCK_BYTES
    digest = file_sha256(path)
    out.mkdir(parents=True, exist_ok=True)
    qdir.mkdir(parents=True, exist_ok=True)
    (qdir / "invalid_cells").mkdir(exist_ok=True)
    types, n_rows, moved = _first_pass(path, delimiter, encoding, cols, block_bytes, batch_rows)

    writer = _PartWriter(
        raw_table=lambda table: RawTable(table, tuple(cols.names), str(path), kind, digest),
        prof=prof,
        opts=opts,
        schema=schema,
        out=out,
        qdir=qdir,
    )
    reader = _stream(path, delimiter, encoding, cols.include, types, block_bytes)
    for k, (table, rows) in enumerate(_parts(reader, batch_rows, moved)):
        writer.load(table, rows, k)
    for (_, category), message in writer.seen_warnings.items():
        warnings.warn(
            message, category if issubclass(category, Warning) else UserWarning, stacklevel=3
        )
    audit = _audit_record(
        path, digest, prof, out, qdir, batch_rows, int(moved.size), writer.records
    )
    if audit["rows_in"] != n_rows:
        raise CrlmError(
            f"audit invariant broken: {n_rows} rows read in the first pass, "
            f"{audit['rows_in']} loaded or quarantined in batches"
        )
    audit_path.write_text(json.dumps(audit, indent=1) + "\n", encoding="utf-8")
    return CohortDataset(
        path=out,
        quarantine_path=qdir,
        audit_path=audit_path,
        rows_in=audit["rows_in"],
        rows_loaded=audit["rows_loaded"],
        rows_quarantined=audit["rows_quarantined"],
        batches=pd.DataFrame(writer.records),
    )
