"""Training as a fold: ``toolz.reduce(step, range(steps), initial_state)``.

A step function takes the state so far and the step number and returns the
next state. It has four parts, and only the second one touches a graph:

1. draw the batch for step ``k`` (all the data, or a seeded sample);
2. :func:`loss_and_gradients`: the loss of the model on that batch (with
   the L2 term), its accuracy, and the gradients of the parameters, as plain
   numbers;
3. a history row from those numbers (and the validation set's, if any);
4. the optimizer's update of the model.

Nothing is changed in place, so every state a run passes through stays valid;
:func:`iterate` hands them out one by one (``toolz.accumulate``), :func:`train`
keeps the last (``toolz.reduce``). Every option is checked once, when the run
starts, into a :class:`TrainConfig`; the steps trust it.

This module is the fold; what it folds over is written beside it and
re-exported here, where it is documented: the records in ``_train_records.py``,
the checks of the options in ``_train_checks.py``, and measuring a model (the
loss protocol, :func:`loss_and_gradients`, :func:`evaluate`, and their
compiled form) in ``_train_measure.py``.

>>> from functional_micrograd import datasets, nn
>>> data = datasets.moons(20, noise=0.1, seed=0)
>>> run = train(nn.mlp(2, [8, 1], seed=0), data, steps=3)
>>> [row.step for row in run.history]
[0, 1, 2]
>>> run.initial_model is not run.final_model
True
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import toolz
from pyrsistent import pvector

from functional_micrograd import primitives as _primitives
from functional_micrograd import rng as _rng
from functional_micrograd._train_checks import _configure, micrograd_schedule
from functional_micrograd._train_measure import (
    Objective,
    _compiled_measure,
    _compiled_metrics,
    _evaluate,
    _objective,
    evaluate,
    loss_and_gradients,
)
from functional_micrograd._train_records import (
    Batch,
    BatchResult,
    HistoryRow,
    Metrics,
    Run,
    TrainConfig,
    TrainingDiverged,
    TrainingFailed,
    TrainState,
)
from functional_micrograd._train_records import _failed as _failed  # where pickles look
from functional_micrograd.datasets import Dataset
from functional_micrograd.losses import LossFunction
from functional_micrograd.nn import Model, _check_model
from functional_micrograd.optim import LearningRate, Optimizer, learning_rate_at, sgd

__all__ = [
    "Batch",
    "BatchResult",
    "HistoryRow",
    "LossFunction",
    "Metrics",
    "Objective",
    "Run",
    "StepFunction",
    "TrainConfig",
    "TrainState",
    "TrainingDiverged",
    "TrainingFailed",
    "configure",
    "evaluate",
    "initial_state",
    "iterate",
    "loss_and_gradients",
    "make_step",
    "micrograd_schedule",
    "train",
]

StepFunction = Callable[[TrainState, int], TrainState]
"""A training step: the state so far and the step number in, the next state out."""


# -- the fold ---------------------------------------------------------------------


def _batch_seed(seed: int, k: int) -> int:
    """A different, reproducible batch seed for every step of a run."""
    bits, _ = _rng._next((seed * 0x9E3779B97F4A7C15 + k) & ((1 << 64) - 1))
    return bits


def initial_state(model: Model, optimizer: Optimizer | None = None) -> TrainState:
    """The state before step 0: the model, no steps done, an empty history.

    ``optimizer`` gives the starting optimizer state; None is plain gradient
    descent at micrograd's schedule.

    >>> from functional_micrograd import nn
    >>> initial_state(nn.neuron(2)).step
    0
    """
    _check_model("initial_state", model)
    opt = sgd(micrograd_schedule) if optimizer is None else optimizer
    return TrainState(model=model, step=0, history=pvector(), opt_state=opt.init(model))


def make_step(config: TrainConfig) -> StepFunction:
    """Build the step function ``(state, k) -> state`` that train and iterate fold with.

    One step: draw the batch for step ``k``, :func:`loss_and_gradients`,
    a history row (kept when ``k % log_every == 0`` and for the last step,
    with the validation set's numbers if there is one), and the optimizer's
    update.

    >>> from functional_micrograd import datasets, nn
    >>> model, data = nn.mlp(2, [4, 1]), datasets.moons(10, seed=0)
    >>> config = configure(model, data, steps=5, learning_rate=0.1)
    >>> state = make_step(config)(initial_state(model, config.optimizer), 0)
    >>> state.step, len(state.history)
    (1, 1)
    """
    data, optimizer, validation = config.dataset, config.optimizer, config.validation
    task = data.task
    objective = _objective(config.loss, task, config.alpha)
    held_out = _objective(config.loss, task, 0.0)
    last = config.steps - 1
    if config.jit:
        measure = functools.partial(_compiled_measure, config, objective)
        check = functools.partial(_compiled_metrics, config, held_out)
    else:
        measure = functools.partial(loss_and_gradients, objective)
        check = functools.partial(_evaluate, held_out)

    def draw(k: int) -> Batch:
        if config.batch_size is None:
            return Batch(data.xs, data.ys)
        state = _rng.seed(_batch_seed(config.seed, k))
        picked, _ = _rng.sample(state, range(len(data)), config.batch_size)
        return Batch(tuple(data.xs[i] for i in picked), tuple(data.ys[i] for i in picked))

    def step(state: TrainState, k: int) -> TrainState:
        try:
            rate = learning_rate_at(optimizer.learning_rate, state.opt_state.count)
        except Exception as error:  # the schedule is the user's code: anything can come
            raise TrainingFailed(k, state, error, "schedule") from error
        keep = k % config.log_every == 0 or k == last
        try:
            measured = measure(state.model, draw(k))
            checked = None
            if keep and validation is not None:
                checked = check(state.model, validation)
        except (ArithmeticError, ValueError) as error:
            raise _failure(k, state, error, model_failed=True) from error
        try:
            model, opt_state = optimizer.update(state.model, measured.gradients, state.opt_state)
        except (ArithmeticError, ValueError) as error:
            raise _failure(k, state, error, model_failed=False) from error
        history = state.history
        if keep:
            history = history.append(_row(k, measured, rate, checked))
        return TrainState(model=model, step=state.step + 1, history=history, opt_state=opt_state)

    return step


def _failure(k: int, state: TrainState, error: Exception, *, model_failed: bool) -> TrainingFailed:
    """The error a step raises: divergence, or a ValueError from the user's code.

    Divergence is an ``ArithmeticError``, or a ``ValueError`` raised where an
    op refuses a number (the forwards in :mod:`~functional_micrograd.primitives`:
    log of 0, the square root of a negative number); any other ``ValueError``
    was raised by code of the user's (their loss, their optimizer) or by a
    check that code called. ``model_failed`` marks a failure to measure
    ``state.model`` itself, which the fold answers with the state before.
    """
    if isinstance(error, ArithmeticError) or _raised_in(error, _primitives.__name__):
        failure: TrainingFailed = TrainingDiverged(k, state, error)
        failure._model_failed = model_failed  # type: ignore[attr-defined]
        return failure
    return TrainingFailed(k, state, error, "user code")


def _raised_in(error: BaseException, module: str) -> bool:
    """True if the innermost frame of ``error``'s traceback runs code of ``module``."""
    tb = error.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    return bool(tb.tb_frame.f_globals.get("__name__") == module)


def _keeping_previous(step: StepFunction) -> Callable[[tuple[TrainState, TrainState], int], Any]:
    """The step as the fold runs it, on (previous state, state) pairs.

    When the loss of a state's own model overflows, the last good state is
    the one before it (whose model's loss was measured finite): the
    divergence raised then carries that one, so a run can go on from it.
    """

    def advance(pair: tuple[TrainState, TrainState], k: int) -> tuple[TrainState, TrainState]:
        previous, state = pair
        try:
            return state, step(state, k)
        except TrainingDiverged as error:
            if not getattr(error, "_model_failed", False) or previous is state:
                raise
            cause = error.__cause__
            raise TrainingDiverged(error.step, previous, cause) from cause  # type: ignore[arg-type]

    return advance


def _states(config: TrainConfig, start: TrainState) -> Iterator[TrainState]:
    """The initial state and the state after each step: the fold, as a stream."""
    pairs = toolz.accumulate(
        _keeping_previous(make_step(config)), range(config.steps), (start, start)
    )
    return toolz.pluck(1, pairs)  # type: ignore[no-any-return]


def _row(k: int, measured: BatchResult, rate: float, checked: Metrics | None) -> HistoryRow:
    return HistoryRow(
        step=k,
        loss=measured.loss,
        data_loss=measured.data_loss,
        reg_loss=measured.reg_loss,
        accuracy=measured.accuracy,
        learning_rate=rate,
        val_loss=None if checked is None else checked.loss,
        val_accuracy=None if checked is None else checked.accuracy,
    )


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
    loss: LossFunction | None = None,
    validation: Dataset | None = None,
    jit: bool = False,
) -> Iterator[TrainState]:
    """Lazily yield the initial state, then the state after each step.

    The same fold as :func:`train`, with the same options, as a stream
    (``toolz.accumulate``): use it for progress output, early stopping or
    checkpoints. Every option is checked when it is called; no step runs
    until the next state is asked for.

    >>> from functional_micrograd import datasets, nn
    >>> stream = iterate(nn.mlp(2, [4, 1]), datasets.moons(10, seed=0), steps=10**6)
    >>> [state.step for state in toolz.take(3, stream)]
    [0, 1, 2]
    """
    checked, config = _configure(
        "iterate", model, dataset, steps=steps, alpha=alpha, batch_size=batch_size,
        learning_rate=learning_rate, seed=seed, log_every=log_every, optimizer=optimizer,
        loss=loss, validation=validation, jit=jit,
    )  # fmt: skip
    start = initial_state(checked, config.optimizer)
    return _states(config, start)


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
    loss: LossFunction | None = None,
    validation: Dataset | None = None,
    jit: bool = False,
) -> Run:
    """Train a model: ``toolz.reduce(step, range(steps), initial_state)``.

    Args:
        model: the model to start from; it is not changed. One output for a
            binary or regression dataset, K for a multiclass one of K classes.
        dataset: the training data, of any task.
        steps: how many steps, >= 1.
        alpha: L2 regularisation strength.
        batch_size: points per step, drawn anew each step; None uses all.
        learning_rate: a number or a function of the step (micrograd's
            schedule by default); not with ``optimizer``.
        seed: seeds the batches.
        log_every: keep a history row every this many steps (and the last).
        optimizer: an :mod:`~functional_micrograd.optim` optimizer; None is
            plain gradient descent at ``learning_rate``.
        loss: any ``loss(model, xs, ys)`` returning a Value or a LossResult;
            None picks the task's: max_margin, cross_entropy or mse.
        validation: a held-out Dataset of the same task and width; each kept
            history row then has its ``val_loss`` and ``val_accuracy``.
        jit: compile one point's forward, loss and backward once (for the
            built-in losses) and run every step through that code: the same
            history, in a fraction of the time (the first step pays the compile).

    Returns:
        A :class:`Run` with both models, the history and the options.

    Raises:
        TrainingDiverged: a step's arithmetic overflowed; the last good state
            (one whose model's loss is finite) is on the exception.
        TrainingFailed: the learning-rate schedule failed, or code of yours
            (your loss, your optimizer) raised a ValueError; the state after
            the steps done is on the exception, the original error is its cause.

    >>> from functional_micrograd import datasets, nn
    >>> run = train(nn.mlp(2, [8, 1], seed=1), datasets.moons(30, seed=2), steps=20)
    >>> run.final_accuracy > run.history[0].accuracy
    True
    >>> train_part, val_part, _ = datasets.split(datasets.yinyang(40))
    >>> run = train(nn.mlp(2, [8, 3], seed=1), train_part, steps=2, validation=val_part)
    >>> run.history[0].val_loss is not None, run.options["loss"]
    (True, 'cross_entropy')
    """
    checked, config = _configure(
        "train", model, dataset, steps=steps, alpha=alpha, batch_size=batch_size,
        learning_rate=learning_rate, seed=seed, log_every=log_every, optimizer=optimizer,
        loss=loss, validation=validation, jit=jit,
    )  # fmt: skip
    start = initial_state(checked, config.optimizer)
    advance = _keeping_previous(make_step(config))
    _, final = toolz.reduce(advance, range(config.steps), (start, start))
    last = final.history[-1]
    return Run(
        initial_model=checked,
        final_model=final.model,
        history=final.history,
        final_loss=last.loss,
        final_accuracy=last.accuracy,
        options=config.options,
    )


_DEFAULTS = {
    name: p.default
    for name, p in inspect.signature(train).parameters.items()
    if p.default is not p.empty
}


def configure(model: Model, dataset: Dataset, **options: Any) -> TrainConfig:
    """The checked TrainConfig that :func:`train` would run with, for :func:`make_step`.

    Takes :func:`train`'s options by keyword, with the same defaults.

    >>> from functional_micrograd import datasets, nn
    >>> config = configure(nn.mlp(2, [4, 1]), datasets.moons(10), steps=5)
    >>> config.steps, config.optimizer.name, config.loss.__name__
    (5, 'sgd', 'max_margin')
    """
    unknown = sorted(set(options) - set(_DEFAULTS))
    if unknown:
        raise TypeError(
            f"configure: unknown option {unknown[0]!r}; the options are {', '.join(_DEFAULTS)}"
        )
    _, config = _configure("configure", model, dataset, **{**_DEFAULTS, **options})
    return config
