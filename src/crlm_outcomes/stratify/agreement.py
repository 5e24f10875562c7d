"""Agreement between a category or score of ours and the one a source reports."""

from __future__ import annotations

import html
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from crlm_outcomes._display import frames_html
from crlm_outcomes.errors import InputError
from crlm_outcomes.stratify import _columns as col

__all__ = ["agreement", "Agreement"]


@dataclass(frozen=True, eq=False)
class Agreement:
    """Agreement of ``ours`` with ``theirs``: counts, Cohen's kappa, the patients who differ.

    Attributes
    ----------
    table
        One row, term ``kappa``: ``estimate``, ``std_error`` (Fleiss-Cohen-Everitt),
        ``lower``/``upper`` (95%), ``statistic`` (z against kappa = 0, with the null
        variance) and ``p``; plus ``n`` compared and ``observed_agreement``.
    counts
        Cross-table of ours (rows) by theirs (columns), patients known on both sides.
    differing
        One row per patient whose two values differ: ``index``, ``patient_id`` (when
        present), ``ours``, ``theirs`` and ``why`` (which side is missing and, from
        :func:`~crlm_outcomes.stratify.apply_all`'s reason column, why ours is).
    excluded
        Patients not compared (a value missing on either side), with the reason.
    ours, theirs
        The two column names.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.stratify.agreement import agreement
    >>> df = pd.DataFrame({"ours": ["low", "low", "high", "high", "high", None],
    ...                    "theirs": ["low", "high", "high", "high", "low", "low"]})
    >>> result = agreement(df, "ours", "theirs")
    >>> result
    <Agreement ours vs theirs: kappa 0.167, n=5, 3 differ>
    >>> print(result.counts.to_string())
    theirs  high  low
    ours
    high       2    1
    low        1    1
    >>> print(result.differing[["index", "why"]].to_string(index=False))
     index           why
         1 values differ
         4 values differ
         5  ours missing
    >>> result.n_excluded
    1
    """

    table: pd.DataFrame
    counts: pd.DataFrame
    differing: pd.DataFrame
    excluded: pd.DataFrame = field(repr=False)
    ours: str = ""
    theirs: str = ""

    @property
    def n_excluded(self) -> int:
        """Number of patients not compared."""
        return len(self.excluded)

    @property
    def kappa(self) -> float:
        """Cohen's kappa."""
        return float(self.table["estimate"].iloc[0])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Agreement):
            return NotImplemented
        for f in fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            same = a.equals(b) if isinstance(a, pd.DataFrame) else a == b
            if not same:
                return False
        return True

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        row = self.table.iloc[0]
        return (
            f"<Agreement {self.ours} vs {self.theirs}: kappa {row['estimate']:.3f}, "
            f"n={int(row['n'])}, {len(self.differing)} differ>"
        )

    def __str__(self) -> str:
        return self.summary()

    def summary(self) -> str:
        """Text summary: kappa with its confidence interval, counts and disagreements.

        Returns
        -------
        str
            Lines: the two columns compared; the patients compared and not compared; the
            observed agreement (proportion); Cohen's kappa with its standard error, 95%
            confidence interval, z and p; the cross-table of counts (ours in rows); the number
            of patients whose values differ. Also what ``print(result)`` shows.

        Examples
        --------
        >>> import pandas as pd
        >>> from crlm_outcomes.stratify.agreement import agreement
        >>> df = pd.DataFrame({"ours": ["low", "low", "high", "high", "high", None],
        ...                    "theirs": ["low", "high", "high", "high", "low", "low"]})
        >>> lines = agreement(df, "ours", "theirs").summary().splitlines()
        >>> print("\\n".join(lines[:4]))
        Agreement of ours (rows) with theirs (columns)
        n compared = 5, not compared = 1
        observed agreement = 0.6000
        Cohen's kappa = 0.1667 (SE 0.4457, 95% CI -0.7070 to 1.0403); z = 0.373, p = 0.7094
        >>> lines[-1]
        '3 patient(s) differ'
        """
        row = self.table.iloc[0]
        lines = [
            f"Agreement of {self.ours} (rows) with {self.theirs} (columns)",
            f"n compared = {int(row['n'])}, not compared = {self.n_excluded}",
            f"observed agreement = {row['observed_agreement']:.4f}",
            f"Cohen's kappa = {row['estimate']:.4f} (SE {row['std_error']:.4f}, 95% CI "
            f"{row['lower']:.4f} to {row['upper']:.4f}); z = {row['statistic']:.3f}, "
            f"p = {row['p']:.4g}",
            "",
            self.counts.to_string(),
            "",
            f"{len(self.differing)} patient(s) differ",
        ]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return frames_html(
            f"Agreement: {html.escape(self.ours)} vs {html.escape(self.theirs)}",
            {
                "": self.table,
                "counts": self.counts.reset_index(),
                "patients who differ": self.differing,
            },
            notes={"not compared": self.n_excluded},
        )


