"""The speed section: how nodes are made fast, and the order their ids give.

+ and * make most of a training step's graph (about 60,000 of its 65,000
nodes), so they build their node inline instead of going through
``value._apply``, and every node is made without PClass's checking
constructor (which costs several microseconds): an empty instance, its slots
filled once through the slot descriptors. Together these make the forward
pass about 2.5 times faster (measured in benchmarks/). tests/test_primitives.py
checks that these nodes equal what ``_apply`` makes from the table.

The slot descriptors belong to the Value class, so :func:`constructors` is
given that class once, by value.py, right after the class is made; value.py
then names what it returns ``_node``, ``_add``, ``_sub``, ``_mul`` and
``_relu``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from functional_micrograd.primitives import PRIMITIVES, Primitive

if TYPE_CHECKING:
    from functional_micrograd.value import Value

__all__ = ["MakeNode", "below", "constructors"]

# Node ids come from one process-wide counter. next() on a count is atomic in
# CPython, so ids stay unique across threads, and because a node is always made
# after its inputs, every node's id is larger than its inputs' ids.
_ids = itertools.count()


class MakeNode(Protocol):
    """The signature of ``value._node``."""

    def __call__(
        self,
        data: float,
        op: str,
        inputs: tuple[Value, ...],
        local_grads: tuple[float, ...],
        label: str | None = None,
        node_id: int | None = None,
        kind: type[Value] | None = None,
    ) -> Value: ...


Binary = Callable[["Value", "Value"], "Value"]


def constructors(
    cls: type[Value], slow: Callable[[Primitive, tuple[Value, ...]], Value]
) -> tuple[MakeNode, Binary, Binary, Binary, Callable[[Value], Value]]:
    """The fast ``node``, ``add``, ``sub``, ``mul`` and ``relu`` for nodes of ``cls``.

    ``slow`` is ``value._apply``: where ``+``, ``-`` or ``*`` overflow, the
    node is left to it, so that it raises with the table's message.
    """
    new = object.__new__
    set_data = cls.__dict__["data"].__set__
    set_op = cls.__dict__["op"].__set__
    set_label = cls.__dict__["label"].__set__
    set_id = cls.__dict__["id"].__set__
    set_inputs = cls.__dict__["inputs"].__set__
    set_local_grads = cls.__dict__["local_grads"].__set__
    isfinite, ids = math.isfinite, _ids
    one, zero, one_one, one_minus_one = (1.0,), (0.0,), (1.0, 1.0), (1.0, -1.0)

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

        Its class is its inputs' (a node made from a traced Value is traced
        too, see jit.py), or ``kind``.
        """
        if kind is None:
            kind = cls
            for v in inputs:
                if v.__class__ is not cls:
                    kind = v.__class__
        made: Value = new(kind)
        set_data(made, data)
        set_op(made, op)
        set_label(made, label)
        set_id(made, next(ids) if node_id is None else node_id)
        set_inputs(made, inputs)
        set_local_grads(made, local_grads)
        return made

    def add(a: Value, b: Value) -> Value:
        out = a.data + b.data
        if not isfinite(out):
            return slow(PRIMITIVES["+"], (a, b))  # raises, with the table's message
        made: Value = new(a.__class__ if b.__class__ is cls else b.__class__)  # node, inlined
        set_data(made, out)
        set_op(made, "+")
        set_label(made, None)
        set_id(made, next(ids))
        set_inputs(made, (a, b))
        set_local_grads(made, one_one)  # the rule's (1, 1)
        return made

    def mul(a: Value, b: Value) -> Value:
        ad = a.data
        bd = b.data
        out = ad * bd
        if not isfinite(out):
            return slow(PRIMITIVES["*"], (a, b))
        made: Value = new(a.__class__ if b.__class__ is cls else b.__class__)
        set_data(made, out)
        set_op(made, "*")
        set_label(made, None)
        set_id(made, next(ids))
        set_inputs(made, (a, b))
        set_local_grads(made, (bd, ad))  # the rule's (b, a)
        return made

    def sub(a: Value, b: Value) -> Value:
        out = a.data - b.data
        if not isfinite(out):
            return slow(PRIMITIVES["-"], (a, b))
        return node(out, "-", (a, b), one_minus_one)  # the rule's (1, -1)

    def relu(a: Value) -> Value:
        # the rule's (step(a),)
        return node(a.data, "relu", (a,), one) if a.data > 0.0 else node(0.0, "relu", (a,), zero)

    return node, add, sub, mul, relu


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
