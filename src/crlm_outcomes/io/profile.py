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

from crlm_outcomes.errors import ProfileError, UnknownProfileError, UnsafeYamlError
from crlm_outcomes.io.units import normalise_unit, unit_factor
from crlm_outcomes.safe_yaml import MAX_BYTES, load_yaml
from crlm_outcomes.schema.definition import ColumnSpec, SchemaDefinition, canonical_definition

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

#: Allowed values of ``endpoint_origins`` (and of the ``os_origin`` load option).
ENDPOINT_ORIGINS = (
    "liver_mets_diagnosis",
    "liver_resection",
    "primary_diagnosis",
    "curative_liver_treatment",
)
_ENDPOINTS = ("os", "rfs", "hepatic_rfs")
_ENDPOINT_MONTHS = {"os": "os_months", "rfs": "rfs_months", "hepatic_rfs": "hepatic_rfs_months"}
_ENDPOINT_COLUMNS = frozenset(
    [*_ENDPOINT_MONTHS.values(), "os_event", "rfs_event", "rfs_cause", "hepatic_rfs_event"]
)

_TOP_KEYS = {
    "name", "description", "identity", "reader", "defaults", "endpoint_origins", "columns",
    "disclosure",
}
_DISCLOSURE_KEYS = {"data_use_agreement", "suppression", "threshold", "rate_threshold", "rule"}
#: Values of ``disclosure.suppression``: ``required`` (a data-use agreement forbids small cells:
#: a report may not turn suppression off), ``optional`` (the spec must say), ``none``.
DISCLOSURE_SUPPRESSION = ("required", "optional", "none")
_READER_KEYS = {"delimiter", "sheet", "encoding"}
_DEFAULT_KEYS = {
    "missing_values", "on_invalid", "date_formats", "excel_serial_dates", "decimal",
    "case_sensitive", "write_missing", "missing_reasons",
}
_COLUMN_KEYS = _DEFAULT_KEYS | {
    "source", "sources", "required", "codes", "unit", "extract", "replace", "only_when", "note",
    "write_format", "scale", "bounds", "missing_reasons", "coalesce",
}
_ENTRY_KEYS = (_COLUMN_KEYS - {"coalesce", "required", "only_when"}) | {"years"}
_ON_INVALID = ("quarantine", "set_missing")


#: Text that writes a whole number (``"01"``, ``"-3"``, ``"2.0"``), matched as its integer.
INTEGER_TEXT = re.compile(r"[+-]?\d+(\.0*)?")


