"""Files laid out exactly as the registries document their exports load with every variable the
profile claims filled, in every era (issue #12).

Headers and codes are written here as the documents give them: the NCDB PUF Data Dictionary
(PUF 2022 SAS layout and formats), the NAACCR Data Dictionary v25 items 3819/3820 (CEA
interpretation / lab value, XXXX.1 = 10,000 ng/mL or more), 3866 (KRAS), 3890 (MSI), 3940 (BRAF),
3941 (NRAS) and the Collaborative Stage v02.05.50 colon/rectum site-specific factors they replaced
(SSF1 CEA interpretation 010/020/030; SSF3 CEA lab value in tenths of ng/mL, 980 = 98.0 or more;
SSF7 MSI 020 stable / 040 MSI-L / 050 MSI-H / 060 unstable NOS; SSF9 KRAS 010 mutated / 020
normal),
SEER*Stat's variable names, and the TCIA Colorectal-Liver-Metastases clinical file (Simpson et
al., Sci Data 2024).
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from crlm_outcomes.errors import DataQualityWarning, MissingColumnsError
from crlm_outcomes.io import load_cohort
from crlm_outcomes.stratify import fong_score, reasons


def _vals(series: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in series.astype(object)]


def _load(frame: pd.DataFrame, profile: str, tmp_path, name: str = "x.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return load_cohort(path, profile=profile)


# ---------------------------------------------------------------------------------- NCDB PUF
#: One patient per era: CS era (2012), 2016-2017 (METS_AT_DX_*, CS SSFs still), SSDI era (2019).
NCDB = {
    "PUF_CASE_ID": ["A12", "B17", "C19", "D19"],
    "AGE": ["064", "090", "071", "999"],
    "SEX": ["1", "2", "2", "9"],
    "YEAR_OF_DIAGNOSIS": ["2012", "2017", "2019", "2019"],
    "CDCC_TOTAL_BEST": ["0", "3", "1", "2"],
    "PRIMARY_SITE": ["C187", "C180", "C209", "C189"],
    "GRADE": ["2", "3", "9", "9"],
    "GRADE_PATH": ["", "", "2", "9"],
    "GRADE_CLIN": ["", "", "", "4"],
    "REGIONAL_NODES_POSITIVE": ["03", "00", "97", "99"],
    "TNM_PATH_T": ["p3", "p4B", "", ""],
    "TNM_PATH_N": ["p1A", "p0", "", ""],
    "AJCC_TNM_PATH_T": ["", "", "pT4a", "pTX"],
    "AJCC_TNM_PATH_N": ["", "", "pN2b", "pNX"],
    "CS_METS_DX_LIVER": ["1", "", "", ""],
    "CS_METS_DX_LUNG": ["1", "", "", ""],
    "CS_METS_DX_BONE": ["0", "", "", ""],
    "CS_METS_DX_BRAIN": ["0", "", "", ""],
    "METS_AT_DX_LIVER": ["", "1", "1", "9"],
    "METS_AT_DX_LUNG": ["", "0", "0", "9"],
    "METS_AT_DX_BONE": ["", "0", "0", "9"],
    "METS_AT_DX_BRAIN": ["", "0", "0", "9"],
    "METS_AT_DX_DISTANT_LN": ["", "0", "1", "9"],
    "METS_AT_DX_OTHER": ["", "0", "0", "9"],
    "CS_SITESPECIFIC_FACTOR_1": ["010", "010", "", ""],  # CEA interpretation: positive
    "CS_SITESPECIFIC_FACTOR_3": ["123", "980", "", ""],  # CEA lab value, tenths of ng/mL
    "CS_SITESPECIFIC_FACTOR_7": ["050", "020", "", ""],  # MSI: 050 MSI-H, 020 stable
    "CS_SITESPECIFIC_FACTOR_9": ["010", "020", "", ""],  # KRAS: 010 mutated, 020 normal
    "CEA_PRE_VALUE": ["", "", "XXXX.1", "XXXX.9"],
    "CEA_PRE_INTERP": ["", "", "1", "9"],
    "KRAS": ["", "", "0", "9"],
    "MSI": ["", "", "1", "9"],
    "NRAS_MUTATIONAL_ANALYSIS": ["", "", "1", "9"],
    "BRAF_MUTATIONAL_ANALYSIS": ["", "", "1", "3"],
    "DX_LASTCONTACT_DEATH_MONTHS": ["40.5", "12.0", "6.3", "20.1"],
    "PUF_VITAL_STATUS": ["0", "0", "1", "1"],
    "RX_SUMM_SURGICAL_MARGINS": ["0", "0", "0", "0"],
}


@pytest.fixture(scope="module")
def ncdb(tmp_path_factory):
    return _load(pd.DataFrame(NCDB), "ncdb", tmp_path_factory.mktemp("ncdb"))


def test_ncdb_every_era_fills_every_claimed_variable(ncdb):
    d = ncdb.data
    assert ncdb.audit.rows_quarantined == 0, ncdb.audit.quarantine
    assert len(ncdb.audit.absent_columns) == 0
    assert _vals(d["age_at_diagnosis"]) == [64.0, None, 71.0, None]
    assert _vals(d["age_at_diagnosis_at_least"]) == [None, 90.0, None, None]  # 090 = 90+
    assert _vals(d["charlson_deyo_score"]) == [0, 3, 1, 2]
    assert _vals(d["primary_grade"]) == ["G2", "G3", "G2", "G4"]  # path, then clinical, then old
    assert _vals(d["primary_t_stage"]) == ["T3", "T4b", "T4a", None]
    assert _vals(d["primary_n_stage"]) == ["N1a", "N0", "N2b", None]
    assert _vals(d["primary_nodes_positive"]) == [3, 0, None, None]
    assert _vals(d["primary_node_positive"]) == [True, False, True, None]  # 97 = positive NOS
    assert _vals(d["liver_mets_at_primary_diagnosis"]) == [True, True, True, None]
    assert _vals(d["extrahepatic_lung"]) == [True, False, False, None]
    assert _vals(d["extrahepatic_distant_nodes"]) == [None, False, True, None]
    # synchronous: disease from the per-site flags (CS era lacks distant-node / other items)
    assert _vals(d["extrahepatic_disease"]) == [True, False, True, None]
    assert _vals(d["extrahepatic_sites"]) == ["lung", None, "distant_nodes", None]
    # CEA: CS SSF3 in tenths (123 = 12.3 ng/mL; 980 = 98.0 or more), SSDI 3820 XXXX.1
    assert _vals(d["cea_at_liver_diagnosis"]) == [12.3, None, None, None]
    assert _vals(d["cea_at_liver_diagnosis_at_least"]) == [None, 98.0, 10000.0, None]
    assert _vals(d["cea_interpretation"]) == ["elevated", "elevated", "elevated", None]
    assert _vals(d["kras_status"]) == ["mutant", "wild_type", "wild_type", None]
    assert _vals(d["nras_status"]) == [None, None, "mutant", None]
    assert _vals(d["braf_status"]) == [None, None, "V600E", None]
    assert _vals(d["mmr_status"]) == ["dMMR_MSI_H", "pMMR_MSS", "pMMR_MSS", None]
    assert _vals(d["vital_status"]) == ["dead", "dead", "alive", "alive"]
    assert "RX_SUMM_SURGICAL_MARGINS" in ncdb.provenance["source_columns_ignored"]


def test_ncdb_codes_read_differently(ncdb):
    sm = ncdb.audit.set_missing
    why = dict(zip(zip(sm["column"], sm["value"], strict=True), sm["reason"], strict=True))
    assert (
        why[("cea_at_liver_diagnosis", "xxxx.1")]
        == "known only as >= 10000 ng/mL (source top code 'XXXX.1')"
    )
    assert (
        why[("cea_at_liver_diagnosis", "980")]
        == "known only as >= 98 ng/mL (source top code '980')"
    )
    assert (
        why[("cea_at_liver_diagnosis", "xxxx.9")]
        == "unknown for this patient (registry code XXXX.9)"
    )
    assert why[("braf_status", "3")] == "BRAF fusion, not a point mutation (registry code 3)"


def test_ncdb_documented_codes_that_are_easy_to_misread(tmp_path):
    """CS SSF7 040 (MSI-L) is proficient and 060 (unstable NOS) undecided; SSF9 020 is wild type;
    SSF1 030 borderline; item 3819 code 3 undetermined; METS_AT_DX_OTHER 2 = carcinomatosis;
    TNM_PATH_N c0; 90 positive nodes = 90 or more; fixed-width padding ("   pX") is trimmed."""
    raw = pd.DataFrame(NCDB)
    raw["CS_SITESPECIFIC_FACTOR_7"] = ["040", "060", "", ""]
    raw["CS_SITESPECIFIC_FACTOR_9"] = ["020", "999", "", ""]
    raw["CS_SITESPECIFIC_FACTOR_1"] = ["030", "020", "", ""]
    raw["CEA_PRE_INTERP"] = ["", "", "3", "0"]
    raw["METS_AT_DX_OTHER"] = ["", "2", "0", "9"]
    raw["TNM_PATH_N"] = ["c0", "   pX", "", ""]
    raw["REGIONAL_NODES_POSITIVE"] = ["90", "00", "97", "99"]
    c = _load(raw, "ncdb", tmp_path)
    d = c.data
    assert c.audit.rows_quarantined == 0, c.audit.quarantine
    assert _vals(d["mmr_status"]) == ["pMMR_MSS", None, "pMMR_MSS", None]
    assert _vals(d["kras_status"]) == ["wild_type", None, "wild_type", None]
    assert _vals(d["cea_interpretation"]) == ["borderline", "normal", None, "normal"]
    assert _vals(d["extrahepatic_other"]) == [None, True, False, None]
    assert _vals(d["primary_n_stage"]) == ["N0", None, "N2b", None]
    assert _vals(d["primary_node_positive"]) == [True, False, True, None]
    assert _vals(d["primary_nodes_positive"]) == [None, 0, None, None]
    sm = c.audit.set_missing
    why = dict(zip(zip(sm["column"], sm["value"], strict=True), sm["reason"], strict=True))
    assert why[("mmr_status", "60")] == "MSI unstable, low or high not stated (CS SSF7 code 060)"
    assert why[("cea_interpretation", "3")].startswith("undetermined")
    assert why[("primary_nodes_positive", "90")].startswith("90 or more positive nodes")


def test_ncdb_reasons_reach_the_scores(ncdb):
    score = fong_score(ncdb, dfi_origin="diagnosis")
    why = reasons(score)
    # top-coded CEA >= 10,000 clears the 200 ng/mL cut: that component is known (= 1)
    assert "CEA > 200" not in why.iloc[2]
    # not recorded by this source, in the source's own terms
    assert "liver_mets_number not recorded by this source (profile ncdb)" in why.iloc[0]
    # CS-era CEA >= 98 cannot decide "> 200" (reason: the clinical item, then why)
    assert "CEA > 200 ng/mL: known only as >= 98, not enough to decide" in why.iloc[1]


# ---------------------------------------------------------------------------------- SEER*Stat
SEER = {
    "Patient ID": ["1", "2", "3", "4"],
    "Age recode with single ages and 85+": ["64 years", "85+ years", "07 years", "70 years"],
    "Sex": ["Male", "Female", "Female", "Male"],
    "Year of diagnosis": ["2012", "2016", "2019", "2021"],
    "Primary Site": ["187", "199", "180", "209"],
    "Grade Recode (thru 2017)": [
        "Moderately differentiated; Grade II",
        "Poorly differentiated; Grade III",
        "Blank(s)",
        "Blank(s)",
    ],
    "Grade Pathological (2018+)": ["Blank(s)", "Blank(s)", "2", "9"],
    "Grade Clinical (2018+)": ["Blank(s)", "Blank(s)", "Blank(s)", "3"],
    "Derived AJCC T, 7th ed (2010-2015)": ["T4NOS", "Blank(s)", "Blank(s)", "Blank(s)"],
    "Derived SEER Combined T (2016-2017)": ["Blank(s)", "p4A", "Blank(s)", "Blank(s)"],
    "Derived EOD 2018 T (2018+)": ["Blank(s)", "Blank(s)", "T3", "TX"],
    "Derived AJCC N, 7th ed (2010-2015)": ["N1NOS", "Blank(s)", "Blank(s)", "Blank(s)"],
    "Derived SEER Combined N (2016-2017)": ["Blank(s)", "c0", "Blank(s)", "Blank(s)"],
    "Derived EOD 2018 N (2018+)": ["Blank(s)", "Blank(s)", "N2a", "NX"],
    "Regional nodes positive (1988+)": ["2", "0", "5", "98"],
    "SEER Combined Mets at DX-liver (2010+)": ["Yes", "None", "Yes", "N/A"],
    "SEER Combined Mets at DX-lung (2010+)": ["None", "None", "Yes", "Unknown"],
    "SEER Combined Mets at DX-bone (2010+)": ["None", "None", "None", "Unknown"],
    "SEER Combined Mets at DX-brain (2010+)": ["None", "None", "None", "Unknown"],
    "Mets at DX-Distant LN (2016+)": ["Blank(s)", "None", "None", "Unknown"],
    "Mets at DX-Other (2016+)": ["Blank(s)", "None", "None", "Unknown"],
    "CEA Pretreatment Interpretation Recode (2010+)": [
        "CEA positive/elevated",
        "CEA negative/normal; within normal limits",
        "Borderline",
        "Test ordered, results not in chart",
    ],
    "CEA Pretreatment Lab Value (2018+)": ["Blank(s)", "Blank(s)", "250.0", "XXXX.9"],
    "KRAS (2018+)": ["Blank(s)", "Blank(s)", "1", "9"],
    "Microsatellite Instability (MSI) (2018+)": ["Blank(s)", "Blank(s)", "2", "9"],
    "BRAF Mutational Analysis (2021+)": ["Blank(s)", "Blank(s)", "Blank(s)", "1"],
    "Survival months": ["0010", "0000", "0005", "0030"],
    "Vital status recode (study cutoff used)": ["Dead", "Alive", "Dead", "Alive"],
    "SEER cause-specific death classification": [
        "Dead (attributable to this cancer dx)",
        "Alive or dead of other cause",
        "Alive or dead of other cause",
        "Alive or dead of other cause",
    ],
}


def test_seer_every_era_fills_every_claimed_variable(tmp_path):
    c = _load(pd.DataFrame(SEER), "seer", tmp_path)
    d = c.data
    assert c.audit.rows_quarantined == 0, c.audit.quarantine
    assert len(c.audit.absent_columns) == 0
    assert _vals(d["age_at_diagnosis_at_least"]) == [None, 85.0, None, None]
    assert _vals(d["primary_grade"]) == ["G2", "G3", "G2", "G3"]
    assert _vals(d["primary_t_stage"]) == ["T4", "T4a", "T3", None]
    assert _vals(d["primary_n_stage"]) == ["N1", "N0", "N2a", None]
    assert _vals(d["primary_node_positive"]) == [True, False, True, None]
    assert _vals(d["liver_mets_at_primary_diagnosis"]) == [True, False, True, None]
    assert _vals(d["extrahepatic_disease"]) == [None, None, True, None]  # CS era: no LN item
    assert _vals(d["cea_interpretation"]) == ["elevated", "normal", "borderline", None]
    assert _vals(d["cea_at_liver_diagnosis"]) == [None, None, 250.0, None]
    assert _vals(d["kras_status"]) == [None, None, "mutant", None]
    assert _vals(d["mmr_status"]) == [None, None, "dMMR_MSI_H", None]
    assert _vals(d["braf_status"]) == [None, None, None, "V600E"]
    assert _vals(d["cause_of_death"]) == ["colorectal_cancer", None, "other", None]


def test_seer_survival_unknown_and_future_diagnosis_are_quarantined_with_reasons(tmp_path):
    raw = pd.DataFrame(SEER)
    raw.loc[0, "Survival months"] = "9999"
    raw.loc[1, "Year of diagnosis"] = "2099"
    raw.loc[2, "Survival months"] = "1500"
    c = _load(raw, "seer", tmp_path)
    q = c.audit.quarantine
    assert c.audit.rows_in == c.audit.rows_loaded + c.audit.rows_quarantined
    assert set(q["source_row"]) == {1, 2, 3}
    rules = dict(zip(q["source_row"], q["rule"], strict=False))
    assert rules[1] == "missing_followup" and rules[2] == "diagnosis_after_load_date"
    assert rules[3] == "implausible_followup"
    sm = c.audit.set_missing
    assert "survival time unknown (SEER code 9999)" in set(sm["reason"])


def test_quarantine_record_names_the_file_column_raw_text_and_source_codes(tmp_path):
    raw = pd.DataFrame(SEER)
    raw.loc[3, "Sex"] = "M"
    c = _load(raw, "seer", tmp_path)
    rec = c.audit.quarantine.iloc[0]
    assert (rec["source_row"], rec["column"], rec["source_column"], rec["value"]) == (
        4,
        "sex",
        "Sex",
        "M",
    )
    assert "['Female', 'Male']" in rec["reason"]


# ---------------------------------------------------------------------------------- TCIA
def _tcia() -> pd.DataFrame:
    """The TCIA clinical file's columns, exactly as headed, for five patients."""
    return pd.DataFrame(
        {
            "Patient-ID": ["CRLM-001", "CRLM-002", "CRLM-003", "CRLM-004", "CRLM-005"],
            "De-identify Scout Name": ["a", "b", "c", "d", "e"],
            "age": [61, 55, 70, 48, 66],
            "sex": [1, 2, 1, 2, 1],
            "major_comorbidity": [0, 1, 0, 0, 1],
            "node_positive_primary": [1, 0, 1, 1, 0],
            "body_mass_index": [24.2, 31.0, -999, 22.5, 27.1],
            "multiple_metastases": [1, 0, 1, 0, 1],
            "max_tumor_size": [6.5, 2.0, 3.1, 5.0, 7.2],
            "bilobar_disease": [1, 0, 1, 0, 1],
            "extrahep_disease": [0, 0, 1, 0, 0],
            "synchronous_crlm": [1, 1, 1, 0, 0],
            "carcinoembryonic_antigen": [250.0, 3.1, 12, 9, 400],
            "chemo_before_liver_resection": [1, 0, 1, 1, 0],
            "preoperative_pve": [0, 0, 1, 0, 0],
            "clinrisk_score": [5, 1, 3, 1, 3],
            "clinrisk_stratified": [1, 0, 1, 0, 1],
            "steatosis_yesno": [1, 0, 0, 1, -999],
            "presence_sinusoidal_dilata": [0, 1, 0, 0, 1],
            "NASH_score": [2, 0, 1, 3, -999],
            "NASH_yesno": [0, 0, 0, 1, -999],
            "NASH_greater_4": [0, 0, 0, 0, -999],
            "fibrosis_greater_40_percent": [1, 0, 0, 0, 1],
            "total_response_percent": [60, -999, 30, 10, 0],
            "necrosis_percent": [20, 50, 10, 5, 30],
            "fibrosis_percent": [40, 10, 20, 5, 50],
            "mucin_percent": [0, 0, 5, 0, 0],
            "overall_survival_months": [40.5, 12.0, 70.0, 22.0, 15.5],
            "vital_status": [1, 1, 0, 0, 1],
            "progression_or_recurrence": [1, 0, 0, 1, 1],
            "months_to_DFS_progression": [10.0, 12.0, 70.0, 8.0, 6.0],
            "vital_status_DFS": [1, 1, 0, 1, 1],
            "progression_or_recurrence_liveronly": [1, 0, 0, 0, 1],
            "months_to_liver_DFS_progression": [10.0, 12.0, 70.0, 22.0, 6.0],
            "vital_status_liver_DFS": [1, 1, 0, 0, 1],
            "relevant_notes": ["", "x", "", "", ""],
        }
    )


