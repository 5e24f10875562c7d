"""Command-line interface: ``crlm-outcomes`` (also ``python -m crlm_outcomes``).

Commands
--------
``report SPEC | --demo [--out DIR] [--quiet]``
    Build the reproducible report of an analysis spec (or of the synthetic demo cohort).
``validate FILE --profile P [--quarantine-out CSV] [--option KEY=VALUE]``
    Load a cohort file with a loader profile and print the audit; write the quarantine as CSV.
``profiles``
    List the shipped loader profiles.
``schema [--show paths|dictionary|spec-schema] [--out FILE]``
    Print (or write) the data dictionary or the analysis-spec JSON Schema, or list their paths.
``versions`` (and ``--version``)
    The environment for a bug report: Python, platform, and every dependency's version.

Errors raised on purpose by the package (:class:`~crlm_outcomes.errors.CrlmError`) are printed
as one clean line on stderr with exit code 2, never as a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from crlm_outcomes.errors import CrlmError, InputError, OutputFolderError, SpecError
from crlm_outcomes.safe_yaml import load_yaml

__all__ = ["app", "main"]

app = typer.Typer(
    name="crlm-outcomes",
    help="Outcome research on colorectal cancer liver metastases: audited loading, "
    "stratification, survival analysis and reproducible reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_INPUT_ERROR = 2


def _print_version(value: bool) -> None:
    if value:
        from crlm_outcomes import __version__

        typer.echo(f"crlm-outcomes {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Outcome research on colorectal cancer liver metastases."""


@app.command(
    help="Print the versions of Python, the platform and every dependency (for bug reports)."
)
def versions() -> None:
    """Print the versions of Python, the platform and every dependency (for bug reports).

    ``crlm-outcomes versions`` in a shell.

    Returns
    -------
    None
        Prints one ``name  version`` line each for the package, Python, the platform and
        every dependency (``not installed`` for a missing optional one) to stdout.

    Examples
    --------
    >>> from typer.testing import CliRunner
    >>> from crlm_outcomes.cli import app
    >>> result = CliRunner().invoke(app, ["versions"])
    >>> result.exit_code, result.stdout.split()[0], result.stdout.splitlines()[1].split()[0]
    (0, 'crlm_outcomes', 'python')
    """
    from crlm_outcomes._versions import show_versions

    show_versions()


def _fail(exc: BaseException) -> typer.Exit:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    typer.echo(f"error: {first}", err=True)
    return typer.Exit(code=EXIT_INPUT_ERROR)


@contextmanager
def _clean_errors() -> Iterator[None]:
    """Turn package errors into a one-line message and exit code 2."""
    try:
        yield
    except CrlmError as exc:
        raise _fail(exc) from None


