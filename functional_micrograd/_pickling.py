"""Pickling Values without recursion: a graph as flat columns.

A Value pickles as every node below it, in id order, laid out in flat
columns (ids, data, ops, labels, how many inputs, the inputs' positions,
local derivatives): any depth works, and flat lists of numbers and strs are
what pickle writes and reads fastest. The columns carry the nodes' origin
(this process's token and each node's id): all Values loaded from one origin
share their nodes, so a model and a loss built on it, pickled together or
apart, stay connected.

``Value.__reduce__`` (value.py) gives :func:`flatten`'s columns to
``value._unflatten``, the name pickles hold, which loads them with
:func:`unflatten`.
"""

from __future__ import annotations

import os
import threading
import weakref
from typing import TYPE_CHECKING, Any

from functional_micrograd import _collector
from functional_micrograd._nodes import below, node

if TYPE_CHECKING:
    from functional_micrograd.value import Value

__all__ = ["TOKEN", "Columns", "flatten", "unflatten"]

TOKEN = int.from_bytes(os.urandom(8), "big")
"""This process's origin, in every pickle it writes."""

# Loaded nodes by origin, held weakly; dead entries are swept out once they could
# make up half of the table, so a lookup is one plain dict get.
_loaded: dict[tuple[int, int], weakref.ref[Value]] = {}
_loaded_lock = threading.Lock()
_sweep_at = [1 << 16]

Columns = tuple[
    int, list[int], list[float], list[str], list[Any], list[int], list[int], list[float]
]
"""token, ids, data, ops, labels, arities, the inputs' positions, local derivatives."""


def flatten(root: Value) -> Columns:
    """The columns of every node below ``root``, in id order."""
    order = below(root)
    position = {node.id: i for i, node in enumerate(order)}
    return (
        TOKEN,
        [n.id for n in order],
        [n.data for n in order],
        [n.op for n in order],
        [n.label for n in order],
        [len(n.inputs) for n in order],
        [position[p.id] for n in order for p in n.inputs],
        [d for n in order for d in n.local_grads],
    )


def unflatten(columns: tuple[Any, ...]) -> Value:
    """The root of the graph that ``columns`` lay out.

    A node already loaded from the same origin, and still alive, is reused.
    """
    token, ids, datas, ops, labels, arities, positions, local_grads = columns
    made: list[Value] = []
    append, ref, at = made.append, weakref.ref, 0
    with _collector.paused(), _loaded_lock:  # a million new nodes make no cycle
        find = _loaded.get
        for origin, data, op, label, arity in zip(ids, datas, ops, labels, arities):
            held = find((token, origin))
            loaded = None if held is None else held()
            if loaded is None:
                inputs = tuple([made[i] for i in positions[at : at + arity]])
                loaded = node(data, op, inputs, tuple(local_grads[at : at + arity]), label)
                _loaded[token, origin] = ref(loaded)
            append(loaded)
            at += arity
        if len(_loaded) > _sweep_at[0]:
            _sweep()
    return made[-1]


def _sweep() -> None:
    """Drop the entries of nodes no longer alive; sweep again at twice the live size."""
    dead = [key for key, held in _loaded.items() if held() is None]
    for key in dead:
        del _loaded[key]
    _sweep_at[0] = max(1 << 16, 2 * len(_loaded))
