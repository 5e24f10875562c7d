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
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes.errors import EmptyFileError, UnreadableFileError

__all__ = [
    "RawTable",
    "read_source",
    "frame_sha256",
    "file_sha256",
    "SUPPORTED_SUFFIXES",
    "arrow_column_to_pandas",
]

#: Most distinct values per 1 MiB block for which a text column is dictionary-encoded on reading.
_DICT_MAX_CARDINALITY = 1 << 15

SUPPORTED_SUFFIXES = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".txt": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".sas7bdat": "sas",
    ".dta": "stata",
    ".sav": "spss",
    ".zsav": "spss",
}


#: pandas dtypes of Arrow text: kept Arrow-backed (pandas "string[pyarrow]"), so trimming, case
#: folding and matching run in Arrow's vectorised kernels instead of Python loops.
_ARROW_TEXT = {"string": pd.StringDtype("pyarrow"), "large_string": pd.StringDtype("pyarrow")}


def arrow_column_to_pandas(column: Any) -> pd.Series:
    """One Arrow column as a pandas Series (RangeIndex): dictionary-encoded text becomes a
    Categorical, text stays Arrow-backed, numbers become numpy arrays.

    Parameters
    ----------
    column
        A ``pyarrow.ChunkedArray`` (or ``Array``), e.g. one column of the Arrow table a
        delimited file is read into.

    Returns
    -------
    pandas.Series
        ``category`` for dictionary-encoded text, ``string`` (Arrow-backed, missing as
        ``<NA>``) for plain text, a numpy dtype (``float64``, ``int64``, ...) for numbers.

    Examples
    --------
    >>> import pyarrow as pa
    >>> sites = arrow_column_to_pandas(pa.chunked_array([["liver", "lung", "liver"]]).dictionary_encode())
    >>> str(sites.dtype), sites.tolist()
    ('category', ['liver', 'lung', 'liver'])
    >>> text = arrow_column_to_pandas(pa.chunked_array([["KRAS G12D", None]]))
    >>> str(text.dtype), text.tolist()
    ('string', ['KRAS G12D', <NA>])
    """
    return column.to_pandas(types_mapper=lambda t: _ARROW_TEXT.get(str(t)), use_threads=False)


