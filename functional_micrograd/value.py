"""Scalar Values: the immutable nodes of a computation graph.

Every operation on a :class:`Value` returns a new Value that remembers the
Values it was computed from (``inputs``) and, for each of them, the local
derivative of the result with respect to it (``local_grads``). Those local
derivatives are computed here, in the forward pass, so that backpropagation
(:mod:`functional_micrograd.autodiff`) is a plain loop of multiply-and-add.

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
import numbers
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn, Union

from pyrsistent import PClass, field
from toolz import curry

if TYPE_CHECKING:
    from functional_micrograd.autodiff import Gradients

__all__ = [
    "Edge",
    "Operand",
    "Value",
    "add",
    "div",
    "exp",
    "log",
    "mul",
    "neg",
    "pow",
    "relu",
    "sigmoid",
    "sub",
    "sum_values",
    "tanh",
]

Operand = Union["Value", int, float]
"""What an arithmetic operation accepts on either side: a Value or a plain number."""


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
    make the other nodes: ``+ - * / **``, unary ``-``, and the methods
    :meth:`relu`, :meth:`tanh`, :meth:`exp`, :meth:`log`, :meth:`sigmoid`.

    Fields:
        data: the number this node holds; always a finite float.
        op: ``""`` for a leaf, else the name of the op that made the node.
        label: an optional name, shown in reprs and graph pictures.
        id: a unique integer; equality and hashing use it and nothing else.
        inputs: the Values this node was computed from.
        local_grads: d(node)/d(input) for each of ``inputs``, as floats.

    >>> x = Value(3, label="x")
    >>> x
    Value(data=3.0, label='x')
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
            data = _as_float("Value", data)
        if label is not None and type(label) is not str:
            label = _check_label("Value", label)
        return _node(data, "", (), (), label)

    # -- record protocol -------------------------------------------------

    @property
    def parents(self) -> tuple[Edge, ...]:
        """The edges to the nodes this one was computed from, with local derivatives."""
        return tuple(map(Edge, self.inputs, self.local_grads))

    def set(self, *args: Any, **changes: Any) -> Value:
        """Return this node with a new label; nothing else about a node can change.

        >>> e = (Value(2.0) * 3).set(label="e")
        >>> e
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
        return _relabel(self, _check_label("Value.set", changes.get("label", self.label)))

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
        # An unpickled node gets a fresh id, made after its (unpickled) inputs,
        # so ids stay unique and keep increasing along every edge.
        return (_restore, (self.data, self.op, self.label, self.inputs, self.local_grads))

    # -- identity ---------------------------------------------------------

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

    # -- operators ---------------------------------------------------------

    def __add__(self, other: Operand) -> Value:
        return _add(self, other if type(other) is Value else _operand("add", other))

    def __radd__(self, other: Operand) -> Value:
        return _add(other if type(other) is Value else _operand("add", other), self)

    def __sub__(self, other: Operand) -> Value:
        return _sub(self, other if type(other) is Value else _operand("sub", other))

    def __rsub__(self, other: Operand) -> Value:
        return _sub(other if type(other) is Value else _operand("sub", other), self)

    def __mul__(self, other: Operand) -> Value:
        return _mul(self, other if type(other) is Value else _operand("mul", other))

    def __rmul__(self, other: Operand) -> Value:
        return _mul(other if type(other) is Value else _operand("mul", other), self)

    def __truediv__(self, other: Operand) -> Value:
        return _div(self, other if type(other) is Value else _operand("div", other))

    def __rtruediv__(self, other: Operand) -> Value:
        return _div(other if type(other) is Value else _operand("div", other), self)

    def __pow__(self, exponent: int | float) -> Value:
        return _pow(self, exponent)

    def __rpow__(self, base: object) -> NoReturn:
        raise TypeError(
            f"pow: the exponent must be an int or float, got a Value in {_show(base)} ** {self!r}; "
            "exponents are constants here, as in micrograd"
        )

    def __neg__(self) -> Value:
        return _neg(self)

    def relu(self) -> Value:
        """max(0, x); its derivative at 0 is taken as 0."""
        return _relu(self)

    def tanh(self) -> Value:
        """Hyperbolic tangent."""
        return _tanh(self)

    def exp(self) -> Value:
        """e ** x."""
        return _exp(self)

    def log(self) -> Value:
        """Natural logarithm; x must be positive."""
        return _log(self)

    def sigmoid(self) -> Value:
        """1 / (1 + e ** -x)."""
        return _sigmoid(self)

    def backward(self) -> Gradients:
        """Differentiate this Value; return its ``Gradients`` (see ``autodiff.backward``).

        >>> x = Value(2.0)
        >>> (x * x).backward()[x]
        4.0
        """
        from functional_micrograd.autodiff import backward  # autodiff builds on this module

        return backward(self)


