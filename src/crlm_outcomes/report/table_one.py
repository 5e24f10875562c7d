"""Table 1: baseline characteristics by group, with tests, standardised mean differences and
missing counts.

Summaries follow R's ``tableone`` conventions (Yoshida & Bartel): continuous variables as
mean (SD), or median [IQR] for those named ``nonnormal``; categorical variables as n (%) of the
non-missing values; a "Missing" row with n (%) of all rows.

Tests (all agree with R's ``stats`` functions; see tests/reference/table_one.R):

* continuous, mean (SD): Welch's test, ``oneway.test(var.equal = FALSE)`` (for two groups this
  is Welch's t-test, R's ``t.test`` default);
* continuous, median [IQR]: Kruskal-Wallis, ``kruskal.test`` (tie-corrected);
* categorical: Pearson's chi-square, ``chisq.test`` (Yates' continuity correction for 2 x 2),
  switching to Fisher's exact test when an expected count is below 5 or the variable is named in
  ``exact``. Fisher's test is exact for 2 x 2 tables (scipy) and for 2 x k / k x 2 tables
  (:func:`crlm_outcomes.report.fisher.fisher_exact_2xk`, a network algorithm, since scipy is
  exact only for 2 x 2), agreeing with ``fisher.test``. For tables with more than two rows and
  columns, the p-value is estimated from 20 000 random tables with fixed marginals and a fixed
  seed, like ``fisher.test(simulate.p.value = TRUE)`` - reproducible, and labelled "Fisher
  (Monte Carlo)" in the table.

Standardised mean differences come from :mod:`crlm_outcomes._smd`, the one implementation
shared with :func:`crlm_outcomes.survival.weighting.balance_table` and matching: continuous
``|m1 - m2| / sqrt((s1^2 + s2^2) / 2)`` (Austin, Stat Med 2009); categorical the multinomial SMD
of Yang & Dalton (SAS Global Forum 2012, paper 335), which reduces to the usual binary formula;
with more than two groups, the mean of the pairwise SMDs (as ``tableone::ExtractSmd`` prints).
Table 1 follows R's ``tableone`` where the two uses differ: it prints ``|SMD|`` (no arm is
"treated"), compares any number of groups, gives one multinomial SMD per categorical variable
(balance tables: one binary SMD per level) and NaN for a zero pooled SD (balance tables: 0 when
the means are equal, as cobalt).
"""

from __future__ import annotations

import html
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.oneway import anova_oneway

from crlm_outcomes._data import as_frame
from crlm_outcomes._result import FrameMethodAlias, Result, empty_excluded
from crlm_outcomes._smd import smd_categorical, smd_continuous
from crlm_outcomes.errors import InputError
from crlm_outcomes.labels import Labels, lower_first, resolve_labels
from crlm_outcomes.report.fisher import TooManyTablesError, fisher_exact_2xk
from crlm_outcomes.report.formatting import format_p
from crlm_outcomes.report.latex import grouped_latex_table
from crlm_outcomes.report.suppression import (
    PRIMARY,
    SuppressionPolicy,
    format_count,
    suppress_matrix,
    suppress_vector,
)

__all__ = ["TableOne", "table_one", "smd_continuous", "smd_categorical", "format_p", "FISHER_SEED"]

#: Seed of the Monte Carlo Fisher test (tables larger than 2 x k), recorded in report manifests.
FISHER_SEED = 20240501
_MC_RESAMPLES = 20_000
#: Units as printed after a continuous variable's label.
_UNITS = {"percent": "%"}


def _categorical_test(table: np.ndarray, force_exact: bool) -> tuple[str, float, float]:
    """(test name, statistic, p) for a levels x groups contingency table."""
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if table.shape[0] < 2 or table.shape[1] < 2:
        return "", float("nan"), float("nan")
    expected = stats.contingency.expected_freq(table)
    if force_exact or (expected < 5).any():
        if table.shape == (2, 2):
            res = stats.fisher_exact(table)
            return "Fisher", float("nan"), float(res.pvalue)
        if 2 in table.shape:
            try:
                return "Fisher", float("nan"), fisher_exact_2xk(table)
            except TooManyTablesError:
                pass
        method = stats.MonteCarloMethod(
            n_resamples=_MC_RESAMPLES, rng=np.random.default_rng(FISHER_SEED)
        )
        res = stats.fisher_exact(table.astype(np.int64), method=method)
        return "Fisher (Monte Carlo)", float("nan"), float(res.pvalue)
    chi2, p, _, _ = stats.chi2_contingency(table, correction=True)
    return "Chi-square", float(chi2), float(p)


