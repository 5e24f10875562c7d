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
from crlm_outcomes.stratify._explain import attach, categorical_result, reason_array

__all__ = ["Component", "threshold", "flag", "node_component", "total", "groups", "join_where"]


@dataclass(frozen=True)
class Component:
    """One score component: its label, its points per patient (NaN = cannot be evaluated) and,
    per patient, why it cannot be evaluated."""

    label: str
    points: np.ndarray
    why: np.ndarray | str  # one text for every patient, or one per patient


def join_where(parts: np.ndarray, mask: np.ndarray, text: np.ndarray | str,
               sep: str = "; ") -> np.ndarray:
    """Append ``text`` to ``parts`` (object array of str) where ``mask`` (new array).

    Each distinct (current text, appended text) pair is joined once and broadcast: reasons
    repeat across patients, and joining a million strings one by one dominated the stratifiers'
    time on registry-sized cohorts.
    """
    out = parts.copy()
    positions = np.flatnonzero(mask)
    if positions.size == 0:
        return out
    piece = np.asarray(text, dtype=object)
    current_codes, current_u = pd.factorize(parts[positions])
    if piece.ndim:
        piece_codes, piece_u = pd.factorize(piece[positions])
    else:
        piece_codes, piece_u = np.zeros(positions.size, dtype=np.intp), [piece.item()]
    key = current_codes.astype(np.int64) * len(piece_u) + piece_codes
    pairs, inverse = np.unique(key, return_inverse=True)
    joined = np.empty(pairs.size, dtype=object)
    for i, pair in enumerate(pairs.tolist()):
        current, add = current_u[pair // len(piece_u)], piece_u[pair % len(piece_u)]
        joined[i] = add if current == "" else current + sep + add
    out[positions] = joined[inverse.ravel()]
    return out


def threshold(frame: pd.DataFrame, column: str, label: str, *, above: float,
              inclusive: bool = False, points: float = 1.0,
              values: np.ndarray | None = None) -> Component:
    """``points`` if the column's value is > ``above`` (>= with ``inclusive``), else 0."""
    x = col.number(frame, column) if values is None else values
    hit = (x >= above) if inclusive else (x > above)
    pts = np.where(np.isnan(x), np.nan, np.where(hit, points, 0.0))
    why: np.ndarray | str = col.missing_reason(column, frame)
    bound = col.number(frame, f"{column}_at_least") if values is None else np.full(len(x), np.nan)
    known_bound = np.isnan(x) & ~np.isnan(bound)
    if known_bound.any():  # a top-coded value ("CEA >= 10,000") decides when it clears the cut
        clears = known_bound & ((bound >= above) if inclusive else (bound > above))
        pts = np.where(clears, points, pts)
        open_ = known_bound & ~clears
        if open_.any():
            why = np.full(len(x), why, dtype=object)
            why[open_] = [f"{column} known only as >= {b:g}, not enough to decide"
                          for b in bound[open_].tolist()]
    return Component(label, pts, why)


def flag(frame: pd.DataFrame, series: pd.Series, column: str, label: str,
         points: float = 1.0) -> Component:
    """``points`` where the nullable boolean ``series`` is True, 0 where False."""
    known = series.notna().to_numpy()
    true = series.to_numpy(dtype=bool, na_value=False)
    pts = np.where(known, np.where(true, points, 0.0), np.nan)
    return Component(label, pts, col.missing_reason(column, frame))


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
    any_missing = missing.any(axis=0)
    all_missing = missing.all(axis=0)
    listing, labels_only = _missing_listing(components, missing)
    assumed: dict = {}
    if missing_as_zero:
        summed = np.nansum(points, axis=0)
        score_missing = all_missing
        counted = any_missing & ~all_missing
        assumed = dict(zip(index[counted].tolist(),
                           ("counted as 0: " + labels_only[counted]).tolist(), strict=True))
        reason = _prefixed(listing, score_missing, "no component known: ")
        rule = rule + "; missing components counted as 0 (missing_as_zero=True)"
    else:
        summed = points.sum(axis=0)
        score_missing = any_missing
        reason = _prefixed(listing, score_missing, "missing component(s): ")
    values = pd.array(np.where(score_missing, 0, summed).astype(np.int64), dtype="Int64")
    values[score_missing] = pd.NA
    series = pd.Series(values, index=index)
    return attach(series, reason, name=name, rule=rule, source=source, assumed=assumed or None)


def _missing_listing(components: Sequence[Component], missing: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Per patient, the missing components with their reasons (``"CEA > 200 ng/mL
    [cea_at_liver_diagnosis missing]; ..."``) and their labels alone (``", "``-separated).

    The texts are built once per distinct pattern of (component missing, its reason) and then
    broadcast: a registry of a million patients has a handful of patterns, and building a
    million strings one by one took most of the time of the scores. (Folding the components in
    with :func:`join_where` instead is simpler but measured twice as slow: it re-hashes the
    growing texts of every patient once per component.)
    """
    n = missing.shape[1]
    key = np.zeros(n, dtype=np.int64)  # the pattern of each patient, as one number
    codes: list[np.ndarray] = []       # per component: 0 = known, i = missing with texts[i-1]
    texts: list[list[str]] = []
    for component, miss in zip(components, missing, strict=True):
        code = np.zeros(n, dtype=np.int64)
        found: list[str] = []
        if isinstance(component.why, str):
            code[miss] = 1
            found = [component.why]
        elif miss.any():
            found_codes, uniques = pd.factorize(np.asarray(component.why, dtype=object)[miss])
            code[miss] = found_codes + 1
            found = [str(u) for u in uniques]
        if key.max(initial=0) >= 2**62 // (len(found) + 1):  # renumber before it overflows
            key = np.unique(key, return_inverse=True)[1].ravel().astype(np.int64)
        key = key * (len(found) + 1) + code
        codes.append(code)
        texts.append(found)
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    listing_u = np.empty(first.size, dtype=object)
    labels_u = np.empty(first.size, dtype=object)
    for i, row in enumerate(first.tolist()):  # read each pattern off one patient who has it
        parts, labels = [], []
        for component, code, found in zip(components, codes, texts, strict=True):
            if code[row]:
                parts.append(f"{component.label} [{found[code[row] - 1]}]")
                labels.append(component.label)
        listing_u[i], labels_u[i] = "; ".join(parts), ", ".join(labels)
    return listing_u[inverse.ravel()], labels_u[inverse.ravel()]


def _prefixed(listing: np.ndarray, where: np.ndarray, prefix: str) -> np.ndarray:
    """``prefix + listing`` where ``where``, ``None`` elsewhere (built per distinct text)."""
    out = np.full(listing.size, None, dtype=object)
    if where.any():
        codes, uniques = pd.factorize(listing[where])
        out[where] = np.array([prefix + str(u) for u in uniques], dtype=object)[codes]
    return out


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
    value = np.full(len(x), None, dtype=object)
    for low, high, level in cuts:
        value[(x >= low) & (x < high)] = level
    reason = reason_array(score, default="score missing (no reason recorded with it)")
    uncovered = ~np.isnan(x) & pd.isna(value)
    reason[uncovered] = "score outside the grouping cut-offs"
    result = categorical_result(value, reason, index=score.index,
                                levels=[level for _, _, level in cuts], name=name,
                                rule=rule, source=source)
    if "assumed" in score.attrs:
        result.attrs["assumed"] = score.attrs["assumed"]
    return result


def node_component(frame: pd.DataFrame, label: str = "node-positive primary",
                   points: float = 1.0) -> Component:
    """Node-positive primary: ``primary_node_positive``, else ``primary_n_stage`` N1/N2."""
    nodes, _ = col.node_positive(frame)
    component = flag(frame, nodes, "primary_node_positive", label, points)
    why = (col.missing_reason("primary_node_positive", frame) + ", "
           + col.missing_reason("primary_n_stage", frame))
    return Component(label, component.points, why)
