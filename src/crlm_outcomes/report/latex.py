"""LaTeX (booktabs) export of a published table.

One escaper for every table of the report, so that the ``.tex`` files written by a build and
``TableOne.to_latex`` / ``RegressionTable.to_latex`` agree: backslashes, ``& % _ #``, the
comparison signs of ``<0.001`` and ``<11``, the ``‡`` suppression marker and en/em dashes are
turned into their LaTeX forms (pdflatex-safe); NUL and other control characters are dropped.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

__all__ = ["latex_escape", "latex_table"]

#: Replacements (applied in one pass, so no replacement is escaped again).
_REPLACEMENTS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "_": r"\_",
    "#": r"\#",
    "$": r"\$",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"$<$",
    ">": r"$>$",
    "‡": r"\ddag{}",
    "–": "--",
    "—": "---",
    "\n": " ",
    "\r": " ",
    "\x00": "",
}
# other control characters (a bell or form feed typed into a cell) stop pdflatex: dropped, as
# in Word and Excel (crlm_outcomes.report.word.xml_text)
_REPLACEMENTS.update({chr(c): "" for c in [*range(1, 9), 11, 12, *range(14, 32)]})
_PATTERN = re.compile("|".join(re.escape(k) for k in _REPLACEMENTS))


def latex_escape(value: Any) -> str:
    r"""``str(value)`` with every LaTeX special character escaped (pdflatex-safe).

    Parameters
    ----------
    value
        Any value; it is converted with ``str`` first.

    Returns
    -------
    str
        The text with ``\ & % $ # _ { } ~ ^ < >``, ``‡`` and en/em dashes replaced by their
        LaTeX forms, line breaks by spaces, and other control characters (which stop
        pdflatex) dropped.

    Examples
    --------
    >>> print(latex_escape(r"50% of {x}_1 & \input{/etc/passwd}"))
    50\% of \{x\}\_1 \& \textbackslash{}input\{/etc/passwd\}
    """
    return _PATTERN.sub(lambda m: _REPLACEMENTS[m.group(0)], str(value))


def latex_table(frame: pd.DataFrame) -> str:
    r"""The cells and column names of ``frame`` escaped, as a booktabs tabular without index.

    Parameters
    ----------
    frame
        The published table (any cell values; each is escaped with :func:`latex_escape`).

    Returns
    -------
    str
        A ``tabular`` environment with ``\toprule``, ``\midrule`` and ``\bottomrule``
        (needs ``\usepackage{booktabs}``).

    Examples
    --------
    >>> t = pd.DataFrame({"Margin": ["R0 & R1", "R2"], "n (%)": ["12 (60.0)", "8 (40.0)"]})
    >>> print(latex_table(t))
    \begin{tabular}{ll}
    \toprule
    Margin & n (\%) \\
    \midrule
    R0 \& R1 & 12 (60.0) \\
    R2 & 8 (40.0) \\
    \bottomrule
    \end{tabular}
    <BLANKLINE>
    """
    pub = frame.map(latex_escape)
    pub.columns = [latex_escape(c) for c in frame.columns]
    return pub.style.hide(axis="index").to_latex(hrules=True)


def grouped_latex_table(frame: pd.DataFrame) -> str:
    """A booktabs tabular of a table with ``variable`` and ``level`` columns: each variable as
    a header row (bold when levels follow), its levels indented under it (``\\quad``).

    Parameters
    ----------
    frame
        Published strings, one row per line of the table: ``variable``, ``level`` (``""`` on a
        variable's own row) and the value columns, in display order. A frame without both
        ``variable`` and ``level`` is rendered flat by :func:`latex_table`.

    Returns
    -------
    str
        The ``tabular`` environment (``l`` then one ``r`` per value column), newline-terminated;
        column names and every cell pass through :func:`latex_escape`.

    Examples
    --------
    >>> t = pd.DataFrame({"variable": ["Sex", "Sex", "Sex"], "level": ["", "Female", "Male"],
    ...                   "n": ["", "10", "12"]})
    >>> print(grouped_latex_table(t))  # doctest: +NORMALIZE_WHITESPACE
    \\begin{tabular}{lr}
    \\toprule
     & n \\\\
    \\midrule
    \\textbf{Sex} &  \\\\
    \\quad Female & 10 \\\\
    \\quad Male & 12 \\\\
    \\bottomrule
    \\end{tabular}
    """
    if not {"variable", "level"} <= set(frame.columns):
        return latex_table(frame)
    values = [c for c in frame.columns if c not in ("variable", "level")]
    lines = [
        r"\begin{tabular}{l" + "r" * len(values) + "}",
        r"\toprule",
        " & ".join(["", *[latex_escape(c) for c in values]]) + r" \\",
        r"\midrule",
    ]
    levels = frame["level"].astype(str).tolist()
    for i, row in enumerate(frame.itertuples(index=False)):
        rec = dict(zip(frame.columns, row, strict=True))
        if levels[i] == "":
            has_levels = i + 1 < len(levels) and levels[i + 1] != ""
            text = latex_escape(rec["variable"])
            label = rf"\textbf{{{text}}}" if has_levels else text
        else:
            label = r"\quad " + latex_escape(rec["level"])
        cells = [latex_escape(rec[c]) for c in values]
        lines.append(" & ".join([label, *cells]) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"
