"""Kaplan–Meier, log-rank, cumulative incidence and Gray's test on DuckDB, Dask or site files.

Each function aggregates the input to its distinct lines where the data live
(:func:`crlm_outcomes.scale.aggregate.aggregate`), validates the lines with the same rules as the
in-memory path (:func:`crlm_outcomes.survival._inputs.survival_input`), and runs the in-memory
functional core with the line counts as frequencies. Results are the same result classes as
in memory; the number of rows and the excluded rows refer to the source rows, not the lines.

The public functions :func:`crlm_outcomes.kaplan_meier`, :func:`~crlm_outcomes.logrank`,
:func:`~crlm_outcomes.cumulative_incidence` and :func:`~crlm_outcomes.gray_test` dispatch here
when ``data`` is not a pandas DataFrame, so the calling code does not change.

What needs the rows, not the lines, is refused with a clear error: the robust (infinitesimal
jackknife) variance, and case weights whose R default is that variance.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes.errors import DataQualityWarning, SpecError
from crlm_outcomes.scale.aggregate import N_COLUMN, Aggregate, aggregate, engine_of
from crlm_outcomes.survival._inputs import SurvivalInput, as_column_list, survival_input

__all__ = [
    "is_external",
    "kaplan_meier_external",
    "logrank_external",
    "cumulative_incidence_external",
    "gray_test_external",
    "lines_input",
]

_FREQ = "__freq__"


def is_external(data: Any) -> bool:
    """True for inputs the out-of-memory engines handle (DuckDB relation or dataset path, Dask).

    Examples
    --------
    >>> import pandas as pd
    >>> is_external(pd.DataFrame()), is_external("cohort.parquet")
    (False, True)
    """
    if isinstance(data, pd.DataFrame) or hasattr(data, "audit"):  # a DataFrame or a Cohort
        return False
    try:
        return engine_of(data) != "pandas"
    except SpecError:
        return False


def lines_input(
    agg: Aggregate,
    duration: str,
    event: str,
    *,
    by: str | Sequence[str] | None = None,
    strata: str | Sequence[str] | None = None,
    entry: str | None = None,
    weights: str | None = None,
    causes: Sequence[int] = (1,),
) -> SurvivalInput:
    """Validate aggregated lines as rows (same errors as in memory); frequencies as weights.

    With ``weights`` the line weight is ``rows x case weight``. ``excluded`` lists the source
    rows excluded where the data live.
    """
    lines = agg.lines
    freq = lines[N_COLUMN].to_numpy(dtype=np.float64)
    if weights is not None:
        freq = freq * lines[weights].to_numpy(dtype=np.float64)
    frame = lines.assign(**{_FREQ: freq})
    si = survival_input(
        frame,
        duration,
        event,
        by=by,
        strata=strata,
        entry=entry,
        weights=_FREQ,
        causes=causes,
        warn=False,
    )
    if agg.n_excluded:
        cols = ", ".join(sorted(set(agg.excluded["column"].astype(str))))
        warnings.warn(
            f"{agg.n_excluded} row(s) excluded for missing values in {cols} (read by "
            f"{agg.engine}); see result.excluded",
            DataQualityWarning,
            stacklevel=4,
        )
    return dataclasses.replace(si, excluded=agg.excluded)


def _rows_per_group(si: SurvivalInput, agg: Aggregate) -> np.ndarray:
    return np.bincount(
        si.group, weights=agg.lines[N_COLUMN].to_numpy(np.float64), minlength=len(si.group_labels)
    ).astype(np.int64)


def kaplan_meier_external(
    data: Any,
    duration: str,
    event: str,
    by: str | Sequence[str] | None = None,
    *,
    conf_type: str = "log",
    conf_level: float = 0.95,
    weights: str | None = None,
    entry: str | None = None,
    robust: bool | None = None,
    cluster: str | None = None,
) -> Any:
    """:func:`crlm_outcomes.kaplan_meier` on a DuckDB/Dask input (see the module docstring)."""
    from crlm_outcomes.survival.kaplan_meier import kaplan_meier_from_input

    if robust or cluster is not None:
        raise SpecError(
            "the robust (infinitesimal jackknife) variance needs the individual rows; "
            "on a DuckDB or Dask input use robust=False, or load the rows",
            value="robust=True" if robust else f"cluster={cluster!r}",
            expected="robust=False and no cluster",
        )
    if weights is not None and robust is None:
        raise SpecError(
            "with case weights R's default is the robust variance, which needs the "
            "individual rows; pass robust=False for the Greenwood variance with "
            "case weights",
            column=weights,
            expected="robust=False",
        )
    cols = [*as_column_list(by), *as_column_list(entry), duration, event, *as_column_list(weights)]
    agg = aggregate(data, cols)
    si = lines_input(agg, duration, event, by=by, entry=entry, weights=weights)
    res = kaplan_meier_from_input(
        si, conf_type=conf_type, conf_level=conf_level, robust=False, by=by
    )
    return dataclasses.replace(res, n=res.n.assign(n=_rows_per_group(si, agg)))


def logrank_external(
    data: Any,
    duration: str,
    event: str,
    by: str | Sequence[str],
    *,
    strata: str | Sequence[str] | None = None,
    rho: float = 0,
) -> Any:
    """:func:`crlm_outcomes.logrank` on a DuckDB/Dask input."""
    from crlm_outcomes.survival.logrank import logrank_from_input

    if by is None:
        raise SpecError(
            "the log-rank test needs groups to compare", column=None, expected="by='<group column>'"
        )
    agg = aggregate(data, [*as_column_list(by), *as_column_list(strata), duration, event])
    si = lines_input(agg, duration, event, by=by, strata=strata)
    return logrank_from_input(si, rho=rho)


def _causes_of(agg: Aggregate, event: str, causes: Sequence[int] | None) -> list[int]:
    if causes is not None:
        return sorted({int(c) for c in causes})
    codes = pd.to_numeric(agg.lines[event], errors="coerce").dropna().unique()
    return sorted(int(c) for c in codes if c != 0)


def cumulative_incidence_external(
    data: Any,
    duration: str,
    event: str,
    by: str | Sequence[str] | None = None,
    *,
    causes: Sequence[int] | None = None,
    strata: str | Sequence[str] | None = None,
    rho: float = 0.0,
    conf_level: float = 0.95,
    conf_type: str = "log-log",
) -> Any:
    """:func:`crlm_outcomes.cumulative_incidence` on a DuckDB/Dask input."""
    from crlm_outcomes.errors import EstimationError
    from crlm_outcomes.survival.competing_risks import cumulative_incidence_from_input

    agg = aggregate(data, [*as_column_list(by), *as_column_list(strata), duration, event])
    cz = _causes_of(agg, event, causes)
    if not cz:
        raise EstimationError(
            f"no events of any cause in column {event!r} (all rows censored); declare causes=[...]"
        )
    si = lines_input(agg, duration, event, by=by, strata=strata, causes=cz)
    return cumulative_incidence_from_input(
        si, cz, by=by, rho=rho, conf_level=conf_level, conf_type=conf_type
    )


def gray_test_external(
    data: Any,
    duration: str,
    event: str,
    by: str | Sequence[str],
    *,
    strata: str | Sequence[str] | None = None,
    rho: float = 0.0,
    causes: Sequence[int] | None = None,
) -> Any:
    """:func:`crlm_outcomes.gray_test` on a DuckDB/Dask input."""
    from crlm_outcomes.errors import EstimationError
    from crlm_outcomes.survival.competing_risks import gray_test_from_input

    agg = aggregate(data, [*as_column_list(by), *as_column_list(strata), duration, event])
    cz = _causes_of(agg, event, causes)
    if not cz:
        raise EstimationError(f"no events of any cause in column {event!r}: nothing to test")
    si = lines_input(agg, duration, event, by=by, strata=strata, causes=cz)
    return gray_test_from_input(si, cz, rho=rho, by=by)
