"""The ``data`` argument of every analysis function: a DataFrame or a loaded ``Cohort``.

Shared internals (no public API): :func:`as_frame` unwraps a
:class:`~crlm_outcomes.io.cohort.Cohort` to its frame, and :func:`group_key_labels` builds the
labels of groups or strata defined by several columns the way R prints them (``"a=x, b=y"``).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes.errors import InputError

__all__ = ["as_frame", "column_codes", "group_key_labels"]


def as_frame(data: Any, *, error: type[InputError] = InputError) -> pd.DataFrame:
    """The DataFrame behind ``data`` (a DataFrame, or a Cohort's ``.data``).

    Examples
    --------
    >>> import pandas as pd
    >>> as_frame(pd.DataFrame({"x": [1]})).shape
    (1, 1)
    """
    if isinstance(data, pd.DataFrame):
        return data
    from crlm_outcomes.io.cohort import Cohort

    if isinstance(data, Cohort):
        return data.data
    raise error(
        "data must be a pandas DataFrame or a Cohort",
        value=type(data).__name__,
        expected="a DataFrame, or the Cohort returned by load_cohort/load_demo",
    )


def _levels(s: pd.Series) -> tuple[np.ndarray, list[Hashable]]:
    """Integer codes and ordered levels of one column (categorical order, else sorted)."""
    cat = s if isinstance(s.dtype, pd.CategoricalDtype) else s.astype("category")
    return cat.cat.codes.to_numpy(np.int64), list(cat.cat.categories)


def group_key_labels(columns: Sequence[str], keys: Sequence[tuple[Any, ...]]) -> list[str]:
    """R's labels of combined groups: ``"a=x, b=y"`` for each key tuple.

    Examples
    --------
    >>> group_key_labels(["sex", "stage"], [("F", 3)])
    ['sex=F, stage=3']
    """
    return [", ".join(f"{c}={v}" for c, v in zip(columns, key, strict=True)) for key in keys]


def column_codes(
    frame: pd.DataFrame, columns: Sequence[str]
) -> tuple[np.ndarray, list[Hashable], list[Hashable]]:
    """Codes 0..k-1 of the combinations of ``columns`` that occur, their labels and keys.

    One column: the labels and keys are its values (categorical order kept, otherwise sorted).
    Several columns: the combinations are ordered with the first column varying slowest, each
    column in its own order (as R's ``strata(a, b)``); the keys are tuples of values and the
    labels ``"a=x, b=y"``.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"a": ["y", "x", "x"], "b": [2, 1, 2]})
    >>> codes, labels, keys = column_codes(f, ["a", "b"])
    >>> codes.tolist(), labels
    ([2, 0, 1], ['a=x, b=1', 'a=x, b=2', 'a=y, b=2'])
    """
    columns = list(columns)
    per = [_levels(frame[c]) for c in columns]
    combined = per[0][0]
    total = len(per[0][1])
    for codes, levels in per[1:]:
        combined = combined * len(levels) + codes
        total *= len(levels)
    if total <= 4 * len(combined) + (1 << 16):  # a lookup table, no sort
        used = np.flatnonzero(np.bincount(combined, minlength=total) > 0)
        remap = np.zeros(total, dtype=np.int64)
        remap[used] = np.arange(len(used))
        new_codes = remap[combined]
    else:
        used = np.unique(combined)
        new_codes = np.searchsorted(used, combined).astype(np.int64)
    keys: list[tuple[Any, ...]] = []
    for value in used.tolist():
        parts = []
        for _codes, levels in reversed(per):
            value, pos = divmod(value, len(levels))
            parts.append(levels[pos])
        keys.append(tuple(reversed(parts)))
    if len(columns) == 1:
        flat: list[Hashable] = [k[0] for k in keys]
        return new_codes, flat, flat
    return new_codes, list(group_key_labels(columns, keys)), list(keys)
