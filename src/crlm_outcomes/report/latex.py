"""LaTeX (booktabs) export of a published table.

One escaper for every table of the report, so that the ``.tex`` files written by a build and
``TableOne.to_latex`` / ``RegressionTable.to_latex`` agree: backslashes, ``& % _ #``, the
comparison signs of ``<0.001`` and ``<11``, the ``‡`` suppression marker and en/em dashes are
turned into their LaTeX forms (pdflatex-safe); NUL is dropped and other control characters are
shown as ``?``.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

__all__ = ["latex_escape", "latex_table"]

#: Replacements (applied in one pass, so no replacement is escaped again).
_REPLACEMENTS = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "_": r"\_", "#": r"\#",
                 "$": r"\$", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                 "^": r"\textasciicircum{}", "<": r"$<$", ">": r"$>$", "‡": r"\ddag{}",
                 "–": "--", "—": "---", "\n": " ", "\r": " ", "\x00": ""}
# other control characters (a bell or form feed typed into a cell) stop pdflatex: shown as "?"
_REPLACEMENTS.update({chr(c): "?" for c in [*range(1, 9), 11, 12, *range(14, 32)]})
_PATTERN = re.compile("|".join(re.escape(k) for k in _REPLACEMENTS))


def latex_escape(value: Any) -> str:
    r"""``str(value)`` with every LaTeX special character escaped (pdflatex-safe).

    Examples
    --------
    >>> print(latex_escape(r"50% of {x}_1 & \input{/etc/passwd}"))
    50\% of \{x\}\_1 \& \textbackslash{}input\{/etc/passwd\}
    """
    return _PATTERN.sub(lambda m: _REPLACEMENTS[m.group(0)], str(value))


def latex_table(frame: pd.DataFrame) -> str:
    """The cells and column names of ``frame`` escaped, as a booktabs tabular without index."""
    pub = frame.map(latex_escape)
    pub.columns = [latex_escape(c) for c in frame.columns]
    return pub.style.hide(axis="index").to_latex(hrules=True)
