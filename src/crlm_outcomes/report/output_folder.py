"""The report's output folder belongs to the user: build beside it, then move into place.

A build never deletes a file it did not write. :func:`building_into` gives the build a fresh
temporary folder beside ``out`` (same file system, so moves are renames) and, when the build
succeeds, :func:`install` moves its files into ``out``:

* ``out`` absent: the temporary folder is renamed to ``out`` in one step;
* ``out`` empty: the files are moved in;
* ``out`` holding a previous build (a ``manifest.json`` written by this package): the files that
  manifest lists are replaced or removed - only those, and only when unchanged since that build
  (a listed file the user edited is kept, and said so) - and the new files moved in;
* ``out`` holding anything else, or a file: :class:`~crlm_outcomes.errors.OutputFolderError`
  before any work is done.

A failed or interrupted build removes its temporary folder and leaves ``out`` as it was. Two
builds into one folder are serialised by a lock file beside it (``.<name>.crlm-lock``, an
advisory ``flock``): the second fails at once with a clear error instead of mixing outputs.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

from crlm_outcomes.errors import OutputFolderError
from crlm_outcomes.report.manifest import MANIFEST_NAME, sha256_file

__all__ = ["check_output_folder", "building_into", "install", "previous_outputs"]


def previous_outputs(out: Path) -> dict[str, str] | None:
    """Files (relative path -> sha256) a previous build listed in ``out/manifest.json``, or
    None when there is no manifest written by this package.

    Parameters
    ----------
    out
        The output folder.

    Returns
    -------
    dict or None
        Relative path -> sha256 of each listed output inside ``out`` (a listed path that
        would lead outside the folder is left out); None when ``out/manifest.json`` is
        absent, unreadable or not one of ours (no ``manifest_version`` or ``outputs``).

    Examples
    --------
    >>> import tempfile
    >>> from crlm_outcomes.report.manifest import build_manifest, write_manifest
    >>> with tempfile.TemporaryDirectory() as d:
    ...     out = Path(d)
    ...     print(previous_outputs(out))
    ...     manifest = build_manifest(
    ...         spec={}, spec_sha256="0", spec_file_sha256=None, inputs=[], seeds={},
    ...         outputs={"tables/flow.csv": "ab12", "../escape.txt": "cd34"},
    ...         versions={}, commit=None,
    ...     )
    ...     _ = write_manifest(out, manifest)
    ...     print(previous_outputs(out))
    None
    {'tables/flow.csv': 'ab12'}
    """
    path = out / MANIFEST_NAME
    if not path.is_file():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    outputs = manifest.get("outputs") if isinstance(manifest, dict) else None
    if not isinstance(outputs, dict) or "manifest_version" not in manifest:
        return None
    root = out.resolve()
    safe: dict[str, str] = {}
    for rel, sha in outputs.items():
        target = (out / str(rel)).resolve()
        if root in target.parents and isinstance(sha, str):  # never outside the folder
            safe[str(rel)] = sha
    return safe


def check_output_folder(out: Path) -> None:
    """Refuse ``out`` when it is a file or a non-empty folder no build of ours wrote.

    Parameters
    ----------
    out
        The output folder (it may not exist yet).

    Returns
    -------
    None
        ``out`` may be written: absent, empty, or holding a previous build's manifest.

    Raises
    ------
    OutputFolderError
        ``out`` is a file, or a non-empty folder without a manifest of ours.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     out = Path(d) / "report"
    ...     check_output_folder(out)  # absent: fine
    ...     out.mkdir()
    ...     _ = (out / "notes.txt").write_text("my notes")
    ...     try:
    ...         check_output_folder(out)
    ...     except OutputFolderError as exc:
    ...         print(str(exc)[:45])
    the output folder is not empty and holds no m
    """
    if out.exists() and not out.is_dir():
        raise OutputFolderError(
            "the output path is a file, not a folder",
            file=str(out),
            expected="a new or empty folder, or a previous report's folder",
        )
    if out.is_dir() and any(out.iterdir()) and previous_outputs(out) is None:
        raise OutputFolderError(
            "the output folder is not empty and holds no manifest.json of a previous report "
            "build; refusing to write into it (nothing it holds would be deleted, but files "
            "could be overwritten)",
            file=str(out),
            expected="a new or empty folder, or the folder of a previous report",
        )


def _fcntl() -> ModuleType | None:
    """The POSIX advisory-lock module; None on Windows (no lock there, still atomic moves)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return None
    return fcntl