# -- making nodes ------------------------------------------------------------
#
# Going through PClass.__new__ checks every field on every call, which costs
# several microseconds per node. Ops produce well-typed fields by construction,
# so nodes are made directly: an empty instance, its slots filled once through
# the slot descriptors (Value.__setattr__ refuses all writes afterwards).

_new_instance = object.__new__
_set_data = Value.__dict__["data"].__set__
_set_op = Value.__dict__["op"].__set__
_set_label = Value.__dict__["label"].__set__
_set_id = Value.__dict__["id"].__set__
_set_inputs = Value.__dict__["inputs"].__set__
_set_local_grads = Value.__dict__["local_grads"].__set__
_isfinite = math.isfinite

_ONE = (1.0,)
_ZERO = (0.0,)
_MINUS_ONE = (-1.0,)
_ONE_ONE = (1.0, 1.0)
_ONE_MINUS_ONE = (1.0, -1.0)


def _node(
    data: float,
    op: str,
    inputs: tuple[Value, ...],
    local_grads: tuple[float, ...],
    label: str | None = None,
    node_id: int | None = None,
) -> Value:
    """A new node; a fresh id unless ``node_id`` is given (only a relabelled node keeps its id)."""
    node: Value = _new_instance(Value)
    _set_data(node, data)
    _set_op(node, op)
    _set_label(node, label)
    _set_id(node, next(_ids) if node_id is None else node_id)
    _set_inputs(node, inputs)
    _set_local_grads(node, local_grads)
    return node


def _leaf(data: float, label: str | None) -> Value:
    return _node(data, "", (), (), label)


def _relabel(v: Value, label: str | None) -> Value:
    return _node(v.data, v.op, v.inputs, v.local_grads, label, v.id)


def _restore(
    data: float, op: str, label: str | None, inputs: tuple[Value, ...], grads: tuple[float, ...]
) -> Value:
    return _node(data, op, inputs, grads, label)


# -- checking input ------------------------------------------------------------


def _show(x: object, limit: int = 60) -> str:
    """repr(x), shortened so that an error message stays readable."""
    try:
        text = repr(x)
    except ValueError:  # an int with more digits than str() will write
        if not isinstance(x, int):
            raise
        text = f"<an int of about {int(x.bit_length() * math.log10(2)) + 1} digits>"
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def _describe(x: object) -> str:
    return f"{_show(x)} ({type(x).__name__})"


def _as_float(where: str, x: object) -> float:
    """Turn an int or float into a finite float, or raise TypeError/ValueError."""
    if type(x) is float:
        number = x
    elif isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{where}: expected an int or float, got {_describe(x)}")
    else:
        try:
            number = float(x)
        except OverflowError:
            raise ValueError(
                f"{where}: expected a finite number, got {_show(x)} (too large for a float)"
            ) from None
    if not _isfinite(number):
        raise ValueError(f"{where}: expected a finite number, got {number!r}")
    return number


def _check_label(where: str, label: object) -> str | None:
    if label is None or isinstance(label, str):
        return label
    raise TypeError(f"{where}: expected label to be a str or None, got {_describe(label)}")


def _operand(op: str, x: object) -> Value:
    """A Value as it is; a plain number as a new leaf (as micrograd does)."""
    if isinstance(x, Value):
        return x
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{op}: expected a Value, int or float, got {_describe(x)}")
    return _leaf(_as_float(op, x), None)


def _not_finite(op: str, operands: str, result: float) -> OverflowError:
    return OverflowError(f"{op}: {operands} gives {result!r}, which is not a finite float")


# -- the ops -------------------------------------------------------------------
# Each computes its result and its local derivatives, checks that they are
# finite, and makes one node.


def _add(a: Value, b: Value) -> Value:
    out = a.data + b.data
    if not _isfinite(out):
        raise _not_finite("add", f"{a.data!r} + {b.data!r}", out)
    # d(a+b)/da = 1, d(a+b)/db = 1
    node: Value = _new_instance(Value)  # _node's body, inlined: + and * are most of a graph
    _set_data(node, out)
    _set_op(node, "+")
    _set_label(node, None)
    _set_id(node, next(_ids))
    _set_inputs(node, (a, b))
    _set_local_grads(node, _ONE_ONE)
    return node


