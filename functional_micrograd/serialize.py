"""Saving and loading as plain JSON: models, training runs and optimizer states.

Every document is one JSON object with ``"format_version": 1`` and a
``"kind"``; every float round-trips bit-exactly (JSON holds a float's
shortest repr). Loading reads plain JSON only: nothing named in the text is
imported or run, and anything malformed, truncated, wrongly shaped, with
unknown or duplicate keys, or of another version raises ``ValueError``
saying where (a message of at most a few hundred characters).

This module writes and reads each kind of record; the format they share
(the version, the size limit, the parse, the checks of parsed JSON) is
written in ``_json_format.py``.

Loading is bounded. A text of more than :data:`MAX_TEXT` characters is
refused before it is parsed. The parse runs with the cyclic collector paused
(parsed JSON has no cycles); the whole document is then checked, shape first
(keys, lengths, every layer's width against the next) and numbers second,
before a single Value is made, and the records are built last, by the
walker's :func:`~functional_micrograd.nn.unflatten`, which checks them as
their constructors do. So a text that is refused costs at most the parsed
JSON: about 4 bytes per character for an array of small ints, 10 for an
array of floats, and at most about 30 for the worst case, a text of nothing
but tiny objects or empty lists. A text that is accepted costs that plus the
model it holds, at most about 300 bytes per parameter.

>>> from functional_micrograd import nn
>>> text = to_json(nn.neuron(2, seed=0))
>>> text[:40]
'{"format_version": 1, "kind": "Neuron", '
>>> from_json(text).w[0].data == nn.neuron(2, seed=0).w[0].data
True
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from typing import Any

from pyrsistent import PClass, PMap, PVector, pmap, pvector

from functional_micrograd import _checks, _collector, _json_format, nn, optim, training
from functional_micrograd._json_format import (
    _bad,
    _dumps,
    _integer,
    _list,
    _maybe_number,
    _number,
    _numbers,
    _object,
    _top,
)
from functional_micrograd.nn import Model, Structure
from functional_micrograd.value import Value, _leaf

__all__ = [
    "FORMAT_VERSION",
    "MAX_TEXT",
    "from_json",
    "opt_state_from_json",
    "opt_state_to_json",
    "run_from_json",
    "run_to_json",
    "to_json",
]

FORMAT_VERSION = _json_format.FORMAT_VERSION
"""The ``format_version`` every document is written with and the only one read."""

MAX_TEXT = _json_format.MAX_TEXT
"""The longest text a loader reads, in characters; a longer one is refused unparsed."""

_MODEL_KINDS = ("Neuron", "Layer", "MLP")
_ROW_FIELDS: tuple[str, ...] = tuple(training.HistoryRow._pclass_fields)  # type: ignore[attr-defined]
_STATES: dict[str, Any] = {
    cls.__name__: cls
    for cls in (
        optim.SGDState,
        optim.MomentumState,
        optim.AdamState,
        optim.AdamWState,
        optim.RMSPropState,
    )
}


# -- writing ---------------------------------------------------------------------------


def _model_doc(model: Model) -> dict[str, Any]:
    """``{"kind": ..., "model": ...}``: a model's document without the version."""
    params, shape = nn.flatten(model)
    data = [p.data for p in params]
    rows, at = [], 0
    for row in shape.layers:
        units = []
        for nin, activation in row:
            units.append({"activation": activation, "w": data[at : at + nin], "b": data[at + nin]})
            at += nin + 1
        rows.append(units)
    if shape.kind == "Neuron":
        body: dict[str, Any] = rows[0][0]
    elif shape.kind == "Layer":
        body = {"neurons": rows[0]}
    else:
        body = {"layers": [{"neurons": units} for units in rows]}
    return {"kind": shape.kind, "model": body}


def to_json(model: Model) -> str:
    """Save a model as plain JSON text; every float round-trips exactly.

    >>> from functional_micrograd import nn
    >>> from_json(to_json(nn.mlp(2, [3, 1])))
    MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2), ReLUNeuron(2)], Layer of [LinearNeuron(3)]]
    """
    nn._check_model("to_json", model)
    doc = _model_doc(model)
    return _dumps(doc["kind"], "model", doc["model"])


