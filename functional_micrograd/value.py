"""Scalar Values: the immutable nodes of a computation graph.

Every op on a :class:`Value` returns a new Value that remembers the Values it
was computed from (``inputs``) and, for each, the local derivative of the
result with respect to it (``local_grads``). What each op computes, and its
derivative, is written once, in :mod:`~functional_micrograd.primitives`;
this module turns those rules into nodes. The local derivatives are evaluated
here, in the forward pass, so that backpropagation
(:mod:`~functional_micrograd.autodiff`) is a plain loop of multiply-and-add.

Nothing ever changes a Value after it is made.

Four private modules hold what a reader can skip: ``_closed.py`` answers
the record protocol of a PClass (only a node's label can change, and only in
a copy), ``_nodes.py`` makes the nodes fast (the speed section),
``_pickling.py`` pickles a graph of any depth without recursion, and
``_ops.py`` makes the op functions (``fm.relu``, ``fm.add``, ``fm.define_op``
...), which are this module's names too.

>>> a = Value(2.0, label="a")
>>> b = Value(-3.0, label="b")
>>> c = a * b + 1
>>> c
Value(data=-5.0, op='+')
>>> [(edge.parent.data, edge.local_grad) for edge in c.parents]
[(-6.0, 1.0), (1.0, 1.0)]
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, NoReturn, Union, overload

from pyrsistent import PClass, field

from functional_micrograd import _checks, _nodes, _pickling
from functional_micrograd._closed import Closed
from functional_micrograd.primitives import PRIMITIVES, Primitive, _power_rule

if TYPE_CHECKING:
    from functional_micrograd._ops import (  # isort: skip (the op functions: see __getattr__)
        abs, add, cos, define_op, div, exp, log, logsumexp, mul, neg, pow, relu, sigmoid, sin,
        softplus, sqrt, step, sub, sum_values, tanh,
    )  # fmt: skip
    from functional_micrograd.autodiff import Gradients

__all__ = [
    "Edge", "Operand", "Value",
    # the op functions, made in _ops.py from the table (see __getattr__ below)
    "abs", "add", "cos", "define_op", "div", "exp", "log", "logsumexp", "mul", "neg",
    "pow", "relu", "sigmoid", "sin", "softplus", "sqrt", "step", "sub", "sum_values", "tanh",
]  # fmt: skip

Operand = Union["Value", int, float]
"""What an op accepts as an input: a Value or a plain number (which becomes a leaf)."""


class Edge(NamedTuple):
    """One edge of the graph: a parent Value and d(child)/d(parent)."""

    parent: Value
    local_grad: float


class Value(Closed, PClass):
    """An immutable scalar node of a computation graph.

    ``Value(data, label=None)`` makes a leaf (an input or a parameter). Ops
    make the other nodes: ``+ - * / **``, unary ``-``, ``abs()`` and the
    methods below, or the functions of this module.

    Fields:
        data: the number this node holds; always a finite float.
        op: ``""`` for a leaf, else the name of the primitive that made it.
        label: an optional name, shown in reprs and graph pictures.
        id: a unique integer; equality and hashing use it and nothing else.
        inputs: the Values this node was computed from.
        local_grads: d(node)/d(input) for each of ``inputs``, as floats.

    >>> x = Value(3, label="x")
    >>> y = x ** 2
    >>> y.op, y.data, y.local_grads
    ('**2', 9.0, (6.0,))
    >>> x.data = 4.0
    Traceback (most recent call last):
    ...
    AttributeError: Value is immutable: cannot set 'data'; operations return new Values
    """

    data = field(type=float, mandatory=True)
    op = field(type=str, initial="")
    label = field(type=(str, type(None)), initial=None)
    id = field(type=int, mandatory=True)
    inputs = field(type=tuple, initial=())
    local_grads = field(type=tuple, initial=())

    def __new__(cls, data: int | float, label: str | None = None) -> Value:
        if type(data) is not float or not _isfinite(data):  # the common case needs no checks
            data = _checks.number("Value", "data", data)
        if label is not None and type(label) is not str:
            label = _checks.label("Value", label)
        return _node(data, "", (), (), label)

    @property
    def parents(self) -> tuple[Edge, ...]:
        """The edges to the nodes this one was computed from, with local derivatives."""
        return tuple(map(Edge, self.inputs, self.local_grads))

    @property
    def grad(self) -> NoReturn:
        """Values hold no gradient here; ``backward`` returns them all as data."""
        raise AttributeError(
            "Value.grad: gradients are not stored on Values here; "
            "write g = loss.backward() (or fm.backward(loss)) and read g[x]"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return _unflatten, _pickling.flatten(self)  # flat columns: no recursion, any depth

    # -- identity ------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Value) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        op = f", op={self.op!r}" if self.op else ""
        label = f", label={self.label!r}" if self.label is not None else ""
        return f"Value(data={self.data!r}{op}{label})"

    # -- ops -----------------------------------------------------------------------

    def __add__(self, other: Operand) -> Value:
        return _add(self, other if type(other) is Value else _operand("add", other))

    def __radd__(self, other: Operand) -> Value:
        return _add(_operand("add", other), self)

    def __sub__(self, other: Operand) -> Value:
        return _sub(self, other if type(other) is Value else _operand("sub", other))

    def __rsub__(self, other: Operand) -> Value:
        return _sub(_operand("sub", other), self)

    def __mul__(self, other: Operand) -> Value:
        return _mul(self, other if type(other) is Value else _operand("mul", other))

    def __rmul__(self, other: Operand) -> Value:
        return _mul(_operand("mul", other), self)

    def __truediv__(self, other: Operand) -> Value:
        return _apply(PRIMITIVES["/"], (self, _operand("div", other)))

    def __rtruediv__(self, other: Operand) -> Value:
        return _apply(PRIMITIVES["/"], (_operand("div", other), self))

    def __pow__(self, exponent: int | float) -> Value:
        return _apply(_power_rule(_exponent(exponent)), (self,))

    def __rpow__(self, base: object) -> NoReturn:
        raise TypeError(
            f"pow: expected the exponent to be an int or float, got a Value in "
            f"{_checks.show(base)} ** {self!r}; exponents are constants here, as in micrograd"
        )

    def __neg__(self) -> Value:
        return _apply(PRIMITIVES["neg"], (self,))

    def __abs__(self) -> Value:
        return _apply(PRIMITIVES["abs"], (self,))

    def relu(self) -> Value:
        """max(0, x); its derivative at 0 is taken as 0, as in micrograd."""
        return _relu(self)

    if TYPE_CHECKING:  # made below the class from the table, one per unary primitive
        def step(self) -> Value: ...
        def tanh(self) -> Value: ...
        def sigmoid(self) -> Value: ...
        def exp(self) -> Value: ...
        def log(self) -> Value: ...
        def sin(self) -> Value: ...
        def cos(self) -> Value: ...
        def sqrt(self) -> Value: ...
        def abs(self) -> Value: ...
        def softplus(self) -> Value: ...

    @staticmethod
    def _op(name: str, *operands: Operand) -> Value:
        """The node of the primitive ``name``: how the rules of primitives.py make nodes."""
        return _apply(PRIMITIVES[name], tuple(_operand(name, x) for x in operands))

    @overload
    def backward(self, create_graph: Literal[False] = False) -> Gradients[float]: ...

    @overload
    def backward(self, create_graph: Literal[True]) -> Gradients[Value]: ...

    def backward(self, create_graph: bool = False) -> Gradients[Any]:
        """Differentiate this Value; return its ``Gradients`` (see ``autodiff.backward``).

        >>> x = Value(2.0)
        >>> (x * x).backward()[x]
        4.0
        """
        from functional_micrograd.autodiff import backward  # autodiff builds on this module

        return backward(self, create_graph=create_graph)


# The unary methods, one per primitive of the table: x.tanh() is the node of "tanh".
def _method(name: str) -> Callable[[Value], Value]:
    rule = PRIMITIVES[name]

    def method(self: Value) -> Value:
        return _apply(rule, (self,))

    method.__name__, method.__qualname__ = name, f"Value.{name}"
    method.__doc__ = f"{rule.doc} Here a is this Value: ``x.{name}()`` is ``fm.{name}(x)``."
    return method


for _name in ("step", "tanh", "sigmoid", "exp", "log", "sin", "cos", "sqrt", "abs", "softplus"):
    setattr(Value, _name, _method(_name))


# -- making any op's node from its rule ------------------------------------------------


def _apply(rule: Primitive, inputs: tuple[Value, ...]) -> Value:
    """The node of one primitive op: its forward on the inputs' data and its local derivatives.

    The result and every local derivative must be finite: the first bad number
    is refused where it is made, naming the op and its operands.
    """
    xs = tuple([v.data for v in inputs])
    out, local = _evaluate(rule, xs)
    return _node(out, rule.name, inputs, local)


def _evaluate(rule: Primitive, xs: tuple[float, ...]) -> tuple[float, tuple[float, ...]]:
    """An op's result and local derivatives on floats, each checked to be finite."""
    out = rule.forward(*xs)
    if not _isfinite(out):
        raise OverflowError(
            f"{rule.function}: {_call(rule, xs)} gives {out!r}, which is not finite"
        )
    try:
        local = rule.derivative(*xs, out) if rule.on_floats else _user_rule(rule, xs, out)
    except ArithmeticError as error:
        raise type(error)(
            f"{rule.function}: the derivative of {_call(rule, xs)} is not finite ({error})"
        ) from None
    if not all(map(_isfinite, local)):
        raise OverflowError(
            f"{rule.function}: the derivative of {_call(rule, xs)} is {local!r}, "
            "which is not finite"
        )
    return out, local


