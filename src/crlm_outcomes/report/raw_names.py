"""Find raw column names and codes in a report's visible text and in its SVG figures.

A reader of a report sees labels ("RAS status", "Wild type"), never the names a program uses
(``ras_class``, ``wild_type``). Every canonical and derived column name, and every code that
is not a plain word, has an underscore, so :func:`raw_names_in_report` lists every token with
an underscore that shows, so a test (and a user who wrote their own ``labels:``) can check a
whole build. The provenance section, which reproduces the validated spec on purpose, is left
out.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

__all__ = [
    "raw_names_in_text",
    "raw_names_in_report",
    "visible_report_text",
    "svg_texts",
    "ALLOWED",
]

#: Tokens with an underscore that are not column names or codes.
ALLOWED = frozenset({"crlm_outcomes"})
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:_[A-Za-z0-9]+)+")


def raw_names_in_text(text: str) -> list[str]:
    """Raw column names and underscore codes in ``text`` (each once, in order).

    Parameters
    ----------
    text
        Visible text (of a page, a figure or a table).

    Returns
    -------
    list of str
        Each token of letters and digits joined by underscores, other than those in
        :data:`ALLOWED`, once, in order of first appearance.

    Examples
    --------
    >>> raw_names_in_text("RAS status: wild_type; Sex; patient_id")
    ['wild_type', 'patient_id']
    >>> raw_names_in_text("Kaplan-Meier by sex")
    []
    """
    found = [t for t in _TOKEN.findall(text) if t not in ALLOWED]
    return list(dict.fromkeys(found))


class _Visible(HTMLParser):
    """Text a browser shows (and ``alt`` texts), skipping ``<style>``, ``<script>`` and the
    provenance section."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0
        self._section_skip: list[bool] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("style", "script", "title"):
            self._skip += 1
        if tag == "section":
            prov = a.get("id") == "provenance"
            self._section_skip.append(prov)
            if prov:
                self._skip += 1
        if tag == "img" and a.get("alt"):
            self.parts.append(a["alt"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "title"):
            self._skip -= 1
        if tag == "section" and self._section_skip:
            if self._section_skip.pop():
                self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_report_text(page: str) -> str:
    """The visible text of a report page, without its provenance section.

    Parameters
    ----------
    page
        The HTML of a report page.

    Returns
    -------
    str
        Its text nodes and image ``alt`` texts, one per line, leaving out ``<style>``,
        ``<script>``, ``<title>`` and ``<section id="provenance">``.

    Examples
    --------
    >>> page = (
    ...     "<html><head><title>os_months</title></head><body><h1>Report</h1>"
    ...     "<img alt='Kaplan-Meier curves'><p>RAS status</p>"
    ...     "<section id='provenance'>endpoints: [os]</section></body></html>"
    ... )
    >>> print(visible_report_text(page))
    Report
    Kaplan-Meier curves
    RAS status
    """
    parser = _Visible()
    parser.feed(page)
    return "\n".join(parser.parts)


def svg_texts(path: str | Path) -> list[str]:
    """The ``<text>`` contents of an SVG written with ``svg.fonttype = "none"``.

    Parameters
    ----------
    path
        The SVG file.

    Returns
    -------
    list of str
        The text of each ``<text>`` element, in file order, inner tags removed and entities
        unescaped.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> svg = '<svg><text x="1">Years &amp; months</text><text><tspan>ras_class</tspan></text></svg>'
    >>> with tempfile.TemporaryDirectory() as d:
    ...     f = Path(d) / "km.svg"
    ...     _ = f.write_text(svg, encoding="utf-8")
    ...     svg_texts(f)
    ['Years & months', 'ras_class']
    """
    svg = Path(path).read_text(encoding="utf-8")
    return [
        html.unescape(re.sub(r"<[^>]+>", "", m))
        for m in re.findall(r"<text\b[^>]*>(.*?)</text>", svg, flags=re.S)
    ]


def raw_names_in_report(out: str | Path) -> dict[str, list[str]]:
    """Raw names per place in a built report folder: ``report.html`` (visible text) and each
    ``figures/*.svg``; only places with findings are listed.

    Parameters
    ----------
    out
        A built report folder (``report.html`` and ``figures/``).

    Returns
    -------
    dict
        Place (``"report.html"`` or ``"figures/<name>.svg"``) -> the raw names found there
        (:func:`raw_names_in_text`); empty when the report shows none.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as d:
    ...     out = Path(d)
    ...     (out / "figures").mkdir()
    ...     _ = (out / "report.html").write_text("<p>Overall survival by RAS status</p>")
    ...     _ = (out / "figures" / "km.svg").write_text("<svg><text>wild_type</text></svg>")
    ...     raw_names_in_report(out)
    {'figures/km.svg': ['wild_type']}
    """
    out = Path(out)
    found: dict[str, list[str]] = {}
    page = (out / "report.html").read_text(encoding="utf-8")
    hits = raw_names_in_text(visible_report_text(page))
    if hits:
        found["report.html"] = hits
    for svg in sorted((out / "figures").glob("*.svg")):
        hits = raw_names_in_text("\n".join(svg_texts(svg)))
        if hits:
            found[f"figures/{svg.name}"] = hits
    return found
