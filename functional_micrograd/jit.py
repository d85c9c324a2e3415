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
"""

from __future__ import annotations

import functools
import math
import sys
import threading
from collections.abc import Callable
from typing import Any, NamedTuple, NoReturn

from pyrsistent import PClass, field

from functional_micrograd import _checks
from functional_micrograd.primitives import lookup
from functional_micrograd.value import _ARGUMENT, Value, _below, _evaluate, _node

__all__ = ["Equation", "Trace", "jit", "make_trace"]


class Equation(PClass):
    """One node of a trace: ``out = op inputs`` (names, or constants as numbers)."""

    out = field(type=str, mandatory=True)
    op = field(type=str, mandatory=True)
    inputs = field(type=tuple, mandatory=True)

    def __str__(self) -> str:
        rule = lookup(self.op)
        extra = (self.op[2:],) if self.op.startswith("**") else ()
        return f"{self.out} = {rule.function} {' '.join((*self.inputs, *extra))}"


class Trace(PClass):
    """What a function computes, as data: its inputs, one equation per op node, its outputs.

    ``outputs`` holds names (or constants); ``tree`` says how they nest in what
    the function returned: an index into ``outputs``, or a tuple of trees.
    """

    inputs = field(type=tuple, mandatory=True)
    equations = field(type=tuple, mandatory=True)
    outputs = field(type=tuple, mandatory=True)
    tree: Any = field(mandatory=True)

    def __str__(self) -> str:
        lines = [f"inputs {' '.join(self.inputs)}".rstrip()]
        lines += [f"  {eq}" for eq in self.equations]
        lines.append(f"outputs {' '.join(self.outputs)}".rstrip())
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Trace(<{len(self.inputs)} inputs, {len(self.equations)} equations>)"


# -- traced Values: Values that refuse to be read while they are traced -------------

_lock = threading.RLock()
_tracing_thread: int | None = None
_ENGINE = frozenset(
    {"functional_micrograd.value", "functional_micrograd.primitives", "functional_micrograd.jit"}
)
_LIBRARY = "functional_micrograd."
_raw_data = Value.__dict__["data"].__get__
_raw_local_grads = Value.__dict__["local_grads"].__get__


def _refuse(what: str) -> None:
    """Raise if code outside the engine, in the tracing thread, does ``what`` to a traced Value."""
    if _tracing_thread != threading.get_ident():
        return
    frame = sys._getframe(2)
    if frame.f_globals.get("__name__", "") in _ENGINE:
        return
    # Name the user's line: the first frame outside the library (fm.backward's
    # float path, say, reads local derivatives on the user's behalf).
    user = frame
    while user.f_back is not None and user.f_globals.get("__name__", "").startswith(_LIBRARY):
        user = user.f_back
    place = f"{user.f_code.co_filename}:{user.f_lineno} (in {user.f_code.co_name})"
    raise TypeError(
        f"tracing for jit/make_trace: {place} {what} a traced Value. "
        "Compiled code runs the same ops for "
        "every input, so it cannot follow the numbers of the first one: write the branch "
        "with ops (fm.relu, fm.step, fm.abs), differentiate with fm.grad or "
        "backward(loss, create_graph=True), or call the function without jit"
    )


def _data(node: Value) -> float:
    _refuse("reads .data of")
    result: float = _raw_data(node)
    return result


def _local_grads(node: Value) -> tuple[float, ...]:
    _refuse("reads the local derivatives (as floats) of")
    result: tuple[float, ...] = _raw_local_grads(node)
    return result


def _refusing(what: str, otherwise: Callable[..., Any]) -> Callable[..., Any]:
    """A dunder that refuses while tracing, and otherwise does what a Value's would."""

    def method(self: Value, *args: Any) -> Any:
        _refuse(what)
        return otherwise(self, *args)

    return method


def _not_a_number(self: Value, *args: Any) -> NoReturn:
    raise TypeError(f"{self!r} is a Value, not a plain number: read its .data")


def _equal(self: Value, other: object) -> bool:
    if not isinstance(other, Value):
        _refuse("compares a number with")
    return isinstance(other, Value) and other.id == self.id


def _not_equal(self: Value, other: object) -> bool:
    if not isinstance(other, Value):
        _refuse("compares a number with")
    return not (isinstance(other, Value) and other.id == self.id)


def _no_parents(node: Value) -> Any:
    _refuse("reads the edges (with local derivatives as floats) of")
    return Value.parents.fget(node)  # type: ignore[attr-defined]