def is_categorical(s: pd.Series) -> bool:
    """Whether Table 1 summarises a column as n (%) per level rather than as a continuous
    variable: any non-numeric, boolean or categorical column.

    Parameters
    ----------
    s
        The column.

    Returns
    -------
    bool
        True for strings, booleans and ``category`` columns (whatever their categories);
        False for the other numeric columns, integer codes included.

    Examples
    --------
    >>> is_categorical(pd.Series([62, 58, 71])), is_categorical(pd.Series(["male", "female"]))
    (False, True)
    >>> is_categorical(pd.Series([True, False])), is_categorical(pd.Series([1, 2], dtype="category"))
    (True, True)
    """
    return (
        not pd.api.types.is_numeric_dtype(s)
        or pd.api.types.is_bool_dtype(s)
        or isinstance(s.dtype, pd.CategoricalDtype)
    )


def variable_levels(s: pd.Series) -> list:
    """The levels of a categorical column in table order, missing values left out.

    Parameters
    ----------
    s
        The column.

    Returns
    -------
    list
        A ``category`` column's categories in their declared order (unused ones included);
        ``[False, True]`` for a boolean column; otherwise the distinct non-missing values,
        sorted numerically for numbers and by their text for anything else.

    Examples
    --------
    >>> variable_levels(pd.Series(["wild_type", "mutant", None, "mutant"]))
    ['mutant', 'wild_type']
    >>> grade = pd.Categorical(["low", "high"], categories=["low", "mid", "high"])
    >>> variable_levels(pd.Series(grade))
    ['low', 'mid', 'high']
    >>> [int(v) for v in variable_levels(pd.Series([3, 1, 2, 1]))]
    [1, 2, 3]
    >>> variable_levels(pd.Series([True, True]))
    [False, True]
    """
    if isinstance(s.dtype, pd.CategoricalDtype):
        return list(s.cat.categories)
    if pd.api.types.is_bool_dtype(s):
        return [False, True]
    values = s.dropna().unique()
    if pd.api.types.is_numeric_dtype(s):
        return sorted(values)
    return sorted(values, key=str)


def level_text(level: object) -> str:
    """A level as written in the table: booleans as ``yes``/``no``, anything else as its text.

    Parameters
    ----------
    level
        A value from :func:`variable_levels`.

    Returns
    -------
    str
        ``"yes"`` for True, ``"no"`` for False (Python or numpy booleans), else ``str(level)``.

    Examples
    --------
    >>> level_text(True), level_text(False), level_text(2), level_text("mutant")
    ('yes', 'no', '2', 'mutant')
    """
    if isinstance(level, (bool, np.bool_)):
        return "yes" if level else "no"
    return str(level)


