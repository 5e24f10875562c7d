"""Per-patient values drawn from a short list of texts, stored as integer codes.

A registry cohort of a million patients has a handful of distinct reasons per stratifier (and a
handful of levels per category), so every stratifier works on integer codes into a short list
of texts rather than on a million Python strings: assigning, joining and prefixing texts then
costs one operation per *distinct* text, and the codes go straight into a pandas Categorical.

* :class:`Texts` -- reasons (or any per-patient text): ``codes`` into ``texts``, ``-1`` = none.
  It is used like an object array of strings: ``why[mask] = "text"``, ``why[mask] = other``
  (another :class:`Texts` of the same length, taken at ``mask``), ``"prefix: " + why``,
  :meth:`Texts.join` (append where a mask holds).
* :class:`Levels` -- a categorical value: ``codes`` into a fixed tuple of levels, ``-1`` = NA,
  with ``value[mask] = "level"``, ``value == "level"``, :meth:`Levels.isna`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["Texts", "Levels", "as_texts"]

#: Pair tables up to this size are built densely (no sort); larger ones use ``np.unique``.
_DENSE_PAIRS = 4_000_000


class Texts:
    """Per-patient texts as integer codes into ``texts`` (``-1`` = no text)."""

    __slots__ = ("codes", "texts", "_lookup", "_shared")

    def __init__(self, codes: np.ndarray, texts: Sequence[str]) -> None:
        self.codes = np.asarray(codes, dtype=np.int32)
        self.texts = list(texts)
        self._lookup = {text: i for i, text in enumerate(self.texts)}
        self._shared = False  # codes shared with another Texts: copy before writing

    # ------------------------------------------------------------------ construction
    @classmethod
    def none(cls, n: int) -> Texts:
        """``n`` patients without a text."""
        return cls(np.full(n, -1, dtype=np.int32), [])

    @classmethod
    def full(cls, n: int, text: str) -> Texts:
        """The same ``text`` for all ``n`` patients."""
        return cls(np.zeros(n, dtype=np.int32), [str(text)])

    @classmethod
    def from_array(cls, values: np.ndarray) -> Texts:
        """From an object array of strings (``None``/NaN/``""`` = no text); hashes every
        element once, so only for small arrays or where the texts really vary per patient."""
        values = np.asarray(values, dtype=object)
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        texts = [str(u) for u in uniques]
        out = cls(codes.astype(np.int32), texts)
        if "" in out._lookup:
            out.codes[out.codes == out._lookup[""]] = -1
        return out.compact()

    def copy(self) -> Texts:
        return Texts(self.codes.copy(), self.texts)

    def __len__(self) -> int:
        return self.codes.size

    def code(self, text: str) -> int:
        """Code of ``text``, added to the list if new."""
        found = self._lookup.get(text)
        if found is None:
            found = len(self.texts)
            self.texts.append(text)
            self._lookup[text] = found
        return found

    # ------------------------------------------------------------------ ndarray-like use
    def __setitem__(self, mask: np.ndarray, value: str | Texts | None) -> None:
        if self._shared:
            self.codes = self.codes.copy()
            self._shared = False
        if value is None:
            self.codes[mask] = -1
        elif isinstance(value, Texts):
            table = np.array([self.code(t) for t in value.texts] + [-1], dtype=np.int32)
            self.codes[mask] = table[value.codes[mask]]
        else:
            self.codes[mask] = self.code(str(value))

    def isna(self) -> np.ndarray:
        """Where there is no text."""
        return self.codes < 0

    def notna(self) -> np.ndarray:
        return self.codes >= 0

    def _map_texts(self, function) -> Texts:  # noqa: ANN001 - a str -> str callable
        # the codes are shared (read-only use): only the short list of texts changes
        out = Texts.__new__(Texts)
        out.codes = self.codes
        out.texts = [function(t) for t in self.texts]
        out._lookup = {text: i for i, text in enumerate(out.texts)}
        out._shared = True
        if len(out._lookup) != len(out.texts):  # two texts became equal
            return Texts(self.codes.copy(), out.texts).compact()
        return out

    def __radd__(self, prefix: str) -> Texts:
        return self._map_texts(lambda text: prefix + text)

    def __add__(self, suffix: str) -> Texts:
        return self._map_texts(lambda text: text + suffix)

    def where(self, keep: np.ndarray) -> Texts:
        """A copy without the texts where ``keep`` is False."""
        out = self.copy()
        out.codes[~np.asarray(keep, dtype=bool)] = -1
        return out

    def join(self, mask: np.ndarray, piece: str | Texts, sep: str = "; ") -> Texts:
        """A copy with ``piece`` appended (after ``sep`` when there is already a text) where
        ``mask``; each distinct (text, piece) pair is joined once."""
        mask = np.asarray(mask, dtype=bool)
        if not self.texts and isinstance(piece, str):  # nothing yet: the piece where mask
            return Texts(np.where(mask, 0, -1).astype(np.int32), [piece])
        if isinstance(piece, Texts):
            mask = mask & (piece.codes >= 0)
            piece_codes, piece_texts = piece.codes, piece.texts
        else:
            piece_codes, piece_texts = None, [str(piece)]
        positions = np.flatnonzero(mask)
        out = self.copy()
        if positions.size == 0:
            return out
        current = self.codes[positions].astype(np.int64) + 1  # 0 = no text
        add = (
            np.zeros(positions.size, dtype=np.int64)
            if piece_codes is None
            else piece_codes[positions].astype(np.int64)
        )
        width = len(piece_texts)
        key = current * width + add
        pairs, inverse = _unique_ints(key, (len(self.texts) + 1) * width)
        joined = []
        for pair in pairs.tolist():
            cur, new = pair // width, piece_texts[pair % width]
            joined.append(new if cur == 0 else self.texts[cur - 1] + sep + new)
        table = np.array([out.code(text) for text in joined], dtype=np.int32)
        out.codes[positions] = table[inverse]
        return out

    def compact(self) -> Texts:
        """Equal texts merged, unused texts dropped (first-seen order kept)."""
        if not self.texts:
            return self
        used = np.zeros(len(self.texts) + 1, dtype=bool)
        used[self.codes + 1] = True
        used = used[1:]
        keep: dict[str, int] = {}
        table = np.full(len(self.texts) + 1, -1, dtype=np.int32)
        for i, text in enumerate(self.texts):
            if used[i]:
                table[i] = keep.setdefault(text, len(keep))
        if len(keep) == len(self.texts):
            return self
        return Texts(table[self.codes], list(keep))

    def to_array(self) -> np.ndarray:
        """Object array of the texts (``None`` where none)."""
        table = np.array(list(self.texts) + [None], dtype=object)
        return table[self.codes]

    def categorical(self) -> pd.Categorical:
        """The texts as an (unordered) pandas Categorical."""
        compact = self.compact()
        return pd.Categorical.from_codes(
            compact.codes, categories=pd.Index(compact.texts, dtype=object)
        )


def as_texts(value: Texts | np.ndarray | str, n: int) -> Texts:
    """A :class:`Texts` from a Texts, an object array or one text for all ``n`` patients."""
    if isinstance(value, Texts):
        return value
    if isinstance(value, str):
        return Texts.full(n, value)
    return Texts.from_array(np.asarray(value, dtype=object))


def _unique_ints(key: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique values of a non-negative int array below ``size`` and the inverse."""
    if size <= _DENSE_PAIRS:
        present = np.zeros(size, dtype=bool)
        present[key] = True
        uniques = np.flatnonzero(present)
        table = np.zeros(size, dtype=np.int64)
        table[uniques] = np.arange(uniques.size)
        return uniques, table[key]
    uniques, inverse = np.unique(key, return_inverse=True)
    return uniques, inverse.ravel()


