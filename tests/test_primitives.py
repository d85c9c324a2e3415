"""Tests for functional_micrograd.primitives: the table of rules and the ops made from it.

Oracles: derivatives worked out by sympy (evaluated with mpmath at 40 digits)
and by hand, central finite differences (through ``fm.check_grads`` and
directly), and the table itself, for the code that is written twice for speed.
"""

from __future__ import annotations

import functools
import itertools
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mpmath
import pytest
import sympy
from conftest import away_from_zero, finite_floats, floats_between
from hypothesis import given, settings
from hypothesis import strategies as st

import functional_micrograd as fm
from functional_micrograd import Value
from functional_micrograd import value as value_module
from functional_micrograd.primitives import Primitive, power

BUILT_IN = frozenset(fm.primitives.PRIMITIVES)  # before any test defines an op

SYMBOLS = sympy.symbols("a b c d", real=True)

# -- the cases: one function per primitive, with its sympy twin and a safe region ---------


@dataclass(frozen=True)
class Case:
    """A primitive as a function of Values, the same function in sympy, and where to test it.

    ``points`` gives one strategy per argument, away from kinks, poles and
    domain edges; a kinked op has one case per side, with sympy's formula for
    that side.
    """

    id: str
    op: str  # the node's op
    make: Callable[..., Any]
    expr: Callable[..., Any]
    points: tuple[st.SearchStrategy[float], ...]

    @property
    def arity(self) -> int:
        return len(self.points)

    def rule(self) -> Primitive:
        return lookup_rule(self.op)


def lookup_rule(op: str) -> Primitive:
    return fm.primitives.lookup(op)


wide = floats_between(-3.0, 3.0)
positive = floats_between(0.1, 5.0)
right = floats_between(0.05, 3.0)
left = floats_between(-3.0, -0.05)


def _sigmoid(a: Any) -> Any:
    return 1 / (1 + sympy.exp(-a))


def _logsumexp_case(n: int) -> Case:
    return Case(
        f"logsumexp/{n}",
        "logsumexp",
        lambda *xs: fm.logsumexp(xs),
        lambda *xs: sympy.log(sum(sympy.exp(x) for x in xs)),
        (wide,) * n,
    )


def _power_case(n: int | float) -> Case:
    if isinstance(n, int) and n >= 0:
        region = wide
    elif isinstance(n, int):
        region = away_from_zero(3.0, 0.3)
    else:
        region = floats_between(0.2, 3.0)
    exponent = sympy.Rational(str(n))
    return Case(
        f"**{n!r}",
        f"**{n!r}",
        lambda x: fm.pow(x, n),
        lambda x: x**exponent,
        (region,),
    )


EXPONENTS = (0, 1, 2, 3, 4, -1, -2, -3, 0.5, 1.5, 2.5, -0.5)

CASES = [
    Case("+", "+", lambda a, b: a + b, lambda a, b: a + b, (wide, wide)),
    Case("-", "-", lambda a, b: a - b, lambda a, b: a - b, (wide, wide)),
    Case("*", "*", lambda a, b: a * b, lambda a, b: a * b, (wide, wide)),
    Case("/", "/", lambda a, b: a / b, lambda a, b: a / b, (wide, away_from_zero(3.0, 0.5))),
    Case("neg", "neg", fm.neg, lambda a: -a, (wide,)),
    Case("relu/right", "relu", fm.relu, lambda a: a, (right,)),
    Case("relu/left", "relu", fm.relu, lambda a: 0 * a, (left,)),
    Case("step/right", "step", fm.step, lambda a: sympy.Integer(1) + 0 * a, (right,)),
    Case("step/left", "step", fm.step, lambda a: 0 * a, (left,)),
    Case("abs/right", "abs", fm.abs, lambda a: a, (right,)),
    Case("abs/left", "abs", fm.abs, lambda a: -a, (left,)),
    Case("tanh", "tanh", fm.tanh, sympy.tanh, (wide,)),
    Case("exp", "exp", fm.exp, sympy.exp, (wide,)),
    Case("log", "log", fm.log, sympy.log, (positive,)),
    Case("sigmoid", "sigmoid", fm.sigmoid, _sigmoid, (floats_between(-6.0, 6.0),)),
    Case("sin", "sin", fm.sin, sympy.sin, (wide,)),
    Case("cos", "cos", fm.cos, sympy.cos, (wide,)),
    Case("sqrt", "sqrt", fm.sqrt, sympy.sqrt, (positive,)),
    Case("softplus", "softplus", fm.softplus, lambda a: sympy.log(1 + sympy.exp(a)), (wide,)),
    *(_logsumexp_case(n) for n in (1, 2, 3, 4)),
    *(_power_case(n) for n in EXPONENTS),
]
CASE_BY_ID = {case.id: case for case in CASES}