def _plain(x: Any) -> Any:
    """Options as JSON data, the same text in any process.

    Plain values stay (a mapping's keys sorted), a record becomes an object
    of its fields, a function its qualified name, anything else its short repr.
    """
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, int):
        return int(x)
    if isinstance(x, float):
        return x if math.isfinite(x) else repr(x)
    if isinstance(x, Mapping):
        return {str(k): _plain(x[k]) for k in sorted(x, key=str)}
    if isinstance(x, (tuple, list, PVector)):
        return [_plain(v) for v in x]
    if isinstance(x, PClass):
        return _plain({"record": type(x).__name__, **{k: getattr(x, k) for k in _fields(x)}})
    if callable(x) and hasattr(x, "__qualname__"):
        return f"{getattr(x, '__module__', None) or '?'}.{x.__qualname__}"
    return _checks.show(x, limit=200)


def run_to_json(run: training.Run) -> str:
    """Save a training :class:`~functional_micrograd.training.Run` as plain JSON text.

    Both models and the history round-trip exactly. The options are kept as
    data: a learning-rate schedule or a loss function is saved by its
    qualified name and an optimizer as an object of its fields (strs and
    numbers when loaded), since code is never written or read.

    >>> from functional_micrograd import datasets, nn, training
    >>> run = training.train(nn.mlp(2, [3, 1]), datasets.moons(10, seed=0), steps=2)
    >>> again = run_from_json(run_to_json(run))
    >>> again.final_loss == run.final_loss, again.history == run.history
    (True, True)
    """
    if not isinstance(run, training.Run):
        raise TypeError(f"run_to_json: expected a Run (from fm.train), got {_checks.describe(run)}")
    body = {
        "initial_model": _model_doc(run.initial_model),
        "final_model": _model_doc(run.final_model),
        "history": [{name: getattr(row, name) for name in _ROW_FIELDS} for row in run.history],
        "final_loss": run.final_loss,
        "final_accuracy": run.final_accuracy,
        "options": _plain(run.options),
    }
    return _dumps("Run", "run", body)


def opt_state_to_json(state: Any) -> str:
    """Save an optimizer's state (``SGDState``, ``AdamState``, ...) as plain JSON text.

    >>> from functional_micrograd import nn, optim
    >>> state = optim.adam().init(nn.neuron(2))
    >>> opt_state_from_json(opt_state_to_json(state)) == state
    True
    """
    kind = type(state).__name__
    if _STATES.get(kind) is not type(state):
        raise TypeError(
            "opt_state_to_json: expected an optimizer state "
            f"({', '.join(_STATES)}), got {_checks.describe(state)}"
        )
    body = {
        name: list(value) if isinstance(value, (tuple, PVector)) else value
        for name, value in ((name, getattr(state, name)) for name in _fields(type(state)))
    }
    return _dumps(kind, "state", body)


def _fields(record: Any) -> tuple[str, ...]:
    """A record class's (or record's) field names, in the order they are declared."""
    return tuple(record._pclass_fields)


# -- reading: models ----------------------------------------------------------------------


class _Plan:
    """A model's document, checked for shape: its structure and, per neuron, w and b."""

    __slots__ = ("structure", "units", "where")

    def __init__(self, where: str, structure: Structure, units: list[tuple[str, list[Any], Any]]):
        self.where, self.structure, self.units = where, structure, units

    def build(self) -> Model:
        """Check every number, then make the leaves and the records."""
        where = self.where
        numbers = [
            (_numbers(where, f"{path}.w", w), _number(where, f"{path}.b", b))
            for path, w, b in self.units
        ]
        leaves: list[Value] = []
        with _collector.paused():  # see _collector: leaves make no cycles
            for (ws, b), name in zip(numbers, _names(self.structure)):
                leaves.extend([_leaf(x, f"{name}w{i}") for i, x in enumerate(ws)])
                leaves.append(_leaf(b, f"{name}b"))
            return nn.unflatten(self.structure, leaves)


def _names(shape: Structure) -> list[str]:
    """Each neuron's label prefix, as the builders in nn name them."""
    if shape.kind == "Neuron":
        return [""]
    if shape.kind == "Layer":
        return [f"N{j}." for j in range(len(shape.layers[0]))]
    return [f"L{i}.N{j}." for i, row in enumerate(shape.layers) for j in range(len(row))]


