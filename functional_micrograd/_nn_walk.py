"""The walker of ``fm.nn``: a model as its parameters and a :class:`Structure`, and back.

:func:`flatten` reads a model into its parameters, in micrograd's order, and
its Structure (kind, and every neuron's inputs and activation);
:func:`unflatten` rebuilds it. Everything that reads or replaces a model's
numbers goes through these two: :func:`parameters`, :func:`with_parameters`,
:func:`apply_gradients`, and beyond ``fm.nn`` the optimizers, the losses,
training, the compiler, serialize, plot_data and the explorer.

These are ``fm.nn``'s names: :mod:`functional_micrograd.nn` re-exports them
and their ``__module__`` names it, so pickles, saved runs and the doctests
find them there.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from functional_micrograd import _checks
from functional_micrograd._nn_records import _check_model, _in_nn, _layer, _mlp, _neuron, _parts
from functional_micrograd.autodiff import Gradients
from functional_micrograd.value import Value, _leaf

if TYPE_CHECKING:
    from functional_micrograd.nn import Model


@_in_nn
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


@_in_nn
def structure(model: Model) -> Structure:
    """The model's :class:`Structure`: its kind and every neuron's inputs and activation.

    >>> structure(neuron(3, activation="tanh"))
    Structure(kind='Neuron', layers=(((3, 'tanh'),),))
    """
    kind, rows = _parts(_check_model("structure", model))
    return Structure(
        kind, tuple([tuple([(len(u.w), u.activation) for u in units]) for units in rows])
    )


@_in_nn
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


@_in_nn
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


@_in_nn
def parameters(model: Model) -> tuple[Value, ...]:
    """Every weight and bias, in micrograd's order: layer, neuron, weights then bias.

    >>> [p.label for p in parameters(neuron(2))]
    ['w0', 'w1', 'b']
    """
    return flatten(model)[0]


@_in_nn
def parameter_count(model: Model) -> int:
    """How many numbers the model learns.

    >>> parameter_count(mlp(2, [16, 16, 1]))
    337
    """
    return structure(model).size


@_in_nn
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


@_in_nn
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
