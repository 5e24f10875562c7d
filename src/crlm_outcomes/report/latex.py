"""LaTeX (booktabs) export of a published table.

One escaper for every table of the report, so that the ``.tex`` files written by a build and
``TableOne.to_latex`` / ``RegressionTable.to_latex`` agree: backslashes, ``& % _ #``, the
comparison signs of ``<0.001`` and ``<11``, the ``‡`` suppression marker and en/em dashes are
turned into their LaTeX forms (pdflatex-safe).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["latex_escape", "latex_table"]

#: Replacements, in order (the backslash first so that later ones are not escaped again).
_REPLACEMENTS = (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_"),
                 ("#", r"\#"), ("<", r"$<$"), (">", r"$>$"), ("‡", r"\ddag{}"),
                 ("–", "--"), ("—", "---"))


def latex_escape(value: Any) -> str:
    """``str(value)`` with LaTeX special characters escaped."""
    text = str(value)
    for a, b in _REPLACEMENTS:
        text = text.replace(a, b)
    return text


def latex_table(frame: pd.DataFrame) -> str:
    """The cells and column names of ``frame`` escaped, as a booktabs tabular without index."""
    pub = frame.map(latex_escape)
    pub.columns = [latex_escape(c) for c in frame.columns]
    return pub.style.hide(axis="index").to_latex(hrules=True)
