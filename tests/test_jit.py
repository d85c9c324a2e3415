"""Tests for functional_micrograd.jit: make_trace's listing and compiled code against eager runs.

The oracle for compiled code is the eager run of the same function on Values
(and ``fm.value_and_grad`` on numbers for compiled gradients): the same
numbers, or the same exception with the same message. Traces are checked
against the graph an eager run builds (``fm.topological_order``).
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable
from typing import Any

import pytest
from conftest import Expression, away_from_zero, expressions, floats_between
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import functional_micrograd as fm
from functional_micrograd import Value

BUILT_IN = frozenset(fm.primitives.PRIMITIVES)  # before any test defines an op

EXACT_OPS = frozenset({"+", "-", "*", "relu", "step", "neg"})
"""Ops whose compiled results must equal the eager ones bit for bit."""


def _flat(result: Any) -> list[float]:
    if isinstance(result, tuple):
        return [x for item in result for x in _flat(item)]
    return [result]


def _outcome(run: Callable[[], Any]) -> tuple[Any, ...]:
    """What a call gives: ("value", result), or ("raised", type, message)."""
    try:
        return ("value", run())
    except (ArithmeticError, ValueError) as error:
        return ("raised", type(error), str(error))


def _assert_same(compiled: tuple[Any, ...], eager: tuple[Any, ...], exact: bool) -> None:
    """Compiled and eager outcomes agree: equal numbers (or to 1e-12), or the same error."""
    if compiled[0] == "raised" or eager[0] == "raised":
        assert compiled == eager
        return
    ours, theirs = compiled[1], eager[1]
    assert type(ours) is type(theirs)
    assert len(_flat(ours)) == len(_flat(theirs))
    for a, b in zip(_flat(ours), _flat(theirs)):
        assert type(a) is float
        if exact:
            assert a == b, (a, b)
        else:
            assert math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0), (a, b)


def _eager(f: Callable[..., Any], xs: tuple[float, ...]) -> Any:
    """f on leaf Values, with its Values read as floats (in the same nesting)."""

    def read(r: Any) -> Any:
        if isinstance(r, (tuple, list)):
            return tuple(read(item) for item in r)
        return r.data if isinstance(r, Value) else float(r)

    return read(f(*(Value(x) for x in xs)))


# -- make_trace ---------------------------------------------------------------------------


def _op_nodes(f: Callable[..., Any], xs: tuple[float, ...]) -> int:
    """How many op nodes (not leaves) an eager run of f builds below its result."""
    out = f(*(Value(x) for x in xs))
    return sum(1 for v in fm.topological_order(out) if v.op)


def _check_listing(f: Callable[..., Any], xs: tuple[float, ...]) -> list[str]:
    """The trace's listing has an inputs line, one line per op node and an outputs line."""
    trace = fm.make_trace(f)(*xs)
    lines = str(trace).splitlines()
    assert lines[0] == "inputs " + " ".join(trace.inputs)
    assert lines[-1].startswith("outputs")
    body = lines[1:-1]
    for line in body:
        assert re.fullmatch(r"  [a-z]+ = [a-z_0-9]+( \S+)+", line), line
    assert len(body) == len(trace.equations) == _op_nodes(f, xs)
    assert [f"  {eq}" for eq in trace.equations] == body
    return body


def test_make_trace_docstring_examples() -> None:
    def f(x: Any, y: Any) -> Any:
        return (x * y + 1.0).tanh()

    assert str(fm.make_trace(f)(2.0, 3.0)) == (
        "inputs a b\n  c = mul a b\n  d = add c 1.0\n  e = tanh d\noutputs e"
    )
    fast = fm.jit(f)
    assert fast(2.0, 3.0) == f(Value(2.0), Value(3.0)).data
    assert str(fm.make_trace(lambda x: x.relu() * 2)(-1.0)) == (
        "inputs a\n  b = relu a\n  c = mul b 2.0\noutputs c"
    )
    h = fm.jit(fm.value_and_grad(lambda x, y: x * y + y, argnums=(0, 1)))
    assert (h(2.0, 3.0), h(4.0, 5.0)) == ((9.0, (3.0, 3.0)), (25.0, (5.0, 5.0)))


