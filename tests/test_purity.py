"""Purity and immutability across the whole public API.

Two promises, checked for every public function and method:

- **Nothing mutated.** Every input is snapshotted deeply before the call
  (each Value reachable from it: data, op, label, id, inputs, local_grads;
  every record field; the contents of every list, tuple and mapping) and
  compared after it. Python's global ``random`` state and the cyclic
  collector's on/off switch must be as they were. The same call made twice
  gives the same answer (node ids aside: new nodes get new ids).
- **Nothing mutable.** Values, models, datasets, training states, runs,
  history rows, loss results, optimizer states and gradient tables refuse
  attribute assignment and deletion; ``set``, evolvers, ``remove`` and
  ``transform`` give new objects and leave the original as it was; every
  container they expose is a tuple, PVector or PMap.
"""

from __future__ import annotations

import gc
import math
import pickle
import random
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
import toolz
from conftest import floats_between
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyrsistent import PClass, PMap, PSet, PVector

import functional_micrograd as fm
from functional_micrograd import Value, graph, plot_data, rng
from functional_micrograd.autodiff import Gradients
from functional_micrograd.datasets import Dataset
from functional_micrograd.losses import LossResult
from functional_micrograd.nn import MLP, Layer, Neuron
from functional_micrograd.optim import (
    AdamState,
    AdamWState,
    MomentumState,
    Optimizer,
    RMSPropState,
    SGDState,
)
from functional_micrograd.training import HistoryRow, Run, TrainState

# -- deep snapshots ---------------------------------------------------------------------


class Snapshot:
    """A deep, comparable picture of an object graph made of the library's types.

    With ``canonical=False`` Values are named by their ids (to check inputs:
    nothing may change, ids included). With ``canonical=True`` they are
    numbered in the order a fixed walk meets them, so that two calls that
    build the same graph compare equal although their new nodes have new ids.
    """

    def __init__(self, canonical: bool) -> None:
        self.canonical = canonical
        self.names: dict[int, int] = {}
        self.rows: list[tuple[Any, ...]] = []

    def of(self, x: object) -> tuple[Any, ...]:
        return (self.walk(x), tuple(self.rows))

    def value(self, v: Value) -> tuple[Any, ...]:
        if v.id not in self.names:
            met: list[Value] = []
            stack = [v]
            while stack:
                node = stack.pop()
                if node.id in self.names:
                    continue
                self.names[node.id] = len(self.names) if self.canonical else node.id
                met.append(node)
                stack.extend(reversed(node.inputs))
            for node in met:
                self.rows.append(
                    (
                        self.names[node.id],
                        type(node.inputs).__name__,
                        type(node.local_grads).__name__,
                        float.hex(node.data),
                        node.op,
                        node.label,
                        tuple(self.names[p.id] for p in node.inputs),
                        tuple(map(float.hex, node.local_grads)),
                    )
                )
        return ("Value", self.names[v.id], v.label)

    def walk(self, x: object) -> Any:
        if isinstance(x, Value):
            return self.value(x)
        if isinstance(x, Gradients):
            table = x.to_map()
            return (
                "Gradients",
                type(table).__name__,
                sorted(
                    (
                        (("node", self.names[k]) if k in self.names else ("id", k)),
                        self.walk(g) if isinstance(g, Value) else float.hex(g),
                    )
                    for k, g in table.items()
                ),
            )
        if isinstance(x, PClass):
            fields = sorted(type(x)._pclass_fields)
            return (type(x).__name__, tuple((f, self.walk(getattr(x, f))) for f in fields))
        if isinstance(x, float):
            return ("float", type(x).__name__, float.hex(x))
        if x is None or isinstance(x, (bool, int, str, bytes)):
            return (type(x).__name__, x)
        if isinstance(x, (tuple, list, PVector)):
            return (type(x).__name__, tuple(self.walk(item) for item in x))
        if isinstance(x, (Mapping, PMap)):
            items = sorted(x.items(), key=lambda kv: repr(kv[0]))
            return (type(x).__name__, tuple((k, self.walk(v)) for k, v in items))
        if isinstance(x, (set, frozenset, PSet)):
            return (type(x).__name__, tuple(sorted(map(repr, x))))
        if isinstance(x, range):
            return ("range", x.start, x.stop, x.step)
        if callable(x):
            return ("callable", getattr(x, "__qualname__", type(x).__qualname__))
        raise TypeError(f"Snapshot: no rule for {type(x).__name__}")


def exact(x: object) -> tuple[Any, ...]:
    return Snapshot(canonical=False).of(x)


def canonical(x: object) -> tuple[Any, ...]:
    return Snapshot(canonical=True).of(x)


# -- strategies -------------------------------------------------------------------------

moderate = floats_between(-4.0, 4.0)
small_ints = st.integers(min_value=-5, max_value=5)
numbers = moderate | small_ints
labels = st.none() | st.text(max_size=3)
seeds = st.integers(min_value=0, max_value=2**32)
activations = st.sampled_from(fm.nn.ACTIVATIONS)
leaves = st.builds(Value, moderate, label=labels)
BUILDERS: dict[str, Callable[[Value, Value], Value]] = {
    "+": lambda a, b: a + b,
    "*": lambda a, b: a * b,
    "-": lambda a, b: a - b,
    "/": lambda a, b: a / (b * b + 1.0),
    "tanh": lambda a, b: a.tanh(),
    "relu": lambda a, b: a.relu(),
    "sigmoid": lambda a, b: b.sigmoid(),
    "exp": lambda a, b: (a * 0.1).exp(),
    "**2": lambda a, b: a**2,
}


