"""Batched loading (out=) equals the in-memory load row for row, audit included."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import crlm_outcomes as co
from crlm_outcomes.errors import SpecError
from crlm_outcomes.io import batched
from tests.conftest import make_frame

pytest.importorskip("duckdb", reason="the scale extra is not installed (pip install -e '.[scale]')")


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    """A 600-row CSV: several batches and pyarrow blocks, bad values, a column whose first
    block is whole numbers, ids repeated across batches (an exact copy and a conflict)."""
    base = make_frame()
    rows = pd.concat([base] * 120, ignore_index=True)
    rows["patient_id"] = [f"P{i:04d}" for i in range(len(rows))]
    cea = rows["cea_at_liver_diagnosis"].round()
    # whole numbers written as "12" up to row 450, "12.5" after: pyarrow's streaming reader
    # types the column int64 from its first block and must widen it as the whole-file reader
    rows["cea_at_liver_diagnosis"] = pd.Series(
        [None if pd.isna(v) else (int(v) if i < 450 else v + 0.5) for i, v in enumerate(cea)],
        dtype=object,
    )
    rows.loc[[7, 333], "liver_mets_diagnosis_date"] = "not a date"
    rows.loc[[50, 420], "age_at_diagnosis"] = 250.0
    rows.loc[590] = rows.loc[10]  # exact copy of row 10, another batch
    rows.loc[595] = rows.loc[20]
    rows.loc[595, "age_at_diagnosis"] = 33.0  # same id as row 20, conflicting values
    path = tmp_path_factory.mktemp("export") / "export.csv"
    rows.to_csv(path, index=False)
    return path


def _quiet(fn, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **k)


def test_batched_load_equals_the_in_memory_load(export, tmp_path, monkeypatch):
    monkeypatch.setattr(batched, "BLOCK_BYTES", 8192)  # several blocks per batch
    whole = _quiet(co.load_cohort, export)
    ds = _quiet(co.load_cohort, export, out=tmp_path / "cohort", batch_rows=100)
    assert (ds.rows_in, ds.rows_loaded, ds.rows_quarantined) == (
        whole.audit.rows_in,
        whole.audit.rows_loaded,
        whole.audit.rows_quarantined,
    )
    assert ds.rows_in == 600 and ds.rows_quarantined >= 6 and len(ds.batches) == 7
    got = ds.read()
    want = whole.data
    assert list(got.columns) == list(want.columns)
    pd.testing.assert_frame_equal(
        got.astype(object).where(got.notna(), None),
        want.astype(object).where(want.notna(), None),
        check_dtype=False,
    )
    q_want = whole.audit.quarantine.sort_values(["source_row", "column"], ignore_index=True)
    q_got = ds.quarantine().sort_values(["source_row", "column"], ignore_index=True)
    assert q_got["source_row"].tolist() == q_want["source_row"].tolist()
    assert q_got["rule"].astype(str).tolist() == q_want["rule"].astype(str).tolist()
    assert q_got["reason"].astype(str).tolist() == q_want["reason"].astype(str).tolist()
    audit = json.loads(ds.audit_path.read_text())
    assert audit["rows_in"] == audit["rows_loaded"] + audit["rows_quarantined"] == 600
    assert audit["rows_of_ids_in_several_batches"] == 4


def test_stratify_per_partition_equals_in_memory(export, tmp_path):
    whole = _quiet(co.load_cohort, export)
    ds = _quiet(co.load_cohort, export, out=tmp_path / "cohort", batch_rows=250)
    from crlm_outcomes.stratify import apply_all, apply_all_dataset

    out = _quiet(apply_all_dataset, ds.path, tmp_path / "stratified")
    got = pd.read_parquet(out).sort_values("source_row", ignore_index=True)
    want = _quiet(apply_all, whole)
    for col in ("fong_score", "fong_score_reason"):
        if col in want.columns:
            assert (
                got[col].astype(object).where(got[col].notna(), None).tolist()
                == want[col].astype(object).where(want[col].notna(), None).tolist()
            )
    assert set(want.columns) <= set(got.columns)


def test_batched_load_refuses_to_overwrite_and_non_delimited(export, tmp_path):
    (tmp_path / "cohort").mkdir()
    (tmp_path / "cohort" / "mine.txt").write_text("x")
    with pytest.raises(SpecError, match="already exists"):
        co.load_cohort(export, out=tmp_path / "cohort")
    with pytest.raises(SpecError, match="CSV/TSV"):
        co.load_cohort(tmp_path / "cohort" / "mine.parquet", out=tmp_path / "new")
    assert np.array_equal(sorted(p.name for p in (tmp_path / "cohort").iterdir()), ["mine.txt"])
