"""Tooling gates run by the test suite, so the README's test command (CI) enforces them.

* ``mypy`` on ``src/`` with the configuration in ``pyproject.toml`` reports no error;
* ``ruff check`` on the repository reports nothing (including C901: McCabe complexity <= 15),
  and ``ruff format --check`` finds nothing to reformat;
* the doctests are collected: ``python3 -m pytest`` runs the Examples of the package's modules
  (``--doctest-modules`` over ``src``, see ``pyproject.toml`` and ``conftest.py``);
* numpydoc sections: every function and class of the top-level API (``crlm_outcomes.__all__``)
  has Parameters (when it takes any), Returns (functions) and Examples, and so does every
  object of the other public modules (every name without a leading underscore that a module
  defines or lists in ``__all__``, and the public methods of its classes);
* no function body in ``src/`` is longer than ``MAX_BODY_LINES`` (80) lines;
* the notebooks and the README's Python blocks import only the public API (``crlm_outcomes``
  and its direct public subpackages and modules).
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import importlib.util
import inspect
import pkgutil
import re
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"


# ----------------------------------------------------------------------------- mypy


def _mypy_cache_dir() -> Path:
    """A cache kept between runs (a warm run takes seconds, a cold one half a minute of CPU),
    keyed by the versions whose stubs mypy reads, so environments never share stale entries."""
    stack = [sys.version]
    for dist in ("mypy", "numpy", "matplotlib", "pydantic", "scipy", "pandas", "formulaic"):
        try:
            stack.append(f"{dist}={metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            stack.append(f"{dist}=absent")
    key = hashlib.sha256("\n".join(stack).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / "crlm_outcomes-mypy-cache" / key


def test_mypy_clean_on_src():
    api = pytest.importorskip("mypy.api", reason="mypy is not installed (the [test] extra)")
    stdout, stderr, status = api.run(
        [
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(_mypy_cache_dir()),
            "--no-error-summary",
            "--no-pretty",
            str(SRC / "crlm_outcomes"),
        ]
    )
    errors = [line for line in stdout.splitlines() if ": error:" in line]
    assert status == 0 and not errors, (
        f"mypy found {len(errors)} error(s) on src/ (exit {status}):\n"
        + "\n".join(errors or [stdout, stderr])
    )


# ----------------------------------------------------------------------------- ruff


def test_ruff_check_clean():
    if importlib.util.find_spec("ruff") is None:
        pytest.skip("ruff is not installed (the [test] extra)")
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", str(ROOT)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 0, f"ruff check failed:\n{done.stdout}\n{done.stderr}"


#: What ``ruff format`` keeps formatted (the tree was reformatted once, in its own commit).
FORMATTED = ["src", "tests", "benchmarks", "reports", "conftest.py"]


def test_ruff_format_clean():
    if importlib.util.find_spec("ruff") is None:
        pytest.skip("ruff is not installed (the [test] extra)")
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "--no-cache", *FORMATTED],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 0, (
        "files not formatted (run `ruff format " + " ".join(FORMATTED) + "`):\n"
        f"{done.stdout}\n{done.stderr}"
    )


# ----------------------------------------------------------------------------- doctests


def test_doctests_are_collected_by_the_default_run(pytestconfig):
    """The README's ``python3 -m pytest`` must run the Examples: a configuration edit cannot
    silently drop them."""
    assert "--doctest-modules" in pytestconfig.getini("addopts")
    assert "src" in pytestconfig.getini("testpaths")


# ----------------------------------------------------------------------------- numpydoc

_SECTION = re.compile(r"^(Parameters|Returns|Yields|Examples|Attributes)\n-{3,}$", re.M)


def _public_modules() -> list[str]:
    import crlm_outcomes

    names = ["crlm_outcomes"]
    for info in pkgutil.walk_packages(crlm_outcomes.__path__, "crlm_outcomes."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return names


def _takes_parameters(obj: Any) -> bool:
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return False
    return any(p.name not in ("self", "cls") for p in sig.parameters.values())


def missing_sections(obj: object) -> list[str]:
    """The numpydoc sections ``obj`` lacks: Parameters when it takes any (a class may document
    its fields as Attributes instead), Returns (or Yields) for a function, and Examples."""
    found = set(_SECTION.findall(inspect.getdoc(obj) or ""))
    missing = []
    if inspect.isclass(obj):
        if (
            not issubclass(obj, BaseException)
            and _takes_parameters(obj)
            and not found & {"Parameters", "Attributes"}
        ):
            missing.append("Parameters")
    else:
        if _takes_parameters(obj) and "Parameters" not in found:
            missing.append("Parameters")
        if not found & {"Returns", "Yields"}:
            missing.append("Returns")
    if "Examples" not in found:
        missing.append("Examples")
    return missing


def _documented_objects(
    module_names: list[str], methods: bool = True
) -> tuple[dict[str, object], list[str]]:
    """Functions and classes the modules export (see :func:`_public_names`) and defined in
    the package, with the public methods of those classes when ``methods`` is true,
    by their defining ``module.qualname`` (a re-export is checked once); and the modules
    left out because an optional extra they import is not installed."""
    out: dict[str, object] = {}
    skipped: list[str] = []
    for name in module_names:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            if exc.name is not None and not exc.name.startswith("crlm_outcomes"):
                skipped.append(name)
                continue
            raise
        for attr in _public_names(module):
            obj = getattr(module, attr)
            if not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            if not getattr(obj, "__module__", "").startswith("crlm_outcomes"):
                continue
            out.setdefault(f"{obj.__module__}.{obj.__qualname__}", obj)
            if methods and inspect.isclass(obj) and not issubclass(obj, BaseException):
                for method_name, method in _public_methods(obj):
                    out.setdefault(f"{obj.__module__}.{obj.__qualname__}.{method_name}", method)
    return out, skipped


def _public_names(module: Any) -> list[str]:
    """What the module exports: its ``__all__``, plus (outside the top-level package, whose
    public surface is exactly its ``__all__``) every name without a leading underscore that
    the module itself defines."""
    names = list(getattr(module, "__all__", ()))
    if module.__name__ != "crlm_outcomes":
        for attr, obj in vars(module).items():
            if attr.startswith("_") or attr in names:
                continue
            if getattr(obj, "__module__", None) == module.__name__:
                names.append(attr)
    return names


def _public_methods(cls: type) -> list[tuple[str, Any]]:
    """The methods a class defines itself (not inherited) whose names have no leading
    underscore: plain, static and class methods. Properties are attributes, documented in
    the class's Attributes section, and are left out."""
    out = []
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(member, (staticmethod, classmethod)):
            member = member.__func__
        if inspect.isfunction(member):
            out.append((name, member))
    return out


