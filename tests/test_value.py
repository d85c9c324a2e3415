"""Tests for functional_micrograd.value: the Value record and its ops."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import pytest
import toolz
from conftest import any_finite_float
from hypothesis import given, settings
from hypothesis import strategies as st
from pyrsistent import PClass

import functional_micrograd as fm
from functional_micrograd import Value

any_finite = any_finite_float

FIELDS = ("data", "op", "label", "id", "inputs", "local_grads")
BAD_OPERANDS: list[object] = ["a", None, [1.0], True, False, {"x": 1}, (2.0,), b"1"]


def _message(excinfo: pytest.ExceptionInfo[BaseException]) -> str:
    return str(excinfo.value)


def _names_what_was_given(message: str, bad: object) -> bool:
    return repr(bad) in message and type(bad).__name__ in message


# -- leaves ---------------------------------------------------------------------


def test_value_leaf_holds_float_and_label() -> None:
    w = Value(-3, label="w1")
    assert w.data == -3.0
    assert type(w.data) is float
    assert w.label == "w1"
    assert w.op == ""
    assert w.parents == ()


def test_value_leaf_label_defaults_to_none() -> None:
    assert Value(2.0).label is None


def test_value_is_a_pyrsistent_pclass() -> None:
    assert isinstance(Value(1.0), PClass)
    assert isinstance(Value(1.0) * 2, PClass)


def test_value_ids_are_unique_ints() -> None:
    a = Value(1.0)
    b = Value(1.0)
    c = a + b
    ids = [a.id, b.id, c.id]
    assert all(type(i) is int for i in ids)
    assert len(set(ids)) == 3


@given(st.integers(min_value=-(2**53), max_value=2**53))
@settings(max_examples=30, deadline=None)
def test_value_ints_become_floats(n: int) -> None:
    for v in (Value(n), Value(1.0) + n, n * Value(1.0), fm.sub(n)(Value(0.0))):
        assert type(v.data) is float
    assert Value(n).data == float(n)


# -- op names and edges ------------------------------------------------------------


def test_value_op_names() -> None:
    x = Value(4.0)
    y = Value(2.0)
    assert (x + y).op == "+"
    assert (x - y).op == "-"
    assert (x * y).op == "*"
    assert (x / y).op == "/"
    assert (x**2).op == "**2"
    assert (x**0.5).op == "**0.5"
    assert (x**-1).op == "**-1"
    assert (x**3.0).op == "**3.0"
    assert x.relu().op == "relu"
    assert x.tanh().op == "tanh"
    assert x.exp().op == "exp"
    assert x.log().op == "log"
    assert x.sigmoid().op == "sigmoid"
    assert isinstance((-x).op, str)
    assert (-x).op != ""


def test_value_parents_are_edges_with_local_grads() -> None:
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = a * b
    assert len(c.parents) == 2
    (ea, eb) = c.parents
    assert isinstance(ea, fm.Edge)
    assert ea.parent is a
    assert ea.local_grad == -3.0  # d(a*b)/da = b
    assert eb.parent is b
    assert eb.local_grad == 2.0
    assert type(ea.local_grad) is float


def test_value_parents_of_square_has_two_edges() -> None:
    x = Value(3.0)
    y = x * x
    assert [(e.parent, e.local_grad) for e in y.parents] == [(x, 3.0), (x, 3.0)]


def test_value_parents_number_operand_becomes_leaf() -> None:
    x = Value(5.0)
    y = 2 * x
    (left, right) = y.parents
    assert left.parent.data == 2.0
    assert left.parent.op == ""
    assert left.local_grad == 5.0
    assert right.parent is x
    assert right.local_grad == 2.0


def test_value_parents_of_unary_ops() -> None:
    x = Value(0.5)
    for y in (x.relu(), x.tanh(), x.exp(), x.log(), x.sigmoid(), -x, x**2):
        assert len(y.parents) == 1
        assert y.parents[0].parent is x


# -- identity ----------------------------------------------------------------------


def test_value_equal_only_to_itself() -> None:
    a = Value(1.0)
    b = Value(1.0)
    assert a == a
    assert a != b
    assert (a == b) is False
    assert a != 1.0
    assert (a + 0) != a


def test_value_hash_uses_id() -> None:
    a = Value(1.0)
    b = Value(1.0)
    assert hash(a) == hash(a.id)
    assert len({a, a, b}) == 2
    assert {a: "a", b: "b"}[a] == "a"


def test_value_equality_never_walks_the_graph() -> None:
    # Two structurally identical deep graphs: a structural == would recurse
    # through thousands of levels; comparing ids does not.
    def chain() -> Value:
        v = Value(1.0)
        for _ in range(5000):
            v = v * 1.0
        return v

    p, q = chain(), chain()
    assert p != q
    assert p == p
    assert hash(p) != hash(q)


# -- immutability -------------------------------------------------------------------


@pytest.mark.parametrize("name", [*FIELDS, "grad", "parents", "anything"])
def test_value_setting_any_attribute_raises(name: str) -> None:
    v = Value(2.0) * 3
    before = (v.data, v.op, v.label, v.id)
    with pytest.raises(AttributeError):
        setattr(v, name, 1.0)
    assert (v.data, v.op, v.label, v.id) == before


@pytest.mark.parametrize("name", [*FIELDS, "anything"])
def test_value_deleting_any_attribute_raises(name: str) -> None:
    v = Value(2.0, label="v")
    with pytest.raises(AttributeError):
        delattr(v, name)
    assert v.data == 2.0
    assert v.label == "v"


def test_value_set_label_relabels_and_keeps_id() -> None:
    x = Value(2.0)
    e = x * 3
    named = e.set(label="e")
    assert named.label == "e"
    assert e.label is None  # the original is unchanged
    assert named is not e
    assert named.id == e.id
    assert named == e
    assert (named.data, named.op, named.parents) == (e.data, e.op, e.parents)


@pytest.mark.parametrize("name", ["data", "op", "id", "inputs", "local_grads"])
def test_value_set_other_fields_raises_type_error(name: str) -> None:
    v = Value(2.0)
    with pytest.raises(TypeError, match="label"):
        v.set(**{name: 1.0})
    with pytest.raises(TypeError):
        v.set(name, 1.0)
    assert v.data == 2.0


def test_value_set_rejects_non_str_label() -> None:
    with pytest.raises(TypeError, match="int"):
        Value(1.0).set(label=3)


# -- repr ------------------------------------------------------------------------


def test_value_repr_reads_like_micrograd() -> None:
    assert repr(Value(2.0) * 1) == "Value(data=2.0, op='*')"
    assert repr(Value(2.0)) == "Value(data=2.0)"
    assert repr(Value(3, label="x")) == "Value(data=3.0, label='x')"


# -- operators with numbers on either side --------------------------------------------


def test_value_operators_with_numbers_on_either_side() -> None:
    x = Value(4.0)
    assert (x + 1).data == 5.0
    assert (1 + x).data == 5.0
    assert (x - 1).data == 3.0
    assert (1 - x).data == -3.0
    assert (x * 2).data == 8.0
    assert (2 * x).data == 8.0
    assert (x / 2).data == 2.0
    assert (10.0 / x).data == 2.5
    assert (x**0.5).data == 2.0
    assert (-x).data == -4.0


def test_value_unary_methods() -> None:
    assert Value(-2.0).relu().data == 0.0
    assert Value(2.0).relu().data == 2.0
    assert Value(0.5).tanh().data == math.tanh(0.5)
    assert Value(1.0).exp().data == math.e
    assert Value(math.e).log().data == 1.0
    assert Value(0.0).sigmoid().data == 0.5


def test_value_relu_at_zero_is_zero_with_zero_derivative() -> None:
    for zero in (0.0, -0.0):
        y = Value(zero).relu()
        assert y.data == 0.0
        assert y.parents[0].local_grad == 0.0


# -- curried functions ---------------------------------------------------------------


def test_sub_curried_binds_left_operand() -> None:
    a = Value(5.0)
    b = Value(2.0)
    y = fm.sub(a)(b)
    assert y.data == 3.0
    assert y.op == "-"
    assert [e.parent for e in y.parents] == [a, b]
    assert fm.sub(a, b).data == 3.0


def test_div_curried_binds_left_operand() -> None:
    assert fm.div(10.0)(Value(4.0)).data == 2.5
    assert fm.div(Value(10.0), 4).data == 2.5


def test_add_mul_pow_curried() -> None:
    x = Value(3.0)
    assert fm.add(1.0)(x).data == 4.0
    assert fm.add(x, x).data == 6.0
    assert fm.mul(2)(x).data == 6.0
    assert fm.pow(x)(2).data == 9.0
    assert fm.pow(x, 2).op == "**2"


def test_mul_curried_in_toolz_pipe() -> None:
    assert toolz.pipe(Value(-1.5), fm.mul(2.0), fm.relu).data == 0.0
    y = toolz.pipe(Value(1.5), fm.mul(2.0), fm.relu)
    assert y.data == 3.0
    assert y.op == "relu"


def test_unary_functions_accept_numbers_and_values() -> None:
    assert fm.neg(2).data == -2.0
    assert fm.relu(Value(-1.0)).data == 0.0
    assert fm.tanh(0).data == 0.0
    assert fm.exp(0).data == 1.0
    assert fm.log(1).data == 0.0
    assert fm.sigmoid(Value(0.0)).data == 0.5


def test_sum_values_adds_left_to_right() -> None:
    a, b = Value(1.0), Value(2.0)
    total = fm.sum_values([a, b, 3])
    assert total.data == 6.0
    assert total.op == "+"
    assert total.parents[1].parent.data == 3.0
    assert total.parents[0].parent.parents[0].parent is a


def test_sum_values_empty_gives_zero_leaf() -> None:
    zero = fm.sum_values([])
    assert zero.data == 0.0
    assert zero.op == ""


def test_sum_values_start_and_generators() -> None:
    xs = [Value(float(i)) for i in range(4)]
    assert fm.sum_values((x for x in xs), start=10).data == 16.0
    start = Value(0.5)
    total = fm.sum_values(xs, start=start)
    assert total.data == 6.5
    assert fm.sum_values([xs[0]]) is xs[0]


def test_sum_values_rejects_non_iterables() -> None:
    with pytest.raises(TypeError, match="sum_values"):
        fm.sum_values(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="sum_values"):
        fm.sum_values("abc")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="str"):
        fm.sum_values([Value(1.0), "x"])  # type: ignore[list-item]


# -- numerics: a Value always holds a finite float --------------------------------------


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, 10**400])
def test_value_non_finite_leaf_raises_value_error(bad: float) -> None:
    with pytest.raises(ValueError, match="finite"):
        Value(bad)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_value_non_finite_operand_raises_value_error(bad: float) -> None:
    x = Value(1.0)
    for make in (
        lambda: x + bad,
        lambda: bad - x,
        lambda: x * bad,
        lambda: bad / x,
        lambda: x**bad,
        lambda: fm.add(bad)(x),
        lambda: fm.exp(bad),
    ):
        with pytest.raises(ValueError):
            make()


@pytest.mark.parametrize(
    ("make", "op", "operand"),
    [
        (lambda: Value(0.0).log(), "log", "0.0"),
        (lambda: Value(-1.0).log(), "log", "-1.0"),
        (lambda: fm.log(-0.0), "log", "-0.0"),
        (lambda: Value(1.0) / 0, "div", "0.0"),
        (lambda: Value(1.0) / Value(-0.0), "div", "-0.0"),
        (lambda: 3 / Value(0.0), "div", "3.0"),
        (lambda: fm.div(Value(2.0), 0.0), "div", "2.0"),
        (lambda: Value(0.0) ** -1, "pow", "-1"),
        (lambda: Value(0) ** -2.5, "pow", "-2.5"),
        (lambda: Value(1000.0).exp(), "exp", "1000.0"),
        (lambda: fm.exp(710), "exp", "710.0"),
        (lambda: Value(1e308) * 10, "mul", "1e+308"),
        (lambda: 10 * Value(1e308), "mul", "1e+308"),
        (lambda: Value(1e308) + 1e308, "add", "1e+308"),
        (lambda: Value(-1e308) - Value(1e308), "sub", "1e+308"),
        (lambda: Value(1e200) ** 2, "pow", "1e+200"),
        (lambda: Value(-8.0) ** 0.5, "pow", "-8.0"),
        (lambda: fm.pow(-8.0, 1 / 3), "pow", "-8.0"),
    ],
)
def test_value_undefined_or_overflowing_op_raises(
    make: Callable[[], Value], op: str, operand: str
) -> None:
    with pytest.raises((ArithmeticError, ValueError)) as excinfo:
        make()
    message = _message(excinfo)
    assert message.startswith(f"{op}:")
    assert operand in message


def test_value_tanh_and_sigmoid_stay_finite() -> None:
    assert Value(1000.0).tanh().data == 1.0
    assert Value(-1000.0).tanh().data == -1.0
    assert Value(-1000.0).sigmoid().data == 0.0
    assert Value(1000.0).sigmoid().data == 1.0
    assert Value(-1e308).sigmoid().data == 0.0
    for y in (Value(1e308).tanh(), Value(-1000.0).sigmoid(), Value(800.0).sigmoid()):
        assert math.isfinite(y.parents[0].local_grad)


UNARY: list[tuple[str, Callable[[float], Value]]] = [
    ("neg", lambda a: -Value(a)),
    ("neg", fm.neg),
    ("relu", lambda a: Value(a).relu()),
    ("relu", fm.relu),
    ("tanh", lambda a: Value(a).tanh()),
    ("tanh", fm.tanh),
    ("exp", lambda a: Value(a).exp()),
    ("exp", fm.exp),
    ("log", lambda a: Value(a).log()),
    ("log", fm.log),
    ("sigmoid", lambda a: Value(a).sigmoid()),
    ("sigmoid", fm.sigmoid),
]


def _binary_forms(
    name: str, op: Callable[[Any, Any], Value], curried: Callable[..., Value]
) -> list[tuple[str, Callable[[float, float], Value]]]:
    return [
        (name, lambda a, b: op(Value(a), Value(b))),
        (name, lambda a, b: op(Value(a), b)),
        (name, lambda a, b: op(a, Value(b))),
        (name, lambda a, b: curried(a)(b)),
        (name, lambda a, b: curried(Value(a), Value(b))),
    ]


BINARY: list[tuple[str, Callable[[float, float], Value]]] = [
    *_binary_forms("add", lambda a, b: a + b, fm.add),
    *_binary_forms("sub", lambda a, b: a - b, fm.sub),
    *_binary_forms("mul", lambda a, b: a * b, fm.mul),
    *_binary_forms("div", lambda a, b: a / b, fm.div),
    ("pow", lambda a, b: Value(a) ** b),
    ("pow", lambda a, b: fm.pow(a)(b)),
]


def _assert_reported_number_not_finite(message: str) -> None:
    # "... gives <x>, which is not a finite float" must name a number that is not.
    reported = re.search(r"gives (\S+), which is not a finite float", message)
    if reported:
        assert not math.isfinite(float(reported.group(1))), message


def test_value_derivative_overflow_reports_the_non_finite_number() -> None:
    for make, op in [
        (lambda: Value(0.0) / 5e-324, "div"),  # the result is 0.0; d/db = -0.0 / b is not
        (lambda: Value(1.0) / Value(1e-200), "div"),  # d/db = -1 / b**2
        (lambda: Value(0.5) ** -1022, "pow"),  # 2**1022 fits; 1022 * 2**1023 does not
    ]:
        with pytest.raises(OverflowError) as excinfo:
            make()
        message = _message(excinfo)
        assert message.startswith(f"{op}: the derivative of")
        _assert_reported_number_not_finite(message)
        assert "inf" in message


def _assert_finite_or_refused(name: str, make: Callable[[], Value]) -> None:
    try:
        y = make()
    except (ArithmeticError, ValueError) as error:
        assert str(error).startswith(f"{name}:"), error
        _assert_reported_number_not_finite(str(error))
        return
    assert isinstance(y, Value)
    assert type(y.data) is float
    assert math.isfinite(y.data), y
    assert all(math.isfinite(e.local_grad) for e in y.parents), y.parents
    g = fm.backward(y)
    assert all(math.isfinite(d) for d in g.to_map().values())


@given(st.sampled_from(UNARY), any_finite)
@settings(max_examples=200, deadline=None)
def test_unary_ops_give_finite_value_or_raise(op: tuple[str, Any], a: float) -> None:
    name, make = op
    _assert_finite_or_refused(name, lambda: make(a))


@given(st.sampled_from(BINARY), any_finite, any_finite)
@settings(max_examples=400, deadline=None)
def test_binary_ops_give_finite_value_or_raise(op: tuple[str, Any], a: float, b: float) -> None:
    name, make = op
    _assert_finite_or_refused(name, lambda: make(a, b))


exponents = (
    st.integers(min_value=-1100, max_value=1100)
    | st.sampled_from([0.5, -0.5, 1.5, 1 / 3, 2.0, -1.0, 1e-320, 1e308, -1e308, 0.0, -0.0])
    | any_finite
)


@given(any_finite, exponents)
@settings(max_examples=300, deadline=None)
def test_pow_gives_finite_value_or_raises(a: float, n: float) -> None:
    _assert_finite_or_refused("pow", lambda: Value(a) ** n)


def test_pow_negative_base_with_integer_exponent() -> None:
    assert (Value(-2.0) ** 3).data == -8.0
    assert (Value(-2.0) ** 2.0).data == 4.0
    y = Value(-2.0) ** -1
    assert y.data == -0.5
    assert y.parents[0].local_grad == -0.25  # d(x**-1)/dx = -x**-2


# -- bad input ------------------------------------------------------------------------


@pytest.mark.parametrize("bad", BAD_OPERANDS)
def test_value_non_number_leaf_raises_type_error(bad: object) -> None:
    with pytest.raises(TypeError) as excinfo:
        Value(bad)  # type: ignore[arg-type]
    assert _names_what_was_given(_message(excinfo), bad)


@pytest.mark.parametrize("bad", BAD_OPERANDS)
def test_value_non_number_operand_raises_type_error(bad: Any) -> None:
    x = Value(1.0)
    makers: list[Callable[[], object]] = [
        lambda: x + bad,
        lambda: bad + x,
        lambda: x - bad,
        lambda: bad - x,
        lambda: x * bad,
        lambda: bad * x,
        lambda: x / bad,
        lambda: bad / x,
        lambda: fm.add(x, bad),
        lambda: fm.sub(bad)(x),
        lambda: fm.mul(bad, x),
        lambda: fm.div(x)(bad),
        lambda: fm.pow(bad, 2),
        lambda: fm.neg(bad),
        lambda: fm.relu(bad),
        lambda: fm.tanh(bad),
        lambda: fm.exp(bad),
        lambda: fm.log(bad),
        lambda: fm.sigmoid(bad),
    ]
    for make in makers:
        with pytest.raises(TypeError) as excinfo:
            make()
        assert _names_what_was_given(_message(excinfo), bad), _message(excinfo)


@pytest.mark.parametrize("bad", BAD_OPERANDS)
def test_value_non_number_exponent_raises_type_error(bad: Any) -> None:
    x = Value(2.0)
    with pytest.raises(TypeError) as excinfo:
        x**bad
    assert _names_what_was_given(_message(excinfo), bad)
    with pytest.raises(TypeError, match="pow"):
        bad**x


def test_value_value_exponent_raises_type_error() -> None:
    x = Value(2.0)
    y = Value(3.0)
    with pytest.raises(TypeError, match="exponent"):
        x**y  # type: ignore[operator]
    with pytest.raises(TypeError, match="exponent"):
        2**x  # type: ignore[operator]
    with pytest.raises(TypeError, match="exponent"):
        fm.pow(x, y)


@pytest.mark.parametrize("bad", [3, 1.5, ["x"], b"x"])
def test_value_non_str_label_raises_type_error(bad: object) -> None:
    with pytest.raises(TypeError) as excinfo:
        Value(1.0, label=bad)  # type: ignore[arg-type]
    assert _names_what_was_given(_message(excinfo), bad)
