"""The loaded cohort: canonical data plus its audit trail, provenance and missing-value reasons."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from crlm_outcomes._display import frames_html
from crlm_outcomes.errors import CrlmError

__all__ = [
    "Cohort",
    "LoadAudit",
    "MissingReasons",
    "QUARANTINE_COLUMNS",
    "ABSENT_COLUMNS",
    "SET_MISSING_COLUMNS",
    "MISSING_REASON_COLUMNS",
]

QUARANTINE_COLUMNS = ["source_row", "column", "value", "rule", "reason", "source_column"]
ABSENT_COLUMNS = ["source_column", "column", "profile"]
SET_MISSING_COLUMNS = ["column", "value", "count", "reason"]
MISSING_REASON_COLUMNS = ["patient_id", "column", "reason"]


@dataclass(frozen=True)
class LoadAudit:
    """What happened to every input row.

    Attributes
    ----------
    rows_in, rows_loaded, rows_quarantined
        Always ``rows_in == rows_loaded + rows_quarantined``.
    quarantine
        One record per reason a row was quarantined: ``source_row`` (1-based data row of the
        source), ``column`` (the canonical column), ``value`` (the cell text as it was in the
        file; the derived value for a rule on derived columns), ``rule`` (``parse``,
        ``value_check`` or a consistency rule name), ``reason`` (what was expected, in the
        source's own codes) and ``source_column`` (the column as the file names it; ``a+b``
        for a value read from two columns, empty for a derived value).
    set_missing
        Cells set missing on purpose, counted per ``column`` and source ``value``: declared
        missing codes, and invalid values of columns whose profile says ``on_invalid:
        set_missing`` (``reason`` tells which).
    invalid_cells
        Every invalid cell that was set missing instead of quarantining its row (profile
        ``on_invalid: set_missing``), with the same columns as ``quarantine``: the row stays
        loaded, and the value it held is not lost.
    absent_columns
        Every optional source column the profile expected and the file does not have:
        ``source_column``, ``column`` (the canonical column it would fill), ``profile`` (empty
        for an identity profile such as ``canonical``, which expects no particular column). A
        :class:`~crlm_outcomes.errors.DataQualityWarning` at load lists them too, so a misnamed
        column never empties a variable silently.

    Examples
    --------
    Eight patients, one aged 250 and two rows sharing a ``patient_id`` with different data:

    >>> from crlm_outcomes import load_cohort
    >>> from crlm_outcomes.datasets import synthetic_frame
    >>> frame = synthetic_frame(8, seed=1)
    >>> frame.loc[2, "age_at_diagnosis"] = 250.0
    >>> frame.loc[5, "patient_id"] = frame.loc[4, "patient_id"]
    >>> audit = load_cohort(frame).audit
    >>> audit.rows_in, audit.rows_loaded, audit.rows_quarantined
    (8, 5, 3)
    >>> print(audit.quarantine[["source_row", "column", "rule", "reason"]].to_string(index=False))
     source_row           column                  rule                                           reason
              3 age_at_diagnosis      age_out_of_range                          age outside 0-110 years
              5       patient_id duplicate_conflicting patient_id on several rows with conflicting data
              6       patient_id duplicate_conflicting patient_id on several rows with conflicting data
    """

    rows_in: int
    rows_loaded: int
    rows_quarantined: int
    quarantine: pd.DataFrame = field(repr=False)
    set_missing: pd.DataFrame = field(repr=False)
    invalid_cells: pd.DataFrame = field(
        repr=False,
        default_factory=lambda: pd.DataFrame(
            {c: pd.Series([], dtype=object) for c in QUARANTINE_COLUMNS}
        ),
    )
    absent_columns: pd.DataFrame = field(
        repr=False,
        default_factory=lambda: pd.DataFrame(
            {c: pd.Series([], dtype=object) for c in ABSENT_COLUMNS}
        ),
    )

    def __post_init__(self) -> None:
        if self.rows_in != self.rows_loaded + self.rows_quarantined:
            raise CrlmError(
                f"audit invariant broken: rows_in {self.rows_in} != rows_loaded "
                f"{self.rows_loaded} + rows_quarantined {self.rows_quarantined}"
            )
        n_rows = self.quarantine["source_row"].nunique() if len(self.quarantine) else 0
        if n_rows != self.rows_quarantined:
            raise CrlmError(
                f"audit invariant broken: {self.rows_quarantined} quarantined rows but "
                f"quarantine records name {n_rows} rows"
            )

    def quarantine_summary(self) -> pd.DataFrame:
        """Number of quarantined rows per rule and column.

        Returns
        -------
        pandas.DataFrame
            One row per (``rule``, ``column``) pair with ``rows``, the number of distinct
            source rows quarantined for it; most rows first, then by rule. Empty (with those
            three columns) when nothing was quarantined.

        Examples
        --------
        >>> from crlm_outcomes import load_cohort
        >>> from crlm_outcomes.datasets import synthetic_frame
        >>> frame = synthetic_frame(8, seed=1)
        >>> frame.loc[2, "age_at_diagnosis"] = 250.0
        >>> frame.loc[5, "patient_id"] = frame.loc[4, "patient_id"]
        >>> audit = load_cohort(frame).audit
        >>> print(audit.quarantine_summary().to_string(index=False))
                         rule           column  rows
        duplicate_conflicting       patient_id     2
             age_out_of_range age_at_diagnosis     1
        """
        if not len(self.quarantine):
            return pd.DataFrame({"rule": [], "column": [], "rows": []})
        return (
            self.quarantine.groupby(["rule", "column"], observed=True)["source_row"]
            .nunique()
            .rename("rows")
            .reset_index()
            .sort_values(["rows", "rule"], ascending=[False, True], ignore_index=True)
        )


@dataclass(frozen=True)
class MissingReasons:
    """Why derived values of the loaded patients are missing, stored compactly.

    A registry of a million patients without treatment dates has no RFS for anyone: five
    million (patient, column, reason) records that all say the same thing. They are kept as
    blocks instead — one per column and reason, holding the source positions of its rows or
    ``None`` for every row — and expanded into one record per value only when
    :meth:`frame` is asked for (:attr:`Cohort.missing_reasons`).

    Attributes
    ----------
    blocks
        ``(rows, column, reason)``: 0-based positions in the *source* rows (before quarantine)
        or ``None`` (every source row), in the order the endpoint derivation found them.
    keep
        Boolean mask of the source rows that were loaded (not quarantined).
    patient_id
        ``patient_id`` of the loaded rows (``Cohort.data["patient_id"]``).

    Examples
    --------
    Why relapse-free survival is missing in a synthetic cohort:

    >>> from crlm_outcomes import synthetic_cohort
    >>> missing = synthetic_cohort(200, seed=1).missing
    >>> counts = missing.counts()
    >>> for _, row in counts[counts["column"] == "rfs_months"].iterrows():
    ...     print(row["n"], "-", row["reason"])
    66 - no curative liver-directed treatment date (liver_resection_date, ablation_date, liver_transplant_date)
    10 - ned_achieved is False
    >>> records = missing.frame()
    >>> len(records), list(records.columns), records["patient_id"].iloc[0]
    (388, ['patient_id', 'column', 'reason'], 'SYN000005')
    """

    blocks: tuple[tuple[np.ndarray | None, str, str], ...] = field(repr=False)
    keep: np.ndarray = field(repr=False)
    patient_id: pd.Series = field(repr=False)

    def _kept(self, rows: np.ndarray | None) -> np.ndarray:
        """Source positions of a block restricted to the loaded rows."""
        if rows is None:
            rows = np.arange(len(self.keep))
        return rows if self.keep.all() else rows[self.keep[rows]]

    def counts(self) -> pd.DataFrame:
        """Number of missing values per ``column`` and ``reason`` among the loaded rows.

        Returns
        -------
        pandas.DataFrame
            ``column``, ``reason`` and ``n`` (missing values among the loaded rows): one row
            per block, in block order, without expanding the blocks into records.

        Examples
        --------
        >>> from crlm_outcomes import synthetic_cohort
        >>> counts = synthetic_cohort(200, seed=1).missing.counts()
        >>> list(counts.columns), len(counts)
        (['column', 'reason', 'n'], 12)
        >>> row = counts.iloc[0]
        >>> print(row["column"], row["n"], "-", row["reason"])
        rfs_months 66 - no curative liver-directed treatment date (liver_resection_date, ablation_date, liver_transplant_date)
        """
        n_all = int(self.keep.sum())
        recs = [
            (col, reason, n_all if rows is None and self.keep.all() else len(self._kept(rows)))
            for rows, col, reason in self.blocks
        ]
        return pd.DataFrame(recs, columns=["column", "reason", "n"])

    def frame(self) -> pd.DataFrame:
        """One record per missing derived value: ``patient_id``, ``column``, ``reason``.

        ``column`` and ``reason`` are categoricals (categories: every column / reason of the
        blocks, sorted) and ``patient_id`` is Arrow dictionary-encoded text (indices into the
        loaded ids: millions of records cost one int32 each instead of one string each).

        Returns
        -------
        pandas.DataFrame
            One row per missing derived value of a loaded patient, block by block: columns
            ``patient_id``, ``column``, ``reason``. Empty (those columns) when no derived
            value is missing.

        Examples
        --------
        >>> from crlm_outcomes import synthetic_cohort
        >>> records = synthetic_cohort(200, seed=1).missing.frame()
        >>> len(records), list(records.columns)
        (388, ['patient_id', 'column', 'reason'])
        >>> first = records.iloc[0]
        >>> print(first["patient_id"], first["column"])
        SYN000005 rfs_months
        >>> int((records["reason"] == "ned_achieved is False").sum())
        50
        """
        if not self.blocks:
            return pd.DataFrame({c: pd.Series([], dtype=object) for c in MISSING_REASON_COLUMNS})
        cols = sorted({c for _, c, _ in self.blocks})
        reasons = sorted({r for _, _, r in self.blocks})
        ci = {c: i for i, c in enumerate(cols)}
        ri = {r: i for i, r in enumerate(reasons)}
        kept = [self._kept(rows) for rows, _, _ in self.blocks]
        total = sum(len(k) for k in kept)
        positions = np.empty(total, dtype=np.int32)
        ccode = np.empty(total, dtype=np.int8 if len(cols) < 128 else np.int32)
        rcode = np.empty(total, dtype=np.int8 if len(reasons) < 128 else np.int32)
        loaded_pos = None if self.keep.all() else np.cumsum(self.keep) - 1
        pos = 0
        for rows, (_, col, reason) in zip(kept, self.blocks, strict=True):
            end = pos + len(rows)
            positions[pos:end] = rows if loaded_pos is None else loaded_pos[rows]
            ccode[pos:end] = ci[col]
            rcode[pos:end] = ri[reason]
            pos = end
        ids = pa.array(self.patient_id.array)
        if isinstance(ids, pa.ChunkedArray):
            ids = ids.combine_chunks()
        ids = ids.cast(pa.string())  # pandas 2 and 3 store large_string or string: one type
        # safe=False: the indices are positions into ids by construction (validation is slow)
        dictionary = pa.DictionaryArray.from_arrays(pa.array(positions), ids, safe=False)
        patient = pd.Series(pd.arrays.ArrowExtensionArray(dictionary))
        return pd.DataFrame(
            {
                "patient_id": patient,
                "column": pd.Categorical.from_codes(ccode, categories=cols),
                "reason": pd.Categorical.from_codes(rcode, categories=reasons),
            },
            copy=False,
        )


@dataclass(frozen=True)
class Cohort:
    """A cohort in the canonical schema, with its audit trail.

    Attributes
    ----------
    data
        One row per loaded patient, every canonical column in its canonical dtype (nullable
        ``Int64``/``boolean``, ``category`` with the YAML levels, ``datetime64[ns]``, ``string``,
        ``float64``), in YAML order, RangeIndex.
    audit
        :class:`LoadAudit`: rows in/loaded/quarantined, quarantine records, cells set missing.
    provenance
        Input SHA-256, profile name and SHA-256, schema name/version/SHA-256, load options,
        endpoint origins, source columns used and ignored, package version.
    missing
        :class:`MissingReasons`: why derived values are missing, one block per column and
        reason (compact; :attr:`missing_reasons` expands it).
    missing_reasons
        One row per derived value that is missing in ``data`` and why: ``patient_id``,
        ``column``, ``reason`` (built from :attr:`missing` on first access, then kept).
        ``column`` and ``reason`` are categoricals and ``patient_id`` is Arrow
        dictionary-encoded text (a registry of a million patients has millions of such
        records); compare, filter and group them like text. :meth:`missing_summary` counts
        them without expanding.

    Examples
    --------
    >>> from crlm_outcomes import Cohort, synthetic_cohort
    >>> cohort = synthetic_cohort(100, seed=7)
    >>> isinstance(cohort, Cohort), len(cohort.data)
    (True, 100)
    >>> cohort.audit.rows_in == cohort.audit.rows_loaded + cohort.audit.rows_quarantined
    True
    """

    data: pd.DataFrame = field(repr=False)
    audit: LoadAudit
    provenance: dict[str, Any] = field(repr=False)
    missing: MissingReasons = field(repr=False)

    @property
    def n(self) -> int:
        """Number of loaded patients."""
        return len(self.data)

    @cached_property
    def missing_reasons(self) -> pd.DataFrame:
        """One record per missing derived value: ``patient_id``, ``column``, ``reason`` (see the
        class docstring)."""
        return self.missing.frame()

    def missing_summary(self) -> pd.DataFrame:
        """Number of missing derived values per column and reason.

        Counts :attr:`missing` block by block, without building :attr:`missing_reasons`.

        Returns
        -------
        pandas.DataFrame
            ``column``, ``reason`` (categoricals, as in :attr:`missing_reasons`) and ``n``,
            one row per column and reason with at least one missing value, sorted by column
            and then by ``n`` (largest first). Empty when nothing is missing.

        Examples
        --------
        >>> from crlm_outcomes import synthetic_cohort
        >>> summary = synthetic_cohort(200, seed=1).missing_summary()
        >>> for r in summary[summary["column"] == "hepatic_rfs_months"].itertuples():
        ...     print(r.n, "-", r.reason)
        66 - no curative liver-directed treatment date (liver_resection_date, ablation_date, liver_transplant_date)
        10 - ned_achieved is False
        4 - recurrence_site missing: hepatic recurrence unknown
        """
        counts = self.missing.counts()
        cols = sorted(set(counts["column"]))  # categories as in missing_reasons
        reasons = sorted(set(counts["reason"]))
        counts = counts[counts["n"] > 0]
        if not len(counts):
            return pd.DataFrame({"column": [], "reason": [], "n": []})
        counts = counts.assign(
            column=pd.Categorical(counts["column"], categories=cols),
            reason=pd.Categorical(counts["reason"], categories=reasons),
        )
        return (
            counts.groupby(["column", "reason"], observed=True)["n"]
            .sum()
            .rename("n")
            .reset_index()
            .sort_values(["column", "n"], ascending=[True, False], ignore_index=True)
        )

    def summary(self) -> str:
        """Plain-text summary: source, profile, row counts, quarantine and missing reasons.

        Returns
        -------
        str
            One line each for the source (profile and schema), the row counts, the input
            SHA-256 and the endpoint origins, then blocks (present only when non-empty) for
            quarantined rows by rule, optional source columns absent from the file, invalid
            cells set missing, cells set missing (first 30) and missing derived values.
            ``str(cohort)`` gives the same text.

        Examples
        --------
        >>> from crlm_outcomes import load_cohort
        >>> from crlm_outcomes.datasets import synthetic_frame
        >>> frame = synthetic_frame(8, seed=1)
        >>> frame.loc[2, "age_at_diagnosis"] = 250.0
        >>> lines = load_cohort(frame).summary().splitlines()
        >>> for line in lines[:2]:
        ...     print(line)
        Cohort: 7 patients loaded from <DataFrame> (profile canonical, schema crlm_canonical 1.1.0)
        rows in 8, loaded 7, quarantined 1
        >>> for line in lines[4:6]:
        ...     print(line)
        quarantined rows by rule:
          age_out_of_range [age_at_diagnosis]: 1
        """
        p = self.provenance
        a = self.audit
        lines = [
            f"Cohort: {a.rows_loaded} patients loaded from {p.get('source')} "
            f"(profile {p.get('profile')}, schema {p.get('schema_name')} "
            f"{p.get('schema_version')})",
            f"rows in {a.rows_in}, loaded {a.rows_loaded}, quarantined {a.rows_quarantined}",
            f"input sha256 {p.get('input_sha256')}",
            "endpoint origins: "
            + json.dumps({k: v.get("origin") for k, v in p.get("endpoint_origins", {}).items()}),
        ]
        if a.rows_quarantined:
            lines.append("quarantined rows by rule:")
            for r in a.quarantine_summary().itertuples(index=False):
                lines.append(f"  {r.rule} [{r.column}]: {r.rows}")
        if len(a.absent_columns):
            lines.append(
                "optional source columns not in the file (canonical column empty "
                "unless another source fills it):"
            )
            for r in a.absent_columns.itertuples(index=False):
                lines.append(f"  {r.source_column} -> {r.column}")
        if len(a.invalid_cells):
            lines.append(
                f"invalid cells set missing (rows kept, see audit.invalid_cells): "
                f"{len(a.invalid_cells)}"
            )
        if len(a.set_missing):
            lines.append("cells set missing (column, value: count, reason):")
            for r in a.set_missing.head(30).itertuples(index=False):
                lines.append(f"  {r.column}, {r.value!r}: {r.count} ({r.reason})")
            if len(a.set_missing) > 30:
                lines.append(f"  … {len(a.set_missing) - 30} more")
        ms = self.missing_summary()
        if len(ms):
            lines.append("derived values missing (column: n, reason):")
            for r in ms.itertuples(index=False):
                lines.append(f"  {r.column}: {r.n} ({r.reason})")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        a = self.audit
        p = self.provenance
        notes = {
            "source": p.get("source"),
            "profile": p.get("profile"),
            "schema": f"{p.get('schema_name')} {p.get('schema_version')}",
            "rows in / loaded / quarantined": f"{a.rows_in} / {a.rows_loaded} / "
            f"{a.rows_quarantined}",
            "input sha256": p.get("input_sha256"),
        }
        frames = {
            "Data (first rows)": self.data.head(10),
            "Quarantined rows by rule": a.quarantine_summary(),
            "Optional source columns not in the file": a.absent_columns,
            "Cells set missing": a.set_missing,
            "Missing derived values": self.missing_summary(),
        }
        return frames_html("Cohort", frames, notes=notes)
