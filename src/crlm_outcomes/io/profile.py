"""Loader profiles: declarative YAML that maps a source file onto the canonical schema.

A profile says, for each canonical column it fills, which source column(s) it comes from and how
to read a cell: code maps, missing-value codes, unit, date formats (including Excel serial
numbers), a regular expression to extract or rewrite text, and what to do with a value that
cannot be read (``on_invalid``: ``quarantine`` the row, the default, or ``set_missing``; both are
counted in the audit). Profiles shipped with the package live in ``crlm_outcomes/io/profiles``;
users write their own YAML file and pass its path (``load_cohort(path, profile="my.yaml")``) —
no Python needed.

Profile file format (every key is checked; an unknown key is a
:class:`~crlm_outcomes.errors.ProfileError` naming it)::

    name: my_hospital                   # required
    description: free text
    identity: false                     # true: every canonical column maps from the same name
    reader: {delimiter: ",", sheet: 0, encoding: utf-8}
    defaults:                           # apply to every column unless the column overrides them
      missing_values: ["", "NA"]        # cells read as missing (counted in the audit when listed)
      on_invalid: quarantine            # or set_missing
      date_formats: ["%d/%m/%Y"]        # strptime formats, or ISO8601
      excel_serial_dates: true          # numbers in a date column are Excel serial day numbers
      decimal: ","                      # decimal separator of numbers written as text
      case_sensitive: false             # code matching
      write_missing: "-999"             # how the synthetic registry writer writes a missing value
    endpoint_origins: {os: primary_diagnosis}   # required when endpoint months come from the file
    columns:
      <canonical column>:
        source: "Source header"         # or sources: [a, b] with codes keyed "a|b"
        required: true                  # the source column must be in the file (else optional)
        codes: {"Y": true, "N": false, "U": null}   # null = a known missing code
        missing_values: ["-999"]
        unit: mm                        # required when the canonical column has a unit
        extract: '^(\\d+) years$'      # keep the first group; no match = invalid
        replace: ['^C?(\\d\\d)(\\d)$', 'C\\1.\\2']   # regex rewrite before parsing
        only_when: {column: vital_status, equals: dead}   # else set missing (counted)
        write_format: "{:02.0f} years"  # how the synthetic registry writer formats a value
        scale: 0.1                      # extra multiplier after the unit (CS-era tenths)
        bounds: {"XXXX.1": 10000}       # code -> the value is only known to be >= this;
                                        # the value is missing and <column>_at_least holds it
        missing_reasons: {"9": "unknown for this patient (registry code 9)"}
        note: free text
      <canonical column>:               # era-specific columns: the first non-missing wins
        coalesce:
          - {source: METS_AT_DX_LIVER, years: [2016, 2099], codes: {...}}
          - {source: CS_METS_DX_LIVER, years: [2010, 2015], codes: {...}, scale: 0.1}

Each ``coalesce`` entry is a full column entry of its own (codes, missing values, unit, scale,
bounds); entries whose source column is absent are skipped (and reported as absent), and
``years`` (first and last diagnosis year of the era) tells the synthetic registry writer which
column a patient's value goes into. Every optional source column that the file lacks is
reported: a :class:`~crlm_outcomes.errors.DataQualityWarning` at load and
``Cohort.audit.absent_columns``.

Code keys are matched as text after trimming (and lower-casing unless ``case_sensitive``);
numbers match their integer form (``1``, ``1.0`` and ``"1"`` are the same code). Quote code keys
such as ``"Yes"``/``"No"``: YAML would read them as booleans, which a profile rejects.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from crlm_outcomes._pydantic import problem_message, problems
from crlm_outcomes._result import short_names, short_repr
from crlm_outcomes.errors import ProfileError, UnknownProfileError, UnsafeYamlError
from crlm_outcomes.io.profile_model import DISCLOSURE_SUPPRESSION as DISCLOSURE_SUPPRESSION
from crlm_outcomes.io.profile_model import Defaults, ProfileFile
from crlm_outcomes.io.units import normalise_unit, unit_factor
from crlm_outcomes.safe_yaml import MAX_BYTES, load_yaml
from crlm_outcomes.schema.definition import ColumnSpec, SchemaDefinition, canonical_definition
from crlm_outcomes.schema.endpoint_map import ENDPOINT_COLUMNS as _ENDPOINT_COLUMNS
from crlm_outcomes.schema.endpoint_map import ENDPOINT_ORIGINS as ENDPOINT_ORIGINS
from crlm_outcomes.schema.endpoint_map import ENDPOINTS

__all__ = [
    "PROFILE_DIR",
    "ColumnRule",
    "Profile",
    "code_key",
    "list_profiles",
    "load_profile",
    "resolve_profile",
    "ENDPOINT_ORIGINS",
]

#: Directory of the profiles shipped with the package.
PROFILE_DIR = Path(__file__).with_name("profiles")

_ENDPOINT_MONTHS = {k: e.duration for k, e in ENDPOINTS.items()}

#: The keys of a column entry that ``defaults:`` may also set.
_DEFAULT_KEYS = frozenset(Defaults.model_fields)


#: Text that writes a whole number (``"01"``, ``"-3"``, ``"2.0"``), matched as its integer.
INTEGER_TEXT = re.compile(r"[+-]?\d+(\.0*)?")


def code_key(value: Any, case_sensitive: bool = False) -> str:
    """Normalised text of a code or cell value, used to match code maps.

    Integral numbers, and text that writes one, become their integer text (``1.0``, ``"01"``
    and ``"1.0"`` → ``"1"``: a file may store a code as a number or as text); booleans become
    ``"true"``/``"false"``; other text is trimmed and, unless ``case_sensitive``, lower-cased.

    Parameters
    ----------
    value
        A code as a profile writes it, or a cell as read (text, number or boolean).
    case_sensitive
        Keep the case of text (default ``False``: lower-case it).

    Returns
    -------
    str
        The matching key.

    Examples
    --------
    >>> code_key(1.0), code_key("01"), code_key(" Yes "), code_key(True)
    ('1', '1', 'yes', 'true')
    >>> code_key(" Yes ", case_sensitive=True)
    'Yes'
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int,)) or (isinstance(value, float) and value.is_integer()):
        return str(int(value))
    text = str(value).strip()
    if INTEGER_TEXT.fullmatch(text):
        return str(int(text.split(".")[0]))
    return text if case_sensitive else text.lower()