def test_make_trace_record() -> None:
    trace = fm.make_trace(lambda x, y: (x * y).sin() - y)(1.0, 2.0)
    assert isinstance(trace, fm.Trace)
    assert trace.inputs == ("a", "b")
    assert [(eq.out, eq.op, eq.inputs) for eq in trace.equations] == [
        ("c", "*", ("a", "b")),
        ("d", "sin", ("c",)),
        ("e", "-", ("d", "b")),
    ]
    assert trace.outputs == ("e",)


def test_make_trace_one_line_per_op_node_of_a_neuron() -> None:
    def neuron(w1: Any, w2: Any, b: Any, x1: Any, x2: Any) -> Any:
        return (w1 * x1 + w2 * x2 + b).tanh()

    body = _check_listing(neuron, (0.5, -1.0, 0.1, 2.0, 3.0))
    assert body == [
        "  f = mul a d",
        "  g = mul b e",
        "  h = add f g",
        "  i = add h c",
        "  j = tanh i",
    ]


def test_make_trace_one_line_per_op_node_of_micrograds_example() -> None:
    def more_ops(a: Any, b: Any) -> Any:
        c = a + b
        d = a * b + b**3
        c = c + (c + 1)
        c = c + (1 + c + (-a))
        d = d + (d * 2 + (b + a).relu())
        d = d + (3 * d + (b - a).relu())
        e = c - d
        f = e**2
        g = f / 2.0
        return g + 10.0 / f

    _check_listing(more_ops, (-4.0, 2.0))


def _distinct_op_nodes(f: Callable[..., Any], xs: tuple[float, ...]) -> bool:
    """True when no two op nodes apply the same op to the same inputs (nor add a constant 0)."""
    leaves = [Value(x) for x in xs]
    ids = {leaf.id: ("input", i) for i, leaf in enumerate(leaves)}

    def key(p: Value) -> Any:
        if p.id in ids:
            return ids[p.id]
        return ("constant", p.data) if not p.inputs else ("node", p.id)

    seen = set()
    for v in fm.topological_order(f(*leaves)):
        if v.op:
            k = (v.op, tuple(map(key, v.inputs)))
            if k in seen or (v.op == "+" and key(v.inputs[1]) == ("constant", 0.0)):
                return False
            seen.add(k)
    return True


@given(expressions())
@settings(max_examples=40, deadline=None)
def test_make_trace_one_line_per_op_node_of_random_graphs(
    drawn: tuple[Expression, tuple[float, ...]],
) -> None:
    expr, point = drawn
    assume(_distinct_op_nodes(expr, point))
    _check_listing(expr, point)


@pytest.mark.parametrize(
    "f",
    [lambda x: x * x + x * x, lambda x: (x + 0.0).tanh()],
    ids=["x*x + x*x", "(x + 0.0).tanh()"],
)
def test_make_trace_keeps_every_op_node(f: Callable[..., Any]) -> None:
    # The contract: one equation per node, so a repeated expression shows up twice.
    _check_listing(f, (0.5,))


def test_make_trace_shows_constants_as_numbers() -> None:
    trace = fm.make_trace(lambda x: (-3.0) * x**2 - 1 + x**0.5 / x**-1)(2.0)
    assert str(trace) == (
        "inputs a\n"
        "  b = pow a 2\n"
        "  c = mul -3.0 b\n"
        "  d = sub c 1.0\n"
        "  e = pow a 0.5\n"
        "  f = pow a -1\n"
        "  g = div e f\n"
        "  h = add d g\n"
        "outputs h"
    )
    assert str(fm.make_trace(lambda x: (x, 2.5, 7))(1.0)) == "inputs a\noutputs a 2.5 7.0"
    assert str(fm.make_trace(lambda x: fm.logsumexp([x, 1e-300, x]))(1.0)) == (
        "inputs a\n  b = logsumexp a 1e-300 a\noutputs b"
    )


def test_make_trace_of_value_and_grad() -> None:
    trace = fm.make_trace(fm.value_and_grad(lambda x, y: x * y + y, argnums=(0, 1)))(2.0, 3.0)
    assert str(trace) == "inputs a b\n  c = mul a b\n  d = add c b\n  e = add 1.0 a\noutputs d b e"
    assert trace.tree == (0, (1, 2))


