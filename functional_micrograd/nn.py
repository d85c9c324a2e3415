"""Neurons, layers and MLPs as immutable records, and pure functions over them.

A model is data: an :class:`MLP` holds :class:`Layer` records, a Layer holds
:class:`Neuron` records, and a Neuron holds its weights ``w`` and bias ``b``
as leaf Values. Running a model builds a new graph on top of those leaves;
:func:`apply_gradients` returns the next model and leaves the old one as it
was.

>>> model = mlp(2, [3, 1], seed=0)
>>> model
MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2), ReLUNeuron(2)], Layer of [LinearNeuron(3)]]
>>> parameter_count(model)
13
>>> round(model([1.0, -2.0]).data, 4)
-0.6787
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from pyrsistent import PClass, field

from functional_micrograd import _checks, _collector
from functional_micrograd import rng as _rng
from functional_micrograd.autodiff import Gradients
from functional_micrograd.value import (
    Operand,
    Value,
    _add,
    _leaf,
    _mul,
    _operand,
    _relu,
    _sigmoid,
    _sub,
    _tanh,
)
from functional_micrograd.value import logsumexp as _logsumexp

__all__ = [
    "ACTIVATIONS",
    "FORMAT_VERSION",
    "INITS",
    "MLP",
    "Layer",
    "Model",
    "Neuron",
    "Output",
    "apply_gradients",
    "forward",
    "from_json",
    "layer",
    "log_softmax",
    "logsumexp",
    "mlp",
    "neuron",
    "parameter_count",
    "parameters",
    "predict",
    "softmax",
    "to_json",
    "with_parameters",
]

Output = Value | tuple[Value, ...]
"""What running a model gives: one Value, or a tuple of Values for several outputs."""

_NONLINEARITIES: dict[str, Callable[[Value], Value]] = {
    "relu": _relu,
    "tanh": _tanh,
    "sigmoid": _sigmoid,
    "linear": lambda v: v,
}
ACTIVATIONS = tuple(_NONLINEARITIES)
"""The activation names a neuron accepts."""

_DISPLAY = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "linear": "Linear"}

INITS = ("uniform", "scaled")
"""How weights start: uniform in [-1, 1] (micrograd), or that times ``nin ** -0.5`` (EurekaLabs)."""

# What a micrograd user reaches for first, and what to write here instead.
_HABITS = {
    "parameters": (
        "{kind} has no parameters() method: a model is data here, and functions read it; "
        "write fm.nn.parameters(model)"
    ),
    "zero_grad": (
        "{kind} has no zero_grad(): there is nothing to zero; gradients are never stored on a "
        "model or its Values, and every g = loss.backward() is a fresh table, read as g[p]"
    ),
}


class _Habits:
    """Turns micrograd's ``model.parameters()`` and ``model.zero_grad()`` into pointers."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        hint = _HABITS.get(name)
        if hint is not None:
            raise AttributeError(hint.format(kind=type(self).__name__))
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


def _no_positional(kind: str, builder: str, args: tuple[Any, ...]) -> None:
    if args:
        shown = ", ".join(_checks.show(a) for a in args)
        raise TypeError(
            f"{kind}({shown}) is micrograd's constructor; here write fm.nn.{builder}({shown}) "
            f"({kind}(...) itself takes its parts by keyword)"
        )


def _all_values(w: tuple[Any, ...]) -> tuple[bool, str]:
    ok = len(w) > 0 and all(isinstance(x, Value) for x in w)
    return ok, f"Neuron.w must be a non-empty tuple of Values, got {w!r}"


def _known_activation(name: str) -> tuple[bool, str]:
    return name in _NONLINEARITIES, f"Neuron.activation must be one of {ACTIVATIONS}, got {name!r}"


def _same_widths(neurons: tuple[Any, ...]) -> tuple[bool, str]:
    ok = (
        len(neurons) > 0
        and all(isinstance(n, Neuron) for n in neurons)
        and len({len(n.w) for n in neurons}) == 1
    )
    return ok, "Layer.neurons must be a non-empty tuple of Neurons with the same number of inputs"


