"""Endpoint derivation directly on canonical columns (carried registry months included)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crlm_outcomes.errors import SpecError
from crlm_outcomes.schema.definition import canonical_definition
from crlm_outcomes.schema.endpoints import derive_endpoints, derive_node_positive

S = canonical_definition()


def _frame(**cols) -> pd.DataFrame:
    frame = S.empty_frame(len(next(iter(cols.values()))))
    for k, v in cols.items():
        frame[k] = (
            pd.Series(v, dtype=S.columns[k].pandas_dtype)
            if S.columns[k].dtype != "date"
            else pd.to_datetime(pd.Series(v))
        )
    return frame


def test_months_are_days_over_30_4375():
    f = _frame(
        liver_mets_diagnosis_date=["2020-01-01"],
        vital_status=["alive"],
        last_followup_date=["2021-01-01"],
    )
    ep = derive_endpoints(f, S)
    assert ep.columns["os_months"].iloc[0] == pytest.approx(366 / 30.4375, rel=1e-15)
    assert S.days_per_month == 30.4375


def test_hepatic_site_unknown_is_missing_with_reason():
    f = _frame(
        liver_resection_date=["2020-01-01", "2020-01-01"],
        liver_mets_diagnosis_date=["2019-12-01", "2019-12-01"],
        recurrence_date=["2020-06-01", "2020-06-01"],
        recurrence_site=[None, "liver_and_extrahepatic"],
        vital_status=["alive", "alive"],
        last_followup_date=["2021-01-01"] * 2,
    )
    ep = derive_endpoints(f, S)
    assert np.isnan(ep.columns["hepatic_rfs_months"].iloc[0])
    assert ep.columns["hepatic_rfs_event"].tolist()[1] == 1
    assert ep.columns["rfs_cause"].tolist() == [1, 1]
    m = ep.missing
    assert set(m.loc[m["row"] == 0, "column"]) == {"hepatic_rfs_months", "hepatic_rfs_event"}


def test_recurrence_site_without_date():
    f = _frame(
        liver_resection_date=["2020-01-01"],
        recurrence_site=["liver"],
        vital_status=["alive"],
        last_followup_date=["2021-01-01"],
        liver_mets_diagnosis_date=["2019-12-01"],
    )
    ep = derive_endpoints(f, S)
    assert np.isnan(ep.columns["rfs_months"].iloc[0])
    assert "recurrence_site recorded without recurrence_date" in set(ep.missing["reason"])


def test_dead_without_death_date_ends_at_last_followup():
    f = _frame(
        liver_mets_diagnosis_date=["2020-01-01"],
        vital_status=["dead"],
        last_followup_date=["2020-04-01"],
    )
    ep = derive_endpoints(f, S)
    assert ep.columns["os_months"].iloc[0] == pytest.approx(91 / 30.4375)
    assert ep.origins["os"]["dead_without_death_date"] == "1"


def test_carried_months_are_kept():
    f = _frame(os_months=[12.5, np.nan], vital_status=["dead", "alive"])
    ep = derive_endpoints(f, S, carried={"os": "primary_diagnosis"})
    assert ep.columns["os_months"].iloc[0] == 12.5
    assert ep.columns["os_event"].tolist() == [1, 0]
    assert ep.origins["os"]["origin"] == "primary_diagnosis"
    m = ep.missing[ep.missing["column"].astype(str).str.startswith("os")]
    assert m[["row", "column"]].astype(object).values.tolist() == [[1, "os_months"]]


def test_invalid_origin():
    with pytest.raises(SpecError):
        derive_endpoints(S.empty_frame(1), S, os_origin="birth")


def test_node_positive_from_stage():
    f = _frame(
        primary_n_stage=["N0", "N1c", "N2b", None], primary_node_positive=[None, None, False, None]
    )
    col, n = derive_node_positive(f)
    assert col.tolist() == [False, True, False, pd.NA] and n == 2


def test_every_missing_endpoint_value_has_a_reason_and_only_those():
    from crlm_outcomes.datasets.synthetic import synthetic_frame
    from crlm_outcomes.io import load_cohort

    c = load_cohort(synthetic_frame(1500, 3))
    mr = c.missing_reasons
    for col in [
        "os_months",
        "os_event",
        "rfs_months",
        "rfs_event",
        "rfs_cause",
        "hepatic_rfs_months",
        "hepatic_rfs_event",
    ]:
        missing = set(c.data.loc[c.data[col].isna(), "patient_id"])
        explained = set(mr.loc[mr["column"] == col, "patient_id"].astype(str))
        assert missing == explained, col
    # RFS cause codes agree with the event indicator
    d = c.data.dropna(subset=["rfs_event"])
    assert ((d["rfs_cause"] > 0) == (d["rfs_event"] == 1)).all()


def test_missing_blocks_store_all_rows_once():
    """A reason that holds for every row is one block with ``rows=None``; ``missing``
    expands the blocks into one record per row."""
    f = S.empty_frame(4)  # no dates at all: nothing derivable
    ep = derive_endpoints(f, S)
    assert all(rows is None for rows, _, _ in ep.missing_blocks)
    assert ep.n_rows == 4
    m = ep.missing
    assert len(m) == 4 * len(ep.missing_blocks)
    assert m.loc[m["column"] == "rfs_months", "row"].tolist() == [0, 1, 2, 3]
    assert ep.columns["rfs_event"].isna().all() and ep.columns["rfs_months"].isna().all()


def test_site_flags_do_not_fill_sites_where_disease_is_recorded_false():
    """A source saying "no extrahepatic disease" while a site flag says lung is a conflict:
    the recorded False stays and no sites text is made up to contradict it."""
    from crlm_outcomes.schema.endpoints import derive_extrahepatic

    def flags(*values):
        return pd.array(values, dtype="boolean")

    df = pd.DataFrame(
        {
            "liver_mets_at_primary_diagnosis": flags(True, True),
            "extrahepatic_disease": flags(False, None),
            "extrahepatic_sites": pd.array([None, None], dtype="string"),
            "extrahepatic_lung": flags(True, True),
        }
    )
    disease, sites, n_filled = derive_extrahepatic(df)
    assert disease.tolist() == [False, True] and n_filled == 1
    assert sites.isna().tolist() == [True, False] and sites.iloc[1] == "lung"
