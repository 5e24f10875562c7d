"""Public-API bridges between pandas columns and pyarrow arrays.

pandas keeps the Arrow data of a string column in private attributes (``_pa_array``) whose
presence depends on the pandas version and the string storage. These helpers use only
``__arrow_array__`` (the pandas/pyarrow interchange protocol) and ``pa.array``, so they behave
the same on pandas 2 and 3.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

ARROW_STRING = pd.StringDtype("pyarrow")


def string_chunks(series: pd.Series) -> pa.ChunkedArray:
    """The text of ``series`` as an Arrow ``ChunkedArray`` of strings (missing → null).

    Zero-copy when the column is already Arrow-backed.

    Examples
    --------
    >>> import pandas as pd
    >>> string_chunks(pd.Series(["a", None], dtype="string[pyarrow]")).to_pylist()
    ['a', None]
    """
    if not (isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow"):
        series = series.astype(ARROW_STRING)
    arr = pa.array(series.array)
    if isinstance(arr, pa.ChunkedArray):
        return arr
    return pa.chunked_array([arr])


def to_string_series(
    values: pa.Array | pa.ChunkedArray, index: pd.Index | None = None
) -> pd.Series:
    """An Arrow string array as a ``string[pyarrow]`` Series (nulls become ``pd.NA``).

    Examples
    --------
    >>> import pyarrow as pa
    >>> to_string_series(pa.array(["x", None])).tolist()
    ['x', <NA>]
    """
    return pd.Series(pd.arrays.ArrowStringArray(values), index=index)


#: A decimal number as the loaders accept it (after the profile's rewrites): optional sign,
#: digits with an optional point, optional exponent; surrounding blanks allowed.
_NUMBER = r"^\s*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*$"


def to_float(text: pd.Series) -> pd.Series:
    """Text to float64, correctly rounded, NaN where the text is not a decimal number.

    ``pd.to_numeric`` is not used: on pandas 2 its parser is not correctly rounded (it reads
    ``"51.285420944558524"`` as ``51.28542094455853`` and ``"1e20"``-sized integers one unit in
    the last place off), so the same file gave different cohorts on pandas 2 and 3. Arrow's cast
    is correctly rounded on every supported version.

    Examples
    --------
    >>> import pandas as pd
    >>> to_float(pd.Series(["51.285420944558524", " 2 ", "+1e3", "x", None, ".5"])).tolist()
    [51.285420944558524, 2.0, 1000.0, nan, nan, 0.5]
    """
    import pyarrow.compute as pc

    arr = string_chunks(text)
    ok = pc.fill_null(pc.match_substring_regex(arr, _NUMBER), False)
    clean = pc.utf8_trim_whitespace(arr)
    clean = pc.if_else(ok, pc.utf8_ltrim(clean, characters="+"), pa.scalar(None, clean.type))
    values = pc.cast(clean, pa.float64()).to_numpy()
    return pd.Series(values, index=text.index, dtype="float64")