@dataclass(frozen=True)
class ColumnRule:
    """How one canonical column is read from the source (see the module docstring).

    Built by :func:`load_profile` from a column entry (keys as matched by :func:`code_key`).

    Parameters
    ----------
    target
        The canonical column filled.
    sources
        The source column(s) read.
    required
        The source column must be in the file (default ``False``).
    codes
        Matching key -> canonical value (``None``: a known missing code); ``None`` (the
        default) when the column is parsed rather than mapped.
    missing_values
        Matching keys read as missing (including the ``bounds`` codes).
    on_invalid
        ``"quarantine"`` (default) or ``"set_missing"``.
    unit
        The source unit (normalised), or ``None``.
    factor
        Multiplier to the canonical unit, ``scale`` included (default 1.0).
    date_formats
        strptime formats tried in order (default ``("ISO8601",)``).
    excel_serial_dates
        Numbers in a date column are Excel serial day numbers (default ``False``).
    decimal
        Decimal separator of numbers written as text (default ``"."``).
    case_sensitive
        Codes are matched case-sensitively (default ``False``).
    extract
        Regular expression whose first group is kept, or ``None``.
    replace
        ``(pattern, replacement)`` applied before parsing, or ``None``.
    only_when
        ``(canonical column, value)``: keep the value only when that column equals it.
    write_codes
        Canonical value -> source code, for the synthetic registry writer.
    write_format
        Format string of the writer, or ``None``.
    write_missing
        What the writer writes for a missing value (default ``""``).
    bounds
        Matching key -> the number the value is at least (filled into
        ``<target>_at_least``).
    bound_labels
        Matching key -> the bound code as the profile writes it.
    missing_reasons
        Matching key -> why the value is missing.
    code_labels
        The non-missing source codes as the profile writes them (for error messages).
    years
        ``(first, last)`` diagnosis year of an era's column (in a ``coalesce``), or ``None``.
    coalesce
        The era-specific rules of a coalesced column (first non-missing wins); ``()`` else.

    Examples
    --------
    >>> rule = resolve_profile("seer").rules["sex"]
    >>> rule.sources, dict(rule.codes), rule.on_invalid
    (('Sex',), {'female': 'female', 'male': 'male'}, 'quarantine')
    >>> rule.expected_codes
    ['Female', 'Male']
    >>> age = resolve_profile("seer").rules["age_at_diagnosis"]
    >>> age.unit, age.factor, age.extract
    ('years', 1.0, '^(\\\\d+) years?$')
    """

    target: str
    sources: tuple[str, ...]
    required: bool = False
    codes: Mapping[str, Any] | None = None
    missing_values: frozenset[str] = frozenset()
    on_invalid: str = "quarantine"
    unit: str | None = None
    factor: float = 1.0
    date_formats: tuple[str, ...] = ("ISO8601",)
    excel_serial_dates: bool = False
    decimal: str = "."
    case_sensitive: bool = False
    extract: str | None = None
    replace: tuple[str, str] | None = None
    only_when: tuple[str, Any] | None = None
    write_codes: Mapping[Any, str] | None = None
    write_format: str | None = None
    write_missing: str = ""
    bounds: Mapping[str, float] = field(default_factory=dict)
    bound_labels: Mapping[str, str] = field(default_factory=dict)
    missing_reasons: Mapping[str, str] = field(default_factory=dict)
    code_labels: tuple[str, ...] = ()
    years: tuple[int, int] | None = None
    coalesce: tuple[ColumnRule, ...] = ()

    def __repr__(self) -> str:
        fields: dict[str, object] = {"target": self.target, "sources": short_names(self.sources)}
        if self.coalesce:
            fields["coalesce"] = len(self.coalesce)
        return short_repr(self, fields)

    @property
    def expected_codes(self) -> list[str]:
        """The source codes this rule reads, as the profile writes them (for error messages)."""
        return list(self.code_labels)