def test_every_primitive_of_the_table_has_a_case() -> None:
    covered = {case.op for case in CASES} | {"**"}
    assert covered == BUILT_IN | {f"**{n!r}" for n in EXPONENTS}


# -- sympy's derivatives --------------------------------------------------------------


def sequences(arity: int, order: int) -> list[tuple[int, ...]]:
    """The argument positions of the partial derivatives of one order to check.

    Every ordering at order 2 (so d2/dadb and d2/dbda are both taken), one
    ordering of each distinct partial at the other orders.
    """
    if order == 2:
        return list(itertools.product(range(arity), repeat=2))
    return list(itertools.combinations_with_replacement(range(arity), order))


@functools.cache
def sympy_expression(case_id: str, seq: tuple[int, ...]) -> Any:
    """d^k f / dx_seq[0] ... dx_seq[-1] by sympy, one derivative at a time."""
    case = CASE_BY_ID[case_id]
    if not seq:
        return case.expr(*SYMBOLS[: case.arity])
    return sympy.diff(sympy_expression(case_id, seq[:-1]), SYMBOLS[seq[-1]])


ALL_ORDERS = (1, 2, 3)


@functools.cache
def sympy_derivatives(case_id: str) -> Callable[..., dict[tuple[int, ...], float]]:
    """Every derivative of ``sequences`` up to order 3 by sympy, as one function of floats.

    The function evaluates them with 40-digit mpmath and returns them by position sequence.
    """
    arity = CASE_BY_ID[case_id].arity
    seqs = [seq for order in ALL_ORDERS for seq in sequences(arity, order)]
    exprs = [sympy_expression(case_id, seq) for seq in seqs]
    fn = sympy.lambdify(SYMBOLS[:arity], exprs, modules="mpmath")

    def at(*xs: float) -> dict[tuple[int, ...], float]:
        with mpmath.workdps(40):
            return {seq: float(v) for seq, v in zip(seqs, fn(*map(mpmath.mpf, xs)))}

    return at


def nested_grad(f: Callable[..., Any], seq: tuple[int, ...]) -> Callable[..., Any]:
    """fm.grad(fm.grad(f, argnums=i), argnums=j) ... for the positions in seq."""
    for i in seq:
        f = fm.grad(f, argnums=i)
    return f


def close(ours: float, truth: float, rel: float = 1e-9, abs_: float = 1e-12) -> bool:
    return math.isclose(ours, truth, rel_tol=rel, abs_tol=abs_)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
@given(data=st.data())
@settings(max_examples=15, deadline=None)
def test_first_second_and_third_derivatives_match_sympy(case: Case, data: st.DataObject) -> None:
    xs = data.draw(st.tuples(*case.points), label="point")
    truths = sympy_derivatives(case.id)(*xs)
    assert len(truths) == sum(len(sequences(case.arity, order)) for order in ALL_ORDERS)
    for seq, truth in truths.items():
        ours = nested_grad(case.make, seq)(*xs)
        assert type(ours) is float
        assert close(ours, truth), (seq, ours, truth)


# -- by hand ------------------------------------------------------------------------------

