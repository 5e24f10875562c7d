"""Multi-centre analysis without moving patient rows: site files and their pooling.

A site runs :func:`site_export` on its own cohort. The file it writes holds only counts: for each
combination of the grouping columns, whole-month time and event code, the number of patients.
No identifier, date or row-level value leaves the site, and the file starts with a plain-words
description of what it contains, so that the site's data protection officer can review it
before it is sent. Counts between 1 and ``min_cell - 1`` are never published: such a line is
merged with the next line of the same group and event code (its patients are moved to that
later month; the last lines of a group move back to the previous one), and a group with fewer
than ``min_cell`` patients in all is withheld. The file says how many patients were moved and
withheld. With ``min_cell=None`` nothing is merged and the pooled analysis is identical to the
analysis of all sites' rows (on whole-month times).

The coordinator reads the files with :func:`pool_sites` and passes the result to the usual
functions (:func:`crlm_outcomes.kaplan_meier`, :func:`~crlm_outcomes.logrank`,
:func:`~crlm_outcomes.cumulative_incidence`, :func:`~crlm_outcomes.gray_test`), optionally
stratified by ``site``. These estimators depend on the data only through the counts, so the
pooled results equal the pooled-row results exactly (Kaplan–Meier and log-rank: Kaplan & Meier
1958, Mantel 1966; cumulative incidence: Aalen & Johansen 1978; Gray 1988).

The suppression threshold follows the report's disclosure policy (no published count of 1–10:
the CMS/SEER-Medicare cell-size rule).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes._result import Record, short_names
from crlm_outcomes.errors import InputError, SpecError
from crlm_outcomes.scale.aggregate import N_COLUMN, aggregate
from crlm_outcomes.survival._inputs import as_column_list

__all__ = ["SiteData", "site_export", "pool_sites", "FORMAT"]

FORMAT = "crlm_outcomes.site_counts/1"
"""Format name written into every site file and checked when pooling."""

DEFAULT_MIN_CELL = 11


@dataclass(frozen=True, eq=False, repr=False)
class SiteData(Record):
    """Pooled site counts, accepted as ``data`` by the survival functions.

    Attributes
    ----------
    lines
        One row per site, grouping values, time and event code, with :data:`N_COLUMN`.
    sites
        The site names, in the order pooled.
    notes
        Per site: patients exported, moved to a neighbouring month, withheld.

    Examples
    --------
    What :func:`pool_sites` returns for two sites' files:

    >>> import pathlib, tempfile
    >>> import pandas as pd
    >>> df = pd.DataFrame({"months": [1.2, 3.9, 4.0, 7.5] * 5, "dead": [1, 0, 1, 1] * 5})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     files = [site_export(df, "months", "dead", pathlib.Path(tmp) / f"{s}.json",
    ...                          site=s, min_cell=5) for s in ("A", "B")]
    ...     pooled = pool_sites(files)
    >>> pooled
    <SiteData sites=['A', 'B'], patients=40, lines=8>
    >>> pooled.sites
    ['A', 'B']
    """

    lines: pd.DataFrame
    sites: list[str]
    notes: pd.DataFrame

    def _repr_fields(self) -> dict[str, object]:
        return {
            "sites": short_names(self.sites),
            "patients": int(self.lines[N_COLUMN].sum()),
            "lines": len(self.lines),
        }


def _coarsen(months: pd.Series) -> pd.Series:
    """Whole months: the interval (k-1, k] becomes k (a time 0 stays 0)."""
    return np.ceil(months.astype("float64"))


def _merge_small(
    lines: pd.DataFrame, keys: list[str], time: str, min_cell: int
) -> tuple[pd.DataFrame, int, int]:
    """Merge lines of fewer than ``min_cell`` rows into later (or, at the end, earlier) lines
    of the same keys; withhold key groups smaller than ``min_cell``. Returns the new lines, the
    number of rows moved to another month and the number withheld."""
    out, moved, withheld = [], 0, 0
    for _, part in lines.groupby(keys, sort=True, observed=True, dropna=False):
        part = part.sort_values(time, kind="stable")
        n = part[N_COLUMN].to_numpy(np.int64)
        if n.sum() < min_cell:
            withheld += int(n.sum())
            continue
        times: list[float] = []
        counts: list[int] = []
        acc = 0
        for ti, ni in zip(part[time].to_numpy(float), n, strict=True):
            acc += int(ni)
            if acc >= min_cell:
                times.append(ti)
                counts.append(acc)
                moved += acc - int(ni)  # rows of earlier months now counted at ti
                acc = 0
        if acc:  # a small tail goes back into the last published month
            counts[-1] += acc
            moved += acc
        block = part.iloc[[0] * len(times)].copy()
        block[time] = times
        block[N_COLUMN] = counts
        out.append(block)
    merged = pd.concat(out, ignore_index=True) if out else lines.iloc[:0]
    return merged, moved, withheld


def site_export(
    data: Any,
    duration: str,
    event: str,
    path: str | Path,
    *,
    site: str,
    by: str | Sequence[str] | None = None,
    strata: str | Sequence[str] | None = None,
    min_cell: int | None = DEFAULT_MIN_CELL,
    whole_months: bool = True,
) -> Path:
    """Write the counts a pooled analysis needs, and nothing else, to a reviewable JSON file.

    Parameters
    ----------
    data
        The site's cohort (DataFrame, Cohort, DuckDB relation or dataset path, Dask frame).
    duration, event
        Time (months) and event code columns (0 censored, 1.. event or cause codes).
    path
        The file to write (JSON).
    site
        The site's name as it should appear in pooled results.
    by, strata
        Grouping columns the analyses will use (each distinct combination is a group).
    min_cell
        Smallest count published; smaller counts are merged into neighbouring months, and
        smaller groups withheld. ``None`` publishes exact counts (for agreement checks only).
    whole_months
        Round times up to whole months (no exact follow-up time leaves the site).

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> import pandas as pd
    >>> df = pd.DataFrame({"months": [1.2, 3.9, 4.0, 7.5] * 5, "dead": [1, 0, 1, 1] * 5})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = site_export(df, "months", "dead", pathlib.Path(tmp) / "a.json", site="A",
    ...                       min_cell=5)
    ...     lines = json.loads(out.read_text())["lines"]
    >>> for line in lines:  # by outcome code, then time (rounded up to whole months)
    ...     print(line)
    {'time': 4.0, 'dead': 0, 'n': 5}
    {'time': 2.0, 'dead': 1, 'n': 5}
    {'time': 4.0, 'dead': 1, 'n': 5}
    {'time': 8.0, 'dead': 1, 'n': 5}
    """
    if hasattr(data, "audit") and hasattr(data, "data"):
        data = data.data
    keys = [*as_column_list(by), *as_column_list(strata)]
    if "site" in keys:
        raise SpecError(
            "'site' is added by the coordinator; rename the site's own column", column="site"
        )
    if min_cell is not None and min_cell < 2:
        raise SpecError(
            "min_cell must be at least 2 (or None for exact counts)",
            value=min_cell,
            expected="e.g. 11",
        )
    agg = aggregate(data, [*keys, duration, event])
    lines = agg.lines
    if whole_months:
        lines = lines.assign(**{duration: _coarsen(lines[duration])})
        lines = (
            lines.groupby([*keys, duration, event], sort=True, observed=True, dropna=False)[
                N_COLUMN
            ]
            .sum()
            .reset_index()
        )
    moved = withheld = 0
    if min_cell is not None:
        lines, moved, withheld = _merge_small(lines, [*keys, event], duration, min_cell)
    table = lines.rename(columns={duration: "time", N_COLUMN: "n"})
    records = json.loads(table.to_json(orient="records"))
    doc = {
        "format": FORMAT,
        "description": (
            f"Counts of patients from site {site!r}, for pooled survival analysis. Each line is "
            f"the number of patients ('n') with the same {', '.join(keys) or 'cohort'} "
            f"(grouping), the same follow-up time ('time', {'whole months, rounded up' if whole_months else 'as recorded'}) "
            f"and the same outcome code ({event!r}: 0 = alive/censored, other = event or cause). "
            "The file holds no patient identifier, no date and no individual value."
            + (
                f" No count below {min_cell} is published: {moved} patients were moved to a "
                f"neighbouring month and {withheld} patients in groups smaller than {min_cell} "
                "were withheld."
                if min_cell is not None
                else " Counts are exact (no small-cell suppression): for agreement checks only."
            )
        ),
        "site": site,
        "duration": duration,
        "event": event,
        "by": as_column_list(by),
        "strata": as_column_list(strata),
        "time_unit": "whole months (rounded up)" if whole_months else "as recorded",
        "min_cell": min_cell,
        "patients": {
            "read": agg.n_rows,
            "excluded_missing": agg.n_excluded,
            "moved": moved,
            "withheld": withheld,
            "exported": int(table["n"].sum()) if len(table) else 0,
        },
        "lines": records,
    }
    out = Path(path)
    out.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return out


def pool_sites(paths: Sequence[str | Path]) -> SiteData:
    """Read site files and pool them for the survival functions (``strata="site"`` available).

    Parameters
    ----------
    paths : sequence of str or Path
        The site files written by :func:`site_export` (same columns and time unit).

    Returns
    -------
    SiteData
        The pooled lines (with a ``site`` column), the site names and each site's notes;
        pass it as ``data`` to ``kaplan_meier``, ``logrank``, ``cumulative_incidence`` or
        ``gray_test``.

    Raises
    ------
    InputError
        A file that is not a site file, or files exported with different columns.

    Examples
    --------
    Two hospitals export whole-month counts; the coordinator pools them (the same Kaplan–Meier
    as on the pooled rows with times rounded up to whole months):

    >>> import pathlib, tempfile
    >>> import pandas as pd
    >>> import crlm_outcomes as co
    >>> a = pd.DataFrame({"months": [1.2, 3.9, 4.0, 7.5] * 5, "dead": [1, 0, 1, 1] * 5})
    >>> b = pd.DataFrame({"months": [2.5, 3.1, 6.0, 9.4] * 5, "dead": [1, 1, 0, 1] * 5})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     files = [site_export(d, "months", "dead", pathlib.Path(tmp) / f"{s}.json",
    ...                          site=s, min_cell=5) for s, d in (("A", a), ("B", b))]
    ...     pooled = pool_sites(files)
    >>> km = co.kaplan_meier(pooled, "months", "dead")
    >>> for row in km.table.itertuples():
    ...     print(f"month {row.time:g}: at risk {row.n_risk:g}, S = {row.survival:.3f}")
    month 2: at risk 40, S = 0.875
    month 3: at risk 35, S = 0.750
    month 4: at risk 30, S = 0.500
    month 6: at risk 15, S = 0.500
    month 8: at risk 10, S = 0.250
    month 10: at risk 5, S = 0.000
    """
    frames, notes, first = [], [], None
    for p in paths:
        try:
            doc = json.loads(Path(p).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(
                "not a readable site file",
                file=str(p),
                expected=f"JSON written by site_export ({FORMAT})",
            ) from exc
        if doc.get("format") != FORMAT:
            raise InputError(
                "not a site file", file=str(p), value=doc.get("format"), expected=FORMAT
            )
        shape = (doc["duration"], doc["event"], doc["by"], doc["strata"], doc["time_unit"])
        if first is None:
            first = shape
        elif shape != first:
            raise InputError(
                "site files exported with different columns or time units",
                file=str(p),
                value=shape,
                expected=str(first),
            )
        lines = pd.DataFrame(
            doc["lines"], columns=[*doc["by"], *doc["strata"], "time", doc["event"], "n"]
        )
        lines = lines.rename(columns={"time": doc["duration"], "n": N_COLUMN})
        frames.append(lines.assign(site=doc["site"]))
        notes.append({"site": doc["site"], **doc["patients"]})
    if first is None:
        raise SpecError("pool_sites needs at least one site file", value=list(paths))
    pooled = pd.concat(frames, ignore_index=True)
    return SiteData(lines=pooled, sites=[n["site"] for n in notes], notes=pd.DataFrame(notes))
