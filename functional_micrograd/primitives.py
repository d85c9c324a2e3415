"""The table of primitive ops: each op's forward on floats and its derivative rule.

This module is the whole calculus of the library. Every op a Value can go
through is a :class:`Primitive` record in :data:`PRIMITIVES`, holding two
functions:

- ``forward(*floats) -> float``: the op on plain numbers;
- ``derivative(*inputs, out) -> tuple``: the local derivatives
  d(out)/d(input), one per input, written with primitives only and never by
  reading ``.data``. relu's derivative, for example, is the primitive
  ``step(x)``, not an ``if`` on x's value.

Because a rule is written with primitives, the same rule serves every
reader. Evaluated on floats it gives the local derivatives that an eager op
stores on its node (see :mod:`~functional_micrograd.value`); evaluated on
Values it builds the gradient as a graph that can be differentiated again
(``backward(loss, create_graph=True)``, ``grad(grad(f))``); traced, it is
compiled (:mod:`~functional_micrograd.jit`); printed, it explains itself.

The helpers :func:`step`, :func:`sin`, :func:`cos`, :func:`exp` and
:func:`sigmoid` below are what the rules are written with: on a float they
compute the number, on a Value they make the node.

>>> PRIMITIVES["tanh"].forward(0.5) == math.tanh(0.5)
True
>>> PRIMITIVES["*"].derivative(2.0, 3.0, 6.0)  # d(a*b)/da = b, d(a*b)/db = a
(3.0, 2.0)
>>> PRIMITIVES["relu"].derivative(-1.5, 0.0)  # step(x): 0 for x <= 0
(0.0,)
"""

from __future__ import annotations

import functools
import math
import operator
import threading
from collections.abc import Callable
from typing import Any

from pyrsistent import PClass, PMap, field, pmap

from functional_micrograd import _checks

__all__ = [
    "PRIMITIVES",
    "Primitive",
    "cos",
    "exp",
    "logsumexp",
    "lookup",
    "power",
    "sigmoid",
    "sin",
    "step",
]


class Primitive(PClass):
    """One primitive op: its forward on floats and its derivative rule.

    Fields:
        name: the op's name as nodes show it (``"+"``, ``"relu"``, ``"**2"``).
        arity: how many Value inputs it takes; None for any number (>= 1).
        forward: ``forward(*floats) -> float``; raises ArithmeticError or
            ValueError, naming the op, where the result is undefined.
        derivative: ``derivative(*inputs, out) -> tuple``: d(out)/d(input) for
            each input, as numbers or Values built from primitives.
        doc: what the op computes, in a sentence or two.
        function: the name of the function that makes the op (``"add"`` for
            ``"+"``); error messages start with it.
        on_floats: True when ``derivative`` also works on plain floats (the
            built-in rules do); a user's rule is always given Values.
    """

    name = field(type=str, mandatory=True)
    arity = field(type=(int, type(None)), mandatory=True)
    forward: Callable[..., float] = field(mandatory=True)
    derivative: Callable[..., tuple[Any, ...]] = field(mandatory=True)
    doc = field(type=str, initial="")
    function = field(type=str, mandatory=True)
    on_floats = field(type=bool, initial=False)

    def __repr__(self) -> str:
        return f"Primitive({self.name!r}, arity={self.arity})"


# -- what the rules are written with ------------------------------------------


def _either(method: str, on_float: Callable[[float], float]) -> Callable[[Any], Any]:
    """A helper for rules: ``on_float(x)`` for a float, the Value method otherwise."""

    def helper(x: Any) -> Any:
        return on_float(x) if type(x) is float else getattr(x, method)()

    helper.__name__ = method
    helper.__doc__ = f"{method}(x) on a float, or the {method} node of a Value."
    return helper


# -- the forwards on floats ------------------------------------------------------
# Each raises, naming the op, where its result is undefined; a result that is
# merely too large (1e308 * 10) is caught where the node is made.


def _div(a: float, b: float) -> float:
    if b == 0.0:
        raise ZeroDivisionError(f"div: division by zero: {a!r} / {b!r}")
    return a / b


