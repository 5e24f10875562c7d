"""``load_cohort``: read, map, validate, derive and audit a cohort in one call.

Stages (each a small module): :mod:`~crlm_outcomes.io.readers` (file → raw cells),
:mod:`~crlm_outcomes.io.profile` (which source column feeds which canonical column and how),
:mod:`~crlm_outcomes.io.parse` (typed parsing with failure capture),
:mod:`~crlm_outcomes.schema.checks` (YAML value checks, vectorised),
:mod:`~crlm_outcomes.schema.endpoints` (OS / RFS / hepatic RFS),
:mod:`~crlm_outcomes.schema.consistency` (cross-column rules). Rows that fail are quarantined
with one record per reason; nothing is dropped, fixed or defaulted silently, and
``rows_in == rows_loaded + rows_quarantined`` always holds.

Speed (a million-row SEER file in a little over twice the time of a bare
``pyarrow.csv.read_csv``, ``benchmarks/bench_load.py``): only the columns the profile uses are
converted from the file, with text dictionary-encoded in pyarrow's reader threads; each column is
converted to pandas and parsed in one of two worker threads (Arrow and numpy kernels release the
GIL), while the all-missing columns are built as copy-on-write shared arrays
(:mod:`crlm_outcomes._filled`) and the duplicate-id check runs alongside; the file is hashed by
the first worker to finish, in parallel with the checks. Results are taken in profile order, so
the records and the first error are those of a sequential pass. Missing-value reasons are kept as
blocks (:class:`~crlm_outcomes.io.cohort.MissingReasons`), not one record per patient.
"""

from __future__ import annotations

import datetime
import difflib
import re
import warnings
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes._arrow import ARROW_STRING
from crlm_outcomes.errors import (
    ColumnTypeError,
    DataQualityWarning,
    MissingColumnsError,
    SpecError,
)
from crlm_outcomes.io.cohort import (
    ABSENT_COLUMNS,
    QUARANTINE_COLUMNS,
    SET_MISSING_COLUMNS,
    Cohort,
    LoadAudit,
    MissingReasons,
)
from crlm_outcomes.io.parse import ParsedColumn, parse_column
from crlm_outcomes.io.profile import ColumnRule, Profile, code_key, resolve_profile
from crlm_outcomes.io.readers import RawTable, read_source
from crlm_outcomes.schema.checks import value_failures
from crlm_outcomes.schema.consistency import consistency_violations, ids_all_unique
from crlm_outcomes.schema.definition import (
    ColumnSpec,
    SchemaDefinition,
    canonical_definition,
    empty_columns,
)
from crlm_outcomes.schema.endpoint_map import ENDPOINT_COLUMNS, ENDPOINTS
from crlm_outcomes.schema.endpoints import (
    OS_ORIGINS,
    MissingBlock,
    derive_endpoints,
    derive_extrahepatic,
    derive_node_positive,
    missing_frame,
)

__all__ = ["load_cohort", "LOAD_OPTIONS"]

#: Options accepted by :func:`load_cohort` and their defaults.
LOAD_OPTIONS: dict[str, Any] = {
    "os_origin": "liver_mets_diagnosis",
    "delimiter": None,
    "sheet": None,
    "encoding": None,
}

_MONTHS = {k: e.duration for k, e in ENDPOINTS.items()}

# Columns whose bounds are enforced by a named consistency rule instead of the value checks.
_RULE_CHECKED = {"age_at_diagnosis", "os_months", "os_event", "rfs_months", "hepatic_rfs_months"}


def _check_options(options: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(options) - set(LOAD_OPTIONS))
    if unknown:
        raise SpecError(
            f"unknown load option(s) {unknown}",
            value=unknown[0],
            expected=f"some of {sorted(LOAD_OPTIONS)}",
        )
    opts = {**LOAD_OPTIONS, **options}
    if opts["os_origin"] not in OS_ORIGINS:
        raise SpecError(
            "invalid os_origin", value=opts["os_origin"], expected=f"one of {list(OS_ORIGINS)}"
        )
    return opts


def _records(
    rows: np.ndarray, column: str, values: Any, rule: str, reason: Any, source: Any = ""
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row": np.asarray(rows, dtype="int64"),
            "column": column,
            "value": values,
            "rule": rule,
            "reason": reason,
            "source_column": source,
        }
    )


@dataclass(frozen=True)
class _Coalesced:
    """A column read from the first non-missing of several era-specific source columns."""

    values: pd.Series
    parts: tuple[tuple[ColumnRule, ParsedColumn], ...]


def _code_reason(rule: ColumnRule, value: str, unit: str | None) -> str:
    """Why a cell holding a declared code is missing, in words a clinician reads."""
    key = str(value)
    if key in rule.bounds:
        return (
            f"known only as >= {rule.bounds[key]:g}{' ' + unit if unit else ''} "
            f"(source top code {rule.bound_labels.get(key, key)!r})"
        )
    if key in rule.missing_reasons:
        return rule.missing_reasons[key]
    return f"unknown for this patient (source code {key!r})"


