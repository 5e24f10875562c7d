"""No raw column name or code in what a reader of a report sees (issue 14).

The demo report and a report on a SEER-profile export are searched: the visible text of
report.html (the provenance section, which reproduces the spec on purpose, left out) and the
text of every SVG figure. Every canonical and derived column name has an underscore, as has
every code that is not a plain word, so a token with an underscore is a raw name.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crlm_outcomes.labels import default_labels
from crlm_outcomes.report.raw_names import (
    raw_names_in_report,
    raw_names_in_text,
    svg_texts,
    visible_report_text,
)
from crlm_outcomes.report.spec import parse_spec
from crlm_outcomes.schema.definition import canonical_definition
from crlm_outcomes.stratify import STRATIFIERS


def test_every_canonical_and_derived_column_has_a_label():
    lab = default_labels()
    names = [*canonical_definition().columns, *STRATIFIERS]
    missing = [n for n in names if n not in lab.variables]
    assert not missing
    # and no label is itself a raw name
    assert not raw_names_in_text(" ".join(lab.variables[n] for n in names))


def test_every_category_level_reads_without_underscores():
    lab = default_labels()
    for name, spec in canonical_definition().columns.items():
        for level in spec.levels or ():
            assert not raw_names_in_text(lab.level(name, level)), (name, level)


def test_the_checker_finds_raw_names(tmp_path):
    page = (
        "<html><body><section id='x'><p>by ras_class</p><img alt='wild_type'></section>"
        "<section id='provenance'><pre>ras_class</pre></section></body></html>"
    )
    assert raw_names_in_text(visible_report_text(page)) == ["ras_class", "wild_type"]
    svg = tmp_path / "f.svg"
    svg.write_text("<svg><text x='1'>fong_group</text><text>Sex</text></svg>")
    assert svg_texts(svg) == ["fong_group", "Sex"]


def _check(out: Path) -> None:
    svgs = list((out / "figures").glob("*.svg"))
    assert svgs, "the build wrote no SVG figure"
    # SVG text stays text (svg.fonttype none): the axis labels are there as words
    assert any("Months from" in " ".join(svg_texts(p)) for p in svgs)
    assert raw_names_in_report(out) == {}


def test_demo_report_shows_no_raw_names(demo_build):
    _check(demo_build.out_dir)


@pytest.fixture(scope="module")
def seer_build(tmp_path_factory, build):
    from crlm_outcomes.datasets.registry import write_synthetic_registry

    folder = tmp_path_factory.mktemp("seer")
    write_synthetic_registry("seer", folder / "seer.csv", n=400, seed=7)
    spec = parse_spec(
        {
            "title": "SEER-profile report",
            "cohort": {"source": "seer.csv", "profile": "seer"},
            "filters": [{"column": "age_at_diagnosis", "op": ">=", "value": 18}],
            "endpoints": ["os"],
            "stratifiers": ["primary_sidedness"],
            "comparison": {
                "by": "primary_sidedness",
                "variables": [
                    "age_at_diagnosis",
                    "sex",
                    "primary_grade",
                    "liver_mets_at_primary_diagnosis",
                ],
            },
            "cox": [
                {
                    "name": "os_age_sex",
                    "endpoint": "os",
                    "formula": "age_at_diagnosis + sex + primary_sidedness",
                    "univariable": True,
                }
            ],
            "output": {"figure_formats": ["svg"], "table_formats": ["csv"]},
        }
    )
    return build(spec, folder / "report", base_dir=folder, jobs=1)


def test_seer_profile_report_shows_no_raw_names(seer_build):
    _check(seer_build.out_dir)
    page = seer_build.html.read_text(encoding="utf-8")
    assert "months from diagnosis of the primary tumour" in page  # the registry's OS origin
    km = seer_build.out_dir / "figures" / "km_os_overall.svg"
    assert "Months from diagnosis of the primary tumour" in svg_texts(km)
