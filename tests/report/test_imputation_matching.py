"""Report integration of issue #16: imputation pools every Cox model, matching builds the
matched comparison with balance and E-values, conditional survival joins the KM section."""

from __future__ import annotations

import pandas as pd
import pytest

from crlm_outcomes.errors import SpecError
from crlm_outcomes.report.methods_text import methods_text
from crlm_outcomes.report.raw_names import raw_names_in_report, svg_texts
from crlm_outcomes.report.spec import parse_spec
from crlm_outcomes.report.suppression import SuppressionPolicy

EXTRA = {
    "endpoints": ["os"],
    "landmarks": [],
    "competing_risks": [],
    "comparison": None,
    "cohort": {"demo": True, "n": 300},
    "cox": [
        {
            "name": "mv",
            "endpoint": "os",
            "ph_test": False,
            "formula": "age_at_diagnosis + sex + cea_at_liver_diagnosis + kras_status",
        }
    ],
    "imputation": {
        "variables": ["cea_at_liver_diagnosis", "kras_status"],
        "predictors": ["age_at_diagnosis", "sex"],
        "m": 2,
        "iterations": 2,
        "seed": 5,
    },
    "matching": [
        {
            "treatment": "neoadjuvant_chemo",
            "caliper": 0.2,
            "formula": "age_at_diagnosis + liver_mets_number + extrahepatic_disease",
        }
    ],
    "output": {
        "figure_formats": ["png", "svg"],
        "table_formats": ["csv"],
        "conditional_survival": {"given": [12], "horizon": [36]},
    },
}


@pytest.fixture(scope="module")
def built(tmp_path_factory, make_spec, build):
    spec = make_spec(**EXTRA)
    return spec, build(spec, tmp_path_factory.mktemp("i16") / "out", jobs=1)


def test_pooled_cox_matched_comparison_and_conditional_tables(built):
    spec, res = built
    tables = res.out_dir / "tables"
    cox = pd.read_csv(tables / "cox_mv.csv", dtype=str, keep_default_na=False)
    # rows grouped by variable with readable labels (issue 14)
    assert (cox["variable"].iloc[-1], cox["level"].iloc[-1]) == ("KRAS", "Mutant")
    imp = pd.read_csv(tables / "imputation_models.csv")
    assert list(imp["method"]) == ["predictive mean matching", "logistic regression"]
    assert list(imp["variable"]) == ["CEA at liver metastasis diagnosis", "KRAS"]
    eff = pd.read_csv(tables / "matching_1_effect.csv")
    assert float(eff["E-value (point)"].iloc[0]) >= 1.0
    bal = pd.read_csv(tables / "matching_1_balance.csv")
    assert set(bal.columns) == {"covariate", "SMD before", "SMD after"}
    cond = pd.read_csv(tables / "conditional_os.csv")
    assert cond["given (months)"].tolist()[0] == 12
    page = res.html.read_text(encoding="utf-8")
    assert "pooled by Rubin&#39;s rules" in page or "pooled by Rubin's rules" in page
    assert (res.out_dir / "figures" / "matching_1_love.png").exists()
    assert (res.out_dir / "figures" / "imputation_traces.png").exists()


def test_imputation_matching_and_conditional_sections_show_no_raw_names(built):
    """Issue 14: the sections added with issue 16 (imputation, pooled Cox, matching, conditional
    survival) speak in labels too - in the page and in every SVG figure."""
    _, res = built
    assert raw_names_in_report(res.out_dir) == {}
    love = svg_texts(res.out_dir / "figures" / "matching_1_love.svg")
    assert "Age at diagnosis" in love
    traces = svg_texts(res.out_dir / "figures" / "imputation_traces.svg")
    assert "KRAS" in traces and "CEA at liver metastasis diagnosis" in traces


def test_pooled_forest_is_grouped_and_matching_arms_are_named(built):
    """Issue 14: the pooled (imputed) Cox forest has the grouped layout of the complete-case
    forest (variable headers, reference rows, N/events, HR (95% CI), p); the matched
    comparison names its arms by the treatment's labels, not "treated/control"."""
    _, res = built
    forest = svg_texts(res.out_dir / "figures" / "forest_mv.svg")
    for text in ("N/events", "HR (95% CI)", "Reference", "KRAS", "Wild type", "Mutant"):
        assert text in forest, text
    assert any("pooled over 2 imputations" in t for t in forest)
    assert any(t.count("/") == 1 and t.replace("/", "").isdigit() for t in forest)
    tables = res.out_dir / "tables"
    cox = pd.read_csv(tables / "cox_mv.csv", dtype=str, keep_default_na=False)
    kras = cox[(cox["variable"] == "KRAS") & (cox["level"] != "")]
    assert list(kras["level"]) == ["Wild type", "Mutant"]
    assert kras["HR (95% CI)"].iloc[0] == "1 (reference)"
    assert kras["N"].str.isdigit().all()
    sizes = pd.read_csv(tables / "matching_1_sizes.csv", dtype=str)
    assert list(sizes["group"]) == ["Neoadjuvant chemotherapy", "No neoadjuvant chemotherapy"]
    eff = pd.read_csv(tables / "matching_1_effect.csv", dtype=str)
    assert eff["comparison"].iloc[0] == "Neoadjuvant chemotherapy vs No neoadjuvant chemotherapy"
    love = svg_texts(res.out_dir / "figures" / "matching_1_love.svg")
    assert "Before matching" in love and "After matching" in love and "Weighted" not in love
    page = res.html.read_text(encoding="utf-8")
    assert "treated vs control" not in page and ">treated<" not in page


def test_methods_text_says_what_was_done(make_spec):
    spec = make_spec(**EXTRA)
    text = " ".join(methods_text(spec, versions={}, suppression=SuppressionPolicy(False)))
    assert "multiply imputed" in text and "2 imputations" in text
    assert "E-values" in text and "caliper 0.2 SD" in text
    assert "Conditional survival" in text


def test_spec_names_are_checked(make_spec):
    with pytest.raises(SpecError, match="imputation.variables"):
        make_spec(imputation={"variables": ["no_such_column"]})
    with pytest.raises(SpecError, match="matching"):
        parse_spec(
            {
                "cohort": {"demo": True},
                "matching": [{"treatment": "x", "formula": "age_at_diagnosis"}],
            }
        )