@dataclass(frozen=True, eq=False, repr=False)
class TableOne(Result):
    """Table 1 as tidy frames.

    Attributes
    ----------
    table
        The published table (strings): ``variable``, ``level``, one column per group (and
        ``Overall``), ``p``, ``test``, ``SMD``. Masked cells carry the suppression markers.
    statistics
        Long numeric frame: variable, level, group, n, percent, mean, sd, median, q1, q3,
        missing. Before 0.2 this was ``summary``; ``t1.summary`` used as a DataFrame still
        gives it with a FutureWarning, and ``t1.summary()`` returns the table as text.
    tests
        variable, test, statistic, p, smd.
    by, groups, suppression
        The grouping column, its group labels and the suppression policy applied.
    by_label
        The grouping column's display label.
    excluded
        Rows left out of the group columns because ``by`` is missing (they stay in Overall).

    Examples
    --------
    Made by :func:`table_one`:

    >>> d = pd.DataFrame({
    ...     "age_at_diagnosis": [62, 58, 71, 66, 49, 75, 60, 68, 55, 70],
    ...     "ras_class": ["wild_type", "mutant", "mutant", "wild_type", "wild_type",
    ...                   "mutant", "mutant", "wild_type", "mutant", "mutant"],
    ... })
    >>> t1 = table_one(d, by="ras_class")
    >>> t1
    <TableOne by=ras_class, groups=2, rows=2, excluded=0>
    >>> t1.groups, t1.by_label
    (['Mutant', 'Wild type'], 'RAS status')
    >>> print(t1.statistics[["group", "n", "mean", "sd"]].round(2).to_string(index=False))
        group  n  mean   sd
       Mutant  6 64.83 8.18
    Wild type  4 61.25 8.54
      Overall 10 63.40 8.06
    >>> print(t1.summary().splitlines()[0])
    Table 1 by RAS status
    """

    table: pd.DataFrame
    statistics: pd.DataFrame
    tests: pd.DataFrame
    by: str | None
    groups: list[str]
    suppression: SuppressionPolicy = field(default_factory=lambda: SuppressionPolicy(False))
    by_label: str | None = None
    excluded: pd.DataFrame = field(default_factory=empty_excluded, repr=False)

    _title = "Table 1"

    @property  # type: ignore[override]
    def summary(self) -> FrameMethodAlias:
        """``t1.summary()`` is the published table as text; used as a DataFrame it is the
        numeric :attr:`statistics` frame (its name before 0.2), with a FutureWarning."""
        return FrameMethodAlias(
            self._summary_text, lambda: self.statistics, "TableOne.summary", "TableOne.statistics"
        )

    def _summary_text(self) -> str:
        title = "Table 1" + (f" by {lower_first(self.by_label or self.by)}" if self.by else "")
        text = self.table.to_string(index=False)
        return f"{title}\n{text}\n{self.footnote()}"

    def _repr_fields(self) -> dict[str, object]:
        return {
            "by": self.by,
            "groups": len(self.groups),
            "rows": len(self.table),
            "excluded": self.n_excluded,
        }

    def footnote(self) -> str:
        """The table's footnote: statistics shown, tests used and suppression.

        Returns
        -------
        str
            One paragraph: how continuous and categorical variables are summarised, the tests
            that produced a p-value (in order of first use), the SMD definition and, when
            suppression is on, the policy's own footnote.

        Examples
        --------
        >>> d = pd.DataFrame({"age_at_diagnosis": [62, 58, 71, 66, 49, 75, 60, 68, 55, 70],
        ...                   "ras_class": ["wild_type", "mutant"] * 5})
        >>> print(table_one(d, by="ras_class").footnote())
        Continuous: mean (SD) or median [IQR]; categorical: n (% of non-missing).
        Tests: Welch t-test. SMD: standardised mean difference.
        """
        parts = ["Continuous: mean (SD) or median [IQR]; categorical: n (% of non-missing)."]
        used = [t for t in self.tests["test"].unique() if t]
        if used:
            parts.append("Tests: " + ", ".join(used) + ".")
        parts.append("SMD: standardised mean difference.")
        if self.suppression.enabled:
            parts.append(self.suppression.footnote())
        return " ".join(parts)

    def to_html(self, uuid: str = "table_one") -> str:
        """Styled HTML (pandas Styler; variables in bold, levels indented; fixed ``uuid``).

        Parameters
        ----------
        uuid
            The id stem of the table's HTML elements (``T_<uuid>``, ``T_<uuid>_row0_col0``,
            ...): fixed, so the same table gives the same HTML; give each table of one page
            its own.

        Returns
        -------
        str
            A ``<table class='crlm-table table-one'>`` captioned "Table 1 by <group label>",
            one label column (variables bold, levels indented with an em space) then the
            group, Overall, p, test and SMD columns, every cell HTML-escaped; followed by
            ``<p class='footnote'>`` holding :meth:`footnote`.

        Examples
        --------
        >>> d = pd.DataFrame({"age_at_diagnosis": [62, 58, 71, 66, 49, 75, 60, 68, 55, 70],
        ...                   "ras_class": ["wild_type", "mutant"] * 5})
        >>> page = table_one(d, by="ras_class").to_html(uuid="t1")
        >>> "<caption>Table 1 by RAS status</caption>" in page, 'id="T_t1"' in page
        (True, True)
        >>> page.count("<tr>")  # header, n, age
        3
        >>> page.split("<p class='footnote'>")[1][:24]
        'Continuous: mean (SD) or'
        """
        frame = self.table.copy()
        first = frame["level"].eq("")
        frame.insert(
            0, "", np.where(first, frame["variable"], "\u2003" + frame["level"].astype(str))
        )
        frame = frame.drop(columns=["variable", "level"])
        styler = frame.style.hide(axis="index").set_uuid(uuid)
        styler = styler.apply(
            lambda col: ["font-weight:bold" if f else "" for f in first], subset=[""], axis=0
        )
        styler = styler.set_table_attributes("class='crlm-table table-one'")
        caption = "Table 1" + (f" by {lower_first(self.by_label or self.by)}" if self.by else "")
        styler = styler.set_caption(html.escape(caption))
        styler = styler.format(escape="html").format_index(escape="html", axis=1)
        return styler.to_html() + f"<p class='footnote'>{html.escape(self.footnote())}</p>"

    def to_latex(self) -> str:
        """LaTeX (booktabs), escaped: a header row per variable, its levels indented.

        Returns
        -------
        str
            A ``tabular`` (see :func:`crlm_outcomes.report.latex.grouped_latex_table`): the
            label column then one right-aligned column per group, Overall, p, test and SMD;
            a categorical variable's row is bold with its levels under it after ``\\quad``.
            Caption and footnote are left to the enclosing document (:meth:`footnote`).

        Examples
        --------
        >>> d = pd.DataFrame({"sex": ["female", "male", "male", "female", "male", "male"],
        ...                   "ras_class": ["wild_type", "mutant"] * 3})
        >>> tex = table_one(d, by="ras_class").to_latex()
        >>> print("\\n".join(tex.splitlines()[:3]))
        \\begin{tabular}{lrrrrrr}
        \\toprule
         & Mutant & Wild type & Overall & p & test & SMD \\\\
        >>> [line.split(" & ")[0] for line in tex.splitlines()[4:7]]
        ['n', '\\\\textbf{Sex}', '\\\\quad Female']
        """
        return grouped_latex_table(self.table)

    def _repr_html_(self) -> str:
        return self.to_html()


