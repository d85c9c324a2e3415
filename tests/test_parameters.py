"""Every public parameter that takes a number refuses a bad one, by name.

One table, :data:`PARAMETERS`, lists each numeric parameter of every public
function (the engine's ops, swept in test_hardening.py, aside) with a call
that passes it the value under test and everything else valid. Each is given
huge ints (10**400), infinities, NaN, bools, non-numbers, floats where an int
is meant and the values just outside its range: every one must be a
``TypeError`` (not a number of the right kind) or a ``ValueError`` (a number
out of range) whose message names the parameter, within a second; never a
bare ``OverflowError``, a hang or an answer.
:func:`test_every_public_numeric_parameter_is_swept` checks that no public
function with a parameter annotated as a number is left out.

docs/reliability.md quotes the counts these tests compute
(:func:`sweep_counts`); tests/test_reliability.py checks that it says the same.
"""

from __future__ import annotations

import inspect
import math
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import pytest
from conftest import time_bound
from hypothesis import given, settings
from hypothesis import strategies as st

import functional_micrograd as fm
from functional_micrograd import _checks
from functional_micrograd.training import TrainingFailed

MODEL = fm.nn.mlp(2, [3, 1], seed=0)
MODEL3 = fm.nn.mlp(2, [3, 3], seed=0)
MODEL1 = fm.nn.mlp(1, [3, 1], seed=0)
DATA = fm.datasets.moons(8, seed=0)
BLOBS = fm.datasets.blobs(9, seed=0, centers=((0, 0), (2, 0), (0, 2)))
LINE = fm.datasets.sine(8, seed=0)
GRADS = fm.backward(fm.losses.max_margin(MODEL, DATA.xs, DATA.ys).total_loss)
RNG = fm.rng.seed(0)
STATES = list(fm.training.iterate(MODEL, DATA, steps=1))


@dataclass(frozen=True)
class Parameter:
    """One numeric parameter of a public function.

    ``kind`` says what it takes: ``"real"`` (a finite number in its range),
    ``"int"`` (an int in its range), ``"seed"`` (any int) or ``"rate"`` (a
    finite number >= 0, or a function of the step). ``call(v)`` calls the
    function with this parameter set to ``v``; ``outside`` lists numbers just
    out of its range; ``named`` is how messages name it.
    """

    function: str
    named: str
    kind: str
    call: Callable[[Any], Any]
    outside: tuple[Any, ...] = ()
    none_ok: bool = False


def _p(
    function: str, named: str, kind: str, call: Callable[[Any], Any], *outside: Any
) -> Parameter:
    return Parameter(function, named, kind, call, outside)


def _schedule(function: str, make: Callable[[Any], Any]) -> Parameter:
    """A schedule's result: the rate ``make(schedule)`` meets at its first update."""
    return _p(function, "learning rate at step 0", "real", lambda v: make(lambda k: v), -1e-9)


def _update(optimizer: Callable[..., Any]) -> Callable[[Any], Any]:
    def make(schedule: Any) -> Any:
        opt = optimizer(schedule)
        return opt.update(MODEL, GRADS, opt.init(MODEL))

    return make


def _trainers() -> list[Parameter]:
    found = []
    for name, run in (("train", fm.train), ("iterate", fm.training.iterate)):
        found += [
            _p(name, "steps", "int", lambda v, run=run: run(MODEL, DATA, steps=v), 0, -1),
            _p(name, "alpha", "real", lambda v, run=run: run(MODEL, DATA, steps=1, alpha=v), -1e-9),
            Parameter(
                name, "batch_size", "int",
                lambda v, run=run: run(MODEL, DATA, steps=1, batch_size=v), (0, -1, 9), True,
            ),
            _p(name, "learning_rate", "rate",
               lambda v, run=run: run(MODEL, DATA, steps=1, learning_rate=v), -1e-9),
            _p(name, "seed", "seed", lambda v, run=run: run(MODEL, DATA, steps=1, seed=v)),
            _p(name, "log_every", "int", lambda v, run=run: run(MODEL, DATA, steps=1, log_every=v),
               0, -1),
            _schedule(name, lambda s, run=run: list(run(MODEL, DATA, steps=1, learning_rate=s))),
        ]  # fmt: skip
    found += [
        _p("configure", "steps", "int", lambda v: fm.training.configure(MODEL, DATA, steps=v), 0),
        _p(
            "configure",
            "alpha",
            "real",
            lambda v: fm.training.configure(MODEL, DATA, alpha=v),
            -1.0,
        ),
        _p("micrograd_schedule", "k", "int", fm.training.micrograd_schedule, -1),
    ]
    return found


