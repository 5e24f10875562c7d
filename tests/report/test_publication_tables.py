"""Issue 14: labelled tables, univariable + multivariable side by side, Table 1 without empty
levels, grouped LaTeX, spec labels, Word and Excel export."""

from __future__ import annotations

import warnings
import zipfile

import numpy as np
import pandas as pd
import pytest

from crlm_outcomes.errors import SpecError
from crlm_outcomes.labels import default_labels, resolve_labels
from crlm_outcomes.report.regression_table import univariable_multivariable
from crlm_outcomes.report.spec import parse_spec
from crlm_outcomes.report.table_one import table_one
from crlm_outcomes.report.word import deterministic_zip, write_table_xlsx


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(41)
    n = 200
    ras = rng.choice(["wild_type", "mutant"], n)
    t = rng.exponential(np.where(ras == "mutant", 20, 35))
    c = rng.uniform(5, 80, n)
    return pd.DataFrame(
        {
            "os_months": np.minimum(t, c),
            "os_event": (t <= c).astype(int),
            "rfs_months": np.minimum(t, c),
            "rfs_cause": np.where(t <= c, rng.choice([1, 2], n, p=[0.75, 0.25]), 0),
            "ras_class": pd.Categorical(
                ras, categories=["wild_type", "mutant", "incomplete_testing"]
            ),
            "sex": pd.Categorical(rng.choice(["female", "male"], n), categories=["female", "male"]),
            "age_at_diagnosis": rng.normal(60, 10, n).round(),
        }
    )


def test_labels_override_shapes():
    lab = resolve_labels(
        {
            "variables": {"ras_class": "RAS"},
            "levels": {"rfs_cause": {1: "Relapse"}, "sex": {"male": "Men"}},
            "endpoints": {"os": "OS"},
        }
    )
    assert lab.variable("ras_class") == "RAS" and lab.level("rfs_cause", 1) == "Relapse"
    assert lab.level("sex", "male") == "Men" and lab.endpoint("os") == "OS"
    assert lab.level("sex", "female") == "Female"  # defaults stay
    with pytest.raises(SpecError, match="unknown key"):
        resolve_labels({"variable": {"x": "y"}, "levels": {}})
    assert default_labels().readable(
        "2 row(s) excluded for missing values in os_months; see result.excluded"
    ) == ("2 patient(s) excluded for missing values in overall survival time")


def test_spec_labels_are_validated():
    spec = parse_spec(
        {
            "cohort": {"demo": True},
            "labels": {"variables": {"ras_class": "RAS"}, "levels": {"rfs_cause": {1: "Relapse"}}},
        }
    )
    assert spec.labels.variables == {"ras_class": "RAS"}
    with pytest.raises(SpecError, match="labels.variables.nope"):
        parse_spec({"cohort": {"demo": True}, "labels": {"variables": {"nope": "x"}}})


def test_table_one_labels_no_empty_levels_and_grouped_latex(data):
    t1 = table_one(data, "sex", ["age_at_diagnosis", "ras_class"])
    tab = t1.table
    assert {"Female", "Male"} <= set(tab.columns)
    ras = tab[tab["variable"] == "RAS status"]
    assert ras["level"].tolist() == ["", "Wild type", "Mutant"]  # the empty level is left out
    assert "Age at diagnosis, years, mean (SD)" in set(tab["variable"])
    full = table_one(data, "sex", ["ras_class"], empty_levels=True).table
    assert "Incompletely tested" in set(full["level"])
    tex = t1.to_latex()
    assert r"\textbf{RAS status}" in tex and r"\quad Wild type" in tex and r"\toprule" in tex
    assert t1.to_html().count("class='footnote'") == 1


def test_univariable_and_multivariable_side_by_side(data):
    from crlm_outcomes.survival.cox import cox

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        both = univariable_multivariable(
            data, ["age_at_diagnosis", "ras_class"], "os_months", "os_event", model="cox"
        )
        multi = cox(data, "age_at_diagnosis + ras_class", "os_months", "os_event")
        uni = cox(data, "ras_class", "os_months", "os_event")
    tab = both.table
    assert list(tab.columns[:2]) == ["variable", "level"]
    assert {
        "Univariable: HR (95% CI)",
        "Multivariable: HR (95% CI)",
        "Univariable: p",
        "Multivariable: p",
    } <= set(tab.columns)
    row = tab[(tab["variable"] == "RAS status") & (tab["level"] == "Mutant")].iloc[0]
    m = multi.table.set_index("term").loc["ras_class[T.mutant]"]
    u = uni.table.set_index("term").loc["ras_class[T.mutant]"]
    assert row["Multivariable: HR (95% CI)"] == (
        f"{m['hr']:.2f} ({m['lower']:.2f}–{m['upper']:.2f})"
    )
    assert row["Univariable: HR (95% CI)"] == (f"{u['hr']:.2f} ({u['lower']:.2f}–{u['upper']:.2f})")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fg = univariable_multivariable(
            data, ["age_at_diagnosis", "ras_class"], "rfs_months", "rfs_cause", model="fine_gray"
        )
    assert "Multivariable: SHR (95% CI)" in fg.table.columns
    assert r"\quad Mutant" in fg.to_latex()
    with pytest.raises(SpecError):
        univariable_multivariable(data, [], "os_months", "os_event")


