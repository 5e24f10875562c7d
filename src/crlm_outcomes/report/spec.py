"""The analysis spec: one YAML file that says which report to build, validated by pydantic.

A spec names the cohort (a file and a loader profile, or ``demo: true`` for the synthetic demo
cohort), the inclusion filters, the endpoints, the stratifiers to compare, the main comparison
of Table 1, the Cox models, the competing-risk analyses, the landmark analyses and the output
options. :func:`load_spec` reads and validates it; every problem is reported as one
:class:`~crlm_outcomes.errors.SpecError` naming the key (dotted path such as
``cox[0].ties``), the value and what is allowed, never as a pydantic traceback.

The JSON Schema of the spec (``data_schema/analysis_spec.schema.json``) is generated from these
models by :func:`spec_json_schema`; a test keeps the committed file up to date.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from crlm_outcomes._pydantic import problem_message, problems
from crlm_outcomes.errors import SpecError
from crlm_outcomes.safe_yaml import MAX_BYTES, load_yaml_as
from crlm_outcomes.schema.endpoint_map import ENDPOINTS as ENDPOINT_MAP

__all__ = [
    "AnalysisSpec",
    "CohortSpec",
    "FilterSpec",
    "ComparisonSpec",
    "CoxSpec",
    "CompetingRiskSpec",
    "LandmarkSpec",
    "ImputationSpec",
    "MatchingSpec",
    "ConditionalSurvivalSpec",
    "SuppressionSpec",
    "OutputSpec",
    "LabelsSpec",
    "ENDPOINTS",
    "REGISTRY_PROFILES",
    "load_spec",
    "parse_spec",
    "spec_json_schema",
    "spec_hash",
    "write_json_schema",
]

#: Endpoint name -> (duration column, event column) of the canonical schema (a view of the one
#: endpoint map, :data:`crlm_outcomes.schema.endpoint_map.ENDPOINTS`).
ENDPOINTS: dict[str, tuple[str, str]] = {k: (e.duration, e.event) for k, e in ENDPOINT_MAP.items()}
#: Human-readable endpoint names used in the report (from the same map).
ENDPOINT_LABELS: dict[str, str] = {k: e.label for k, e in ENDPOINT_MAP.items()}
#: Loader profiles of population registries: small-cell suppression is on by default for them
#: (data-use agreements of SEER/SEER-Medicare/NCDB forbid publishing cells of 1-10).
REGISTRY_PROFILES = frozenset({"seer", "ncdb"})

EndpointName = Literal["os", "rfs", "hepatic_rfs"]
FilterOp = Literal["==", "!=", "<", "<=", ">", ">=", "in", "not_in", "notna", "isna"]
Scalar = str | int | float | bool


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CohortSpec(_Model):
    """Where the cohort comes from: a file read with a loader profile, or the synthetic demo.

    Attributes
    ----------
    demo : bool
        Use the synthetic demo cohort instead of a file (default False).
    source : str or None
        Path of the input file, relative to the spec file's folder (required unless demo).
    profile : str or None
        Loader profile name (see ``crlm-outcomes profiles``) or profile file (required
        unless demo).
    options : dict
        Extra keyword options passed to :func:`crlm_outcomes.io.load_cohort` (default none).
    n : int or None
        Demo cohort size, 20 to 1,000,000 (demo only; None = 1500).
    seed : int or None
        Random seed of the demo cohort (demo only).

    Examples
    --------
    >>> CohortSpec(demo=True, n=200, seed=1).n
    200
    >>> CohortSpec(source="crlm.csv", profile="seer").profile
    'seer'
    >>> try:
    ...     CohortSpec(source="crlm.csv")
    ... except ValueError as exc:
    ...     print("source and profile are both required" in str(exc))
    True
    """

    demo: bool = Field(False, description="Use the synthetic demo cohort instead of a file.")
    source: str | None = Field(
        None, description="Path of the input file, relative to the spec file's folder."
    )
    profile: str | None = Field(
        None, description="Loader profile name (see `crlm-outcomes profiles`) or profile file."
    )
    options: dict[str, Any] = Field(
        default_factory=dict, description="Extra keyword options passed to load_cohort."
    )
    n: int | None = Field(
        None, ge=20, le=1_000_000, description="Demo cohort size (demo only; default 1500)."
    )
    seed: int | None = Field(None, ge=0, description="Random seed of the demo cohort (demo only).")

    @model_validator(mode="after")
    def _source_or_demo(self) -> CohortSpec:
        if self.demo:
            if self.source is not None or self.profile is not None:
                raise ValueError("give either demo: true or source + profile, not both")
        elif self.n is not None or self.seed is not None:
            raise ValueError("n and seed only apply to the demo cohort (demo: true)")
        elif self.source is None or self.profile is None:
            raise ValueError("source and profile are both required unless demo: true")
        return self


class FilterSpec(_Model):
    """One inclusion filter: keep the rows where ``column op value`` holds.

    Attributes
    ----------
    column : str
        Canonical or stratifier column.
    op : str
        Comparison operator: ``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``in``,
        ``not_in``, ``notna`` or ``isna``.
    value : str, int, float, bool, list of those, or None
        Value compared with: a non-empty list for ``in`` / ``not_in``, absent for
        ``notna`` / ``isna``, a single value otherwise.
    label : str or None
        Text of this step in the flow diagram (default: :meth:`describe` writes one).

    Examples
    --------
    >>> FilterSpec(column="age_at_diagnosis", op=">=", value=18).describe()
    'Age at diagnosis ≥ 18 years'
    >>> FilterSpec(column="ras_class", op="notna").describe()
    'RAS status recorded'
    >>> FilterSpec(column="kras_status", op="==", value="mutant").describe()
    'KRAS = Mutant'
    """

    column: str = Field(description="Canonical or stratifier column.")
    op: FilterOp = Field(description="Comparison operator.")
    value: Scalar | list[Scalar] | None = Field(
        None, description="Value compared with (a list for in / not_in; absent for notna / isna)."
    )
    label: str | None = Field(None, description="Text of this step in the flow diagram.")

    @model_validator(mode="after")
    def _value_matches_op(self) -> FilterSpec:
        if self.op in ("notna", "isna"):
            if self.value is not None:
                raise ValueError(f"op {self.op!r} takes no value")
        elif self.op in ("in", "not_in"):
            if not isinstance(self.value, list) or not self.value:
                raise ValueError(f"op {self.op!r} needs a non-empty list as value")
        elif self.value is None or isinstance(self.value, list):
            raise ValueError(f"op {self.op!r} needs a single value")
        return self

    def describe(self, labels: Any = None) -> str:
        """The filter as readable text (its ``label`` when given), with the column's display
        label (:func:`crlm_outcomes.labels.resolve_labels`).

        Parameters
        ----------
        labels
            Display labels on top of the schema's defaults: None (default), a
            :class:`~crlm_outcomes.labels.Labels`, or a mapping as the spec's ``labels:``
            (see :func:`~crlm_outcomes.labels.resolve_labels`).

        Returns
        -------
        str
            The step as printed in the flow diagram and the methods text: the column's label,
            the operator as a symbol (``=``, ``≠``, ``<``, ``≤``, ``>``, ``≥``) and the value
            with its unit (``Age at diagnosis ≥ 18 years``); ``<label> recorded`` /
            ``<label> missing`` for ``notna`` / ``isna``; ``<label>: a, b`` (``not a, b``)
            for ``in`` (``not_in``). Levels are shown by their display labels.

        Examples
        --------
        >>> FilterSpec(column="liver_mets_largest_cm", op="<", value=5.0).describe()
        'Largest liver metastasis < 5 cm'
        >>> FilterSpec(column="sex", op="not_in", value=["male"]).describe()
        'Sex: not Male'
        >>> FilterSpec(column="age_at_diagnosis", op=">=", value=18).describe(
        ...     {"variables": {"age_at_diagnosis": "Age"}})
        'Age ≥ 18 years'
        >>> FilterSpec(column="age_at_diagnosis", op=">=", value=18, label="Adults").describe()
        'Adults'
        """
        if self.label:
            return self.label
        from crlm_outcomes.labels import resolve_labels

        lab = resolve_labels(labels)
        name = lab.variable(self.column)
        if self.op == "notna":
            return f"{name} recorded"
        if self.op == "isna":
            return f"{name} missing"
        if self.op in ("in", "not_in"):
            word = "" if self.op == "in" else "not "
            values = ", ".join(lab.level(self.column, v) for v in self.value)  # type: ignore[union-attr]
            return f"{name}: {word}{values}"
        ops = {"==": "=", "!=": "≠", ">=": "≥", "<=": "≤", "<": "<", ">": ">"}
        value = (
            lab.level(self.column, self.value)
            if isinstance(self.value, (str, bool))
            else f"{self.value:g}"
            if isinstance(self.value, float)
            else str(self.value)
        )
        unit = lab.units.get(self.column, "")
        unit = "" if not unit or isinstance(self.value, (str, bool)) else f" {unit}"
        return f"{name} {ops[self.op]} {value}{unit}"


class ComparisonSpec(_Model):
    """The main comparison: the column that splits Table 1, and the variables it describes.

    Attributes
    ----------
    by : str
        Stratifier name or canonical column defining the groups.
    variables : list of str
        Table 1 rows (canonical or stratifier columns); empty (default) = a default set.
    nonnormal : list of str
        Continuous variables summarised as median [IQR] with the Kruskal-Wallis test.
    exact : list of str
        Categorical variables always tested with Fisher's exact test.

    Examples
    --------
    >>> c = ComparisonSpec(by="fong_group", variables=["age_at_diagnosis", "sex"],
    ...                    nonnormal=["age_at_diagnosis"])
    >>> c.by, c.exact
    ('fong_group', [])
    """

    by: str = Field(description="Stratifier name or canonical column defining the groups.")
    variables: list[str] = Field(
        default_factory=list,
        description="Table 1 rows (canonical or stratifier columns); empty = a default set.",
    )
    nonnormal: list[str] = Field(
        default_factory=list,
        description="Continuous variables summarised as median [IQR] with the Kruskal-Wallis test.",
    )
    exact: list[str] = Field(
        default_factory=list,
        description="Categorical variables always tested with Fisher's exact test.",
    )


class CoxSpec(_Model):
    """One Cox proportional-hazards model.

    Attributes
    ----------
    name : str
        Short name used in file names.
    label : str or None
        Name shown in headings and captions (default: the name, with spaces for
        underscores; see :attr:`display_name`).
    endpoint : str
        ``"os"`` (default), ``"rfs"`` or ``"hepatic_rfs"``.
    formula : str
        Right-hand side, e.g. ``"age_at_diagnosis + C(sex)"``.
    ties : str
        ``"efron"`` (default) or ``"breslow"``.
    strata : list of str
        Stratification columns (default none).
    cluster : str or None
        Cluster column for robust (sandwich) standard errors.
    ph_test : bool
        Test proportional hazards on scaled Schoenfeld residuals (default True).
    univariable : bool
        Also fit each covariate alone and show the univariable and multivariable hazard
        ratios side by side (default False).

    Examples
    --------
    >>> m = CoxSpec(name="os_multi", formula="age_at_diagnosis + C(sex)")
    >>> m.display_name, m.endpoint, m.ties
    ('os multi', 'os', 'efron')
    """

    name: str = Field(description="Short name used in file names.")
    label: str | None = Field(
        None,
        description="Name shown in headings and captions (default: the name, with "
        "spaces for underscores).",
    )
    endpoint: EndpointName = "os"
    formula: str = Field(description="Right-hand side, e.g. 'age_at_diagnosis + C(sex)'.")
    ties: Literal["efron", "breslow"] = "efron"
    strata: list[str] = Field(default_factory=list, description="Stratification columns.")
    cluster: str | None = Field(None, description="Cluster column for robust (sandwich) SEs.")
    ph_test: bool = Field(True, description="Test proportional hazards (scaled Schoenfeld).")
    univariable: bool = Field(
        False,
        description="Also fit each covariate alone and show the univariable and "
        "multivariable hazard ratios side by side.",
    )

    @property
    def display_name(self) -> str:
        """The model's name as shown to a reader."""
        return self.label or self.name.replace("_", " ")