def test_make_trace_and_jit_of_a_defined_op(op_name: Callable[[str], str]) -> None:
    name = op_name("cube")
    cube = fm.define_op(name, lambda x: x * x * x, lambda x, out: (3.0 * x * x,))
    trace = fm.make_trace(lambda x: cube(x) + 1.0)(2.0)
    assert str(trace) == f"inputs a\n  b = {name} a\n  c = add b 1.0\noutputs c"
    fast = fm.jit(fm.value_and_grad(lambda x: cube(x).tanh()))
    for x in (0.5, -0.8, 1.1):
        assert fast(x) == fm.value_and_grad(lambda v: cube(v).tanh())(x)


def test_make_trace_refuses_bad_input() -> None:
    with pytest.raises(TypeError, match=r"make_trace: expected f to be a function, got 3 \(int\)"):
        fm.make_trace(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"'x' \(str\)"):
        fm.make_trace(lambda x: x)("x")
    with pytest.raises(TypeError, match=r"'loss' \(str\)"):
        fm.make_trace(lambda x: "loss")(1.0)


# -- jit: compiled equals eager -------------------------------------------------------------

wide = floats_between(-3.0, 3.0)
positive = floats_between(0.05, 5.0)
PRIMITIVE_FUNCTIONS: list[tuple[str, Callable[..., Any], tuple[st.SearchStrategy[float], ...]]] = [
    ("+", lambda a, b: a + b, (wide, wide)),
    ("-", lambda a, b: a - b, (wide, wide)),
    ("*", lambda a, b: a * b, (wide, wide)),
    ("/", lambda a, b: a / b, (wide, away_from_zero(3.0, 0.05))),
    ("neg", lambda a: -a, (wide,)),
    ("relu", fm.relu, (wide,)),
    ("step", fm.step, (wide,)),
    ("abs", fm.abs, (wide,)),
    ("tanh", fm.tanh, (wide,)),
    ("exp", fm.exp, (wide,)),
    ("log", fm.log, (positive,)),
    ("sigmoid", fm.sigmoid, (wide,)),
    ("sin", fm.sin, (wide,)),
    ("cos", fm.cos, (wide,)),
    ("sqrt", fm.sqrt, (positive,)),
    ("softplus", fm.softplus, (wide,)),
    ("logsumexp-1", lambda *xs: fm.logsumexp(xs), (wide,)),
    ("logsumexp-3", lambda *xs: fm.logsumexp(xs), (wide, wide, wide)),
    ("**2", lambda x: x**2, (wide,)),
    ("**3", lambda x: x**3, (wide,)),
    ("**-1", lambda x: x**-1, (away_from_zero(3.0, 0.05),)),
    ("**0.5", lambda x: x**0.5, (positive,)),
    ("**1.5", lambda x: x**1.5, (positive,)),
    ("**0", lambda x: x**0, (wide,)),
]


def test_every_primitive_is_compiled_here() -> None:
    names = {
        name.split("-")[0] if name.startswith("logsumexp") else name
        for name, _, _ in PRIMITIVE_FUNCTIONS
    }
    assert names | {"**"} >= BUILT_IN


@pytest.mark.parametrize(
    ("name", "f", "region"), PRIMITIVE_FUNCTIONS, ids=[p[0] for p in PRIMITIVE_FUNCTIONS]
)
@given(data=st.data())
@settings(max_examples=20, deadline=None)
def test_jit_equals_eager_on_every_primitive(
    name: str, f: Callable[..., Any], region: tuple[Any, ...], data: st.DataObject
) -> None:
    exact = name in EXACT_OPS
    fast = fm.jit(f)
    fast_grad = fm.jit(fm.value_and_grad(f, argnums=tuple(range(len(region)))))
    slow_grad = fm.value_and_grad(f, argnums=tuple(range(len(region))))
    for k in range(4):  # the first call traces; the later ones run compiled code
        xs = data.draw(st.tuples(*region), label=f"call {k}")
        _assert_same(
            _outcome(lambda xs=xs: fast(*xs)), _outcome(lambda xs=xs: _eager(f, xs)), exact
        )
        _assert_same(
            _outcome(lambda xs=xs: fast_grad(*xs)), _outcome(lambda xs=xs: slow_grad(*xs)), exact
        )


@given(expressions(), st.data())
@settings(max_examples=50, deadline=None)
def test_jit_equals_eager_on_random_graphs(
    drawn: tuple[Expression, tuple[float, ...]], data: st.DataObject
) -> None:
    expr, point = drawn
    exact = expr.ops() <= EXACT_OPS
    fast = fm.jit(expr)
    _assert_same(_outcome(lambda: fast(*point)), _outcome(lambda: _eager(expr, point)), exact)
    for k in range(3):
        xs = data.draw(st.tuples(*[floats_between(-2.0, 2.0)] * expr.arity), label=f"call {k}")
        _assert_same(
            _outcome(lambda xs=xs: fast(*xs)), _outcome(lambda xs=xs: _eager(expr, xs)), exact
        )