def test_word_table_and_rebuild_identical(tmp_path, data):
    pytest.importorskip("docx", reason="Word export needs python-docx (extra [word])")
    from docx import Document

    from crlm_outcomes.report.word import write_table_docx

    t1 = table_one(data, "sex", ["age_at_diagnosis", "ras_class"])
    a = write_table_docx(t1.table, tmp_path / "a.docx", "Table 1", t1.footnote())
    b = write_table_docx(t1.table, tmp_path / "b.docx", "Table 1", t1.footnote())
    assert a.read_bytes() == b.read_bytes()
    doc = Document(str(a))
    table = doc.tables[0]
    cells = [c.text for c in table.rows[0].cells]
    assert cells[1:3] == ["Female", "Male"]
    first_col = [r.cells[0].text for r in table.rows]
    assert "RAS status" in first_col and "Wild type" in first_col
    assert doc.paragraphs[0].text == "Table 1"


def test_excel_table(tmp_path):
    from openpyxl import load_workbook

    frame = pd.DataFrame({"variable": ["Sex"], "n": ["12"]})
    a = write_table_xlsx(frame, tmp_path / "a.xlsx", "Table")
    b = write_table_xlsx(frame, tmp_path / "b.xlsx", "Table")
    assert a.read_bytes() == b.read_bytes()
    ws = load_workbook(a).active
    assert ws["A1"].value == "Table" and ws["A3"].value == "variable" and ws["B4"].value == "12"


def test_deterministic_zip_keeps_content(tmp_path):
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("x.txt", "hello")
    fixed = deterministic_zip(buf.getvalue())
    with zipfile.ZipFile(io.BytesIO(fixed)) as z:
        assert z.read("x.txt") == b"hello"
        assert z.infolist()[0].date_time == (1980, 1, 1, 0, 0, 0)


def test_demo_build_writes_a_word_report_with_every_table(demo_build):
    pytest.importorskip("docx", reason="Word export needs python-docx (extra [word])")
    from docx import Document

    path = demo_build.out_dir / "report.docx"
    assert path.is_file()
    doc = Document(str(path))
    n_tables = sum(
        1
        for p in (demo_build.out_dir / "tables").glob("*.csv")
        if not p.name.startswith("at_risk_")
    )
    assert len(doc.tables) == n_tables
    assert len(doc.inline_shapes) >= 8  # the figures
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert "Statistical methods" in headings and "Table 1" in headings


def test_p_below_0001_prints_escaped_in_html_latex_word_and_excel(tmp_path):
    """A p-value below 0.001 reads "<0.001" everywhere: escaped in HTML (&lt;), LaTeX ($<$, as
    a bare < is a different glyph in text mode), Word and Excel (as text)."""
    from openpyxl import load_workbook

    from crlm_outcomes.report.regression_table import regression_table

    frame = pd.DataFrame(
        {"term": ["age_at_diagnosis"], "hr": [1.5], "lower": [1.3], "upper": [1.7], "p": [1e-9]}
    )
    reg = regression_table(frame)
    assert reg.table["p"].tolist() == ["<0.001"]
    html_text = reg.to_html()
    assert "&lt;0.001" in html_text and "<0.001" not in html_text
    assert r"$<$0.001" in reg.to_latex()
    ws = load_workbook(write_table_xlsx(reg.table, tmp_path / "p.xlsx", "p")).active
    assert "<0.001" in [c.value for row in ws.iter_rows() for c in row]
    pytest.importorskip("docx", reason="Word export needs python-docx (extra [word])")
    from docx import Document

    from crlm_outcomes.report.word import write_table_docx

    doc = Document(str(write_table_docx(reg.table, tmp_path / "p.docx", "p\x00 values")))
    assert "<0.001" in [c.text for row in doc.tables[0].rows for c in row.cells]
    assert doc.paragraphs[0].text == "p values"  # a control character is dropped, not fatal


def test_merged_table_footnote_names_each_model_once(demo_build):
    """The side-by-side table's footnote groups each model's facts under its name once."""
    page = demo_build.html.read_text(encoding="utf-8")
    foot = page.split("univariable and multivariable hazard ratios</caption>", 1)[1]
    foot = foot.split("class='footnote'>", 1)[1].split("</p>", 1)[0]
    assert foot.count("Multivariable:") == 1 and foot.count("Univariable:") <= 1, foot