HAND = [
    # (function, point, positions to differentiate, the derivative worked out by hand)
    (fm.tanh, (0.0,), (0,), 1.0),
    (fm.tanh, (0.0,), (0, 0), 0.0),
    (fm.tanh, (0.0,), (0, 0, 0), -2.0),  # tanh''' = -2 (1 - t^2)(1 - 3 t^2)
    (fm.sigmoid, (0.0,), (0,), 0.25),
    (fm.sigmoid, (0.0,), (0, 0), 0.0),
    (fm.sigmoid, (0.0,), (0, 0, 0), -0.125),  # s(1-s)(1 - 6s + 6s^2) at s = 1/2
    (fm.exp, (1.0,), (0, 0, 0), math.e),
    (fm.log, (1.0,), (0,), 1.0),
    (fm.log, (1.0,), (0, 0), -1.0),
    (fm.log, (1.0,), (0, 0, 0), 2.0),
    (fm.sin, (0.0,), (0,), 1.0),
    (fm.sin, (0.0,), (0, 0, 0), -1.0),
    (fm.cos, (0.0,), (0, 0), -1.0),
    (fm.cos, (math.pi / 2,), (0,), -1.0),
    (fm.sqrt, (4.0,), (0,), 0.25),  # 1 / (2 sqrt x)
    (fm.sqrt, (4.0,), (0, 0), -1 / 32),  # -x^(-3/2) / 4
    (fm.sqrt, (4.0,), (0, 0, 0), 3 / 256),  # 3 x^(-5/2) / 8
    (fm.softplus, (0.0,), (0,), 0.5),
    (fm.softplus, (0.0,), (0, 0), 0.25),
    (fm.softplus, (0.0,), (0, 0, 0), 0.0),
    (lambda x: x**3, (2.0,), (0,), 12.0),
    (lambda x: x**3, (2.0,), (0, 0), 12.0),
    (lambda x: x**3, (2.0,), (0, 0, 0), 6.0),
    (lambda x: x**-1, (2.0,), (0,), -0.25),
    (lambda x: x**-1, (2.0,), (0, 0), 0.25),
    (lambda x: x**-1, (2.0,), (0, 0, 0), -0.375),
    (lambda x: x**0.5, (9.0,), (0,), 1 / 6),
    (lambda a, b: a / b, (3.0, 2.0), (0,), 0.5),
    (lambda a, b: a / b, (3.0, 2.0), (1,), -0.75),  # -a / b^2
    (lambda a, b: a / b, (3.0, 2.0), (1, 1), 0.75),  # 2a / b^3
    (lambda a, b: a / b, (3.0, 2.0), (1, 1, 1), -1.125),  # -6a / b^4
    (lambda a, b: a / b, (3.0, 2.0), (0, 1), -0.25),  # -1 / b^2
    (lambda a, b: a * b, (3.0, 2.0), (0,), 2.0),
    (lambda a, b: a * b, (3.0, 2.0), (0, 1), 1.0),
    (lambda a, b: a * b, (3.0, 2.0), (0, 0), 0.0),
    (lambda a, b: a - b, (3.0, 2.0), (1,), -1.0),
    (fm.neg, (3.0,), (0,), -1.0),
    (lambda *xs: fm.logsumexp(xs), (0.0, 0.0), (0,), 0.5),
    (lambda *xs: fm.logsumexp(xs), (0.0, 0.0), (0, 0), 0.25),  # s (1 - s)
    (lambda *xs: fm.logsumexp(xs), (0.0, 0.0), (0, 1), -0.25),  # -s_0 s_1
    (lambda *xs: fm.logsumexp(xs), (0.0, 0.0), (0, 0, 0), 0.0),  # s (1 - s)(1 - 2s)
    (lambda *xs: fm.logsumexp(xs), (5.0,), (0,), 1.0),  # logsumexp([x]) = x
    (lambda *xs: fm.logsumexp(xs), (5.0,), (0, 0), 0.0),
    (lambda *xs: fm.logsumexp(xs), (0.0, 0.0, 0.0, 0.0), (2,), 0.25),
    (fm.relu, (2.0,), (0,), 1.0),
    (fm.relu, (-2.0,), (0,), 0.0),
    (fm.relu, (2.0,), (0, 0), 0.0),
    (fm.abs, (2.0,), (0,), 1.0),
    (fm.abs, (-2.0,), (0,), -1.0),
    (fm.abs, (-2.0,), (0, 0), 0.0),
    (fm.step, (2.0,), (0,), 0.0),
    (fm.step, (-2.0,), (0,), 0.0),
]