@st.composite
def graphs(draw: st.DrawFn) -> Value:
    """A Value computed from a few leaves by a few random ops; shared nodes allowed."""
    nodes = draw(st.lists(leaves, min_size=1, max_size=3))
    for _ in range(draw(st.integers(0, 8))):
        op = BUILDERS[draw(st.sampled_from(sorted(BUILDERS)))]
        a, b = (nodes[draw(st.integers(0, len(nodes) - 1))] for _ in range(2))
        nodes.append(op(a, b))
    return nodes[-1]


values = leaves | graphs()
operands = values | numbers


@st.composite
def models(draw: st.DrawFn, nin: int | None = None, one_output: bool = False) -> fm.nn.Model:
    width = draw(st.integers(1, 3)) if nin is None else nin
    kind = draw(st.sampled_from(["neuron", "layer", "mlp"]))
    activation, seed = draw(activations), draw(seeds)
    if kind == "neuron":
        return fm.nn.neuron(width, activation=activation, seed=seed)
    outs = 1 if one_output else draw(st.integers(1, 3))
    if kind == "layer":
        return fm.nn.layer(width, outs, activation=activation, seed=seed)
    hidden = draw(st.lists(st.integers(1, 3), max_size=2))
    return fm.nn.mlp(width, [*hidden, outs], activation=activation, seed=seed)


scorers = models(nin=2, one_output=True)  # what losses, training and plots take


@st.composite
def datasets_(draw: st.DrawFn) -> Dataset:
    kind = draw(st.sampled_from(["moons", "spiral", "blobs", "by hand"]))
    n = draw(st.integers(2, 8))
    if kind == "by hand":  # from mutable lists, which the Dataset must not keep or change
        xs = [[draw(moderate), draw(moderate)] for _ in range(n)]
        ys = [draw(st.sampled_from([-1, 1, -1.0, 1.0])) for _ in range(n)]
        metadata = {"name": draw(st.text(max_size=4)), "tags": [draw(st.text(max_size=2))]}
        return Dataset(xs=xs, ys=ys, metadata=metadata)
    noise = draw(st.floats(0.0, 0.3))
    make = {"moons": fm.datasets.moons, "spiral": fm.datasets.spiral}.get(kind, fm.datasets.blobs)
    return make(n, noise=noise, seed=draw(seeds), shuffle=draw(st.booleans()))


def _optimizer(name: str, rate: float, schedule: bool) -> Optimizer:
    learning_rate: Any = (lambda k: rate / (k + 1)) if schedule else rate
    makers = {
        "sgd": fm.optim.sgd,
        "momentum": fm.optim.momentum,
        "adam": fm.optim.adam,
        "adamw": fm.optim.adamw,
        "rmsprop": fm.optim.rmsprop,
    }
    return makers[name](learning_rate)


optimizers = st.builds(
    _optimizer,
    st.sampled_from(["sgd", "momentum", "adam", "adamw", "rmsprop"]),
    st.floats(0.0, 0.5),
    st.booleans(),
)


def _gradients_of(model: fm.nn.Model, x: list[float]) -> Gradients:
    out = model(x)
    outs = out if isinstance(out, tuple) else (out,)
    return fm.backward(fm.sum_values(o * o for o in outs))


@st.composite
def model_and_gradients(draw: st.DrawFn) -> tuple[fm.nn.Model, Gradients]:
    model = draw(models())
    x = draw(st.lists(moderate, min_size=fm.nn._nin(model), max_size=fm.nn._nin(model)))
    return model, _gradients_of(model, x)


@st.composite
def trained(draw: st.DrawFn) -> tuple[fm.nn.Model, Dataset, Optimizer | None, int]:
    """What training needs, kept small enough for a run to take milliseconds."""
    return (
        draw(scorers),
        draw(datasets_()),
        draw(st.none() | optimizers),
        draw(st.integers(1, 3)),
    )


@st.composite
def train_states(draw: st.DrawFn) -> TrainState:
    model, ds, opt, steps = draw(trained())
    states = list(fm.training.iterate(model, ds, steps=steps, optimizer=opt))
    return states[draw(st.integers(0, len(states) - 1))]


@st.composite
def runs(draw: st.DrawFn) -> Run:
    model, ds, opt, steps = draw(trained())
    return fm.train(model, ds, steps=steps, optimizer=opt)


@st.composite
def loss_results(draw: st.DrawFn) -> LossResult:
    model, ds = draw(scorers), draw(datasets_())
    loss = draw(st.sampled_from([fm.losses.max_margin, fm.losses.mse]))
    return loss(model, ds.xs, ds.ys)


@st.composite
def optimizer_states(draw: st.DrawFn) -> Any:
    opt, (model, g) = draw(optimizers), draw(model_and_gradients())
    state = opt.init(model)
    return opt.update(model, g, state)[1] if draw(st.booleans()) else state


# -- the calls --------------------------------------------------------------------------


@dataclass
class Call:
    """A public function and the arguments to call it with."""

    function: Callable[..., Any]
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:  # what hypothesis prints for a failing example
        name = getattr(self.function, "__name__", repr(self.function))
        return f"Call({name}, args={self.args!r}, kwargs={self.kwargs!r})"


def call(function: Callable[..., Any], *args: st.SearchStrategy[Any], **kwargs: Any) -> Any:
    """A strategy of Calls of ``function`` with arguments drawn from the given strategies."""
    return st.builds(
        lambda a, k: Call(function, tuple(a), dict(k)),
        st.tuples(*args),
        st.fixed_dictionaries(kwargs),
    )


