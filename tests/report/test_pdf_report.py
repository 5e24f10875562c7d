"""The optional PDF report (the ``pdf`` extra: WeasyPrint)."""

from __future__ import annotations

import warnings

import pytest

from crlm_outcomes.report.build import build_report
from crlm_outcomes.report.spec import parse_spec

weasyprint = pytest.importorskip(
    "weasyprint", reason="the pdf extra is not installed (pip install -e '.[pdf]')"
)

SPEC = {
    "title": "PDF report test",
    "cohort": {"demo": True, "n": 120},
    "filters": [{"column": "liver_resection_date", "op": "notna"}],
    "endpoints": ["os"],
    "output": {"figure_formats": ["png"], "table_formats": ["csv"], "pdf_report": True},
}


def test_pdf_report_is_written_from_the_html_report(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = build_report(parse_spec(SPEC), tmp_path / "out")
    pdf = tmp_path / "out" / "report.pdf"
    assert pdf.is_file(), result
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    assert len(data) > 10_000  # text, tables and inlined figures, not an empty page
