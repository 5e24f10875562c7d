"""The standalone table page (the per-table .html download)."""

from __future__ import annotations

import re

from crlm_outcomes.report.html import standalone_table_html


def test_standalone_table_css_is_well_formed_and_title_escaped():
    page = standalone_table_html("<table><tr><td>1</td></tr></table>", "Cox <model> & more")
    css = re.search(r"<style>(.*)</style>", page).group(1)
    # one rule per selector: a doubled brace (as an f-string slip once wrote) breaks the sheet
    assert "{{" not in css and "}}" not in css
    assert re.fullmatch(r"(?:[^{}]+\{[^{}]+\})+", css)
    assert "<title>Cox &lt;model&gt; &amp; more</title>" in page