def test_tcia_loads_every_item_and_fong_agrees_with_clinrisk_score(tmp_path):
    c = _load(_tcia(), "tcia_crlm", tmp_path)
    d = c.data
    assert c.audit.rows_quarantined == 0 and len(c.audit.absent_columns) == 0
    assert _vals(d["liver_mets_number"]) == [None, 1, None, 1, None]
    assert _vals(d["liver_mets_number_at_least"]) == [2, None, 2, None, 2]
    assert _vals(d["major_comorbidity"]) == [False, True, False, False, True]
    assert _vals(d["body_mass_index"]) == [24.2, 31.0, None, 22.5, 27.1]
    assert _vals(d["pathological_response_pct"]) == [60.0, None, 30.0, 10.0, 0.0]
    assert _vals(d["liver_steatosis"]) == [True, False, False, True, None]
    assert _vals(d["nash_score"]) == [2, 0, 1, 3, None]
    assert _vals(d["source_clinical_risk_score"]) == [5, 1, 3, 1, 3]
    ignored = c.provenance["source_columns_ignored"]
    assert {"De-identify Scout Name", "relevant_notes"} <= set(ignored)
    score = fong_score(c, dfi_origin="diagnosis")
    sync = d["liver_mets_at_primary_diagnosis"].to_numpy(dtype=bool)
    # synchronous: every component known; equal to the file's own score
    assert score[sync].tolist() == d["source_clinical_risk_score"][sync].tolist()
    # metachronous: the file records no disease-free interval, so no score, and it says why
    assert score[~sync].isna().all()
    why = reasons(score)[~sync]
    assert why.str.contains("disease-free interval < 12 months").all()
    assert why.str.contains("not recorded by this source \\(profile tcia_crlm\\)").all()


