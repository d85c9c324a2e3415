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
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Callable, Iterator
from typing import Any

from pyrsistent import PClass, PMap, field, pmap

from functional_micrograd import _collector
from functional_micrograd.value import Value, _as_float, _describe

__all__ = ["Gradients", "backward", "grad", "topological_order", "value_and_grad"]


class Gradients(PClass):
    """The gradients of one output with respect to every node below it.

    ``g[x]`` (or ``grad(x, g)``) is d(output)/dx as a float; a Value that is not
    in the graph, or does not influence the output, gets 0.0. ``to_map()``
    gives the table itself: a ``pyrsistent.PMap`` from node id to float.
    Nodes whose gradient is exactly 0.0 are left out of the table, so
    ``x in g`` and ``len(g)`` count only nodes with a nonzero gradient.

    >>> from functional_micrograd.value import Value
    >>> a, b = Value(2.0), Value(5.0)
    >>> g = backward(a * 3.0)
    >>> g[a], g[b]
    (3.0, 0.0)
    >>> len(g), a in g, b in g
    (3, True, False)
    """

    table = field(type=PMap, mandatory=True)

    def __getitem__(self, node: Value) -> float:
        if not isinstance(node, Value):
            raise TypeError(f"Gradients: expected a Value, got {node!r} ({type(node).__name__})")
        gradient: float = self.table.get(node.id, 0.0)
        return gradient

    def __contains__(self, node: object) -> bool:
        return isinstance(node, Value) and node.id in self.table

    def __len__(self) -> int:
        return len(self.table)

    def __iter__(self) -> Iterator[int]:
        return iter(self.table)

    def to_map(self) -> PMap[int, float]:
        """The gradient table as a PMap from node id to float."""
        table: PMap[int, float] = self.table
        return table

    def __repr__(self) -> str:
        return f"Gradients(<{len(self.table)} nodes>)"


def _check_value(where: str, v: object) -> Value:
    if not isinstance(v, Value):
        raise TypeError(f"{where}: expected a Value, got {_describe(v)}")
    return v


def _post_order(output: Value) -> list[Value]:
    """Iterative depth-first search: every node placed after all of its inputs."""
    seen = {output.id}
    order: list[Value] = []
    # Each entry is a node and an iterator over the inputs still to visit.
    stack = [(output, iter(output.inputs))]
    push, pop, place, mark = stack.append, stack.pop, order.append, seen.add
    while stack:
        node, inputs = stack[-1]
        for parent in inputs:
            if parent.id not in seen:
                mark(parent.id)
                if parent.inputs:
                    push((parent, iter(parent.inputs)))
                    break
                place(parent)  # a leaf has no inputs to wait for
        else:  # every input is placed: place the node
            pop()
            place(node)
    return order


def topological_order(output: Value) -> tuple[Value, ...]:
    """Every node reachable from ``output``, each once, parents before children.

    The walk is an iterative depth-first search (no recursion, so any depth
    works) and takes time linear in nodes plus edges.

    >>> from functional_micrograd.value import Value
    >>> a = Value(1.0, label="a")
    >>> b = a + a
    >>> [v.label or v.op for v in topological_order(b * 2)]
    ['a', '+', '', '*']
    """
    return tuple(_post_order(_check_value("topological_order", output)))


_node_id = operator.attrgetter("id")


def backward(output: Value) -> Gradients:
    """Return d(output)/d(node) for every node below ``output`` as ``Gradients``.

    Visits the nodes in reverse topological order; each node passes its
    gradient to its inputs, multiplied by the local derivative stored on the
    edge, and contributions from several paths add up. No Value is changed.
    Nodes whose gradient is exactly 0.0 are left out of the table (reading
    one gives 0.0 all the same).

    >>> from functional_micrograd.value import Value
    >>> a = Value(-4.0)
    >>> b = a + a
    >>> c = b + b
    >>> backward(c)[a]
    4.0
    """
    _check_value("backward", output)
    with _collector.paused():  # see _collector: nothing here makes a cycle
        order = _post_order(output)
        grads = dict.fromkeys(map(_node_id, order), 0.0)
        grads[output.id] = 1.0
        for node in reversed(order):
            g = grads[node.id]
            if g:  # a zero gradient contributes nothing
                for parent, local in zip(node.inputs, node.local_grads):
                    grads[parent.id] += g * local
        table = {node_id: g for node_id, g in grads.items() if g}
        if not math.isfinite(sum(table.values())):
            _raise_if_not_finite(table)
        return Gradients(table=pmap(table))


def _raise_if_not_finite(grads: dict[int, float]) -> None:
    for node_id, g in grads.items():
        if not math.isfinite(g):
            raise OverflowError(
                f"backward: the gradient of node {node_id} is {g!r}; "
                "the derivatives along the graph overflowed the float range"
            )


def grad(x: Value, gradients: Gradients) -> float:
    """d(output)/dx from a gradient table; 0.0 for a node not in it.

    >>> from functional_micrograd.value import Value
    >>> w = Value(0.5)
    >>> grad(w, backward(w.tanh()))
    0.7864477329659274
    """
    if not isinstance(gradients, Gradients):
        raise TypeError(f"grad: expected Gradients, got {gradients!r} ({type(gradients).__name__})")
    return gradients[x]


def value_and_grad(
    f: Callable[..., Any],
) -> Callable[..., tuple[float, tuple[float, ...]]]:
    """Create a function that evaluates ``f`` and its gradient, on plain numbers.

    The returned function makes a leaf Value of each positional argument, calls
    ``f`` on them (keyword arguments are passed through untouched), and
    differentiates the Value ``f`` returns.

    Args:
        f: a function of Values returning a Value (or a plain number, whose
            gradients are all 0.0).

    Returns:
        A function of numbers giving ``(value, grads)``: floats, with one
        gradient per positional argument.

    >>> value_and_grad(lambda x, y: x * y + y)(2.0, 3.0)
    (9.0, (3.0, 3.0))
    """
    if not callable(f):
        raise TypeError(f"value_and_grad: expected a function, got {f!r}")

    @functools.wraps(f)
    def evaluate(*args: float, **kwargs: Any) -> tuple[float, tuple[float, ...]]:
        leaves = tuple(
            Value(_as_float(f"value_and_grad: argument {i}", arg)) for i, arg in enumerate(args)
        )
        out = f(*leaves, **kwargs)
        if isinstance(out, Value):
            gradients = backward(out)
            return out.data, tuple(gradients[leaf] for leaf in leaves)
        if isinstance(out, (int, float)) and not isinstance(out, bool):
            return _as_float("value_and_grad: the function's result", out), (0.0,) * len(leaves)
        raise TypeError(
            f"value_and_grad: expected the function to return a Value or a number, "
            f"got {out!r} ({type(out).__name__})"
        )

    return evaluate
