"""The notebooks in notebooks/ run top to bottom (jupytext percent files, python3 kernel)."""

from __future__ import annotations

from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext", reason="jupytext is in the test extras")
nbclient = pytest.importorskip("nbclient", reason="nbclient is in the test extras")
pytest.importorskip("ipykernel", reason="ipykernel is in the test extras")

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.py"))


def test_the_four_notebooks_exist():
    names = [p.stem for p in NOTEBOOKS]
    assert names == [
        "01_quickstart",
        "02_loading_a_registry_file",
        "03_stratification",
        "04_survival_analysis",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes(path: Path, tmp_path: Path):
    notebook = jupytext.read(path)
    client = nbclient.NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=300,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    errors = [
        out
        for cell in notebook.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    assert errors == []
    # every code cell ran
    assert all(cell.get("execution_count") for cell in notebook.cells if cell.cell_type == "code")
