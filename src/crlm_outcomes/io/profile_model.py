"""The pydantic models of a loader profile file (the format is documented in
:mod:`crlm_outcomes.io.profile`).

These models check the structure of the YAML: which keys exist at each level, and the types and
values that do not depend on the canonical schema (``on_invalid``, ``sources``, ``replace``,
``years``, ``bounds``, ``disclosure`` ...). What depends on the schema (canonical column names,
the values a code may map to, units) is checked by :func:`crlm_outcomes.io.profile.load_profile`
on the validated model. Values the loader reads as text are kept as written (``Any``): a
profile that loaded before loads identically.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, StrictBool, StrictInt, field_validator, model_validator

from crlm_outcomes._pydantic import StrictModel
from crlm_outcomes.schema.endpoint_map import ENDPOINT_ORIGINS, ENDPOINTS

__all__ = [
    "ColumnEntry",
    "CoalesceEntry",
    "Defaults",
    "Disclosure",
    "ProfileFile",
    "Reader",
    "DISCLOSURE_SUPPRESSION",
    "ON_INVALID",
]

#: Values of ``on_invalid``: quarantine the row (default) or set the value missing.
ON_INVALID = ("quarantine", "set_missing")
#: Values of ``disclosure.suppression``: ``required`` (a data-use agreement forbids small cells:
#: a report may not turn suppression off), ``optional`` (the spec must say), ``none``.
DISCLOSURE_SUPPRESSION = ("required", "optional", "none")

OnInvalid = Literal["quarantine", "set_missing"]
if TYPE_CHECKING:  # a Literal built from the endpoint map at run time: text to mypy
    EndpointKey = str
else:
    EndpointKey = Literal[tuple(ENDPOINTS)]
EndpointOrigin = Literal[ENDPOINT_ORIGINS]  # type: ignore[valid-type]
Number = StrictInt | float


def _mapping_of_text(value: Any, what: str) -> Any:
    if value is None:
        return value
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError(f"'{what}' must map a source code to a text")
    return value


class Reader(StrictModel):
    """``reader:``: options of the file reader."""

    delimiter: Any = None
    sheet: Any = None
    encoding: Any = None


class _ReadOptions(StrictModel):
    """The keys a column entry shares with ``defaults:``."""

    missing_values: list[Any] | None = None
    on_invalid: OnInvalid | None = None
    date_formats: str | list[str] | None = None
    excel_serial_dates: Any = None
    decimal: Any = None
    case_sensitive: Any = None
    write_missing: str | Number | None = None
    missing_reasons: dict[Any, Any] | None = None

    @field_validator("missing_reasons", mode="before")
    @classmethod
    def _reasons(cls, value: Any) -> Any:
        return _mapping_of_text(value, "missing_reasons")

    @field_validator("write_missing", mode="before")
    @classmethod
    def _write_missing(cls, value: Any) -> Any:
        if value is None or isinstance(value, (bool, list, dict)):
            raise ValueError("'write_missing' must be text or a number")
        return value


class Defaults(_ReadOptions):
    """``defaults:``: read options applied to every column unless it overrides them."""


class _Entry(_ReadOptions):
    """How one source column (or one era's column) is read."""

    source: Any = None
    sources: list[Any] | None = None
    codes: dict[Any, Any] | None = None
    unit: Any = None
    extract: Any = None
    replace: list[Any] | None = None
    note: Any = None
    write_format: Any = None
    scale: Number | None = None
    bounds: dict[Any, Number] | None = None

    @field_validator("sources")
    @classmethod
    def _sources(cls, value: Any) -> Any:
        if value is not None and len(value) < 2:
            raise ValueError("'sources' must list two or more source columns")
        return value

    @field_validator("codes", mode="before")
    @classmethod
    def _codes(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, dict):
            raise ValueError("'codes' must be a mapping of source code to canonical value")
        for key in value or {}:
            if isinstance(key, bool) or key is None:
                raise ValueError(
                    "code keys must be quoted text or numbers (YAML reads unquoted "
                    "yes/no/true/false/null as booleans or null)"
                )
        return value

    @field_validator("replace")
    @classmethod
    def _replace(cls, value: Any) -> Any:
        if value is not None and len(value) != 2:
            raise ValueError("'replace' must be [pattern, replacement]")
        return value

    @field_validator("bounds", mode="before")
    @classmethod
    def _bounds(cls, value: Any) -> Any:
        if value is not None and (
            not isinstance(value, dict)
            or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in value.values()
            )
        ):
            raise ValueError("'bounds' must map a source code to the number the value is at least")
        return value

    @field_validator("scale", mode="before")
    @classmethod
    def _scale(cls, value: Any) -> Any:
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0
        ):
            raise ValueError("'scale' must be a positive number, for a column read as a number")
        return value

    @model_validator(mode="after")
    def _one_source_key(self) -> _Entry:
        if "source" in self.model_fields_set and "sources" in self.model_fields_set:
            raise ValueError("give either 'source' or 'sources', not both")
        for label in ("extract", "replace"):
            pattern = getattr(self, label)
            if pattern is None:
                continue
            if label == "replace":
                pattern = pattern[0]
            try:
                compiled = re.compile(str(pattern))
            except re.error as exc:
                raise ValueError(f"invalid regular expression in '{label}': {exc}") from None
            if label == "extract" and compiled.groups < 1:
                raise ValueError("'extract' needs one capturing group")
        return self