def table_one(
    data: Any,
    by: str | None = None,
    variables: Sequence[str] | None = None,
    *,
    nonnormal: Collection[str] = (),
    categorical: Collection[str] = (),
    exact: Collection[str] = (),
    labels: Labels | Mapping[str, Any] | None = None,
    overall: bool = True,
    empty_levels: bool = False,
    suppression: SuppressionPolicy | None = None,
    decimals: int = 1,
) -> TableOne:
    """Baseline characteristics by ``by``.

    Parameters
    ----------
    data
        One row per patient.
    by
        Grouping column (categorical); None = one overall column. Rows with ``by`` missing are
        left out of the group columns (they stay in Overall) and counted in the ``n`` row.
    variables
        Columns to describe; default all columns except ``by``.
    nonnormal
        Continuous variables shown as median [IQR] and tested with Kruskal-Wallis.
    categorical
        Numeric columns to treat as categorical.
    exact
        Categorical variables always tested with Fisher's exact test.
    labels
        Display labels of variables, levels and groups (:func:`crlm_outcomes.labels.
        resolve_labels`: the schema's labels, with these on top; a flat mapping names
        variables).
    overall
        Add an Overall column.
    empty_levels
        Show levels no patient has (``0 (0.0)`` rows); by default they are left out.
    suppression
        Small-cell suppression of the published counts (default: none).
    decimals
        Decimals of means, SDs, quantiles and percentages.

    Returns
    -------
    TableOne

    Raises
    ------
    InputError
        Unknown column.

    Examples
    --------
    Ten patients by RAS status; CEA is skewed, so it is shown as median [IQR]. R gives the
    same p-values: ``t.test`` 0.532, ``kruskal.test`` 0.327, ``fisher.test`` 1.

    >>> d = pd.DataFrame({
    ...     "age_at_diagnosis": [62, 58, 71, 66, 49, 75, 60, 68, 55, 70],
    ...     "sex": ["female", "male", "male", "female", "male",
    ...             "male", "female", "male", "female", "male"],
    ...     "cea_at_liver_diagnosis": [4.1, 12.5, None, 35.0, 2.2, 8.8, 150.0, 6.3, 3.9, 22.0],
    ...     "ras_class": ["wild_type", "mutant", "mutant", "wild_type", "wild_type",
    ...                   "mutant", "mutant", "wild_type", "mutant", "mutant"],
    ... })
    >>> t1 = table_one(
    ...     d, by="ras_class", nonnormal=["cea_at_liver_diagnosis"], overall=False,
    ...     labels={"age_at_diagnosis": "Age", "cea_at_liver_diagnosis": "CEA"},
    ... )
    >>> print(t1.table.drop(columns=["test", "SMD"]).to_string(index=False))
                    variable   level           Mutant       Wild type     p
                           n                        6               4
       Age, years, mean (SD)               64.8 (8.2)      61.2 (8.5) 0.532
                         Sex                                          1.000
                         Sex  Female         2 (33.3)        2 (50.0)
                         Sex    Male         4 (66.7)        2 (50.0)
    CEA, ng/mL, median [IQR]         12.5 [8.8, 22.0] 5.2 [3.6, 13.5] 0.327
    CEA, ng/mL, median [IQR] Missing         1 (16.7)         0 (0.0)
    >>> t1.tests["test"].tolist()
    ['Welch t-test', 'Fisher', 'Kruskal-Wallis']
    """
    data = as_frame(data)
    policy = suppression or SuppressionPolicy(enabled=False)
    lab = resolve_labels(labels)
    variables = _checked_variables(data, by, variables)
    columns = _columns(data, by, overall, lab, policy)
    opts = _Options(lab, policy, decimals, empty_levels, set(nonnormal), set(exact))
    categorical = set(categorical)
    blocks = [
        _categorical_block(var, data[var], columns, opts)
        if is_categorical(data[var]) or var in categorical
        else _continuous_block(var, data[var], columns, opts)
        for var in variables
    ]
    table = pd.DataFrame(
        [_n_row(columns, policy), *(row for b in blocks for row in b.rows)],
        columns=["variable", "level", *columns.names, "p", "test", "SMD"],
    )
    if by is None:
        table = table.drop(columns=["p", "test", "SMD"])
    return TableOne(
        table=table,
        statistics=pd.DataFrame(
            [rec for b in blocks for rec in b.statistics], columns=_STATISTICS_COLUMNS
        ),
        by_label=lab.variable(by) if by else None,
        tests=pd.DataFrame(
            [b.test for b in blocks], columns=["variable", "test", "statistic", "p", "smd"]
        ),
        by=by,
        groups=columns.groups,
        suppression=policy,
        excluded=_missing_group_rows(data, by),
    )


