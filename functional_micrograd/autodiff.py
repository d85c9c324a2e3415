"""Reverse-mode differentiation: gradients returned as data.

:func:`backward` walks the graph below an output Value once, from the output
back to the leaves, and returns every node's gradient in a fresh, immutable
:class:`Gradients` record. Nothing is written onto the Values, so there is
nothing to reset between passes (no ``zero_grad``).

>>> from functional_micrograd.value import Value
>>> x = Value(3.0, label="x")
>>> y = x * x + x
>>> g = backward(y)
>>> g[x]
7.0
>>> x
Value(data=3.0, label='x')

With ``create_graph=True`` the gradients are Values built from the derivative
rules of :mod:`~functional_micrograd.primitives`, so they can be
differentiated again:

>>> dy = backward(y, create_graph=True)[x]  # 2x + 1, as a graph
>>> dy.data, backward(dy)[x]
(7.0, 2.0)
"""

from __future__ import annotations

import math
import types
from collections.abc import Iterator, Mapping
from typing import Any, Generic, Literal, NoReturn, TypeVar, overload

from pyrsistent import PClass, PMap, field, pmap

from functional_micrograd import _checks, _collector
from functional_micrograd._nodes import below as _below
from functional_micrograd.primitives import lookup
from functional_micrograd.value import Value, _leaf

__all__ = ["BackwardStep", "Gradients", "backward", "backward_steps", "topological_order"]


G = TypeVar("G", float, Value)


class Gradients(PClass, Generic[G]):
    """The gradients of one output with respect to every node below it.

    ``g[x]`` is d(output)/dx, for a Value ``x`` or a node id (what iterating
    ``g`` yields); a Value that is not in the graph gets 0. The table holds one
    entry per node of the graph, so ``x in g`` tells whether ``x`` is in it and
    ``len(g)`` counts its nodes. ``to_map()`` gives the table as a
    ``pyrsistent.PMap``.

    The entries are floats, or Values when the gradients were built with
    ``backward(loss, create_graph=True)``.

    >>> from functional_micrograd.value import Value
    >>> a, b = Value(2.0), Value(5.0)
    >>> g = backward(a * 3.0)
    >>> g[a], g[b], g[a.id]
    (3.0, 0.0, 3.0)
    >>> len(g), a in g, b in g
    (3, True, False)
    """

    table: Mapping[int, Any] = field(type=Mapping, mandatory=True)
    as_values = field(type=bool, initial=False)

    def __getitem__(self, node: Value | int) -> G:
        key = node.id if isinstance(node, Value) else node
        if type(key) is not int:
            raise TypeError(
                f"Gradients: expected a Value or a node id, got {_checks.describe(node)}"
            )
        found: G | None = self.table.get(key)
        if found is None:
            zero: Any = _leaf(0.0, None) if self.as_values else 0.0
            return zero  # type: ignore[no-any-return]
        return found

    def __contains__(self, node: object) -> bool:
        key = node.id if isinstance(node, Value) else node
        return type(key) is int and key in self.table

    def __len__(self) -> int:
        return len(self.table)

    def __iter__(self) -> Iterator[int]:
        return iter(self.table)

    def to_map(self) -> PMap[int, G]:
        """The gradient table as a PMap from node id to gradient.

        >>> from functional_micrograd.value import Value
        >>> x = Value(2.0)
        >>> backward(x * x).to_map()[x.id]
        4.0
        """
        return pmap(self.table)

    def __repr__(self) -> str:
        kind = "Values" if self.as_values else "floats"
        return f"Gradients(<{len(self.table)} nodes, {kind}>)"

    def __copy__(self) -> Gradients[G]:
        return self

    def __deepcopy__(self, memo: Any) -> Gradients[G]:
        return self

    def __reduce__(self) -> NoReturn:
        raise TypeError(
            "Gradients cannot be pickled: they are keyed by node ids, which mean nothing "
            "outside the graph they came from (a loaded Value is a new node, with a new id, "
            "and in another process an id can name another node). Save the numbers in an "
            "order that lasts, e.g. [g[p] for p in fm.nn.parameters(model)] with the model, "
            "or save the Values and call fm.backward again after loading; g.to_map() is keyed "
            "by the same ids, so it is no substitute"
        )


class BackwardStep(PClass):
    """One edge as backward applies it: ``contribution = upstream * local_grad``.

    Fields:
        child: the node the gradient flows from.
        parent: one of its inputs, the node it flows to.
        upstream: d(output)/d(child), complete by the time this edge is applied.
        local_grad: d(child)/d(parent), stored on the edge.
        contribution: ``upstream * local_grad``.
        total: the parent's gradient after adding this contribution.
    """

    child = field(type=Value, mandatory=True)
    parent = field(type=Value, mandatory=True)
    upstream = field(type=float, mandatory=True)
    local_grad = field(type=float, mandatory=True)
    contribution = field(type=float, mandatory=True)
    total = field(type=float, mandatory=True)

    def __repr__(self) -> str:
        return (
            f"BackwardStep({_name(self.child)} -> {_name(self.parent)}: "
            f"{self.upstream:.6g} * {self.local_grad:.6g} = {self.contribution:.6g}, "
            f"total {self.total:.6g})"
        )


def _name(node: Value) -> str:
    return node.label or node.op or f"#{node.id}"


def _check_value(where: str, v: object) -> Value:
    if not isinstance(v, Value):
        raise TypeError(f"{where}: expected a Value, got {_checks.describe(v)}")
    return v


