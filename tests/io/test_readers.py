"""Readers: every supported file type, and clear errors for files that cannot be used."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crlm_outcomes.datasets.registry import registry_frame, write_frame
from crlm_outcomes.errors import EmptyFileError, MissingColumnsError, UnreadableFileError
from crlm_outcomes.io import load_cohort
from crlm_outcomes.io.readers import frame_sha256, read_source


@pytest.fixture(scope="module")
def ncdb_raw():
    from crlm_outcomes.datasets.synthetic import synthetic_frame

    base = load_cohort(synthetic_frame(60, 5)).data
    return registry_frame(base, "ncdb")


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet", ".xlsx", ".dta", ".sav"])
def test_every_file_type_loads_the_same(ncdb_raw, tmp_path, suffix):
    path = tmp_path / f"ncdb{suffix}"
    write_frame(ncdb_raw, path)
    c = load_cohort(path, profile="ncdb")
    ref = tmp_path / "ref.csv"
    write_frame(ncdb_raw, ref)
    expected = load_cohort(ref, profile="ncdb").data
    pd.testing.assert_frame_equal(c.data, expected)
    assert c.provenance["reader"] in {"csv", "tsv", "parquet", "excel", "stata", "spss"}
    assert len(c.provenance["input_sha256"]) == 64


def test_nonexistent_file(tmp_path):
    with pytest.raises(UnreadableFileError, match="no such file") as err:
        load_cohort(tmp_path / "missing.csv")
    assert err.value.file.endswith("missing.csv")


def test_unsupported_suffix(tmp_path):
    p = tmp_path / "data.json"
    p.write_text("{}")
    with pytest.raises(UnreadableFileError, match="unsupported file type"):
        load_cohort(p)


def test_directory_is_not_a_file(tmp_path):
    d = tmp_path / "dir.csv"
    d.mkdir()
    with pytest.raises(UnreadableFileError, match="not a regular file"):
        load_cohort(d)


@pytest.mark.parametrize("content", [b"", b"patient_id,vital_status\n"])
def test_empty_files(tmp_path, content):
    p = tmp_path / "empty.csv"
    p.write_bytes(content)
    with pytest.raises(EmptyFileError) as err:
        load_cohort(p)
    assert err.value.file == str(p)


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet", ".sas7bdat", ".dta", ".sav"])
def test_corrupt_binary_files(tmp_path, suffix):
    p = tmp_path / f"corrupt{suffix}"
    p.write_bytes(b"this is not a real file \x00\x01\x02" * 10)
    with pytest.raises(UnreadableFileError) as err:
        load_cohort(p)
    assert err.value.file == str(p)


def test_ragged_csv(tmp_path):
    # one ragged row no longer rejects the file: it is kept as an empty row and listed
    p = tmp_path / "ragged.csv"
    p.write_text("a,b\n1,2\n3,4,5\n6,7\n")
    raw = read_source(p)
    assert raw.n_rows == 3
    assert raw.bad_rows.to_dict("records") == [
        {"row": 1, "line": 3, "reason": "3 fields where the header has 2"}
    ]
    assert raw.frame["a"].tolist()[::2] == [1, 6]


def test_duplicate_headers(tmp_path):
    p = tmp_path / "dup.csv"
    p.write_text("patient_id,patient_id\n1,2\n")
    with pytest.raises(UnreadableFileError, match="duplicate column"):
        read_source(p)


def test_not_a_path_or_frame():
    with pytest.raises(UnreadableFileError, match="cannot load"):
        read_source(42)  # type: ignore[arg-type]


def test_frame_hash_is_stable_and_content_based():
    a = pd.DataFrame({"x": [1, 2], "y": ["a", "b"]})
    assert frame_sha256(a) == frame_sha256(a.copy())
    assert frame_sha256(a) != frame_sha256(a.assign(y=["a", "c"]))
    assert frame_sha256(a) != frame_sha256(a.iloc[::-1])


def test_identifiers_keep_leading_zeros(tmp_path):
    p = tmp_path / "ids.csv"
    p.write_text(
        "patient_id,liver_mets_diagnosis_date,vital_status,last_followup_date\n"
        "000123,2020-01-01,alive,2021-01-01\n0042,2020-01-01,dead,2020-06-01\n"
    )
    c = load_cohort(p)
    assert c.data["patient_id"].tolist() == ["000123", "0042"]


def test_semicolon_delimiter_option(tmp_path):
    p = tmp_path / "semi.csv"
    p.write_text(
        "patient_id;liver_mets_diagnosis_date;vital_status;last_followup_date\n"
        "a;2020-01-01;alive;2021-01-01\n"
    )
    assert load_cohort(p, delimiter=";").n == 1
    with pytest.raises(MissingColumnsError):  # read as one single column
        load_cohort(p)


def test_typed_parquet_round_trip(tmp_path):
    from crlm_outcomes.datasets.synthetic import synthetic_frame

    data = load_cohort(synthetic_frame(200, 8)).data
    path = tmp_path / "canonical.parquet"
    data.to_parquet(path, index=False)
    again = load_cohort(path).data
    pd.testing.assert_frame_equal(again, data)


def _seer_csv(tmp_path, n=40, extra=None):
    from crlm_outcomes.datasets.synthetic import synthetic_frame

    raw = registry_frame(load_cohort(synthetic_frame(n, 3)).data, "seer")
    for name, values in (extra or {}).items():
        raw[name] = values
    path = tmp_path / "seer.csv"
    write_frame(raw, path)
    return raw, path


def test_unused_columns_are_listed_but_not_converted(tmp_path):
    (tmp_path / "plain").mkdir()
    plain_raw, plain = _seer_csv(tmp_path / "plain")
    raw, path = _seer_csv(tmp_path, extra={"Notes": "free text", " Padded ": 1})
    table = read_source(path, columns=list(plain_raw.columns), text_columns=["Patient ID"])
    assert table.columns == tuple(c.strip() for c in raw.columns)
    assert set(table.frame.columns) == set(plain_raw.columns)  # only the columns asked for
    assert table.n_rows == len(raw)
    c = load_cohort(path, profile="seer")
    assert {"Notes", "Padded"} <= set(c.provenance["source_columns_ignored"])
    pd.testing.assert_frame_equal(c.data, load_cohort(plain, profile="seer").data)


def test_duplicate_header_in_an_unused_column_is_still_an_error(tmp_path):
    _, path = _seer_csv(tmp_path)
    text = path.read_text().splitlines()
    text[0] += ",Extra, Extra"
    text[1:] = [line + ",1,2" for line in text[1:]]
    path.write_text("\n".join(text) + "\n")
    with pytest.raises(UnreadableFileError, match="duplicate column name.*Extra"):
        load_cohort(path, profile="seer")


def test_raw_table_columns_convert_alike_from_arrow_and_pandas(tmp_path):
    raw, path = _seer_csv(tmp_path)
    from_file = read_source(path, text_columns=["Patient ID"])
    from_frame = read_source(raw)
    for name in ("Survival months", "Year of diagnosis"):
        np.testing.assert_array_equal(
            from_file.column(name).to_numpy(dtype=float),
            from_frame.column(name).to_numpy(dtype=float),
        )
    assert from_file.column("Sex").astype(str).tolist() == raw["Sex"].astype(str).tolist()
