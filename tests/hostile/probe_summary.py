"""Re-run the probe of issue 11 and count its cases per class: tried / clean / raw / lost / wrong.

Run from the repository root::

    python -m tests.hostile.probe_summary          # the whole probe (about two minutes)
    python -m tests.hostile.probe_summary --quick  # without the report builds

Two kinds of cases are counted:

* every test of the hostile-input suite (``tests/hostile``, and the formula-safety tests of
  ``tests/formula/test_formula_safety.py``), one case per test (or parameter set), run by
  pytest with a small plugin that records how each one ended;
* every code-execution payload against every entry point that evaluates a formula (Cox,
  Fine-Gray, propensity model, the formula checker of specs), and every hostile text
  (markup, LaTeX, control characters, paths) through every place the report prints text
  (HTML tables, Table 1 level names, LaTeX, file names, Word when python-docx is installed),
  one case each, run directly.

A case is **clean** when the package did what the suite demands (a clear error from
``crlm_outcomes.errors``, the value kept, the count masked, the file untouched); **raw** when
an exception that is not one of the package's errors escaped (a raw traceback); **lost** when
a check that a row, value or file survives failed (something vanished silently); **wrong**
otherwise (wrong output: code ran, a count leaked, text unescaped). The exit status is 1 when
any case is not clean.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

#: Probe classes of the issue, by test module (then by words of the test name).
CLASSES = {
    "test_hostile_formula": "code execution: formulas (CLI, spec)",
    "test_formula_safety": "code execution: formulas (API)",
    "test_hostile_escaping": "escaping: HTML, LaTeX, file names",
    "test_hostile_word": "escaping: Word export",
    "test_hostile_yaml": "YAML: alias bombs, duplicate keys, encodings",
    "test_hostile_disclosure": "disclosure: checker, Table 1, KM, SEER report",
    "test_hostile_disclosure_sections": "disclosure: model/CIF/score/imputation/matching",
    "test_hostile_files": "data that must not vanish: junk files",
    "test_hostile_tracebacks": "raw tracebacks become errors.py errors",
    "test_hostile_probe_summary": "this script's own classification",
}
#: Output-folder tests split by what they probe.
FOLDER_CLASSES = (
    ("concurrent", "concurrent builds"),
    ("parallel", "concurrent builds"),
    ("interrupted", "interrupted builds"),
    ("failed_build", "interrupted builds"),
)
#: Words of a test name that mark a check that something survives (a failure = lost).
SURVIVAL_WORDS = (
    "quarantin",
    "keep",
    "kept",
    "lost",
    "loads",
    "audit",
    "warns",
    "untouched",
    "refused",
    "never_mix",
    "leaves",
    "creates_nothing",
    "vanish",
    "calendar_day",
    "labels_are_applied",
    "unit",
)

COLUMNS = ("tried", "clean", "raw", "lost", "wrong")


@dataclass(frozen=True)
class Case:
    """One probe case and how it ended."""

    probe_class: str
    name: str
    outcome: str  # one of COLUMNS[1:]


def probe_class(module: str, name: str) -> str:
    """The probe class of a test (by its module and name).

    Examples
    --------
    >>> probe_class("test_hostile_output_folder", "test_concurrent_build_is_refused")
    'concurrent builds'
    >>> probe_class("test_hostile_yaml", "test_alias_bomb_spec_is_refused")
    'YAML: alias bombs, duplicate keys, encodings'
    """
    if module == "test_hostile_output_folder":
        for word, cls in FOLDER_CLASSES:
            if word in name:
                return cls
        return "files the user owns: output folder"
    return CLASSES.get(module, module)


def classify(name: str, exc: BaseException | None) -> str:
    """How a test case ended: ``clean`` (passed), ``raw`` (an exception that is not one of
    the package's errors escaped), ``lost`` (a survival check failed) or ``wrong``.

    Examples
    --------
    >>> classify("test_x", None)
    'clean'
    >>> classify("test_x", KeyError("col"))
    'raw'
    >>> classify("test_ragged_rows_are_quarantined", AssertionError())
    'lost'
    >>> classify("test_title_is_escaped", AssertionError())
    'wrong'
    """
    if exc is None:
        return "clean"
    from crlm_outcomes.errors import CrlmError

    failed_check = isinstance(exc, AssertionError) or type(exc).__name__ in (
        "Failed",
        "DidNotRaise",
    )
    if not failed_check and not isinstance(exc, CrlmError):
        return "raw"
    if failed_check and any(w in name for w in SURVIVAL_WORDS):
        return "lost"
    return "wrong"


class _Recorder:
    """pytest plugin: one :class:`Case` per test."""

    def __init__(self) -> None:
        self.cases: list[Case] = []

    def pytest_runtest_makereport(self, item: Any, call: Any) -> None:
        if call.when == "setup" and call.excinfo is not None:
            self._add(item, call.excinfo.value)
        elif call.when == "call":
            exc = call.excinfo.value if call.excinfo is not None else None
            if exc is not None and type(exc).__name__ == "Skipped":
                return
            self._add(item, exc)

    def _add(self, item: Any, exc: BaseException | None) -> None:
        module = Path(str(item.fspath)).stem
        self.cases.append(
            Case(probe_class(module, item.name), item.nodeid, classify(item.name, exc))
        )


def suite_cases(quick: bool) -> list[Case]:
    """Run the hostile suite under pytest and return its cases."""
    import pytest

    rec = _Recorder()
    paths = [
        str(ROOT / "tests" / "hostile"),
        str(ROOT / "tests" / "formula" / "test_formula_safety.py"),
    ]
    args = ["-q", "-p", "no:cacheprovider", "--no-header", "-rN", *paths]
    if quick:
        args += ["-k", "not seer and not sections and not leaky and not parallel"]
    pytest.main(args, plugins=[rec])
    return rec.cases


def _entry_points() -> dict[str, Callable[[Any, str], Any]]:
    import crlm_outcomes as co
    from crlm_outcomes.formula import check_formula

    return {
        "Cox": lambda d, f: co.cox(d, f, "time", "status"),
        "Fine-Gray": lambda d, f: co.fine_gray(d, f, "time", "cause"),
        "propensity": lambda d, f: co.propensity_weights(d, "treat", f),
        "formula check (specs)": lambda d, f: check_formula(f),
    }


def payload_cases() -> list[Case]:
    """Every code-execution payload against every formula entry point."""
    import warnings

    from crlm_outcomes.errors import CrlmError, FormulaError
    from tests.formula.test_formula_safety import _data, payloads

    data = _data()
    cases = []
    with tempfile.TemporaryDirectory() as tmp:
        marker = Path(tmp) / "pwned"
        for entry, fit in _entry_points().items():
            for formula in payloads(marker):
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        fit(data, formula)
                    outcome = "wrong"  # accepted: a payload must be refused
                except FormulaError as err:
                    outcome = "wrong" if "Traceback" in str(err) else "clean"
                except CrlmError:
                    outcome = "wrong"  # refused, but not as a formula error naming the term
                except Exception:  # noqa: BLE001 - a raw traceback is what is counted
                    outcome = "raw"
                if marker.exists():
                    outcome = "wrong"  # code ran
                    marker.unlink()
                cases.append(Case(f"code execution: payloads x {entry}", formula, outcome))
    return cases


#: Hostile text from a spec or the data: markup, LaTeX, control characters, paths.
HOSTILE_TEXT = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    '"><svg onload=alert(3)>',
    "</table><script>x</script>",
    "javascript:alert(4)",
    r"\input{/etc/passwd}",
    r"\write18{rm -rf /}",
    r"$x^2$ ~ 50% & #1 _a_ {b}",
    "back\\slash",
    "nul\x00byte",
    "bell\x07vt\x0bff\x0c",
    "../../etc/passwd",
    "rtl\u202eevil",
    "x" * 5000,
]
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_LATEX_ESCAPES = re.compile(
    r"\\text(?:backslash|asciitilde|asciicircum)\{\}|\\ddag\{\}"
    r"|\\[&%$#_{}]|\$[<>]\$"
)


def _html_clean(text: str, html: str) -> bool:
    body = html.lower()
    return not any(tag in body for tag in ("<script", "<img", "<svg")) and (
        not any(c in text for c in '<>&"') or text not in html
    )


def _latex_clean(text: str, tex: str) -> bool:
    rest = _LATEX_ESCAPES.sub("", tex)
    return not any(c in rest for c in "\\&%$#_{}~^") and not _CONTROL.search(tex)


def _sinks() -> dict[str, Callable[[str, Path], bool]]:
    """Where text of a spec or the data is printed, each with its check."""
    import pandas as pd

    from crlm_outcomes.report.latex import latex_escape
    from crlm_outcomes.report.table_one import table_one
    from crlm_outcomes.report.writer import escaped_html, safe_name

    def html_table(text: str, tmp: Path) -> bool:
        return _html_clean(text, escaped_html(pd.DataFrame({text: [text]}).style))

    def table_one_html(text: str, tmp: Path) -> bool:
        data = pd.DataFrame({"g": ["a", "a", "b", "b"], "x": [text, "ok", text, "ok"]})
        return _html_clean(text, table_one(data, "g", ["x"]).to_html())

    def latex(text: str, tmp: Path) -> bool:
        return _latex_clean(text, latex_escape(text))

    def file_name(text: str, tmp: Path) -> bool:
        name = safe_name(text)
        return (
            bool(re.fullmatch(r"[A-Za-z0-9._-]+", name))
            and not name.startswith(".")
            and len(name) < 100
        )

    sinks = {
        "HTML table": html_table,
        "Table 1 HTML (level names)": table_one_html,
        "LaTeX": latex,
        "file name": file_name,
    }
    try:
        import docx  # noqa: F401

        from crlm_outcomes.report.word import write_table_docx
    except ImportError:
        return sinks

    def word(text: str, tmp: Path) -> bool:
        import docx

        path = write_table_docx(pd.DataFrame({text: [text]}), tmp / "t.docx", caption=text)
        doc = docx.Document(str(path))
        cells = [c.text for row in doc.tables[0].rows for c in row.cells]
        want = _CONTROL.sub("", text)
        return cells == [want, want] and doc.paragraphs[0].text == want

    sinks["Word"] = word
    return sinks


def escaping_cases() -> list[Case]:
    """Every hostile text through every place the report prints text."""
    from crlm_outcomes.errors import CrlmError

    cases = []
    with tempfile.TemporaryDirectory() as tmp:
        for sink, check in _sinks().items():
            for text in HOSTILE_TEXT:
                try:
                    outcome = "clean" if check(text, Path(tmp)) else "wrong"
                except CrlmError:
                    outcome = "wrong"
                except Exception:  # noqa: BLE001 - a raw traceback is what is counted
                    outcome = "raw"
                cases.append(Case(f"escaping payloads x {sink}", repr(text[:40]), outcome))
    return cases


def table(cases: list[Case]) -> str:
    """The counts per class as a fixed-width text table (with a total row)."""
    classes = list(dict.fromkeys(c.probe_class for c in cases))
    rows = []
    for cls in [*classes, "total"]:
        sel = [c for c in cases if cls in ("total", c.probe_class)]
        n = Counter(c.outcome for c in sel)
        rows.append((cls, len(sel), *(n[k] for k in COLUMNS[1:])))
    width = max(len(r[0]) for r in rows)
    head = f"{'class':<{width}}  " + "  ".join(f"{c:>5}" for c in COLUMNS)
    lines = [head, "-" * len(head)]
    for r in rows:
        if r[0] == "total":
            lines.append("-" * len(head))
        lines.append(f"{r[0]:<{width}}  " + "  ".join(f"{v:>5}" for v in r[1:]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="skip the slow report builds (SEER report, section builds)",
    )
    args = parser.parse_args(argv)
    cases = suite_cases(args.quick) + payload_cases() + escaping_cases()
    print()
    print(table(cases))
    bad = [c for c in cases if c.outcome != "clean"]
    for c in bad:
        print(f"NOT CLEAN ({c.outcome}): {c.probe_class}: {c.name}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    sys.exit(main())
