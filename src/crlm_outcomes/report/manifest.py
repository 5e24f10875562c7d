"""Provenance of a report build: inputs, spec, software, seeds and a hash of every output.

``manifest.json`` records everything needed to rebuild the report and check that it is the same:
the sha256 of the input file(s), the validated spec and its sha256, the versions of the package,
of Python and of the libraries used, the git commit of the package source (``null`` outside a
git checkout), the random seeds, and the sha256 of every file written.

It deliberately holds **no build time** (and no host name or absolute path): a rebuild from the
same inputs must give a byte-identical manifest, like every other output.
"""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = [
    "DEPENDENCIES",
    "sha256_file",
    "sha256_bytes",
    "software_versions",
    "git_commit",
    "build_manifest",
    "write_manifest",
    "MANIFEST_NAME",
]

MANIFEST_NAME = "manifest.json"
#: Distributions whose versions are recorded (the runtime dependencies that touch the numbers
#: or the output files).
DEPENDENCIES = (
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "formulaic",
    "matplotlib",
    "pandera",
    "pyarrow",
    "pydantic",
    "jinja2",
    "pyyaml",
    "typer",
)


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of ``data``.

    Parameters
    ----------
    data
        The bytes to hash.

    Returns
    -------
    str
        The 64-character lower-case hex digest.

    Examples
    --------
    >>> sha256_bytes(b"abc")[:16]
    'ba7816bf8f01cfea'
    """
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file, read in chunks.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    str
        The 64-character lower-case hex digest of its bytes (as :func:`sha256_bytes`).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as d:
    ...     f = Path(d) / "cohort.csv"
    ...     _ = f.write_bytes(b"abc")
    ...     sha256_file(f) == sha256_bytes(b"abc")
    True
    """
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def software_versions() -> dict[str, Any]:
    """Versions of crlm_outcomes, Python and :data:`DEPENDENCIES` (None when not installed).

    Returns
    -------
    dict
        ``crlm_outcomes`` and ``python`` (version strings) and ``dependencies``
        (distribution name -> version string, or None when it is not installed), in the
        order of :data:`DEPENDENCIES`.

    Examples
    --------
    >>> v = software_versions()
    >>> sorted(v)
    ['crlm_outcomes', 'dependencies', 'python']
    >>> list(v["dependencies"])[:3]
    ['numpy', 'pandas', 'scipy']
    """
    from crlm_outcomes import __version__

    deps: dict[str, str | None] = {}
    for name in DEPENDENCIES:
        try:
            deps[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            deps[name] = None
    return {"crlm_outcomes": __version__, "python": platform.python_version(), "dependencies": deps}


def git_commit(path: str | Path | None = None) -> str | None:
    """``git rev-parse HEAD`` of the checkout holding ``path`` (the package by default).

    Parameters
    ----------
    path
        A folder inside the checkout; default: this package's folder.

    Returns
    -------
    str or None
        The 40-hex-digit commit, or None when git is absent or ``path`` is not inside a git
        work tree.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:  # a folder outside any git work tree
    ...     print(git_commit(d))
    None
    """
    where = Path(path) if path is not None else Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=where,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    return commit if out.returncode == 0 and len(commit) == 40 else None


def build_manifest(
    *,
    spec: Mapping[str, Any],
    spec_sha256: str,
    spec_file_sha256: str | None,
    inputs: Iterable[Mapping[str, Any]],
    seeds: Mapping[str, int],
    outputs: Mapping[str, str],
    versions: Mapping[str, Any] | None = None,
    commit: str | None = None,
) -> dict[str, Any]:
    """The manifest as a dict (see the module docstring for the fields).

    Parameters
    ----------
    spec
        The validated spec as plain data (``AnalysisSpec.model_dump(mode="json")``).
    spec_sha256
        Hash of the validated spec.
    spec_file_sha256
        Hash of the spec file's bytes (None for a spec given as an object).
    inputs
        One mapping per input: ``kind``, ``sha256`` and, for a file, its ``path`` and loader
        ``profile``, or for the synthetic cohort its ``n`` and ``seed``.
    seeds
        Name -> random seed used by the build.
    outputs
        Relative path -> sha256 of every file written; sorted by path in the manifest.
    versions
        :func:`software_versions` (default: computed now).
    commit
        Git commit of the package source (:func:`git_commit`), or None.

    Returns
    -------
    dict
        JSON-ready: ``manifest_version``, ``build_time`` (always None, with a note why),
        ``software``, ``git_commit``, ``spec``, ``spec_sha256``, ``spec_file_sha256``,
        ``inputs``, ``seeds`` and ``outputs``.

    Examples
    --------
    >>> m = build_manifest(
    ...     spec={"title": "CRLM"},
    ...     spec_sha256=sha256_bytes(b"spec"),
    ...     spec_file_sha256=None,
    ...     inputs=[{"kind": "file", "path": "cohort.csv", "sha256": sha256_bytes(b"rows")}],
    ...     seeds={"fisher": 20240501},
    ...     outputs={"tables/b.csv": "22", "tables/a.csv": "11"},
    ...     versions={"crlm_outcomes": "0.2", "python": "3.12", "dependencies": {}},
    ... )
    >>> list(m["outputs"]), m["build_time"], m["git_commit"]
    (['tables/a.csv', 'tables/b.csv'], None, None)
    """
    return {
        "manifest_version": 1,
        "build_time": None,
        "build_time_note": "not recorded, so that rebuilds from the same inputs are byte-identical",
        "software": dict(versions or software_versions()),
        "git_commit": commit,
        "spec": dict(spec),
        "spec_sha256": spec_sha256,
        "spec_file_sha256": spec_file_sha256,
        "inputs": [dict(i) for i in inputs],
        "seeds": dict(seeds),
        "outputs": dict(sorted(outputs.items())),
    }


def write_manifest(out_dir: str | Path, manifest: Mapping[str, Any]) -> Path:
    """Write ``manifest.json`` (sorted keys, 2-space indent, trailing newline).

    Parameters
    ----------
    out_dir
        The build's output folder.
    manifest
        The manifest (:func:`build_manifest`); values JSON cannot hold are written as
        ``str(value)``.

    Returns
    -------
    pathlib.Path
        The file written, ``out_dir / "manifest.json"``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = write_manifest(d, {"seeds": {"fisher": 1}, "manifest_version": 1})
    ...     print(path.name)
    ...     print(path.read_text(encoding="utf-8"), end="")
    manifest.json
    {
      "manifest_version": 1,
      "seeds": {
        "fisher": 1
      }
    }
    """
    path = Path(out_dir) / MANIFEST_NAME
    path.write_text(
        json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8"
    )
    return path
