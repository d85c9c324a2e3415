"""Optimizers as records of two pure functions: ``init`` and ``update``.

An :class:`Optimizer` holds its ``learning_rate`` (a number, or a function of
the number of updates done so far) and two functions::

    opt_state = optimizer.init(model)
    model, opt_state = optimizer.update(model, gradients, opt_state)

Everything that changes from one update to the next travels in the returned
state (a named record: :class:`SGDState`, :class:`MomentumState`,
:class:`AdamState`, :class:`AdamWState`, :class:`RMSPropState`); the model
and state passed in are never changed.
Per-parameter numbers are kept in PVectors, indexed like
``nn.parameters(model)``, because a parameter's position is what stays the
same from one model to the next (its Value, and so its id, is new each time).

>>> from functional_micrograd import nn
>>> from functional_micrograd.autodiff import backward
>>> model = nn.with_parameters(nn.neuron(1, activation="linear"), [3.0, 0.0])
>>> opt = adam(learning_rate=0.1)
>>> state = opt.init(model)
>>> loss = model([1.0]) ** 2
>>> new_model, new_state = opt.update(model, backward(loss), state)
>>> round(new_model.w[0].data, 4), new_state.count, state.count
(2.9, 1, 0)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from pyrsistent import PClass, PVector, field, pvector

from functional_micrograd import _checks
from functional_micrograd.autodiff import Gradients
from functional_micrograd.nn import (
    Model,
    Structure,
    _check_model,
    _descend,
    flatten,
    structure,
)
from functional_micrograd.value import Value

Grads = Gradients[float]
"""The gradient table an optimizer reads: floats, from ``backward(loss)``."""

__all__ = [
    "AdamState",
    "AdamWState",
    "LearningRate",
    "MomentumState",
    "OptState",
    "Optimizer",
    "RMSPropState",
    "SGDState",
    "adam",
    "adamw",
    "learning_rate_at",
    "momentum",
    "rmsprop",
    "sgd",
]

LearningRate = float | Callable[[int], float]
"""A fixed rate, or a schedule: a function of the number of updates done so far."""

OptState = Any
"""An optimizer's state: SGDState, MomentumState, AdamState, AdamWState or RMSPropState."""


class SGDState(PClass):
    """Plain gradient descent keeps only the number of updates done."""

    count = field(type=int, mandatory=True)
    architecture = field(type=tuple, mandatory=True)


class MomentumState(PClass):
    """The update count and one velocity per parameter."""

    count = field(type=int, mandatory=True)
    architecture = field(type=tuple, mandatory=True)
    velocity = field(type=PVector, mandatory=True)


class AdamState(PClass):
    """The update count and Adam's two running averages per parameter."""

    count = field(type=int, mandatory=True)
    architecture = field(type=tuple, mandatory=True)
    m = field(type=PVector, mandatory=True)
    v = field(type=PVector, mandatory=True)


class AdamWState(PClass):
    """The update count and AdamW's two running averages per parameter."""

    count = field(type=int, mandatory=True)
    architecture = field(type=tuple, mandatory=True)
    m = field(type=PVector, mandatory=True)
    v = field(type=PVector, mandatory=True)


class RMSPropState(PClass):
    """The update count and the running mean of each parameter's squared gradient."""

    count = field(type=int, mandatory=True)
    architecture = field(type=tuple, mandatory=True)
    s = field(type=PVector, mandatory=True)


class Optimizer(PClass):
    """A named pair of pure functions, ``init(model)`` and ``update(model, g, state)``."""

    name = field(type=str, mandatory=True)
    learning_rate: Any = field(mandatory=True)
    init: Callable[[Model], OptState] = field(mandatory=True)
    update: Callable[[Model, Grads, OptState], tuple[Model, OptState]] = field(mandatory=True)

    def __repr__(self) -> str:
        return f"Optimizer({self.name!r}, learning_rate={self.learning_rate!r})"


# -- checks -------------------------------------------------------------------


