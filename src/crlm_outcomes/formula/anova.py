"""Wald tests of the terms of a model and of their nonlinear parts, laid out as ``rms::anova``.

For every variable (formula term) the Wald chi-square of all its coefficients; for a restricted
cubic spline (``rcs``) or orthogonal polynomial (``poly``) term also of its nonlinear
coefficients (all but the first column: the test that the effect is linear). With interactions
the rows follow rms 6.5-0 ``anova.rms``: a variable that takes part in an interaction is tested
with its interaction columns ("Factor+Higher Order Factors"), with " All Interactions" and its
nonlinear part (the nonlinear columns of its spline, including those inside interactions); an
interaction term gets its own row, its nonlinear part and, for a two-way interaction, the
"Nonlinear Interaction : f(A,B) vs. AB" and related tests. Then ``TOTAL NONLINEAR`` (two or more
nonlinear tests), ``TOTAL INTERACTION`` (two or more interactions), ``TOTAL NONLINEAR +
INTERACTION`` and ``TOTAL``. Degrees of freedom are the number of coefficients tested, as rms.

Reference: Harrell FE (2015), *Regression Modeling Strategies*, 2nd ed., Springer, sections 2.4.6
(test of linearity) and 9.4 (Wald tests); rms 6.5-0 ``anova.rms``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from crlm_outcomes.formula.design import Design

__all__ = ["nonlinear_columns", "wald_anova"]

_NONLINEAR_FUNCS = ("rcs(", "poly(")
_HOF = "  (Factor+Higher Order Factors)"


def _split_column(name: str) -> list[str]:
    """``rcs(age, 4)[2]:sex[T.M]`` -> its per-factor parts (``:`` inside brackets kept)."""
    parts: list[str] = []
    depth, quote = 0, ""
    cur: list[str] = []
    for ch in name:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"`":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == ":" and depth == 0:
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    parts.append("".join(cur))
    return parts


def _components(design: Design) -> dict[str, tuple[str, ...]]:
    """The factors (component variables / transforms) of each term."""
    if design.spec is None:
        return {t: (t,) for t in design.term_columns}
    out: dict[str, tuple[str, ...]] = {}
    for term in design.spec.term_indices:
        label = str(term)
        if label in design.term_columns:
            out[label] = tuple(str(f.expr) for f in term.factors)
    return out


def _nonlinear_in(column: str, components: tuple[str, ...]) -> list[bool]:
    """Whether a design column is nonlinear in each of its term's components."""
    parts = _split_column(column)
    if len(parts) != len(components):
        return [False] * len(components)
    return [
        c.startswith(_NONLINEAR_FUNCS) and p != f"{c}[1]"
        for c, p in zip(components, parts, strict=True)
    ]


def nonlinear_columns(design: Design) -> dict[str, list[int]]:
    """Positions of the nonlinear columns of each ``rcs``/``poly`` main-effect term.

    Parameters
    ----------
    design
        A fitted design.

    Returns
    -------
    dict
        ``{term: [column positions]}``: every column of the term but its first (linear) one.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from crlm_outcomes.formula import build_design
    >>> nonlinear_columns(build_design("z + rcs(x, 4)", pd.DataFrame({"x": np.arange(30.0),
    ...                                                               "z": np.arange(30.0)})))
    {'rcs(x, 4)': [2, 3]}
    """
    comps = _components(design)
    out: dict[str, list[int]] = {}
    for term, cols in design.term_columns.items():
        if len(comps.get(term, ())) == 1:
            nl = [c for c in cols if _nonlinear_in(design.columns[c], comps[term])[0]]
            if nl and len(nl) < len(cols):
                out[term] = nl
    return out


