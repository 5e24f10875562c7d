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
    """``reader:``: options of the file reader.

    Attributes
    ----------
    delimiter
        Field separator of a delimited file (default ``None``: ``,`` for CSV, tab for TSV).
    sheet
        Excel sheet, by name or 0-based position (default ``None``: the first).
    encoding
        Text encoding of a delimited file (default ``None``: UTF-8).

    Examples
    --------
    >>> from pydantic import ValidationError
    >>> reader = Reader.model_validate({"delimiter": ";", "encoding": "latin-1"})
    >>> reader.delimiter, reader.encoding, reader.sheet
    (';', 'latin-1', None)
    >>> try:
    ...     Reader.model_validate({"delim": ";"})
    ... except ValidationError as err:
    ...     print(err.errors()[0]["type"], err.errors()[0]["loc"])
    extra_forbidden ('delim',)
    """

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
    """``defaults:``: read options applied to every column unless it overrides them.

    Every attribute defaults to ``None`` (not given: the loader's own default applies).

    Attributes
    ----------
    missing_values
        Cells read as missing (``["", "NA", "-999"]``), counted in the audit.
    on_invalid
        ``"quarantine"`` (the loader's default) or ``"set_missing"``: what a value that
        cannot be read does.
    date_formats
        A strptime format, or a list of them, or ``"ISO8601"`` (the loader's default).
    excel_serial_dates
        Numbers in a date column are Excel serial day numbers.
    decimal
        Decimal separator of numbers written as text (``","``).
    case_sensitive
        Match codes case-sensitively (the loader's default: no).
    write_missing
        Text or number the synthetic registry writer writes for a missing value.
    missing_reasons
        Missing-value code -> why the value is missing (text).

    Examples
    --------
    >>> from pydantic import ValidationError
    >>> defaults = Defaults.model_validate(
    ...     {"missing_values": ["", "NA", "-999"], "on_invalid": "set_missing"}
    ... )
    >>> defaults.missing_values, defaults.on_invalid, defaults.date_formats
    (['', 'NA', '-999'], 'set_missing', None)
    >>> try:
    ...     Defaults.model_validate({"on_invalid": "drop"})
    ... except ValidationError as err:
    ...     print(err.errors()[0]["type"], err.errors()[0]["loc"])
    literal_error ('on_invalid',)
    """


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
    """One era's column of a ``coalesce`` list (``years``: first and last diagnosis year).

    Attributes
    ----------
    years
        ``[first, last]`` diagnosis year of the era (default ``None``): tells the synthetic
        registry writer which column a patient's value goes into.
    source, sources, codes, unit, extract, replace, note, write_format, scale, bounds
        As in :class:`ColumnEntry` (default ``None`` each).
    missing_values, on_invalid, date_formats, excel_serial_dates, decimal, case_sensitive,
    write_missing, missing_reasons
        As in :class:`Defaults`, for this era's column only.

    Examples
    --------
    SEER's liver-metastasis item of the Collaborative Staging years:

    >>> from pydantic import ValidationError
    >>> era = CoalesceEntry.model_validate(
    ...     {"source": "CS_METS_DX_LIVER", "years": [2010, 2015], "codes": {"0": False, "1": True}}
    ... )
    >>> era.source, era.years
    ('CS_METS_DX_LIVER', [2010, 2015])
    >>> try:
    ...     CoalesceEntry.model_validate({"source": "CS_METS_DX_LIVER", "years": [2016, 2010]})
    ... except ValidationError as err:
    ...     print(err.errors()[0]["msg"])
    Value error, 'years' must be [first, last] diagnosis year
    """

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
    """``only_when: {column, equals}``: the value is kept only when another column equals.

    Attributes
    ----------
    column
        The canonical column tested (required).
    equals
        The canonical value it must hold (required; ``true``, a level, a number); in other
        rows the value is set missing.

    Examples
    --------
    CEA read as "CEA at liver diagnosis" only for synchronous liver metastases (the SEER
    profile):

    >>> from crlm_outcomes.io.profile_model import OnlyWhen
    >>> rule = OnlyWhen.model_validate(
    ...     {"column": "liver_mets_at_primary_diagnosis", "equals": True}
    ... )
    >>> rule.column, rule.equals
    ('liver_mets_at_primary_diagnosis', True)
    """

    column: str
    equals: Any


#: Keys of a column entry that reads from the first non-missing of several eras.
COALESCE_KEYS = frozenset({"coalesce", "only_when", "note", "on_invalid"})


