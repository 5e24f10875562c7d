"""Word (.docx) and Excel (.xlsx) export of the report's tables, and the report as a Word file.

Most clinical journals take manuscripts in Word, so every published table can be written as a
``.docx`` (one table, its caption above and its footnote below, booktabs-style rules, variable
rows with their levels indented) and the whole report as ``report.docx``: title, methods,
every section's text, figures (the same PNGs as the HTML page) and tables. Excel files carry the
same published strings for re-typesetting.

Word export needs python-docx (``pip install crlm_outcomes[word]``, a small pure-Python package
on lxml); Excel export uses openpyxl, already a dependency for reading Excel files. Both file
types are zip archives with creation dates inside: they are rewritten with fixed dates, so a
rebuild gives byte-identical files.
"""

from __future__ import annotations

import base64
import io
import re
import zipfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from crlm_outcomes.errors import OptionalDependencyError

__all__ = [
    "xml_text",
    "word_available",
    "docx_table",
    "write_table_docx",
    "write_report_docx",
    "write_table_xlsx",
    "deterministic_zip",
]

#: The date written into every document's properties (a fixed date keeps rebuilds identical).
FIXED_DATE = datetime(2000, 1, 1)
_BODY_PT = 10
_TABLE_PT = 8


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: Any) -> str:
    """``text`` as a string Word and Excel accept: control characters that XML 1.0 forbids
    (a NUL typed into a model name) and lone surrogates are dropped.

    Parameters
    ----------
    text
        Any value (converted with ``str``).

    Returns
    -------
    str
        The text without the characters XML 1.0 forbids (C0 controls other than tab, line
        feed and carriage return; surrogates; U+FFFE and U+FFFF).

    Examples
    --------
    >>> xml_text("model\\x00 a")
    'model a'
    """
    return _NOT_XML.sub("", str(text))


def word_available() -> bool:
    """True when python-docx can be imported.

    Returns
    -------
    bool
        Whether Word output (``docx`` table format, ``word_report``) can be written; tables
        in ``.docx`` are skipped with a note in the build otherwise.

    Examples
    --------
    >>> word_available()  # python-docx is installed (the [word] extra)
    True
    """
    try:
        import docx  # noqa: F401
    except ImportError:
        return False
    return True


def _docx() -> Any:
    try:
        import docx
    except ImportError as exc:
        raise OptionalDependencyError(
            "Word export needs python-docx: pip install 'crlm_outcomes[word]'"
        ) from exc
    return docx


def deterministic_zip(data: bytes, replace: dict[str, bytes] | None = None) -> bytes:
    """The zip archive ``data`` rewritten with every member dated 1980-01-01, in the same
    order, so that the same content always gives the same bytes; members named in
    ``replace`` get the given content instead.

    Parameters
    ----------
    data
        The bytes of a zip archive (a .docx or .xlsx file as saved).
    replace
        Member name -> new content of that member (default: none replaced).

    Returns
    -------
    bytes
        The rewritten archive: members deflated, dated 1980-01-01 00:00 and with mode 0600.

    Examples
    --------
    >>> import io, zipfile
    >>> def archive(date):
    ...     buf = io.BytesIO()
    ...     with zipfile.ZipFile(buf, "w") as z:
    ...         z.writestr(zipfile.ZipInfo("core.xml", date_time=date), b"<core/>")
    ...     return buf.getvalue()
    >>> a, b = archive((2024, 5, 1, 9, 0, 0)), archive((2025, 1, 2, 3, 4, 6))
    >>> a == b, deterministic_zip(a) == deterministic_zip(b)
    (False, True)
    >>> fixed = zipfile.ZipFile(io.BytesIO(deterministic_zip(a, {"core.xml": b"<new/>"})))
    >>> fixed.getinfo("core.xml").date_time, fixed.read("core.xml")
    ((1980, 1, 1, 0, 0, 0), b'<new/>')
    """
    replace = replace or {}
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, replace.get(info.filename) or src.read(info.filename))
    return out.getvalue()


