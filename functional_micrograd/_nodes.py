"""The speed section: how nodes are made fast, and the order their ids give.

+ and * make most of a training step's graph (about 60,000 of its 65,000
nodes), so they build their node inline instead of going through
``value._apply``, and every node is made without PClass's checking
constructor (which costs several microseconds): an empty instance, its slots
filled once through the slot descriptors. Together these make the forward
pass about 2.5 times faster (measured in benchmarks/). tests/test_primitives.py
checks that these nodes equal what ``_apply`` makes from the table.

The slot descriptors belong to the Value class, and value.py, which makes the
class, builds on this module; so value.py hands the class over once, with
:func:`bind`, right after making it. The descriptors are then module globals
here, the cheapest names to look up (read from a closure instead, they cost a
node about 6% more), and value.py names these functions ``_node``, ``_add``,
``_sub``, ``_mul`` and ``_relu``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from functional_micrograd.primitives import PRIMITIVES, Primitive

if TYPE_CHECKING:
    from functional_micrograd.value import Value

__all__ = ["add", "below", "bind", "mul", "node", "relu", "sub"]

# Node ids come from one process-wide counter. next() on a count is atomic in
# CPython, so ids stay unique across threads, and because a node is always made
# after its inputs, every node's id is larger than its inputs' ids.
_ids = itertools.count()
_new = object.__new__
_isfinite = math.isfinite
_ONE, _ZERO, _ONE_ONE = (1.0,), (0.0,), (1.0, 1.0)
_ONE_MINUS_ONE = (1.0, -1.0)

# Set once by bind(), before any node is made:
_Value: type[Value]
_slow: Callable[[Primitive, tuple[Value, ...]], Value]
_set_data: Callable[[Value, float], None]
_set_op: Callable[[Value, str], None]
_set_label: Callable[[Value, str | None], None]
_set_id: Callable[[Value, int], None]
_set_inputs: Callable[[Value, tuple[Value, ...]], None]
_set_local_grads: Callable[[Value, tuple[float, ...]], None]


def bind(cls: type[Value], slow: Callable[[Primitive, tuple[Value, ...]], Value]) -> None:
    """Make nodes of ``cls`` (value.Value) from now on; called once, by value.py.

    ``slow`` is ``value._apply``: where ``+``, ``-`` or ``*`` overflow, the
    node is left to it, so that it raises with the table's message.
    """
    global _Value, _slow, _set_data, _set_op, _set_label, _set_id, _set_inputs, _set_local_grads
    _Value, _slow = cls, slow
    _set_data = cls.__dict__["data"].__set__
    _set_op = cls.__dict__["op"].__set__
    _set_label = cls.__dict__["label"].__set__
    _set_id = cls.__dict__["id"].__set__
    _set_inputs = cls.__dict__["inputs"].__set__
    _set_local_grads = cls.__dict__["local_grads"].__set__


def node(
    data: float,
    op: str,
    inputs: tuple[Value, ...],
    local_grads: tuple[float, ...],
    label: str | None = None,
    node_id: int | None = None,
    kind: type[Value] | None = None,
) -> Value:
    """A new node; a fresh id unless ``node_id`` is given (only a relabelled node keeps its id).

    Its class is its inputs' (a node made from a traced Value is traced too,
    see jit.py), or ``kind``.
    """
    if kind is None:
        kind = _Value
        for v in inputs:
            if v.__class__ is not _Value:
                kind = v.__class__
    made: Value = _new(kind)
    _set_data(made, data)
    _set_op(made, op)
    _set_label(made, label)
    _set_id(made, next(_ids) if node_id is None else node_id)
    _set_inputs(made, inputs)
    _set_local_grads(made, local_grads)
    return made


def add(a: Value, b: Value) -> Value:
    out = a.data + b.data
    if not _isfinite(out):
        return _slow(PRIMITIVES["+"], (a, b))  # raises, with the table's message
    made: Value = _new(a.__class__ if b.__class__ is _Value else b.__class__)  # node, inlined
    _set_data(made, out)
    _set_op(made, "+")
    _set_label(made, None)
    _set_id(made, next(_ids))
    _set_inputs(made, (a, b))
    _set_local_grads(made, _ONE_ONE)  # the rule's (1, 1)
    return made


def mul(a: Value, b: Value) -> Value:
    ad = a.data
    bd = b.data
    out = ad * bd
    if not _isfinite(out):
        return _slow(PRIMITIVES["*"], (a, b))
    made: Value = _new(a.__class__ if b.__class__ is _Value else b.__class__)
    _set_data(made, out)
    _set_op(made, "*")
    _set_label(made, None)
    _set_id(made, next(_ids))
    _set_inputs(made, (a, b))
    _set_local_grads(made, (bd, ad))  # the rule's (b, a)
    return made


def sub(a: Value, b: Value) -> Value:
    out = a.data - b.data
    if not _isfinite(out):
        return _slow(PRIMITIVES["-"], (a, b))
    return node(out, "-", (a, b), _ONE_MINUS_ONE)  # the rule's (1, -1)


def relu(a: Value) -> Value:
    # the rule's (step(a),)
    return node(a.data, "relu", (a,), _ONE) if a.data > 0.0 else node(0.0, "relu", (a,), _ZERO)


def below(*roots: Value) -> list[Value]:
    """Every node reachable from the roots, each once, in increasing id order.

    Ids grow along every edge (a node is made after its inputs), so this order
    puts every node after all of its parents: a topological order, found with
    a plain stack and one sort, with no recursion and in linear time (but for
    the sort of the ids, which runs in C).
    """
    found = {root.id: root for root in roots}
    stack = list(roots)
    pop, push = stack.pop, stack.append
    while stack:
        for parent in pop().inputs:
            key = parent.id
            if key not in found:
                found[key] = parent
                if parent.inputs:
                    push(parent)
    return [found[key] for key in sorted(found)]