@dataclass(frozen=True)
class Profile:
    """A validated loader profile.

    Attributes
    ----------
    name, description
        From the file.
    path
        The YAML file it was read from.
    sha256
        SHA-256 of the YAML file bytes (recorded in the cohort provenance).
    rules
        One :class:`ColumnRule` per canonical column filled, in schema order.
    endpoint_origins
        Declared origin of endpoint times read directly from the file.
    reader
        Reader options (delimiter, sheet, encoding).
    identity
        Every canonical column maps from the same name (absent columns are listed in the
        audit but not warned about: a canonical-format file carries the columns it has).
    disclosure
        The profile's ``disclosure:`` block (empty when absent): ``data_use_agreement``
        (bool), ``suppression`` (one of :data:`DISCLOSURE_SUPPRESSION`), ``threshold``,
        ``rate_threshold`` and ``rule`` (the agreement's wording). It travels with copies of
        the file, so a renamed copy of ``seer.yaml`` keeps its suppression rule.

    Examples
    --------
    >>> seer = resolve_profile("seer")
    >>> seer.name, len(seer.rules), seer.endpoint_origins
    ('seer', 24, {'os': 'primary_diagnosis'})
    >>> seer.source_columns[:3]
    ['Patient ID', 'Age recode with single ages and 85+', 'Sex']
    >>> seer.disclosure["suppression"]
    'required'
    """

    name: str
    description: str
    path: str
    sha256: str
    rules: dict[str, ColumnRule]
    endpoint_origins: dict[str, str] = field(default_factory=dict)
    reader: dict[str, Any] = field(default_factory=dict)
    identity: bool = False
    disclosure: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return short_repr(
            self,
            {"name": self.name, "rules": len(self.rules), "path": Path(self.path).name},
        )

    @property
    def source_columns(self) -> list[str]:
        """Every source column the profile reads, in order, without repeats."""
        seen: dict[str, None] = {}
        for rule in self.rules.values():
            for src in rule.sources:
                seen.setdefault(src, None)
        return list(seen)