def code_key(value: Any, case_sensitive: bool = False) -> str:
    """Normalised text of a code or cell value, used to match code maps.

    Integral numbers, and text that writes one, become their integer text (``1.0``, ``"01"``
    and ``"1.0"`` → ``"1"``: a file may store a code as a number or as text); booleans become
    ``"true"``/``"false"``; other text is trimmed and, unless ``case_sensitive``, lower-cased.
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
    """How one canonical column is read from the source (see the module docstring)."""

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

    Raises
    ------
    UnknownProfileError
        No shipped profile of that name and no file at that path; lists the available names.
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


def _fail(path: str, message: str, *, column: str | None = None, value: Any = None,
          expected: str | None = None) -> ProfileError:
    return ProfileError(message, file=path, column=column, value=value, expected=expected)


def _check_keys(path: str, where: str, raw: Mapping[str, Any], allowed: set[str]) -> None:
    if not isinstance(raw, Mapping):
        raise _fail(path, f"{where} must be a mapping", value=raw)
    for key in raw:
        if key not in allowed:
            near = difflib.get_close_matches(str(key), sorted(allowed), n=2)
            hint = f" (did you mean {', '.join(map(repr, near))}?)" if near else ""
            raise _fail(path, f"unknown key {key!r} in {where}{hint}", value=key,
                        expected=f"one of {sorted(allowed)}")


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
    expected = (f"one of {list(levels)} or null" if levels is not None
                else f"a {spec_dtype} value or null")
    raise _fail(path, f"code maps to an invalid value for column {target!r}", column=target,
                value=value, expected=expected)


def _coalesce_rule(path: str, target: str, raw: Mapping[str, Any],
                   defaults: Mapping[str, Any], schema: SchemaDefinition) -> ColumnRule:
    """A column read from the first non-missing of several era-specific entries."""
    allowed = {"coalesce", "only_when", "note", "on_invalid"}
    _check_keys(path, f"columns.{target}", raw, allowed)
    entries = raw["coalesce"]
    if not isinstance(entries, list) or len(entries) < 2 or \
            not all(isinstance(e, Mapping) for e in entries):
        raise _fail(path, "'coalesce' must list two or more column entries", column=target,
                    value=entries)
    rules = []
    for i, entry in enumerate(entries):
        _check_keys(path, f"columns.{target}.coalesce[{i}]", entry, _ENTRY_KEYS)
        merged = {k: v for k, v in entry.items() if k != "years"}
        if "on_invalid" in raw and "on_invalid" not in merged:
            merged["on_invalid"] = raw["on_invalid"]
        rule = _rule(path, target, merged, defaults, schema, False)
        years = entry.get("years")
        if years is not None:
            if (not isinstance(years, list) or len(years) != 2
                    or not all(isinstance(y, int) and not isinstance(y, bool) for y in years)
                    or years[0] > years[1]):
                raise _fail(path, "'years' must be [first, last] diagnosis year", column=target,
                            value=years)
            rule = _replace(rule, years=(int(years[0]), int(years[1])))
        rules.append(rule)
    sources = tuple(dict.fromkeys(s for r in rules for s in r.sources))
    only_when = _only_when(path, target, raw.get("only_when"), schema)
    return ColumnRule(target=target, sources=sources, coalesce=tuple(rules),
                      only_when=only_when, on_invalid=rules[0].on_invalid,
                      write_missing=rules[0].write_missing)


def _replace(rule: ColumnRule, **changes: Any) -> ColumnRule:
    from dataclasses import replace

    return replace(rule, **changes)


def _only_when(path: str, target: str, only_when: Any,
               schema: SchemaDefinition) -> tuple[str, Any] | None:
    if only_when is None:
        return None
    if (not isinstance(only_when, Mapping) or set(only_when) != {"column", "equals"}
            or only_when["column"] not in schema.columns):
        raise _fail(path, "'only_when' must be {column: <canonical column>, equals: value}",
                    column=target, value=only_when)
    return (str(only_when["column"]), only_when["equals"])


def _rule_sources(path: str, target: str, raw: Mapping[str, Any],
                  identity_unit: bool) -> tuple[str, ...]:
    """The source column(s) of a column entry: ``source``, ``sources`` (two or more), or the
    canonical name itself in the identity profile."""
    if "source" in raw and "sources" in raw:
        raise _fail(path, "give either 'source' or 'sources', not both", column=target)
    if "sources" in raw:
        sources = raw["sources"]
        if not isinstance(sources, list) or len(sources) < 2:
            raise _fail(path, "'sources' must list two or more source columns", column=target,
                        value=sources)
        return tuple(str(s) for s in sources)
    if "source" in raw:
        return (str(raw["source"]),)
    if identity_unit:
        return (target,)
    raise _fail(path, "column entry needs 'source' (or 'sources')", column=target)


def _code_maps(path: str, target: str, spec: ColumnSpec, raw_codes: Any,
               case_sensitive: bool) -> tuple[dict[str, Any], dict[Any, str]]:
    """The ``codes:`` map read (normalised key -> canonical value) and its inverse for the
    writer (canonical value -> the first source code listed; ``None`` -> the last missing
    code listed, e.g. "9" unknown)."""
    if not isinstance(raw_codes, Mapping):
        raise _fail(path, "'codes' must be a mapping of source code to canonical value",
                    column=target)
    codes: dict[str, Any] = {}
    write_codes: dict[Any, str] = {}
    for key, value in raw_codes.items():
        if isinstance(key, bool) or key is None:
            raise _fail(path, "code keys must be quoted text or numbers (YAML reads "
                        "unquoted yes/no/true/false/null as booleans or null)",
                        column=target, value=key)
        mapped = _code_value(path, target, spec.dtype, spec.levels, value)
        codes[code_key(key, case_sensitive)] = mapped
        if mapped is None:
            write_codes[None] = str(key)
        else:
            write_codes.setdefault(mapped, str(key))
    return codes, write_codes


@dataclass(frozen=True)
class _MissingCodes:
    """The missing-value part of a column entry, read and checked."""

    keys: frozenset[str]
    bounds: dict[str, float]
    bound_labels: dict[str, str]
    reasons: dict[str, str]
    write_missing: str


def _missing_codes(path: str, target: str, raw: Mapping[str, Any], defaults: Mapping[str, Any],
                   merged: Mapping[str, Any], schema: SchemaDefinition,
                   case_sensitive: bool) -> _MissingCodes:
    """``missing_values``, ``bounds`` (codes meaning "at least"), ``missing_reasons`` and
    ``write_missing`` of a column entry."""
    missing = merged.get("missing_values", []) or []
    if not isinstance(missing, list):
        raise _fail(path, "'missing_values' must be a list", column=target, value=missing)
    bounds_raw = raw.get("bounds") or {}
    if not isinstance(bounds_raw, Mapping) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in bounds_raw.values()):
        raise _fail(path, "'bounds' must map a source code to the number the value is at "
                    "least", column=target, value=bounds_raw)
    if bounds_raw and f"{target}_at_least" not in schema.columns:
        raise _fail(path, f"'bounds' needs the canonical column '{target}_at_least'",
                    column=target, expected="a column with a lower-bound companion")
    bounds = {code_key(k, case_sensitive): float(v) for k, v in bounds_raw.items()}
    bound_labels = {code_key(k, case_sensitive): str(k) for k in bounds_raw}
    parts = [defaults.get("missing_reasons") or {}, raw.get("missing_reasons") or {}]
    if not all(isinstance(p, Mapping) for p in parts):
        raise _fail(path, "'missing_reasons' must map a source code to a text", column=target,
                    value=parts[1])
    reasons_raw = {**parts[0], **parts[1]}
    if not all(isinstance(v, str) for v in reasons_raw.values()):
        raise _fail(path, "'missing_reasons' must map a source code to a text", column=target,
                    value=reasons_raw)
    write_missing = merged.get("write_missing", "")
    if write_missing is None or isinstance(write_missing, (bool, list, dict)):
        raise _fail(path, "'write_missing' must be text or a number", column=target,
                    value=write_missing)
    return _MissingCodes(
        keys=frozenset(code_key(v, case_sensitive) for v in missing) | frozenset(bounds),
        bounds=bounds,
        bound_labels=bound_labels,
        reasons={code_key(k, case_sensitive): v for k, v in reasons_raw.items()},
        write_missing=str(write_missing),
    )


def _unit_and_factor(path: str, target: str, raw: Mapping[str, Any], spec: ColumnSpec,
                     numeric_read: bool, identity_unit: bool) -> tuple[str | None, float]:
    """The source unit (normalised) and the factor to the canonical unit, times ``scale``.
    A numeric column with a canonical unit must declare its source unit (never guessed),
    except in the identity profile."""
    unit = raw.get("unit")
    factor = 1.0
    if spec.unit is not None and numeric_read:
        if unit is None:
            if not identity_unit:
                raise _fail(path, f"unit not declared: canonical column {target!r} is in "
                            f"{spec.unit}; say which unit the source uses (never guessed)",
                            column=target, expected=f"unit: {spec.unit} (or a convertible unit)")
            unit = spec.unit
        f = unit_factor(spec.unit, str(unit))
        if f is None:
            raise _fail(path, f"cannot convert unit {unit!r} to {spec.unit!r}", column=target,
                        value=unit)
        factor = f
        unit = normalise_unit(str(unit))
    elif unit is not None:
        raise _fail(path, "'unit' given for a column that is not read as a number with a unit",
                    column=target, value=unit)
    scale = raw.get("scale")
    if scale is not None:
        if not numeric_read or isinstance(scale, bool) or not isinstance(scale, (int, float)) \
                or scale <= 0:
            raise _fail(path, "'scale' must be a positive number, for a column read as a number",
                        column=target, value=scale)
        factor = factor * float(scale)
    return unit, factor


def _date_formats(path: str, target: str, merged: Mapping[str, Any]) -> tuple[str, ...]:
    """``date_formats`` (one format or a list; default ISO 8601)."""
    formats = merged.get("date_formats", ["ISO8601"])
    if isinstance(formats, str):
        formats = [formats]
    if not isinstance(formats, list) or not all(isinstance(f, str) for f in formats):
        raise _fail(path, "'date_formats' must be a list of format strings", column=target)
    return tuple(formats)


def _text_rewrites(path: str, target: str,
                   raw: Mapping[str, Any]) -> tuple[str | None, tuple[str, str] | None]:
    """``extract`` (a regular expression with one capturing group) and ``replace``
    (``[pattern, replacement]``), with their patterns compiled to check them."""
    extract = raw.get("extract")
    replace = raw.get("replace")
    for label, pattern in (("extract", extract),
                           ("replace", replace[0] if isinstance(replace, list) else replace)):
        if pattern is None:
            continue
        try:
            compiled = re.compile(str(pattern))
        except re.error as exc:
            raise _fail(path, f"invalid regular expression in '{label}': {exc}", column=target,
                        value=pattern) from exc
        if label == "extract" and compiled.groups < 1:
            raise _fail(path, "'extract' needs one capturing group", column=target, value=pattern)
    if replace is not None and (not isinstance(replace, list) or len(replace) != 2):
        raise _fail(path, "'replace' must be [pattern, replacement]", column=target,
                    value=replace)
    return (None if extract is None else str(extract),
            None if replace is None else (str(replace[0]), str(replace[1])))


def _rule(path: str, target: str, raw: Mapping[str, Any], defaults: Mapping[str, Any],
          schema: SchemaDefinition, identity_unit: bool) -> ColumnRule:
    """One column entry read and checked, stage by stage: sources, shared defaults, codes,
    missing codes, unit, date formats, text rewrites."""
    if isinstance(raw, Mapping) and "coalesce" in raw:
        return _coalesce_rule(path, target, raw, defaults, schema)
    _check_keys(path, f"columns.{target}", raw, _COLUMN_KEYS)
    spec = schema.columns[target]
    sources = _rule_sources(path, target, raw, identity_unit)

    merged = {**defaults, **{k: v for k, v in raw.items() if k in _DEFAULT_KEYS}}
    case_sensitive = bool(merged.get("case_sensitive", False))
    on_invalid = merged.get("on_invalid", "quarantine")
    if on_invalid not in _ON_INVALID:
        raise _fail(path, "invalid on_invalid", column=target, value=on_invalid,
                    expected=f"one of {list(_ON_INVALID)}")

    codes: dict[str, Any] | None = None
    write_codes: dict[Any, str] | None = None
    if raw.get("codes") is not None:
        codes, write_codes = _code_maps(path, target, spec, raw["codes"], case_sensitive)
    if len(sources) > 1 and codes is None:
        raise _fail(path, "a column read from several 'sources' needs a 'codes' map keyed "
                    "'a|b'", column=target)

    missing = _missing_codes(path, target, raw, defaults, merged, schema, case_sensitive)
    numeric_read = spec.dtype in ("int", "float") and codes is None
    unit, factor = _unit_and_factor(path, target, raw, spec, numeric_read, identity_unit)
    formats = _date_formats(path, target, merged)
    extract, replace = _text_rewrites(path, target, raw)

    only_when = _only_when(path, target, raw.get("only_when"), schema)
    labels = tuple(str(k) for k, v in (raw.get("codes") or {}).items() if v is not None) \
        if codes is not None else ()

    return ColumnRule(
        target=target,
        sources=sources,
        required=bool(raw.get("required", False)),
        codes=codes,
        missing_values=missing.keys,
        on_invalid=on_invalid,
        unit=unit,
        factor=factor,
        date_formats=formats,
        excel_serial_dates=bool(merged.get("excel_serial_dates", False)),
        decimal=str(merged.get("decimal", ".")),
        case_sensitive=case_sensitive,
        extract=extract,
        replace=replace,
        only_when=only_when,
        write_codes=write_codes,
        write_missing=missing.write_missing,
        write_format=None if raw.get("write_format") is None else str(raw["write_format"]),
        bounds=missing.bounds,
        bound_labels=missing.bound_labels,
        missing_reasons=missing.reasons,
        code_labels=labels,
    )


def _disclosure(label: str, raw: Any) -> dict[str, Any]:
    """The validated ``disclosure:`` block (empty dict when absent)."""
    if raw is None:
        return {}
    _check_keys(label, "disclosure", raw, _DISCLOSURE_KEYS)
    out: dict[str, Any] = {}
    dua = raw.get("data_use_agreement", False)
    if not isinstance(dua, bool):
        raise _fail(label, "disclosure.data_use_agreement must be true or false", value=dua)
    out["data_use_agreement"] = dua
    supp = raw.get("suppression", "optional")
    if supp not in DISCLOSURE_SUPPRESSION:
        raise _fail(label, "invalid disclosure.suppression", value=supp,
                    expected=f"one of {list(DISCLOSURE_SUPPRESSION)}")
    out["suppression"] = supp
    for key in ("threshold", "rate_threshold"):
        if key in raw:
            val = raw[key]
            if isinstance(val, bool) or not isinstance(val, int) or val < 1:
                raise _fail(label, f"disclosure.{key} must be a positive whole number",
                            value=val)
            out[key] = val
    if "rule" in raw:
        out["rule"] = str(raw["rule"]).strip()
    return out


def load_profile(path: str | Path, schema: SchemaDefinition | None = None) -> Profile:
    """Read and validate a profile YAML file.

    Raises
    ------
    UnknownProfileError
        The file does not exist.
    ProfileError
        Not valid YAML, an unknown key (named), a target that is not a canonical column (with
        near matches), an invalid code value, an undeclared or unconvertible unit, etc.
    """
    schema = schema or canonical_definition()
    path = Path(path)
    label = str(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise _fail(label, f"profile file over {MAX_BYTES} bytes refused")
        data = path.read_bytes()
    except OSError as exc:
        raise UnknownProfileError(f"cannot read profile file: {exc.strerror}", file=label) from exc
    try:
        raw = load_yaml(data)
    except UnsafeYamlError as exc:
        raise ProfileError(f"profile is refused: {exc.message}", file=label, row=exc.row,
                           expected="a UTF-8 YAML mapping without repeated keys or alias "
                           "bombs") from None
    except yaml.YAMLError as exc:
        raise _fail(label, f"profile is not valid YAML: {exc}") from exc
    if not isinstance(raw, Mapping):
        raise _fail(label, "profile must be a YAML mapping")
    _check_keys(label, "profile", raw, _TOP_KEYS)
    if not raw.get("name"):
        raise _fail(label, "profile needs a 'name'")
    reader = raw.get("reader") or {}
    _check_keys(label, "reader", reader, _READER_KEYS)
    defaults = raw.get("defaults") or {}
    _check_keys(label, "defaults", defaults, _DEFAULT_KEYS)
    identity = bool(raw.get("identity", False))
    columns = raw.get("columns") or {}
    if not isinstance(columns, Mapping):
        raise _fail(label, "'columns' must be a mapping of canonical column to entry")
    for target in columns:
        if target not in schema.columns:
            near = difflib.get_close_matches(str(target), schema.column_names, n=3)
            hint = f" (did you mean {', '.join(map(repr, near))}?)" if near else ""
            raise _fail(label, f"unknown canonical column {target!r} in columns{hint}",
                        column=str(target), expected="a column of canonical.yaml")
        if target in ("source_row",):
            raise _fail(label, "'source_row' is set by the loader, not read", column=target)
    if not columns and not identity:
        raise _fail(label, "profile maps no columns (give 'columns' or 'identity: true')")

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

    origins = raw.get("endpoint_origins") or {}
    _check_keys(label, "endpoint_origins", origins, set(_ENDPOINTS))
    for key, value in origins.items():
        if value not in ENDPOINT_ORIGINS:
            raise _fail(label, f"invalid endpoint origin for {key!r}", value=value,
                        expected=f"one of {list(ENDPOINT_ORIGINS)}")
    for key, months in _ENDPOINT_MONTHS.items():
        if months in rules and key not in origins:
            raise _fail(label, f"'{months}' is read from the file, so endpoint_origins.{key} "
                        "must say where its time starts", column=months,
                        expected=f"one of {list(ENDPOINT_ORIGINS)}")
    disclosure = _disclosure(label, raw.get("disclosure"))
    return Profile(
        disclosure=disclosure,
        name=str(raw["name"]),
        description=str(raw.get("description", "")).strip(),
        path=label,
        sha256=hashlib.sha256(data).hexdigest(),
        rules=rules,
        endpoint_origins={str(k): str(v) for k, v in origins.items()},
        reader=dict(reader),
        identity=identity,
    )
