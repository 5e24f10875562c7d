"""Typed parsing of source cells into canonical columns, capturing every failure.

:func:`parse_column` reads one canonical column from its source column(s) following a
:class:`~crlm_outcomes.io.profile.ColumnRule` and returns a :class:`ParsedColumn`: the values in
the canonical dtype, a mask of cells that had content but could not be read (with the reason),
and a count of the cells set missing because they held a declared missing code. Nothing is
dropped or coerced silently: the loader turns the mask into quarantine records (or, under
``on_invalid: set_missing``, into counted missing values).

Work is done on the *distinct* values of a column (``pandas.factorize``) and broadcast back with
``numpy.take``, so a million-row column with a few hundred distinct codes costs one pass.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes._arrow import string_chunks, to_float
from crlm_outcomes.io.profile import INTEGER_TEXT, ColumnRule, code_key
from crlm_outcomes.schema.definition import ColumnSpec

__all__ = ["ParsedColumn", "parse_column", "DEFAULT_BOOLEAN_CODES", "EXCEL_EPOCH"]

#: Codes every boolean column understands, in addition to the profile's own.
DEFAULT_BOOLEAN_CODES: dict[str, bool] = {
    "true": True,
    "false": False,
    "yes": True,
    "no": False,
    "y": True,
    "n": False,
    "1": True,
    "0": False,
    "t": True,
    "f": False,
}

#: Day 0 of Excel (1900 date system) serial numbers; 1899-12-30 makes serials from 61 on (1 March
#: 1900) correct despite Lotus' phantom 29 February 1900.
EXCEL_EPOCH = np.datetime64("1899-12-30", "ns")
#: The largest Excel serial read as a date: 106750 (2192-04-07). Excel goes on to 9999-12-31 (2958465), but
#: dates are held as datetime64[ns], whose day count from 1899-12-30 overflows beyond this; a larger
#: serial is an invalid cell, never a wrapped-around date.
_EXCEL_MAX_SERIAL = int(np.iinfo(np.int64).max // 86_400_000_000_000) - 1


@dataclass(frozen=True)
class ParsedColumn:
    """One canonical column read from the source.

    Attributes
    ----------
    values
        The column in its canonical dtype (RangeIndex); invalid cells are missing here.
    invalid
        Boolean mask: the cell had content that could not be read.
    reason
        Why a cell in ``invalid`` failed (what was expected).
    missing_codes
        Cells set missing because they held a declared missing code: columns value, count.
    raw_text
        Source text of the invalid cells only (index = row position), for quarantine records.

    Examples
    --------
    Sex coded M/F by a hospital, with two codes the profile does not know:

    >>> import pandas as pd
    >>> from crlm_outcomes.io.profile import resolve_profile
    >>> from crlm_outcomes.schema.definition import canonical_definition
    >>> rule = resolve_profile("institutional").rules["sex"]
    >>> col = parse_column(pd.Series(["M", "f", "X", "U"]), rule, canonical_definition().columns["sex"])
    >>> col.values.tolist(), col.invalid.tolist()
    (['male', 'female', nan, nan], [False, False, True, True])
    >>> col.reason
    "unknown code (expected one of ['F', 'M', 'Female', 'Male'])"
    >>> col.raw_text.to_dict()
    {2: 'X', 3: 'U'}
    """

    values: pd.Series
    invalid: np.ndarray
    reason: str
    missing_codes: pd.DataFrame
    raw_text: pd.Series


def as_text(values: Any) -> pd.Series:
    """Text of arbitrary cell values (object Series), integral floats written as integers.

    Used by the parsers and by the loader's quarantine records, so that a raw value is quoted
    as the file held it (``64``, not ``64.0``; ``true``, not ``True``).

    Parameters
    ----------
    values
        Cell values: a Series or anything :class:`pandas.Series` accepts (floats, booleans,
        datetimes, strings or a mix in an object column).

    Returns
    -------
    pandas.Series
        The values as text: whole floats without ``.0``, booleans ``true``/``false``, dates
        ``YYYY-MM-DD``; a string column is returned as it is. Callers pass present cells
        only (how a missing float is written differs between pandas 2 and 3).

    Examples
    --------
    >>> as_text([64.0, 71.5, 1e20]).tolist()
    ['64', '71.5', '1e+20']
    >>> as_text(pd.Series([True, 3.0, "T2"], dtype=object)).tolist()
    ['true', '3', 'T2']
    """
    s = pd.Series(values)
    if isinstance(s.dtype, pd.StringDtype):
        return s
    if s.dtype.kind == "f":
        finite = np.isfinite(s.to_numpy(dtype=float, na_value=np.nan))
        arr = np.where(finite, s.to_numpy(dtype=float, na_value=0.0), 0.0)
        whole = finite & (np.mod(arr, 1) == 0) & (np.abs(arr) < _INT_LIMIT)  # else as a float
        out = s.astype(object).astype(str)
        if whole.any():
            out[whole] = s[whole].astype("int64").astype(str)
        return out.astype(object)
    if s.dtype.kind == "b":
        return s.map({True: "true", False: "false"}).astype(object)
    if s.dtype.kind == "M":
        return s.dt.strftime("%Y-%m-%d").astype(object)
    if s.dtype == object:
        out = s.astype(str)
        is_float = s.map(type).eq(float).to_numpy()
        if is_float.any():
            out[is_float] = as_text(s[is_float].astype(float)).to_numpy()
        is_bool = s.map(type).eq(bool).to_numpy()
        if is_bool.any():
            out[is_bool] = s[is_bool].map({True: "true", False: "false"}).to_numpy()
        return out.astype(object)
    return s.astype(str).astype(object)


def _keys(text: pd.Series, case_sensitive: bool) -> pd.Series:
    out = text.str.strip()
    return out if case_sensitive else out.str.lower()


def _mask(values: pd.Series | np.ndarray) -> np.ndarray:
    """A plain bool array from a (possibly nullable) boolean result; NA counts as False."""
    if isinstance(values, pd.Series):
        return values.to_numpy(dtype=bool, na_value=False)
    return np.asarray(values, dtype=bool)


def _empty_missing() -> pd.DataFrame:
    return pd.DataFrame(
        {"value": pd.Series([], dtype=object), "count": pd.Series([], dtype="int64")}
    )


def _count_missing(keys_u: pd.Series, counts_u: np.ndarray, is_code_u: np.ndarray) -> pd.DataFrame:
    """Rows per declared missing code (matched keys grouped: "NA" and "na" are one code)."""
    is_code_u = is_code_u & (counts_u > 0)  # unused categories of a Categorical source
    if not is_code_u.any():
        return _empty_missing()
    frame = pd.DataFrame(
        {
            "value": keys_u[is_code_u].astype(object).to_numpy(dtype=object),
            "count": counts_u[is_code_u],
        }
    )
    return frame.groupby("value", sort=True, as_index=False)["count"].sum()


def _rewrite(text_u: pd.Series, rule: ColumnRule) -> tuple[pd.Series, np.ndarray]:
    """Apply ``replace`` then ``extract``; return the text and a mask of extraction failures."""
    failed = np.zeros(len(text_u), dtype=bool)
    if rule.replace is not None:
        text_u = text_u.str.replace(rule.replace[0], rule.replace[1], regex=True)
    if rule.extract is not None:
        got = text_u.str.extract(rule.extract, expand=False)
        if isinstance(got, pd.DataFrame):
            got = got.iloc[:, 0]
        failed = got.isna().to_numpy() & text_u.notna().to_numpy()
        text_u = got
    return text_u, failed


def _combine_sources(series: Sequence[pd.Series], rule: ColumnRule) -> pd.Series:
    """One ``a|b`` key per row; blank when any part is blank or a declared missing code."""
    parts = []
    any_missing = np.zeros(len(series[0]), dtype=bool)
    for s in series:
        text = as_text(s).astype(object)
        text[s.isna().to_numpy()] = ""
        key = _keys(text, rule.case_sensitive)
        any_missing |= _mask(key.eq("")) | _mask(key.isin(rule.missing_values))
        parts.append(key)
    out = parts[0]
    for p in parts[1:]:
        out = out + "|" + p
    out[any_missing] = ""
    return out


def parse_column(
    source: pd.Series | Sequence[pd.Series], rule: ColumnRule, spec: ColumnSpec
) -> ParsedColumn:
    """Read one canonical column (see the module docstring).

    Parameters
    ----------
    source
        The source column, or one column per entry of ``rule.sources``.
    rule
        How to read it (from the profile).
    spec
        The canonical column (dtype, levels).

    Returns
    -------
    ParsedColumn
        The values in the canonical dtype and unit (invalid cells missing), the mask of the
        invalid cells with the reason and their source text, and the count of each declared
        missing code met.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.io.profile import resolve_profile
    >>> from crlm_outcomes.schema.definition import canonical_definition
    >>> rule = resolve_profile("institutional").rules["liver_mets_largest_cm"]
    >>> rule.sources, rule.unit
    (('Largest liver met (mm)',), 'mm')
    >>> cells = pd.Series(["35", "12.5", "n/a?", "not recorded", ""])
    >>> col = parse_column(cells, rule, canonical_definition().columns["liver_mets_largest_cm"])
    >>> col.values.tolist(), col.invalid.tolist(), col.reason
    ([3.5, 1.25, nan, nan, nan], [False, False, True, False, False], 'not a number')
    >>> col.missing_codes.to_dict("records"), col.raw_text.to_dict()
    ([{'value': 'not recorded', 'count': 1}], {2: 'n/a?'})
    """
    if isinstance(source, pd.Series):
        s = _positional(source)
    else:
        s = _combine_sources([_positional(x) for x in source], rule)
    kind = _kind(spec, rule)
    plain = rule.extract is None and rule.replace is None
    if kind in ("int", "float") and s.dtype.kind == "m":
        # a duration carries its own unit: never its nanoseconds, never the profile's factor
        s = _duration_in(s, spec)
        rule = replace(rule, factor=1.0)
    if kind in ("int", "float") and plain and s.dtype.kind in "iuf":
        return _fast_number(s, rule, spec)
    if kind == "string" and plain:
        return _fast_string(s, rule, spec)
    if kind == "date" and s.dtype.kind == "M":
        return _fast_datetime(s)
    return _parse_distinct(s, rule, spec, kind)


#: Days per unit of the canonical time columns (months = days / 30.4375).
_DAYS_PER_UNIT = {"days": 1.0, "day": 1.0, "weeks": 7.0, "months": 30.4375, "years": 365.25}


def _duration_in(s: pd.Series, spec: ColumnSpec) -> pd.Series:
    """A timedelta column as a number of the canonical column's time unit.

    Examples
    --------
    >>> from crlm_outcomes.schema.definition import canonical_definition
    >>> spec = canonical_definition().columns["os_months"]
    >>> _duration_in(pd.Series(pd.to_timedelta([30.4375, None], unit="D")), spec).tolist()
    [1.0, nan]
    """
    unit = str(spec.unit or "").strip().lower()
    if unit not in _DAYS_PER_UNIT:
        from crlm_outcomes.errors import ColumnTypeError

        raise ColumnTypeError(
            "a duration (timedelta) column cannot fill a column that is not a time",
            column=spec.name,
            value=str(s.dtype),
            expected=f"a number, or a column whose unit is one of {sorted(_DAYS_PER_UNIT)}",
        )
    days = (s / pd.Timedelta(days=1)).astype(float)
    return days / _DAYS_PER_UNIT[unit]


def _wall_clock(s: pd.Series) -> pd.Series:
    """Time-zone-aware datetimes as the local wall-clock time they show: a date saved as
    midnight in Europe/Berlin stays that calendar day (converting to UTC first would move it
    to 23:00 the day before)."""
    if getattr(s.dt, "tz", None) is not None:
        return s.dt.tz_localize(None)
    return s


def _fast_datetime(s: pd.Series) -> ParsedColumn:
    """A column that already holds datetimes: kept (time zones dropped at local time)."""
    if getattr(s.dt, "tz", None) is not None:
        s = _wall_clock(s)
    values = pd.Series(s.to_numpy(dtype="datetime64[ns]"))
    return ParsedColumn(
        values, np.zeros(len(s), dtype=bool), "", _empty_missing(), pd.Series([], dtype=object)
    )


def _positional(s: pd.Series) -> pd.Series:
    """``s`` with a 0..n-1 RangeIndex (no copy when it already has one)."""
    if isinstance(s.index, pd.RangeIndex) and s.index.start == 0 and s.index.step == 1:
        return s
    return s.reset_index(drop=True)


def _row_text(s: pd.Series, rows: np.ndarray) -> pd.Series:
    """Source text of the given rows (for quarantine records)."""
    sub = s.iloc[rows]
    text = as_text(sub.reset_index(drop=True)).astype(object)
    return pd.Series(text.to_numpy(dtype=object), index=rows, dtype=object)


#: Integer columns are Int64: a whole number of this magnitude or more cannot be stored, and is an
#: invalid cell like any other that is not a whole number.
_INT_LIMIT = 2.0**63
_NOT_AN_INTEGER = "not a whole number (within ±9.2e18)"

#: Whole numbers below this magnitude survive the ``round(x, 9)`` of the general number path
#: unchanged (``x * 1e9`` is exact below 2**53), so integer columns within it skip it.
_EXACT_INT = 2**53 // 10**9


def _fast_number(s: pd.Series, rule: ColumnRule, spec: ColumnSpec) -> ParsedColumn:
    """A numeric source column read as a number: no text at all."""
    codes = (
        pd.to_numeric(pd.Series(sorted(rule.missing_values), dtype=object), errors="coerce")
        .dropna()
        .to_numpy(dtype=float)
    )
    if (
        spec.dtype == "int"
        and rule.factor == 1.0
        and isinstance(s.dtype, np.dtype)
        and s.dtype.kind == "i"
        and len(s)
    ):
        ints = s.to_numpy()
        if max(abs(int(ints.min())), abs(int(ints.max()))) < _EXACT_INT:
            return _fast_integer(ints, codes)
    arr = s.to_numpy(dtype=float, na_value=np.nan)
    present = ~np.isnan(arr)
    is_code = present & np.isin(arr, codes) if len(codes) else np.zeros(len(arr), dtype=bool)
    bad = present & ~is_code & ~np.isfinite(arr)
    reason = "not a number"
    scaled = arr * rule.factor if rule.factor != 1.0 else arr
    if spec.dtype == "int":
        frac = np.mod(np.where(present, arr, 0.0), 1) != 0
        bad |= ~is_code & (frac | (np.abs(scaled) >= _INT_LIMIT))  # NaN compares False
        reason = _NOT_AN_INTEGER
    keep = present & ~is_code & ~bad
    values = np.where(keep, scaled, np.nan)
    if spec.dtype == "int":
        data = np.where(keep, np.round(values, 9), 0).astype("int64")
        series = pd.Series(pd.arrays.IntegerArray(data, ~keep))
    else:
        series = pd.Series(values, dtype="float64")
    if is_code.any():
        vals, counts = np.unique(arr[is_code], return_counts=True)
        missing = pd.DataFrame(
            {
                "value": as_text(pd.Series(vals)).to_numpy(dtype=object),
                "count": counts.astype("int64"),
            }
        )
    else:
        missing = _empty_missing()
    rows = np.flatnonzero(bad)
    return ParsedColumn(series, bad, reason, missing, _row_text(s, rows))


def _fast_integer(ints: np.ndarray, codes: np.ndarray) -> ParsedColumn:
    """An integer source column (no missing cells, small magnitudes) read as an integer:
    :func:`_fast_number` without the float round trip (same values)."""
    is_code = np.isin(ints, codes) if len(codes) else np.zeros(len(ints), dtype=bool)
    data = (
        np.where(is_code, 0, ints).astype("int64")
        if is_code.any()
        else ints.astype("int64", copy=True)
    )
    if is_code.any():
        vals, counts = np.unique(ints[is_code].astype(float), return_counts=True)
        missing = pd.DataFrame(
            {
                "value": as_text(pd.Series(vals)).to_numpy(dtype=object),
                "count": counts.astype("int64"),
            }
        )
    else:
        missing = _empty_missing()
    return ParsedColumn(
        pd.Series(pd.arrays.IntegerArray(data, is_code)),
        np.zeros(len(ints), dtype=bool),
        _NOT_AN_INTEGER,
        missing,
        pd.Series([], dtype=object, index=pd.RangeIndex(0)),
    )


def _fast_string(s: pd.Series, rule: ColumnRule, spec: ColumnSpec) -> ParsedColumn:
    """A text column kept as text: trim, blank and declared missing codes -> missing.

    Runs in Arrow kernels (they release the GIL). Only cells as long as a declared missing code
    are case-folded and compared: Arrow's ``utf8_lower`` maps code point to code point, so a
    cell can only match a code of its own length.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(s.dtype, pd.StringDtype):
        text = s
    else:
        cells = as_text(s).to_numpy(dtype=object, copy=True)
        cells[s.isna().to_numpy()] = None
        text = pd.Series(cells, dtype=object)
    trimmed = pc.utf8_trim_whitespace(string_chunks(text))
    length = pc.fill_null(pc.utf8_length(trimmed), 0).to_numpy()  # a missing cell: length 0
    blank = length == 0
    is_code = np.zeros(len(text), dtype=bool)
    if rule.missing_values:
        sizes = sorted({len(k) for k in rule.missing_values if k})
        rows = np.flatnonzero(np.isin(length, sizes))
        if len(rows):
            cand = trimmed.take(pa.array(rows))
            keys = cand if rule.case_sensitive else pc.utf8_lower(cand)
            hit = pc.fill_null(
                pc.is_in(keys, value_set=pa.array(sorted(rule.missing_values), type=keys.type)),
                False,
            )
            is_code[rows[hit.to_numpy(zero_copy_only=False)]] = True
    keep = ~blank & ~is_code
    kept = (
        trimmed
        if keep.all()
        else pc.if_else(pa.array(keep), trimmed, pa.scalar(None, type=trimmed.type))
    )
    values = pd.Series(pd.arrays.ArrowStringArray(kept))
    if values.dtype != spec.pandas_dtype:
        values = values.astype(spec.pandas_dtype)
    if is_code.any():
        counts = pd.Series(pd.arrays.ArrowStringArray(trimmed))[is_code].value_counts(sort=False)
        missing = pd.DataFrame(
            {"value": counts.index.astype(object), "count": counts.to_numpy(dtype="int64")}
        )
    else:
        missing = _empty_missing()
    bad = np.zeros(len(text), dtype=bool)
    return ParsedColumn(values, bad, "", missing, pd.Series([], dtype=object))