_STATISTICS_COLUMNS = [
    "variable",
    "level",
    "group",
    "n",
    "percent",
    "mean",
    "sd",
    "median",
    "q1",
    "q3",
    "missing",
]


@dataclass(frozen=True)
class _Options:
    """What every variable's rows are built with: labels, suppression, decimals and the
    per-variable choices of summary and test."""

    lab: Labels
    policy: SuppressionPolicy
    dec: int
    empty_levels: bool
    nonnormal: set[str]
    exact: set[str]


@dataclass(frozen=True)
class _Columns:
    """The count columns of the table: the groups (display names), then Overall if shown.

    ``masks`` select each column's rows of the data, ``sizes`` count them and ``size_kind``
    is the suppression kind of each column's size (the ``n`` row).
    """

    names: list[str]
    groups: list[str]
    masks: list[np.ndarray]
    has_overall: bool
    sizes: np.ndarray
    size_kind: np.ndarray

    @property
    def n_groups(self) -> int:
        return len(self.groups)


@dataclass(frozen=True)
class _Block:
    """One variable's part of Table 1: its published rows, statistics records and test."""

    rows: list[dict[str, str]]
    statistics: list[dict[str, Any]]
    test: dict[str, object]


def _checked_variables(
    data: pd.DataFrame, by: str | None, variables: Sequence[str] | None
) -> list[str]:
    """The variables to describe (default: every column but ``by``), each checked to exist
    and not to be a date; ``by`` checked to exist."""
    if variables is None:
        variables = [c for c in data.columns if c != by]
    for col in [*(variables or []), *([by] if by else [])]:
        if col not in data.columns:
            raise InputError(
                "Table 1 column not found", column=col, expected="a column of the data"
            )
    for col in variables:
        if pd.api.types.is_datetime64_any_dtype(data[col]):
            raise InputError(
                "dates cannot be summarised in Table 1",
                column=col,
                value=str(data[col].dtype),
                expected="a numeric or categorical column (derive an interval or a year first)",
            )
    return list(variables)