class CompetingRiskSpec(_Model):
    """Cumulative incidence of recurrence vs death without recurrence (``rfs_cause``).

    Attributes
    ----------
    by : str or None
        Stratifier or column to compare; None (default) = all patients.
    formula : str or None
        Covariates of a Fine-Gray model of recurrence (death without recurrence
        competing), e.g. ``"age_at_diagnosis + ras_class"``; None = no model.
    univariable : bool
        With a formula: also fit each covariate alone and show the univariable and
        multivariable subdistribution hazard ratios side by side (default True).

    Examples
    --------
    >>> cr = CompetingRiskSpec(by="fong_group", formula="age_at_diagnosis")
    >>> cr.by, cr.univariable
    ('fong_group', True)
    """

    by: str | None = Field(None, description="Stratifier or column to compare; none = overall.")
    formula: str | None = Field(
        None,
        description="Covariates of a Fine-Gray model of recurrence (death without "
        "recurrence competing), e.g. 'age_at_diagnosis + ras_class'.",
    )
    univariable: bool = Field(
        True,
        description="With a formula: also fit each covariate alone and show the "
        "univariable and multivariable subdistribution hazard ratios side "
        "by side.",
    )


class LandmarkSpec(_Model):
    """A landmark analysis: survival from ``time`` among those event-free at ``time``.

    Attributes
    ----------
    endpoint : str
        ``"os"`` (default), ``"rfs"`` or ``"hepatic_rfs"``.
    time : float
        Landmark time in months (> 0).
    by : str
        Stratifier or column compared from the landmark on.

    Examples
    --------
    >>> lm = LandmarkSpec(time=6, by="neoadjuvant_chemo")
    >>> lm.endpoint, lm.time
    ('os', 6.0)
    """

    endpoint: EndpointName = "os"
    time: float = Field(gt=0, description="Landmark time in months.")
    by: str = Field(description="Stratifier or column compared from the landmark on.")