def _bound_values(raw: RawTable, entry: ColumnRule) -> np.ndarray:
    """Per row, the lower bound given by a top code of ``entry`` (NaN elsewhere)."""
    s = raw.column(entry.sources[0])
    try:
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
    except TypeError:  # unhashable cells (lists in a DataFrame): matched by their text
        codes, uniques = pd.factorize(s.map(repr), use_na_sentinel=True)
    keys = [code_key(v, entry.case_sensitive) for v in np.asarray(uniques, dtype=object)]
    table = np.array([entry.bounds.get(k, np.nan) for k in keys] + [np.nan], dtype=float)
    return table[np.asarray(codes)]


def _raw_text(raw: RawTable, rule: ColumnRule, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(cell text as in the file, source column name) at ``rows`` for a canonical column."""
    texts = np.full(len(rows), None, dtype=object)
    names = np.full(len(rows), "+".join(rule.sources), dtype=object)
    entries = rule.coalesce or (rule,)
    todo = np.ones(len(rows), dtype=bool)
    present = set(raw.columns)
    for entry in entries:
        if not todo.any() or not all(s in present for s in entry.sources):
            continue
        parts = [_as_cell_text(raw.column(src), rows) for src in entry.sources]
        text = (
            parts[0]
            if len(parts) == 1
            else np.array(
                [
                    "|".join("" if p is None else str(p) for p in cells)
                    for cells in zip(*parts, strict=True)
                ],
                dtype=object,
            )
        )
        got = todo & np.array([t is not None and str(t).strip() != "" for t in text])
        texts[got] = text[got]
        names[got] = "+".join(entry.sources)
        todo &= ~got
    return texts, names


def _as_cell_text(s: pd.Series, rows: np.ndarray) -> np.ndarray:
    from crlm_outcomes.io.parse import as_text

    sub = s.iloc[rows].reset_index(drop=True)
    text = as_text(sub).astype(object).to_numpy(dtype=object, copy=True)
    text[sub.isna().to_numpy()] = None
    return text


def _value_counts(values: pd.Series, column: str, reason: str) -> pd.DataFrame:
    counts = values.astype(str).value_counts(sort=False)
    return pd.DataFrame(
        {
            "column": column,
            "value": counts.index.astype(object),
            "count": counts.to_numpy(dtype="int64"),
            "reason": reason,
        }
    )


def _set_missing(series: pd.Series, mask: np.ndarray) -> pd.Series:
    """A copy of ``series`` with the cells in ``mask`` missing (dtype kept)."""
    if isinstance(series.dtype, pd.CategoricalDtype):  # on the codes: no per-value lookup
        codes = series.cat.codes.to_numpy().copy()
        codes[mask] = -1
        return pd.Series(
            pd.Categorical.from_codes(codes, dtype=series.dtype, validate=False),
            index=series.index,
            name=series.name,
        )
    if series.dtype == np.float64:
        values = series.to_numpy(copy=True)
        values[mask] = np.nan
        return pd.Series(values, index=series.index, name=series.name)
    out = series.copy()
    out[mask] = None
    return out


def _quarantine_frame(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Cell records (quarantine, or invalid cells set missing) sorted by source row (stable:
    stage order within a row), with the source values as text."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(
            {
                "source_row": pd.Series([], dtype="int64"),
                **{c: pd.Series([], dtype=ARROW_STRING) for c in QUARANTINE_COLUMNS[1:]},
            }
        )
    parts = [p if "source_column" in p.columns else p.assign(source_column="") for p in parts]
    q = pd.concat(parts, ignore_index=True)
    values = q["value"].to_numpy(dtype=object)
    text = np.array(
        [
            None
            if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v)
            else str(v)
            for v in values
        ],
        dtype=object,
    )
    # text columns are Arrow strings on every pandas (not object on 2 and "str" on 3)
    out = pd.DataFrame(
        {
            "source_row": q["row"].to_numpy(dtype="int64") + 1,
            "column": pd.array(q["column"].to_numpy(dtype=object), dtype=ARROW_STRING),
            "value": pd.array(text, dtype=ARROW_STRING),
            "rule": pd.array(q["rule"].to_numpy(dtype=object), dtype=ARROW_STRING),
            "reason": pd.array(q["reason"].astype(str).to_numpy(dtype=object), dtype=ARROW_STRING),
            "source_column": pd.array(
                q["source_column"].astype(str).to_numpy(dtype=object), dtype=ARROW_STRING
            ),
        }
    )
    return out.sort_values("source_row", kind="stable", ignore_index=True)


def _collect(
    jobs: dict[str, Future],
    prof: Profile,
    schema: SchemaDefinition,
    label: str,
    used: list[str],
    columns: dict[str, pd.Series],
    q_parts: list[pd.DataFrame],
    ic_parts: list[pd.DataFrame],
    sm_parts: list[pd.DataFrame],
) -> None:
    """Take the parsed columns in profile order; turn their failures into records."""
    for target, job in jobs.items():
        result = job.result()
        rule = prof.rules[target]
        spec = schema.columns[target]
        pieces = result.parts if isinstance(result, _Coalesced) else ((rule, result),)
        for entry, parsed in pieces:
            used.extend(entry.sources)
            source = "+".join(entry.sources)
            bad = parsed.invalid
            n_bad = int(np.count_nonzero(bad))
            if n_bad:
                n_read = int(parsed.values.notna().sum())
                # no cell readable and none a declared code either: the wrong column (a
                # column of "not applicable" codes with a few bad cells is the right one)
                if n_read == 0 and not len(parsed.missing_codes):
                    examples = parsed.raw_text.drop_duplicates().head(5).tolist()
                    first = int(np.flatnonzero(bad)[0]) + 1
                    raise ColumnTypeError(
                        f"no value of column {source!r} can be read as "
                        f"{spec.dtype} for {target!r} ({parsed.reason}); examples {examples}",
                        file=label,
                        row=first,
                        column=source,
                        value=examples[0] if examples else None,
                        expected=f"{spec.dtype} values ({parsed.reason})",
                    )
                rows = np.flatnonzero(bad)
                records = _records(
                    rows,
                    target,
                    parsed.raw_text.loc[rows].to_numpy(),
                    "parse",
                    f"{source}: {parsed.reason}",
                    source,
                )
                if entry.on_invalid == "quarantine":
                    q_parts.append(records)
                else:
                    ic_parts.append(records)
                    sm_parts.append(
                        _value_counts(
                            parsed.raw_text, target, f"invalid, set missing: {parsed.reason}"
                        )
                    )
            if len(parsed.missing_codes):
                mc = parsed.missing_codes
                reasons = [_code_reason(entry, v, spec.unit) for v in mc["value"].tolist()]
                sm_parts.append(
                    pd.DataFrame(
                        {
                            "column": target,
                            "value": mc["value"],
                            "count": mc["count"],
                            "reason": reasons,
                        }
                    )
                )
        columns[target] = result.values


def _parse_source(raw: RawTable, rule: ColumnRule, spec: ColumnSpec) -> ParsedColumn | _Coalesced:
    """:func:`parse_column` of the source column(s) of ``rule`` (converted to pandas here, in
    the worker thread); for a ``coalesce`` rule, of each era's column present, combined
    first-non-missing in the profile's order."""
    if rule.coalesce:
        present = set(raw.columns)
        parts = tuple(
            (entry, _parse_entry(raw, entry, spec))
            for entry in rule.coalesce
            if all(s in present for s in entry.sources)
        )
        values = parts[0][1].values
        for _, parsed in parts[1:]:
            values = values.where(values.notna(), parsed.values)
        return _Coalesced(values, parts)
    return _parse_entry(raw, rule, spec)


def _parse_entry(raw: RawTable, rule: ColumnRule, spec: ColumnSpec) -> ParsedColumn:
    """:func:`parse_column` of the source column(s) of one (non-``coalesce``) rule."""
    sources = [raw.column(name) for name in rule.sources]
    return parse_column(sources[0] if len(sources) == 1 else sources, rule, spec)


def _readable(rule: ColumnRule, present: set[str]) -> bool:
    """Whether the file has what ``rule`` reads (one era's column is enough for coalesce)."""
    if rule.coalesce:
        return any(all(s in present for s in e.sources) for e in rule.coalesce)
    return all(s in present for s in rule.sources)


def _absent_optional(prof: Profile, present: set[str]) -> pd.DataFrame:
    """Every optional source column the profile names that the file lacks."""
    recs = []
    for target, rule in prof.rules.items():
        for entry in rule.coalesce or (rule,):
            for src in entry.sources:
                if src not in present:
                    recs.append((src, target, prof.name))
    frame = pd.DataFrame(recs, columns=ABSENT_COLUMNS, dtype=object)
    return frame.drop_duplicates(ignore_index=True).astype(ARROW_STRING)


def _wrong_delimiter(
    prof: Profile, label: str, present: list[str], missing: list[str]
) -> MissingColumnsError | None:
    """The header came out as one column holding another delimiter: say so."""
    if len(present) != 1:
        return None
    for sep, name in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe"), (",", "comma")):
        if sep in present[0]:
            return MissingColumnsError(
                missing,
                file=label,
                expected=(
                    f"the columns required by profile {prof.name!r}; the header was read "
                    f"as one column containing {name}s ({present[0][:60]!r}): the file "
                    f"looks {name}-delimited, pass delimiter={sep!r}"
                ),
            )
    return None


def _ids_unique(parsed: Future) -> bool:
    """:func:`ids_all_unique` of the parsed ``patient_id`` column."""
    return ids_all_unique(parsed.result().values)


def _missing_columns_error(
    profile: Profile, label: str, present: list[str], missing: list[str], expected: str
) -> MissingColumnsError:
    suggestions = {}
    lower = {c.casefold(): c for c in present}
    for name in missing:
        near = difflib.get_close_matches(name.casefold(), list(lower), n=3, cutoff=0.6)
        if near:
            suggestions[name] = [lower[x] for x in near]
    return MissingColumnsError(missing, file=label, suggestions=suggestions, expected=expected)


def _warn_near_miss_optional(prof: Profile, label: str, present: list[str]) -> None:
    """An optional source column that is absent while a header the profile does not read is
    close to it (another case, a release's rename such as "85+" -> "90+", a mis-decoded
    accent) would load as all-missing without a word: warn, naming both."""
    wanted = {src for rule in prof.rules.values() for src in rule.sources}
    absent = [
        src
        for src in dict.fromkeys(
            src for rule in prof.rules.values() if not rule.required for src in rule.sources
        )
        if src not in set(present)
    ]
    if not absent:
        return
    spare = [c for c in present if c not in wanted]
    folded = {_fold_header(c): c for c in spare}
    for src in absent:
        key = _fold_header(src)
        if key in folded:
            near = [folded[key]]
        else:
            near = [
                folded[x] for x in difflib.get_close_matches(key, list(folded), n=2, cutoff=0.85)
            ]
        if near:
            warnings.warn(
                f"{label}: optional column {src!r} of profile {prof.name!r} is absent, so it "
                f"loads as missing for every row; the file has {', '.join(map(repr, near))}. "
                "If that is the same item, rename the header or copy the profile and edit "
                "its 'source'.",
                DataQualityWarning,
                stacklevel=4,
            )


def _fold_header(name: str) -> str:
    """Header compared without case, spacing or punctuation."""
    return re.sub(r"[\W_]+", "", str(name).casefold())


def load_cohort(
    source: str | Path | pd.DataFrame,
    profile: str | Path | Profile = "canonical",
    *,
    out: str | Path | None = None,
    batch_rows: int = 1_000_000,
    **options: Any,
) -> Any:
    """Load a cohort file (or DataFrame) into the canonical schema, with a full audit.

    Parameters
    ----------
    source
        Path of a CSV, TSV, Parquet, Excel (.xlsx), SAS (.sas7bdat), Stata (.dta) or SPSS
        (.sav) file, or a DataFrame.
    profile
        Name of a shipped profile (:func:`~crlm_outcomes.io.profile.list_profiles`:
        canonical, institutional, seer, ncdb, tcia_crlm) or the path of your own profile YAML.
    out
        Load a large CSV/TSV export in batches of ``batch_rows`` rows and write the cohort as a
        partitioned Parquet dataset in this directory, the quarantine beside it
        (``<out>_quarantine/``) and the audit as ``<out>_audit.json``; memory is bounded by
        the batch size. Returns a :class:`~crlm_outcomes.io.batched.CohortDataset` (see
        :mod:`crlm_outcomes.io.batched`); the analysis functions take its ``path``.
    batch_rows
        Rows per batch with ``out``.
    **options
        ``os_origin`` — origin of overall survival derived from dates:
        ``"liver_mets_diagnosis"`` (default), ``"liver_resection"`` or ``"primary_diagnosis"``
        (sources that carry survival months keep them, with their declared origin).
        ``delimiter``, ``encoding``, ``sheet`` — override the profile's reader options.

    Returns
    -------
    Cohort or CohortDataset
        (A ``CohortDataset`` with ``out``.) ``.data`` (canonical frame), ``.audit``, ``.provenance``, ``.missing`` (why derived
        values are missing, one block per column and reason) and ``.missing_reasons`` (the
        same, one record per value, built on first access).

    Raises
    ------
    UnknownProfileError, ProfileError
        Unknown profile name / malformed profile file.
    UnreadableFileError, EmptyFileError
        The file cannot be read, or has no data rows.
    MissingColumnsError
        Columns the profile requires are absent (near matches suggested).
    ColumnTypeError
        A whole column has the wrong type (no cell can be read).
    SpecError
        Unknown or invalid load option.

    Examples
    --------
    >>> from crlm_outcomes import load_cohort
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> frame = synthetic_cohort(50, seed=1).data  # canonical columns
    >>> cohort = load_cohort(frame)
    >>> cohort.audit.rows_in, cohort.audit.rows_loaded, cohort.audit.rows_quarantined
    (50, 50, 0)
    """
    prof = resolve_profile(profile)
    opts = _check_options(options)
    opts["os_origin_given"] = "os_origin" in options
    if out is not None:
        from crlm_outcomes.io.batched import load_batched

        return load_batched(source, prof, opts, out, batch_rows=batch_rows)
    reader_opts = {
        k: (opts[k] if opts[k] is not None else prof.reader.get(k))
        for k in ("delimiter", "sheet", "encoding")
    }
    schema = canonical_definition()
    reader_opts["text_columns"] = [  # free-text targets (ids) are never read as numbers
        src
        for rule in prof.rules.values()
        if schema.columns[rule.target].dtype == "string" and rule.codes is None
        for src in rule.sources
    ]
    reader_opts["columns"] = [src for rule in prof.rules.values() for src in rule.sources]
    reader_opts["hash_file"] = "later"  # hashed by _load_raw when a worker is free
    raw = read_source(source, **reader_opts)
    return _load_raw(raw, prof, opts)


def _require_columns(prof: Profile, label: str, present: list[str]) -> None:
    """Raise when the file lacks a column the profile requires (saying so when the header
    looks read with the wrong delimiter)."""
    present_set = set(present)
    missing = list(
        dict.fromkeys(
            src
            for rule in prof.rules.values()
            if rule.required
            for src in rule.sources
            if src not in present_set
        )
    )
    if missing:
        wrong = _wrong_delimiter(prof, label, present, missing)
        if wrong is not None:
            raise wrong
        raise _missing_columns_error(
            prof, label, present, missing, f"the columns required by profile {prof.name!r}"
        )


def _warn_absent_optional(prof: Profile, label: str, absent_cols: pd.DataFrame) -> None:
    """One warning naming the optional source columns the file lacks (not for an identity
    profile, which expects no particular column)."""
    if len(absent_cols) and not prof.identity:
        names = list(dict.fromkeys(absent_cols["source_column"].tolist()))
        shown = ", ".join(repr(x) for x in names[:12]) + (" …" if len(names) > 12 else "")
        warnings.warn(
            f"{label}: {len(names)} optional source column(s) of profile {prof.name!r} are not "
            f"in the file, so what they would fill stays missing (unless another era's column "
            f"fills it): {shown}; see cohort.audit.absent_columns",
            DataQualityWarning,
            stacklevel=4,
        )


def _carried_endpoints(
    prof: Profile, opts: dict[str, Any], label: str, present: list[str]
) -> dict[str, str]:
    """Endpoints whose months the file carries (kept, with the profile's declared origin);
    raise when OS is derived but the file lacks its origin date or the vital status, or when
    a carried OS would have to be re-based to another origin."""
    present_set = set(present)
    carried = {
        k: v
        for k, v in prof.endpoint_origins.items()
        if _MONTHS[k] in prof.rules
        and all(s in present_set for s in prof.rules[_MONTHS[k]].sources)
    }
    if "os" in carried and opts.get("os_origin_given") and opts["os_origin"] != carried["os"]:
        raise SpecError(
            f"profile {prof.name!r} reads overall survival months from the file, measured from "
            f"{carried['os']}; they cannot be re-based",
            value=opts["os_origin"],
            expected=f"os_origin={carried['os']!r} or no os_origin",
        )
    if "os" not in carried:
        origin_col = OS_ORIGINS[opts["os_origin"]]
        absent = []
        for target in (origin_col, "vital_status"):
            rule = prof.rules.get(target)
            if rule is None or not all(s in present_set for s in rule.sources):
                absent.append(rule.sources[0] if rule is not None else target)
        if absent:
            raise _missing_columns_error(
                prof,
                label,
                present,
                absent,
                f"overall survival from {origin_col} needs these (or pass another os_origin: "
                f"{list(OS_ORIGINS)})",
            )
    return carried


def _reader_failures(raw: RawTable) -> list[pd.DataFrame]:
    """Quarantine records of the rows the reader could not split into the header's cells
    (delimited text) or cells it could not read (Excel: merged, uncomputed formula)."""
    if raw.bad_rows is None:
        return []
    bad = raw.bad_rows
    cells = "column" in bad.columns
    return [
        pd.DataFrame(
            {
                "row": bad["row"].to_numpy(dtype="int64"),
                "column": bad["column"].to_numpy(dtype=object) if cells else "<row>",
                "value": None,
                "rule": "unreadable_cell" if cells else "malformed_row",
                "reason": [
                    f"{'sheet row' if cells else 'line'} {ln} of the file: {why}"
                    for ln, why in zip(bad["line"], bad["reason"], strict=True)
                ],
            }
        )
    ]


@dataclass
class _ParseStage:
    """What parsing the source columns gives: the canonical columns read (profile order),
    the all-missing columns for the rest, the source columns used, the failure records, and
    the duplicate-id check and file hash (still running in the pool)."""

    read: list[str]
    columns: dict[str, pd.Series]
    empty: dict[str, pd.Series]
    used: list[str]
    quarantine: list[pd.DataFrame]
    invalid_cells: list[pd.DataFrame]
    set_missing: list[pd.DataFrame]
    ids_unique: Future | None
    input_sha256: Future


def _parse_columns(
    raw: RawTable, prof: Profile, schema: SchemaDefinition, present: set[str]
) -> _ParseStage:
    """Parse every column the file has for the profile, in two worker threads.

    Arrow and numpy kernels release the GIL, and the all-missing columns the profile does not
    fill are built alongside; results are taken in profile order, so errors and records come
    out exactly as in a sequential pass.
    """
    pool = ThreadPoolExecutor(max_workers=2)
    read = [t for t, rule in prof.rules.items() if _readable(rule, present)]
    jobs: dict[str, Future] = {}

    def submit(target: str) -> None:
        jobs[target] = pool.submit(_parse_source, raw, prof.rules[target], schema.columns[target])

    # order: the ids, the all-missing columns, the duplicate-id check (Arrow hashes the parsed
    # ids while the other columns are parsed), then the other columns, then the file hash
    if "patient_id" in read:
        submit("patient_id")
    empties = pool.submit(
        empty_columns, [spec for c, spec in schema.columns.items() if c not in read], raw.n_rows
    )
    ids_unique = pool.submit(_ids_unique, jobs["patient_id"]) if "patient_id" in jobs else None
    for target in read:
        if target not in jobs:
            submit(target)
    # the file hash runs last, in the first worker to finish parsing: alongside the checks
    # that follow rather than competing with the parse for the two cores
    input_sha256 = pool.submit(lambda: raw.sha256)
    stage = _ParseStage(
        read=read,
        columns={},
        empty={},
        used=[],
        quarantine=[],
        invalid_cells=[],
        set_missing=[],
        ids_unique=ids_unique,
        input_sha256=input_sha256,
    )
    try:
        _collect(
            {t: jobs[t] for t in read},
            prof,
            schema,
            raw.label,
            stage.used,
            stage.columns,
            stage.quarantine,
            stage.invalid_cells,
            stage.set_missing,
        )
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=False)  # the id check and the hash may still be running
    stage.empty = empties.result()
    return stage