def _columns(
    data: pd.DataFrame, by: str | None, overall: bool, lab: Labels, policy: SuppressionPolicy
) -> _Columns:
    """The group columns (levels of ``by`` present in the data) and Overall, with the
    suppression of their sizes: the groups and the patients without a group add up to
    Overall."""
    if by is not None:
        gser = data[by]
        glevels = [g for g in variable_levels(gser) if (gser == g).any()]
        masks = [(gser == g).to_numpy() for g in glevels]
        gnames = [lab.level(by, g) for g in glevels]
    else:
        masks, gnames = [], []
    has_overall = overall or by is None
    cols = gnames + (["Overall"] if has_overall else [])
    col_masks = masks + ([np.ones(len(data), bool)] if has_overall else [])
    sizes = np.array([m.sum() for m in col_masks], dtype=float)
    if by is not None:
        n_no_group = float(data[by].isna().sum())
        kinds = suppress_vector(
            np.r_[sizes[: len(gnames)], n_no_group], policy, total_published=has_overall
        )[: len(gnames)]
        size_kind = np.concatenate([kinds, np.zeros(len(cols) - len(gnames), np.int8)])
    else:
        size_kind = np.zeros(len(cols), np.int8)
    return _Columns(cols, gnames, col_masks, has_overall, sizes, size_kind)


def _n_row(columns: _Columns, policy: SuppressionPolicy) -> dict[str, str]:
    """The first row: each column's number of patients."""
    n_row = {"variable": "n", "level": ""}
    for c, n, k in zip(columns.names, columns.sizes, columns.size_kind, strict=True):
        n_row[c] = format_count(n, k, policy)
    n_row.update({"p": "", "test": "", "SMD": ""})
    return n_row


def _row(variable: str, level: str, cells: Mapping[str, str], **test: str) -> dict[str, str]:
    """A table row: its variable and level texts, the column cells, then p, test and SMD
    (blank unless given)."""
    return {
        "variable": variable,
        "level": level,
        **cells,
        "p": test.get("p", ""),
        "test": test.get("test", ""),
        "SMD": test.get("SMD", ""),
    }


def _categorical_block(var: str, s: pd.Series, columns: _Columns, opts: _Options) -> _Block:
    """A categorical variable: a header row with the test, n (%) of the non-missing values
    per level, and a Missing row with n (%) of all rows when any value is missing."""
    levels = variable_levels(s)
    if not opts.empty_levels:
        levels = [lev for lev in levels if bool((s == lev).any())]
    masks, cols, n_groups = columns.masks, columns.names, columns.n_groups
    counts = np.array(
        [[int(((s == lev) & m).sum()) for m in masks] for lev in levels], dtype=float
    ).reshape(len(levels), len(cols))
    miss = np.array([int((s.isna() & m).sum()) for m in masks], dtype=float)
    full = np.vstack([counts, miss[None, :]]) if miss.any() else counts
    kind = _table_kinds(
        full,
        opts.policy,
        n_groups,
        columns.has_overall,
        columns.size_kind == 0,
        n_levels=len(levels),
    )
    test, stat, p, smd = "", float("nan"), float("nan"), float("nan")
    if n_groups >= 2:
        test, stat, p = _categorical_test(counts[:, :n_groups], var in opts.exact)
        smd = smd_categorical(counts[:, :n_groups])
    label = opts.lab.variable(var)
    rows = [_row(label, "", dict.fromkeys(cols, ""), p=format_p(p), test=test, SMD=_fmt(smd, 3))]
    # a percentage of a published count reveals its denominator: none is printed in a
    # column where a level, the missing count or the group size is masked
    pct_ok = ~(kind > 0).any(axis=0) & (columns.size_kind == 0)
    statistics: list[dict[str, Any]] = []
    nonmiss = counts.sum(axis=0)
    count_rows = [
        (opts.lab.level(var, lev), level_text(lev), counts[i], nonmiss, kind[i])
        for i, lev in enumerate(levels)
    ]
    if miss.any():
        count_rows.append(("Missing", "Missing", miss, columns.sizes, kind[-1]))
    for shown, level, n, denominator, row_kind in count_rows:
        cells = {}
        for j, c in enumerate(cols):
            pct = 100.0 * n[j] / denominator[j] if denominator[j] else float("nan")
            cells[c] = _count_pct(
                n[j], pct if pct_ok[j] else None, row_kind[j], opts.policy, opts.dec
            )
            statistics.append(
                {"variable": var, "level": level, "group": c, "n": int(n[j]), "percent": pct}
            )
        rows.append(_row(label, shown, cells))
    return _Block(rows, statistics, _test_record(var, test, stat, p, smd))


