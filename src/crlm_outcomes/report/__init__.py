"""crlm_outcomes.report: analysis specs, publication tables and reproducible report builds.

``build_report(spec, out)`` writes a self-contained HTML report, every figure (PNG/SVG/PDF),
every table (CSV/HTML/LaTeX) and a manifest with hashes; ``table_one`` and
``regression_table`` are the publication tables on their own; ``SuppressionPolicy`` with
``suppress_vector`` (and the other functions of :mod:`crlm_outcomes.report.suppression`) apply
small-cell suppression.
"""

from crlm_outcomes.report.build import DEMO_SPEC, BuildResult, build_report
from crlm_outcomes.report.regression_table import RegressionTable, regression_table
from crlm_outcomes.report.spec import AnalysisSpec, load_spec, parse_spec
from crlm_outcomes.report.suppression import SuppressionPolicy, suppress_vector
from crlm_outcomes.report.table_one import TableOne, table_one

__all__ = [
    "AnalysisSpec",
    "BuildResult",
    "DEMO_SPEC",
    "RegressionTable",
    "SuppressionPolicy",
    "TableOne",
    "build_report",
    "load_spec",
    "parse_spec",
    "regression_table",
    "suppress_vector",
    "table_one",
]