@given(expressions(arity=2), st.data())
@settings(max_examples=40, deadline=None)
def test_jit_of_value_and_grad_equals_eager_on_random_graphs(
    drawn: tuple[Expression, tuple[float, ...]], data: st.DataObject
) -> None:
    expr, point = drawn
    exact = expr.ops() <= EXACT_OPS
    fast = fm.jit(fm.value_and_grad(expr, argnums=(0, 1)))
    on_values = fm.value_and_grad(expr, argnums=(0, 1))

    def slow(*xs: float) -> Any:
        # What jit traces: value_and_grad given Values, whose gradients are
        # graphs built from the rules (a number that overflows only in that
        # graph's derivatives is refused there too).
        value, (dx, dy) = on_values(*(fm.Value(x) for x in xs))
        return (value.data, (dx.data, dy.data))

    _assert_same(_outcome(lambda: fast(*point)), _outcome(lambda: slow(*point)), exact)
    for k in range(3):
        xs = data.draw(
            st.tuples(floats_between(-2.0, 2.0), floats_between(-2.0, 2.0)), label=f"{k}"
        )
        compiled, eager = _outcome(lambda xs=xs: fast(*xs)), _outcome(lambda xs=xs: slow(*xs))
        if "raised" in (compiled[0], eager[0]):
            assert compiled[:2] == eager[:2]  # the same type (a backward overflow is worded apart)
        else:
            _assert_same(compiled, eager, exact)


def test_jit_of_value_and_grad_has_the_shape_of_value_and_grad() -> None:
    def f(x: Any, y: Any) -> Any:
        return (x * y).tanh() + fm.exp(y)  # y may stay a plain number

    fast = fm.jit(fm.value_and_grad(f, argnums=(0, 1)))
    for xs in [(0.5, -1.0), (2.0, 0.25), (-1.5, 1.5)]:
        value, (dx, dy) = fast(*xs)
        assert (value, (dx, dy)) == fm.value_and_grad(f, argnums=(0, 1))(*xs)
    one = fm.jit(fm.value_and_grad(f))
    assert one(0.5, -1.0) == fm.value_and_grad(f)(0.5, -1.0)
    second = fm.jit(fm.grad(fm.grad(lambda x: x**3 + x.sin())))
    for x in (0.3, -2.0, 1.7):
        assert math.isclose(second(x), 6 * x - math.sin(x), rel_tol=1e-12)


# -- jit: the data-dependent ops on both sides of their kink -----------------------------

KINKED = [("relu", fm.relu), ("abs", fm.abs), ("step", fm.step)]


@pytest.mark.parametrize(("name", "op"), KINKED, ids=[k[0] for k in KINKED])
@pytest.mark.parametrize("first", [1.0, -1.0, 0.0], ids=["traced>0", "traced<0", "traced=0"])
def test_jit_recomputes_kinked_ops_on_later_calls(
    name: str, op: Callable[..., Any], first: float
) -> None:
    def f(x: Any, y: Any) -> Any:
        return op(x * y - 0.5) * 3.0 + op(-x)

    fast = fm.jit(f)
    fast_grad = fm.jit(fm.value_and_grad(f, argnums=(0, 1)))
    slow_grad = fm.value_and_grad(f, argnums=(0, 1))
    calls = [
        (first, 1.0),
        (-2.0, 1.0),
        (2.0, 1.0),
        (0.5, 1.0),
        (0.0, 3.0),
        (-0.0, 2.0),
        (3.0, -2.0),
    ]
    for xs in calls:
        _assert_same(
            _outcome(lambda xs=xs: fast(*xs)), _outcome(lambda xs=xs: _eager(f, xs)), exact=True
        )
        _assert_same(
            _outcome(lambda xs=xs: fast_grad(*xs)), _outcome(lambda xs=xs: slow_grad(*xs)), True
        )


