"""Synthetic patients written in the raw format of any loader profile (the profile's inverse).

:func:`registry_frame` turns a canonical frame into the cells a source described by a profile
would hold: canonical columns renamed to the profile's source headers, values encoded with the
profile's codes (the first code listed for each canonical value), numbers converted back to the
source unit, dates written in the profile's first date format, missing values written as the
profile's ``write_missing`` code, and every canonical column the profile does not carry dropped.
Endpoint times a registry carries (SEER/NCDB survival months, TCIA months from resection) are
derived from the synthetic dates with the origin the profile declares. A profile whose endpoints
start at liver resection describes a resected cohort, so only resected patients are written.

:func:`write_synthetic_registry` writes that frame for the synthetic cohort
``synthetic_frame(n, seed)`` — loaded through the canonical profile first, so derived fields
(node status from the N stage) are filled and the few simulated rows that break a consistency
rule are left out — to a file whose type follows the suffix. Everything is vectorised.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from crlm_outcomes.errors import InputError, UnreadableFileError
from crlm_outcomes.io.profile import ColumnRule, Profile, resolve_profile
from crlm_outcomes.schema.definition import SchemaDefinition, canonical_definition
from crlm_outcomes.schema.endpoints import derive_endpoints

__all__ = ["registry_frame", "write_synthetic_registry", "WRITABLE_SUFFIXES"]

#: File types the writer produces (SAS7BDAT cannot be written by any open library).
WRITABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".xlsx", ".dta", ".sav")

_OS_OPTION = {
    "primary_diagnosis": "primary_diagnosis",
    "liver_resection": "liver_resection",
    "liver_mets_diagnosis": "liver_mets_diagnosis",
}


def _by_distinct(series: pd.Series, fmt: Callable[[pd.Series], np.ndarray], fill: str) -> pd.Series:
    """Format each distinct value once (``fmt`` gets the distinct values) and broadcast back
    with an Arrow ``take`` (no Python string per row); missing cells become ``fill``."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    texts = (
        np.asarray(fmt(pd.Series(uniques)), dtype=object)
        if len(uniques)
        else np.array([], dtype=object)
    )
    table = pa.array(np.append(texts, fill).tolist(), type=pa.large_string())
    idx = pa.array(np.where(codes >= 0, codes, len(texts)).astype(np.int64))
    return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([table.take(idx)])))


def _number_text(values: pd.Series, rule: ColumnRule) -> np.ndarray:
    """Numbers as text: the rule's ``write_format``, integers without a decimal point, else
    ``repr`` (the shortest text that reads back to the same double)."""
    arr = values.to_numpy(dtype=float, na_value=np.nan)
    if rule.write_format is not None:
        return np.array([rule.write_format.format(v) for v in arr.tolist()], dtype=object)
    whole = np.mod(arr, 1) == 0
    out = np.empty(len(arr), dtype=object)
    out[whole] = arr[whole].astype("int64").astype(str)
    out[~whole] = [repr(v) for v in arr[~whole].tolist()]
    return out


def _encode(series: pd.Series, rule: ColumnRule, schema: SchemaDefinition) -> pd.Series:
    """Cells of one single-source column in the profile's raw form; a value at or above a
    declared bound (a registry top code, e.g. NCDB AGE 090, NAACCR 3820 XXXX.1) is written as
    that code, as the registry would."""
    spec = schema.columns[rule.target]
    if rule.bounds and spec.dtype in ("int", "float") and rule.write_codes is None:
        code, bound = _top_code(rule)
        values = series.to_numpy(dtype=float, na_value=np.nan)
        if rule.write_format is not None:  # compared as written (whole years, tenths)
            values = np.round(values / rule.factor) * rule.factor
        top = values >= bound  # NaN compares False
        if top.any():
            text = _encode(series.where(~top), rule, schema).astype(object).to_numpy(copy=True)
            text[top] = code
            return pd.Series(text, dtype=pd.StringDtype("pyarrow"))
    if rule.bounds and rule.write_codes is not None:  # e.g. TCIA multiple_metastases 1
        code, bound = _top_code(rule)
        values = series.to_numpy(dtype=float, na_value=np.nan)
        top = values >= bound
        text = _encode_codes(series.where(~top), rule).astype(object).to_numpy(copy=True)
        text[top] = code
        return pd.Series(text, dtype=pd.StringDtype("pyarrow"))
    if rule.write_codes is not None:
        return _encode_codes(series, rule)
    fill = rule.write_missing
    if spec.dtype == "date":
        fmt = rule.date_formats[0] if rule.date_formats else "ISO8601"
        fmt = "%Y-%m-%d" if fmt.upper() == "ISO8601" else fmt
        return _by_distinct(series, lambda u: u.dt.strftime(fmt).to_numpy(dtype=object), fill)
    if spec.dtype in ("int", "float"):
        scaled = pd.Series(series.to_numpy(dtype=float, na_value=np.nan) / rule.factor)
        return _by_distinct(scaled, lambda u: _number_text(u, rule), fill)
    if spec.dtype == "boolean":
        return _by_distinct(
            series, lambda u: np.where(u.to_numpy(dtype=bool), "true", "false"), fill
        )
    return _by_distinct(series, lambda u: u.astype(str).to_numpy(dtype=object), fill)