def _chained(layers: tuple[Any, ...]) -> tuple[bool, str]:
    ok = (
        len(layers) > 0
        and all(isinstance(row, Layer) for row in layers)
        and all(
            len(before.neurons) == len(after.neurons[0].w)
            for before, after in itertools.pairwise(layers)
        )
    )
    return (
        ok,
        "MLP.layers must be a non-empty tuple of Layers, each as wide as the next one's input",
    )


class Neuron(_Habits, PClass):
    """One neuron: ``activation(b + sum(w_i * x_i))``.

    >>> n = neuron(3, activation="tanh", seed=1)
    >>> n, len(n.w), n.b.data
    (TanhNeuron(3), 3, 0.0)
    """

    w = field(type=tuple, mandatory=True, invariant=_all_values)
    b = field(type=Value, mandatory=True)
    activation = field(type=str, initial="relu", invariant=_known_activation)

    def __new__(cls, *args: Any, **kwargs: Any) -> Neuron:
        _no_positional("Neuron", "neuron", args)
        made: Neuron = super().__new__(cls, **kwargs)
        return made

    def __call__(self, x: Sequence[Operand]) -> Output:
        return forward(self, x)

    def __repr__(self) -> str:
        return f"{_DISPLAY[self.activation]}Neuron({len(self.w)})"


class Layer(_Habits, PClass):
    """A row of neurons that all read the same inputs."""

    neurons = field(type=tuple, mandatory=True, invariant=_same_widths)

    def __new__(cls, *args: Any, **kwargs: Any) -> Layer:
        _no_positional("Layer", "layer", args)
        made: Layer = super().__new__(cls, **kwargs)
        return made

    def __call__(self, x: Sequence[Operand]) -> Output:
        return forward(self, x)

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(map(repr, self.neurons))}]"


class MLP(_Habits, PClass):
    """Layers applied one after another; the last one is linear.

    Build one with :func:`mlp`; micrograd's habits get a pointer here:

    >>> MLP(2, [16, 1])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: MLP(2, [16, 1]) is micrograd's constructor; here write fm.nn.mlp(2, [16, 1]) ...
    >>> mlp(2, [1]).zero_grad()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    AttributeError: MLP has no zero_grad(): there is nothing to zero; ...
    """

    layers = field(type=tuple, mandatory=True, invariant=_chained)

    def __new__(cls, *args: Any, **kwargs: Any) -> MLP:
        _no_positional("MLP", "mlp", args)
        made: MLP = super().__new__(cls, **kwargs)
        return made

    def __call__(self, x: Sequence[Operand]) -> Output:
        return forward(self, x)

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(map(repr, self.layers))}]"


Model = Neuron | Layer | MLP
"""Anything :func:`forward`, :func:`parameters` and the updates accept."""


# -- checking arguments -----------------------------------------------------------


def _check_size(where: str, name: str, n: object) -> int:
    return _checks.integer(where, name, n, minimum=1)


def _check_activation(where: str, activation: object) -> str:
    if not isinstance(activation, str) or activation not in _NONLINEARITIES:
        raise ValueError(
            f"{where}: expected activation to be one of {', '.join(ACTIVATIONS)}, "
            f"got {activation!r}"
        )
    return activation


def _check_seed(where: str, seed: object) -> int:
    return _checks.seed(where, seed)


def _check_model(where: str, model: object) -> Model:
    if not isinstance(model, (Neuron, Layer, MLP)):
        raise TypeError(f"{where}: expected a Neuron, Layer or MLP, got {type(model).__name__}")
    return model


# -- building models --------------------------------------------------------------


def _check_init(where: str, init: object) -> str:
    return _checks.one_of(where, "init", init, INITS)


def _random_neuron(
    nin: int, activation: str, state: _rng.Rng, name: str, init: str = "uniform"
) -> tuple[Neuron, _rng.Rng]:
    weights, state = _rng.uniforms(state, nin, -1.0, 1.0)
    if init == "scaled":  # EurekaLabs' micrograd: keeps each pre-activation's spread near 1
        weights = tuple(x * nin**-0.5 for x in weights)
    w = tuple(_leaf(x, f"{name}w{i}") for i, x in enumerate(weights))
    return Neuron(w=w, b=_leaf(0.0, f"{name}b"), activation=activation), state


