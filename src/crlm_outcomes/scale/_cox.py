"""Cox regression on DuckDB, Dask (or any in-memory frame) without loading the rows.

:func:`crlm_outcomes.cox` dispatches here when ``data`` is a DuckDB relation, the path of a
Parquet/CSV dataset or a ``dask.dataframe.DataFrame``. The fit is R's ``coxph`` Newton–Raphson
(the same loop as in memory, :func:`crlm_outcomes.survival._cox_engine.newton_loop`); each
iteration is one aggregation where the data live: per (stratum, distinct time), the sums of
``w exp(eta)``, ``w exp(eta) x`` and ``w exp(eta) x x'`` over all rows and over the event rows
(:mod:`crlm_outcomes.scale._cox_sums`). Before the iterations, one pass validates the survival
columns (the same errors as in memory), one computes the centring and R's column scaling.

Supported: Efron and Breslow ties, strata, case weights, counting-process ``(entry, stop]``
data (a second per-entry-time aggregation), formulas whose terms are numeric columns or
categorical columns (string, boolean, or wrapped in ``C()``; treatment contrasts, first level the
reference). Transforms that need the whole data (splines, ``center``), arithmetic terms and
interactions are refused with a clear error: load the rows, or add the derived column to the
dataset.

The robust (sandwich) and cluster variance (``robust=True``, ``cluster=``, and by default with
non-integer case weights, as R) take one more pass over the rows per ``beta`` needed (the fit,
and ``beta = 0`` for the robust score test): the converged fit's per-(stratum, event time)
arrays (:mod:`crlm_outcomes.scale._cox_robust`) go back to the engine (a DuckDB ASOF join, or
``np.searchsorted`` in each Dask partition), which sums each row's weighted score residual per
cluster (``GROUP BY`` cluster; per row without one) and then the ``p x p`` outer products.

Not available, by design rather than silently: everything on
:class:`~crlm_outcomes.survival.cox.CoxResult` that needs the rows (``state`` is ``None``:
residuals, concordance, ``cox.zph``, predictions, baseline hazard, ``anova`` and partial effects
raise :class:`~crlm_outcomes.errors.SpecError`). The table, tests, variance (model-based or
robust), log-likelihood, ``n``, ``n_event`` and ``excluded`` are those of the in-memory fit
(to rounding error).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes.errors import (
    DataQualityWarning,
    EstimationError,
    FormulaError,
    SpecError,
    SurvivalDataError,
)
from crlm_outcomes.scale._cox_robust import (
    ScoreTimes,
    meat_of,
    outer_sums,
    robust_score_test,
    sandwich,
    score_table,
    score_times,
    weighted_residuals,
)
from crlm_outcomes.scale._cox_sums import (
    EVENT,
    TIME,
    _pairs,
    entry_columns,
    frame_sums,
    split_events,
)
from crlm_outcomes.scale.aggregate import (
    N_COLUMN,
    Aggregate,
    aggregate,
    duckdb_source,
    engine_of,
)
from crlm_outcomes.scale.aggregate import quote_identifier as _quote
from crlm_outcomes.survival._inputs import as_column_list

__all__ = ["Covariate", "cox_external", "covariates_of", "EngineSums"]


@dataclass(frozen=True)
class Covariate:
    """One design column: a numeric variable (``level`` ``None``) or the indicator of a level."""

    name: str
    var: str
    level: Any = None


# --------------------------------------------------------------------------- design
_NUMERIC_SQL = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
    "REAL",
    "BOOLEAN",
)


def _plain_var(expr: str, columns: Sequence[str]) -> tuple[str, bool] | None:
    """``(variable, wrapped in C())`` for a term that is a column or ``C(column)``."""
    text = expr.strip()
    if text in columns:
        return text, False
    if text.startswith("C(") and text.endswith(")") and text[2:-1].strip() in columns:
        return text[2:-1].strip(), True
    if text.startswith("`") and text.endswith("`") and text[1:-1] in columns:
        return text[1:-1], False
    return None


def covariates_of(
    formula: str, columns: Sequence[str], numeric: dict[str, bool], levels_of: Any
) -> tuple[list[Covariate], dict[str, list[Any]]]:
    """The design columns of ``formula`` as numeric variables and level indicators.

    ``numeric[var]`` says whether a column is plain numeric; ``levels_of(var)`` returns the
    sorted distinct values of a categorical column among the rows used. The column names and
    order are formulaic's, as in memory (the design is built on a small frame holding every
    level).

    Examples
    --------
    >>> covs, levels = covariates_of("age + C(sex)", ["age", "sex"], {"age": True,
    ...                              "sex": False}, lambda v: ["F", "M"])
    >>> [(c.name, c.var, c.level) for c in covs]
    [('age', 'age', None), ('C(sex)[T.M]', 'sex', 'M')]
    """
    from crlm_outcomes.formula.checks import check_formula
    from crlm_outcomes.formula.design import build_design, formulaic_formula

    cols = [str(c) for c in columns]
    checked = check_formula(formula, cols)
    parsed = formulaic_formula(checked, cols)
    terms = [t for t in parsed if str(t) != "1"]
    kinds: dict[str, bool] = {}
    for t in terms:
        plain = _plain_var(str(t.factors[0].expr), cols) if len(t.factors) == 1 else None
        if plain is None:
            raise SpecError(
                "on a DuckDB or Dask input the Cox formula takes columns and C(column) "
                "terms only (splines, transforms, arithmetic and interactions need "
                "the rows: add the derived column to the dataset, or load the rows)",
                column=str(t),
                expected="e.g. 'age + C(stage) + cea'",
            )
        var, wrapped = plain
        kinds[var] = kinds.get(var, False) or wrapped or not numeric[var]
    variables = [c for c in cols if c in kinds]
    levels = {v: list(levels_of(v)) for v in variables if kinds[v]}
    size = max([2, *[len(lv) for lv in levels.values()]])
    proto = {}
    for v in variables:
        if kinds[v]:
            lv = levels[v] or [None]
            proto[v] = pd.Series([lv[i % len(lv)] for i in range(size)])
        else:
            proto[v] = pd.Series(np.arange(1.0, size + 1.0))
    design = build_design(formula, pd.DataFrame(proto))
    out: list[Covariate | None] = [None] * len(design.columns)
    for t in terms:
        var, _ = _plain_var(str(t.factors[0].expr), cols)  # type: ignore[misc]
        idx = design.term_columns[str(t)]
        if not kinds[var]:
            out[idx[0]] = Covariate(design.columns[idx[0]], var)
            continue
        lv = levels[var][1:]
        if len(idx) != len(lv) or any(
            not design.columns[i].endswith(f"[T.{v}]") for i, v in zip(idx, lv, strict=False)
        ):
            raise FormulaError(
                "unexpected coding of a categorical term",
                column=str(t),
                value=[design.columns[i] for i in idx],
                expected=f"treatment contrasts against {levels[var][0]!r}",
            )
        for i, level in zip(idx, lv, strict=True):
            out[i] = Covariate(design.columns[i], var, level)
    return [c for c in out if c is not None], levels


# --------------------------------------------------------------------------- engines
def _sql_literal(v: Any) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    return "'" + str(v).replace("'", "''") + "'"


def _sql_raw(c: Covariate) -> str:
    if c.level is None:
        return f"CAST({_quote(c.var)} AS DOUBLE)"
    return f"(CASE WHEN {_quote(c.var)} = {_sql_literal(c.level)} THEN 1.0 ELSE 0.0 END)"


def _frame_raw(frame: pd.DataFrame, covs: Sequence[Covariate]) -> np.ndarray:
    out = np.empty((len(frame), len(covs)))
    for j, c in enumerate(covs):
        s = frame[c.var]
        if c.level is None:
            out[:, j] = pd.to_numeric(s).to_numpy(dtype=np.float64)
        else:
            out[:, j] = (s == c.level).to_numpy(dtype=bool, na_value=False)
    return out


@dataclass(frozen=True)
class Query:
    """What every pass needs: the used columns and the roles of the survival columns."""

    used: list[str]
    keys: list[str]
    duration: str
    event: str
    weights: str | None
    entry: str | None


class EngineSums:
    """The passes of a Cox fit over a DuckDB, Dask or pandas input (see the module docstring).

    Parameters
    ----------
    data
        DuckDB relation, Parquet/CSV dataset path, dask DataFrame or pandas DataFrame.
    memory_limit
        DuckDB's memory limit (it spills to disk beyond).
    """

    def __init__(self, data: Any, memory_limit: str | None = "1GB") -> None:
        self.engine = engine_of(data)
        self.data = data
        if self.engine == "duckdb":
            import duckdb

            self.con = duckdb.connect()
            if memory_limit:
                self.con.execute(f"SET memory_limit = '{memory_limit}'")
            self.src = duckdb_source(self.con, data)
            self.columns = [str(c) for c in self.src.columns]
        elif self.engine in ("dask", "pandas"):
            self.columns = [str(c) for c in data.columns]
        else:
            raise SpecError(
                "Cox by sums needs rows with covariates: a DuckDB relation or "
                "dataset, a dask or pandas DataFrame",
                value=self.engine,
            )

    # -- schema ------------------------------------------------------------------------------
    def numeric(self) -> dict[str, bool]:
        """Whether each column is coded as a number (numeric or boolean, as formulaic does)
        rather than as a categorical variable (strings, pandas categoricals)."""
        if self.engine == "duckdb":
            return {
                str(c): str(t).upper().split("(")[0] in _NUMERIC_SQL
                for c, t in zip(self.src.columns, self.src.types, strict=True)
            }
        return {
            str(c): pd.api.types.is_numeric_dtype(t) and not isinstance(t, pd.CategoricalDtype)
            for c, t in self.data.dtypes.items()
        }

    def _where(self, q: Query) -> str:
        return " AND ".join(f"{_quote(c)} IS NOT NULL" for c in q.used)

    def _kept(self, part: pd.DataFrame, q: Query) -> pd.DataFrame:
        return part.loc[part[q.used].notna().all(axis=1).to_numpy()]

    def _map(self, fn: Any, *args: Any) -> list[Any]:
        """``fn(complete rows of each partition, *args)`` for every partition."""
        if self.engine == "pandas":
            return [fn(self.data, *args)]
        import dask

        parts = [dask.delayed(fn)(p, *args) for p in self.data.to_delayed()]
        return list(dask.compute(*parts))

    def levels(self, var: str, q: Query) -> list[Any]:
        """Sorted distinct values of ``var`` among the complete rows (the in-memory levels)."""
        if self.engine == "duckdb":
            got = self.src.query(
                "r", f"SELECT DISTINCT {_quote(var)} AS v FROM r WHERE {self._where(q)}"
            ).fetchall()
            vals = [row[0] for row in got]
        else:
            parts = self._map(_distinct, var, q)
            vals = list({v for part in parts for v in part})
        s = self.data[var] if self.engine == "pandas" else None
        if s is not None and isinstance(s.dtype, pd.CategoricalDtype):
            return list(s.cat.categories)
        if self.engine == "dask" and isinstance(self.data[var].dtype, pd.CategoricalDtype):
            cats = self.data[var].dtype.categories
            if len(cats):  # known categories keep their order
                return list(cats)
        return sorted(vals)

    # -- passes --------------------------------------------------------------------------------
    def totals(self, covs: Sequence[Covariate], q: Query) -> dict[str, Any]:
        """Rows, sum of weights, weighted and plain covariate sums, the least weight, whether
        each column has a value outside {-1, 0, 1}, and non-finite covariate counts."""
        p = len(covs)
        if self.engine == "duckdb":
            w = f"CAST({_quote(q.weights)} AS DOUBLE)" if q.weights else "1.0"
            xs = [_sql_raw(c) for c in covs]
            parts = [
                "count(*)",
                f"sum({w})",
                f"min({w})",
                f"count(*) FILTER (WHERE NOT isfinite({w}))",
            ]
            parts += [f"sum({w} * {x})" for x in xs] + [f"sum({x})" for x in xs]
            parts += [f"count(*) FILTER (WHERE {x} NOT IN (-1.0, 0.0, 1.0))" for x in xs]
            parts += [f"count(*) FILTER (WHERE NOT isfinite({x}))" for x in xs]
            row = self.src.query(
                "r", f"SELECT {', '.join(parts)} FROM r WHERE {self._where(q)}"
            ).fetchall()[0]
            vals = [0.0 if v is None else float(v) for v in row]
            vals[2] = math.inf if row[2] is None else float(row[2])
        else:
            arrs = self._map(_totals_part, covs, q)
            stacked = np.array(arrs)
            vals = list(stacked.sum(axis=0))
            vals[2] = float(stacked[:, 2].min()) if len(arrs) else math.inf
        return {
            "n": int(vals[0]),
            "sw": vals[1],
            "wmin": vals[2],
            "wbad": int(vals[3]),
            "swx": np.array(vals[4 : 4 + p]),
            "sx": np.array(vals[4 + p : 4 + 2 * p]),
            "not01": np.array(vals[4 + 2 * p : 4 + 3 * p]) > 0,
            "xbad": np.array(vals[4 + 3 * p : 4 + 4 * p]) > 0,
        }

    def absdev(self, covs: Sequence[Covariate], center: np.ndarray, q: Query) -> np.ndarray:
        """``sum w |x - center|`` per column (R's scaling for the rank rule)."""
        if self.engine == "duckdb":
            w = f"CAST({_quote(q.weights)} AS DOUBLE)" if q.weights else "1.0"
            parts = [
                f"sum({w} * abs({_sql_raw(c)} - {_sql_literal(float(m))}))"
                for c, m in zip(covs, center, strict=True)
            ]
            row = self.src.query(
                "r", f"SELECT {', '.join(parts)} FROM r WHERE {self._where(q)}"
            ).fetchall()[0]
            return np.array([0.0 if v is None else float(v) for v in row])
        return np.sum(self._map(_absdev_part, covs, center, q), axis=0)

    def sums(
        self, covs: Sequence[Covariate], center: np.ndarray, beta: np.ndarray, q: Query
    ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """Per-(strata, exit time) sums and, with an entry column, per-(strata, entry time)."""
        if self.engine == "duckdb":
            stop = split_events(
                self._sql_sums(covs, center, beta, q, q.duration, with_events=True),
                q.keys,
                len(covs),
            )
            entry = (
                self._sql_sums(covs, center, beta, q, q.entry, with_events=False)
                if q.entry
                else None
            )
            return stop, entry
        got = self._map(_sums_part, covs, center, beta, q)
        stop = split_events(pd.concat([g[0] for g in got], ignore_index=True), q.keys, len(covs))
        entry = pd.concat([g[1] for g in got], ignore_index=True) if q.entry else None
        return stop, entry

    def _sql_sums(
        self,
        covs: Sequence[Covariate],
        center: np.ndarray,
        beta: np.ndarray,
        q: Query,
        time: str,
        with_events: bool,
    ) -> pd.DataFrame:
        """One ``GROUP BY`` (strata, time[, event]) with plain sums (``FILTER`` clauses were
        five times slower); :func:`~crlm_outcomes.scale._cox_sums.split_events` then separates
        the event rows' sums."""
        p = len(covs)
        w = f"CAST({_quote(q.weights)} AS DOUBLE)" if q.weights else "1.0"
        xdef = ", ".join(
            f"{_sql_raw(c)} - {_sql_literal(float(m))} AS __x{j}"
            for j, (c, m) in enumerate(zip(covs, center, strict=True))
        )
        eta = (
            " + ".join(f"{_sql_literal(float(b))} * __x{j}" for j, b in enumerate(beta) if b != 0)
            or "0.0"
        )
        keys = "".join(f"{_quote(k)}, " for k in q.keys)
        ev = f", CAST({_quote(q.event)} AS DOUBLE) > 0 AS {EVENT}" if with_events else ""
        base = (
            f"SELECT {keys}CAST({_quote(time)} AS DOUBLE) AS {TIME}{ev}, {w} AS __w"
            + (f", {xdef}" if p else "")
            + f" FROM r WHERE {self._where(q)}"
        )
        aggs = ["CAST(count(*) AS DOUBLE) AS n", "sum(__w) AS sw"] if with_events else []
        for name in entry_columns(p):
            idx = [int(i) for i in name.split("_")[1:]]
            aggs.append(f"sum(__rr{''.join(f' * __x{i}' for i in idx)}) AS {name}")
        sql = (
            f"WITH b AS ({base}), rr AS (SELECT *, __w * exp({eta}) AS __rr FROM b) "
            f"SELECT {keys}{TIME}{', ' + EVENT if with_events else ''}, {', '.join(aggs)} "
            "FROM rr GROUP BY ALL"
        )
        return self.src.query("r", sql).df()

    # -- the robust variance: one more pass ---------------------------------------------------
    def meat(
        self,
        covs: Sequence[Covariate],
        center: np.ndarray,
        beta: np.ndarray,
        q: Query,
        sc: ScoreTimes,
        cluster: str | None,
        ceil_time: bool = False,
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(sum_c U_c U_c', sum_i w_i U_i)`` at ``beta`` from the per-time arrays ``sc``
        (:mod:`crlm_outcomes.scale._cox_robust`): per row, or per value of ``cluster``.
        ``ceil_time`` rounds exit times up to whole months (as the federated sums do)."""
        p = len(covs)
        if self.engine == "duckdb":
            row = self._sql_meat(covs, center, beta, q, sc, cluster, ceil_time)
            vals = np.array([0.0 if v is None else float(v) for v in row])
            meat = np.zeros((p, p))
            for i, (j, k) in enumerate(_pairs(p)):
                meat[j, k] = meat[k, j] = vals[i]
            return meat, vals[len(_pairs(p)) :]
        if cluster is None or self.engine == "pandas":
            got = self._map(_meat_part, covs, center, beta, q, sc, cluster, ceil_time)
            return np.sum([g[0] for g in got], axis=0), np.sum([g[1] for g in got], axis=0)
        # Dask with clusters: per-row w U, a groupby-sum per cluster, then the outer products
        ucols = {f"__u{j}": pd.Series([], dtype=np.float64) for j in range(p)}
        meta = pd.DataFrame({"__c": pd.Series([], dtype=self.data.dtypes[cluster]), **ucols})
        uf = self.data.map_partitions(
            _wu_part, covs, center, beta, q, sc, cluster, ceil_time, meta=meta
        )
        grouped = uf.groupby("__c").sum()
        ometa = outer_sums(pd.DataFrame(ucols), p).iloc[:0]
        tot = grouped.map_partitions(outer_sums, p, meta=ometa).sum().compute()
        meat = np.array([[tot[f"o_{j}_{k}"] for k in range(p)] for j in range(p)])
        return meat.reshape(p, p), np.array([tot[f"s_{j}"] for j in range(p)])

    def _sql_meat(
        self,
        covs: Sequence[Covariate],
        center: np.ndarray,
        beta: np.ndarray,
        q: Query,
        sc: ScoreTimes,
        cluster: str | None,
        ceil_time: bool,
    ) -> tuple[Any, ...]:
        """The residuals by ASOF joins of the rows on the per-time table (exit time, and
        entry time for counting-process rows), summed per cluster, then the products."""
        p = len(covs)
        crlm_score_times_ = score_table(sc)  # noqa: F841 (read by the replacement scan)
        tab = "crlm_score_times_"
        w = f"CAST({_quote(q.weights)} AS DOUBLE)" if q.weights else "1.0"
        xdef = "".join(
            f", {_sql_raw(c)} - {_sql_literal(float(m))} AS __x{j}"
            for j, (c, m) in enumerate(zip(covs, center, strict=True))
        )
        eta = (
            " + ".join(f"{_sql_literal(float(b))} * __x{j}" for j, b in enumerate(beta) if b != 0)
            or "0.0"
        )
        keys = "".join(f"{_quote(k)}, " for k in q.keys)
        t = f"CAST({_quote(q.duration)} AS DOUBLE)"
        t = f"ceil({t})" if ceil_time else t
        ent = f", CAST({_quote(q.entry)} AS DOUBLE) AS __en" if q.entry else ""
        clu = f", {_quote(cluster)} AS __c" if cluster else ""
        base = (
            f"SELECT {keys}{t} AS {TIME}{ent}, CAST({_quote(q.event)} AS DOUBLE) > 0 AS __ev, "
            f"{w} AS __w{xdef}{clu} FROM r WHERE {self._where(q)}"
        )

        def asof(left: str, col: str, alias: str, picks: list[tuple[str, str]]) -> str:
            on = "".join(f"{left}.{_quote(k)} = {alias}.{_quote(k)} AND " for k in q.keys)
            got = ", ".join(f"{alias}.{a} AS {b}" for a, b in picks)
            return (
                f"SELECT {left}.*, {got} FROM {left} ASOF LEFT JOIN {tab} AS {alias} "
                f"ON {on}{left}.{col} >= {alias}.{TIME}"
            )

        exit_picks = [("__h", "__ht"), ("__g", "__g")]
        exit_picks += [(f"__m{j}", f"__mt{j}") for j in range(p)]
        exit_picks += [(f"__gm{j}", f"__gm{j}") for j in range(p)]
        exit_picks += [(f"__mb{j}", f"__mb{j}") for j in range(p)]
        ctes = [f"b AS ({base})", f"s AS (SELECT *, exp({eta}) AS __s FROM b)"]
        ctes.append(f"j1 AS ({asof('s', TIME, 't1', exit_picks)})")
        last = "j1"
        if q.entry:
            picks = [("__h", "__he"), *[(f"__m{j}", f"__me{j}") for j in range(p)]]
            ctes.append(f"j2 AS ({asof('j1', '__en', 't2', picks)})")
            last = "j2"
        h = "coalesce(__ht, 0.0)" + (" - coalesce(__he, 0.0)" if q.entry else "")
        us = []
        for j in range(p):
            mj = f"coalesce(__mt{j}, 0.0)" + (f" - coalesce(__me{j}, 0.0)" if q.entry else "")
            own = f"__x{j} - __mb{j} + __s * (__x{j} * __g - __gm{j})"
            us.append(
                f"__w * ((CASE WHEN __ev THEN {own} ELSE 0.0 END) "
                f"- __s * (__x{j} * ({h}) - ({mj}))) AS __u{j}"
            )
        ctes.append(f"u AS (SELECT {'__c, ' if cluster else ''}{', '.join(us)} FROM {last})")
        src = "u"
        if cluster:
            sums = ", ".join(f"sum(__u{j}) AS __u{j}" for j in range(p))
            ctes.append(f"c AS (SELECT {sums} FROM u GROUP BY __c)")
            src = "c"
        aggs = [f"sum(__u{j} * __u{k})" for j, k in _pairs(p)]
        aggs += [f"sum(__u{j})" for j in range(p)]
        sql = f"WITH {', '.join(ctes)} SELECT {', '.join(aggs)} FROM {src}"
        return tuple(self.src.query("r", sql).fetchall()[0])


def _distinct(part: pd.DataFrame, var: str, q: Query) -> list[Any]:
    kept = part.loc[part[q.used].notna().all(axis=1).to_numpy(), var]
    return pd.unique(kept).tolist()


def _weights(part: pd.DataFrame, q: Query) -> np.ndarray:
    if q.weights is None:
        return np.ones(len(part))
    return pd.to_numeric(part[q.weights]).to_numpy(dtype=np.float64)


def _totals_part(part: pd.DataFrame, covs: Sequence[Covariate], q: Query) -> list[float]:
    kept = part.loc[part[q.used].notna().all(axis=1).to_numpy()]
    x = _frame_raw(kept, covs)
    w = _weights(kept, q)
    with np.errstate(invalid="ignore"):
        not01 = ((x != 0) & (x != 1) & (x != -1)).sum(axis=0)
    return [
        float(len(kept)),
        float(w.sum()),
        float(w.min()) if w.size else math.inf,
        float((~np.isfinite(w)).sum()),
        *(w @ x),
        *x.sum(axis=0),
        *not01,
        *(~np.isfinite(x)).sum(axis=0),
    ]


def _absdev_part(
    part: pd.DataFrame, covs: Sequence[Covariate], center: np.ndarray, q: Query
) -> np.ndarray:
    kept = part.loc[part[q.used].notna().all(axis=1).to_numpy()]
    return _weights(kept, q) @ np.abs(_frame_raw(kept, covs) - center)


def _sums_part(
    part: pd.DataFrame, covs: Sequence[Covariate], center: np.ndarray, beta: np.ndarray, q: Query
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    kept = part.loc[part[q.used].notna().all(axis=1).to_numpy()]
    x = _frame_raw(kept, covs) - center
    w = _weights(kept, q)
    stop = frame_sums(kept, q.keys, q.duration, q.event, x, w, beta)
    entry = frame_sums(kept, q.keys, q.entry, None, x, w, beta) if q.entry else None
    return stop, entry


def _residual_rows(
    part: pd.DataFrame,
    covs: Sequence[Covariate],
    center: np.ndarray,
    beta: np.ndarray,
    q: Query,
    sc: ScoreTimes,
    ceil_time: bool,
) -> tuple[pd.DataFrame, np.ndarray]:
    kept = part.loc[part[q.used].notna().all(axis=1).to_numpy()]
    t = kept[q.duration].to_numpy(dtype=np.float64)
    wu = weighted_residuals(
        sc,
        kept[q.keys] if q.keys else None,
        np.ceil(t) if ceil_time else t,
        kept[q.entry].to_numpy(dtype=np.float64) if q.entry else None,
        kept[q.event].to_numpy(dtype=np.float64),
        _frame_raw(kept, covs) - center,
        _weights(kept, q),
        beta,
    )
    return kept, wu


def _meat_part(
    part: pd.DataFrame,
    covs: Sequence[Covariate],
    center: np.ndarray,
    beta: np.ndarray,
    q: Query,
    sc: ScoreTimes,
    cluster: str | None,
    ceil_time: bool,
) -> tuple[np.ndarray, np.ndarray]:
    kept, wu = _residual_rows(part, covs, center, beta, q, sc, ceil_time)
    return meat_of(wu, kept[cluster] if cluster else None)


def _wu_part(
    part: pd.DataFrame,
    covs: Sequence[Covariate],
    center: np.ndarray,
    beta: np.ndarray,
    q: Query,
    sc: ScoreTimes,
    cluster: str,
    ceil_time: bool,
) -> pd.DataFrame:
    kept, wu = _residual_rows(part, covs, center, beta, q, sc, ceil_time)
    cols = {f"__u{j}": wu[:, j] for j in range(wu.shape[1])}
    return pd.DataFrame({"__c": kept[cluster].reset_index(drop=True), **cols})


# --------------------------------------------------------------------------- the fit
def _time_map(agg: Aggregate, duration: str, entry: str | None) -> dict[float, float] | None:
    """R's ``aeqSurv`` on the distinct times: times closer than 1.5e-8 merged (as in memory)."""
    from crlm_outcomes.survival.cox import aeq_times

    t = agg.lines[duration].to_numpy(dtype=np.float64)
    e = None if entry is None else agg.lines[entry].to_numpy(dtype=np.float64)
    nt, ne = aeq_times(t, e)
    if nt is t and ne is e:
        return None
    old = np.concatenate([t, e]) if e is not None else t
    new = np.concatenate([nt, ne]) if ne is not None else nt
    if np.array_equal(old, new):
        return None
    return dict(zip(old.tolist(), new.tolist(), strict=True))


def _apply_time_map(
    frame: pd.DataFrame | None, mapping: dict[float, float] | None
) -> pd.DataFrame | None:
    if frame is None or mapping is None:
        return frame
    return frame.assign(**{TIME: frame[TIME].map(mapping).to_numpy(np.float64)})


def cox_external(
    data: Any,
    formula: str,
    duration: str,
    event: str,
    *,
    ties: str = "efron",
    strata: str | list[str] | None = None,
    weights: str | None = None,
    cluster: str | None = None,
    robust: bool | None = None,
    entry: str | None = None,
    conf_level: float = 0.95,
    memory_limit: str | None = "1GB",
) -> Any:
    """:func:`crlm_outcomes.cox` on a DuckDB/Dask input (see the module docstring).

    Returns
    -------
    CoxResult
        With ``state=None`` (no rows in memory); the variance is robust when ``robust`` (or R's
        default for it) says so, otherwise model-based.
    """
    from crlm_outcomes.survival.cox import cox_result

    back = EngineSums(data, memory_limit)
    q, numeric = _query_of(back, formula, duration, event, strata, weights, cluster, entry)
    agg, n_event = _survival_pass(data, q, strata, memory_limit)
    covs, levels = covariates_of(formula, back.columns, numeric, lambda v: back.levels(v, q))
    n, center, scale = _centring(back, covs, q)
    robust = _robust_default(back, q, robust, cluster)
    res, sums0 = _newton(back, covs, center, scale, q, _time_map(agg, duration, entry), ties)
    var = rscore = None
    if robust:
        var, rscore = _robust_variance(back, covs, center, q, res, sums0, ties == "efron", cluster)
    return cox_result(
        res,
        [c.name for c in covs],
        counting=entry is not None,
        conf_level=conf_level,
        ties=ties,
        n=n,
        n_event=n_event,
        excluded=agg.excluded,
        state=None,
        levels=levels,
        robust=bool(robust),
        var=var,
        rscore=rscore,
    )


def _query_of(
    back: EngineSums,
    formula: str,
    duration: str,
    event: str,
    strata: str | list[str] | None,
    weights: str | None,
    cluster: str | None,
    entry: str | None,
) -> tuple[Query, dict[str, bool]]:
    """The columns of the fit, checked against the dataset, and which are numeric."""
    from crlm_outcomes.formula.checks import check_formula

    numeric = back.numeric()
    keys = as_column_list(strata)
    roles = [*keys, *as_column_list(weights), *as_column_list(cluster), *as_column_list(entry)]
    for col in [duration, event, *roles]:
        if col not in numeric:
            raise SpecError(
                "column not found in the dataset",
                column=col,
                expected=f"one of {', '.join(list(numeric)[:12])}",
            )
    wanted = set(check_formula(formula, back.columns).variables)
    variables = [c for c in back.columns if c in wanted]
    used = list(dict.fromkeys([duration, event, *roles, *variables]))
    q = Query(used=used, keys=keys, duration=duration, event=event, weights=weights, entry=entry)
    return q, numeric


def _survival_pass(
    data: Any, q: Query, strata: str | list[str] | None, memory_limit: str | None
) -> tuple[Aggregate, int]:
    """Pass 1: the survival columns, validated as in memory, the rows excluded, the events."""
    from crlm_outcomes.scale.survival import lines_input

    entry = as_column_list(q.entry)
    agg = aggregate(
        data, q.used, keys=[*q.keys, *entry, q.duration, q.event], memory_limit=memory_limit
    )
    si = lines_input(agg, q.duration, q.event, strata=strata, entry=q.entry)
    counts = agg.lines[N_COLUMN].to_numpy(np.float64)
    n_event = int(counts[si.event > 0].sum())
    if n_event == 0:
        raise EstimationError(
            "no events in the rows used: a Cox model cannot be fitted "
            '(R: "Can\'t fit a Cox model with 0 failures")'
        )
    return agg, n_event


def _centring(
    back: EngineSums, covs: Sequence[Covariate], q: Query
) -> tuple[int, np.ndarray, np.ndarray]:
    """Passes 2 and 3: the rows, the weighted means (centring, R's nocenter rule for 0/1
    columns) and R's column scaling (used only by the rank rule)."""
    tot = back.totals(covs, q)
    if q.weights is not None and (tot["wbad"] or not tot["wmin"] > 0):
        raise SurvivalDataError(
            "weight is not a positive finite number",
            column=q.weights,
            value=tot["wmin"],
            expected="a weight > 0",
        )
    if tot["xbad"].any():
        raise SpecError(
            "data contains an infinite covariate value",
            column=covs[int(np.flatnonzero(tot["xbad"])[0])].name,
            expected="finite covariates",
        )
    zero_one = ~tot["not01"]
    center = tot["swx"] / tot["sw"]
    absdev = back.absdev(covs, center, q)
    scale = np.where(zero_one | (absdev <= 0), 1.0, tot["sw"] / np.where(absdev > 0, absdev, 1.0))
    return tot["n"], center, scale


def _robust_default(back: EngineSums, q: Query, robust: bool | None, cluster: str | None) -> bool:
    """R's default: robust with a cluster or non-integer case weights; a cluster with
    ``robust=False`` is ignored with a warning (as R and in memory)."""
    if robust is None:
        robust = cluster is not None or (q.weights is not None and _non_integer_weights(back, q))
    if cluster is not None and not robust:
        warnings.warn(
            "cluster specified with robust=False: cluster ignored (as R)",
            DataQualityWarning,
            stacklevel=4,
        )
    return bool(robust)


def _newton(
    back: EngineSums,
    covs: Sequence[Covariate],
    center: np.ndarray,
    scale: np.ndarray,
    q: Query,
    mapping: dict[float, float] | None,
    ties: str,
) -> tuple[Any, Any]:
    """R's Newton-Raphson, one aggregation per step; also the sums at ``beta = 0``."""
    from crlm_outcomes.scale._cox_sums import derivatives_from_sums, time_sums
    from crlm_outcomes.survival import _cox_engine as eng
    from crlm_outcomes.survival.cox import EPS, TOLER_CHOL

    p = len(covs)
    state: dict[str, Any] = {}

    def evaluate(beta: np.ndarray) -> Any:
        stop, ent = back.sums(covs, center, beta, q)
        ts = time_sums(_apply_time_map(stop, mapping), p, q.keys, _apply_time_map(ent, mapping))
        if "u_events" not in state:
            state["u_events"] = ts.e1.sum(axis=0) if not np.any(beta) else None
            state["sums0"] = ts
        u_events = state["u_events"]
        if u_events is None:
            raise EstimationError("the first evaluation must be at beta = 0")
        return derivatives_from_sums(ts, beta, u_events, ties == "efron")

    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        res = eng.newton_loop(
            evaluate, p, scale, counting=q.entry is not None, eps=EPS, toler_chol=TOLER_CHOL
        )
    return res, state["sums0"]


def _robust_variance(
    back: EngineSums,
    covs: Sequence[Covariate],
    center: np.ndarray,
    q: Query,
    res: Any,
    sums0: Any,
    efron: bool,
    cluster: str | None,
) -> tuple[np.ndarray, float]:
    """The sandwich variance at the fit and R's robust score test (residuals at ``beta = 0``):
    two more passes over the rows, each with the per-time arrays of one ``beta``."""
    from crlm_outcomes.survival.cox import TOLER_CHOL

    p = len(covs)
    sc = score_times(res.deriv.sums, efron, q.keys)
    meat, _ = back.meat(covs, center, res.beta, q, sc, cluster)
    meat0, u0 = back.meat(covs, center, np.zeros(p), q, score_times(sums0, efron, q.keys), cluster)
    return sandwich(res.var, meat), robust_score_test(meat0, u0, TOLER_CHOL)


def _non_integer_weights(back: EngineSums, q: Query) -> bool:
    """Whether any case weight is not a whole number (R then defaults to the robust variance)."""
    if back.engine == "duckdb":
        if q.weights is None:
            return False
        w = f"CAST({_quote(q.weights)} AS DOUBLE)"
        got = back.src.query(
            "r", f"SELECT count(*) FILTER (WHERE {w} <> floor({w})) FROM r WHERE {back._where(q)}"
        ).fetchall()[0][0]
        return bool(got)
    return bool(sum(back._map(_nonint_part, q)))


def _nonint_part(part: pd.DataFrame, q: Query) -> int:
    w = _weights(part.loc[part[q.used].notna().all(axis=1).to_numpy()], q)
    return int(np.count_nonzero(w != np.floor(w)))
