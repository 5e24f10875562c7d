"""Disclosure control that holds: a SEER-profile report of many small groups passes the
suppression checker; every leak of the probe is closed; a leaky table fails the build."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crlm_outcomes.datasets.registry import write_synthetic_registry
from crlm_outcomes.errors import DisclosureError, SpecError
from crlm_outcomes.io.profile import PROFILE_DIR
from crlm_outcomes.report.build import build_report
from crlm_outcomes.report.disclosure_check import DisclosureLedger, check_disclosure
from crlm_outcomes.report.spec import parse_spec
from crlm_outcomes.report.suppression import SuppressionPolicy, decide_policy
from crlm_outcomes.report.table_one import table_one

SMALL = re.compile(r"^(?:[1-9]|10)(?: \(|$)")
NAME = "Johanna Q. Patientname"


def _renamed_seer_profile(folder: Path) -> Path:
    """A copy of seer.yaml under another name and profile name, with CEA set missing (not
    quarantined) when invalid: what a user is told to make."""
    text = (PROFILE_DIR / "seer.yaml").read_text(encoding="utf-8")
    text = text.replace("name: seer\n", "name: my_registry_extract\n")
    text = text.replace("    unit: ng/mL\n", "    unit: ng/mL\n    on_invalid: set_missing\n", 1)
    path = folder / "my_registry_extract.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _seer_file(folder: Path, n: int = 260) -> Path:
    path = write_synthetic_registry("seer", folder / "extract.csv", n, 11)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    sync = np.flatnonzero(raw["SEER Combined Mets at DX-liver (2010+)"].eq("Yes"))
    raw.loc[sync[0], "CEA Pretreatment Lab Value (3820)"] = NAME  # a name typed in a lab cell
    raw.loc[[5, 6, 7], "Sex"] = "Martian"  # three quarantined rows: a count of 3
    raw.to_csv(path, index=False)
    return path


def _spec(folder: Path, **output):
    return parse_spec(
        {
            "title": "Registry report",
            "cohort": {
                "source": str(_seer_file(folder)),
                "profile": str(_renamed_seer_profile(folder)),
            },
            "endpoints": ["os"],
            "stratifiers": ["primary_sidedness", "braf_class", "mmr_class"],
            "comparison": {"by": "primary_sidedness"},
            "landmarks": [{"endpoint": "os", "time": 12, "by": "primary_sidedness"}],
            "cox": [
                {
                    "name": "registry",
                    "endpoint": "os",
                    "formula": "age_at_diagnosis + sex + primary_sidedness",
                }
            ],
            "output": {"figure_formats": [], "table_formats": ["csv"], **output},
        }
    )


@pytest.fixture(scope="module")
def seer_build(tmp_path_factory):
    folder = tmp_path_factory.mktemp("seer")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = build_report(_spec(folder), folder / "report", jobs=1)
    return res


def test_seer_report_with_many_small_groups_passes_the_checker(seer_build):
    assert any(n.startswith("Disclosure check passed") for n in seer_build.notes)
    assert (seer_build.out_dir / "tables" / "cox_registry.csv").is_file()  # a model too
    note = next(n for n in seer_build.notes if n.startswith("Disclosure check passed"))
    checked = int(re.search(r"none of the (\d+)", note).group(1))
    assert checked >= 20  # many small cells were suppressed and each was checked
    page = seer_build.html.read_text(encoding="utf-8")
    assert "Small-cell suppression: counts from 1 to 10 are not shown" in page


def test_renamed_copy_of_seer_profile_keeps_suppression(seer_build):
    tables = seer_build.out_dir / "tables"
    t1 = pd.read_csv(tables / "table_one.csv", dtype=str, keep_default_na=False)
    assert (t1 == "<11").any().any()


def test_no_table_prints_a_count_of_1_to_10(seer_build):
    tables = seer_build.out_dir / "tables"
    for path in tables.glob("*.csv"):
        if path.stem in ("provenance",):
            continue
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        for col in frame.columns:
            if (
                col
                in (
                    "variable",
                    "level",
                    "step",
                    "reason",
                    "group",
                    "p",
                    "test",
                    "SMD",
                    "stratifier",
                    "chi-square",
                    "df",
                    "column",
                    "value",
                    "rule",
                    "months",
                    "event",
                )
                or "%" in col
                or "median" in col
            ):
                continue
            for cell in frame[col]:
                assert not SMALL.match(cell.strip()), (path.name, col, cell)


def test_methods_text_and_subtitle_print_no_masked_count(seer_build):
    page = seer_build.html.read_text(encoding="utf-8")
    assert not re.search(r"\b3 were quarantined", page)
    assert "&lt;11 were quarantined" in page or "‡ were quarantined" in page
    flow = pd.read_csv(
        seer_build.out_dir / "tables" / "cohort_flow.csv", dtype=str, keep_default_na=False
    )
    final = flow["n remaining"].iloc[-1]
    sub = re.search(r"<p>(Analysis cohort: [^<]*|Generated by[^<]*)</p>", page).group(1)
    assert (f"Analysis cohort: {final} patients" in sub) == final.isdigit()


def test_raw_invalid_cell_values_are_not_printed(seer_build):
    for path in seer_build.out_dir.rglob("*"):
        if path.is_file():
            assert NAME.encode() not in path.read_bytes(), path.name
    setm = pd.read_csv(seer_build.out_dir / "tables" / "set_missing.csv", dtype=str)
    assert "(invalid value, not printed)" in setm["value"].tolist()


def test_masked_groups_are_not_drawn(seer_build):
    page = seer_build.html.read_text(encoding="utf-8")
    summary = pd.read_csv(seer_build.out_dir / "tables" / "km_summary_os.csv", dtype=str)
    hidden = summary["n"].isin(["<11", "\u2021"]) | summary["events"].isin(["<11", "\u2021"])
    masked = summary.loc[hidden, "stratifier"].unique()
    assert len(masked)
    heads = {h.lower(): h for h in re.findall(r"<h3>(Overall survival by [^<]*)</h3>", page)}
    for strat in masked:  # the table names the stratifier by its label, the heading inline
        head = heads[f"overall survival by {strat}".lower()]
        part = page.split(f"<h3>{head}</h3>")[1].split("<h3>")[0]
        assert "is suppressed are not drawn" in part or "No curve is drawn" in part, strat


def test_suppression_is_decided_by_profile_content_not_name(tmp_path):
    class P:  # the fields decide_policy reads
        name, path = "anything", "x.yaml"
        disclosure = {"data_use_agreement": True, "suppression": "required", "threshold": 11}

    assert decide_policy(None, 11, 16, P()).enabled
    with pytest.raises(SpecError, match="requires small-cell suppression"):
        decide_policy(False, 11, 16, P())
    assert decide_policy(True, 5, 16, P()).threshold == 11  # never below the agreement's

    class Undecided:
        name, path, disclosure = "seer", "old_copy.yaml", {}

    with pytest.raises(SpecError, match="does not say"):
        decide_policy(None, 11, 16, Undecided())
    assert decide_policy(True, 11, 16, Undecided()).enabled
    assert not decide_policy(None, 11, 16, None).enabled


def test_registry_profile_without_decision_refuses_to_build(tmp_path):
    text = (PROFILE_DIR / "seer.yaml").read_text(encoding="utf-8")
    text = re.sub(r"disclosure:\n(  .*\n)+", "", text)
    prof = tmp_path / "old_seer_copy.yaml"
    prof.write_text(text, encoding="utf-8")
    src = write_synthetic_registry("seer", tmp_path / "x.csv", 40, 1)
    spec = parse_spec(
        {
            "cohort": {"source": str(src), "profile": str(prof)},
            "output": {"figure_formats": [], "table_formats": ["csv"]},
        }
    )
    with pytest.raises(SpecError, match="does not say whether small cells"):
        build_report(spec, tmp_path / "out", jobs=1)
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- the checker


def test_checker_recovers_a_complement_from_a_published_total():
    led = DisclosureLedger()
    led.count("men", 3, masked=True, where="Table 1")
    led.count("women", 190, masked=False, where="Table 1")
    led.count("all", 193, masked=False, where="Table 1")
    led.total("all", ["men", "women"])
    assert [f.key for f in check_disclosure(led, threshold=11)] == ["men"]


def test_checker_recovers_a_count_from_a_percentage():
    # "190 (98.4)" fixes the denominator at 193, hence the masked men = 3
    led = DisclosureLedger()
    led.count("women", 190, masked=False, where="Table 1")
    led.count("men", 3, masked=True, where="Table 1")
    led.count("n", 193, masked=True, where="Table 1")
    led.hidden("missing", 0)
    led.percent("women", ["women", "men"], "98.4")
    led.total("n", ["women", "men", "missing"])
    keys = {f.key for f in check_disclosure(led, threshold=11)}
    assert "men" in keys


def test_checker_accepts_two_masked_cells_in_a_total():
    led = DisclosureLedger()
    for k, v, m in [("a", 3, True), ("b", 12, True), ("c", 80, False), ("all", 95, False)]:
        led.count(k, v, masked=m, where="t")
    led.total("all", ["a", "b", "c"])
    assert check_disclosure(led, threshold=11) == []


def test_checker_flags_a_count_masked_here_and_printed_there():
    led = DisclosureLedger()
    led.count("g", 4, masked=True, where="Table 1")
    led.count("g", 4, masked=False, where="at-risk table")
    (f,) = check_disclosure(led, threshold=11)
    assert f.published_in == ("at-risk table",)


def test_table_one_hides_percentages_that_reveal_a_masked_count():
    data = pd.DataFrame(
        {
            "g": ["a"] * 200 + ["b"] * 200,
            "sex": ["female"] * 190 + ["male"] * 3 + [None] * 7 + ["male"] * 200,
        }
    )
    t1 = table_one(data, "g", ["sex"], suppression=SuppressionPolicy())
    col_a = t1.table["a"].tolist()
    assert "190 (98.4)" not in col_a and not any("(" in c for c in col_a[2:])


def test_table_one_masks_a_mean_of_one_or_two_patients():
    data = pd.DataFrame(
        {
            "g": ["a"] * 30 + ["b"] * 30,
            "cea": [5.0 + i for i in range(30)] + [123.4, 98.7] + [None] * 28,
        }
    )
    t1 = table_one(data, "g", ["cea"], suppression=SuppressionPolicy())
    row = t1.table[t1.table["variable"].str.startswith("cea")].iloc[0]
    assert row["b"] == "<11" and "123" not in " ".join(map(str, row.tolist()))


def test_a_leaky_at_risk_table_fails_the_build(tmp_path, monkeypatch):
    import crlm_outcomes.report.figures as figures

    # the old at-risk table: no complementary suppression across groups
    monkeypatch.setattr(figures, "complementary_mask", lambda values, mask, cons: mask)
    folder = tmp_path / "in"
    folder.mkdir()
    spec = parse_spec(
        {
            "cohort": {
                "source": str(_seer_file(folder)),
                "profile": str(_renamed_seer_profile(folder)),
            },
            "endpoints": ["os"],
            "stratifiers": ["primary_sidedness"],
            "output": {"figure_formats": [], "table_formats": ["csv"]},
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DisclosureError, match="risk") as info:
            build_report(spec, tmp_path / "out", jobs=1)
    assert info.value.findings
    assert not (tmp_path / "out").exists()
