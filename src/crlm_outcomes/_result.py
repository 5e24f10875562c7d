"""The result contract shared by every analysis result (issue #10; see CONTRIBUTING.md).

Every public result is a thin frozen dataclass that mixes in :class:`Result` and is declared
``@dataclass(frozen=True, eq=False, repr=False)`` so that the mixin's methods are used:

* ``==`` compares the dataclass fields by value, NaN-aware, and never raises on DataFrame,
  Series or array fields (:func:`values_equal`);
* ``repr`` is one short line (no tables, no variance matrices; :func:`short_repr`);
* ``summary()`` returns the printed text and ``_repr_html_`` the notebook rendering, both built
  from one description of the result (:meth:`Result._display_title`,
  :meth:`Result._display_notes`, :meth:`Result._display_frames`); a class overrides
  ``summary()`` where R prints a particular layout;
* ``n_excluded`` counts the input rows listed in ``excluded``.

The mixin is one level deep and holds no state; it delegates nothing through ``__getattr__``.
The helpers for deprecated names (:func:`warn_deprecated`, :class:`AliasedFrame`,
:class:`FrameMethodAlias`) live here too, so every rename warns the same way.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from crlm_outcomes._display import frames_html

__all__ = [
    "AliasedFrame",
    "FrameMethodAlias",
    "Record",
    "Result",
    "empty_excluded",
    "excluded_count",
    "fields_equal",
    "frames_text",
    "short_names",
    "short_repr",
    "values_equal",
    "warn_deprecated",
]

#: The version in which the deprecated names of 0.2 are removed (one minor version later).
REMOVED_IN = "0.3"


# --------------------------------------------------------------------------------------------
# value equality
# --------------------------------------------------------------------------------------------
def values_equal(a: Any, b: Any) -> bool:
    """Value equality that treats NaN as equal to NaN and never raises.

    DataFrames, Series and indexes compare with ``.equals`` (values, labels and dtypes; NaN in
    the same place is equal); arrays by shape and values (NaN equal); dataclasses field by
    field; mappings and sequences element by element; floats with NaN equal to NaN.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> values_equal(pd.DataFrame({"x": [1.0, np.nan]}), pd.DataFrame({"x": [1.0, np.nan]}))
    True
    >>> values_equal(np.array([1.0, np.nan]), np.array([1.0, 2.0]))
    False
    """
    if a is b:
        return True
    if isinstance(a, (pd.DataFrame, pd.Series, pd.Index)) or isinstance(
        b, (pd.DataFrame, pd.Series, pd.Index)
    ):
        if not (isinstance(a, type(b)) or isinstance(b, type(a))):
            return False
        try:
            return bool(a.equals(b))
        except (TypeError, ValueError):
            return False
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        x, y = np.asarray(a), np.asarray(b)
        if x.shape != y.shape:
            return False
        try:
            return bool(np.array_equal(x, y, equal_nan=True))
        except TypeError:  # object arrays: element by element
            return all(values_equal(u, v) for u, v in zip(x.ravel(), y.ravel(), strict=True))
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        if type(a) is not type(b):
            return False
        return all(
            values_equal(getattr(a, f.name), getattr(b, f.name))
            for f in dataclasses.fields(a)
            if f.compare
        )
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(values_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return (
            type(a) is type(b)
            and len(a) == len(b)
            and all(values_equal(u, v) for u, v in zip(a, b, strict=True))
        )
    if isinstance(a, (float, np.floating)) and isinstance(b, (float, np.floating)):
        return bool(a == b or (math.isnan(a) and math.isnan(b)))
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def empty_excluded() -> pd.DataFrame:
    """The ``excluded`` table of a result that excluded nothing."""
    return pd.DataFrame(
        {
            "index": pd.Series(dtype=object),
            "column": pd.Series(dtype=object),
            "value": pd.Series(dtype=object),
            "reason": pd.Series(dtype=object),
        }
    )


def excluded_count(excluded: pd.DataFrame) -> int:
    """Number of input rows in an ``excluded`` table (one or more records per row)."""
    if excluded is None or len(excluded) == 0:
        return 0
    if "index" in excluded.columns:
        return int(excluded["index"].nunique())
    return int(len(excluded))


# --------------------------------------------------------------------------------------------
# text and HTML
# --------------------------------------------------------------------------------------------
def _fmt(value: object) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.4g}"
    return str(value)


def frames_text(
    title: str,
    frames: Mapping[str, pd.DataFrame],
    *,
    notes: Mapping[str, object] | None = None,
    max_rows: int = 40,
) -> str:
    """Plain-text counterpart of :func:`crlm_outcomes._display.frames_html`.

    Examples
    --------
    >>> import pandas as pd
    >>> print(frames_text("A title", {"": pd.DataFrame({"x": [1.5]})}, notes={"n": 3}))
    A title
      n: 3
    <BLANKLINE>
      x
    1.5
    """
    lines = [title]
    for key, value in (notes or {}).items():
        lines.append(f"  {key}: {_fmt(value)}")
    for name, frame in frames.items():
        lines.append("")
        if name:
            lines.append(name)
        shown = frame.head(max_rows)
        lines.append(shown.to_string(index=False, float_format=lambda v: f"{v:.4g}", na_rep="NA"))
        if len(frame) > max_rows:
            lines.append(f"... {len(frame) - max_rows} more rows")
    return "\n".join(lines)


def short_repr(obj: Any, fields: Mapping[str, object]) -> str:
    """``<ClassName key=value, ...>`` on one line."""
    inner = ", ".join(f"{k}={_fmt(v)}" for k, v in fields.items())
    return f"<{type(obj).__name__}{' ' if inner else ''}{inner}>"


def fields_equal(a: Any, b: Any) -> bool:
    """Whether two dataclass instances of one type have equal compared fields (NaN-aware, see
    :func:`values_equal`)."""
    return all(
        values_equal(getattr(a, f.name), getattr(b, f.name))
        for f in dataclasses.fields(a)
        if f.compare
    )


def short_names(names: Any, limit: int = 4) -> list[str]:
    """The first ``limit`` of ``names`` as text, with ``"..."`` standing for the rest.

    Examples
    --------
    >>> short_names(["a", "b", "c"], limit=2)
    ['a', 'b', '...']
    """
    names = [str(n) for n in names]
    return names if len(names) <= limit else [*names[:limit], "..."]


class Record:
    """Mixin of the public helper records that are not results (no ``table``): ``==`` as
    :class:`Result` (field values, NaN-aware, never raises), unhashable, and a one-line repr
    built from :meth:`_repr_fields`. A subclass is a ``@dataclass(frozen=True, eq=False,
    repr=False)``.
    """

    __hash__ = None  # type: ignore[assignment]  # records hold DataFrames: not hashable

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return fields_equal(self, other)

    def _repr_fields(self) -> dict[str, object]:
        """The fields shown by ``repr``: by default the scalar (number or text) fields."""
        return {
            f.name: value
            for f in dataclasses.fields(self)  # type: ignore[arg-type]
            if isinstance(value := getattr(self, f.name), (str, int, float, np.number))
        }

    def __repr__(self) -> str:
        return short_repr(self, self._repr_fields())


class Result(Record):
    """Mixin of the result contract (see the module docstring): a :class:`Record` (equality,
    unhashable, one-line repr) with a ``table``.

    A subclass is a ``@dataclass(frozen=True, eq=False, repr=False)`` with a ``table`` and
    an ``excluded`` field; it sets ``_title`` and may override :meth:`_display_notes`,
    :meth:`_display_frames`, :meth:`_repr_fields` and :meth:`summary`.
    """

    _title: ClassVar[str] = "Result"

    @property
    def n_excluded(self) -> int:
        """Number of input rows excluded from the analysis (see ``excluded``)."""
        return excluded_count(getattr(self, "excluded", None))  # type: ignore[arg-type]

    # -- description used by repr, summary() and _repr_html_ -------------------------------
    def _display_title(self) -> str:
        return self._title

    def _display_notes(self) -> dict[str, object]:
        return {"rows excluded": self.n_excluded}

    def _display_frames(self) -> dict[str, pd.DataFrame]:
        return {"": getattr(self, "table")}  # noqa: B009 - every result has a table

    def _repr_fields(self) -> dict[str, object]:
        out: dict[str, object] = {}
        n = getattr(self, "n", None)
        if isinstance(n, (int, np.integer)):
            out["n"] = int(n)
        out["rows"] = len(getattr(self, "table"))  # noqa: B009
        out["excluded"] = self.n_excluded
        return out

    def summary(self) -> str:
        """The result as text, laid out as R prints it where R has a print method."""
        return frames_text(
            self._display_title(), self._display_frames(), notes=self._display_notes()
        )

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return frames_html(
            self._display_title(), self._display_frames(), notes=self._display_notes()
        )


# --------------------------------------------------------------------------------------------
# deprecated names
# --------------------------------------------------------------------------------------------
def warn_deprecated(old: str, new: str, *, stacklevel: int = 3) -> None:
    """Emit the FutureWarning of a renamed name (``stacklevel`` points at the user's line)."""
    warnings.warn(
        f"{old} is deprecated and will be removed in crlm_outcomes {REMOVED_IN}; use {new}",
        FutureWarning,
        stacklevel=stacklevel,
    )


class AliasedFrame(pd.DataFrame):
    """A DataFrame whose renamed columns stay readable by their old names for one minor
    version: ``frame["old"]`` returns the renamed column with a FutureWarning.

    ``frame["old"]`` and ``frame[["old", "other"]]`` (the columns under the names asked for)
    are aliased, not ``.loc`` or attribute access; every operation returns a plain DataFrame.

    Examples
    --------
    >>> import pandas as pd, warnings
    >>> f = AliasedFrame.wrap(pd.DataFrame({"std_error": [0.5]}), {"se": "std_error"})
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     float(f["se"].iloc[0]), w[0].category.__name__
    (0.5, 'FutureWarning')
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     list(f[["se", "std_error"]].columns)
    ['se', 'std_error']
    """

    _metadata = ["_column_aliases"]
    _column_aliases: dict[str, str]

    @property
    def _constructor(self) -> Callable[..., pd.DataFrame]:  # type: ignore[override]
        return pd.DataFrame

    @classmethod
    def wrap(cls, frame: pd.DataFrame, aliases: Mapping[str, str]) -> AliasedFrame:
        """``frame`` (not copied) with the ``old -> new`` column aliases."""
        out = cls(frame, copy=False)
        object.__setattr__(out, "_column_aliases", dict(aliases))
        return out

    def __getitem__(self, key: Any) -> Any:
        aliases = getattr(self, "_column_aliases", {})
        if isinstance(key, str) and key in aliases and key not in self.columns:
            warn_deprecated(f"column {key!r}", f"column {aliases[key]!r}")
            key = aliases[key]
        elif isinstance(key, list) and all(isinstance(k, str) for k in key):
            old = [k for k in key if k in aliases and k not in self.columns]
            if old:
                for k in old:
                    warn_deprecated(f"column {k!r}", f"column {aliases[k]!r}")
                picked = super().__getitem__([aliases.get(k, k) if k in old else k for k in key])
                return picked.set_axis(key, axis=1)  # under the names asked for
        return super().__getitem__(key)


class FrameMethodAlias:
    """The value of an attribute that was a DataFrame and became a method.

    Calling it runs the method (the new API, no warning); using it as the old DataFrame
    (indexing, attributes, ``len``, iteration) emits a FutureWarning and acts on the old frame.
    ``isinstance(..., pd.DataFrame)`` is False: code that needs the frame should use the new
    attribute named in the warning.
    """

    __slots__ = ("_method", "_frame", "_old", "_new")

    def __init__(
        self, method: Callable[[], Any], frame: Callable[[], pd.DataFrame], old: str, new: str
    ) -> None:
        self._method = method
        self._frame = frame
        self._old = old
        self._new = new

    def __call__(self) -> Any:
        return self._method()

    def _deprecated(self) -> pd.DataFrame:
        warn_deprecated(f"{self._old} as a DataFrame", self._new, stacklevel=4)
        return self._frame()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._deprecated(), name)

    def __getitem__(self, key: Any) -> Any:
        return self._deprecated()[key]

    def __len__(self) -> int:
        return len(self._deprecated())

    def __iter__(self) -> Iterator[Any]:
        return iter(self._deprecated())

    def __repr__(self) -> str:
        return str(self._method())