def _random_layer(
    nin: int, nout: int, activation: str, state: _rng.Rng, name: str, init: str = "uniform"
) -> tuple[Layer, _rng.Rng]:
    neurons = []
    for j in range(nout):
        unit, state = _random_neuron(nin, activation, state, f"{name}N{j}.", init)
        neurons.append(unit)
    return Layer(neurons=tuple(neurons)), state


def neuron(nin: int, activation: str = "relu", seed: int = 0, init: str = "uniform") -> Neuron:
    """A neuron with ``nin`` weights uniform in [-1, 1] and a zero bias.

    Args:
        nin: the number of inputs.
        activation: ``"relu"``, ``"tanh"``, ``"sigmoid"`` or ``"linear"``.
        seed: the same seed gives the same weights, in any process.
        init: ``"uniform"`` (micrograd's), or ``"scaled"`` for the same draws
            times ``nin ** -0.5`` (EurekaLabs' micrograd).

    >>> [round(w.data, 4) for w in neuron(2, seed=0).w]
    [0.7666, -0.1369]
    >>> [round(w.data, 4) for w in neuron(2, seed=0, init="scaled").w]
    [0.5421, -0.0968]
    """
    _check_size("neuron", "nin", nin)
    _check_activation("neuron", activation)
    kind = _check_init("neuron", init)
    state = _rng.seed(_check_seed("neuron", seed))
    unit, _ = _random_neuron(nin, activation, state, "", kind)
    return unit


def layer(
    nin: int, nout: int, activation: str = "relu", seed: int = 0, init: str = "uniform"
) -> Layer:
    """A layer of ``nout`` neurons, each with ``nin`` inputs.

    >>> layer(3, 2, activation="sigmoid")
    Layer of [SigmoidNeuron(3), SigmoidNeuron(3)]
    """
    _check_size("layer", "nin", nin)
    _check_size("layer", "nout", nout)
    _check_activation("layer", activation)
    kind = _check_init("layer", init)
    state = _rng.seed(_check_seed("layer", seed))
    built, _ = _random_layer(nin, nout, activation, state, "", kind)
    return built


def mlp(
    nin: int,
    nouts: Sequence[int],
    activation: str = "relu",
    seed: int = 0,
    init: str = "uniform",
) -> MLP:
    """A multi-layer perceptron: hidden layers use ``activation``, the last is linear.

    Args:
        nin: the number of inputs.
        nouts: the width of each layer, e.g. ``[16, 16, 1]``; a last width of
            K > 1 gives K outputs (logits, for a K-class problem).
        activation: the hidden layers' activation.
        seed: one random stream initialises every weight, in micrograd's order.
        init: ``"uniform"`` (micrograd's weights in [-1, 1]) or ``"scaled"``
            (the same draws times ``nin ** -0.5`` for each neuron, as
            EurekaLabs' micrograd starts its yin-yang model).

    >>> mlp(2, [16, 16, 1]).layers[-1]
    Layer of [LinearNeuron(16)]
    >>> mlp(2, [8, 3], activation="tanh", init="scaled").layers[-1]
    Layer of [LinearNeuron(8), LinearNeuron(8), LinearNeuron(8)]
    """
    _check_size("mlp", "nin", nin)
    if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence) or not nouts:
        raise ValueError(f"mlp: nouts must be a non-empty sequence of positive ints, got {nouts!r}")
    for width in nouts:
        _check_size("mlp", "every width in nouts", width)
    _check_activation("mlp", activation)
    scheme = _check_init("mlp", init)
    state = _rng.seed(_check_seed("mlp", seed))
    sizes = [nin, *nouts]
    layers = []
    for i, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
        kind = activation if i < len(nouts) - 1 else "linear"
        built, state = _random_layer(fan_in, fan_out, kind, state, f"L{i}.", scheme)
        layers.append(built)
    return MLP(layers=tuple(layers))


