"""Junk files of every class: nothing vanishes or changes silently, and one bad row never
rejects the file."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from crlm_outcomes.datasets.registry import write_synthetic_registry
from crlm_outcomes.datasets.synthetic import synthetic_frame
from crlm_outcomes.errors import DataQualityWarning
from crlm_outcomes.io.load import load_cohort
from crlm_outcomes.survival.logrank import logrank_trend


@pytest.fixture(scope="module")
def seer_csv(tmp_path_factory):
    return write_synthetic_registry("seer", tmp_path_factory.mktemp("f") / "seer.csv", 60, 3)


def _load(path, profile="seer"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_cohort(path, profile=profile)


def _same_good_rows(clean, dirty, bad_rows):
    keep = ~clean.data["source_row"].isin(bad_rows)
    a = clean.data[keep].reset_index(drop=True)
    b = dirty.data.reset_index(drop=True)
    pd.testing.assert_frame_equal(a.drop(columns="source_row"), b.drop(columns="source_row"))


def test_ragged_rows_are_quarantined_with_their_line_and_the_rest_loads(seer_csv, tmp_path):
    lines = seer_csv.read_text(encoding="utf-8").splitlines()
    lines[3] += ',"extra"'
    lines[6] = ",".join(lines[6].split(",")[:4])
    path = tmp_path / "ragged.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    clean, dirty = _load(seer_csv), _load(path)
    q = dirty.audit.quarantine
    bad = q[q["rule"] == "malformed_row"]
    assert bad["source_row"].tolist() == [3, 6]
    import csv

    n_fields = len(next(csv.reader([lines[0]]))) + 1
    assert bad["reason"].str.contains(f"line 4 of the file: {n_fields} fields").iloc[0]
    assert dirty.audit.rows_in == clean.audit.rows_in
    _same_good_rows(clean, dirty, [3, 6])


def test_a_huge_cell_quarantines_its_row_only(seer_csv, tmp_path):
    lines = seer_csv.read_text(encoding="utf-8").splitlines()
    cells = lines[2].split(",")
    cells[2] = '"' + "x" * 3_200_000 + '"'
    lines[2] = ",".join(cells)
    path = tmp_path / "huge.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    clean, dirty = _load(seer_csv), _load(path)
    q = dirty.audit.quarantine
    assert q.loc[q["rule"] == "malformed_row", "source_row"].tolist() == [2]
    assert "3,200,000 characters" in q.loc[q["rule"] == "malformed_row", "reason"].iloc[0]
    _same_good_rows(clean, dirty, [2])


def test_trailing_empty_header_columns_are_ignored_and_stray_values_quarantined(seer_csv, tmp_path):
    lines = seer_csv.read_text(encoding="utf-8").splitlines()
    lines = [lines[0] + ",,"] + [ln + ",," for ln in lines[1:]]
    lines[5] = lines[5][:-2] + ',"stray",'
    path = tmp_path / "trailing.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    clean, dirty = _load(seer_csv), _load(path)
    q = dirty.audit.quarantine
    bad = q[q["rule"] == "malformed_row"]
    assert bad["source_row"].tolist() == [5] and "without a header" in bad["reason"].iloc[0]
    _same_good_rows(clean, dirty, [5])


def test_near_miss_optional_header_warns_with_the_near_match(seer_csv, tmp_path):
    raw = pd.read_csv(seer_csv, dtype=str, keep_default_na=False)
    raw = raw.rename(
        columns={
            "Age recode with single ages and 85+": "Age recode with single ages and 90+",
            "KRAS (2018+)": "kras (2018+)",
        }
    )
    path = tmp_path / "renamed.csv"
    raw.to_csv(path, index=False)
    with pytest.warns(DataQualityWarning) as rec:
        load_cohort(path, profile="seer")
    text = " ".join(str(w.message) for w in rec)
    assert "'Age recode with single ages and 90+'" in text and "'kras (2018+)'" in text


def test_excel_merged_and_uncomputed_formula_cells_get_audit_records(seer_csv, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    raw = pd.read_csv(seer_csv, dtype=str, keep_default_na=False).head(15)
    path = tmp_path / "x.xlsx"
    raw.to_excel(path, index=False)
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    from openpyxl.utils import get_column_letter

    sex = get_column_letter(raw.columns.get_loc("Sex") + 1)
    months = get_column_letter(raw.columns.get_loc("Survival months") + 1)
    ws.merge_cells(f"{sex}3:{sex}5")  # Sex of data rows 2-4 shown once
    ws[f"{months}8"] = "=1+1"  # survival months: a formula never computed
    wb.save(path)
    q = _load(path).audit.quarantine
    cells = q[q["rule"] == "unreadable_cell"]
    assert cells["source_row"].tolist() == [3, 4, 7]
    assert cells["column"].tolist() == ["Sex", "Sex", "Survival months"]
    assert "merged cell" in cells["reason"].iloc[0] and "formula" in cells["reason"].iloc[2]


def test_parquet_timezone_aware_dates_keep_their_calendar_day(tmp_path):
    frame = synthetic_frame(20, 4)
    dates = [c for c in frame.columns if str(frame[c].dtype).startswith("datetime")]
    tz = frame.copy()
    for c in dates:
        tz[c] = tz[c].dt.tz_localize("Europe/Berlin")
    tz.to_parquet(tmp_path / "tz.parquet")
    plain = _load(frame, "canonical").data
    aware = _load(tmp_path / "tz.parquet", "canonical").data
    for c in dates:
        pd.testing.assert_series_equal(plain[c], aware[c])


def test_stata_and_spss_value_labels_are_applied(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    frame = synthetic_frame(20, 5)
    codes = frame.copy()
    codes["sex"] = codes["sex"].map({"male": 1, "female": 2}).astype(float)
    for c in codes.columns:
        if str(codes[c].dtype) in ("category", "string", "boolean", "Int64", "Float64"):
            codes[c] = codes[c].astype(object).where(codes[c].notna(), None)
    from crlm_outcomes.io.readers import read_source

    for suffix, write in ((".dta", pyreadstat.write_dta), (".sav", pyreadstat.write_sav)):
        path = tmp_path / f"x{suffix}"
        write(
            codes[["patient_id", "sex"]],
            str(path),
            variable_value_labels={"sex": {1: "male", 2: "female"}},
        )
        assert (
            read_source(path).frame["sex"].astype(str).tolist() == frame["sex"].astype(str).tolist()
        ), suffix


def test_timedelta_durations_are_read_in_the_columns_unit():
    from crlm_outcomes.io.parse import _duration_in
    from crlm_outcomes.schema.definition import canonical_definition

    spec = canonical_definition().columns["os_months"]
    days = pd.Series(pd.to_timedelta([0, 30.4375, 365.25, None], unit="D"))
    assert _duration_in(days, spec).tolist()[:3] == [0.0, 1.0, 12.0]
    assert np.isnan(_duration_in(days, spec).iloc[3])


def test_logrank_trend_orders_text_levels_naturally():
    rng = np.random.default_rng(2)
    g = np.repeat(["1", "2", "10"], 20)
    data = pd.DataFrame({"t": rng.exponential(10, 60), "e": 1, "g": g})
    as_text = logrank_trend(data, "t", "e", by="g")
    as_number = logrank_trend(data.assign(g=data["g"].astype(int)), "t", "e", by="g")
    scores = dict(zip(as_text.table["group"], as_text.table["score"], strict=True))
    assert scores == {"1": 1.0, "2": 2.0, "10": 3.0}
    assert as_text.statistic == pytest.approx(as_number.statistic, rel=1e-12)
