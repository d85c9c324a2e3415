"""Functions over functions: grad, value_and_grad, hessian and check_grads.

Each takes a function of Values and returns another function, as JAX's and
autograd's transforms do:

>>> df = grad(lambda x: x ** 3)  # 3 x**2
>>> df(2.0)
12.0
>>> grad(df)(2.0), grad(grad(df))(2.0)  # 6 x, then 6
(12.0, 6.0)

Given plain numbers, the functions they make return floats; given Values
(or when they run inside another transform), they return Values built from
the derivative rules, so transforms compose to any order.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from functional_micrograd import _checks
from functional_micrograd.autodiff import backward
from functional_micrograd.value import _ARGUMENT, Value, _add, _leaf

__all__ = ["GradientCheckError", "check_grads", "grad", "hessian", "value_and_grad"]


class GradientCheckError(AssertionError):
    """Reverse-mode derivatives and finite differences disagree; the message is a table."""


# While a transform runs its function, transforms called inside it return
# Values even when given numbers: the outer one may be differentiating
# through them (grad(lambda x: x * grad(lambda y: x * y)(1.0)) needs the inner
# result as a graph that still holds x).
_running = threading.local()


@contextlib.contextmanager
def _inside() -> Iterator[None]:
    _running.depth = getattr(_running, "depth", 0) + 1
    try:
        yield
    finally:
        _running.depth -= 1


def _nested() -> bool:
    return getattr(_running, "depth", 0) > 0


def _argnums(where: str, argnums: object) -> tuple[tuple[int, ...], bool]:
    """The positions to differentiate, and whether one (an int) or a tuple was asked."""
    if isinstance(argnums, int) and not isinstance(argnums, bool):
        positions, single = (argnums,), True
    elif isinstance(argnums, tuple) and argnums:
        positions, single = argnums, False
    else:
        raise TypeError(
            f"{where}: expected argnums to be an int or a non-empty tuple of ints, "
            f"got {_checks.describe(argnums)}"
        )
    for i in positions:
        _checks.integer(where, "every argnum", i, minimum=0)
    if len(set(positions)) != len(positions):
        raise ValueError(f"{where}: expected argnums without repeats, got {argnums!r}")
    return positions, single


def _inputs(where: str, args: tuple[Any, ...], positions: tuple[int, ...]) -> list[Any]:
    """The arguments, with a fresh node at each position to differentiate."""
    for i in positions:
        if i >= len(args):
            raise ValueError(
                f"{where}: argnums asks for argument {i}, but the function was given "
                f"{len(args)} positional argument(s)"
            )
    inputs = list(args)
    for i in positions:
        x = args[i]
        # A Value gets a node of its own (see value._ARGUMENT), so the gradient is
        # the partial derivative for this argument even if x is also used elsewhere.
        inputs[i] = (
            _add(x, _ARGUMENT)
            if isinstance(x, Value)
            else _leaf(_checks.number(where, f"argument {i}", x), None)
        )
    return inputs


def value_and_grad(
    f: Callable[..., Any], argnums: int | tuple[int, ...] = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """Create a function that evaluates ``f`` and its gradient.

    Args:
        f: a function of Values returning a Value (or a plain number, whose
            gradients are 0), or ``(value, aux)`` with ``has_aux=True``.
        argnums: the position of the argument to differentiate, or a tuple of them.
        has_aux: ``f`` returns a pair whose second item is passed through.

    Returns:
        A function giving ``(value, gradient)``, or ``((value, aux), gradient)``:
        the gradient is one item for an int ``argnums``, a tuple for a tuple.
        Floats for numbers; Values (differentiable again) for Values, or when
        called inside another transform.

    >>> value_and_grad(lambda x, y: x * y + y, argnums=(0, 1))(2.0, 3.0)
    (9.0, (3.0, 3.0))
    """
    if isinstance(f, Value):
        raise TypeError(
            "grad: expected a function of Values, got a Value; grad is a transform now: "
            "fm.grad(f)(x) differentiates f at x, and a gradient table is read with g[x] "
            "(g = fm.backward(loss))"
        )
    _checks.function("value_and_grad", "f", f)
    positions, single = _argnums("value_and_grad", argnums)
    if not isinstance(has_aux, bool):
        raise TypeError(f"value_and_grad: expected has_aux to be True or False, got {has_aux!r}")

    @functools.wraps(f)
    def evaluate(*args: Any, **kwargs: Any) -> Any:
        as_values = _nested() or any(isinstance(args[i], Value) for i in positions if i < len(args))
        inputs = _inputs("value_and_grad", args, positions)
        with _inside():
            result = f(*inputs, **kwargs)
        out, aux = _split("value_and_grad", result, has_aux)
        if isinstance(out, Value):
            gradients = backward(out, create_graph=as_values)
            grads = tuple(gradients[inputs[i]] for i in positions)
            value: Any = out if as_values else out.data
        else:
            value = _checks.number("value_and_grad", "the function's result", out)
            grads = tuple(_leaf(0.0, None) if as_values else 0.0 for _ in positions)
            value = _leaf(value, None) if as_values else value
        gradient = grads[0] if single else grads
        return ((value, aux), gradient) if has_aux else (value, gradient)

    return evaluate


def _split(where: str, result: Any, has_aux: bool) -> tuple[Any, Any]:
    if has_aux:
        if not (isinstance(result, tuple) and len(result) == 2):
            raise TypeError(
                f"{where}: with has_aux=True, expected the function to return a pair "
                f"(value, aux), got {_checks.describe(result)}"
            )
        result, aux = result
    else:
        aux = None
    if not (isinstance(result, Value) or _checks.is_number(result)):
        raise TypeError(
            f"{where}: expected the function to return a Value or a number, "
            f"got {_checks.describe(result)}"
        )
    return result, aux


def grad(f: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """Create a function that evaluates the gradient of ``f``.

    ``grad(f)(x)`` is d f/dx at x: a float for a number, a Value for a Value,
    so ``grad(grad(f))`` is the second derivative (any order works).

    Args:
        f: a function of Values returning a Value (or a number).
        argnums: which argument to differentiate, or a tuple of them.

    >>> grad(lambda x: x.tanh())(0.0)
    1.0
    >>> grad(grad(grad(lambda x: x ** 4)))(2.0)
    48.0
    """
    both = value_and_grad(f, argnums)

    @functools.wraps(f)
    def gradient(*args: Any, **kwargs: Any) -> Any:
        return both(*args, **kwargs)[1]

    return gradient


def hessian(f: Callable[..., Any]) -> Callable[..., tuple[tuple[float, ...], ...]]:
    """Create a function that evaluates the matrix of second derivatives of ``f``.

    The matrix is over all of ``f``'s positional arguments: entry ``[i][j]``
    is d²f/dx_i dx_j, as floats (symmetric up to rounding).

    >>> hessian(lambda x, y: x * x * y)(3.0, 2.0)
    ((4.0, 6.0), (6.0, 0.0))
    """
    _checks.function("hessian", "f", f)

    @functools.wraps(f)
    def evaluate(*args: Any) -> tuple[tuple[float, ...], ...]:
        if not args:
            raise ValueError("hessian: expected the function to be given at least one argument")
        positions = tuple(range(len(args)))
        first = value_and_grad(f, argnums=positions)
        leaves = [
            _leaf(_checks.number("hessian", f"argument {i}", x), None) for i, x in enumerate(args)
        ]
        with _inside():
            _, gradient = first(*leaves)
        rows = []
        for g in gradient:
            second = backward(g) if isinstance(g, Value) else None
            rows.append(tuple(0.0 if second is None else second[x] for x in leaves))
        return tuple(rows)

    return evaluate


def check_grads(
    f: Callable[..., Any],
    args: Sequence[float],
    order: int = 1,
    eps: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-7,
) -> None:
    """Compare reverse-mode derivatives of ``f`` with central finite differences.

    Order 1 checks every first derivative against ``(f(x + eps) - f(x - eps)) / 2 eps``;
    order 2 also checks every second derivative against central differences
    of the first. A derivative agrees when ``|analytic - numeric| <= atol + rtol * |numeric|``.

    Raises:
        GradientCheckError: some derivative disagrees; the message is a table of
            every derivative checked (argument, order, analytic, numeric, error).

    >>> check_grads(lambda x, y: (x * y).sin(), (0.5, -1.5), order=2)
    >>> import math
    >>> from functional_micrograd.value import define_op
    >>> wrong = define_op("wrong_sin", math.sin, lambda x, out: (x.sin(),))  # should be cos
    >>> check_grads(wrong, (0.5,))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    functional_micrograd.transforms.GradientCheckError: check_grads: 1 of 1 derivative(s) ...
    """
    _checks.function("check_grads", "f", f)
    xs = tuple(
        _checks.number("check_grads", f"args[{i}]", x)
        for i, x in enumerate(_checks.sequence("check_grads", "args", args))
    )
    if not xs:
        raise ValueError("check_grads: expected args to hold at least one number, got ()")
    _checks.integer("check_grads", "order", order, minimum=1, maximum=2)
    h = _checks.number("check_grads", "eps", eps, above=0.0)
    relative = _checks.number("check_grads", "rtol", rtol, at_least=0.0)
    absolute = _checks.number("check_grads", "atol", atol, at_least=0.0)
    positions = tuple(range(len(xs)))
    gradient = grad(f, argnums=positions)

    def value(*point: float) -> float:
        out = f(*(_leaf(x, None) for x in point))
        return (
            out.data if isinstance(out, Value) else _checks.number("check_grads", "f's result", out)
        )

    rows = [(str(i), 1, a, _central(value, xs, i, h)) for i, a in zip(positions, gradient(*xs))]
    if order == 2:
        second = hessian(f)(*xs)
        for i in positions:
            numeric = _central(lambda *p: gradient(*p), xs, i, h)
            rows += [(f"{i}, {j}", 2, second[i][j], numeric[j]) for j in positions]
    bad = [row for row in rows if not abs(row[2] - row[3]) <= absolute + relative * abs(row[3])]
    if bad:
        raise GradientCheckError(_table(rows, bad, h, relative, absolute))


def _central(fn: Callable[..., Any], xs: tuple[float, ...], i: int, h: float) -> Any:
    """(fn(x + h e_i) - fn(x - h e_i)) / 2h, for a number or a tuple of numbers."""
    up = fn(*(x + h if k == i else x for k, x in enumerate(xs)))
    down = fn(*(x - h if k == i else x for k, x in enumerate(xs)))
    if isinstance(up, tuple):
        return tuple((u - d) / (2 * h) for u, d in zip(up, down))
    return (up - down) / (2 * h)


def _table(rows: list[Any], bad: list[Any], h: float, rtol: float, atol: float) -> str:
    lines = [
        f"check_grads: {len(bad)} of {len(rows)} derivative(s) disagree with central "
        f"differences (eps={h!r}, rtol={rtol!r}, atol={atol!r})",
        f"  {'argument':<10} {'order':>5} {'analytic':>24} {'numeric':>24} {'error':>12}",
    ]
    for row in rows:
        argument, k, analytic, numeric = row
        mark = "  <-" if row in bad else ""
        lines.append(
            f"  {argument:<10} {k:>5} {analytic:>24.17g} {numeric:>24.17g} "
            f"{abs(analytic - numeric):>12.3g}{mark}"
        )
    return "\n".join(lines)
