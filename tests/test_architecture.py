"""Architecture rules of CONTRIBUTING.md, checked on the source (issue #10).

* no import cycle among the package's modules at import time (imports inside functions and
  under ``TYPE_CHECKING`` are the sanctioned way for a result to delegate to ``plots/``);
* ``survival/`` never imports ``plots/`` at import time;
* every exception class is defined in ``errors.py``;
* drawing (matplotlib calls) lives in ``plots/`` only;
* no module imports a private name (``_x``) from another module, except from a shared-internals
  module whose own name starts with ``_`` (``survival/_inputs.py``, ``_result.py``, ...).
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "crlm_outcomes"


def _modules() -> dict[str, Path]:
    out = {}
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _top_level_imports(path: Path, name: str) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    pkg = name.split(".")[
                        : -node.level + (1 if path.name == "__init__.py" else 0) or None
                    ]
                    base = ".".join(pkg + ([base] if base else []))
                found.add(base)
                found.update(f"{base}.{a.name}" for a in node.names)
            elif isinstance(node, (ast.If, ast.Try, ast.With)):
                visit(node.body)
                visit(getattr(node, "orelse", []))

    visit(tree.body)
    return {m for m in found if m.startswith("crlm_outcomes")}


def test_no_import_cycles():
    mods = _modules()
    graph = {
        m: {d for d in _top_level_imports(p, m) if d in mods and d != m} for m, p in mods.items()
    }
    # a package imports its own submodules in __init__; edges from a module to an ancestor
    # package are the import machinery's, not a cycle of ours
    for m in graph:
        graph[m] = {d for d in graph[m] if not m.startswith(d + ".")}
    state: dict[str, int] = {}
    stack: list[str] = []

    def dfs(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                cycle = stack[stack.index(dep) :] + [dep]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if dep not in state:
                dfs(dep)
        stack.pop()
        state[node] = 2

    for m in sorted(graph):
        if m not in state:
            dfs(m)


def test_survival_does_not_import_plots_at_import_time():
    for name, path in _modules().items():
        if name.startswith("crlm_outcomes.survival"):
            bad = {d for d in _top_level_imports(path, name) if d.startswith("crlm_outcomes.plots")}
            assert not bad, f"{name} imports {bad} at import time"


def test_every_exception_is_defined_in_errors():
    offenders = []
    for name, path in _modules().items():
        if name == "crlm_outcomes.errors":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = {ast.unparse(b) for b in node.bases}
                if any(b.endswith(("Error", "Exception", "Warning")) for b in bases):
                    offenders.append(f"{name}.{node.name}")
    assert not offenders, f"exception classes outside errors.py: {offenders}"


DRAWING = (
    "plt.subplots",
    ".errorbar(",
    ".bar(",
    ".imshow(",
    ".scatter(",
    ".step(",
    ".fill_between(",
)


def test_drawing_lives_in_plots():
    offenders = []
    for name, path in _modules().items():
        if name.startswith(("crlm_outcomes.plots", "crlm_outcomes.report")):
            continue  # report/ arranges figures drawn by plots/ (figures.py saves them)
        text = path.read_text(encoding="utf-8")
        offenders += [f"{name}: {d}" for d in DRAWING if d in text]
    assert not offenders, offenders


def _resolve(node: ast.ImportFrom, name: str, path: Path) -> str:
    if not node.level:
        return node.module or ""
    pkg = name.split(".")[: -node.level + (1 if path.name == "__init__.py" else 0) or None]
    return ".".join(pkg + ([node.module] if node.module else []))


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def test_no_private_imports_across_modules():
    """A private name (``_x``) is imported from another module only when that module is a
    shared-internals module (its own name starts with ``_``), anywhere in the file (function
    bodies included); a private attribute of another package module is not read either."""
    mods = _modules()
    offenders = []
    for name, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases: dict[str, str] = {}  # local name -> package module it is bound to
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                base = _resolve(node, name, path)
                if not base.startswith("crlm_outcomes"):
                    continue
                for a in node.names:
                    full = f"{base}.{a.name}"
                    if full in mods:
                        aliases[a.asname or a.name] = full
                    if full in mods:  # a module: a private one is a shared-internals module
                        continue
                    if _private(a.name) and base != name and not _private(base.rsplit(".", 1)[-1]):
                        offenders.append(f"{name}: from {base} import {a.name}")
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name in mods and a.asname:
                        aliases[a.asname] = a.name
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and _private(node.attr)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
            ):
                target = aliases[node.value.id]
                if target != name and not _private(target.rsplit(".", 1)[-1]):
                    offenders.append(f"{name}: {target}.{node.attr}")
    assert not offenders, "private names used across modules:\n" + "\n".join(sorted(offenders))
