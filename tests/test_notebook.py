"""Run examples/demo.ipynb end to end (with few training steps) and check it is stored clean."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "examples" / "demo.ipynb"


def _code_cells(nb: Any) -> list[Any]:
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def test_demo_notebook_is_saved_without_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    for i, cell in enumerate(_code_cells(nb)):
        assert cell.outputs == [], f"code cell {i} has stored outputs"
        assert cell.execution_count is None, f"code cell {i} has an execution count"


def test_demo_notebook_runs_without_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    steps_cells = [cell for cell in _code_cells(nb) if cell.source.strip() == "STEPS = 100"]
    assert len(steps_cells) == 1, "expected one code cell holding exactly 'STEPS = 100'"
    steps_cells[0].source = "STEPS = 3"

    # The kernel imports this checkout of the library and draws without a display.
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    monkeypatch.setenv("PYTHONPATH", path)
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    client = nbclient.NotebookClient(
        nb,
        kernel_name="python3",
        timeout=120,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError on the first failing cell

    errors = [
        output
        for cell in _code_cells(nb)
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert errors == []
    text = "".join(output.get("text", "") for cell in _code_cells(nb) for output in cell.outputs)
    assert "number of parameters 337" in text
    assert "same as the fold: True" in text
    images = [
        output
        for cell in _code_cells(nb)
        for output in cell.outputs
        if "image/png" in output.get("data", {})
    ]
    assert len(images) == 4  # the data, the training curves, the boundary, the yin-yang regions
    assert "4 states; the last is the fold's: True" in text
    pages = [
        output.data["text/html"]
        for cell in _code_cells(nb)
        for output in cell.outputs
        if "text/html" in output.get("data", {})
    ]
    assert len(pages) == 1 and pages[0].startswith('<iframe sandbox="allow-scripts"')