@contextmanager
def _progress(total: int, quiet: bool) -> Iterator[Callable[[str], None]]:
    """A rich progress bar on stderr (nothing when ``quiet``); yields the step callback."""
    if quiet:
        yield lambda step: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    # no refresh thread: the build forks figure workers, which must not inherit a live thread
    with Progress(
        TextColumn("{task.description:<42}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
        auto_refresh=False,
    ) as bar:
        task = bar.add_task("building report", total=total)
        started = {"n": 0}

        def step(name: str) -> None:
            if started["n"]:
                bar.advance(task)
            started["n"] += 1
            bar.update(task, description=name)
            bar.refresh()

        yield step
        bar.update(task, completed=total, description="done")
        bar.refresh()


@app.command(
    help="Build the reproducible HTML report (figures, tables, manifest) of SPEC or --demo."
)
def report(
    spec: Annotated[
        Path | None, typer.Argument(help="Analysis spec (YAML).", show_default=False)
    ] = None,
    demo: Annotated[
        bool, typer.Option("--demo", help="Build the demo report on the synthetic cohort.")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Output folder (default reports/demo or reports/<spec name>)."
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Build the reproducible HTML report (figures, tables, manifest) of SPEC or --demo.

    ``crlm-outcomes report SPEC.yaml [--out DIR] [--quiet]`` or ``crlm-outcomes report
    --demo`` in a shell.

    Parameters
    ----------
    spec : pathlib.Path or None
        The analysis spec (YAML); give either it or ``demo``.
    demo : bool, default False
        Build the demo report on the synthetic cohort instead of a spec.
    out : pathlib.Path or None
        Output folder (default ``reports/demo`` or ``reports/<spec file stem>``).
    quiet : bool, default False
        No progress bar on stderr, and no manifest line.

    Returns
    -------
    None
        Writes the report folder and prints its notes (stderr), the path of the HTML
        report and of the manifest (stdout); a package error is one ``error:`` line on
        stderr and exit code 2.

    Examples
    --------
    Neither a spec nor ``--demo``:

    >>> from typer.testing import CliRunner
    >>> from crlm_outcomes.cli import app
    >>> result = CliRunner().invoke(app, ["report"])
    >>> result.exit_code
    2
    >>> print(result.stderr.strip())
    error: give either a spec file or --demo (not both); expected crlm-outcomes report SPEC.yaml | --demo
    """
    if (spec is None) == (not demo):  # checked before the heavy imports
        raise _fail(
            SpecError(
                "give either a spec file or --demo (not both)",
                expected="crlm-outcomes report SPEC.yaml | --demo",
            )
        )
    import matplotlib

    matplotlib.use("Agg")  # files only: never open a window
    from crlm_outcomes.report.build import DEMO_SPEC, build_report, plan
    from crlm_outcomes.report.spec import load_spec

    spec_path = DEMO_SPEC if demo else spec
    assert spec_path is not None
    target = out if out is not None else Path("reports") / ("demo" if demo else spec_path.stem)
    with _clean_errors():
        if spec_path is not None and spec_path.is_dir():
            raise SpecError(
                "the spec path is a folder",
                file=str(spec_path),
                expected="a YAML analysis spec file",
            )
        parsed = load_spec(spec_path)
        with _progress(len(plan(parsed)), quiet) as step:
            result = build_report(spec_path, target, progress=step)
    for note in result.notes:
        typer.echo(note, err=True)
    typer.echo(f"report: {result.html}")
    if not quiet:
        typer.echo(f"manifest: {result.manifest} ({len(result.outputs)} files hashed)")


def _parse_options(options: list[str]) -> dict[str, Any]:
    parsed: dict[str, Any] = {}
    for item in options:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise SpecError(
                "load option must look like KEY=VALUE",
                value=item,
                expected="e.g. --option os_origin=liver_resection",
            )
        try:
            parsed[key.strip()] = load_yaml(value) if value else None
        except (yaml.YAMLError, InputError):
            raise SpecError(
                "load option value is not a valid YAML scalar or list",
                column=key.strip(),
                value=value,
                expected="e.g. --option os_origin=liver_resection or "
                "--option missing_values=[NA, -9]",
            ) from None
    return parsed


def _write_error(path: Path, exc: OSError) -> OutputFolderError:
    """A clear error for an output file that cannot be written."""
    why = exc.strerror or type(exc).__name__
    if path.is_dir():
        why = "it is a folder"
    return OutputFolderError(
        f"cannot write the output file: {why}",
        file=str(path),
        expected="a writable file path (its folder is created)",
    )


@app.command(
    help="Load FILE with a profile and print the audit (rows in, loaded, quarantined, reasons)."
)
def validate(
    file: Annotated[
        Path,
        typer.Argument(
            help="Cohort file (CSV, Parquet, Excel, SAS, Stata, SPSS).", show_default=False
        ),
    ],
    profile: Annotated[
        str, typer.Option("--profile", "-p", help="Loader profile name or YAML path.")
    ],
    quarantine_out: Annotated[
        Path | None,
        typer.Option("--quarantine-out", help="Write the quarantined records to this CSV."),
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option(
            "--option", help="Load option KEY=VALUE (repeatable), e.g. os_origin=liver_resection."
        ),
    ] = None,
) -> None:
    """Load FILE with a profile and print the audit (rows in, loaded, quarantined, reasons).

    ``crlm-outcomes validate FILE --profile P [--quarantine-out CSV] [--option KEY=VALUE]``
    in a shell.

    Parameters
    ----------
    file : pathlib.Path
        The cohort file (CSV, TSV, Parquet, Excel, SAS, Stata, SPSS).
    profile : str
        Loader profile: a shipped name (``crlm-outcomes profiles``) or a YAML path.
    quarantine_out : pathlib.Path or None
        Write the quarantine records to this CSV (its folder is created).
    option : list of str or None
        Load options as ``KEY=VALUE`` (value read as a YAML scalar or list), e.g.
        ``os_origin=liver_resection``; see :data:`crlm_outcomes.io.load.LOAD_OPTIONS`.

    Returns
    -------
    None
        Prints :meth:`Cohort.summary() <crlm_outcomes.io.cohort.Cohort.summary>` and, with
        ``quarantine_out``, the number of records written; a package error is one
        ``error:`` line on stderr and exit code 2.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from typer.testing import CliRunner
    >>> from crlm_outcomes.cli import app
    >>> from crlm_outcomes.datasets import synthetic_frame
    >>> frame = synthetic_frame(8, seed=1)
    >>> frame.loc[2, "age_at_diagnosis"] = 250.0
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     export = pathlib.Path(tmp) / "export.csv"
    ...     frame.to_csv(export, index=False)
    ...     result = CliRunner().invoke(app, ["validate", str(export), "--profile", "canonical"])
    >>> result.exit_code
    0
    >>> for line in result.stdout.splitlines()[1:2] + result.stdout.splitlines()[4:6]:
    ...     print(line)
    rows in 8, loaded 7, quarantined 1
    quarantined rows by rule:
      age_out_of_range [age_at_diagnosis]: 1
    """
    from crlm_outcomes.io.load import load_cohort

    with _clean_errors():
        cohort = load_cohort(file, profile=profile, **_parse_options(option or []))
    typer.echo(cohort.summary())
    if quarantine_out is not None:
        with _clean_errors():
            try:
                quarantine_out.parent.mkdir(parents=True, exist_ok=True)
                cohort.audit.quarantine.to_csv(quarantine_out, index=False, lineterminator="\n")
            except OSError as exc:
                raise _write_error(quarantine_out, exc) from None
        typer.echo(
            f"quarantine: {len(cohort.audit.quarantine)} record(s) written to {quarantine_out}"
        )


@app.command(help="List the shipped loader profiles.")
def profiles() -> None:
    """List the shipped loader profiles.

    ``crlm-outcomes profiles`` in a shell.

    Returns
    -------
    None
        Prints one profile name a line (the names ``validate --profile`` and
        ``load_cohort(profile=...)`` accept).

    Examples
    --------
    >>> from typer.testing import CliRunner
    >>> from crlm_outcomes.cli import app
    >>> print(CliRunner().invoke(app, ["profiles"]).stdout.strip())
    canonical
    institutional
    ncdb
    seer
    tcia_crlm
    """
    from crlm_outcomes.io.profile import list_profiles

    for name in list_profiles():
        typer.echo(name)


class _Show(str, Enum):
    paths = "paths"
    dictionary = "dictionary"
    spec_schema = "spec-schema"


@app.command(help="Print or write the canonical data dictionary or the analysis-spec JSON Schema.")
def schema(
    show: Annotated[
        _Show,
        typer.Option(
            "--show",
            help="paths: where the schema documents "
            "are; dictionary: the data dictionary (Markdown); "
            "spec-schema: the analysis-spec JSON Schema.",
        ),
    ] = _Show.paths,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write to this file instead of printing.")
    ] = None,
) -> None:
    """Print or write the canonical data dictionary or the analysis-spec JSON Schema.

    ``crlm-outcomes schema [--show paths|dictionary|spec-schema] [--out FILE]`` in a shell.

    Parameters
    ----------
    show : {"paths", "dictionary", "spec-schema"}, default "paths"
        ``paths``: where the shipped schema documents are; ``dictionary``: the data
        dictionary (Markdown, generated from ``canonical.yaml``); ``spec-schema``: the
        analysis-spec JSON Schema.
    out : pathlib.Path or None
        Write the text to this file (its folder is created) instead of printing it.

    Returns
    -------
    None
        Prints the text, or ``wrote <out>``; a file that cannot be written is one
        ``error:`` line on stderr and exit code 2.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> from typer.testing import CliRunner
    >>> from crlm_outcomes.cli import app
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     target = pathlib.Path(tmp) / "spec.schema.json"
    ...     result = CliRunner().invoke(
    ...         app, ["schema", "--show", "spec-schema", "--out", str(target)])
    ...     schema = json.loads(target.read_text(encoding="utf-8"))
    >>> result.exit_code, result.stdout.startswith("wrote "), schema["type"]
    (0, True, 'object')
    """
    from crlm_outcomes.report.spec import spec_json_schema
    from crlm_outcomes.schema.definition import CANONICAL_YAML
    from crlm_outcomes.schema.dictionary import render_dictionary

    if show is _Show.paths:
        here = CANONICAL_YAML.parent
        text = (
            "\n".join(
                [
                    f"canonical schema (YAML): {CANONICAL_YAML.resolve()}",
                    f"data dictionary (Markdown): {(here / 'data_dictionary.md').resolve()}",
                    f"analysis spec JSON Schema: {(here / 'analysis_spec.schema.json').resolve()}",
                ]
            )
            + "\n"
        )
    elif show is _Show.dictionary:
        text = render_dictionary()
    else:
        text = json.dumps(spec_json_schema(), indent=2, sort_keys=True) + "\n"
    if out is not None:
        with _clean_errors():
            try:
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_text(text, encoding="utf-8")
            except OSError as exc:
                raise _write_error(out, exc) from None
        typer.echo(f"wrote {out}")
    else:
        sys.stdout.write(text)


def main() -> None:
    """Run the app (console-script entry point): the command and options come from
    ``sys.argv``, as typed after ``crlm-outcomes`` in a shell.

    Returns
    -------
    None
        It never returns normally: it exits (``SystemExit``) with code 0 on success and
        :data:`EXIT_INPUT_ERROR` (2) after printing a package error as one line on stderr.

    Examples
    --------
    ``crlm-outcomes profiles`` and ``crlm-outcomes validate`` on a file that does not exist:

    >>> import sys
    >>> from unittest import mock
    >>> with mock.patch.object(sys, "argv", ["crlm-outcomes", "profiles"]):
    ...     try:
    ...         main()
    ...     except SystemExit as done:
    ...         print("exit code", done.code)
    canonical
    institutional
    ncdb
    seer
    tcia_crlm
    exit code 0
    >>> argv = ["crlm-outcomes", "validate", "no_such_export.csv", "--profile", "canonical"]
    >>> with mock.patch.object(sys, "argv", argv):
    ...     try:
    ...         main()
    ...     except SystemExit as done:
    ...         print("exit code", done.code)
    exit code 2
    """
    app(prog_name="crlm-outcomes")
