"""The explorer's data: every number the page shows, computed by the library.

:func:`page_data` turns a run's states and its dataset into plain Python
data (dicts, lists, floats, strs): the history, each state's parameters,
and for each state the graph of one point through the model and its loss,
with every node's data and grad and every edge of backward as
:func:`~functional_micrograd.autodiff.backward_steps` applies it (that graph
is built in ``_graph.py``; this module checks the arguments and assembles the
page's data). The page only looks these numbers up; it never recomputes one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from functional_micrograd import _checks
from functional_micrograd._train_checks import _check_fit
from functional_micrograd.datasets import Dataset
from functional_micrograd.explorer._graph import (
    LOSS_TEXT,
    POINT_LOSS,
    WHERE,
    _point_graph,
    _rule,
    _state_numbers,
    _structure,
)
from functional_micrograd.explorer._layout import layout
from functional_micrograd.nn import Model, structure
from functional_micrograd.training import TrainState

__all__ = ["FORMAT", "page_data"]

FORMAT = 1
"""The version of the page's data layout; the page's script reads this one."""

PADDING = 1.0  # how far the shaded regions reach past the data, as in micrograd's demo
HISTORY_FIELDS = (
    "step",
    "loss",
    "data_loss",
    "reg_loss",
    "accuracy",
    "learning_rate",
    "val_loss",
    "val_accuracy",
)
# The activations the page's shading forward pass knows (see page.js, forward).
SHADED = ("relu", "tanh", "sigmoid", "linear")


# -- the model's shape -------------------------------------------------------------


Architecture = tuple[tuple[tuple[int, str], ...], ...]


def _architecture(model: Model) -> Architecture:
    """Per layer, per neuron: its number of inputs and its activation."""
    return structure(model).layers


def _shape_text(arch: Architecture) -> str:
    """``'2 inputs, layers of 8 relu, 1 linear'``: an architecture, for messages and the page."""
    parts = []
    for row in arch:
        kinds = sorted({activation for _, activation in row})
        parts.append(f"{len(row)} {'/'.join(kinds)}")
    return f"{arch[0][0][0]} inputs, layers of {', '.join(parts)}"


# -- checks ------------------------------------------------------------------------


def _check_states(states: object) -> tuple[TrainState, ...]:
    if isinstance(states, (str, bytes, TrainState)) or not isinstance(states, Iterable):
        raise TypeError(
            f"{WHERE}: expected states to be a sequence of TrainStates "
            f"(what fm.training.iterate yields), got {_checks.describe(states)}"
        )
    found = tuple(states)
    if not found:
        raise ValueError(
            f"{WHERE}: expected states to be a non-empty sequence of TrainStates "
            f"(what fm.training.iterate yields), got none"
        )
    for i, state in enumerate(found):
        if not isinstance(state, TrainState):
            raise TypeError(
                f"{WHERE}: expected states[{i}] to be a TrainState, got {_checks.describe(state)}"
            )
    first = _architecture(found[0].model)
    for i, state in enumerate(found):
        arch = _architecture(state.model)
        if arch != first:
            raise ValueError(
                f"{WHERE}: expected every state to have the architecture of states[0] "
                f"({_shape_text(first)}), got states[{i}] with {_shape_text(arch)}; "
                "give the states of one run"
            )
    for row in first:
        for _, activation in row:
            if activation not in SHADED:
                raise ValueError(
                    f"{WHERE}: expected activations among {', '.join(SHADED)}, got {activation!r}"
                )
    return found


def _task(dataset: Dataset) -> str:
    return str(getattr(dataset, "task", "binary"))


def _classes(dataset: Dataset) -> tuple[Any, ...]:
    task = _task(dataset)
    if task == "binary":
        return (-1.0, 1.0)
    if task == "multiclass":
        return tuple(range(int(getattr(dataset, "num_classes", 0))))
    raise ValueError(f"{WHERE}: expected a dataset of classes, got one of task {task!r}")


def _check_dataset(dataset: object, model: Model) -> Dataset:
    """The dataset, if the model was trained on it (as training checks) and the page can draw it."""
    checked = _check_fit(WHERE, model, dataset)
    task = _task(checked)
    if task not in POINT_LOSS:
        raise ValueError(
            f"{WHERE}: expected a dataset of classes (task {' or '.join(map(repr, POINT_LOSS))}: "
            f"the page draws decision regions), got one of task {task!r}; "
            "the explorer does not draw regression runs"
        )
    if checked.width != 2:
        raise ValueError(
            f"{WHERE}: expected points in the plane (2 coordinates) to draw, got {checked.width}"
        )
    return checked


def _check_point(point: object, dataset: Dataset, nin: int) -> tuple[tuple[float, ...], Any, int]:
    """The point's coordinates, its label and its index in the dataset (-1 if not from it)."""
    if point is None:
        point = 0
    if isinstance(point, int) and not isinstance(point, bool):
        if not 0 <= point < len(dataset):
            raise ValueError(
                f"{WHERE}: expected point to be an index from 0 to {len(dataset) - 1}, "
                f"got {point!r}"
            )
        return tuple(dataset.xs[point]), dataset.ys[point], point
    usage = (
        "None (the first data point), an index into the dataset, or an (inputs, label) "
        "pair such as ((0.5, -0.25), 1.0)"
    )
    if (
        isinstance(point, (str, bytes))
        or not isinstance(point, Sequence)
        or len(point) != 2
        or isinstance(point[0], (str, bytes))
        or not isinstance(point[0], Sequence)
    ):
        raise TypeError(f"{WHERE}: expected point to be {usage}, got {_checks.describe(point)}")
    inputs, label = point
    if len(inputs) != nin:
        raise ValueError(
            f"{WHERE}: expected the point to have {nin} coordinates, as the model takes "
            f"{nin} inputs, got {len(inputs)}: {_checks.show(tuple(inputs))}"
        )
    coords = tuple(_checks.number(WHERE, f"point coordinate {i}", x) for i, x in enumerate(inputs))
    classes = _classes(dataset)
    if not any(type(label) is not bool and label == c for c in classes):
        raise ValueError(
            f"{WHERE}: expected the point's label to be one of "
            f"{', '.join(map(repr, classes))}, got {_checks.describe(label)}"
        )
    return coords, type(classes[0])(label), -1


