"""Tracing: run a function once on traced Values and record its graph as a Trace.

A traced Value is a Value in every respect but one: code outside the engine
cannot read its numbers while it is traced (see :class:`Tracer`), since the
recorded graph must not depend on them. :func:`make_trace` calls a function
on traced inputs and turns the graph it builds into a :class:`Trace`, one
:class:`Equation` per op node; :mod:`~functional_micrograd.jit` compiles
traces into Python. ``Equation``, ``Trace`` and ``make_trace`` are documented,
imported and pickled as ``functional_micrograd.jit.<name>``.

>>> trace = make_trace(lambda x, y: x * y + x)(2.0, 3.0)
>>> [str(eq) for eq in trace.equations], trace.outputs
(['c = mul a b', 'd = add c a'], ('d',))
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Callable
from typing import Any, NoReturn

from pyrsistent import PClass, field

from functional_micrograd import _checks
from functional_micrograd._nodes import below as _below
from functional_micrograd.primitives import lookup
from functional_micrograd.value import _ARGUMENT, Value, _node

__all__ = ["Equation", "Trace", "Tracer", "make_trace"]

# Where Equation, Trace and make_trace are documented and found by pickle.
_HOME = "functional_micrograd.jit"


class Equation(PClass):
    """One node of a trace: ``out = op inputs`` (names, or constants as numbers)."""

    __module__ = _HOME

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

    __module__ = _HOME

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
    {"functional_micrograd.value", "functional_micrograd.primitives", __name__, _HOME}
    | {f"functional_micrograd.{name}" for name in ("_closed", "_nodes", "_ops", "_pickling")}
)  # value.py and the files it is written in: they make nodes, so they read them
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


make_trace.__module__ = _HOME  # documented and pickled as jit's