def _check_rate(where: str, learning_rate: object) -> LearningRate:
    """A schedule as it is, or a fixed rate checked and made a float."""
    if callable(learning_rate):
        return learning_rate
    if not _checks.is_number(learning_rate):
        raise TypeError(
            f"{where}: expected learning_rate to be a number or a function of the step, "
            f"got {_checks.describe(learning_rate)}"
        )
    return _checks.number(where, "learning_rate", learning_rate, at_least=0.0)


def _check_fraction(where: str, name: str, x: object) -> float:
    return _checks.number(where, name, x, at_least=0.0, below=1.0)


def learning_rate_at(learning_rate: LearningRate, count: int) -> float:
    """The rate to use for update number ``count`` (0-based), checked.

    >>> learning_rate_at(0.5, 3), learning_rate_at(lambda k: 1.0 / (k + 1), 3)
    (0.5, 0.25)
    """
    k = _checks.integer("learning_rate_at", "count", count, minimum=0)
    if not callable(learning_rate):
        return _checks.number("learning_rate_at", "learning_rate", learning_rate, at_least=0.0)
    rate = learning_rate(k)
    return _checks.number("learning_rate_at", f"the learning rate at step {k}", rate, at_least=0.0)


def _init(where: str, model: Model) -> tuple[tuple[Any, ...], PVector[float]]:
    """What every state starts from: the model's shape and a zero per parameter."""
    skeleton = structure(_check_model(where, model))
    return skeleton.shape, pvector([0.0] * skeleton.size)


def _check_update(
    where: str, model: object, gradients: object, state: object, kind: type
) -> tuple[tuple[Value, ...], Structure, list[float]]:
    """The model's parameters, structure and gradients, once the state is known to fit."""
    params, skeleton = flatten(_check_model(where, model))
    if not isinstance(gradients, Gradients):
        raise TypeError(f"{where}: expected Gradients (from backward), got {gradients!r}")
    if not isinstance(state, kind):
        raise ValueError(
            f"{where}: expected a {kind.__name__} from this optimizer's init, "
            f"got {type(state).__name__}"
        )
    shape = state.architecture  # type: ignore[attr-defined]
    if shape != skeleton.shape:
        raise ValueError(
            f"{where}: this state belongs to a model shaped {shape}, "
            f"not to this one, shaped {skeleton.shape}"
        )
    table = gradients.table
    return params, skeleton, [table.get(p.id, 0.0) for p in params]


def _step(params: tuple[Value, ...], skeleton: Structure, deltas: list[float]) -> Model:
    """Subtract each delta from its parameter; non-finite results raise OverflowError."""
    return _descend("optimizer", params, skeleton, deltas, 1.0)


# -- the optimizers -------------------------------------------------------------


def sgd(learning_rate: LearningRate) -> Optimizer:
    """Gradient descent: ``p - rate * g[p]``, exactly ``nn.apply_gradients``.

    >>> from functional_micrograd import nn
    >>> from functional_micrograd.autodiff import backward
    >>> model = nn.with_parameters(nn.neuron(1, activation="linear"), [1.0, 0.0])
    >>> opt = sgd(0.5)
    >>> new, state = opt.update(model, backward(model([2.0])), opt.init(model))
    >>> [p.data for p in nn.parameters(new)], state.count
    ([0.0, -0.5], 1)
    """
    rate = _check_rate("sgd", learning_rate)

    def init(model: Model) -> SGDState:
        shape, _ = _init("sgd.init", model)
        return SGDState(count=0, architecture=shape)

    def update(model: Model, gradients: Grads, state: SGDState) -> tuple[Model, SGDState]:
        params, skeleton, grads = _check_update("sgd.update", model, gradients, state, SGDState)
        lr = learning_rate_at(rate, state.count)
        new_model = _descend("sgd.update", params, skeleton, grads, lr)
        return new_model, state.set(count=state.count + 1)

    return Optimizer(name="sgd", learning_rate=rate, init=init, update=update)