def _sub(a: Value, b: Value) -> Value:
    out = a.data - b.data
    if not _isfinite(out):
        raise _not_finite("sub", f"{a.data!r} - {b.data!r}", out)
    # d(a-b)/da = 1, d(a-b)/db = -1
    return _node(out, "-", (a, b), _ONE_MINUS_ONE)


def _mul(a: Value, b: Value) -> Value:
    ad = a.data
    bd = b.data
    out = ad * bd
    if not _isfinite(out):
        raise _not_finite("mul", f"{ad!r} * {bd!r}", out)
    # d(a*b)/da = b, d(a*b)/db = a
    node: Value = _new_instance(Value)  # _node's body, inlined, as in _add
    _set_data(node, out)
    _set_op(node, "*")
    _set_label(node, None)
    _set_id(node, next(_ids))
    _set_inputs(node, (a, b))
    _set_local_grads(node, (bd, ad))
    return node


def _div(a: Value, b: Value) -> Value:
    ad = a.data
    bd = b.data
    if bd == 0.0:
        raise ZeroDivisionError(f"div: division by zero: {ad!r} / {bd!r}")
    out = ad / bd
    # d(a/b)/da = 1/b, d(a/b)/db = -a/b**2
    da = 1.0 / bd
    db = -out / bd
    if not (_isfinite(out) and _isfinite(da) and _isfinite(db)):
        if not _isfinite(out):
            raise _not_finite("div", f"{ad!r} / {bd!r}", out)
        bad = da if not _isfinite(da) else db
        raise _not_finite("div", f"the derivative of {ad!r} / {bd!r}", bad)
    return _node(out, "/", (a, b), (da, db))


def _neg(a: Value) -> Value:
    # d(-a)/da = -1
    return _node(-a.data, "neg", (a,), _MINUS_ONE)


def _exponent(n: object) -> int | float:
    if isinstance(n, Value):
        raise TypeError(
            f"pow: the exponent must be an int or float, got a Value ({n!r}); "
            "exponents are constants here, as in micrograd"
        )
    if type(n) is int or type(n) is float:
        exponent = n
    elif isinstance(n, bool) or not isinstance(n, numbers.Real):
        raise TypeError(f"pow: the exponent must be an int or float, got {_describe(n)}")
    else:
        exponent = int(n) if isinstance(n, numbers.Integral) else float(n)
    if isinstance(exponent, float) and not _isfinite(exponent):
        raise ValueError(f"pow: the exponent must be finite, got {exponent!r}")
    return exponent


def _pow(a: Value, n: object) -> Value:
    exponent = _exponent(n)
    x = a.data
    if x == 0.0 and exponent < 0:
        raise ZeroDivisionError(f"pow: {x!r} ** {_show(exponent)} is a division by zero")
    if x < 0.0 and exponent != int(exponent):
        raise ValueError(
            f"pow: a negative base with a fractional exponent has no real result: "
            f"({x!r}) ** {_show(exponent)}"
        )
    if x == 0.0 and 0 < exponent < 1:
        raise ZeroDivisionError(f"pow: the derivative of x ** {exponent!r} at x = 0.0 is infinite")
    try:
        out = x**exponent
        # d(x**n)/dx = n * x**(n-1)
        local = 0.0 if exponent == 0 else exponent * x ** (exponent - 1)
    except OverflowError:
        raise OverflowError(
            f"pow: {x!r} ** {_show(exponent)} (or its derivative) is too large for a float"
        ) from None
    if not (_isfinite(out) and _isfinite(local)):
        if not _isfinite(out):
            raise _not_finite("pow", f"{x!r} ** {_show(exponent)}", out)
        raise _not_finite("pow", f"the derivative of {x!r} ** {_show(exponent)}", local)
    return _node(out, f"**{exponent!r}", (a,), (local,))


def _relu(a: Value) -> Value:
    # d(relu(a))/da = 1 where a > 0, else 0 (0 at a == 0, as micrograd)
    if a.data > 0.0:
        return _node(a.data, "relu", (a,), _ONE)
    return _node(0.0, "relu", (a,), _ZERO)


def _tanh(a: Value) -> Value:
    t = math.tanh(a.data)  # finite for every finite input, unlike (e**2x - 1)/(e**2x + 1)
    # d(tanh(a))/da = 1 - tanh(a)**2
    return _node(t, "tanh", (a,), (1.0 - t * t,))