def list_profiles() -> list[str]:
    """Names of the profiles shipped with the package (pass a YAML path for your own).

    Returns
    -------
    list of str
        The profile names, each usable as ``load_cohort(..., profile=name)``.

    Examples
    --------
    >>> from crlm_outcomes import list_profiles
    >>> profiles = list_profiles()
    >>> "canonical" in profiles, "seer" in profiles
    (True, True)
    """
    return sorted(p.stem for p in PROFILE_DIR.glob("*.yaml"))


def resolve_profile(profile: str | Path | Profile) -> Profile:
    """A :class:`Profile` from a shipped profile name, a YAML path, or a Profile (returned as is).

    Parameters
    ----------
    profile
        A name of :func:`list_profiles`, the path of a profile YAML file, or a
        :class:`Profile`.

    Returns
    -------
    Profile
        The validated profile. A file is read again only when it has changed (path, size and
        modification time), so the same unchanged file gives the same object.

    Raises
    ------
    UnknownProfileError
        No shipped profile of that name and no file at that path; lists the available names.

    Examples
    --------
    >>> seer = resolve_profile("seer")
    >>> seer.name, resolve_profile("seer") is seer, resolve_profile(seer) is seer
    ('seer', True, True)
    >>> canonical = resolve_profile("canonical")
    >>> canonical.identity, list(canonical.rules)[:2]
    (True, ['patient_id', 'age_at_diagnosis'])
    """
    if isinstance(profile, Profile):
        return profile
    text = str(profile)
    if text in list_profiles():
        return _cached_profile(PROFILE_DIR / f"{text}.yaml")
    path = Path(text).expanduser()
    if path.is_file():
        return _cached_profile(path)
    available = list_profiles()
    near = difflib.get_close_matches(text, available, n=3)
    hint = f" (did you mean {', '.join(map(repr, near))}?)" if near else ""
    raise UnknownProfileError(
        f"unknown profile {text!r}{hint}",
        expected=f"one of {available} or the path of a profile YAML file",
    )


def _cached_profile(path: Path) -> Profile:
    """:func:`load_profile`, re-read only when the file changes (path, size, mtime)."""
    st = path.stat()
    return _load_cached(str(path.resolve()), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=64)
def _load_cached(path: str, size: int, mtime_ns: int) -> Profile:
    return load_profile(path)


def _fail(
    path: str,
    message: str,
    *,
    column: str | None = None,
    value: Any = None,
    expected: str | None = None,
    key: str | None = None,
) -> ProfileError:
    """A :class:`ProfileError` in the style of :func:`_profile_error`: the key path (default
    ``columns.<column>``), the value and what was expected."""
    key = key or (f"columns.{column}" if column else None)
    text = f"invalid profile: key {key!r}: {message}" if key else f"invalid profile: {message}"
    error = ProfileError(text, file=path, column=column, value=value, expected=expected)
    error.key = key or "<root>"  # type: ignore[attr-defined]
    error.problems = [(error.key, value, message, expected or "")]  # type: ignore[attr-defined]
    return error


def _profile_error(exc: ValidationError, path: str) -> ProfileError:
    """The :class:`ProfileError` of a failed :class:`ProfileFile` validation: file, key path,
    value and what was expected (the same style as an invalid analysis spec)."""
    found = problems(exc, ProfileFile, hints=True)
    key, value, _, expected = found[0]
    parts = key.split(".")
    column = parts[1].split("[")[0] if parts[0] == "columns" and len(parts) > 1 else None
    error = ProfileError(
        problem_message("profile", found), file=path, column=column, value=value, expected=expected
    )
    error.key = key  # type: ignore[attr-defined]
    error.problems = found  # type: ignore[attr-defined]
    return error


