"""examples/demo.ipynb is stored with its outputs, and they are what it prints today.

The notebook is committed executed, so its plots and printed numbers show
wherever it is browsed. The tests check the stored copy is complete (every
code cell run once, in order, no errors, the plots there), then run the
notebook again in a fresh kernel and compare every cell's text outputs
(``text/plain`` results and printed streams) with the stored ones, after
normalising what changes from run to run (memory addresses, timings).

After changing the notebook or anything it prints, store fresh outputs with

    python3 tests/test_notebook.py
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "examples" / "demo.ipynb"
INSTALL = 'python3 -m pip install -e ".[notebook]"'
OPEN = "python3 -m jupyter notebook examples/demo.ipynb"
VOLATILE = [
    (re.compile(r"0x[0-9a-fA-F]+"), "0x..."),  # memory addresses in default reprs
    (re.compile(r"\b\d+(\.\d+)? ?(s|ms|µs|seconds)\b"), "<time>"),  # timings
]


def code_cells(nb: Any) -> list[Any]:
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def execute(nb: Any) -> Any:
    """Run ``nb`` in place in a fresh kernel, in examples/ (as Jupyter opens it), and return it."""
    # The kernel imports this checkout of the library and draws without a display.
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    environment = {"PYTHONPATH": path, "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    saved = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)
    try:
        client = nbclient.NotebookClient(
            nb,
            kernel_name="python3",
            timeout=300,
            record_timing=False,  # no timestamps in the stored cells
            resources={"metadata": {"path": str(NOTEBOOK.parent)}},
        )
        client.execute()  # raises CellExecutionError on the first failing cell
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return nb


def normalise(text: str) -> str:
    for pattern, replacement in VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def text_outputs(cell: Any) -> list[tuple[str, str]]:
    """A code cell's outputs as text: ("stdout", printed) or ("result", text/plain).

    Consecutive chunks of one stream are joined: how the kernel splits printed
    text into messages depends on timing, not on what the cell printed.
    """
    shown: list[tuple[str, str]] = []
    for output in cell.outputs:
        if output.output_type == "stream":
            if shown and shown[-1][0] == output.name:
                shown[-1] = (output.name, shown[-1][1] + normalise(output.text))
            else:
                shown.append((output.name, normalise(output.text)))
        elif output.output_type in ("execute_result", "display_data"):
            shown.append(("result", normalise(output.data.get("text/plain", ""))))
        else:
            shown.append((output.output_type, normalise(str(output.get("evalue", "")))))
    return shown


def stored() -> Any:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    return nb


def test_demo_notebook_is_stored_with_the_outputs_of_one_run_in_order() -> None:
    cells = code_cells(stored())
    assert [cell.execution_count for cell in cells] == list(range(1, len(cells) + 1))
    outputs = [output for cell in cells for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    images = [output for output in outputs if "image/png" in output.get("data", {})]
    assert len(images) == 4  # the data, the training curves, the boundary, the yin-yang regions
    html = [output.data["text/html"] for output in outputs if "text/html" in output.get("data", {})]
    assert len(html) == 1 and html[0].startswith('<iframe sandbox="allow-scripts"')
    text = "".join(output.get("text", "") for output in outputs)
    assert "MLP(2, [16, 16, 1]): 337 parameters" in text
    assert "same as the fold: True" in text
    assert "101 states; the last is the fold's: True" in text


def test_demo_notebook_first_cell_says_how_to_install_and_open_it() -> None:
    first = stored().cells[0]
    assert first.cell_type == "markdown"
    assert INSTALL in first.source and OPEN in first.source
    project = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^notebook = \[.*"jupyter"', project, re.MULTILINE)  # the extra exists
    guide = (ROOT / "docs" / "getting_started.md").read_text(encoding="utf-8")
    assert INSTALL in guide and OPEN in guide


@pytest.mark.xdist_group("notebook")
def test_demo_notebook_stored_text_outputs_are_what_it_prints_now() -> None:
    before = stored()
    after = execute(stored())
    cells = zip(code_cells(before), code_cells(after))
    for i, (old, new) in enumerate(cells):
        assert text_outputs(new) == text_outputs(old), (
            f"code cell {i} of {NOTEBOOK.name} prints something else now:\n{old.source}\n"
            "store fresh outputs with: python3 tests/test_notebook.py"
        )


def test_text_outputs_joins_chunks_of_one_stream_but_not_of_two() -> None:
    chunks = [
        nbformat.v4.new_output("stream", name="stdout", text="a\n"),
        nbformat.v4.new_output("stream", name="stdout", text="b\n"),
        nbformat.v4.new_output("stream", name="stderr", text="c\n"),
    ]
    cell = nbformat.v4.new_code_cell(outputs=chunks)
    assert text_outputs(cell) == [("stdout", "a\nb\n"), ("stderr", "c\n")]


def test_normalise_hides_addresses_and_timings() -> None:
    assert normalise("<function f at 0x7f950da7b100>") == "<function f at 0x...>"
    assert normalise("after 3 steps in 2.4 s") == "after 3 steps in <time>"
    assert normalise("loss 0.2 accuracy 98%") == "loss 0.2 accuracy 98%"


def main() -> int:
    """Run the notebook and store it with its outputs."""
    nb = execute(stored())
    nbformat.write(nb, NOTEBOOK)
    print(f"wrote {NOTEBOOK} with fresh outputs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
