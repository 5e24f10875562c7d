"""E-values checked on the published examples of VanderWeele & Ding (Ann Intern Med 2017)."""

from __future__ import annotations

import numpy as np
import pytest

from crlm_outcomes.errors import InputError, SpecError
from crlm_outcomes.survival.evalue import evalue, evalue_from_model, evalue_point, hr_to_rr


def test_breastfeeding_example():
    # Victora et al.: RR 3.9 (95% CI 1.8 to 8.7); the paper reports E-values 7.2 and 3.0
    t = evalue(3.9, 1.8, 8.7).table.iloc[0]
    assert t["evalue"] == pytest.approx(3.9 + np.sqrt(3.9 * 2.9), rel=1e-15)
    assert round(t["evalue"], 1) == 7.3 and round(t["evalue_ci"], 1) == 3.0
    assert t["evalue_ci"] == pytest.approx(3.0, rel=1e-12)  # 1.8 + sqrt(1.8 * 0.8) = 3 exactly


def test_leukaemia_protective_example():
    # RR 0.80 (0.71, 0.91): E-values 1.81 and 1.43 in the paper
    t = evalue(0.80, 0.71, 0.91).table.iloc[0]
    assert round(t["evalue"], 2) == 1.81 and round(t["evalue_ci"], 2) == 1.43


def test_interval_containing_null_gives_one():
    t = evalue(1.3, 0.9, 1.8).table.iloc[0]
    assert t["evalue_ci"] == 1.0
    assert evalue(1.0, 0.8, 1.2).table["evalue"][0] == 1.0


def test_common_outcome_hr_conversion():
    # VanderWeele's conversion is symmetric: RR(1/HR) = 1/RR(HR), and RR(1) = 1
    for hr in (0.3, 0.56, 1.7, 4.0):
        assert hr_to_rr(1 / hr) == pytest.approx(1 / hr_to_rr(hr), rel=1e-14)
        assert abs(np.log(hr_to_rr(hr))) < abs(np.log(hr))  # pulled towards the null
    t = evalue(0.56, 0.46, 0.69, measure="HR", rare=False).table.iloc[0]
    rr = (1 - 0.5 ** np.sqrt(0.56)) / (1 - 0.5 ** np.sqrt(1 / 0.56))
    assert t["rr"] == pytest.approx(rr, rel=1e-15)
    assert t["evalue"] == pytest.approx(evalue_point(rr), rel=1e-15)
    assert t["evalue_ci"] == pytest.approx(evalue_point(hr_to_rr(0.69)), rel=1e-15)
    # rare outcome: the HR is taken as a risk ratio
    assert evalue(0.56, 0.46, 0.69, measure="HR", rare=True).table["rr"][0] == 0.56
    # common-outcome OR: square root
    assert evalue(4.0, measure="OR", rare=False).table["rr"][0] == 2.0


def test_true_value_other_than_null():
    t = evalue(3.9, 1.8, 8.7, true=2.0).table.iloc[0]
    assert t["evalue"] == pytest.approx(evalue_point(3.9 / 2.0))
    assert t["evalue_ci"] == 1.0


def test_errors_and_contract():
    with pytest.raises(SpecError, match="rare"):
        evalue(0.5, measure="HR")
    with pytest.raises(SpecError, match="measure"):
        evalue(0.5, measure="risk")
    with pytest.raises(InputError, match="bracket"):
        evalue(2.0, 2.5, 3.0)
    with pytest.raises(InputError, match="positive"):
        evalue(-1.0)
    r = evalue(0.56, 0.46, 0.69, measure="HR", rare=False, term="treat")
    assert r == evalue(0.56, 0.46, 0.69, measure="HR", rare=False, term="treat")
    assert "E-value" in repr(r) and "\n" not in repr(r)
    assert "common outcome" in r.summary()
    assert "<table" in r._repr_html_() and r.n_excluded == 0


def test_from_model_frame():
    import pandas as pd

    frame = pd.DataFrame(
        {"term": ["a", "b"], "hr": [0.5, 2.0], "lower": [0.3, 1.5], "upper": [0.8, 2.7]}
    )
    r = evalue_from_model(frame, rare=False)
    assert list(r.table["term"]) == ["a", "b"]
    with pytest.raises(InputError, match="term"):
        evalue_from_model(frame, "c", rare=False)
