"""Publication tables of Cox models: hazard ratio (95% CI) and p per term.

The numbers are those of the fitted model's ``table`` (``term, coef, std_error, hr, lower, upper,
statistic, p``; see :func:`crlm_outcomes.survival.cox.cox`); this module only formats them.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes._data import as_frame
from crlm_outcomes._display import percent_level
from crlm_outcomes._result import Result, empty_excluded
from crlm_outcomes.labels import Labels
from crlm_outcomes.report.formatting import format_p
from crlm_outcomes.report.latex import grouped_latex_table
from crlm_outcomes.report.suppression import (
    SuppressionPolicy,
    format_count,
    format_count_alone,
    suppress_vector,
)

__all__ = [
    "RegressionTable",
    "regression_table",
    "merge_tables",
    "univariable_multivariable",
    "split_terms",
]

_REQUIRED = ("term", "hr", "lower", "upper", "p")


def _grouped(table: pd.DataFrame) -> pd.DataFrame:
    """One label column: variables as written, their levels indented under them."""
    if "level" not in table.columns:
        return table
    first = table["level"].eq("")
    label = np.where(first, table["variable"], "\u2003" + table["level"].astype(str))
    out = table.drop(columns=["variable", "level"])
    out.insert(0, "", label)
    if any(": " in str(c) for c in out.columns):  # merged tables: model names as a header row
        out.columns = pd.MultiIndex.from_tuples(
            [tuple(str(c).split(": ", 1)) if ": " in str(c) else ("", str(c)) for c in out.columns]
        )
    return out


@dataclass(frozen=True, eq=False, repr=False)
class RegressionTable(Result):
    """A formatted Cox model table.

    Attributes
    ----------
    table
        Published strings: ``variable``, ``level`` (blank on a variable's header row), ``N``,
        ``events``, ``HR (95% CI)`` (``SHR`` for Fine-Gray), ``p``.
    numbers
        The numbers behind it: term, hr, lower, upper, p.
    notes
        Model facts shown under the table (n, events, ties, variance, excluded rows).
    title
        Caption.
    excluded
        The model's excluded rows (empty for a bare frame).

    Examples
    --------
    Made by :func:`regression_table`, here from a published summary (term, hr, lower,
    upper, p):

    >>> summary = pd.DataFrame({
    ...     "term": ["age_at_diagnosis", "sex[T.male]"],
    ...     "hr": [1.02, 1.31], "lower": [1.00, 0.95], "upper": [1.04, 1.80], "p": [0.04, 0.1],
    ... })
    >>> rt = regression_table(summary, title="Overall survival")
    >>> rt
    <RegressionTable rows=3, excluded=0>
    >>> print(rt.table.to_string(index=False))
                       variable level      HR (95% CI)     p
    Age at diagnosis (per year)       1.02 (1.00–1.04) 0.040
                            Sex
                            Sex  Male 1.31 (0.95–1.80) 0.100
    >>> rt.numbers["term"].tolist(), rt.title
    (['age_at_diagnosis', 'sex[T.male]'], 'Overall survival')
    """

    table: pd.DataFrame
    numbers: pd.DataFrame
    notes: dict[str, str]
    title: str
    excluded: pd.DataFrame = field(default_factory=empty_excluded, repr=False)

    def _display_title(self) -> str:
        return self.title

    def _display_notes(self) -> dict[str, object]:
        return dict(self.notes)

    def to_html(self, uuid: str = "regression") -> str:
        """Styled HTML table with its caption and notes (levels indented under their
        variable).

        Parameters
        ----------
        uuid
            The id stem of the table's HTML elements (``T_<uuid>``, ``T_<uuid>_row0_col0``, ...);
            give each table of one page its own.

        Returns
        -------
        str
            A ``<table class='crlm-table regression'>`` (caption, one header row, one row per
            table row; every cell HTML-escaped) followed by ``<p class='footnote'>`` holding
            :meth:`footnote`.

        Examples
        --------
        >>> summary = pd.DataFrame({"term": ["age_at_diagnosis", "sex[T.male]"],
        ...                         "hr": [1.02, 1.31], "lower": [1.00, 0.95],
        ...                         "upper": [1.04, 1.80], "p": [0.04, 0.1]})
        >>> page = regression_table(summary, title="Overall survival <OS>").to_html(uuid="os")
        >>> "<caption>Overall survival &lt;OS&gt;</caption>" in page, 'id="T_os"' in page
        (True, True)
        >>> page.count("<tr>")  # header + age + Sex header + Male
        4
        >>> page.endswith("<p class='footnote'></p>")  # a bare summary has no model notes
        True
        """
        frame = _grouped(self.table)
        styler = (
            frame.style.hide(axis="index")
            .set_uuid(uuid)
            .set_table_attributes("class='crlm-table regression'")
            .set_caption(html.escape(self.title))
        )
        foot = self.footnote()
        styler = styler.format(escape="html").format_index(escape="html", axis=1)
        return styler.to_html() + f"<p class='footnote'>{html.escape(foot)}</p>"

    def footnote(self) -> str:
        """The notes as one line; the notes of merged tables (keys ``"<model>: <note>"``) are
        grouped under their model's name once.

        Returns
        -------
        str
            E.g. ``"n: 700; events: 301"`` or ``"Univariable: n: 700, events: 301. Multivariable:
            n: 690, events: 298"``.

        Examples
        --------
        >>> import pandas as pd
        >>> tab = RegressionTable(table=pd.DataFrame(), numbers=pd.DataFrame(), title="",
        ...                       notes={"Multivariable: n": "700", "Multivariable: ties": "efron"})
        >>> tab.footnote()
        'Multivariable: n: 700, ties: efron'
        """
        groups: dict[str, list[str]] = {}
        for key, value in self.notes.items():
            head, sep, rest = str(key).partition(": ")
            if sep:
                groups.setdefault(head, []).append(f"{rest}: {value}")
            else:
                groups.setdefault("", []).append(f"{key}: {value}")
        parts = [
            "; ".join(items) if not head else f"{head}: {', '.join(items)}"
            for head, items in groups.items()
        ]
        return ". ".join(parts)

    def to_latex(self) -> str:
        """LaTeX (booktabs), escaped: variable header rows with their levels indented.

        Returns
        -------
        str
            A ``tabular`` (see :func:`crlm_outcomes.report.latex.grouped_latex_table`): a bold
            header row per variable with levels, each level under it after ``\\quad``; caption
            and notes are left to the enclosing document.

        Examples
        --------
        >>> summary = pd.DataFrame({"term": ["age_at_diagnosis", "sex[T.male]"],
        ...                         "hr": [1.02, 1.31], "lower": [1.00, 0.95],
        ...                         "upper": [1.04, 1.80], "p": [0.04, 0.1]})
        >>> print(regression_table(summary).to_latex())
        \\begin{tabular}{lrr}
        \\toprule
         & HR (95\\% CI) & p \\\\
        \\midrule
        Age at diagnosis (per year) & 1.02 (1.00--1.04) & 0.040 \\\\
        \\textbf{Sex} &  &  \\\\
        \\quad Male & 1.31 (0.95--1.80) & 0.100 \\\\
        \\bottomrule
        \\end{tabular}
        <BLANKLINE>
        """
        return grouped_latex_table(self.table)


def regression_table(
    model: Any,
    *,
    labels: Labels | Mapping[str, Any] | None = None,
    decimals: int = 2,
    title: str | None = None,
    suppression: SuppressionPolicy | None = None,
) -> RegressionTable:
    """Format a fitted Cox or Fine-Gray model (or a summary frame) as ratio (95% CI) and p.

    The rows are :func:`crlm_outcomes.survival.term_rows.term_rows` (those of the forest
    plot): each categorical variable with its reference level, then its other levels.

    Parameters
    ----------
    model
        A :class:`~crlm_outcomes.survival.cox.CoxResult`, a
        :class:`~crlm_outcomes.survival.fine_gray.FineGray`, or a frame with columns term, hr,
        lower, upper, p.
    labels
        Display labels (:func:`crlm_outcomes.labels.resolve_labels`; a flat mapping names
        variables).
    decimals
        Decimals of hazard ratios and limits.
    title
        Caption; by default "Cox proportional-hazards model", or "Fine-Gray
        subdistribution hazards model" for a Fine-Gray fit.
    suppression
        Masks the number of patients/events (notes and the N/events columns) when small.

    Returns
    -------
    RegressionTable

    Raises
    ------
    InputError
        The summary lacks a required column.

    Examples
    --------
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> from crlm_outcomes.survival.cox import cox
    >>> fit = cox(synthetic_cohort(200, seed=1), "age_at_diagnosis + sex", "os_months", "os_event")
    >>> rt = regression_table(fit)
    >>> print(rt.table.to_string(index=False))
                       variable  level   N events      HR (95% CI)     p
    Age at diagnosis (per year)                   1.02 (1.00–1.03) 0.029
                            Sex
                            Sex Female  81     58    1 (reference)
                            Sex   Male 119     85 0.94 (0.67–1.32) 0.724
    >>> rt.notes["n"], rt.notes["events"], rt.notes["ties"]
    ('200', '143', 'efron')
    """
    from crlm_outcomes.plots.forest import ratio_name
    from crlm_outcomes.survival.term_rows import hr_frame, term_rows

    numbers = hr_frame(model)[list(_REQUIRED)]
    rows = term_rows(model, labels)
    policy = suppression or SuppressionPolicy(enabled=False)
    name = ratio_name(model)
    level = percent_level(getattr(model, "conf_level", None))

    def ci(r: Any) -> str:
        if r.kind == "reference":
            return "1 (reference)"
        if r.kind == "header":
            return ""
        if not np.isfinite(r.hr):
            return "not estimable"
        return f"{r.hr:.{decimals}f} ({r.lower:.{decimals}f}–{r.upper:.{decimals}f})"

    def count(v: float) -> str:
        return "" if not np.isfinite(v) else format_count_alone(int(v), policy)

    level_row = rows["kind"].isin(["reference", "level"]) | (
        (rows["kind"] == "not_estimable") & (rows["term"] != rows["variable"])
    )
    table = pd.DataFrame(
        {
            "variable": np.where(
                level_row, [_header_of(rows, i) for i in range(len(rows))], rows["label"]
            ),
            "level": np.where(level_row, rows["label"], ""),
            "N": [count(v) for v in rows["n"]],
            "events": [count(v) for v in rows["events"]],
            f"{name} ({level}% CI)": [ci(r) for r in rows.itertuples(index=False)],
            "p": [format_p(p) for p in rows["p"]],
        }
    )
    if isinstance(model, pd.DataFrame):  # a bare summary: no design, no counts
        table = table.drop(columns=["N", "events"])
    notes: dict[str, str] = {}
    if not isinstance(model, pd.DataFrame):
        n_excluded = int(getattr(model, "n_excluded", 0))
        # n + excluded = the analysis cohort (published): mask both when one is small
        n_kind, exc_kind = suppress_vector([model.n, n_excluded], policy)
        notes["n"] = format_count(model.n, n_kind, policy)
        events = getattr(model, "n_event", None)
        if events is None:
            events = (getattr(model, "counts", None) or {}).get("n_cause")
        if events is not None:
            notes["events"] = format_count_alone(int(events), policy)
        if hasattr(model, "ties"):
            notes["ties"] = str(model.ties)
            notes["variance"] = "robust (sandwich)" if model.robust else "model-based"
        else:
            notes["variance"] = "robust (sandwich), as cmprsk::crr"
        notes["patients excluded for missing values"] = format_count(n_excluded, exc_kind, policy)
    excluded = (
        empty_excluded()
        if isinstance(model, pd.DataFrame)
        else getattr(model, "excluded", empty_excluded())
    )
    if title is None:
        title = (
            "Fine-Gray subdistribution hazards model"
            if name == "SHR"
            else "Cox proportional-hazards model"
        )
    return RegressionTable(
        table=table, numbers=numbers, notes=notes, title=title, excluded=excluded
    )


def split_terms(formula: str) -> list[str]:
    """The ``+``-separated terms of a formula's right-hand side (outside parentheses).

    Parameters
    ----------
    formula
        A formula, with or without its ``lhs ~`` part.

    Returns
    -------
    list of str
        The terms, stripped, in order; an intercept ``1`` and empty terms are left out.

    Examples
    --------
    >>> split_terms("age + C(sex) + np.log(cea + 1)")
    ['age', 'C(sex)', 'np.log(cea + 1)']
    """
    rhs = formula.split("~", 1)[-1]
    terms, depth, cur = [], 0, ""
    for ch in rhs:
        depth += (ch == "(") - (ch == ")")
        if ch == "+" and depth == 0:
            terms.append(cur.strip())
            cur = ""
        else:
            cur += ch
    terms.append(cur.strip())
    return [t for t in terms if t and t != "1"]


def _header_of(rows: pd.DataFrame, i: int) -> str:
    """The label of the header row above row ``i``."""
    for j in range(i, -1, -1):
        if rows["kind"].iat[j] == "header":
            return str(rows["label"].iat[j])
    return str(rows["label"].iat[i])


def merge_tables(tables: Mapping[str, RegressionTable], *, title: str) -> RegressionTable:
    """Put regression tables side by side (gtsummary's ``tbl_merge``): the variable and level
    columns once, then each table's N/events, ratio (95% CI) and p under its name.

    Rows are matched on (variable, level); a row missing from one table is blank there.

    Parameters
    ----------
    tables
        Name (e.g. ``"Univariable"``) -> table, in display order.
    title
        Caption.

    Returns
    -------
    RegressionTable
        ``table`` has two-level column names (``(name, column)``), flattened as
        ``"name: column"``.

    Examples
    --------
    >>> def model(hr):
    ...     summary = pd.DataFrame(
    ...         {"term": ["age_at_diagnosis"], "hr": [hr], "lower": [1.0], "upper": [1.04], "p": [0.04]}
    ...     )
    ...     return regression_table(summary)
    >>> both = merge_tables({"Unadjusted": model(1.02), "Adjusted": model(1.01)}, title="OS")
    >>> print(both.table.to_string(index=False))
                       variable level Unadjusted: HR (95% CI) Unadjusted: p Adjusted: HR (95% CI) Adjusted: p
    Age at diagnosis (per year)              1.02 (1.00–1.04)         0.040      1.01 (1.00–1.04)       0.040
    """
    keys: list[tuple[str, str]] = []
    for tab in tables.values():
        for v, lev in zip(tab.table["variable"], tab.table["level"], strict=True):
            if (v, lev) not in keys:
                keys.append((v, lev))
    out = pd.DataFrame(keys, columns=["variable", "level"])
    numbers = []
    notes: dict[str, str] = {}
    for name, tab in tables.items():
        value_cols = [c for c in tab.table.columns if c not in ("variable", "level")]
        part = tab.table.drop_duplicates(["variable", "level"]).set_index(["variable", "level"])
        joined = part.reindex(pd.MultiIndex.from_tuples(keys))[value_cols].fillna("")
        for c in value_cols:
            if c in ("N", "events") and name != next(iter(tables)):
                continue  # counts once: the univariable fits' counts
            out[f"{name}: {c}"] = joined[c].to_numpy()
        numbers.append(tab.numbers.assign(model=name))
        notes.update({f"{name}: {k}": v for k, v in tab.notes.items()})
    return RegressionTable(
        table=out, numbers=pd.concat(numbers, ignore_index=True), notes=notes, title=title
    )


def univariable_multivariable(
    data: Any,
    variables: list[str],
    duration: str,
    event: str,
    *,
    model: str = "cox",
    labels: Labels | Mapping[str, Any] | None = None,
    suppression: SuppressionPolicy | None = None,
    title: str | None = None,
    **options: Any,
) -> RegressionTable:
    """Univariable and multivariable models side by side (gtsummary ``tbl_uvregression`` +
    ``tbl_merge``): one model per variable, and one with all of them.

    Parameters
    ----------
    data
        DataFrame or Cohort.
    variables
        Covariates (formula terms), each fitted alone and then together.
    duration, event
        Time and event columns (for Fine-Gray, ``event`` holds the cause codes).
    model
        ``"cox"`` or ``"fine_gray"``.
    labels
        Display labels.
    suppression
        Small-cell suppression of counts.
    title
        Caption.
    **options
        Passed to :func:`crlm_outcomes.survival.cox.cox` or
        :func:`crlm_outcomes.survival.fine_gray.fine_gray` (e.g. ``ties``, ``cause``).

    Returns
    -------
    RegressionTable

    Raises
    ------
    SpecError
        Unknown ``model`` or no variables.

    Examples
    --------
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> cohort = synthetic_cohort(200, seed=1)
    >>> uv = univariable_multivariable(
    ...     cohort, ["age_at_diagnosis", "sex"], "os_months", "os_event"
    ... )
    >>> uv.table.columns.tolist()[2:]  # doctest: +NORMALIZE_WHITESPACE
    ['Univariable: N', 'Univariable: events', 'Univariable: HR (95% CI)', 'Univariable: p',
     'Multivariable: HR (95% CI)', 'Multivariable: p']
    >>> print(uv.table[["level", "Univariable: HR (95% CI)", "Multivariable: HR (95% CI)"]]
    ...       .to_string(index=False))
     level Univariable: HR (95% CI) Multivariable: HR (95% CI)
                  1.02 (1.00–1.03)           1.02 (1.00–1.03)
    <BLANKLINE>
    Female            1 (reference)              1 (reference)
      Male         0.96 (0.69–1.34)           0.94 (0.67–1.32)
    """
    from crlm_outcomes.errors import SpecError

    if model not in ("cox", "fine_gray"):
        raise SpecError(
            "unknown model for the univariable/multivariable table",
            value=model,
            expected="'cox' or 'fine_gray'",
        )
    if not variables:
        raise SpecError(
            "no variables for the univariable/multivariable table",
            value=variables,
            expected="one or more covariates",
        )
    from crlm_outcomes.survival.cox import cox
    from crlm_outcomes.survival.fine_gray import fine_gray

    fit_fn: Callable[..., Any] = cox if model == "cox" else fine_gray
    frame = as_frame(data)
    uni_tables = [
        regression_table(
            fit_fn(frame, v, duration, event, **options), labels=labels, suppression=suppression
        )
        for v in variables
    ]
    uni = RegressionTable(
        table=pd.concat([u.table for u in uni_tables], ignore_index=True),
        numbers=pd.concat([u.numbers for u in uni_tables], ignore_index=True),
        notes={},
        title="Univariable",
    )
    multi = regression_table(
        fit_fn(frame, " + ".join(variables), duration, event, **options),
        labels=labels,
        suppression=suppression,
    )
    name = "Cox" if model == "cox" else "Fine-Gray"
    return merge_tables(
        {"Univariable": uni, "Multivariable": multi},
        title=title or f"{name} models: univariable and multivariable",
    )
