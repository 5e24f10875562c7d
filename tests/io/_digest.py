"""A pandas-version-independent digest of everything a load produces.

The loader must give identical outputs on pandas 2 and pandas 3 for the same file. A test can
only run on one pandas at a time, so the digest of each profile's output is committed
(``tests/io/golden/loader_digest.json``) and both CI runs (newest and lowest pinned versions)
compare against it. Each part is hashed separately so a mismatch names the column or table.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import crlm_outcomes as co
from crlm_outcomes.datasets import write_synthetic_registry

PROFILES = ("canonical", "institutional", "seer", "ncdb", "tcia_crlm")
GOLDEN = Path(__file__).with_name("golden") / "loader_digest.json"


def _cell(v: Any) -> Any:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (float, np.floating)):
        return None if math.isnan(v) else repr(float(v))
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (pd.Timestamp, np.datetime64)):
        return str(pd.Timestamp(v))
    return str(v)


def _dtype(s: pd.Series) -> str:
    d = s.dtype
    if isinstance(d, pd.CategoricalDtype):
        return "category[" + ",".join(map(str, d.categories)) + "]"
    if isinstance(d, pd.StringDtype):
        return f"string[{d.storage}]"
    return str(d)


def _hash(obj: Any) -> str:
    text = json.dumps(obj, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def frame_digest(df: pd.DataFrame) -> dict[str, str]:
    """``{column: hash of (dtype, values)}`` plus the index, column order and length."""
    out = {
        "__columns__": _hash(list(map(str, df.columns))),
        "__len__": str(len(df)),
        "__index__": _hash([_cell(v) for v in df.index]),
    }
    for col in df.columns:
        s = df[col]
        out[str(col)] = _hash([_dtype(s), [_cell(v) for v in s.astype(object)]])
    return out


def dirty_file(profile: str, folder: Path) -> Path:
    """A synthetic export of ``profile`` with deterministic junk: bad numbers, unknown codes,
    blank ids and a duplicated row, so quarantine and invalid-cell records are exercised."""
    path = write_synthetic_registry(profile, folder / f"{profile}.csv", n=300, seed=11)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    rng = np.random.default_rng(5)
    for col in raw.columns[1:]:
        filled = np.flatnonzero(raw[col].str.strip().ne("").to_numpy())
        if len(filled) < 20:  # a column with hardly any values would become all junk
            continue
        rows = rng.choice(filled, size=3, replace=False)
        raw.loc[rows[0], col] = "n/a?"
        raw.loc[rows[1], col] = "  "
        raw.loc[rows[2], col] = "99999999999999999999"
    raw.loc[7, raw.columns[0]] = ""
    raw = pd.concat([raw, raw.iloc[[3]]], ignore_index=True)
    raw.to_csv(path, index=False)
    return path


def load_digest(profile: str, folder: Path) -> dict[str, Any]:
    """Load the dirty file of ``profile`` and digest cohort, audit, reasons and provenance."""
    import warnings

    path = dirty_file(profile, folder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cohort = co.load_cohort(path, profile=profile)
    audit = cohort.audit
    prov = {
        k: v
        for k, v in cohort.provenance.items()
        if k not in {"source", "profile_path", "package_version"}
    }
    return {
        "data": frame_digest(cohort.data),
        "missing_reasons": frame_digest(cohort.missing_reasons),
        "quarantine": frame_digest(audit.quarantine),
        "invalid_cells": frame_digest(audit.invalid_cells),
        "set_missing": frame_digest(audit.set_missing),
        "counts": {
            "rows_in": int(audit.rows_in),
            "rows_loaded": int(audit.rows_loaded),
            "rows_quarantined": int(audit.rows_quarantined),
        },
        "provenance": _hash(json.loads(json.dumps(prov, default=str))),
    }


def write_golden(folder: Path) -> None:
    """Regenerate the committed digest (``python -m tests.io._digest``)."""
    digest = {p: load_digest(p, folder) for p in PROFILES}
    GOLDEN.write_text(json.dumps(digest, indent=1, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    import tempfile

    write_golden(Path(tempfile.mkdtemp()))
    print(f"wrote {GOLDEN}")
