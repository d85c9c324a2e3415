"""Scalar Values: the immutable nodes of a computation graph.

Every op on a :class:`Value` returns a new Value that remembers the Values it
was computed from (``inputs``) and, for each, the local derivative of the
result with respect to it (``local_grads``). What each op computes, and its
derivative, is written once, in :mod:`~functional_micrograd.primitives`;
this module turns those rules into nodes. The local derivatives are evaluated
here, in the forward pass, so that backpropagation
(:mod:`~functional_micrograd.autodiff`) is a plain loop of multiply-and-add.

Nothing ever changes a Value after it is made.

>>> a = Value(2.0, label="a")
>>> b = Value(-3.0, label="b")
>>> c = a * b + 1
>>> c
Value(data=-5.0, op='+')
>>> [(edge.parent.data, edge.local_grad) for edge in c.parents]
[(-6.0, 1.0), (1.0, 1.0)]
"""

from __future__ import annotations

import itertools
import math
import os
import threading
import weakref
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, NoReturn, Union, overload

from pyrsistent import PClass, field
from toolz import curry

from functional_micrograd import _checks, _collector
from functional_micrograd.primitives import PRIMITIVES, Primitive, _power_rule, register

if TYPE_CHECKING:
    from functional_micrograd.autodiff import Gradients

__all__ = [
    "Edge",
    "Operand",
    "Value",
    "abs",
    "add",
    "cos",
    "define_op",
    "div",
    "exp",
    "log",
    "logsumexp",
    "mul",
    "neg",
    "pow",
    "relu",
    "sigmoid",
    "sin",
    "softplus",
    "sqrt",
    "step",
    "sub",
    "sum_values",
    "tanh",
]  # fmt: skip

Operand = Union["Value", int, float]
"""What an op accepts as an input: a Value or a plain number (which becomes a leaf)."""


class Edge(NamedTuple):
    """One edge of the graph: a parent Value and d(child)/d(parent)."""

    parent: Value
    local_grad: float


# Node ids come from one process-wide counter. next() on a count is atomic in
# CPython, so ids stay unique across threads, and because a node is always made
# after its inputs, every node's id is larger than its inputs' ids.
_ids = itertools.count()


class Value(PClass):
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

    # -- the record protocol: only the label can change ------------------------------

    def set(self, *args: Any, **changes: Any) -> Value:
        """Return this node with a new label; nothing else about a node can change.

        >>> (Value(2.0) * 3).set(label="e")
        Value(data=6.0, op='*', label='e')
        """
        if args:
            if len(args) != 2:
                raise TypeError(f"Value.set: expected (name, value), got {args!r}")
            changes[args[0]] = args[1]
        unknown = sorted(set(changes) - {"label"})
        if unknown:
            raise TypeError(
                f"Value.set: only 'label' can change, got {unknown}; data, op, id, "
                "inputs and local_grads are fixed when a node is made: build a new Value"
            )
        label = _checks.label("Value.set", changes.get("label", self.label))
        return _node(
            self.data, self.op, self.inputs, self.local_grads, label, self.id, type(self)
        )

    def evolver(self) -> NoReturn:
        """Values have no evolver: use ``set(label=...)`` or build a new Value."""
        raise TypeError("Value.evolver: a Value cannot be evolved; use set(label=...) or ops")

    @classmethod
    def create(cls, kwargs: Any, _factory_fields: Any = None, ignore_extra: bool = False) -> Value:
        """Make a leaf from a mapping with ``data`` and optionally ``label``.

        >>> Value.create({"data": 1.5, "label": "w"})
        Value(data=1.5, label='w')
        """
        if isinstance(kwargs, Value):
            return kwargs
        if not isinstance(kwargs, dict) or "data" not in kwargs:
            raise TypeError(f"Value.create: expected a dict with 'data', got {kwargs!r}")
        extra = sorted(set(kwargs) - {"data", "label"})
        if extra and not ignore_extra:
            raise TypeError(f"Value.create: a leaf takes only 'data' and 'label', got {extra}")
        return cls(kwargs["data"], kwargs.get("label"))

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise AttributeError(
            f"Value is immutable: cannot set {name!r}; operations return new Values"
        )

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"Value is immutable: cannot delete {name!r}")

    def __copy__(self) -> Value:
        return self

    def __deepcopy__(self, memo: Any) -> Value:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return _unflatten, _flatten(self)

    # -- identity ------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Value) and other.id == self.id

    def __ne__(self, other: object) -> bool:
        return not self == other

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

    def step(self) -> Value:
        """1 where x > 0, else 0: relu's derivative."""
        return _apply(PRIMITIVES["step"], (self,))

    def tanh(self) -> Value:
        """Hyperbolic tangent; finite for any input."""
        return _apply(PRIMITIVES["tanh"], (self,))

    def sigmoid(self) -> Value:
        """1 / (1 + e ** -x); finite for any input."""
        return _apply(PRIMITIVES["sigmoid"], (self,))

    def exp(self) -> Value:
        """e ** x."""
        return _apply(PRIMITIVES["exp"], (self,))

    def log(self) -> Value:
        """The natural logarithm; x must be positive."""
        return _apply(PRIMITIVES["log"], (self,))

    def sin(self) -> Value:
        """sin(x), x in radians."""
        return _apply(PRIMITIVES["sin"], (self,))

    def cos(self) -> Value:
        """cos(x), x in radians."""
        return _apply(PRIMITIVES["cos"], (self,))

    def sqrt(self) -> Value:
        """The square root; x must be positive."""
        return _apply(PRIMITIVES["sqrt"], (self,))

    def abs(self) -> Value:
        """|x|; its derivative at 0 is taken as 0."""
        return _apply(PRIMITIVES["abs"], (self,))

    def softplus(self) -> Value:
        """log(1 + e ** x), a smooth relu; finite for any input."""
        return _apply(PRIMITIVES["softplus"], (self,))

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