class ImputationSpec(_Model):
    """Multiple imputation of missing covariates: every Cox model of the report is fitted on
    each completed data set and pooled by Rubin's rules (:mod:`crlm_outcomes.imputation`).

    Attributes
    ----------
    variables : list of str
        Columns to impute (at least one).
    predictors : list of str
        Further complete columns used as predictors (the imputed variables and the outcome
        of the first Cox model are always used).
    m : int
        Number of imputations, 2 to 500 (default 20).
    iterations : int
        Iterations per chain, 1 to 200 (default 10).
    seed : int
        Random seed of the imputations (default 20240611).
    allow_uncollected : bool
        Impute variables that are missing for every patient of an era (default False:
        refused, the source never collected them).

    Examples
    --------
    >>> imp = ImputationSpec(variables=["cea_at_liver_diagnosis"], m=5)
    >>> imp.m, imp.iterations, imp.predictors
    (5, 10, [])
    """

    variables: list[str] = Field(min_length=1, description="Columns to impute.")
    predictors: list[str] = Field(
        default_factory=list,
        description="Further complete columns used as predictors (the imputed variables and "
        "the outcome of the first Cox model are always used).",
    )
    m: int = Field(20, ge=2, le=500, description="Number of imputations.")
    iterations: int = Field(10, ge=1, le=200, description="Iterations per chain.")
    seed: int = Field(20240611, ge=0, description="Random seed of the imputations.")
    allow_uncollected: bool = Field(
        False,
        description="Impute variables that are missing for every patient of an era "
        "(normally refused: the source never collected them).",
    )