@dataclass(frozen=True)
class RawTable:
    """A source table as read, before any mapping.

    Attributes
    ----------
    data
        The cells as read: a DataFrame, or for a delimited file the Arrow table, whose columns
        are converted to pandas one at a time by :meth:`column` (in the loader's worker threads,
        and only those the profile uses). Row ``i`` is source data row ``i + 1``. A delimited
        file read with ``columns=`` holds only those of them that it has.
    columns
        Every column name of the source (trimmed), in file order, read or not.
    label
        File path, or ``"<DataFrame>"``.
    kind
        Reader used (csv, tsv, parquet, excel, sas, stata, spss, dataframe).
    digest
        SHA-256 of the file bytes (or :func:`frame_sha256` of a DataFrame); for a file, a
        future of it (hashed in a background thread) or, when read with ``hash_file="later"``,
        the function that computes it, for the caller to run when a core is free. Read it
        through :attr:`sha256`.
    bad_rows
        Rows of a delimited file that could not be split into the header's cells (ragged rows,
        a cell over :data:`MAX_CELL_CHARS`, a value under a column without a header): their
        cells are all missing here and the loader quarantines them. Columns ``row`` (0-based
        data row), ``line`` (1-based line of the file), ``reason``; None when there is none.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = read_source(pd.DataFrame({"patient_id": ["P1", "P2", "P3"], "age": [64, 71, 58]}))
    >>> raw.label, raw.kind, raw.columns, raw.n_rows
    ('<DataFrame>', 'dataframe', ('patient_id', 'age'), 3)
    >>> raw.column("age").tolist(), len(raw.sha256)
    ([64, 71, 58], 64)
    """

    data: Any = field(repr=False)
    columns: tuple[str, ...]
    label: str
    kind: str
    digest: str | Future | Callable[[], str] = field(repr=False)
    bad_rows: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def sha256(self) -> str:
        """The SHA-256 hex digest (waits for, or computes, the hash if needed)."""
        if isinstance(self.digest, str):
            return self.digest
        if isinstance(self.digest, Future):
            return self.digest.result()
        return self.digest()

    @property
    def n_rows(self) -> int:
        """Number of data rows."""
        return len(self.data) if isinstance(self.data, pd.DataFrame) else self.data.num_rows

    def column(self, name: str) -> pd.Series:
        """Column ``name`` as a pandas Series with a RangeIndex.

        Parameters
        ----------
        name : str
            A column that was read (one of :attr:`columns`; a delimited file read with
            ``columns=`` holds only those).

        Returns
        -------
        pandas.Series
            The cells as read (numbers as numbers, text as pandas text); for a delimited
            file converted from its Arrow column on each call.

        Examples
        --------
        >>> import pathlib, tempfile
        >>> from crlm_outcomes.io.readers import read_source
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     path = pathlib.Path(tmp) / "export.csv"
        ...     _ = path.write_text("patient_id,age\\nP1,64\\nP2,71\\n", encoding="utf-8")
        ...     raw = read_source(path)
        ...     ages = raw.column("age")
        >>> ages.tolist(), len(ages.index), raw.kind
        ([64, 71], 2, 'csv')
        """
        if isinstance(self.data, pd.DataFrame):
            return self.data[name]
        return arrow_column_to_pandas(self.data.column(name))

    @property
    def frame(self) -> pd.DataFrame:
        """Every column read, as one DataFrame."""
        if isinstance(self.data, pd.DataFrame):
            return self.data
        return pd.DataFrame({name: self.column(name) for name in self.data.column_names})


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB blocks.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    str
        The hexadecimal SHA-256 digest (64 characters), as ``sha256sum`` prints it.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "export.csv"
    ...     _ = path.write_bytes(b"MRN,Age,Sex\\nA1,64,M\\nA2,71,F\\nA3,,F\\n")
    ...     file_sha256(path)
    '541d404564fc8b9d530373d62138e103b78e43b6adad42f1b0d4c6a3b3c85ce4'
    """
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
    """A stable content hash of a DataFrame: column names, dtypes and values, row order kept.

    Parameters
    ----------
    frame
        Any DataFrame (its index is ignored; unhashable cells are hashed as text).

    Returns
    -------
    str
        A hexadecimal SHA-256 digest (64 characters): the same for a frame with the same
        columns, dtypes and values in the same order, whatever its index. The dtype names are
        part of it, so the value can differ between pandas versions.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"patient_id": ["P1", "P2", "P3"], "age": [64, 71, 58]})
    >>> frame_sha256(frame) == frame_sha256(frame.set_index("patient_id", drop=False))
    True
    >>> frame_sha256(frame) == frame_sha256(frame.iloc[::-1])  # row order matters
    False
    """
    h = hashlib.sha256()
    h.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    try:
        rows = pd.util.hash_pandas_object(frame.reset_index(drop=True), index=False)
    except TypeError:  # unhashable cells (lists, dicts): hash their text instead
        rows = pd.util.hash_pandas_object(frame.reset_index(drop=True).astype(str), index=False)
    h.update(np.ascontiguousarray(rows.to_numpy(dtype="uint64")).tobytes())
    return h.hexdigest()


def _csv_options(delimiter: str, encoding: str) -> tuple[Any, Any]:
    import pyarrow.csv as pacsv

    return (
        pacsv.ReadOptions(encoding=encoding),
        pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=False),
    )


def _csv_failure(path: Path, exc: Exception) -> UnreadableFileError | EmptyFileError:
    if "Empty CSV file" in str(exc):
        return EmptyFileError("the file is empty (no header, no rows)", file=str(path))
    return UnreadableFileError(f"cannot parse the file as delimited text: {exc}", file=str(path))


def _csv_header(path: Path, delimiter: str, encoding: str) -> list[str]:
    """The column names of a delimited file, as pyarrow parses them (first block only).

    Public as ``csv_header`` (the batched loader reads the header before streaming).

    Parameters
    ----------
    path : pathlib.Path
        The delimited file.
    delimiter : str
        The field delimiter (``","``, ``"\\t"``, ...).
    encoding : str
        The text encoding (``"utf8"``, ``"latin1"``, ...).

    Returns
    -------
    list of str
        The header's names in file order, untrimmed.

    Raises
    ------
    EmptyFileError
        The file is empty.
    UnreadableFileError
        The file cannot be parsed as delimited text in that encoding.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from crlm_outcomes.io.readers import csv_header
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pathlib.Path(tmp) / "export.tsv"
    ...     _ = path.write_text("patient_id\\tage\\tsex\\nP1\\t64\\tF\\n", encoding="utf-8")
    ...     names = csv_header(path, "\\t", "utf8")
    >>> names
    ['patient_id', 'age', 'sex']
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    read, parse = _csv_options(delimiter, encoding)
    try:
        with pacsv.open_csv(path, read_options=read, parse_options=parse) as reader:
            return list(reader.schema.names)
    except (pa.ArrowInvalid, pa.ArrowException, UnicodeDecodeError) as exc:
        raise _csv_failure(path, exc) from exc


