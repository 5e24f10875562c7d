"""A Cox model across sites by rounds of file exchange, without moving patient rows (WebDISCO).

The scheme is WebDISCO's (Lu C-L, Wang S, Ji Z, et al. WebDISCO: a web service for distributed
Cox model learning without patient-level data sharing. *J Am Med Inform Assoc* 2015;22(6):
1212–1219, section "Methods"): the partial likelihood of a Cox model depends on the rows only
through per-time sums (:mod:`crlm_outcomes.scale._cox_sums`), so a coordinator can run R's
Newton–Raphson (the same loop as in memory) while each site, at every round, returns its sums at
the coordinator's current ``beta``:

1. ``setup``: the site checks its survival columns (the same errors as in memory) and returns
   its row and event counts, the column types and the levels of categorical covariates;
2. ``totals``: the sums of weights and of weighted covariates (the coordinator centres the
   covariates on the pooled weighted means, as R does);
3. ``scale``: the weighted absolute deviations from the pooled means (R's scaling, used only by
   the rule that detects collinear columns);
4. ``sums`` (one round per Newton step): per stratum and month, the sums of ``w exp(eta)``,
   ``w exp(eta) x`` and ``w exp(eta) x x'`` over the patients leaving follow-up that month, the
   number of deaths and, where Efron's correction needs them, the same sums over the deaths.
5. ``meat`` (only with ``robust=True``, a ``cluster`` column, or non-integer case weights, whose
   R default is the robust variance): the coordinator sends the pooled per-(stratum, time)
   arrays of the final fit and of ``beta = 0`` (:mod:`crlm_outcomes.scale._cox_robust`); each
   site computes its patients' weighted score residuals from them and returns only the
   ``p x p`` matrices ``sum U U'`` (per patient, or per cluster with ``cluster=``) and the
   ``p`` sums at ``beta = 0``; the coordinator forms R's sandwich variance and robust score
   test. Clusters must nest within sites (all rows of a cluster at one site).

Every file starts with a plain-words description of what it holds. No file holds a patient
identifier, a date or a row-level value (the ``meat`` answer of a site with a single patient or
cluster would be that patient's residual products: review it before sending). Follow-up times are
whole months (rounded up) unless the sites agree to share exact times (``whole_months=False``); the
fitted model is then exactly the pooled Cox model *on whole-month times* (equal to
:func:`crlm_outcomes.cox` on all sites' rows with times rounded up to whole months, to rounding
error), stratified by site or not. Sums over few patients can still be informative (a month with
one patient leaving follow-up gives that patient's covariates weighted by ``exp(eta)``); each line
states its number of patients (``n``) so that the site can review the file before sending it, and
coarser times (months) make such lines rarer.
"""

from __future__ import annotations

import json
import time as _time
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes.errors import DataQualityWarning, EstimationError, InputError, SpecError
from crlm_outcomes.scale._cox import (
    Covariate,
    EngineSums,
    Query,
    _non_integer_weights,
    covariates_of,
)
from crlm_outcomes.scale._cox_robust import (
    robust_score_test,
    sandwich,
    score_table,
    score_times,
    table_score_times,
)
from crlm_outcomes.scale._cox_sums import TIME, entry_columns, sum_columns
from crlm_outcomes.scale.aggregate import N_COLUMN, aggregate
from crlm_outcomes.survival._inputs import as_column_list

__all__ = [
    "REQUEST_FORMAT",
    "RESPONSE_FORMAT",
    "site_respond",
    "federated_cox",
    "local_exchange",
    "folder_exchange",
]

REQUEST_FORMAT = "crlm_outcomes.cox_request/1"
RESPONSE_FORMAT = "crlm_outcomes.cox_sums/1"

_STEP_TEXT = {
    "setup": "the number of patients and deaths at the site, which columns are numbers, and "
    "the categories present in the categorical covariates",
    "totals": "the sum of the case weights and, for each covariate, the sum of the weighted "
    "values over all patients of the site (one number per covariate)",
    "scale": "for each covariate, the sum over all patients of the site of the weighted "
    "absolute distance to the pooled mean (one number per covariate)",
    "sums": "for each stratum and follow-up time, sums over the patients leaving follow-up "
    "then (n = how many) of w*exp(eta), w*exp(eta)*x and w*exp(eta)*x*x' for the "
    "covariates x at the coordinator's coefficients, and the number of deaths (d)",
    "meat": "the pieces of the robust (sandwich) variance: the p x p matrix sum of U U' over "
    "the site's patients (or over its clusters of patients, with a cluster column), U being "
    "the weighted score residual (summed over the cluster), at the coordinator's final "
    "coefficients and at coefficients 0, and the sum of the residuals at 0 (p numbers); "
    "computed from the pooled per-time arrays in the request",
}