@pytest.mark.parametrize(("f", "point", "seq", "expected"), HAND)
def test_derivatives_by_hand(
    f: Callable[..., Any], point: tuple[float, ...], seq: tuple[int, ...], expected: float
) -> None:
    assert close(nested_grad(f, seq)(*point), expected, rel=1e-12, abs_=1e-15)


@pytest.mark.parametrize("f", [fm.relu, fm.abs, fm.step], ids=["relu", "abs", "step"])
@pytest.mark.parametrize("zero", [0.0, -0.0], ids=["0.0", "-0.0"])
def test_kinked_ops_have_derivative_zero_at_zero(f: Callable[..., Any], zero: float) -> None:
    x = Value(zero)
    node = f(x)
    assert node.local_grads == (0.0,)
    assert fm.backward(node)[x] == 0.0
    assert fm.backward(node, create_graph=True)[x].data == 0.0
    assert fm.grad(f)(zero) == 0.0
    assert fm.grad(fm.grad(f))(zero) == 0.0
    assert fm.grad(fm.grad(fm.grad(f)))(zero) == 0.0


@pytest.mark.parametrize(
    ("f", "left_value", "right_value"),
    [(fm.relu, 0.0, 1.0), (fm.abs, -1.0, 1.0), (fm.step, 0.0, 0.0)],
    ids=["relu", "abs", "step"],
)
def test_kinked_ops_on_both_sides_of_zero(
    f: Callable[..., Any], left_value: float, right_value: float
) -> None:
    for x in (-1e-300, -1e-9, -0.5, -7.0):
        assert fm.grad(f)(x) == left_value
        assert fm.grad(fm.grad(f))(x) == 0.0
    for x in (5e-324, 1e-9, 0.5, 7.0):
        assert fm.grad(f)(x) == right_value
        assert fm.grad(fm.grad(f))(x) == 0.0


def test_step_and_relu_values() -> None:
    assert [fm.step(x).data for x in (-1.0, 0.0, -0.0, 5e-324, 2.0)] == [0.0, 0.0, 0.0, 1.0, 1.0]
    assert [fm.relu(x).data for x in (-1.0, 0.0, 2.5)] == [0.0, 0.0, 2.5]
    assert [fm.abs(x).data for x in (-1.5, 0.0, 2.5)] == [1.5, 0.0, 2.5]


# -- one rule, two readers: floats and Values ----------------------------------------------


def _number(d: Any) -> float:
    return d.data if isinstance(d, Value) else float(d)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
@given(data=st.data())
@settings(max_examples=30, deadline=None)
def test_rule_on_floats_equals_rule_on_values(case: Case, data: st.DataObject) -> None:
    xs = data.draw(st.tuples(*case.points), label="point")
    rule = case.rule()
    out = rule.forward(*xs)
    on_floats = rule.derivative(*xs, out)
    on_values = rule.derivative(*map(Value, xs), Value(out))
    assert isinstance(on_floats, tuple)
    assert len(on_floats) == len(on_values) == case.arity
    assert all(type(d) is float for d in on_floats)
    assert [_number(d) for d in on_values] == list(on_floats)
    # what an eager node stores is the rule on floats
    node = case.make(*map(Value, xs))
    assert (node.op, node.data, node.local_grads) == (rule.name, out, on_floats)


def _outcome(make: Callable[[], Value]) -> tuple[Any, ...]:
    """A node as comparable data (bit for bit), or the error it raised."""
    try:
        node = make()
    except (ArithmeticError, ValueError) as error:
        return ("raised", type(error), str(error))
    return (
        repr(node.data),
        node.op,
        node.label,
        tuple(p.id for p in node.inputs),
        tuple(map(repr, node.local_grads)),
        type(node),
    )


edge_floats = finite_floats | st.sampled_from([0.0, -0.0, 1e308, -1e308, 5e-324, 1.0, -1.0])


@given(edge_floats, edge_floats)
@settings(max_examples=200, deadline=None)
def test_fast_add_mul_sub_make_the_tables_nodes(x: float, y: float) -> None:
    a, b = Value(x), Value(y)
    table = fm.primitives.PRIMITIVES
    fast_paths = {
        "+": (value_module._add, lambda: a + b, lambda: fm.add(a, b), lambda: fm.add(a)(b)),
        "*": (value_module._mul, lambda: a * b, lambda: fm.mul(a, b), lambda: fm.mul(a)(b)),
        "-": (value_module._sub, lambda: a - b, lambda: fm.sub(a, b), lambda: fm.sub(a)(b)),
    }
    for op, (fast, *public) in fast_paths.items():
        expected = _outcome(lambda op=op: value_module._apply(table[op], (a, b)))
        assert _outcome(lambda fast=fast: fast(a, b)) == expected, op
        for make in public:
            assert _outcome(make) == expected, op


