"""Rows of a hazard-ratio table or forest plot, grouped by variable, from a Cox or Fine-Gray fit.

One function, :func:`term_rows`, gives the rows that the regression table
(:func:`crlm_outcomes.report.regression_table.regression_table`) and the forest plot
(:func:`crlm_outcomes.plots.forest.forest_plot`) both show, so that they always agree: a header
row per categorical variable, its reference level (HR 1), one row per other level, and one row
per continuous term ("per year"); the number of patients and events in each level where the
fit records the design.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes.errors import InputError
from crlm_outcomes.labels import Labels, resolve_labels

__all__ = ["hr_frame", "model_design", "term_rows", "term_label", "ROW_COLUMNS"]

#: Columns of :func:`term_rows`.
ROW_COLUMNS = ["variable", "term", "label", "kind", "hr", "lower", "upper", "p", "n", "events"]
_LEVEL = re.compile(r"^(?P<var>.+?)\[(?:T\.)?(?P<level>.+)\]$")


def _variable(expr: str) -> str:
    expr = expr.strip()
    if expr.startswith("C(") and expr.endswith(")"):
        return expr[2:-1].split(",")[0].strip()
    return expr


def hr_frame(model: Any) -> pd.DataFrame:
    """``term, coef, hr, lower, upper, p`` of a Cox or Fine-Gray fit (its ``.table``) or a
    frame with those columns.

    Parameters
    ----------
    model
        A :class:`~crlm_outcomes.survival.cox.CoxResult`, a
        :class:`~crlm_outcomes.survival.fine_gray.FineGray` or any object with such a ``.table``,
        or a DataFrame with ``term, hr, lower, upper, p`` (``exp_coef`` is read as ``hr``; a
        missing ``coef`` is ``log(hr)``).

    Returns
    -------
    pandas.DataFrame
        ``term, coef, hr, lower, upper, p``, one row per term, on a fresh 0..n-1 index.

    Raises
    ------
    InputError
        Not a fitted model, or a frame without those columns.

    Examples
    --------
    >>> import pandas as pd
    >>> published = pd.DataFrame({"term": ["cea_gt_200"], "hr": [1.8], "lower": [1.2],
    ...                           "upper": [2.7], "p": [0.004]})
    >>> hr_frame(published).round(3).to_dict("records")
    [{'term': 'cea_gt_200', 'coef': 0.588, 'hr': 1.8, 'lower': 1.2, 'upper': 2.7, 'p': 0.004}]
    """
    frame = model if isinstance(model, pd.DataFrame) else None
    if frame is None:
        cand = getattr(model, "table", None)
        if isinstance(cand, pd.DataFrame):
            frame = cand
    if frame is None:
        raise InputError(
            "expected a fitted Cox or Fine-Gray model",
            value=type(model).__name__,
            expected="a CoxResult, a FineGray or a frame with term, hr, lower, upper, p",
        )
    out = frame.copy()
    if "hr" not in out.columns and "exp_coef" in out.columns:
        out["hr"] = out["exp_coef"]
    if "coef" not in out.columns and "hr" in out.columns:
        out["coef"] = np.log(out["hr"].to_numpy(float))
    missing = [c for c in ("term", "hr", "lower", "upper", "p") if c not in out.columns]
    if missing:
        raise InputError(
            "the model table lacks a required column",
            column=missing[0],
            expected="columns term, hr, lower, upper, p",
        )
    return out[["term", "coef", "hr", "lower", "upper", "p"]].reset_index(drop=True)


def model_design(model: Any) -> tuple[dict[str, Any], pd.DataFrame | None, int | None, int | None]:
    """References, per-term counts (``term, n, events``), patients and events of a fitted
    model, where the fit records them (``({}, None, None, None)`` for a bare frame).

    Parameters
    ----------
    model
        A fitted :class:`~crlm_outcomes.survival.cox.CoxResult` (counted from its design) or
        :class:`~crlm_outcomes.survival.fine_gray.FineGray` (its ``term_counts``), or a frame.

    Returns
    -------
    tuple
        ``(references, counts, n, events)``: the reference level of each categorical variable
        (``{variable: level}``), a DataFrame ``term, n, events`` (patients with a 0/1 design
        column at 1 and their events; missing for other columns) or ``None``, the patients and
        the events of the fit (``None`` where unknown).

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.survival.cox import cox
    >>> d = pd.DataFrame({"t": range(1, 9), "e": [1, 1, 0, 1, 1, 0, 1, 1],
    ...                   "sex": ["male", "female"] * 4})
    >>> refs, counts, n, events = model_design(cox(d, "sex", "t", "e"))
    >>> refs, counts.to_dict("records"), n, events
    ({'sex': 'female'}, [{'term': 'sex[T.male]', 'n': 4, 'events': 3}], 8, 6)
    """
    if isinstance(model, pd.DataFrame):
        return {}, None, None, None
    state = getattr(model, "state", None)
    if state is not None and getattr(state, "design", None) is not None:
        design = state.design
        x = np.asarray(state.x) + np.asarray(state.center)
        event = np.asarray(state.event) > 0
        rows = []
        for j, name in enumerate(design.columns):
            col = x[:, j]
            binary = bool(np.all(np.isclose(col, 0) | np.isclose(col, 1)))
            on = np.isclose(col, 1)
            rows.append(
                {
                    "term": name,
                    "n": int(on.sum()) if binary else np.nan,
                    "events": int((on & event).sum()) if binary else np.nan,
                }
            )
        return dict(design.references), pd.DataFrame(rows), int(x.shape[0]), int(event.sum())
    refs = getattr(model, "references", None) or {}
    counts = getattr(model, "term_counts", None)
    total = getattr(model, "n", None)
    ev = (getattr(model, "counts", None) or {}).get("n_cause")
    if ev is None:
        ev = getattr(model, "n_event", None)
    return dict(refs), counts, total, ev


def term_rows(model: Any, labels: Labels | Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Table/forest rows of a fitted Cox or Fine-Gray model, grouped by variable.

    Parameters
    ----------
    model
        A :class:`~crlm_outcomes.survival.cox.CoxResult` or
        :class:`~crlm_outcomes.survival.fine_gray.FineGray` (or a frame with ``term, hr,
        lower, upper, p``: then no reference rows or counts).
    labels
        Display labels (:func:`crlm_outcomes.labels.resolve_labels`).

    Returns
    -------
    pandas.DataFrame
        :data:`ROW_COLUMNS`: ``kind`` is ``header`` (a categorical variable's name),
        ``reference`` (its reference level, hr 1), ``level``, ``continuous`` or
        ``not_estimable``; ``n``/``events`` are the patients and events in the level (missing
        where unknown).

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.survival.cox import cox
    >>> d = pd.DataFrame({"t": range(1, 11), "e": [1, 1, 0, 1, 1, 0, 1, 1, 1, 0],
    ...                   "sex": ["male", "female", "female", "male", "male", "female",
    ...                           "female", "male", "female", "male"],
    ...                   "age_at_diagnosis": [61, 50, 72, 55, 66, 58, 70, 52, 63, 57]})
    >>> rows = term_rows(cox(d, "sex + age_at_diagnosis", "t", "e"))
    >>> list(rows["label"])
    ['Sex', 'Female', 'Male', 'Age at diagnosis (per year)']
    >>> list(rows["kind"]), list(rows["n"].fillna(-1)), list(rows["events"].fillna(-1))
    (['header', 'reference', 'level', 'continuous'], [-1.0, 5.0, 5.0, -1.0], [-1.0, 3.0, 4.0, -1.0])
    """
    lab = resolve_labels(labels)
    numbers = hr_frame(model)
    refs, counts, total, total_events = model_design(model)
    by_term = counts.set_index("term") if isinstance(counts, pd.DataFrame) else None
    groups, order = _term_groups(numbers, by_term, lab)
    rows: list[dict[str, Any]] = []
    for key in order:
        members = groups[key]
        if members[0]["kind"] in ("continuous",) or (
            len(members) == 1 and key == members[0]["term"]
        ):
            rows.extend(members)
        else:
            rows.extend(_variable_rows(key, members, refs, total, total_events, lab))
    return pd.DataFrame(rows, columns=ROW_COLUMNS)


