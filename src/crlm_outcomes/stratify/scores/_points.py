"""Shared machinery of the point scores: components, totals with missing data, groups.

A score is the sum of its components' points. A component that cannot be evaluated makes the
score missing, and the reason names every missing component and the column behind it, e.g.
``"missing component(s): CEA > 200 ng/mL [cea_at_liver_diagnosis missing]"``.
``missing_as_zero=True`` (an explicit option, never the default) counts a missing component as
0 points -- only for patients with at least one component known -- and records which components
were so counted in ``.attrs["assumed"]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crlm_outcomes.stratify import _columns as col
from crlm_outcomes.stratify._codes import Levels, Texts, _unique_ints, as_texts
from crlm_outcomes.stratify._explain import attach, categorical_result, reason_texts

__all__ = [
    "Component",
    "threshold",
    "flag",
    "node_component",
    "total",
    "groups",
    "join_where",
    "cea_known_normal",
]


@dataclass(frozen=True)
class Component:
    """One score component: its label, its points per patient (NaN = cannot be evaluated) and,
    per patient, why it cannot be evaluated (one text for all, or :class:`Texts`)."""

    label: str
    points: np.ndarray
    why: Texts | str


def join_where(
    parts: np.ndarray, mask: np.ndarray, text: np.ndarray | str, sep: str = "; "
) -> np.ndarray:
    """Append ``text`` to ``parts`` (object array of str) where ``mask`` (new array).

    Object-array form of :meth:`Texts.join` (each distinct pair joined once).
    """
    current = Texts.from_array(np.asarray(parts, dtype=object))
    piece = text if isinstance(text, str) else Texts.from_array(np.asarray(text, dtype=object))
    out = current.join(mask, piece, sep=sep).to_array()
    out[pd.isna(out)] = ""
    return out


def threshold(
    frame: pd.DataFrame,
    column: str,
    label: str,
    *,
    above: float,
    inclusive: bool = False,
    points: float = 1.0,
    values: np.ndarray | None = None,
    at_least: str | None = None,
    known_below: np.ndarray | None = None,
) -> Component:
    """``points`` if the column's value is > ``above`` (>= with ``inclusive``), else 0.

    Where the value is missing, a known bound can still decide the component:
    ``at_least`` names a column holding a lower bound (a registry top code such as CEA
    >= 10,000 ng/mL or age 85+), which scores when the bound itself passes the threshold;
    ``known_below`` marks patients known to be below the threshold (e.g. a CEA interpreted
    as normal), who score 0.
    """
    x = col.number(frame, column) if values is None else values
    hit = (x >= above) if inclusive else (x > above)
    pts = np.where(np.isnan(x), np.nan, np.where(hit, points, 0.0))
    why_text = col.why_missing(column, frame)
    why: Texts | str = why_text
    if at_least is None and values is None:
        at_least = f"{column}_at_least"  # the schema's bound column, where there is one
    if at_least is not None:
        bound = col.number(frame, at_least)
        passes = (bound >= above) if inclusive else (bound > above)
        pts = np.where(np.isnan(pts) & passes, points, pts)
        open_ = np.isnan(pts) & ~np.isnan(bound)
        if known_below is not None:
            open_ &= ~known_below
        if open_.any():  # a bound below the cut-off: say so (one text per distinct bound)
            why = Texts.full(len(x), why_text)
            for value in np.unique(bound[open_]).tolist():
                why[open_ & (bound == value)] = f"known only as >= {value:g}, not enough to decide"
    if known_below is not None:
        pts = np.where(np.isnan(pts) & known_below, 0.0, pts)
    return Component(label, pts, why)


def cea_known_normal(frame: pd.DataFrame) -> np.ndarray:
    """CEA interpreted as normal by the source (``cea_interpretation == 'normal'``, i.e. within
    the laboratory's reference range, about 5 ng/mL) at diagnosis of the primary, for patients
    whose liver metastases were present at that diagnosis (``liver_mets_at_primary_diagnosis``
    True): their CEA at liver diagnosis is that same measurement, below every CEA cut-off of
    the scores (20, 80, 200 ng/mL)."""
    normal = col.coded(frame, "cea_interpretation") == "normal"
    synchronous = col.boolean(frame, "liver_mets_at_primary_diagnosis").to_numpy(
        dtype=bool, na_value=False
    )
    return normal & synchronous


def flag(
    frame: pd.DataFrame, series: pd.Series, column: str, label: str, points: float = 1.0
) -> Component:
    """``points`` where the nullable boolean ``series`` is True, 0 where False."""
    known = series.notna().to_numpy()
    true = series.to_numpy(dtype=bool, na_value=False)
    pts = np.where(known, np.where(true, points, 0.0), np.nan)
    return Component(label, pts, col.why_missing(column, frame))


def total(
    components: Sequence[Component],
    *,
    index: pd.Index,
    name: str,
    rule: str,
    source: str,
    missing_as_zero: bool = False,
) -> pd.Series:
    """Sum of component points as a nullable ``Int64`` Series with its explanation."""
    n = len(index)
    points = np.vstack([c.points for c in components]) if components else np.zeros((0, n))
    missing = np.isnan(points)
    any_missing = np.asarray(missing.any(axis=0))
    all_missing = np.asarray(missing.all(axis=0))
    listing, labels_only = _missing_listing(components, missing)
    assumed = None
    if missing_as_zero:
        summed = np.nansum(points, axis=0)
        score_missing = all_missing
        counted = any_missing & ~all_missing
        assumed = ("counted as 0: " + labels_only).where(counted)
        reason = "no component known -- " + listing.where(score_missing)
        rule = rule + "; missing components counted as 0 (missing_as_zero=True)"
    else:
        summed = points.sum(axis=0)
        score_missing = any_missing
        reason = listing.where(score_missing)
    values = pd.array(np.where(score_missing, 0, summed).astype(np.int64), dtype="Int64")
    values[score_missing] = pd.NA
    series = pd.Series(values, index=index)
    return attach(series, reason, name=name, rule=rule, source=source, assumed=assumed)


def _missing_listing(components: Sequence[Component], missing: np.ndarray) -> tuple[Texts, Texts]:
    """Per patient, the missing components with their reasons (``"CEA > 200 ng/mL
    [cea_at_liver_diagnosis missing]; ..."``) and their labels alone (``", "``-separated).

    The texts are built once per distinct pattern of (component missing, its reason): each
    patient's pattern is one integer (mixed radix over the components, renumbered densely
    before it could overflow), and each pattern's text is read off one patient who has it.
    """
    n = missing.shape[1]
    key = np.zeros(n, dtype=np.int64)  # the pattern of each patient, as one number
    distinct = 1  # an upper bound of key + 1
    codes: list[np.ndarray] = []  # per component: 0 = known, i = missing with texts[i-1]
    texts: list[list[str]] = []
    for component, miss in zip(components, missing, strict=True):
        if isinstance(component.why, str):
            code = miss.astype(np.int64)
            found = [component.why]
        else:
            why = as_texts(component.why, n)
            code = np.where(miss, why.codes.astype(np.int64) + 1, 0)
            code[miss & (why.codes < 0)] = len(why.texts) + 1
            found = [*why.texts, "reason not recorded"]
        radix = len(found) + 1
        if distinct * radix >= 2**62:  # renumber before it overflows
            uniques, key = _unique_ints(key, distinct)
            distinct = uniques.size
        key = key * radix + code
        distinct *= radix
        codes.append(code)
        texts.append(found)
    uniques, inverse = _unique_ints(key, distinct)
    first = np.full(uniques.size, -1, dtype=np.int64)
    first[inverse[::-1]] = np.arange(n - 1, -1, -1)  # first patient of each pattern
    listing_u, labels_u = [], []
    for row in first.tolist():  # read each pattern off one patient who has it
        by_why: dict[str, list[str]] = {}  # components sharing a reason are listed together
        labels = []
        for component, code, found in zip(components, codes, texts, strict=True):
            if code[row]:
                by_why.setdefault(found[code[row] - 1], []).append(component.label)
                labels.append(component.label)
        listing_u.append("; ".join(f"{', '.join(names)}: {why}" for why, names in by_why.items()))
        labels_u.append(", ".join(labels))
    listing = Texts(inverse, listing_u)
    labels_only = Texts(inverse, labels_u)
    empty = np.asarray([text == "" for text in listing_u] + [True])[inverse]
    listing.codes[empty] = -1
    labels_only.codes[empty] = -1
    return listing.compact(), labels_only.compact()


def groups(
    score: pd.Series,
    cuts: Sequence[tuple[float, float, str]],
    *,
    name: str,
    rule: str,
    source: str,
) -> pd.Series:
    """Categorical groups of a score: ``cuts`` = (low inclusive, high exclusive, level).

    Missing scores stay missing, with the score's reasons.
    """
    x = score.to_numpy(dtype=float, na_value=np.nan)
    levels = [level for _, _, level in cuts]
    value = Levels.empty(len(x), levels)
    for low, high, level in cuts:
        value[(x >= low) & (x < high)] = level
    reason = reason_texts(score, default="score missing (no reason recorded with it)")
    uncovered = ~np.isnan(x) & value.isna()
    reason[uncovered] = "score outside the grouping cut-offs"
    result = categorical_result(
        value, reason, index=score.index, levels=levels, name=name, rule=rule, source=source
    )
    if "assumed" in score.attrs:
        result.attrs["assumed"] = score.attrs["assumed"]
    return result


def node_component(
    frame: pd.DataFrame, label: str = "node-positive primary", points: float = 1.0
) -> Component:
    """Node-positive primary: ``primary_node_positive``, else ``primary_n_stage`` N1/N2."""
    nodes, _ = col.node_positive(frame)
    component = flag(frame, nodes, "primary_node_positive", label, points)
    return Component(
        label,
        component.points,
        col.why_missing(("primary_node_positive", "primary_n_stage"), frame),
    )