@given(edge_floats)
@settings(max_examples=100, deadline=None)
def test_fast_relu_makes_the_tables_node(x: float) -> None:
    a = Value(x)
    expected = _outcome(lambda: value_module._apply(fm.primitives.PRIMITIVES["relu"], (a,)))
    assert _outcome(lambda: value_module._relu(a)) == expected
    assert _outcome(a.relu) == expected
    assert _outcome(lambda: fm.relu(a)) == expected


# -- check_grads on every primitive ---------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
@given(data=st.data())
@settings(max_examples=20, deadline=None)
def test_check_grads_passes_on_every_primitive(case: Case, data: st.DataObject) -> None:
    xs = data.draw(st.tuples(*case.points), label="point")
    assert fm.check_grads(case.make, xs) is None
    assert fm.check_grads(case.make, xs, order=2) is None


def _rows(message: str) -> dict[tuple[str, int], list[str]]:
    """The table of a GradientCheckError: (argument, order) -> [analytic, numeric, error, mark]."""
    lines = message.splitlines()
    header = lines[1].split()
    assert header == ["argument", "order", "analytic", "numeric", "error"]
    rows = {}
    for line in lines[2:]:
        argument, rest = line[:12].strip(), line[12:].split()
        rows[argument, int(rest[0])] = rest[1:]
    return rows


def test_check_grads_fails_on_a_wrong_first_derivative(op_name: Callable[[str], str]) -> None:
    name = op_name("wrong_square")
    wrong = fm.define_op(name, lambda x: x * x, lambda x, out: (x,))  # should be 2x
    with pytest.raises(fm.GradientCheckError) as info:
        fm.check_grads(wrong, (1.5,))
    assert isinstance(info.value, AssertionError)
    message = str(info.value)
    assert message.startswith("check_grads: 1 of 1 derivative(s)")
    analytic, numeric, error, mark = _rows(message)["0", 1]
    assert float(analytic) == 1.5
    assert math.isclose(float(numeric), 3.0, rel_tol=1e-6)
    assert math.isclose(float(error), 1.5, rel_tol=1e-2)
    assert mark == "<-"


def test_check_grads_fails_on_a_rule_that_is_right_only_to_first_order(
    op_name: Callable[[str], str],
) -> None:
    # The derivative reads the number, so its graph is a constant: d2 comes out 0, not 2.
    name = op_name("frozen_square")
    frozen = fm.define_op(name, lambda x: x * x, lambda x, out: (2.0 * x.data,))
    assert fm.check_grads(frozen, (1.5,)) is None
    with pytest.raises(fm.GradientCheckError) as info:
        fm.check_grads(frozen, (1.5,), order=2)
    rows = _rows(str(info.value))
    assert rows["0", 1][3:] == []  # the first derivative agrees: no mark
    analytic, numeric, _, mark = rows["0, 0", 2]
    assert float(analytic) == 0.0
    assert math.isclose(float(numeric), 2.0, rel_tol=1e-5)
    assert mark == "<-"


def test_check_grads_table_names_every_argument(op_name: Callable[[str], str]) -> None:
    name = op_name("wrong_product")
    wrong = fm.define_op(name, lambda a, b: a * b, lambda a, b, out: (b, b))  # d/db should be a
    with pytest.raises(fm.GradientCheckError) as info:
        fm.check_grads(wrong, (2.0, 5.0))
    rows = _rows(str(info.value))
    assert set(rows) == {("0", 1), ("1", 1)}
    assert rows["0", 1][3:] == []
    assert float(rows["1", 1][0]) == 5.0
    assert math.isclose(float(rows["1", 1][1]), 2.0, rel_tol=1e-6)
    assert rows["1", 1][3] == "<-"