def _code_value(path: str, target: str, spec_dtype: str, levels: tuple | None, value: Any) -> Any:
    """Validate the canonical value a code maps to."""
    if value is None:
        return None
    if spec_dtype == "boolean":
        if isinstance(value, bool):
            return value
    elif spec_dtype == "category":
        if levels is not None and value in levels:
            return value
    elif spec_dtype == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            if levels is None or value in levels:
                return value
    elif spec_dtype == "float":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif spec_dtype == "string":
        if isinstance(value, str):
            return value
    expected = (
        f"one of {list(levels)} or null" if levels is not None else f"a {spec_dtype} value or null"
    )
    raise _fail(
        path,
        f"code maps to an invalid value for column {target!r}",
        column=target,
        value=value,
        expected=expected,
    )


def _coalesce_rule(
    path: str,
    target: str,
    raw: Mapping[str, Any],
    defaults: Mapping[str, Any],
    schema: SchemaDefinition,
) -> ColumnRule:
    """A column read from the first non-missing of several era-specific entries."""
    rules = []
    for entry in raw["coalesce"]:  # shapes checked by ProfileFile
        merged = {k: v for k, v in entry.items() if k != "years"}
        if "on_invalid" in raw and "on_invalid" not in merged:
            merged["on_invalid"] = raw["on_invalid"]
        rule = _rule(path, target, merged, defaults, schema, False)
        years = entry.get("years")
        if years is not None:
            rule = _replace(rule, years=(int(years[0]), int(years[1])))
        rules.append(rule)
    sources = tuple(dict.fromkeys(s for r in rules for s in r.sources))
    only_when = _only_when(path, target, raw.get("only_when"), schema)
    return ColumnRule(
        target=target,
        sources=sources,
        coalesce=tuple(rules),
        only_when=only_when,
        on_invalid=rules[0].on_invalid,
        write_missing=rules[0].write_missing,
    )


def _replace(rule: ColumnRule, **changes: Any) -> ColumnRule:
    from dataclasses import replace

    return replace(rule, **changes)


def _only_when(
    path: str, target: str, only_when: Any, schema: SchemaDefinition
) -> tuple[str, Any] | None:
    if only_when is None:
        return None
    if only_when["column"] not in schema.columns:  # its shape is checked by ProfileFile
        raise _fail(
            path,
            "'only_when' must be {column: <canonical column>, equals: value}",
            column=target,
            value=only_when,
            key=f"columns.{target}.only_when.column",
        )
    return (str(only_when["column"]), only_when["equals"])


def _rule_sources(
    path: str, target: str, raw: Mapping[str, Any], identity_unit: bool
) -> tuple[str, ...]:
    """The source column(s) of a column entry (its own name in an identity profile)."""
    if "sources" in raw:
        return tuple(str(s) for s in raw["sources"])
    if "source" in raw:
        return (str(raw["source"]),)
    if identity_unit:
        return (target,)
    raise _fail(path, "column entry needs 'source' (or 'sources')", column=target)


def _rule_codes(
    path: str,
    target: str,
    raw: Mapping[str, Any],
    spec: ColumnSpec,
    case_sensitive: bool,
    n_sources: int,
) -> tuple[dict[str, Any] | None, dict[Any, str] | None]:
    """The ``codes`` map (matching key -> canonical value) and its inverse for the writer."""
    codes: dict[str, Any] | None = None
    write_codes: dict[Any, str] | None = None
    if raw.get("codes") is not None:
        codes, write_codes = {}, {}
        for key, value in raw["codes"].items():
            mapped = _code_value(path, target, spec.dtype, spec.levels, value)
            codes[code_key(key, case_sensitive)] = mapped
            if mapped is None:  # the writer writes the last missing code listed ("9" unknown)
                write_codes[None] = str(key)
            else:
                write_codes.setdefault(mapped, str(key))
    if n_sources > 1 and codes is None:
        raise _fail(
            path,
            "a column read from several 'sources' needs a 'codes' map keyed 'a|b'",
            column=target,
        )
    return codes, write_codes