def _parse_distinct(s: pd.Series, rule: ColumnRule, spec: ColumnSpec, kind: str) -> ParsedColumn:
    """General path: parse each distinct value once, broadcast back to the rows."""
    n = len(s)
    codes, uniques, counts_u = _factorize(s)
    if isinstance(uniques, pd.Index) and uniques.dtype == object:
        # mixed cells: their common type, if any, is inferred explicitly (pandas 3 no longer
        # infers it from an object Index)
        uniq = pd.Series(np.asarray(uniques, dtype=object)).infer_objects()
    else:
        uniq = pd.Series(uniques)

    # text and match keys of each distinct value
    text_u = as_text(uniq) if len(uniq) else pd.Series([], dtype=object)
    keys_u = _keys(text_u, rule.case_sensitive) if len(uniq) else text_u
    blank_u = _mask(keys_u.eq("")) if len(uniq) else np.zeros(0, dtype=bool)
    code_missing_u = (
        (_mask(keys_u.isin(rule.missing_values)) & ~blank_u)
        if len(uniq)
        else np.zeros(0, dtype=bool)
    )

    reader = _PARSERS[kind]
    values_u, bad_u, null_code_u, reason = reader(uniq, text_u, keys_u, rule, spec)
    missing_u = blank_u | code_missing_u
    null_code_u = null_code_u & ~missing_u
    bad_u = bad_u & ~missing_u & ~null_code_u
    keep_u = ~(bad_u | missing_u | null_code_u)

    # broadcast back to rows: per-distinct tables with one trailing "missing" slot, which the
    # code -1 of a missing cell picks (one gather per column, no per-row masks)
    values = _broadcast(values_u, keep_u, codes, spec, n)
    invalid = np.append(bad_u, False)[codes] if bad_u.any() else np.zeros(n, dtype=bool)

    counted = code_missing_u | null_code_u
    if counted.any():
        if counts_u is None:
            counts_u = _code_counts(codes, len(uniq), counted)
        missing_codes = _count_missing(keys_u, counts_u, counted)
    else:
        missing_codes = _empty_missing()
    rows = np.flatnonzero(invalid) if bad_u.any() else np.zeros(0, dtype=np.intp)
    if len(rows):
        raw = np.asarray(text_u.astype(object).to_numpy(dtype=object), dtype=object)[codes[rows]]
        raw_text = pd.Series(raw, index=rows, dtype=object)
    else:
        raw_text = pd.Series([], dtype=object)
    return ParsedColumn(
        values=values,
        invalid=invalid,
        reason=reason,
        missing_codes=missing_codes,
        raw_text=raw_text,
    )


