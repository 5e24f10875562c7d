"""Derivation of the survival endpoints of the canonical schema from dates and status.

Definitions (``canonical.yaml``, group *endpoints*; months = days / ``days_per_month`` = 30.4375):

* **Overall survival** (OS): from the origin chosen by the ``os_origin`` load option —
  ``liver_mets_diagnosis`` (default; ``liver_mets_diagnosis_date``), ``liver_resection``
  (``liver_resection_date``) or ``primary_diagnosis`` (``primary_diagnosis_date``) — to death
  (``death_date``) for patients with ``vital_status == dead``, else to ``last_followup_date``.
  ``canonical.yaml`` defines ``last_followup_date`` as "last contact alive, or death", so a dead
  patient without ``death_date`` ends at ``last_followup_date`` (counted in the origins record).
  ``os_event`` = 1 dead, 0 alive.
* **Recurrence-free survival** (RFS): from curative liver-directed treatment —
  ``liver_resection_date``, else ``ablation_date``, else ``liver_transplant_date`` — to the first
  recurrence (``recurrence_date``) or death, censored at last follow-up. ``rfs_cause`` codes the
  competing risks: 1 recurrence, 2 death without recurrence, 0 censored (Fine & Gray, JASA 1999
  convention; R ``cmprsk::cuminc`` ``fstatus``). Not defined (missing with a reason) for a patient
  with no such treatment date or with ``ned_achieved`` False.
* **Hepatic RFS**: same origin; event = hepatic first recurrence (site ``liver`` or
  ``liver_and_extrahepatic``) or death; an extrahepatic-only first recurrence censors at its date
  because later liver events are not recorded.

Registry sources (SEER, NCDB, TCIA) carry endpoint months directly; those are kept, and their
declared origin (profile ``endpoint_origins``) is recorded. Every endpoint value that cannot be
derived is missing and gets a (row, column, reason) record.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crlm_outcomes._result import Record, short_names
from crlm_outcomes.errors import SpecError
from crlm_outcomes.schema.definition import SchemaDefinition, empty_columns, nrows
from crlm_outcomes.schema.endpoint_map import OS_ORIGINS

__all__ = [
    "OS_ORIGINS",
    "EndpointResult",
    "MissingBlock",
    "derive_endpoints",
    "derive_node_positive",
    "missing_frame",
]

_RFS_ORIGIN_COLUMNS = ("liver_resection_date", "ablation_date", "liver_transplant_date")
_HEPATIC_SITES = ("liver", "liver_and_extrahepatic")


#: One block of missing endpoint values: (rows, column, reason); ``rows`` holds 0-based
#: positions, or is ``None`` when the value is missing for every row.
MissingBlock = tuple[np.ndarray | None, str, str]


@dataclass(frozen=True, eq=False, repr=False)
class EndpointResult(Record):
    """Derived endpoint columns, why values are missing, and where each endpoint starts.

    Attributes
    ----------
    columns
        Endpoint column name → Series (canonical dtype) for every endpoint produced.
    missing_blocks
        Why endpoint values are missing, compactly: one ``(rows, column, reason)`` block per
        reason and column, ``rows`` the 0-based positions or ``None`` for every row (a registry
        without treatment dates has no RFS for any of its million patients: one block, not a
        million records).
    n_rows
        Number of rows the endpoints were derived for.
    origins
        Endpoint → description of its origin, end and source (for the provenance).

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.schema import canonical_definition
    >>> from crlm_outcomes.schema.endpoints import derive_endpoints
    >>> schema = canonical_definition()
    >>> df = schema.empty_frame(2)
    >>> df["liver_mets_diagnosis_date"] = pd.to_datetime(["2019-01-10", None])
    >>> df["last_followup_date"] = pd.to_datetime(["2021-03-01", "2022-01-01"])
    >>> df["vital_status"] = pd.Categorical(["alive", "alive"], dtype=df["vital_status"].dtype)
    >>> result = derive_endpoints(df, schema)
    >>> result.n_rows, result.columns["os_months"].round(2).tolist()
    (2, [25.66, nan])
    >>> result
    <EndpointResult rows=2, columns=['os_months', 'os_event', 'rfs_months', 'rfs_event', '...'], missing_blocks=7>
    >>> print(result.missing.query("column == 'os_months'").to_string(index=False))
     row    column                            reason
       1 os_months liver_mets_diagnosis_date missing
    """

    columns: dict[str, pd.Series]
    missing_blocks: tuple[MissingBlock, ...]
    n_rows: int
    origins: dict[str, dict[str, str]]

    def _repr_fields(self) -> dict[str, object]:
        return {
            "rows": self.n_rows,
            "columns": short_names(self.columns),
            "missing_blocks": len(self.missing_blocks),
        }

    @property
    def missing(self) -> pd.DataFrame:
        """One record per missing endpoint value: ``row`` (0-based position), ``column``,
        ``reason`` (categoricals), in block order; built from :attr:`missing_blocks`."""
        return missing_frame(self.missing_blocks, self.n_rows)


def missing_frame(
    blocks: tuple[MissingBlock, ...], n: int, columns: tuple[str, ...] | None = None
) -> pd.DataFrame:
    """The (row, column, reason) records of ``blocks`` (``None`` rows = all ``n`` rows), with
    ``column`` and ``reason`` categoricals whose categories are those of every block; only the
    blocks of ``columns`` when given.

    Parameters
    ----------
    blocks
        ``(rows, column, reason)`` blocks (:data:`MissingBlock`): ``rows`` the 0-based
        positions, or ``None`` for every row.
    n
        Number of rows of the frame the blocks refer to (the length of a ``None`` block).
    columns
        Keep only the blocks of these columns; ``None`` (default) keeps all.

    Returns
    -------
    pandas.DataFrame
        Columns ``row`` (int64), ``column`` and ``reason`` (categoricals, with the columns
        and reasons of all blocks as categories, sorted), one record per missing value, in
        block order.

    Examples
    --------
    >>> import numpy as np
    >>> from crlm_outcomes.schema.endpoints import missing_frame
    >>> blocks = (
    ...     (np.array([0, 2]), "rfs_months", "no curative liver treatment date"),
    ...     (None, "os_months", "last_followup_date missing"))
    >>> print(missing_frame(blocks, 3).to_string(index=False))
     row     column                           reason
       0 rfs_months no curative liver treatment date
       2 rfs_months no curative liver treatment date
       0  os_months       last_followup_date missing
       1  os_months       last_followup_date missing
       2  os_months       last_followup_date missing
    >>> len(missing_frame(blocks, 3, columns=("rfs_months",)))
    2
    """
    if not blocks:
        return pd.DataFrame(
            {
                "row": pd.Series([], dtype="int64"),
                "column": pd.Categorical([]),
                "reason": pd.Categorical([]),
            }
        )
    cols = sorted({c for _, c, _ in blocks})
    reasons = sorted({r for _, _, r in blocks})
    ci = {c: i for i, c in enumerate(cols)}
    ri = {r: i for i, r in enumerate(reasons)}
    chosen = [b for b in blocks if columns is None or b[1] in columns]
    total = sum(n if b[0] is None else len(b[0]) for b in chosen)
    rows = np.empty(total, dtype=np.int64)
    ccode = np.empty(total, dtype=np.int8 if len(cols) < 128 else np.int32)
    rcode = np.empty(total, dtype=np.int8 if len(reasons) < 128 else np.int32)
    pos = 0
    for block_rows, col, reason in chosen:
        end = pos + (n if block_rows is None else len(block_rows))
        rows[pos:end] = np.arange(n) if block_rows is None else block_rows
        ccode[pos:end] = ci[col]
        rcode[pos:end] = ri[reason]
        pos = end
    return pd.DataFrame(
        {
            "row": rows,
            "column": pd.Categorical.from_codes(ccode, categories=cols),
            "reason": pd.Categorical.from_codes(rcode, categories=reasons),
        },
        copy=False,
    )


class _Missing:
    """Collects (rows, column, reason) blocks (``None`` rows: every row)."""

    def __init__(self) -> None:
        self.blocks: list[MissingBlock] = []

    def add(self, mask: np.ndarray, columns: tuple[str, ...], reason: str) -> None:
        if mask.all():
            rows = None if len(mask) else np.zeros(0, dtype=np.int64)
        else:
            rows = np.flatnonzero(mask)
        if rows is None or len(rows):
            for col in columns:
                self.blocks.append((rows, col, reason))


def _dates(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame:
        return np.full(nrows(frame), np.datetime64("NaT"), dtype="datetime64[ns]")
    return frame[name].to_numpy(dtype="datetime64[ns]")


def _months(end: np.ndarray, start: np.ndarray, days_per_month: float) -> np.ndarray:
    delta = (end - start).astype("timedelta64[ns]").astype("int64").astype(float)
    out = delta / (86400e9 * days_per_month)
    out[np.isnat(end) | np.isnat(start)] = np.nan
    return out


def _first_date(frame: pd.DataFrame, names: tuple[str, ...]) -> np.ndarray | None:
    """Row-wise first present date of the columns ``names``, in order; ``None`` when none of
    them holds any date (columns a source does not carry are not scanned further)."""
    first = None
    for name in names:
        d = _dates(frame, name)
        if np.isnat(d).all():
            continue
        first = d if first is None else np.where(np.isnat(first), d, first)
    return first


def _int_col(values: np.ndarray, ok: np.ndarray) -> pd.Series:
    """Int64 column of ``values`` where ``ok``, missing elsewhere."""
    missing = ~np.asarray(ok, dtype=bool)
    data = np.asarray(values).astype(np.int64)  # a fresh array: zeroed in place
    data[missing] = 0
    return pd.Series(pd.arrays.IntegerArray(data, missing))


def _status(frame: pd.DataFrame, name: str, level: str) -> tuple[np.ndarray, np.ndarray]:
    """(is level, is known) masks of a categorical column."""
    if name not in frame:
        n = nrows(frame)
        return np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    s = frame[name]
    known = s.notna().to_numpy()
    return (s == level).fillna(False).to_numpy(dtype=bool) & known, known


def derive_node_positive(frame: pd.DataFrame) -> tuple[pd.Series, int]:
    """``primary_node_positive`` filled from ``primary_n_stage`` where it is missing.

    N0 → False; N1, N1a, N1b, N1c, N2, N2a, N2b → True (AJCC 8th ed., colon and rectum: N1-N2 =
    regional lymph-node metastasis). Source: Amin MB, Edge SB, Greene FL, et al. (eds). AJCC
    Cancer Staging Manual, 8th ed. Springer 2017, chapter 20 (Colon and Rectum), regional
    lymph nodes (N).

    Parameters
    ----------
    frame
        Frame with the canonical columns ``primary_node_positive`` (nullable boolean) and
        ``primary_n_stage`` (categorical or text).

    Returns
    -------
    tuple of (pandas.Series, int)
        ``primary_node_positive`` (nullable ``boolean``, recorded values kept, filled from
        the N stage where missing) and the number of values filled.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.schema.endpoints import derive_node_positive
    >>> df = pd.DataFrame({
    ...     "primary_node_positive": pd.array([True, None, None, None], dtype="boolean"),
    ...     "primary_n_stage": ["N1", "N0", "N2a", None]})
    >>> positive, n_filled = derive_node_positive(df)
    >>> positive.tolist(), n_filled
    ([True, False, True, <NA>], 2)
    """
    current = frame["primary_node_positive"]
    stage = frame["primary_n_stage"]
    missing = current.isna().to_numpy()
    fill = missing & stage.notna().to_numpy()
    n_filled = int(np.count_nonzero(fill))
    if not n_filled:
        return current.astype("boolean"), 0
    values = current.to_numpy(dtype=bool, na_value=False)  # a new array: filled in place
    if isinstance(stage.dtype, pd.CategoricalDtype):  # one test per stage level, not per row
        positive = np.array([str(level) != "N0" for level in stage.cat.categories], dtype=bool)
        values[fill] = positive[stage.cat.codes.to_numpy()[fill]]
    else:
        values[fill] = stage[fill].astype(str).to_numpy() != "N0"
    out = pd.Series(
        pd.arrays.BooleanArray(values, missing & ~fill), index=current.index, name=current.name
    )
    return out, n_filled


#: Site flags of metastases at diagnosis, in the order of ``extrahepatic_sites``.
EXTRAHEPATIC_SITE_COLUMNS = {
    "extrahepatic_lung": "lung",
    "extrahepatic_bone": "bone",
    "extrahepatic_brain": "brain",
    "extrahepatic_distant_nodes": "distant_nodes",
    "extrahepatic_other": "other",
}


def derive_extrahepatic(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series, int]:
    """``extrahepatic_disease`` and ``extrahepatic_sites`` filled from the per-site flags
    (registry "mets at diagnosis" items) where they are missing.

    Disease is True when any site flag is True, False only when every site flag is known
    False (a registry era without the distant-node or other-site items cannot say "none");
    the sites text lists the True flags (lung; bone; brain; distant_nodes; other), except
    where ``extrahepatic_disease`` is recorded False (a conflict left as the source has it, not
    resolved by a guess). Only for synchronous patients (``liver_mets_at_primary_diagnosis``
    True): the flags describe the time of diagnosis of the primary, which is the time of the
    liver diagnosis only for them.

    Parameters
    ----------
    frame
        Frame with the canonical columns ``extrahepatic_disease`` (nullable boolean),
        ``extrahepatic_sites`` (text), ``liver_mets_at_primary_diagnosis`` and any of the site
        flags ``extrahepatic_lung``, ``_bone``, ``_brain``, ``_distant_nodes``, ``_other``
        (nullable boolean; :data:`EXTRAHEPATIC_SITE_COLUMNS`).

    Returns
    -------
    tuple of (pandas.Series, pandas.Series, int)
        ``extrahepatic_disease`` (nullable ``boolean``) and ``extrahepatic_sites`` (in its
        input dtype; sites joined by ``;``), recorded values kept and filled from the flags
        where missing, and the number of ``extrahepatic_disease`` values filled. The inputs
        come back unchanged when no site flag is recorded.

    Examples
    --------
    Three synchronous patients and one metachronous (not filled, whatever its flags):

    >>> import pandas as pd
    >>> from crlm_outcomes.schema.endpoints import derive_extrahepatic
    >>> def flags(*values):
    ...     return pd.array(values, dtype="boolean")
    >>> df = pd.DataFrame({
    ...     "liver_mets_at_primary_diagnosis": flags(True, True, True, False),
    ...     "extrahepatic_disease": flags(None, None, True, None),
    ...     "extrahepatic_sites": pd.array([None, None, "lung", None], dtype="string"),
    ...     "extrahepatic_lung": flags(True, False, False, True),
    ...     "extrahepatic_bone": flags(True, False, False, None),
    ...     "extrahepatic_brain": flags(False, False, False, None),
    ...     "extrahepatic_distant_nodes": flags(False, False, False, None),
    ...     "extrahepatic_other": flags(False, False, False, None)})
    >>> disease, sites, n_filled = derive_extrahepatic(df)
    >>> disease.tolist(), sites.tolist(), n_filled
    ([True, False, True, <NA>], ['lung;bone', <NA>, 'lung', <NA>], 2)
    """
    disease = frame["extrahepatic_disease"]
    sites = frame["extrahepatic_sites"]
    flags = [frame[c] for c in EXTRAHEPATIC_SITE_COLUMNS if c in frame]
    if not flags or not any(f.notna().any() for f in flags):
        return disease, sites, 0
    true = np.vstack([f.to_numpy(dtype=bool, na_value=False) for f in flags])
    known = np.vstack([f.notna().to_numpy() for f in flags])
    sync = frame["liver_mets_at_primary_diagnosis"].to_numpy(dtype=bool, na_value=False)
    true &= sync
    known &= sync
    any_true = np.asarray(true.any(axis=0))
    all_false = (
        np.asarray(known.all(axis=0)) & ~any_true & (len(flags) == len(EXTRAHEPATIC_SITE_COLUMNS))
    )
    fill = disease.isna().to_numpy() & (any_true | all_false)
    n_filled = int(np.count_nonzero(fill))
    if n_filled:
        values = disease.to_numpy(dtype=bool, na_value=False)
        values[fill] = any_true[fill]
        disease = pd.Series(
            pd.arrays.BooleanArray(values, disease.isna().to_numpy() & ~fill),
            index=disease.index,
            name=disease.name,
        )
    # a recorded "no extrahepatic disease" is not contradicted by a filled sites text: the
    # conflict stays visible in the flags, the sites stay missing
    recorded_none = disease.eq(False).fillna(False).to_numpy(dtype=bool)
    fill_sites = sites.isna().to_numpy() & any_true & ~recorded_none
    if fill_sites.any():
        names = np.array(
            [EXTRAHEPATIC_SITE_COLUMNS[c] for c in EXTRAHEPATIC_SITE_COLUMNS if c in frame],
            dtype=object,
        )
        patterns, inverse = np.unique(true[:, fill_sites].T, axis=0, return_inverse=True)
        texts = np.array([";".join(names[p]) for p in patterns], dtype=object)
        out = sites.astype(object).to_numpy(copy=True)
        out[fill_sites] = texts[inverse.ravel()]
        sites = pd.Series(out, index=sites.index, name=sites.name).astype(sites.dtype)
    return disease, sites, n_filled


@dataclass(frozen=True)
class _Status:
    """Vital status and the follow-up end dates, shared by every endpoint."""

    dead: np.ndarray
    vital_known: np.ndarray
    death: np.ndarray
    last: np.ndarray

    @property
    def alive(self) -> np.ndarray:
        return self.vital_known & ~self.dead


def _status_of(frame: pd.DataFrame) -> _Status:
    dead, vital_known = _status(frame, "vital_status", "dead")
    return _Status(
        dead=dead,
        vital_known=vital_known,
        death=_dates(frame, "death_date"),
        last=_dates(frame, "last_followup_date"),
    )


def _os_carried(
    frame: pd.DataFrame, st: _Status, origin: str, miss: _Missing
) -> tuple[dict[str, pd.Series], dict[str, str]]:
    """OS months read from the source (its event too when the source has one, else from the
    vital status); the declared origin is recorded."""
    cols: dict[str, pd.Series] = {}
    months = frame["os_months"].to_numpy(dtype=float, na_value=np.nan)
    cols["os_months"] = pd.Series(months)
    miss.add(np.isnan(months), ("os_months",), "os_months missing in the source")
    if "os_event" in frame and frame["os_event"].notna().any():
        ev = frame["os_event"]
        cols["os_event"] = ev.astype("Int64").reset_index(drop=True)
        miss.add(ev.isna().to_numpy(), ("os_event",), "event status missing in the source")
    else:
        cols["os_event"] = _int_col(st.dead, st.vital_known)
        miss.add(~st.vital_known, ("os_event",), "vital_status missing")
    return cols, {
        "origin": origin,
        "source": "months read from the source file",
        "event": "vital_status (dead = 1)",
    }


def _os_derived(
    frame: pd.DataFrame, st: _Status, os_origin: str, dpm: float, miss: _Missing
) -> tuple[dict[str, pd.Series], dict[str, str]]:
    """OS from dates: ``os_origin``'s date to death (the last follow-up when a dead patient's
    death date is missing) or to the last follow-up; every missing value with its reason."""
    origin_col = OS_ORIGINS[os_origin]
    start = _dates(frame, origin_col)
    dead, vital_known, death, last, alive = st.dead, st.vital_known, st.death, st.last, st.alive
    end = np.where(dead, np.where(np.isnat(death), last, death), last)
    conflict = alive & ~np.isnat(death)
    months = _months(end, start, dpm)
    ok = vital_known & ~conflict & ~np.isnan(months)
    months[~ok] = np.nan
    cols = {
        "os_months": pd.Series(months),
        "os_event": _int_col(dead, vital_known & ~conflict & ok),
    }
    both = ("os_months", "os_event")
    miss.add(~vital_known, both, "vital_status missing")
    miss.add(conflict, both, "vital_status alive but death_date recorded")
    miss.add(vital_known & ~conflict & np.isnat(start), both, f"{origin_col} missing")
    miss.add(
        vital_known & ~conflict & ~np.isnat(start) & dead & np.isnat(death) & np.isnat(last),
        both,
        "dead but death_date and last_followup_date missing",
    )
    miss.add(
        vital_known & ~conflict & ~np.isnat(start) & alive & np.isnat(last),
        both,
        "last_followup_date missing",
    )
    return cols, {
        "origin": os_origin,
        "origin_column": origin_col,
        "end": "death_date if vital_status is dead (last_followup_date when death_date is "
        "missing), else last_followup_date",
        "source": "derived from dates",
        "dead_without_death_date": str(int((dead & np.isnat(death) & ok).sum())),
    }


@dataclass(frozen=True)
class _RfsInputs:
    """The origin and the ends of RFS and hepatic RFS, row by row.

    ``start`` is the first curative liver-directed treatment date (all NaT when the source
    has none); the end fields are only read when some row has an origin (``all_undefined``
    False)."""

    start: np.ndarray
    no_origin: np.ndarray
    ned_false: np.ndarray
    undefined: np.ndarray
    all_undefined: bool
    rec: np.ndarray
    has_rec: np.ndarray
    site_known: np.ndarray
    hepatic_site: np.ndarray
    no_rec_end: np.ndarray
    site_without_date: np.ndarray


def _rfs_inputs(frame: pd.DataFrame, st: _Status, n: int) -> _RfsInputs:
    rfs_start = _first_date(frame, _RFS_ORIGIN_COLUMNS)
    ned_false = np.zeros(n, dtype=bool)
    if "ned_achieved" in frame:
        ned_false = (frame["ned_achieved"] == False).fillna(False).to_numpy(dtype=bool)  # noqa: E712
    no_origin = np.ones(n, dtype=bool) if rfs_start is None else np.isnat(rfs_start)
    undefined = no_origin | ned_false
    all_undefined = bool(undefined.all())
    nat = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    none = np.zeros(n, dtype=bool)
    start = nat if rfs_start is None else rfs_start
    if all_undefined:  # a registry without treatment dates has no ends of RFS to read
        return _RfsInputs(
            start=start,
            no_origin=no_origin,
            ned_false=ned_false,
            undefined=undefined,
            all_undefined=True,
            rec=nat,
            has_rec=none,
            site_known=none,
            hepatic_site=none,
            no_rec_end=nat,
            site_without_date=none,
        )
    rec = _dates(frame, "recurrence_date")
    has_rec = ~np.isnat(rec)
    site = (
        frame["recurrence_site"]
        if "recurrence_site" in frame
        else pd.Series(pd.NA, index=pd.RangeIndex(n), dtype=object)
    )
    site_known = site.notna().to_numpy()
    hepatic_site = site.isin(_HEPATIC_SITES).fillna(False).to_numpy(dtype=bool) & site_known
    death_end = np.where(np.isnat(st.death), st.last, st.death)
    no_rec_end = np.where(st.dead, death_end, st.last)
    return _RfsInputs(
        start=start,
        no_origin=no_origin,
        ned_false=ned_false,
        undefined=undefined,
        all_undefined=False,
        rec=rec,
        has_rec=has_rec,
        site_known=site_known,
        hepatic_site=hepatic_site,
        no_rec_end=no_rec_end,
        site_without_date=~has_rec & site_known,
    )


def _no_origin_reasons(miss: _Missing, r: _RfsInputs, columns: tuple[str, ...]) -> None:
    miss.add(
        r.no_origin,
        columns,
        "no curative liver-directed treatment date "
        "(liver_resection_date, ablation_date, liver_transplant_date)",
    )
    miss.add(~r.no_origin & r.ned_false, columns, "ned_achieved is False")


def _end_reasons(
    miss: _Missing, r: _RfsInputs, st: _Status, columns: tuple[str, ...], ok_before: np.ndarray
) -> None:
    miss.add(
        ok_before & r.site_without_date, columns, "recurrence_site recorded without recurrence_date"
    )
    rest = ok_before & ~r.site_without_date
    miss.add(rest & ~r.has_rec & ~st.vital_known, columns, "vital_status missing")
    miss.add(
        rest & ~r.has_rec & st.vital_known & np.isnat(r.no_rec_end),
        columns,
        "follow-up end date missing",
    )


def _carried_column(
    frame: pd.DataFrame, name: str, schema: SchemaDefinition, n: int, miss: _Missing
) -> pd.Series:
    """An endpoint column read from the source (all missing when the source lacks it), with
    where it is missing recorded."""
    if name in frame and frame[name].notna().any():
        s = frame[name].reset_index(drop=True)
        miss.add(s.isna().to_numpy(), (name,), f"{name} missing in the source")
        if name.endswith("months"):
            return pd.Series(s.to_numpy(dtype=float, na_value=np.nan))
        return s.astype("Int64")
    miss.add(np.ones(n, dtype=bool), (name,), f"{name} not in the source")
    return empty_columns([schema.columns[name]], n)[name]


def _rfs_derived(r: _RfsInputs, st: _Status, dpm: float, miss: _Missing) -> dict[str, pd.Series]:
    """RFS from dates: curative treatment to recurrence (event, cause 1) or death (event,
    cause 2), else censored at the last follow-up."""
    end = np.where(r.has_rec, r.rec, r.no_rec_end)
    months = _months(end, r.start, dpm)
    ok = ~r.undefined & ~r.site_without_date & (r.has_rec | st.vital_known) & ~np.isnan(months)
    months[~ok] = np.nan
    event = (r.has_rec | st.dead).astype(int)
    cause = np.where(r.has_rec, 1, np.where(st.dead, 2, 0))
    cols = {
        "rfs_months": pd.Series(months),
        "rfs_event": _int_col(event, ok),
        "rfs_cause": _int_col(cause, ok),
    }
    _no_origin_reasons(miss, r, _RFS_COLUMNS)
    _end_reasons(miss, r, st, _RFS_COLUMNS, ~r.undefined)
    return cols


def _hepatic_rfs_derived(
    r: _RfsInputs, st: _Status, dpm: float, miss: _Missing
) -> dict[str, pd.Series]:
    """Hepatic RFS from dates: a hepatic recurrence or death is the event; an
    extrahepatic-only recurrence censors at its date."""
    rec_site_unknown = r.has_rec & ~r.site_known
    end = np.where(r.has_rec, r.rec, r.no_rec_end)
    months = _months(end, r.start, dpm)
    ok = (
        ~r.undefined
        & ~r.site_without_date
        & ~rec_site_unknown
        & (r.has_rec | st.vital_known)
        & ~np.isnan(months)
    )
    months[~ok] = np.nan
    event = np.where(r.has_rec, r.hepatic_site, st.dead).astype(int)
    cols = {"hepatic_rfs_months": pd.Series(months), "hepatic_rfs_event": _int_col(event, ok)}
    _no_origin_reasons(miss, r, _HEPATIC_COLUMNS)
    _end_reasons(miss, r, st, _HEPATIC_COLUMNS, ~r.undefined)
    miss.add(
        ~r.undefined & rec_site_unknown,
        _HEPATIC_COLUMNS,
        "recurrence_site missing: hepatic recurrence unknown",
    )
    return cols


_RFS_COLUMNS = ("rfs_months", "rfs_event", "rfs_cause")
_HEPATIC_COLUMNS = ("hepatic_rfs_months", "hepatic_rfs_event")
_RFS_ORIGIN = {
    "origin": "curative_liver_treatment",
    "origin_column": "first of liver_resection_date, ablation_date, liver_transplant_date",
    "end": "recurrence_date, else death, else last_followup_date",
    "source": "derived from dates",
}
_HEPATIC_ORIGIN = {
    "origin": "curative_liver_treatment",
    "origin_column": "first of liver_resection_date, ablation_date, liver_transplant_date",
    "end": "hepatic recurrence (event), extrahepatic-only recurrence (censored at its "
    "date), else death (event), else last_followup_date (censored)",
    "source": "derived from dates",
}


def derive_endpoints(
    frame: pd.DataFrame,
    schema: SchemaDefinition,
    *,
    os_origin: str = "liver_mets_diagnosis",
    carried: dict[str, str] | None = None,
) -> EndpointResult:
    """Derive OS, RFS and hepatic RFS (see the module docstring).

    Parameters
    ----------
    frame
        Canonical columns (dates as datetime64, categories with canonical levels). Endpoint
        columns already filled from the source are kept when the endpoint is in ``carried``.
    schema
        The schema (for ``days_per_month``).
    os_origin
        Origin of derived OS: one of :data:`OS_ORIGINS`.
    carried
        Endpoint (``os``, ``rfs``, ``hepatic_rfs``) → declared origin, for endpoints whose months
        come from the source file.

    Returns
    -------
    EndpointResult
        The seven endpoint columns (``os_months``, ``os_event``, ``rfs_months``, ``rfs_event``,
        ``rfs_cause``, ``hepatic_rfs_months``, ``hepatic_rfs_event``), a reason for every
        missing value, and the origin of each endpoint.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.schema import canonical_definition
    >>> from crlm_outcomes.schema.endpoints import derive_endpoints
    >>> schema = canonical_definition()
    >>> df = schema.empty_frame(2)
    >>> df["liver_mets_diagnosis_date"] = pd.to_datetime(["2019-01-10", "2019-06-01"])
    >>> df["liver_resection_date"] = pd.to_datetime(["2019-03-01", None])
    >>> df["vital_status"] = pd.Categorical(["dead", "alive"], dtype=df["vital_status"].dtype)
    >>> df["death_date"] = pd.to_datetime(["2021-03-01", None])
    >>> df["last_followup_date"] = pd.to_datetime(["2021-03-01", "2022-06-01"])
    >>> result = derive_endpoints(df, schema)
    >>> result.columns["os_months"].round(2).tolist(), result.columns["os_event"].tolist()
    ([25.66, 36.01], [1, 0])
    >>> result.columns["rfs_months"].round(2).tolist(), result.columns["rfs_cause"].tolist()
    ([24.02, nan], [2, <NA>])
    >>> print(result.missing.query("column == 'rfs_months'")["reason"].iloc[0])
    no curative liver-directed treatment date (liver_resection_date, ablation_date, liver_transplant_date)
    >>> result.origins["os"]["origin_column"]
    'liver_mets_diagnosis_date'
    """
    if os_origin not in OS_ORIGINS:
        raise SpecError("invalid os_origin", value=os_origin, expected=f"one of {list(OS_ORIGINS)}")
    carried = dict(carried or {})
    dpm = schema.days_per_month
    n = nrows(frame)
    miss = _Missing()
    st = _status_of(frame)
    if "os" in carried:
        cols, os_info = _os_carried(frame, st, carried["os"], miss)
    else:
        cols, os_info = _os_derived(frame, st, os_origin, dpm, miss)
    origins: dict[str, dict[str, str]] = {"os": os_info}

    r = _rfs_inputs(frame, st, n)
    blank = empty_columns(
        [  # all-missing endpoint columns (canonical dtypes), built together
            schema.columns[name]
            for endpoint, names in (("rfs", _RFS_COLUMNS), ("hepatic_rfs", _HEPATIC_COLUMNS))
            if r.all_undefined and endpoint not in carried
            for name in names
        ],
        n,
    )
    derive = {
        "rfs": (_RFS_COLUMNS, _rfs_derived, _RFS_ORIGIN),
        "hepatic_rfs": (_HEPATIC_COLUMNS, _hepatic_rfs_derived, _HEPATIC_ORIGIN),
    }
    for endpoint, (names, derived, origin) in derive.items():
        if endpoint in carried:
            for name in names:
                cols[name] = _carried_column(frame, name, schema, n, miss)
            origins[endpoint] = {
                "origin": carried[endpoint],
                "source": "months read from the source file",
            }
        elif r.all_undefined:  # e.g. a registry without treatment dates: nothing to compute
            for name in names:
                cols[name] = blank[name]
            _no_origin_reasons(miss, r, names)
            origins[endpoint] = dict(origin)
        else:
            cols.update(derived(r, st, dpm, miss))
            origins[endpoint] = dict(origin)
    return EndpointResult(
        columns=cols, missing_blocks=tuple(miss.blocks), n_rows=n, origins=origins
    )