def _bound_columns(
    raw: RawTable,
    prof: Profile,
    schema: SchemaDefinition,
    data: dict[str, pd.Series],
    read: list[str],
    present: set[str],
) -> dict[str, pd.Series]:
    """The ``<column>_at_least`` columns: values known only as a lower bound (a profile's
    ``bounds`` codes), where the column itself is missing."""
    out: dict[str, pd.Series] = {}
    for target in read:
        rule = prof.rules[target]
        entries = [
            e
            for e in (rule.coalesce or (rule,))
            if e.bounds and all(s in present for s in e.sources)
        ]
        if not entries:
            continue
        bound = np.full(raw.n_rows, np.nan)
        for entry in entries:
            b = _bound_values(raw, entry)
            bound = np.where(np.isnan(bound), b, bound)
        bound[data[target].notna().to_numpy()] = np.nan
        spec = schema.columns[f"{target}_at_least"]
        out[spec.name] = pd.Series(bound).astype(spec.pandas_dtype)
    return out


def _apply_only_when(
    prof: Profile, columns: dict[str, pd.Series], data: dict[str, pd.Series]
) -> tuple[dict[str, pd.Series], list[pd.DataFrame]]:
    """``only_when`` rules (in profile order): a value recorded where the rule's condition
    does not hold is set missing and counted. Returns the updated columns and the counts."""
    data = dict(data)
    records = []
    for target, rule in prof.rules.items():
        if rule.only_when is None or target not in columns:
            continue
        cond_col, cond_val = rule.only_when
        applies = (data[cond_col] == cond_val).to_numpy(dtype=bool, na_value=False)
        drop = ~applies & data[target].notna().to_numpy()
        if drop.any():
            records.append(
                pd.DataFrame(
                    {
                        "column": [target],
                        "value": ["<any value>"],
                        "count": [int(np.count_nonzero(drop))],
                        "reason": [f"not applicable unless {cond_col} == {cond_val!r}"],
                    }
                )
            )
            data[target] = _set_missing(data[target], drop)
    return data, records