# -- define_op ------------------------------------------------------------------------------


def test_define_op_api_example(op_name: Callable[[str], str]) -> None:
    sin = fm.define_op(op_name("my_sin"), math.sin, lambda x, out: (fm.cos(x),))
    assert abs(fm.grad(fm.grad(sin))(0.5) - (-math.sin(0.5))) <= 1e-12
    assert abs(fm.grad(fm.grad(fm.grad(sin)))(0.5) - (-math.cos(0.5))) <= 1e-12


def test_define_op_makes_nodes_and_joins_the_table(op_name: Callable[[str], str]) -> None:
    name = op_name("cube")
    cube = fm.define_op(name, lambda x: x**3, lambda x, out: (3 * x**2,), doc="x cubed.")
    y = cube(Value(2.0))
    assert (y.op, y.data, y.local_grads) == (name, 8.0, (12.0,))
    assert cube(2).data == 8.0  # numbers become leaves
    rule = fm.primitives.PRIMITIVES[name]
    assert (rule.name, rule.arity, rule.doc) == (name, 1, "x cubed.")
    assert cube.__name__ == name


def _hypot_derivatives(a: float, b: float) -> dict[tuple[int, ...], float]:
    """Partial derivatives of sqrt(a^2 + b^2), by sympy."""
    x, y = SYMBOLS[:2]
    f = sympy.sqrt(x**2 + y**2)
    out = {}
    for order in (1, 2, 3):
        for seq in sequences(2, order):
            d = sympy.diff(f, *((x, y)[i] for i in seq))
            out[seq] = float(d.evalf(30, subs={x: a, y: b}))
    return out


def test_define_op_of_two_inputs(op_name: Callable[[str], str]) -> None:
    name = op_name("hypot")
    hypot = fm.define_op(name, lambda a, b: math.hypot(a, b), lambda a, b, out: (a / out, b / out))
    node = hypot(Value(3.0), 4.0)
    assert (node.data, node.local_grads) == (5.0, (0.6, 0.8))
    assert fm.grad(hypot, argnums=(0, 1))(3.0, 4.0) == (0.6, 0.8)
    rng = random.Random(11)
    for _ in range(5):
        a, b = rng.uniform(0.5, 3.0), rng.uniform(-3.0, -0.5)
        for seq, truth in _hypot_derivatives(a, b).items():
            assert close(nested_grad(hypot, seq)(a, b), truth), (seq, a, b)
        assert fm.check_grads(hypot, (a, b), order=2) is None


def _softsign_loss_by_floats(w1: float, w2: float, b: float) -> float:
    z = w1 * 0.5 + w2 * -1.5 + b
    return (z / (1.0 + abs(z)) - 0.25) ** 2


def _central(f: Callable[..., float], xs: tuple[float, ...], i: int, h: float = 1e-6) -> float:
    up = tuple(x + h if k == i else x for k, x in enumerate(xs))
    down = tuple(x - h if k == i else x for k, x in enumerate(xs))
    return (f(*up) - f(*down)) / (2 * h)


def test_define_op_inside_a_model(op_name: Callable[[str], str]) -> None:
    softsign = fm.define_op(
        op_name("softsign"),
        lambda x: x / (1.0 + abs(x)),
        lambda x, out: (1.0 / (1.0 + fm.abs(x)) ** 2,),
    )

    def loss(w1: Any, w2: Any, b: Any) -> Any:  # one neuron on the point (0.5, -1.5), target 0.25
        return (softsign(w1 * 0.5 + w2 * -1.5 + b) - 0.25) ** 2

    points = [(0.3, -0.8, 0.1), (-1.2, 0.4, 0.2), (0.9, 0.9, -0.3)]  # both signs of the input
    fast = fm.jit(fm.value_and_grad(loss, argnums=(0, 1, 2)))
    for point in points:
        params = [Value(p) for p in point]
        out = loss(*params)
        assert math.isclose(out.data, _softsign_loss_by_floats(*point), rel_tol=1e-12)
        g = fm.backward(out)
        for i, p in enumerate(params):
            numeric = _central(_softsign_loss_by_floats, point, i)
            assert math.isclose(g[p], numeric, rel_tol=1e-6, abs_tol=1e-9)
        # create_graph: the same numbers, and they differentiate again
        graph = fm.backward(out, create_graph=True)
        assert [graph[p].data for p in params] == [g[p] for p in params]
        for i, p in enumerate(params):

            def first(*xs: float, i: int = i) -> float:
                leaves = [Value(x) for x in xs]
                return fm.backward(loss(*leaves))[leaves[i]]

            second = fm.backward(graph[p])
            for j, q in enumerate(params):
                numeric = _central(first, point, j)
                assert math.isclose(second[q], numeric, rel_tol=1e-5, abs_tol=1e-8)
        # jit, traced on the first point and run on the others
        value, grads = fast(*point)
        assert value == out.data
        assert grads == tuple(g[p] for p in params)
        assert fm.check_grads(loss, point, order=2) is None


