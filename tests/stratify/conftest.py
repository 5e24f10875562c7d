"""Shared fixtures for the stratify tests: build small canonical frames by hand."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

from crlm_outcomes.schema.definition import canonical_definition


def build_frame(columns: dict[str, list[Any]]) -> pd.DataFrame:
    """A DataFrame with the canonical dtype of every column (dates as datetime64, booleans as
    nullable boolean, categories with the canonical levels)."""
    spec = canonical_definition().columns
    out = {}
    for name, values in columns.items():
        dtype = spec[name].dtype
        if dtype == "date":
            out[name] = pd.to_datetime(pd.Series(values, dtype=object))
        elif dtype == "boolean":
            out[name] = pd.array(values, dtype="boolean")
        elif dtype == "category":
            out[name] = pd.Categorical(values, categories=[str(v) for v in spec[name].levels or ()])
        elif dtype == "int":
            out[name] = pd.array(values, dtype="Int64")
        elif dtype == "float":
            out[name] = pd.array(values, dtype="Float64").astype(float)
        else:
            out[name] = pd.array(values, dtype="string")
    return pd.DataFrame(out)


@pytest.fixture
def make() -> Callable[[dict[str, list[Any]]], pd.DataFrame]:
    return build_frame
