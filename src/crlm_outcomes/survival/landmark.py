"""Landmark analysis: condition on being event-free and under follow-up at a landmark time.

Comparing patients by something that happens *after* time zero — response to chemotherapy,
completion of a second-stage hepatectomy, adjuvant treatment — as if it were known at baseline
gives the "responders" a guaranteed event-free period (they had to live long enough to respond):
immortal-time bias, which makes the exposure look protective even when it is not (Anderson, Cain
& Gelber 1983). The landmark method fixes a time ``L``, keeps only patients still event-free and
under follow-up after ``L``, classifies them by their exposure status at ``L`` (exposed when the
exposure happened at or before ``L``) and restarts the clock at ``L``. Patients exposed after
``L`` count as unexposed; the choice of ``L`` should be clinically motivated and fixed in advance
(Dafni 2011).

References
----------
Anderson JR, Cain KC, Gelber RD. Analysis of survival by tumor response. *J Clin Oncol*
1983;1:710–719.
Dafni U. Landmark analysis at the 25-year landmark point. *Circ Cardiovasc Qual Outcomes*
2011;4:363–371.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes._data import as_frame
from crlm_outcomes._result import Result, warn_deprecated
from crlm_outcomes.errors import SpecError, SurvivalDataError
from crlm_outcomes.survival._inputs import SurvivalInput, as_column_list, survival_input

__all__ = ["LandmarkResult", "landmark"]


@dataclass(frozen=True, eq=False, repr=False)
class LandmarkResult(Result):
    """The landmark cohort and an account of who was left out and why.

    Attributes
    ----------
    table
        The landmark cohort: the rows kept (original index), with ``duration`` reset to time
        since the landmark, the original time in ``<duration>_from_origin``, ``entry`` (if
        given) reset to ``max(entry - L, 0)``, and, with ``exposure_time``, a boolean
        ``exposed_at_landmark``. Before 0.2 this was ``data``; that name still works with a
        FutureWarning.
    landmark
        The landmark time ``L`` (same unit as ``duration``).
    excluded
        index, reason, duration, event: one row per excluded patient. Reasons: "event at or
        before the landmark", "censored at or before the landmark", "entered after the landmark"
        and, from input validation, "missing value".
    counts
        reason, n: the flow from the input cohort to the landmark cohort.
    by, groups
        The grouping column(s) and, per group (R's labels), the rows analysed and kept:
        ``group, n_input, n_landmark`` (one group ``"all"`` without ``by``).

    Examples
    --------
    >>> from crlm_outcomes import landmark
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> lm = landmark(synthetic_cohort(200, seed=1), "os_months", "os_event", by="sex", landmark=6.0)
    >>> lm.counts.to_dict("records")
    [{'reason': 'input rows', 'n': 200}, {'reason': 'event at or before the landmark', 'n': 22}, {'reason': 'landmark cohort', 'n': 178}]
    >>> lm.groups.to_dict("records")
    [{'group': 'female', 'n_input': 81, 'n_landmark': 73}, {'group': 'male', 'n_input': 119, 'n_landmark': 105}]
    """

    table: pd.DataFrame
    landmark: float
    duration: str
    event: str
    excluded: pd.DataFrame
    counts: pd.DataFrame
    by: list[str] = field(default_factory=list)
    groups: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def data(self) -> pd.DataFrame:
        """Deprecated (FutureWarning): the landmark cohort; use :attr:`table`."""
        warn_deprecated("LandmarkResult.data", "LandmarkResult.table")
        return self.table

    @property
    def n(self) -> int:
        """Number of patients in the landmark cohort."""
        return int(len(self.table))

    @property
    def n_excluded(self) -> int:
        """Number of patients excluded (one row each in ``excluded``)."""
        return int(len(self.excluded))

    def _display_title(self) -> str:
        return f"Landmark cohort at {self.duration} = {self.landmark:g}"

    def _display_notes(self) -> dict[str, object]:
        return {"kept": self.n, "excluded": self.n_excluded}

    def _display_frames(self) -> dict[str, pd.DataFrame]:
        frames = {"Cohort flow": self.counts}
        if self.by:
            frames["By group"] = self.groups
        if "exposed_at_landmark" in self.table.columns:
            exp = (
                self.table["exposed_at_landmark"]
                .value_counts()
                .rename_axis("exposed_at_landmark")
                .reset_index(name="n")
            )
            frames["Exposure at the landmark"] = exp
        return frames

    def _repr_fields(self) -> dict[str, object]:
        return {"landmark": self.landmark, "n": self.n, "excluded": self.n_excluded}

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Kaplan-Meier curves of the landmark cohort from the landmark on, by ``by`` (or by
        ``exposed_at_landmark`` when an exposure time was given and no ``by``), drawn by
        :func:`crlm_outcomes.plots.km.plot_km`. Time is counted from the landmark and any
        non-zero event code is an event.

        Parameters
        ----------
        ax
            Axes to draw on; a new one-column figure when None.
        **kwargs
            Options of :func:`~crlm_outcomes.plots.km.plot_km` (``risk_table``, ``times``,
            ``labels``, ``endpoint``, ``pvalue``, ...).

        Returns
        -------
        matplotlib.axes.Axes
            The curve axes (the risk table is drawn as annotations of it).

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from crlm_outcomes import landmark
        >>> from crlm_outcomes.datasets import synthetic_cohort
        >>> cohort = synthetic_cohort(200, seed=1)
        >>> lm = landmark(cohort, "os_months", "os_event", by="sex", landmark=6.0)
        >>> ax = lm.plot(risk_table=False)
        >>> [t.get_text() for t in ax.get_legend().get_texts()], ax.get_ylabel()
        (['Female', 'Male'], 'Survival probability')
        >>> plt.close(ax.figure)
        """
        from crlm_outcomes.survival.kaplan_meier import kaplan_meier

        by: list[str] | None = self.by or None
        if by is None and "exposed_at_landmark" in self.table.columns:
            by = ["exposed_at_landmark"]
        event = (self.table[self.event] != 0).astype("int64")
        frame = self.table.assign(**{self.event: event})
        return kaplan_meier(frame, self.duration, self.event, by=by).plot(ax=ax, **kwargs)


def landmark(
    data: Any,
    duration: str,
    event: str,
    by: str | Sequence[str] | None = None,
    *,
    landmark: float,
    entry: str | None = None,
    exposure_time: str | None = None,
    causes: tuple[int, ...] | None = None,
) -> LandmarkResult:
    """Build the landmark cohort at time ``landmark``.

    A patient is kept when the follow-up time is strictly greater than ``landmark`` (alive,
    event-free and still observed after ``L``); events or censoring at or before ``L`` exclude
    the patient with that reason. Kept patients get ``duration - L`` as their new time.

    Parameters
    ----------
    data
        One row per patient (a DataFrame or a :class:`~crlm_outcomes.io.cohort.Cohort`).
    duration, event
        Follow-up time from the original time zero and event code (0 = censored; any other
        integer is an event — competing causes are kept as they are).
    by
        Column(s) of the groups to compare in the landmark cohort: rows with a missing value
        are excluded ("missing value"), and ``groups`` counts each group before and after the
        landmark.
    landmark
        The landmark time ``L`` >= 0, in the unit of ``duration``.
    entry
        Optional delayed-entry time; patients entering after ``L`` were not under observation at
        the landmark and are excluded.
    exposure_time
        Optional column with the time of a time-dependent exposure (e.g. response, resection);
        missing = the exposure was not observed during follow-up. Patients are classified as
        exposed when ``exposure_time <= L`` (``exposed_at_landmark``).
    causes
        Declared event codes (default: every non-zero code present).

    Returns
    -------
    LandmarkResult

    Raises
    ------
    SpecError
        A negative or non-finite landmark, or no patient left.
    SurvivalDataError
        Bad times or codes (row named), exposure times that are negative or after the end of
        follow-up.

    Examples
    --------
    >>> from crlm_outcomes import landmark
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> cohort = synthetic_cohort(200, seed=1)
    >>> lm = landmark(cohort, "os_months", "os_event", by="sex", landmark=6.0)
    >>> lm.n, lm.n_excluded  # patients alive and followed at 6 months, and the others
    (178, 22)
    """
    from crlm_outcomes.survival.competing_risks import declared_causes

    data = as_frame(data, error=SurvivalDataError)
    if not np.isfinite(landmark) or landmark < 0:
        raise SpecError(
            "landmark must be a finite time >= 0",
            value=landmark,
            expected="e.g. landmark=6 (months)",
        )
    cz = declared_causes(data, event, causes) or (1,)
    si = survival_input(data, duration, event, by=by, entry=entry, causes=cz)
    reasons = _exclusion_reasons(si, landmark)
    keep = reasons.isna().to_numpy()
    excluded = _excluded_rows(data, si, reasons, keep, duration, event)
    kept_index = si.index[keep]
    if len(kept_index) == 0:
        raise SpecError(
            f"no patient is event-free and under follow-up after the landmark {landmark:g}",
            value=landmark,
            expected="an earlier landmark",
        )
    out = data.loc[kept_index].copy()
    out[f"{duration}_from_origin"] = si.time[keep]
    out[duration] = si.time[keep] - landmark
    if si.entry is not None:
        out[entry] = np.maximum(si.entry[keep] - landmark, 0.0)
    if exposure_time is not None:
        out["exposed_at_landmark"] = _exposed_at_landmark(
            data, kept_index, exposure_time, si.time[keep], landmark, duration
        )
    counts = [("input rows", int(len(data)))]
    counts += list(excluded["reason"].value_counts().items()) if len(excluded) else []
    counts.append(("landmark cohort", int(len(out))))
    n_groups = len(si.group_labels)
    groups = pd.DataFrame(
        {
            "group": si.group_labels,
            "n_input": np.bincount(si.group, minlength=n_groups),
            "n_landmark": np.bincount(si.group[keep], minlength=n_groups),
        }
    )
    return LandmarkResult(
        table=out,
        landmark=float(landmark),
        duration=duration,
        event=event,
        excluded=excluded,
        counts=pd.DataFrame(counts, columns=["reason", "n"]),
        by=as_column_list(by),
        groups=groups,
    )


def _exclusion_reasons(si: SurvivalInput, landmark: float) -> pd.Series:
    """Why each analysed row leaves the landmark cohort (missing: it stays)."""
    reasons = pd.Series(pd.NA, index=si.index, dtype="object")
    before = si.time <= landmark
    reasons[before & (si.event != 0)] = "event at or before the landmark"
    reasons[before & (si.event == 0)] = "censored at or before the landmark"
    if si.entry is not None:
        late = ~before & (si.entry > landmark)
        reasons[late] = "entered after the landmark"
    return reasons


def _excluded_rows(
    data: pd.DataFrame,
    si: SurvivalInput,
    reasons: pd.Series,
    keep: np.ndarray,
    duration: str,
    event: str,
) -> pd.DataFrame:
    """One row per excluded patient: index, reason (missing value first, then the landmark
    reasons), duration and event."""
    rows = si.excluded.drop_duplicates("index")
    excl = [
        pd.DataFrame(
            {
                "index": rows["index"],
                "reason": "missing value",
                "duration": data.loc[rows["index"], duration].to_numpy()
                if len(rows) and data.index.is_unique
                else np.nan,
                "event": data.loc[rows["index"], event].to_numpy()
                if len(rows) and data.index.is_unique
                else np.nan,
            }
        )
    ]
    excl.append(
        pd.DataFrame(
            {
                "index": si.index[~keep],
                "reason": reasons[~keep].to_numpy(),
                "duration": si.time[~keep],
                "event": si.event[~keep],
            }
        )
    )
    return (
        pd.concat([e for e in excl if len(e)], ignore_index=True)
        if any(len(e) for e in excl)
        else pd.DataFrame(columns=["index", "reason", "duration", "event"])
    )


def _exposed_at_landmark(
    data: pd.DataFrame,
    kept_index: pd.Index,
    exposure_time: str,
    time: np.ndarray,
    landmark: float,
    duration: str,
) -> np.ndarray:
    """Whether each kept patient's exposure time is at or before the landmark (a missing
    time: not exposed), checked numeric and within ``0 .. time``."""
    if exposure_time not in data.columns:
        raise SurvivalDataError(
            "column for exposure_time not found",
            column=exposure_time,
            expected="a column of the data",
        )
    raw = data.loc[kept_index, exposure_time]
    et = pd.to_numeric(raw, errors="coerce")
    bad = raw.notna() & et.isna()
    if bad.any():
        lab = bad.index[bad.to_numpy()][0]
        raise SurvivalDataError(
            "exposure time is not numeric",
            row=int(lab) if isinstance(lab, (int, np.integer)) else None,
            column=exposure_time,
            value=raw.loc[lab],
            expected="a time",
        )
    et_arr = et.to_numpy(dtype=np.float64)
    wrong = (et_arr < 0) | (et_arr > time)
    if np.any(wrong):
        pos = int(np.flatnonzero(wrong)[0])
        lab = kept_index[pos]
        raise SurvivalDataError(
            "exposure time is negative or after the end of follow-up",
            row=int(lab) if isinstance(lab, (int, np.integer)) else None,
            column=exposure_time,
            value=float(et_arr[pos]),
            expected=f"0 <= {exposure_time} <= {duration}",
        )
    return np.where(np.isnan(et_arr), False, et_arr <= landmark)