def test_define_op_refuses_a_taken_name(op_name: Callable[[str], str]) -> None:
    for built_in in ("tanh", "+", "relu", "**", "**2"):
        with pytest.raises(ValueError, match="define_op"):
            fm.define_op(built_in, math.tanh, lambda x, out: (1.0,))
    name = op_name("twice")
    fm.define_op(name, math.tanh, lambda x, out: (1.0 - out * out,))
    with pytest.raises(ValueError, match=f"define_op: the name '{name}' is taken"):
        fm.define_op(name, math.sin, lambda x, out: (fm.cos(x),))
    assert fm.primitives.PRIMITIVES[name].forward(0.5) == math.tanh(0.5)  # the first one stays


def test_define_op_refuses_a_bad_name() -> None:
    for bad in ("", 3, None):
        with pytest.raises((TypeError, ValueError), match="define_op"):
            fm.define_op(bad, math.sin, lambda x, out: (fm.cos(x),))  # type: ignore[arg-type]


def test_define_op_refuses_what_cannot_be_called(op_name: Callable[[str], str]) -> None:
    with pytest.raises(TypeError, match=r"define_op: expected forward to be a function, got 3"):
        fm.define_op(op_name("bad_forward"), 3, lambda x, out: (1.0,))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"define_op: expected derivative to be a function, got"):
        fm.define_op(op_name("bad_rule"), math.sin, "cos")  # type: ignore[arg-type]
    name = op_name("never_made")
    with pytest.raises(TypeError):
        fm.define_op(name, math.sin, None)  # type: ignore[arg-type]
    assert name not in fm.primitives.PRIMITIVES


def test_define_op_refuses_a_wrong_number_of_arguments(op_name: Callable[[str], str]) -> None:
    name = op_name("pair")
    pair = fm.define_op(name, lambda a, b: a - b, lambda a, b, out: (1.0, -1.0))
    assert pair(3.0, 1.0).data == 2.0
    for args in ((1.0,), (1.0, 2.0, 3.0), ()):
        with pytest.raises(ValueError, match=rf"{name}: expected 2 argument\(s\), got {len(args)}"):
            pair(*args)


def test_define_op_refuses_a_derivative_of_the_wrong_length(
    op_name: Callable[[str], str],
) -> None:
    name = op_name("too_many")
    too_many = fm.define_op(name, math.sin, lambda x, out: (fm.cos(x), fm.cos(x)))
    with pytest.raises(ValueError, match=rf"{name}: expected the derivative to return a tuple"):
        too_many(Value(0.5))
    name = op_name("not_a_tuple")
    not_a_tuple = fm.define_op(name, math.sin, lambda x, out: fm.cos(x))
    with pytest.raises(ValueError, match=name):
        not_a_tuple(Value(0.5))


def test_define_op_refuses_a_non_finite_derivative(op_name: Callable[[str], str]) -> None:
    name = op_name("steep")
    steep = fm.define_op(name, math.sin, lambda x, out: (math.inf,))
    with pytest.raises((ArithmeticError, ValueError), match=name):
        steep(Value(0.5))


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan], ids=["inf", "-inf", "nan"])
def test_define_op_refuses_a_non_finite_result_naming_the_operands(
    op_name: Callable[[str], str], bad: float
) -> None:
    name = op_name("blows_up")
    blows_up = fm.define_op(name, lambda a, b: bad, lambda a, b, out: (1.0, 1.0))
    with pytest.raises((ArithmeticError, ValueError)) as info:
        blows_up(Value(2.5), Value(-7.25))
    message = str(info.value)
    assert name in message
    assert "2.5" in message and "-7.25" in message, message