def _row(variable: str, term: str, label: str, kind: str, **numbers: Any) -> dict[str, Any]:
    """One row of :data:`ROW_COLUMNS`; the numbers not given are missing."""
    row: dict[str, Any] = {"variable": variable, "term": term, "label": label, "kind": kind}
    for name in ("hr", "lower", "upper", "p", "n", "events"):
        row[name] = numbers.get(name, np.nan)
    return row


def _term_groups(
    numbers: pd.DataFrame, by_term: pd.DataFrame | None, lab: Labels
) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    """The rows of the model terms, grouped: the level terms of a categorical variable under
    the variable, every other term on its own; and the order of the groups (as the terms)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    order: list[str] = []
    for r in numbers.itertuples(index=False):
        term = str(r.term)
        m = _LEVEL.match(term)
        n = ev = np.nan
        if by_term is not None and term in by_term.index:
            n, ev = by_term.loc[term, "n"], by_term.loc[term, "events"]
        kind = "level" if np.isfinite(r.coef) else "not_estimable"
        values = {"hr": r.hr, "lower": r.lower, "upper": r.upper, "p": r.p, "n": n, "events": ev}
        if m and ":" not in term:
            var = _variable(m.group("var"))
            if var not in groups:
                groups[var] = []
                order.append(var)
            label = lab.level(var, _parse_level(m.group("level")))
            groups[var].append(_row(var, term, label, kind, **values))
        else:
            var = _variable(term)
            order.append(term)
            label = lab.term(var) if var in lab.variables else _readable_term(term, lab)
            kind = "continuous" if kind == "level" else kind
            groups[term] = [_row(var, term, label, kind, **values)]
    return groups, order


def _variable_rows(
    var: str,
    members: list[dict[str, Any]],
    refs: dict[str, Any],
    total: int | None,
    total_events: int | None,
    lab: Labels,
) -> list[dict[str, Any]]:
    """A categorical variable's rows: its header, its reference level (hr 1, with the
    patients and events not in another level when every level has counts) and its levels."""
    ref_n = ref_ev = np.nan
    if total is not None and all(np.isfinite(float(x["n"])) for x in members):
        ref_n = total - sum(float(x["n"]) for x in members)
        if total_events is not None:
            ref_ev = total_events - sum(float(x["events"]) for x in members)
    rows = [_row(var, "", lab.variable(var), "header")]
    if var in refs:
        label = lab.level(var, refs[var])
        rows.append(_row(var, "", label, "reference", hr=1.0, n=ref_n, events=ref_ev))
    return rows + members


def _parse_level(text: str) -> Any:
    if text == "True":
        return True
    if text == "False":
        return False
    return text


def _readable_term(term: str, lab: Labels) -> str:
    """An interaction or transformed term with its variable names replaced by labels."""
    if re.fullmatch(r"\w+", term):
        return lab.variable(term)
    out = term
    for name in sorted(lab.variables, key=len, reverse=True):
        if name in out:
            out = re.sub(rf"\b{re.escape(name)}\b", lab.variables[name], out)
    out = re.sub(r"\[(?:T\.)?([^\]]+)\]", lambda m: f" {lab.level(None, m.group(1))}", out)
    return out.replace(":", " × ")


def term_label(term: str, labels: Labels | Mapping[str, Any] | None = None) -> str:
    """Readable label of one model term: a variable's label, or a level term as
    ``Sex: Male``.

    Parameters
    ----------
    term
        A design column name, e.g. ``"age"``, ``"sex[T.male]"``, ``"C(sex)"`` or an
        interaction ``"age:sex[T.male]"``.
    labels
        Display labels (:func:`crlm_outcomes.labels.resolve_labels`; default the package's).

    Returns
    -------
    str
        The variable's label, ``"<variable label>: <level label>"`` for a level term, or the
        term with its variable names replaced by their labels (``:`` shown as ``×``).

    Examples
    --------
    >>> term_label("ras_class"), term_label("sex[T.male]"), term_label("C(sex)")
    ('RAS status', 'Sex: Male', 'Sex')
    """
    lab = resolve_labels(labels)
    m = _LEVEL.match(term)
    if m and ":" not in term:
        var = _variable(m.group("var"))
        return f"{lab.variable(var)}: {lab.level(var, _parse_level(m.group('level')))}"
    var = _variable(term)
    if var in lab.variables:
        return lab.variable(var)
    return _readable_term(term, lab)
