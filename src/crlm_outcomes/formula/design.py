"""Right-hand-side formula -> design matrix with R's treatment contrasts, for every model.

The formula is vetted first (:func:`crlm_outcomes.formula.checks.check_formula`, nothing is
evaluated before), then the model matrix is built by :mod:`formulaic` (R/patsy formula semantics)
with an intercept that is then dropped, which is exactly what R's ``coxph``, ``crr`` (on
``model.matrix(~ ...)[, -1]``) and the covariate part of ``glm`` do: categorical variables get
treatment contrasts with the first level as reference; pandas ``Categorical`` columns keep their
category order (unused categories give an all-zero column, which the Cox fit marks as aliased, as
R does for an unused factor level); string columns are categorical with sorted levels, as R's
``factor()``.

formulaic evaluates with a fixed context: the data's formula columns, the allowed transforms
(:data:`~crlm_outcomes.formula.checks.ALLOWED_FUNCTIONS`; ``rcs`` from
:mod:`crlm_outcomes.formula.splines`) and nothing from the caller's scope. Stateful transforms
(``rcs``, ``bs``, ``cr``, ``cs``, ``center``, ``scale``, ``standardize``, ``poly``) keep the state
learnt on the fitted data (knots, means, SDs) in :attr:`Design.spec`, and
:func:`design_matrix_for` reuses it for new data.

Formulas whose terms are all plain numeric columns skip formulaic and stack the columns directly:
same matrix, without formulaic's per-call overhead (about 0.4 s per million rows).
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes._result import short_names, short_repr
from crlm_outcomes.errors import DataQualityWarning, FormulaError
from crlm_outcomes.formula.checks import (
    CheckedFormula,
    check_expression,
    check_formula,
    vet_formulaic_terms,
)

__all__ = [
    "Design",
    "build_design",
    "coded_newdata",
    "design_matrix_for",
    "formula_variables",
    "model_matrix",
]


@dataclass(frozen=True, eq=False)
class Design:
    """The design of one model.

    Attributes
    ----------
    X
        Design matrix (float64, rows of the data used), without intercept.
    columns
        Column names (formulaic spelling, e.g. ``C(sex)[T.F]``, ``rcs(age, 4)[2]``).
    terms
        Term labels in formula order.
    term_columns
        Column positions of each term.
    references
        Reference (first) level of each categorical variable: ``{variable: level}``.
    levels
        All levels of each categorical variable, reference first.
    spec
        formulaic's model spec with the transforms' fitted state (``None`` for the plain
        numeric fast path).
    formula
        The vetted formula.
    adjust_to
        Typical value of each variable in the data used (median of a numeric column, most
        frequent level of a categorical one: rms's ``datadist`` adjust-to values).
    limits
        Display range of each numeric variable: its ``q`` and ``1 - q`` quantiles,
        ``q = 10 / max(rows, 200)`` (rms's ``datadist`` prediction limits).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"age": [50.0, 60, 70, 65, 55], "sex": ["M", "F", "F", "M", "F"]})
    >>> design = build_design("age + C(sex)", d)
    >>> design.X.shape, design.terms, design.term_columns
    ((5, 2), ['age', 'C(sex)'], {'age': [0], 'C(sex)': [1]})
    >>> design.references, float(design.adjust_to["age"])
    ({'sex': 'F'}, 60.0)
    """

    X: np.ndarray
    columns: list[str]
    terms: list[str]
    term_columns: dict[str, list[int]]
    references: dict[str, Any] = field(default_factory=dict)
    levels: dict[str, list[Any]] = field(default_factory=dict)
    spec: Any = field(default=None, repr=False)
    formula: CheckedFormula | None = None
    adjust_to: dict[str, Any] = field(default_factory=dict)
    limits: dict[str, tuple[float, float]] = field(default_factory=dict)

    def __repr__(self) -> str:
        rows, cols = self.X.shape
        return short_repr(self, {"rows": rows, "columns": cols, "terms": short_names(self.terms)})


@functools.cache
def _transforms() -> Mapping[str, Any]:
    from crlm_outcomes.formula.splines import formula_transform

    return {"rcs": formula_transform(), "sqrt": np.sqrt, "abs": np.abs, "pow": np.power}


def _context() -> dict[str, Any]:
    return dict(_transforms())


def _formulaic(checked: CheckedFormula, columns: Any) -> Any:
    """formulaic's reading of a vetted formula (exported as ``formulaic_formula``), itself
    vetted against the allowlist (:func:`~crlm_outcomes.formula.checks.vet_formulaic_terms`).

    The intercept is added (``"1 + "``) so that categorical terms get reference coding.

    Parameters
    ----------
    checked
        The formula as checked by :func:`~crlm_outcomes.formula.checks.check_formula`.
    columns
        The data's column labels (for the vetting of formulaic's terms).

    Returns
    -------
    formulaic.Formula
        The parsed right-hand side, intercept first.

    Raises
    ------
    FormulaError
        formulaic cannot parse the formula, or its reading of it leaves the allowlist.

    Examples
    --------
    >>> from crlm_outcomes.formula.checks import check_formula
    >>> checked = check_formula("age + C(sex)", ["age", "sex"])
    >>> [str(term) for term in formulaic_formula(checked, ["age", "sex"])]
    ['1', 'age', 'C(sex)']
    """
    from formulaic import Formula

    try:
        parsed = Formula("1 + " + checked.rhs)
    except Exception as exc:  # formulaic raises several parser exception types
        raise FormulaError(
            f"cannot parse the formula: {exc}",
            value=checked.rhs,
            expected="a formulaic/R right-hand side such as 'age + C(sex)'",
        ) from exc
    vet_formulaic_terms(parsed, checked, columns)
    return parsed


def formula_variables(formula: str, data: pd.DataFrame) -> list[str]:
    """Data columns used by ``formula``, in data column order; the formula is vetted
    (:func:`~crlm_outcomes.formula.checks.check_formula`) and unknown columns are an error.

    Parameters
    ----------
    formula
        Right-hand-side formula (a leading ``~`` is allowed).
    data
        The data whose columns the formula may use.

    Returns
    -------
    list
        The column labels of ``data`` that the formula refers to, in the data's order.

    Examples
    --------
    >>> import pandas as pd
    >>> formula_variables("rcs(b, 3) + a", pd.DataFrame(columns=["a", "b", "c"]))
    ['a', 'b']
    """
    checked = check_formula(formula, data.columns)
    names = set(checked.variables)
    return [c for c in data.columns if str(c) in names]


def _is_plain_numeric(s: pd.Series) -> bool:
    return (
        pd.api.types.is_numeric_dtype(s)
        and not pd.api.types.is_bool_dtype(s)
        and not isinstance(s.dtype, pd.CategoricalDtype)
    )


def _categorical_levels(
    frame: pd.DataFrame, variables: list[str], wrapped: set[str]
) -> dict[str, list[Any]]:
    levels: dict[str, list[Any]] = {}
    for v in variables:
        s = frame[v]
        if isinstance(s.dtype, pd.CategoricalDtype):
            levels[v] = list(s.cat.categories)
        elif not _is_plain_numeric(s) or v in wrapped:
            levels[v] = sorted(pd.unique(s.dropna()).tolist())
    return levels


def _adjust_to(
    frame: pd.DataFrame, variables: list[str], levels: dict[str, list[Any]]
) -> tuple[dict[str, Any], dict[str, tuple[float, float]]]:
    """rms ``datadist``: adjust-to values (median, or the most frequent level) and the
    prediction limits of numeric variables."""
    adjust: dict[str, Any] = {}
    limits: dict[str, tuple[float, float]] = {}
    for v in variables:
        s = frame[v].dropna()
        if s.empty:
            continue
        if v in levels:
            counts = s.value_counts()
            top = counts.max()
            adjust[v] = next(lv for lv in levels[v] if counts.get(lv, 0) == top)
        elif pd.api.types.is_numeric_dtype(s):
            x = s.to_numpy(dtype=np.float64)
            q = 10.0 / max(x.shape[0], 200)
            lo, med, hi = _few_quantiles(x, np.array([q, 0.5, 1 - q]))
            adjust[v] = float(med)
            limits[v] = (float(lo), float(hi))
    return adjust, limits


def _few_quantiles(x: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """R's ``quantile(x, probs, type = 7)`` by partial sorting (linear time)."""
    n = x.shape[0]
    index = (n - 1) * probs
    lo = np.floor(index).astype(np.int64)
    hi = np.minimum(lo + 1, n - 1)
    part = np.partition(x, np.unique(np.concatenate([lo, hi])))
    h = index - lo
    return np.where(h > 0, (1 - h) * part[lo] + h * part[hi], part[lo])


def drop_empty_leading_levels(
    frame: pd.DataFrame, variables: list[str], *, every: bool = False
) -> pd.DataFrame:
    """``frame`` with the leading categories that no row takes removed from each categorical
    column in ``variables`` (``every``: all empty categories), keeping the order of the
    others; a copy of the changed columns only, ``frame`` is not modified.

    A categorical variable's reference is its first level *with patients*: an empty reference
    would make every other level's hazard ratio relative to nobody.

    Parameters
    ----------
    frame
        The rows of the analysis.
    variables
        Columns to look at; those missing from ``frame`` or not categorical are left alone.
    every
        Drop every category without a row, not only the leading ones (default ``False``).

    Returns
    -------
    pandas.DataFrame
        ``frame`` itself when nothing changes, else a new frame with the changed columns
        re-categorised.

    Examples
    --------
    >>> s = pd.Categorical(["b", "c"], categories=["a", "b", "c", "d"])
    >>> list(drop_empty_leading_levels(pd.DataFrame({"x": s}), ["x"])["x"].cat.categories)
    ['b', 'c', 'd']
    """
    changed = {}
    for v in variables:
        if v not in frame.columns or not isinstance(frame[v].dtype, pd.CategoricalDtype):
            continue
        s = frame[v]
        codes = s.cat.codes.to_numpy()
        used = np.bincount(codes[codes >= 0], minlength=len(s.cat.categories)) > 0
        if not used.any() or (used[0] and not every) or used.all():
            continue
        if every:
            keep = [c for c, u in zip(s.cat.categories, used, strict=True) if u]
        else:
            keep = list(s.cat.categories[int(np.flatnonzero(used)[0]) :])
        changed[v] = s.cat.set_categories(keep)
    return frame.assign(**changed) if changed else frame


def build_design(formula: str, frame: pd.DataFrame) -> Design:
    """Build the design matrix of ``formula`` on ``frame`` (rows already cleaned of NA).

    Parameters
    ----------
    formula
        Right-hand side (a leading ``~`` is allowed); vetted before anything is evaluated.
    frame
        The rows to code.

    Returns
    -------
    Design

    Raises
    ------
    FormulaError
        A formula outside the allowlist, unknown columns, a transform that fails on the data
        (e.g. ``log`` of a negative value), a term without columns, or a removed intercept.

    Examples
    --------
    >>> import pandas as pd
    >>> d = build_design("age + C(sex)", pd.DataFrame({"age": [50, 60, 70],
    ...                                                "sex": ["F", "M", "F"]}))
    >>> d.columns
    ['age', 'C(sex)[T.M]']
    """
    checked = check_formula(formula, frame.columns)
    parsed = _formulaic(checked, frame.columns)
    terms = [t for t in parsed if str(t) != "1"]
    variables = [c for c in frame.columns if str(c) in set(checked.variables)]
    # leading levels without a patient are dropped, so the reference has patients; empty
    # levels after it stay, as in R, and give not-estimable coefficients
    frame = drop_empty_leading_levels(frame, variables)
    plain = all(
        len(t.factors) == 1
        and t.factors[0].eval_method.value == "lookup"
        and _is_plain_numeric(frame[str(t.factors[0].expr)])
        for t in terms
    )
    wrapped = {
        v
        for t in terms
        for f in t.factors
        if str(f.expr).startswith("C(")
        for v in check_expression(str(f.expr), frame.columns)
    }
    levels = _categorical_levels(frame, variables, wrapped)
    refs = {v: lv[0] for v, lv in levels.items() if lv}
    adjust, limits = _adjust_to(frame, variables, levels)
    if plain:
        names = [str(t.factors[0].expr) for t in terms]
        X = np.ascontiguousarray(frame[names].to_numpy(dtype=np.float64))
        return Design(
            X=X,
            columns=names,
            terms=names,
            term_columns={nm: [j] for j, nm in enumerate(names)},
            references=refs,
            levels=levels,
            spec=None,
            formula=checked,
            adjust_to=adjust,
            limits=limits,
        )
    from formulaic import model_matrix as fm_model_matrix

    try:
        # na_action="raise": a transform that yields NaN (log of a negative) must not drop the
        # row silently (the design would no longer line up with the times and events)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # log(0) = -inf: the models report it
            mm = fm_model_matrix(parsed, frame[variables], na_action="raise", context=_context())
    except FormulaError:
        raise
    except Exception as exc:
        raise FormulaError(
            f"cannot build the design matrix: {_cause(exc)}",
            value=formula,
            expected="terms that can be evaluated on the data",
        ) from exc
    return _from_model_matrix(mm, formula, checked, refs, levels, adjust, limits)


def _cause(exc: BaseException) -> str:
    """The innermost message of a chain (formulaic wraps our FormulaError)."""
    inner: BaseException = exc
    while inner.__cause__ is not None:
        inner = inner.__cause__
    return str(exc) if inner is exc else f"{exc} ({inner})"


def _from_model_matrix(
    mm: Any,
    formula: str,
    checked: CheckedFormula,
    refs: dict[str, Any],
    levels: dict[str, list[Any]],
    adjust: dict[str, Any],
    limits: dict[str, tuple[float, float]],
) -> Design:
    cols = list(mm.columns)
    if "Intercept" not in cols:
        raise FormulaError(
            "the formula removes the intercept ('- 1' or '0 +'); the models code "
            "factors as R does with an intercept (Cox and Fine-Gray have none, "
            "the propensity model adds its own)",
            value=formula,
            expected="a formula without '- 1' / '0 +'",
        )
    keep = [j for j, c in enumerate(cols) if c != "Intercept"]
    X = np.ascontiguousarray(mm.to_numpy(dtype=np.float64)[:, keep])
    names = [cols[j] for j in keep]
    pos = {j: i for i, j in enumerate(keep)}
    term_columns: dict[str, list[int]] = {}
    for term, idx in mm.model_spec.term_indices.items():
        label = str(term)
        if label == "1":
            continue
        mapped = [pos[j] for j in idx if j in pos]
        if not mapped:
            raise FormulaError(
                f"term {label!r} has no columns: a categorical variable in it has "
                "fewer than two levels in the rows used (R: 'contrasts can be "
                "applied only to factors with 2 or more levels')",
                column=label,
                expected="at least two levels",
            )
        term_columns[label] = mapped
    return Design(
        X=X,
        columns=names,
        terms=list(term_columns),
        term_columns=term_columns,
        references=refs,
        levels=levels,
        spec=mm.model_spec,
        formula=checked,
        adjust_to=adjust,
        limits=limits,
    )


def model_matrix(data: pd.DataFrame, formula: str) -> pd.DataFrame:
    """Covariate matrix of a right-hand-side formula with R's treatment contrasts.

    The intercept is built and then dropped, so factors are coded against their first level
    exactly like ``model.matrix(~ ..., data)[, -1]`` in R. ``data`` must have no missing values
    in the variables used (callers exclude those rows first and record them).

    Parameters
    ----------
    data
        The rows to code, without missing values in the formula's variables.
    formula
        Right-hand-side formula, vetted by :func:`~crlm_outcomes.formula.checks.check_formula`.

    Returns
    -------
    pandas.DataFrame
        One float column per design column (formulaic names, e.g. ``g[T.b]``), indexed as
        ``data``.

    Examples
    --------
    >>> import pandas as pd
    >>> model_matrix(pd.DataFrame({"x": [1.0, 2.0], "g": ["a", "b"]}), "~ x + g").columns.tolist()
    ['x', 'g[T.b]']
    """
    design = build_design(formula, data)
    return pd.DataFrame(design.X, columns=design.columns, index=data.index)


def design_matrix_for(design: Design, newdata: pd.DataFrame) -> np.ndarray:
    """The design matrix of ``newdata`` under the coding of a fitted design: the same
    contrasts and the transforms' fitted state (spline knots, centring).

    A row with a missing covariate gets missing values (its predictions are then missing, as
    R's ``predict(..., na.action = na.pass)``), announced with a
    :class:`~crlm_outcomes.errors.DataQualityWarning`; a level not seen in the fit, or a
    covariate absent from ``newdata``, is a :class:`~crlm_outcomes.errors.FormulaError`.

    Parameters
    ----------
    design
        The fitted design.
    newdata
        Rows to code.

    Returns
    -------
    numpy.ndarray
        One row per row of ``newdata``, the design's columns.

    Examples
    --------
    >>> import pandas as pd
    >>> d = build_design("center(x)", pd.DataFrame({"x": [1.0, 2.0, 3.0]}))
    >>> design_matrix_for(d, pd.DataFrame({"x": [2.0]})).tolist()
    [[0.0]]
    """
    if design.spec is None:
        missing = [c for c in design.columns if c not in newdata.columns]
        if missing:
            raise FormulaError(
                f"newdata lacks column(s) {', '.join(missing)}",
                expected="every covariate of the model",
            )
        x = np.column_stack(
            [
                pd.to_numeric(newdata[c], errors="coerce").to_numpy(
                    dtype=np.float64, na_value=np.nan
                )
                for c in design.columns
            ]
        ).reshape(len(newdata), -1)
        _warn_incomplete(x)
        return x
    if design.formula is not None:
        missing = [v for v in design.formula.variables if v not in newdata.columns]
        if missing:
            raise FormulaError(
                f"newdata lacks column(s) {', '.join(missing)}",
                value=missing,
                expected="every covariate of the model",
            )
        return coded_newdata(
            design.spec, design.columns, newdata, variables=list(design.formula.variables)
        )
    return coded_newdata(design.spec, design.columns, newdata)


def coded_newdata(
    spec: Any, columns: list[str], newdata: pd.DataFrame, variables: list[str] | None = None
) -> np.ndarray:
    """The ``columns`` of the model matrix of ``newdata`` under a fitted formulaic ``spec``:
    one row per row of ``newdata``, in order (see :func:`design_matrix_for`).

    Parameters
    ----------
    spec
        formulaic's fitted model spec (:attr:`Design.spec`).
    columns
        Design columns to return.
    newdata
        Rows to code.
    variables
        The formula's columns (rows missing one of them get missing values).

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> import pandas as pd
    >>> d = build_design("scale(x)", pd.DataFrame({"x": [1.0, 2.0, 3.0]}))
    >>> coded_newdata(d.spec, d.columns, pd.DataFrame({"x": [3.0]})).tolist()
    [[1.0]]
    """
    names = variables if variables is not None else [str(v) for v in spec.required_variables]
    used = [v for v in names if v in newdata.columns]
    complete = (
        ~newdata[used].isna().any(axis=1).to_numpy() if used else np.ones(len(newdata), dtype=bool)
    )
    x = np.full((len(newdata), len(columns)), np.nan)
    if complete.any():
        try:
            with warnings.catch_warnings():  # formulaic warns, then codes a new level as NaN
                warnings.simplefilter("error")
                sub = newdata.loc[complete, used] if used else newdata[complete]
                mm = spec.get_model_matrix(sub, na_action="raise", context=_context())
        except Exception as exc:
            raise FormulaError(
                f"cannot code newdata like the fitted model: {_cause(exc)}",
                expected="the model's covariates with known levels",
            ) from exc
        x[complete] = mm[columns].to_numpy(dtype=np.float64)
    _warn_incomplete(x)
    return x


def _warn_incomplete(x: np.ndarray) -> None:
    incomplete = np.flatnonzero(~np.isfinite(x).all(axis=1))
    if incomplete.size:
        warnings.warn(
            f"{incomplete.size} row(s) of newdata have a missing covariate (first: "
            f"row {int(incomplete[0])}); their predictions are missing",
            DataQualityWarning,
            stacklevel=4,
        )


#: formulaic's reading of a vetted formula (public for the out-of-core Cox design).
formulaic_formula = _formulaic
