"""Shared hypothesis strategies, fixtures and test set-up for the suite.

Test modules import the strategies by name (``from conftest import ...``);
pytest puts this folder on ``sys.path``. Each block below belongs to one
group of tests; add a new block rather than changing another's.

The suite runs on all cores (pytest-xdist: ``-n auto --dist loadgroup`` in
pyproject.toml's addopts). Tests that share a module-scoped fixture (a trained
demo, the running doc blocks, the built sdist) go to one worker as a group, so
that each such fixture is made once rather than once per worker.
"""

from __future__ import annotations

import math
import signal
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import strategies as st

import functional_micrograd as fm

# -- the engine: points, op names and random expressions over every primitive --------
# Used by test_primitives.py, test_transforms.py, test_jit.py, test_value.py, test_nn.py,
# test_autodiff.py, test_purity.py and test_rng.py.


def floats_between(low: float, high: float) -> st.SearchStrategy[float]:
    """Finite floats in [low, high]."""
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


def away_from_zero(limit: float = 3.0, gap: float = 0.1) -> st.SearchStrategy[float]:
    """Floats with gap <= |x| <= limit: away from a kink, a pole or a domain edge at 0."""
    return floats_between(gap, limit) | floats_between(-limit, -gap)


finite_floats = st.floats(allow_nan=False, allow_infinity=False)
"""Any finite float, from -1.8e308 to 1.8e308, subnormals and -0.0 included."""

EDGE_FLOATS = (
    0.0, -0.0, 5e-324, -5e-324, 2.2e-308, 2.2250738585072014e-308, 1e-300, 1.0, -1.0, 0.5,
    -8.0, 709.8, 710.0, -745.2, 1e154, 1e200, 1e308, -1e308, 1.7976931348623157e308,
)  # fmt: skip
"""The awkward finite floats: zeros, subnormals, the largest floats, the edges of exp's range."""

edge_floats = st.sampled_from(EDGE_FLOATS)
"""One of EDGE_FLOATS."""

any_finite_float = finite_floats | edge_floats
"""Any finite float, with the awkward ones (EDGE_FLOATS) drawn often."""


@pytest.fixture
def op_name() -> Callable[[str], str]:
    """A maker of fresh op names: ``op_name("my_sin")`` is new on every call.

    The table of primitives is process-wide, so every op a test defines needs
    a name no other test (or run of the same test) has used.
    """

    def fresh(stem: str) -> str:
        return f"{stem}_{uuid.uuid4().hex[:12]}"

    return fresh


@dataclass(frozen=True)
class ExprStep:
    """One node of a random expression: a primitive applied to earlier nodes."""

    op: str  # a key of PRIMITIVES, or "**" with `exponent`
    args: tuple[int, ...]  # indices of earlier nodes (the inputs first)
    constant: float | None = None  # a plain number as the second operand of a binary op
    exponent: int | float = 2


@dataclass(frozen=True)
class Expression:
    """A random function of ``arity`` Values, built from the primitives of the table."""

    arity: int
    steps: tuple[ExprStep, ...]

    def __call__(self, *xs: Any) -> Any:
        """The expression of the inputs (Values): the sum of every node it makes."""
        nodes = list(xs)
        for step in self.steps:
            nodes.append(_apply_step(step, [nodes[i] for i in step.args]))
        return fm.sum_values(nodes[self.arity :] or nodes)

    def ops(self) -> frozenset[str]:
        """The primitives this expression uses."""
        return frozenset(s.op for s in self.steps) | {"+"}


_UNARY = (
    "neg", "relu", "step", "tanh", "exp", "log", "sigmoid", "sin", "cos", "sqrt", "abs",
    "softplus",
)  # fmt: skip
_BINARY = ("+", "-", "*", "/")
_EXPONENTS = (0, 1, 2, 3, -1, -2, 0.5, 1.5, -0.5)
EXPRESSION_OPS = (*_UNARY, *_BINARY, "logsumexp", "**")
"""Every built-in primitive an Expression can draw."""


