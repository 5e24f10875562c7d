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
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import ValidationError

from crlm_outcomes._pydantic import StrictModel, problem_message, problems
from crlm_outcomes._result import short_repr
from crlm_outcomes.errors import SchemaDefinitionError, SpecError
from crlm_outcomes.safe_yaml import load_yaml_as

__all__ = [
    "CANONICAL_YAML",
    "ColumnSpec",
    "SchemaDefinition",
    "canonical_definition",
    "read_definition",
    "empty_column",
    "empty_columns",
    "nrows",
]

#: Path of the canonical schema shipped with the package (a link to data_schema/canonical.yaml).
CANONICAL_YAML = Path(__file__).with_name("canonical.yaml")


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
    naaccr_item
        NAACCR data item number(s) the column corresponds to (text, e.g. ``"3820"`` or
        ``"3820; CS SSF3 (2900)"``), or ``None``.
    label
        Display name for tables and figures (``""`` when the YAML gives none).
    level_labels
        Display names of levels (code -> text) where the code is not a readable word.

    Examples
    --------
    >>> from crlm_outcomes.schema import canonical_definition
    >>> spec = canonical_definition().columns["age_at_diagnosis"]
    >>> spec.dtype, spec.min, spec.max, spec.unit
    ('float', 0.0, 110.0, 'years')
    >>> canonical_definition().columns["performance_status_ecog"].levels
    (0, 1, 2, 3, 4)
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
    naaccr_item: str | None = None
    label: str = ""
    level_labels: tuple[tuple[Any, str], ...] = ()

    def __repr__(self) -> str:
        return short_repr(self, {"name": self.name, "dtype": self.dtype, "group": self.group})

    @property
    def declared_levels(self) -> tuple[Any, ...]:
        """The declared ``levels``; a column that declares none raises :class:`SpecError`.

        Examples
        --------
        >>> from crlm_outcomes.schema import canonical_definition
        >>> canonical_definition().columns["sex"].declared_levels
        ('female', 'male')
        """
        if self.levels is None:
            raise SpecError(
                f"column {self.name!r} declares no levels",
                column=self.name,
                expected="a category (or integer-coded) column with levels",
            )
        return self.levels

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
    """The whole canonical schema: columns in YAML order, groups, rules, version and hash,
    and the display texts of the derived columns, endpoints and time origins
    (``derived_columns``: name -> ``{label, level_labels, short}``; ``endpoint_labels``:
    endpoint -> ``{label, event}``; ``origin_labels``: origin -> text).

    Built by :func:`read_definition` (the shipped one by :func:`canonical_definition`).

    Parameters
    ----------
    name, version
        ``schema_name`` and ``schema_version`` of the YAML.
    time_unit
        Unit of the follow-up times (``"months"``).
    days_per_month
        Days per month used to turn day counts into months (30.4375).
    groups
        Column group key -> title, in YAML order.
    columns
        Column name -> :class:`ColumnSpec`, in YAML order.
    consistency_rules
        Cross-column rule name -> meaning (see :mod:`crlm_outcomes.schema.consistency`).
    sha256
        SHA-256 of the YAML file's bytes (``""`` when not read from a file).
    derived_columns, endpoint_labels, origin_labels
        Display texts, as described above (empty by default).

    Examples
    --------
    >>> from crlm_outcomes.schema import canonical_definition
    >>> schema = canonical_definition()
    >>> schema.name, schema.time_unit, schema.days_per_month
    ('crlm_canonical', 'months', 30.4375)
    >>> schema.column_names[:3]
    ['patient_id', 'source_row', 'age_at_diagnosis']
    >>> schema.empty_frame(2).shape == (2, len(schema.columns))
    True
    """

    name: str
    version: str
    time_unit: str
    days_per_month: float
    groups: dict[str, str]
    columns: dict[str, ColumnSpec]
    consistency_rules: dict[str, str]
    sha256: str = field(default="", repr=False)
    derived_columns: dict[str, dict[str, Any]] = field(default_factory=dict)
    endpoint_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    origin_labels: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        return short_repr(
            self,
            {
                "name": self.name,
                "version": self.version,
                "columns": len(self.columns),
                "groups": len(self.groups),
            },
        )

    @property
    def column_names(self) -> list[str]:
        """Canonical column names in YAML order."""
        return list(self.columns)

    def empty_frame(self, n: int = 0) -> pd.DataFrame:
        """A frame of ``n`` rows with every canonical column, all missing, in its dtype.

        Parameters
        ----------
        n
            Number of rows (default 0: an empty frame with the canonical columns).

        Returns
        -------
        pandas.DataFrame
            ``n`` rows (RangeIndex) by every column of :attr:`columns`, in YAML order, each
            all missing in its :attr:`ColumnSpec.pandas_dtype` (see :func:`empty_columns`).

        Examples
        --------
        >>> from crlm_outcomes.schema import canonical_definition
        >>> schema = canonical_definition()
        >>> frame = schema.empty_frame(3)
        >>> list(frame.columns) == schema.column_names, int(frame.notna().sum().sum())
        (True, 0)
        >>> frame[["age_at_diagnosis", "sex", "liver_mets_bilobar"]].dtypes.astype(str).tolist()
        ['float64', 'category', 'boolean']
        >>> len(schema.empty_frame())
        0
        """
        return pd.DataFrame(empty_columns(list(self.columns.values()), n))