def _losses() -> list[Parameter]:
    found = []
    for name, loss, model, data in (
        ("max_margin", fm.losses.max_margin, MODEL, DATA),
        ("cross_entropy", fm.losses.cross_entropy, MODEL3, BLOBS),
        ("mse", fm.losses.mse, MODEL1, LINE),
    ):
        xs, ys = list(data.xs), list(data.ys)
        found += [
            _p(name, "alpha", "real", lambda v, f=loss, m=model, d=data: f(m, d.xs, d.ys, alpha=v),
               -1e-9),
            Parameter(name, "batch_size", "int",
                      lambda v, f=loss, m=model, d=data: f(m, d.xs, d.ys, batch_size=v),
                      (0, -1, len(ys) + 1), True),
            _p(name, "seed", "seed",
               lambda v, f=loss, m=model, d=data: f(m, d.xs, d.ys, batch_size=2, seed=v)),
            _p(name, "ys[0]", "datum",
               lambda v, f=loss, m=model, xs=xs, ys=ys: f(m, xs, [v, *ys[1:]]),
               *((-1, 3, 1.5) if name == "cross_entropy" else ())),
            _p(name, "x[0]", "datum",
               lambda v, f=loss, m=model, xs=xs, ys=ys: f(m, [(v, *xs[0][1:]), *xs[1:]], ys)),
        ]  # fmt: skip
    return found


def _optimizers() -> list[Parameter]:
    o = fm.optim
    found = []
    for name, make in (
        ("sgd", o.sgd), ("momentum", o.momentum), ("adam", o.adam), ("adamw", o.adamw),
        ("rmsprop", o.rmsprop),
    ):  # fmt: skip
        found.append(_p(name, "learning_rate", "rate", make, -1e-9))
        found.append(_schedule(f"{name}.update", _update(make)))
    fraction = (-1e-9, 1.0, 1.5)
    found += [
        _p("momentum", "beta", "real", lambda v: o.momentum(0.1, beta=v), *fraction),
        _p("adam", "b1", "real", lambda v: o.adam(b1=v), *fraction),
        _p("adam", "b2", "real", lambda v: o.adam(b2=v), *fraction),
        _p("adam", "eps", "real", lambda v: o.adam(eps=v), 0.0, -1e-8),
        _p("adamw", "b1", "real", lambda v: o.adamw(b1=v), *fraction),
        _p("adamw", "b2", "real", lambda v: o.adamw(b2=v), *fraction),
        _p("adamw", "eps", "real", lambda v: o.adamw(eps=v), 0.0, -1e-8),
        _p("adamw", "weight_decay", "real", lambda v: o.adamw(weight_decay=v), -1e-9),
        _p("rmsprop", "decay", "real", lambda v: o.rmsprop(decay=v), *fraction),
        _p("rmsprop", "eps", "real", lambda v: o.rmsprop(eps=v), 0.0, -1e-8),
        _p("learning_rate_at", "learning_rate", "rate", lambda v: o.learning_rate_at(v, 0), -1.0),
        _schedule("learning_rate_at", lambda s: o.learning_rate_at(s, 0)),
        _p("learning_rate_at", "count", "int", lambda v: o.learning_rate_at(0.1, v), -1),
    ]
    return found


