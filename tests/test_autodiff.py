"""Tests for functional_micrograd.autodiff: gradients against independent oracles.

Three oracles: karpathy's micrograd 0.1.0 on its own test expressions and on
random graphs of the ops it has; central finite differences on random graphs
of every op, evaluated in plain floats; and derivatives worked out by hand.
"""

from __future__ import annotations

import copy
import gc
import math
import pickle
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from conftest import away_from_zero, floats_between
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from micrograd.engine import Value as MValue
from pyrsistent import PMap

import functional_micrograd as fm
from functional_micrograd import Value

# -- micrograd's own expressions ------------------------------------------------------
# Each builds its expression from a Value class, so the same code runs in both
# libraries; it returns the output and the leaves whose gradients are compared.


def sanity_check(V: Any) -> tuple[Any, tuple[Any, ...]]:
    """micrograd's test_sanity_check."""
    x = V(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    return y, (x,)


def more_ops(V: Any) -> tuple[Any, tuple[Any, ...]]:
    """micrograd's test_more_ops, which is also its README example."""
    a = V(-4.0)
    b = V(2.0)
    c = a + b
    d = a * b + b**3
    c = c + (c + 1)  # c += c + 1
    c = c + (1 + c + (-a))  # c += 1 + c + (-a)
    d = d + (d * 2 + (b + a).relu())
    d = d + (3 * d + (b - a).relu())
    e = c - d
    f = e**2
    g = f / 2.0
    g = g + 10.0 / f  # g += 10.0 / f
    return g, (a, b)


def _micrograd_gradients(out: Any, leaves: Sequence[Any]) -> list[float]:
    out.backward()
    return [float(leaf.grad) for leaf in leaves]


def _close(x: float, y: float, tol: float = 1e-6) -> bool:
    return math.isclose(x, y, rel_tol=tol, abs_tol=tol)


@pytest.mark.parametrize("expression", [sanity_check, more_ops])
def test_backward_matches_micrograd_on_its_tests(
    expression: Callable[[Any], tuple[Any, tuple[Any, ...]]],
) -> None:
    out, leaves = expression(Value)
    m_out, m_leaves = expression(MValue)
    assert _close(out.data, m_out.data)
    g = fm.backward(out)
    for ours, theirs in zip([g[x] for x in leaves], _micrograd_gradients(m_out, m_leaves)):
        assert _close(ours, theirs)


def test_backward_micrograd_readme_numbers() -> None:
    g, (a, b) = more_ops(Value)
    grads = fm.backward(g)
    assert f"{g.data:.4f}" == "24.7041"
    assert f"{grads[a]:.4f}" == "138.8338"
    assert f"{grads[b]:.4f}" == "645.5773"


def test_backward_sanity_check_numbers() -> None:
    # y = z**2 + z*x + z*x**2 with z = 3x + 2 (both relus: z*z > 0, z < 0)
    y, (x,) = sanity_check(Value)
    assert y.data == -20.0
    assert fm.backward(y)[x] == 46.0


# -- random graphs ---------------------------------------------------------------------
# An Op builds one node from Values (and a plain constant c) and computes the
# same number in plain floats, the independent evaluation used for finite
# differences. `ok` keeps every graph in a safe, smooth region.


@dataclass(frozen=True)
class Op:
    name: str
    arity: int
    build: Callable[..., Any]
    compute: Callable[..., float]
    ok: Callable[..., bool] = lambda *args: True
    micrograd: bool = False  # built only from operators and relu, so it runs there too
    kink: bool = False  # relu: its input must keep one sign around the point


def _sigmoid(a: float) -> float:
    return 0.5 * (1.0 + math.tanh(a / 2.0))  # another formula than the library's


def _away_from_zero(a: float, c: float = 0.0) -> bool:
    return abs(a) >= 0.2


def _second_away_from_zero(a: float, b: float, c: float = 0.0) -> bool:
    return abs(b) >= 0.2


def _positive(a: float, c: float = 0.0) -> bool:
    return a >= 0.05


def _small(a: float, c: float = 0.0) -> bool:
    return a <= 5.0


UNARY_OPS = [
    Op("-x", 1, lambda a, c: -a, lambda a, c: -a, micrograd=True),
    Op("fm.neg", 1, lambda a, c: fm.neg(a), lambda a, c: -a),
    Op("relu", 1, lambda a, c: a.relu(), lambda a, c: max(a, 0.0), micrograd=True, kink=True),
    Op("fm.relu", 1, lambda a, c: fm.relu(a), lambda a, c: max(a, 0.0), kink=True),
    Op("tanh", 1, lambda a, c: a.tanh(), lambda a, c: math.tanh(a)),
    Op("fm.tanh", 1, lambda a, c: fm.tanh(a), lambda a, c: math.tanh(a)),
    Op("exp", 1, lambda a, c: a.exp(), lambda a, c: math.exp(a), _small),
    Op("fm.exp", 1, lambda a, c: fm.exp(a), lambda a, c: math.exp(a), _small),
    Op("log", 1, lambda a, c: a.log(), lambda a, c: math.log(a), _positive),
    Op("fm.log", 1, lambda a, c: fm.log(a), lambda a, c: math.log(a), _positive),
    Op("log(x*x+1)", 1, lambda a, c: (a * a + 1).log(), lambda a, c: math.log1p(a * a)),
    Op("log(exp(x))", 1, lambda a, c: a.exp().log(), lambda a, c: a, _small),
    Op("sigmoid", 1, lambda a, c: a.sigmoid(), lambda a, c: _sigmoid(a)),
    Op("fm.sigmoid", 1, lambda a, c: fm.sigmoid(a), lambda a, c: _sigmoid(a)),
    Op("x**2", 1, lambda a, c: a**2, lambda a, c: a * a, micrograd=True),
    Op("x**3", 1, lambda a, c: a**3, lambda a, c: a * a * a, micrograd=True),
    Op("x**0.5", 1, lambda a, c: a**0.5, lambda a, c: math.sqrt(a), _positive, micrograd=True),
    Op("x**1.5", 1, lambda a, c: a**1.5, lambda a, c: a * math.sqrt(a), _positive, micrograd=True),
    Op("x**-1", 1, lambda a, c: a**-1, lambda a, c: 1.0 / a, _away_from_zero, micrograd=True),
    Op("x**-2", 1, lambda a, c: a**-2, lambda a, c: 1.0 / (a * a), _away_from_zero, micrograd=True),
    Op("(x*x+1)**-0.5", 1, lambda a, c: (a * a + 1) ** -0.5, lambda a, c: 1 / math.hypot(a, 1)),
    Op("fm.pow(x)(2)", 1, lambda a, c: fm.pow(a)(2), lambda a, c: a * a),
    Op("fm.pow(x, 3.0)", 1, lambda a, c: fm.pow(a, 3.0), lambda a, c: a * a * a),
]

CONSTANT_OPS = [
    Op("x+c", 1, lambda a, c: a + c, lambda a, c: a + c, micrograd=True),
    Op("c+x", 1, lambda a, c: c + a, lambda a, c: c + a, micrograd=True),
    Op("x-c", 1, lambda a, c: a - c, lambda a, c: a - c, micrograd=True),
    Op("c-x", 1, lambda a, c: c - a, lambda a, c: c - a, micrograd=True),
    Op("x*c", 1, lambda a, c: a * c, lambda a, c: a * c, micrograd=True),
    Op("c*x", 1, lambda a, c: c * a, lambda a, c: c * a, micrograd=True),
    Op("x/c", 1, lambda a, c: a / c, lambda a, c: a / c, micrograd=True),
    Op("c/x", 1, lambda a, c: c / a, lambda a, c: c / a, _away_from_zero, micrograd=True),
    Op("fm.add(x, c)", 1, lambda a, c: fm.add(a, c), lambda a, c: a + c),
    Op("fm.add(c)(x)", 1, lambda a, c: fm.add(c)(a), lambda a, c: c + a),
    Op("fm.sub(x)(c)", 1, lambda a, c: fm.sub(a)(c), lambda a, c: a - c),
    Op("fm.sub(c, x)", 1, lambda a, c: fm.sub(c, a), lambda a, c: c - a),
    Op("fm.mul(c)(x)", 1, lambda a, c: fm.mul(c)(a), lambda a, c: c * a),
    Op("fm.mul(x, c)", 1, lambda a, c: fm.mul(a, c), lambda a, c: a * c),
    Op("fm.div(x, c)", 1, lambda a, c: fm.div(a, c), lambda a, c: a / c),
    Op("fm.div(c)(x)", 1, lambda a, c: fm.div(c)(a), lambda a, c: c / a, _away_from_zero),
]

BINARY_OPS = [
    Op("x+y", 2, lambda a, b, c: a + b, lambda a, b, c: a + b, micrograd=True),
    Op("x-y", 2, lambda a, b, c: a - b, lambda a, b, c: a - b, micrograd=True),
    Op("x*y", 2, lambda a, b, c: a * b, lambda a, b, c: a * b, micrograd=True),
    Op(
        "x/y",
        2,
        lambda a, b, c: a / b,
        lambda a, b, c: a / b,
        _second_away_from_zero,
        micrograd=True,
    ),
    Op(
        "x/(y*y+1)",
        2,
        lambda a, b, c: a / (b * b + 1),
        lambda a, b, c: a / (b * b + 1),
        micrograd=True,
    ),
    Op("fm.add(x)(y)", 2, lambda a, b, c: fm.add(a)(b), lambda a, b, c: a + b),
    Op("fm.sub(x, y)", 2, lambda a, b, c: fm.sub(a, b), lambda a, b, c: a - b),
    Op("fm.mul(x)(y)", 2, lambda a, b, c: fm.mul(a)(b), lambda a, b, c: a * b),
    Op(
        "fm.div(x, y)",
        2,
        lambda a, b, c: fm.div(a, b),
        lambda a, b, c: a / b,
        _second_away_from_zero,
    ),
]

ALL_OPS = UNARY_OPS + CONSTANT_OPS + BINARY_OPS
MICROGRAD_OPS = [op for op in ALL_OPS if op.micrograd]
LIMIT = 1e3  # every node of a generated graph stays within [-LIMIT, LIMIT]


@dataclass(frozen=True)
class Step:
    op: Op
    args: tuple[int, ...]  # indices of earlier nodes (leaves first)
    c: float


@dataclass(frozen=True)
class Program:
    leaves: tuple[float, ...]
    steps: tuple[Step, ...]

    def build(self, leaves: Sequence[Any]) -> list[Any]:
        """Every node, leaves first, made with the given leaf Values."""
        nodes = list(leaves)
        for step in self.steps:
            nodes.append(step.op.build(*(nodes[i] for i in step.args), step.c))
        return nodes

    def evaluate(self, leaves: Sequence[float]) -> tuple[float, tuple[bool, ...]]:
        """The output in plain floats, and the sign of every relu's input."""
        nodes = list(leaves)
        signs = []
        for step in self.steps:
            args = [nodes[i] for i in step.args]
            if step.op.kink:
                signs.append(args[0] > 0.0)
            nodes.append(step.op.compute(*args, step.c))
        return math.fsum(nodes[len(leaves) :] or nodes), tuple(signs)

    def output(self, nodes: Sequence[Any]) -> Any:
        """The sum of every op's node (of the leaves if there is none)."""
        terms = nodes[len(self.leaves) :] or nodes
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return total


constants = away_from_zero(3.0, 0.25) | st.sampled_from([-2, -1, 1, 2, 3])


@st.composite
def programs(draw: st.DrawFn, ops: Sequence[Op], max_steps: int = 10) -> Program:
    leaves = tuple(draw(st.lists(floats_between(-2.0, 2.0), min_size=1, max_size=3)))
    values = list(leaves)
    steps: list[Step] = []
    for _ in range(draw(st.integers(1, max_steps))):
        op = draw(st.sampled_from(ops))
        args = tuple(draw(st.integers(0, len(values) - 1)) for _ in range(op.arity))
        c = draw(constants)
        xs = [values[i] for i in args]
        if not op.ok(*xs, c) or (op.kink and abs(xs[0]) < 1e-3):
            continue  # outside the op's safe region: draw the next op
        result = op.compute(*xs, c)
        if abs(result) > LIMIT:
            continue
        steps.append(Step(op, args, c))
        values.append(result)
    return Program(leaves, tuple(steps))


def _central_difference(program: Program, i: int, h: float = 1e-6) -> float | None:
    """(f(x + h) - f(x - h)) / 2h in leaf i; None if a relu input changes sign."""
    _, signs = program.evaluate(program.leaves)
    up = list(program.leaves)
    down = list(program.leaves)
    up[i] += h
    down[i] -= h
    f_up, signs_up = program.evaluate(up)
    f_down, signs_down = program.evaluate(down)
    if not signs_up == signs == signs_down:
        return None
    return (f_up - f_down) / (2.0 * h)


def _check_against_central_differences(program: Program) -> bool:
    """Compare every leaf's gradient; False if the point sits on a relu kink."""
    leaves = [Value(x) for x in program.leaves]
    nodes = program.build(leaves)
    out = fm.sum_values(nodes[len(leaves) :] or nodes)
    expected, _ = program.evaluate(program.leaves)
    assert math.isclose(out.data, expected, rel_tol=1e-9, abs_tol=1e-9)
    g = fm.backward(out)
    for i, leaf in enumerate(leaves):
        numeric = _central_difference(program, i)
        if numeric is None:
            return False
        assert math.isclose(g[leaf], numeric, rel_tol=1e-4, abs_tol=1e-4), (i, g[leaf], numeric)
    return True


@given(programs(ALL_OPS))
@settings(max_examples=150, deadline=None)
def test_backward_matches_central_differences(program: Program) -> None:
    assume(_check_against_central_differences(program))


POINTS = [((0.7, -1.3), 2.0), ((1.9, 0.4), -0.5), ((-0.3, 1.1), 3), ((0.2, 0.9), -2)]


@pytest.mark.parametrize("op", ALL_OPS, ids=lambda op: op.name)
def test_backward_matches_central_differences_for_each_op(op: Op) -> None:
    # Every op at fixed, safe points, whatever hypothesis happens to draw.
    args = (0, 1)[: op.arity]
    points = [(xs, c) for xs, c in POINTS if op.ok(*(xs[i] for i in args), c)]
    assert len(points) >= 2
    for leaves, c in points:
        assert _check_against_central_differences(Program(leaves, (Step(op, args, c),)))


@given(programs(MICROGRAD_OPS, max_steps=12))
@settings(max_examples=100, deadline=None)
def test_backward_matches_micrograd_on_random_graphs(program: Program) -> None:
    leaves = [Value(x) for x in program.leaves]
    out = program.output(program.build(leaves))
    m_leaves = [MValue(x) for x in program.leaves]
    m_out = program.output(program.build(m_leaves))
    assert _close(out.data, m_out.data)
    g = fm.backward(out)
    for ours, theirs in zip([g[x] for x in leaves], _micrograd_gradients(m_out, m_leaves)):
        assert _close(ours, theirs)


# -- derivatives by hand -----------------------------------------------------------------

moderate = floats_between(-10.0, 10.0)
positive = floats_between(0.01, 100.0)
nonzero = moderate.filter(lambda x: abs(x) >= 0.01)


def _d(f: Callable[[Value], Value], x: float) -> float:
    leaf = Value(x)
    return fm.backward(f(leaf))[leaf]


@given(moderate)
@settings(max_examples=30, deadline=None)
def test_backward_cube_is_three_x_squared(x: float) -> None:
    assert math.isclose(_d(lambda v: v**3, x), 3 * x * x, rel_tol=1e-12, abs_tol=1e-300)


@given(moderate)
@settings(max_examples=30, deadline=None)
def test_backward_square_by_product_is_two_x(x: float) -> None:
    assert _d(lambda v: v * v, x) == 2 * x


@given(moderate)
@settings(max_examples=30, deadline=None)
def test_backward_unary_ops_by_hand(x: float) -> None:
    t = math.tanh(x)
    assert math.isclose(_d(Value.tanh, x), 1 - t * t, rel_tol=1e-12, abs_tol=1e-15)
    s = 1 / (1 + math.exp(-x))
    assert math.isclose(_d(Value.sigmoid, x), s * (1 - s), rel_tol=1e-9, abs_tol=1e-15)
    assert math.isclose(_d(Value.exp, x), math.exp(x), rel_tol=1e-12)
    assert _d(lambda v: -v, x) == -1.0
    assert _d(lambda v: 1 - v, x) == -1.0
    assert _d(lambda v: 2 * v, x) == 2.0
    assert _d(lambda v: 3 + v, x) == 1.0


@given(positive)
@settings(max_examples=30, deadline=None)
def test_backward_log_and_roots_by_hand(x: float) -> None:
    assert math.isclose(_d(Value.log, x), 1 / x, rel_tol=1e-12)
    assert math.isclose(_d(lambda v: v**0.5, x), 0.5 / math.sqrt(x), rel_tol=1e-12)
    assert math.isclose(_d(lambda v: v**-1, x), -1 / (x * x), rel_tol=1e-12)


@given(moderate, nonzero)
@settings(max_examples=30, deadline=None)
def test_backward_division_both_sides(a: float, b: float) -> None:
    x, y = Value(a), Value(b)
    g = fm.backward(x / y)
    assert math.isclose(g[x], 1 / b, rel_tol=1e-12)  # d(a/b)/da = 1/b
    assert math.isclose(g[y], -a / (b * b), rel_tol=1e-12, abs_tol=1e-300)  # -a/b**2
    assert math.isclose(_d(lambda v: 10.0 / v, b), -10.0 / (b * b), rel_tol=1e-12)


def test_backward_subtraction_both_sides() -> None:
    x, y = Value(3.0), Value(5.0)
    g = fm.backward(x - y)
    assert (g[x], g[y]) == (1.0, -1.0)


def test_backward_relu_by_hand() -> None:
    assert _d(Value.relu, 2.0) == 1.0
    assert _d(Value.relu, -2.0) == 0.0
    zero = Value(0.0)
    out = zero.relu()
    assert out.data == 0.0
    assert fm.backward(out)[zero] == 0.0


def test_backward_output_gradient_is_one() -> None:
    y = Value(2.0) * 3
    assert fm.backward(y)[y] == 1.0
    leaf = Value(7.0)
    assert fm.backward(leaf)[leaf] == 1.0


def test_backward_shared_subexpressions_accumulate() -> None:
    a = Value(-4.0)
    b = a + a
    c = b + b
    assert fm.backward(c)[a] == 4.0


def test_backward_two_to_the_sixty_paths_is_fast() -> None:
    x = Value(1.0)
    y = x
    for _ in range(60):
        y = y + y  # doubles the number of paths from y down to x
    start = time.process_time()
    g = fm.backward(y)
    assert time.process_time() - start < 1.0
    assert g[x] == 2.0**60
    assert y.data == 2.0**60


def test_backward_gradient_overflow_raises() -> None:
    w = Value(1e300)
    u = Value(1e-300)
    out = (w * u) * w  # 1e300, but d(out)/du = w * w = 1e600
    with pytest.raises(OverflowError, match="backward"):
        fm.backward(out)


# -- topological order --------------------------------------------------------------------


def _combine(kind: str, a: Value, b: Value) -> Value:
    if kind == "*":
        return a * b
    if kind == "mean":
        return (a + b) * 0.5
    if kind == "neg":
        return -a
    method: Callable[[Value], Value] = getattr(Value, kind)
    return method(a)


@st.composite
def dags(draw: st.DrawFn) -> tuple[list[Value], Value]:
    """Random DAGs whose nodes all stay within [-1, 1]; returns every node and an output."""
    nodes = [
        Value(x, label=f"x{i}")
        for i, x in enumerate(draw(st.lists(st.floats(-1, 1), min_size=1, max_size=4)))
    ]
    for _ in range(draw(st.integers(0, 25))):
        kind = draw(st.sampled_from(["*", "mean", "tanh", "neg", "relu", "sigmoid"]))
        a = nodes[draw(st.integers(0, len(nodes) - 1))]
        b = nodes[draw(st.integers(0, len(nodes) - 1))]
        nodes.append(_combine(kind, a, b))
    return nodes, nodes[draw(st.integers(0, len(nodes) - 1))]


def _reachable_ids(output: Value) -> set[int]:
    seen = {output.id}
    todo = [output]
    while todo:
        for edge in todo.pop().parents:
            if edge.parent.id not in seen:
                seen.add(edge.parent.id)
                todo.append(edge.parent)
    return seen


@given(dags())
@settings(max_examples=100, deadline=None)
def test_topological_order_properties(dag: tuple[list[Value], Value]) -> None:
    _, output = dag
    order = fm.topological_order(output)
    assert isinstance(order, tuple)
    ids = [v.id for v in order]
    assert len(ids) == len(set(ids))  # each node once
    assert set(ids) == _reachable_ids(output)  # every reachable node
    assert order[-1] is output
    position = {v.id: k for k, v in enumerate(order)}
    for v in order:
        for edge in v.parents:
            assert position[edge.parent.id] < position[v.id]


def test_topological_order_of_a_leaf() -> None:
    x = Value(1.0)
    assert fm.topological_order(x) == (x,)


def test_topological_order_rejects_non_values() -> None:
    with pytest.raises(TypeError, match="topological_order"):
        fm.topological_order(1.0)  # type: ignore[arg-type]


def test_backward_million_op_chain_has_no_recursion_limit() -> None:
    # The graph has no cycles; pausing the cyclic collector only saves its
    # repeated passes over a million live nodes (about half of this test's time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        x = Value(1.0)
        y = x
        for _ in range(1_000_000):
            y = -y  # one node per op, the cheapest op there is
        g = fm.backward(y)
    finally:
        if collecting:
            gc.enable()
    assert g[x] == 1.0  # an even number of negations
    assert len(g) == 1_000_001


# -- purity and the Gradients record -----------------------------------------------------


def _snapshot(v: Value) -> tuple[Any, ...]:
    return (
        v.data,
        v.op,
        v.label,
        v.id,
        tuple(p.id for p in v.inputs),
        v.local_grads,
        tuple((e.parent.id, e.local_grad) for e in v.parents),
    )


@given(dags())
@settings(max_examples=50, deadline=None)
def test_backward_changes_no_value(dag: tuple[list[Value], Value]) -> None:
    nodes, output = dag
    before = [_snapshot(v) for v in nodes]
    order = fm.topological_order(output)
    g = fm.backward(output)
    assert [_snapshot(v) for v in nodes] == before
    assert fm.topological_order(output) == order
    reachable = _reachable_ids(output)
    assert g[output] == 1.0
    for v in nodes:
        assert g[v] == g[v.id]
        if v.id not in reachable:
            assert g[v] == 0.0
    assert set(g.to_map()) <= reachable


def test_backward_snapshot_of_micrograd_expression() -> None:
    out, _ = more_ops(Value)
    nodes = fm.topological_order(out)
    before = [_snapshot(v) for v in nodes]
    out.backward()
    fm.backward(out)
    assert [_snapshot(v) for v in nodes] == before


def test_backward_unrelated_value_gets_zero() -> None:
    x = Value(2.0)
    stranger = Value(5.0)
    g = fm.backward(x * x)
    assert g[stranger] == 0.0
    assert g[stranger.id] == 0.0
    assert stranger not in g


def test_backward_method_and_function_agree() -> None:
    out, _ = more_ops(Value)
    assert out.backward().to_map() == fm.backward(out).to_map()


def test_gradients_to_map_is_pmap_by_node_id() -> None:
    x = Value(3.0)
    y = x * x + x
    g = fm.backward(y)
    table = g.to_map()
    assert isinstance(table, PMap)
    assert table[x.id] == 7.0 == g[x]
    assert table[y.id] == 1.0
    assert set(table) == {v.id for v in fm.topological_order(y)}
    assert all(type(k) is int and type(d) is float for k, d in table.items())


def test_gradients_is_immutable() -> None:
    x = Value(3.0)
    g = fm.backward(x * x)
    with pytest.raises(AttributeError):
        g.table = {}  # type: ignore[misc]
    with pytest.raises(AttributeError):
        g.extra = 1  # type: ignore[attr-defined]
    assert g[x] == 6.0


def test_backward_twice_gives_fresh_equal_tables() -> None:
    out, (a, b) = more_ops(Value)
    g1 = fm.backward(out)
    g2 = fm.backward(out)
    assert g1 is not g2
    assert g1.to_map() == g2.to_map()
    assert (g1[a], g1[b]) == (g2[a], g2[b])


def test_gradients_reject_non_values() -> None:
    g = fm.backward(Value(1.0) * 2)
    with pytest.raises(TypeError, match="str"):
        g["x"]  # type: ignore[index]
    with pytest.raises(TypeError, match="Gradients"):
        g[1.5]  # type: ignore[index]
    with pytest.raises(TypeError, match="backward"):
        fm.backward(2.0)  # type: ignore[arg-type]


# -- backward as data, the differentiable backward, and the table's keys -----------------


def _graph(program: Program) -> tuple[list[Value], Value]:
    """The program's leaves (as Values) and its output."""
    leaves = [Value(x) for x in program.leaves]
    nodes = program.build(leaves)
    return leaves, fm.sum_values(nodes[len(leaves) :] or nodes)


@given(programs(ALL_OPS))
@settings(max_examples=50, deadline=None)
def test_backward_steps_last_totals_equal_backward(program: Program) -> None:
    _, out = _graph(program)
    g = fm.backward(out)
    steps = fm.backward_steps(out)
    order = fm.topological_order(out)
    # one record per edge: each node's edges together, nodes in reverse topological order
    expected_edges = [
        (v, parent, local)
        for v in reversed(order)
        for parent, local in zip(v.inputs, v.local_grads)
    ]
    assert [(s.child, s.parent, s.local_grad) for s in steps] == expected_edges
    last: dict[int, float] = {}
    for step in steps:
        assert step.upstream == g[step.child]  # complete when the edge is applied
        assert step.contribution == step.upstream * step.local_grad
        last[step.parent.id] = step.total
    assert set(last) == {p.id for v in order for p in v.inputs}
    for key, total in last.items():
        assert total == g[key]


def test_backward_steps_of_a_shared_node() -> None:
    a = Value(-4.0, label="a")
    b = a + a
    c = b * b
    steps = fm.backward_steps(c)
    assert [(s.child.op, s.parent.label or s.parent.op, s.total) for s in steps] == [
        ("*", "+", -8.0),
        ("*", "+", -16.0),
        ("+", "a", -16.0),
        ("+", "a", -32.0),
    ]
    assert steps[-1].total == fm.backward(c)[a]


@given(programs(ALL_OPS))
@settings(max_examples=50, deadline=None)
def test_create_graph_backward_equals_float_backward_exactly(program: Program) -> None:
    _, out = _graph(program)
    floats = fm.backward(out)
    values = fm.backward(out, create_graph=True)
    assert len(values) == len(floats)
    for node in fm.topological_order(out):
        d = values[node]
        assert isinstance(d, Value)
        assert d.data == floats[node], (node, d.data, floats[node])
    assert all(isinstance(d, Value) for d in values.to_map().values())


def _gradient_at(program: Program, point: Sequence[float]) -> list[float]:
    leaves = [Value(x) for x in point]
    nodes = program.build(leaves)
    g = fm.backward(fm.sum_values(nodes[len(leaves) :] or nodes))
    return [g[leaf] for leaf in leaves]


@given(programs(ALL_OPS, max_steps=8))
@settings(max_examples=30, deadline=None)
def test_create_graph_gradients_differentiate_again(program: Program) -> None:
    leaves, out = _graph(program)
    first = fm.backward(out, create_graph=True)
    h = 1e-5
    _, signs = program.evaluate(program.leaves)
    for j in range(len(leaves)):
        up = [x + h if k == j else x for k, x in enumerate(program.leaves)]
        down = [x - h if k == j else x for k, x in enumerate(program.leaves)]
        assume(program.evaluate(up)[1] == signs == program.evaluate(down)[1])  # no kink crossed
        numeric = [
            (u - d) / (2 * h)
            for u, d in zip(_gradient_at(program, up), _gradient_at(program, down))
        ]
        for i, leaf in enumerate(leaves):
            second = fm.backward(first[leaf])[leaves[j]]
            assert math.isclose(second, numeric[i], rel_tol=1e-4, abs_tol=1e-4), (i, j)


def test_create_graph_second_derivatives_by_hand() -> None:
    x, y = Value(2.0), Value(-1.5)
    out = x * x * y + (x * y).tanh()
    g = fm.backward(out, create_graph=True)
    t = math.tanh(-3.0)
    assert g[x].data == fm.backward(out)[x]
    dxx = fm.backward(g[x])
    # d/dx (2xy + y (1 - t^2)) = 2y - 2 y^2 t (1 - t^2)
    assert math.isclose(dxx[x], 2 * -1.5 - 2 * 2.25 * t * (1 - t * t), rel_tol=1e-12)
    # d/dy (2xy + y (1 - t^2)) = 2x + (1 - t^2) - 2 x y t (1 - t^2)
    assert math.isclose(dxx[y], 4.0 + (1 - t * t) - 2 * -3.0 * t * (1 - t * t), rel_tol=1e-12)


def test_gradients_accept_node_ids() -> None:
    out, _ = more_ops(Value)
    stranger = Value(1.0)
    for g in (fm.backward(out), fm.backward(out, create_graph=True)):
        for node in fm.topological_order(out):
            assert g[node.id] is g[node]
            assert node.id in g
        assert sorted(g) == sorted(g.to_map())
        assert all(g[key] is g.to_map()[key] for key in g)
    floats = fm.backward(out)
    assert floats[stranger.id] == 0.0
    assert floats[-1] == 0.0
    missing = fm.backward(out, create_graph=True)[stranger.id]
    assert isinstance(missing, Value) and missing.data == 0.0
    with pytest.raises(TypeError, match=r"True \(bool\)"):
        floats[True]  # type: ignore[index]


def test_gradients_refuse_pickling_saying_what_to_save() -> None:
    x = Value(3.0)
    for g in (fm.backward(x * x), fm.backward(x * x, create_graph=True)):
        with pytest.raises(TypeError) as info:
            pickle.dumps(g)
        message = str(info.value)
        assert "Gradients cannot be pickled" in message
        assert "Save the numbers" in message and "g[p]" in message
        assert copy.copy(g) is g and copy.deepcopy(g) is g


@given(programs(ALL_OPS))
@settings(max_examples=50, deadline=None)
def test_topological_order_contract_on_random_graphs(program: Program) -> None:
    _, out = _graph(program)
    order = fm.topological_order(out)
    assert isinstance(order, tuple)
    assert order[-1] is out
    ids = [v.id for v in order]
    assert len(ids) == len(set(ids))
    assert set(ids) == _reachable_ids(out)
    position = {key: k for k, key in enumerate(ids)}
    for v in order:
        for parent in v.inputs:
            assert position[parent.id] < position[v.id]
    assert fm.topological_order(out) == order  # the same order every time
