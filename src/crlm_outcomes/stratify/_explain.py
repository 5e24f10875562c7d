"""The companion explanation carried by every stratifier result.

Every stratifier returns a plain pandas Series (a Categorical for categories, a nullable
``Int64``/``Float64`` for scores, a nullable ``boolean`` for eligibility flags). A patient who
cannot be classified is missing (NA) -- never a default level -- and the Series says why in
``Series.attrs``, which pandas carries through slicing, ``.loc``, ``.copy()`` and ``pd.concat``
of results that share the same explanation:

``attrs["stratifier"]``
    Name of the stratifier (``"fong_score"``, ``"liver_mets_timing"`` ...).
``attrs["rule"]``
    The rule / convention applied, with every option value, in words.
``attrs["source"]``
    The guideline section or paper the rule comes from.
``attrs["reasons"]``
    ``{index label: reason}`` for every unclassified (NA) patient, e.g.
    ``"missing component(s): CEA > 200 ng/mL [cea_at_liver_diagnosis missing]"``.
``attrs["assumed"]`` (only with ``missing_as_zero=True``)
    ``{index label: text}`` naming the components that were counted as 0 points.

The reasons are a ``dict`` keyed by index label (not a Series) on purpose: pandas compares
``attrs`` on ``pd.concat`` -- a Series inside ``attrs`` raises "truth value of a Series is
ambiguous" -- and a Series would not survive subsetting, whereas a label-keyed dict does both
and is JSON-serialisable. pandas also deep-copies ``attrs`` on *every* operation; the dict (and
the label lists) are therefore read-only subclasses of ``dict``/``tuple`` whose deep copy is the
object itself, so that carrying 100 000 reasons costs nothing per operation.

Use :func:`reasons` to get them back as a string Series aligned to the result, or
:func:`explain` for a two-column table of value and reason.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from crlm_outcomes.errors import InputError

__all__ = [
    "explain",
    "reasons",
    "rule",
    "categorical_result",
    "attach",
    "lookup",
    "reason_array",
    "ReasonMap",
    "Labels",
]


class ReasonMap(dict):
    """Read-only ``{index label: text}`` mapping whose (deep) copy is itself."""

    def _read_only(self, *args: object, **kwargs: object) -> None:
        raise TypeError("stratifier reasons are read-only")

    __setitem__ = __delitem__ = _read_only  # type: ignore[assignment]
    clear = pop = popitem = setdefault = update = _read_only  # type: ignore[assignment]
    __ior__ = _read_only  # type: ignore[assignment]

    def __copy__(self) -> ReasonMap:
        return self

    def __deepcopy__(self, memo: dict) -> ReasonMap:
        return self

    def __reduce__(self) -> tuple:
        return (ReasonMap, (dict(self),))


class Labels(tuple):
    """Immutable tuple of index labels whose (deep) copy is itself."""

    __slots__ = ()

    def __copy__(self) -> Labels:
        return self

    def __deepcopy__(self, memo: dict) -> Labels:
        return self


def _reason_dict(index: pd.Index, reason: np.ndarray, missing: np.ndarray) -> ReasonMap:
    positions = np.flatnonzero(missing)
    return ReasonMap(zip(index[positions].tolist(), reason[positions].tolist(), strict=True))


def attach(
    series: pd.Series,
    reason: np.ndarray,
    *,
    name: str,
    rule: str,
    source: str,
    assumed: dict | None = None,
) -> pd.Series:
    """Attach the explanation to ``series`` (in place) and return it.

    ``reason`` is an object array aligned to ``series``; entries at missing positions must be
    non-empty strings (it is an internal error for a stratifier to leave an NA unexplained).
    """
    missing = series.isna().to_numpy()
    reason = np.asarray(reason, dtype=object)
    unexplained = missing & _empty(reason)
    if unexplained.any():
        raise AssertionError(
            f"{name}: {int(unexplained.sum())} missing value(s) without a reason"
        )
    series.name = name
    series.attrs = {
        "stratifier": name,
        "rule": rule,
        "source": source,
        "reasons": _reason_dict(series.index, reason, missing),
    }
    if assumed:
        series.attrs["assumed"] = ReasonMap(assumed)
    return series


def _empty(reason: np.ndarray) -> np.ndarray:
    empty = np.asarray(pd.isna(reason), dtype=bool)
    return empty | (reason == "")


def categorical_result(
    values: np.ndarray,
    reason: np.ndarray,
    *,
    index: pd.Index,
    levels: Sequence[str],
    name: str,
    rule: str,
    source: str,
) -> pd.Series:
    """Build the ordered Categorical result with its explanation.

    ``values`` is an object array of level strings, ``None`` where unclassified.
    """
    values = np.asarray(values, dtype=object)
    known = ~pd.isna(values)
    unknown_levels = set(values[known].tolist()) - set(levels)
    if unknown_levels:
        raise AssertionError(f"{name}: values {sorted(unknown_levels)} are not levels {levels}")
    categorical = pd.Categorical(values, categories=list(levels), ordered=True)
    series = pd.Series(categorical, index=index)
    reason = np.where(known, None, np.asarray(reason, dtype=object))
    return attach(series, reason, name=name, rule=rule, source=source)


def _check(series: pd.Series) -> None:
    if not isinstance(series, pd.Series) or "reasons" not in series.attrs:
        raise InputError(
            "explain() takes a Series returned by a crlm_outcomes.stratify function "
            "(its .attrs carry the reasons)",
            value=type(series).__name__,
            expected="a stratifier result (pandas Series with attrs['reasons'])",
        )


def reasons(series: pd.Series) -> pd.Series:
    """Why each patient is unclassified: a ``string`` Series aligned to ``series``.

    NA where the patient is classified. Works after slicing or reordering the result, because
    the reasons are stored by index label.

    Parameters
    ----------
    series
        A result of any :mod:`crlm_outcomes.stratify` function.
    """
    _check(series)
    out = lookup(series.attrs["reasons"], series.index)
    out[series.notna().to_numpy()] = pd.NA
    # A value that is NA but was classified when the result was built (set to NA afterwards by
    # the user) has no stored reason; say so rather than leave it blank.
    lost = series.isna().to_numpy() & out.isna().to_numpy()
    if lost.any():
        out[lost] = "set to missing after stratification (no reason recorded)"
    out.name = f"{series.attrs.get('stratifier', series.name)}_reason"
    return out


def lookup(mapping: dict, index: pd.Index, default: str | None = None) -> pd.Series:
    """``mapping[label]`` for every label of ``index`` as a ``string`` Series (vectorised)."""
    return pd.Series(pd.array(_lookup(mapping, index, default), dtype="string"), index=index)


def _lookup(mapping: dict, index: pd.Index, default: str | None) -> np.ndarray:
    out = np.full(len(index), default, dtype=object)
    if mapping:
        keys = _label_index(mapping, index)
        values = np.fromiter(mapping.values(), dtype=object, count=len(mapping))
        positions = keys.get_indexer(index)
        found = positions >= 0
        out[found] = values[positions[found]]
    return out


def _label_index(mapping: dict, index: pd.Index) -> pd.Index:
    """The keys of ``mapping`` as an Index; integer labels (the usual RangeIndex) go through a
    typed array, which is many times faster than inferring the type of a million objects."""
    if index.dtype.kind in "iu":
        try:
            return pd.Index(np.fromiter(mapping.keys(), dtype=np.int64, count=len(mapping)))
        except (TypeError, ValueError, OverflowError):
            pass
    return pd.Index(list(mapping.keys()))


def reason_array(series: pd.Series, default: str = "") -> np.ndarray:
    """Stored reasons of a result as an object array aligned to it (``default`` elsewhere)."""
    return _lookup(series.attrs.get("reasons", {}), series.index, default)


def explain(series: pd.Series) -> pd.DataFrame:
    """Value and reason side by side, plus the rule in ``.attrs``.

    Parameters
    ----------
    series
        A result of any :mod:`crlm_outcomes.stratify` function.

    Returns
    -------
    pandas.DataFrame
        Columns ``value`` and ``reason`` (NA where classified), indexed like ``series``;
        ``.attrs`` holds ``stratifier``, ``rule`` and ``source``.
    """
    _check(series)
    frame = pd.DataFrame({"value": series, "reason": reasons(series)}, index=series.index)
    frame.attrs = {key: series.attrs[key] for key in ("stratifier", "rule", "source")
                   if key in series.attrs}
    return frame


def rule(series: pd.Series) -> str:
    """The rule / convention recorded in a stratifier result."""
    _check(series)
    return str(series.attrs["rule"])