def _write(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _read(path: str | Path, fmt: str) -> dict[str, Any]:
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(
            "not a readable federated Cox file", file=str(path), expected=f"JSON ({fmt})"
        ) from exc
    if doc.get("format") != fmt:
        raise InputError(
            "not a federated Cox file of the expected kind",
            file=str(path),
            value=doc.get("format"),
            expected=fmt,
        )
    return doc


def _covs(doc: Mapping[str, Any]) -> list[Covariate]:
    return [Covariate(c["name"], c["var"], c["level"]) for c in doc["covariates"]]


def _query(req: Mapping[str, Any]) -> Query:
    keys = list(req["strata"])
    used = list(
        dict.fromkeys(
            [
                req["duration"],
                req["event"],
                *keys,
                *as_column_list(req["weights"]),
                *as_column_list(req["entry"]),
                *as_column_list(req.get("cluster")),
                *req["variables"],
            ]
        )
    )
    return Query(
        used=used,
        keys=keys,
        duration=req["duration"],
        event=req["event"],
        weights=req["weights"],
        entry=req["entry"],
    )


def _coarsen(
    frame: pd.DataFrame | None, whole_months: bool, keys: list[str], cols: list[str]
) -> pd.DataFrame | None:
    if frame is None:
        return None
    if whole_months:
        frame = frame.assign(**{TIME: np.ceil(frame[TIME].to_numpy(np.float64))})
    return frame.groupby([*keys, TIME], sort=True, observed=True)[cols].sum().reset_index()


def site_respond(data: Any, request: str | Path, out: str | Path, *, site: str) -> Path:
    """Answer one coordinator request with the site's sums (run at the site).

    Parameters
    ----------
    data
        The site's cohort: DataFrame, Cohort, DuckDB relation or dataset path, dask DataFrame.
    request
        The coordinator's request file.
    out
        The response file to write (review it before sending).
    site
        The site's name.

    Returns
    -------
    Path
        ``out``.

    Examples
    --------
    A coordinator's first request (the ``setup`` round) answered by one site:

    >>> import json, pathlib, tempfile, numpy as np, pandas as pd
    >>> rng = np.random.default_rng(2)
    >>> site_a = pd.DataFrame({"months": rng.exponential(30, 60).round(1),
    ...                        "dead": rng.integers(0, 2, 60), "age": rng.normal(65, 9, 60)})
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> requests = []
    >>> def keep_first(request, round_):
    ...     requests.append(request)
    ...     raise StopIteration  # stop the coordinator after it wrote its first request
    >>> try:
    ...     federated_cox(keep_first, folder, "age", "months", "dead",
    ...                   columns=["months", "dead", "age"])
    ... except StopIteration:
    ...     pass
    >>> answer = site_respond(site_a, requests[0], folder / "A_round000.json", site="A")
    >>> body = json.loads(answer.read_text())
    >>> body["format"], body["site"]
    ('crlm_outcomes.cox_sums/1', 'A')
    """
    if hasattr(data, "audit") and hasattr(data, "data"):
        data = data.data
    req = _read(request, REQUEST_FORMAT)
    step = req["step"]
    answer = _ANSWERS.get(step)
    if answer is None:
        raise InputError(
            "unknown step in the request",
            file=str(request),
            value=step,
            expected=", ".join(_STEP_TEXT),
        )
    body = answer(data, EngineSums(data), _query(req), req, site)
    times = (
        "whole months, rounded up"
        if req["whole_months"]
        else "exact (the sites agreed to share them)"
    )
    doc = {
        "format": RESPONSE_FORMAT,
        "description": (
            f"Answer of site {site!r} to round {req['round']} of a pooled Cox "
            f"model: {_STEP_TEXT[step]}. Follow-up times are {times}. "
            "The file holds no patient identifier, no date and no value of an "
            "individual patient."
        ),
        "site": site,
        "round": req["round"],
        "step": step,
        **body,
    }
    return _write(Path(out), doc)


def _site_setup(
    data: Any, back: EngineSums, q: Query, req: Mapping[str, Any], site: str
) -> dict[str, Any]:
    """Round ``setup``: rows, deaths (the survival columns checked), column kinds, levels."""
    from crlm_outcomes.scale.survival import lines_input

    agg = aggregate(data, q.used, keys=[*q.keys, *as_column_list(q.entry), q.duration, q.event])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        si = lines_input(agg, q.duration, q.event, strata=q.keys or None, entry=q.entry)
    counts = agg.lines[N_COLUMN].to_numpy(np.float64)
    numeric = back.numeric()
    cat_vars = [v for v in req["variables"] if not numeric.get(v, True) or v in req["wrapped"]]
    return {
        "rows_read": agg.n_rows,
        "rows_excluded_missing": agg.n_excluded,
        "deaths": int(counts[si.event > 0].sum()),
        "numeric": {v: bool(numeric[v]) for v in req["variables"]},
        "levels": {v: [_plain(x) for x in back.levels(v, q)] for v in cat_vars},
    }


def _site_totals(
    data: Any, back: EngineSums, q: Query, req: Mapping[str, Any], site: str
) -> dict[str, Any]:
    """Round ``totals``: the sum of weights and of weighted covariates, the 0/1 columns."""
    tot = back.totals(_covs(req), q)
    if req["weights"] is not None and (tot["wbad"] or not tot["wmin"] > 0):
        raise SpecError(
            "a case weight at the site is not a positive finite number",
            column=req["weights"],
            expected="a weight > 0",
        )
    if tot["xbad"].any():
        raise SpecError(
            "the site's data contain an infinite covariate value",
            expected="finite covariates",
        )
    return {
        "sum_weights": tot["sw"],
        "sum_weighted_x": tot["swx"].tolist(),
        "only_0_1": (~tot["not01"]).tolist(),
        "whole_weights": req["weights"] is None or not _non_integer_weights(back, q),
    }


def _center_of(req: Mapping[str, Any]) -> np.ndarray:
    if not req.get("center"):
        raise SpecError(
            f"the coordinator's '{req['step']}' request has no centre of the covariates",
            expected="a 'center' list from the totals round",
        )
    return np.array(req["center"], dtype=np.float64)


def _site_scale(
    data: Any, back: EngineSums, q: Query, req: Mapping[str, Any], site: str
) -> dict[str, Any]:
    """Round ``scale``: the weighted absolute deviations from the pooled means."""
    return {"sum_weighted_abs_dev": back.absdev(_covs(req), _center_of(req), q).tolist()}


def _site_sums(
    data: Any, back: EngineSums, q: Query, req: Mapping[str, Any], site: str
) -> dict[str, Any]:
    """Round ``sums``: the per-(stratum, time) sums at the coordinator's ``beta``."""
    covs = _covs(req)
    beta = np.array(req["beta"], dtype=np.float64)
    p = len(covs)
    stop, ent = back.sums(covs, _center_of(req), beta, q)
    stop = _coarsen(stop, req["whole_months"], q.keys, sum_columns(p))
    assert stop is not None  # the exit-time sums always exist
    ent = _coarsen(ent, req["whole_months"], q.keys, entry_columns(p))
    ecols = [c for c in sum_columns(p) if c.startswith("e")]
    body: dict[str, Any] = {}
    if not np.any(beta):
        event_sum = stop[[f"e1_{j}" for j in range(p)]].sum().tolist() if p else []
        body["sum_weighted_x_deaths"] = event_sum
    # Efron's correction needs the deaths' sums only at tied deaths (pooled over
    # sites unless stratified by site); Breslow never does
    need = (req["ties"] == "efron") & (
        stop["d"].to_numpy() >= 2 if req["by_site"] else stop["d"].to_numpy() >= 1
    )
    stop.loc[~need, ecols] = 0.0
    body["exit"] = _table(stop)
    if ent is not None:
        body["entry"] = _table(ent)
    return body


def _site_meat(
    data: Any, back: EngineSums, q: Query, req: Mapping[str, Any], site: str
) -> dict[str, Any]:
    """Round ``meat``: the site's part of the sandwich, ``sum U U'`` at the final and at zero
    coefficients (per patient, or per cluster), and the residuals' sum at zero."""
    covs = _covs(req)
    center = _center_of(req)
    p = len(covs)
    out: dict[str, Any] = {}
    for name, beta, table in (
        ("meat", np.array(req["beta"], dtype=np.float64), req["times"]),
        ("meat_null", np.zeros(p), req["times_null"]),
    ):
        frame = _frame(table)
        if req["by_site"]:
            frame = frame.loc[frame["site"].astype(str).to_numpy() == str(site)]
            frame = frame.drop(columns="site").reset_index(drop=True)
        sc = table_score_times(frame, q.keys, p)
        meat, total = back.meat(
            covs, center, beta, q, sc, req.get("cluster"), ceil_time=req["whole_months"]
        )
        out[name] = meat.tolist()
        if name == "meat_null":
            out["score_null"] = total.tolist()
    return out


#: The site's answer to each step of the coordinator.
_ANSWERS: dict[str, Callable[..., dict[str, Any]]] = {
    "setup": _site_setup,
    "totals": _site_totals,
    "scale": _site_scale,
    "sums": _site_sums,
    "meat": _site_meat,
}


def _plain(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v


def _table(frame: pd.DataFrame) -> dict[str, Any]:
    """A sums frame as JSON-ready columns and rows (floats written to round-trip exactly)."""
    return {
        "columns": [str(c) for c in frame.columns],
        "data": [[_plain(v) for v in row] for row in frame.itertuples(index=False)],
    }


def _frame(split: Mapping[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(split["data"], columns=split["columns"])


Exchange = Callable[[Path, int], list[Path]]


def local_exchange(sites: Mapping[str, Any], folder: str | Path) -> Exchange:
    """Run every site in this process (a simulation, or sites that share one machine).

    Parameters
    ----------
    sites
        Each site's name mapped to its data (anything :func:`site_respond` takes).
    folder
        Where the sites' answer files are written (``<site>_round<NNN>.json``).

    Returns
    -------
    Callable
        The ``exchange`` argument of :func:`federated_cox`.

    Examples
    --------
    >>> import tempfile, numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> sites = {s: pd.DataFrame({"months": rng.exponential(30, 50).round(1),
    ...                           "dead": rng.integers(0, 2, 50),
    ...                           "age": rng.normal(65, 9, 50)}) for s in "AB"}
    >>> folder = tempfile.mkdtemp()
    >>> fit = federated_cox(local_exchange(sites, folder), folder, "age", "months", "dead",
    ...                     columns=["months", "dead", "age"])
    >>> fit.n
    100
    """
    folder = Path(folder)

    def exchange(request: Path, round_: int) -> list[Path]:
        return [
            site_respond(data, request, folder / f"{name}_round{round_:03d}.json", site=name)
            for name, data in sites.items()
        ]

    return exchange


def folder_exchange(
    folder: str | Path,
    sites: Sequence[str],
    *,
    poll_seconds: float = 30.0,
    timeout_seconds: float | None = None,
) -> Exchange:
    """Wait for each site to drop its answer ``<site>_round<NNN>.json`` in a shared folder
    (the sites run :func:`site_respond` on the request the coordinator wrote there).

    Parameters
    ----------
    folder
        The shared folder (requests are written there, answers are read from there).
    sites
        The sites' names (one answer file each per round).
    poll_seconds
        How often to look for the answers.
    timeout_seconds
        Give up with :class:`~crlm_outcomes.errors.InputError` after this long (``None``:
        wait for ever).

    Returns
    -------
    Callable
        The ``exchange`` argument of :func:`federated_cox`.

    Examples
    --------
    Answers that never arrive end in a clear error:

    >>> import pathlib, tempfile
    >>> from crlm_outcomes.errors import InputError
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> exchange = folder_exchange(folder, ["A", "B"], poll_seconds=0.01, timeout_seconds=0.05)
    >>> try:
    ...     exchange(folder / "round000_setup.json", 0)
    ... except InputError as err:
    ...     print(err.value)
    ['A_round000.json', 'B_round000.json']
    """
    folder = Path(folder)

    def exchange(request: Path, round_: int) -> list[Path]:
        want = [folder / f"{s}_round{round_:03d}.json" for s in sites]
        start = _time.monotonic()
        while not all(p.exists() for p in want):
            if timeout_seconds is not None and _time.monotonic() - start > timeout_seconds:
                missing = [p.name for p in want if not p.exists()]
                raise InputError(
                    "site answers did not arrive in time",
                    file=str(folder),
                    value=missing,
                    expected=f"answers to {request.name}",
                )
            _time.sleep(poll_seconds)
        return want

    return exchange


def federated_cox(
    exchange: Exchange,
    folder: str | Path,
    formula: str,
    duration: str,
    event: str,
    *,
    columns: Sequence[str],
    ties: str = "efron",
    strata: str | list[str] | None = None,
    by_site: bool = False,
    weights: str | None = None,
    cluster: str | None = None,
    robust: bool | None = None,
    entry: str | None = None,
    whole_months: bool = True,
    conf_level: float = 0.95,
) -> Any:
    """Fit a Cox model across sites by rounds of file exchange (run by the coordinator).

    Parameters
    ----------
    exchange
        ``exchange(request_path, round) -> response paths``: :func:`local_exchange` (all sites
        in this process) or :func:`folder_exchange` (sites answer through a shared folder).
    folder
        Where the coordinator writes its request files (``round<NNN>_<step>.json``).
    formula, duration, event, ties, strata, weights, entry, conf_level
        As :func:`crlm_outcomes.cox` (formula terms: columns and ``C(column)``).
    columns
        The column names of the sites' data (the same at every site).
    by_site
        Stratify the baseline hazard by site (in addition to ``strata``).
    cluster
        Cluster column for the robust variance (R's ``cluster()``). Each cluster must lie
        within one site (a patient's rows at one hospital): the sites return their sums over
        their own clusters, so a cluster spread over two sites would count as two.
    robust
        Robust (sandwich) variance, by one more round (each site returns a ``p x p`` matrix).
        ``None`` follows R: on with a cluster or with non-integer case weights. Without a
        cluster every patient is their own cluster (R's ``robust = TRUE``).
    whole_months
        Sites round follow-up times up to whole months (default); ``False`` shares exact
        times (only if the sites agree).

    Returns
    -------
    CoxResult
        The pooled model (model-based or robust variance; ``state`` is ``None``: no rows
        exist here).

    Examples
    --------
    >>> import tempfile, numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> sites = {s: pd.DataFrame({"months": rng.exponential(30, 80).round(1),
    ...                           "dead": rng.integers(0, 2, 80),
    ...                           "age": rng.normal(65, 9, 80)}) for s in "ABC"}
    >>> folder = tempfile.mkdtemp()
    >>> fit = federated_cox(local_exchange(sites, folder), folder, "age", "months", "dead",
    ...                     columns=["months", "dead", "age"], by_site=True)
    >>> fit.n, fit.table["term"].tolist()
    (240, ['age'])
    """
    from crlm_outcomes.survival.cox import cox_result

    _check_arguments(ties, entry, whole_months)
    rounds = _Rounds(exchange, Path(folder))
    cols = [str(c) for c in columns]
    rounds.base = _request_base(
        formula,
        cols,
        duration=duration,
        event=event,
        strata=as_column_list(strata),
        weights=weights,
        entry=entry,
        ties=ties,
        whole_months=whole_months,
        by_site=by_site,
        cluster=cluster,
    )
    covs, levels, n, n_event = _setup_round(rounds, formula, cols)
    cov_doc = [{"name": c.name, "var": c.var, "level": c.level} for c in covs]
    tot = rounds.ask("totals", covariates=cov_doc)
    robust = _robust_default(tot, robust, cluster)
    center, scale = _centring(rounds, cov_doc, tot)
    skeys = [*as_column_list(strata), "site"] if by_site else as_column_list(strata)
    res, sums0 = _newton_rounds(rounds, cov_doc, center, scale, skeys)
    var = rscore = None
    if robust:
        var, rscore = _meat_round(rounds, cov_doc, center, res, sums0, skeys)
    excl = pd.DataFrame(
        {"index": pd.Series([], dtype="int64"), "column": [], "value": [], "reason": []}
    )
    return cox_result(
        res,
        [c.name for c in covs],
        counting=entry is not None,
        conf_level=conf_level,
        ties=ties,
        n=n,
        n_event=n_event,
        excluded=excl,
        state=None,
        levels=levels,
        robust=bool(robust),
        var=var,
        rscore=rscore,
    )


def _check_arguments(ties: str, entry: str | None, whole_months: bool) -> None:
    if ties not in ("efron", "breslow"):
        raise SpecError(
            "ties must be 'efron' or 'breslow'",
            column="ties",
            value=ties,
            expected="'efron' or 'breslow'",
        )
    if entry is not None and whole_months:
        raise SpecError(
            "(entry, exit] intervals rounded to whole months can become empty; "
            "with entry times the sites must share exact times",
            column=entry,
            expected="whole_months=False",
        )


def _request_base(formula: str, cols: list[str], **model: Any) -> dict[str, Any]:
    """What every request holds: the model (formula, its variables, the survival columns)."""
    from crlm_outcomes.formula.checks import check_formula

    checked = check_formula(formula, cols)
    variables = [c for c in cols if c in set(checked.variables)]
    wrapped = [v for v in variables if f"C({v})" in formula.replace(" ", "")]
    return {
        "format": REQUEST_FORMAT,
        "formula": formula,
        **model,
        "variables": variables,
        "wrapped": wrapped,
    }


class _Rounds:
    """The coordinator's side of the exchange: numbered request files, the sites' answers."""

    def __init__(self, exchange: Exchange, folder: Path) -> None:
        self.exchange = exchange
        self.folder = folder
        self.base: dict[str, Any] = {}
        self.count = 0
        folder.mkdir(parents=True, exist_ok=True)

    def ask(self, step: str, **extra: Any) -> list[dict[str, Any]]:
        """Write the request of the next round and read every site's answer to it."""
        self.count += 1
        k = self.count
        doc = {
            **self.base,
            "round": k,
            "step": step,
            "description": (
                f"Request of the coordinator of a pooled Cox model, round {k}: "
                f"each site is asked for {_STEP_TEXT[step]}. It holds the model "
                "(formula, columns) and, where needed, the pooled covariate "
                "means and the current coefficients; nothing about patients."
            ),
            **extra,
        }
        path = _write(self.folder / f"round{k:03d}_{step}.json", doc)
        return [_read(p, RESPONSE_FORMAT) for p in self.exchange(path, k)]


def _setup_round(
    rounds: _Rounds, formula: str, cols: list[str]
) -> tuple[list[Covariate], dict[str, list[Any]], int, int]:
    """Round 1: the pooled design columns and levels, the rows and deaths of all sites."""
    setup = rounds.ask("setup")
    variables = rounds.base["variables"]
    numeric = {v: all(d["numeric"][v] for d in setup) for v in variables}
    pooled_levels = {
        v: sorted({x for d in setup for x in d["levels"].get(v, [])})
        for v in variables
        if v in setup[0]["levels"]
    }
    covs, levels = covariates_of(formula, cols, numeric, lambda v: pooled_levels[v])
    n = sum(d["rows_read"] - d["rows_excluded_missing"] for d in setup)
    n_event = sum(d["deaths"] for d in setup)
    if n_event == 0:
        raise EstimationError("no deaths at any site: a Cox model cannot be fitted")
    excluded = sum(d["rows_excluded_missing"] for d in setup)
    if excluded:
        warnings.warn(
            f"{excluded} row(s) excluded for missing values at the sites ("
            + ", ".join(f"{d['site']}: {d['rows_excluded_missing']}" for d in setup)
            + ")",
            DataQualityWarning,
            stacklevel=3,
        )
    return covs, levels, n, n_event


def _robust_default(tot: list[dict[str, Any]], robust: bool | None, cluster: str | None) -> bool:
    """R's default: robust with a cluster or non-integer case weights at any site."""
    if robust is None:
        robust = cluster is not None or not all(d["whole_weights"] for d in tot)
    if cluster is not None and not robust:
        warnings.warn(
            "cluster specified with robust=False: cluster ignored (as R)",
            DataQualityWarning,
            stacklevel=3,
        )
    return bool(robust)


def _centring(
    rounds: _Rounds, cov_doc: list[dict[str, Any]], tot: list[dict[str, Any]]
) -> tuple[np.ndarray, np.ndarray]:
    """The pooled weighted means (from the totals round) and R's scaling (one more round)."""
    sw = sum(d["sum_weights"] for d in tot)
    center = np.sum([d["sum_weighted_x"] for d in tot], axis=0) / sw
    zero_one = np.all([d["only_0_1"] for d in tot], axis=0)
    answers = rounds.ask("scale", covariates=cov_doc, center=center.tolist())
    absdev = np.sum([d["sum_weighted_abs_dev"] for d in answers], axis=0)
    scale = np.where(zero_one | (absdev <= 0), 1.0, sw / np.where(absdev > 0, absdev, 1.0))
    return center, scale


def _pooled_sums(
    answers: list[dict[str, Any]], entry: bool, state: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The sites' sums in one frame (a ``site`` column added), with R's merging of
    near-equal times (settled on the first round, reused after)."""
    from crlm_outcomes.survival.cox import aeq_times

    stop = pd.concat([_frame(d["exit"]).assign(site=d["site"]) for d in answers], ignore_index=True)
    ent = (
        pd.concat([_frame(d["entry"]).assign(site=d["site"]) for d in answers], ignore_index=True)
        if entry
        else None
    )
    if "map" not in state:
        allt = stop[TIME].to_numpy(np.float64)
        if ent is not None:
            allt = np.concatenate([allt, ent[TIME].to_numpy(np.float64)])
        fixed, _ = aeq_times(allt, None)
        state["map"] = (
            None
            if fixed is allt or np.array_equal(fixed, allt)
            else dict(zip(allt.tolist(), fixed.tolist(), strict=True))
        )
    if state["map"] is not None:
        stop = stop.assign(**{TIME: stop[TIME].map(state["map"]).to_numpy(np.float64)})
        if ent is not None:
            ent = ent.assign(**{TIME: ent[TIME].map(state["map"]).to_numpy(np.float64)})
    return stop, ent


def _newton_rounds(
    rounds: _Rounds,
    cov_doc: list[dict[str, Any]],
    center: np.ndarray,
    scale: np.ndarray,
    skeys: list[str],
) -> tuple[Any, Any]:
    """R's Newton-Raphson, one ``sums`` round per step; also the pooled sums at ``beta = 0``."""
    from crlm_outcomes.scale._cox_sums import derivatives_from_sums, time_sums
    from crlm_outcomes.survival import _cox_engine as eng
    from crlm_outcomes.survival.cox import EPS, TOLER_CHOL

    p = len(cov_doc)
    entry = rounds.base["entry"] is not None
    efron = rounds.base["ties"] == "efron"
    state: dict[str, Any] = {}

    def evaluate(beta: np.ndarray) -> Any:
        answers = rounds.ask("sums", covariates=cov_doc, center=center.tolist(), beta=beta.tolist())
        stop, ent = _pooled_sums(answers, entry, state)
        ts = time_sums(stop, p, skeys, ent)
        if "u_events" not in state:
            state["u_events"] = np.sum([d["sum_weighted_x_deaths"] for d in answers], axis=0)
            state["sums0"] = ts
        u_events = np.asarray(state["u_events"], dtype=np.float64)
        return derivatives_from_sums(ts, beta, u_events, efron)

    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        res = eng.newton_loop(evaluate, p, scale, counting=entry, eps=EPS, toler_chol=TOLER_CHOL)
    return res, state["sums0"]


def _meat_round(
    rounds: _Rounds,
    cov_doc: list[dict[str, Any]],
    center: np.ndarray,
    res: Any,
    sums0: Any,
    skeys: list[str],
) -> tuple[np.ndarray, float]:
    """One more round: the pooled per-time arrays out, each site's ``p x p`` meat back; the
    sandwich variance and R's robust score test."""
    from crlm_outcomes.survival.cox import TOLER_CHOL

    p = len(cov_doc)
    efron = rounds.base["ties"] == "efron"
    answers = rounds.ask(
        "meat",
        covariates=cov_doc,
        center=center.tolist(),
        beta=res.beta.tolist(),
        times=_table(score_table(score_times(res.deriv.sums, efron, skeys))),
        times_null=_table(score_table(score_times(sums0, efron, skeys))),
    )
    var = sandwich(res.var, np.sum([d["meat"] for d in answers], axis=0).reshape(p, p))
    meat0 = np.sum([d["meat_null"] for d in answers], axis=0).reshape(p, p)
    u0 = np.sum([d["score_null"] for d in answers], axis=0).reshape(p)
    return var, robust_score_test(meat0, u0, TOLER_CHOL)