def _read_csv(
    path: Any,
    delimiter: str,
    encoding: str,
    text_columns: Sequence[str] = (),
    include: Sequence[str] | None = None,
) -> Any:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    read, parse = _csv_options(delimiter, encoding)
    if not isinstance(path, Path):  # repaired text (UTF-8 in memory; rows up to the cell cap)
        read = pacsv.ReadOptions(encoding="utf8", block_size=1 << 26)
    # Missing markers are handled by the profile (so they can be counted), not by pyarrow:
    # only truly empty cells are null here.
    # Text is dictionary-encoded while reading (in pyarrow's reader threads), so it arrives as a
    # pandas Categorical and every distinct value is parsed once; the per-block cardinality
    # limit only keeps near-unique text (free text, not codes, dates or lab values) plain.
    # Columns read as text stay text (identifiers keep leading zeros: MRN "000123").
    # ``include``: only the columns the profile uses are converted.
    convert = pacsv.ConvertOptions(
        null_values=[""],
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
        auto_dict_encode=True,
        auto_dict_max_cardinality=_DICT_MAX_CARDINALITY,
        column_types={c: pa.string() for c in text_columns},
        include_columns=None if include is None else list(include),
    )
    try:
        table = pacsv.read_csv(
            path, read_options=read, parse_options=parse, convert_options=convert
        )
    except (pa.ArrowInvalid, pa.ArrowException, UnicodeDecodeError) as exc:
        raise _csv_failure(path, exc) from exc
    return table.rename_columns([str(c).strip() for c in table.column_names])


def _duplicate_names_error(names: Sequence[str], label: str) -> UnreadableFileError | None:
    index = pd.Index(names)
    if not index.duplicated().any():
        return None
    return UnreadableFileError(
        f"duplicate column name(s) {sorted(set(index[index.duplicated()]))}", file=label
    )


