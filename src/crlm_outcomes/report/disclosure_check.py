"""Checks that no suppressed count of a report can be recovered from what the report publishes.

Suppression (:mod:`crlm_outcomes.report.suppression`) masks each table by its own rules; a
reader, however, sees the whole report at once: the flow diagram, Table 1 with its percentages,
the Kaplan-Meier summaries, the numbers at risk under every curve and the curves themselves.
This module plays that reader. Every section of a build records in a :class:`DisclosureLedger`

* each count it prints (published) or masks (``<11`` or the complementary ``‡``), under a key
  naming the set of patients it counts, so that the same set printed in two places is one
  unknown (the Table 1 size of a group and its number at risk at time 0, for example); and,
  with :meth:`DisclosureLedger.same_set`, the patients themselves, so that two sections
  counting the same patients under different names (a Cox model's n and a Kaplan-Meier
  group, a score's patients and the survival summary) are linked too;
* the arithmetic a reader knows holds between those sets: a total is the sum of its parts
  (the hidden parts too, e.g. patients without a value of the stratifier), numbers at risk
  never increase, events never exceed patients, a printed percentage fixes a ratio to within
  its rounding;
* the curves it draws: a Kaplan-Meier curve shows its steps, so drawing a group publishes its
  size.

:func:`check_disclosure` then bounds every masked count by linear programming over all these
facts at once (every unknown a non-negative count; scipy's HiGHS), and reports each masked
count whose feasible whole-number range holds a single value: a reader could recover it. A
build with suppression on fails with :class:`~crlm_outcomes.errors.DisclosureError` when there
is one (:func:`assert_no_disclosure`).

What each section records:

* cohort flow: records at each step, exclusions, the quarantine by rule;
* Table 1: group sizes, level and missing counts per column, printed percentages;
* Kaplan-Meier (and landmark): group sizes and events, patients left out, numbers at risk
  at every tick, the curves drawn; the landmark cohort's flow;
* Cox and Fine-Gray models: n, events and rows excluded of each model (n + excluded = the
  cohort), N and events of every level in the regression tables (univariable ones too); the
  forest plots of a suppressed report leave the N/events column out;
* competing risks: the size and the events of each cause of every group whose cumulative
  incidence curves are drawn, the groups not drawn as masked, the numbers at risk under the
  curves;
* score validation: per score n, events and patients without the score; the patients with
  both scores of each pairwise difference;
* multiple imputation: missing values per imputed variable and their percentage, the rows
  not imputed;
* matching: all, matched and unmatched patients per arm (matched controls bounded by the
  matching ratio).

The helpers of the last five are in :mod:`crlm_outcomes.report.sections._disclosure`.

The check is conservative in one direction only: it proves that the published facts it was
told about do not pin a masked cell. Facts a section does not record are not considered:
estimates (survival and cumulative incidence percentages, hazard ratios, C and AUC,
standardised mean differences, Gray's and log-rank statistics) are masked by the rate rule
instead, and a calibration plot's risk groups are not counts the report prints.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from crlm_outcomes.errors import DisclosureError

__all__ = ["DisclosureLedger", "Finding", "check_disclosure", "assert_no_disclosure"]

PUBLISHED = "published"
MASKED = "masked"
HIDDEN = "hidden"


@dataclass(frozen=True)
class Finding:
    """A masked count a reader can recover.

    Attributes
    ----------
    key
        The ledger key of the count (which patients it counts).
    value
        Its true value (what the reader would learn).
    masked_in
        Where the report masks it.
    published_in
        Where the report prints it outright (empty when it is derived instead).
    low, high
        The range the published facts leave for it (equal when recovered).

    Examples
    --------
    >>> led = DisclosureLedger()
    >>> led.count("women", 3, masked=True, where="Table 1")
    >>> led.count("women", 3, masked=False, where="Kaplan-Meier summary")
    >>> finding = check_disclosure(led)[0]
    >>> finding.key, finding.value, finding.low, finding.high
    ('women', 3.0, 3.0, 3.0)
    >>> finding.describe()
    'women = 3 is masked in Table 1 but printed in Kaplan-Meier summary'
    """

    key: str
    value: float
    masked_in: tuple[str, ...]
    published_in: tuple[str, ...]
    low: float
    high: float

    def describe(self) -> str:
        """One line for an error message."""
        if self.published_in:
            return (
                f"{self.key} = {self.value:g} is masked in {', '.join(self.masked_in)} "
                f"but printed in {', '.join(self.published_in)}"
            )
        return (
            f"{self.key} = {self.value:g} is masked in {', '.join(self.masked_in)} but "
            "follows from the published totals, complements, percentages, numbers at "
            "risk or curves"
        )


@dataclass
class DisclosureLedger:
    """Counts a build prints or masks, and the arithmetic that links them.

    Keys are free text naming a set of patients (``"km|os|fong_group|0-2|n"``); the same key
    recorded twice must have the same value. Values are the true counts (the ledger never
    leaves the build). A build starts with an empty ledger and fills it through the methods
    (:meth:`count`, :meth:`hidden`, :meth:`total`, ...), not through the fields.

    Attributes
    ----------
    values : dict of str to float
        The true value of every key recorded.
    published : dict of str to list of str
        Per printed key, where it is printed.
    masked : dict of str to list of str
        Per masked key, where it is masked.
    rows : list of tuple
        The linear facts ``(coefficients by key, lower bound, upper bound)``:
        ``lower <= sum(coef * value) <= upper``.
    sets : dict of str to str
        Patient-set digest -> the first key recorded for that set (see :meth:`same_set`).

    Examples
    --------
    >>> led = DisclosureLedger()
    >>> led.count("men", 3, masked=True, where="Table 1")
    >>> led.count("women", 190, masked=False, where="Table 1")
    >>> led.count("all", 193, masked=False, where="Table 1")
    >>> led.total("all", ["men", "women"])
    >>> [f.key for f in check_disclosure(led)]
    ['men']
    """

    values: dict[str, float] = field(default_factory=dict)
    published: dict[str, list[str]] = field(default_factory=dict)
    masked: dict[str, list[str]] = field(default_factory=dict)
    #: rows (coefficients by key, lower bound, upper bound): lower <= sum(coef * x) <= upper
    rows: list[tuple[dict[str, float], float, float]] = field(default_factory=list)
    #: patient-set digest -> the first key recorded for that set (see :meth:`same_set`)
    sets: dict[str, str] = field(default_factory=dict)

    def _value(self, key: str, value: float) -> None:
        value = float(value)
        old = self.values.get(key)
        if old is not None and not math.isclose(old, value):
            raise ValueError(f"disclosure ledger: {key} recorded as {old:g} and {value:g}")
        self.values[key] = value

    def hidden(self, key: str, value: float) -> None:
        """A count the reader does not see but knows exists (e.g. patients without a value)."""
        self._value(key, value)

    def count(self, key: str, value: float, *, masked: bool, where: str) -> None:
        """A count printed (``masked=False``) or masked in ``where``."""
        self._value(key, value)
        (self.masked if masked else self.published).setdefault(key, []).append(where)

    def reveal(self, key: str, value: float, where: str) -> None:
        """A figure that shows the count (a curve drawn for the group)."""
        self.count(key, value, masked=False, where=where)

    def same_set(self, key: str, patients: Iterable[object]) -> None:
        """``key`` (already recorded) counts exactly the patients ``patients`` (their row
        labels in the analysis cohort). Two keys recorded for the same patients are one
        unknown: a group size masked in one section and printed, under another name, in
        another is found. Counts of the same set must agree.

        Examples
        --------
        >>> led = DisclosureLedger()
        >>> led.count("t1|n|small", 4, masked=True, where="Table 1")
        >>> led.same_set("t1|n|small", [3, 7, 9, 12])
        >>> led.count("cox|n", 4, masked=False, where="Cox model")
        >>> led.same_set("cox|n", [12, 9, 7, 3])
        >>> [f.key for f in check_disclosure(led)]
        ['t1|n|small']
        """
        digest = _digest(patients)
        first = self.sets.setdefault(digest, key)
        if first != key:
            self.total(key, [first])

    def masked_set(self, patients: Iterable[object]) -> bool:
        """Whether a count of exactly these patients is masked somewhere already (so a
        section printing it again must mask it too)."""
        first = self.sets.get(_digest(patients))
        return first is not None and any(k in self.masked for k in [first, *self._aliases(first)])

    def published_set(self, patients: Iterable[object]) -> bool:
        """Whether a count of exactly these patients is printed somewhere already (so masking
        it again protects nothing: it cannot serve as a complementary cell)."""
        first = self.sets.get(_digest(patients))
        return first is not None and any(
            k in self.published for k in [first, *self._aliases(first)]
        )

    def _aliases(self, key: str) -> list[str]:
        return [
            k
            for coef, lo, hi in self.rows
            if lo == hi == 0.0 and len(coef) == 2 and coef.get(key) == -1.0
            for k in coef
            if k != key
        ]

    def linear(self, coef: dict[str, float], low: float, high: float) -> None:
        """A general linear fact ``low <= sum(coef[k] * k) <= high`` (keys already
        recorded)."""
        self.rows.append((dict(coef), float(low), float(high)))

    def total(self, total: str, parts: Sequence[str]) -> None:
        """``total`` is the sum of ``parts`` (keys already recorded)."""
        coef: dict[str, float] = {total: 1.0}
        for p in parts:
            coef[p] = coef.get(p, 0.0) - 1.0
        self.rows.append((coef, 0.0, 0.0))

    def at_most(self, small: str, large: str) -> None:
        """``small <= large`` (events <= patients, at risk later <= at risk earlier)."""
        self.rows.append(({small: 1.0, large: -1.0}, -math.inf, 0.0))

    def percent(self, numerator: str, denominator: Sequence[str], text: str) -> None:
        """A printed percentage ``text`` (e.g. ``"98.4"``) of ``numerator`` over the sum of
        ``denominator``: the reader knows the ratio to within half a unit of its last digit."""
        try:
            p = float(text)
        except ValueError:
            return
        decimals = len(text.split(".")[1]) if "." in text else 0
        half = 0.5 * 10.0**-decimals
        lo, hi = (p - half) / 100.0, (p + half) / 100.0
        # num - lo * den >= 0 and num - hi * den <= 0
        for bound, sense in ((lo, 1), (hi, -1)):
            coef = {numerator: 1.0}
            for d in denominator:
                coef[d] = coef.get(d, 0.0) - bound
            self.rows.append((coef, 0.0, math.inf) if sense == 1 else (coef, -math.inf, 0.0))


def _digest(patients: Iterable[object]) -> str:
    """An order-free digest of a set of row labels."""
    arr = np.asarray(list(patients) if not isinstance(patients, np.ndarray) else patients)
    if arr.dtype.kind in "iu":
        return hashlib.sha1(np.sort(arr.astype(np.int64)).tobytes()).hexdigest()
    labels = sorted(str(p) for p in arr.tolist())
    return hashlib.sha1("\x1f".join(labels).encode("utf-8")).hexdigest()


def _bounds(ledger: DisclosureLedger, keys: list[str], target: int) -> tuple[float, float]:
    from scipy.optimize import linprog

    n = len(keys)
    index = {k: i for i, k in enumerate(keys)}
    a_ub: list[np.ndarray] = []
    b_ub: list[float] = []
    a_eq: list[np.ndarray] = []
    b_eq: list[float] = []
    for coef, lo, hi in ledger.rows:
        row = np.zeros(n)
        for k, c in coef.items():
            row[index[k]] += c
        if lo == hi:
            a_eq.append(row)
            b_eq.append(lo)
            continue
        if np.isfinite(hi):
            a_ub.append(row)
            b_ub.append(hi)
        if np.isfinite(lo):
            a_ub.append(-row)
            b_ub.append(-lo)
    bounds: list[tuple[float, float | None]] = []
    for k in keys:
        if k in ledger.published:
            bounds.append((ledger.values[k], ledger.values[k]))
        else:
            bounds.append((0.0, None))
    out = []
    for sign in (1.0, -1.0):
        objective = np.zeros(n)
        objective[target] = sign
        res = linprog(
            objective,
            A_ub=np.array(a_ub) if a_ub else None,
            b_ub=b_ub or None,
            A_eq=np.array(a_eq) if a_eq else None,
            b_eq=b_eq or None,
            bounds=bounds,
            method="highs",
        )
        if res.status == 3:  # unbounded
            out.append(math.inf if sign < 0 else 0.0)
        elif res.status != 0:
            # infeasible would mean the ledger is wrong: treat as not protected
            out.append(ledger.values[keys[target]])
        else:
            out.append(sign * res.fun)
    return out[0], out[1]


def _components(ledger: DisclosureLedger) -> Iterable[list[str]]:
    """Keys grouped by the constraints that link them (each group solved on its own)."""
    parent: dict[str, str] = {k: k for k in ledger.values}

    def find(k: str) -> str:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for coef, _, _ in ledger.rows:
        ks = [k for k in coef if k not in ledger.published]
        for other in ks[1:]:
            parent[find(other)] = find(ks[0])
    groups: dict[str, list[str]] = {}
    for k in ledger.values:
        if k not in ledger.published:
            groups.setdefault(find(k), []).append(k)
    return groups.values()


def check_disclosure(
    ledger: DisclosureLedger, *, threshold: int | None = None, suppress_zero: bool = False
) -> list[Finding]:
    """Every masked count of ``ledger`` that a reader can recover (see the module docstring).

    Parameters
    ----------
    ledger
        What a build published and masked.
    threshold
        Only masked counts that may not be published (``0 < value < threshold``; zero too
        with ``suppress_zero``) are checked: recovering a complementary cell of 500, or a
        zero, discloses nothing the rules forbid. None checks every masked count.
    suppress_zero
        Zero is a protected value too.

    Returns
    -------
    list of Finding
        Empty when every masked count is protected.

    Examples
    --------
    Two groups and their total printed, one group masked alone: it follows by subtraction.
    Masking the other group too protects both.

    >>> led = DisclosureLedger()
    >>> led.count("liver only", 4, masked=True, where="Table 1")
    >>> led.count("liver and lung", 60, masked=False, where="Table 1")
    >>> led.count("all", 64, masked=False, where="Table 1")
    >>> led.total("all", ["liver only", "liver and lung"])
    >>> [(f.key, f.low, f.high) for f in check_disclosure(led, threshold=11)]
    [('liver only', 4.0, 4.0)]
    >>> led = DisclosureLedger()
    >>> led.count("liver only", 4, masked=True, where="Table 1")
    >>> led.count("liver and lung", 60, masked=True, where="Table 1")
    >>> led.count("all", 64, masked=False, where="Table 1")
    >>> led.total("all", ["liver only", "liver and lung"])
    >>> check_disclosure(led, threshold=11)
    []
    """

    def protected(key: str) -> bool:
        if threshold is None:
            return True
        v = ledger.values[key]
        return (0 < v < threshold) or (suppress_zero and v == 0)

    findings: list[Finding] = []
    for key, where in ledger.masked.items():
        if key in ledger.published and protected(key):
            v = ledger.values[key]
            findings.append(
                Finding(
                    key,
                    v,
                    tuple(dict.fromkeys(where)),
                    tuple(dict.fromkeys(ledger.published[key])),
                    v,
                    v,
                )
            )
    for group in _components(ledger):
        targets = [k for k in group if k in ledger.masked and protected(k)]
        if not targets:
            continue
        members = set(group)
        sub = DisclosureLedger(
            values=ledger.values,
            published=ledger.published,
            masked=ledger.masked,
            rows=[r for r in ledger.rows if any(k in members for k in r[0])],
        )
        keys = sorted({k for coef, _, _ in sub.rows for k in coef} | members)
        for key in targets:
            lo, hi = _bounds(sub, keys, keys.index(key))
            if math.isfinite(hi) and math.ceil(lo - 1e-6) >= math.floor(hi + 1e-6):
                findings.append(
                    Finding(
                        key,
                        ledger.values[key],
                        tuple(dict.fromkeys(ledger.masked[key])),
                        (),
                        lo,
                        hi,
                    )
                )
    return findings


def assert_no_disclosure(
    ledger: DisclosureLedger,
    *,
    threshold: int | None = None,
    suppress_zero: bool = False,
    limit: int = 5,
) -> int:
    """Raise :class:`~crlm_outcomes.errors.DisclosureError` when a protected masked count is
    recoverable (see :func:`check_disclosure`); otherwise return the number of masked counts
    in the ledger.

    Parameters
    ----------
    ledger
        What a build published and masked.
    threshold
        Only masked counts ``0 < value < threshold`` (zero too with ``suppress_zero``) are
        protected; None protects every masked count.
    suppress_zero
        Zero is a protected value too.
    limit
        At most this many findings are described in the error message (default 5); the
        error's ``findings`` holds them all.

    Returns
    -------
    int
        The number of masked counts in the ledger (all of them protected).

    Raises
    ------
    DisclosureError
        A protected masked count can be recovered; its message describes the findings.

    Examples
    --------
    >>> from crlm_outcomes.errors import DisclosureError
    >>> led = DisclosureLedger()
    >>> led.count("liver only", 4, masked=True, where="Table 1")
    >>> led.count("liver and lung", 60, masked=True, where="Table 1")
    >>> led.count("all", 64, masked=False, where="Table 1")
    >>> led.total("all", ["liver only", "liver and lung"])
    >>> assert_no_disclosure(led, threshold=11)
    2
    >>> led.count("liver and lung", 60, masked=False, where="Kaplan-Meier summary")
    >>> try:
    ...     assert_no_disclosure(led, threshold=11)
    ... except DisclosureError as exc:
    ...     print(len(exc.findings), exc.findings[0].key)
    1 liver only
    """
    findings = check_disclosure(ledger, threshold=threshold, suppress_zero=suppress_zero)
    if findings:
        lines = "; ".join(f.describe() for f in findings[:limit])
        more = f" (and {len(findings) - limit} more)" if len(findings) > limit else ""
        raise DisclosureError(
            f"the report would disclose {len(findings)} suppressed count(s): {lines}{more}. "
            "Nothing was written; merge small groups or drop the analysis that reveals them.",
            findings,
        )
    return len(ledger.masked)
