"""The wheel carries everything a user's install needs (not only an editable checkout)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "crlm_outcomes"


def _package_data() -> set[str]:
    """Every non-Python file under src/ that the package reads at run time."""
    wanted = set()
    for pattern in (
        "io/profiles/*.yaml",
        "schema/*.yaml",
        "schema/*.json",
        "schema/*.md",
        "report/templates/*",
        "report/*.yaml",
        "datasets/*.yaml",
        "py.typed",
    ):
        for path in SRC.glob(pattern):
            if path.is_file():
                wanted.add("crlm_outcomes/" + path.relative_to(SRC).as_posix())
    return wanted


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(f"pip wheel failed:\n{proc.stdout}\n{proc.stderr}")
    (path,) = out.glob("crlm_outcomes-*.whl")
    return path


def test_wheel_holds_every_module_and_data_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {"crlm_outcomes/" + p.relative_to(SRC).as_posix() for p in SRC.rglob("*.py")}
    missing = sorted((modules | _package_data()) - names)
    assert not missing, f"not in the wheel: {missing}"
    # the schema documents that `crlm-outcomes schema` points at are real files, not links
    for doc in ("canonical.yaml", "data_dictionary.md", "analysis_spec.schema.json"):
        data = zipfile.ZipFile(wheel).read(f"crlm_outcomes/schema/{doc}")
        assert len(data) > 1000, doc


def test_wheel_declares_the_console_script(wheel):
    z = zipfile.ZipFile(wheel)
    (entry,) = [n for n in z.namelist() if n.endswith("entry_points.txt")]
    assert "crlm-outcomes = crlm_outcomes.cli:app" in z.read(entry).decode()