def _encode_codes(series: pd.Series, rule: ColumnRule) -> pd.Series:
    codes = dict(rule.write_codes or {})
    fill = rule.write_missing or codes.get(None, "")
    return _by_distinct(
        series,
        lambda u: np.array([codes.get(v, str(v)) for v in u.astype(object).tolist()], dtype=object),
        fill,
    )


def _top_code(rule: ColumnRule) -> tuple[str, float]:
    """The source text of the (lowest) top code of a rule and its bound."""
    key, bound = min(rule.bounds.items(), key=lambda kv: kv[1])
    return rule.bound_labels.get(key, key), bound


def _era_blank(entry: ColumnRule) -> str:
    """What an export holds in an era column outside its era: SEER*Stat writes "Blank(s)",
    the NCDB PUF an empty field."""
    return "Blank(s)" if "blank(s)" in entry.missing_values else ""


def _encode_coalesce(
    data: pd.DataFrame, rule: ColumnRule, schema: SchemaDefinition, out: dict[str, pd.Series]
) -> None:
    """Each era's column holds the value for the patients diagnosed in its years (every
    entry whose era covers the year: pathological and clinical grade alike) and is blank for
    the others, as in the registry's own export."""
    year = (
        data["diagnosis_year"].to_numpy(dtype=float, na_value=np.nan)
        if "diagnosis_year" in data.columns
        else np.full(len(data), np.nan)
    )
    for entry in rule.coalesce:
        src = entry.sources[0]
        if src in out:
            continue
        if entry.years is None:
            in_era = np.ones(len(data), dtype=bool)
        else:
            in_era = (year >= entry.years[0]) & (year <= entry.years[1])
        text = _encode(data[rule.target], entry, schema).astype(object).to_numpy(copy=True)
        text[~in_era] = _era_blank(entry)
        out[src] = pd.Series(text, dtype=pd.StringDtype("pyarrow"))


def registry_frame(
    canonical: pd.DataFrame, profile: str | Path | Profile, schema: SchemaDefinition | None = None
) -> pd.DataFrame:
    """The raw cells a source described by ``profile`` would hold for these patients.

    Parameters
    ----------
    canonical
        Canonical frame in canonical dtypes (as from ``synthetic_frame`` or ``Cohort.data``).
    profile
        Profile name, path or :class:`~crlm_outcomes.io.profile.Profile`.
    schema
        The canonical schema definition (default: the package's ``canonical.yaml``).

    Returns
    -------
    DataFrame
        One column per source column of the profile (text, as a file would hold it), in the
        profile's order; one row per patient (for a profile whose endpoints start at liver
        resection, only the resected patients).

    Examples
    --------
    Five synthetic patients as a SEER export would write them:

    >>> from crlm_outcomes.datasets import synthetic_frame
    >>> raw = registry_frame(synthetic_frame(5, seed=1), "seer")
    >>> raw.shape
    (5, 29)
    >>> print(raw[["Patient ID", "Sex", "Year of diagnosis", "Primary Site"]].to_string(index=False))
    Patient ID    Sex Year of diagnosis Primary Site
     SYN000001 Female              2019          182
     SYN000002 Female              2019          184
     SYN000003 Female              2008          180
     SYN000004 Female              2011          184
     SYN000005   Male              2020          187
    """
    schema = schema or canonical_definition()
    prof = resolve_profile(profile)
    data = canonical.reset_index(drop=True)
    if prof.endpoint_origins:
        os_origin = _OS_OPTION.get(prof.endpoint_origins.get("os", ""), "liver_mets_diagnosis")
        ep = derive_endpoints(data, schema, os_origin=os_origin)
        data = data.assign(
            **{k: v.to_numpy() if k.endswith("months") else v.array for k, v in ep.columns.items()}
        )
        if "liver_resection" in prof.endpoint_origins.values():
            data = data.loc[data["liver_resection_date"].notna().to_numpy()].reset_index(drop=True)
    out: dict[str, pd.Series] = {}
    for target, rule in prof.rules.items():
        if target not in data.columns:
            continue
        if rule.coalesce:
            _encode_coalesce(data, rule, schema, out)
            continue
        if len(rule.sources) == 1:
            if rule.sources[0] not in out:
                out[rule.sources[0]] = _encode(data[target], rule, schema)
            continue
        # several sources: encode the "a|b" key, split it over the columns not yet written
        key = _encode(data[target], rule, schema)
        parts = key.str.split("|", expand=True, regex=False)
        for i, src in enumerate(rule.sources):
            if src not in out:
                col = parts[i] if i in parts.columns else pd.Series([None] * len(key))
                out[src] = col.fillna(rule.write_missing).astype(pd.StringDtype("pyarrow"))
    return pd.DataFrame(out, copy=False)


