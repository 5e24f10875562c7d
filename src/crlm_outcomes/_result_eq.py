"""Value equality for frozen result dataclasses that hold DataFrames, Series or arrays.

The dataclass-generated ``__eq__`` compares fields with ``==``, which raises (or returns a
frame) for pandas and numpy fields. :func:`result_eq` compares field by field with
``DataFrame.equals`` / ``numpy.array_equal`` (NaN equal to NaN) and never raises.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["result_eq", "values_equal"]


def values_equal(a: Any, b: Any) -> bool:
    """``True`` when two field values are equal; frames, series and arrays by content."""
    if isinstance(a, (pd.DataFrame, pd.Series)) or isinstance(b, (pd.DataFrame, pd.Series)):
        return type(a) is type(b) and bool(a.equals(b))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        try:
            return bool(np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True))
        except TypeError:
            return bool(np.array_equal(np.asarray(a), np.asarray(b)))
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return type(a) is type(b) and all(
            values_equal(getattr(a, f.name), getattr(b, f.name))
            for f in dataclasses.fields(a) if f.compare)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(values_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return (type(a) is type(b) and len(a) == len(b)
                and all(values_equal(x, y) for x, y in zip(a, b, strict=True)))
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return True
    try:
        return bool(a == b)
    except Exception:  # an exotic field whose == is not a truth value: compare identity
        return a is b


def result_eq(self: Any, other: Any) -> bool:
    """Field-by-field equality of two dataclass instances of the same class (fields declared
    with ``compare=False`` are skipped)."""
    if other.__class__ is not self.__class__:
        return NotImplemented
    return all(values_equal(getattr(self, f.name), getattr(other, f.name))
               for f in dataclasses.fields(self) if f.compare)
