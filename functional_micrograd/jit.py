"""Trace once, run compiled: ``make_trace`` and ``jit``.

A pure function of Values builds the same graph for every input of the same
shape; only the numbers differ. So it can be run once on traced Values to
record its graph (a :class:`Trace`: one equation per op node, printed like
JAX's ``make_jaxpr``), and the graph turned into straight-line Python, one
line per node, that runs on plain floats without making any Value:

>>> f = lambda x, y: (x * y + 1.0).tanh()
>>> print(make_trace(f)(2.0, 3.0))
inputs a b
  c = mul a b
  d = add c 1.0
  e = tanh d
outputs e
>>> fast = jit(f)
>>> fast(2.0, 3.0) == f(Value(2.0), Value(3.0)).data
True

The code is generated from the table of primitives: the same forwards the
eager ops use, so results are the same numbers. Ops whose result depends on
the data (relu, step, abs) are computed again on every call, like every other
op. What compiled code cannot do is follow a Python ``if`` on the data: the
branch taken while tracing would be taken for every input. So a traced
function that reads ``.data``, converts a traced Value with ``float()`` or
``bool()``, or compares one with a number, is refused while tracing, with a
``TypeError`` naming the line.

Tracing (traced Values, the :class:`Trace` record and :func:`make_trace`) is
written in ``_trace.py`` and re-exported here; this module turns a Trace
into Python code and runs it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, NamedTuple

from functional_micrograd import _checks
from functional_micrograd._trace import (
    Equation,
    Trace,
    _build,
    _flatten,
    _raw_data,
    _run_traced,
    make_trace,
)
from functional_micrograd.primitives import lookup
from functional_micrograd.value import Value, _evaluate

__all__ = ["Equation", "Trace", "jit", "make_trace"]


# -- from a Trace to Python ---------------------------------------------------------------
# The ops that are plain Python expressions are written inline (each equal, bit
# for bit, to its forward in the table: tests/test_jit.py checks it); the
# others call the forward of their primitive.

_INLINE = {
    "+": "{0} + {1}",
    "-": "{0} - {1}",
    "*": "{0} * {1}",
    "neg": "-{0}",
    "relu": "({0} if {0} > 0.0 else 0.0)",
    "step": "(1.0 if {0} > 0.0 else 0.0)",
}


class _Recheck(Exception):
    """A compiled result might not be finite: run eagerly to find the op and say why."""


def _safe(op: str) -> bool:
    """Whether an op's local derivatives are finite wherever its result is.

    Eager ops refuse a node whose derivative is not finite (sqrt at 0, log of
    5e-324, 1 / 1e-320); compiled code checks those ops the same way, by
    evaluating the rule on floats, and skips the check for these.
    """
    if op.startswith("**"):
        exponent = lookup(op).name[2:]
        return exponent.isdigit()  # x ** n for n = 0, 1, 2, ...: n * x ** (n - 1) stays finite
    return op in _SAFE


_SAFE = frozenset({"+", "-", "*", "neg", "relu", "step", "abs", "tanh", "sigmoid", "exp"})
_SAFE |= {"sin", "cos", "softplus", "logsumexp"}


def _checked(op: str) -> Callable[..., float]:
    rule = lookup(op)

    def forward(*xs: float) -> float:
        return _evaluate(rule, xs)[0]  # raises as the eager op does

    return forward


# inf and nan pass through these unchanged (inf - inf is nan, inf * 0 is nan);
# every other op may hide one (relu(-inf) is 0), so its inputs are checked.
_PROPAGATING = frozenset({"+", "-", "*", "neg"})


class Code(NamedTuple):
    """Python lines computing a trace's equations, and what to check and return."""

    lines: tuple[str, ...]
    outputs: tuple[str, ...]  # an expression per trace output
    witnesses: tuple[str, ...]  # variables whose sum is finite iff no check needed


def _emit(trace: Trace, var: dict[str, str], namespace: dict[str, Any], prefix: str = "v") -> Code:
    """Straight-line Python for a trace's equations, its inputs named by ``var``.

    One line per equation, but an op already computed on the same inputs is
    not computed again (that changes no number). ``namespace`` gains the
    forwards the lines call.
    """
    var = dict(var)
    computed: dict[str, str] = {}  # the expression -> the variable holding it
    lines: list[str] = []
    watched: dict[str, None] = {}

    def operand(name: str) -> str:
        if name in var:
            return var[name]
        return f"({name})" if name.startswith("-") else name

    for eq in trace.equations:
        args = [operand(n) for n in eq.inputs]
        if eq.op in _INLINE:
            expression = _INLINE[eq.op].format(*args)
        else:
            function = _function_name(eq.op, namespace)
            expression = f"{function}({', '.join(args)})"
        if eq.op not in _PROPAGATING:
            watched.update((a, None) for a in args if a in var.values())
        if expression in computed:
            var[eq.out] = computed[expression]
            continue
        var[eq.out] = computed[expression] = f"{prefix}{len(lines)}"
        lines.append(f"{var[eq.out]} = {expression}")
    outputs = tuple(operand(n) for n in trace.outputs)
    watched.update((o, None) for o in outputs if o in var.values())
    return Code(tuple(lines), outputs, tuple(watched))