#: Integer columns whose values span fewer than this many numbers are factorised by offset
#: (a lookup table) instead of hashing.
_SMALL_INT_RANGE = 1 << 16


def _narrow_codes(k: int) -> type[np.signedinteger]:
    """The narrowest signed integer type for codes -1..k-1 (a gather through small codes
    moves an eighth of the memory of one through ``intp`` codes)."""
    for dtype in (np.int8, np.int16, np.int32):
        if k <= np.iinfo(dtype).max:
            return dtype
    return np.int64


def _code_counts(codes: np.ndarray, k: int, which: np.ndarray) -> np.ndarray:
    """How many rows have each code in ``which`` (length ``k``; 0 for the others): one
    comparison pass per code when few are asked for, else one ``bincount``."""
    out = np.zeros(k, dtype=np.int64)
    wanted = np.flatnonzero(which)
    if len(wanted) <= 8:
        for code in wanted:
            out[code] = np.count_nonzero(codes == code)
        return out
    return np.bincount(codes.astype(np.intp) + 1, minlength=k + 1)[1:]


def _factorize(s: pd.Series) -> tuple[np.ndarray, Any, np.ndarray | None]:
    """(codes, distinct values, their counts or ``None``) of a column, code -1 for a missing
    cell; the codes may be any signed integer type.

    A Categorical (dictionary-encoded on reading) reuses its codes as they are; integers in a
    small range are coded through a lookup table indexed by value (the distinct values come out
    sorted, with their counts); everything else goes through :func:`pandas.factorize` (Arrow's
    hash kernel for Arrow-backed text). Counts that are not a by-product are left to
    :func:`_code_counts`, for the few codes that need them.
    """
    if isinstance(s.dtype, pd.CategoricalDtype):
        return s.array.codes, s.cat.categories, None
    if isinstance(s.dtype, np.dtype) and s.dtype.kind in "iu" and len(s):
        arr = s.to_numpy()
        lo, hi = int(arr.min()), int(arr.max())
        if hi - lo < _SMALL_INT_RANGE:
            # small non-negative values index the table directly (no offset copy of the column)
            base = 0 if 0 <= lo and hi < _SMALL_INT_RANGE else lo
            index = arr if base == 0 and arr.dtype == np.intp else (arr - base).astype(np.intp)
            counts = np.bincount(index)
            seen = counts > 0
            lookup = np.cumsum(seen, dtype=np.int64) - 1
            lookup = lookup.astype(_narrow_codes(int(seen.sum())))
            return lookup[index], (np.flatnonzero(seen) + base).astype(s.dtype), counts[seen]
    try:
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
    except TypeError:  # unhashable cells (lists, dicts from a DataFrame): use their text
        s = s.map(lambda v: v if isinstance(v, Hashable) else repr(v))
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
    return codes, uniques, None