@pytest.mark.parametrize("profile", ["ncdb", "seer", "tcia_crlm"])
def test_every_variable_the_profile_claims_is_filled_somewhere(profile, tmp_path):
    """No canonical column a profile maps comes out empty for a whole documented layout (a
    misnamed header or a wrong code list would make it so)."""
    from crlm_outcomes.io.profile import resolve_profile

    frame = {"ncdb": pd.DataFrame(NCDB), "seer": pd.DataFrame(SEER), "tcia_crlm": _tcia()}
    c = _load(frame[profile], profile, tmp_path)
    empty = [t for t in resolve_profile(profile).rules if c.data[t].isna().all()]
    assert empty == []
    assert c.audit.rows_in == c.audit.rows_loaded + c.audit.rows_quarantined


# ---------------------------------------------------------------------------------- loudness
def test_absent_optional_column_warns_and_is_listed(tmp_path):
    raw = pd.DataFrame(NCDB).rename(columns={"CEA_PRE_VALUE": "CEA_PRETREATMENT_LAB_VALUE"})
    path = tmp_path / "ncdb.csv"
    raw.to_csv(path, index=False)
    with pytest.warns(DataQualityWarning, match="CEA_PRE_VALUE"):
        c = load_cohort(path, profile="ncdb")
    absent = c.audit.absent_columns
    assert absent[["source_column", "column"]].values.tolist() == [
        ["CEA_PRE_VALUE", "cea_at_liver_diagnosis"]
    ]
    assert "CEA_PRE_VALUE -> cea_at_liver_diagnosis" in c.summary()
    # the CS-era column still fills its era
    assert _vals(c.data["cea_at_liver_diagnosis"])[0] == 12.3


