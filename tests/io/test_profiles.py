"""Shipped profiles: lossless round trip raw -> canonical for every field each profile carries,
and validation of profile files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crlm_outcomes.datasets.registry import registry_frame, write_frame
from crlm_outcomes.datasets.synthetic import synthetic_frame
from crlm_outcomes.errors import DataQualityWarning, ProfileError, SpecError, UnknownProfileError
from crlm_outcomes.io import list_profiles, load_cohort, load_profile
from crlm_outcomes.io.profile import resolve_profile
from crlm_outcomes.schema.definition import canonical_definition

N, SEED = 400, 11
_OS = {"primary_diagnosis": "primary_diagnosis", "liver_resection": "liver_resection"}


@pytest.fixture(scope="module")
def canonical():
    return load_cohort(synthetic_frame(N, SEED), profile="canonical")


def _vals(series: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in series.astype(object)]


def test_list_profiles():
    assert list_profiles() == ["canonical", "institutional", "ncdb", "seer", "tcia_crlm"]


def _assert_same(name: str, column: str, got: pd.Series, want: pd.Series) -> None:
    spec = canonical_definition().columns[column]
    gm, wm = got.isna().to_numpy(), want.isna().to_numpy()
    assert (gm == wm).all(), (
        f"{name}: {column}: missingness differs at rows {np.flatnonzero(gm != wm)[:5]}"
    )
    g, w = got[~gm], want[~wm]
    if spec.dtype == "float":
        np.testing.assert_allclose(
            g.to_numpy(float), w.to_numpy(float), rtol=1e-12, err_msg=f"{name}: {column}"
        )
    else:
        assert g.astype(object).tolist() == w.astype(object).tolist(), f"{name}: {column}"


def _entry_for_rows(rule, year: np.ndarray) -> list:
    """Per row, the coalesce entry whose era covers its diagnosis year (None: no era)."""
    out = [None] * len(year)
    for entry in reversed(rule.coalesce):
        lo, hi = entry.years
        for i, y in enumerate(year):
            if lo <= y <= hi:
                out[i] = entry
    return out


def _exported(values: pd.Series, entry) -> pd.Series:
    """A value as the registry writes it: formatted (whole years), in the entry's scale."""
    if entry.write_format is not None:  # e.g. whole years, CS tenths of ng/mL
        return np.round(values / entry.factor) * entry.factor
    return values


def _expected_as_exported(expected, target, rule, year) -> pd.Series:
    """The canonical values as a file laid out like the registry's export holds them: blank
    outside the era of every column, rounded to the export's precision."""
    want = expected[target]
    if not rule.coalesce:
        return _exported(want, rule) if want.dtype.kind == "f" else want
    entries = _entry_for_rows(rule, year)
    keep = np.array([e is not None for e in entries])
    want = want.where(keep)
    if want.dtype.kind == "f":
        vals = want.to_numpy(dtype=float, na_value=np.nan).copy()
        for i, e in enumerate(entries):
            if e is not None and e.write_format is not None:
                vals[i] = np.round(vals[i] / e.factor) * e.factor
        want = pd.Series(vals, index=want.index)
    return want


def _expected_bound(expected, target, rule, year):
    """The ``<target>_at_least`` a top-coded export gives (None: the rule has no bound)."""
    entries = _entry_for_rows(rule, year) if rule.coalesce else [rule] * len(year)
    if not any(e is not None and e.bounds for e in entries):
        return None
    values = expected[target].to_numpy(dtype=float, na_value=np.nan)
    out = np.full(len(values), np.nan)
    for i, e in enumerate(entries):
        if e is not None and e.bounds:
            b = min(e.bounds.values())
            v = values[i] if e.write_format is None else np.round(values[i] / e.factor) * e.factor
            if v >= b:
                out[i] = b
    dtype = canonical_definition().columns[f"{target}_at_least"].pandas_dtype
    return pd.Series(out, index=expected.index).astype(dtype)


