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
    """
    template = _environment().get_template("report.html.j2")
    return template.render(title=title, subtitle=subtitle, sections=sections, version=version)


def standalone_table_html(table_html: str, title: str) -> str:
    """A minimal HTML document holding one table (the per-table .html download)."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8">'
        f"<title>{_html.escape(title)}</title>\n<style>table{{border-collapse:collapse;"
        "font-family:sans-serif;font-size:12px}}th,td{{border-bottom:1px solid #ddd;"
        "padding:3px 8px;text-align:left}}</style></head>\n<body>\n"
        f"{table_html}\n</body>\n</html>\n"
    )