def _derive_flags(data: dict[str, pd.Series]) -> tuple[dict[str, pd.Series], dict[str, int]]:
    """``primary_node_positive`` from the N stage and ``extrahepatic_disease``/``_sites`` from
    the site flags, where missing; with the number of rows each filled."""
    data = dict(data)
    derived_info: dict[str, int] = {}
    data["primary_node_positive"], derived_info["primary_node_positive_from_n_stage"] = (
        derive_node_positive(data)
    )
    (
        data["extrahepatic_disease"],
        data["extrahepatic_sites"],
        derived_info["extrahepatic_disease_from_site_flags"],
    ) = derive_extrahepatic(data)
    return data, derived_info


@dataclass
class _CheckStage:
    """The columns after the value checks and the records the checks wrote."""

    data: dict[str, pd.Series]
    quarantine: list[pd.DataFrame]
    invalid_cells: list[pd.DataFrame]
    set_missing: list[pd.DataFrame]


def _value_checks(
    raw: RawTable,
    prof: Profile,
    schema: SchemaDefinition,
    data: dict[str, pd.Series],
    columns: dict[str, pd.Series],
    read: list[str],
) -> _CheckStage:
    """The schema's value checks (YAML) on the columns read: a failing cell quarantines its
    row, or is set missing where the profile says ``on_invalid: set_missing`` (never for a
    required column)."""
    out = _CheckStage(data=dict(data), quarantine=[], invalid_cells=[], set_missing=[])
    checked = [c for c in schema.columns if c in columns and c not in _RULE_CHECKED]
    checked = list(dict.fromkeys(["patient_id", *checked]))
    fails = value_failures(out.data, schema, checked)
    if not len(fails):
        return out
    for column, block in fails.groupby("column", sort=False):
        rule = prof.rules.get(column)
        rows = block["row"].to_numpy()
        cell: np.ndarray = block["value"].to_numpy()
        source: np.ndarray | str = ""
        if rule is not None and column in read:
            cell, source = _raw_text(raw, rule, rows)
        records = _records(
            rows, column, cell, "value_check", column + ": " + block["check"].astype(str), source
        )
        if (
            rule is not None
            and rule.on_invalid == "set_missing"
            and not schema.columns[column].required
        ):
            out.invalid_cells.append(records)
            for check, sub in block.groupby("check", sort=False):
                out.set_missing.append(
                    _value_counts(sub["value"], column, f"invalid, set missing: {check}")
                )
            mask = np.zeros(raw.n_rows, dtype=bool)
            mask[rows] = True
            out.data[column] = _set_missing(out.data[column], mask)
        else:
            out.quarantine.append(records)
    return out


