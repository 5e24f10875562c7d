"""The state a report build carries from step to step.

:class:`BuildContext` holds the spec, the suppression policy, the output writer, the analysis
cohort and what the steps collect for the page and the manifest (sections, data notes, inputs,
seeds). :meth:`BuildContext.collect_warnings` turns the warnings an analysis raises into data
notes, with small numbers masked when suppression is on (a warning such as "3 rows excluded"
must not leak a count the tables suppress).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from crlm_outcomes.labels import Labels, default_labels
from crlm_outcomes.report.disclosure_check import DisclosureLedger
from crlm_outcomes.report.spec import AnalysisSpec
from crlm_outcomes.report.suppression import PRIMARY, SuppressionPolicy, kind_alone
from crlm_outcomes.report.writer import OutputWriter

__all__ = ["BuildContext"]


@dataclass
class BuildContext:
    """What the build steps share.

    Attributes
    ----------
    spec, policy, writer
        The analysis spec, its suppression policy and the output writer.
    data
        The analysis cohort (after stratifiers and inclusion filters).
    cohort
        The loaded cohort (with its load audit).
    sections
        The report sections, in page order.
    notes
        Data notes (warnings raised by the analyses, sections not analysed).
    table_one_tests
        Tests Table 1 used (for the methods text).
    inputs, seeds
        Inputs and random seeds, recorded in the manifest.
    cohort_note
        A sentence on where the cohort came from (for the methods text).
    labels
        Display labels: the schema's defaults, the cohort's endpoint origins and the spec's
        ``labels:`` (set once the cohort is loaded).
    imputations
        The multiple imputations of the spec's ``imputation:`` (pooled Cox models), or None.
    ledger
        Every count printed or masked, for the disclosure check
        (:mod:`crlm_outcomes.report.disclosure_check`).
    published_counts
        Counts as the flow table prints them (``"source"``, ``"loaded"``, ``"quarantined"``,
        ``"cohort"``), for the methods text and the subtitle: text never prints a count the
        tables mask.
    group_masks
        Per stratifier, the groups whose size a section masked; later sections mask them
        too (the same patients counted twice must not be printed once).
    """

    spec: AnalysisSpec
    policy: SuppressionPolicy
    writer: OutputWriter
    data: pd.DataFrame = field(default_factory=pd.DataFrame)
    cohort: Any = None
    sections: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    table_one_tests: list[str] = field(default_factory=list)
    inputs: list[dict[str, Any]] = field(default_factory=list)
    seeds: dict[str, int] = field(default_factory=dict)
    cohort_note: str = ""
    labels: Labels = field(default_factory=default_labels)
    imputations: Any = None
    ledger: DisclosureLedger = field(default_factory=DisclosureLedger)
    published_counts: dict[str, str] = field(default_factory=dict)
    group_masks: dict[str, set[str]] = field(default_factory=dict)

    @contextmanager
    def collect_warnings(self, where: str) -> Iterator[None]:
        """Record every warning raised in the block as a data note prefixed with ``where``."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
        self.warn_block(caught, where)

    def warn_block(self, caught: list[warnings.WarningMessage], where: str) -> None:
        """Add ``caught`` warnings to the data notes (once each, small numbers masked)."""
        for w in caught:
            msg = f"{where}: {self._mask_numbers(self.labels.readable(str(w.message)))}"
            if msg not in self.notes:
                self.notes.append(msg)

    def _mask_numbers(self, text: str) -> str:
        """Under suppression, mask every small whole number in a free-text message."""
        if not self.policy.enabled:
            return text

        def repl(m: re.Match[str]) -> str:
            small = kind_alone(int(m.group(0)), self.policy) == PRIMARY
            return self.policy.primary_marker if small else m.group(0)

        return re.sub(r"(?<![\w.])\d+(?![\w.])", repl, text)