def _rule_missing(
    path: str,
    target: str,
    raw: Mapping[str, Any],
    defaults: Mapping[str, Any],
    merged: Mapping[str, Any],
    schema: SchemaDefinition,
) -> dict[str, Any]:
    """Missing-value codes, lower bounds (with their labels) and missing reasons, as
    :class:`ColumnRule` fields."""
    case_sensitive = bool(merged.get("case_sensitive", False))
    missing = merged.get("missing_values", []) or []
    bounds_raw = raw.get("bounds") or {}
    if bounds_raw and f"{target}_at_least" not in schema.columns:
        raise _fail(
            path,
            f"'bounds' needs the canonical column '{target}_at_least'",
            column=target,
            expected="a column with a lower-bound companion",
        )
    bounds = {code_key(k, case_sensitive): float(v) for k, v in bounds_raw.items()}
    reasons_raw = {**(defaults.get("missing_reasons") or {}), **(raw.get("missing_reasons") or {})}
    return {
        "missing_values": frozenset(code_key(v, case_sensitive) for v in missing)
        | frozenset(bounds),
        "bounds": bounds,
        "bound_labels": {code_key(k, case_sensitive): str(k) for k in bounds_raw},
        "missing_reasons": {code_key(k, case_sensitive): v for k, v in reasons_raw.items()},
    }


def _rule_unit(
    path: str,
    target: str,
    raw: Mapping[str, Any],
    spec: ColumnSpec,
    numeric_read: bool,
    identity_unit: bool,
) -> tuple[Any, float]:
    """The declared unit (normalised) and the factor to the canonical unit, times ``scale``."""
    unit = raw.get("unit")
    factor = 1.0
    if spec.unit is not None and numeric_read:
        if unit is None:
            if not identity_unit:
                raise _fail(
                    path,
                    f"unit not declared: canonical column {target!r} is in "
                    f"{spec.unit}; say which unit the source uses (never guessed)",
                    column=target,
                    expected=f"unit: {spec.unit} (or a convertible unit)",
                )
            unit = spec.unit
        f = unit_factor(spec.unit, str(unit))
        if f is None:
            raise _fail(
                path, f"cannot convert unit {unit!r} to {spec.unit!r}", column=target, value=unit
            )
        factor = f
        unit = normalise_unit(str(unit))
    elif unit is not None:
        raise _fail(
            path,
            "'unit' given for a column that is not read as a number with a unit",
            column=target,
            value=unit,
        )
    scale = raw.get("scale")
    if scale is not None:
        if not numeric_read:
            raise _fail(
                path,
                "'scale' must be a positive number, for a column read as a number",
                column=target,
                value=scale,
            )
        factor = factor * float(scale)
    return unit, factor


def _rule_date_formats(path: str, target: str, merged: Mapping[str, Any]) -> tuple[str, ...]:
    """The date formats of a column (one string or a list of strings)."""
    formats = merged.get("date_formats", ["ISO8601"])
    if isinstance(formats, str):
        formats = [formats]
    if not isinstance(formats, list) or not all(isinstance(f, str) for f in formats):
        raise _fail(path, "'date_formats' must be a list of format strings", column=target)
    return tuple(formats)