def _neuron_docs(where: str, path: str, doc: object) -> list[tuple[str, object]]:
    rows = _list(where, f"{path}.neurons", _object(where, path, doc, ("neurons",))["neurons"])
    return [(f"{path}.neurons[{j}]", unit) for j, unit in enumerate(rows)]


def _plan(where: str, path: str, kind: object, doc: object) -> _Plan:
    """Check a model's document for shape, reading no number and making no Value."""
    layers: list[list[tuple[str, object]]]
    if kind == "Neuron":
        layers = [[(path, doc)]]
    elif kind == "Layer":
        layers = [_neuron_docs(where, path, doc)]
    elif kind == "MLP":
        rows = _list(where, f"{path}.layers", _object(where, path, doc, ("layers",))["layers"])
        layers = [_neuron_docs(where, f"{path}.layers[{i}]", row) for i, row in enumerate(rows)]
    else:
        raise _bad(where, "kind", f"one of {list(_MODEL_KINDS)}", kind)
    shape, units = [], []
    for i, row in enumerate(layers):
        widths = []
        for unit_path, unit in row:
            d = _object(where, unit_path, unit, ("activation", "w", "b"))
            problem = nn._activation_problem(d["activation"])
            if problem is not None:
                raise ValueError(f"{where}: {unit_path}: {problem}")
            w = _list(where, f"{unit_path}.w", d["w"])
            widths.append((len(w), d["activation"]))
            units.append((unit_path, w, d["b"]))
        problem = nn._width_problem([n for n, _ in widths])
        if problem is not None:
            name = path if kind == "Layer" else f"{path}.layers[{i}]"
            raise ValueError(f"{where}: {name}: {problem}")
        shape.append(tuple(widths))
    problem = nn._chain_problem([(row[0][0], len(row)) for row in shape])
    if problem is not None:
        raise ValueError(f"{where}: {path}.{problem}")
    return _Plan(where, Structure(str(kind), tuple(shape)), units)


def from_json(text: str) -> Model:
    """Load a model saved by :func:`to_json`.

    Only plain JSON is read: nothing named in the text is imported or run.
    Anything malformed, truncated, wrongly shaped or with unknown keys raises
    ``ValueError`` saying where; see the module's notes for the memory bound.

    >>> from_json('{"format_version": 2, "kind": "MLP", "model": {}}')
    Traceback (most recent call last):
    ...
    ValueError: from_json: expected format_version to be 1, got 2
    """
    where = "from_json"
    top = _top(where, text, "model")
    return _plan(where, "model", top["kind"], top["model"]).build()


# -- reading: runs and optimizer states ------------------------------------------------------


def _model_plan(where: str, path: str, doc: object) -> _Plan:
    d = _object(where, path, doc, ("kind", "model"))
    return _plan(where, f"{path}.model", d["kind"], d["model"])


def _history_row(where: str, path: str, doc: object) -> training.HistoryRow:
    d = _object(where, path, doc, _ROW_FIELDS)
    values: dict[str, Any] = {"step": _integer(where, f"{path}.step", d["step"], 0)}
    for name in ("loss", "data_loss", "reg_loss", "learning_rate"):
        values[name] = _number(where, f"{path}.{name}", d[name])
    for name in ("accuracy", "val_loss", "val_accuracy"):
        values[name] = _maybe_number(where, f"{path}.{name}", d[name])
    return training.HistoryRow(**values)