def _set_border(cell: Any, **edges: str) -> None:
    """Set cell borders, e.g. ``top="single"``, ``bottom="single"`` (booktabs-like rules)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tc_pr = cell._tc.get_or_add_tcPr()
    borders = tc_pr.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        tc_pr.append(borders)
    for edge, size in edges.items():
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), size)
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), "000000")
        borders.append(el)


def _cell_text(
    cell: Any, text: str, *, bold: bool = False, indent: bool = False, align_right: bool = False
) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    para = cell.paragraphs[0]
    run = para.add_run(xml_text(text))
    run.bold = bold
    run.font.size = Pt(_TABLE_PT)
    fmt = para.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    if indent:
        fmt.left_indent = Pt(10)
    if align_right:
        para.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _grouped_rows(frame: pd.DataFrame) -> tuple[list[str], list[tuple[str, bool, bool, list]]]:
    """Header and rows ``(label, bold, indent, values)``: a frame with ``variable``/``level``
    columns becomes one label column with levels indented under bold variable rows."""
    if not {"variable", "level"} <= set(frame.columns):
        cols = [str(c) for c in frame.columns]
        return cols, [
            (str(r[0]), False, False, list(r[1:]))
            for r in frame.astype(str).itertuples(index=False)
        ]
    values = [c for c in frame.columns if c not in ("variable", "level")]
    levels = frame["level"].astype(str).tolist()
    rows = []
    for i, rec in enumerate(frame.astype(str).to_dict("records")):
        if levels[i] == "":
            has_levels = i + 1 < len(levels) and levels[i + 1] != ""
            rows.append((rec["variable"], has_levels, False, [rec[c] for c in values]))
        else:
            rows.append((rec["level"], False, True, [rec[c] for c in values]))
    return ["", *[str(c) for c in values]], rows


def docx_table(document: Any, frame: pd.DataFrame, caption: str = "", footnote: str = "") -> Any:
    """Add ``frame`` (published strings) to a python-docx ``document`` as a table with its
    caption above, rules under the header and at the foot, and its footnote below.

    A frame with ``variable`` and ``level`` columns (Table 1, regression tables) gets one
    label column: each variable in bold with its levels indented under it.

    Parameters
    ----------
    document
        A ``docx.Document``.
    frame
        The published table (cells are written as ``str``).
    caption
        Bold paragraph above the table (none when empty).
    footnote
        Small paragraph under the table (none when empty).

    Returns
    -------
    docx.table.Table
        The table added to ``document``.

    Examples
    --------
    >>> import docx
    >>> t1 = pd.DataFrame(
    ...     {"variable": ["Sex", "Sex", "Sex"], "level": ["", "Female", "Male"],
    ...      "Overall": ["", "10 (45.5)", "12 (54.5)"]}
    ... )
    >>> document = docx.Document()
    >>> table = docx_table(document, t1, caption="Table 1", footnote="n (%).")
    >>> [[c.text for c in row.cells] for row in table.rows]
    [['', 'Overall'], ['Sex', ''], ['Female', '10 (45.5)'], ['Male', '12 (54.5)']]
    >>> [p.text for p in document.paragraphs]
    ['Table 1', 'n (%).']
    """
    from docx.shared import Pt

    header, rows = _grouped_rows(frame)
    if caption:
        para = document.add_paragraph()
        run = para.add_run(xml_text(caption))
        run.bold = True
        run.font.size = Pt(_BODY_PT)
        para.paragraph_format.keep_with_next = True
    table = document.add_table(rows=1 + len(rows), cols=len(header))
    for j, name in enumerate(header):
        cell = table.rows[0].cells[j]
        _cell_text(cell, name, bold=True, align_right=j > 0)
        _set_border(cell, top="8", bottom="4")
    for i, (label, bold, indent, values) in enumerate(rows, start=1):
        cells = table.rows[i].cells
        _cell_text(cells[0], label, bold=bold, indent=indent)
        for j, v in enumerate(values, start=1):
            _cell_text(cells[j], v, align_right=True)
        if i == len(rows):
            for cell in cells:
                _set_border(cell, bottom="8")
    if footnote:
        para = document.add_paragraph()
        run = para.add_run(xml_text(footnote))
        run.font.size = Pt(_TABLE_PT)
    return table


def _new_document() -> Any:
    docx = _docx()
    from docx.shared import Pt

    document = docx.Document()
    style = document.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(_BODY_PT)
    props = document.core_properties
    props.author = "crlm_outcomes"
    props.created = props.modified = props.last_printed = FIXED_DATE
    props.revision = 1
    return document


def _save(document: Any, path: Path) -> Path:
    buf = io.BytesIO()
    document.save(buf)
    path.write_bytes(deterministic_zip(buf.getvalue()))
    return path


def write_table_docx(
    frame: pd.DataFrame, path: str | Path, caption: str = "", footnote: str = ""
) -> Path:
    """Write one published table as a Word document.

    The document's dates are fixed (:data:`FIXED_DATE`) and its zip members dated
    1980-01-01, so the same table always gives the same bytes.

    Parameters
    ----------
    frame
        The published table (as :func:`docx_table`).
    path
        Output file (``.docx``).
    caption, footnote
        Texts above and under the table (none when empty).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    OptionalDependencyError
        python-docx is not installed.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import docx
    >>> table = pd.DataFrame({"Group": ["Low", "High"], "n": ["120", "80"]})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     a = write_table_docx(table, Path(d) / "a.docx", "Fong groups")
    ...     b = write_table_docx(table, Path(d) / "b.docx", "Fong groups")
    ...     print(a.read_bytes() == b.read_bytes())
    ...     print([c.text for c in docx.Document(str(a)).tables[0].columns[1].cells])
    True
    ['n', '120', '80']
    """
    document = _new_document()
    docx_table(document, frame, caption, footnote)
    return _save(document, Path(path))


def write_table_xlsx(frame: pd.DataFrame, path: str | Path, caption: str = "") -> Path:
    """Write one published table as an Excel sheet (caption in the first row).

    Every cell is written as text (the published strings, masked counts included); the
    header row follows the caption after a blank row (or is the first row without a
    caption). Dates are fixed, so the same table always gives the same bytes.

    Parameters
    ----------
    frame
        The published table.
    path
        Output file (``.xlsx``).
    caption
        Bold text in cell A1 (none when empty).

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from openpyxl import load_workbook
    >>> table = pd.DataFrame({"Group": ["Low", "High"], "n": ["120", "<11"]})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = write_table_xlsx(table, Path(d) / "fong.xlsx", "Fong groups")
    ...     sheet = load_workbook(path).active
    ...     print([[c.value for c in row] for row in sheet.iter_rows()])
    [['Fong groups', None], [None, None], ['Group', 'n'], ['Low', '120'], ['High', '<11']]
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "table"
    row = 1
    if caption:
        ws.cell(row=1, column=1, value=xml_text(caption)).font = Font(bold=True)
        row = 3
    for j, name in enumerate(frame.columns, start=1):
        ws.cell(row=row, column=j, value=xml_text(name)).font = Font(bold=True)
    for i, rec in enumerate(frame.astype(str).itertuples(index=False), start=row + 1):
        for j, v in enumerate(rec, start=1):
            ws.cell(row=i, column=j, value=xml_text(v))
    wb.properties.created = wb.properties.modified = FIXED_DATE
    wb.properties.creator = "crlm_outcomes"
    buf = io.BytesIO()
    wb.save(buf)  # openpyxl stamps the save time into docProps/core.xml: put the fixed date back
    from openpyxl.xml.functions import tostring

    wb.properties.modified = FIXED_DATE
    core = tostring(wb.properties.to_tree())
    path = Path(path)
    path.write_bytes(deterministic_zip(buf.getvalue(), {"docProps/core.xml": core}))
    return path