def _rule(
    path: str,
    target: str,
    raw: Mapping[str, Any],
    defaults: Mapping[str, Any],
    schema: SchemaDefinition,
    identity_unit: bool,
) -> ColumnRule:
    """The :class:`ColumnRule` of one column entry, checked against the canonical schema."""
    if isinstance(raw, Mapping) and "coalesce" in raw:
        return _coalesce_rule(path, target, raw, defaults, schema)
    spec = schema.columns[target]
    sources = _rule_sources(path, target, raw, identity_unit)
    merged = {**defaults, **{k: v for k, v in raw.items() if k in _DEFAULT_KEYS}}
    case_sensitive = bool(merged.get("case_sensitive", False))
    codes, write_codes = _rule_codes(path, target, raw, spec, case_sensitive, len(sources))
    missing = _rule_missing(path, target, raw, defaults, merged, schema)
    numeric_read = spec.dtype in ("int", "float") and codes is None
    unit, factor = _rule_unit(path, target, raw, spec, numeric_read, identity_unit)
    formats = _rule_date_formats(path, target, merged)
    extract = raw.get("extract")  # patterns compiled by ProfileFile
    replace = raw.get("replace")
    only_when = _only_when(path, target, raw.get("only_when"), schema)
    labels = (
        tuple(str(k) for k, v in (raw.get("codes") or {}).items() if v is not None)
        if codes is not None
        else ()
    )
    return ColumnRule(
        target=target,
        sources=sources,
        required=bool(raw.get("required", False)),
        codes=codes,
        on_invalid=merged.get("on_invalid", "quarantine"),
        unit=unit,
        factor=factor,
        date_formats=formats,
        excel_serial_dates=bool(merged.get("excel_serial_dates", False)),
        decimal=str(merged.get("decimal", ".")),
        case_sensitive=case_sensitive,
        extract=None if extract is None else str(extract),
        replace=None if replace is None else (str(replace[0]), str(replace[1])),
        only_when=only_when,
        write_codes=write_codes,
        write_missing=str(merged.get("write_missing", "")),
        write_format=None if raw.get("write_format") is None else str(raw["write_format"]),
        code_labels=labels,
        **missing,
    )