def test_jit_relu_values_by_hand() -> None:
    fast = fm.jit(lambda x: x.relu())
    assert [fast(x) for x in (2.0, -2.0, 0.0, 5.5, -1e-300)] == [2.0, 0.0, 0.0, 5.5, 0.0]
    dfast = fm.jit(fm.grad(lambda x: x.relu() + x.abs()))
    assert [dfast(x) for x in (2.0, -2.0, 0.0, 5.5)] == [2.0, -1.0, 0.0, 2.0]


# -- jit: calls -------------------------------------------------------------------------------


def test_jit_retraces_for_another_number_of_arguments() -> None:
    calls: list[int] = []

    def total(*xs: Any) -> Any:
        calls.append(len(xs))
        return fm.sum_values(x * x for x in xs)

    fast = fm.jit(total)
    assert fast(1.0, 2.0) == 5.0
    assert fast(3.0, 4.0) == 25.0
    assert calls == [2]  # traced once, then compiled
    assert fast(1.0, 2.0, 3.0) == 14.0
    assert calls == [2, 3]  # another number of arguments: traced again
    assert fast(2.0) == 4.0
    assert fast(5.0, 6.0) == 61.0
    assert fast(1.0, 1.0, 1.0) == 3.0
    assert calls == [2, 3, 1]


def test_jit_of_values_runs_eagerly() -> None:
    calls: list[int] = []

    def f(x: Any) -> Any:
        calls.append(1)
        return (x * x).tanh()

    fast = fm.jit(f)
    t = math.tanh(0.25)
    assert fast(0.5) == t
    assert len(calls) == 1  # the trace
    x = Value(0.5)
    y = fast(x)
    assert len(calls) == 2  # f itself, on the Value
    assert isinstance(y, Value)
    assert (y.data, y.op) == (t, "tanh")
    assert math.isclose(fm.backward(y)[x], (1 - t * t) * 2 * 0.5, rel_tol=1e-15)
    assert math.isclose(fm.grad(fast)(0.5), (1 - t * t) * 1.0, rel_tol=1e-15)
    assert len(calls) == 3
    assert fast(0.5) == t
    assert len(calls) == 3  # numbers again: the compiled code


def test_jit_returns_floats_in_the_functions_nesting() -> None:
    fast = fm.jit(lambda x, y: (x * y, [x + y, (x - y, 2)], y))
    assert fast(3.0, 2.0) == (6.0, (5.0, (1.0, 2.0)), 2.0)
    assert fast(1.0, 5.0) == (5.0, (6.0, (-4.0, 2.0)), 5.0)
    assert all(type(v) is float for v in _flat(fast(1.0, 5.0)))


def test_jit_closing_over_values() -> None:
    w = Value(2.0) * 1.5  # a node made before tracing: a constant of the trace
    fast = fm.jit(lambda x: x * w + w.tanh())
    assert fast(3.0) == 9.0 + math.tanh(3.0)
    assert fast(-1.0) == -3.0 + math.tanh(3.0)


def test_jit_of_functions_without_ops() -> None:
    assert fm.jit(lambda x: x)(2.5) == 2.5
    assert fm.jit(lambda x, y: (y, x))(1.0, 2.0) == (2.0, 1.0)
    constant = fm.jit(lambda x: 3)
    assert (constant(1.0), constant(2.0)) == (3.0, 3.0)
    assert fm.jit(fm.grad(lambda x: 7.0))(1.0) == 0.0
    assert fm.jit(lambda: Value(2.0) * 3.0)() == 6.0


def test_jit_of_a_long_chain() -> None:
    def chain(x: Any) -> Any:
        for k in range(3000):
            x = (x * 0.999 + 0.001).tanh() if k % 2 else -x
        return x

    fast = fm.jit(chain)
    for x in (0.3, -0.7, 0.3, 2.0):
        assert fast(x) == chain(Value(x)).data


def test_jit_refuses_bad_input() -> None:
    with pytest.raises(TypeError, match=r"jit: expected f to be a function, got 3 \(int\)"):
        fm.jit(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"jit: expected f to be a function, got None"):
        fm.jit(None)  # type: ignore[arg-type]
    fast = fm.jit(lambda x: x * 2)
    with pytest.raises(TypeError, match=r"'a' \(str\)"):
        fast("a")
    with pytest.raises(ValueError, match="inf"):
        fast(math.inf)
    with pytest.raises(TypeError, match="keywords"):
        fast(x=1.0)


# -- jit: errors are the eager run's ------------------------------------------------------