class MatchingSpec(_Model):
    """A propensity-score matched treatment comparison (:mod:`crlm_outcomes.survival.matching`).

    Attributes
    ----------
    treatment : str
        Treatment column (two values).
    treated : str, int, float, bool or None
        Value of the treatment column meaning treated (default: coded 0/1 or boolean).
    formula : str
        Right-hand side of the logistic propensity model.
    endpoint : str
        ``"os"`` (default), ``"rfs"`` or ``"hepatic_rfs"``.
    ratio : int
        Controls per treated patient (k:1), 1 to 10 (default 1).
    replace : bool
        Match with replacement (default False).
    caliper : float or None
        Caliper in SDs of the logit of the propensity score (default 0.2; None = none).
    order : str
        Order in which treated patients are matched: ``"largest"`` (default),
        ``"smallest"``, ``"random"`` or ``"data"``.
    exact : list of str
        Exact-matching columns (default none).
    seed : int
        Seed of ``order: random`` (default 1).
    rare_outcome : bool
        The outcome is rare (< 15%): E-values use the HR as a risk ratio (default False).

    Examples
    --------
    >>> mt = MatchingSpec(treatment="neoadjuvant_chemo", formula="age_at_diagnosis + liver_mets_number")
    >>> mt.ratio, mt.caliper, mt.order
    (1, 0.2, 'largest')
    """

    treatment: str = Field(description="Treatment column (two values).")
    treated: Scalar | None = Field(
        None,
        description="Value of the treatment column meaning treated (default: coded 0/1 "
        "or boolean).",
    )
    formula: str = Field(description="Right-hand side of the logistic propensity model.")
    endpoint: EndpointName = "os"
    ratio: int = Field(1, ge=1, le=10, description="Controls per treated patient (k:1).")
    replace: bool = False
    caliper: float | None = Field(
        0.2, gt=0, description="Caliper in SDs of the logit of the propensity."
    )
    order: Literal["largest", "smallest", "random", "data"] = "largest"
    exact: list[str] = Field(default_factory=list, description="Exact-matching columns.")
    seed: int = Field(1, ge=0, description="Seed of order: random.")
    rare_outcome: bool = Field(
        False, description="The outcome is rare (< 15%): E-values use the HR as a risk ratio."
    )


class ConditionalSurvivalSpec(_Model):
    """Conditional survival in the Kaplan-Meier sections: P(T > s + t | T > s).

    Attributes
    ----------
    given : list of float
        Months already survived (s), e.g. ``[12, 24, 36]`` (at least one).
    horizon : list of float
        Further months (t); default ``[60]``.

    Examples
    --------
    >>> ConditionalSurvivalSpec(given=[12, 24]).horizon
    [60.0]
    """

    given: list[float] = Field(
        min_length=1, description="Months already survived (s), e.g. [12, 24, 36]."
    )
    horizon: list[float] = Field(
        default_factory=lambda: [60.0], description="Further months (t), e.g. [60]."
    )


class ScoreValidationSpec(_Model):
    """Validation and comparison of prognostic scores (crlm_outcomes.validation.compare_scores).

    Attributes
    ----------
    scores : list of str
        Score columns, higher = worse (e.g. ``fong_score``, ``game_score``,
        ``tumour_burden_score``); at least one. The first is the reference of the pairwise
        differences.
    endpoint : str
        ``"os"`` (default), ``"rfs"`` or ``"hepatic_rfs"``.
    times : list of float
        Horizons in months of AUC(t), the Brier score and IPA (default ``[12, 36, 60]``);
        calibration and decision curves are drawn at the last one.
    method : str
        How a score becomes a predicted risk: ``"cox"`` (default; a Cox model with the score
        as a linear term) or ``"km"`` (the Kaplan-Meier risk of each score level).
    timewt : str
        Concordance weighting, as ``survival::concordance``: ``"n"`` (Harrell's C, default)
        or ``"n/G2"`` (Uno's C).
    bootstrap : int
        Bootstrap resamples for the optimism correction (default 0 = none).
    seed : int
        Seed of the bootstrap resamples (default 20261203).

    Examples
    --------
    >>> sv = ScoreValidationSpec(scores=["fong_score", "game_score"], times=[36, 60])
    >>> sv.endpoint, sv.times, sv.method, sv.timewt, sv.bootstrap
    ('os', [36.0, 60.0], 'cox', 'n', 0)
    >>> try:
    ...     ScoreValidationSpec(scores=[])
    ... except ValueError as exc:
    ...     print("at least 1 item" in str(exc))
    True
    """

    scores: list[str] = Field(
        min_length=1,
        description="Score columns (higher = worse), e.g. fong_score, game_score, "
        "tumour_burden_score; the first is the reference of the "
        "differences.",
    )
    endpoint: EndpointName = "os"
    times: list[float] = Field(
        default_factory=lambda: [12.0, 36.0, 60.0],
        description="Horizons (months) of AUC(t), Brier and IPA; calibration and decision "
        "curves at the last one.",
    )
    method: Literal["cox", "km"] = Field(
        "cox",
        description="How a score becomes a predicted risk: Cox model with the score as "
        "a linear term, or the Kaplan-Meier risk of each score level.",
    )
    timewt: Literal["n", "n/G2"] = Field(
        "n", description="Concordance: Harrell (n) or Uno (n/G2), as survival::concordance."
    )
    bootstrap: int = Field(
        0, ge=0, description="Bootstrap resamples for optimism correction (0 = none)."
    )
    seed: int = Field(20261203, description="Seed of the bootstrap resamples.")