def _two_way_rows(
    t: str, low: tuple[str, ...], main: list[int], fx: list[bool], fy: list[bool]
) -> list[tuple[str, str, list[int]]]:
    """rms's nonlinear-interaction tests of a two-way interaction term (``fx``/``fy``: columns
    nonlinear in its first / second component)."""
    xy = [a or b for a, b in zip(fx, fy, strict=True)]
    if not any(xy):
        return []
    both = [a and b for a, b in zip(fx, fy, strict=True)]

    def pick(fl: list[bool]) -> list[int]:
        return [c for c, f in zip(main, fl, strict=True) if f]

    rows = [(t, " Nonlinear Interaction : f(A,B) vs. AB", pick(xy))]
    if any(both):
        rows.append((t, " f(A,B) vs. Af(B) + Bg(A)", pick(both)))
    if any(fx) and fx != xy:
        rows.append((t, f" Nonlinear Interaction in {low[0]} vs. Af(B)", pick(fx)))
    if any(fy) and fy != xy:
        rows.append((t, f" Nonlinear Interaction in {low[1]} vs. Bg(A)", pick(fy)))
    return rows


class _Layout:
    """Builds rms's list of tests: (term, rms label, column positions), in rms's order."""

    def __init__(self, design: Design, ok: np.ndarray) -> None:
        self.design = design
        self.ok = ok
        self.comps = _components(design)
        self.inter = [t for t in design.term_columns if len(self.comps[t]) > 1]
        self.rows: list[tuple[str, str, list[int]]] = []
        self.all_nonlin: set[int] = set()
        self.all_ia: set[int] = set()
        self.num_nonlin = 0
        self.num_ia = 0

    def kept(self, idx: list[int]) -> list[int]:
        return [c for c in idx if self.ok[c]]

    def flags(self, col: int, term: str) -> list[bool]:
        return _nonlinear_in(self.design.columns[col], self.comps[term])

    def run(self) -> list[tuple[str, str, list[int]]]:
        for t in self.design.term_columns:
            self.term(t)
        if self.rows and all(_HOF in label for _, label, _ in self.rows):
            self.rows = [(t, label.replace(_HOF, ""), idx) for t, label, idx in self.rows]
        if self.num_nonlin > 1:
            self.add_total("TOTAL NONLINEAR", self.all_nonlin)
        if self.num_ia > 1:
            self.add_total("TOTAL INTERACTION", self.all_ia)
        if self.num_nonlin > 0 and self.num_ia > 0:
            self.add_total("TOTAL NONLINEAR + INTERACTION", self.all_nonlin | self.all_ia)
        self.add_total("TOTAL", set(range(len(self.design.columns))))
        return self.rows

    def add_total(self, name: str, idx: set[int]) -> None:
        self.rows.append((name, name, self.kept(sorted(idx))))

    def term(self, t: str) -> None:
        low = self.comps[t]
        main = list(self.design.term_columns[t])
        containing = [k for k in self.inter if set(low) <= set(self.comps[k])]
        ni = len(containing) if len(low) > 1 else 2 * len(containing)
        nonlin_ia: list[int] = []
        if ni == 0:
            self.rows.append((t, t, self.kept(main)))
        else:
            nonlin_ia = self.pooled(t, low, main, [k for k in containing if k != t], ni)
        nl = [any(self.flags(c, t)) for c in main]
        if any(nl) and not all(nl):
            idx = [c for c, f in zip(main, nl, strict=True) if f] + nonlin_ia
            self.num_nonlin += 1
            self.all_nonlin.update(idx)
            label = " Nonlinear" if not nonlin_ia else " Nonlinear (Factor+Higher Order Factors)"
            self.rows.append((t, label, self.kept(idx)))
        if len(low) > 1:
            self.interaction(t, low, main)

    def pooled(
        self, t: str, low: tuple[str, ...], main: list[int], others: list[str], ni: int
    ) -> list[int]:
        """Rows of a term with its higher-order terms; returns their columns nonlinear in it."""
        cols = self.design.term_columns
        ia_idx = [c for k in others for c in cols[k]]
        nonlin_ia: list[int] = []
        for k in others:
            for comp in low:
                pos = self.comps[k].index(comp)
                nonlin_ia += [c for c in cols[k] if self.flags(c, k)[pos]]
        self.rows.append((t, t + _HOF, self.kept(main + ia_idx)))
        if len(low) == 1 and ni > 1:
            self.rows.append((t, " All Interactions", self.kept(ia_idx)))
        return list(dict.fromkeys(nonlin_ia))

    def interaction(self, t: str, low: tuple[str, ...], main: list[int]) -> None:
        self.num_ia += 1
        self.all_ia.update(main)
        if len(low) != 2:
            return  # rms gives no nonlinear-interaction tests beyond two-way terms
        fx = [self.flags(c, t)[0] for c in main]
        fy = [self.flags(c, t)[1] for c in main]
        extra = _two_way_rows(t, low, main, fx, fy)
        if extra:
            self.num_nonlin += 1
            self.all_nonlin.update(extra[0][2])
            self.rows += [(term, label, self.kept(idx)) for term, label, idx in extra]


