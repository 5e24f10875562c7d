"""First-rule-wins classification shared by the categorical stratifiers."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from crlm_outcomes.stratify._codes import Levels, Texts

__all__ = ["Decider"]


class Decider:
    """Assign levels (or reasons) by precedence: the first rule that applies wins.

    ``decide(mask, level)`` gives ``level`` to the still-open patients in ``mask``;
    ``decide(mask, None, why)`` leaves them unclassified with the reason ``why``.
    """

    def __init__(self, n: int, levels: Sequence[str]) -> None:
        self.value = Levels.empty(n, levels)
        self.reason = Texts.none(n)
        self.open = np.ones(n, dtype=bool)

    def decide(self, mask: np.ndarray, level: str | None, why: str | Texts | None = None) -> None:
        mask = np.asarray(mask, dtype=bool) & self.open
        if level is not None:
            self.value[mask] = level
        else:
            self.reason[mask] = why
        self.open &= ~mask
