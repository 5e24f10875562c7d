"""The canonical cohort schema, read from ``data_schema/canonical.yaml``.

The YAML file is the single source of truth for column names, dtypes, units, codes, ranges and
consistency rules. This module turns it into small frozen objects (:class:`ColumnSpec`,
:class:`SchemaDefinition`) that every other part of the package reads: the pandera schema
(:mod:`crlm_outcomes.schema.pandera_schema`), the vectorised load-path checks
(:mod:`crlm_outcomes.schema.checks`), the data dictionary (:mod:`crlm_outcomes.schema.dictionary`)
and the loaders (:mod:`crlm_outcomes.io`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

__all__ = [
    "CANONICAL_YAML",
    "ColumnSpec",
    "SchemaDefinition",
    "canonical_definition",
    "read_definition",
    "empty_column",
    "nrows",
]

#: Path of the canonical schema shipped with the package (a link to data_schema/canonical.yaml).
CANONICAL_YAML = Path(__file__).with_name("canonical.yaml")

_DTYPES = ("string", "int", "float", "boolean", "category", "date")
_COLUMN_KEYS = {
    "group", "dtype", "required", "unique", "min", "max", "levels", "ordered", "pattern", "unit",
    "description",
}


@dataclass(frozen=True)
class ColumnSpec:
    """One canonical column as declared in the YAML.

    Attributes
    ----------
    name, group, dtype, description
        As in the YAML; ``dtype`` is one of string, int, float, boolean, category, date.
    required
        The column must be non-missing on every loaded row.
    unique
        Values must be unique across rows.
    min, max
        Inclusive numeric bounds, or ``None``.
    levels
        Allowed values: category levels, or allowed integer codes for an ``int`` column.
    ordered
        Category levels are ordered.
    pattern
        Regular expression a ``string`` value must match in full.
    unit
        Unit of a numeric column (for example ``cm``, ``ng/mL``), or ``None``.
    """

    name: str
    group: str
    dtype: str
    description: str = ""
    required: bool = False
    unique: bool = False
    min: float | None = None
    max: float | None = None
    levels: tuple[Any, ...] | None = None
    ordered: bool = False
    pattern: str | None = None
    unit: str | None = None

    @property
    def pandas_dtype(self) -> Any:
        """The pandas dtype of this column in a loaded :class:`~crlm_outcomes.io.cohort.Cohort`.

        string → ``string[pyarrow]`` (Arrow-backed text: vectorised string kernels, the default
        of pandas 3); int → nullable ``Int64``; float → ``float64`` (NaN = missing);
        boolean → nullable ``boolean``; category → ``CategoricalDtype`` with the YAML levels;
        date → ``datetime64[ns]``.
        """
        if self.dtype == "string":
            return pd.StringDtype("pyarrow")
        if self.dtype == "int":
            return pd.Int64Dtype()
        if self.dtype == "float":
            return "float64"
        if self.dtype == "boolean":
            return pd.BooleanDtype()
        if self.dtype == "category":
            return pd.CategoricalDtype(list(self.levels or ()), ordered=self.ordered)
        return "datetime64[ns]"


@dataclass(frozen=True)
class SchemaDefinition:
    """The whole canonical schema: columns in YAML order, groups, rules, version and hash."""

    name: str
    version: str
    time_unit: str
    days_per_month: float
    groups: dict[str, str]
    columns: dict[str, ColumnSpec]
    consistency_rules: dict[str, str]
    sha256: str = field(default="", repr=False)

    @property
    def column_names(self) -> list[str]:
        """Canonical column names in YAML order."""
        return list(self.columns)

    def empty_frame(self, n: int = 0) -> pd.DataFrame:
        """A frame of ``n`` rows with every canonical column, all missing, in its dtype."""
        return pd.DataFrame({name: empty_column(spec, n) for name, spec in self.columns.items()})


def nrows(frame: Any) -> int:
    """Number of rows of a DataFrame or of a mapping of column name to equal-length columns."""
    if isinstance(frame, pd.DataFrame):
        return len(frame.index)
    for column in frame.values():
        return len(column)
    return 0


def empty_column(spec: ColumnSpec, n: int) -> pd.Series:
    """An all-missing column of length ``n`` in the canonical dtype of ``spec`` (built directly
    from its arrays: cheap for a million rows)."""
    dtype = spec.pandas_dtype
    if spec.dtype == "date":
        return pd.Series(np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]"))
    if spec.dtype == "float":
        return pd.Series(np.full(n, np.nan))
    if spec.dtype == "int":
        return pd.Series(pd.arrays.IntegerArray(np.zeros(n, dtype="int64"),
                                                np.ones(n, dtype=bool)))
    if spec.dtype == "boolean":
        return pd.Series(pd.arrays.BooleanArray(np.zeros(n, dtype=bool), np.ones(n, dtype=bool)))
    if spec.dtype == "category":
        return pd.Series(pd.Categorical.from_codes(np.full(n, -1, dtype=np.int8), dtype=dtype))
    import pyarrow as pa

    nulls = pa.chunked_array([pa.nulls(n, pa.large_string())])
    return pd.Series(pd.arrays.ArrowStringArray(nulls))


def _column_spec(name: str, raw: dict[str, Any], groups: dict[str, str]) -> ColumnSpec:
    unknown = set(raw) - _COLUMN_KEYS
    if unknown:
        raise ValueError(f"canonical schema column {name!r}: unknown key(s) {sorted(unknown)}")
    dtype = raw.get("dtype")
    if dtype not in _DTYPES:
        raise ValueError(f"canonical schema column {name!r}: dtype {dtype!r} not in {_DTYPES}")
    group = raw.get("group", "")
    if group not in groups:
        raise ValueError(f"canonical schema column {name!r}: group {group!r} not declared")
    levels = raw.get("levels")
    return ColumnSpec(
        name=name,
        group=group,
        dtype=dtype,
        description=str(raw.get("description", "")).strip(),
        required=bool(raw.get("required", False)),
        unique=bool(raw.get("unique", False)),
        min=None if raw.get("min") is None else float(raw["min"]),
        max=None if raw.get("max") is None else float(raw["max"]),
        levels=None if levels is None else tuple(levels),
        ordered=bool(raw.get("ordered", False)),
        pattern=raw.get("pattern"),
        unit=raw.get("unit"),
    )


def read_definition(path: str | Path) -> SchemaDefinition:
    """Read a schema YAML file (in the format of ``canonical.yaml``) into a definition."""
    text = Path(path).read_bytes()
    raw = yaml.safe_load(text)
    groups = {str(k): str(v) for k, v in raw["groups"].items()}
    columns = {
        str(name): _column_spec(str(name), spec or {}, groups)
        for name, spec in raw["columns"].items()
    }
    return SchemaDefinition(
        name=str(raw["schema_name"]),
        version=str(raw["schema_version"]),
        time_unit=str(raw["time_unit"]),
        days_per_month=float(raw["days_per_month"]),
        groups=groups,
        columns=columns,
        consistency_rules={str(k): str(v) for k, v in (raw.get("consistency_rules") or {}).items()},
        sha256=hashlib.sha256(text).hexdigest(),
    )


@lru_cache(maxsize=1)
def canonical_definition() -> SchemaDefinition:
    """The canonical CRLM schema shipped with the package (read once, cached)."""
    return read_definition(CANONICAL_YAML)