def _call(rule: Primitive, xs: tuple[float, ...]) -> str:
    """How an op's operands read in a message: ``1.0 + 2.0``, ``3.0 ** 2``, ``log(0.0)``."""
    shown = [_checks.show(x) for x in xs]
    if rule.name in ("+", "-", "*", "/"):
        return f"{shown[0]} {rule.name} {shown[1]}"
    if rule.name.startswith("**"):
        return f"{shown[0]} {rule.name[:2]} {rule.name[2:]}"
    return f"{rule.function}({', '.join(shown)})"


def _user_rule(rule: Primitive, xs: tuple[float, ...], out: float) -> tuple[float, ...]:
    """A user's derivative, evaluated on leaves (it is written with fm ops, for Values)."""
    local = rule.derivative(*(_leaf(x, None) for x in xs), _leaf(out, None))
    if not isinstance(local, tuple) or len(local) != len(xs):
        raise ValueError(
            f"{rule.function}: expected the derivative to return a tuple of {len(xs)} "
            f"local derivative(s), one per input, got {_checks.describe(local)}"
        )
    return tuple(
        d.data if isinstance(d, Value) else _checks.number(rule.function, "d", d) for d in local
    )


def _operand(where: str, x: object) -> Value:
    """A Value as it is; a plain number as a new leaf (as micrograd does)."""
    if isinstance(x, Value):
        return x
    if not _checks.is_number(x):
        raise TypeError(f"{where}: expected a Value, int or float, got {_checks.describe(x)}")
    return _leaf(_checks.number(where, "the operand", x), None)