def write_report_docx(
    path: str | Path, *, title: str, subtitle: str, sections: Sequence[dict[str, Any]]
) -> Path:
    """Write the whole report as a Word document: title, each section's heading and text,
    its figures (the inlined PNGs, at most 6.5 in wide) with their captions, and its tables
    (blocks carrying ``frame``) with caption and footnote.

    Parameters
    ----------
    path
        Output file.
    title, subtitle
        As on the HTML page.
    sections
        The report's sections (``title``, ``paragraphs``, ``blocks``) as the build collects
        them.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    OptionalDependencyError
        python-docx is not installed.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import docx
    >>> sections = [
    ...     {"title": "Methods", "paragraphs": ["Kaplan-Meier estimates."], "blocks": []},
    ...     {"title": "Results", "paragraphs": [], "blocks": [
    ...         {"kind": "heading", "text": "Overall survival"},
    ...         {"kind": "table", "frame": pd.DataFrame({"n": ["200"]}), "caption": "Cohort"},
    ...     ]},
    ... ]
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = write_report_docx(
    ...         Path(d) / "report.docx", title="CRLM outcomes", subtitle="Demo", sections=sections
    ...     )
    ...     document = docx.Document(str(path))
    ...     print([p.text for p in document.paragraphs if p.text])
    ...     print(len(document.tables))
    ['CRLM outcomes', 'Demo', 'Methods', 'Kaplan-Meier estimates.', 'Results', 'Overall survival', 'Cohort']
    1
    """
    from docx.shared import Inches, Pt

    document = _new_document()
    document.add_heading(xml_text(title), level=0)
    document.add_paragraph(xml_text(subtitle))
    for section in sections:
        heading = document.add_heading(xml_text(section["title"]), level=1)
        heading.paragraph_format.keep_with_next = True
        for para in section.get("paragraphs", []):
            document.add_paragraph(xml_text(para))
        for block in section.get("blocks", []):
            kind = block.get("kind")
            if kind == "heading":
                h = document.add_heading(xml_text(block["text"]), level=2)
                h.paragraph_format.keep_with_next = True
            elif kind == "text":
                document.add_paragraph(xml_text(block["text"]))
            elif kind == "figure" and block.get("png_base64"):
                png = base64.b64decode(block["png_base64"])
                width_in = min(6.5, block.get("print_width_in") or 6.5)
                pic_para = document.add_paragraph()
                pic_para.paragraph_format.keep_with_next = True
                pic_para.add_run().add_picture(io.BytesIO(png), width=Inches(width_in))
                cap = document.add_paragraph()
                run = cap.add_run(xml_text(block.get("caption", "")))
                run.font.size = Pt(_TABLE_PT + 1)
            elif kind == "table" and isinstance(block.get("frame"), pd.DataFrame):
                docx_table(
                    document,
                    block["frame"],
                    str(block.get("caption", "")),
                    str(block.get("footnote", "")),
                )
                document.add_paragraph()
    return _save(document, Path(path))
