"""Readers of the R reference outputs in tests/reference/km_logrank/ (written by km_logrank.R).

Shared by the Kaplan-Meier, log-rank and RMST tests.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

REF = Path(__file__).resolve().parents[1] / "reference" / "km_logrank"
RTOL = 1e-6


@cache
def dataset(name: str) -> pd.DataFrame:
    """A data set exactly as R used it."""
    return pd.read_csv(REF / f"{name}.csv")


@cache
def reference(name: str) -> pd.DataFrame:
    return pd.read_csv(
        REF / f"{name}.csv", dtype={"group": str, "group1": str, "group2": str, "reference": str}
    )


def cases(name: str) -> list[dict]:
    frame = pd.read_csv(REF / f"{name}.csv", dtype=str, keep_default_na=False)
    return [
        {k: (v if v not in ("", "NA") else None) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]


def label(value: object) -> str:
    """Group labels as R prints them (1 not 1.0)."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return str(value)


def assert_frame_close(
    ours: pd.DataFrame, ref: pd.DataFrame, columns: list[str], keys: list[str], what: str
) -> None:
    """Same rows (by keys) and every number within RTOL; NaN exactly where R has NA."""
    ours = pd.DataFrame(ours).copy()
    # the R scripts' column names -> the package's names since 0.2 (issue #10)
    ref = ref.rename(columns={"std_err": "std_error", "rmst": "estimate", "difference": "estimate"})
    ours["group"] = ours["group"].map(label)
    ours = ours.sort_values(keys).reset_index(drop=True)
    ref = ref.sort_values(keys).reset_index(drop=True)
    assert len(ours) == len(ref), f"{what}: {len(ours)} rows vs R's {len(ref)}"
    for key in keys:
        if ours[key].dtype.kind in "fi":
            np.testing.assert_allclose(
                ours[key].to_numpy(float),
                ref[key].to_numpy(float),
                rtol=RTOL,
                err_msg=f"{what}: {key}",
            )
        else:
            assert list(ours[key].astype(str)) == list(ref[key].astype(str)), f"{what}: {key}"
    for col in columns:
        np.testing.assert_allclose(
            ours[col].to_numpy(float),
            ref[col].to_numpy(float),
            rtol=RTOL,
            atol=1e-12,
            equal_nan=True,
            err_msg=f"{what}: column {col}",
        )