@pytest.mark.parametrize("name", ["canonical", "institutional", "seer", "ncdb", "tcia_crlm"])
def test_round_trip_is_lossless(name, canonical, tmp_path):
    prof = resolve_profile(name)
    base = canonical.data
    raw = registry_frame(base, prof)
    assert set(raw.columns) == set(prof.source_columns)  # fields the profile lacks are dropped
    path = tmp_path / f"{name}.csv"
    write_frame(raw, path)
    cohort = load_cohort(path, profile=name)
    a = cohort.audit
    assert a.rows_in == len(raw) and a.rows_quarantined == 0, a.quarantine.head()
    # the expected canonical view: the same patients, endpoints with the profile's OS origin
    os_origin = _OS.get(prof.endpoint_origins.get("os"), "liver_mets_diagnosis")
    expected = load_cohort(
        synthetic_frame(N, SEED), profile="canonical", os_origin=os_origin
    ).data.set_index("patient_id")
    got = cohort.data.set_index("patient_id")
    expected = expected.loc[got.index]
    assert got.index.is_unique
    written = {}
    for target, rule in prof.rules.items():
        for src in rule.sources:
            written.setdefault(src, target)
    year = expected["diagnosis_year"].to_numpy(dtype=float, na_value=np.nan)
    for target, rule in prof.rules.items():
        if target == "patient_id" or written[rule.sources[0]] != target:
            continue  # a source column written from another canonical column (node counts)
        want = _expected_as_exported(expected, target, rule, year)
        bound = _expected_bound(expected, target, rule, year)
        if bound is not None:
            _assert_same(name, f"{target}_at_least", got[f"{target}_at_least"], bound)
            want = want.where(bound.isna().to_numpy())
        if rule.only_when is not None:
            col, value = rule.only_when
            want = want.where((expected[col] == value).fillna(False).to_numpy(bool))
        _assert_same(name, target, got[target], want)
    if prof.endpoint_origins:
        for endpoint, origin in prof.endpoint_origins.items():
            assert cohort.provenance["endpoint_origins"][endpoint]["origin"] == origin


def test_registry_profiles_leave_uncarried_fields_missing(canonical, tmp_path):
    path = tmp_path / "seer.csv"
    write_frame(registry_frame(canonical.data, "seer"), path)
    c = load_cohort(path, profile="seer")
    assert c.data["liver_resection_date"].isna().all()
    assert c.data["rfs_months"].isna().all()
    reasons = c.missing_reasons[c.missing_reasons["column"] == "rfs_months"]["reason"]
    assert len(reasons) == c.audit.rows_loaded
    assert c.provenance["endpoint_origins"]["os"]["origin"] == "primary_diagnosis"


def test_ncdb_vital_status_zero_is_dead():
    raw = pd.DataFrame(
        {
            "PUF_CASE_ID": ["a", "b"],
            "YEAR_OF_DIAGNOSIS": [2015, 2016],
            "DX_LASTCONTACT_DEATH_MONTHS": [12.0, 30.0],
            "PUF_VITAL_STATUS": [0, 1],
            "SEX": [1, 2],
            "METS_AT_DX_LIVER": [1, 9],
        }
    )
    d = load_cohort(raw, profile="ncdb").data
    assert d["vital_status"].tolist() == ["dead", "alive"]
    assert d["os_event"].tolist() == [1, 0]
    assert d["sex"].tolist() == ["male", "female"]
    assert d["liver_mets_at_primary_diagnosis"].tolist() == [True, pd.NA]


def test_carried_os_cannot_be_rebased():
    raw = pd.DataFrame(
        {
            "PUF_CASE_ID": ["a"],
            "YEAR_OF_DIAGNOSIS": [2015],
            "DX_LASTCONTACT_DEATH_MONTHS": [12.0],
            "PUF_VITAL_STATUS": [0],
        }
    )
    with pytest.raises(SpecError, match="cannot be re-based"):
        load_cohort(raw, profile="ncdb", os_origin="liver_resection")
    assert load_cohort(raw, profile="ncdb", os_origin="primary_diagnosis").n == 1


def test_seer_codes_and_age_top_coding():
    raw = pd.DataFrame(
        {
            "Patient ID": ["1", "2", "3"],
            "Year of diagnosis": [2018, 2019, 2019],
            "Age recode with single ages and 85+": ["64 years", "85+ years", "07 years"],
            "Primary Site": [187, 199, 180],
            "Survival months": [10, 0, 5],
            "Vital status recode (study cutoff used)": ["Dead", "Alive", "Dead"],
            "SEER cause-specific death classification": ["1", "0", "0"],
            "SEER Combined Mets at DX-liver (2010+)": ["Yes", "None", "N/A"],
            "KRAS (2018+)": [0, 2, 9],
            "BRAF Mutational Analysis (2021+)": [1, 2, 3],
            "Microsatellite Instability (MSI) (2018+)": [1, 2, 9],
        }
    )
    with pytest.warns(DataQualityWarning, match="optional source column"):
        c = load_cohort(raw, profile="seer")
    assert c.audit.rows_quarantined == 0  # "N/A" liver mets: a valid patient, item missing
    assert _vals(d_liver := c.data["liver_mets_at_primary_diagnosis"]) == [True, False, None], (
        d_liver
    )
    d = c.data
    assert d["age_at_diagnosis"].tolist()[0] == 64.0 and pd.isna(d["age_at_diagnosis"][1])
    assert d["primary_site_icdo3"].tolist() == ["C18.7", "C19.9", "C18.0"]
    assert _vals(d["cause_of_death"]) == ["colorectal_cancer", None, "other"]
    assert _vals(d["kras_status"]) == ["wild_type", "mutant", None]
    assert _vals(d["braf_status"]) == ["V600E", "non_V600E", None]
    assert _vals(d["mmr_status"]) == ["pMMR_MSS", "dMMR_MSI_H", None]
    sm = c.audit.set_missing
    top = sm[(sm["column"] == "age_at_diagnosis")]
    assert top["value"].tolist() == ["85+ years"] and top["count"].tolist() == [1]
    assert top["reason"].tolist() == ["known only as >= 85 years (source top code '85+ years')"]
    assert _vals(d["age_at_diagnosis_at_least"]) == [None, 85.0, None]