def test_top_level_api_has_numpydoc_sections():
    objects, _ = _documented_objects(["crlm_outcomes"], methods=False)
    assert len(objects) >= 20
    gaps = {name: missing for name, obj in objects.items() if (missing := missing_sections(obj))}
    assert not gaps, "top-level API without numpydoc sections:\n" + "\n".join(
        f"  {name}: {', '.join(missing)}" for name, missing in sorted(gaps.items())
    )


def test_public_modules_have_numpydoc_sections():
    objects, skipped = _documented_objects(_public_modules())
    assert len(objects) >= 300
    gaps = sorted(
        f"{name}: {', '.join(missing)}"
        for name, obj in objects.items()
        if (missing := missing_sections(obj))
    )
    assert not gaps, (
        "public objects without numpydoc sections (add Parameters/Returns/Examples):\n  "
        + "\n  ".join(gaps)
        + (f"\n(modules not checked, their extra is not installed: {skipped})" if skipped else "")
    )


def test_missing_sections_check_can_fail():
    def bare(x):
        """One line only."""

    def full(x):
        """Summary.

        Parameters
        ----------
        x : int
            A number.

        Returns
        -------
        int
            The same number.

        Examples
        --------
        >>> full(1)
        1
        """
        return x

    assert missing_sections(bare) == ["Parameters", "Returns", "Examples"]
    assert missing_sections(full) == []


