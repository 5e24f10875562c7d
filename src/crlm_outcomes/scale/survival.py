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

    Parameters
    ----------
    data : Any
        What a survival function received as ``data``.

    Returns
    -------
    bool
        ``True`` for a DuckDB relation, a Parquet/CSV dataset path, a dask DataFrame or pooled
        site files; ``False`` for a pandas DataFrame or a ``Cohort`` (the in-memory path).

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

    Parameters
    ----------
    agg : Aggregate
        The distinct lines (:func:`crlm_outcomes.scale.aggregate.aggregate`).
    duration, event : str
        Time and event (or cause code) columns.
    by, strata : str or sequence of str, optional
        Grouping and stratum columns.
    entry : str, optional
        Entry-time column (counting-process data).
    weights : str, optional
        Case-weight column; the line weight is then ``rows x case weight``.
    causes : sequence of int, default (1,)
        Event codes counted as events (competing risks: each cause).

    Returns
    -------
    SurvivalInput
        As :func:`crlm_outcomes.survival._inputs.survival_input` on the lines, with the line
        frequencies as weights and ``excluded`` listing the source rows excluded where the
        data live (a :class:`~crlm_outcomes.errors.DataQualityWarning` says how many).

    Examples
    --------
    Five rows, four distinct (time, event) lines:

    >>> import pandas as pd
    >>> from crlm_outcomes.scale.aggregate import aggregate
    >>> df = pd.DataFrame({"months": [2.0, 2.0, 3.0, 5.0, 8.0], "dead": [1, 1, 0, 1, 0]})
    >>> si = lines_input(aggregate(df, ["months", "dead"]), "months", "dead")
    >>> si.time.tolist(), si.weights.tolist()
    ([2.0, 3.0, 5.0, 8.0], [2.0, 1.0, 1.0, 1.0])
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
    """:func:`crlm_outcomes.kaplan_meier` on a DuckDB/Dask input (see the module docstring).

    Parameters
    ----------
    data : Any
        DuckDB relation, Parquet/CSV dataset path, dask DataFrame or pooled site files (a
        pandas DataFrame works too, through the same aggregation).
    duration, event : str
        Time and event columns.
    by : str or sequence of str, optional
        Group column(s): one curve per group.
    conf_type : str, default "log"
        Confidence interval scale, as in memory.
    conf_level : float, default 0.95
        Confidence level.
    weights : str, optional
        Case weights; needs ``robust=False`` here (Greenwood variance with weights).
    entry : str, optional
        Entry-time column (left truncation).
    robust : bool, optional
        Must not be ``True``: the infinitesimal-jackknife variance needs the rows.
    cluster : str, optional
        Not available here (needs the rows).

    Returns
    -------
    KaplanMeierResult
        The same result as :func:`crlm_outcomes.kaplan_meier` on the rows; ``n`` counts
        source rows.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"months": [2.0, 3.0, 3.0, 5.0, 8.0, 9.0, 12.0, 12.0],
    ...                    "dead": [1, 0, 1, 1, 0, 1, 1, 0]})
    >>> km = kaplan_meier_external(df, "months", "dead")
    >>> [round(float(s), 3) for s in km.table["survival"]]
    [0.875, 0.75, 0.6, 0.6, 0.4, 0.2]
    """
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
    """:func:`crlm_outcomes.logrank` on a DuckDB/Dask input.

    Parameters
    ----------
    data : Any
        DuckDB relation, Parquet/CSV dataset path, dask DataFrame or pooled site files.
    duration, event : str
        Time and event columns.
    by : str or sequence of str
        The groups compared.
    strata : str or sequence of str, optional
        Stratified test.
    rho : float, default 0
        Fleming–Harrington weight ``S(t-)^rho`` (0: log-rank, 1: Peto–Peto).

    Returns
    -------
    LogRankResult
        The same result as :func:`crlm_outcomes.logrank` on the rows.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"months": [2.0, 3.0, 3.0, 5.0, 8.0, 9.0, 12.0, 12.0],
    ...                    "dead": [1, 0, 1, 1, 0, 1, 1, 0], "arm": ["a", "b"] * 4})
    >>> lr = logrank_external(df, "months", "dead", "arm")
    >>> round(float(lr.statistic), 4), round(float(lr.p), 4)
    (0.5819, 0.4456)
    """
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
    """:func:`crlm_outcomes.cumulative_incidence` on a DuckDB/Dask input.

    Parameters
    ----------
    data : Any
        DuckDB relation, Parquet/CSV dataset path, dask DataFrame or pooled site files.
    duration : str
        Time column.
    event : str
        Cause code column (0 censored).
    by : str or sequence of str, optional
        Group column(s).
    causes : sequence of int, optional
        Causes to estimate (default: every non-zero code present).
    strata : str or sequence of str, optional
        Strata for Gray's test (as in memory).
    rho : float, default 0.0
        Gray's test weight exponent.
    conf_level : float, default 0.95
        Confidence level.
    conf_type : str, default "log-log"
        Confidence interval scale.

    Returns
    -------
    CumulativeIncidence
        The same result as :func:`crlm_outcomes.cumulative_incidence` on the rows.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"months": [2.0, 3.0, 3.0, 5.0, 8.0, 9.0, 12.0, 12.0],
    ...                    "cause": [1, 0, 2, 1, 0, 2, 1, 0]})
    >>> ci = cumulative_incidence_external(df, "months", "cause")
    >>> last = ci.table.groupby("cause")["estimate"].last()
    >>> {int(c): round(float(v), 3) for c, v in last.items()}
    {1: 0.475, 2: 0.325}
    """
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
    """:func:`crlm_outcomes.gray_test` on a DuckDB/Dask input.

    Parameters
    ----------
    data : Any
        DuckDB relation, Parquet/CSV dataset path, dask DataFrame or pooled site files.
    duration : str
        Time column.
    event : str
        Cause code column (0 censored).
    by : str or sequence of str
        The groups compared.
    strata : str or sequence of str, optional
        Stratified test.
    rho : float, default 0.0
        Weight exponent of Gray's test.
    causes : sequence of int, optional
        Causes tested (default: every non-zero code present).

    Returns
    -------
    GrayTest
        The same result as :func:`crlm_outcomes.gray_test` on the rows (one line per cause).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"months": [2.0, 3.0, 3.0, 5.0, 8.0, 9.0, 12.0, 12.0],
    ...                    "cause": [1, 0, 2, 1, 0, 2, 1, 0], "arm": ["a", "b"] * 4})
    >>> g = gray_test_external(df, "months", "cause", "arm")
    >>> [(int(r.cause), round(float(r.statistic), 4)) for r in g.table.itertuples()]
    [(1, 0.3899), (2, 0.054)]
    """
    from crlm_outcomes.errors import EstimationError
    from crlm_outcomes.survival.competing_risks import gray_test_from_input

    agg = aggregate(data, [*as_column_list(by), *as_column_list(strata), duration, event])
    cz = _causes_of(agg, event, causes)
    if not cz:
        raise EstimationError(f"no events of any cause in column {event!r}: nothing to test")
    si = lines_input(agg, duration, event, by=by, strata=strata, causes=cz)
    return gray_test_from_input(si, cz, rho=rho, by=by)