def _read_delimited(
    path: Path, delimiter: str, encoding: str, options: dict[str, Any]
) -> tuple[Any, list[str], pd.DataFrame | None]:
    """A delimited file: its header first, then only the columns asked for (``columns``, by
    trimmed name; all when not given) converted. A file with malformed rows (or trailing
    columns without a header) is read through :func:`_repair_delimited` instead of failing."""
    source: Any = path
    bad = None
    try:
        raw_names = _csv_header(path, delimiter, encoding)
    except UnreadableFileError as exc:
        if not _repairable(exc):
            raise
        raw_names = [""]  # repaired below
    if raw_names and raw_names[-1].strip() == "" or not raw_names:
        source, raw_names, bad = _repair_delimited(path, delimiter, encoding)
    names = [str(c).strip() for c in raw_names]
    error = _duplicate_names_error(names, str(path))
    if error is not None:
        raise error
    wanted = options.get("columns")
    wanted = set(names) if wanted is None else set(wanted)
    text = set(options.get("text_columns") or ())
    include = [r for r, c in zip(raw_names, names, strict=True) if c in wanted]
    text_raw = [r for r, c in zip(raw_names, names, strict=True) if c in text]
    try:
        table = _read_csv(source, delimiter, encoding, text_raw, include)
    except UnreadableFileError as exc:
        if bad is not None or not _repairable(exc):
            raise
        source, raw_names, bad = _repair_delimited(path, delimiter, encoding)
        table = _read_csv(source, delimiter, encoding, text_raw, include)
    return table, names, bad


#: Longest cell accepted in a delimited file (characters); a row holding a longer one is
#: quarantined (a runaway quote or a pasted document, not a registry value).
MAX_CELL_CHARS = 1_000_000
_REPAIRABLE = ("Expected ", "straddling", "block size", "columns, got")


def _repairable(exc: Exception) -> bool:
    """A parse failure caused by one row (not by the encoding or an empty file)."""
    cause = exc.__cause__
    text = f"{exc} {cause}"
    return any(t in text for t in _REPAIRABLE) and not isinstance(cause, UnicodeDecodeError)


def _repair_delimited(
    path: Path, delimiter: str, encoding: str
) -> tuple[Any, list[str], pd.DataFrame | None]:
    """Re-read a delimited file row by row: rows that do not fit the header (too few or too
    many fields, a cell over :data:`MAX_CELL_CHARS`, a value under a trailing column without
    a header) are kept as all-missing rows and listed with their line number, so that the
    loader quarantines them and loads the rest. Returns the cleaned text (for the Arrow
    reader), the header and the bad rows."""
    import codecs
    import csv
    import io

    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise UnreadableFileError(
            "unknown text encoding",
            file=str(path),
            value=encoding,
            expected="a Python/Arrow encoding name such as utf8, latin1, cp1252",
        ) from None
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    bad: list[tuple[int, int, str]] = []
    try:
        with path.open("r", encoding=codec, newline="") as fh:
            reader = csv.reader(fh, delimiter=delimiter)
            header = next(reader, None)
            if header is None:
                raise EmptyFileError("the file is empty (no header, no rows)", file=str(path))
            full_width = width = len(header)
            while width > 1 and header[width - 1].strip() == "":
                width -= 1
            header = header[:width]
            writer.writerow(header)
            row_no = 0
            for cells in reader:
                if not cells:  # a blank line: Arrow skips it too
                    continue
                line = reader.line_num
                why = None
                if len(cells) < len(header) or len(cells) > full_width:
                    why = f"{len(cells)} fields where the header has {full_width}"
                elif any(c.strip() for c in cells[len(header) :]):
                    extra = next(c for c in cells[len(header) :] if c.strip())
                    why = f"a value under a column without a header ({extra[:40]!r})"
                else:
                    long = [
                        i for i, c in enumerate(cells[: len(header)]) if len(c) > MAX_CELL_CHARS
                    ]
                    if long:
                        why = (
                            f"a cell of {len(cells[long[0]]):,} characters in column "
                            f"{header[long[0]]!r} (at most {MAX_CELL_CHARS:,})"
                        )
                if why is None:
                    writer.writerow(cells[: len(header)])
                else:
                    bad.append((row_no, line, why))
                    writer.writerow([""] * len(header))
                row_no += 1
    except UnicodeDecodeError as exc:
        raise UnreadableFileError(
            f"cannot decode the file as {encoding}: {exc.reason}",
            file=str(path),
            expected="the encoding of the file (reader: {encoding: ...} in the profile)",
        ) from exc
    frame = pd.DataFrame(bad, columns=["row", "line", "reason"]) if bad else None
    return io.BytesIO(out.getvalue().encode("utf-8")), header, frame