_PARTS = {
    " All Interactions": "all interactions",
    " Nonlinear": "nonlinear",
    " Nonlinear (Factor+Higher Order Factors)": "nonlinear (factor+higher order factors)",
    " Nonlinear Interaction : f(A,B) vs. AB": "nonlinear interaction: f(A,B) vs. AB",
    " f(A,B) vs. Af(B) + Bg(A)": "f(A,B) vs. Af(B) + Bg(A)",
}


def _part(term: str, label: str) -> str:
    if label in (term, term + _HOF) or term.startswith("TOTAL"):
        return "factor+higher order factors" if label.endswith(_HOF) else "overall"
    if label in _PARTS:
        return _PARTS[label]
    return label.strip().replace("Nonlinear Interaction", "nonlinear interaction")


def wald_anova(design: Design, coef: np.ndarray, vcov: np.ndarray) -> pd.DataFrame:
    """Wald chi-square tests per term and of the nonlinear parts of spline terms, as
    ``anova(cph)`` / ``anova(lrm)`` of rms (see the module docstring).

    Parameters
    ----------
    design
        The model's design.
    coef, vcov
        Coefficients and their variance matrix (aliased columns: missing values, left out).

    Returns
    -------
    pandas.DataFrame
        ``term`` (the formula term, or ``TOTAL NONLINEAR``, ``TOTAL INTERACTION``, ``TOTAL
        NONLINEAR + INTERACTION``, ``TOTAL``), ``part`` (``"overall"``, ``"nonlinear"``,
        ``"factor+higher order factors"``, ``"all interactions"``, ``"nonlinear (factor+higher
        order factors)"``, ``"nonlinear interaction: f(A,B) vs. AB"``, ...), ``label`` (rms's
        row label), ``statistic`` (chi-square), ``df``, ``p``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from crlm_outcomes.formula import build_design
    >>> d = build_design("rcs(x, 3) + z", pd.DataFrame({"x": np.arange(20.0),
    ...                                                "z": np.arange(20.0) % 3}))
    >>> wald_anova(d, np.array([0.1, 0.2, 0.3]), np.eye(3) * 0.01)[["term", "part", "df"]]
            term       part  df
    0  rcs(x, 3)    overall   2
    1  rcs(x, 3)  nonlinear   1
    2          z    overall   1
    3      TOTAL    overall   3
    """
    b = np.asarray(coef, dtype=np.float64)
    v = np.asarray(vcov, dtype=np.float64)
    ok = np.isfinite(b) & np.isfinite(np.diag(v))
    out = []
    for term, label, idx in _Layout(design, ok).run():
        if not idx:
            out.append((term, _part(term, label), label, np.nan, 0, np.nan))
            continue
        sub_b = b[idx]
        stat = float(sub_b @ np.linalg.lstsq(v[np.ix_(idx, idx)], sub_b, rcond=None)[0])
        out.append(
            (term, _part(term, label), label, stat, len(idx), float(stats.chi2.sf(stat, len(idx))))
        )
    return pd.DataFrame(out, columns=["term", "part", "label", "statistic", "df", "p"])