# -- the speed section ------------------------------------------------------------------
#
# + and * make most of a training step's graph (about 60,000 of its 65,000
# nodes), so they build their node inline instead of going through _apply,
# and every node is made without PClass's checking constructor (which costs
# several microseconds): an empty instance, its slots filled once through the
# slot descriptors. Together these make the forward pass about 2.5 times faster
# (measured in benchmarks/). tests/test_value.py checks that these nodes equal
# what _apply makes from the table.

_new = object.__new__
_set_data = Value.__dict__["data"].__set__
_set_op = Value.__dict__["op"].__set__
_set_label = Value.__dict__["label"].__set__
_set_id = Value.__dict__["id"].__set__
_set_inputs = Value.__dict__["inputs"].__set__
_set_local_grads = Value.__dict__["local_grads"].__set__
_isfinite = math.isfinite
_ONE, _ZERO, _ONE_ONE = (1.0,), (0.0,), (1.0, 1.0)
_ONE_MINUS_ONE = (1.0, -1.0)


def _node(
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
        kind = Value
        for v in inputs:
            if v.__class__ is not Value:
                kind = v.__class__
    node: Value = _new(kind)
    _set_data(node, data)
    _set_op(node, op)
    _set_label(node, label)
    _set_id(node, next(_ids) if node_id is None else node_id)
    _set_inputs(node, inputs)
    _set_local_grads(node, local_grads)
    return node


def _leaf(data: float, label: str | None) -> Value:
    return _node(data, "", (), (), label)


def _add(a: Value, b: Value) -> Value:
    out = a.data + b.data
    if not _isfinite(out):
        return _apply(PRIMITIVES["+"], (a, b))  # raises, with the table's message
    node: Value = _new(a.__class__ if b.__class__ is Value else b.__class__)  # _node, inlined
    _set_data(node, out)
    _set_op(node, "+")
    _set_label(node, None)
    _set_id(node, next(_ids))
    _set_inputs(node, (a, b))
    _set_local_grads(node, _ONE_ONE)  # the rule's (1, 1)
    return node


def _mul(a: Value, b: Value) -> Value:
    ad = a.data
    bd = b.data
    out = ad * bd
    if not _isfinite(out):
        return _apply(PRIMITIVES["*"], (a, b))
    node: Value = _new(a.__class__ if b.__class__ is Value else b.__class__)
    _set_data(node, out)
    _set_op(node, "*")
    _set_label(node, None)
    _set_id(node, next(_ids))
    _set_inputs(node, (a, b))
    _set_local_grads(node, (bd, ad))  # the rule's (b, a)
    return node


def _sub(a: Value, b: Value) -> Value:
    out = a.data - b.data
    if not _isfinite(out):
        return _apply(PRIMITIVES["-"], (a, b))
    return _node(out, "-", (a, b), _ONE_MINUS_ONE)  # the rule's (1, -1)


def _relu(a: Value) -> Value:
    # the rule's (step(a),)
    return _node(a.data, "relu", (a,), _ONE) if a.data > 0.0 else _node(0.0, "relu", (a,), _ZERO)


# An argument that a transform differentiates gets a node of its own, x + _ARGUMENT,
# so that its gradient is the partial derivative for that argument even where
# the same Value is used elsewhere; traces leave the marker out (jit.py).
_ARGUMENT = _leaf(0.0, None)


# -- the graph below a node --------------------------------------------------------------


def _below(*roots: Value) -> list[Value]:
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


# -- pickling without recursion ---------------------------------------------------------
#
# A Value pickles as every node below it, in id order, laid out in flat
# columns (ids, data, ops, labels, how many inputs, the inputs' positions,
# local derivatives): any depth works, and flat lists of numbers and strs are
# what pickle writes and reads fastest. The columns carry the nodes' origin
# (this process's token and each node's id): all Values loaded from one origin
# share their nodes, so a model and a loss built on it, pickled together or
# apart, stay connected.

_TOKEN = int.from_bytes(os.urandom(8), "big")
# Loaded nodes by origin, held weakly; dead entries are swept out once they could
# make up half of the table, so a lookup is one plain dict get.
_loaded: dict[tuple[int, int], weakref.ref[Value]] = {}
_loaded_lock = threading.Lock()
_sweep_at = [1 << 16]

Columns = tuple[
    int, list[int], list[float], list[str], list[Any], list[int], list[int], list[float]
]


def _flatten(root: Value) -> Columns:
    order = _below(root)
    position = {node.id: i for i, node in enumerate(order)}
    return (
        _TOKEN,
        [n.id for n in order],
        [n.data for n in order],
        [n.op for n in order],
        [n.label for n in order],
        [len(n.inputs) for n in order],
        [position[p.id] for n in order for p in n.inputs],
        [d for n in order for d in n.local_grads],
    )


def _unflatten(*columns: Any) -> Value:
    token, ids, datas, ops, labels, arities, positions, local_grads = columns
    made: list[Value] = []
    append, ref, at = made.append, weakref.ref, 0
    with _collector.paused(), _loaded_lock:  # a million new nodes make no cycle
        find = _loaded.get
        for origin, data, op, label, arity in zip(ids, datas, ops, labels, arities):
            held = find((token, origin))
            node = None if held is None else held()
            if node is None:
                inputs = tuple([made[i] for i in positions[at : at + arity]])
                node = _node(data, op, inputs, tuple(local_grads[at : at + arity]), label)
                _loaded[token, origin] = ref(node)
            append(node)
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


# -- the functions: one per primitive, made from the table ----------------------------


def _unary(name: str, example: str) -> Callable[[Operand], Value]:
    rule = PRIMITIVES[name]

    def op(a: Operand) -> Value:
        return _apply(rule, (_operand(rule.function, a),))

    op.__name__ = op.__qualname__ = rule.function
    op.__doc__ = f"{rule.doc} A new Value from a Value or a number.\n\n{example}"
    return op


def _binary(name: str, example: str) -> Callable[..., Value]:
    rule = PRIMITIVES[name]
    fast = {"+": _add, "-": _sub, "*": _mul}.get(name)

    def op(a: Operand, b: Operand) -> Value:
        pair = (_operand(rule.function, a), _operand(rule.function, b))
        return fast(*pair) if fast else _apply(rule, pair)

    op.__name__ = op.__qualname__ = rule.function
    op.__doc__ = (
        f"{rule.doc} A new Value; curried, so ``{rule.function}(a)`` waits for b.\n\n{example}"
    )
    result: Callable[..., Value] = curry(op)
    return result


add = _binary("+", ">>> add(Value(2.0), 3).data, add(1.0)(Value(2.0)).data\n(5.0, 3.0)")
sub = _binary("-", ">>> sub(Value(5.0))(2.0).data\n3.0")
mul = _binary("*", ">>> from toolz import pipe\n>>> pipe(Value(-1.5), mul(2.0), relu).data\n0.0")
div = _binary("/", ">>> div(10.0)(Value(4.0)).data\n2.5")
neg = _unary("neg", ">>> neg(Value(2.0)).data\n-2.0")
relu = _unary("relu", ">>> relu(Value(-1.0)).data, relu(Value(2.0)).data\n(0.0, 2.0)")
step = _unary("step", ">>> step(Value(-1.0)).data, step(Value(2.0)).data\n(0.0, 1.0)")
tanh = _unary("tanh", ">>> tanh(Value(1000.0)).data\n1.0")
sigmoid = _unary("sigmoid", ">>> sigmoid(Value(0.0)).data\n0.5")
exp = _unary("exp", ">>> round(exp(Value(1.0)).data, 4)\n2.7183")
log = _unary("log", ">>> log(Value(1.0)).data\n0.0")
sin = _unary("sin", ">>> sin(0.0).data\n0.0")
cos = _unary("cos", ">>> cos(0.0).data\n1.0")
sqrt = _unary("sqrt", ">>> sqrt(Value(9.0)).data\n3.0")
abs = _unary("abs", ">>> abs(Value(-2.5)).data\n2.5")
softplus = _unary("softplus", ">>> round(softplus(Value(0.0)).data, 4)\n0.6931")
_tanh = tanh
_sigmoid = sigmoid


@curry
def pow(a: Operand, exponent: int | float) -> Value:
    """a ** exponent, for a constant exponent; ``pow(a)(n)`` is ``a ** n``.

    >>> pow(Value(3.0), 2).data
    9.0
    """
    return _apply(_power_rule(_exponent(exponent)), (_operand("pow", a),))


def logsumexp(values: Iterable[Operand]) -> Value:
    """log(sum(e ** v)) of one or more values, as one node, without overflow.

    Its local derivatives are the softmax of the values.

    >>> round(logsumexp([Value(1000.0), Value(1000.0)]).data, 4)
    1000.6931
    """
    inputs = tuple(
        _operand("logsumexp", v) for v in _checks.sequence("logsumexp", "values", values)
    )
    if not inputs:
        raise ValueError("logsumexp: expected at least one value, got none")
    return _apply(PRIMITIVES["logsumexp"], inputs)


_END = object()


def sum_values(values: Iterable[Operand], start: Operand = 0.0) -> Value:
    """Add values left to right, one ``+`` node per addition.

    A plain-number ``start`` of 0 adds nothing and makes no node.

    >>> total = sum_values([Value(1.0), Value(2.0), 3])
    >>> total.data, total.op
    (6.0, '+')
    >>> sum_values([]).data
    0.0
    """
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(
            f"sum_values: expected an iterable of Values or numbers, got {_checks.describe(values)}"
        )
    terms = iter(values)
    if isinstance(start, Value) or _checks.number("sum_values", "start", start) != 0.0:
        total = _operand("sum_values", start)
    else:
        first = next(terms, _END)
        if first is _END:
            return _leaf(0.0, None)
        total = _operand("sum_values", first)
    for term in terms:
        total = _add(total, _operand("sum_values", term))
    return total


def define_op(
    name: str,
    forward: Callable[..., float],
    derivative: Callable[..., tuple[Any, ...]],
    doc: str = "",
) -> Callable[..., Value]:
    """Add a primitive op of your own, with its derivative rule; return its function.

    Args:
        name: the op's name, as nodes will show it; it must be new.
        forward: the op on floats, ``forward(*floats) -> float``; its number
            of parameters is the op's arity.
        derivative: ``derivative(*inputs, out) -> tuple`` of d(out)/d(input),
            one per input, written with fm ops (``fm.cos(x)``) or numbers. It
            is given Values, so it can be differentiated again.
        doc: a sentence on what the op computes.

    >>> import math
    >>> my_sin = define_op("my_sin", math.sin, lambda x, out: (cos(x),))
    >>> y = my_sin(Value(0.0))
    >>> y.op, y.data, y.local_grads
    ('my_sin', 0.0, (1.0,))
    """
    import inspect

    _checks.function("define_op", "forward", forward)
    _checks.function("define_op", "derivative", derivative)
    if not isinstance(name, str) or not name or name.startswith("**"):
        raise ValueError(
            f"define_op: expected name to be a new op name, got {_checks.describe(name)}"
        )
    try:
        parameters = inspect.signature(forward).parameters.values()
    except (TypeError, ValueError):
        raise TypeError(f"define_op: cannot read how many arguments {forward!r} takes") from None
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in parameters):
        name_of = getattr(forward, "__name__", type(forward).__name__)
        raise ValueError(f"define_op: forward must take a fixed number of floats, got {name_of}")
    arity = len(parameters)
    rule = register(
        Primitive(
            name=name, arity=arity, forward=_named(name, forward), derivative=derivative,
            doc=str(doc), function=name,
        )
    )  # fmt: skip

    def op(*operands: Operand) -> Value:
        if len(operands) != arity:
            raise ValueError(f"{name}: expected {arity} argument(s), got {len(operands)}")
        return _apply(rule, tuple(_operand(name, x) for x in operands))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


def _named(name: str, forward: Callable[..., float]) -> Callable[..., float]:
    """A user's forward whose errors name the op and its operands."""

    def checked(*xs: float) -> float:
        try:
            result = forward(*xs)
        except (ArithmeticError, ValueError) as error:
            raise type(error)(
                f"{name}: {name}({', '.join(map(repr, xs))}) failed: {error}"
            ) from None
        if not _checks.is_number(result):
            raise TypeError(
                f"{name}: expected forward to return a float, got {_checks.describe(result)}"
            )
        return float(result)  # a non-finite result is refused where the node is made

    return checked