def _power(x: float, n: float) -> float:
    if x == 0.0 and n < 0:
        raise ZeroDivisionError(f"pow: {x!r} ** {n!r} is a division by zero")
    if x < 0.0 and n != int(n):
        raise ValueError(
            f"pow: a negative base with a fractional exponent has no real result: ({x!r}) ** {n!r}"
        )
    try:
        result: float = x**n
    except OverflowError:
        raise OverflowError(f"pow: {x!r} ** {n!r} is too large for a float") from None
    return result


def _relu(x: float) -> float:
    return x if x > 0.0 else 0.0


def _step(x: float) -> float:
    return 1.0 if x > 0.0 else 0.0


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        raise OverflowError(f"exp: exp({x!r}) is too large for a float") from None


def _log(x: float) -> float:
    if x <= 0.0:
        raise ValueError(f"log: expected a positive number, got {x!r}")
    return math.log(x)


def _sqrt(x: float) -> float:
    if x < 0.0:
        raise ValueError(f"sqrt: expected a number >= 0, got {x!r}")
    return math.sqrt(x)


def _sigmoid(x: float) -> float:
    # Two forms so that exp never overflows: for x < 0, e**x / (1 + e**x).
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _softplus(x: float) -> float:
    # log(1 + e**x) = max(x, 0) + log(1 + e**-|x|): finite for every finite x.
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _logsumexp(*xs: float) -> float:
    # log(sum(e**x)) = m + log(sum(e**(x - m))) with m the largest x: no term
    # overflows, and the largest term is exactly 1.
    m = max(xs)
    return m + math.log(math.fsum(math.exp(x - m) for x in xs))


def logsumexp(*xs: Any) -> Any:
    """logsumexp of floats, or the logsumexp node of Values (for the rules)."""
    for x in xs:
        if type(x) is not float:
            return x._op("logsumexp", *xs)
    return _logsumexp(*xs)


step = _either("step", _step)
sin = _either("sin", math.sin)
cos = _either("cos", math.cos)
exp = _either("exp", _exp)
sigmoid = _either("sigmoid", _sigmoid)


# -- the rules -------------------------------------------------------------------


def _rule(
    name: str,
    function: str,
    arity: int | None,
    forward: Callable[..., float],
    derivative: Callable[..., tuple[Any, ...]],
    doc: str,
) -> Primitive:
    return Primitive(
        name=name,
        arity=arity,
        forward=forward,
        derivative=derivative,
        doc=doc,
        function=function,
        on_floats=True,
    )


_BUILT_IN = (
    # d(a+b)/da = 1, d(a+b)/db = 1
    _rule("+", "add", 2, operator.add, lambda a, b, out: (1.0, 1.0), "a + b."),
    # d(a-b)/da = 1, d(a-b)/db = -1
    _rule("-", "sub", 2, operator.sub, lambda a, b, out: (1.0, -1.0), "a - b."),
    # d(a*b)/da = b, d(a*b)/db = a
    _rule("*", "mul", 2, operator.mul, lambda a, b, out: (b, a), "a * b."),
    # d(a/b)/da = 1/b, d(a/b)/db = -a/b**2 = -out/b
    _rule("/", "div", 2, _div, lambda a, b, out: (1.0 / b, -out / b), "a / b; b must not be 0."),
    # d(-a)/da = -1
    _rule("neg", "neg", 1, operator.neg, lambda a, out: (-1.0,), "-a."),
    # d(relu(a))/da = step(a): 1 where a > 0, else 0 (0 at a == 0, as micrograd)
    _rule("relu", "relu", 1, _relu, lambda a, out: (step(a),), "max(0, a)."),
    # d(step(a))/da = 0 (everywhere but at 0, where it is taken as 0 too)
    _rule("step", "step", 1, _step, lambda a, out: (0.0,), "1 where a > 0, else 0."),
    # d(tanh(a))/da = 1 - tanh(a)**2
    _rule("tanh", "tanh", 1, math.tanh, lambda a, out: (1.0 - out * out,), "tanh(a)."),
    # d(e**a)/da = e**a
    _rule("exp", "exp", 1, _exp, lambda a, out: (out,), "e ** a."),
    # d(log(a))/da = 1/a
    _rule("log", "log", 1, _log, lambda a, out: (1.0 / a,), "The natural log; a > 0."),
    # d(sigmoid(a))/da = sigmoid(a) * (1 - sigmoid(a))
    _rule(
        "sigmoid",
        "sigmoid",
        1,
        _sigmoid,
        lambda a, out: (out * (1.0 - out),),
        "1 / (1 + e ** -a), finite for any finite a.",
    ),
    # d(sin(a))/da = cos(a)
    _rule("sin", "sin", 1, math.sin, lambda a, out: (cos(a),), "sin(a), a in radians."),
    # d(cos(a))/da = -sin(a)
    _rule("cos", "cos", 1, math.cos, lambda a, out: (-sin(a),), "cos(a), a in radians."),
    # d(sqrt(a))/da = 1 / (2 sqrt(a)); infinite at 0, so sqrt(0) is refused
    _rule("sqrt", "sqrt", 1, _sqrt, lambda a, out: (0.5 / out,), "The square root; a > 0."),
    # d|a|/da = step(a) - step(-a): the sign of a, 0 at 0 (like relu)
    _rule("abs", "abs", 1, abs, lambda a, out: (step(a) - step(-a),), "|a|."),
    # d(softplus(a))/da = sigmoid(a)
    _rule(
        "softplus",
        "softplus",
        1,
        _softplus,
        lambda a, out: (sigmoid(a),),
        "log(1 + e ** a), finite for any finite a: a smooth relu.",
    ),
    # d(logsumexp(x))/dx_i = softmax(x)_i = e**-logsumexp(x - x_i); written with
    # differences x_j - x_i, so it stays exact even where x_i - logsumexp(x) would round
    _rule(
        "logsumexp",
        "logsumexp",
        None,
        _logsumexp,
        lambda *xs: tuple(exp(-logsumexp(*(x - xi for x in xs[:-1]))) for xi in xs[:-1]),
        "log(sum(e ** x_i)) of one or more inputs, computed without overflow.",
    ),
    # d(x**n)/dx = n * x**(n-1), for a constant exponent n (see power)
    _rule(
        "**",
        "pow",
        1,
        _power,
        lambda x, out, n: (0.0,) if n == 0 else (n * x ** (n - 1),),
        "x ** n for a constant n; nodes name the exponent: '**2', '**-1', '**0.5'.",
    ),
)