class SuppressionSpec(_Model):
    """Small-cell suppression of published counts.

    Attributes
    ----------
    enabled : bool or None
        True/False; None (absent, default) = on for registry profiles (seer, ncdb) only
        (a build decides from the profile's content:
        :func:`crlm_outcomes.report.suppression.decide_policy`).
    threshold : int
        Counts below this are masked (default 11).
    rate_threshold : int
        Rates (%, survival) resting on fewer cases than this are masked (default 16).

    Examples
    --------
    >>> s = SuppressionSpec(enabled=True)
    >>> s.threshold, s.rate_threshold
    (11, 16)
    """

    enabled: bool | None = Field(
        None, description="true/false; absent = on for registry profiles (seer, ncdb) only."
    )
    threshold: int = Field(11, ge=1, description="Counts below this are masked.")
    rate_threshold: int = Field(
        16, ge=1, description="Rates (%, survival) resting on fewer cases than this are masked."
    )


FigureFormat = Literal["png", "svg", "pdf"]
TableFormat = Literal["csv", "html", "tex", "docx", "xlsx"]


def _all_figure_formats() -> list[FigureFormat]:
    return ["png", "svg", "pdf"]


def _default_table_formats() -> list[TableFormat]:
    return ["csv", "html", "tex"]


def _default_endpoints() -> list[EndpointName]:
    return ["os"]


class LabelsSpec(_Model):
    """Display labels overriding the schema's defaults (``data_schema/canonical.yaml``).

    Attributes
    ----------
    variables : dict of str to str
        Column -> label, e.g. ``{"ras_class": "RAS"}``.
    levels : dict of str to dict
        Column -> {level code -> label}, e.g. ``{"sex": {"male": "Men", "female": "Women"}}``.
    endpoints : dict of str to str
        Endpoint -> label, e.g. ``{"os": "Overall survival (OS)"}``.

    Examples
    --------
    >>> lab = LabelsSpec(levels={"sex": {"male": "Men", "female": "Women"}})
    >>> lab.levels["sex"]["female"], lab.variables
    ('Women', {})
    """

    variables: dict[str, str] = Field(
        default_factory=dict, description="Column -> label, e.g. ras_class: RAS."
    )
    levels: dict[str, dict[str | int, str]] = Field(
        default_factory=dict,
        description="Column -> {level code -> label}, e.g. sex: {male: Men, female: Women}.",
    )
    endpoints: dict[EndpointName, str] = Field(
        default_factory=dict, description="Endpoint -> label, e.g. os: Overall survival (OS)."
    )


class OutputSpec(_Model):
    """What the build writes.

    Attributes
    ----------
    figure_formats : list of str
        Figure files written: ``"png"``, ``"svg"``, ``"pdf"`` (default all three).
    table_formats : list of str
        Table files written: ``"csv"``, ``"html"``, ``"tex"`` (default), ``"docx"`` (needs
        python-docx: ``pip install 'crlm_outcomes[word]'``), ``"xlsx"``.
    suppression : SuppressionSpec
        Small-cell suppression of published counts.
    conf_type : str
        Kaplan-Meier confidence interval: ``"log"`` (default), ``"log-log"`` or ``"plain"``.
    survival_times : list of float
        Times (months) at which survival is reported (default ``[12, 36, 60]``).
    pdf_report : bool
        Also write report.pdf when a HTML-to-PDF converter is available (default False).
    word_report : bool or None
        Also write report.docx: True, False, or None (default) = when python-docx is
        installed.
    conditional_survival : ConditionalSurvivalSpec or None
        Add conditional survival to the Kaplan-Meier sections (default None: not added).

    Examples
    --------
    >>> out = OutputSpec(table_formats=["csv"], survival_times=[12, 24])
    >>> out.figure_formats, out.survival_times, out.suppression.threshold
    (['png', 'svg', 'pdf'], [12.0, 24.0], 11)
    """

    figure_formats: list[FigureFormat] = Field(default_factory=_all_figure_formats)
    table_formats: list[TableFormat] = Field(
        default_factory=_default_table_formats,
        description="docx needs python-docx (pip install 'crlm_outcomes[word]').",
    )
    suppression: SuppressionSpec = Field(default_factory=lambda: SuppressionSpec())
    conf_type: Literal["log", "log-log", "plain"] = "log"
    survival_times: list[float] = Field(
        default_factory=lambda: [12.0, 36.0, 60.0],
        description="Times (months) at which survival is reported (e.g. 1/3/5 years).",
    )
    pdf_report: bool = Field(
        False, description="Also write report.pdf when a HTML-to-PDF converter is available."
    )
    word_report: bool | None = Field(
        None,
        description="Also write report.docx (every table and figure): true, false, or "
        "absent = when python-docx is installed (pip install "
        "'crlm_outcomes[word]').",
    )
    conditional_survival: ConditionalSurvivalSpec | None = Field(
        None, description="Add conditional survival to the Kaplan-Meier sections."
    )