# -- running models ---------------------------------------------------------------


def _nin(model: Model) -> int:
    if isinstance(model, Neuron):
        return len(model.w)
    if isinstance(model, Layer):
        return len(model.neurons[0].w)
    return len(model.layers[0].neurons[0].w)


def _nout(model: Model) -> int:
    if isinstance(model, Neuron):
        return 1
    if isinstance(model, Layer):
        return len(model.neurons)
    return len(model.layers[-1].neurons)


def _neuron_forward(unit: Neuron, xs: tuple[Value, ...]) -> Value:
    act = unit.b
    for wi, xi in zip(unit.w, xs):
        act = _add(act, _mul(wi, xi))
    return _NONLINEARITIES[unit.activation](act)


def _layer_forward(row: Layer, xs: tuple[Value, ...]) -> tuple[Value, ...]:
    return tuple([_neuron_forward(unit, xs) for unit in row.neurons])


def _inputs(where: str, model: Model, x: object) -> tuple[Value, ...]:
    if isinstance(x, (str, bytes)) or not isinstance(x, Sequence):
        raise TypeError(f"{where}: expected x to be a sequence of numbers or Values, got {x!r}")
    if len(x) != _nin(model):
        raise ValueError(f"{where}: expected {_nin(model)} inputs, got {len(x)}: {x!r}")
    return tuple(
        [
            xi if isinstance(xi, Value) else _leaf(_checks.number(where, f"x[{i}]", xi), f"x{i}")
            for i, xi in enumerate(x)
        ]
    )


def forward(model: Model, x: Sequence[Operand]) -> Output:
    """Run a model on one input; numbers in ``x`` become leaf Values first.

    Returns:
        A Value when the model has one output, else a tuple of Values.

    >>> n = neuron(2, activation="linear", seed=0)
    >>> round(forward(n, [1.0, 1.0]).data, 4)
    0.6297
    """
    _check_model("forward", model)
    xs = _inputs("forward", model, x)
    with _collector.paused():  # see _collector: a forward pass makes no cycles
        if isinstance(model, Neuron):
            return _neuron_forward(model, xs)
        rows = (model,) if isinstance(model, Layer) else model.layers
        for row in rows:
            xs = _layer_forward(row, xs)
    return xs[0] if len(xs) == 1 else xs


def predict(model: Model, x: Sequence[Operand]) -> float | int:
    """The label the model gives one point.

    One output is read as a score: 1.0 where it is >= 0, else -1.0 (micrograd's
    sign). Several outputs are read as logits: the index of the largest (the
    first, on a tie).

    >>> predict(with_parameters(neuron(1, activation="linear"), [1.0, 0.0]), [-2.0])
    -1.0
    >>> predict(with_parameters(layer(1, 3, activation="linear"), [1, 0, 3, 0, 2, 0]), [1.0])
    1
    """
    out = forward(model, x)
    if isinstance(out, Value):
        return 1.0 if out.data >= 0.0 else -1.0
    return _argmax(out)


def _argmax(values: Sequence[Value]) -> int:
    """The index of the largest Value's data; the first one on a tie."""
    best = 0
    for i in range(1, len(values)):
        if values[i].data > values[best].data:
            best = i
    return best


# -- softmax: from logits to probabilities ---------------------------------------------


def _values(where: str, values: object) -> tuple[Value, ...]:
    if isinstance(values, (str, bytes, Value)) or not isinstance(values, Iterable):
        raise TypeError(
            f"{where}: expected a sequence of Values or numbers, got {_checks.describe(values)}"
        )
    out = tuple(_operand(where, v) for v in values)
    if not out:
        raise ValueError(f"{where}: expected at least one value, got none")
    return out