def nrows(frame: Any) -> int:
    """Number of rows of a DataFrame or of a mapping of column name to equal-length columns.

    Parameters
    ----------
    frame
        A DataFrame, or a mapping (``dict``) of column name to equal-length columns.

    Returns
    -------
    int
        The length of the index (DataFrame) or of the first column (mapping); 0 for an
        empty mapping.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.schema.definition import nrows
    >>> nrows(pd.DataFrame({"age_at_diagnosis": [64.0, 71.0, 58.0]}))
    3
    >>> nrows({"patient_id": ["P1", "P2"], "os_months": [12.0, 30.5]}), nrows({})
    (2, 0)
    """
    if isinstance(frame, pd.DataFrame):
        return len(frame.index)
    for column in frame.values():
        return len(column)
    return 0


#: The arrays of an all-missing column of each canonical dtype, as (numpy dtype, fill value)
#: pairs: its values (date, float), values and missing-value mask (int, boolean) or its codes
#: (category).
_MISSING_FILLS: dict[str, tuple[tuple[str, Any], ...]] = {
    "date": (("datetime64[ns]", np.datetime64("NaT", "ns")),),
    "float": (("float64", np.nan),),
    "int": (("int64", 0), ("bool", True)),
    "boolean": (("bool", False), ("bool", True)),
    "category": (("int8", -1),),
}


def empty_columns(specs: list[ColumnSpec], n: int) -> dict[str, pd.Series]:
    """All-missing columns of length ``n``, one per spec, each in its canonical dtype.

    A registry leaves most canonical columns empty, so these are built for speed: the arrays
    holding one constant share their memory copy-on-write until written
    (:func:`crlm_outcomes._filled.filled_arrays`). They are ordinary, independent, writable
    columns.

    Parameters
    ----------
    specs
        The column declarations, for example ``list(schema.columns.values())``.
    n
        Number of rows.

    Returns
    -------
    dict of str to pandas.Series
        Column name -> an all-missing Series of length ``n`` (RangeIndex) in the column's
        :attr:`ColumnSpec.pandas_dtype`, in the order of ``specs``.

    Examples
    --------
    >>> from crlm_outcomes.schema import canonical_definition
    >>> from crlm_outcomes.schema.definition import empty_columns
    >>> columns = canonical_definition().columns
    >>> out = empty_columns([columns["os_months"], columns["liver_mets_bilobar"]], 3)
    >>> {name: str(s.dtype) for name, s in out.items()}
    {'os_months': 'float64', 'liver_mets_bilobar': 'boolean'}
    >>> int(out["liver_mets_bilobar"].isna().sum())
    3
    """
    from crlm_outcomes._filled import filled_arrays

    wanted: dict[tuple[str, Any], int] = {}
    for spec in specs:
        for fill in _MISSING_FILLS.get(spec.dtype, ()):
            wanted[fill] = wanted.get(fill, 0) + 1
    pools = {fill: filled_arrays(n, fill[0], fill[1], count) for fill, count in wanted.items()}

    def take(spec: ColumnSpec) -> list[np.ndarray]:
        return [pools[fill].pop() for fill in _MISSING_FILLS[spec.dtype]]

    out: dict[str, pd.Series] = {}
    nulls = None
    for spec in specs:
        if spec.dtype in ("date", "float"):
            out[spec.name] = pd.Series(take(spec)[0])
        elif spec.dtype == "int":
            out[spec.name] = pd.Series(pd.arrays.IntegerArray(*take(spec)))
        elif spec.dtype == "boolean":
            out[spec.name] = pd.Series(pd.arrays.BooleanArray(*take(spec)))
        elif spec.dtype == "category":
            dtype = spec.pandas_dtype
            codes = take(spec)[0]
            if len(dtype.categories) >= np.iinfo(np.int8).max:
                codes = codes.astype(np.int32)
            out[spec.name] = pd.Series(
                pd.Categorical.from_codes(codes, dtype=dtype, validate=False)
            )
        else:  # Arrow arrays are immutable (pandas replaces them on assignment): one serves all
            if nulls is None:
                import pyarrow as pa

                nulls = pa.chunked_array([pa.nulls(n, pa.large_string())])
            out[spec.name] = pd.Series(pd.arrays.ArrowStringArray(nulls))
    return out