class AnalysisSpec(_Model):
    """A whole report: cohort, filters, endpoints, comparisons, models and output options.

    Usually read from YAML (:func:`load_spec`) or a mapping (:func:`parse_spec`), which also
    check that every column, stratifier and formula named exists.

    Attributes
    ----------
    title : str
        Title of the report (default ``"CRLM outcomes report"``).
    cohort : CohortSpec
        Where the cohort comes from.
    filters : list of FilterSpec
        Inclusion filters, applied in order (default none).
    endpoints : list of str
        Endpoints analysed: ``"os"``, ``"rfs"``, ``"hepatic_rfs"`` (default ``["os"]``).
    stratifiers : list of str
        Names from :mod:`crlm_outcomes.stratify` compared by Kaplan-Meier.
    stratify_options : dict
        Options per stratifier, passed to :func:`crlm_outcomes.stratify.apply_all`.
    comparison : ComparisonSpec or None
        Table 1's comparison (None: no Table 1).
    cox : list of CoxSpec
        Cox models (names unique).
    competing_risks : list of CompetingRiskSpec
        Competing-risks analyses.
    landmarks : list of LandmarkSpec
        Landmark analyses.
    imputation : ImputationSpec or None
        Multiple imputation for the Cox models (None: complete cases).
    matching : list of MatchingSpec
        Propensity-score matched comparisons.
    score_validation : ScoreValidationSpec or None
        Discrimination, calibration and decision curves of prognostic scores.
    labels : LabelsSpec
        Display labels overriding the schema's defaults.
    output : OutputSpec
        What the build writes.

    Examples
    --------
    >>> spec = AnalysisSpec(cohort=CohortSpec(demo=True, n=200, seed=1),
    ...                     stratifiers=["fong_group"])
    >>> spec.endpoints, spec.suppression_enabled()
    (['os'], False)
    """

    title: str = "CRLM outcomes report"
    cohort: CohortSpec
    filters: list[FilterSpec] = Field(default_factory=list)
    endpoints: list[EndpointName] = Field(default_factory=_default_endpoints, min_length=1)
    stratifiers: list[str] = Field(
        default_factory=list, description="Names from crlm_outcomes.stratify compared by KM."
    )
    stratify_options: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Options per stratifier, passed to crlm_outcomes.stratify.apply_all "
        "(e.g. liver_mets_timing: {convention: adam_2015}).",
    )
    comparison: ComparisonSpec | None = None
    cox: list[CoxSpec] = Field(default_factory=list)
    competing_risks: list[CompetingRiskSpec] = Field(default_factory=list)
    landmarks: list[LandmarkSpec] = Field(default_factory=list)
    imputation: ImputationSpec | None = None
    matching: list[MatchingSpec] = Field(default_factory=list)
    score_validation: ScoreValidationSpec | None = Field(
        None,
        description="Discrimination, calibration and decision curves of prognostic "
        "scores, with pairwise comparisons.",
    )
    labels: LabelsSpec = Field(default_factory=lambda: LabelsSpec())
    output: OutputSpec = Field(default_factory=lambda: OutputSpec())

    @model_validator(mode="after")
    def _unique_names(self) -> AnalysisSpec:
        names = [m.name for m in self.cox]
        if len(set(names)) != len(names):
            raise ValueError(f"cox model names must be unique, got {names}")
        return self

    def suppression_enabled(self) -> bool:
        """Whether small-cell suppression applies, judged from the spec alone (explicit
        setting, else a registry profile's name). A build decides from the profile's
        *content* instead (its ``disclosure:`` block, so that renamed copies keep it):
        :func:`crlm_outcomes.report.suppression.decide_policy`.

        Returns
        -------
        bool
            ``output.suppression.enabled`` when the spec sets it; otherwise True exactly when
            the cohort's loader profile is a registry profile (``seer`` or ``ncdb``, by name
            or file stem), so False for the demo cohort.

        Examples
        --------
        >>> parse_spec({"cohort": {"source": "crlm.csv", "profile": "seer"}}).suppression_enabled()
        True
        >>> parse_spec({"cohort": {"source": "crlm.csv", "profile": "seer"},
        ...             "output": {"suppression": {"enabled": False}}}).suppression_enabled()
        False
        >>> parse_spec({"cohort": {"demo": True}}).suppression_enabled()
        False
        """
        setting = self.output.suppression.enabled
        if setting is not None:
            return setting
        profile = (self.cohort.profile or "").lower()
        return Path(profile).stem in REGISTRY_PROFILES


# ---------------------------------------------------------------------------- loading


