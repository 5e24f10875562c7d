"""Shared behaviour of the validation results: value equality that never raises, short repr."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes.survival._inputs import excluded_count

__all__ = ["ResultBase", "values_equal"]


def values_equal(a: object, b: object) -> bool:
    """Equality for result fields: DataFrames/Series by ``equals``, arrays by value (NaN = NaN)."""
    if isinstance(a, (pd.DataFrame, pd.Series)):
        frame: Any = a  # pandas ships no type information (the isinstance cannot narrow)
        return type(a) is type(b) and bool(frame.equals(b))
    if isinstance(b, (pd.DataFrame, pd.Series)):
        return False
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a2, b2 = np.asarray(a), np.asarray(b)
        return a2.shape == b2.shape and bool(np.array_equal(a2, b2, equal_nan=a2.dtype.kind == "f"))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(values_equal(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return True
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


class ResultBase:
    """Mixin for frozen result dataclasses declared with ``eq=False``."""

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(values_equal(getattr(self, f.name), getattr(other, f.name))
                   for f in dataclasses.fields(self))  # type: ignore[arg-type]

    __hash__ = None  # type: ignore[assignment]

    @property
    def n_excluded(self) -> int:
        """Number of distinct input rows excluded (for at least one predictor)."""
        return excluded_count(self.excluded)  # type: ignore[attr-defined]
