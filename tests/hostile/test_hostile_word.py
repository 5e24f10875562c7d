"""Text from a spec or the data is stored as literal text in Word (and Excel) exports, and the
files stay valid (python-docx and openpyxl reopen them): markup and LaTeX specials are kept as
typed; NUL, other control characters and lone surrogates, which XML cannot hold, are dropped."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest

docx = pytest.importorskip(
    "docx",
    reason="python-docx is not installed: Word export is the optional extra "
    "(pip install 'crlm_outcomes[word]')",
)

word = pytest.importorskip(
    "crlm_outcomes.report.word", reason="this build has no Word export (crlm_outcomes.report.word)"
)

from crlm_outcomes.report.table_one import table_one  # noqa: E402

write_report_docx, write_table_docx = word.write_report_docx, word.write_table_docx

XSS = "<script>alert(1)</script>"
LATEX = r"50% & \textbf{x} $y$ #1 ~ ^ _ {z}"
CONTROL = "nul\x00bell\x07vt\x0bend"
REPLACED = "nulbellvtend"  # what XML cannot hold is dropped, the rest kept


def _texts(path: Path) -> list[str]:
    """Every paragraph of the document, its tables' cells included (reopened from disk)."""
    document = docx.Document(str(path))
    out = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            out += [c.text for c in row.cells]
    return out


def _xml(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read("word/document.xml").decode("utf-8")


def test_table_docx_keeps_hostile_cells_headers_caption_and_footnote_literal(tmp_path):
    frame = pd.DataFrame({XSS: [LATEX, CONTROL], "n": ["12", "<11"]})
    path = write_table_docx(frame, tmp_path / "t.docx", caption=XSS + CONTROL, footnote=LATEX)
    texts = _texts(path)
    assert XSS in texts and LATEX in texts and REPLACED in texts
    assert XSS + REPLACED in texts  # the caption
    xml = _xml(path)
    assert "<script>" not in xml and "&lt;script&gt;" in xml


def test_level_names_from_the_data_are_literal_in_word(tmp_path):
    latex = LATEX.replace("_ ", "")  # (an underscore would be read as a space in a label)
    data = pd.DataFrame({"g": ["a", "a", "b", "b"], "x": [XSS, latex, CONTROL, "ok"]})
    frame = table_one(data, "g", ["x"]).table
    path = write_table_docx(frame, tmp_path / "t1.docx", "Table 1")
    texts = _texts(path)
    assert XSS in texts and latex in texts
    assert not any(c in "".join(texts) for c in "\x00\x07\x0b")
    assert "<script>" not in _xml(path)


def test_report_docx_keeps_titles_headings_and_text_literal(tmp_path):
    sections = [
        {
            "title": f"Cox model '{XSS}'",
            "paragraphs": [LATEX, CONTROL],
            "blocks": [
                {"kind": "heading", "text": XSS},
                {"kind": "text", "text": CONTROL},
                {
                    "kind": "table",
                    "frame": pd.DataFrame({"term": [XSS]}),
                    "caption": LATEX,
                    "footnote": CONTROL,
                },
            ],
        }
    ]
    # a lone surrogate (no DataFrame holds one, a Python caller may pass it) is dropped too
    path = write_report_docx(
        tmp_path / "report.docx", title=XSS + "\x00\ud800", subtitle=LATEX, sections=sections
    )
    texts = _texts(path)
    for text in (XSS, LATEX, f"Cox model '{XSS}'", REPLACED, XSS):
        assert text in texts, text
    assert "<script>" not in _xml(path)


def test_report_build_with_hostile_spec_text_writes_a_valid_docx(tmp_path, tiny, qbuild):
    spec = tiny(
        title=XSS + " \x07" + LATEX,
        cox=[{"name": "m</script><b>\x01", "endpoint": "os", "formula": "age_at_diagnosis"}],
        output={
            "figure_formats": [],
            "table_formats": ["csv", "docx"],
            "survival_times": [12],
            "word_report": True,
        },
    )
    res = qbuild(spec, tmp_path / "out")
    report = res.out_dir / "report.docx"
    texts = _texts(report)
    assert XSS + " " + LATEX in texts
    assert any("m</script><b>" in t for t in texts)
    assert "<script>" not in _xml(report)
    for rel in res.outputs:
        if rel.endswith(".docx"):
            _texts(res.out_dir / rel)  # every table file reopens


def test_excel_table_keeps_hostile_text_literal(tmp_path):
    from openpyxl import load_workbook

    frame = pd.DataFrame({XSS: [LATEX, CONTROL]})
    path = word.write_table_xlsx(frame, tmp_path / "t.xlsx", caption=CONTROL)
    values = [c.value for row in load_workbook(path).active.iter_rows() for c in row]
    assert REPLACED in values and XSS in values and LATEX in values
