"""Groups defined by what happens after the time origin, and the immortal-time warning.

A patient is "converted to NED", "treated by two-stage hepatectomy" or "re-treated for
recurrence" only if alive (and event-free) long enough to reach that event. Comparing such
groups on overall or recurrence-free survival counted from diagnosis of the liver metastases
(or from the first operation) credits one group with time during which its members could not
die or recur by definition: immortal time bias (Suissa S. Immortal time bias in
pharmaco-epidemiology. Am J Epidemiol 2008;167(4):492-499). Every survival analysis of this
package checks its ``by`` and ``strata`` columns against :data:`OUTCOME_DEFINED` (and against
what :func:`~crlm_outcomes.stratify.apply_all` recorded in ``data.attrs["stratify"]``) and
warns with :class:`~crlm_outcomes.errors.ImmortalTimeWarning` unless the analysis has an entry
time (a landmark or a clock started at the defining event).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable

import pandas as pd

from crlm_outcomes.errors import ImmortalTimeWarning

__all__ = ["OUTCOME_DEFINED", "check_immortal_time"]

#: Stratifier outputs whose groups are defined by an event after diagnosis of the liver
#: metastases, with that event.
OUTCOME_DEFINED: dict[str, str] = {
    "treatment_intent": "NED reached (ned_achieved) after conversion therapy",
    "surgical_strategy_group": "the liver operations (a second stage, a staged or liver-first "
    "resection happen months after diagnosis)",
    "ned_route": "NED reached by resection, ablation or SBRT",
    "recurrence_timing": "a recurrence after NED",
    "recurrence_pattern": "a recurrence after NED",
    "recurrence_retreatment": "a recurrence after NED and its re-treatment",
}


def check_immortal_time(
    data: pd.DataFrame,
    columns: Iterable[str],
    duration: str,
    entry: str | None,
    stacklevel: int = 4,
) -> None:
    """Warn when a group defined after the time origin is compared without an entry time.

    Parameters
    ----------
    data
        The analysis data; ``data.attrs["stratify"]`` (written by
        :func:`~crlm_outcomes.stratify.apply_all`) may name further outcome-defined columns.
    columns
        The ``by`` and ``strata`` columns of the analysis.
    duration
        The time column (named in the message).
    entry
        The entry-time column; with one (a landmark or a clock started at the defining
        event) there is no warning.
    stacklevel
        Passed to :func:`warnings.warn` so that the warning points at the user's call (default
        4: the caller of the analysis function that checks).

    Returns
    -------
    None
        Only warns: one :class:`~crlm_outcomes.errors.ImmortalTimeWarning` per
        outcome-defined column.

    Examples
    --------
    >>> import warnings
    >>> import pandas as pd
    >>> from crlm_outcomes.stratify import check_immortal_time
    >>> df = pd.DataFrame({"os_months": [12.0, 30.5], "ned_route": ["resection", "ablation"]})
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     check_immortal_time(df, ["ned_route"], "os_months", entry=None)
    ...     check_immortal_time(df, ["ned_route"], "os_months", entry="landmark_months")
    >>> [type(w.message).__name__ for w in caught]  # the second call has an entry time
    ['ImmortalTimeWarning']
    >>> print(str(caught[0].message).split(":")[0])
    'ned_route' groups are defined by NED reached by resection, ablation or SBRT, which
    happens after the origin of 'os_months'
    """
    if entry is not None:
        return
    recorded = data.attrs.get("stratify", {}) if isinstance(data.attrs, dict) else {}
    for column in columns:
        info = recorded.get(column, {}) if isinstance(recorded, dict) else {}
        event = (info.get("defined_by") if isinstance(info, dict) else None) or OUTCOME_DEFINED.get(
            str(column)
        )
        if event is None:
            continue
        warnings.warn(
            f"'{column}' groups are defined by {event}, which happens after the origin of "
            f"'{duration}': comparing them from that origin gives one group immortal time. "
            "Use crlm_outcomes.survival.landmark(...) or an entry time at the defining event.",
            ImmortalTimeWarning,
            stacklevel=stacklevel,
        )
