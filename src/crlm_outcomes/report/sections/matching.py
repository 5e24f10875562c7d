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
from crlm_outcomes.report.spec import ENDPOINTS

__all__ = ["matching_section", "arm_labels"]


def matching_section(ctx: BuildContext, i: int) -> None:
    """Add the section of the spec's ``i``-th matched comparison."""
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
    sizes = matching_sizes(ctx, i, matched, mt.treatment, mt.treated)
    treated_arm, control_arm = arm_labels(ctx.data[mt.treatment], mt.treatment, mt.treated, lab)
    sizes["arm"] = sizes["arm"].map({"treated": treated_arm, "control": control_arm})
    sizes = sizes.rename(
        columns={
            "arm": "group",
            "n_all": "patients",
            "n_matched": "matched",
            "n_unmatched": "unmatched",
            "effective_n": "effective n",
        }
    )
    bal = _balance_published(matched.balance.table, lab)
    r = comp.table.iloc[0]
    effect = pd.DataFrame(
        [
            {
                "comparison": f"{treated_arm} vs {control_arm}",
                "HR (95% CI)": f"{r['hr']:.2f} ({r['lower']:.2f}–{r['upper']:.2f})",
                "p": format_p(r["p"]),
                "E-value (point)": f"{r['evalue']:.2f}",
                "E-value (CI limit)": f"{r['evalue_ci']:.2f}",
            }
        ]
    )
    blocks = [
        ctx.writer.table(sizes, f"{name}_sizes", "Patients before and after matching"),
        ctx.writer.table(
            bal,
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
        ctx.writer.table(effect, f"{name}_effect", f"{title}: matched Cox model with E-values"),
    ]
    s = matched.settings
    paras = [
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
    ]
    ctx.sections.append(
        {"id": f"matching-{i + 1}", "title": title, "paragraphs": paras, "blocks": blocks}
    )


def arm_labels(values: pd.Series, treatment: str, treated: Any, lab: Labels) -> tuple[str, str]:
    """Readable names of the treated and the control arm from the treatment's level labels:
    ``Neoadjuvant chemotherapy`` / ``No neoadjuvant chemotherapy`` for a yes/no treatment,
    ``Surgery type: Open`` / ``Surgery type: Laparoscopic`` otherwise.

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