def test_tcia_resected_cohort_endpoints():
    raw = pd.DataFrame(
        {
            "Patient-ID": ["CRLM-001", "CRLM-002", "CRLM-003"],
            "age": [60, -999, 70],
            "sex": [1, 2, 1],
            "overall_survival_months": [40.5, 12.0, 70.0],
            "vital_status": [1, 1, 0],
            "months_to_DFS_progression": [10.0, 12.0, 70.0],
            "vital_status_DFS": [1, 1, 0],
            "progression_or_recurrence": [1, 0, 0],
            "months_to_liver_DFS_progression": [40.5, 12.0, 70.0],
            "vital_status_liver_DFS": [1, 1, 0],
            "clinrisk_score": [2, 3, -999],
        }
    )
    c = load_cohort(raw, profile="tcia_crlm")
    d = c.data
    assert d["rfs_cause"].tolist() == [1, 2, 0]
    assert d["os_event"].tolist() == [1, 1, 0]
    assert pd.isna(d["age_at_diagnosis"][1])
    assert "clinrisk_score" in c.provenance["source_columns_used"]
    assert _vals(d["source_clinical_risk_score"]) == [2, 3, None]
    assert {v["origin"] for v in c.provenance["endpoint_origins"].values()} == {"liver_resection"}


def test_tcia_contradictory_dfs_flags_quarantine():
    raw = pd.DataFrame(
        {
            "Patient-ID": ["a", "b"],
            "overall_survival_months": [5.0, 6.0],
            "vital_status": [0, 0],
            "vital_status_DFS": [0, 0],
            "progression_or_recurrence": [1, 0],
        }
    )
    c = load_cohort(raw, profile="tcia_crlm")
    assert c.audit.rows_quarantined == 1
    q = c.audit.quarantine
    assert q["column"].tolist() == ["rfs_cause"]
    assert q["source_column"].tolist() == ["vital_status_DFS+progression_or_recurrence"]
    assert q["value"].tolist() == ["0|1"]


def test_institutional_dates_units_flags():
    raw = pd.DataFrame(
        {
            "MRN": ["m1", "m2"],
            "Date of liver mets diagnosis": ["04/03/2021", 44259],
            "Date of last follow-up": ["01/01/2023", "2/1/2023"],
            "Status": ["Alive", "D"],
            "Date of death": [None, "02/01/2023"],
            "Largest liver met (mm)": [25, "31.5"],
            "Bilobar (Y/N)": ["Y", "u"],
            "CEA (ng/mL)": ["3.2", None],
        }
    )
    d = load_cohort(raw, profile="institutional").data
    assert d["liver_mets_diagnosis_date"].tolist() == [pd.Timestamp("2021-03-04")] * 2
    assert d["last_followup_date"][1] == pd.Timestamp("2023-01-02")
    np.testing.assert_allclose(d["liver_mets_largest_cm"], [2.5, 3.15])
    assert d["liver_mets_bilobar"].tolist() == [True, pd.NA]
    assert d["vital_status"].tolist() == ["alive", "dead"]


# ------------------------------------------------------------------ profile files


def _write(tmp_path, text: str):
    p = tmp_path / "my.yaml"
    p.write_text(text)
    return p


BASE = """name: mine
columns:
  patient_id: {source: ID, required: true}
  vital_status: {source: Status, codes: {"A": alive, "D": dead}}
  liver_mets_diagnosis_date: {source: Dx, date_formats: ["%Y%m%d"]}
  last_followup_date: {source: FU, date_formats: ["%Y%m%d"]}
"""


def test_user_profile_by_path(tmp_path):
    path = _write(tmp_path, BASE)
    raw = pd.DataFrame({"ID": ["x"], "Status": ["A"], "Dx": ["20200101"], "FU": ["20210101"]})
    c = load_cohort(raw, profile=str(path))
    assert c.provenance["profile"] == "mine"
    assert c.data["os_months"].iloc[0] == pytest.approx(366 / 30.4375)
    assert load_profile(path).sha256 == c.provenance["profile_sha256"]