def _consistency_records(
    data: dict[str, pd.Series],
    schema: SchemaDefinition,
    ids_unique: bool | None,
    missing_blocks: tuple[MissingBlock, ...],
    n: int,
    prof: Profile,
    read: list[str],
) -> list[pd.DataFrame]:
    """Quarantine records of the cross-column consistency rules; a missing follow-up says
    why the OS months are missing."""
    cons = consistency_violations(data, schema, ids_unique=ids_unique, today=datetime.date.today())
    if not len(cons):
        return []
    mf = cons["rule"].eq("missing_followup").to_numpy()
    if mf.any() and missing_blocks:
        why = missing_frame(missing_blocks, n, columns=("os_months",))
        why = why.drop_duplicates("row")
        why = why.set_index("row")["reason"].astype(str)
        extra = cons.loc[mf, "row"].map(why).astype(object)
        cons.loc[mf, "reason"] = np.where(
            extra.notna(),
            cons.loc[mf, "reason"].str.replace(" (see missing_reasons)", "", regex=False)
            + ": "
            + extra.fillna(""),
            cons.loc[mf, "reason"],
        )
    sources = {t: "+".join(r.sources) for t, r in prof.rules.items() if t in read}
    return [
        cons[["row", "column", "value", "rule", "reason"]].assign(
            source_column=cons["column"].map(sources).fillna("").astype(object)
        )
    ]