def _broadcast(
    values_u: pd.Series, keep_u: np.ndarray, codes: np.ndarray, spec: ColumnSpec, n: int
) -> pd.Series:
    """Row values from per-distinct values: ``values_u`` where ``keep_u``, missing elsewhere
    and for code -1."""
    dtype = spec.pandas_dtype
    if len(values_u) == 0:
        from crlm_outcomes.schema.definition import empty_column

        return empty_column(spec, n)
    drop = np.append(~keep_u, True)  # table mask, trailing slot = missing cell
    if spec.dtype == "date":
        table = np.append(values_u.to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT"))
        table[drop] = np.datetime64("NaT")
        return pd.Series(table[codes], dtype=dtype)
    if spec.dtype == "float":
        table = np.append(values_u.to_numpy(dtype=float, na_value=np.nan), np.nan)
        table[drop] = np.nan
        return pd.Series(table[codes], dtype=dtype)
    if spec.dtype == "int":
        table = np.append(values_u.to_numpy(dtype=float, na_value=np.nan), 0.0)
        data = np.where(drop, 0, table).astype("int64")
        return pd.Series(pd.arrays.IntegerArray(data[codes], drop[codes]))
    if spec.dtype == "boolean":
        objs = values_u.to_numpy(dtype=object)
        data = np.array(
            [bool(v) if k else False for v, k in zip(objs, keep_u, strict=True)] + [False],
            dtype=bool,
        )
        return pd.Series(pd.arrays.BooleanArray(data[codes], drop[codes]))
    if spec.dtype == "category":
        cat = pd.Categorical(
            values_u.to_numpy(dtype=object), categories=dtype.categories, ordered=dtype.ordered
        )
        table = np.append(cat.codes, -1).astype(cat.codes.dtype)
        table[drop] = -1
        # validate=False: the codes come from the dtype's own categories
        return pd.Series(pd.Categorical.from_codes(table[codes], dtype=dtype, validate=False))
    # string: gather in Arrow (the trailing null slot for missing), no Python string objects
    import pyarrow as pa

    objs = values_u.astype(object).where(values_u.notna(), None).to_numpy(dtype=object)
    objs = np.concatenate(
        [
            np.where(keep_u, objs, np.full(len(objs), None, dtype=object)),
            np.array([None], dtype=object),
        ]
    )
    text_u = pa.array(objs, type=pa.large_string())  # the storage of pandas' Arrow strings
    idx = pa.array(np.where(codes < 0, len(objs) - 1, codes).astype(np.int64))
    return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([text_u.take(idx)])))