def _apply_step(step: ExprStep, operands: Sequence[Any]) -> Any:
    if step.op in _BINARY:
        a = operands[0]
        b = operands[1] if step.constant is None else step.constant
        return {"+": fm.add, "-": fm.sub, "*": fm.mul, "/": fm.div}[step.op](a, b)
    if step.op == "logsumexp":
        return fm.logsumexp(operands)
    if step.op == "**":
        return operands[0] ** step.exponent
    function: Callable[[Any], Any] = getattr(fm, step.op)
    return function(operands[0])


def _forward(step: ExprStep, xs: Sequence[float]) -> float | None:
    """The step on floats, with the table's forward; None where it fails or is not finite."""
    rule = fm.primitives.PRIMITIVES[step.op]
    operands = list(xs)
    if step.op in _BINARY and step.constant is not None:
        operands = [xs[0], step.constant]
    try:
        out = (
            fm.primitives.power(step.exponent).forward(*operands)
            if step.op == "**"
            else rule.forward(*operands)
        )
    except (ArithmeticError, ValueError):
        return None
    return out if math.isfinite(out) else None


@st.composite
def expressions(
    draw: st.DrawFn,
    ops: Sequence[str] = EXPRESSION_OPS,
    arity: int | None = None,
    max_steps: int = 8,
    limit: float = 50.0,
) -> tuple[Expression, tuple[float, ...]]:
    """A random Expression over ``ops`` and a point where every node is defined.

    Every node's value at the point stays within [-limit, limit], and every
    op's input stays at least 1e-3 from a kink (relu, step, abs at 0), a pole
    or a domain edge, so eager evaluation at the point succeeds.
    """
    n = draw(st.integers(1, 3)) if arity is None else arity
    point = tuple(draw(st.lists(floats_between(-2.0, 2.0), min_size=n, max_size=n)))
    values = list(point)
    steps: list[ExprStep] = []
    for _ in range(draw(st.integers(1, max_steps))):
        op = draw(st.sampled_from(list(ops)))
        count = draw(st.integers(1, 3)) if op == "logsumexp" else 2 if op in _BINARY else 1
        args = tuple(draw(st.integers(0, len(values) - 1)) for _ in range(count))
        if op in _BINARY and draw(st.booleans()):
            step = ExprStep(op, args[:1], constant=draw(st.sampled_from([-2.0, -0.5, 1.5, 3.0])))
        else:
            step = ExprStep(op, args, exponent=draw(st.sampled_from(_EXPONENTS)))
        xs = [values[i] for i in step.args]
        near_zero = min(abs(x) for x in xs) < 1e-3
        near_pole = (op == "**" or (op == "/" and step.constant is None)) and abs(xs[-1]) < 0.2
        out = _forward(step, xs)
        if near_zero or near_pole or out is None or abs(out) > limit:
            continue
        steps.append(step)
        values.append(out)
    return Expression(n, tuple(steps)), point


# -- bounding a test's time (test_hardening, test_parameters, test_serialize) ------


@contextmanager
def time_bound(seconds: float) -> Iterator[None]:
    """Turn a hang into a failure: TimeoutError after ``seconds`` of this process's CPU time.

    CPU time, not the clock, so that other work on a shared machine cannot make
    a test fail (POSIX, main thread).
    """
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield  # the callers also check the time taken afterwards
        return

    def expire(signum: int, frame: Any) -> None:
        raise TimeoutError(f"still running after {seconds} s of CPU time")

    previous = signal.signal(signal.SIGPROF, expire)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


# -- running the suite on all cores ---------------------------------------------------


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Group the tests of a module that share a module-scoped fixture onto one worker."""
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        definitions = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {})
        if any(defs and defs[-1].scope == "module" for defs in definitions.values()):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))