def _spec_error(exc: ValidationError, file: str | None) -> SpecError:
    found = problems(exc, AnalysisSpec)
    key, value, _, expected = found[0]
    error = SpecError(
        problem_message("analysis spec", found), file=file, value=value, expected=expected
    )
    error.key = key  # type: ignore[attr-defined]
    error.problems = found  # type: ignore[attr-defined]
    return error


def parse_spec(data: Mapping[str, Any], *, file: str | None = None) -> AnalysisSpec:
    """Validate a spec given as a mapping (e.g. parsed YAML).

    Parameters
    ----------
    data
        The spec's keys and values (as parsed from YAML).
    file
        The file the mapping came from, named in errors (default None).

    Returns
    -------
    AnalysisSpec
        The validated spec, defaults filled in.

    Raises
    ------
    SpecError
        Names the dotted key, the value and what is allowed.

    Examples
    --------
    >>> spec = parse_spec({"cohort": {"demo": True}, "stratifiers": ["fong_group"],
    ...                    "cox": [{"name": "m1", "formula": "age_at_diagnosis"}]})
    >>> spec.cox[0].name, spec.output.survival_times
    ('m1', [12.0, 36.0, 60.0])
    >>> try:
    ...     parse_spec({"cohort": {"demo": True}, "stratifiers": ["fong"]})
    ... except SpecError as exc:
    ...     print(exc.key)
    stratifiers[0]
    """
    if not isinstance(data, Mapping):
        raise SpecError(
            "an analysis spec must be a mapping of keys to values",
            file=file,
            value=type(data).__name__,
            expected="a YAML mapping (key: value)",
        )
    try:
        spec = AnalysisSpec.model_validate(dict(data))
    except ValidationError as exc:
        raise _spec_error(exc, file) from None
    _check_names(spec, file)
    return spec


def load_spec(path: str | Path) -> AnalysisSpec:
    """Read and validate a YAML analysis spec.

    Parameters
    ----------
    path
        The YAML file.

    Returns
    -------
    AnalysisSpec
        The validated spec (see :func:`parse_spec`).

    Raises
    ------
    SpecError
        The file cannot be read or parsed, or a key is invalid (named by its dotted path).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "spec.yaml"
    ...     _ = path.write_text("cohort: {demo: true}\\nendpoints: [os, rfs]\\n", encoding="utf-8")
    ...     spec = load_spec(path)
    >>> spec.endpoints
    ['os', 'rfs']
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise SpecError(
                f"the analysis spec is {size} bytes; at most {MAX_BYTES} accepted",
                file=str(path),
                expected="a YAML spec of a few kilobytes",
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise SpecError(
            "cannot read the analysis spec", file=str(path), expected="a readable YAML file"
        ) from exc
    data = load_yaml_as(raw, what="the analysis spec", file=str(path), error=SpecError)
    return parse_spec(data if data is not None else {}, file=str(path))


# ---------------------------------------------------------------------------- name checks


def _canonical_columns() -> set[str]:
    from crlm_outcomes.schema.definition import canonical_definition

    return set(canonical_definition().columns)


def known_stratifiers() -> list[str]:
    """Names of the stratifiers in :mod:`crlm_outcomes.stratify`.

    Returns
    -------
    list of str
        The names a spec's ``stratifiers:`` may list (the keys of
        ``crlm_outcomes.stratify.STRATIFIERS``, in its order): derived columns such as
        ``ras_class``, scores and their groups such as ``fong_group``.

    Examples
    --------
    >>> names = known_stratifiers()
    >>> names[:3]
    ['liver_mets_timing', 'primary_sidedness', 'ras_class']
    >>> "fong_group" in names, "fong" in names
    (True, False)
    """
    from crlm_outcomes import stratify

    return list(stratify.STRATIFIERS)


def _name_error(key: str, problem: str, file: str | None, value: Any, expected: str) -> SpecError:
    error = SpecError(
        f"invalid analysis spec: key {key!r}: {problem}", file=file, value=value, expected=expected
    )
    error.key = key  # type: ignore[attr-defined]
    return error


def _check_names(spec: AnalysisSpec, file: str | None) -> None:
    """Every stratifier, column and formula the spec names exists (the first that does not
    raises a :class:`SpecError` naming its key), checked in the order of the spec's keys."""
    strat = known_stratifiers()
    columns = _canonical_columns() | set(strat)
    allowed_cols = "a canonical column (see `crlm-outcomes schema`) or a stratifier name"
    for kind, key, name in _named_items(spec):
        if kind == "formula":
            _check_spec_formula(key, name, columns, file)
        elif kind == "stratifier" and name not in strat:
            raise _name_error(key, "unknown stratifier", file, name, f"one of {', '.join(strat)}")
        elif kind == "column" and name is not None and name not in columns:
            raise _name_error(key, "unknown column", file, name, allowed_cols)


def _named_items(spec: AnalysisSpec) -> Iterator[tuple[str, str, Any]]:
    """``(kind, key, name)`` of every name the spec uses, in key order; ``kind`` is
    ``"stratifier"``, ``"column"`` (``name`` may be None: not set) or ``"formula"``."""
    yield from _cohort_names(spec)
    yield from _model_names(spec)
    yield from _other_names(spec)