def _read_file(
    path: Path, kind: str, options: dict[str, Any]
) -> tuple[Any, list[str], pd.DataFrame | None]:
    """(the cells: a DataFrame, or an Arrow table for a delimited file; every column name)"""
    label = str(path)
    encoding = options.get("encoding") or "utf8"
    try:
        if kind in ("csv", "tsv"):
            return _read_delimited(
                path,
                options.get("delimiter") or ("," if kind == "csv" else "\t"),
                encoding,
                options,
            )
        frame = _read_other(path, kind, options)
        bad = _excel_blank_cells(path, options, frame) if kind == "excel" else None
        return frame, [str(c).strip() for c in frame.columns], bad
    except (EmptyFileError, UnreadableFileError):
        raise
    except Exception as exc:  # noqa: BLE001 - any reader failure is an unreadable file
        raise UnreadableFileError(
            f"cannot read the file as {kind}: {type(exc).__name__}: {exc}", file=label
        ) from exc


def _excel_blank_cells(
    path: Path, options: dict[str, Any], frame: pd.DataFrame
) -> pd.DataFrame | None:
    """Cells pandas reads as blank although the sheet shows something: the non-anchor cells of
    a merged range (only its top-left cell holds the value) and formula cells saved without a
    computed value. Guessing their values is not allowed, so each is listed (row, Excel cell,
    column, reason) for the loader to quarantine the row."""
    import openpyxl

    sheet = options.get("sheet")
    sheet = 0 if sheet is None else sheet
    wb_f = openpyxl.load_workbook(path, data_only=False)
    wb_v = openpyxl.load_workbook(path, data_only=True)
    try:
        name = wb_f.sheetnames[sheet] if isinstance(sheet, int) else str(sheet)
        ws_f, ws_v = wb_f[name], wb_v[name]
        headers = {c.column: str(c.value).strip() for c in ws_f[1] if c.value is not None}
        wanted = options.get("columns")
        keep = set(headers.values()) if wanted is None else set(wanted)
        n = len(frame)
        rows: list[tuple[int, int, str, str]] = []
        for rng in ws_f.merged_cells.ranges:
            anchor = rng.start_cell.coordinate
            for r in range(max(rng.min_row, 2), rng.max_row + 1):
                for c in range(rng.min_col, rng.max_col + 1):
                    if (r, c) == (rng.min_row, rng.min_col) or headers.get(c) not in keep:
                        continue
                    if r - 2 < n:
                        rows.append(
                            (
                                r - 2,
                                r,
                                headers[c],
                                f"merged cell: the value is shown "
                                f"only in {anchor} ({rng.coord}); not copied",
                            )
                        )
        for row_f, row_v in zip(ws_f.iter_rows(min_row=2), ws_v.iter_rows(min_row=2), strict=False):
            for cf, cv in zip(row_f, row_v, strict=False):
                if cf.data_type == "f" and cv.value is None and headers.get(cf.column) in keep:
                    if cf.row - 2 < n:
                        rows.append(
                            (
                                cf.row - 2,
                                cf.row,
                                headers[cf.column],
                                f"formula {str(cf.value)[:60]!r} saved without a computed "
                                "value (open and save the file in Excel first)",
                            )
                        )
    finally:
        wb_f.close()
        wb_v.close()
    if not rows:
        return None
    return pd.DataFrame(rows, columns=["row", "line", "column", "reason"])


