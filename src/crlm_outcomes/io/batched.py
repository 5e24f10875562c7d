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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes.errors import CrlmError, SpecError, UnreadableFileError
from crlm_outcomes.io.profile import Profile

__all__ = ["CohortDataset", "BLOCK_BYTES"]

#: Bytes of the file parsed at a time by the streaming reader (a batch is one or more blocks).
BLOCK_BYTES = 1 << 24


@dataclass(frozen=True)
class CohortDataset:
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
    """

    path: Path
    quarantine_path: Path
    audit_path: Path
    rows_in: int
    rows_loaded: int
    rows_quarantined: int
    batches: pd.DataFrame = field(repr=False)

    def __post_init__(self) -> None:
        if self.rows_in != self.rows_loaded + self.rows_quarantined:
            raise CrlmError(
                f"audit invariant broken: rows_in {self.rows_in} != rows_loaded "
                f"{self.rows_loaded} + rows_quarantined {self.rows_quarantined}"
            )

    def read(self, columns: list[str] | None = None) -> pd.DataFrame:
        """The loaded rows as one DataFrame, in source order (for data that fit in memory)."""
        frame = pd.read_parquet(self.path, columns=columns)
        if "source_row" in frame.columns:
            frame = frame.sort_values("source_row", kind="stable", ignore_index=True)
        return frame

    def quarantine(self) -> pd.DataFrame:
        """The quarantine records, in source-row order."""
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


def load_batched(
    source: str | Path,
    prof: Profile,
    opts: dict[str, Any],
    out: str | Path,
    *,
    batch_rows: int = 1_000_000,
) -> CohortDataset:
    """The batched load behind ``load_cohort(..., out=...)`` (see the module docstring)."""
    import pyarrow as pa

    from crlm_outcomes.io.load import load_raw
    from crlm_outcomes.io.readers import (
        SUPPORTED_SUFFIXES,
        RawTable,
        csv_header,
        file_sha256,
    )
    from crlm_outcomes.schema.definition import canonical_definition

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
    delimiter = (
        opts.get("delimiter") or prof.reader.get("delimiter") or ("," if kind == "csv" else "\t")
    )
    encoding = opts.get("encoding") or prof.reader.get("encoding") or "utf8"
    schema = canonical_definition()
    raw_names = csv_header(path, delimiter, encoding)
    names = [str(c).strip() for c in raw_names]
    wanted = {src for rule in prof.rules.values() for src in rule.sources}
    text_targets = {
        src
        for rule in prof.rules.values()
        if schema.columns[rule.target].dtype == "string" and rule.codes is None
        for src in rule.sources
    }
    include = [r for r, c in zip(raw_names, names, strict=True) if c in wanted]
    text = [r for r, c in zip(raw_names, names, strict=True) if c in text_targets]
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
    block_bytes = BLOCK_BYTES
    digest = file_sha256(path)
    out.mkdir(parents=True, exist_ok=True)
    qdir.mkdir(parents=True, exist_ok=True)
    (qdir / "invalid_cells").mkdir(exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="crlm_batched_"))
    try:
        ids_file = tmp / "ids.parquet"
        types, n_rows = _type_pass(
            path,
            delimiter,
            encoding,
            include,
            text,
            id_col,
            block_bytes,
            batch_rows,
            ids_file,
            raw_names,
        )
        if n_rows == 0:
            from crlm_outcomes.errors import EmptyFileError

            raise EmptyFileError("the file has no data rows", file=str(path))
        moved = _cross_batch_rows(ids_file) if id_col is not None else np.zeros(0, np.int64)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    records: list[dict[str, Any]] = []
    seen_warnings: dict[tuple[str, type], Warning | str] = {}
    held: list[Any] = []  # rows of ids seen in several batches, loaded last
    held_rows: list[np.ndarray] = []

    def load_part(table: Any, global_rows: np.ndarray, k: int) -> None:
        table = table.rename_columns([str(c).strip() for c in table.column_names])
        raw = RawTable(table, tuple(names), str(path), kind, digest)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            cohort = load_raw(raw, prof, dict(opts), schema)
        for w in caught:
            seen_warnings.setdefault((str(w.message), w.category), w.message)
        data = _renumber(cohort.data, global_rows)
        quar = _renumber(cohort.audit.quarantine, global_rows)
        invalid = _renumber(cohort.audit.invalid_cells, global_rows)
        _write(data, out / f"part-{k:05d}.parquet")
        if len(quar):
            _write(_text_frame(quar), qdir / f"part-{k:05d}.parquet")
        if len(invalid):
            _write(_text_frame(invalid), qdir / "invalid_cells" / f"part-{k:05d}.parquet")
        a = cohort.audit
        records.append(
            {
                "batch": k,
                "rows_in": a.rows_in,
                "rows_loaded": a.rows_loaded,
                "rows_quarantined": a.rows_quarantined,
            }
        )

    reader = _stream(path, delimiter, encoding, include, types, block_bytes)
    pending: list[Any] = []
    pending_n = 0
    start = 0
    k = 0

    def flush() -> None:
        nonlocal pending, pending_n, start, k
        if not pending_n:
            return
        table = pa.Table.from_batches(pending)
        rows = np.arange(start, start + pending_n, dtype=np.int64)
        hold = np.isin(rows, moved, assume_unique=True) if moved.size else None
        if hold is not None and hold.any():
            held.append(table.filter(pa.array(hold)))
            held_rows.append(rows[hold])
            table = table.filter(pa.array(~hold))
            rows = rows[~hold]
        if table.num_rows:
            load_part(table, rows, k)
            k += 1
        start += pending_n
        pending, pending_n = [], 0

    for batch in reader:
        while batch.num_rows:
            take = min(batch.num_rows, batch_rows - pending_n)
            pending.append(batch.slice(0, take))
            pending_n += take
            batch = batch.slice(take)
            if pending_n == batch_rows:
                flush()
    flush()
    if held:
        table = pa.concat_tables(held).combine_chunks()
        load_part(table, np.concatenate(held_rows), k)
    for (_, category), message in seen_warnings.items():
        warnings.warn(
            message, category if issubclass(category, Warning) else UserWarning, stacklevel=3
        )
    batches = pd.DataFrame(records)
    rows_in = int(batches["rows_in"].sum())
    if rows_in != n_rows:
        raise CrlmError(
            f"audit invariant broken: {n_rows} rows read in the first pass, "
            f"{rows_in} loaded or quarantined in batches"
        )
    loaded = int(batches["rows_loaded"].sum())
    quarantined = int(batches["rows_quarantined"].sum())
    audit = {
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
        "rows_in": rows_in,
        "rows_loaded": loaded,
        "rows_quarantined": quarantined,
        "rows_of_ids_in_several_batches": int(moved.size),
        "batches": records,
    }
    audit_path.write_text(json.dumps(audit, indent=1) + "\n", encoding="utf-8")
    return CohortDataset(
        path=out,
        quarantine_path=qdir,
        audit_path=audit_path,
        rows_in=rows_in,
        rows_loaded=loaded,
        rows_quarantined=quarantined,
        batches=batches,
    )