def _rng() -> list[Parameter]:
    r = fm.rng
    return [
        _p("seed", "seed", "seed", r.seed),
        _p("uniforms", "n", "int", lambda v: r.uniforms(RNG, v), -1),
        _p("uniforms", "low", "real", lambda v: r.uniforms(RNG, 2, low=v)),
        _p("uniforms", "high", "real", lambda v: r.uniforms(RNG, 2, high=v), -1.0),
        _p("uniform", "low", "real", lambda v: r.uniform(RNG, low=v)),
        _p("uniform", "high", "real", lambda v: r.uniform(RNG, high=v), -1.0),
        _p("normals", "n", "int", lambda v: r.normals(RNG, v), -1),
        _p("normals", "mean", "real", lambda v: r.normals(RNG, 2, mean=v)),
        _p("normals", "std", "real", lambda v: r.normals(RNG, 2, std=v), -1e-9),
        _p("normal", "mean", "real", lambda v: r.normal(RNG, mean=v)),
        _p("normal", "std", "real", lambda v: r.normal(RNG, std=v), -1e-9),
        _p("sample", "k", "int", lambda v: r.sample(RNG, range(5), v), -1, 6),
    ]


def _datasets() -> list[Parameter]:
    d = fm.datasets
    found = []
    for name, make in (
        ("moons", d.moons), ("circles", d.circles), ("blobs", d.blobs), ("spiral", d.spiral),
        ("sine", d.sine),
    ):  # fmt: skip
        found += [
            _p(name, "n_samples", "int", lambda v, f=make: f(v), 0, -1),
            _p(name, "noise", "real", lambda v, f=make: f(8, noise=v), -1e-9),
            _p(name, "seed", "seed", lambda v, f=make: f(8, seed=v)),
        ]
    found += [
        _p("circles", "factor", "real", lambda v: d.circles(8, factor=v), 0.0, 1.0),
        _p("blobs", "centers", "datum", lambda v: d.blobs(8, centers=((v, 0.0), (1.0, 0.0)))),
        _p("spiral", "turns", "real", lambda v: d.spiral(8, turns=v), 0.0, -1.0),
        _p("spiral", "classes", "int", lambda v: d.spiral(8, classes=v), 1, 0),
        _p("sine", "low", "real", lambda v: d.sine(8, low=v)),
        _p("sine", "high", "real", lambda v: d.sine(8, high=v), -3.0),
        _p("yinyang", "n_samples", "int", lambda v: d.yinyang(v), 2, 0),
        _p("yinyang", "seed", "seed", lambda v: d.yinyang(8, seed=v)),
        _p("yinyang", "r_small", "real", lambda v: d.yinyang(8, r_small=v), 0.0, 0.25),
        _p("yinyang", "r_big", "real", lambda v: d.yinyang(8, r_big=v), 0.0),
        _p("split", "fractions[0]", "real", lambda v: d.split(DATA, (v, 0.5)), 0.0, -0.5),
        _p("split", "seed", "seed", lambda v: d.split(DATA, seed=v)),
        _p("from_lists", "xs[0]", "datum", lambda v: d.from_lists([[v], [1.0]], [0.0, 1.0])),
        _p("from_lists", "ys[0]", "datum", lambda v: d.from_lists([[0.0], [1.0]], [v, 1.0])),
    ]
    return found