# The tracer is a Value in every respect but these; made without PClassMeta's
# own __new__ because it adds no field.
Tracer: type[Value] = type.__new__(
    type(Value),
    "Tracer",
    (Value,),
    {
        "__slots__": (),
        "__module__": __name__,
        "__doc__": "A Value being traced by make_trace: its numbers cannot be read.",
        "data": property(_data),
        "local_grads": property(_local_grads),
        "parents": property(_no_parents),
        "__bool__": _refusing("converts with bool()", lambda self: True),
        "__float__": _refusing("converts with float()", _not_a_number),
        "__int__": _refusing("converts with int()", _not_a_number),
        "__index__": _refusing("uses as an index", _not_a_number),
        "__round__": _refusing("rounds", _not_a_number),
        "__trunc__": _refusing("truncates", _not_a_number),
        "__floor__": _refusing("floors", _not_a_number),
        "__ceil__": _refusing("takes the ceiling of", _not_a_number),
        "__lt__": _refusing("compares (<)", lambda self, other: NotImplemented),
        "__le__": _refusing("compares (<=)", lambda self, other: NotImplemented),
        "__gt__": _refusing("compares (>)", lambda self, other: NotImplemented),
        "__ge__": _refusing("compares (>=)", lambda self, other: NotImplemented),
        "__eq__": _equal,
        "__ne__": _not_equal,
        "__hash__": Value.__hash__,
        "__repr__": lambda self: f"Traced(op={self.op!r})",
    },
)


def _run_traced(f: Callable[..., Any], xs: tuple[float, ...]) -> tuple[tuple[Value, ...], Any]:
    """Call f on traced leaves; return the leaves and what f returned.

    Every node made from a traced Value is traced too (value._node makes a
    node of its inputs' class), in this thread only.
    """
    global _tracing_thread
    with _lock:
        before, _tracing_thread = _tracing_thread, threading.get_ident()
        try:
            leaves = tuple(_node(x, "", (), (), kind=Tracer) for x in xs)
            return leaves, f(*leaves)
        finally:
            _tracing_thread = before


# -- from a result to a Trace ---------------------------------------------------------


def _flatten(result: Any, leaves: list[Any]) -> Any:
    """The tree of a result (Values and numbers, nested in tuples or lists); leaves appended."""
    if isinstance(result, (tuple, list)):
        return tuple(_flatten(item, leaves) for item in result)
    if isinstance(result, Value) or _checks.is_number(result):
        leaves.append(result)
        return len(leaves) - 1
    raise TypeError(
        f"make_trace: expected the function to return Values or numbers (or tuples of "
        f"them), got {_checks.describe(result)}"
    )


def _names() -> Any:
    """a, b, ..., z, ba, bb, ...: the names of a trace's variables, as in jaxprs."""
    n = 0
    while True:
        digits, k = "", n
        while True:
            digits = "abcdefghijklmnopqrstuvwxyz"[k % 26] + digits
            k //= 26
            if k == 0:
                break
        yield digits
        n += 1


def _literal(x: float) -> str:
    return repr(float(x))


def _build(leaves: tuple[Value, ...], outputs: list[Any], tree: Any) -> Trace:
    found = {node.id: node for node in _below(*(o for o in outputs if isinstance(o, Value)))}
    names = _names()
    name: dict[int, str] = {leaf.id: next(names) for leaf in leaves}
    equations = []
    for key in sorted(found):
        node = found[key]
        if key in name:
            continue
        if not node.inputs:  # a constant made inside the function
            name[key] = _literal(_raw_data(node))
            continue
        if node.op == "+" and node.inputs[1] is _ARGUMENT:  # a transform's marker
            name[key] = name[node.inputs[0].id]
            continue
        name[key] = next(names)
        equations.append(
            Equation(out=name[key], op=node.op, inputs=tuple(name[p.id] for p in node.inputs))
        )
    shown = tuple(name[o.id] if isinstance(o, Value) else _literal(o) for o in outputs)
    return Trace(
        inputs=tuple(name[leaf.id] for leaf in leaves),
        equations=tuple(equations),
        outputs=shown,
        tree=tree,
    )


def make_trace(f: Callable[..., Any]) -> Callable[..., Trace]:
    """Create a function that traces ``f`` on the numbers it is given and returns the ``Trace``.

    ``str(trace)`` is an SSA listing: one line per op node, ``c = mul a b``.

    >>> print(make_trace(lambda x: x.relu() * 2)(-1.0))
    inputs a
      b = relu a
      c = mul b 2.0
    outputs c
    """
    _checks.function("make_trace", "f", f)

    @functools.wraps(f)
    def trace(*args: Any) -> Trace:
        xs = tuple(_checks.number("make_trace", f"argument {i}", x) for i, x in enumerate(args))
        leaves, result = _run_traced(f, xs)
        outputs: list[Any] = []
        tree = _flatten(result, outputs)
        return _build(leaves, outputs, tree)

    return trace


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