class ColumnEntry(_Entry):
    """``columns.<canonical column>``: how the canonical column is read.

    Every attribute defaults to ``None`` (not given).

    Attributes
    ----------
    source
        The source column's header.
    sources
        Two or more source columns read together (``codes`` keyed ``"a|b"``).
    codes
        Source code -> canonical value (``null``: a known missing code). Keys must be quoted
        text or numbers.
    unit
        Unit of the source values (required for a canonical column with a unit).
    extract
        Regular expression with one capturing group: the value kept (no match: invalid).
    replace
        ``[pattern, replacement]``: a regex rewrite before parsing.
    note
        Free text.
    write_format
        Format string of the synthetic registry writer (``"{:02.0f} years"``).
    scale
        Positive multiplier applied after the unit conversion.
    bounds
        Code -> the number the value is only known to be at least.
    required
        The source column must be in the file.
    only_when
        ``{column, equals}``: the value is kept only when another canonical column equals
        ``equals`` (else set missing, counted).
    coalesce
        Two or more :class:`CoalesceEntry` (era-specific columns; the first non-missing
        wins). Only ``only_when``, ``note`` and ``on_invalid`` may stand beside it.
    missing_values, on_invalid, date_formats, excel_serial_dates, decimal, case_sensitive,
    write_missing, missing_reasons
        As in :class:`Defaults`, for this column (they override ``defaults:``).

    Examples
    --------
    >>> from pydantic import ValidationError
    >>> entry = ColumnEntry.model_validate(
    ...     {"source": "Sex", "codes": {"M": "male", "F": "female", "9": None}, "required": True}
    ... )
    >>> entry.source, entry.codes, entry.required
    ('Sex', {'M': 'male', 'F': 'female', '9': None}, True)
    >>> try:  # an unquoted YAML key `yes:` arrives as True
    ...     ColumnEntry.model_validate({"source": "Smoker", "codes": {True: "current"}})
    ... except ValidationError as err:
    ...     print(err.errors()[0]["msg"])
    Value error, code keys must be quoted text or numbers (YAML reads unquoted yes/no/true/false/null as booleans or null)
    """

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
    """``disclosure:``: the data-use agreement's small-cell rule (travels with the file).

    Attributes
    ----------
    data_use_agreement
        The data come under a data-use agreement (default ``False``).
    suppression
        ``"required"`` (a report may not turn small-cell suppression off), ``"optional"``
        (the default: the report spec must say) or ``"none"``.
    threshold
        Counts below it are suppressed (an integer >= 1; default ``None``).
    rate_threshold
        The smallest denominator a published rate may have (an integer >= 1; default ``None``).
    rule
        The agreement's wording (default ``None``).

    Examples
    --------
    >>> from pydantic import ValidationError
    >>> rule = Disclosure.model_validate(
    ...     {"data_use_agreement": True, "suppression": "required", "threshold": 11}
    ... )
    >>> rule.suppression, rule.threshold, rule.rate_threshold
    ('required', 11, None)
    >>> try:
    ...     Disclosure.model_validate({"threshold": 0})
    ... except ValidationError as err:
    ...     print(err.errors()[0]["type"])
    greater_than_equal
    """

    data_use_agreement: StrictBool = False
    suppression: Literal["required", "optional", "none"] = "optional"
    threshold: StrictInt | None = Field(default=None, ge=1)
    rate_threshold: StrictInt | None = Field(default=None, ge=1)
    rule: Any = None


class ProfileFile(StrictModel):
    """A whole loader profile file.

    Only the structure is checked here; :func:`crlm_outcomes.io.profile.load_profile` checks
    the validated values against the canonical schema. Every attribute defaults to ``None``.

    Attributes
    ----------
    name
        The profile's name (required).
    description
        Free text.
    identity
        Every canonical column maps from a source column of the same name.
    reader
        A :class:`Reader`.
    defaults
        A :class:`Defaults`.
    endpoint_origins
        Endpoint (``os``, ``rfs``, ...) -> where its time starts, for endpoint months read
        from the file.
    columns
        Canonical column -> :class:`ColumnEntry`.
    disclosure
        A :class:`Disclosure`.

    Examples
    --------
    >>> from pydantic import ValidationError
    >>> profile = ProfileFile.model_validate(
    ...     {"name": "my_hospital", "reader": {"delimiter": ";"},
    ...      "columns": {"patient_id": {"source": "MRN", "required": True},
    ...                  "age_at_diagnosis": {"source": "Age", "unit": "years"}}}
    ... )
    >>> profile.name, sorted(profile.columns), profile.reader.delimiter
    ('my_hospital', ['age_at_diagnosis', 'patient_id'], ';')
    >>> profile.model_dump(exclude_unset=True)["columns"]["age_at_diagnosis"]
    {'source': 'Age', 'unit': 'years'}
    >>> try:
    ...     ProfileFile.model_validate({"columns": {}})
    ... except ValidationError as err:
    ...     print(err.errors()[0]["msg"])
    Value error, profile needs a 'name'
    """

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