def _function_name(op: str, namespace: dict[str, Any]) -> str:
    """The name the generated code calls an op's forward by, added to ``namespace``."""
    names: dict[str, str] = namespace.setdefault("__ops__", {})
    if op not in names:
        names[op] = f"_f{len(names)}"
        namespace[names[op]] = lookup(op).forward if _safe(op) else _checked(op)
    return names[op]


def _source(trace: Trace) -> tuple[str, dict[str, Any]]:
    """Python source for a trace, and the namespace it runs in."""
    var = {name: f"a{i}" for i, name in enumerate(trace.inputs)}
    namespace: dict[str, Any] = {"_isfinite": math.isfinite, "_sum": sum, "_Recheck": _Recheck}
    code = _emit(trace, var, namespace)
    lines = [f"def compiled({', '.join(var.values())}):"]
    lines += [f"    {line}" for line in code.lines]
    if code.witnesses:  # one check for all: inf or nan in any of them makes the sum so
        lines.append(f"    if not _isfinite(_sum(({', '.join(code.witnesses)},))):")
        lines.append("        raise _Recheck")
    lines.append(f"    return ({', '.join(code.outputs)},)")
    return "\n".join(lines) + "\n", namespace


def _compile(trace: Trace) -> Callable[..., tuple[float, ...]]:
    source, namespace = _source(trace)
    exec(compile(source, "<jit>", "exec"), namespace)
    compiled: Callable[..., tuple[float, ...]] = namespace["compiled"]
    return compiled


def _rebuild(tree: Any, flat: tuple[Any, ...]) -> Any:
    if isinstance(tree, tuple):
        return tuple(_rebuild(t, flat) for t in tree)
    return flat[tree]


def _as_number(x: Any) -> float:
    return float(_raw_data(x)) if isinstance(x, Value) else float(x)


def jit(f: Callable[..., Any]) -> Callable[..., Any]:
    """Compile ``f``: trace it on its first call, then run straight-line Python.

    ``f`` is a function of Values returning Values or numbers (or tuples of
    them), such as ``fm.value_and_grad(g, argnums=(0, 1))``. The compiled
    function takes plain numbers and returns floats in the same nesting.
    Called with another number of arguments, it traces and compiles again;
    called with Values (inside another transform or trace), it runs ``f``
    itself. A number that leaves the finite range raises the same error as
    the eager ops, naming the op.

    >>> import functional_micrograd as fm
    >>> h = jit(fm.value_and_grad(lambda x, y: x * y + y, argnums=(0, 1)))
    >>> h(2.0, 3.0), h(4.0, 5.0)
    ((9.0, (3.0, 3.0)), (25.0, (5.0, 5.0)))
    """
    _checks.function("jit", "f", f)
    compiled: dict[int, tuple[Callable[..., tuple[float, ...]], Any]] = {}

    def eager(xs: tuple[float, ...]) -> Any:
        flat: list[Any] = []
        tree = _flatten(f(*(Value(x) for x in xs)), flat)
        return _rebuild(tree, tuple(map(_as_number, flat)))

    @functools.wraps(f)
    def run(*args: Any, **kwargs: Any) -> Any:
        if kwargs:
            raise TypeError(f"jit: expected positional numbers only, got keywords {sorted(kwargs)}")
        if any(isinstance(x, Value) for x in args):
            return f(*args)
        xs = tuple(_checks.number("jit", f"argument {i}", x) for i, x in enumerate(args))
        known = compiled.get(len(xs))
        if known is None:
            leaves, result = _run_traced(f, xs)
            flat: list[Any] = []
            tree = _flatten(result, flat)
            compiled[len(xs)] = (_compile(_build(leaves, flat, tree)), tree)
            return _rebuild(tree, tuple(map(_as_number, flat)))
        code, tree = known
        try:
            return _rebuild(tree, code(*xs))
        except (ArithmeticError, ValueError, _Recheck):
            return eager(xs)  # raises the eager op's own error, or was a false alarm

    return run
