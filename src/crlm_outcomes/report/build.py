"""Build a reproducible report from an analysis spec.

``build_report(spec, out)`` loads the cohort (file + loader profile, or the synthetic demo),
adds the stratifiers, applies the inclusion filters, and writes into ``out``:

* ``report.html`` - self-contained (figures inlined as base64 PNG, no scripts or links out);
* ``figures/<name>.{png,svg,pdf}`` - every figure, saved by
  :func:`crlm_outcomes.plots.style.savefig_deterministic`;
* ``tables/<name>.{csv,html,tex}`` - every table as published (suppressed where required);
* ``manifest.json`` - inputs, spec and its hash, software versions, git commit, seeds and the
  sha256 of every other output (see :mod:`crlm_outcomes.report.manifest`).

Nothing in the outputs depends on the clock, the host or the output path, so building twice
from the same inputs gives byte-identical files.

This module is the orchestration only: the steps in order (:func:`plan`), the methods,
data-notes and provenance sections and the page, the optional PDF and the manifest. The steps
live in their own modules:

* :mod:`crlm_outcomes.report.load` - load the cohort and record its provenance;
* :mod:`crlm_outcomes.report.filters` - stratifiers and inclusion filters;
* :mod:`crlm_outcomes.report.sections` - one module per report section (cohort flow, Table 1,
  Kaplan-Meier, Cox, competing risks, landmark);
* :mod:`crlm_outcomes.report.writer` - figures (drawn in worker processes) and tables;
* :mod:`crlm_outcomes.report._context` - the state the steps share.
"""

from __future__ import annotations

import html as _html
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from crlm_outcomes._result import short_repr
from crlm_outcomes.labels import default_labels
from crlm_outcomes.report import manifest as mf
from crlm_outcomes.report._context import BuildContext
from crlm_outcomes.report.disclosure_check import assert_no_disclosure
from crlm_outcomes.report.filters import stratify_and_filter
from crlm_outcomes.report.html import render_report
from crlm_outcomes.report.load import load_cohort_step, spec_profile
from crlm_outcomes.report.methods_text import methods_text
from crlm_outcomes.report.output_folder import building_into, install
from crlm_outcomes.report.sections.competing_risks import competing_risks_section
from crlm_outcomes.report.sections.cox import cox_section
from crlm_outcomes.report.sections.flow import flow_section
from crlm_outcomes.report.sections.imputation import imputation_section
from crlm_outcomes.report.sections.km import km_section
from crlm_outcomes.report.sections.landmark import landmark_section
from crlm_outcomes.report.sections.matching import matching_section
from crlm_outcomes.report.sections.score_validation import score_validation_section
from crlm_outcomes.report.sections.table_one import table_one_section
from crlm_outcomes.report.spec import ENDPOINT_LABELS, AnalysisSpec, load_spec, spec_hash
from crlm_outcomes.report.suppression import decide_policy
from crlm_outcomes.report.table_one import FISHER_SEED
from crlm_outcomes.report.writer import OutputWriter, text_block

__all__ = ["BuildResult", "build_report", "plan", "DEMO_SPEC", "FISHER_SEED"]

#: The spec that ``crlm-outcomes report --demo`` builds.
DEMO_SPEC = Path(__file__).resolve().parent / "demo_spec.yaml"

ProgressFn = Callable[[str], None]


@dataclass(frozen=True)
class BuildResult:
    """What a build wrote.

    Attributes
    ----------
    out_dir, html, manifest
        The output folder, the report page and the manifest.
    outputs
        Relative path -> sha256 of every file written (the manifest excluded).
    notes
        Messages for the user (e.g. the optional PDF report skipped).

    Examples
    --------
    :func:`build_report` returns one; ``res.html`` is the page to open and ``res.outputs``
    holds the hashes that ``manifest.json`` records, e.g. to check a rebuild:
    ``build_report(spec, "out").outputs == build_report(spec, "out").outputs``.

    >>> import dataclasses
    >>> [f.name for f in dataclasses.fields(BuildResult)]
    ['out_dir', 'html', 'manifest', 'outputs', 'notes']
    """

    out_dir: Path
    html: Path
    manifest: Path
    outputs: dict[str, str]
    notes: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        return short_repr(
            self,
            {"out_dir": str(self.out_dir), "files": len(self.outputs), "notes": len(self.notes)},
        )