def topological_order(output: Value) -> tuple[Value, ...]:
    """Every node reachable from ``output``, each once, parents before children.

    The walk uses a plain stack (no recursion, so any depth works) and takes
    linear time; the nodes come out in the order they were made.

    >>> from functional_micrograd.value import Value
    >>> a = Value(1.0, label="a")
    >>> b = a + a
    >>> [v.label or v.op for v in topological_order(b * 2)]
    ['a', '+', '', '*']
    """
    return tuple(_below(_check_value("topological_order", output)))


@overload
def backward(output: Value, create_graph: Literal[False] = False) -> Gradients[float]: ...


@overload
def backward(output: Value, create_graph: Literal[True]) -> Gradients[Value]: ...


@overload
def backward(output: Value, create_graph: bool) -> Gradients[Any]: ...


def backward(output: Value, create_graph: bool = False) -> Gradients[Any]:
    """Return d(output)/d(node) for every node below ``output`` as ``Gradients``.

    Visits the nodes in reverse topological order; each node passes its
    gradient to its inputs, multiplied by the local derivative stored on the
    edge, and contributions from several paths add up. No Value is changed.

    Args:
        output: the Value to differentiate, usually a loss.
        create_graph: build each gradient as a Value, from the derivative
            rules of the primitives, so that it can be differentiated again.

    >>> from functional_micrograd.value import Value
    >>> a = Value(-4.0)
    >>> b = a + a
    >>> c = b + b
    >>> backward(c)[a]
    4.0
    """
    _check_value("backward", output)
    if not isinstance(create_graph, bool):
        raise TypeError(
            "backward: expected create_graph to be True or False, "
            f"got {_checks.describe(create_graph)}"
        )
    with _collector.paused():  # see _collector: nothing here makes a cycle
        if create_graph:
            return Gradients(table=types.MappingProxyType(_graph_gradients(output)), as_values=True)
        return Gradients(table=types.MappingProxyType(_float_gradients(output)))


def _float_gradients(output: Value) -> dict[int, float]:
    order = _below(output)
    grads = dict.fromkeys([node.id for node in order], 0.0)
    grads[output.id] = 1.0
    for node in reversed(order):
        g = grads[node.id]
        if g:  # a zero gradient contributes nothing
            inputs = node.inputs
            if len(inputs) == 2:  # most nodes (+ and *): unpacked, without zip (0.88x the time)
                a, b = inputs
                da, db = node.local_grads
                grads[a.id] += g * da
                grads[b.id] += g * db
            else:
                for parent, local in zip(inputs, node.local_grads):
                    grads[parent.id] += g * local
    if not math.isfinite(sum(grads.values())):  # one check for the whole table
        for key, g in grads.items():
            if not math.isfinite(g):
                raise OverflowError(
                    f"backward: the gradient of node {key} is {g!r}; "
                    "the derivatives along the graph overflowed the float range"
                )
    return grads


def _graph_gradients(output: Value) -> dict[int, Value]:
    grads: dict[int, Any] = {output.id: 1.0}  # numbers are constants, made leaves at the end
    for node in reversed(_below(output)):
        g = grads.get(node.id)
        if g is None or not node.inputs:
            continue
        rule = lookup(node.op)
        local = rule.derivative(*node.inputs, node)
        if not isinstance(local, tuple) or len(local) != len(node.inputs):
            raise ValueError(
                f"backward: the derivative of {rule.function!r} must return a tuple of "
                f"{len(node.inputs)} local derivative(s), got {_checks.describe(local)}"
            )
        for parent, d in zip(node.inputs, local):
            contribution = _times(g, d)
            if contribution is not None:
                before = grads.get(parent.id)
                grads[parent.id] = contribution if before is None else before + contribution
    return {k: g if isinstance(g, Value) else _leaf(float(g), None) for k, g in grads.items()}


def _times(upstream: Any, local: Any) -> Any:
    """upstream * local, with no node where either side is the constant 0, 1 or -1.

    Only plain numbers (constants of a rule) are simplified, never a Value's
    data, so the graph is the same for every input.
    """
    if not isinstance(local, Value):
        if local == 0:
            return None
        if local == 1:
            return upstream
        if local == -1:
            return -upstream
        return upstream * float(local)
    if not isinstance(upstream, Value) and upstream == 1:
        return local
    return upstream * local


def backward_steps(output: Value) -> tuple[BackwardStep, ...]:
    """Backward as data: one record per edge, in the order backward applies them.

    Each step shows ``upstream * local_grad = contribution`` and the parent's
    running ``total``; a parent's last total is exactly ``backward(output)[parent]``.

    >>> from functional_micrograd.value import Value
    >>> x = Value(3.0, label="x")
    >>> for s in backward_steps(x * x):
    ...     print(s)
    BackwardStep(* -> x: 1 * 3 = 3, total 3)
    BackwardStep(* -> x: 1 * 3 = 3, total 6)
    """
    _check_value("backward_steps", output)
    order = _below(output)
    totals = dict.fromkeys([node.id for node in order], 0.0)
    totals[output.id] = 1.0
    steps = []
    for node in reversed(order):
        g = totals[node.id]
        for parent, local in zip(node.inputs, node.local_grads):
            contribution = g * local
            totals[parent.id] += contribution
            steps.append(
                BackwardStep(
                    child=node,
                    parent=parent,
                    upstream=g,
                    local_grad=local,
                    contribution=contribution,
                    total=totals[parent.id],
                )
            )
    return tuple(steps)
