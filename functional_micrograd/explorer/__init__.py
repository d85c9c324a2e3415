"""Watch backprop happen: one self-contained HTML page for every state of a run.

:func:`page` takes the states a run passes through (what
``fm.training.iterate`` yields; the fold keeps every one) and its dataset,
and returns one HTML document that works opened from disk: no server, no
network, no CDN. It shows a step slider with play, pause and step; the data
with the model's decision regions and the loss and accuracy curves at the
selected step; and the graph of one point through the model and its loss,
every node with its data and grad, with a backward player that walks
:func:`~functional_micrograd.autodiff.backward_steps` edge by edge.

Every number on the page is the library's, computed here by
:func:`page_data` and embedded as JSON; the page's script only looks them up
(its one computation is a forward pass on floats to shade the regions, which
the tests check against :func:`~functional_micrograd.nn.forward`).

>>> import functional_micrograd as fm
>>> data = fm.datasets.moons(10, seed=0)
>>> states = list(fm.training.iterate(fm.nn.mlp(2, [2, 1], seed=0), data, steps=2))
>>> html = page(states, data)
>>> html.startswith("<!DOCTYPE html>"), "default-src 'none'" in html
(True, True)
"""

from __future__ import annotations

import base64
import hashlib
import html as _html
import json
import os
import re
import struct
from collections.abc import Iterable
from importlib import resources
from typing import Any

from functional_micrograd import _checks
from functional_micrograd.datasets import Dataset
from functional_micrograd.explorer import _data
from functional_micrograd.explorer._data import page_data
from functional_micrograd.training import TrainState

__all__ = [
    "FORMAT",
    "PACKED",
    "EmbeddedPage",
    "page",
    "page_data",
    "save",
    "script_json",
    "show",
    "unpack",
]

FORMAT = _data.FORMAT
"""The version of the layout of the page's data; the page's script reads this one."""

PACKED = ("params", "data", "grad", "upstream", "local", "contribution", "total")
"""The per-state lists the page stores packed: base64 of little-endian float64s, exact."""

_MARKER = re.compile(r"\{\{(csp|title|css|data|js)\}\}")


def _asset(name: str) -> str:
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


def _pack(numbers: list[float]) -> str:
    return base64.b64encode(struct.pack(f"<{len(numbers)}d", *numbers)).decode("ascii")


def unpack(text: str) -> list[float]:
    """The floats of one packed list of the page's JSON (see :data:`PACKED`).

    >>> unpack(_pack([1.5, -0.1]))
    [1.5, -0.1]
    """
    raw = base64.b64decode(text, validate=True)
    return list(struct.unpack(f"<{len(raw) // 8}d", raw))


def script_json(data: Any) -> str:
    """JSON that is safe inside a ``<script>`` element: no ``<``, ``>`` or ``&`` in it.

    The three are written as JSON escapes (``\\u003c`` ...), which JSON.parse
    reads back as the same characters, so no text (a label such as
    ``</script><script>alert(1)</script>``) can end the element or open a tag.

    >>> script_json({"label": "</script>&"})
    '{"label":"\\\\u003c/script\\\\u003e\\\\u0026"}'
    """
    text = json.dumps(data, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _sha256(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def page(states: Iterable[TrainState], dataset: Dataset, point: Any = None) -> str:
    """One self-contained HTML document exploring a run, state by state.

    Args:
        states: the TrainStates of one run, in order (``fm.training.iterate``
            yields them); at least one, all of one architecture.
        dataset: the dataset the run trained on, of classes: binary (a model
            with one output) or multiclass (one output per class, read as
            logits); a regression set is refused. Its points must have as
            many coordinates as the model has inputs (two: the page draws a plane).
        point: whose graph the page shows: None (the first data point), an
            index into the dataset, or an ``(inputs, label)`` pair.

    Returns:
        The HTML text. Its Content-Security-Policy allows only its own script
        and style (by hash) and forbids every network request.

    Raises:
        TypeError, ValueError: for states, a dataset or a point that do not
            fit, naming what came.
    """
    data = page_data(states, dataset, point)
    for numbers in data["states"]:
        for key in PACKED:
            numbers[key] = _pack(numbers[key])
    css, js = _asset("page.css"), _asset("page.js")
    csp = (
        f"default-src 'none'; script-src {_sha256(js)}; style-src {_sha256(css)}; "
        "base-uri 'none'; form-action 'none'"
    )
    parts = {
        "csp": csp,
        "title": _html.escape(f"explorer: {data['dataset']['name']}", quote=True),
        "css": css,
        "data": script_json(data),
        "js": js,
    }
    # One pass over the template: text put in is never searched for markers again.
    return _MARKER.sub(lambda m: parts[m.group(1)], _asset("page.html"))


def save(
    path: str | os.PathLike[str],
    states: Iterable[TrainState],
    dataset: Dataset,
    point: Any = None,
) -> str:
    """Write :func:`page` to ``path`` (UTF-8) and return the path written, as a str.

    >>> import functional_micrograd as fm, os, tempfile
    >>> data = fm.datasets.moons(10, seed=0)
    >>> states = list(fm.training.iterate(fm.nn.mlp(2, [2, 1], seed=0), data, steps=1))
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     written = save(os.path.join(folder, "run.html"), states, data)
    ...     os.path.getsize(written) > 10_000
    True
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"explorer.save: expected path to be a str or a path, got {_checks.describe(path)}"
        )
    text = page(states, dataset, point)
    target = os.fspath(path)
    with open(target, "w", encoding="utf-8") as f:
        f.write(text)
    return str(target)


class EmbeddedPage:
    """The explorer page for a notebook cell: Jupyter draws it in a sandboxed frame.

    ``html`` is the page itself (what :func:`page` returns).
    """

    def __init__(self, text: str, height: int) -> None:
        self.html = text
        self.height = height

    def _repr_html_(self) -> str:
        # srcdoc keeps the page whole, its own CSP included; the sandbox lets its
        # script run but cuts it off from the notebook around it.
        return (
            f'<iframe sandbox="allow-scripts" width="100%" height="{self.height}" '
            f'style="border: 1px solid #ccc" srcdoc="{_html.escape(self.html, quote=True)}">'
            "</iframe>"
        )

    def __repr__(self) -> str:
        return f"EmbeddedPage(<{len(self.html)} characters>)"


def show(
    states: Iterable[TrainState], dataset: Dataset, point: Any = None, height: int = 900
) -> EmbeddedPage:
    """The explorer page for a notebook: make it a cell's last line and it is drawn.

    Args:
        states, dataset, point: as for :func:`page`.
        height: the frame's height in pixels.

    >>> import functional_micrograd as fm
    >>> data = fm.datasets.moons(10, seed=0)
    >>> states = list(fm.training.iterate(fm.nn.mlp(2, [2, 1], seed=0), data, steps=1))
    >>> show(states, data)._repr_html_().startswith('<iframe sandbox="allow-scripts"')
    True
    """
    size = _checks.integer("explorer.show", "height", height, minimum=100)
    return EmbeddedPage(page(states, dataset, point), size)
