"""The statistical-methods paragraph of a report, generated from the spec and the build's facts.

Every sentence states something the build actually did (the tests Table 1 used, the ties
method of each Cox model, the interval type, the suppression threshold, the software
versions), so the text cannot drift from the analysis.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from crlm_outcomes.labels import Labels, default_labels, lower_first
from crlm_outcomes.report.regression_table import split_terms
from crlm_outcomes.report.spec import AnalysisSpec, ImputationSpec
from crlm_outcomes.report.suppression import SuppressionPolicy
from crlm_outcomes.survival.term_rows import term_label

__all__ = ["methods_text"]

_CONF = {"log": "log", "log-log": "log-log (complementary log-log)", "plain": "linear (plain)"}
_TEST_SENTENCES = {
    "Welch t-test": "Welch's t-test",
    "Welch ANOVA": "Welch's one-way analysis of variance",
    "Kruskal-Wallis": "the Kruskal-Wallis test",
    "Chi-square": "Pearson's chi-square test (with Yates' continuity correction for 2 x 2 tables)",
    "Fisher": "Fisher's exact test",
    "Fisher (Monte Carlo)": "Fisher's exact test with a Monte Carlo p-value (20,000 tables "
    "with fixed margins, fixed seed) for tables with more than two "
    "rows and columns",
}


def _join(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def methods_text(
    spec: AnalysisSpec,
    *,
    versions: Mapping[str, Any],
    suppression: SuppressionPolicy,
    table_one_tests: Sequence[str] = (),
    cohort_note: str = "",
    labels: Labels | None = None,
) -> list[str]:
    """Paragraphs of the methods section.

    Parameters
    ----------
    spec
        The validated analysis spec.
    versions
        :func:`crlm_outcomes.report.manifest.software_versions`.
    suppression
        The suppression policy applied.
    table_one_tests
        Test names Table 1 actually used.
    cohort_note
        One sentence on the source cohort (file, profile, rows loaded and quarantined).
    labels
        Display labels, with the endpoints' time origins (default: the schema's).

    Returns
    -------
    list of str
        One string per paragraph, in report order: cohort and time scale, Kaplan-Meier,
        then (when the spec has them) Table 1 tests, Cox models, multiple imputation,
        matching, competing risks, landmark analyses and score validation, then the
        suppression rule and the software versions.

    Examples
    --------
    >>> from crlm_outcomes.report.spec import AnalysisSpec
    >>> from crlm_outcomes.report.suppression import SuppressionPolicy
    >>> spec = AnalysisSpec.model_validate({"cohort": {"demo": True}, "endpoints": ["os"]})
    >>> paras = methods_text(
    ...     spec,
    ...     versions={"crlm_outcomes": "0.2", "python": "3.12", "dependencies": {}},
    ...     suppression=SuppressionPolicy(enabled=False),
    ... )
    >>> len(paras)
    4
    >>> print(paras[1][:60])
    Survival (overall survival) was estimated with the Kaplan-Me
    >>> paras[2]
    'No small-cell suppression was applied.'
    """
    lab = labels or default_labels()
    paras = [_cohort_paragraph(spec, lab, cohort_note), _km_paragraph(spec, lab)]
    if spec.comparison is not None:
        paras.append(_table_one_paragraph(spec.comparison.by, lab, table_one_tests))
    if spec.cox:
        paras.append(_cox_paragraph(spec, lab))
    if spec.imputation is not None:
        paras.append(_imputation_paragraph(spec.imputation, spec, lab))
    if spec.matching:
        paras.append(_matching_paragraph(spec, lab))
    if spec.competing_risks:
        paras.append(_competing_risks_paragraph(spec, lab))
    if spec.landmarks:
        paras.append(_landmark_paragraph(spec, lab))
    if spec.score_validation is not None:
        from crlm_outcomes.report.sections.score_validation import score_validation_methods

        paras.append(score_validation_methods(spec.score_validation, lab))
    paras.append(_suppression_paragraph(suppression))
    paras.append(_software_paragraph(versions))
    return paras


def _covariates(formula: str, lab: Labels) -> str:
    """The covariates of a model formula as display labels, joined for a sentence."""
    return _join([lower_first(term_label(t, lab)) for t in split_terms(formula)])


def _cohort_paragraph(spec: AnalysisSpec, lab: Labels, cohort_note: str) -> str:
    """The cohort: source, inclusion criteria, endpoints with their origins, complete cases."""
    cohort = [cohort_note] if cohort_note else []
    if spec.filters:
        cohort.append(
            "Patients were included when they met every criterion, applied in "
            "order: " + "; ".join(f.describe(lab) for f in spec.filters) + ". A patient "
            "whose value for a criterion was missing did not meet it."
        )
    used = list(
        dict.fromkeys(
            [
                *spec.endpoints,
                *[m.endpoint for m in spec.cox],
                *(["rfs"] if spec.competing_risks else []),
                *[lm.endpoint for lm in spec.landmarks],
            ]
        )
    )
    origins = "; ".join(
        f"{lab.endpoint(e).lower()} ({lab.events.get(e, 'event').lower()}) from "
        f"{lab.origins.get(e, 'the recorded origin')}"
        for e in used
    )
    cohort.append(
        f"Times are in months (days / 30.4375), measured for {origins}; patients "
        "without the event were censored at their last follow-up. Each analysis "
        "used the patients with complete data for its variables; the number "
        "excluded for missing values is reported with every result."
    )
    return " ".join(cohort)


def _km_paragraph(spec: AnalysisSpec, lab: Labels) -> str:
    """Kaplan-Meier estimation, its intervals and the log-rank test; conditional survival."""
    ends = [lab.endpoint(e) for e in spec.endpoints]
    km = (
        f"Survival ({_join(ends).lower()}) was estimated with the Kaplan-Meier method, with "
        f"Greenwood variance and pointwise 95% confidence intervals on the "
        f"{_CONF[spec.output.conf_type]} scale; median survival and survival at "
        f"{_join([f'{t:g}' for t in spec.output.survival_times])} months are reported. "
        "Groups were compared with the log-rank test."
    )
    cs = spec.output.conditional_survival
    if cs is not None:
        km += (
            " Conditional survival, the probability of surviving a further "
            f"{_join([f'{t:g}' for t in cs.horizon])} months given survival to "
            f"{_join([f'{s:g}' for s in cs.given])} months, is the ratio of Kaplan-Meier "
            "estimates, with the Greenwood variance over the conditional interval and "
            "log-log 95% confidence intervals."
        )
    return km


def _table_one_paragraph(by: str, lab: Labels, table_one_tests: Sequence[str]) -> str:
    """Table 1 by ``by``: the summaries, the tests it actually used and the SMDs."""
    tests = [_TEST_SENTENCES[t] for t in table_one_tests if t in _TEST_SENTENCES]
    t1 = (
        f"Baseline characteristics were compared by {lab.inline(by)}: continuous "
        "variables as mean (standard deviation) or, when skewed, median [interquartile "
        "range]; categorical variables as counts (% of non-missing). "
    )
    if tests:
        t1 += "P-values are from " + _join(tests) + ". "
    t1 += (
        "Fisher's exact test replaced the chi-square test when an expected count was "
        "below 5. Standardised mean differences (SMD) are given for every variable "
        "(multinomial SMD of Yang & Dalton for categorical variables; the mean of the "
        "pairwise SMDs for more than two groups)."
    )
    return t1


def _cox_paragraph(spec: AnalysisSpec, lab: Labels) -> str:
    """Each Cox model's covariates, ties, strata and clustering; the PH test when asked."""
    var = lab.inline
    parts = []
    for m in spec.cox:
        covs = _covariates(m.formula, lab)
        desc = (
            f"model '{m.display_name}' for {lab.endpoint(m.endpoint).lower()} "
            f"(covariates: {covs}; {m.ties.capitalize()} ties"
        )
        if m.strata:
            desc += f"; stratified by {', '.join(var(s) for s in m.strata)}"
        if m.cluster:
            desc += f"; robust sandwich variance clustered on {var(m.cluster)}"
        parts.append(desc + ")")
    cox = (
        "Hazard ratios with 95% Wald confidence intervals were estimated with Cox "
        "proportional-hazards regression: " + "; ".join(parts) + ". "
    )
    if any(m.ph_test for m in spec.cox):
        cox += (
            "Proportional hazards were assessed with the scaled Schoenfeld residual "
            "test of Grambsch and Therneau on Kaplan-Meier-transformed time (as R's "
            "cox.zph), with residual plots."
        )
    return cox