@contextlib.contextmanager
def _lock(out: Path) -> Iterator[None]:
    lock_path = out.parent / f".{out.name}.crlm-lock"
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl = _fcntl()
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                # the holder before us unlinks the lock file when it ends: a lock taken on that
                # unlinked file would run beside a build that locked the new file
                if os.fstat(fd).st_ino != os.stat(lock_path).st_ino:
                    raise OSError("stale lock file")
            except OSError:
                raise OutputFolderError(
                    "another report build is writing into this folder",
                    file=str(out),
                    expected="one build at a time per output folder",
                ) from None
        yield
    finally:
        with contextlib.suppress(OSError):
            lock_path.unlink()
        os.close(fd)


@contextlib.contextmanager
def building_into(out: Path) -> Iterator[Path]:
    """Lock ``out`` and yield a fresh temporary folder beside it; the temporary folder is
    removed when the block ends (after :func:`install` has moved its files, or on failure).

    Parameters
    ----------
    out
        The output folder; its parent is created if needed.

    Yields
    ------
    pathlib.Path
        (a context manager) The empty temporary folder to build into, beside ``out`` and
        named ``.<name>.build-*``; the lock is released when the ``with`` block ends.

    Raises
    ------
    OutputFolderError
        ``out`` is a file, a foreign non-empty folder, or locked by another build.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     out = Path(d) / "report"
    ...     with building_into(out) as tmp:
    ...         _ = (tmp / "report.html").write_text("<p>Report</p>")
    ...         notes = install(tmp, out)
    ...     print(sorted(p.name for p in out.iterdir()), notes, tmp.exists())
    ['report.html'] [] False
    """
    out = Path(out)
    check_output_folder(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with _lock(out):
        check_output_folder(out)  # again, now that no other build can change it
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.build-", dir=out.parent))
        try:
            yield tmp
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def install(tmp: Path, out: Path) -> list[str]:
    """Move the files of ``tmp`` into ``out`` (see the module docstring).

    Parameters
    ----------
    tmp
        The finished build's temporary folder (from :func:`building_into`).
    out
        The output folder: absent, empty, or holding a previous build.

    Returns
    -------
    list of str
        Notes for the user (files of a previous build kept because they were edited).

    Raises
    ------
    OutputFolderError
        A new file would overwrite one that no previous build listed; nothing is changed.

    Examples
    --------
    A rebuild replaces the files the previous manifest lists and leaves the user's own:

    >>> import tempfile
    >>> from crlm_outcomes.report.manifest import build_manifest, sha256_file, write_manifest
    >>> def build(out, text):
    ...     with building_into(out) as tmp:
    ...         page = tmp / "report.html"
    ...         _ = page.write_text(text)
    ...         outputs = {"report.html": sha256_file(page)}
    ...         _ = write_manifest(tmp, build_manifest(
    ...             spec={}, spec_sha256="0", spec_file_sha256=None, inputs=[], seeds={},
    ...             outputs=outputs, versions={}, commit=None))
    ...         return install(tmp, out)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     out = Path(d) / "report"
    ...     _ = build(out, "first")
    ...     _ = (out / "my_notes.txt").write_text("kept")
    ...     print(build(out, "second"), (out / "report.html").read_text())
    ...     print(sorted(p.name for p in out.iterdir()))
    [] second
    ['manifest.json', 'my_notes.txt', 'report.html']
    """
    notes: list[str] = []
    if not out.exists():
        os.replace(tmp, out)
        tmp.mkdir()  # the caller removes it
        return notes
    old = previous_outputs(out) or {}
    new = {p.relative_to(tmp).as_posix() for p in tmp.rglob("*") if p.is_file()}
    foreign = sorted(rel for rel in new - set(old) - {MANIFEST_NAME} if (out / rel).exists())
    if foreign:
        raise OutputFolderError(
            f"the build would overwrite {len(foreign)} file(s) that no previous build wrote "
            f"(first: {foreign[0]}); nothing was changed",
            file=str(out),
            expected="move those files away or choose another folder",
        )
    for rel, sha in sorted(old.items()):
        if rel in new:
            continue
        path = out / rel
        if not path.is_file():
            continue
        if sha256_file(path) != sha:
            notes.append(f"{rel} (listed by the previous build's manifest) was edited since; kept.")
            continue
        path.unlink()
        parent = path.parent
        while parent != out and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent
    # the manifest last: until it is in place the folder still describes the old build
    for rel in sorted(new - {MANIFEST_NAME}) + ([MANIFEST_NAME] if MANIFEST_NAME in new else []):
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp / rel, target)
    return notes
