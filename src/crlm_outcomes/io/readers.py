"""Read a source table (file or DataFrame) into a raw DataFrame, with its identity.

Supported: CSV / TSV / TXT (pyarrow's multithreaded CSV reader: several times faster than
``pandas.read_csv``), Parquet, Excel ``.xlsx``/``.xlsm`` (openpyxl), SAS ``.sas7bdat``, Stata
``.dta`` and SPSS ``.sav``/``.zsav`` (pyreadstat), or an in-memory ``pandas.DataFrame``.

Every problem with the file as a whole is an :class:`~crlm_outcomes.errors.InputError` naming the
file: :class:`~crlm_outcomes.errors.UnreadableFileError` (missing, unsupported suffix, cannot be
parsed) or :class:`~crlm_outcomes.errors.EmptyFileError` (no data rows). The raw bytes are hashed
(SHA-256) for the provenance; a DataFrame gets a stable content hash instead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes.errors import EmptyFileError, UnreadableFileError

__all__ = ["RawTable", "read_source", "frame_sha256", "file_sha256", "SUPPORTED_SUFFIXES"]

SUPPORTED_SUFFIXES = {
    ".csv": "csv", ".tsv": "tsv", ".txt": "tsv", ".parquet": "parquet", ".pq": "parquet",
    ".xlsx": "excel", ".xlsm": "excel", ".sas7bdat": "sas", ".dta": "stata", ".sav": "spss",
    ".zsav": "spss",
}


@dataclass(frozen=True)
class RawTable:
    """A source table as read, before any mapping.

    Attributes
    ----------
    frame
        The cells as read (RangeIndex; row ``i`` is source data row ``i + 1``).
    label
        File path, or ``"<DataFrame>"``.
    kind
        Reader used (csv, tsv, parquet, excel, sas, stata, spss, dataframe).
    digest
        SHA-256 of the file bytes (or :func:`frame_sha256` of a DataFrame), or a future of it:
        a file is hashed in a background thread after it has been parsed, so the hash uses the
        core that single-threaded mapping leaves idle. Read it through :attr:`sha256`.
    """

    frame: pd.DataFrame
    label: str
    kind: str
    digest: str | Future = field(repr=False)

    @property
    def sha256(self) -> str:
        """The SHA-256 hex digest (waits for the background hash if needed)."""
        return self.digest if isinstance(self.digest, str) else self.digest.result()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _hash_unchanged(path: Path, size: int, mtime_ns: int) -> str:
    """SHA-256 of a file that must not have changed since it was read (else the provenance
    would name bytes that were not loaded)."""
    digest = file_sha256(path)
    after = path.stat()
    if (after.st_size, after.st_mtime_ns) != (size, mtime_ns):
        raise UnreadableFileError("the file changed while it was being loaded", file=str(path))
    return digest


def frame_sha256(frame: pd.DataFrame) -> str:
    """A stable content hash of a DataFrame: column names, dtypes and values, row order kept."""
    h = hashlib.sha256()
    h.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    try:
        rows = pd.util.hash_pandas_object(frame.reset_index(drop=True), index=False)
    except TypeError:  # unhashable cells (lists, dicts): hash their text instead
        rows = pd.util.hash_pandas_object(frame.reset_index(drop=True).astype(str), index=False)
    h.update(np.ascontiguousarray(rows.to_numpy(dtype="uint64")).tobytes())
    return h.hexdigest()


def _read_csv(path: Path, delimiter: str, encoding: str,
              text_columns: Sequence[str] = ()) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    read = pacsv.ReadOptions(encoding=encoding)
    parse = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=False)
    # Missing markers are handled by the profile (so they can be counted), not by pyarrow:
    # only truly empty cells are null here.
    # Low-cardinality text (codes) is dictionary-encoded while reading, so it arrives as a pandas
    # Categorical and every distinct code is parsed once.
    # Columns read as text stay text (identifiers keep leading zeros: MRN "000123").
    convert = pacsv.ConvertOptions(null_values=[""], strings_can_be_null=True,
                                   quoted_strings_can_be_null=True, auto_dict_encode=True,
                                   auto_dict_max_cardinality=1000,
                                   column_types={c: pa.string() for c in text_columns})
    try:
        table = pacsv.read_csv(path, read_options=read, parse_options=parse,
                               convert_options=convert)
    except (pa.ArrowInvalid, pa.ArrowException, UnicodeDecodeError) as exc:
        if "Empty CSV file" in str(exc):
            raise EmptyFileError("the file is empty (no header, no rows)", file=str(path)) from exc
        raise UnreadableFileError(f"cannot parse the file as delimited text: {exc}",
                                  file=str(path)) from exc
    # text stays Arrow-backed (pandas "string[pyarrow]"): trimming, case folding and matching
    # then run in Arrow's vectorised kernels instead of Python loops.
    mapping = {pa.string(): pd.StringDtype("pyarrow"), pa.large_string(): pd.StringDtype("pyarrow")}
    return table.to_pandas(split_blocks=True, self_destruct=True, types_mapper=mapping.get)


def _read_file(path: Path, kind: str, options: dict[str, Any]) -> pd.DataFrame:
    label = str(path)
    encoding = options.get("encoding") or "utf8"
    try:
        text = options.get("text_columns") or ()
        if kind == "csv":
            return _read_csv(path, options.get("delimiter") or ",", encoding, text)
        if kind == "tsv":
            return _read_csv(path, options.get("delimiter") or "\t", encoding, text)
        if kind == "parquet":
            return pd.read_parquet(path)
        if kind == "excel":
            sheet = options.get("sheet", 0)
            return pd.read_excel(path, sheet_name=0 if sheet is None else sheet, engine="openpyxl")
        import pyreadstat

        if kind == "sas":
            frame, _ = pyreadstat.read_sas7bdat(str(path))
        elif kind == "stata":
            frame, _ = pyreadstat.read_dta(str(path))
        else:
            frame, _ = pyreadstat.read_sav(str(path))
        return frame
    except (EmptyFileError, UnreadableFileError):
        raise
    except Exception as exc:  # noqa: BLE001 - any reader failure is an unreadable file
        raise UnreadableFileError(
            f"cannot read the file as {kind}: {type(exc).__name__}: {exc}", file=label
        ) from exc


def read_source(source: str | Path | pd.DataFrame, **options: Any) -> RawTable:
    """Read ``source`` into a :class:`RawTable`.

    Parameters
    ----------
    source
        A path (the suffix picks the reader, see :data:`SUPPORTED_SUFFIXES`) or a DataFrame.
    **options
        ``delimiter``, ``encoding``, ``text_columns`` (columns of a delimited file to keep as
        text rather than infer as numbers), ``sheet`` (Excel).

    Raises
    ------
    UnreadableFileError
        The path does not exist, is not a file, has an unsupported suffix, or cannot be parsed.
    EmptyFileError
        No data rows.
    """
    if isinstance(source, pd.DataFrame):
        frame = source.copy(deep=False)  # never relabel the caller's frame; cells are shared
        frame.index = pd.RangeIndex(len(frame))
        if frame.columns.duplicated().any():
            dup = sorted(set(map(str, frame.columns[frame.columns.duplicated()])))
            raise UnreadableFileError(f"duplicate column name(s) {dup}", file="<DataFrame>")
        frame.columns = [str(c) for c in frame.columns]
        if len(frame) == 0:
            raise EmptyFileError("the DataFrame has no rows", file="<DataFrame>")
        return RawTable(frame, "<DataFrame>", "dataframe", frame_sha256(frame))
    if not isinstance(source, (str, Path)):
        raise UnreadableFileError(
            f"cannot load a {type(source).__name__}",
            expected="a file path or a pandas DataFrame",
        )
    path = Path(source).expanduser()
    label = str(path)
    if not path.exists():
        raise UnreadableFileError("no such file", file=label)
    if not path.is_file():
        raise UnreadableFileError("not a regular file", file=label)
    kind = SUPPORTED_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise UnreadableFileError(
            f"unsupported file type {path.suffix!r}", file=label,
            expected=f"one of {sorted(SUPPORTED_SUFFIXES)}",
        )
    if path.stat().st_size == 0:
        raise EmptyFileError("the file is empty (0 bytes)", file=label)
    before = path.stat()
    frame = _read_file(path, kind, options)
    pool = ThreadPoolExecutor(max_workers=1)  # hashlib releases the GIL on large blocks
    digest = pool.submit(_hash_unchanged, path, before.st_size, before.st_mtime_ns)
    pool.shutdown(wait=False)
    frame.columns = [str(c).strip() for c in frame.columns]
    if pd.Index(frame.columns).duplicated().any():
        dup = sorted(set(pd.Index(frame.columns)[pd.Index(frame.columns).duplicated()]))
        raise UnreadableFileError(f"duplicate column name(s) {dup}", file=label)
    if len(frame) == 0:
        raise EmptyFileError("the file has a header but no data rows", file=label)
    if not frame.index.equals(pd.RangeIndex(len(frame))):
        frame = frame.reset_index(drop=True)
    return RawTable(frame, label, kind, digest)