def momentum(learning_rate: LearningRate, beta: float = 0.9) -> Optimizer:
    """Gradient descent with momentum: ``v = beta * v + g``, then ``p - rate * v``.

    >>> from functional_micrograd import nn
    >>> from functional_micrograd.autodiff import backward
    >>> model = nn.with_parameters(nn.neuron(1, activation="linear"), [1.0, 0.0])
    >>> opt = momentum(0.1, beta=0.5)
    >>> state = opt.init(model)
    >>> model, state = opt.update(model, backward(model([1.0])), state)
    >>> model, state = opt.update(model, backward(model([1.0])), state)
    >>> list(state.velocity), round(model.w[0].data, 4)
    ([1.5, 1.5], 0.75)
    """
    rate = _check_rate("momentum", learning_rate)
    decay = _check_fraction("momentum", "beta", beta)

    def init(model: Model) -> MomentumState:
        shape, zeros = _init("momentum.init", model)
        return MomentumState(count=0, architecture=shape, velocity=zeros)

    def update(model: Model, gradients: Grads, state: MomentumState) -> tuple[Model, MomentumState]:
        params, skeleton, grads = _check_update(
            "momentum.update", model, gradients, state, MomentumState
        )
        lr = learning_rate_at(rate, state.count)
        velocity = [decay * v + g for v, g in zip(state.velocity, grads)]
        new_model = _step(params, skeleton, [lr * v for v in velocity])
        return new_model, state.set(count=state.count + 1, velocity=pvector(velocity))

    return Optimizer(name="momentum", learning_rate=rate, init=init, update=update)


def adam(
    learning_rate: LearningRate = 0.01, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8
) -> Optimizer:
    """Adam: running averages of the gradient and its square, bias-corrected.

    ``m = b1*m + (1-b1)*g``, ``v = b2*v + (1-b2)*g**2``, then with
    ``t = count + 1``: ``p - rate * m_hat / (sqrt(v_hat) + eps)`` where
    ``m_hat = m / (1 - b1**t)`` and ``v_hat = v / (1 - b2**t)``.

    >>> adam().learning_rate, adam(0.1).name
    (0.01, 'adam')
    """
    rate = _check_rate("adam", learning_rate)
    beta1 = _check_fraction("adam", "b1", b1)
    beta2 = _check_fraction("adam", "b2", b2)
    epsilon = _checks.number("adam", "eps", eps, above=0.0)

    def init(model: Model) -> AdamState:
        shape, zeros = _init("adam.init", model)
        return AdamState(count=0, architecture=shape, m=zeros, v=zeros)

    def update(model: Model, gradients: Grads, state: AdamState) -> tuple[Model, AdamState]:
        params, skeleton, grads = _check_update("adam.update", model, gradients, state, AdamState)
        lr = learning_rate_at(rate, state.count)
        t = state.count + 1
        m = [beta1 * mi + (1.0 - beta1) * g for mi, g in zip(state.m, grads)]
        v = [beta2 * vi + (1.0 - beta2) * g * g for vi, g in zip(state.v, grads)]
        m_scale = 1.0 / (1.0 - beta1**t)
        v_scale = 1.0 / (1.0 - beta2**t)
        deltas = [lr * (mi * m_scale) / (math.sqrt(vi * v_scale) + epsilon) for mi, vi in zip(m, v)]
        new_model = _step(params, skeleton, deltas)
        return new_model, state.set(count=t, m=pvector(m), v=pvector(v))

    return Optimizer(name="adam", learning_rate=rate, init=init, update=update)