def _kappa(counts: np.ndarray) -> tuple[float, float, float, float]:
    """Kappa, observed agreement, SE (Fleiss-Cohen-Everitt 1969) and the null SE."""
    n = counts.sum()
    p = counts / n
    rows, cols = p.sum(axis=1), p.sum(axis=0)
    po = float(np.trace(p))
    pe = float(rows @ cols)
    if pe >= 1.0:
        return float("nan"), po, float("nan"), float("nan")
    kappa = (po - pe) / (1 - pe)
    k = len(p)
    diag = sum(p[i, i] * (1 - (rows[i] + cols[i]) * (1 - kappa)) ** 2 for i in range(k))
    off = sum(p[i, j] * (cols[i] + rows[j]) ** 2 for i in range(k) for j in range(k) if i != j)
    var = (diag + (1 - kappa) ** 2 * off - (kappa - pe * (1 - kappa)) ** 2) / (n * (1 - pe) ** 2)
    var0 = (pe + pe**2 - float(np.sum(rows * cols * (rows + cols)))) / (n * (1 - pe) ** 2)
    return kappa, po, float(np.sqrt(max(var, 0.0))), float(np.sqrt(max(var0, 0.0)))


def agreement(frame: Any, ours: str, theirs: str) -> Agreement:
    """Agreement between our category/score and one reported by the source.

    Source: Cohen J. Educ Psychol Meas 1960;20(1):37-46 (kappa); Fleiss JL, Cohen J,
    Everitt BS. Psychol Bull 1969;72(5):323-327 (standard errors). Typical use: our
    ``fong_score`` against the source's ``source_clinical_risk_score`` (TCIA
    ``clinrisk_score``).

    Parameters
    ----------
    frame
        A DataFrame or Cohort, e.g. the result of :func:`~crlm_outcomes.stratify.apply_all`.
    ours, theirs
        Column names. Values are compared as categories (scores as their integer values).

    Returns
    -------
    Agreement
        Counts, Cohen's kappa with its standard error, confidence interval and test, and the
        patients who differ with why.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.stratify.agreement import agreement
    >>> df = pd.DataFrame({"a": [0] * 20 + [0] * 5 + [1] * 10 + [1] * 15,
    ...                    "b": [0] * 20 + [1] * 5 + [0] * 10 + [1] * 15})
    >>> round(agreement(df, "a", "b").kappa, 6)
    0.4
    """
    data = col.as_frame(frame)
    for name in (ours, theirs):
        if name not in data.columns:
            raise InputError(
                "agreement: column not found",
                column=name,
                expected=f"a column of the data ({', '.join(map(str, data.columns[:8]))}, ...)",
            )
    a = data[ours].astype(object).where(data[ours].notna(), None)
    b = data[theirs].astype(object).where(data[theirs].notna(), None)
    a = a.map(
        lambda v: int(v) if isinstance(v, (float, np.floating)) and float(v).is_integer() else v
    )
    b = b.map(
        lambda v: int(v) if isinstance(v, (float, np.floating)) and float(v).is_integer() else v
    )
    a_missing, b_missing = a.isna().to_numpy(), b.isna().to_numpy()
    both = ~a_missing & ~b_missing
    reason_column = f"{ours}_reason"
    our_reason = (
        data[reason_column].astype(object).to_numpy()
        if reason_column in data.columns
        else np.full(len(data), None, dtype=object)
    )
    why = np.where(
        a_missing & b_missing, "both missing", np.where(a_missing, "ours missing", "theirs missing")
    ).astype(object)
    with_reason = a_missing & ~pd.isna(our_reason)
    why[with_reason] = np.array(
        ["ours missing: " + str(text) for text in our_reason[with_reason]], dtype=object
    )
    excluded = pd.DataFrame({"index": data.index[~both], "reason": why[~both]})
    levels = sorted(set(a[both]) | set(b[both]), key=lambda v: (str(type(v)), v))
    counts = pd.crosstab(
        pd.Categorical(a[both], categories=levels),
        pd.Categorical(b[both], categories=levels),
        dropna=False,
    )
    counts.index.name, counts.columns.name = ours, theirs
    if both.sum() == 0:
        raise InputError(
            "agreement: no patient has both values",
            column=ours,
            expected=f"patients with {ours} and {theirs} known",
        )
    kappa, po, se, se0 = _kappa(counts.to_numpy(dtype=float))
    z = kappa / se0 if se0 > 0 else float("nan")
    table = pd.DataFrame(
        {
            "term": ["kappa"],
            "estimate": [kappa],
            "std_error": [se],
            "lower": [kappa - 1.959963984540054 * se],
            "upper": [kappa + 1.959963984540054 * se],
            "statistic": [z],
            "p": [2 * stats.norm.sf(abs(z)) if np.isfinite(z) else float("nan")],
            "n": [int(both.sum())],
            "observed_agreement": [po],
        }
    )
    differ = both & (a.to_numpy() != b.to_numpy())
    differ_rows = differ | (a_missing ^ b_missing)
    table_differ = pd.DataFrame({"index": data.index[differ_rows]})
    if "patient_id" in data.columns:
        table_differ["patient_id"] = data["patient_id"].to_numpy()[differ_rows]
    table_differ["ours"] = a.to_numpy()[differ_rows]
    table_differ["theirs"] = b.to_numpy()[differ_rows]
    why_differ = why.copy()
    why_differ[differ] = "values differ"
    table_differ["why"] = why_differ[differ_rows]
    return Agreement(
        table=table,
        counts=counts,
        differing=table_differ,
        excluded=excluded,
        ours=ours,
        theirs=theirs,
    )
