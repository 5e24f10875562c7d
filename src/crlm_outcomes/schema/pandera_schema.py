"""The canonical schema as a pandera ``DataFrameSchema``, generated from ``canonical.yaml``.

Use it to validate any canonical frame (for example ``Cohort.data`` after your own edits)::

    from crlm_outcomes.schema.pandera_schema import validate_canonical
    validate_canonical(frame)          # raises SchemaValidationError listing every failure

Validation is lazy: every failing column, check and row is reported at once, in
:attr:`~crlm_outcomes.errors.SchemaValidationError.failure_cases`.

The loader does not run pandera on every load: the same YAML-derived checks are applied there in
vectorised numpy (:mod:`crlm_outcomes.schema.checks`), because pandera validation of a
million-row cohort on this 70-column schema takes 0.9-3 s even when nothing fails, against
0.1-0.2 s for the numpy checks (benchmarks/bench_load.py prints both; 2-core machine), and that
alone exceeds the budget of a whole load (3x the raw pyarrow CSV read, 0.3-0.6 s). Both come from the same
:class:`~crlm_outcomes.schema.definition.ColumnSpec` fields, and the tests check that a loaded
cohort passes this schema.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd
import pandera.pandas as pa

from crlm_outcomes.errors import SchemaValidationError
from crlm_outcomes.schema.definition import ColumnSpec, SchemaDefinition, canonical_definition

__all__ = ["build_pandera_schema", "canonical_schema", "validate_canonical"]


def _checks(spec: ColumnSpec) -> list[pa.Check]:
    checks: list[pa.Check] = []
    if spec.dtype in ("int", "float"):
        if spec.min is not None:
            checks.append(pa.Check.ge(spec.min))
        if spec.max is not None:
            checks.append(pa.Check.le(spec.max))
        if spec.dtype == "int" and spec.levels is not None:
            checks.append(pa.Check.isin(list(spec.levels)))
    if spec.dtype == "string" and spec.pattern is not None:
        checks.append(pa.Check.str_matches(spec.pattern))
    return checks


def _dtype(spec: ColumnSpec) -> object:
    return spec.pandas_dtype


def build_pandera_schema(definition: SchemaDefinition) -> pa.DataFrameSchema:
    """A pandera schema with one column per YAML column: dtype, nullability (``required``),
    uniqueness, range, allowed integer codes and text pattern. Columns are required and no
    other columns are allowed (``strict``).

    Parameters
    ----------
    definition
        The schema definition (for example :func:`canonical_definition` or one read with
        :func:`~crlm_outcomes.schema.definition.read_definition`).

    Returns
    -------
    pandera.pandas.DataFrameSchema
        Named after the schema, one ``Column`` per YAML column (dtype
        :attr:`ColumnSpec.pandas_dtype`, nullable unless ``required``), strict, any order.

    Examples
    --------
    >>> from crlm_outcomes.schema import canonical_definition
    >>> from crlm_outcomes.schema.pandera_schema import build_pandera_schema
    >>> schema = build_pandera_schema(canonical_definition())
    >>> schema.name, len(schema.columns), schema.strict
    ('crlm_canonical', 104, True)
    >>> schema.columns["os_months"].nullable, schema.columns["age_at_diagnosis"].nullable
    (False, True)
    """
    columns = {
        name: pa.Column(
            _dtype(spec),
            checks=_checks(spec),
            nullable=not spec.required,
            unique=spec.unique,
            required=True,
            description=spec.description,
            title=name,
        )
        for name, spec in definition.columns.items()
    }
    return pa.DataFrameSchema(
        columns,
        strict=True,
        ordered=False,
        name=definition.name,
        description=f"{definition.name} {definition.version} (generated from canonical.yaml)",
    )


@lru_cache(maxsize=1)
def canonical_schema() -> pa.DataFrameSchema:
    """The pandera schema of the shipped canonical YAML (built once)."""
    return build_pandera_schema(canonical_definition())


def validate_canonical(
    frame: pd.DataFrame, schema: pa.DataFrameSchema | None = None
) -> pd.DataFrame:
    """Validate lazily; return ``frame`` or raise :class:`SchemaValidationError` whose
    ``failure_cases`` (columns: column, check, row, value) lists every failure.

    Parameters
    ----------
    frame
        A frame with every canonical column in its canonical dtype (for example
        ``Cohort.data`` after your own edits).
    schema
        The pandera schema; ``None`` (default) = the canonical one (built once).

    Returns
    -------
    pandas.DataFrame
        The validated frame, as pandera returns it (same columns and values).

    Raises
    ------
    SchemaValidationError
        Any column missing, extra, of the wrong dtype, or with values failing a check; its
        ``failure_cases`` lists them all.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.errors import SchemaValidationError
    >>> from crlm_outcomes.schema import canonical_definition
    >>> from crlm_outcomes.schema.pandera_schema import validate_canonical
    >>> definition = canonical_definition()
    >>> df = definition.empty_frame(2)
    >>> id_dtype = definition.columns["patient_id"].pandas_dtype  # Arrow-backed string
    >>> df["patient_id"] = pd.array(["P1", "P2"], dtype=id_dtype)
    >>> df["source_row"] = pd.array([1, 2], dtype="Int64")
    >>> df["os_months"] = [12.5, 30.0]
    >>> df["os_event"] = pd.array([1, 0], dtype="Int64")
    >>> df["age_at_diagnosis"] = [64.0, 131.0]
    >>> try:
    ...     validate_canonical(df)
    ... except SchemaValidationError as error:
    ...     print(str(error).splitlines()[0])
    ...     print([(c.column, c.check, int(c.row)) for c in error.failure_cases.itertuples()])
    the frame does not conform to the canonical schema (1 failure case(s))
    [('age_at_diagnosis', 'less_than_or_equal_to(110.0)', 1)]
    """
    schema = schema or canonical_schema()
    try:
        return schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        cases = pd.DataFrame(
            {
                "column": fc["column"].astype(object).to_numpy(),
                "check": fc["check"].astype(str).to_numpy(),
                "row": fc["index"].to_numpy(dtype=object),
                "value": fc["failure_case"].astype(object).to_numpy(),
            }
        )
        raise SchemaValidationError(
            "the frame does not conform to the canonical schema", cases
        ) from exc
