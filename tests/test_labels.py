"""Display labels (``crlm_outcomes.labels``): booleans read Yes/No whatever their type."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crlm_outcomes.labels import default_labels, humanize


@pytest.mark.parametrize(
    ("code", "text"),
    [(True, "Yes"), (False, "No"), (np.True_, "Yes"), (np.False_, "No")],
)
def test_humanize_reads_python_and_numpy_booleans_as_yes_no(code, text):
    # numpy 2 renamed the scalar type from ``bool_`` to ``bool``; a check on the type's name
    # printed "True" for a numpy boolean there
    assert humanize(code) == text


def test_level_of_a_boolean_column_value_from_pandas():
    lab = default_labels()
    values = pd.Series([True, False], dtype="boolean")
    got = [lab.level("extrahepatic_disease", v) for v in values.to_numpy(dtype=object)]
    got_np = [lab.level("extrahepatic_disease", v) for v in np.array([True, False])]
    assert got == got_np == ["Yes", "No"]
