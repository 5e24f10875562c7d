"""Print layout of the report (issue 14): printed by headless Chromium, no page ends with a
heading (section or sub-section) that belongs to the figure or table on the next page, and
figures are printed large enough to read. Skipped without Chromium or poppler's pdftotext."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = next(
    (
        p
        for p in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser"))
        if p and Path(p).exists()
    ),
    None,
)
PDFTOTEXT = shutil.which("pdftotext")
PDFINFO = shutil.which("pdfinfo")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or PDFTOTEXT is None or PDFINFO is None,
    reason="print check skipped: needs chromium and poppler-utils (pdftotext, pdfinfo)",
)


@pytest.fixture(scope="module")
def printed(demo_build, tmp_path_factory) -> tuple[Path, str]:
    tmp = tmp_path_factory.mktemp("print")
    pdf = tmp / "report.pdf"
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            demo_build.html.resolve().as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return pdf, demo_build.html.read_text(encoding="utf-8")


def _pages(pdf: Path) -> list[str]:
    info = subprocess.run([PDFINFO, str(pdf)], check=True, capture_output=True, text=True)
    n = int(re.search(r"^Pages:\s+(\d+)", info.stdout, flags=re.M).group(1))
    return [
        subprocess.run(
            [PDFTOTEXT, "-f", str(i), "-l", str(i), "-layout", str(pdf), "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        for i in range(1, n + 1)
    ]


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_no_heading_is_stranded_at_a_page_foot(printed):
    pdf, page = printed
    headings = {
        _norm(html.unescape(re.sub(r"<[^>]+>", "", h)))
        for h in re.findall(r"<h[23]>(.*?)</h[23]>", page, flags=re.S)
    }
    assert len(headings) > 10
    pages = _pages(pdf)
    assert len(pages) > 5
    stranded = []
    for i, text in enumerate(pages[:-1], start=1):
        lines = [_norm(x) for x in text.splitlines() if x.strip()]
        if lines and lines[-1] in headings:
            stranded.append((i, lines[-1]))
    assert stranded == []


def test_the_figure_caption_does_not_pin_the_next_heading(printed):
    # the rule that caused headings to strand: break-after: avoid on figcaption
    _, page = printed
    style = page[page.index("@media print") : page.index("</style>")]
    rule = next(r for r in style.split("}") if "break-after: avoid" in r)
    assert "figcaption" not in rule and "h3" in rule and "caption" in rule
