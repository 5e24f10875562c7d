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
    """Base class of every error raised on purpose by crlm_outcomes."""


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
    """The file does not exist, has an unsupported format, or cannot be parsed."""


class EmptyFileError(InputError):
    """The file (or DataFrame) has no data rows."""


class UnknownProfileError(InputError):
    """No loader profile of that name, and no profile file at that path."""


class ProfileError(InputError):
    """A loader profile file is malformed (unknown key, bad code map, bad unit)."""


class SchemaDefinitionError(InputError):
    """A schema definition file (the format of ``canonical.yaml``) is malformed: names the file,
    the key path, the value and what was expected."""


class MissingColumnsError(InputError):
    """Columns required by the profile are absent; near matches are suggested."""

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
    """A whole column has the wrong type (for example text where numbers are required)."""


class SchemaValidationError(InputError):
    """Lazy validation failed. ``failure_cases`` lists every failing row, column, value and check."""

    def __init__(
        self, message: str, failure_cases: pd.DataFrame, *, file: str | None = None
    ) -> None:
        self.failure_cases = failure_cases
        preview = failure_cases.head(20).to_string(index=False) if len(failure_cases) else ""
        super().__init__(f"{message} ({len(failure_cases)} failure case(s))\n{preview}", file=file)


class SurvivalDataError(InputError):
    """Survival input is unusable: NaN or negative times, event codes outside the declared set."""


class FormulaError(InputError):
    """A model formula refers to unknown columns or cannot be parsed."""


class SpecError(InputError):
    """An analysis spec is invalid: names the key, the value and what is allowed."""


class UncollectedVariableError(InputError):
    """Imputation was asked for a variable the source never recorded (all missing overall or in
    a registry era): a design question, not a missing-data one."""


class UnsafeYamlError(InputError):
    """A YAML file is refused before it is built: too large, too many aliases (an alias bomb),
    a key repeated in one mapping, or not UTF-8 (:mod:`crlm_outcomes.safe_yaml`)."""


class OutputFolderError(InputError):
    """A report cannot be written to the folder asked for: it is a file, holds files no
    previous build wrote, or another build is writing into it."""


class DisclosureError(CrlmError):
    """A report built with small-cell suppression would let a reader recover a suppressed count
    from what it publishes (:mod:`crlm_outcomes.report.disclosure_check`); nothing is written.

    ``findings`` lists each recoverable cell with the published facts that reveal it.
    """

    def __init__(self, message: str, findings: Sequence[Any] = ()) -> None:
        self.findings = list(findings)
        super().__init__(message)


class EstimationError(CrlmError):
    """An estimator cannot produce a result for these data (for example no events at all)."""


class TooManyTablesError(CrlmError, RuntimeError):
    """An exact test would have to enumerate more tables than its budget allows (the caller
    falls back to an asymptotic test and says so)."""


class OptionalDependencyError(CrlmError, ImportError):
    """A feature needs an optional extra that is not installed (the message names the
    ``pip install`` command), e.g. Word export without python-docx."""


class CrlmWarning(UserWarning):
    """Base class of every warning issued by crlm_outcomes."""


class ConvergenceWarning(CrlmWarning):
    """An iterative fit did not converge; the message names the covariate(s) involved."""


class MonotoneLikelihoodWarning(ConvergenceWarning):
    """A coefficient diverges (monotone likelihood, e.g. no events in one level)."""


class DataQualityWarning(CrlmWarning):
    """Input was accepted, but something about it deserves the analyst's attention."""


class ImmortalTimeWarning(DataQualityWarning):
    """Groups defined by an event after the time origin (e.g. NED reached, a second
    operation) are compared from that origin: the time before the defining event is
    immortal for one group. Use a landmark analysis or start the clock at the event."""