def test_wrong_delimiter_is_named(tmp_path):
    path = tmp_path / "semicolon.csv"
    pd.DataFrame(NCDB).to_csv(path, index=False, sep=";")
    with pytest.raises(MissingColumnsError, match="delimiter=';'"):
        load_cohort(path, profile="ncdb")


# ---------------------------------------------------------------------------------- format
def _profile(tmp_path, columns: str):
    from crlm_outcomes.io import load_profile

    path = tmp_path / "p.yaml"
    path.write_text(
        "name: p\ncolumns:\n  patient_id: {source: id, required: true}\n" + columns,
        encoding="utf-8",
    )
    return load_profile(path)


def test_coalesce_and_bounds_are_validated(tmp_path):
    from crlm_outcomes.errors import ProfileError

    with pytest.raises(ProfileError, match="two or more column entries"):
        _profile(tmp_path, "  sex:\n    coalesce: [{source: a, codes: {'1': male}}]\n")
    with pytest.raises(ProfileError, match="'years' must be"):
        _profile(
            tmp_path,
            "  sex:\n    coalesce:\n      - {source: a, years: [2020, 2010], "
            "codes: {'1': male}}\n      - {source: b, codes: {'1': male}}\n",
        )
    with pytest.raises(ProfileError, match="needs the canonical column 'sex_at_least'"):
        _profile(tmp_path, "  sex: {source: a, bounds: {'9': 1}}\n")
    with pytest.raises(ProfileError, match="'scale' must be"):
        _profile(tmp_path, "  sex: {source: a, scale: 0.1}\n")
    rule = _profile(
        tmp_path,
        "  cea_at_liver_diagnosis:\n    coalesce:\n"
        "      - {source: new, unit: ng/mL}\n"
        "      - {source: old, unit: ng/mL, scale: 0.1, bounds: {'980': 98}}"
        "\n",
    ).rules["cea_at_liver_diagnosis"]
    assert rule.sources == ("new", "old") and rule.coalesce[1].factor == pytest.approx(0.1)