# -- the whole page's data ------------------------------------------------------------


def _history(rows: Iterable[Any]) -> list[dict[str, Any]]:
    """History rows as dicts; fields a row lacks (val_loss, say) are None."""
    out = []
    for row in rows:
        out.append({name: getattr(row, name, None) for name in HISTORY_FIELDS})
    return out


def _bounds(dataset: Dataset) -> list[float]:
    xs = [p[0] for p in dataset.xs]
    ys = [p[1] for p in dataset.xs]
    return [min(xs) - PADDING, max(xs) + PADDING, min(ys) - PADDING, max(ys) + PADDING]


def page_data(states: Iterable[TrainState], dataset: Dataset, point: Any = None) -> dict[str, Any]:
    """Everything the explorer page shows, as plain data computed by the library.

    Args:
        states: the TrainStates of one run, in order (what
            ``fm.training.iterate`` yields); at least one.
        dataset: the data the run trained on.
        point: whose graph to show: None (the first data point), an index
            into the dataset, or an ``(inputs, label)`` pair.

    Returns:
        A dict of plain data (dicts, lists, floats, strs, None): ``dataset``,
        ``model``, ``history`` (the last state's rows; ``val_loss`` and
        ``val_accuracy`` are None where the run has no validation set),
        ``graph`` (the point's nodes, with their place on the page, and its
        edges in the order backward applies them), ``rules`` (each op's doc
        and derivative) and ``states``: per state its ``step``, the history
        row measured on its model (``row``, None when there is none, as for
        the last state of a run), its ``params``, and the graph's ``data`` and
        ``grad`` per node and ``upstream``, ``local``, ``contribution``,
        ``total`` per edge (:func:`~functional_micrograd.autodiff.backward_steps`).

    >>> import functional_micrograd as fm
    >>> data = fm.datasets.moons(10, seed=0)
    >>> states = list(fm.training.iterate(fm.nn.mlp(2, [2, 1], seed=0), data, steps=2))
    >>> d = page_data(states, data)
    >>> [s["step"] for s in d["states"]], [s["row"] for s in d["states"]]
    ([0, 1, 2], [0, 1, None])
    >>> d["states"][0]["grad"][-1], len(d["graph"]["edges"]) == len(d["states"][0]["total"])
    (1.0, True)
    """
    found = _check_states(states)
    model = found[0].model
    _check_dataset(dataset, model)
    nin = structure(model).nin
    coords, label, index = _check_point(point, dataset, nin)
    task = _task(dataset)
    root, inputs, scores = _point_graph(model, coords, label, task)
    node_rows, layout_nodes = _structure(model, root, inputs, scores)
    arch = _architecture(model)
    places = layout(layout_nodes, [len(row) for row in arch])
    for row, (column, y) in zip(node_rows, places):
        row["column"], row["row"] = column, y
    first, reference = _state_numbers(found[0], coords, label, task)
    per_state = [first]
    for i, state in enumerate(found[1:], start=1):
        numbers, shape = _state_numbers(state, coords, label, task)
        if shape != reference:  # cannot happen for models of one architecture
            raise ValueError(f"{WHERE}: the point's graph at states[{i}] differs from states[0]'s")
        per_state.append(numbers)
    history = _history(found[-1].history)
    row_of = {row["step"]: k for k, row in enumerate(history)}
    for numbers in per_state:
        numbers["row"] = row_of.get(numbers["step"])
    name = dataset.metadata.get("name")
    return {
        "format": FORMAT,
        "dataset": {
            "name": str(name),
            "task": task,
            "classes": list(_classes(dataset)),
            "points": [list(p) for p in dataset.xs],
            "labels": list(dataset.ys),
            "bounds": _bounds(dataset),
        },
        "model": {
            "shape": _shape_text(arch),
            "layers": [[activation for _, activation in row] for row in arch],
            "nin": nin,
            "parameters": structure(model).size,
        },
        "point": {"inputs": list(coords), "label": label, "index": None if index < 0 else index},
        "loss": LOSS_TEXT[task],
        "history": history,
        "graph": {"nodes": node_rows, "edges": [list(edge) for edge in reference[1]]},
        "rules": {op: _rule(op) for op in sorted({r["op"] for r in node_rows if r["op"]})},
        "states": per_state,
    }
