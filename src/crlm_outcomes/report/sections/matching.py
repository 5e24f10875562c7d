"""Matched treatment comparison section: one per ``matching:`` entry of the spec.

Propensity-score matching (:func:`crlm_outcomes.survival.matching.match_propensity`), the sample
sizes, the balance table with standardised mean differences before and after and its Love plot,
and the matched Cox model (matching weights, robust variance clustered on the matched set) with
E-values (:func:`crlm_outcomes.survival.comparison.matched_comparison`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from crlm_outcomes.labels import Labels, lower_first
from crlm_outcomes.plots.balance import balance_names
from crlm_outcomes.report._context import BuildContext
from crlm_outcomes.report.formatting import format_p
from crlm_outcomes.report.sections._disclosure import matching_sizes
from crlm_outcomes.report.spec import ENDPOINTS, MatchingSpec

__all__ = ["matching_section", "arm_labels"]


def matching_section(ctx: BuildContext, i: int) -> None:
    """Add the section of the spec's ``i``-th matched comparison.

    Propensity-score matching (:func:`crlm_outcomes.survival.matching.match_propensity`),
    the patients before and after matching, covariate balance (table and Love plot) and the
    matched hazard ratio with its E-values.

    Parameters
    ----------
    ctx
        The build context (spec, policy, writer and the analysis cohort ``ctx.data``).
    i
        Index of the comparison in ``ctx.spec.matching``.

    Returns
    -------
    None
        The section is appended to ``ctx.sections``; its tables and figure are written
        through ``ctx.writer`` and its counts recorded in ``ctx.ledger``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> from crlm_outcomes.report._context import BuildContext
    >>> from crlm_outcomes.report.filters import stratify_and_filter
    >>> from crlm_outcomes.report.spec import parse_spec
    >>> from crlm_outcomes.report.suppression import SuppressionPolicy
    >>> from crlm_outcomes.report.writer import OutputWriter
    >>> spec = parse_spec({"cohort": {"demo": True}, "matching": [{"treatment": "neoadjuvant_chemo",
    ...                                 "formula": "age_at_diagnosis + liver_mets_number"}],
    ...                    "output": {"figure_formats": ["png"], "table_formats": ["csv"]}})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     ctx = BuildContext(spec, SuppressionPolicy(enabled=False), OutputWriter(Path(tmp), spec, 1))
    ...     ctx.cohort = synthetic_cohort(200, seed=1)
    ...     steps = stratify_and_filter(ctx)
    ...     matching_section(ctx, 0)
    ...     tables = sorted(p.name for p in Path(tmp, "tables").iterdir())
    >>> ctx.sections[-1]["title"]
    'Matched comparison by neoadjuvant chemotherapy: overall survival'
    >>> tables
    ['matching_1_balance.csv', 'matching_1_effect.csv', 'matching_1_sizes.csv']
    """
    from crlm_outcomes.formula import formula_variables
    from crlm_outcomes.survival.comparison import matched_comparison
    from crlm_outcomes.survival.matching import match_propensity

    mt = ctx.spec.matching[i]
    duration, event = ENDPOINTS[mt.endpoint]
    covariates = [v for v in formula_variables(mt.formula, ctx.data) if v != mt.treatment]
    lab = ctx.labels
    treatment = lab.inline(mt.treatment)
    title = f"Matched comparison by {treatment}: {lab.endpoint(mt.endpoint).lower()}"
    with ctx.collect_warnings(f"Matching on {treatment}"):
        matched = match_propensity(
            ctx.data,
            mt.treatment,
            mt.formula,
            ratio=mt.ratio,
            replace=mt.replace,
            caliper=mt.caliper,
            order=mt.order,
            exact=mt.exact or None,
            seed=mt.seed,
            treated=mt.treated,
            balance_covariates=covariates,
        )
        comp = matched_comparison(matched, duration, event, rare=mt.rare_outcome)
    if mt.order == "random":
        ctx.seeds[f"matching_{i}"] = mt.seed
    name = f"matching_{i + 1}"
    arms = arm_labels(ctx.data[mt.treatment], mt.treatment, mt.treated, lab)
    blocks = [
        ctx.writer.table(
            _sizes_published(ctx, i, matched, arms),
            f"{name}_sizes",
            "Patients before and after matching",
        ),
        ctx.writer.table(
            _balance_published(matched.balance.table, lab),
            f"{name}_balance",
            "Covariate balance: standardised mean differences before and after matching",
        ),
        ctx.writer.figure(
            f"{name}_love",
            "Absolute standardised mean differences before and after matching (dashed line: 0.1).",
            _love,
            matched,
            lab,
        ),
        ctx.writer.table(
            _effect_published(comp.table.iloc[0], arms),
            f"{name}_effect",
            f"{title}: matched Cox model with E-values",
        ),
    ]
    paras = [_method_words(mt, matched.settings, covariates, lab)]
    ctx.sections.append(
        {"id": f"matching-{i + 1}", "title": title, "paragraphs": paras, "blocks": blocks}
    )


def _sizes_published(
    ctx: BuildContext, i: int, matched: Any, arms: tuple[str, str]
) -> pd.DataFrame:
    """Patients per arm before and after matching, suppressed and recorded in the ledger
    (:func:`~crlm_outcomes.report.sections._disclosure.matching_sizes`), arms by name."""
    mt = ctx.spec.matching[i]
    sizes = matching_sizes(ctx, i, matched, mt.treatment, mt.treated)
    sizes["arm"] = sizes["arm"].map({"treated": arms[0], "control": arms[1]})
    return sizes.rename(
        columns={
            "arm": "group",
            "n_all": "patients",
            "n_matched": "matched",
            "n_unmatched": "unmatched",
            "effective_n": "effective n",
        }
    )


def _effect_published(r: pd.Series, arms: tuple[str, str]) -> pd.DataFrame:
    """The matched hazard ratio with its E-values, as published."""
    return pd.DataFrame(
        [
            {
                "comparison": f"{arms[0]} vs {arms[1]}",
                "HR (95% CI)": f"{r['hr']:.2f} ({r['lower']:.2f}–{r['upper']:.2f})",
                "p": format_p(r["p"]),
                "E-value (point)": f"{r['evalue']:.2f}",
                "E-value (CI limit)": f"{r['evalue_ci']:.2f}",
            }
        ]
    )


def _method_words(mt: MatchingSpec, s: dict[str, Any], covariates: list[str], lab: Labels) -> str:
    """The section's text: how the patients were matched and the effect estimated."""
    return (
        f"Nearest-neighbour matching on the logit of the propensity score (covariates: "
        f"{', '.join(lab.inline(v) for v in covariates)}), "
        f"{s['ratio']}:1, {'with' if s['replace'] else 'without'} replacement, order "
        f"{s['order']}, caliper "
        + ("none" if mt.caliper is None else f"{mt.caliper:g} SD of the logit")
        + (f", exact on {', '.join(lab.inline(v) for v in mt.exact)}" if mt.exact else "")
        + ". Hazard ratio from a Cox model in the matched sample with the matching weights "
        "and a robust variance clustered on the matched set; E-values (VanderWeele & Ding "
        "2017) "
        + (
            "treat the hazard ratio as a risk ratio (rare outcome)."
            if mt.rare_outcome
            else "use the common-outcome conversion of the hazard ratio to a risk ratio."
        )
    )