class Levels:
    """A categorical value per patient: codes into ``levels`` (``-1`` = NA)."""

    __slots__ = ("codes", "levels", "_lookup")

    def __init__(self, codes: np.ndarray, levels: Sequence[str]) -> None:
        self.codes = np.asarray(codes, dtype=np.int16)
        self.levels = tuple(levels)
        self._lookup = {level: i for i, level in enumerate(self.levels)}

    @classmethod
    def empty(cls, n: int, levels: Sequence[str]) -> Levels:
        return cls(np.full(n, -1, dtype=np.int16), levels)

    def __len__(self) -> int:
        return self.codes.size

    def copy(self) -> Levels:
        return Levels(self.codes.copy(), self.levels)

    def _code(self, level: str) -> int:
        try:
            return self._lookup[level]
        except KeyError:
            raise AssertionError(f"{level!r} is not one of the levels {self.levels}") from None

    def __setitem__(self, mask: np.ndarray, value: str | Levels | None) -> None:
        if value is None:
            self.codes[mask] = -1
        elif isinstance(value, Levels):
            self.codes[mask] = value.recode(self.levels).codes[mask]
        else:
            self.codes[mask] = self._code(value)

    def __eq__(self, level: object) -> np.ndarray:  # type: ignore[override]
        code = self._lookup.get(level) if isinstance(level, str) else None
        if code is None:
            return np.zeros(self.codes.size, dtype=bool)
        return self.codes == code

    def __ne__(self, level: object) -> np.ndarray:  # type: ignore[override]
        return ~self.__eq__(level)

    __hash__ = None  # type: ignore[assignment]

    def isin(self, levels: Iterable[str]) -> np.ndarray:
        wanted = np.zeros(len(self.levels) + 1, dtype=bool)
        for level in levels:
            if level in self._lookup:
                wanted[self._lookup[level]] = True
        return wanted[self.codes]  # -1 reads the last (False) slot

    def isna(self) -> np.ndarray:
        return self.codes < 0

    def notna(self) -> np.ndarray:
        return self.codes >= 0

    def recode(self, levels: Sequence[str]) -> Levels:
        """The same values against another tuple of levels (values not in it become NA)."""
        levels = tuple(levels)
        if levels == self.levels:
            return self
        where = {level: i for i, level in enumerate(levels)}
        table = np.array([where.get(level, -1) for level in self.levels] + [-1], dtype=np.int16)
        return Levels(table[self.codes], levels)

    def map(self, mapping: Mapping[str, str | None], levels: Sequence[str]) -> Levels:
        """Each level replaced by ``mapping[level]`` (NA where absent or None)."""
        out = tuple(levels)
        where = {level: i for i, level in enumerate(out)}
        targets = [mapping.get(level) for level in self.levels]
        table = np.array(
            [-1 if target is None else where.get(target, -1) for target in targets] + [-1],
            dtype=np.int16,
        )
        return Levels(table[self.codes], out)

    def to_array(self) -> np.ndarray:
        """Object array of level strings (``None`` where NA)."""
        table = np.array(list(self.levels) + [None], dtype=object)
        return table[self.codes]

    def categorical(
        self, levels: Sequence[str] | None = None, ordered: bool = True
    ) -> pd.Categorical:
        target = self.recode(levels) if levels is not None else self
        return pd.Categorical.from_codes(
            target.codes, categories=list(target.levels), ordered=ordered
        )

    @classmethod
    def from_series(cls, series: pd.Series, levels: Sequence[str]) -> Levels:
        """From a Categorical Series (fast) or any Series of level strings; values outside
        ``levels`` must have been rejected by the caller."""
        levels = tuple(levels)
        if isinstance(series.dtype, pd.CategoricalDtype):
            categories = [str(c) for c in series.cat.categories]
            where = {level: i for i, level in enumerate(levels)}
            table = np.array([where.get(c, -1) for c in categories] + [-1], dtype=np.int16)
            return cls(table[series.cat.codes.to_numpy()], levels)
        codes = pd.Categorical(series.astype(object), categories=list(levels)).codes
        return cls(codes, levels)