def _test_record(var: str, test: str, stat: float, p: float, smd: float) -> dict[str, object]:
    """One row of :attr:`TableOne.tests`."""
    return {"variable": var, "test": test, "statistic": stat, "p": p, "smd": smd}


def _continuous_block(var: str, s: pd.Series, columns: _Columns, opts: _Options) -> _Block:
    """A continuous variable: mean (SD) or median [IQR] per column with the test, and a
    Missing row with n (%) of all rows when any value is missing."""
    x = pd.to_numeric(s, errors="coerce").astype(float)
    vals = [x[m].dropna().to_numpy() for m in columns.masks]
    miss = np.array([float(x[m].isna().sum()) for m in columns.masks])
    is_nn = var in opts.nonnormal
    statistics = [
        _continuous_statistics(var, c, v, int(miss[j]))
        for j, (c, v) in enumerate(zip(columns.names, vals, strict=True))
    ]
    cells = {
        c: _continuous_cell(rec, columns.size_kind[j], is_nn, opts)
        for j, (c, rec) in enumerate(zip(columns.names, statistics, strict=True))
    }
    test, stat, p, smd = _continuous_test(vals[: columns.n_groups], is_nn)
    stat_label = "median [IQR]" if is_nn else "mean (SD)"
    unit = _UNITS.get(opts.lab.units.get(var, ""), opts.lab.units.get(var, ""))
    if unit:
        stat_label = f"{unit}, {stat_label}"
    variable = f"{opts.lab.variable(var)}, {stat_label}"
    rows = [_row(variable, "", cells, p=format_p(p), test=test, SMD=_fmt(smd, 3))]
    if miss.any():
        rows.append(_row(variable, "Missing", _continuous_missing_cells(miss, columns, opts)))
    return _Block(rows, statistics, _test_record(var, test, stat, p, smd))


def _continuous_statistics(var: str, group: str, v: np.ndarray, missing: int) -> dict[str, Any]:
    """One column's record of :attr:`TableOne.statistics` for a continuous variable."""
    return {
        "variable": var,
        "level": "",
        "group": group,
        "n": int(v.size),
        "mean": _safe(np.mean, v),
        "sd": _safe(lambda a: np.std(a, ddof=1), v, 2),
        "median": _safe(np.median, v),
        "q1": _safe(lambda a: np.quantile(a, 0.25), v),
        "q3": _safe(lambda a: np.quantile(a, 0.75), v),
        "missing": missing,
    }


def _continuous_cell(rec: Mapping[str, Any], size_kind: int, is_nn: bool, opts: _Options) -> str:
    """The published summary of one column: blank when empty, masked when the column size
    is masked or the summary rests on fewer patients than the rate threshold."""
    policy, dec = opts.policy, opts.dec
    if size_kind == PRIMARY or rec["n"] == 0:
        return "" if rec["n"] == 0 else policy.complementary_marker
    if policy.enabled and rec["n"] < policy.rate_threshold:
        # a mean, SD, median or quartile of one or two patients is their values
        return policy.primary_marker
    if is_nn:
        return f"{_fmt(rec['median'], dec)} [{_fmt(rec['q1'], dec)}, {_fmt(rec['q3'], dec)}]"
    return f"{_fmt(rec['mean'], dec)} ({_fmt(rec['sd'], dec)})"