def logsumexp(values: Iterable[Operand]) -> Value:
    """``log(sum(exp(v)))`` as a Value, computed without overflow for any finite inputs.

    One node of the ``logsumexp`` primitive: its forward takes the largest
    input ``m`` out first, ``m + log(sum(exp(v - m)))``, so every ``exp`` is at
    most 1, and its local derivatives are ``softmax(v)``.

    >>> round(logsumexp([0.0, 0.0]).data, 6) == round(math.log(2), 6)
    True
    >>> logsumexp([1000.0, 0.0]).data
    1000.0
    """
    return _logsumexp(_values("logsumexp", values))


def log_softmax(values: Iterable[Operand]) -> tuple[Value, ...]:
    """``-logsumexp(z - z_i)`` for each input: the log-probabilities of logits ``z``.

    That is ``z_i - logsumexp(z)``, written with differences of logits so that
    it stays exact for logits of any size (``log_softmax([1e300, 1e300])`` is
    ``-log 2`` twice).

    >>> [round(v.data, 4) for v in log_softmax([1.0, 2.0, 3.0])]
    [-2.4076, -1.4076, -0.4076]
    >>> [v.data for v in log_softmax([1000.0, 0.0])]
    [0.0, -1000.0]
    """
    vs = _values("log_softmax", values)
    with _collector.paused():  # see _collector: no cycles in a graph of Values
        # 0 - logsumexp, not -logsumexp: a certain class's log-probability is 0.0, not -0.0
        zero = _leaf(0.0, None)
        return tuple(_sub(zero, _logsumexp(tuple(_sub(u, v) for u in vs))) for v in vs)


def softmax(values: Iterable[Operand]) -> tuple[Value, ...]:
    """``exp(log_softmax(z)_i)`` for each input: probabilities that sum to 1.

    >>> [round(p.data, 4) for p in softmax([1.0, 2.0, 3.0])]
    [0.09, 0.2447, 0.6652]
    >>> [p.data for p in softmax([1000.0, 0.0])]
    [1.0, 0.0]
    """
    return tuple(v.exp() for v in log_softmax(_values("softmax", values)))


# -- parameters and updates ---------------------------------------------------------


def parameters(model: Model) -> tuple[Value, ...]:
    """Every weight and bias, in micrograd's order: layer, neuron, weights then bias.

    >>> [p.label for p in parameters(neuron(2))]
    ['w0', 'w1', 'b']
    """
    _check_model("parameters", model)
    return tuple(_iter_parameters(model))


def _iter_parameters(model: Model) -> Iterator[Value]:
    if isinstance(model, Neuron):
        yield from model.w
        yield model.b
    elif isinstance(model, Layer):
        for unit in model.neurons:
            yield from _iter_parameters(unit)
    else:
        for row in model.layers:
            yield from _iter_parameters(row)


def parameter_count(model: Model) -> int:
    """How many numbers the model learns.

    >>> parameter_count(mlp(2, [16, 16, 1]))
    337
    """
    return len(parameters(model))


def _rebuild(model: Model, new: Iterator[Value]) -> Model:
    if isinstance(model, Neuron):
        w = tuple(next(new) for _ in model.w)
        return Neuron(w=w, b=next(new), activation=model.activation)
    if isinstance(model, Layer):
        return Layer(neurons=tuple(_rebuild(unit, new) for unit in model.neurons))
    return MLP(layers=tuple(_rebuild(row, new) for row in model.layers))


def with_parameters(model: Model, values: Iterable[float | Value]) -> Model:
    """The same architecture holding new parameters, given in ``parameters`` order.

    Numbers become new leaves that keep the old parameters' labels; the
    model passed in is unchanged.

    >>> n = neuron(2, seed=0)
    >>> m = with_parameters(n, [1.0, 2.0, 0.5])
    >>> [p.data for p in parameters(m)], round(n.w[0].data, 4)
    ([1.0, 2.0, 0.5], 0.7666)
    """
    old = parameters(model)
    given = tuple(values)
    if len(given) != len(old):
        raise ValueError(f"with_parameters: expected {len(old)} values, got {len(given)}")
    new = [
        v if isinstance(v, Value) else _leaf(_checks.number("with_parameters", "v", v), p.label)
        for p, v in zip(old, given)
    ]
    return _rebuild(model, iter(new))


