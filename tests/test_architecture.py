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


#: matplotlib methods that draw or lay out a figure: flagged on whatever object they are called.
DRAWING = frozenset(
    {
        *("subplots", "subplot", "subplot_mosaic", "subfigures", "add_subplot", "add_axes"),
        *("errorbar", "bar", "barh", "imshow", "scatter", "step", "fill_between"),
        *("fill_betweenx", "axhline", "axvline", "axhspan", "axvspan", "hlines", "vlines"),
        *("annotate", "legend", "hist", "boxplot", "violinplot", "pcolormesh", "contourf"),
        *("supxlabel", "supylabel", "suptitle", "figtext", "tight_layout", "subplots_adjust"),
        *("set_xlabel", "set_ylabel", "set_title", "set_xticks", "set_yticks", "set_xlim"),
        *("set_ylim", "set_xticklabels", "set_yticklabels", "tick_params", "twinx", "twiny"),
    }
)
#: Names that hold pyplot, a figure or axes by the package's conventions: every call on them
#: (or on an item or attribute of them: ``axes[0].axis(...)``, ``ax.figure.text(...)``) draws,
#: bar the ``get_*`` readers. ``.plot(`` and ``.text(`` are flagged on these only, so that a
#: result's ``result.plot(ax=ax)`` delegation and a column reader's ``col.text(...)`` pass.
FIGURE_NAMES = frozenset({"plt", "pyplot", "fig", "figure", "ax", "axes", "axs", "subfig"})
#: What a module outside ``plots/`` must still call: the report writer saves the figures that
#: ``plots/`` drew and closes them.
ALLOWED_CALLS = {"crlm_outcomes.report.writer": frozenset({"savefig", "close"})}


def _root_name(node: ast.expr) -> str | None:
    """The name an attribute/item chain starts from (``axes`` of ``axes[0][1].figure``)."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _drawing_calls(source: str, module: str) -> list[str]:
    """The drawing calls of ``source`` (module ``module``): a :data:`DRAWING` method on any
    object, any call but a ``get_*`` on a :data:`FIGURE_NAMES` name (or on a name bound to
    ``matplotlib.pyplot``) and any function imported from ``matplotlib.pyplot``; what
    :data:`ALLOWED_CALLS` grants the module is left out."""
    tree = ast.parse(source)
    figure_names = set(FIGURE_NAMES)
    pyplot_functions: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a for a in node.names if a.name == "matplotlib.pyplot"]
            figure_names.update(a.asname or "matplotlib" for a in names)
        elif isinstance(node, ast.ImportFrom) and node.module == "matplotlib.pyplot":
            pyplot_functions.update(a.asname or a.name for a in node.names if a.name.islower())
    allowed = ALLOWED_CALLS.get(module, frozenset())
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in pyplot_functions:
            found.append(f"{module}:{node.lineno}: {func.id}(")
        if not isinstance(func, ast.Attribute) or func.attr in allowed:
            continue
        on_figure = _root_name(func.value) in figure_names and not func.attr.startswith("get_")
        if func.attr in DRAWING or on_figure:
            found.append(f"{module}:{node.lineno}: {ast.unparse(func)}(")
    return found


def test_drawing_lives_in_plots():
    """Every module outside ``plots/`` (``report/`` included) leaves drawing to ``plots/``."""
    offenders = []
    for name, path in _modules().items():
        if not name.startswith("crlm_outcomes.plots"):
            offenders += _drawing_calls(path.read_text(encoding="utf-8"), name)
    assert not offenders, "drawing outside plots/:\n" + "\n".join(offenders)


def test_drawing_check_catches_drawing_and_passes_delegation():
    drawing = """
import matplotlib.pyplot as plt
from matplotlib.pyplot import subplots
def grid(result, n):
    fig, axes = plt.subplots(n, 3, squeeze=False)
    axes[0][2].axis("off")
    ax = axes[0][0]
    ax.text(0.0, -0.2, "Number at risk")
    ax.plot([0, 1], [1, 0])
    fig.supxlabel("Months")
    result.curves_axes.fill_between([0, 1], [0, 0], [1, 1])
    subplots()
    fig.savefig("f.png")
    plt.close(fig)
    return ax
"""
    found = _drawing_calls(drawing, "crlm_outcomes.report.sections.x")
    assert [f.split(": ", 1)[1] for f in found] == [
        "plt.subplots(",
        "axes[0][2].axis(",
        "ax.text(",
        "ax.plot(",
        "fig.supxlabel(",
        "result.curves_axes.fill_between(",
        "subplots(",
        "fig.savefig(",
        "plt.close(",
    ]
    writer = _drawing_calls(drawing, "crlm_outcomes.report.writer")
    assert not any("savefig" in f or "close" in f for f in writer)
    delegation = """
def plot(self, ax=None, **kwargs):
    from crlm_outcomes.plots.km import plot_km
    self.auc.plot(ax=ax)
    col.text(frame, "exons")
    title = ax.get_title(loc="left")
    return plot_km(self, ax=ax, title=title, **kwargs)
"""
    assert _drawing_calls(delegation, "crlm_outcomes.survival.x") == []


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
