"""Fixtures shared by the io and schema tests: a small hand-made canonical frame."""

from __future__ import annotations

import pandas as pd
import pytest


def make_frame() -> pd.DataFrame:
    """Five consistent patients in canonical columns (dates as ISO text, categories as text)."""
    return pd.DataFrame(
        {
            "patient_id": ["P1", "P2", "P3", "P4", "P5"],
            "age_at_diagnosis": [61.0, 70.5, 55.0, 48.2, 80.0],
            "sex": ["male", "female", "female", "male", "male"],
            "primary_n_stage": ["N0", "N1a", None, "N2", "N0"],
            "primary_diagnosis_date": [
                "2014-12-01",
                "2015-06-01",
                "2016-01-01",
                "2017-12-01",
                "2018-11-01",
            ],
            "liver_mets_diagnosis_date": [
                "2015-01-01",
                "2016-02-03",
                "2017-01-01",
                "2018-01-01",
                "2019-01-01",
            ],
            "liver_resection_date": ["2015-03-01", "2016-03-01", None, "2018-02-01", None],
            "ablation_date": [None, None, None, None, "2019-03-01"],
            "ned_achieved": [True, True, None, True, True],
            "recurrence_date": ["2016-01-01", None, None, "2018-08-01", None],
            "recurrence_site": ["extrahepatic", None, None, "liver", None],
            "vital_status": ["dead", "alive", "alive", "dead", "alive"],
            "death_date": ["2017-01-01", None, None, "2019-01-01", None],
            "last_followup_date": [
                "2017-01-01",
                "2020-01-01",
                "2020-01-01",
                "2019-01-01",
                "2021-01-01",
            ],
            "cea_at_liver_diagnosis": [3.5, 250.0, None, 12.0, 1.0],
            "liver_mets_largest_cm": [2.5, 6.0, 1.0, None, 3.0],
        }
    )


@pytest.fixture
def frame() -> pd.DataFrame:
    return make_frame()


@pytest.fixture(name="make_frame")
def make_frame_fixture():
    """The frame builder itself, for tests that need several fresh copies."""
    return make_frame