class CoalesceEntry(_Entry):
    """One era's column of a ``coalesce`` list (``years``: first and last diagnosis year)."""

    years: list[Any] | None = None

    @field_validator("years")
    @classmethod
    def _years(cls, value: Any) -> Any:
        if value is not None and (
            len(value) != 2
            or not all(isinstance(y, int) and not isinstance(y, bool) for y in value)
            or value[0] > value[1]
        ):
            raise ValueError("'years' must be [first, last] diagnosis year")
        return value


class OnlyWhen(StrictModel):
    """``only_when: {column, equals}``: the value is kept only when another column equals."""

    column: str
    equals: Any


#: Keys of a column entry that reads from the first non-missing of several eras.
COALESCE_KEYS = frozenset({"coalesce", "only_when", "note", "on_invalid"})


class ColumnEntry(_Entry):
    """``columns.<canonical column>``: how the canonical column is read."""

    required: Any = None
    only_when: OnlyWhen | None = None
    coalesce: list[CoalesceEntry] | None = None

    @field_validator("coalesce", mode="before")
    @classmethod
    def _coalesce(cls, value: Any) -> Any:
        if value is not None and (
            not isinstance(value, list)
            or len(value) < 2
            or not all(isinstance(e, dict) for e in value)
        ):
            raise ValueError("'coalesce' must list two or more column entries")
        return value

    @model_validator(mode="after")
    def _coalesce_alone(self) -> ColumnEntry:
        if self.coalesce is not None:
            other = sorted(self.model_fields_set - COALESCE_KEYS)
            if other:
                raise ValueError(
                    f"unknown key {other[0]!r} beside 'coalesce' (allowed: {sorted(COALESCE_KEYS)})"
                )
        return self


class Disclosure(StrictModel):
    """``disclosure:``: the data-use agreement's small-cell rule (travels with the file)."""

    data_use_agreement: StrictBool = False
    suppression: Literal["required", "optional", "none"] = "optional"
    threshold: StrictInt | None = Field(default=None, ge=1)
    rate_threshold: StrictInt | None = Field(default=None, ge=1)
    rule: Any = None


class ProfileFile(StrictModel):
    """A whole loader profile file."""

    name: Any = None
    description: Any = None
    identity: Any = None
    reader: Reader | None = None
    defaults: Defaults | None = None
    endpoint_origins: dict[EndpointKey, EndpointOrigin] | None = None
    columns: dict[str, ColumnEntry | None] | None = None
    disclosure: Disclosure | None = None

    @model_validator(mode="after")
    def _named(self) -> ProfileFile:
        if not self.name:
            raise ValueError("profile needs a 'name'")
        return self