def _exp(a: Value) -> Value:
    try:
        out = math.exp(a.data)
    except OverflowError:
        raise OverflowError(f"exp: exp({a.data!r}) is too large for a float") from None
    # d(e**a)/da = e**a
    return _node(out, "exp", (a,), (out,))


def _log(a: Value) -> Value:
    x = a.data
    if x <= 0.0:
        raise ValueError(f"log: expected a positive number, got {x!r}")
    local = 1.0 / x
    if not _isfinite(local):
        raise _not_finite("log", f"the derivative 1 / {x!r}", local)
    # d(log(a))/da = 1/a
    return _node(math.log(x), "log", (a,), (local,))


def _sigmoid(a: Value) -> Value:
    x = a.data
    # Two forms so that exp never overflows: for x < 0, e**x / (1 + e**x).
    if x >= 0.0:
        s = 1.0 / (1.0 + math.exp(-x))
    else:
        e = math.exp(x)
        s = e / (1.0 + e)
    # d(sigmoid(a))/da = sigmoid(a) * (1 - sigmoid(a))
    return _node(s, "sigmoid", (a,), (s * (1.0 - s),))


# -- functions ---------------------------------------------------------------------


@curry
def add(a: Operand, b: Operand) -> Value:
    """a + b as a new Value; curried, so ``add(a)`` waits for ``b``.

    >>> add(Value(2.0), 3).data
    5.0
    >>> add(1.0)(Value(2.0)).data
    3.0
    """
    return _add(_operand("add", a), _operand("add", b))


@curry
def sub(a: Operand, b: Operand) -> Value:
    """a - b as a new Value; ``sub(a)(b)`` is ``a - b``.

    >>> sub(Value(5.0))(2.0).data
    3.0
    """
    return _sub(_operand("sub", a), _operand("sub", b))


@curry
def mul(a: Operand, b: Operand) -> Value:
    """a * b as a new Value; curried.

    >>> from toolz import pipe
    >>> pipe(Value(-1.5), mul(2.0), relu).data
    0.0
    """
    return _mul(_operand("mul", a), _operand("mul", b))


@curry
def div(a: Operand, b: Operand) -> Value:
    """a / b as a new Value; ``div(a)(b)`` is ``a / b``.

    >>> div(10.0)(Value(4.0)).data
    2.5
    """
    return _div(_operand("div", a), _operand("div", b))


@curry
def pow(a: Operand, exponent: int | float) -> Value:
    """a ** exponent; the exponent is a plain number. ``pow(a)(n)`` is ``a ** n``.

    >>> pow(Value(3.0), 2).data
    9.0
    """
    return _pow(_operand("pow", a), exponent)


def neg(a: Operand) -> Value:
    """-a as a new Value.

    >>> neg(Value(2.0)).data
    -2.0
    """
    return _neg(_operand("neg", a))


def relu(a: Operand) -> Value:
    """max(0, a) as a new Value; the derivative at 0 is 0.

    >>> relu(Value(-1.0)).data, relu(Value(2.0)).data
    (0.0, 2.0)
    """
    return _relu(_operand("relu", a))


def tanh(a: Operand) -> Value:
    """tanh(a) as a new Value; finite for any finite input.

    >>> tanh(Value(1000.0)).data
    1.0
    """
    return _tanh(_operand("tanh", a))


def exp(a: Operand) -> Value:
    """e ** a as a new Value.

    >>> round(exp(Value(1.0)).data, 4)
    2.7183
    """
    return _exp(_operand("exp", a))


def log(a: Operand) -> Value:
    """The natural logarithm of a (a > 0) as a new Value.

    >>> log(Value(1.0)).data
    0.0
    """
    return _log(_operand("log", a))


def sigmoid(a: Operand) -> Value:
    """1 / (1 + e ** -a) as a new Value; finite for any finite input.

    >>> sigmoid(Value(0.0)).data
    0.5
    """
    return _sigmoid(_operand("sigmoid", a))


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
        raise TypeError(f"sum_values: expected an iterable of Values or numbers, got {values!r}")
    terms = iter(values)
    if isinstance(start, Value) or _as_float("sum_values", start) != 0.0:
        total = _operand("sum_values", start)
    else:
        first = next(terms, _END)
        if first is _END:
            return _leaf(0.0, None)
        total = _operand("sum_values", first)
    for term in terms:
        total = _add(total, _operand("sum_values", term))
    return total
