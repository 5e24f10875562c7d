"""Partial effects: the hazard ratio against one covariate (Wald tests: :mod:`.anova`).

:func:`partial_effect` gives the ratio ``exp((x(v) - x(ref)) b)`` of a model's hazard (or
subdistribution hazard) at values ``v`` of one variable against a reference value, the other
variables held at their adjust-to values (median / most frequent level), with Wald limits, as
``rms::Predict(fit, v, ref.zero = TRUE, fun = exp)``.

Reference: Harrell FE (2015), *Regression Modeling Strategies*, 2nd ed., Springer, section 2.4
(splines); rms 6.5-0 ``Predict``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from crlm_outcomes._result import Result, empty_excluded
from crlm_outcomes.errors import FormulaError, SpecError
from crlm_outcomes.formula.design import Design, design_matrix_for

__all__ = ["PartialEffect", "default_grid", "partial_effect", "spline_knots"]


def spline_knots(design: Design, variable: str) -> list[float] | None:
    """Knots of the ``rcs`` term of ``variable`` in a fitted design.

    Parameters
    ----------
    design
        A fitted design.
    variable
        A column of the model.

    Returns
    -------
    list of float or None
        The knots learnt on the fitted data, ``None`` when ``variable`` has no ``rcs`` term.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from crlm_outcomes.formula import build_design
    >>> d = build_design("rcs(x, [2, 5, 9])", pd.DataFrame({"x": np.arange(12.0)}))
    >>> spline_knots(d, "x")
    [2.0, 5.0, 9.0]
    """
    state = getattr(design.spec, "transform_state", None) or {}
    for expr, st in state.items():
        if (
            str(expr).startswith("rcs(")
            and isinstance(st, dict)
            and "knots" in st
            and st.get("variable") == variable
        ):
            return list(st["knots"])
    return None


def default_grid(design: Design, variable: str, n: int = 200) -> np.ndarray:
    """``n`` equally spaced values of ``variable`` between its ``q`` and ``1 - q`` quantiles in
    the fitted data, ``q = 10 / max(rows, 200)`` (rms's ``datadist`` prediction limits).

    Parameters
    ----------
    design
        A fitted design.
    variable
        A numeric column of the model.
    n
        Number of values (rms's ``Predict`` uses 200).

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from crlm_outcomes.formula import build_design
    >>> d = build_design("x", pd.DataFrame({"x": np.arange(401.0)}))
    >>> default_grid(d, "x", n=3).round(2).tolist()
    [9.98, 200.0, 390.02]
    """
    if variable not in design.limits:
        raise SpecError(
            "variable is not a numeric covariate of the model",
            value=variable,
            expected=f"one of {sorted(design.limits)}",
        )
    lo, hi = design.limits[variable]
    return np.linspace(lo, hi, n)


@dataclass(frozen=True, eq=False, repr=False)
class PartialEffect(Result):
    """Hazard ratio of a model against one variable, relative to a reference value.

    Attributes
    ----------
    table
        ``value`` (of the variable), ``hr``, ``lower``, ``upper``, ``log_hr``, ``std_error``.
    variable
        The variable varied.
    reference
        The reference value (hazard ratio 1).
    adjust_to
        Values of the other variables (only matters with interactions).
    knots
        Knots of the variable's ``rcs`` term, when it has one (marked on the plot).
    conf_level
        Level of the limits.
    ratio_label
        ``"Hazard ratio"`` (or ``"Subdistribution hazard ratio"``).
    excluded
        Rows excluded (none: computed from the fitted model).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from crlm_outcomes.formula import build_design
    >>> design = build_design("x", pd.DataFrame({"x": np.arange(11.0)}))
    >>> pe = partial_effect(design, np.array([0.1]), np.array([[0.0025]]), "x", values=[5.0, 7.0])
    >>> pe
    <PartialEffect variable='x', reference=5.0, points=2>
    >>> [round(float(v), 3) for v in pe.table.loc[1, ["hr", "lower", "upper"]]]
    [1.221, 1.004, 1.486]
    """

    table: pd.DataFrame
    variable: str
    reference: Any
    adjust_to: dict[str, Any]
    conf_level: float
    ratio_label: str = "Hazard ratio"
    knots: tuple[float, ...] | None = None
    excluded: pd.DataFrame = field(default_factory=empty_excluded, repr=False)

    def __repr__(self) -> str:
        return (
            f"<PartialEffect variable={self.variable!r}, reference={self.reference!r}, "
            f"points={len(self.table)}>"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PartialEffect):
            return NotImplemented
        return (
            self.variable == other.variable
            and self.reference == other.reference
            and self.conf_level == other.conf_level
            and self.table.equals(other.table)
        )

    __hash__ = None  # type: ignore[assignment]

    def summary(self) -> str:
        """The table as text, with the reference value.

        Returns
        -------
        str
            A heading (ratio, variable, reference value, confidence level) and the
            ``value``, ``hr``, ``lower``, ``upper`` columns to 4 significant digits.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from crlm_outcomes.formula import build_design
        >>> design = build_design("x", pd.DataFrame({"x": np.arange(11.0)}))
        >>> pe = partial_effect(design, np.array([0.1]), np.array([[0.0025]]), "x",
        ...                     values=[5.0, 7.0])
        >>> print(pe.summary())
        Hazard ratio by x (reference x = 5; 95% limits)
         value    hr  lower  upper
             5     1      1      1
             7 1.221  1.004  1.486
        """
        head = (
            f"{self.ratio_label} by {self.variable} (reference {self.variable} = "
            f"{self.reference:g}; {self.conf_level:.0%} limits)"
        )
        cols = self.table[["value", "hr", "lower", "upper"]]
        return head + "\n" + cols.to_string(index=False, float_format=lambda x: f"{x:.4g}")

    def _repr_html_(self) -> str:
        from crlm_outcomes._display import frames_html

        return frames_html(
            f"{self.ratio_label} by {self.variable}",
            {"": self.table},
            notes={"reference": self.reference, "confidence level": self.conf_level},
        )

    def plot(self, ax: Any = None) -> Any:
        """The ratio against the variable with its band (:func:`~crlm_outcomes.plots.
        partial_effect.partial_effect_plot`), the spline knots marked when there are any.

        Parameters
        ----------
        ax
            A matplotlib Axes to draw on; default a new figure in the publication style.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on: ratio on a log y axis against the variable.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> import numpy as np, pandas as pd
        >>> from crlm_outcomes.formula import build_design
        >>> design = build_design("x", pd.DataFrame({"x": np.arange(11.0)}))
        >>> pe = partial_effect(design, np.array([0.1]), np.array([[0.0025]]), "x",
        ...                     values=[5.0, 7.0])
        >>> ax = pe.plot()
        >>> ax.get_xlabel(), ax.get_ylabel(), ax.get_yscale()
        ('x', 'Hazard ratio (95% CI)', 'log')
        >>> plt.close(ax.figure)
        """
        from crlm_outcomes.plots.partial_effect import partial_effect_plot

        return partial_effect_plot(self, ax=ax, knots=self.knots)


def partial_effect(
    design: Design,
    coef: np.ndarray,
    vcov: np.ndarray,
    variable: str,
    values: Any = None,
    reference: float | None = None,
    conf_level: float = 0.95,
    ratio_label: str = "Hazard ratio",
) -> PartialEffect:
    """Ratio ``exp((x(v) - x(ref)) b)`` at ``values`` of ``variable`` against ``reference``,
    as ``rms::Predict(fit, variable, ref.zero = TRUE, fun = exp)``.

    Parameters
    ----------
    design
        The fitted design (its transforms' state codes the new values).
    coef, vcov
        Coefficients and variance (aliased: missing, treated as 0).
    variable
        A numeric column of the model.
    values
        Values to evaluate; default :func:`default_grid` (200 points).
    reference
        Reference value; default the variable's median in the fitted data (rms's adjust-to).
    conf_level
        Level of the Wald limits (computed on the log scale).
    ratio_label
        Label of the ratio for tables and the plot.

    Returns
    -------
    PartialEffect

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from crlm_outcomes.formula import build_design
    >>> d = build_design("x", pd.DataFrame({"x": np.arange(11.0)}))
    >>> partial_effect(d, np.array([0.1]), np.array([[0.0025]]), "x", values=[5.0, 6.0]
    ...                ).table["hr"].round(4).tolist()
    [1.0, 1.1052]
    """
    if design.formula is None or variable not in design.formula.variables:
        raise SpecError(
            "variable is not a covariate of the model",
            value=variable,
            expected="one of " + ", ".join(design.formula.variables if design.formula else []),
        )
    if variable in design.levels:
        raise SpecError(
            "the partial-effect curve needs a numeric variable",
            value=variable,
            expected="a continuous covariate",
        )
    if not 0 < conf_level < 1:
        raise SpecError(
            "conf_level must lie strictly between 0 and 1", value=conf_level, expected="e.g. 0.95"
        )
    grid = default_grid(design, variable) if values is None else np.asarray(values, float)
    if grid.ndim != 1 or grid.size == 0 or not np.all(np.isfinite(grid)):
        raise SpecError(
            "values must be a non-empty list of finite numbers",
            value=values,
            expected="e.g. numpy.linspace(40, 80, 50)",
        )
    ref = design.adjust_to[variable] if reference is None else float(reference)
    others = {v: design.adjust_to[v] for v in design.formula.variables if v != variable}
    frame = pd.DataFrame(
        {
            variable: np.concatenate([grid, [ref]]),
            **{v: [val] * (grid.size + 1) for v, val in others.items()},
        }
    )
    try:
        x = design_matrix_for(design, frame)
    except FormulaError as exc:
        raise SpecError(
            f"cannot evaluate the model at these values: {exc.message}",
            value=[float(grid.min()), float(grid.max())],
            expected="values inside the range the transforms accept",
        ) from exc
    diff = x[:-1] - x[-1]
    b = np.asarray(coef, dtype=np.float64)
    v = np.asarray(vcov, dtype=np.float64)
    ok = np.isfinite(b)
    b = np.where(ok, b, 0.0)
    v = np.where(np.outer(ok, ok), v, 0.0)
    lp = diff @ b
    se = np.sqrt(np.einsum("ij,jk,ik->i", diff, v, diff))
    z = stats.norm.ppf(0.5 + conf_level / 2)
    table = pd.DataFrame(
        {
            "value": grid,
            "hr": np.exp(lp),
            "lower": np.exp(lp - z * se),
            "upper": np.exp(lp + z * se),
            "log_hr": lp,
            "std_error": se,
        }
    )
    knots = spline_knots(design, variable)
    return PartialEffect(
        table=table,
        variable=variable,
        reference=ref,
        adjust_to=others,
        conf_level=conf_level,
        ratio_label=ratio_label,
        knots=None if knots is None else tuple(knots),
    )