def _kind(spec: ColumnSpec, rule: ColumnRule) -> str:
    if (
        rule.codes is not None
        or spec.dtype in ("category", "boolean")
        or (spec.dtype == "int" and spec.levels is not None)
    ):
        return "code"
    return spec.dtype


# Each reader takes the distinct values and returns (values_u, bad_u, null_code_u, reason).


def _read_code(
    uniq: pd.Series, text_u: pd.Series, keys_u: pd.Series, rule: ColumnRule, spec: ColumnSpec
) -> tuple[pd.Series, np.ndarray, np.ndarray, str]:
    table: dict[str, Any] = {}
    if spec.dtype == "boolean":
        table.update(DEFAULT_BOOLEAN_CODES)
    elif spec.levels is not None:
        table.update({code_key(level, rule.case_sensitive): level for level in spec.levels})
    if rule.codes is not None:
        table.update(rule.codes)
    keys = keys_u
    extract_failed = np.zeros(len(keys), dtype=bool)
    if rule.replace is not None or rule.extract is not None:
        text2, extract_failed = _rewrite(text_u, rule)
        keys = _keys(text2.fillna(""), rule.case_sensitive)
    # whole numbers written as text ("01", "1.0") match integer codes ("1"), as in code_key
    whole = _mask(keys.astype(object).str.fullmatch(INTEGER_TEXT.pattern))
    if whole.any():
        keys = keys.astype(object).copy()
        keys[whole] = [code_key(k) for k in keys[whole].tolist()]
    known = keys.isin(list(table)).to_numpy() & ~extract_failed
    mapped = keys.map(table)
    null_code = known & mapped.isna().to_numpy()
    bad = ~known
    # the source's own codes as the profile writes them (Male, Female), not canonical levels
    shown = list(rule.code_labels) or sorted(k for k, v in table.items() if v is not None)
    reason = f"unknown code (expected one of {shown[:20]}{' …' if len(shown) > 20 else ''})"
    if spec.dtype in ("int", "float"):
        mapped = pd.to_numeric(mapped, errors="coerce")
    return mapped, bad, null_code, reason


