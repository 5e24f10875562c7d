"""The report build: contents, provenance, byte-identical rebuilds and suppression."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from crlm_outcomes.errors import SpecError
from crlm_outcomes.report.manifest import sha256_file


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_outputs_exist_in_every_format(demo_build):
    out = demo_build.out_dir
    assert demo_build.html.is_file() and demo_build.manifest.is_file()
    figures = sorted(p.stem for p in (out / "figures").glob("*.png"))
    assert {
        "cohort_flow",
        "km_os_overall",
        "km_os_fong_group",
        "km_rfs_fong_group",
        "forest_os_multivariable",
        "schoenfeld_os_multivariable",
        "cif_fong_group",
        "landmark_os_6_ras_class",
    } <= set(figures)
    for stem in figures:
        for fmt in ("svg", "pdf"):
            assert (out / "figures" / f"{stem}.{fmt}").stat().st_size > 0
    tables = sorted(p.stem for p in (out / "tables").glob("*.csv"))
    assert {
        "table_one",
        "cohort_flow",
        "km_summary_os",
        "cox_os_multivariable",
        "ph_test_os_multivariable",
        "logrank_os",
    } <= set(tables)
    for stem in tables:
        for fmt in ("html", "tex"):
            assert (out / "tables" / f"{stem}.{fmt}").is_file()
    assert (out / "figures" / "km_os_overall.pdf").read_bytes().startswith(b"%PDF")
    assert b"<svg" in (out / "figures" / "km_os_overall.svg").read_bytes()


def test_html_is_self_contained(demo_build):
    page = demo_build.html.read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") >= 8
    assert "<script" not in page
    assert not re.search(r"""(src|href)=["']https?://""", page)
    for section in (
        "Statistical methods",
        "Cohort flow",
        "Table 1",
        "Overall survival",
        "Cox model",
        "Competing risks",
        "Landmark analysis",
        "Provenance",
    ):
        assert section in page
    # the numbers at risk are printed under the figures, not again as a table (issue 14)
    assert "class='crlm-table at-risk'" not in page
    assert (demo_build.out_dir / "tables" / "at_risk_os_fong_group.csv").is_file()
    assert "Efron ties" in page and "log scale" in page
    assert "No small-cell suppression was applied." in page


def test_manifest_lists_every_output_with_its_hash(demo_build):
    manifest = json.loads(demo_build.manifest.read_text(encoding="utf-8"))
    out = demo_build.out_dir
    written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert set(manifest["outputs"]) == written - {"manifest.json"}
    for rel, digest in manifest["outputs"].items():
        assert sha256_file(out / rel) == digest
    assert manifest["build_time"] is None
    assert manifest["inputs"][0]["kind"] == "synthetic"
    assert len(manifest["inputs"][0]["sha256"]) == 64
    assert manifest["seeds"]["synthetic_cohort"] == 300 or manifest["seeds"]["synthetic_cohort"]
    assert manifest["spec"]["cohort"]["n"] == 300
    assert len(manifest["spec_sha256"]) == 64
    assert manifest["software"]["dependencies"]["numpy"]
    commit = manifest["git_commit"]
    assert commit is None or re.fullmatch(r"[0-9a-f]{40}", commit)


def test_rebuild_is_byte_identical(demo_build, tmp_path, make_spec, build):
    # serial this time: the bytes must not depend on the worker processes either
    again = build(make_spec(), tmp_path / "again", jobs=1)
    first, second = _files(demo_build.out_dir), _files(again.out_dir)
    assert sorted(first) == sorted(second)
    different = [name for name in first if first[name] != second[name]]
    assert different == []


def test_table_one_and_km_contents(demo_build):
    tables = demo_build.out_dir / "tables"
    t1 = pd.read_csv(tables / "table_one.csv", dtype=str, keep_default_na=False)
    assert list(t1.columns[:2]) == ["variable", "level"]
    assert {"Low", "High", "Overall", "p", "test", "SMD"} <= set(t1.columns)
    assert "RAS status" in set(t1["variable"]) and "ras_class" not in set(t1["variable"])
    assert not (t1.iloc[:, 2:5] == "0 (0.0)").all(axis=1).any()  # no empty-level rows
    km = pd.read_csv(tables / "km_summary_os.csv", dtype=str)
    assert "median (95% CI)" in km.columns
    assert "60-month survival, % (95% CI)" in km.columns
    flow = pd.read_csv(tables / "cohort_flow.csv", dtype=str, keep_default_na=False)
    assert flow["step"].tolist()[:2] == ["Records in the source", "Records loaded"]
    assert flow["n remaining"].iloc[0] == "300"


def test_suppressed_build_publishes_no_small_count(tmp_path, make_spec, build):
    spec = make_spec(
        endpoints=["os"],
        cox=[],
        landmarks=[],
        cohort={"demo": True, "n": 120},
        output={
            "figure_formats": ["png"],
            "table_formats": ["csv"],
            "suppression": {"enabled": True, "threshold": 11},
        },
    )
    res = build(spec, tmp_path / "sup", jobs=1)
    tables = res.out_dir / "tables"
    small = re.compile(r"^(?:[1-9]|10)(?: \(|$)")
    for name in ("at_risk_os_fong_group", "at_risk_os_overall", "cohort_flow", "table_one"):
        frame = pd.read_csv(tables / f"{name}.csv", dtype=str, keep_default_na=False)
        count_cols = [
            c
            for c in frame.columns
            if c not in ("variable", "level", "step", "reason", "group", "p", "test", "SMD")
        ]
        for col in count_cols:
            for cell in frame[col]:
                assert not small.match(cell.strip()), (name, col, cell)
    at_risk = pd.read_csv(tables / "at_risk_os_fong_group.csv", dtype=str)
    assert (at_risk == "<11").any().any()
    page = res.html.read_text(encoding="utf-8")
    assert "Small-cell suppression: counts from 1 to 10 are not shown" in page
    for note in re.findall(r"<p class=\"note\">([^<]*)", page):
        assert not re.search(r"(?<![\w.])([1-9]|10)(?![\w.])", note), note


def test_filter_errors_name_the_key(tmp_path, make_spec, build):
    spec = make_spec(filters=[{"column": "sex", "op": "==", "value": "unknown"}])
    with pytest.raises(SpecError, match=r"filters\[0\]\.value.*not a level"):
        build(spec, tmp_path / "x", jobs=1)
    spec = make_spec(filters=[{"column": "age_at_diagnosis", "op": ">", "value": "old"}])
    with pytest.raises(SpecError, match="numeric"):
        build(spec, tmp_path / "y", jobs=1)
    spec = make_spec(filters=[{"column": "age_at_diagnosis", "op": ">", "value": 200}])
    with pytest.raises(SpecError, match="no patient is left"):
        build(spec, tmp_path / "z", jobs=1)