def empty_column(spec: ColumnSpec, n: int) -> pd.Series:
    """An all-missing column of length ``n`` in the canonical dtype of ``spec``
    (:func:`empty_columns` of one).

    Parameters
    ----------
    spec
        The column declaration.
    n
        Number of rows.

    Returns
    -------
    pandas.Series
        ``n`` missing values in :attr:`ColumnSpec.pandas_dtype` (a category column keeps its
        declared levels).

    Examples
    --------
    >>> from crlm_outcomes.schema import canonical_definition
    >>> from crlm_outcomes.schema.definition import empty_column
    >>> sex = empty_column(canonical_definition().columns["sex"], 3)
    >>> int(sex.isna().sum()), list(sex.cat.categories)
    (3, ['female', 'male'])
    """
    return empty_columns([spec], n)[spec.name]


class _ColumnModel(StrictModel):
    """One column of a schema file (see :class:`ColumnSpec`)."""

    group: Any = ""
    dtype: Literal["string", "int", "float", "boolean", "category", "date"]
    required: Any = False
    unique: Any = False
    min: float | None = None
    max: float | None = None
    levels: list[Any] | None = None
    ordered: Any = False
    pattern: Any = None
    unit: Any = None
    description: Any = ""
    naaccr_item: Any = None
    label: Any = ""
    level_labels: dict[Any, Any] | None = None


class _DerivedModel(StrictModel):
    """Display texts of a column that :func:`crlm_outcomes.stratify.apply_all` derives."""

    label: Any = None
    level_labels: dict[Any, Any] | None = None
    short: Any = None


class _EndpointLabelModel(StrictModel):
    """Display texts of an endpoint: its name and its event."""

    label: Any
    event: Any


class _SchemaModel(StrictModel):
    """A schema file (the format of ``canonical.yaml``)."""

    schema_name: Any
    schema_version: Any
    time_unit: Any
    days_per_month: float
    groups: dict[Any, Any]
    columns: dict[Any, _ColumnModel]
    consistency_rules: dict[Any, Any] | None = None
    derived_columns: dict[Any, _DerivedModel | None] | None = None
    endpoint_labels: dict[Any, _EndpointLabelModel] | None = None
    origin_labels: dict[Any, Any] | None = None


def _column_spec(name: str, col: _ColumnModel) -> ColumnSpec:
    return ColumnSpec(
        name=name,
        group=str(col.group),
        dtype=col.dtype,
        description=str(col.description).strip(),
        required=bool(col.required),
        unique=bool(col.unique),
        min=col.min,
        max=col.max,
        levels=None if col.levels is None else tuple(col.levels),
        ordered=bool(col.ordered),
        pattern=col.pattern,
        unit=col.unit,
        naaccr_item=None if col.naaccr_item is None else str(col.naaccr_item),
        label=str(col.label).strip(),
        level_labels=tuple((k, str(v)) for k, v in (col.level_labels or {}).items()),
    )