def _models_and_more() -> list[Parameter]:
    n, x0 = fm.nn, DATA.xs[0]
    return [
        _p("neuron", "nin", "int", n.neuron, 0, -1),
        _p("neuron", "seed", "seed", lambda v: n.neuron(2, seed=v)),
        _p("layer", "nin", "int", lambda v: n.layer(v, 2), 0),
        _p("layer", "nout", "int", lambda v: n.layer(2, v), 0),
        _p("layer", "seed", "seed", lambda v: n.layer(2, 2, seed=v)),
        _p("mlp", "nin", "int", lambda v: n.mlp(v, [2]), 0),
        _p("mlp", "nouts", "int", lambda v: n.mlp(2, [2, v]), 0),
        _p("mlp", "seed", "seed", lambda v: n.mlp(2, [2], seed=v)),
        _p("forward", "x[0]", "datum", lambda v: n.forward(MODEL, (v, x0[1]))),
        _p("predict", "x[0]", "datum", lambda v: n.predict(MODEL, (v, x0[1]))),
        _p("with_parameters", "v", "datum",
           lambda v: n.with_parameters(MODEL, [v] * n.parameter_count(MODEL))),
        _p("apply_gradients", "learning_rate", "real",
           lambda v: n.apply_gradients(MODEL, GRADS, v), -1e-9),
        _p("grad", "argnum", "int", lambda v: fm.grad(lambda a: a, argnums=v), -1),
        _p("value_and_grad", "argnum", "int", lambda v: fm.value_and_grad(lambda a: a, argnums=v),
           -1),
        _p("grad(f)", "argument 0", "real", lambda v: fm.grad(lambda a: a * a)(v)),
        _p("hessian(f)", "argument 0", "real", lambda v: fm.hessian(lambda a: a * a)(v)),
        _p("jit(f)", "argument 0", "real", lambda v: fm.jit(lambda a: a * a)(v)),
        _p("make_trace(f)", "argument 0", "real", lambda v: fm.make_trace(lambda a: a * a)(v)),
        _p("check_grads", "args[0]", "datum", lambda v: fm.check_grads(lambda a: a * a, [v])),
        _p("check_grads", "order", "int",
           lambda v: fm.check_grads(lambda a: a * a, [1.0], v), 0, 3),
        _p("check_grads", "eps", "real",
           lambda v: fm.check_grads(lambda a: a * a, [1.0], eps=v), 0.0, -1e-6),
        _p("check_grads", "rtol", "real",
           lambda v: fm.check_grads(lambda a: a * a, [1.0], rtol=v), -1e-9),
        _p("check_grads", "atol", "real",
           lambda v: fm.check_grads(lambda a: a * a, [1.0], atol=v), -1e-9),
        _p("power", "n", "real", fm.primitives.power),
        _p("decision_boundary", "h", "real",
           lambda v: fm.plot_data.decision_boundary(MODEL, DATA, h=v), 0.0, -0.25),
        _p("decision_boundary", "padding", "real",
           lambda v: fm.plot_data.decision_boundary(MODEL, DATA, padding=v), -1.0),
        _p("prediction_curve", "points", "int",
           lambda v: fm.plot_data.prediction_curve(MODEL1, LINE, points=v), 1, 0),
        _p("explorer.show", "height", "int", lambda v: fm.explorer.show(STATES, DATA, height=v), 0),
    ]  # fmt: skip


PARAMETERS: list[Parameter] = [
    *_trainers(), *_losses(), *_optimizers(), *_rng(), *_datasets(), *_models_and_more()
]  # fmt: skip

# Public functions whose numeric parameters are swept elsewhere.
SWEPT_ELSEWHERE = {
    # the engine's ops and leaves: test_hardening.py's finite-number and bad-input sweeps
    "abs", "add", "cos", "div", "exp", "log", "logsumexp", "mul", "neg", "pow", "relu",
    "sigmoid", "sin", "softplus", "sqrt", "step", "sub", "sum_values", "tanh",
    "log_softmax", "softmax",
    "define_op",  # its numbers are the op's: the same sweeps, on ops it defines
}  # fmt: skip

# -- the bad values ---------------------------------------------------------------

HUGE = (10**400, -(10**400), 2**1024)
NON_FINITE = (math.inf, -math.inf, math.nan)
NOT_NUMBERS = ("1", b"1", [1.0], (1.0,), {"x": 1.0}, 1j, object())
BOOLS = (True, False)
NOT_INTS = (1.5, 2.0, Fraction(3, 2))


Refusal = type[Exception] | tuple[type[Exception], ...]
EITHER = (TypeError, ValueError)


def bad_values(p: Parameter) -> list[tuple[Any, Refusal]]:
    """Each value ``p`` must refuse, with the error it must be refused with.

    A setting refuses what is not a number of its kind with a ``TypeError``
    and a number out of its range with a ``ValueError``; a datum (a point's
    coordinate, a label, a parameter's value) may say either, as long as it
    names the datum.
    """
    if p.kind == "datum":
        every = NOT_NUMBERS + BOOLS + (None,) + NON_FINITE + HUGE + p.outside
        return [(v, EITHER) for v in every]
    values: list[tuple[Any, Refusal]] = [(v, TypeError) for v in NOT_NUMBERS + BOOLS]
    if not p.none_ok:
        values.append((None, TypeError))
    if p.kind == "seed":
        return values + [(v, TypeError) for v in NON_FINITE + NOT_INTS]
    if p.kind == "int":
        values += [(v, TypeError) for v in NON_FINITE + NOT_INTS]
        values += [(v, ValueError) for v in HUGE if v > 0 or p.outside]
    else:
        values += [(v, ValueError) for v in NON_FINITE + HUGE]
    return values + [(v, ValueError) for v in p.outside]