@pytest.mark.parametrize(
    "text,key",
    [
        (BASE + "colums: {}\n", "colums"),
        (BASE.replace("required: true}", "required: true, sorce: x}"), "sorce"),
        (BASE + "defaults: {on_invlid: quarantine}\n", "on_invlid"),
    ],
)
def test_unknown_key_is_named(tmp_path, text, key):
    with pytest.raises(ProfileError) as err:
        load_profile(_write(tmp_path, text))
    assert key in str(err.value)


@pytest.mark.parametrize(
    "extra,needle",
    [
        ('  sex: {source: S, codes: {"f": woman}}\n', "invalid value"),
        ("  sex: {source: S, codes: {Yes: male}}\n", "quoted"),
        ("  liver_mets_largest_cm: {source: L}\n", "unit not declared"),
        ("  liver_mets_largest_cm: {source: L, unit: inch}\n", "cannot convert"),
        ("  liver_mets_size: {source: L, unit: cm}\n", "did you mean"),
        ("  sex: {source: S, on_invalid: drop}\n", "on_invalid"),
        ("  sex: {source: S, extract: '(('}\n", "regular expression"),
    ],
)
def test_invalid_profile_entries(tmp_path, extra, needle):
    with pytest.raises(ProfileError) as err:
        load_profile(_write(tmp_path, BASE + extra))
    assert needle in str(err.value)


def test_carried_months_need_origin(tmp_path):
    with pytest.raises(ProfileError, match="endpoint_origins"):
        load_profile(_write(tmp_path, BASE + "  os_months: {source: M, unit: months}\n"))


def test_not_yaml_and_missing_file(tmp_path):
    with pytest.raises(ProfileError):
        load_profile(_write(tmp_path, "name: [unclosed"))
    with pytest.raises(UnknownProfileError):
        resolve_profile(tmp_path / "nope.yaml")


def test_ug_per_l_is_ng_per_ml(tmp_path):
    path = _write(tmp_path, BASE + "  cea_at_liver_diagnosis: {source: CEA, unit: µg/L}\n")
    raw = pd.DataFrame(
        {"ID": ["x"], "Status": ["A"], "Dx": ["20200101"], "FU": ["20210101"], "CEA": [80.0]}
    )
    assert load_cohort(raw, profile=path).data["cea_at_liver_diagnosis"].iloc[0] == 80.0


def test_set_missing_rule_counts_instead_of_quarantining(tmp_path):
    path = _write(
        tmp_path,
        BASE + "  sex: {source: S, codes: {m: male, f: female}, "
        "on_invalid: set_missing}\n"
        "  liver_mets_number: {source: N, on_invalid: set_missing}\n",
    )
    raw = pd.DataFrame(
        {
            "ID": ["x", "y", "z"],
            "Status": ["A", "A", "D"],
            "Dx": ["20200101"] * 3,
            "FU": ["20210101"] * 3,
            "S": ["m", "?", "?"],
            "N": ["2", "many", "500"],
        }
    )
    c = load_cohort(raw, profile=path)
    assert c.audit.rows_quarantined == 0
    assert _vals(c.data["sex"]) == ["male", None, None]
    assert _vals(c.data["liver_mets_number"]) == [2, None, None]
    sm = c.audit.set_missing.set_index(["column", "value"])
    assert sm.loc[("sex", "?"), "count"] == 2
    assert "invalid, set missing" in sm.loc[("sex", "?"), "reason"]
    assert sm.loc[("liver_mets_number", "many"), "count"] == 1
    assert "above maximum 200" in sm.loc[("liver_mets_number", "500"), "reason"]
    cells = c.audit.invalid_cells
    assert sorted(zip(cells["source_row"], cells["value"], strict=True)) == [
        (2, "?"),
        (2, "many"),
        (3, "500"),
        (3, "?"),
    ]


def test_institutional_excel_with_real_date_cells_and_serials(canonical, tmp_path):
    raw = registry_frame(canonical.data.head(30), "institutional").astype(object)
    dates = canonical.data.head(30)["liver_mets_diagnosis_date"]
    raw["Date of liver mets diagnosis"] = [None if pd.isna(d) else d.to_pydatetime() for d in dates]
    raw.loc[:9, "Date of last follow-up"] = (  # exported as Excel serial day numbers
        canonical.data.head(10)["last_followup_date"] - pd.Timestamp("1899-12-30")
    ).dt.days.tolist()
    path = tmp_path / "hospital.xlsx"
    raw.to_excel(path, index=False)
    c = load_cohort(path, profile="institutional")
    assert c.audit.rows_quarantined == 0, c.audit.quarantine
    got = c.data.set_index("patient_id")
    want = canonical.data.head(30).set_index("patient_id")
    pd.testing.assert_series_equal(
        got["liver_mets_diagnosis_date"], want.loc[got.index, "liver_mets_diagnosis_date"]
    )
    pd.testing.assert_series_equal(
        got["last_followup_date"], want.loc[got.index, "last_followup_date"]
    )
