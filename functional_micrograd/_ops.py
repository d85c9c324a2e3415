"""The op functions: one per primitive, made from the table, and define_op.

``fm.relu(x)`` is ``x.relu()``, ``fm.add(a, b)`` is ``a + b`` (curried, so
``fm.add(a)`` waits for b), for Values and plain numbers alike; each takes its
rule from :data:`~functional_micrograd.primitives.PRIMITIVES` and makes its
node as the operators of :class:`~functional_micrograd.value.Value` do.
They are also ``functional_micrograd.value``'s names (and ``fm``'s).

>>> relu(sub(1.0, Value(3.0))).data, Value(3.0).relu().data
(0.0, 3.0)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from toolz import curry

from functional_micrograd import _checks
from functional_micrograd.primitives import PRIMITIVES, Primitive, _power_rule, register
from functional_micrograd.value import (
    Operand,
    Value,
    _add,
    _apply,
    _exponent,
    _leaf,
    _mul,
    _operand,
    _sub,
)

__all__ = [
    "abs", "add", "cos", "define_op", "div", "exp", "log", "logsumexp", "mul", "neg",
    "pow", "relu", "sigmoid", "sin", "softplus", "sqrt", "step", "sub", "sum_values", "tanh",
]  # fmt: skip


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