def _set_missing_table(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The audit's ``set_missing`` table: counts summed per column, value and reason."""
    if not parts:
        return pd.DataFrame(
            {
                c: pd.Series([], dtype=t)
                for c, t in zip(
                    SET_MISSING_COLUMNS,
                    [ARROW_STRING, ARROW_STRING, "int64", ARROW_STRING],
                    strict=True,
                )
            }
        )
    set_missing = pd.concat(parts, ignore_index=True)
    if len(set_missing):
        set_missing = set_missing.groupby(["column", "value", "reason"], sort=True, as_index=False)[
            "count"
        ].sum()[SET_MISSING_COLUMNS]
        set_missing = set_missing.astype({c: ARROW_STRING for c in ("column", "value", "reason")})
    return set_missing


def _kept_frame(
    data: dict[str, pd.Series], schema: SchemaDefinition, keep: np.ndarray
) -> pd.DataFrame:
    """The loaded frame: the rows kept, in schema column order (one DataFrame built, once;
    ``copy=False``: the columns are fresh arrays, and pandas' block consolidation costs
    seconds per million rows)."""
    if keep.all():
        return pd.DataFrame({name: data[name] for name in schema.columns}, copy=False)
    kept = np.flatnonzero(keep)
    return pd.DataFrame(
        {name: data[name].iloc[kept].reset_index(drop=True) for name in schema.columns}, copy=False
    )


def _load_raw(
    raw: RawTable, prof: Profile, opts: dict[str, Any], schema: SchemaDefinition | None = None
) -> Cohort:
    """Map, parse, check, derive and audit a raw table, stage by stage: required columns,
    carried endpoints, parse, lower bounds, ``only_when``, derived flags, value checks,
    endpoints, consistency rules, then the split into loaded and quarantined rows."""
    schema = schema or canonical_definition()
    label, n = raw.label, raw.n_rows
    present = list(raw.columns)
    present_set = set(present)

    _require_columns(prof, label, present)
    absent_cols = _absent_optional(prof, present_set)
    _warn_absent_optional(prof, label, absent_cols)
    _warn_near_miss_optional(prof, label, present)
    carried = _carried_endpoints(prof, opts, label, present)

    q_parts = _reader_failures(raw)
    parsed = _parse_columns(raw, prof, schema, present_set)
    q_parts += parsed.quarantine
    ic_parts = list(parsed.invalid_cells)  # invalid cells set missing (on_invalid: set_missing)
    sm_parts = list(parsed.set_missing)

    # ``data`` is a plain dict of columns until the very end: one DataFrame is built, once, from
    # the rows kept (building and editing a 70-column frame repeatedly costs seconds per 1e6 rows).
    data: dict[str, pd.Series] = {
        name: parsed.columns[name] if name in parsed.columns else parsed.empty[name]
        for name in schema.columns
    }
    data["source_row"] = pd.Series(
        pd.arrays.IntegerArray(np.arange(1, n + 1, dtype="int64"), np.zeros(n, dtype=bool))
    )
    data.update(_bound_columns(raw, prof, schema, data, parsed.read, present_set))
    data, only_when_counts = _apply_only_when(prof, parsed.columns, data)
    sm_parts += only_when_counts
    data, derived_info = _derive_flags(data)
    checks = _value_checks(raw, prof, schema, data, parsed.columns, parsed.read)
    data = checks.data
    q_parts += checks.quarantine
    ic_parts += checks.invalid_cells
    sm_parts += checks.set_missing

    ep = derive_endpoints(data, schema, os_origin=opts["os_origin"], carried=carried)
    for name, col in ep.columns.items():
        # endpoint columns are fresh arrays: no copy when already Int64
        data[name] = col if name.endswith("months") or col.dtype == "Int64" else col.astype("Int64")
    q_parts += _consistency_records(
        data,
        schema,
        None if parsed.ids_unique is None else parsed.ids_unique.result(),
        ep.missing_blocks,
        n,
        prof,
        parsed.read,
    )

    loaded, audit, missing = _split_rows(
        data, schema, prof, n, (q_parts, ic_parts, sm_parts), ep.missing_blocks, absent_cols
    )
    loaded.attrs["missing_why"] = _missing_why(
        prof, schema, parsed.read, audit.set_missing, absent_cols
    )
    provenance = _provenance(raw, prof, opts, schema, parsed, ep.origins, derived_info)
    return Cohort(data=loaded, audit=audit, provenance=provenance, missing=missing)


def _split_rows(
    data: dict[str, pd.Series],
    schema: SchemaDefinition,
    prof: Profile,
    n: int,
    parts: tuple[list[pd.DataFrame], list[pd.DataFrame], list[pd.DataFrame]],
    missing_blocks: tuple[MissingBlock, ...],
    absent_cols: pd.DataFrame,
) -> tuple[pd.DataFrame, LoadAudit, MissingReasons]:
    """Split the rows into loaded and quarantined: the loaded frame, the audit (from the
    quarantine, invalid-cell and set-missing record parts) and the missing-value reasons."""
    q_parts, ic_parts, sm_parts = parts
    quarantine = _quarantine_frame(q_parts)
    keep = np.ones(n, dtype=bool)
    keep[quarantine["source_row"].to_numpy(dtype="int64") - 1] = False
    n_quarantined = n - int(np.count_nonzero(keep))
    loaded = _kept_frame(data, schema, keep)
    missing = MissingReasons(blocks=missing_blocks, keep=keep, patient_id=loaded["patient_id"])
    audit = LoadAudit(
        rows_in=n,
        rows_loaded=n - n_quarantined,
        rows_quarantined=n_quarantined,
        quarantine=quarantine,
        set_missing=_set_missing_table(sm_parts),
        invalid_cells=_quarantine_frame(ic_parts),
        # an identity (canonical-format) profile expects no particular column
        absent_columns=absent_cols.iloc[:0] if prof.identity else absent_cols,
    )
    return loaded, audit, missing


def _provenance(
    raw: RawTable,
    prof: Profile,
    opts: dict[str, Any],
    schema: SchemaDefinition,
    parsed: _ParseStage,
    origins: dict[str, dict[str, str]],
    derived_info: dict[str, int],
) -> dict[str, Any]:
    """The cohort's provenance: source and its SHA-256, profile, schema, options, endpoint
    origins, source columns used and ignored, derived columns, package version."""
    from crlm_outcomes import __version__

    present = list(raw.columns)
    return {
        "source": raw.label,
        "reader": raw.kind,
        "input_sha256": parsed.input_sha256.result(),
        "profile": prof.name,
        "profile_path": prof.path,
        "profile_sha256": prof.sha256,
        "schema_name": schema.name,
        "schema_version": schema.version,
        "schema_sha256": schema.sha256,
        "options": {k: v for k, v in opts.items() if k != "os_origin_given"},
        "endpoint_origins": origins,
        "source_columns_used": list(dict.fromkeys(parsed.used)),
        "source_columns_ignored": [c for c in present if c not in set(parsed.used)],
        "canonical_columns_not_in_source": [t for t in prof.rules if t not in parsed.read],
        "derived": derived_info,
        "package_version": __version__,
    }


#: Columns the loader derives (never "not recorded by this source" when the source lacks them).
_DERIVED = frozenset({"patient_id", "source_row", *ENDPOINT_COLUMNS})


def _missing_why(
    prof: Profile,
    schema: SchemaDefinition,
    read: list[str],
    set_missing: pd.DataFrame,
    absent: pd.DataFrame,
) -> dict[str, str]:
    """Per canonical column, why its values are missing, as the stratifiers' reasons show it:
    not recorded by this source (the profile has no such column, or its column is absent from
    the file), or the source codes that were read as missing (with their meaning)."""
    why: dict[str, str] = {}
    not_read = set(prof.rules) - set(read)
    for name in schema.columns:
        if name in _DERIVED or name.endswith("_at_least"):
            continue
        if name in not_read:
            cols = absent.loc[absent["column"] == name, "source_column"].tolist()
            why[name] = (
                f"{name} not recorded: source column(s) {cols} absent from the file "
                f"(profile {prof.name})"
            )
        elif name not in prof.rules:
            why[name] = f"{name} not recorded by this source (profile {prof.name})"
    if len(set_missing):
        for name, block in set_missing.groupby("column", sort=True):
            if name not in schema.columns:
                continue
            reasons = "; or ".join(dict.fromkeys(block["reason"].astype(str)))
            why[str(name)] = f"{name} missing (blank in the file, or {reasons})"
    return why


def load_raw(
    raw: RawTable, prof: Profile, opts: dict[str, Any], schema: SchemaDefinition | None = None
) -> Cohort:
    """The loader on a table already read (a batch of :mod:`crlm_outcomes.io.batched`).

    Everything :func:`load_cohort` does after reading the source: map and parse the columns
    the profile names, value checks, endpoints, consistency rules and the audit.

    Parameters
    ----------
    raw : RawTable
        The source as read (:func:`crlm_outcomes.io.readers.read_source`).
    prof : Profile
        The resolved mapping profile (:func:`crlm_outcomes.io.profile.resolve_profile`).
    opts : dict
        Checked load options: every key of :data:`LOAD_OPTIONS`.
    schema : SchemaDefinition, optional
        The canonical schema (default: :func:`~crlm_outcomes.schema.definition.canonical_definition`).

    Returns
    -------
    Cohort
        The loaded rows of ``raw`` with their audit, provenance and missing-value reasons.

    Examples
    --------
    >>> from crlm_outcomes.datasets import synthetic_frame
    >>> from crlm_outcomes.io.load import LOAD_OPTIONS, load_raw
    >>> from crlm_outcomes.io.profile import resolve_profile
    >>> from crlm_outcomes.io.readers import read_source
    >>> frame = synthetic_frame(8, seed=1)
    >>> frame.loc[2, "age_at_diagnosis"] = 250.0
    >>> cohort = load_raw(read_source(frame), resolve_profile("canonical"), dict(LOAD_OPTIONS))
    >>> cohort.audit.rows_in, cohort.audit.rows_loaded, cohort.audit.rows_quarantined
    (8, 7, 1)
    """
    return _load_raw(raw, prof, opts, schema)
