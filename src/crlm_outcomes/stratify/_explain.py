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

The reasons are a read-only mapping keyed by index label (:class:`ReasonMap`), not a Series,
on purpose: pandas compares ``attrs`` on ``pd.concat`` -- a Series inside ``attrs`` raises
"truth value of a Series is ambiguous" -- and a Series would not survive subsetting, whereas a
label-keyed mapping does both. It stores one integer code per patient into the short list of
distinct reasons (a million patients have a handful), and its deep copy is itself: pandas
deep-copies ``attrs`` on *every* operation. ``ReasonMap.to_dict()`` gives a plain dict.

Use :func:`reasons` to get them back as a string Series aligned to the result, or
:func:`explain` for a two-column table of value and reason.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd

from crlm_outcomes.errors import InputError
from crlm_outcomes.stratify._codes import Levels, Texts, as_texts

__all__ = [
    "explain",
    "reasons",
    "rule",
    "categorical_result",
    "attach",
    "lookup",
    "reason_texts",
    "ReasonMap",
    "Labels",
]


class ReasonMap(Mapping):
    """Read-only ``{index label: reason}`` mapping of the unclassified patients of a result.

    Stored compactly -- the index the result was built on, one integer code per patient
    (``-1`` = classified) and the short list of distinct texts -- so that a registry of a
    million patients costs a few megabytes and no Python string per patient. Its (deep) copy
    is itself, so pandas' copying of ``attrs`` on every operation costs nothing; it compares
    equal to a ``dict`` with the same items, and :meth:`to_dict` gives a plain, JSON-ready
    dict.
    """

    __slots__ = ("index", "codes", "texts", "_keys")

    def __init__(self, index: pd.Index, codes: np.ndarray, texts: Sequence[str]) -> None:
        self.index = index
        self.codes = np.asarray(codes, dtype=np.int32)
        self.codes.flags.writeable = False
        self.texts = tuple(texts)
        self._keys: pd.Index | None = None

    @classmethod
    def from_dict(cls, mapping: dict) -> ReasonMap:
        texts = Texts.from_array(np.array(list(mapping.values()), dtype=object))
        return cls(pd.Index(list(mapping.keys())), texts.codes, texts.texts)

    def _positions(self) -> np.ndarray:
        return np.flatnonzero(self.codes >= 0)

    def __getitem__(self, label: Hashable) -> str:
        try:
            where = self.index.get_loc(label)
        except (KeyError, TypeError):
            raise KeyError(label) from None
        if not isinstance(where, (int, np.integer)):
            raise KeyError(label)
        code = int(self.codes[where])
        if code < 0:
            raise KeyError(label)
        return self.texts[code]

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self.index[self._positions()].tolist())

    def __len__(self) -> int:
        return int(np.count_nonzero(self.codes >= 0))

    def __eq__(self, other: object) -> bool:
        if other is self:
            return True
        if isinstance(other, Mapping):
            return self.to_dict() == dict(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def to_dict(self) -> dict:
        """A plain ``{label: reason}`` dict (JSON-ready for string or integer labels)."""
        positions = self._positions()
        table = np.array(self.texts + (None,), dtype=object)
        return dict(
            zip(self.index[positions].tolist(), table[self.codes[positions]].tolist(), strict=True)
        )

    def lookup(self, index: pd.Index) -> Texts:
        """The reasons of the patients of ``index`` (by label) as :class:`Texts`."""
        if index is self.index or (
            index.dtype == self.index.dtype
            and len(index) == len(self.index)
            and index.equals(self.index)
        ):
            return Texts(self.codes.copy(), self.texts)
        positions = self.index.get_indexer(index)
        codes = np.where(positions >= 0, self.codes[np.maximum(positions, 0)], -1)
        return Texts(codes, self.texts)

    def __copy__(self) -> ReasonMap:
        return self

    def __deepcopy__(self, memo: dict) -> ReasonMap:
        return self

    def __reduce__(self) -> tuple:
        return (ReasonMap, (self.index, np.array(self.codes), self.texts))

    def __repr__(self) -> str:
        return f"ReasonMap({len(self)} unclassified, {len(self.texts)} distinct reasons)"


class Labels(tuple):
    """Immutable tuple of index labels whose (deep) copy is itself."""

    __slots__ = ()

    def __copy__(self) -> Labels:
        return self

    def __deepcopy__(self, memo: dict) -> Labels:
        return self


def attach(
    series: pd.Series,
    reason: Texts | np.ndarray | str,
    *,
    name: str,
    rule: str,
    source: str,
    assumed: dict | Texts | None = None,
) -> pd.Series:
    """Attach the explanation to ``series`` (in place) and return it.

    ``reason`` (:class:`Texts`, an object array, or one text for all) is aligned to ``series``; every missing
    value must have a non-empty reason (it is an internal error for a stratifier to leave an NA
    unexplained). Reasons at classified positions are dropped.
    """
    missing = series.isna().to_numpy()
    why = as_texts(reason, len(series))
    unexplained = missing & why.isna()
    if unexplained.any():
        raise AssertionError(f"{name}: {int(unexplained.sum())} missing value(s) without a reason")
    why = why.where(missing).compact()
    series.name = name
    series.attrs = {
        "stratifier": name,
        "rule": rule,
        "source": source,
        "reasons": ReasonMap(series.index, why.codes, why.texts),
    }
    if assumed is not None:
        if isinstance(assumed, Texts):
            assumed = assumed.compact()
            if assumed.notna().any():
                series.attrs["assumed"] = ReasonMap(series.index, assumed.codes, assumed.texts)
        elif assumed:
            series.attrs["assumed"] = ReasonMap.from_dict(assumed)
    return series


def categorical_result(
    values: Levels | np.ndarray,
    reason: Texts | np.ndarray | str,
    *,
    index: pd.Index,
    levels: Sequence[str],
    name: str,
    rule: str,
    source: str,
) -> pd.Series:
    """Build the ordered Categorical result with its explanation.

    ``values`` is a :class:`Levels` or an object array of level strings (``None`` where
    unclassified).
    """
    if not isinstance(values, Levels):
        values = np.asarray(values, dtype=object)
        known = ~pd.isna(values)
        unknown_levels = set(values[known].tolist()) - set(levels)
        if unknown_levels:
            raise AssertionError(f"{name}: values {sorted(unknown_levels)} are not levels {levels}")
        values = Levels(pd.Categorical(values, categories=list(levels)).codes, levels)
    elif not set(values.levels[c] for c in np.unique(values.codes[values.codes >= 0])) <= set(
        levels
    ):
        raise AssertionError(f"{name}: values outside the levels {levels}")
    series = pd.Series(values.categorical(levels), index=index)
    return attach(series, reason, name=name, rule=rule, source=source)


def _check(series: pd.Series) -> None:
    if not isinstance(series, pd.Series) or "reasons" not in series.attrs:
        raise InputError(
            "explain() takes a Series returned by a crlm_outcomes.stratify function "
            "(its .attrs carry the reasons)",
            value=type(series).__name__,
            expected="a stratifier result (pandas Series with attrs['reasons'])",
        )


def reasons(series: pd.Series | pd.DataFrame, column: str | None = None) -> pd.Series:
    """Why each patient is unclassified: a ``string`` Series aligned to the result.

    NA where the patient is classified. Works after slicing or reordering the result, because
    the reasons are stored by index label.

    Parameters
    ----------
    series
        A result of any :mod:`crlm_outcomes.stratify` function, or the DataFrame returned by
        :func:`~crlm_outcomes.stratify.apply_all` together with ``column``.
    column
        With a DataFrame: the stratifier column (e.g. ``"fong_score"``); its reasons are read
        from the ``<column>_reason`` column that :func:`apply_all` wrote beside it.

    Returns
    -------
    pandas.Series
        ``string`` dtype, indexed like ``series``, named ``<stratifier>_reason``: the reason
        for every NA value, NA where the patient is classified.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.stratify import braf_class, reasons
    >>> braf = braf_class(pd.DataFrame({"braf_status": ["V600E", None]}))
    >>> reasons(braf).isna().tolist()
    [True, False]
    """
    if isinstance(series, pd.DataFrame):
        series = _from_frame(series, column)
    _check(series)
    out = reason_texts(series).to_array()
    # A value that is NA but was classified when the result was built (set to NA afterwards by
    # the user) has no stored reason; say so rather than leave it blank.
    lost = series.isna().to_numpy() & pd.isna(out)
    out[lost] = "set to missing after stratification (no reason recorded)"
    result = pd.Series(pd.array(out, dtype="string"), index=series.index)
    result.name = f"{series.attrs.get('stratifier', series.name)}_reason"
    return result


def _from_frame(frame: pd.DataFrame, column: str | None) -> pd.Series:
    """The stratifier column ``column`` of an :func:`apply_all` result, with its explanation
    rebuilt from the ``<column>_reason`` column and ``frame.attrs["stratify"]``."""
    added = frame.attrs.get("stratify", {})
    if column is None or column not in frame.columns or f"{column}_reason" not in frame.columns:
        raise InputError(
            "with a DataFrame, name a stratifier column that apply_all added (its reasons are "
            "in the '<column>_reason' column beside it)",
            column=column,
            expected=f"one of {sorted(added)}" if added else "a column added by apply_all",
        )
    series = frame[column].copy()
    reason = frame[f"{column}_reason"]
    why = (
        Texts(reason.cat.codes.to_numpy(), [str(c) for c in reason.cat.categories])
        if isinstance(reason.dtype, pd.CategoricalDtype)
        else Texts.from_array(reason.astype(object).to_numpy())
    )
    info = added.get(column, {})
    attach(
        series,
        why,
        name=column,
        rule=info.get("rule", "rule not recorded in the frame's attrs"),
        source=info.get("source", "source not recorded in the frame's attrs"),
    )
    return series


def lookup(mapping: Mapping, index: pd.Index, default: str | None = None) -> pd.Series:
    """``mapping[label]`` for every label of ``index`` as a ``string`` Series (vectorised)."""
    if isinstance(mapping, ReasonMap):
        out = mapping.lookup(index).to_array()
        if default is not None:
            out[pd.isna(out)] = default
    else:
        out = np.array([mapping.get(label, default) for label in index], dtype=object)
    return pd.Series(pd.array(out, dtype="string"), index=index)


def reason_texts(series: pd.Series, default: str | None = None) -> Texts:
    """Stored reasons of a result as :class:`Texts` aligned to it (``default`` elsewhere)."""
    stored = series.attrs.get("reasons")
    if isinstance(stored, ReasonMap):
        why = stored.lookup(series.index)
    elif stored:
        why = Texts.from_array(
            np.array([stored.get(label) for label in series.index], dtype=object)
        )
    else:
        why = Texts.none(len(series))
    if default is not None:
        why[why.isna()] = default
    return why


def explain(series: pd.Series | pd.DataFrame, column: str | None = None) -> pd.DataFrame:
    """Value and reason side by side, plus the rule in ``.attrs``.

    Parameters
    ----------
    series
        A result of any :mod:`crlm_outcomes.stratify` function, or the DataFrame returned by
        :func:`~crlm_outcomes.stratify.apply_all` together with ``column``.
    column
        With a DataFrame: the stratifier column to explain (e.g. ``"fong_score"``).

    Returns
    -------
    pandas.DataFrame
        Columns ``value`` and ``reason`` (NA where classified), indexed like ``series``;
        ``.attrs`` holds ``stratifier``, ``rule`` and ``source``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.stratify import apply_all, braf_class, explain
    >>> table = explain(braf_class(pd.DataFrame({"braf_status": ["V600E", None]})))
    >>> table["value"].tolist()
    ['V600E', nan]
    >>> print(table["reason"].iloc[1])
    BRAF: not tested or unknown for this patient
    >>> table.attrs["stratifier"]
    'braf_class'
    >>> cohort = apply_all(pd.DataFrame({"braf_status": ["wild_type", None]}))
    >>> explain(cohort, "braf_class")["reason"].isna().tolist()  # from apply_all's columns
    [True, False]
    """
    if isinstance(series, pd.DataFrame):
        series = _from_frame(series, column)
    _check(series)
    frame = pd.DataFrame({"value": series, "reason": reasons(series)}, index=series.index)
    frame.attrs = {
        key: series.attrs[key] for key in ("stratifier", "rule", "source") if key in series.attrs
    }
    return frame


def rule(series: pd.Series | pd.DataFrame, column: str | None = None) -> str:
    """The rule / convention recorded in a stratifier result (or, with a DataFrame from
    :func:`~crlm_outcomes.stratify.apply_all` and ``column``, in its ``attrs``).

    Parameters
    ----------
    series
        A result of any :mod:`crlm_outcomes.stratify` function, or the DataFrame returned by
        :func:`~crlm_outcomes.stratify.apply_all` together with ``column``.
    column
        With a DataFrame: the stratifier column (e.g. ``"liver_mets_timing"``).

    Returns
    -------
    str
        The rule applied, in words, with every option value.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.stratify import apply_all, braf_class, rule
    >>> rule(braf_class(pd.DataFrame({"braf_status": ["V600E"]})))
    'braf_status as recorded; V600E and non-V600E kept apart'
    >>> rule(apply_all(pd.DataFrame({"braf_status": ["V600E"]})), "braf_class")
    'braf_status as recorded; V600E and non-V600E kept apart'
    """
    if isinstance(series, pd.DataFrame):
        series = _from_frame(series, column)
    _check(series)
    return str(series.attrs["rule"])