# ----------------------------------------------------------------------------- function size

#: The longest function body (lines after the docstring) the package holds. Longer functions
#: are split into named stages (issue #10); ruff's C901 caps their complexity at 15.
MAX_BODY_LINES = 80


def _long_functions(root: Path, limit: int) -> list[str]:
    out = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            first = node.body[0]
            has_doc = (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            )
            start = first.end_lineno + 1 if has_doc and len(node.body) > 1 else first.lineno
            length = (node.end_lineno or start) - start + 1
            if length > limit:
                where = path.relative_to(root.parent)
                out.append(f"{where}:{node.lineno} {node.name} ({length} lines)")
    return out


def test_no_function_body_over_the_limit():
    long = _long_functions(SRC / "crlm_outcomes", MAX_BODY_LINES)
    assert not long, (
        f"functions longer than {MAX_BODY_LINES} lines (split them into named stages):\n  "
        + "\n  ".join(long)
    )


def test_long_function_check_can_fail(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    body = "\n".join(f"    x{i} = {i}" for i in range(6))
    (package / "m.py").write_text(f'def f():\n    """Doc."""\n{body}\n', encoding="utf-8")
    assert _long_functions(package, 5) == ["pkg/m.py:1 f (6 lines)"]
    assert _long_functions(package, 6) == []


# ----------------------------------------------------------------------------- public API in docs


def _imports(source: str) -> list[tuple[str, str | None]]:
    """``(module, name)`` of every ``crlm_outcomes`` import in ``source`` (Python code);
    ``name`` is ``None`` for ``import module``."""
    found: list[tuple[str, str | None]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.extend((node.module, alias.name) for alias in node.names)
        elif isinstance(node, ast.Import):
            found.extend((alias.name, None) for alias in node.names)
    return [(m, n) for m, n in found if m.split(".")[0] == "crlm_outcomes"]


def _deep_names(source: str) -> list[str]:
    """The ``crlm_outcomes`` modules imported by ``source`` that are not the public API:
    anything below a public subpackage or module (``crlm_outcomes.survival.cox``), or with a
    private part; the public API is ``crlm_outcomes`` and its direct public subpackages and
    modules (``crlm_outcomes.report``, ``crlm_outcomes.federated``)."""
    return [
        module
        for module, _ in _imports(source)
        if len(module.split(".")) > 2 or any(p.startswith("_") for p in module.split("."))
    ]


def _readme_python_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"^```python\n(.*?)^```", text, re.M | re.S)


def test_notebooks_and_readme_use_the_public_api():
    sources = {p.name: p.read_text(encoding="utf-8") for p in sorted(ROOT.glob("notebooks/*.py"))}
    blocks = _readme_python_blocks()
    assert len(sources) >= 4 and len(blocks) >= 3
    sources.update({f"README.md python block {i + 1}": b for i, b in enumerate(blocks)})
    deep = {name: found for name, src in sources.items() if (found := _deep_names(src))}
    assert not deep, f"deep imports where the public API has the name: {deep}"
    missing = [
        f"{where}: {module}.{name}"
        for where, src in sources.items()
        for module, name in _imports(src)
        if name is not None
        and not hasattr(importlib.import_module(module), name)
        and importlib.util.find_spec(f"{module}.{name}") is None  # a subpackage
    ]
    assert not missing, f"imported names the public module does not have: {missing}"


def test_deep_import_check_can_fail():
    source = "from crlm_outcomes.survival.cox import cox\nimport crlm_outcomes._data"
    assert _deep_names(source) == ["crlm_outcomes.survival.cox", "crlm_outcomes._data"]
    assert _deep_names("from crlm_outcomes import cox\nfrom crlm_outcomes.report import x") == []