def _refused(p: Parameter, value: Any, kind: Refusal) -> None:
    start = time.process_time()
    with time_bound(2.0), pytest.raises(Exception) as info:
        p.call(value)
    error = info.value
    if isinstance(error, TrainingFailed):  # a schedule's result, met by a training step
        assert error.reason == "schedule", error
        error = error.__cause__  # type: ignore[assignment]
    shown = f"{p.function}({p.named}={_checks.show(value)})"
    assert isinstance(error, kind) and not isinstance(error, ArithmeticError), (
        f"{shown} raised {type(error).__name__}: {error}, expected {kind}"
    )
    assert p.named in str(error), f"{shown}: the message does not name {p.named!r}: {error}"
    assert len(str(error)) < 400, f"{shown}: a {len(str(error))}-character message"
    assert time.process_time() - start < 1.0


def sweep_counts() -> dict[str, int]:
    """What the sweep covers: functions, parameters and fixed (parameter, value) cases."""
    return {
        "functions": len({p.function for p in PARAMETERS}),
        "parameters": len(PARAMETERS),
        "fixed cases": sum(len(bad_values(p)) for p in PARAMETERS),
    }


@pytest.mark.parametrize("p", PARAMETERS, ids=[f"{p.function}-{p.named}" for p in PARAMETERS])
def test_every_parameter_refuses_every_bad_number_by_name(p: Parameter) -> None:
    for value, kind in bad_values(p):
        _refused(p, value, kind)


def _out_of_range(p: Parameter) -> st.SearchStrategy[tuple[Any, Refusal]]:
    huge = st.integers(min_value=2**1024) | st.integers(max_value=-(2**1024))
    if p.kind == "datum":
        return st.tuples(huge | st.sampled_from(NON_FINITE + p.outside), st.just(EITHER))
    if p.kind == "seed":
        return st.tuples(st.floats(), st.just(TypeError))
    if p.kind == "int":
        return st.tuples(st.floats(), st.just(TypeError)) | st.tuples(
            st.integers(min_value=sys.maxsize + 1), st.just(ValueError)
        )
    nonfinite = st.sampled_from(NON_FINITE)
    return st.tuples(huge | nonfinite, st.just(ValueError)) | st.tuples(
        st.sampled_from(p.outside or NON_FINITE), st.just(ValueError)
    )


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_every_parameter_refuses_generated_out_of_range_numbers(data: st.DataObject) -> None:
    p = data.draw(st.sampled_from(PARAMETERS), label="parameter")
    value, kind = data.draw(_out_of_range(p), label="value")
    if p.kind == "int" and isinstance(value, float) and value.is_integer():
        kind = TypeError  # 2.0 is still a float
    _refused(p, value, kind)


def _numeric(annotation: str) -> bool:
    return bool(re.search(r"\b(int|float|LearningRate|Operand)\b", annotation))


def test_every_public_numeric_parameter_is_swept() -> None:
    modules = [fm, fm.datasets, fm.losses, fm.nn, fm.optim, fm.plot_data, fm.primitives,
               fm.rng, fm.training, fm.transforms, fm.explorer, fm.graph]  # fmt: skip
    swept = {p.function.split(".")[-1].removesuffix("(f)") for p in PARAMETERS}
    missing = []
    for module in modules:
        for name in module.__all__:
            obj = getattr(module, name)
            if isinstance(obj, type) or not inspect.isfunction(obj):
                continue
            numeric = [
                q for q in inspect.signature(obj).parameters.values() if _numeric(str(q.annotation))
            ]
            if numeric and name not in swept | SWEPT_ELSEWHERE:
                missing.append(f"{module.__name__}.{name}")
    assert not missing, f"numeric parameters not in the sweep: {missing}"