def plan(spec: AnalysisSpec) -> list[str]:
    """The build's steps, in order (the CLI's progress bar counts them).

    Parameters
    ----------
    spec
        The validated analysis spec.

    Returns
    -------
    list of str
        The step names, as :func:`build_report` passes them to its ``progress`` callback.

    Examples
    --------
    >>> from crlm_outcomes.report.spec import parse_spec
    >>> spec = parse_spec({"cohort": {"demo": True}, "endpoints": ["os", "rfs"]})
    >>> plan(spec)  # doctest: +NORMALIZE_WHITESPACE
    ['load cohort', 'stratify and filter', 'cohort flow', 'Kaplan-Meier: Overall survival',
     'Kaplan-Meier: Recurrence-free survival', 'methods and report page', 'manifest']
    >>> len(plan(load_spec(DEMO_SPEC)))  # the demo report
    13
    """
    steps = ["load cohort", "stratify and filter", "cohort flow"]
    if spec.comparison is not None:
        steps.append("Table 1")
    steps += [f"Kaplan-Meier: {ENDPOINT_LABELS[e]}" for e in spec.endpoints]
    if spec.imputation is not None:
        steps.append("multiple imputation")
    steps += [f"Cox model {m.name}" for m in spec.cox]
    steps += [f"matched comparison {i + 1}" for i in range(len(spec.matching))]
    steps += [f"competing risks {i + 1}" for i in range(len(spec.competing_risks))]
    steps += [f"landmark {i + 1}" for i in range(len(spec.landmarks))]
    if spec.score_validation is not None:
        steps.append("score validation")
    steps += ["methods and report page", "manifest"]
    return steps


# ---------------------------------------------------------------------------- entry point


def build_report(
    spec: AnalysisSpec | str | Path,
    out: str | Path,
    *,
    base_dir: str | Path | None = None,
    progress: ProgressFn | None = None,
    jobs: int | None = None,
) -> BuildResult:
    """Build the report of ``spec`` into the folder ``out``.

    Parameters
    ----------
    spec
        An :class:`~crlm_outcomes.report.spec.AnalysisSpec` or the path of a YAML spec.
    out
        Output folder: new, empty, or the folder of a previous build. The build is written
        into a temporary folder beside it and moved into place when it succeeds; of a previous
        build only the files its manifest lists are replaced or removed
        (:mod:`crlm_outcomes.report.output_folder`). With suppression on, the outputs must
        pass :func:`crlm_outcomes.report.disclosure_check.assert_no_disclosure` first.
    base_dir
        Folder that relative paths in the spec refer to (default: the spec file's folder, or
        the working directory for a spec object).
    progress
        Called with the name of each step as it starts (see :func:`plan`).
    jobs
        Worker processes drawing the figures (default: up to 2, the CPU count, when the
        calling process is single-threaded; serial otherwise, e.g. in Jupyter); 1 = serial.
        The output bytes do not depend on it.

    Returns
    -------
    BuildResult

    Raises
    ------
    SpecError
        Invalid spec, or a spec that does not fit the data (unknown column, bad filter value).
    InputError
        Loader errors (unreadable file, missing columns, ...).
    OutputFolderError
        ``out`` is a file, a non-empty folder no build wrote, or another build is writing it.
    DisclosureError
        With suppression on, a suppressed count could be recovered from the outputs; nothing
        is written.

    Examples
    --------
    The demo report (what ``crlm-outcomes report --demo --out demo_report`` writes) is
    ``build_report(DEMO_SPEC, "demo_report")``; a build takes seconds, so the example here
    shows the check made before any work: a folder holding files no build wrote is refused
    and left as it was.

    >>> import tempfile
    >>> from crlm_outcomes.errors import OutputFolderError
    >>> with tempfile.TemporaryDirectory() as d:
    ...     out = Path(d) / "report"
    ...     out.mkdir()
    ...     _ = (out / "analysis.R").write_text("library(survival)")
    ...     try:
    ...         build_report(DEMO_SPEC, out)
    ...     except OutputFolderError as exc:
    ...         print(str(exc).split(";")[0])
    ...     print(sorted(p.name for p in out.iterdir()))
    the output folder is not empty and holds no manifest.json of a previous report build
    ['analysis.R']
    """
    spec_file_sha = None
    if not isinstance(spec, AnalysisSpec):
        spec_path = Path(spec)
        spec_file_sha = mf.sha256_file(spec_path) if spec_path.is_file() else None
        base = Path(base_dir) if base_dir is not None else spec_path.resolve().parent
        spec = load_spec(spec_path)
    else:
        base = Path(base_dir) if base_dir is not None else Path.cwd()
    report = progress or (lambda step: None)
    out = Path(out)
    s = spec.output.suppression
    policy = decide_policy(s.enabled, s.threshold, s.rate_threshold, spec_profile(spec, base))
    if jobs is None:
        # forking a multi-threaded process (a Jupyter kernel) can deadlock: serial there
        jobs = min(2, os.cpu_count() or 1) if threading.active_count() == 1 else 1
    with building_into(out) as tmp:
        ctx = BuildContext(spec=spec, policy=policy, writer=OutputWriter(tmp, spec, jobs))
        try:
            _run(ctx, base, report)
        finally:
            ctx.writer.finish()
        versions = mf.software_versions()
        commit = mf.git_commit()
        sha = spec_hash(spec)
        page = _finish_page(ctx, versions, commit, sha)
        notes: list[str] = []
        if policy.enabled:
            checked = assert_no_disclosure(
                ctx.ledger, threshold=policy.threshold, suppress_zero=policy.suppress_zero
            )
            notes.append(
                f"Disclosure check passed: none of the {checked} suppressed counts "
                "can be recovered from the published tables, text and figures."
            )
        word = _word_report(tmp, spec, page)
        if word:
            notes.append(word)
        if spec.output.pdf_report:
            notes.append(_pdf_report(tmp))
        report("manifest")
        outputs = {
            p.relative_to(tmp).as_posix(): mf.sha256_file(p)
            for p in sorted(tmp.rglob("*"))
            if p.is_file() and p.name != mf.MANIFEST_NAME
        }
        manifest = mf.build_manifest(
            spec=spec.model_dump(mode="json"),
            spec_sha256=sha,
            spec_file_sha256=spec_file_sha,
            inputs=ctx.inputs,
            seeds=ctx.seeds,
            outputs=outputs,
            versions=versions,
            commit=commit,
        )
        mf.write_manifest(tmp, manifest)
        notes += install(tmp, out)
    return BuildResult(
        out_dir=out,
        html=out / "report.html",
        manifest=out / mf.MANIFEST_NAME,
        outputs=outputs,
        notes=notes,
    )