def _cohort_names(spec: AnalysisSpec) -> Iterator[tuple[str, str, Any]]:
    """The names of the stratifiers, filters and comparison (see :func:`_named_items`)."""
    for name in spec.stratify_options:
        yield "stratifier", f"stratify_options.{name}", name
    for i, name in enumerate(spec.stratifiers):
        yield "stratifier", f"stratifiers[{i}]", name
    for i, flt in enumerate(spec.filters):
        yield "column", f"filters[{i}].column", flt.column
    if spec.comparison is not None:
        yield "column", "comparison.by", spec.comparison.by
        for key in ("variables", "nonnormal", "exact"):
            for i, name in enumerate(getattr(spec.comparison, key)):
                yield "column", f"comparison.{key}[{i}]", name


def _model_names(spec: AnalysisSpec) -> Iterator[tuple[str, str, Any]]:
    """The names of the Cox, competing-risks and landmark analyses (see
    :func:`_named_items`)."""
    for i, model in enumerate(spec.cox):
        yield "formula", f"cox[{i}].formula", model.formula
        for j, name in enumerate(model.strata):
            yield "column", f"cox[{i}].strata[{j}]", name
        yield "column", f"cox[{i}].cluster", model.cluster
    for i, cr in enumerate(spec.competing_risks):
        yield "column", f"competing_risks[{i}].by", cr.by
    for i, lm in enumerate(spec.landmarks):
        yield "column", f"landmarks[{i}].by", lm.by


def _other_names(spec: AnalysisSpec) -> Iterator[tuple[str, str, Any]]:
    """The names of the imputation, matching, score validation and labels (see
    :func:`_named_items`)."""
    if spec.imputation is not None:
        for key in ("variables", "predictors"):
            for i, name in enumerate(getattr(spec.imputation, key)):
                yield "column", f"imputation.{key}[{i}]", name
    for i, mt in enumerate(spec.matching):
        yield "column", f"matching[{i}].treatment", mt.treatment
        for j, name in enumerate(mt.exact):
            yield "column", f"matching[{i}].exact[{j}]", name
    if spec.score_validation is not None:
        for i, name in enumerate(spec.score_validation.scores):
            yield "column", f"score_validation.scores[{i}]", name
    for key in ("variables", "levels"):
        for name in getattr(spec.labels, key):
            yield "column", f"labels.{key}.{name}", name


def _check_spec_formula(key: str, formula: str, columns: set[str], file: str | None) -> None:
    """A spec's formula is vetted against the formula allowlist when the spec is read, before
    any data are loaded (:func:`crlm_outcomes.formula.check_formula`)."""
    from crlm_outcomes.errors import FormulaError
    from crlm_outcomes.formula import check_formula

    try:
        check_formula(formula, columns)
    except FormulaError as exc:
        error = FormulaError(
            f"invalid analysis spec: key {key!r}: {exc.message}",
            file=file,
            column=exc.column,
            value=formula,
            expected=exc.expected,
        )
        error.key = key  # type: ignore[attr-defined]
        raise error from None


# ---------------------------------------------------------------------------- schema, hash


def spec_json_schema() -> dict[str, Any]:
    """The JSON Schema of :class:`AnalysisSpec`.

    Returns
    -------
    dict
        A JSON Schema (draft 2020-12) of the spec, for editors and validators.

    Examples
    --------
    >>> schema = spec_json_schema()
    >>> schema["$schema"], "cohort" in schema["required"]
    ('https://json-schema.org/draft/2020-12/schema', True)
    """
    schema = AnalysisSpec.model_json_schema()
    # a model's description is its docstring's first paragraph: the numpydoc Attributes and
    # Examples are for the Python reader, not for editor tooltips
    for model in [schema, *schema.get("$defs", {}).values()]:
        if isinstance(model.get("description"), str):
            model["description"] = model["description"].split("\n\n", 1)[0]
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://crlm-outcomes/analysis_spec.schema.json"
    return schema


def write_json_schema(path: str | Path) -> Path:
    """Write the JSON Schema (sorted keys, 2-space indent, trailing newline) to ``path``.

    Parameters
    ----------
    path
        The file to write (replaced if it exists).

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = write_json_schema(Path(tmp) / "analysis_spec.schema.json")
    ...     schema = json.loads(out.read_text(encoding="utf-8"))
    >>> out.name, schema["title"]
    ('analysis_spec.schema.json', 'AnalysisSpec')
    """
    path = Path(path)
    path.write_text(
        json.dumps(spec_json_schema(), indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return path


def spec_hash(spec: AnalysisSpec) -> str:
    """sha256 of the validated spec in canonical JSON (defaults filled in, keys sorted).

    Parameters
    ----------
    spec
        The validated spec.

    Returns
    -------
    str
        The hex digest (64 characters); equal for specs that differ only in key order or in
        stating a default.

    Examples
    --------
    >>> a = parse_spec({"cohort": {"demo": True}})
    >>> b = parse_spec({"endpoints": ["os"], "cohort": {"demo": True}})
    >>> spec_hash(a) == spec_hash(b), len(spec_hash(a))
    (True, 64)
    """
    text = json.dumps(spec.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