def _read_number(
    uniq: pd.Series, text_u: pd.Series, keys_u: pd.Series, rule: ColumnRule, spec: ColumnSpec
) -> tuple[pd.Series, np.ndarray, np.ndarray, str]:
    failed = np.zeros(len(uniq), dtype=bool)
    if uniq.dtype.kind in "iuf" and rule.extract is None and rule.replace is None:
        num = uniq.astype(float)
    else:
        text = text_u.str.strip()
        text, failed = _rewrite(text, rule)
        if rule.decimal != ".":
            text = text.str.replace(rule.decimal, ".", regex=False)
        num = to_float(text)
        if uniq.dtype.kind == "b" or uniq.map(type).eq(bool).any():
            num[uniq.map(type).eq(bool).to_numpy()] = np.nan
    arr = num.to_numpy(dtype=float, na_value=np.nan)
    bad = failed | ~np.isfinite(arr)
    reason = "not a number"
    if spec.dtype == "int":
        frac = ~bad & (np.mod(np.where(bad, 0.0, arr), 1) != 0)
        bad = bad | frac
        reason = _NOT_AN_INTEGER
    arr = arr * rule.factor if rule.factor != 1.0 else arr
    if spec.dtype == "int":
        bad = bad | (np.abs(arr) >= _INT_LIMIT)  # beyond Int64: not readable
        if rule.factor != 1.0:
            arr = np.round(arr, 9)
    return pd.Series(arr), bad, np.zeros(len(uniq), dtype=bool), reason


