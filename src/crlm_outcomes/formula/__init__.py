"""One formula layer for every model of the package (Cox, Fine–Gray, propensity).

:func:`check_formula` vets a right-hand side against an allowlist before anything is evaluated
(:mod:`crlm_outcomes.formula.checks`); :func:`build_design` / :func:`model_matrix` turn it into a
design matrix with R's treatment contrasts through :mod:`formulaic`, with the stateful transforms
(``bs``, ``cr``, ``cs``, ``center``, ``scale``, ``standardize``, ``poly``) and restricted cubic
splines ``rcs`` (:mod:`crlm_outcomes.formula.splines`, the basis of ``rms::rcs``), and codes new
data with the fitted state (:func:`design_matrix_for`).
"""

from crlm_outcomes.formula.checks import (
    ALLOWED_FUNCTIONS,
    CheckedFormula,
    check_expression,
    check_formula,
)
from crlm_outcomes.formula.design import (
    Design,
    build_design,
    coded_newdata,
    design_matrix_for,
    formula_variables,
    model_matrix,
)
from crlm_outcomes.formula.splines import rcs_basis, rcs_knots

__all__ = [
    "ALLOWED_FUNCTIONS",
    "CheckedFormula",
    "Design",
    "build_design",
    "check_expression",
    "check_formula",
    "coded_newdata",
    "design_matrix_for",
    "formula_variables",
    "model_matrix",
    "rcs_basis",
    "rcs_knots",
]
