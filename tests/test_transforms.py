"""Tests for functional_micrograd.transforms: grad, value_and_grad, hessian, check_grads.

Oracles: the examples of the API contract, derivatives by hand and by sympy
(hessians evaluated with mpmath at 40 digits), and central finite
differences.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import mpmath
import pytest
import sympy
from conftest import floats_between
from hypothesis import given, settings
from hypothesis import strategies as st

import functional_micrograd as fm
from functional_micrograd import Value

# -- the contract's examples, verbatim ---------------------------------------------------


def test_api_examples() -> None:
    assert fm.grad(fm.grad(fm.grad(lambda x: x**4)))(2.0) == 48.0
    assert fm.value_and_grad(lambda x, y: x * y + y, argnums=(0, 1))(2.0, 3.0) == (9.0, (3.0, 3.0))


def test_docstring_examples() -> None:
    df = fm.grad(lambda x: x**3)
    assert df(2.0) == 12.0
    assert (fm.grad(df)(2.0), fm.grad(fm.grad(df))(2.0)) == (12.0, 6.0)
    assert fm.grad(lambda x: x.tanh())(0.0) == 1.0
    assert fm.hessian(lambda x, y: x * x * y)(3.0, 2.0) == ((4.0, 6.0), (6.0, 0.0))
    assert fm.check_grads(lambda x, y: (x * y).sin(), (0.5, -1.5), order=2) is None


# -- value_and_grad --------------------------------------------------------------------


def test_value_and_grad_of_log() -> None:
    f = fm.value_and_grad(lambda x: (x * x + 1).log())
    value, dx = f(2.0)
    assert math.isclose(value, math.log(5.0))
    assert math.isclose(dx, 4.0 / 5.0)
    assert type(value) is float
    assert type(dx) is float


def test_value_and_grad_number_result_has_zero_gradients() -> None:
    assert fm.value_and_grad(lambda x, y: 3, argnums=(0, 1))(1.0, 2.0) == (3.0, (0.0, 0.0))
    value, gradient = fm.value_and_grad(lambda x: 3)(1.0)
    assert (value, gradient) == (3.0, 0.0)
    assert type(value) is float and type(gradient) is float


def test_value_and_grad_unrelated_argument_gets_zero() -> None:
    assert fm.value_and_grad(lambda x, y: x * 2, argnums=(0, 1))(1.5, 9.0) == (3.0, (2.0, 0.0))


def test_value_and_grad_rejects_non_value_result() -> None:
    with pytest.raises(TypeError, match=r"'loss' \(str\)"):
        fm.value_and_grad(lambda x: "loss")(1.0)
    with pytest.raises(TypeError, match=r"None \(NoneType\)"):
        fm.grad(lambda x: None)(1.0)
    with pytest.raises(TypeError, match=r"\[Value\(data=1.0\)\] \(list\)"):
        fm.grad(lambda x: [x])(1.0)
    with pytest.raises(TypeError, match=r"True \(bool\)"):
        fm.grad(lambda x: True)(1.0)


def test_value_and_grad_rejects_bad_arguments() -> None:
    with pytest.raises(TypeError, match=r"expected f to be a function, got 3 \(int\)"):
        fm.value_and_grad(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"'1.0' \(str\)"):
        fm.value_and_grad(lambda x: x)("1.0")
    with pytest.raises(ValueError, match="nan"):
        fm.value_and_grad(lambda x: x)(math.nan)
    with pytest.raises(ValueError, match="digits"):
        fm.value_and_grad(lambda x: x)(10**400)
    with pytest.raises(TypeError, match=r"None \(NoneType\)"):
        fm.grad(lambda x: x)(None)


def test_value_and_grad_has_aux() -> None:
    f = fm.value_and_grad(lambda x: (x * x, {"note": "kept"}), has_aux=True)
    assert f(3.0) == ((9.0, {"note": "kept"}), 6.0)
    x = Value(3.0)
    g = fm.value_and_grad(lambda a, b: (a * b, a), argnums=(0, 1), has_aux=True)
    (value, aux), (da, db) = g(2.0, 5.0)
    assert (value, da, db) == (10.0, 5.0, 2.0)
    assert isinstance(aux, Value) and aux.data == 2.0  # aux passes through untouched
    (value_v, _), grad_v = fm.value_and_grad(lambda a: (a * a, None), has_aux=True)(x)
    assert isinstance(value_v, Value) and isinstance(grad_v, Value)
    assert (value_v.data, grad_v.data) == (9.0, 6.0)


def test_value_and_grad_has_aux_refuses_a_non_pair() -> None:
    with pytest.raises(TypeError, match=r"has_aux=True.*pair.*Value\(data=9.0, op='\*'\)"):
        fm.value_and_grad(lambda x: x * x, has_aux=True)(3.0)
    with pytest.raises(TypeError, match=r"has_aux=True.*\(1, 2, 3\) \(tuple\)"):
        fm.value_and_grad(lambda x: (1, 2, 3), has_aux=True)(3.0)
    with pytest.raises(TypeError, match=r"has_aux.*'yes'"):
        fm.value_and_grad(lambda x: x, has_aux="yes")  # type: ignore[arg-type]


# -- argnums ---------------------------------------------------------------------------


def _f3(x: Any, y: Any, z: Any) -> Any:
    return x * y * y + fm.tanh(z)  # z may stay a plain number


def test_argnums_as_an_int_gives_one_gradient() -> None:
    assert fm.grad(_f3)(2.0, 3.0, 0.0) == 9.0  # y^2
    assert fm.grad(_f3, argnums=1)(2.0, 3.0, 0.0) == 12.0  # 2xy
    assert fm.grad(_f3, argnums=2)(2.0, 3.0, 0.0) == 1.0  # 1 - tanh(z)^2


def test_argnums_as_a_tuple_gives_a_tuple_in_that_order() -> None:
    assert fm.grad(_f3, argnums=(0,))(2.0, 3.0, 0.0) == (9.0,)
    assert fm.grad(_f3, argnums=(2, 0))(2.0, 3.0, 0.0) == (1.0, 9.0)
    assert fm.grad(_f3, argnums=(0, 1, 2))(2.0, 3.0, 0.0) == (9.0, 12.0, 1.0)
    value, grads = fm.value_and_grad(_f3, argnums=(1, 2))(2.0, 3.0, 0.0)
    assert (value, grads) == (18.0, (12.0, 1.0))


def test_argnums_leaves_the_other_arguments_as_given() -> None:
    seen: list[Any] = []

    def f(x: Any, label: str, scale: float) -> Any:
        seen.append((label, scale))
        return x * scale

    assert fm.grad(f)(2.0, "w", 3) == 3.0
    assert seen == [("w", 3)]


def test_keyword_arguments_pass_through() -> None:
    assert fm.grad(lambda x, scale=1.0: x * x * scale)(3.0, scale=2.0) == 12.0


@pytest.mark.parametrize(
    ("argnums", "error", "what"),
    [
        (1, ValueError, r"argument 1.*1 positional argument"),
        ((0, 3), ValueError, r"argument 3.*1 positional argument"),
        (-1, ValueError, r"-1 \(int\)"),
        ((0, -2), ValueError, r"-2 \(int\)"),
        (1.0, TypeError, r"1.0 \(float\)"),
        ("0", TypeError, r"'0' \(str\)"),
        (True, TypeError, r"True \(bool\)"),
        ((0, "1"), TypeError, r"'1' \(str\)"),
        ((0, 1.0), TypeError, r"1.0 \(float\)"),
        ((), TypeError, r"\(\) \(tuple\)"),
        ([0], TypeError, r"\[0\] \(list\)"),
        (None, TypeError, r"None \(NoneType\)"),
        ((0, 0), ValueError, r"repeats.*\(0, 0\)"),
    ],
)
def test_bad_argnums_are_refused_naming_what_came(
    argnums: Any, error: type[Exception], what: str
) -> None:
    for transform in (fm.grad, fm.value_and_grad):
        with pytest.raises(error, match=what):
            transform(lambda x: x * x, argnums=argnums)(1.0)


def test_transforms_refuse_what_cannot_be_called() -> None:
    for transform in (fm.grad, fm.value_and_grad, fm.hessian):
        with pytest.raises(TypeError, match=r"expected f to be a function, got 'f' \(str\)"):
            transform("f")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"check_grads: expected f to be a function"):
        fm.check_grads(None, (1.0,))  # type: ignore[arg-type]


# -- numbers give floats, Values give Values ---------------------------------------------


def test_numbers_in_give_floats() -> None:
    for x in (2.0, 2, -0.5):
        d = fm.grad(lambda v: v**3)(x)
        assert type(d) is float
        assert d == 3 * float(x) ** 2
    value, gradient = fm.value_and_grad(lambda v: v.exp())(0)
    assert (value, gradient) == (1.0, 1.0)
    assert type(value) is float and type(gradient) is float


def test_values_in_give_values_that_differentiate_again() -> None:
    x = Value(2.0, label="x")
    d = fm.grad(lambda v: v**3)(x)
    assert isinstance(d, Value)
    assert d.data == 12.0
    assert fm.backward(d)[x] == 12.0  # 6x
    dd = fm.backward(d, create_graph=True)[x]
    assert fm.backward(dd)[x] == 6.0
    value, gradient = fm.value_and_grad(lambda v: v * v.sin())(x)
    assert isinstance(value, Value) and isinstance(gradient, Value)
    assert value.data == 2.0 * math.sin(2.0)
    assert math.isclose(gradient.data, math.sin(2.0) + 2.0 * math.cos(2.0), rel_tol=1e-15)
    # the second derivative through the returned gradient: 2 cos x - x sin x
    expected = 2 * math.cos(2.0) - 2.0 * math.sin(2.0)
    assert math.isclose(fm.backward(gradient)[x], expected, rel_tol=1e-12)
    assert x.label == "x" and x.op == ""  # the argument is untouched


def test_values_in_a_number_result_give_zero_values() -> None:
    x = Value(2.0)
    value, gradient = fm.value_and_grad(lambda v: 5.0)(x)
    assert isinstance(value, Value) and isinstance(gradient, Value)
    assert (value.data, gradient.data) == (5.0, 0.0)
    unrelated = fm.grad(lambda a, b: a * 2.0, argnums=1)(x, Value(3.0))
    assert isinstance(unrelated, Value) and unrelated.data == 0.0


# -- nesting -------------------------------------------------------------------------------


def test_nested_grad_closing_over_an_outer_variable() -> None:
    assert fm.grad(lambda x: x * fm.grad(lambda y: x * y)(1.0))(3.0) == 6.0


def test_nested_value_and_grad_inside_grad() -> None:
    # inner: d/dy (x y^2) = 2 x y, taken at y = x: 2 x^2; outer: d/dx 2 x^2 = 4x
    def inner_gradient(x: Any) -> Any:
        return fm.value_and_grad(lambda y: x * y * y)(x)[1]

    assert fm.grad(inner_gradient)(2.0) == 8.0
    assert fm.grad(fm.grad(inner_gradient))(2.0) == 4.0


def test_nested_grad_of_a_function_of_two_variables() -> None:
    # f = x^2 y^3: d/dy = 3 x^2 y^2, then d/dx = 6 x y^2
    def f(x: Any, y: Any) -> Any:
        return x**2 * y**3

    mixed = fm.grad(fm.grad(f, argnums=1), argnums=0)
    assert mixed(2.0, 3.0) == 108.0
    assert fm.grad(fm.grad(f, argnums=0), argnums=1)(2.0, 3.0) == 108.0


def test_the_same_value_passed_twice() -> None:
    v = Value(3.0)
    da, db = fm.grad(lambda a, b: a * b * b, argnums=(0, 1))(v, v)
    assert (da.data, db.data) == (9.0, 18.0)  # b^2 and 2ab: partial derivatives, not total
    assert fm.backward(da)[v] == 6.0  # d(v^2)/dv
    assert fm.backward(db)[v] == 12.0  # d(2 v^2)/dv
    assert fm.grad(lambda a, b: a * b * b)(v, v).data == 9.0
    assert fm.grad(lambda a, b: a * b * b, argnums=(0, 1))(3.0, 3.0) == (9.0, 18.0)
    assert fm.grad(lambda a: a * a * a)(v).data == 27.0  # the total derivative 3 v^2


def test_deep_nesting() -> None:
    f = lambda x: x.sin()  # noqa: E731
    expected = [math.cos, lambda x: -math.sin(x), lambda x: -math.cos(x), math.sin, math.cos]
    for k in range(5):
        f = fm.grad(f)
        assert math.isclose(f(0.7), expected[k](0.7), rel_tol=1e-12)


# -- hessian ------------------------------------------------------------------------------

X, Y, Z = sympy.symbols("x y z", real=True)

HESSIAN_CASES = [
    (
        "x^2 y",
        lambda x, y: x * x * y,
        X**2 * Y,
    ),
    (
        "sin(xy) + exp(x - y)",
        lambda x, y: (x * y).sin() + (x - y).exp(),
        sympy.sin(X * Y) + sympy.exp(X - Y),
    ),
    (
        "softplus(x - 2y) cos(y) / (x^2 + 1)",
        lambda x, y: (x - 2 * y).softplus() * y.cos() / (x * x + 1),
        sympy.log(1 + sympy.exp(X - 2 * Y)) * sympy.cos(Y) / (X**2 + 1),
    ),
    (
        "z log(x^2 + y^2 + 1) + tanh(xz) / (y^2 + 1)",
        lambda x, y, z: z * (x * x + y * y + 1).log() + (x * z).tanh() / (y * y + 1),
        Z * sympy.log(X**2 + Y**2 + 1) + sympy.tanh(X * Z) / (Y**2 + 1),
    ),
    (
        "logsumexp(xy, yz, z) + sqrt(x^2 + 2) sigmoid(y) - z^3",
        lambda x, y, z: fm.logsumexp([x * y, y * z, z]) + (x * x + 2).sqrt() * y.sigmoid() - z**3,
        sympy.log(sympy.exp(X * Y) + sympy.exp(Y * Z) + sympy.exp(Z))
        + sympy.sqrt(X**2 + 2) / (1 + sympy.exp(-Y))
        - Z**3,
    ),
    (
        "x y z",
        lambda x, y, z: x * y * z,
        X * Y * Z,
    ),
]


@functools.cache
def _sympy_hessian_function(expr: Any) -> Callable[..., Any]:
    symbols = (X, Y, Z)[: len(expr.free_symbols)]
    return sympy.lambdify(symbols, sympy.hessian(expr, symbols), modules="mpmath")


def _sympy_hessian(expr: Any, xs: tuple[float, ...]) -> list[list[float]]:
    fn = _sympy_hessian_function(expr)
    with mpmath.workdps(40):
        values = fn(*map(mpmath.mpf, xs))
        return [[float(values[i, j]) for j in range(len(xs))] for i in range(len(xs))]


@pytest.mark.parametrize(
    ("f", "expr"), [c[1:] for c in HESSIAN_CASES], ids=[c[0] for c in HESSIAN_CASES]
)
@given(data=st.data())
@settings(max_examples=10, deadline=None)
def test_hessian_is_symmetric_and_equals_sympys(
    f: Callable[..., Any], expr: Any, data: st.DataObject
) -> None:
    n = len(expr.free_symbols)
    xs = data.draw(st.tuples(*[floats_between(-1.5, 1.5)] * n), label="point")
    h = fm.hessian(f)(*xs)
    assert isinstance(h, tuple) and len(h) == n
    assert all(isinstance(row, tuple) and len(row) == n for row in h)
    assert all(type(entry) is float for row in h for entry in row)
    truth = _sympy_hessian(expr, xs)
    for i in range(n):
        for j in range(n):
            assert math.isclose(h[i][j], h[j][i], rel_tol=1e-12, abs_tol=1e-14), (i, j)
            assert math.isclose(h[i][j], truth[i][j], rel_tol=1e-9, abs_tol=1e-12), (i, j)


def test_hessian_of_one_variable_and_of_constants() -> None:
    assert fm.hessian(lambda x: x**3)(2.0) == ((12.0,),)
    assert fm.hessian(lambda x, y: 3.0)(1.0, 2.0) == ((0.0, 0.0), (0.0, 0.0))
    assert fm.hessian(lambda x, y: x + 2 * y)(1.0, 2.0) == ((0.0, 0.0), (0.0, 0.0))
    assert fm.hessian(lambda x, y: x * x)(1.0, 2.0) == ((2.0, 0.0), (0.0, 0.0))


def test_hessian_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="at least one argument"):
        fm.hessian(lambda: Value(1.0))()
    with pytest.raises(TypeError, match=r"'a' \(str\)"):
        fm.hessian(lambda x: x * x)("a")
    with pytest.raises(TypeError, match=r"'loss' \(str\)"):
        fm.hessian(lambda x: "loss")(1.0)


# -- check_grads ---------------------------------------------------------------------------


def test_check_grads_passes_on_smooth_functions() -> None:
    for f, xs in [(c[1], (0.3, -0.7, 1.1)[: len(c[2].free_symbols)]) for c in HESSIAN_CASES]:
        assert fm.check_grads(f, xs) is None
        assert fm.check_grads(f, xs, order=2) is None


def test_check_grads_fails_at_relus_kink() -> None:
    # backward takes relu'(0) = 0; central differences see (h - 0) / 2h = 0.5
    with pytest.raises(fm.GradientCheckError) as info:
        fm.check_grads(fm.relu, (0.0,))
    message = str(info.value)
    assert message.startswith("check_grads: 1 of 1 derivative(s) disagree")
    assert "argument" in message and "analytic" in message and "numeric" in message
    assert isinstance(info.value, AssertionError)


def test_check_grads_tolerances_decide() -> None:
    # a loose tolerance lets the kink through
    assert fm.check_grads(fm.relu, (0.0,), atol=0.6) is None


@pytest.mark.parametrize(
    ("kwargs", "error", "what"),
    [
        ({"args": ()}, ValueError, "at least one number"),
        ({"args": 1.0}, TypeError, r"1.0 \(float\)"),
        ({"args": ("a",)}, TypeError, r"'a' \(str\)"),
        ({"args": (math.inf,)}, ValueError, "inf"),
        ({"order": 3}, ValueError, r"order.*3 \(int\)"),
        ({"order": 1.0}, TypeError, r"order.*1.0 \(float\)"),
        ({"eps": 0.0}, ValueError, r"eps.*0.0"),
        ({"eps": -1e-6}, ValueError, r"eps"),
        ({"rtol": -1.0}, ValueError, r"rtol"),
        ({"atol": "0"}, TypeError, r"atol.*'0' \(str\)"),
    ],
)
def test_check_grads_refuses_bad_settings(
    kwargs: dict[str, Any], error: type[Exception], what: str
) -> None:
    call = {"args": (1.0,), **kwargs}
    with pytest.raises(error, match=what):
        fm.check_grads(lambda x: x * x, **call)