FAILING = [
    ("log of a negative number", lambda x: x.log(), 2.0, -1.0),
    ("log of zero", lambda x: fm.log(x * 1.0), 2.0, 0.0),
    ("division by zero", lambda x: 1.0 / x, 2.0, 0.0),
    ("division by zero inside", lambda x: (x + 1.0) / (x - 1.0), 2.0, 1.0),
    ("overflow of *", lambda x: x * x, 2.0, 1e200),
    ("overflow of exp", lambda x: x.exp(), 2.0, 1000.0),
    ("overflow of exp inside", lambda x: (x * 10.0).exp().tanh(), 0.5, 100.0),
    ("sqrt of a negative number", lambda x: x.sqrt(), 4.0, -4.0),
    ("0 ** -1", lambda x: x**-1, 2.0, 0.0),
    ("sqrt of zero (an infinite derivative)", lambda x: x.sqrt(), 4.0, 0.0),
    ("0 ** 0.5 (an infinite derivative)", lambda x: x**0.5, 4.0, 0.0),
    ("log of the smallest float (an infinite derivative)", lambda x: x.log(), 2.0, 5e-324),
]


@pytest.mark.parametrize(
    ("f", "good", "bad"), [c[1:] for c in FAILING], ids=[c[0] for c in FAILING]
)
def test_jit_raises_the_eager_error(f: Callable[..., Any], good: float, bad: float) -> None:
    fast = fm.jit(f)
    fast(good)  # traced and compiled on a good number
    eager = _outcome(lambda: _eager(f, (bad,)))
    assert eager[0] == "raised"
    assert _outcome(lambda: fast(bad)) == eager
    assert _outcome(lambda: fast(good)) == _outcome(lambda: _eager(f, (good,)))  # still works


def test_jit_of_value_and_grad_raises_the_eager_error() -> None:
    f = fm.value_and_grad(lambda x, y: (x / y).log(), argnums=(0, 1))
    fast = fm.jit(f)
    assert fast(2.0, 1.0) == f(2.0, 1.0)
    for bad in [(2.0, 0.0), (-2.0, 1.0), (0.0, 1.0)]:
        eager = _outcome(lambda bad=bad: f(*bad))
        assert eager[0] == "raised"
        assert _outcome(lambda bad=bad: fast(*bad)) == eager


def test_jit_raises_the_eager_error_of_a_traced_function_that_fails_at_once() -> None:
    f = lambda x: x.log()  # noqa: E731
    assert _outcome(lambda: fm.jit(f)(-1.0)) == _outcome(lambda: _eager(f, (-1.0,)))


# -- refusals while tracing -----------------------------------------------------------------
# Each function below does one thing a compiled function cannot follow; the
# line doing it is tagged, and the refusal must name this file and that line.


def reads_data(x: Any) -> Any:
    return x * x.data  # refused: data


def converts_with_float(x: Any) -> Any:
    return x * float(x)  # refused: float


def converts_with_bool(x: Any) -> Any:
    return x if x else -x  # refused: bool


def converts_with_int(x: Any) -> Any:
    return x * int(x)  # refused: int


def compares_less(x: Any) -> Any:
    return x if x < 1.0 else -x  # refused: <


def compares_greater(x: Any) -> Any:
    return x if x > 1.0 else -x  # refused: >


def compares_at_most(x: Any) -> Any:
    return x if x <= 1.0 else -x  # refused: <=


def compares_at_least(x: Any) -> Any:
    return x if x >= 1.0 else -x  # refused: >=


def compares_reversed(x: Any) -> Any:
    return x if 1.0 < x else -x  # refused: number < x  # noqa: SIM300


def compares_equal(x: Any) -> Any:
    return x if x == 2.0 else -x  # refused: ==


def compares_equal_reversed(x: Any) -> Any:
    return x if 2.0 == x else -x  # refused: number == x  # noqa: SIM300


def compares_not_equal(x: Any) -> Any:
    return x if x != 2.0 else -x  # refused: !=


def reads_local_grads(x: Any) -> Any:
    y = x * x
    return y * y.local_grads[0]  # refused: local_grads


def reads_parents(x: Any) -> Any:
    y = x * x
    return y * y.parents[0].local_grad  # refused: parents


def calls_backward(x: Any) -> Any:
    y = x * x
    return y * fm.backward(y)[x]  # refused: backward


def reads_data_deeper(x: Any) -> Any:
    return _helper(x * 2.0)


def _helper(y: Any) -> Any:
    return y + y.data  # refused: data in a helper


