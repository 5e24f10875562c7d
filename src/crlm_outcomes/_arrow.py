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


def to_string_series(values: pa.Array | pa.ChunkedArray, index: pd.Index | None = None) -> pd.Series:
    """An Arrow string array as a ``string[pyarrow]`` Series (nulls become ``pd.NA``).

    Examples
    --------
    >>> import pyarrow as pa
    >>> to_string_series(pa.array(["x", None])).tolist()
    ['x', <NA>]
    """
    return pd.Series(pd.arrays.ArrowStringArray(values), index=index)
