"""The output folder belongs to the user: foreign files are never deleted, builds are atomic
and serialised."""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

import pytest

from crlm_outcomes.errors import OutputFolderError, SpecError


def test_foreign_non_empty_folder_is_refused_untouched(tmp_path, tiny, qbuild):
    out = tmp_path / "thesis"
    (out / "figures").mkdir(parents=True)
    (out / "figures" / "my_figure.png").write_bytes(b"mine")
    (out / "report.html").write_text("my own page", encoding="utf-8")
    with pytest.raises(OutputFolderError, match="not empty"):
        qbuild(tiny(), out)
    assert (out / "figures" / "my_figure.png").read_bytes() == b"mine"
    assert (out / "report.html").read_text(encoding="utf-8") == "my own page"


def test_out_that_is_a_file_is_an_error(tmp_path, tiny, qbuild):
    target = tmp_path / "report.txt"
    target.write_text("keep", encoding="utf-8")
    with pytest.raises(OutputFolderError, match="is a file"):
        qbuild(tiny(), target)
    assert target.read_text(encoding="utf-8") == "keep"


def test_rebuild_keeps_files_the_package_did_not_write(tmp_path, tiny, qbuild):
    out = tmp_path / "r"
    first = qbuild(tiny(endpoints=["os", "rfs"]), out)
    assert "tables/km_summary_rfs.csv" in first.outputs
    (out / "tables" / "notes.txt").write_text("mine", encoding="utf-8")
    (out / "README.md").write_text("mine", encoding="utf-8")
    second = qbuild(tiny(), out)
    assert (out / "tables" / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (out / "README.md").read_text(encoding="utf-8") == "mine"
    # the previous build's own file that this build does not write is gone
    assert not (out / "tables" / "km_summary_rfs.csv").exists()
    listed = json.loads(second.manifest.read_text(encoding="utf-8"))["outputs"]
    assert all((out / rel).is_file() for rel in listed)


def test_edited_output_of_a_previous_build_is_kept(tmp_path, tiny, qbuild):
    out = tmp_path / "r"
    qbuild(tiny(endpoints=["os", "rfs"]), out)
    edited = out / "tables" / "km_summary_rfs.csv"
    edited.write_text("my edit", encoding="utf-8")
    res = qbuild(tiny(), out)
    assert edited.read_text(encoding="utf-8") == "my edit"
    assert any("edited since" in n for n in res.notes)


def test_forged_manifest_cannot_delete_outside_the_folder(tmp_path, tiny, qbuild):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    out = tmp_path / "r"
    out.mkdir()
    (out / "manifest.json").write_text(
        json.dumps(
            {"manifest_version": 1, "outputs": {"../victim.txt": "0" * 64, str(victim): "0" * 64}}
        ),
        encoding="utf-8",
    )
    qbuild(tiny(), out)
    assert victim.read_text(encoding="utf-8") == "precious"


def test_build_would_overwrite_an_unlisted_file_is_refused(tmp_path, tiny, qbuild):
    out = tmp_path / "r"
    qbuild(tiny(), out)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    del manifest["outputs"]["tables/cohort_flow.csv"]
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (out / "tables" / "cohort_flow.csv").write_text("user's own", encoding="utf-8")
    with pytest.raises(OutputFolderError, match="would overwrite"):
        qbuild(tiny(), out)
    assert (out / "tables" / "cohort_flow.csv").read_text(encoding="utf-8") == "user's own"


def test_concurrent_build_is_refused_while_locked(tmp_path, tiny, qbuild):
    out = tmp_path / "r"
    lock = tmp_path / ".r.crlm-lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another build holds the folder
        with pytest.raises(OutputFolderError, match="another report build"):
            qbuild(tiny(), out)
    finally:
        os.close(fd)
    assert not out.exists()
    qbuild(tiny(), out)  # released: builds
    assert (out / "manifest.json").is_file()


def _build_in_child(out: str, spec, queue) -> None:
    import warnings

    from crlm_outcomes.report.build import build_report

    warnings.simplefilter("ignore")
    try:
        build_report(spec, Path(out), jobs=1)
        queue.put("built")
    except OutputFolderError:
        queue.put("locked")
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        queue.put(f"error {type(exc).__name__}: {exc}")


def test_two_builds_in_parallel_processes_never_mix(tmp_path, tiny):
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    out = tmp_path / "r"
    procs = [
        ctx.Process(target=_build_in_child, args=(str(out), tiny(title=f"T{i}"), queue))
        for i in range(3)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    results = [queue.get(timeout=5) for _ in procs]
    assert "built" in results and set(results) <= {"built", "locked"}, results
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    page = (out / "report.html").read_text(encoding="utf-8")
    assert f"<h1>{manifest['spec']['title']}</h1>" in page  # page and manifest of one build
    assert all((out / rel).is_file() for rel in manifest["outputs"])
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".r.")]


def test_interrupted_build_leaves_the_folder_as_it_was(tmp_path, tiny, qbuild):
    out = tmp_path / "r"
    qbuild(tiny(), out)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def interrupt(step: str) -> None:
        if step.startswith("Kaplan-Meier"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        qbuild(tiny(endpoints=["os", "rfs"], title="other"), out, progress=interrupt)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]  # no temporary folder left


def test_failed_build_into_a_new_folder_creates_nothing(tmp_path, tiny, qbuild):
    out = tmp_path / "new"
    bad = tiny(filters=[{"column": "sex", "op": "==", "value": "martian"}])
    with pytest.raises(SpecError):
        qbuild(bad, out)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []
