"""The model records of ``fm.nn``: Neuron, Layer and MLP, the rules they keep, and fast builds.

A Neuron holds its weights ``w`` and bias ``b`` as leaf Values, a Layer a
tuple of Neurons that read the same inputs, an MLP a tuple of Layers where
each one feeds the next. Each record checks these rules when it is made; the
same rules, as plain functions, check a model read from JSON (serialize.py).

The records are ``fm.nn``'s: :mod:`functional_micrograd.nn` re-exports them
and builds and runs them, and their ``__module__`` names it, so a pickle or
a saved run written today loads wherever the code lives. The hot-path
constructors at the end are what every update rebuilds a model with.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from pyrsistent import PClass, field

from functional_micrograd import _checks
from functional_micrograd._ops import sigmoid as _sigmoid
from functional_micrograd._ops import tanh as _tanh
from functional_micrograd.value import Operand, Value, _relu

if TYPE_CHECKING:
    from functional_micrograd.nn import Model, Output

_T = TypeVar("_T")


def _in_nn(obj: _T) -> _T:
    """Give ``obj`` the module it is public in, ``functional_micrograd.nn`` (its ``__module__``)."""
    obj.__module__ = "functional_micrograd.nn"
    return obj


_NONLINEARITIES: dict[str, Callable[[Value], Value]] = {
    "relu": _relu,
    "tanh": _tanh,
    "sigmoid": _sigmoid,
    "linear": lambda v: v,
}

_DISPLAY = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "linear": "Linear"}

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


# -- the rules, as plain functions (serialize.py checks JSON with the same ones) ----------

_OK = (True, None)


def _activation_problem(activation: object) -> str | None:
    """The one rule for an activation name: None when it is known, else what is wrong."""
    if isinstance(activation, str) and activation in _NONLINEARITIES:
        return None
    known = ", ".join(_NONLINEARITIES)
    return f"expected activation to be one of {known}, got {_checks.show(activation)}"


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


# -- the rules as the records' field invariants -----------------------------------------


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


# -- the records ------------------------------------------------------------------------
# Calling one runs nn.forward, imported when called: nn builds on these records.


@_in_nn
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
        from functional_micrograd.nn import forward

        return forward(self, x)

    def __repr__(self) -> str:
        return f"{_DISPLAY[self.activation]}Neuron({len(self.w)})"


@_in_nn
class Layer(_Habits, PClass):
    """A row of neurons that all read the same inputs."""

    neurons = field(type=tuple, mandatory=True, invariant=_same_widths)

    def __new__(cls, *args: Any, **kwargs: Any) -> Layer:
        _no_positional("Layer", "layer", args)
        made: Layer = super().__new__(cls, **kwargs)
        return made

    def __call__(self, x: Sequence[Operand]) -> Output:
        from functional_micrograd.nn import forward

        return forward(self, x)

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(map(repr, self.neurons))}]"


@_in_nn
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
        from functional_micrograd.nn import forward

        return forward(self, x)

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(map(repr, self.layers))}]"


MODELS = (Neuron, Layer, MLP)
"""The model record types, for a record field that holds a model."""


def _check_model(where: str, model: object) -> Model:
    if not isinstance(model, MODELS):
        raise TypeError(f"{where}: expected a Neuron, Layer or MLP, got {type(model).__name__}")
    return model


def _parts(model: Model) -> tuple[str, tuple[tuple[Neuron, ...], ...]]:
    """The model's kind and its neurons, layer by layer: the one place that asks its class."""
    if isinstance(model, MLP):
        return "MLP", tuple([row.neurons for row in model.layers])
    if isinstance(model, Layer):
        return "Layer", (model.neurons,)
    return "Neuron", ((model,),)


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