def _read_other(path: Path, kind: str, options: dict[str, Any]) -> pd.DataFrame:
    """Parquet, Excel, SAS, Stata or SPSS: the whole table."""
    if kind == "parquet":
        return pd.read_parquet(path)
    if kind == "excel":
        sheet = options.get("sheet", 0)
        return pd.read_excel(path, sheet_name=0 if sheet is None else sheet, engine="openpyxl")
    import pyreadstat

    # value labels are the file's own meaning of its codes (1 = "Male"): applied, so that a
    # labelled code is read as its label, never as a bare number
    if kind == "sas":
        frame, _ = pyreadstat.read_sas7bdat(str(path))
    elif kind == "stata":
        frame, _ = pyreadstat.read_dta(
            str(path), apply_value_formats=True, formats_as_category=False
        )
    else:
        frame, _ = pyreadstat.read_sav(
            str(path), apply_value_formats=True, formats_as_category=False
        )
    return frame


def read_source(source: str | Path | pd.DataFrame, **options: Any) -> RawTable:
    """Read ``source`` into a :class:`RawTable`.

    Parameters
    ----------
    source
        A path (the suffix picks the reader, see :data:`SUPPORTED_SUFFIXES`) or a DataFrame.
    **options
        ``delimiter``, ``encoding``, ``text_columns`` (columns of a delimited file to keep as
        text rather than infer as numbers), ``columns`` (the only columns of a delimited file
        to convert: a registry export may carry hundreds the profile does not use; the others
        are still listed in :attr:`RawTable.columns`), ``sheet`` (Excel), ``hash_file``
        (``"background"``, the default: the file is hashed in a background thread; ``"later"``:
        :attr:`RawTable.digest` is the function that hashes it, checking that the file has not
        changed since it was read).

    Returns
    -------
    RawTable
        The cells as read (text and numbers as the reader infers them, nothing mapped yet),
        every source column name, the reader used and the SHA-256 of the file (or the content
        hash of the DataFrame).

    Raises
    ------
    UnreadableFileError
        The path does not exist, is not a file, has an unsupported suffix, or cannot be parsed.
    EmptyFileError
        No data rows.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "export.csv"
    ...     _ = path.write_text("MRN,Age,Sex\\nA1,64,M\\nA2,71,F\\nA3,,F\\n", encoding="utf-8")
    ...     raw = read_source(path)
    ...     print(raw.kind, raw.columns, raw.n_rows)
    ...     print(raw.column("Age").tolist(), raw.column("Sex").tolist())
    csv ('MRN', 'Age', 'Sex') 3
    [64.0, 71.0, nan] ['M', 'F', 'F']
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
        return RawTable(
            frame, tuple(frame.columns), "<DataFrame>", "dataframe", frame_sha256(frame)
        )
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
            f"unsupported file type {path.suffix!r}",
            file=label,
            expected=f"one of {sorted(SUPPORTED_SUFFIXES)}",
        )
    if path.stat().st_size == 0:
        raise EmptyFileError("the file is empty (0 bytes)", file=label)
    before = path.stat()
    data, columns, bad_rows = _read_file(path, kind, options)
    hash_now: Callable[[], str] = partial(_hash_unchanged, path, before.st_size, before.st_mtime_ns)
    digest: Future | Callable[[], str] = hash_now
    if options.get("hash_file", "background") == "background":
        pool = ThreadPoolExecutor(max_workers=1)  # hashlib releases the GIL on large blocks
        digest = pool.submit(hash_now)
        pool.shutdown(wait=False)
    if isinstance(data, pd.DataFrame):  # (a delimited file's header is checked before reading)
        error = _duplicate_names_error(columns, label)
        if error is not None:
            raise error
        data.columns = [str(c).strip() for c in data.columns]
        if not data.index.equals(pd.RangeIndex(len(data))):
            data = data.reset_index(drop=True)
    raw = RawTable(data, tuple(columns), label, kind, digest, bad_rows)
    if raw.n_rows == 0:
        raise EmptyFileError("the file has a header but no data rows", file=label)
    return raw


#: Public names of the delimited-file reader's settings, for the batched loader.
DICT_MAX_CARDINALITY = _DICT_MAX_CARDINALITY
csv_header = _csv_header