def read_definition(path: str | Path) -> SchemaDefinition:
    """Read a schema YAML file (in the format of ``canonical.yaml``) into a definition.

    Parameters
    ----------
    path
        The YAML file: keys ``schema_name``, ``schema_version``, ``time_unit``,
        ``days_per_month``, ``groups``, ``columns`` and optionally ``consistency_rules``,
        ``derived_columns``, ``endpoint_labels``, ``origin_labels``.

    Returns
    -------
    SchemaDefinition
        The columns as :class:`ColumnSpec` in file order, the rules and display texts, and the
        SHA-256 of the file's bytes.

    Raises
    ------
    SchemaDefinitionError
        An unknown or missing key, a dtype not in string/int/float/boolean/category/date, a
        column in an undeclared group: names the file, the key path, the value and what was
        expected. Also text that is not YAML, a key repeated in one mapping (the second would
        silently replace the first) or an alias bomb, naming the file and line.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from crlm_outcomes.schema.definition import read_definition
    >>> text = '''
    ... schema_name: mini
    ... schema_version: "0.1"
    ... time_unit: months
    ... days_per_month: 30.4375
    ... groups: {ids: Identifiers}
    ... columns:
    ...   patient_id: {group: ids, dtype: string, required: true}
    ...   age: {group: ids, dtype: float, min: 0, max: 110, unit: years}
    ... '''
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "mini.yaml"
    ...     _ = path.write_text(text)
    ...     schema = read_definition(path)
    ...     _ = path.write_text(text.replace("dtype: float", "dtype: decimal"))
    ...     try:
    ...         read_definition(path)
    ...     except ValueError as error:
    ...         print(type(error).__name__, "--", error.key)
    SchemaDefinitionError -- columns.age.dtype
    >>> schema.column_names, schema.columns["age"].max
    (['patient_id', 'age'], 110.0)
    """
    text = Path(path).read_bytes()
    raw = load_yaml_as(text, what="schema definition", file=str(path), error=SchemaDefinitionError)
    try:
        model = _SchemaModel.model_validate(raw)
    except ValidationError as exc:
        found = problems(exc, _SchemaModel, hints=True)
        key, value, _, expected = found[0]
        error = SchemaDefinitionError(
            problem_message("schema definition", found),
            file=str(path),
            value=value,
            expected=expected,
        )
        error.key = key  # type: ignore[attr-defined]
        error.problems = found  # type: ignore[attr-defined]
        raise error from None
    for name, col in model.columns.items():
        if col.group not in model.groups:
            key = f"columns.{name}.group"
            error = SchemaDefinitionError(
                f"invalid schema definition: key {key!r}: group {col.group!r} is not declared "
                "in 'groups'",
                file=str(path),
                value=col.group,
                expected=f"one of {list(model.groups)}",
            )
            error.key = key  # type: ignore[attr-defined]
            error.problems = [(key, col.group, "group not declared", error.expected)]  # type: ignore[attr-defined]
            raise error
    groups = {str(k): str(v) for k, v in model.groups.items()}
    return SchemaDefinition(
        name=str(model.schema_name),
        version=str(model.schema_version),
        time_unit=str(model.time_unit),
        days_per_month=float(model.days_per_month),
        groups=groups,
        columns={str(name): _column_spec(str(name), col) for name, col in model.columns.items()},
        consistency_rules={str(k): str(v) for k, v in (model.consistency_rules or {}).items()},
        sha256=hashlib.sha256(text).hexdigest(),
        derived_columns={
            str(k): (v.model_dump(exclude_unset=True) if v is not None else {})
            for k, v in (model.derived_columns or {}).items()
        },
        endpoint_labels={
            str(k): {"label": str(v.label), "event": str(v.event)}
            for k, v in (model.endpoint_labels or {}).items()
        },
        origin_labels={str(k): str(v) for k, v in (model.origin_labels or {}).items()},
    )


@lru_cache(maxsize=1)
def canonical_definition() -> SchemaDefinition:
    """The canonical CRLM schema shipped with the package (read once, cached)."""
    return read_definition(CANONICAL_YAML)
