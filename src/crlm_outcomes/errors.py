"""The single exception and warning hierarchy of crlm_outcomes.

Every error the package raises on purpose is a :class:`CrlmError`. Errors caused by the user's
input (a file, a profile, a column, a formula, an analysis spec) also subclass :class:`ValueError`
through :class:`InputError`, so ``except ValueError`` keeps working for callers that expect it.

An :class:`InputError` names *where* the problem is (file, row, column, value) and *what was
expected*, and renders all of that in its message. It never wraps a raw pandas traceback: the
original exception, when there is one, is chained with ``raise ... from exc``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

__all__ = [
    "TooManyTablesError",
    "CrlmError",
    "InputError",
    "UnreadableFileError",
    "EmptyFileError",
    "UnknownProfileError",
    "ProfileError",
    "SchemaDefinitionError",
    "MissingColumnsError",
    "ColumnTypeError",
    "SchemaValidationError",
    "SurvivalDataError",
    "FormulaError",
    "SpecError",
    "OptionalDependencyError",
    "UncollectedVariableError",
    "UnsafeYamlError",
    "OutputFolderError",
    "DisclosureError",
    "EstimationError",
    "CrlmWarning",
    "ConvergenceWarning",
    "MonotoneLikelihoodWarning",
    "DataQualityWarning",
]


class CrlmError(Exception):
    """Base class of every error raised on purpose by crlm_outcomes.

    Catch it to tell the package's explained errors from bugs. Errors caused by the input are
    also :class:`ValueError` (through :class:`InputError`); the others say which built-in class
    they extend, if any.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes import load_cohort
    >>> try:
    ...     load_cohort(pd.DataFrame())
    ... except ValueError as err:
    ...     print(type(err).__name__, "-", err.message)
    ...     print([c.__name__ for c in type(err).__mro__[1:4]])
    EmptyFileError - the DataFrame has no rows
    ['InputError', 'CrlmError', 'ValueError']
    >>> from crlm_outcomes.errors import CrlmError
    >>> issubclass(CrlmError, Exception), issubclass(CrlmError, ValueError)
    (True, False)
    """


class InputError(CrlmError, ValueError):
    """Bad input: names the file, row, column and value, and what was expected.

    Parameters
    ----------
    message
        What is wrong, in one sentence.
    file, row, column, value
        Where the problem is. ``row`` is the 1-based data row of the source file (the header
        is not counted) when it is known.
    expected
        What would have been accepted.

    Examples
    --------
    Every part given is kept as an attribute and rendered in the message:

    >>> from crlm_outcomes.errors import InputError
    >>> err = InputError(
    ...     "age is not a number", file="export.csv", row=3, column="Age", value="n/a",
    ...     expected="a number of years",
    ... )
    >>> print(err)
    age is not a number; at file export.csv, row 3, column 'Age'; value 'n/a'; expected a number of years
    >>> err.row, err.column
    (3, 'Age')
    >>> issubclass(InputError, ValueError), issubclass(InputError, CrlmError)
    (True, True)
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        value: Any = None,
        expected: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.row = row
        self.column = column
        self.value = value
        self.expected = expected
        super().__init__(self._render())

    def _render(self) -> str:
        parts = [self.message]
        where = []
        if self.file is not None:
            where.append(f"file {self.file!s}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        if where:
            parts.append("at " + ", ".join(where))
        if self.value is not None:
            parts.append(f"value {self.value!r}")
        if self.expected is not None:
            parts.append(f"expected {self.expected}")
        return "; ".join(parts)


class UnreadableFileError(InputError):
    """The file does not exist, has an unsupported format, or cannot be parsed.

    Examples
    --------
    >>> from crlm_outcomes import load_cohort
    >>> try:
    ...     load_cohort("no_such_export.csv")
    ... except ValueError as err:  # every input error is a ValueError
    ...     print(type(err).__name__)
    ...     print(err)
    UnreadableFileError
    no such file; at file no_such_export.csv
    >>> from crlm_outcomes.errors import UnreadableFileError
    >>> issubclass(UnreadableFileError, InputError), issubclass(UnreadableFileError, ValueError)
    (True, True)
    """


class EmptyFileError(InputError):
    """The file (or DataFrame) has no data rows.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from crlm_outcomes import load_cohort
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "export.csv"
    ...     _ = path.write_text("")
    ...     try:
    ...         load_cohort(path)
    ...     except ValueError as err:  # every input error is a ValueError
    ...         print(type(err).__name__)
    ...         print(err.message)
    EmptyFileError
    the file is empty (0 bytes)
    >>> from crlm_outcomes.errors import EmptyFileError
    >>> issubclass(EmptyFileError, InputError), issubclass(EmptyFileError, ValueError)
    (True, True)
    """


class UnknownProfileError(InputError):
    """No loader profile of that name, and no profile file at that path.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes import load_cohort
    >>> try:
    ...     load_cohort(pd.DataFrame({"MRN": ["A1"]}), profile="my_hospital")
    ... except ValueError as err:  # every input error is a ValueError
    ...     print(type(err).__name__)
    ...     print(err)
    UnknownProfileError
    unknown profile 'my_hospital'; expected one of ['canonical', 'institutional', 'ncdb', 'seer', 'tcia_crlm'] or the path of a profile YAML file
    >>> from crlm_outcomes.errors import UnknownProfileError
    >>> issubclass(UnknownProfileError, InputError), issubclass(UnknownProfileError, ValueError)
    (True, True)
    """


class ProfileError(InputError):
    """A loader profile file is malformed (unknown key, bad code map, bad unit).

    Examples
    --------
    A profile that maps age but does not say in which unit the source writes it:

    >>> import pathlib, tempfile
    >>> from crlm_outcomes.io.profile import load_profile
    >>> text = "name: my_hospital\\ncolumns:\\n  patient_id: {source: MRN}\\n  age_at_diagnosis: {source: Age}\\n"
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "my_hospital.yaml"
    ...     _ = path.write_text(text)
    ...     try:
    ...         load_profile(path)
    ...     except ValueError as err:  # every input error is a ValueError
    ...         print(type(err).__name__)
    ...         print(err.message)
    ...         print(err.expected)
    ProfileError
    invalid profile: key 'columns.age_at_diagnosis': unit not declared: canonical column 'age_at_diagnosis' is in years; say which unit the source uses (never guessed)
    unit: years (or a convertible unit)
    >>> from crlm_outcomes.errors import ProfileError
    >>> issubclass(ProfileError, InputError), issubclass(ProfileError, ValueError)
    (True, True)
    """


class SchemaDefinitionError(InputError):
    """A schema definition file (the format of ``canonical.yaml``) is malformed: names the file,
    the key path, the value and what was expected.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from crlm_outcomes.schema.definition import read_definition
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "schema.yaml"
    ...     _ = path.write_text("name: demo\\n")
    ...     try:
    ...         read_definition(path)
    ...     except ValueError as err:  # every input error is a ValueError
    ...         print(type(err).__name__)
    ...         print(err.message)
    SchemaDefinitionError
    invalid schema definition: key 'schema_name': required key is missing (also invalid: 'schema_version', 'time_unit', 'days_per_month', 'groups', 'columns', 'name')
    >>> from crlm_outcomes.errors import SchemaDefinitionError
    >>> issubclass(SchemaDefinitionError, InputError), issubclass(SchemaDefinitionError, ValueError)
    (True, True)
    """


class MissingColumnsError(InputError):
    """Columns required by the profile are absent; near matches are suggested.

    Parameters
    ----------
    missing
        The required columns not found.
    file
        The file (or ``"<DataFrame>"``) read.
    suggestions
        ``{missing column: [near matches in the file]}``, shown as "did you mean".
    expected
        What would have been accepted.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes import load_cohort
    >>> try:
    ...     load_cohort(pd.DataFrame({"patient_ID": ["P1", "P2"]}))
    ... except ValueError as err:  # every input error is a ValueError
    ...     print(type(err).__name__)
    ...     print(err.message)
    ...     print(err.missing, err.suggestions)
    MissingColumnsError
    missing required column(s): 'patient_id' (did you mean 'patient_ID'?)
    ['patient_id'] {'patient_id': ['patient_ID']}
    >>> from crlm_outcomes.errors import MissingColumnsError
    >>> issubclass(MissingColumnsError, InputError), issubclass(MissingColumnsError, ValueError)
    (True, True)
    """

    def __init__(
        self,
        missing: Sequence[str],
        *,
        file: str | None = None,
        suggestions: dict[str, list[str]] | None = None,
        expected: str | None = None,
    ) -> None:
        self.missing = list(missing)
        self.suggestions = dict(suggestions or {})
        hints = []
        for name in self.missing:
            near = self.suggestions.get(name)
            hints.append(
                f"{name!r} (did you mean {', '.join(map(repr, near))}?)" if near else repr(name)
            )
        super().__init__(
            f"missing required column(s): {', '.join(hints)}",
            file=file,
            expected=expected,
        )


class ColumnTypeError(InputError):
    """A whole column has the wrong type (for example text where numbers are required).

    Examples
    --------
    A node status written as numbers where a score expects True / False:

    >>> import pandas as pd
    >>> from crlm_outcomes.stratify import fong_score
    >>> try:
    ...     fong_score(pd.DataFrame({"primary_node_positive": [1.5, 0.0]}))
    ... except ValueError as err:  # every input error is a ValueError
    ...     print(type(err).__name__)
    ...     print(err)
    ColumnTypeError
    column 'primary_node_positive' has dtype float64; at column 'primary_node_positive'; expected a boolean column (True / False / missing)
    >>> from crlm_outcomes.errors import ColumnTypeError
    >>> issubclass(ColumnTypeError, InputError), issubclass(ColumnTypeError, ValueError)
    (True, True)
    """


class SchemaValidationError(InputError):
    """Lazy validation failed. ``failure_cases`` lists every failing row, column, value and check.

    Raised by :func:`crlm_outcomes.schema.pandera_schema.validate_canonical` (which needs
    pandera, slow to import, hence the example builds the error as that function does).

    Parameters
    ----------
    message
        What failed.
    failure_cases
        One row per failure: ``column``, ``check``, ``row``, ``value``.
    file
        The file validated, when there is one.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.errors import SchemaValidationError
    >>> cases = pd.DataFrame(
    ...     {"column": ["age_at_diagnosis"], "check": ["in_range(0, 120)"], "row": [4],
    ...      "value": [250.0]}
    ... )
    >>> err = SchemaValidationError("the frame does not conform to the canonical schema", cases)
    >>> print(str(err).splitlines()[0])
    the frame does not conform to the canonical schema (1 failure case(s))
    >>> int(err.failure_cases["row"].iloc[0])
    4
    >>> issubclass(SchemaValidationError, InputError), issubclass(SchemaValidationError, ValueError)
    (True, True)
    """

    def __init__(
        self, message: str, failure_cases: pd.DataFrame, *, file: str | None = None
    ) -> None:
        self.failure_cases = failure_cases
        preview = failure_cases.head(20).to_string(index=False) if len(failure_cases) else ""
        super().__init__(f"{message} ({len(failure_cases)} failure case(s))\n{preview}", file=file)


class SurvivalDataError(InputError):
    """Survival input is unusable: NaN or negative times, event codes outside the declared set.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes import kaplan_meier
    >>> data = pd.DataFrame({"months": [5.0, -1.0, 3.0, 8.0, 2.0], "death": [1, 0, 1, 0, 1]})
    >>> try:
    ...     kaplan_meier(data, duration="months", event="death")
    ... except ValueError as err:  # every input error is a ValueError
    ...     print(type(err).__name__)
    ...     print(err)
    SurvivalDataError
    negative duration; at row 1, column 'months'; value -1.0; expected a duration >= 0
    >>> from crlm_outcomes.errors import SurvivalDataError
    >>> issubclass(SurvivalDataError, InputError), issubclass(SurvivalDataError, ValueError)
    (True, True)
    """


class FormulaError(InputError):
    """A model formula refers to unknown columns or cannot be parsed.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes import cox
    >>> data = pd.DataFrame(
    ...     {"months": [5.0, 1, 3, 8, 2, 4], "death": [1, 0, 1, 0, 1, 1],
    ...      "age": [60, 70, 65, 50, 55, 72]}
    ... )
    >>> try:
    ...     cox(data, "age + bmi", duration="months", event="death")
    ... except ValueError as err:  # every input error is a ValueError
    ...     print(type(err).__name__)
    ...     print(err)
    FormulaError
    formula refers to unknown column 'bmi'; at column 'bmi'; value 'age + bmi'; expected columns of the data (age, death, months)
    >>> from crlm_outcomes.errors import FormulaError
    >>> issubclass(FormulaError, InputError), issubclass(FormulaError, ValueError)
    (True, True)
    """


class SpecError(InputError):
    """An analysis spec is invalid: names the key, the value and what is allowed.

    Examples
    --------
    >>> from crlm_outcomes import synthetic_cohort
    >>> try:
    ...     synthetic_cohort(0)
    ... except ValueError as err:  # every input error is a ValueError
    ...     print(type(err).__name__)
    ...     print(err)
    SpecError
    n must be a positive integer; value 0; expected an integer >= 1
    >>> from crlm_outcomes.errors import SpecError
    >>> issubclass(SpecError, InputError), issubclass(SpecError, ValueError)
    (True, True)
    """


class UncollectedVariableError(InputError):
    """Imputation was asked for a variable the source never recorded (all missing overall or in
    a registry era): a design question, not a missing-data one.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from crlm_outcomes.imputation.mice import impute
    >>> data = pd.DataFrame(
    ...     {"months": [5.0, 1, 3, 8, 2, 4], "death": [1, 0, 1, 0, 1, 1],
    ...      "age": [60, np.nan, 65, 50, 55, 72],
    ...      "kras_mutant": pd.array([pd.NA] * 6, dtype="boolean")}
    ... )
    >>> try:
    ...     impute(data, ["age", "kras_mutant"], duration="months", event="death", m=2, seed=1)
    ... except ValueError as err:  # every input error is a ValueError
    ...     print(type(err).__name__)
    ...     print(err.message)
    ...     print(err.column, err.value)
    UncollectedVariableError
    this variable is missing for every patient: the source did not collect it, and imputing it would invent data
    kras_mutant 6
    >>> from crlm_outcomes.errors import UncollectedVariableError
    >>> issubclass(UncollectedVariableError, InputError), issubclass(UncollectedVariableError, ValueError)
    (True, True)
    """


class UnsafeYamlError(InputError):
    """A YAML file is refused before it is built: too large, too many aliases (an alias bomb),
    a key repeated in one mapping, or not UTF-8 (:mod:`crlm_outcomes.safe_yaml`).

    Examples
    --------
    >>> from crlm_outcomes.safe_yaml import load_yaml
    >>> try:
    ...     load_yaml("name: trial\\nname: registry\\n")
    ... except ValueError as err:  # every input error is a ValueError
    ...     print(type(err).__name__)
    ...     print(err)
    UnsafeYamlError
    key 'name' appears twice in one mapping (lines 1 and 2); the second would silently replace the first; at row 2
    >>> from crlm_outcomes.errors import UnsafeYamlError
    >>> issubclass(UnsafeYamlError, InputError), issubclass(UnsafeYamlError, ValueError)
    (True, True)
    """


class OutputFolderError(InputError):
    """A report cannot be written to the folder asked for: it is a file, holds files no
    previous build wrote, or another build is writing into it.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from crlm_outcomes.report.output_folder import check_output_folder
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     notes = pathlib.Path(folder) / "notes.txt"
    ...     _ = notes.write_text("my notes")
    ...     try:
    ...         check_output_folder(notes)
    ...     except ValueError as err:  # every input error is a ValueError
    ...         print(type(err).__name__)
    ...         print(err.message)
    OutputFolderError
    the output path is a file, not a folder
    >>> from crlm_outcomes.errors import OutputFolderError
    >>> issubclass(OutputFolderError, InputError), issubclass(OutputFolderError, ValueError)
    (True, True)
    """


class DisclosureError(CrlmError):
    """A report built with small-cell suppression would let a reader recover a suppressed count
    from what it publishes (:mod:`crlm_outcomes.report.disclosure_check`); nothing is written.

    ``findings`` lists each recoverable cell with the published facts that reveal it.

    Parameters
    ----------
    message
        What would be disclosed, and what to do about it.
    findings
        The recoverable cells (``Finding`` records of the disclosure check).

    Examples
    --------
    Three men are masked, but the published total minus the published women gives them away:

    >>> from crlm_outcomes.report.disclosure_check import DisclosureLedger, assert_no_disclosure
    >>> led = DisclosureLedger()
    >>> led.count("men", 3, masked=True, where="Table 1")
    >>> led.count("women", 190, masked=False, where="Table 1")
    >>> led.count("all", 193, masked=False, where="Table 1")
    >>> led.total("all", ["men", "women"])
    >>> try:
    ...     assert_no_disclosure(led)
    ... except Exception as err:
    ...     print(type(err).__name__, [f.key for f in err.findings])
    DisclosureError ['men']
    >>> from crlm_outcomes.errors import DisclosureError
    >>> issubclass(DisclosureError, CrlmError), issubclass(DisclosureError, ValueError)
    (True, False)
    """

    def __init__(self, message: str, findings: Sequence[Any] = ()) -> None:
        self.findings = list(findings)
        super().__init__(message)


class EstimationError(CrlmError):
    """An estimator cannot produce a result for these data (for example no events at all).

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes import cox
    >>> data = pd.DataFrame(
    ...     {"months": [5.0, 1, 3, 8, 2, 4], "death": [0, 0, 0, 0, 0, 0],
    ...      "age": [60, 70, 65, 50, 55, 72]}
    ... )
    >>> try:
    ...     cox(data, "age", duration="months", event="death")
    ... except Exception as err:
    ...     print(type(err).__name__)
    ...     print(err)
    EstimationError
    no events in the rows used: a Cox model cannot be fitted (R: "Can't fit a Cox model with 0 failures")
    >>> from crlm_outcomes.errors import EstimationError
    >>> issubclass(EstimationError, CrlmError), issubclass(EstimationError, ValueError)
    (True, False)
    """


class TooManyTablesError(CrlmError, RuntimeError):
    """An exact test would have to enumerate more tables than its budget allows (the caller
    falls back to an asymptotic test and says so).

    Examples
    --------
    >>> import numpy as np
    >>> from crlm_outcomes.report.fisher import fisher_exact_2xk
    >>> table = np.array([[10, 12, 9, 11], [8, 13, 10, 9]])
    >>> try:
    ...     fisher_exact_2xk(table, budget=10)
    ... except RuntimeError as err:
    ...     print(type(err).__name__, "-", err)
    TooManyTablesError - exact enumeration needs more than 10 nodes
    >>> from crlm_outcomes.errors import TooManyTablesError
    >>> issubclass(TooManyTablesError, RuntimeError), issubclass(TooManyTablesError, CrlmError)
    (True, True)
    """


class OptionalDependencyError(CrlmError, ImportError):
    """A feature needs an optional extra that is not installed (the message names the
    ``pip install`` command), e.g. Word export without python-docx.

    Examples
    --------
    Word export on a machine without python-docx (here its import is blocked for the example):

    >>> import pathlib, sys, tempfile
    >>> import pandas as pd
    >>> from crlm_outcomes.report.word import write_table_docx
    >>> saved = sys.modules.get("docx")
    >>> sys.modules["docx"] = None  # 'import docx' now fails, as when it is not installed
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     try:
    ...         write_table_docx(pd.DataFrame({"n": ["12"]}), pathlib.Path(folder) / "t.docx")
    ...     except ImportError as err:
    ...         print(type(err).__name__)
    ...         print(err)
    OptionalDependencyError
    Word export needs python-docx: pip install 'crlm_outcomes[word]'
    >>> if saved is None:
    ...     del sys.modules["docx"]
    ... else:
    ...     sys.modules["docx"] = saved
    >>> from crlm_outcomes.errors import OptionalDependencyError
    >>> issubclass(OptionalDependencyError, ImportError), issubclass(OptionalDependencyError, CrlmError)
    (True, True)
    """


class CrlmWarning(UserWarning):
    """Base class of every warning issued by crlm_outcomes.

    ``warnings.simplefilter("error", CrlmWarning)`` turns the package's warnings (and only
    those) into errors, e.g. in a pipeline that must stop on any data-quality or convergence
    problem.

    Examples
    --------
    Every death is among the node-positive patients: the Cox fit warns, with a subclass of
    ``CrlmWarning``:

    >>> import warnings
    >>> import pandas as pd
    >>> from crlm_outcomes import cox
    >>> data = pd.DataFrame(
    ...     {"months": [3.0, 6, 9, 12, 15, 18, 21, 24], "death": [1, 1, 1, 0, 0, 0, 0, 0],
    ...      "nodes": [1, 1, 1, 1, 0, 0, 0, 0]}
    ... )
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     fit = cox(data, "nodes", duration="months", event="death")
    >>> [c.__name__ for c in caught[0].category.__mro__[:4]]
    ['MonotoneLikelihoodWarning', 'ConvergenceWarning', 'CrlmWarning', 'UserWarning']
    >>> from crlm_outcomes.errors import CrlmWarning
    >>> issubclass(CrlmWarning, UserWarning)
    True
    """


class ConvergenceWarning(CrlmWarning):
    """An iterative fit did not converge; the message names the covariate(s) involved.

    Examples
    --------
    No death at all among the node-negative patients: the Cox fit runs out of iterations:

    >>> import warnings
    >>> import pandas as pd
    >>> from crlm_outcomes import cox
    >>> from crlm_outcomes.errors import ConvergenceWarning
    >>> data = pd.DataFrame(
    ...     {"months": [5.0, 1, 3, 8, 2, 4, 6, 7], "death": [1, 0, 1, 1, 0, 0, 0, 0],
    ...      "node_negative": [0, 0, 0, 0, 1, 1, 1, 1]}
    ... )
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     fit = cox(data, "node_negative", duration="months", event="death")
    >>> [(w.category.__name__, str(w.message)) for w in caught]
    [('ConvergenceWarning', 'Ran out of iterations and did not converge')]
    >>> issubclass(ConvergenceWarning, CrlmWarning), issubclass(ConvergenceWarning, UserWarning)
    (True, True)
    """


class MonotoneLikelihoodWarning(ConvergenceWarning):
    """A coefficient diverges (monotone likelihood, e.g. no events in one level).

    Examples
    --------
    Every death is among the node-positive patients, so the hazard ratio is infinite:

    >>> import warnings
    >>> import pandas as pd
    >>> from crlm_outcomes import cox
    >>> from crlm_outcomes.errors import MonotoneLikelihoodWarning
    >>> data = pd.DataFrame(
    ...     {"months": [3.0, 6, 9, 12, 15, 18, 21, 24], "death": [1, 1, 1, 0, 0, 0, 0, 0],
    ...      "nodes": [1, 1, 1, 1, 0, 0, 0, 0]}
    ... )
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     fit = cox(data, "nodes", duration="months", event="death")
    >>> [(w.category.__name__, str(w.message)) for w in caught]
    [('MonotoneLikelihoodWarning', 'Loglik converged before variable nodes; coefficient may be infinite (monotone likelihood)')]
    >>> issubclass(MonotoneLikelihoodWarning, ConvergenceWarning)
    True
    """


class DataQualityWarning(CrlmWarning):
    """Input was accepted, but something about it deserves the analyst's attention.

    Examples
    --------
    Age entered twice, in years and in months: the second column is collinear and dropped, as
    in R:

    >>> import warnings
    >>> import pandas as pd
    >>> from crlm_outcomes import cox
    >>> from crlm_outcomes.errors import DataQualityWarning
    >>> data = pd.DataFrame(
    ...     {"months": [3.0, 6, 9, 12, 15, 18, 21, 24], "death": [1, 1, 0, 1, 0, 1, 0, 0],
    ...      "age": [51, 69, 69, 68, 76, 77, 47, 44]}
    ... )
    >>> data["age_months"] = data["age"] * 12
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     fit = cox(data, "age + age_months", duration="months", event="death")
    >>> [(w.category.__name__, str(w.message)) for w in caught]
    [('DataQualityWarning', 'X matrix deemed to be singular (collinear or constant columns): age_months; their coefficients are missing, as in R')]
    >>> issubclass(DataQualityWarning, CrlmWarning)
    True
    """


class ImmortalTimeWarning(DataQualityWarning):
    """Groups defined by an event after the time origin (e.g. NED reached, a second
    operation) are compared from that origin: the time before the defining event is
    immortal for one group. Use a landmark analysis or start the clock at the event.

    Examples
    --------
    A log-rank test of overall survival by how NED was reached, with no entry time:

    >>> import warnings
    >>> import pandas as pd
    >>> from crlm_outcomes import logrank
    >>> from crlm_outcomes.errors import DataQualityWarning, ImmortalTimeWarning
    >>> df = pd.DataFrame({
    ...     "os_months": [12.0, 30.5, 8.1, 40.2, 22.0, 15.3],
    ...     "os_event": [1, 0, 1, 0, 1, 1],
    ...     "ned_route": ["resection", "ablation"] * 3,
    ... })
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = logrank(df, "os_months", "os_event", by="ned_route")
    >>> [w.category.__name__ for w in caught]
    ['ImmortalTimeWarning']
    >>> print(str(caught[0].message).split(":")[0])
    'ned_route' groups are defined by NED reached by resection, ablation or SBRT, which
    happens after the origin of 'os_months'
    >>> issubclass(ImmortalTimeWarning, DataQualityWarning), issubclass(
    ...     ImmortalTimeWarning, UserWarning)
    (True, True)
    """