def test_coalesce_takes_the_first_non_missing_with_each_entry_codes(tmp_path):
    prof = _profile(
        tmp_path,
        "  cea_at_liver_diagnosis:\n    coalesce:\n"
        "      - {source: new, unit: ng/mL, missing_values: ['XXXX.9']}\n"
        "      - {source: old, unit: ng/mL, scale: 0.1, "
        "missing_values: ['999'], bounds: {'980': 98}}\n"
        "  os_months: {source: m, unit: months}\n"
        "  vital_status: {source: v, codes: {'0': alive, '1': dead}}\n"
        "endpoint_origins: {os: primary_diagnosis}\n",
    )
    raw = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "new": ["5.5", "XXXX.9", "", ""],
            "old": ["", "123", "980", "999"],
            "m": [1, 2, 3, 4],
            "v": [0, 1, 0, 1],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        c = load_cohort(raw, profile=prof)
    assert _vals(c.data["cea_at_liver_diagnosis"]) == [5.5, pytest.approx(12.3), None, None]
    assert _vals(c.data["cea_at_liver_diagnosis_at_least"]) == [None, None, 98.0, None]


def test_dictionary_gives_naaccr_items_and_filling_profiles():
    from crlm_outcomes.schema.dictionary import render_dictionary

    text = render_dictionary()
    line = next(x for x in text.splitlines() if x.startswith("| `cea_at_liver_diagnosis` |"))
    assert "3820" in line and "2900 (CS SSF3" in line
    assert "ncdb (`CEA_PRE_VALUE`, `CS_SITESPECIFIC_FACTOR_3`)" in line
    assert "tcia_crlm (`carcinoembryonic_antigen`)" in line
    line = next(x for x in text.splitlines() if x.startswith("| `source_clinical_risk_score` |"))
    assert "tcia_crlm (`clinrisk_score`)" in line
