"""crlm_outcomes.schema: the canonical cohort schema, built from ``data_schema/canonical.yaml``.

* :mod:`~crlm_outcomes.schema.definition` — the YAML as frozen objects (columns, dtypes, units,
  codes, rules, version).
* :mod:`~crlm_outcomes.schema.pandera_schema` — the pandera ``DataFrameSchema`` (lazy validation).
* :mod:`~crlm_outcomes.schema.checks` — the same value checks, vectorised, used when loading.
* :mod:`~crlm_outcomes.schema.endpoints` — OS, RFS and hepatic RFS from dates.
* :mod:`~crlm_outcomes.schema.consistency` — cross-column rules (quarantine, never fix).
* :mod:`~crlm_outcomes.schema.dictionary` — the generated data dictionary
  (``python -m crlm_outcomes.schema.dictionary``).
"""

from crlm_outcomes.schema.definition import (
    CANONICAL_YAML,
    ColumnSpec,
    SchemaDefinition,
    canonical_definition,
)

__all__ = ["CANONICAL_YAML", "ColumnSpec", "SchemaDefinition", "canonical_definition"]
