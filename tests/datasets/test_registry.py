"""The synthetic registry writer: each profile's raw format, inverse of the loader."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from crlm_outcomes.datasets.registry import registry_frame, write_synthetic_registry
from crlm_outcomes.datasets.synthetic import synthetic_frame
from crlm_outcomes.errors import UnreadableFileError
from crlm_outcomes.io import list_profiles, load_cohort
from crlm_outcomes.io.profile import resolve_profile


@pytest.fixture(scope="module")
def canonical() -> pd.DataFrame:
    return load_cohort(synthetic_frame(300, 3)).data


@pytest.mark.parametrize("name", list_profiles())
def test_headers_are_the_profile_sources(canonical, name):
    raw = registry_frame(canonical, name)
    assert list(raw.columns) == resolve_profile(name).source_columns


def test_seer_raw_format(canonical):
    raw = registry_frame(canonical, "seer")
    assert raw["Sex"].isin(["Female", "Male", ""]).all()
    assert raw["Vital status recode (study cutoff used)"].isin(["Alive", "Dead"]).all()
    assert (
        raw["Age recode with single ages and 85+"]
        .str.fullmatch(r"\d\d+ years|85\+ years|Unknown")
        .all()
    )
    assert raw["Primary Site"].str.fullmatch(r"1[89]\d|209|199").all()
    assert "liver_resection_date" not in raw.columns


def test_institutional_raw_format(canonical):
    raw = registry_frame(canonical, "institutional")
    dates = raw["Date of liver mets diagnosis"]
    assert dates.str.fullmatch(r"\d\d/\d\d/\d{4}").all()
    assert set(raw["Bilobar (Y/N)"]) <= {"Y", "N", "U"}
    mm = pd.to_numeric(raw["Largest liver met (mm)"], errors="coerce")
    cm = canonical["liver_mets_largest_cm"]
    assert mm.notna().sum() == cm.notna().sum()
    np.testing.assert_allclose(mm.dropna().to_numpy(), cm.dropna().to_numpy() * 10, rtol=1e-12)


def test_tcia_writes_only_resected_patients_and_minus_999(canonical):
    raw = registry_frame(canonical, "tcia_crlm")
    assert len(raw) == int(canonical["liver_resection_date"].notna().sum())
    assert (raw == "-999").any().any()
    assert "" not in set(raw["vital_status"])


def test_write_and_reload_is_deterministic(tmp_path):
    a = write_synthetic_registry("ncdb", tmp_path / "a.csv", n=200, seed=9)
    b = write_synthetic_registry("ncdb", tmp_path / "b.csv", n=200, seed=9)
    assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()
    c = load_cohort(a, profile="ncdb")
    assert c.audit.rows_in == c.audit.rows_loaded + c.audit.rows_quarantined
    assert c.audit.rows_loaded > 190


def test_unwritable_suffix(tmp_path):
    with pytest.raises(UnreadableFileError, match="cannot write"):
        write_synthetic_registry("seer", tmp_path / "x.sas7bdat", n=10, seed=1)