@pytest.mark.parametrize(
    ("forward", "error"),
    [(lambda a, b: a / (b - b), ZeroDivisionError), (lambda a, b: math.log(b), ValueError)],
    ids=["ZeroDivisionError", "ValueError"],
)
def test_define_op_forward_that_raises_names_the_op_and_operands(
    op_name: Callable[[str], str], forward: Callable[..., float], error: type[Exception]
) -> None:
    name = op_name("fails")
    fails = fm.define_op(name, forward, lambda a, b, out: (1.0, 1.0))
    with pytest.raises(error) as info:
        fails(Value(2.5), Value(-7.25))
    message = str(info.value)
    assert name in message
    assert "2.5" in message and "-7.25" in message, message


# -- the numerics of section 1 for the new ops ----------------------------------------------


def test_sqrt_of_a_negative_number_raises() -> None:
    for make in (lambda: Value(-1.0).sqrt(), lambda: fm.sqrt(-1.0), lambda: fm.sqrt(-5e-324)):
        with pytest.raises(ValueError, match="sqrt") as info:
            make()
        assert "-1.0" in str(info.value) or "-5e-324" in str(info.value)


def test_sqrt_of_zero_raises_because_its_derivative_is_infinite() -> None:
    for make in (lambda: Value(0.0).sqrt(), lambda: fm.sqrt(0.0), lambda: fm.sqrt(-0.0)):
        with pytest.raises(ArithmeticError, match=r"sqrt.*0\.0"):
            make()
    with pytest.raises(ArithmeticError, match=r"pow.*0\.0"):
        Value(0.0) ** 0.5


def test_sqrt_values() -> None:
    assert [fm.sqrt(x).data for x in (4.0, 2.0, 1e-300)] == [2.0, math.sqrt(2.0), 1e-150]


@given(finite_floats)
@settings(max_examples=200, deadline=None)
def test_softplus_is_finite_for_any_finite_input(x: float) -> None:
    y = fm.softplus(x)
    assert math.isfinite(y.data)
    assert y.data >= 0.0
    assert y.data >= x  # log(1 + e^x) > x
    (d,) = y.local_grads
    assert 0.0 <= d <= 1.0
    if abs(x) < 30.0:
        assert math.isclose(y.data, math.log1p(math.exp(x)), rel_tol=1e-12)
    if x > 40.0:
        assert y.data == x


def test_logsumexp_of_large_inputs_is_finite() -> None:
    y = fm.logsumexp([1000.0, 0.0])
    assert y.data == 1000.0  # 1000 + log(1 + e^-1000), and e^-1000 is below a float's ulp
    assert y.local_grads == (1.0, 0.0)  # softmax: e^-1000 underflows to 0
    assert fm.logsumexp([1000.0, 1000.0]).data == 1000.0 + math.log(2.0)
    assert fm.logsumexp([-1000.0, -1000.0]).data == -1000.0 + math.log(2.0)
    assert fm.logsumexp([Value(3.0)]).data == 3.0


def test_logsumexp_refuses_no_values_and_non_numbers() -> None:
    with pytest.raises(ValueError, match="logsumexp"):
        fm.logsumexp([])
    with pytest.raises(TypeError, match="logsumexp"):
        fm.logsumexp([Value(1.0), "2"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="logsumexp"):
        fm.logsumexp(3.0)  # type: ignore[arg-type]


def test_sin_cos_abs_of_large_and_small_numbers() -> None:
    assert fm.sin(1e300).data == math.sin(1e300)
    assert fm.cos(-1e300).data == math.cos(-1e300)
    assert fm.abs(-1e308).data == 1e308
    assert fm.sin(5e-324).local_grads == (1.0,)


def test_power_names_its_exponent() -> None:
    assert [power(n).name for n in (2, -1, 0.5, 2.0)] == ["**2", "**-1", "**0.5", "**2.0"]
    assert fm.primitives.lookup("**0.5").forward(9.0) == 3.0
    assert (Value(2.0) ** 2.0).op == "**2.0"