REFUSED = [
    reads_data,
    converts_with_float,
    converts_with_bool,
    converts_with_int,
    compares_less,
    compares_greater,
    compares_at_most,
    compares_at_least,
    compares_reversed,
    compares_equal,
    compares_equal_reversed,
    compares_not_equal,
    reads_local_grads,
    reads_parents,
    calls_backward,
    reads_data_deeper,
]


def _tagged_line(f: Callable[..., Any]) -> int:
    """The line of this file tagged '# refused:' in f (or in the helper it calls)."""
    with open(__file__, encoding="utf-8") as source:
        lines = source.read().splitlines()
    start = f.__code__.co_firstlineno
    if f is reads_data_deeper:
        start = _helper.__code__.co_firstlineno
    for number in range(start, len(lines) + 1):
        if "# refused:" in lines[number - 1]:
            return number
    raise AssertionError(f"no tagged line in {f.__name__}")


@pytest.mark.parametrize("f", REFUSED, ids=lambda f: f.__name__)
@pytest.mark.parametrize("transform", [fm.make_trace, fm.jit], ids=["make_trace", "jit"])
def test_tracing_refuses_reading_numbers_naming_the_line(
    f: Callable[..., Any], transform: Callable[..., Any]
) -> None:
    with pytest.raises(TypeError) as info:
        transform(f)(2.0)
    message = str(info.value)
    assert f"{__file__}:{_tagged_line(f)}" in message, message
    assert "traced Value" in message
    # nothing is left behind: eager Values read and print as before
    y = Value(2.0) * 3.0
    assert y.data == 6.0 and float(y.data) == 6.0
    assert repr(y) == "Value(data=6.0, op='*')"
    assert fm.jit(lambda x: x * 3.0)(2.0) == 6.0


def test_tracing_allows_labelling_a_traced_value() -> None:
    def labelled(x: fm.Value) -> fm.Value:
        return (x * 2.0).set(label="y")

    assert "b = mul a 2.0" in str(fm.make_trace(labelled)(1.0))
    assert fm.jit(labelled)(3.0) == labelled(fm.Value(3.0)).data == 6.0


def test_tracing_allows_comparing_values_by_identity_and_using_them_as_keys() -> None:
    def f(x: Any, y: Any) -> Any:
        table = {x: 2.0, y: 3.0}
        same = x == x and x != y and x in table
        return x * table[x] + y * table[y] if same else x

    assert fm.jit(f)(1.0, 2.0) == 8.0
    assert fm.jit(f)(-1.0, 5.0) == 13.0


def test_a_refusal_in_one_thread_leaves_eager_work_in_another_alone() -> None:
    tracing, done = threading.Event(), threading.Event()
    results: dict[str, Any] = {}

    def traced(x: Any) -> Any:
        tracing.set()
        done.wait(10)  # the other thread works while this one is tracing
        return x * x.data  # refused: data, in the tracing thread only

    def trace() -> None:
        try:
            fm.make_trace(traced)(1.0)
        except TypeError as error:
            results["trace"] = str(error)

    def eager() -> None:
        tracing.wait(10)
        try:
            v = Value(2.0)
            y = (v * v + 1.0).tanh()
            results["eager"] = (y.data, fm.backward(y)[v], float(y.data), y.data > 0.5, bool(y))
        except Exception as error:  # anything at all would be a failure
            results["eager"] = error
        finally:
            done.set()

    threads = [threading.Thread(target=trace), threading.Thread(target=eager)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    t5 = math.tanh(5.0)
    assert results["eager"] == (t5, (1 - t5 * t5) * 4.0, t5, True, True)
    assert "reads .data" in results["trace"]


def test_values_made_in_another_thread_while_tracing_are_plain_values() -> None:
    tracing, done = threading.Event(), threading.Event()
    made: list[Value] = []

    def traced(x: Any) -> Any:
        tracing.set()
        done.wait(10)
        return x * 2.0

    def eager() -> None:
        tracing.wait(10)
        try:
            made.append((Value(2.0) * 3.0).tanh())
        finally:
            done.set()

    threads = [threading.Thread(target=lambda: fm.make_trace(traced)(1.0))]
    threads.append(threading.Thread(target=eager))
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    (y,) = made
    assert repr(y) == f"Value(data={math.tanh(6.0)!r}, op='tanh')"
    assert type(y) is Value
