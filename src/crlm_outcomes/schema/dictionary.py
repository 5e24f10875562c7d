"""The human-readable data dictionary (``data_schema/README.md``), generated from the YAML.

``python -m crlm_outcomes.schema.dictionary`` rewrites the README next to ``canonical.yaml``;
a test fails when the committed README differs from :func:`render_dictionary`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from crlm_outcomes.schema.definition import (
    CANONICAL_YAML,
    ColumnSpec,
    SchemaDefinition,
    canonical_definition,
)

__all__ = ["render_dictionary", "dictionary_path", "write_dictionary", "main"]

_TYPES = {
    "string": "text",
    "int": "integer",
    "float": "number",
    "boolean": "true/false",
    "category": "category",
    "date": "date",
}


def _allowed(spec: ColumnSpec) -> str:
    parts = []
    if spec.levels is not None:
        sep = " < " if spec.ordered else ", "
        parts.append(sep.join(f"`{v}`" for v in spec.levels))
    if spec.min is not None or spec.max is not None:
        lo = "" if spec.min is None else f"{spec.min:g}"
        hi = "" if spec.max is None else f"{spec.max:g}"
        parts.append(f"{lo} to {hi}" if lo and hi else (f"≥ {lo}" if lo else f"≤ {hi}"))
    if spec.pattern is not None:
        parts.append(f"pattern `{spec.pattern}`")
    if spec.unique:
        parts.append("unique")
    return "; ".join(parts)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _filled_by(definition: SchemaDefinition) -> dict[str, list[str]]:
    """Per canonical column, the shipped (non-identity) profiles that fill it, with the source
    column(s) each reads."""
    from crlm_outcomes.io.profile import list_profiles, resolve_profile

    out: dict[str, list[str]] = {}
    for name in list_profiles():
        prof = resolve_profile(name)
        if prof.identity:
            continue
        for target, rule in prof.rules.items():
            if target in definition.columns:
                out.setdefault(target, []).append(
                    f"{name} (" + ", ".join(f"`{s}`" for s in rule.sources) + ")"
                )
        for target, rule in prof.rules.items():  # top codes fill the bound column
            if (
                any(e.bounds for e in (rule.coalesce or (rule,)))
                and f"{target}_at_least" in definition.columns
            ):
                out.setdefault(f"{target}_at_least", []).append(f"{name} (top codes)")
    return out


def render_dictionary(definition: SchemaDefinition | None = None) -> str:
    """Markdown data dictionary of the schema: one table per group, then the rules.

    Each column gives its NAACCR data item number(s) where one exists and which shipped
    profiles fill it (from which source columns); the ``canonical`` profile fills every
    column from its own name and is not listed.

    Parameters
    ----------
    definition
        The schema to document; ``None`` (default) = :func:`canonical_definition`.

    Returns
    -------
    str
        The Markdown text: a title with the schema name and version, one table per column
        group (column, type, unit, allowed values, required, description, NAACCR item,
        filling profiles), then the table of consistency rules.

    Examples
    --------
    >>> from crlm_outcomes.schema.dictionary import render_dictionary
    >>> lines = render_dictionary().splitlines()
    >>> lines[0]
    '# Data dictionary: crlm_canonical 1.1.0'
    >>> [line for line in lines if line.startswith("## ")][-2:]
    ['## Derived endpoints (never typed by hand)', '## Consistency rules']
    >>> row = next(line for line in lines if line.startswith("| `age_at_diagnosis`"))
    >>> [cell.strip() for cell in row.split("|")[1:5]]  # column, type, unit, allowed
    ['`age_at_diagnosis`', 'number', 'years', '0 to 110']
    """
    d = definition or canonical_definition()
    filled = _filled_by(d)
    lines = [
        f"# Data dictionary: {d.name} {d.version}",
        "",
        "<!-- Generated from canonical.yaml by `python -m crlm_outcomes.schema.dictionary`. "
        "Do not edit by hand. -->",
        "",
        "One row per patient. `canonical.yaml` is the single source of truth; the pandera schema "
        "(`crlm_outcomes.schema.pandera_schema`), the loader checks and this page are generated "
        f"from it. Times are in {d.time_unit} = days / {d.days_per_month:g}. "
        "A **required** column is never missing in a loaded cohort.",
        "",
    ]
    for group, title in d.groups.items():
        cols = [s for s in d.columns.values() if s.group == group]
        if not cols:
            continue
        lines += [
            f"## {title}",
            "",
            "| column | type | unit | allowed | required | description | NAACCR item | "
            "filled by profiles |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for s in cols:
            lines.append(
                f"| `{s.name}` | {_TYPES[s.dtype]} | {s.unit or ''} | {_cell(_allowed(s))} | "
                f"{'yes' if s.required else ''} | {_cell(s.description)} | "
                f"{_cell(s.naaccr_item or '')} | {_cell('; '.join(filled.get(s.name, [])))} |"
            )
        lines.append("")
    lines += [
        "## Consistency rules",
        "",
        "A row that breaks a rule is quarantined with the rule name and a reason; nothing "
        "is fixed silently.",
        "",
        "| rule | meaning |",
        "|---|---|",
    ]
    for name, text in d.consistency_rules.items():
        lines.append(f"| `{name}` | {_cell(text)} |")
    lines.append("")
    return "\n".join(lines)


def dictionary_path() -> Path:
    """``README.md`` next to the real ``canonical.yaml`` (``data_schema/README.md``).

    Returns
    -------
    pathlib.Path
        The dictionary's path, with the link ``schema/canonical.yaml`` resolved to the
        repository's ``data_schema`` directory.

    Examples
    --------
    >>> from crlm_outcomes.schema.dictionary import dictionary_path
    >>> dictionary_path().name
    'README.md'
    """
    return CANONICAL_YAML.resolve().with_name("README.md")


def write_dictionary(path: str | Path | None = None) -> Path:
    """Write the rendered dictionary (default :func:`dictionary_path`) and return its path.

    Parameters
    ----------
    path
        Where to write (UTF-8 Markdown, overwritten); ``None`` (default) =
        :func:`dictionary_path`.

    Returns
    -------
    pathlib.Path
        The path written.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from crlm_outcomes.schema.dictionary import write_dictionary
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     written = write_dictionary(Path(tmp) / "dictionary.md")
    ...     print(written.name, written.read_text(encoding="utf-8").splitlines()[0])
    dictionary.md # Data dictionary: crlm_canonical 1.1.0
    """
    target = Path(path) if path is not None else dictionary_path()
    target.write_text(render_dictionary(), encoding="utf-8")
    return target


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m crlm_outcomes.schema.dictionary [path]``.

    Parameters
    ----------
    argv
        The command-line arguments after the program name: an optional output path.
        ``None`` (default) reads ``sys.argv``.

    Returns
    -------
    int
        The exit status, 0 (after printing the path written).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from crlm_outcomes.schema.dictionary import main
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     status = main([str(Path(tmp) / "README.md")])  # doctest: +ELLIPSIS
    wrote .../README.md
    >>> status
    0
    """
    args = sys.argv[1:] if argv is None else argv
    written = write_dictionary(args[0] if args else None)
    print(f"wrote {written}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