def _exponent(n: object) -> int | float:
    if isinstance(n, Value):
        raise TypeError(
            f"pow: expected the exponent to be an int or float, got a Value ({n!r}); "
            "exponents are constants here, as in micrograd"
        )
    return _checks.exponent("pow", n)


# -- the fast constructors (the speed section, in _nodes.py) -----------------------------

_isfinite = math.isfinite
_nodes.bind(Value, _apply)  # they fill Value's slots directly
_node, _add, _sub, _mul, _relu = _nodes.node, _nodes.add, _nodes.sub, _nodes.mul, _nodes.relu


def _leaf(data: float, label: str | None) -> Value:
    return _node(data, "", (), (), label)


# An argument that a transform differentiates gets a node of its own, x + _ARGUMENT,
# so that its gradient is the partial derivative for that argument even where
# the same Value is used elsewhere; traces leave the marker out (jit.py).
_ARGUMENT = _leaf(0.0, None)


def _unflatten(*columns: Any) -> Value:
    """A pickled Value, loaded again (see _pickling.py); pickles name this function."""
    return _pickling.unflatten(columns)


def __getattr__(name: str) -> Any:
    # The op functions build on this module, so they live in _ops.py; they are
    # this module's names too (fm.value.relu), found there on first use.
    if name in __all__:
        from functional_micrograd import _ops

        found = getattr(_ops, name)
        globals()[name] = found  # found once: later reads are plain module attributes
        return found
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
