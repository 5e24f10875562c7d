"""Constant-filled arrays shared copy-on-write: equal to ``np.full``, independent, writable."""

from __future__ import annotations

import gc
import pickle
import sys

import numpy as np
import pandas as pd
import pytest

from crlm_outcomes._filled import _LIBC, _MIN_BYTES, filled_arrays

N = 300_000  # above the mapping threshold for every dtype below


@pytest.mark.parametrize(
    ("dtype", "value"),
    [
        ("float64", np.nan),
        ("datetime64[ns]", np.datetime64("NaT", "ns")),
        ("bool", True),
        ("bool", False),
        ("int8", -1),
        ("int64", 0),
        ("int64", 7),
    ],
)
def test_equal_to_numpy_full(dtype, value):
    arrays = filled_arrays(N, dtype, value, 3)
    expected = np.full(N, value, dtype=dtype)
    assert len(arrays) == 3
    for arr in arrays:
        assert arr.dtype == expected.dtype and arr.shape == (N,)
        assert arr.flags.writeable and arr.flags.c_contiguous
        np.testing.assert_array_equal(arr, expected)


def test_arrays_are_independent_and_writable():
    a, b, c = filled_arrays(N, "float64", np.nan, 3)
    a[5] = 1.5
    b[N - 1] = -2.0
    assert a[5] == 1.5 and np.isnan(b[5]) and np.isnan(c[5])
    assert b[N - 1] == -2.0 and np.isnan(a[N - 1])
    assert np.isnan(filled_arrays(N, "float64", np.nan, 1)[0][5])  # a new template, untouched


def test_pandas_assignment_and_pickle():
    frame = pd.DataFrame(
        {
            "x": pd.Series(filled_arrays(N, "float64", np.nan, 1)[0]),
            "d": pd.Series(filled_arrays(N, "datetime64[ns]", np.datetime64("NaT", "ns"), 1)[0]),
        },
        copy=False,
    )
    frame.loc[frame.index < 3, "x"] = 4.0
    frame.loc[7, "d"] = pd.Timestamp("2021-02-03")
    frame = frame.fillna({"x": 0.0})
    assert frame["x"].iloc[:3].tolist() == [4.0, 4.0, 4.0]
    assert frame["x"].iloc[3] == 0.0
    assert frame["d"].iloc[7] == pd.Timestamp("2021-02-03") and frame["d"].isna().sum() == N - 1
    pd.testing.assert_frame_equal(pickle.loads(pickle.dumps(frame)), frame)


def test_small_and_zero_counts():
    assert filled_arrays(N, "float64", np.nan, 0) == []
    small = filled_arrays(10, "float64", np.nan, 2)
    assert small[0].flags.owndata and np.isnan(small[1]).all()
    assert 10 * 8 < _MIN_BYTES


@pytest.mark.skipif(
    _LIBC is None or not sys.platform.startswith("linux"),
    reason="copy-on-write mappings are used on Linux only (np.full elsewhere)",
)
def test_mappings_are_shared_and_released():
    def mapped() -> int:
        with open("/proc/self/maps") as fh:
            return sum("crlm-filled" in line for line in fh)

    gc.collect()
    before = mapped()
    arrays = filled_arrays(N, "float64", np.nan, 4)
    assert mapped() == before + 4
    view = arrays[0][10:20]
    del arrays
    gc.collect()
    assert mapped() == before + 1  # the view keeps its own mapping alive
    assert np.isnan(view).all()
    del view
    gc.collect()
    assert mapped() == before
