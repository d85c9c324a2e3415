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
import math
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

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

if TYPE_CHECKING:  # at run time these come from serialize on first use; see __getattr__
    from functional_micrograd.serialize import FORMAT_VERSION, from_json, to_json

__all__ = [
    "ACTIVATIONS",
    "FORMAT_VERSION",
    "INITS",
    "MLP",
    "Layer",
    "Model",
    "Neuron",
    "Output",
    "Structure",
    "apply_gradients",
    "flatten",
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
    "structure",
    "to_json",
    "unflatten",
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
        if name[:1] == "_":  # pyrsistent probes its own slots while it builds a record
            raise AttributeError(name)
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


_OK = (True, None)


def _activation_problem(activation: object) -> str | None:
    """The one rule for an activation name: None when it is known, else what is wrong."""
    if isinstance(activation, str) and activation in _NONLINEARITIES:
        return None
    return (
        f"expected activation to be one of {', '.join(ACTIVATIONS)}, got {_checks.show(activation)}"
    )


def _width_problem(widths: Sequence[int]) -> str | None:
    """A Layer's rule: every neuron reads the same inputs."""
    if len(set(widths)) > 1:
        shown = ", ".join(map(str, sorted(set(widths))[:5]))
        return f"its neurons take different numbers of inputs ({shown})"
    return None


def _chain_problem(rows: Sequence[tuple[int, int]]) -> str | None:
    """An MLP's rule, on (inputs, outputs) per layer: each layer feeds the next."""
    for i in range(1, len(rows)):
        if rows[i][0] != rows[i - 1][1]:
            return (
                f"layers[{i}] takes {rows[i][0]} inputs but layers[{i - 1}] has "
                f"{rows[i - 1][1]} outputs"
            )
    return None


def _all_values(w: tuple[Any, ...]) -> tuple[bool, Any]:
    if len(w) > 0 and all(isinstance(x, Value) for x in w):
        return _OK
    return False, f"Neuron.w must be a non-empty tuple of Values, got {_checks.describe(w)}"


def _known_activation(name: str) -> tuple[bool, Any]:
    problem = _activation_problem(name)
    return _OK if problem is None else (False, f"Neuron: {problem}")


def _same_widths(neurons: tuple[Any, ...]) -> tuple[bool, Any]:
    if not neurons or not all(isinstance(n, Neuron) for n in neurons):
        return False, "Layer.neurons must be a non-empty tuple of Neurons"
    problem = _width_problem([len(n.w) for n in neurons])
    return _OK if problem is None else (False, f"Layer.neurons: {problem}")


def _chained(layers: tuple[Any, ...]) -> tuple[bool, Any]:
    if not layers or not all(isinstance(row, Layer) for row in layers):
        return False, "MLP.layers must be a non-empty tuple of Layers"
    problem = _chain_problem([(len(row.neurons[0].w), len(row.neurons)) for row in layers])
    return _OK if problem is None else (False, f"MLP.layers: {problem}")


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

MODELS = (Neuron, Layer, MLP)
"""The model record types, for a record field that holds a model."""


# -- the records' constructors, on the hot path -----------------------------------------
# pyrsistent's generic constructor costs ~10 us a record (a factory lookup, a
# type check and a frozen-flag probe per field); an update rebuilds every
# neuron. These run the same checks (the field's type, the invariant
# functions above) and set the slots directly; where a check fails they call
# the constructor itself, so the error is the record's own.

_new = object.__new__
_NEURON_SLOTS = tuple(
    Neuron.__dict__[k].__set__ for k in ("w", "b", "activation", "_pclass_frozen")
)
_SLOTS = {
    cls: tuple(cls.__dict__[k].__set__ for k in (name, "_pclass_frozen"))
    for cls, name in ((Layer, "neurons"), (MLP, "layers"))
}


def _neuron(w: tuple[Value, ...], b: Value, activation: str) -> Neuron:
    """``Neuron(w=w, b=b, activation=activation)``, checked as that is."""
    if (
        type(w) is tuple
        and isinstance(b, Value)
        and type(activation) is str
        and _all_values(w)[0]
        and _known_activation(activation)[0]
    ):
        set_w, set_b, set_activation, freeze = _NEURON_SLOTS
        unit: Neuron = _new(Neuron)
        set_w(unit, w)
        set_b(unit, b)
        set_activation(unit, activation)
        freeze(unit, True)
        return unit
    return Neuron(w=w, b=b, activation=activation)


def _parts_record(cls: Any, name: str, parts: tuple[Any, ...], invariant: Any) -> Any:
    """``cls(**{name: parts})`` for a Layer or MLP, checked as that is."""
    if type(parts) is tuple and invariant(parts)[0]:
        set_parts, freeze = _SLOTS[cls]
        record = _new(cls)
        set_parts(record, parts)
        freeze(record, True)
        return record
    return cls(**{name: parts})


def _layer(neurons: tuple[Neuron, ...]) -> Layer:
    """``Layer(neurons=neurons)``, checked as that is."""
    row: Layer = _parts_record(Layer, "neurons", neurons, _same_widths)
    return row


def _mlp(layers: tuple[Layer, ...]) -> MLP:
    """``MLP(layers=layers)``, checked as that is."""
    model: MLP = _parts_record(MLP, "layers", layers, _chained)
    return model


# -- checking arguments -----------------------------------------------------------


def _check_size(where: str, name: str, n: object) -> int:
    return _checks.integer(where, name, n, minimum=1)


def _check_activation(where: str, activation: object) -> str:
    problem = _activation_problem(activation)
    if problem is not None:
        raise ValueError(f"{where}: {problem}")
    return activation  # type: ignore[return-value]


def _check_seed(where: str, seed: object) -> int:
    return _checks.seed(where, seed)


def _check_model(where: str, model: object) -> Model:
    if not isinstance(model, MODELS):
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
    return len(_parts(model)[1][0][0].w)


def _neuron_forward(unit: Neuron, xs: tuple[Value, ...]) -> Value:
    act = unit.b
    for wi, xi in zip(unit.w, xs):
        act = _add(act, _mul(wi, xi))
    return _NONLINEARITIES[unit.activation](act)


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
        for units in _parts(model)[1]:
            xs = tuple([_neuron_forward(unit, xs) for unit in units])
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


# -- the walker: a model as its parameters and a structure ---------------------------


class Structure(NamedTuple):
    """A model without its numbers: what :func:`unflatten` needs to rebuild it.

    Fields:
        kind: ``"Neuron"``, ``"Layer"`` or ``"MLP"``.
        layers: per layer, per neuron, its number of inputs and its activation
            (a Neuron is one layer of one neuron, a Layer one layer).

    >>> structure(mlp(2, [3, 1]))
    Structure(kind='MLP', layers=(((2, 'relu'), (2, 'relu'), (2, 'relu')), ((3, 'linear'),)))
    >>> s = structure(mlp(2, [3, 1]))
    >>> s.nin, s.nout, s.size, s.shape
    (2, 1, 13, ('MLP', 2, 3, 1))
    """

    kind: str
    layers: tuple[tuple[tuple[int, str], ...], ...]

    @property
    def nin(self) -> int:
        """How many inputs the model reads."""
        return self.layers[0][0][0]

    @property
    def nout(self) -> int:
        """How many outputs it gives."""
        return len(self.layers[-1])

    @property
    def size(self) -> int:
        """How many parameters it holds."""
        return sum(nin + 1 for row in self.layers for nin, _ in row)

    @property
    def shape(self) -> tuple[Any, ...]:
        """The kind, the inputs and every layer's width: what an optimizer's state must match."""
        return (self.kind, self.nin, *(len(row) for row in self.layers))


def _parts(model: Model) -> tuple[str, tuple[tuple[Neuron, ...], ...]]:
    """The model's kind and its neurons, layer by layer: the one place that asks its class."""
    if isinstance(model, MLP):
        return "MLP", tuple([row.neurons for row in model.layers])
    if isinstance(model, Layer):
        return "Layer", (model.neurons,)
    return "Neuron", ((model,),)


def structure(model: Model) -> Structure:
    """The model's :class:`Structure`: its kind and every neuron's inputs and activation.

    >>> structure(neuron(3, activation="tanh"))
    Structure(kind='Neuron', layers=(((3, 'tanh'),),))
    """
    kind, rows = _parts(_check_model("structure", model))
    return Structure(
        kind, tuple([tuple([(len(u.w), u.activation) for u in units]) for units in rows])
    )


def flatten(model: Model) -> tuple[tuple[Value, ...], Structure]:
    """A model as data: its parameters in micrograd's order and its :class:`Structure`.

    The order is micrograd's: layer by layer, neuron by neuron, the weights
    then the bias. :func:`unflatten` is the inverse.

    >>> params, shape = flatten(neuron(2))
    >>> [p.label for p in params], shape.kind
    (['w0', 'w1', 'b'], 'Neuron')
    """
    kind, rows = _parts(_check_model("flatten", model))
    params: list[Value] = []
    extend, append = params.extend, params.append
    layers = []
    for units in rows:
        layers.append(tuple([(len(u.w), u.activation) for u in units]))
        for u in units:
            extend(u.w)
            append(u.b)
    return tuple(params), Structure(kind, tuple(layers))


def unflatten(skeleton: Structure, params: Sequence[Value]) -> Model:
    """The model of this structure holding these parameters (as :func:`flatten` gives them).

    Every record is checked as its own constructor checks it (the field types
    and the invariants), so a wrong structure or a non-Value is refused there.

    >>> model = mlp(2, [3, 1])
    >>> params, shape = flatten(model)
    >>> again = unflatten(shape, params)
    >>> repr(again) == repr(model), parameters(again) == params
    (True, True)
    """
    if len(params) != skeleton.size:
        raise ValueError(
            f"unflatten: expected {skeleton.size} parameters for this structure, got {len(params)}"
        )
    i = 0
    rows = []
    for row in skeleton.layers:
        units = []
        for nin, activation in row:
            j = i + nin
            units.append(_neuron(tuple(params[i:j]), params[j], activation))
            i = j + 1
        rows.append(tuple(units))
    if skeleton.kind == "Neuron":
        return rows[0][0]
    if skeleton.kind == "Layer":
        return _layer(rows[0])
    return _mlp(tuple([_layer(units) for units in rows]))


# -- parameters and updates ---------------------------------------------------------


def parameters(model: Model) -> tuple[Value, ...]:
    """Every weight and bias, in micrograd's order: layer, neuron, weights then bias.

    >>> [p.label for p in parameters(neuron(2))]
    ['w0', 'w1', 'b']
    """
    return flatten(model)[0]


def parameter_count(model: Model) -> int:
    """How many numbers the model learns.

    >>> parameter_count(mlp(2, [16, 16, 1]))
    337
    """
    return structure(model).size


def with_parameters(model: Model, values: Iterable[float | Value]) -> Model:
    """The same architecture holding new parameters, given in ``parameters`` order.

    Numbers become new leaves that keep the old parameters' labels; the
    model passed in is unchanged.

    >>> n = neuron(2, seed=0)
    >>> m = with_parameters(n, [1.0, 2.0, 0.5])
    >>> [p.data for p in parameters(m)], round(n.w[0].data, 4)
    ([1.0, 2.0, 0.5], 0.7666)
    """
    _check_model("with_parameters", model)
    old, skeleton = flatten(model)
    given = tuple(values)
    if len(given) != len(old):
        raise ValueError(f"with_parameters: expected {len(old)} values, got {len(given)}")
    new = [
        v if isinstance(v, Value) else _leaf(_checks.number("with_parameters", "v", v), p.label)
        for p, v in zip(old, given)
    ]
    return unflatten(skeleton, new)


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
    params, skeleton = flatten(model)
    table = gradients.table
    return _descend(
        "apply_gradients", params, skeleton, [table.get(p.id, 0.0) for p in params], rate
    )


def _descend(
    where: str, params: tuple[Value, ...], skeleton: Structure, steps: list[float], rate: float
) -> Model:
    """The model holding ``p - rate * step`` for each parameter; a non-finite one raises."""
    new = []
    for p, step in zip(params, steps):
        data = p.data - rate * step
        if not math.isfinite(data):
            raise OverflowError(
                f"{where}: parameter {p.label or p.id} would become {data!r} "
                f"({p.data!r} - {rate!r} * {step!r})"
            )
        new.append(_leaf(data, p.label))
    return unflatten(skeleton, new)


# -- saving and loading lives in serialize.py ------------------------------------------

_SERIALIZED = ("FORMAT_VERSION", "from_json", "to_json")


def __getattr__(name: str) -> Any:
    # serialize.py reads models, runs and optimizer states, so it imports this
    # module; its model functions are re-exported here on first use.
    if name in _SERIALIZED:
        serialize = sys.modules.get("functional_micrograd.serialize")
        if serialize is None:
            from functional_micrograd import serialize
        found = getattr(serialize, name)
        globals()[name] = found  # found once: later reads are plain module attributes
        return found
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
