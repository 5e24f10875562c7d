"""What every section does when its columns cannot be analysed."""

from __future__ import annotations

from crlm_outcomes.report._context import BuildContext

__all__ = ["unusable", "skipped"]


def unusable(ctx: BuildContext, *columns: str | None) -> str | None:
    """Why an analysis cannot run on these columns (absent, or missing for every patient), or
    None. Stratifiers that could not be derived carry their reason from
    :func:`crlm_outcomes.stratify.apply_all`."""
    data = ctx.data
    for col in columns:
        if col is None:
            continue
        if col not in data.columns:
            why = data.attrs.get("not_derived", {}).get(col)
            return (
                f"{col} could not be derived from this cohort ({why})"
                if why
                else f"{col} is not a column of this cohort"
            )
        if data[col].notna().sum() == 0:
            reasons = data.get(f"{col}_reason")
            top = (
                reasons.dropna().astype(str).value_counts().index[0]
                if reasons is not None and reasons.notna().any()
                else ""
            )
            return f"{col} is missing for every patient" + (f" ({top})" if top else "")
    return None


def skipped(ctx: BuildContext, section_id: str, title: str, why: str) -> None:
    """Add a "Not analysed" section and data note in place of the section ``section_id``."""
    ctx.notes.append(f"{title}: not analysed, {why}.")
    ctx.sections.append(
        {"id": section_id, "title": title, "paragraphs": [f"Not analysed: {why}."], "blocks": []}
    )