def _disclosure(raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """The ``disclosure:`` block (empty dict when absent; validated by ProfileFile)."""
    if raw is None:
        return {}
    out: dict[str, Any] = {
        "data_use_agreement": raw.get("data_use_agreement", False),
        "suppression": raw.get("suppression", "optional"),
    }
    for key in ("threshold", "rate_threshold"):
        if key in raw:
            out[key] = raw[key]
    if "rule" in raw:
        out["rule"] = str(raw["rule"]).strip()
    return out


def _read_profile_bytes(path: Path, label: str) -> bytes:
    """The bytes of a profile file (size-capped); a missing file is an UnknownProfileError."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise _fail(label, f"profile file over {MAX_BYTES} bytes refused")
        return path.read_bytes()
    except OSError as exc:
        raise UnknownProfileError(f"cannot read profile file: {exc.strerror}", file=label) from exc


def _validated_profile(data: bytes, label: str) -> dict[str, Any]:
    """Safe YAML, then the :class:`ProfileFile` model (keys, types and schema-free values);
    returns the values as written, for the checks against the canonical schema."""
    try:
        raw = load_yaml(data)
    except UnsafeYamlError as exc:
        raise ProfileError(
            f"profile is refused: {exc.message}",
            file=label,
            row=exc.row,
            expected="a UTF-8 YAML mapping without repeated keys or alias bombs",
        ) from None
    except yaml.YAMLError as exc:
        raise _fail(label, f"profile is not valid YAML: {exc}") from exc
    if not isinstance(raw, Mapping):
        raise _fail(label, "profile must be a YAML mapping")
    try:
        return ProfileFile.model_validate(raw).model_dump(exclude_unset=True)
    except ValidationError as exc:
        raise _profile_error(exc, label) from None


def _check_targets(
    label: str, columns: Mapping[str, Any], identity: bool, schema: SchemaDefinition
) -> None:
    """Every mapped target is a canonical column the loader reads (near matches named)."""
    for target in columns:
        if target not in schema.columns:
            near = difflib.get_close_matches(str(target), schema.column_names, n=3)
            hint = f" (did you mean {', '.join(map(repr, near))}?)" if near else ""
            raise _fail(
                label,
                f"unknown canonical column {target!r} in columns{hint}",
                column=str(target),
                expected="a column of canonical.yaml",
            )
        if target in ("source_row",):
            raise _fail(label, "'source_row' is set by the loader, not read", column=target)
    if not columns and not identity:
        raise _fail(label, "profile maps no columns (give 'columns' or 'identity: true')")


def _column_rules(
    label: str,
    columns: Mapping[str, Any],
    defaults: Mapping[str, Any],
    identity: bool,
    schema: SchemaDefinition,
) -> dict[str, ColumnRule]:
    """One :class:`ColumnRule` per column read, in schema order."""
    rules: dict[str, ColumnRule] = {}
    for target in schema.columns:
        entry = columns.get(target)
        if entry is None and not identity:
            continue
        if target == "source_row":
            continue
        if identity and target in _ENDPOINT_COLUMNS and entry is None:
            continue  # derived from dates, never read, in an identity profile
        rules[target] = _rule(label, target, entry or {}, defaults, schema, identity)
    return rules


def _check_endpoint_origins(
    label: str, rules: Mapping[str, ColumnRule], origins: Mapping[str, Any]
) -> None:
    """Endpoint months read from the file need their declared origin."""
    for key, months in _ENDPOINT_MONTHS.items():
        if months in rules and key not in origins:
            raise _fail(
                label,
                f"'{months}' is read from the file, so endpoint_origins.{key} "
                "must say where its time starts",
                column=months,
                expected=f"one of {list(ENDPOINT_ORIGINS)}",
                key=f"endpoint_origins.{key}",
            )


def load_profile(path: str | Path, schema: SchemaDefinition | None = None) -> Profile:
    """Read and validate a profile YAML file.

    Parameters
    ----------
    path
        The profile YAML file (its format is in the module docstring).
    schema
        The canonical schema definition the targets are checked against (default: the
        package's ``canonical.yaml``).

    Returns
    -------
    Profile
        The profile, with one :class:`ColumnRule` per canonical column it fills (schema
        order) and the SHA-256 of the file bytes.

    Raises
    ------
    UnknownProfileError
        The file does not exist.
    ProfileError
        Not valid YAML, an unknown key (named), a target that is not a canonical column (with
        near matches), an invalid code value, an undeclared or unconvertible unit, etc.

    Examples
    --------
    A hospital export with semicolons, ages in years and sex coded M/F/9:

    >>> import pathlib, tempfile
    >>> text = (
    ...     "name: my_hospital\\n"
    ...     "reader: {delimiter: ';'}\\n"
    ...     "columns:\\n"
    ...     "  patient_id: {source: MRN, required: true}\\n"
    ...     "  age_at_diagnosis: {source: Age, unit: years}\\n"
    ...     "  sex: {source: Sex, codes: {'M': male, 'F': female, '9': null}}\\n"
    ... )
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "my_hospital.yaml"
    ...     _ = path.write_text(text, encoding="utf-8")
    ...     prof = load_profile(path)
    >>> prof.name, list(prof.rules), prof.reader
    ('my_hospital', ['patient_id', 'age_at_diagnosis', 'sex'], {'delimiter': ';'})
    >>> dict(prof.rules["sex"].codes)
    {'m': 'male', 'f': 'female', '9': None}
    """
    schema = schema or canonical_definition()
    path = Path(path)
    label = str(path)
    data = _read_profile_bytes(path, label)
    raw = _validated_profile(data, label)
    reader = raw.get("reader") or {}
    defaults = raw.get("defaults") or {}
    identity = bool(raw.get("identity", False))
    columns = raw.get("columns") or {}
    _check_targets(label, columns, identity, schema)
    rules = _column_rules(label, columns, defaults, identity, schema)
    origins = raw.get("endpoint_origins") or {}
    _check_endpoint_origins(label, rules, origins)
    return Profile(
        disclosure=_disclosure(raw.get("disclosure")),
        name=str(raw["name"]),
        description=str(raw.get("description", "")).strip(),
        path=label,
        sha256=hashlib.sha256(data).hexdigest(),
        rules=rules,
        endpoint_origins={str(k): str(v) for k, v in origins.items()},
        reader=dict(reader),
        identity=identity,
    )
