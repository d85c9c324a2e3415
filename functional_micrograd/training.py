"""Training as a fold: ``toolz.reduce(step, range(steps), initial_state)``.

A step function takes the state so far and the step number and returns the
next state: it computes the loss, differentiates it, updates the model and
appends a row to the history. Nothing is changed in place, so every state a
run passes through stays valid; :func:`iterate` hands them out one by one
(``toolz.accumulate``), :func:`train` keeps the last (``toolz.reduce``).

>>> from functional_micrograd import datasets, nn
>>> data = datasets.moons(20, noise=0.1, seed=0)
>>> run = train(nn.mlp(2, [8, 1], seed=0), data, steps=3)
>>> [row.step for row in run.history]
[0, 1, 2]
>>> run.initial_model is not run.final_model
True
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import toolz
from pyrsistent import PClass, PMap, PVector, field, pmap, pvector

from functional_micrograd import _collector
from functional_micrograd import rng as _rng
from functional_micrograd.autodiff import backward
from functional_micrograd.datasets import Dataset
from functional_micrograd.losses import LossResult, _batch, _check_alpha, max_margin
from functional_micrograd.nn import (
    MLP,
    Layer,
    Model,
    Neuron,
    _check_model,
    _nin,
    _nout,
    apply_gradients,
)
from functional_micrograd.optim import LearningRate, Optimizer, _check_rate, learning_rate_at

__all__ = [
    "HistoryRow",
    "LossFunction",
    "Run",
    "StepFunction",
    "TrainState",
    "TrainingDiverged",
    "initial_state",
    "iterate",
    "make_step",
    "micrograd_schedule",
    "train",
]

LossFunction = Callable[..., LossResult]
"""A loss like ``losses.max_margin``: ``(model, xs, ys, alpha=, batch_size=, seed=)``."""
_MODEL_TYPES: Any = (Neuron, Layer, MLP)


class HistoryRow(PClass):
    """One step's numbers, measured before that step's update."""

    step = field(type=int, mandatory=True)
    loss = field(type=float, mandatory=True)
    data_loss = field(type=float, mandatory=True)
    reg_loss = field(type=float, mandatory=True)
    accuracy = field(type=float, mandatory=True)
    learning_rate = field(type=float, mandatory=True)

    def __repr__(self) -> str:
        return (
            f"HistoryRow(step={self.step}, loss={self.loss:.6g}, data_loss={self.data_loss:.6g}, "
            f"reg_loss={self.reg_loss:.6g}, accuracy={self.accuracy:.4g}, "
            f"learning_rate={self.learning_rate:.6g})"
        )


class TrainState(PClass):
    """Where training is: the model, how many steps are done, the history so far.

    ``opt_state`` is the optimizer's state, or None for plain gradient descent.
    """

    model: Model = field(type=_MODEL_TYPES, mandatory=True)
    step = field(type=int, mandatory=True)
    history = field(type=PVector, mandatory=True)
    opt_state: Any = field(initial=None)

    def __repr__(self) -> str:
        rows = len(self.history)
        return f"TrainState(step={self.step}, model={self.model!r}, history=<{rows} rows>)"


class Run(PClass):
    """The outcome of :func:`train`: both models, the history and the options used."""

    initial_model: Model = field(type=_MODEL_TYPES, mandatory=True)
    final_model: Model = field(type=_MODEL_TYPES, mandatory=True)
    history = field(type=PVector, mandatory=True)
    final_loss = field(type=float, mandatory=True)
    final_accuracy = field(type=float, mandatory=True)
    options = field(type=PMap, mandatory=True)

    def __repr__(self) -> str:
        return (
            f"Run(steps={len(self.history)} rows, final_loss={self.final_loss:.6g}, "
            f"final_accuracy={self.final_accuracy:.4g})"
        )


StepFunction = Callable[[TrainState, int], TrainState]
"""A training step: the state so far and the step number in, the next state out."""


class TrainingDiverged(ArithmeticError):
    """A step's arithmetic left the finite float range; nothing trained is lost.

    Attributes:
        step: the step that failed (0-based).
        state: the last good TrainState, from before that step.

    The original error is the exception's ``__cause__``.
    """

    def __init__(self, step: int, state: TrainState, error: BaseException) -> None:
        super().__init__(
            f"training diverged at step {step}: {error}. The last good state "
            f"(after {state.step} steps) is in .state; try a smaller learning rate."
        )
        self.step = step
        self.state = state
        self.__cause__ = error

    def __reduce__(self) -> tuple[Any, ...]:
        # An exception pickles and copies as cls(*self.args), but args is the
        # message alone; rebuild from the fields so it crosses process boundaries.
        return type(self), (self.step, self.state, self.__cause__)


def micrograd_schedule(k: int) -> float:
    """micrograd demo's learning rate: ``1.0 - 0.9 * k / 100``.

    The demo runs 100 steps; past step 100 the rate stays at its final value
    instead of turning negative.

    >>> micrograd_schedule(0), micrograd_schedule(50), round(micrograd_schedule(100), 6)
    (1.0, 0.55, 0.1)
    """
    return 1.0 - 0.9 * min(k, 100) / 100


# -- checks -----------------------------------------------------------------------


def _positive_int(where: str, name: str, n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{where}: expected {name} to be an int >= 1, got {n!r}")
    if n < 1:
        raise ValueError(f"{where}: expected {name} to be an int >= 1, got {n!r}")
    return n


def _check_dataset(where: str, dataset: object, model: Model) -> Dataset:
    if not isinstance(dataset, Dataset):
        raise TypeError(f"{where}: expected a Dataset (see fm.datasets), got {dataset!r}")
    if not len(dataset):
        raise ValueError(f"{where}: the dataset is empty")
    width = len(dataset.xs[0])
    if width != _nin(model):
        raise ValueError(
            f"{where}: the model takes {_nin(model)} inputs but the dataset's points have {width}"
        )
    if _nout(model) != 1:
        raise ValueError(
            f"{where}: expected a model with one output (a score per point), "
            f"got {_nout(model)} outputs"
        )
    return dataset


def _batch_seed(seed: int, k: int) -> int:
    """A different, reproducible batch seed for every step of a run."""
    bits, _ = _rng._next((seed * 0x9E3779B97F4A7C15 + k) & ((1 << 64) - 1))
    return bits


# -- the fold ---------------------------------------------------------------------


def initial_state(model: Model, optimizer: Optimizer | None = None) -> TrainState:
    """The state before step 0: the model, no steps done, an empty history.

    >>> from functional_micrograd import nn
    >>> initial_state(nn.neuron(2)).step
    0
    """
    _check_model("initial_state", model)
    opt_state = None if optimizer is None else optimizer.init(model)
    return TrainState(model=model, step=0, history=pvector(), opt_state=opt_state)


def make_step(
    dataset: Dataset,
    steps: int = 100,
    alpha: float = 1e-4,
    batch_size: int | None = None,
    learning_rate: LearningRate = micrograd_schedule,
    seed: int = 1337,
    log_every: int = 1,
    optimizer: Optimizer | None = None,
    loss: LossFunction = max_margin,
) -> StepFunction:
    """Build the step function ``(state, k) -> state`` that train and iterate fold with.

    One step: the loss on the data (or on a batch drawn for step ``k``),
    backward, and the update (plain gradient descent, or ``optimizer``). A
    history row is kept when ``k % log_every == 0`` and for the last step.

    >>> from functional_micrograd import datasets, nn
    >>> step = make_step(datasets.moons(10, seed=0), steps=5, learning_rate=0.1)
    >>> state = step(initial_state(nn.mlp(2, [4, 1])), 0)
    >>> state.step, len(state.history)
    (1, 1)
    """
    xs, ys = dataset.xs, dataset.ys
    last = steps - 1

    def rate_at(state: TrainState) -> float:
        if optimizer is None:
            return learning_rate_at(learning_rate, state.step)
        return learning_rate_at(optimizer.learning_rate, state.opt_state.count)

    def step(state: TrainState, k: int) -> TrainState:
        rate = rate_at(state)
        batch_seed = _batch_seed(seed, k)
        try:
            with _collector.paused():  # see _collector: a step makes no cycles
                result = loss(
                    state.model, xs, ys, alpha=alpha, batch_size=batch_size, seed=batch_seed
                )
                gradients = backward(result.total_loss)
                if optimizer is None:
                    model, opt_state = apply_gradients(state.model, gradients, rate), None
                else:
                    model, opt_state = optimizer.update(state.model, gradients, state.opt_state)
                row = _row(k, result, rate)
                # Drop the step's graph while the collector is still paused: it
                # would otherwise walk all of it once at its next young pass.
                del result, gradients
        except (ArithmeticError, ValueError) as error:
            raise TrainingDiverged(k, state, error) from error
        history = state.history
        if k % log_every == 0 or k == last:
            history = history.append(row)
        return TrainState(model=model, step=state.step + 1, history=history, opt_state=opt_state)

    return step


def _row(k: int, result: LossResult, rate: float) -> HistoryRow:
    return HistoryRow(
        step=k,
        loss=result.total_loss.data,
        data_loss=result.data_loss.data,
        reg_loss=result.reg_loss.data,
        accuracy=result.accuracy,
        learning_rate=rate,
    )


def _prepare(
    where: str,
    model: Model,
    dataset: Dataset,
    steps: int,
    alpha: float,
    batch_size: int | None,
    learning_rate: LearningRate,
    seed: int,
    log_every: int,
    optimizer: Optimizer | None,
    loss: LossFunction,
) -> tuple[TrainState, StepFunction]:
    """Check every argument once, up front, and build the initial state and step."""
    _check_model(where, model)
    _check_dataset(where, dataset, model)
    _positive_int(where, "steps", steps)
    _positive_int(where, "log_every", log_every)
    if optimizer is not None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{where}: expected optimizer to be an Optimizer or None, got {optimizer!r}"
            )
        if learning_rate is not micrograd_schedule:
            raise ValueError(
                f"{where}: give the learning rate to the optimizer, not to {where} as well "
                f"(got optimizer={optimizer!r} and learning_rate={learning_rate!r})"
            )
    rate = _check_rate(where, learning_rate)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"{where}: expected seed to be an int, got {seed!r}")
    if not callable(loss):
        raise TypeError(
            f"{where}: expected loss to be a function like losses.max_margin, got {loss!r}"
        )
    _check_alpha(where, alpha)
    _batch(where, dataset.xs, dataset.ys, batch_size, seed)  # checks batch_size
    step = make_step(dataset, steps, alpha, batch_size, rate, seed, log_every, optimizer, loss)
    return initial_state(model, optimizer), step


def iterate(
    model: Model,
    dataset: Dataset,
    steps: int = 100,
    alpha: float = 1e-4,
    batch_size: int | None = None,
    learning_rate: LearningRate = micrograd_schedule,
    seed: int = 1337,
    log_every: int = 1,
    optimizer: Optimizer | None = None,
    loss: LossFunction = max_margin,
) -> Iterator[TrainState]:
    """Lazily yield the initial state, then the state after each step.

    The same fold as :func:`train`, as a stream (``toolz.accumulate``): use it
    for progress output, early stopping or checkpoints. Nothing runs until
    the next state is asked for.

    >>> from functional_micrograd import datasets, nn
    >>> stream = iterate(nn.mlp(2, [4, 1]), datasets.moons(10, seed=0), steps=10**6)
    >>> [state.step for state in toolz.take(3, stream)]
    [0, 1, 2]
    """
    state, step = _prepare(
        "iterate", model, dataset, steps, alpha, batch_size, learning_rate, seed, log_every,
        optimizer, loss,
    )  # fmt: skip
    stream: Iterator[TrainState] = toolz.accumulate(step, range(steps), state)
    return stream


def train(
    model: Model,
    dataset: Dataset,
    steps: int = 100,
    alpha: float = 1e-4,
    batch_size: int | None = None,
    learning_rate: LearningRate = micrograd_schedule,
    seed: int = 1337,
    log_every: int = 1,
    optimizer: Optimizer | None = None,
    loss: LossFunction = max_margin,
) -> Run:
    """Train a model: ``toolz.reduce(step, range(steps), initial_state)``.

    Args:
        model: the model to start from; it is not changed.
        dataset: the points and their -1.0 / 1.0 labels.
        steps: how many steps, >= 1.
        alpha: L2 regularisation strength.
        batch_size: points per step, drawn anew each step; None uses all.
        learning_rate: a number or a function of the step (micrograd's
            schedule by default); not with ``optimizer``.
        seed: seeds the batches.
        log_every: keep a history row every this many steps (and the last).
        optimizer: an :mod:`~functional_micrograd.optim` optimizer; None is
            plain gradient descent.
        loss: ``losses.max_margin`` or another function of the same shape.

    Returns:
        A :class:`Run` with both models, the history and the options.

    Raises:
        TrainingDiverged: a step's arithmetic overflowed; the last good state
            is on the exception.

    >>> from functional_micrograd import datasets, nn
    >>> run = train(nn.mlp(2, [8, 1], seed=1), datasets.moons(30, seed=2), steps=20)
    >>> run.final_accuracy > run.history[0].accuracy
    True
    """
    state, step = _prepare(
        "train", model, dataset, steps, alpha, batch_size, learning_rate, seed, log_every,
        optimizer, loss,
    )  # fmt: skip
    final: TrainState = toolz.reduce(step, range(steps), state)
    last = final.history[-1]
    options = pmap(
        {
            "steps": steps,
            "alpha": alpha,
            "batch_size": batch_size,
            "learning_rate": learning_rate,
            "seed": seed,
            "log_every": log_every,
            "optimizer": optimizer,
            "loss": getattr(loss, "__name__", repr(loss)),
            "dataset": dataset.metadata,
        }
    )
    return Run(
        initial_model=model,
        final_model=final.model,
        history=final.history,
        final_loss=last.loss,
        final_accuracy=last.accuracy,
        options=options,
    )