def adamw(
    learning_rate: LearningRate = 0.001,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 0.01,
) -> Optimizer:
    """AdamW, as PyTorch's ``torch.optim.AdamW``: Adam with decoupled weight decay.

    The moments and their bias correction are Adam's; the decay pulls each
    parameter towards 0 in proportion to itself, outside the gradient, so it
    is not scaled by Adam's per-parameter step: with ``t = count + 1``,
    ``p - rate * (m_hat / (sqrt(v_hat) + eps) + weight_decay * p)``.

    Args:
        learning_rate: a number >= 0 or a function of the number of updates done.
        b1: the first moment's decay, in [0, 1).
        b2: the second moment's decay, in [0, 1).
        eps: added to the root of the second moment; > 0.
        weight_decay: how strongly parameters shrink each update; >= 0.

    >>> from functional_micrograd import nn
    >>> from functional_micrograd.autodiff import backward
    >>> model = nn.with_parameters(nn.neuron(1, activation="linear"), [3.0, 0.0])
    >>> opt = adamw(0.1, weight_decay=0.5)
    >>> new, state = opt.update(model, backward(model([1.0])), opt.init(model))
    >>> round(new.w[0].data, 6), state.count  # 3 - 0.1 * (1 + 0.5 * 3)
    (2.75, 1)
    """
    rate = _check_rate("adamw", learning_rate)
    beta1 = _check_fraction("adamw", "b1", b1)
    beta2 = _check_fraction("adamw", "b2", b2)
    epsilon = _checks.number("adamw", "eps", eps, above=0.0)
    decay = _checks.number("adamw", "weight_decay", weight_decay, at_least=0.0)

    def init(model: Model) -> AdamWState:
        shape, zeros = _init("adamw.init", model)
        return AdamWState(count=0, architecture=shape, m=zeros, v=zeros)

    def update(model: Model, gradients: Grads, state: AdamWState) -> tuple[Model, AdamWState]:
        params, skeleton, grads = _check_update("adamw.update", model, gradients, state, AdamWState)
        lr = learning_rate_at(rate, state.count)
        t = state.count + 1
        m = [beta1 * mi + (1.0 - beta1) * g for mi, g in zip(state.m, grads)]
        v = [beta2 * vi + (1.0 - beta2) * g * g for vi, g in zip(state.v, grads)]
        m_scale = 1.0 / (1.0 - beta1**t)
        v_scale = 1.0 / (1.0 - beta2**t)
        deltas = [
            lr * ((mi * m_scale) / (math.sqrt(vi * v_scale) + epsilon) + decay * p.data)
            for mi, vi, p in zip(m, v, params)
        ]
        new_model = _step(params, skeleton, deltas)
        return new_model, state.set(count=t, m=pvector(m), v=pvector(v))

    return Optimizer(name="adamw", learning_rate=rate, init=init, update=update)


def rmsprop(learning_rate: LearningRate = 0.01, decay: float = 0.9, eps: float = 1e-8) -> Optimizer:
    """RMSProp: divide each gradient by the root of a running mean of its squares.

    ``s = decay * s + (1 - decay) * g**2``, then ``p - rate * g / (sqrt(s) + eps)``
    (PyTorch's ``torch.optim.RMSprop`` with ``alpha=decay``, no momentum).

    Args:
        learning_rate: a number >= 0 or a function of the number of updates done.
        decay: how much of the running mean each update keeps, in [0, 1).
        eps: added to the root; > 0.

    >>> from functional_micrograd import nn
    >>> from functional_micrograd.autodiff import backward
    >>> model = nn.with_parameters(nn.neuron(1, activation="linear"), [3.0, 0.0])
    >>> opt = rmsprop(0.1, decay=0.75)
    >>> new, state = opt.update(model, backward(model([2.0])), opt.init(model))
    >>> list(state.s), round(new.w[0].data, 6)  # 3 - 0.1 * 2 / sqrt(0.25 * 4)
    ([1.0, 0.25], 2.8)
    """
    rate = _check_rate("rmsprop", learning_rate)
    keep = _check_fraction("rmsprop", "decay", decay)
    epsilon = _checks.number("rmsprop", "eps", eps, above=0.0)

    def init(model: Model) -> RMSPropState:
        shape, zeros = _init("rmsprop.init", model)
        return RMSPropState(count=0, architecture=shape, s=zeros)

    def update(model: Model, gradients: Grads, state: RMSPropState) -> tuple[Model, RMSPropState]:
        params, skeleton, grads = _check_update(
            "rmsprop.update", model, gradients, state, RMSPropState
        )
        lr = learning_rate_at(rate, state.count)
        s = [keep * si + (1.0 - keep) * g * g for si, g in zip(state.s, grads)]
        deltas = [lr * g / (math.sqrt(si) + epsilon) for g, si in zip(grads, s)]
        new_model = _step(params, skeleton, deltas)
        return new_model, state.set(count=state.count + 1, s=pvector(s))

    return Optimizer(name="rmsprop", learning_rate=rate, init=init, update=update)
