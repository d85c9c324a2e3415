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

# fm.nn in three files: this one builds models (neuron, layer, mlp) and runs
# them (forward, predict, softmax); the records and the rules they keep are in
# _nn_records.py, the walker (structure, flatten, unflatten, parameters,
# with_parameters, apply_gradients) in _nn_walk.py. Their public names are
# this module's: imported here, listed in __all__, and their __module__ is
# functional_micrograd.nn.

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from functional_micrograd import _checks, _collector
from functional_micrograd import rng as _rng
from functional_micrograd._nn_records import _NONLINEARITIES, MLP, Layer, Neuron, _parts

# The `as` imports re-export private helpers (the records' rules and checks, and
# the walker's update step `_descend`) to the modules that read models: losses,
# optim, training, serialize and plot_data import them from here.
from functional_micrograd._nn_records import MODELS as MODELS
from functional_micrograd._nn_records import _activation_problem as _activation_problem
from functional_micrograd._nn_records import _chain_problem as _chain_problem
from functional_micrograd._nn_records import _check_model as _check_model
from functional_micrograd._nn_records import _width_problem as _width_problem
from functional_micrograd._nn_walk import (
    Structure,
    apply_gradients,
    flatten,
    parameter_count,
    parameters,
    structure,
    unflatten,
    with_parameters,
)
from functional_micrograd._nn_walk import _descend as _descend
from functional_micrograd._ops import logsumexp as _logsumexp
from functional_micrograd.value import Operand, Value, _add, _leaf, _mul, _operand, _sub

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

Model = Neuron | Layer | MLP
"""Anything :func:`forward`, :func:`parameters` and the updates accept."""

ACTIVATIONS = tuple(_NONLINEARITIES)
"""The activation names a neuron accepts."""

INITS = ("uniform", "scaled")
"""How weights start: uniform in [-1, 1] (micrograd), or that times ``nin ** -0.5`` (EurekaLabs)."""


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

    >>> import math
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
