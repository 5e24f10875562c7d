"""Disclosure control in the analysis sections beyond the flow, Table 1 and Kaplan-Meier
tables: Cox models, competing risks, score validation, multiple imputation and matching.

Each section is built with suppression on from one hospital file with many small groups (150
patients; a few missing covariates, small risk groups): the shipped section passes the
disclosure checker, and a deliberately leaky variant of it (no complementary suppression, a
curve drawn for a complement group, a percentage printed beside a masked count) fails the
build with :class:`~crlm_outcomes.errors.DisclosureError` naming that section's counts.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import crlm_outcomes.report.sections._disclosure as disc
from crlm_outcomes.datasets.registry import write_synthetic_registry
from crlm_outcomes.errors import DisclosureError
from crlm_outcomes.report.build import BuildResult, build_report
from crlm_outcomes.report.spec import parse_spec

SMALL = re.compile(r"^(?:[1-9]|10)$")


@pytest.fixture(scope="module")
def hospital_file(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hospital")
    return write_synthetic_registry("institutional", folder / "hospital.csv", 150, 5)


def _spec(source: Path, **sections: Any):
    return parse_spec(
        {
            "cohort": {"source": str(source), "profile": "institutional"},
            "endpoints": ["os"],
            "output": {
                "figure_formats": [],
                "table_formats": ["csv"],
                "survival_times": [12],
                "suppression": {"enabled": True},
            },
            **sections,
        }
    )


def _build(spec, out: Path) -> BuildResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_report(spec, out, jobs=1)


def _leaks(spec, out: Path) -> set[str]:
    """The ledger keys of the counts a (leaky) build would disclose."""
    with pytest.raises(DisclosureError) as info:
        _build(spec, out)
    assert not out.exists()  # nothing written
    return {f.key for f in info.value.findings}


def _table(res: BuildResult, name: str) -> pd.DataFrame:
    return pd.read_csv(res.out_dir / "tables" / f"{name}.csv", dtype=str, keep_default_na=False)


def _no_identity_complement(monkeypatch):
    """The leaky variant: a masked count gets no complementary cell."""
    monkeypatch.setattr(disc, "complementary_mask", lambda values, mask, cons: mask)


def _passed(res: BuildResult) -> None:
    assert any(n.startswith("Disclosure check passed") for n in res.notes)


# -------------------------------------------------------------------------------- Cox


COX = {
    "cox": [
        {"name": "m1", "endpoint": "os", "formula": "age_at_diagnosis + sex + extrahepatic_disease"}
    ]
}


def test_cox_counts_pass_the_checker(hospital_file, tmp_path):
    spec = _spec(hospital_file, **COX)
    spec = spec.model_copy(
        update={"output": spec.output.model_copy(update={"figure_formats": ["svg"]})}
    )
    res = _build(spec, tmp_path / "out")
    _passed(res)
    # the forest plot prints no N/events under suppression (the table prints them masked)
    forest = (res.out_dir / "figures" / "forest_m1.svg").read_text(encoding="utf-8")
    assert "N/events" not in forest and "HR (95% CI)" in forest
    page = res.html.read_text(encoding="utf-8")
    # 3 patients lack extrahepatic_disease: the excluded count and n are both masked
    foot = re.search(
        r"n: ([^;]*); events: [^;]*;.*?excluded for missing values: ([^<]*?)</p>", page
    ).groups()
    assert foot == ("\u2021", "&lt;11")
    # the levels of sex add up to the masked n: one of them is masked too
    table = _table(res, "cox_m1")
    sex = table.loc[table["variable"].eq("Sex") & table["level"].ne(""), "N"]
    assert len(sex) == 2 and sex.isin(["\u2021", "<11"]).sum() == 1


def test_cox_without_complementary_suppression_is_caught(hospital_file, tmp_path, monkeypatch):
    import importlib

    from crlm_outcomes.report.suppression import suppress_vector

    rt = importlib.import_module("crlm_outcomes.report.regression_table")

    _no_identity_complement(monkeypatch)
    monkeypatch.setattr(
        rt,
        "suppress_vector",
        lambda values, policy, total_published=True: suppress_vector(
            values, policy, total_published=False
        ),
    )
    assert "cox|m1|excluded" in _leaks(_spec(hospital_file, **COX), tmp_path / "out")


# -------------------------------------------------------------------- competing risks


CIF = {
    "stratifiers": ["ras_class"],
    "competing_risks": [{"by": "ras_class"}],
    "endpoints": ["os", "rfs"],
}


def test_competing_risks_curves_pass_the_checker(hospital_file, tmp_path):
    res = _build(_spec(hospital_file, **CIF), tmp_path / "out")
    _passed(res)
    page = res.html.read_text(encoding="utf-8")
    part = page.split('<section id="cif-0">')[1].split("</section>")[0]
    # wild type (7 patients) is not drawn, nor its complement (incomplete testing, 24)
    assert "Groups whose size is suppressed are not drawn" in part


def test_competing_risks_drawing_a_complement_group_is_caught(hospital_file, tmp_path, monkeypatch):
    import crlm_outcomes.report.sections.competing_risks as cr

    def only_small(ctx, by):  # the old rule: hide small groups only, no complement
        used = ctx.data.loc[ctx.data["rfs_months"].notna() & ctx.data["rfs_cause"].notna()]
        sizes = used[by].dropna().astype(object).value_counts()
        return [g for g, n in sizes.items() if n < ctx.policy.threshold]

    monkeypatch.setattr(cr, "cif_hidden_groups", only_small)
    leaks = _leaks(_spec(hospital_file, **CIF), tmp_path / "out")
    assert any(k.startswith("km|rfs|ras_class|") or k.startswith("cif0|") for k in leaks)


# ------------------------------------------------------------------- score validation


SCORES = {
    "score_validation": {
        "scores": ["fong_score", "tumour_burden_score"],
        "endpoint": "os",
        "times": [12, 36],
    }
}


def test_score_validation_counts_pass_the_checker(hospital_file, tmp_path):
    res = _build(_spec(hospital_file, **SCORES), tmp_path / "out")
    _passed(res)
    table = _table(res, "score_validation").set_index("Score")
    # 9 patients lack the tumour burden score (TBS): n + missing = the cohort, both masked
    assert table.loc["TBS", "Missing score"] == "<11"
    assert table.loc["TBS", "Patients"] == "\u2021"
    for col in ("Patients", "Events", "Missing score"):
        assert not table[col].str.match(SMALL).any()


def test_score_validation_without_complementary_suppression_is_caught(
    hospital_file, tmp_path, monkeypatch
):
    _no_identity_complement(monkeypatch)
    leaks = _leaks(_spec(hospital_file, **SCORES), tmp_path / "out")
    assert "sv|TBS|missing" in leaks


# ---------------------------------------------------------------- multiple imputation


IMPUTE = {
    "imputation": {
        "variables": ["neoadjuvant_chemo", "cea_at_liver_diagnosis"],
        "predictors": ["age_at_diagnosis", "sex"],
        "m": 2,
        "iterations": 2,
    },
    "cox": [
        {"name": "mi", "endpoint": "os", "formula": "neoadjuvant_chemo + cea_at_liver_diagnosis"}
    ],
}


def test_imputation_counts_pass_the_checker(hospital_file, tmp_path):
    res = _build(_spec(hospital_file, **IMPUTE), tmp_path / "out")
    _passed(res)
    table = _table(res, "imputation_models").set_index("variable")
    # 8 patients lack neoadjuvant_chemo: neither the count nor its percentage is printed
    assert table.loc["Neoadjuvant chemotherapy", "missing, n"] == "<11"
    assert table.loc["Neoadjuvant chemotherapy", "missing, %"] == "<11"
    assert table.loc["CEA at liver metastasis diagnosis", "missing, %"].endswith("%")


def test_imputation_percentage_of_a_masked_count_is_caught(hospital_file, tmp_path, monkeypatch):
    monkeypatch.setattr(disc, "_percent_hidden", lambda kind, exc_kind, policy: False)
    leaks = _leaks(_spec(hospital_file, **IMPUTE), tmp_path / "out")
    assert "imp|neoadjuvant_chemo|missing" in leaks


# --------------------------------------------------------------------------- matching


MATCH = {
    "matching": [
        {
            "treatment": "neoadjuvant_chemo",
            "formula": "age_at_diagnosis + sex",
            "caliper": 0.01,
            "ratio": 3,
            "endpoint": "os",
        }
    ]
}


def test_matching_sizes_pass_the_checker(hospital_file, tmp_path):
    res = _build(_spec(hospital_file, **MATCH), tmp_path / "out")
    _passed(res)
    sizes = _table(res, "matching_1_sizes").set_index("group")
    for col in ("patients", "matched", "unmatched"):
        assert not sizes[col].str.match(SMALL).any()
    control = sizes.loc["No neoadjuvant chemotherapy"]  # 3 of 93 controls unmatched at 3:1
    assert control["unmatched"] == "<11"
    # matched + unmatched = all: a second cell is masked, and the effective size with it
    assert "\u2021" in (control["matched"], control["patients"])
    assert control["effective n"] == "\u2021"


def test_matching_without_complementary_suppression_is_caught(hospital_file, tmp_path, monkeypatch):
    _no_identity_complement(monkeypatch)
    leaks = _leaks(_spec(hospital_file, **MATCH), tmp_path / "out")
    assert any(k.startswith("match0|control|") for k in leaks)


# ------------------------------------------------------- the same patients across sections


def test_same_patients_masked_elsewhere_are_masked_here_and_printed_ones_never_complement():
    import numpy as np

    from crlm_outcomes.report.disclosure_check import DisclosureLedger, check_disclosure
    from crlm_outcomes.report.suppression import SuppressionPolicy

    data = pd.DataFrame({"g": ["a"] * 4 + ["b"] * 40 + ["c"] * 56}, index=range(100, 200))

    class Ctx:
        policy, ledger = SuppressionPolicy(), DisclosureLedger()

    led = Ctx.ledger
    masks = {g: data["g"].eq(g).to_numpy() for g in "abc"}
    for g, masked in (("a", True), ("b", True), ("c", False)):  # Table 1: a <11, b ‡
        led.count(f"t1|{g}", masks[g].sum(), masked=masked, where="Table 1")
        disc.link_sets(led, data, {f"t1|{g}": masks[g]})
    # a later section counts b again, beside a published count of c and a total
    kinds = disc.decide(
        Ctx, [40, 56, 100], data=data, masks=[masks["b"], masks["c"], np.ones(100, bool)]
    )
    assert kinds.tolist() == [2, 0, 0]  # b masked again
    # a small count whose only possible complement (c) is printed elsewhere keeps c printed
    # (masking c here would hide nothing); the checker then finds the leak
    kinds = disc.decide(
        Ctx, [4, 56], data=data, masks=[masks["a"], masks["c"]], constraints=[[0, 1]]
    )
    assert kinds.tolist() == [1, 0]
    led.count("sec|a", 4, masked=True, where="section")
    led.count("sec|c", 56, masked=False, where="section")
    led.count("sec|all", 60, masked=False, where="section")
    led.total("sec|all", ["sec|a", "sec|c"])
    disc.link_sets(led, data, {"sec|a": masks["a"], "sec|c": masks["c"]})
    assert "sec|a" in {f.key for f in check_disclosure(led, threshold=11)}
