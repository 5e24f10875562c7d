"""Intervals in months between two dates: calendar months (default) or a day count.

Clinical rules say "< 12 months", "within 2-3 months". Read as **calendar months**, 12 months
after 2019-03-15 is 2020-03-15 whatever leap day lies between, and a month added to the 31st
ends on the last day of a shorter month (31 January + 1 month = 28/29 February), as
``pandas.DateOffset(months=k)`` does. The **day-count** reading (``basis="days"``) uses
months of 30.4375 days (the canonical schema's ``days_per_month``), so 12 months = 365.25 days.
The two differ only for intervals within a day or so of the limit; every rule says in its rule
text which reading it used.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crlm_outcomes.errors import SpecError

__all__ = ["MONTH_BASES", "compare_months", "basis_text", "check_basis"]

MONTH_BASES = ("calendar", "days")
DAYS_PER_MONTH = 30.4375


def check_basis(basis: str, *months: float | None) -> None:
    """Raise :class:`SpecError` for an unknown basis, or a fractional month count with the
    calendar basis (a calendar month has no fraction)."""
    if basis not in MONTH_BASES:
        raise SpecError(
            "unknown month basis",
            column="month_basis",
            value=basis,
            expected=f"one of {list(MONTH_BASES)}",
        )
    if basis == "calendar":
        for value in months:
            if value is not None and float(value) != int(value):
                raise SpecError(
                    "calendar months must be whole numbers",
                    column="month_basis",
                    value=value,
                    expected="a whole number of months, or month_basis='days'",
                )


def _add_months(days: np.ndarray, months: int) -> np.ndarray:
    """``days`` (datetime64[D]) plus whole calendar months, clipping the day of month."""
    month = days.astype("datetime64[M]")
    day_offset = (days - month.astype("datetime64[D]")).astype(np.int64)
    target = month + np.timedelta64(months, "M")
    length = (
        (target + np.timedelta64(1, "M")).astype("datetime64[D]") - target.astype("datetime64[D]")
    ).astype(np.int64)
    return target.astype("datetime64[D]") + np.minimum(day_offset, length - 1).astype(
        "timedelta64[D]"
    )


def compare_months(
    later: pd.Series, earlier: pd.Series, months: float, basis: str = "calendar"
) -> tuple[np.ndarray, np.ndarray]:
    """Compare ``later - earlier`` with ``months``.

    Returns ``(sign, known)``: ``sign`` is -1 where the interval is shorter than ``months``,
    0 where it is exactly ``months``, +1 where longer (0 where unknown); ``known`` is where
    both dates are known. With ``basis="calendar"`` the comparison is made against
    ``earlier + months`` calendar months (whole dates); with ``"days"`` against
    ``months * 30.4375`` days.

    Examples
    --------
    >>> import pandas as pd
    >>> a = pd.Series(pd.to_datetime(["2019-03-15", "2020-03-15"]))
    >>> b = pd.Series(pd.to_datetime(["2020-03-15", "2021-03-15"]))
    >>> compare_months(b, a, 12)[0].tolist()  # 366 and 365 days: both exactly 12 months
    [0, 0]
    >>> compare_months(b, a, 12, basis="days")[0].tolist()
    [1, -1]
    """
    check_basis(basis, months)
    later_v = later.to_numpy(dtype="datetime64[ns]")
    earlier_v = earlier.to_numpy(dtype="datetime64[ns]")
    known = ~np.isnat(later_v) & ~np.isnat(earlier_v)
    sign = np.zeros(len(later_v), dtype=np.int8)
    if not known.any():
        return sign, known
    if basis == "days":
        days = (later_v[known] - earlier_v[known]) / np.timedelta64(1, "D")
        sign[known] = np.sign(days - float(months) * DAYS_PER_MONTH).astype(np.int8)
        return sign, known
    start = earlier_v[known].astype("datetime64[D]")
    end = later_v[known]
    limit = _add_months(start, int(months)).astype("datetime64[ns]")
    # keep the time of day of ``earlier`` (dates normally have none)
    limit = limit + (earlier_v[known] - start.astype("datetime64[ns]"))
    sign[known] = np.sign((end - limit).astype(np.int64)).astype(np.int8)
    return sign, known


def basis_text(basis: str) -> str:
    """How months were counted, for rule texts."""
    if basis == "calendar":
        return "calendar months (month_basis='calendar')"
    return "months of 30.4375 days (month_basis='days')"