def _run(ctx: BuildContext, base: Path, report: ProgressFn) -> None:
    """The analysis steps, in :func:`plan` order."""
    report("load cohort")
    load_cohort_step(ctx, base)
    origins = (getattr(ctx.cohort, "provenance", None) or {}).get("endpoint_origins", {})
    ctx.labels = (
        default_labels()
        .with_origins({k: v.get("origin") for k, v in origins.items()})
        .merged(ctx.spec.labels.model_dump())
    )
    ctx.seeds["fisher_monte_carlo"] = FISHER_SEED
    report("stratify and filter")
    steps = stratify_and_filter(ctx)
    report("cohort flow")
    flow_section(ctx, steps)
    if ctx.spec.comparison is not None:
        report("Table 1")
        table_one_section(ctx)
    for endpoint in ctx.spec.endpoints:
        report(f"Kaplan-Meier: {ENDPOINT_LABELS[endpoint]}")
        km_section(ctx, endpoint)
    if ctx.spec.imputation is not None:
        report("multiple imputation")
        imputation_section(ctx)
    for i, m in enumerate(ctx.spec.cox):
        report(f"Cox model {m.name}")
        cox_section(ctx, i)
    for i in range(len(ctx.spec.matching)):
        report(f"matched comparison {i + 1}")
        matching_section(ctx, i)
    for i in range(len(ctx.spec.competing_risks)):
        report(f"competing risks {i + 1}")
        competing_risks_section(ctx, i)
    for i in range(len(ctx.spec.landmarks)):
        report(f"landmark {i + 1}")
        landmark_section(ctx, i)
    if ctx.spec.score_validation is not None:
        report("score validation")
        score_validation_section(ctx)
    report("methods and report page")


