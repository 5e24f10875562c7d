"""Rendering of the self-contained HTML report (jinja2 template, figures inlined as base64 PNG).

The page has no scripts, no external style sheets, fonts or images: it opens offline and from
an e-mail attachment. Downloads (PNG/SVG/PDF figures, CSV/HTML/LaTeX tables) are relative links
to the files written beside it.
"""

from __future__ import annotations

import html as _html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2

__all__ = ["render_report", "standalone_table_html"]

_TEMPLATES = Path(__file__).resolve().parent / "templates"
#: Style sheet of a standalone table page.
_TABLE_CSS = (
    "table{border-collapse:collapse;font-family:sans-serif;font-size:12px}"
    "th,td{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left}"
)


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


def render_report(
    *, title: str, subtitle: str, sections: Sequence[Mapping[str, Any]], version: str
) -> str:
    """The report page as one HTML string.

    ``sections`` are mappings with ``id``, ``title``, ``paragraphs`` (plain text, escaped) and
    ``blocks``: ``{"kind": "heading"|"text", "text": ...}``, ``{"kind": "figure", "name",
    "png_base64", "width", "caption", "files"}`` or ``{"kind": "table", "name", "html" (trusted
    markup made by pandas), "files"}``.

    Parameters
    ----------
    title
        The page's ``<title>`` and heading.
    subtitle
        The paragraph under the heading.
    sections
        The sections, in page order (see above); each becomes an entry of the table of
        contents and a ``<section id=...>``.
    version
        The package version, written into the ``generator`` meta tag.

    Returns
    -------
    str
        The self-contained page (inline CSS, figures as base64 PNG, no scripts); every text
        but a table's ``html`` is escaped.

    Examples
    --------
    >>> page = render_report(
    ...     title="CRLM outcomes <demo>",
    ...     subtitle="Synthetic cohort",
    ...     version="0.2",
    ...     sections=[{
    ...         "id": "methods",
    ...         "title": "Methods",
    ...         "paragraphs": ["Kaplan-Meier & log-rank."],
    ...         "blocks": [{"kind": "heading", "text": "Overall survival"}],
    ...     }],
    ... )
    >>> body = page[page.index("<body>"):]
    >>> print("\\n".join(line for line in body.splitlines() if line))
    <body>
    <h1>CRLM outcomes &lt;demo&gt;</h1>
    <p>Synthetic cohort</p>
    <nav><ol>
    <li><a href="#methods">Methods</a></li>
    </ol></nav>
    <section id="methods">
    <h2>Methods</h2>
    <p>Kaplan-Meier &amp; log-rank.</p>
    <h3>Overall survival</h3>
    </section>
    </body>
    </html>
    """
    template = _environment().get_template("report.html.j2")
    return template.render(title=title, subtitle=subtitle, sections=sections, version=version)


def standalone_table_html(table_html: str, title: str) -> str:
    """A minimal HTML document holding one table (the per-table .html download).

    Parameters
    ----------
    table_html
        The table's markup (trusted: made by pandas' Styler with every cell escaped).
    title
        The document title (escaped here).

    Returns
    -------
    str
        A complete UTF-8 HTML document: the title, a small style sheet and the table.

    Examples
    --------
    >>> page = standalone_table_html("<table><tr><td>12</td></tr></table>", "Table 1 & <n>")
    >>> print(page)
    <!DOCTYPE html>
    <html lang="en">
    <head><meta charset="utf-8"><title>Table 1 &amp; &lt;n&gt;</title>
    <style>table{border-collapse:collapse;font-family:sans-serif;font-size:12px}th,td{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left}</style></head>
    <body>
    <table><tr><td>12</td></tr></table>
    </body>
    </html>
    <BLANKLINE>
    """
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8">'
        f"<title>{_html.escape(title)}</title>\n<style>{_TABLE_CSS}</style></head>\n<body>\n"
        f"{table_html}\n</body>\n</html>\n"
    )
