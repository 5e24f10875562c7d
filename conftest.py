"""Doctest collection for ``python3 -m pytest`` from the repository root.

``pyproject.toml`` runs the Examples sections of the package's modules as doctests
(``--doctest-modules`` over ``src``). A module whose examples need an optional extra is not
collected when that extra is not installed; the header of the run names what was left out.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

_SRC = Path(__file__).parent / "src" / "crlm_outcomes"

#: Modules (or packages) whose examples need an optional extra -> the imports they need.
_NEEDS_EXTRA: dict[str, tuple[str, ...]] = {
    "scale": ("duckdb", "dask"),  # the [scale] extra
    "report/word.py": ("docx",),  # python-docx (Word output)
    "io/batched.py": ("duckdb",),  # the [scale] extra (ids repeated across batches)
}


def _missing(modules: tuple[str, ...]) -> list[str]:
    return [m for m in modules if importlib.util.find_spec(m) is None]


_LEFT_OUT = {
    _SRC / path: missing for path, needs in _NEEDS_EXTRA.items() if (missing := _missing(needs))
}


def pytest_ignore_collect(collection_path: Path, config) -> bool | None:
    """Leave out the doctests of modules whose optional extra is not installed."""
    for path in _LEFT_OUT:
        if collection_path == path or path in collection_path.parents:
            return True
    return None


def pytest_report_header(config) -> list[str]:
    if not _LEFT_OUT:
        return []
    return [
        f"doctests not collected (optional extra not installed): "
        f"{path.relative_to(_SRC.parent)} needs {', '.join(missing)}"
        for path, missing in _LEFT_OUT.items()
    ]