def _finish_page(
    ctx: BuildContext, versions: dict[str, Any], commit: str | None, sha: str
) -> dict[str, Any]:
    """Write report.html: the methods text, the sections, the data notes and the provenance
    (software versions, git commit, spec hash, input hashes, seeds, the validated spec)."""
    spec = ctx.spec
    methods = methods_text(
        spec,
        versions=versions,
        suppression=ctx.policy,
        table_one_tests=ctx.table_one_tests,
        cohort_note=ctx.cohort_note,
        labels=ctx.labels,
    )
    sections = [
        {"id": "methods", "title": "Statistical methods", "paragraphs": methods, "blocks": []},
        *ctx.sections,
    ]
    if ctx.notes:
        sections.append(
            {
                "id": "notes",
                "title": "Data notes",
                "paragraphs": [
                    "Notes from the analyses: patients left out of an analysis for missing values, "
                    "and warnings from model fitting."
                ],
                "blocks": [text_block("text", n, "note") for n in ctx.notes],
            }
        )
    deps = versions["dependencies"]
    prov = pd.DataFrame(
        [
            ("crlm_outcomes", versions["crlm_outcomes"]),
            ("python", versions["python"]),
            *[(k, str(v)) for k, v in deps.items()],
            ("git commit", str(commit)),
            ("spec sha256", sha),
            *[(f"input sha256 ({i.get('kind')})", str(i.get("sha256"))) for i in ctx.inputs],
            *[(f"seed: {k}", str(v)) for k, v in ctx.seeds.items()],
        ],
        columns=["item", "value"],
    )
    sections.append(
        {
            "id": "provenance",
            "title": "Provenance",
            "paragraphs": [
                "manifest.json beside this page lists the sha256 of every output file. No build time "
                "is recorded, so rebuilding from the same inputs gives identical files."
            ],
            "blocks": [ctx.writer.table(prov, "provenance", "Software, inputs and seeds")],
        }
    )
    spec_json = json.dumps(spec.model_dump(mode="json"), indent=2, sort_keys=True)
    sections[-1]["blocks"].append(text_block("heading", "Analysis spec (validated)"))
    sections[-1]["blocks"].append(
        {
            "kind": "table",
            "name": "spec",
            "files": [],
            "html": f"<pre>{_html.escape(spec_json)}</pre>",
        }
    )
    gen = f"Generated by crlm_outcomes {versions['crlm_outcomes']} from spec {sha[:12]}."
    # the count as the flow table publishes it (masked there = not printed here either)
    shown = ctx.published_counts.get("cohort")
    subtitle = f"Analysis cohort: {shown} patients. {gen}" if shown and shown.isdigit() else gen
    page = render_report(
        title=spec.title, subtitle=subtitle, sections=sections, version=versions["crlm_outcomes"]
    )
    (ctx.writer.out / "report.html").write_text(page, encoding="utf-8")
    return {"title": spec.title, "subtitle": subtitle, "sections": sections}


def _word_report(out: Path, spec: AnalysisSpec, page: dict[str, Any]) -> str:
    """Write report.docx (every section, figure and table) when asked or when python-docx is
    installed; the note for the user ("" when nothing to say)."""
    from crlm_outcomes.report.word import word_available, write_report_docx

    wanted = spec.output.word_report
    missing = [f for f in spec.output.table_formats if f == "docx"]
    if not word_available():
        if wanted or missing:
            return (
                "Word output skipped: python-docx is not installed "
                "(pip install 'crlm_outcomes[word]')."
            )
        return ""
    if wanted is False:
        return ""
    write_report_docx(out / "report.docx", **page)
    return "Word report written: report.docx."


def _pdf_report(out: Path) -> str:
    """Write report.pdf with WeasyPrint when it is installed; otherwise say it was skipped."""
    try:
        import weasyprint  # type: ignore[import-not-found]
    except ImportError:
        return (
            "PDF report skipped: WeasyPrint is not installed (pip install weasyprint); "
            "every figure is still written as PDF."
        )
    try:
        weasyprint.HTML(filename=str(out / "report.html")).write_pdf(str(out / "report.pdf"))
    except Exception as exc:  # noqa: BLE001 - an optional converter must not fail the build
        return f"PDF report skipped: WeasyPrint failed ({type(exc).__name__}: {exc})."
    return "PDF report written: report.pdf."