def arm_labels(values: pd.Series, treatment: str, treated: Any, lab: Labels) -> tuple[str, str]:
    """Readable names of the treated and the control arm from the treatment's level labels:
    ``Neoadjuvant chemotherapy`` / ``No neoadjuvant chemotherapy`` for a yes/no treatment,
    ``Surgery type: Open`` / ``Surgery type: Laparoscopic`` otherwise.

    Parameters
    ----------
    values
        The treatment column.
    treatment
        Its name (for its labels).
    treated
        The value meaning treated (None: ``True`` / 1 of a yes/no or 0/1 coding).
    lab
        Display labels.

    Returns
    -------
    tuple of str
        ``(treated arm, control arm)``.

    Examples
    --------
    >>> from crlm_outcomes.labels import default_labels
    >>> arm_labels(pd.Series([True, False]), "neoadjuvant_chemo", None, default_labels())
    ('Neoadjuvant chemotherapy', 'No neoadjuvant chemotherapy')
    """
    present = list(pd.unique(values.dropna()))
    if treated is not None:
        on = treated
        off = next((v for v in present if v != treated), None)
    elif values.dtype == bool or str(values.dtype) == "boolean":
        on, off = True, False
    else:
        on, off = 1, 0
    name = lab.variable(treatment)
    yes_no = (lab.level(treatment, on), lab.level(treatment, off)) == ("Yes", "No") or (
        str(on),
        str(off),
    ) in {("1", "0"), ("1.0", "0.0"), ("True", "False")}
    if yes_no:
        return name, f"No {lower_first(name)}"
    return (
        f"{name}: {lab.level(treatment, on)}",
        f"{name}: {lab.level(treatment, off) if off is not None else 'other'}",
    )


def _balance_published(t: pd.DataFrame, lab: Labels) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "covariate": balance_names(t, lab),
            "SMD before": [f"{v:.3f}" for v in t["smd"]],
            "SMD after": [f"{v:.3f}" for v in t["smd_w"]],
        }
    )
    return out


def _love(matched: Any, labels: Labels) -> Any:
    """Love plot (figure recipe)."""
    return matched.plot(labels=labels)
