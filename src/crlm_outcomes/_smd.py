"""The standardised mean difference (SMD): one implementation for Table 1, propensity-score
weighting and matching balance.

Definitions
-----------
Continuous or binary covariate, two groups (Austin 2009, equations 1 and 2)::

    d = (m1 - m0) / sqrt((s1^2 + s0^2) / 2)

with the sample variances (``ddof=1``) of a continuous covariate and ``p (1 - p)`` for a binary
one. After weighting or matching the means are weighted and the denominator stays the
*unweighted* pooled standard deviation, so that a change in ``d`` reflects a change in the means
only (Austin & Stuart 2015; MatchIt's ``summary()`` and cobalt do the same). When the pooled
standard deviation is 0 the SMD is NaN if the means differ; if they are equal it is 0 in balance
tables (cobalt, MatchIt) and NaN in Table 1 (``tableone`` divides 0 by 0).

Categorical covariate with ``K`` levels (Yang & Dalton 2012), proportions ``p1``, ``p0`` of
levels ``2..K`` in each group::

    d = sqrt((p1 - p0)' S^-1 (p1 - p0)),
    S = (diag(p1) - p1 p1' + diag(p0) - p0 p0') / 2

(Moore–Penrose inverse), which reduces to the binary formula above when ``K = 2``. For more than
two groups Table 1 reports the mean of the absolute pairwise SMDs (as R's ``tableone``).

References
----------
Austin PC. Balance diagnostics for comparing the distribution of baseline covariates between
treatment groups in propensity-score matched samples. *Statistics in Medicine*
2009;28(25):3083–3107, section 3.1.

Austin PC, Stuart EA. Moving towards best practice when using inverse probability of treatment
weighting (IPTW) using the propensity score to estimate causal treatment effects in
observational studies. *Statistics in Medicine* 2015;34(28):3661–3679, section 4.1.

Yang D, Dalton JE. A unified approach to measuring the effect size between two groups using
SAS. *SAS Global Forum 2012*, paper 335-2012.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np

__all__ = ["smd", "smd_binary", "smd_categorical", "smd_continuous"]


def smd(mean1: float, mean0: float, var1: float, var0: float, *, no_spread: float = 0.0) -> float:
    """Signed SMD ``(mean1 - mean0) / sqrt((var1 + var0) / 2)`` (Austin 2009).

    The variances are those of the *unweighted* groups; ``mean1``/``mean0`` may be weighted.

    Parameters
    ----------
    mean1, mean0
        Group means (treated, control).
    var1, var0
        Group variances (sample variance, or ``p (1 - p)`` for a binary covariate).
    no_spread
        The value when the pooled SD is 0 and the means are equal: 0 (cobalt, MatchIt) or NaN
        (``tableone`` divides 0 by 0).

    Returns
    -------
    float
        The SMD; ``no_spread`` when the pooled SD is 0 and the means are equal, NaN when it is
        0 (or NaN) and they differ.

    Examples
    --------
    >>> smd(1.0, 0.0, 1.0, 1.0)
    1.0
    >>> smd(0.5, 0.5, 0.0, 0.0)
    0.0
    """
    sd = float(np.sqrt((var1 + var0) / 2.0))
    if sd > 0:
        return float((mean1 - mean0) / sd)
    return float(no_spread) if mean1 == mean0 else float("nan")


def smd_binary(p1: float, p0: float) -> float:
    """Signed SMD of a binary covariate with proportions ``p1`` and ``p0``.

    Parameters
    ----------
    p1, p0
        Proportions in the two groups.

    Returns
    -------
    float
        ``(p1 - p0) / sqrt((p1 (1 - p1) + p0 (1 - p0)) / 2)``.

    Examples
    --------
    >>> round(smd_binary(0.5, 0.3), 6)
    0.417029
    """
    return smd(p1, p0, p1 * (1 - p1), p0 * (1 - p0))


def smd_continuous(groups: Sequence[np.ndarray]) -> float:
    """Absolute SMD of a continuous covariate; the mean of the pairwise SMDs for more than two
    groups (groups with fewer than two values are skipped; a pair with no spread at all is NaN,
    as in ``tableone``).

    Parameters
    ----------
    groups
        One array of (non-missing) values per group.

    Returns
    -------
    float
        The (mean pairwise) absolute SMD, NaN when no pair has two values in each group.

    Examples
    --------
    >>> import numpy as np
    >>> round(smd_continuous([np.array([1.0, 2.0, 3.0]), np.array([2.0, 3.0, 4.0])]), 6)
    1.0
    """
    values = [
        abs(
            smd(
                float(np.mean(a)),
                float(np.mean(b)),
                float(np.var(a, ddof=1)),
                float(np.var(b, ddof=1)),
                no_spread=float("nan"),
            )
        )
        for a, b in combinations(groups, 2)
        if len(a) >= 2 and len(b) >= 2
    ]
    return float(np.mean(values)) if values else float("nan")


def _yang_dalton(a: np.ndarray, b: np.ndarray) -> float:
    p1, p2 = (a / a.sum())[1:], (b / b.sum())[1:]
    diff = p1 - p2
    if not np.any(diff):
        return 0.0
    cov = (np.diag(p1) - np.outer(p1, p1) + np.diag(p2) - np.outer(p2, p2)) / 2.0
    return float(np.sqrt(max(float(diff @ np.linalg.pinv(cov) @ diff), 0.0)))


def smd_categorical(counts: np.ndarray) -> float:
    """Yang & Dalton SMD of a categorical covariate from a levels x groups count matrix; the
    mean of the pairwise SMDs for more than two groups.

    Parameters
    ----------
    counts
        Counts, one row per level and one column per group.

    Returns
    -------
    float
        The (mean pairwise) SMD, NaN when no pair of groups has observations and two levels.

    Examples
    --------
    >>> import numpy as np
    >>> round(smd_categorical(np.array([[50, 70], [50, 30]])), 6)  # = |smd_binary(.5, .3)|
    0.417029
    """
    counts = np.asarray(counts, dtype=float)
    values = [
        _yang_dalton(counts[:, i], counts[:, j])
        for i, j in combinations(range(counts.shape[1]), 2)
        if counts[:, i].sum() > 0 and counts[:, j].sum() > 0 and counts.shape[0] > 1
    ]
    return float(np.mean(values)) if values else float("nan")