PRIMITIVES: PMap[str, Primitive] = pmap({rule.name: rule for rule in _BUILT_IN})
"""Every primitive op by name: the built-ins and any a user defines."""


# -- the power family ------------------------------------------------------------


def power(n: int | float) -> Primitive:
    """The primitive ``x ** n`` for one constant exponent, named ``'**' + repr(n)``.

    ``PRIMITIVES["**"]`` holds the rule with the exponent as an extra argument
    (``forward(x, n)``, ``derivative(x, out, n)``); this binds it.

    >>> square = power(2)
    >>> square.name, square.forward(3.0), square.derivative(3.0, 9.0)
    ('**2', 9.0, (6.0,))
    """
    return _power_rule(_checks.exponent("power", n))


@functools.lru_cache(maxsize=256, typed=True)
def _power_rule(n: int | float) -> Primitive:
    family = PRIMITIVES["**"]
    forward, derivative = family.forward, family.derivative
    return family.set(
        name=f"**{n!r}",
        forward=lambda x: forward(x, n),
        derivative=lambda x, out: derivative(x, out, n),
    )


def lookup(op: str) -> Primitive:
    """The primitive a node's ``op`` names; pow nodes (``'**2'``) get :func:`power`.

    >>> lookup("relu").name, lookup("**-1").forward(4.0)
    ('relu', 0.25)
    """
    rule = PRIMITIVES.get(op)
    if rule is not None:
        return rule
    if op.startswith("**") and len(op) > 2:
        text = op[2:]
        return power(int(text) if text.lstrip("-").isdigit() else float(text))
    raise KeyError(f"lookup: no primitive is named {op!r}; known: {sorted(PRIMITIVES)}")


_lock = threading.Lock()


def register(rule: Primitive) -> Primitive:
    """Add a rule to :data:`PRIMITIVES`; its name must be new.

    This is what ``define_op`` uses; it rebinds ``PRIMITIVES`` to a new map
    (the old one, held elsewhere, is unchanged).
    """
    global PRIMITIVES
    with _lock:
        if rule.name in PRIMITIVES or rule.name.startswith("**"):
            raise ValueError(
                f"define_op: the name {rule.name!r} is taken; known ops: {sorted(PRIMITIVES)}"
            )
        PRIMITIVES = PRIMITIVES.set(rule.name, rule)
    return rule