def run_from_json(text: str) -> training.Run:
    """Load a training Run saved by :func:`run_to_json`, as strictly as :func:`from_json`.

    >>> run_from_json('{"format_version": 1, "kind": "MLP", "run": {}}')
    Traceback (most recent call last):
    ...
    ValueError: run_from_json: expected kind to be 'Run', got 'MLP'
    """
    where = "run_from_json"
    top = _top(where, text, "run")
    if top["kind"] != "Run":
        raise _bad(where, "kind", "'Run'", top["kind"])
    keys = ("initial_model", "final_model", "history", "final_loss", "final_accuracy", "options")
    d = _object(where, "run", top["run"], keys)
    first = _model_plan(where, "run.initial_model", d["initial_model"])
    last = _model_plan(where, "run.final_model", d["final_model"])
    if first.structure != last.structure:
        raise ValueError(f"{where}: run.initial_model and run.final_model differ in architecture")
    rows = _list(where, "run.history", d["history"])
    options = d["options"]
    if not isinstance(options, dict):
        raise _bad(where, "run.options", "an object", options)
    history = [_history_row(where, f"run.history[{i}]", row) for i, row in enumerate(rows)]
    for i in range(1, len(history)):
        if history[i].step <= history[i - 1].step:
            raise ValueError(f"{where}: run.history[{i}].step is not after the row before it")
    final_loss = _number(where, "run.final_loss", d["final_loss"])
    final_accuracy = _maybe_number(where, "run.final_accuracy", d["final_accuracy"])
    if (final_loss, final_accuracy) != (history[-1].loss, history[-1].accuracy):
        raise ValueError(f"{where}: run.final_loss and final_accuracy must be the last row's")
    return training.Run(
        initial_model=first.build(),
        final_model=last.build(),
        history=pvector(history),
        final_loss=final_loss,
        final_accuracy=final_accuracy,
        options=_frozen_options(where, options),
    )


def _frozen(doc: Any) -> Any:
    """Parsed options as frozen data: objects as PMaps, lists as tuples (as metadata keeps them)."""
    if isinstance(doc, dict):
        return pmap({k: _frozen(v) for k, v in doc.items()})
    if isinstance(doc, list):
        return tuple(_frozen(v) for v in doc)
    return doc


def _frozen_options(where: str, options: dict[str, Any]) -> PMap[str, Any]:
    try:
        frozen: PMap[str, Any] = _frozen(options)
    except RecursionError:
        raise ValueError(f"{where}: run.options is nested too deeply") from None
    return frozen


def _architecture(where: str, doc: object) -> tuple[tuple[Any, ...], int]:
    """An optimizer state's architecture and the number of parameters it implies."""
    path = "state.architecture"
    items = _list(where, path, doc)
    kind, sizes = items[0], items[1:]
    if kind not in _MODEL_KINDS:
        raise _bad(where, f"{path}[0]", f"one of {list(_MODEL_KINDS)}", kind)
    widths = [_integer(where, f"{path}[{i + 1}]", n, 1, MAX_TEXT) for i, n in enumerate(sizes)]
    fits = len(widths) >= 2 and (kind == "MLP" or len(widths) == 2)
    if not fits or (kind == "Neuron" and widths[1] != 1):
        raise ValueError(
            f"{where}: expected {path} to be [kind, inputs, width of each layer] for a {kind}, "
            f"got {len(items)} items"
        )
    count = sum((n + 1) * m for n, m in itertools.pairwise(widths))
    return (kind, *widths), count


def opt_state_from_json(text: str) -> Any:
    """Load an optimizer state saved by :func:`opt_state_to_json`, as strictly as from_json.

    >>> opt_state_from_json('{"format_version": 1, "kind": "os.system", "state": {}}')
    Traceback (most recent call last):
    ...
    ValueError: opt_state_from_json: expected kind to be one of ['SGDState', 'MomentumState', 'AdamState', 'AdamWState', 'RMSPropState'], got 'os.system'
    """  # noqa: E501
    where = "opt_state_from_json"
    top = _top(where, text, "state")
    cls = _STATES.get(top["kind"]) if isinstance(top["kind"], str) else None
    if cls is None:
        raise _bad(where, "kind", f"one of {list(_STATES)}", top["kind"])
    fields = _fields(cls)
    d = _object(where, "state", top["state"], fields)
    architecture, count = _architecture(where, d["architecture"])
    values: dict[str, Any] = {
        "count": _integer(where, "state.count", d["count"], 0),
        "architecture": architecture,
    }
    vectors = [name for name in fields if name not in values]
    for name in vectors:
        items = _list(where, f"state.{name}", d[name], empty=True)
        if len(items) != count:
            raise ValueError(
                f"{where}: expected state.{name} to hold {count} numbers, one per parameter of "
                f"a model shaped {_checks.show(architecture)}, got {len(items)}"
            )
    for name in vectors:
        values[name] = pvector(_numbers(where, f"state.{name}", d[name]))
    return cls(**values)