def _check_learning_rate(where: str, learning_rate: object) -> float:
    return _checks.number(where, "learning_rate", learning_rate, at_least=0.0)


def apply_gradients(model: Model, gradients: Gradients[float], learning_rate: float) -> Model:
    """One gradient-descent step: every parameter ``p`` becomes ``p - rate * g[p]``.

    Returns a new model; the one passed in is unchanged and still usable.

    >>> from functional_micrograd.autodiff import backward
    >>> n = neuron(1, activation="linear", seed=0)
    >>> g = backward(n([2.0]))
    >>> m = apply_gradients(n, g, 0.1)
    >>> round(n.w[0].data, 4), round(m.w[0].data, 4), m.b.data
    (0.7666, 0.5666, -0.1)
    """
    _check_model("apply_gradients", model)
    if not isinstance(gradients, Gradients):
        raise TypeError(
            f"apply_gradients: expected Gradients (from backward), got {type(gradients).__name__}"
        )
    rate = _check_learning_rate("apply_gradients", learning_rate)
    table = gradients.table
    new = []
    for p in parameters(model):
        data = p.data - rate * table.get(p.id, 0.0)
        if not math.isfinite(data):
            raise OverflowError(
                f"apply_gradients: parameter {p.label or p.id} would become {data!r} "
                f"({p.data!r} - {rate!r} * {table.get(p.id, 0.0)!r})"
            )
        new.append(_leaf(data, p.label))
    return _rebuild(model, iter(new))


# -- saving and loading -----------------------------------------------------------

FORMAT_VERSION = 1
"""The ``format_version`` that :func:`to_json` writes and :func:`from_json` reads."""

_KINDS = ("Neuron", "Layer", "MLP")
_MAX_TEXT = 64 * 1024 * 1024


def _neuron_doc(unit: Neuron) -> dict[str, Any]:
    return {"activation": unit.activation, "w": [w.data for w in unit.w], "b": unit.b.data}


def _layer_doc(row: Layer) -> dict[str, Any]:
    return {"neurons": [_neuron_doc(unit) for unit in row.neurons]}


def to_json(model: Model) -> str:
    """Save a model as plain JSON text; every float round-trips exactly.

    >>> text = to_json(neuron(2, seed=0))
    >>> text[:40]
    '{"format_version": 1, "kind": "Neuron", '
    >>> from_json(text).w[0].data == neuron(2, seed=0).w[0].data
    True
    """
    _check_model("to_json", model)
    if isinstance(model, Neuron):
        doc = _neuron_doc(model)
    elif isinstance(model, Layer):
        doc = _layer_doc(model)
    else:
        doc = {"layers": [_layer_doc(row) for row in model.layers]}
    kind = type(model).__name__
    return json.dumps({"format_version": FORMAT_VERSION, "kind": kind, "model": doc})


def _bad(path: str, expected: str, got: object) -> ValueError:
    shown = repr(got)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return ValueError(f"from_json: expected {path} to be {expected}, got {shown}")


def _object(path: str, doc: object, keys: set[str]) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise _bad(path, f"an object with keys {sorted(keys)}", doc)
    if set(doc) != keys:
        unknown = sorted(set(doc) - keys)
        missing = sorted(keys - set(doc))
        raise ValueError(
            f"from_json: {path} must have exactly the keys {sorted(keys)}"
            + (f"; unknown: {unknown}" if unknown else "")
            + (f"; missing: {missing}" if missing else "")
        )
    return doc


def _list(path: str, doc: object) -> list[Any]:
    if not isinstance(doc, list) or not doc:
        raise _bad(path, "a non-empty list", doc)
    return doc


def _number(path: str, doc: object) -> float:
    if isinstance(doc, bool) or not isinstance(doc, (int, float)):
        raise _bad(path, "a number", doc)
    try:
        number = float(doc)
    except OverflowError:
        raise _bad(path, "a finite number", doc) from None
    if not math.isfinite(number):
        raise _bad(path, "a finite number", doc)
    return number