def _consumed(make: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> list[Any]:
        return list(make(*args, **kwargs))

    run.__name__ = f"list({make.__name__})"
    return run


def _step_once(ds: Dataset, state: TrainState, opt: Optimizer | None, k: int) -> TrainState:
    """Build a step function and take one step with it."""
    rate: dict[str, Any] = {"learning_rate": 0.1} if opt is None else {"optimizer": opt}
    step = fm.training.make_step(fm.training.configure(state.model, ds, steps=3, **rate))
    return step(state, k)


def _loss_and_gradients(model: fm.nn.Model, ds: Dataset) -> tuple[Any, ...]:
    """loss_and_gradients' numbers, with the gradients read at the parameters."""
    batch = fm.training.Batch(ds.xs, ds.ys)
    result = fm.training.loss_and_gradients(fm.losses.max_margin, model, batch)
    grads = [result.gradients[p] for p in fm.nn.parameters(model)]
    return (result.loss, result.data_loss, result.reg_loss, result.accuracy, grads)


def _update(opt: Optimizer, model: fm.nn.Model, g: Gradients, advanced: bool) -> Any:
    state = opt.init(model)
    if advanced:  # a state that has seen an update already
        _, state = opt.update(model, g, state)
    return opt.update(model, g, state)


def _with_parameters_call(model: fm.nn.Model, data: st.DataObject) -> Call:
    count = fm.nn.parameter_count(model)
    new = data.draw(st.lists(moderate | leaves, min_size=count, max_size=count))
    return Call(fm.nn.with_parameters, (model, new))


@st.composite
def forward_calls(draw: st.DrawFn, function: Callable[..., Any]) -> Call:
    model = draw(models())
    x = draw(st.lists(moderate | leaves, min_size=fm.nn._nin(model), max_size=fm.nn._nin(model)))
    return Call(function, (model, x))


@st.composite
def loss_calls(draw: st.DrawFn, loss: Callable[..., Any]) -> Call:
    model, ds = draw(scorers), draw(datasets_())
    xs = [list(row) for row in ds.xs]  # plain lists, which the loss must leave alone
    ys = list(ds.ys)
    batch = draw(st.none() | st.integers(1, len(xs)))
    return Call(loss, (model, xs, ys), {"alpha": draw(st.floats(0.0, 0.1)), "batch_size": batch})


@st.composite
def step_calls(draw: st.DrawFn) -> Call:
    model, ds, opt, _ = draw(trained())
    state = fm.training.initial_state(model, opt)
    return Call(_step_once, (ds, state, opt, draw(st.integers(0, 2))))


@st.composite
def train_calls(draw: st.DrawFn, function: Callable[..., Any]) -> Call:
    model, ds, opt, steps = draw(trained())
    kwargs: dict[str, Any] = {
        "steps": steps,
        "optimizer": opt,
        "log_every": draw(st.integers(1, 2)),
    }
    if opt is None:
        kwargs["learning_rate"] = draw(
            st.floats(0.0, 1.0) | st.just(fm.training.micrograd_schedule)
        )
    if draw(st.booleans()):
        kwargs["batch_size"] = draw(st.integers(1, len(ds)))
    return Call(function, (model, ds), kwargs)


@st.composite
def multiclass_calls(draw: st.DrawFn, function: Callable[..., Any]) -> Call:
    """A call of ``function(model, dataset, **options)`` on a three-class set."""
    ds = fm.datasets.yinyang(draw(st.integers(3, 9)), seed=draw(seeds))
    model = fm.nn.mlp(2, [draw(st.integers(1, 3)), 3], activation="tanh", seed=draw(seeds))
    return Call(function, (model, ds))


@st.composite
def cross_entropy_calls(draw: st.DrawFn) -> Call:
    ds = fm.datasets.yinyang(draw(st.integers(3, 9)), seed=draw(seeds))
    model = fm.nn.mlp(2, [2, 3], seed=draw(seeds))
    xs, ys = [list(row) for row in ds.xs], list(ds.ys)
    alpha = draw(st.floats(0.0, 0.1))
    return Call(fm.losses.cross_entropy, (model, xs, ys), {"alpha": alpha})


@st.composite
def validated_train_calls(draw: st.DrawFn) -> Call:
    parts = fm.datasets.split(fm.datasets.yinyang(12, seed=draw(seeds)), (0.75, 0.25))
    model = fm.nn.mlp(2, [2, 3], seed=draw(seeds))
    opt = draw(optimizers)
    return Call(fm.train, (model, parts[0]), {"steps": 2, "optimizer": opt, "validation": parts[1]})


@st.composite
def explorer_calls(draw: st.DrawFn, function: Callable[..., Any]) -> Call:
    model, ds, opt, steps = draw(trained())
    states = list(fm.training.iterate(model, ds, steps=steps, optimizer=opt))
    point = draw(st.none() | st.integers(0, len(ds) - 1))
    return Call(function, (states, ds), {"point": point})


@st.composite
def boundary_calls(draw: st.DrawFn) -> Call:
    model, ds = draw(scorers), draw(datasets_())
    h, padding = draw(st.floats(0.6, 2.0)), draw(st.floats(0.0, 0.5))
    return Call(plot_data.decision_boundary, (model, ds), {"h": h, "padding": padding})


@st.composite
def functions_and_args(draw: st.DrawFn) -> tuple[Callable[..., Value], tuple[Any, ...]]:
    """A small function of Values and numbers to call it with."""
    ops = draw(st.lists(st.sampled_from(["+", "*", "-", "tanh", "relu", "sigmoid"]), max_size=5))
    args = draw(st.lists(numbers, min_size=1, max_size=3))

    def f(*xs: Value) -> Value:
        y = xs[0]
        for i, op in enumerate(ops):
            y = BUILDERS[op](y, xs[i % len(xs)])
        return y

    f.__qualname__ = f"f{ops}"
    return f, tuple(args)


def transform_calls(transform: Callable[[Callable[..., Any], int], Callable[..., Any]]) -> Any:
    """Calls of what ``transform(f, number_of_args)`` makes of a drawn function."""
    return st.builds(lambda fa: Call(transform(fa[0], len(fa[1])), fa[1]), functions_and_args())


def _all(n: int) -> tuple[int, ...]:
    return tuple(range(n))


@st.composite
def optimizer_update_calls(draw: st.DrawFn) -> Call:
    opt, (model, g) = draw(optimizers), draw(model_and_gradients())
    return Call(_update, (opt, model, g, draw(st.booleans())))


@st.composite
def history_calls(draw: st.DrawFn, function: Callable[..., Any]) -> Call:
    run = draw(runs())
    source = draw(st.sampled_from(["run", "state", "rows"]))
    if source == "run":
        return Call(function, (run,))
    if source == "rows":
        return Call(function, (list(run.history),))
    state = fm.training.initial_state(run.final_model).set(history=run.history, step=2)
    return Call(function, (state,))


def _set_label(v: Value, label: str | None) -> Value:
    return v.set(label=label)


def _create(mapping: dict[str, Any]) -> Value:
    return Value.create(mapping)


def _pickled(x: Any) -> Any:
    return pickle.loads(pickle.dumps(x))


def _method(name: str) -> Callable[[Value], Any]:
    def run(v: Value) -> Any:
        return getattr(v, name)()

    run.__name__ = f"Value.{name}"
    return run


def _operator(name: str, op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    op.__name__ = name
    return op


def _read(g: Gradients, v: Value, others: list[Value]) -> Any:
    return (g[v], g[v.id], v in g, len(g), list(g), g.to_map(), [g[o] for o in others])


def _rng_call(name: str) -> Any:
    state = st.builds(rng.seed, seeds)
    items = st.lists(st.integers() | st.text(max_size=2), max_size=8)
    if name == "permutation":
        return call(rng.permutation, state, items)
    if name == "sample":
        return st.builds(
            lambda s, xs, k: Call(rng.sample, (s, xs, k % (len(xs) + 1))),
            state,
            items,
            st.integers(0, 8),
        )
    counted = name.endswith("s")
    function = getattr(rng, name)
    sizes = (st.integers(0, 5),) if counted else ()
    if name.startswith("uniform"):
        return call(function, state, *sizes, st.floats(-2, 0), st.floats(0, 2))
    if name == "seed":
        return call(function, st.integers())
    return call(function, state, *sizes, moderate, st.floats(0, 2))


def _partly_applied(function: Callable[..., Any]) -> Callable[[Any, Any], Any]:
    def run(a: Any, b: Any) -> Any:
        return function(a)(b)

    run.__name__ = f"{function.__name__}(a)(b)"
    return run


def _model_call(function: Callable[..., Any]) -> Any:
    return call(function, models())


UNARY = ["neg", "relu", "tanh", "exp", "log", "sigmoid", "sin", "cos", "sqrt", "abs", "softplus"]
UNARY += ["step"]

CALLS: dict[str, tuple[Any, int]] = {
    # value: the curried functions, whole and partly applied, and the unary ones
    **{
        f"{name}": (call(getattr(fm, name), operands, operands), 20)
        for name in ["add", "sub", "mul", "div"]
    },
    **{
        f"{name} partial": (call(_partly_applied(getattr(fm, name)), operands, operands), 10)
        for name in ["add", "sub", "mul", "div"]
    },
    "pow partial": (call(_partly_applied(fm.pow), operands, st.sampled_from([2, -1, 0.5])), 10),
    "pow": (call(fm.pow, operands, st.sampled_from([0, 1, 2, 3, -1, 0.5, 2.5, -2.0])), 20),
    **{
        name: (call(getattr(fm, name), operands), 15)
        for name in UNARY
    },
    "logsumexp": (call(fm.logsumexp, st.lists(operands, min_size=1, max_size=4)), 10),
    "sum_values": (call(fm.sum_values, st.lists(operands, max_size=6)), 15),
    "sum_values start": (call(fm.sum_values, st.lists(operands, max_size=6), operands), 10),
    "Value": (call(Value, numbers, labels), 10),
    "Value.create": (call(_create, st.fixed_dictionaries({"data": numbers, "label": labels})), 10),
    "Value.set": (call(_set_label, values, labels), 10),
    "Value.parents": (call(lambda v: v.parents, values), 10),
    "Value pickle": (call(_pickled, values), 10),
    **{
        f"Value {name}": (call(_operator(name, op), values, operands), 10)
        for name, op in [
            ("+", lambda a, b: a + b),
            ("r+", lambda a, b: b + a),
            ("-", lambda a, b: a - b),
            ("r-", lambda a, b: b - a),
            ("*", lambda a, b: a * b),
            ("r*", lambda a, b: b * a),
            ("/", lambda a, b: a / b),
            ("r/", lambda a, b: b / a),
            ("==", lambda a, b: (a == b, a != b, hash(a))),
        ]
    },
    "Value **": (call(lambda v, n: v**n, values, st.sampled_from([2, -1, 0.5, 3.0])), 10),
    "Value unary -": (call(lambda v: -v, values), 10),
    **{
        f"Value.{name}": (call(_method(name), values), 10)
        for name in [*UNARY[1:], "backward"]
    },
    # autodiff
    "backward": (call(fm.backward, values), 20),
    "topological_order": (call(fm.topological_order, values), 20),
    "backward create_graph": (call(lambda v: fm.backward(v, create_graph=True), values), 10),
    "backward_steps": (call(fm.backward_steps, values), 10),
    "grad and Gradients": (
        st.builds(
            lambda v, others: Call(_read, (fm.backward(v), v, others)), values, st.lists(values)
        ),
        15,
    ),
    "value_and_grad": (transform_calls(lambda f, n: fm.value_and_grad(f, argnums=_all(n))), 20),
    "grad": (transform_calls(lambda f, n: fm.grad(f, argnums=_all(n))), 10),
    "hessian": (transform_calls(lambda f, n: fm.hessian(f)), 10),
    "check_grads": (
        transform_calls(lambda f, n: lambda *a: fm.check_grads(f, a, rtol=1.0, atol=1.0)),
        10,
    ),
    "lookup": (call(fm.primitives.lookup, st.sampled_from(["+", "relu", "**2", "**-0.5"])), 10),
    "power": (call(fm.primitives.power, st.sampled_from([0, 1, 2, -1, 0.5, 3.0])), 10),
    "make_trace": (transform_calls(lambda f, n: fm.make_trace(f)), 10),
    "jit": (transform_calls(lambda f, n: fm.jit(f)), 10),
    # nn
    "neuron": (call(fm.nn.neuron, st.integers(1, 4), activations, seeds), 10),
    "layer": (call(fm.nn.layer, st.integers(1, 3), st.integers(1, 3), activations, seeds), 10),
    "mlp": (
        call(fm.nn.mlp, st.integers(1, 3), st.lists(st.integers(1, 3), min_size=1, max_size=3)),
        10,
    ),
    "forward": (forward_calls(fm.nn.forward), 15),
    "predict": (forward_calls(fm.nn.predict), 10),
    "softmax": (call(fm.nn.softmax, st.lists(operands, min_size=1, max_size=4)), 10),
    "log_softmax": (call(fm.nn.log_softmax, st.lists(operands, min_size=1, max_size=4)), 10),
    "nn.logsumexp": (call(fm.nn.logsumexp, st.lists(operands, min_size=1, max_size=4)), 10),
    "model(x)": (forward_calls(lambda model, x: model(x)), 10),
    "parameters": (_model_call(fm.nn.parameters), 10),
    "parameter_count": (_model_call(fm.nn.parameter_count), 10),
    "apply_gradients": (
        st.builds(
            lambda mg, rate: Call(fm.nn.apply_gradients, (*mg, rate)),
            model_and_gradients(),
            st.floats(0.0, 1.0),
        ),
        15,
    ),
    "with_parameters": (st.builds(_with_parameters_call, models(), st.data()), 10),
    "to_json": (_model_call(fm.nn.to_json), 10),
    "from_json": (st.builds(lambda m: Call(fm.nn.from_json, (fm.nn.to_json(m),)), models()), 10),
    "flatten": (_model_call(fm.nn.flatten), 10),
    "structure": (_model_call(fm.nn.structure), 10),
    "unflatten": (st.builds(lambda m: Call(fm.nn.unflatten, fm.nn.flatten(m)[::-1]), models()), 10),
    # serialize
    "run_to_json": (call(fm.serialize.run_to_json, runs()), 5),
    "run_from_json": (
        st.builds(
            lambda r: Call(fm.serialize.run_from_json, (fm.serialize.run_to_json(r),)), runs()
        ),
        5,
    ),
    "opt_state_to_json": (call(fm.serialize.opt_state_to_json, optimizer_states()), 10),
    "opt_state_from_json": (
        st.builds(
            lambda state: Call(
                fm.serialize.opt_state_from_json, (fm.serialize.opt_state_to_json(state),)
            ),
            optimizer_states(),
        ),
        10,
    ),
    # datasets
    **{
        name: (
            call(
                getattr(fm.datasets, name),
                st.integers(2, 20),
                st.floats(0.0, 0.5),
                seeds,
                st.booleans(),
            ),
            10,
        )
        for name in ["moons", "spiral", "blobs", "circles"]
    },
    "yinyang": (call(fm.datasets.yinyang, st.integers(3, 12), seeds), 5),
    "sine": (call(fm.datasets.sine, st.integers(2, 12), st.floats(0.0, 0.5), seeds), 5),
    "from_lists": (
        call(
            fm.datasets.from_lists,
            st.lists(st.lists(moderate, min_size=2, max_size=2), min_size=1, max_size=5),
            st.lists(st.integers(0, 3), min_size=5, max_size=5).map(lambda ys: ys),
        ).filter(lambda c: len(c.args[0]) == len(c.args[1])),
        5,
    ),
    "split": (call(fm.datasets.split, datasets_(), st.just((0.5, 0.5)), seeds), 10),
    "blobs centers": (
        call(
            fm.datasets.blobs,
            st.integers(2, 10),
            centers=st.lists(st.lists(moderate, min_size=2, max_size=2), min_size=2, max_size=2),
        ),
        10,
    ),
    "Dataset": (
        call(
            lambda xs, ys, metadata: Dataset(xs=xs, ys=ys, metadata=metadata),
            st.just([[0.0, 1.0], [2.0, -1.5]]) | st.just([(1, 2), [3.5, 4]]),
            st.just([1, -1.0]) | st.just((-1, -1)),
            st.fixed_dictionaries({"name": st.text(max_size=3), "more": st.lists(small_ints)}),
        ),
        10,
    ),
    "Dataset.points": (call(lambda ds: (ds.points, len(ds), repr(ds)), datasets_()), 10),
    # losses
    "max_margin": (loss_calls(fm.losses.max_margin), 15),
    "mse": (loss_calls(fm.losses.mse), 15),
    "cross_entropy": (cross_entropy_calls(), 10),
    "accuracy": (
        st.builds(
            lambda r, ys: Call(fm.losses.accuracy, ("binary", ys[: len(r.scores)], r.scores)),
            loss_results(),
            st.lists(st.sampled_from([-1.0, 1.0]), min_size=8, max_size=8),
        ),
        5,
    ),
    # optim
    "sgd": (call(fm.optim.sgd, st.floats(0.0, 1.0)), 5),
    "momentum": (call(fm.optim.momentum, st.floats(0.0, 1.0), st.floats(0.0, 0.99)), 5),
    "adam": (call(fm.optim.adam, st.floats(0.0, 1.0), st.floats(0.0, 0.99)), 5),
    "adamw": (call(fm.optim.adamw, st.floats(0.0, 1.0), st.floats(0.0, 0.99)), 5),
    "rmsprop": (call(fm.optim.rmsprop, st.floats(0.0, 1.0), st.floats(0.0, 0.99)), 5),
    "optimizer.init": (st.builds(lambda opt, m: Call(opt.init, (m,)), optimizers, models()), 10),
    "optimizer.update": (optimizer_update_calls(), 20),
    "learning_rate_at": (
        call(
            fm.optim.learning_rate_at,
            st.floats(0.0, 2.0) | st.just(fm.training.micrograd_schedule),
            st.integers(0, 200),
        ),
        10,
    ),
    # training
    "initial_state": (call(fm.training.initial_state, models(), st.none() | optimizers), 10),
    "make_step and step": (step_calls(), 15),
    "train": (train_calls(fm.train), 15),
    "iterate": (train_calls(_consumed(fm.training.iterate)), 10),
    "train with validation": (validated_train_calls(), 8),
    "evaluate": (multiclass_calls(fm.training.evaluate), 8),
    "configure": (multiclass_calls(fm.training.configure), 8),
    "loss_and_gradients": (
        st.builds(
            lambda m, ds: Call(_loss_and_gradients, (m, ds)),
            scorers,
            datasets_(),
        ),
        8,
    ),
    "micrograd_schedule": (call(fm.training.micrograd_schedule, st.integers(0, 10**6)), 10),
    # plot_data
    "dataset_points": (call(plot_data.dataset_points, datasets_()), 10),
    "training_history": (history_calls(plot_data.training_history), 8),
    "loss_history": (history_calls(plot_data.loss_history), 8),
    "accuracy_history": (history_calls(plot_data.accuracy_history), 8),
    "decision_boundary": (boundary_calls(), 8),
    "decision_boundary for K classes": (
        st.builds(
            lambda c: Call(plot_data.decision_boundary, c.args, {"h": 0.8}),
            multiclass_calls(lambda m, ds: None),
        ),
        5,
    ),
    "prediction_curve": (
        call(
            lambda m, n: plot_data.prediction_curve(m, fm.datasets.sine(n), points=5),
            models(nin=1, one_output=True),
            st.integers(2, 6),
        ),
        5,
    ),
    # graph
    "nodes": (call(graph.nodes, values), 10),
    "nodes with gradients": (
        st.builds(lambda v: Call(graph.nodes, (v, fm.backward(v))), values),
        10,
    ),
    "edges": (call(graph.edges, values), 10),
    "to_dot": (st.builds(lambda v: Call(graph.to_dot, (v, fm.backward(v))), values), 10),
    # rng
    **{name: (_rng_call(name), 10) for name in rng.__all__ if name != "Rng"},
    # explorer
    "page_data": (explorer_calls(fm.explorer.page_data), 5),
    "page": (explorer_calls(fm.explorer.page), 3),
    "script_json": (call(fm.explorer.script_json, st.lists(st.text(max_size=8))), 10),
    "unpack": (
        st.builds(
            lambda xs: Call(fm.explorer.unpack, (fm.explorer._pack(xs),)), st.lists(moderate)
        ),
        10,
    ),
}
"""Every public function and method: a strategy of Calls, and how many examples to try."""


def _outcome(c: Call) -> tuple[str, Any]:
    try:
        result = c.function(*c.args, **c.kwargs)
    except (ArithmeticError, ValueError) as error:  # numeric trouble is documented
        return ("raised", type(error))
    return ("returned", canonical(result))


@pytest.mark.parametrize("name", sorted(CALLS))
def test_public_call_mutates_nothing_and_repeats(name: str) -> None:
    strategy, examples = CALLS[name]

    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(strategy)
    def check(c: Call) -> None:
        before = exact((c.args, c.kwargs))
        random_state, collector = random.getstate(), (gc.isenabled(), gc.get_threshold())
        first = _outcome(c)
        assert exact((c.args, c.kwargs)) == before, "an input changed"
        assert random.getstate() == random_state, "the global random state changed"
        assert (gc.isenabled(), gc.get_threshold()) == collector, "the collector was left changed"
        assert _outcome(c) == first, "the same call gave another answer"
        assert exact((c.args, c.kwargs)) == before

    check()


def test_every_public_name_is_in_the_purity_sweep() -> None:
    swept = " ".join(CALLS)
    modules = {
        "": fm,
        "nn": fm.nn,
        "datasets": fm.datasets,
        "losses": fm.losses,
        "optim": fm.optim,
        "training": fm.training,
        "plot_data": fm.plot_data,
        "graph": fm.graph,
        "rng": fm.rng,
        "primitives": fm.primitives,
        "transforms": fm.transforms,
        "explorer": fm.explorer,
        "serialize": fm.serialize,
    }
    # Types, constants and aliases are covered by the immutability tests below;
    # sgd/momentum/adam are built for every optimizer case.
    skip = {
        "Edge", "Gradients", "TrainingDiverged", "TrainingFailed", "Value", "__version__",
        "Dataset", "Point",
        "BackwardStep", "GradientCheckError", "Trace", "primitives", "transforms",
        "PRIMITIVES", "Primitive",
        "define_op",  # adds to the table of primitives: tests/test_primitives.py
        "LossResult", "ACTIVATIONS", "FORMAT_VERSION", "MLP", "Layer", "Model", "Neuron",
        "Output", "Optimizer", "SGDState", "MomentumState", "AdamState", "OptState",
        "LearningRate", "HistoryRow", "LossFunction", "Run", "StepFunction", "TrainState",
        "History", "Row", "Rng", "INITS", "TASKS", "AdamWState", "RMSPropState", "Batch",
        "BatchResult", "Metrics", "Objective", "TrainConfig",
        "datasets", "graph", "losses", "nn", "optim", "plot_data", "rng", "training",
        "explorer", "FORMAT", "PACKED", "Structure", "MAX_TEXT", "serialize",
        "EmbeddedPage", "show",  # show wraps page (swept) for a notebook: tests/test_explorer.py
        "save",  # writes a file by design: tests/test_explorer.py
    }  # fmt: skip
    missing = [
        f"{prefix}.{name}".lstrip(".")
        for prefix, module in modules.items()
        for name in module.__all__
        if name not in skip and name not in swept
    ]
    assert not missing


# -- nothing mutable --------------------------------------------------------------------

RECORDS: dict[str, st.SearchStrategy[Any]] = {
    "Value leaf": leaves,
    "Value op": graphs().filter(lambda v: bool(v.op)),
    "Neuron": st.builds(fm.nn.neuron, st.integers(1, 3), activations, seeds),
    "Layer": st.builds(fm.nn.layer, st.integers(1, 3), st.integers(1, 3), activations, seeds),
    "MLP": models().filter(lambda m: isinstance(m, MLP)),
    "Dataset": datasets_(),
    "TrainState": train_states(),
    "Run": runs(),
    "HistoryRow": runs().map(lambda run: run.history[-1]),
    "LossResult": loss_results(),
    "optimizer state": optimizer_states(),
    "Gradients": model_and_gradients().map(lambda mg: mg[1]),
    "Optimizer": optimizers,
    "Rng": st.builds(rng.seed, seeds),
    "Metrics": st.builds(lambda m, ds: fm.training.evaluate(m, ds), scorers, datasets_()),
    "TrainConfig": st.builds(
        lambda m, ds: fm.training.configure(m, ds, steps=2), scorers, datasets_()
    ),
}
RECORD_TYPES = (
    Value, Neuron, Layer, MLP, Dataset, TrainState, Run, HistoryRow, LossResult,
    SGDState, MomentumState, AdamState, AdamWState, RMSPropState, Gradients, Optimizer,
    rng.Rng, fm.training.Metrics, fm.training.TrainConfig,
)  # fmt: skip
FROZEN_CONTAINERS = (tuple, PVector, PMap, PSet, frozenset)
MUTABLE_CONTAINERS = (list, dict, set, bytearray)


def _replacement(record: Any, name: str, other: Any) -> Any:
    """Something of the right kind to try to put in ``record.name``."""
    mine = getattr(record, name)
    theirs = getattr(other, name, mine)
    if mine != theirs:
        return theirs
    if isinstance(mine, float):
        return mine + 1.0
    if isinstance(mine, int) and not isinstance(mine, bool):
        return mine + 1
    if isinstance(mine, str):
        return mine + "x"
    return theirs


def _tries_to_change(record: Any, other: Any) -> list[Callable[[], Any]]:
    """Every public way to ask a record for a changed copy."""
    tries: list[Callable[[], Any]] = []
    for name in sorted(type(record)._pclass_fields):
        new = _replacement(record, name, other)
        tries.append(lambda name=name, new=new: record.set(name, new))
        tries.append(lambda name=name, new=new: record.set(**{name: new}))
        tries.append(lambda name=name, new=new: record.transform([name], new))
        tries.append(lambda name=name: record.remove(name))

        def evolve(name: str = name, new: Any = new) -> Any:
            evolver = record.evolver()
            evolver.set(name, new)
            return evolver.persistent()

        tries.append(evolve)
    tries.append(lambda: record.set(label="relabelled"))
    return tries


def _frozen_all_the_way(x: Any, path: str, seen: set[int]) -> None:
    """Every container reachable through record fields is immutable."""
    if id(x) in seen:
        return
    seen.add(id(x))
    assert not isinstance(x, MUTABLE_CONTAINERS), f"{path} is a {type(x).__name__}"
    if isinstance(x, Value):
        assert type(x.inputs) is tuple and type(x.local_grads) is tuple, path
        assert type(x.parents) is tuple, path
        return
    if isinstance(x, PClass):
        for name in type(x)._pclass_fields:
            _frozen_all_the_way(getattr(x, name), f"{path}.{name}", seen)
    elif isinstance(x, (PMap, Mapping)):
        # A read-only view over a table nobody else holds (Gradients.table) is frozen too.
        assert isinstance(x, (PMap, types.MappingProxyType)), f"{path} is a {type(x).__name__}"
        for k, v in x.items():
            _frozen_all_the_way(v, f"{path}[{k!r}]", seen)
    elif isinstance(x, (tuple, PVector, PSet, frozenset)):
        for i, item in enumerate(x):
            _frozen_all_the_way(item, f"{path}[{i}]", seen)


@pytest.mark.parametrize("kind", sorted(RECORDS))
def test_record_cannot_be_changed_in_place(kind: str) -> None:
    @settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(RECORDS[kind], RECORDS[kind])
    def check(record: Any, other: Any) -> None:
        assert isinstance(record, RECORD_TYPES)
        before = exact(record)
        names = [*sorted(type(record)._pclass_fields), "extra", "grad", "__class__"]
        names.append("_pclass_frozen")
        for name in names:
            with pytest.raises(AttributeError):
                setattr(record, name, getattr(other, name, 0.0))
            with pytest.raises(AttributeError):
                delattr(record, name)
        assert exact(record) == before
        for attempt in _tries_to_change(record, other):
            try:
                changed = attempt()
            except Exception:  # refusing is fine; changing the original is not
                changed = None
            assert exact(record) == before
            if changed is not None:
                assert changed is not record or exact(changed) == before
        _frozen_all_the_way(record, kind, set())
        assert exact(record) == before

    check()


def test_value_refuses_every_field_change_but_its_label() -> None:
    v = Value(2.0, label="v") * 3
    for name in ("data", "op", "id", "inputs", "local_grads"):
        with pytest.raises(TypeError):
            v.set(name, getattr(Value(5.0), name))
    with pytest.raises(TypeError):
        v.evolver()
    relabelled = v.set(label="w")
    assert (v.label, relabelled.label) == (None, "w")
    assert relabelled.id == v.id and relabelled.data == v.data


def test_dataset_metadata_is_frozen_all_the_way_down() -> None:
    # A Dataset built by hand used to keep the caller's lists and dicts inside
    # its metadata: ds.metadata["tags"].append(...) changed the "immutable" record.
    tags, extra = ["train"], {"source": ["a", "b"], "where": {"x": [1, 2]}}
    ds = Dataset(xs=[[0, 1]], ys=[1], metadata={"name": "mine", "tags": tags, "extra": extra})
    tags.append("oops")
    extra["source"].append("c")
    assert list(ds.metadata["tags"]) == ["train"]
    assert list(ds.metadata["extra"]["source"]) == ["a", "b"]
    _frozen_all_the_way(ds, "ds", set())
    again = ds.set(metadata={"name": "again", "n": [1]})
    assert isinstance(again.metadata["n"], PVector)
    evolver = ds.evolver()
    evolver.set("metadata", {"name": "evolved", "n": {"k": [1]}})
    assert isinstance(evolver.persistent().metadata["n"]["k"], PVector)
    assert ds.metadata["name"] == "mine"
    # what the generators write stays as it was: tuples stay tuples
    blobs = fm.datasets.blobs(4, centers=[[0, 0], [1, 1]])
    assert blobs.metadata["centers"] == ((0.0, 0.0), (1.0, 1.0))
    assert fm.datasets.moons(10) == fm.datasets.moons(10)


def test_input_containers_are_copied_not_kept() -> None:
    # Mutating what was passed in afterwards changes nothing the library made.
    xs, ys = [[0.0, 1.0], [1.0, 0.0]], [1.0, -1.0]
    ds = Dataset(xs=xs, ys=ys, metadata={"name": "mine"})
    centers = [[0.0, 0.0], [2.0, 1.0]]
    blobs = fm.datasets.blobs(4, noise=0.0, shuffle=False, centers=centers)
    model = fm.nn.neuron(2, seed=1)
    weights = [1.0, 2.0, 3.0]
    rebuilt = fm.nn.with_parameters(model, weights)
    items = [1, 2, 3]
    order, _ = rng.permutation(rng.seed(0), items)
    before = exact((ds, blobs, rebuilt, order))
    xs[0][0], ys[0], centers[1][0], weights[0], items[0] = 9.0, -1.0, 9.0, 9.0, 9
    xs.append([5.0, 5.0])
    assert exact((ds, blobs, rebuilt, order)) == before


def test_returned_rows_are_fresh_every_call() -> None:
    # plot_data and graph hand out plain dicts; changing one changes nothing else.
    ds = fm.datasets.moons(6)
    x = Value(2.0)
    y = x * x
    for make in (
        lambda: plot_data.dataset_points(ds),
        lambda: graph.nodes(y, fm.backward(y)),
        lambda: graph.edges(y),
    ):
        rows = make()
        rows[0]["x"] = "changed"
        rows.append({})
        assert make() != rows
        assert "changed" not in str(make())


def test_gradients_table_cannot_be_changed_through_to_map() -> None:
    x = Value(3.0)
    g = fm.backward(x * x)
    table = g.to_map()
    bigger = table.set(x.id, 100.0)
    assert g[x] == 6.0 and bigger[x.id] == 100.0
    with pytest.raises(TypeError):
        table[x.id] = 100.0  # type: ignore[index]
    assert g[x] == 6.0


def test_snapshot_sees_a_change() -> None:
    # The checks above are only as good as the snapshot: it must see every kind of change.
    rows = [[1.0, 2.0]]
    before = exact(rows)
    rows[0][1] = 2.0000000000000004
    assert exact(rows) != before
    v = Value(1.0, label="a")
    y = v * 2.0
    assert exact(y) != exact(y.set(label="b"))
    assert canonical(Value(1.0) * 2.0) == canonical(Value(1.0) * 2.0)
    assert exact(Value(1.0) * 2.0) != exact(Value(1.0) * 2.0)  # new ids
    assert canonical(Value(1.0) * 2.0) != canonical(Value(1.0) * 2.5)
    assert canonical(math.pi) != canonical(math.nextafter(math.pi, 4.0))
    assert canonical(toolz.identity) == canonical(toolz.identity)