def _read_date(
    uniq: pd.Series, text_u: pd.Series, keys_u: pd.Series, rule: ColumnRule, spec: ColumnSpec
) -> tuple[pd.Series, np.ndarray, np.ndarray, str]:
    n = len(uniq)
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    if uniq.dtype.kind == "M":
        s = uniq
        s = _wall_clock(s)
        out = s.to_numpy(dtype="datetime64[ns]", copy=True)
        done = np.ones(n, dtype=bool)
        is_num = np.zeros(n, dtype=bool)
    else:
        kinds = uniq.map(type) if uniq.dtype == object else None
        done = np.zeros(n, dtype=bool)
        if kinds is not None:
            is_dt = uniq.map(lambda v: hasattr(v, "year") and hasattr(v, "month")).to_numpy(bool)
            if is_dt.any():
                conv = pd.to_datetime(uniq[is_dt], errors="coerce")
                out[is_dt] = conv.to_numpy(dtype="datetime64[ns]")
                done |= is_dt
        is_num = np.zeros(n, dtype=bool)
        if uniq.dtype.kind in "iuf":
            is_num = np.ones(n, dtype=bool)
            num = uniq.to_numpy(dtype=float, copy=True)
        else:
            num = to_float(text_u).to_numpy(dtype=float, copy=True)
            if kinds is not None:
                num[kinds.eq(bool).to_numpy()] = np.nan
            is_num = np.isfinite(num) & ~done
        if rule.excel_serial_dates and is_num.any():
            ok = is_num & (num >= 1) & (num <= _EXCEL_MAX_SERIAL)
            days = np.where(ok, num, 0.0)
            out[ok] = EXCEL_EPOCH + (days[ok] * 86400e9).astype("int64").astype("timedelta64[ns]")
            done |= ok
        todo = ~done  # numbers that are not serials may still be dates such as 20210304
        text = text_u.astype(object).str.strip()
        for fmt in rule.date_formats:
            if not todo.any():
                break
            conv = pd.to_datetime(text[todo], format=fmt, errors="coerce")
            got = conv.notna().to_numpy()
            idx = np.flatnonzero(todo)[got]
            out[idx] = conv.to_numpy(dtype="datetime64[ns]")[got]
            todo[idx] = False
            done[idx] = True
    bad = ~done | np.isnat(out)
    forms = list(rule.date_formats) + (
        ["Excel serial day number"] if rule.excel_serial_dates else []
    )
    return pd.Series(out), bad, np.zeros(n, dtype=bool), f"not a date (formats: {', '.join(forms)})"


def _read_string(
    uniq: pd.Series, text_u: pd.Series, keys_u: pd.Series, rule: ColumnRule, spec: ColumnSpec
) -> tuple[pd.Series, np.ndarray, np.ndarray, str]:
    text = text_u.str.strip()
    text, failed = _rewrite(text, rule)
    return text, failed, np.zeros(len(uniq), dtype=bool), f"text not matching {rule.extract!r}"


_PARSERS = {
    "code": _read_code,
    "int": _read_number,
    "float": _read_number,
    "date": _read_date,
    "string": _read_string,
}