def write_synthetic_registry(
    profile: str | Path | Profile, path: str | Path, n: int, seed: int
) -> Path:
    """Write ``n`` synthetic patients (``synthetic_frame(n, seed)``) in the raw format of
    ``profile`` to ``path``; the file type follows the suffix (:data:`WRITABLE_SUFFIXES`).

    Parameters
    ----------
    profile
        A shipped profile name (:func:`~crlm_outcomes.list_profiles`), a profile YAML path or a
        :class:`~crlm_outcomes.io.profile.Profile`.
    path
        The file to write.
    n, seed
        Number of patients and the random seed.

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> import pathlib, tempfile, warnings
    >>> from crlm_outcomes import load_cohort, write_synthetic_registry
    >>> with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # the optional columns SEER lacks are named
    ...     path = write_synthetic_registry("seer", pathlib.Path(tmp) / "seer.csv", n=50, seed=1)
    ...     cohort = load_cohort(path, profile="seer")
    >>> cohort.audit.rows_in
    50
    """
    from crlm_outcomes.datasets.synthetic import synthetic_frame

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in WRITABLE_SUFFIXES:
        raise UnreadableFileError(
            f"cannot write file type {suffix!r}",
            file=str(path),
            expected=f"one of {list(WRITABLE_SUFFIXES)}",
        )
    from crlm_outcomes.io.load import load_cohort

    canonical = load_cohort(synthetic_frame(n, seed), profile="canonical").data
    frame = registry_frame(canonical, profile)
    write_frame(frame, path)
    return path


def write_frame(frame: pd.DataFrame, path: Path) -> None:
    """Write raw text cells to ``path`` by suffix (CSV/TSV through pyarrow).

    Parameters
    ----------
    frame : pandas.DataFrame
        The raw cells (as :func:`registry_frame` builds them); missing cells are written
        empty.
    path : pathlib.Path
        The file to write; its folder is created. The suffix picks the format: ``.csv``
        (comma), ``.tsv`` or ``.txt`` (tab), ``.parquet``, ``.xlsx``, ``.dta`` (Stata), any
        other suffix SPSS (``.sav``).

    Returns
    -------
    None
        The file is written at ``path``.

    Raises
    ------
    InputError
        pyreadstat cannot write the Stata or SPSS file (its message included).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import pandas as pd
    >>> from crlm_outcomes.datasets.registry import write_frame
    >>> raw = pd.DataFrame({"Patient ID": ["P1", "P2"], "Age": ["64 years", "71, approx"],
    ...                     "Sex": ["F", None]})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pathlib.Path(tmp) / "raw" / "export.csv"
    ...     write_frame(raw, path)
    ...     print(path.read_text(encoding="utf-8").strip())
    "Patient ID","Age","Sex"
    "P1","64 years","F"
    "P2","71, approx",
    """
    suffix = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix in (".csv", ".tsv", ".txt"):
        import pyarrow.csv as pacsv

        table = pa.Table.from_pandas(frame, preserve_index=False)
        opts = pacsv.WriteOptions(
            delimiter="," if suffix == ".csv" else "\t", quoting_style="needed"
        )
        pacsv.write_csv(table, path, write_options=opts)
    elif suffix == ".parquet":
        frame.to_parquet(path, index=False)
    elif suffix == ".xlsx":
        frame.astype(object).to_excel(path, index=False, engine="openpyxl")
    else:
        import pyreadstat

        writer = pyreadstat.write_dta if suffix == ".dta" else pyreadstat.write_sav
        try:
            writer(frame.astype(object).where(frame.notna(), ""), str(path))
        except Exception as exc:  # noqa: BLE001 - pyreadstat raises plain exceptions
            raise InputError(f"cannot write {suffix} file: {exc}", file=str(path)) from exc