def _imputation_paragraph(imp: ImputationSpec, spec: AnalysisSpec, lab: Labels) -> str:
    """Multiple imputation by chained equations (``imp``) and Rubin's rules."""
    outcome = lower_first(lab.endpoint(spec.cox[0].endpoint if spec.cox else "os"))
    return (
        f"Missing values of {_join([lab.inline(v) for v in imp.variables])} were multiply "
        f"imputed by chained equations ({imp.m} imputations, {imp.iterations} iterations, "
        f"seed {imp.seed}): "
        "predictive mean matching for continuous variables, logistic or multinomial "
        "logistic regression for categorical ones, with the Nelson-Aalen cumulative "
        f"hazard and the event indicator of {outcome} in every imputation model (White & "
        "Royston 2009). Every Cox model was fitted on each imputed data set and the "
        "estimates were pooled by Rubin's rules, with t-based confidence intervals on "
        "Barnard-Rubin degrees of freedom. Kaplan-Meier, competing-risk and landmark "
        "analyses and Table 1 use the observed data."
    )


def _matching_paragraph(spec: AnalysisSpec, lab: Labels) -> str:
    """Propensity-score matching: each comparison's model, ratio, caliper and exact terms."""
    var = lab.inline
    parts = []
    for mt in spec.matching:
        parts.append(
            f"{var(mt.treatment)} ({lower_first(lab.endpoint(mt.endpoint))}; propensity "
            f"model on {_covariates(mt.formula, lab)}"
            f"; {mt.ratio}:1 "
            f"{'with' if mt.replace else 'without'} replacement, "
            + ("no caliper" if mt.caliper is None else f"caliper {mt.caliper:g} SD of the logit")
            + (f", exact on {_join([var(v) for v in mt.exact])}" if mt.exact else "")
            + ")"
        )
    return (
        "Treatment comparisons by propensity-score matching (greedy nearest-neighbour "
        "matching on the logit of the propensity score from a logistic model): "
        + "; ".join(parts)
        + ". Balance was assessed with standardised mean differences "
        "before and after matching. Hazard ratios come from Cox models in the matched "
        "sample with the matching weights and a robust variance clustered on the matched "
        "set. E-values (VanderWeele & Ding 2017) give the minimum strength of association "
        "an unmeasured confounder would need with treatment and outcome to explain the "
        "hazard ratio (and its confidence limit) away."
    )