def _load_neuron(path: str, doc: object, name: str) -> Neuron:
    d = _object(path, doc, {"activation", "w", "b"})
    activation = d["activation"]
    if not isinstance(activation, str) or activation not in _NONLINEARITIES:
        raise _bad(f"{path}.activation", f"one of {list(ACTIVATIONS)}", activation)
    ws = _list(f"{path}.w", d["w"])
    w = tuple(_leaf(_number(f"{path}.w[{i}]", x), f"{name}w{i}") for i, x in enumerate(ws))
    b = _leaf(_number(f"{path}.b", d["b"]), f"{name}b")
    return Neuron(w=w, b=b, activation=activation)


def _load_layer(path: str, doc: object, name: str) -> Layer:
    rows = _list(f"{path}.neurons", _object(path, doc, {"neurons"})["neurons"])
    units = tuple(
        _load_neuron(f"{path}.neurons[{j}]", unit, f"{name}N{j}.") for j, unit in enumerate(rows)
    )
    widths = {len(unit.w) for unit in units}
    if len(widths) != 1:
        raise ValueError(f"from_json: the neurons of {path} have different input widths {widths}")
    return Layer(neurons=units)


def _load_mlp(path: str, doc: object) -> MLP:
    rows = _list(f"{path}.layers", _object(path, doc, {"layers"})["layers"])
    layers = tuple(_load_layer(f"{path}.layers[{i}]", row, f"L{i}.") for i, row in enumerate(rows))
    for i in range(1, len(layers)):
        expected, got = len(layers[i - 1].neurons), len(layers[i].neurons[0].w)
        if expected != got:
            raise ValueError(
                f"from_json: {path}.layers[{i}] takes {got} inputs but layer {i - 1} "
                f"has {expected} outputs"
            )
    return MLP(layers=layers)


def _parse(text: str) -> object:
    def no_constants(name: str) -> None:
        raise ValueError(f"from_json: {name} is not allowed; every number must be finite")

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in pairs]
        if len(set(keys)) != len(keys):
            raise ValueError(f"from_json: duplicate keys in an object: {sorted(keys)}")
        return dict(pairs)

    def whole_number(digits: str) -> int:
        # No float has over 309 integer digits; int() itself refuses very long
        # digit strings with a message about interpreter limits.
        if len(digits) > 400:
            raise ValueError(
                f"from_json: an integer of {len(digits)} digits is too large to be a float"
            )
        return int(digits)

    try:
        return json.loads(
            text,
            parse_constant=no_constants,
            parse_int=whole_number,
            object_pairs_hook=no_duplicates,
        )
    except RecursionError:
        raise ValueError("from_json: the text is nested too deeply to be a model") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"from_json: not valid JSON ({error})") from None


def from_json(text: str) -> Model:
    """Load a model saved by :func:`to_json`.

    Only plain JSON is read: nothing named in the text is imported or run.
    Anything malformed, truncated, wrongly shaped or with unknown keys raises
    ``ValueError`` saying where.

    >>> from_json(to_json(mlp(2, [3, 1])))
    MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2), ReLUNeuron(2)], Layer of [LinearNeuron(3)]]
    >>> from_json('{"format_version": 2, "kind": "MLP", "model": {}}')
    Traceback (most recent call last):
    ...
    ValueError: from_json: expected format_version to be 1, got 2
    """
    if not isinstance(text, str):
        raise TypeError(f"from_json: expected a str of JSON text, got {type(text).__name__}")
    if len(text) > _MAX_TEXT:
        raise ValueError(f"from_json: the text is {len(text)} characters; at most {_MAX_TEXT}")
    top = _object("the document", _parse(text), {"format_version", "kind", "model"})
    version = top["format_version"]
    if isinstance(version, bool) or version != FORMAT_VERSION:
        raise _bad("format_version", str(FORMAT_VERSION), version)
    kind = top["kind"]
    if kind == "Neuron":
        return _load_neuron("model", top["model"], "")
    if kind == "Layer":
        return _load_layer("model", top["model"], "")
    if kind == "MLP":
        return _load_mlp("model", top["model"])
    raise _bad("kind", f"one of {list(_KINDS)}", kind)