def _continuous_test(groups_v: list[np.ndarray], is_nn: bool) -> tuple[str, float, float, float]:
    """(test name, statistic, p, SMD) across the groups: Kruskal-Wallis for median [IQR]
    variables, Welch's test for mean (SD) ones; blank with fewer than two non-empty groups."""
    test, stat, p, smd = "", float("nan"), float("nan"), float("nan")
    if len(groups_v) >= 2 and sum(g.size > 0 for g in groups_v) >= 2:
        usable = [g for g in groups_v if g.size > 0]
        if is_nn:
            if np.ptp(np.concatenate(usable)) > 0:
                res = stats.kruskal(*usable)
                test, stat, p = "Kruskal-Wallis", float(res.statistic), float(res.pvalue)
        elif all(g.size >= 2 for g in usable):
            # statsmodels' Welch ANOVA (F = t² for two groups, as R's oneway.test);
            # scipy's f_oneway(equal_var=False) needs scipy >= 1.16 (Python >= 3.11)
            res = anova_oneway(usable, use_var="unequal", welch_correction=True)
            test = "Welch t-test" if len(usable) == 2 else "Welch ANOVA"
            stat, p = float(res.statistic), float(res.pvalue)
        smd = smd_continuous(groups_v)
    return test, stat, p, smd


def _continuous_missing_cells(
    miss: np.ndarray, columns: _Columns, opts: _Options
) -> dict[str, str]:
    """The Missing row of a continuous variable: n (%) of all rows per column, the group
    cells suppressed against Overall and Overall on its own."""
    policy, gnames, has_overall = opts.policy, columns.groups, columns.has_overall
    kind = suppress_vector(
        miss[: len(gnames)] if gnames else miss,
        policy,
        total_published=has_overall and bool(gnames),
    )
    if gnames and has_overall:
        kind = np.concatenate([kind, suppress_vector(miss[-1:], policy, total_published=False)])
    cells = {}
    for j, c in enumerate(columns.names):
        sizes = columns.sizes
        pct = 100.0 * miss[j] / sizes[j] if sizes[j] else float("nan")
        cells[c] = _count_pct(
            miss[j], pct if columns.size_kind[j] == 0 else None, kind[j], policy, opts.dec
        )
    return cells


def _missing_group_rows(data: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """The excluded rows: those whose group is missing (kept in Overall only)."""
    if by is None or not data[by].isna().any():
        return empty_excluded()
    miss = data.index[data[by].isna().to_numpy()]
    return pd.DataFrame(
        {
            "index": miss,
            "column": by,
            "value": None,
            "reason": "missing group (kept in Overall only)",
        }
    )


def _table_kinds(
    full: np.ndarray,
    policy: SuppressionPolicy,
    n_groups: int,
    has_overall: bool,
    col_published: np.ndarray,
    n_levels: int,
) -> np.ndarray:
    """Suppression kinds of a levels (+ Missing) x columns count block.

    Columns add up to the group sizes (published unless masked); the level rows of a column
    (without Missing) add up to the non-missing count, which any published percentage reveals;
    the group columns of a row add up to its Overall cell when an Overall column is shown.
    """
    n_rows, n_cols = full.shape
    idx = np.arange(n_rows * n_cols).reshape(n_rows, n_cols)
    constraints = [idx[:, j] for j in range(n_cols) if col_published[j] and n_rows > 1]
    if n_rows > n_levels > 1:
        constraints += [idx[:n_levels, j] for j in range(n_cols)]
    if has_overall and n_groups >= 2:
        constraints += [idx[i, :] for i in range(n_rows)]
    return suppress_matrix(
        full, policy, row_totals=False, col_totals=False, extra_constraints=constraints
    )


def _count_pct(n: float, pct: float | None, kind: int, policy: SuppressionPolicy, dec: int) -> str:
    text = format_count(n, kind, policy)
    if kind or pct is None:
        return text
    return f"{text} ({_fmt(pct, dec)})"


def _fmt(value: float, dec: int) -> str:
    if value is None or not np.isfinite(value):
        return ""
    return f"{value:.{dec}f}"


def _safe(fn, values: np.ndarray, min_n: int = 1) -> float:
    return float(fn(values)) if values.size >= min_n else float("nan")