def _competing_risks_paragraph(spec: AnalysisSpec, lab: Labels) -> str:
    """Cumulative incidence, Gray's test and each Fine-Gray model."""
    return (
        "Recurrence and death without recurrence were analysed as competing risks "
        "(recurrence-free survival split by its first event): cumulative incidence "
        "by the Aalen-Johansen estimator with the variance of cmprsk's cuminc and "
        "pointwise 95% intervals on the log-log scale; groups were compared with Gray's "
        "test."
        + "".join(
            " Subdistribution hazard ratios of recurrence, with death without recurrence "
            "as the competing event, were estimated with the Fine-Gray model (as cmprsk's "
            "crr, robust sandwich variance) with covariates "
            + _covariates(cr.formula, lab)
            + ("; each covariate was also fitted alone" if cr.univariable else "")
            + "."
            for cr in spec.competing_risks
            if cr.formula
        )
    )


def _landmark_paragraph(spec: AnalysisSpec, lab: Labels) -> str:
    """The landmark analyses: endpoint, landmark time and grouping of each."""
    lms = [
        f"{lab.endpoint(lm.endpoint).lower()} at {lm.time:g} months by {lab.inline(lm.by)}"
        for lm in spec.landmarks
    ]
    return (
        "Landmark analyses (" + "; ".join(lms) + ") included only patients event-free and "
        "under follow-up at the landmark, with time restarted at the landmark, to avoid "
        "immortal-time bias (Anderson, Cain & Gelber 1983)."
    )


def _suppression_paragraph(suppression: SuppressionPolicy) -> str:
    """The small-cell suppression rule as applied (or that none was)."""
    if not suppression.enabled:
        return "No small-cell suppression was applied."
    return (
        f"Small-cell suppression: counts from 1 to {suppression.threshold - 1} are not "
        f"shown (\u201c{suppression.primary_marker}\u201d) in tables, numbers at risk and "
        "figure annotations, nor any count from which such a count could be derived by "
        f"subtraction (complementary suppression, \u201c"
        f"{suppression.complementary_marker}\u201d); rates and survival estimates resting "
        f"on fewer than {suppression.rate_threshold} patients at risk are not shown, nor "
        f"means, standard deviations, medians or quartiles of fewer than "
        f"{suppression.rate_threshold} patients, nor a percentage that would reveal a "
        "masked count or its denominator. The same patients counted in two places (a "
        "group's size in Table 1, in the survival summary and at time 0 of the numbers at "
        "risk; the patients of a Cox model, a score comparison, an imputation or a "
        "matched comparison) are masked in both, curves of groups whose size is masked "
        "(Kaplan-Meier and cumulative incidence) are not drawn, "
        "and counts in the text are shown as the tables show them. Before the report was "
        "written, every masked count was checked by linear programming against all "
        "published counts, totals, percentages, numbers at risk and curves; none can be "
        "recovered."
    )


def _software_paragraph(versions: Mapping[str, Any]) -> str:
    """The package, Python and numerical-library versions used."""
    deps = versions.get("dependencies", {})
    lib = ", ".join(
        f"{k} {v}"
        for k, v in deps.items()
        if k in ("numpy", "pandas", "scipy", "statsmodels", "matplotlib") and v
    )
    return (
        f"Analyses used crlm_outcomes {versions.get('crlm_outcomes')} (Python "
        f"{versions.get('python')}; {lib}), whose survival estimates are tested against R "
        "(survival 3.5-3, cmprsk 2.2-11)."
    )
