"""Small-cell suppression of published counts, with complementary suppression.

Data-use agreements for registry data forbid publishing small counts: CMS and SEER-Medicare
forbid cells of 1-10 (so the default threshold is 11), and the CDC's U.S. Cancer Statistics
suppress rates resting on fewer than 16 cases (the default ``rate_threshold``). See
/work/shared/clinical-definitions.md, "Small-cell suppression".

Rules applied here:

* **Primary suppression** - a count ``0 < c < threshold`` is masked (shown as ``<11``). Zero is
  published by default, as CMS allows; ``suppress_zero=True`` masks it too.
* **Complementary suppression** - a masked count must not be recoverable by subtraction. For
  every published linear constraint (cells that sum to a published total: a Table 1 column adds
  up to the group size, the group columns of a row add up to the Overall column, the groups of
  a Kaplan-Meier table and the patients left out add up to the cohort), a constraint with
  exactly one masked cell gets a second one: its smallest published positive cell (zero only
  when nothing else is left). This repeats until no constraint has a single masked cell, since
  one new mask can expose another constraint. Complementary cells are shown as ``‡``. In the
  cohort flow the analysis cohort's size is printed everywhere, so the counts before a small
  exclusion are masked instead (:func:`suppress_flow`).
* **Rates** - a percentage is not printed where it would reveal a masked count or its
  denominator; a survival or cumulative incidence estimate whose number at risk is below
  ``rate_threshold`` is masked, and so is a mean, SD, median or quartile of fewer patients.
* **Curves** - a group whose size is masked is not drawn (its steps would show it).
* **Across the report** - the same patients counted in two places get one decision, and
  :mod:`crlm_outcomes.report.disclosure_check` verifies the whole report before it is
  written.

Suppression is a publishing rule, not an analysis rule: estimates are always computed on the
full data; only what is printed or drawn is masked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "SuppressionPolicy",
    "PRIMARY",
    "COMPLEMENTARY",
    "primary_mask",
    "complementary_mask",
    "table_constraints",
    "suppress_matrix",
    "suppress_vector",
    "suppress_flow",
    "format_count",
    "format_counts",
    "kind_alone",
    "format_count_alone",
    "decide_policy",
]

PUBLISHED = 0
PRIMARY = 1
COMPLEMENTARY = 2


@dataclass(frozen=True)
class SuppressionPolicy:
    """Whether and how counts are suppressed.

    Parameters
    ----------
    enabled
        When False every helper returns its input unmasked.
    threshold
        Counts ``0 < c < threshold`` are masked (default 11).
    rate_threshold
        Rates resting on fewer than this many cases are masked (default 16).
    suppress_zero
        Also mask zero counts (default False: zero is published, as CMS allows).

    Examples
    --------
    >>> policy = SuppressionPolicy(threshold=11)
    >>> policy.primary_marker, policy.complementary_marker
    ('<11', '‡')
    >>> policy.footnote()[:44]
    "Counts below 11 are shown as '<11'; counts f"
    >>> SuppressionPolicy(enabled=False).footnote()
    ''
    """

    enabled: bool = True
    threshold: int = 11
    rate_threshold: int = 16
    suppress_zero: bool = False

    @property
    def primary_marker(self) -> str:
        """Text shown in place of a small count."""
        return f"<{self.threshold}"

    complementary_marker: str = "‡"

    def footnote(self) -> str:
        """One sentence for table footnotes and the methods text.

        Returns
        -------
        str
            What the markers mean: counts below ``threshold`` shown as ``primary_marker``
            (``<11``), the counts from which they could be derived shown as
            ``complementary_marker`` (``‡``), and rates resting on fewer than
            ``rate_threshold`` cases not shown; ``""`` when the policy is disabled.

        Examples
        --------
        >>> print(SuppressionPolicy(threshold=5, rate_threshold=10).footnote())
        Counts below 5 are shown as '<5'; counts from which such a count could be derived are
        shown as '‡'; rates resting on fewer than 10 cases are not shown.
        >>> SuppressionPolicy(enabled=False).footnote()
        ''
        """
        if not self.enabled:
            return ""
        return (
            f"Counts below {self.threshold} are shown as '{self.primary_marker}'; counts "
            f"from which such a count could be derived are shown as "
            f"'{self.complementary_marker}'; rates resting on fewer than "
            f"{self.rate_threshold} cases are not shown."
        )


def primary_mask(
    values: np.ndarray | Sequence[float], threshold: int, *, suppress_zero: bool = False
) -> np.ndarray:
    """Boolean mask of the counts below ``threshold`` (zero only with ``suppress_zero``).

    Parameters
    ----------
    values
        Counts (any shape); NaN is never masked.
    threshold
        Counts ``0 < c < threshold`` are masked.
    suppress_zero
        Mask zero counts too (default False).

    Returns
    -------
    numpy.ndarray
        Boolean array of the shape of ``values``: True where the count is masked.

    Examples
    --------
    >>> primary_mask([0, 3, 11, 40], 11).tolist()
    [False, True, False, False]
    >>> primary_mask([0, 3, 11, 40], 11, suppress_zero=True).tolist()
    [True, True, False, False]
    """
    arr = np.asarray(values, dtype=float)
    finite = np.isfinite(arr)
    low = finite & (arr < threshold)
    if not suppress_zero:
        low &= arr != 0
    return low


def table_constraints(
    shape: tuple[int, int], *, rows: bool = True, cols: bool = True
) -> list[np.ndarray]:
    """Constraint sets (flat indices) of a matrix whose row and/or column totals are published.

    Parameters
    ----------
    shape
        ``(rows, columns)`` of the count matrix.
    rows
        The row totals are published (default True): each row is a constraint.
    cols
        The column totals are published (default True): each column is a constraint.

    Returns
    -------
    list of numpy.ndarray
        One array of flat (row-major) indices per published total; a row (column) of a
        single cell is left out, since its total is the cell itself.

    Examples
    --------
    >>> [c.tolist() for c in table_constraints((2, 3))]
    [[0, 1, 2], [3, 4, 5], [0, 3], [1, 4], [2, 5]]
    >>> [c.tolist() for c in table_constraints((2, 3), cols=False)]
    [[0, 1, 2], [3, 4, 5]]
    """
    n_rows, n_cols = shape
    idx = np.arange(n_rows * n_cols).reshape(shape)
    out: list[np.ndarray] = []
    if rows and n_cols > 1:
        out.extend(idx[i, :] for i in range(n_rows))
    if cols and n_rows > 1:
        out.extend(idx[:, j] for j in range(n_cols))
    return out


def complementary_mask(
    values: np.ndarray | Sequence[float],
    mask: np.ndarray,
    constraints: Sequence[Sequence[int] | np.ndarray],
) -> np.ndarray:
    """Extend ``mask`` until no published constraint has exactly one masked cell.

    Parameters
    ----------
    values
        Counts, flattened in the same order as the indices of ``constraints``.
    mask
        Cells already masked (same shape as ``values``).
    constraints
        Each a set of flat indices whose sum is published (so a single masked cell among them
        could be recovered by subtraction).

    Returns
    -------
    numpy.ndarray
        The extended mask (a new array, same shape as ``mask``).

    Examples
    --------
    Three groups adding up to a published total; the small one (4) is masked, so the
    smallest other positive count is masked too:

    >>> complementary_mask([4, 30, 25], [True, False, False], [[0, 1, 2]]).tolist()
    [True, False, True]
    """
    vals = np.asarray(values, dtype=float).ravel()
    out = np.asarray(mask, dtype=bool).ravel().copy()
    sets = [np.asarray(c, dtype=np.int64) for c in constraints if len(c) > 1]
    changed = True
    while changed:
        changed = False
        for members in sets:
            masked = out[members]
            if masked.sum() != 1:
                continue
            candidates = members[~masked]
            cand_vals = vals[candidates]
            ok = np.isfinite(cand_vals)
            if not ok.any():
                continue
            candidates, cand_vals = candidates[ok], cand_vals[ok]
            positive = cand_vals > 0
            pool = candidates[positive] if positive.any() else candidates
            pool_vals = vals[pool]
            out[pool[int(np.argmin(pool_vals))]] = True
            changed = True
    return out.reshape(np.shape(mask))


def suppress_matrix(
    values: np.ndarray | pd.DataFrame,
    policy: SuppressionPolicy,
    *,
    row_totals: bool = True,
    col_totals: bool = True,
    extra_constraints: Sequence[Sequence[int] | np.ndarray] = (),
) -> np.ndarray:
    """Suppression kind of each cell of a count matrix: 0 published, 1 primary, 2 complementary.

    Parameters
    ----------
    values
        The counts (a 1-D array is taken as one column).
    policy
        The suppression policy; disabled, every cell is published.
    row_totals
        The row sums are published elsewhere (an Overall column); default True.
    col_totals
        The column sums are published elsewhere (the group sizes in the header); default True.
    extra_constraints
        Further sets of flat (row-major) indices whose sums are published.

    Returns
    -------
    numpy.ndarray
        int8 array of the matrix's shape: 0 published, 1 primary (``PRIMARY``), 2
        complementary (``COMPLEMENTARY``).

    Examples
    --------
    A 2 x 2 table of level counts by group, with the group sizes and the Overall column
    published: one small cell takes three more with it.

    >>> suppress_matrix([[4, 30], [50, 60]], SuppressionPolicy()).tolist()
    [[1, 2], [2, 2]]
    """
    arr = np.asarray(values, dtype=float)
    if arr.ndim == 1:
        arr = arr[:, None]
    kind = np.zeros(arr.shape, dtype=np.int8)
    if not policy.enabled:
        return kind
    prim = primary_mask(arr, policy.threshold, suppress_zero=policy.suppress_zero)
    cons = table_constraints((arr.shape[0], arr.shape[1]), rows=row_totals, cols=col_totals) + [
        np.asarray(c) for c in extra_constraints
    ]
    full = complementary_mask(arr.ravel(), prim.ravel(), cons).reshape(arr.shape)
    kind[prim] = PRIMARY
    kind[full & ~prim] = COMPLEMENTARY
    return kind


def suppress_vector(
    values: Sequence[float] | np.ndarray, policy: SuppressionPolicy, *, total_published: bool = True
) -> np.ndarray:
    """Suppression kinds of counts that add up to a published total (or not).

    Parameters
    ----------
    values
        The counts.
    policy
        The suppression policy.
    total_published
        Their sum is printed somewhere (default True): a single masked count gets a
        complementary one.

    Returns
    -------
    numpy.ndarray
        int8 array, one kind per count: 0 published, 1 primary, 2 complementary.

    Examples
    --------
    >>> suppress_vector([4, 30, 25], SuppressionPolicy()).tolist()
    [1, 0, 2]
    >>> suppress_vector([4, 30, 25], SuppressionPolicy(), total_published=False).tolist()
    [1, 0, 0]
    """
    arr = np.asarray(values, dtype=float).ravel()
    kind = suppress_matrix(arr[None, :], policy, row_totals=total_published, col_totals=False)
    return kind.ravel()


def suppress_flow(
    n_remaining: Sequence[int], n_excluded: Sequence[int], policy: SuppressionPolicy
) -> tuple[np.ndarray, np.ndarray]:
    """Suppression kinds for a cohort flow (first count, then one exclusion per step).

    ``n_remaining[0]`` is the starting count and ``n_remaining[i]`` the count after step ``i``
    (``n_excluded[i-1]`` removed). The last count is the analysis cohort, which every table of
    the report prints (Table 1's Overall column, the all-patients Kaplan-Meier row), so it is
    never masked here. Small exclusions are masked; since ``n_remaining[i-1] = n_remaining[i] +
    n_excluded[i-1]``, every count from the start down to the step of the last masked exclusion
    is masked too (complementary): the counts after it follow from the published cohort size
    and the published exclusions, the ones before it could be subtracted from each other.

    Parameters
    ----------
    n_remaining
        The count at the start and after each step.
    n_excluded
        The count excluded at each step (one fewer than ``n_remaining``).
    policy
        The suppression policy; disabled, nothing is masked.

    Returns
    -------
    tuple of numpy.ndarray
        ``(remaining_kind, excluded_kind)``: int8 suppression kinds (0 published, 1 primary,
        2 complementary) of ``n_remaining`` and of ``n_excluded``.

    Examples
    --------
    >>> rem, exc = suppress_flow([500, 496, 300], [4, 196], SuppressionPolicy())
    >>> rem.tolist(), exc.tolist()
    ([2, 0, 0], [1, 0])
    """
    rem = np.asarray(n_remaining, dtype=float)
    exc = np.asarray(n_excluded, dtype=float)
    rem_kind = np.zeros(rem.shape, dtype=np.int8)
    exc_kind = np.zeros(exc.shape, dtype=np.int8)
    if not policy.enabled:
        return rem_kind, exc_kind
    prim_exc = primary_mask(exc, policy.threshold, suppress_zero=policy.suppress_zero)
    prim_rem = primary_mask(rem, policy.threshold, suppress_zero=policy.suppress_zero)
    exc_kind[prim_exc] = PRIMARY
    rem_kind[prim_rem] = PRIMARY
    masked = np.flatnonzero(prim_exc)
    if masked.size:
        last = int(masked[-1])  # exclusion ``last`` goes from rem[last] to rem[last + 1]
        chain = np.zeros(rem.shape, dtype=bool)
        chain[: last + 1] = True
        rem_kind[chain & ~prim_rem] = COMPLEMENTARY
    return rem_kind, exc_kind


def format_count(value: float | int | None, kind: int, policy: SuppressionPolicy) -> str:
    """A count as published text: the number, ``<11`` or ``‡``.

    Parameters
    ----------
    value
        The count (None or NaN: not available).
    kind
        Its suppression kind: 0 published, 1 primary, 2 complementary.
    policy
        The suppression policy (its markers).

    Returns
    -------
    str
        The rounded count, the policy's primary or complementary marker, or ``""`` for a
        missing value.

    Examples
    --------
    >>> policy = SuppressionPolicy()
    >>> format_count(42.0, 0, policy), format_count(4, 1, policy), format_count(30, 2, policy)
    ('42', '<11', '‡')
    >>> format_count(None, 0, policy)
    ''
    """
    if kind == PRIMARY:
        return policy.primary_marker
    if kind == COMPLEMENTARY:
        return policy.complementary_marker
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return ""
    return f"{int(round(float(value)))}"


def format_counts(
    values: Sequence[float] | np.ndarray | pd.Series,
    policy: SuppressionPolicy,
    *,
    total_published: bool,
) -> list[str]:
    """Counts that add up to a published total (or not), suppressed and formatted.

    Parameters
    ----------
    values
        The counts.
    policy
        The suppression policy.
    total_published
        Their sum is printed somewhere (a single masked count then gets a complementary one).

    Returns
    -------
    list of str
        The published text of each count (see :func:`format_count`).

    Examples
    --------
    >>> format_counts([4, 30, 25], SuppressionPolicy(), total_published=True)
    ['<11', '30', '‡']
    >>> format_counts([4, 30, 25], SuppressionPolicy(enabled=False), total_published=True)
    ['4', '30', '25']
    """
    kinds = suppress_vector(np.asarray(values), policy, total_published=total_published)
    return [format_count(v, k, policy) for v, k in zip(values, kinds, strict=True)]


def kind_alone(value: int, policy: SuppressionPolicy) -> int:
    """Suppression kind of a count published on its own (no total it could be subtracted
    from): primary when small, published otherwise.

    Parameters
    ----------
    value
        The count.
    policy
        The suppression policy; disabled, the count is published.

    Returns
    -------
    int
        ``PRIMARY`` (1) when the count is small, 0 (published) otherwise.

    Examples
    --------
    >>> kind_alone(7, SuppressionPolicy()), kind_alone(70, SuppressionPolicy())
    (1, 0)
    """
    if not policy.enabled:
        return PUBLISHED
    small = primary_mask([value], policy.threshold, suppress_zero=policy.suppress_zero)[0]
    return PRIMARY if small else PUBLISHED


def format_count_alone(value: int, policy: SuppressionPolicy) -> str:
    """A count published on its own (e.g. rows excluded, patients without a value).

    Parameters
    ----------
    value
        The count.
    policy
        The suppression policy.

    Returns
    -------
    str
        The count, or the primary marker when it is small (see :func:`kind_alone`).

    Examples
    --------
    >>> format_count_alone(7, SuppressionPolicy()), format_count_alone(70, SuppressionPolicy())
    ('<11', '70')
    """
    return format_count(value, kind_alone(value, policy), policy)


def decide_policy(
    spec_setting: bool | None, threshold: int, rate_threshold: int, profile: Any = None
) -> SuppressionPolicy:
    """The suppression policy of a report, decided from the spec and the loader profile's
    *content* (its ``disclosure:`` block), never from the profile's file name.

    Parameters
    ----------
    spec_setting
        ``output.suppression.enabled`` of the spec (None = not said).
    threshold, rate_threshold
        The spec's thresholds.
    profile
        The resolved :class:`~crlm_outcomes.io.profile.Profile` (None for the synthetic demo).

    Returns
    -------
    SuppressionPolicy
        On when the spec says so or the profile requires it, with the larger of the spec's and
        the profile's thresholds.

    Raises
    ------
    SpecError
        The profile requires suppression (a data-use agreement) and the spec turns it off; or
        the profile is a registry's (a data-use agreement, or a registry profile's name) whose
        block does not decide and the spec does not say.

    Examples
    --------
    >>> decide_policy(None, 11, 16).enabled
    False
    """
    from crlm_outcomes.errors import SpecError

    block = dict(getattr(profile, "disclosure", {}) or {})
    name = str(getattr(profile, "name", "") or "").lower()
    required = block.get("suppression") == "required"
    registry = bool(block.get("data_use_agreement")) or name in ("seer", "ncdb")
    where = f"loader profile {getattr(profile, 'path', name)!s}"
    if spec_setting is False and required:
        raise SpecError(
            "output.suppression.enabled is false, but the loader profile's disclosure block "
            "requires small-cell suppression"
            + (f" ({block['rule']})" if block.get("rule") else ""),
            file=where,
            value=False,
            expected="true or absent: a report of these data must suppress small cells",
        )
    if spec_setting is None and registry and not required and block.get("suppression") != "none":
        raise SpecError(
            "the loader profile reads a registry under a data-use agreement but does not say "
            "whether small cells must be suppressed, and the spec does not either",
            file=where,
            expected="output.suppression.enabled: true (or false when the agreement allows), "
            "or a 'disclosure: {suppression: required}' block in the profile",
        )
    enabled = bool(spec_setting) if spec_setting is not None else required
    return SuppressionPolicy(
        enabled=enabled,
        threshold=max(threshold, int(block.get("threshold", 0))),
        rate_threshold=max(rate_threshold, int(block.get("rate_threshold", 0))),
    )
