"""Text from a spec or the data is escaped in HTML and LaTeX; names become safe file names."""

from __future__ import annotations

import re

import pandas as pd

from crlm_outcomes.report.latex import latex_escape, latex_table
from crlm_outcomes.report.table_one import table_one
from crlm_outcomes.report.writer import safe_name

XSS = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"


def _no_markup(page: str) -> None:
    assert "<script" not in page.lower()
    assert "<img src=x" not in page.lower()
    assert "onerror=alert" not in page or "&lt;img" in page


def test_title_filter_and_model_name_are_escaped(tmp_path, tiny, qbuild):
    spec = tiny(
        title=XSS,
        filters=[{"column": "age_at_diagnosis", "op": ">=", "value": 0, "label": IMG}],
        cox=[{"name": "m</script><b>", "endpoint": "os", "formula": "age_at_diagnosis"}],
    )
    res = qbuild(spec, tmp_path / "out")
    page = res.html.read_text(encoding="utf-8")
    _no_markup(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    for rel in res.outputs:
        assert "<" not in rel and ">" not in rel and "\x00" not in rel


def test_model_name_with_path_separators_and_nul_stays_inside_the_folder(tmp_path, tiny, qbuild):
    spec = tiny(
        cox=[{"name": "../../escape\x00me", "endpoint": "os", "formula": "age_at_diagnosis"}],
        output={"figure_formats": ["png"], "table_formats": ["csv"], "survival_times": [12]},
    )
    out = tmp_path / "out"
    res = qbuild(spec, out)
    assert not (tmp_path / "escape").exists()
    assert all("/" not in rel.split("/", 1)[-1] for rel in res.outputs)
    assert any(re.match(r"tables/cox_[._]*escape_me-[0-9a-f]{8}\.csv$", r) for r in res.outputs)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_level_names_from_the_data_are_escaped_in_table_one():
    data = pd.DataFrame({"g": ["a", "a", "b", "b"], "x": [XSS, IMG, XSS, "ok"]})
    html = table_one(data, "g", ["x"]).to_html()
    _no_markup(html)
    assert "&lt;script&gt;" in html


def test_writer_escapes_cells_headers_and_captions(tmp_path, tiny):
    from crlm_outcomes.report.writer import OutputWriter

    w = OutputWriter(tmp_path, tiny(), jobs=1)
    block = w.table(pd.DataFrame({IMG: [XSS]}), "t", caption=XSS)
    w.finish()
    _no_markup(block["html"])
    assert "&lt;img" in block["html"]


def test_latex_escapes_every_special_character():
    text = r"\input{/etc/passwd} $x^2$ ~ 50% & #1 _a_"
    out = latex_escape(text)
    assert "\\input" not in out and "\\{" in out and "\\$" in out and "\\^" not in out
    assert out.count("\\textbackslash{}") == 1
    tex = latex_table(pd.DataFrame({"a_b": [text]}))
    assert "\\input{" not in tex


def test_safe_name_never_collides_and_never_escapes():
    names = ["a/b", "a_b", "a\\b", "a\x00b", "..", ".hidden", "x" * 500]
    out = [safe_name(n) for n in names]
    assert len(set(out)) == len(out)
    for o in out:
        assert re.fullmatch(r"[A-Za-z0-9._-]+", o) and not o.startswith(".") and len(o) < 100


def test_latex_drops_nul_and_other_control_characters():
    out = latex_escape("a\x00b\x07c\x0bd\x1fe\tf")
    assert out == "abcde\tf"
    assert not re.search(
        "[\x00-\x08\x0b\x0c\x0e-\x1f]", latex_table(pd.DataFrame({"x\x07": ["\x01"]}))
    )
