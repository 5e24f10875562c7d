"""The exception hierarchy: input errors are ValueErrors and name where the problem is."""

import pandas as pd
import pytest

from crlm_outcomes import errors


def test_input_errors_are_value_errors_and_crlm_errors():
    for name in errors.__all__:
        cls = getattr(errors, name)
        if isinstance(cls, type) and issubclass(cls, errors.InputError):
            assert issubclass(cls, ValueError), name
            assert issubclass(cls, errors.CrlmError), name


def test_input_error_message_names_file_row_column_value_and_expectation():
    err = errors.InputError(
        "not a date",
        file="cohort.csv",
        row=17,
        column="death_date",
        value="31/02/2020",
        expected="a date in format %d/%m/%Y",
    )
    text = str(err)
    for part in ("not a date", "cohort.csv", "row 17", "'death_date'", "'31/02/2020'", "%d/%m/%Y"):
        assert part in text
    assert (err.file, err.row, err.column) == ("cohort.csv", 17, "death_date")


def test_missing_columns_error_suggests_near_matches():
    err = errors.MissingColumnsError(
        ["Survival months"], file="seer.csv", suggestions={"Survival months": ["Survival Months"]}
    )
    assert "did you mean 'Survival Months'" in str(err)
    assert err.missing == ["Survival months"]


def test_schema_validation_error_keeps_every_failure_case():
    cases = pd.DataFrame({"row": [1, 2], "column": ["age", "sex"], "value": [140, "x"]})
    err = errors.SchemaValidationError("validation failed", cases, file="f.csv")
    assert "2 failure case(s)" in str(err)
    assert err.failure_cases.equals(cases)


def test_warnings_hierarchy():
    assert issubclass(errors.MonotoneLikelihoodWarning, errors.ConvergenceWarning)
    assert issubclass(errors.ConvergenceWarning, UserWarning)
    with pytest.warns(errors.CrlmWarning):
        import warnings

        warnings.warn("x", errors.DataQualityWarning, stacklevel=1)
