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
import types
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

import toolz
from pyrsistent import PClass, PMap, PVector, field, pmap, pvector

from functional_micrograd import _checks, _collector, compiled
from functional_micrograd import primitives as _primitives
from functional_micrograd import rng as _rng
from functional_micrograd.autodiff import Gradients, backward
from functional_micrograd.datasets import Dataset
from functional_micrograd.losses import _UNCHECKED as _BUILT_IN
from functional_micrograd.losses import (
    LossFunction,
    LossResult,
    _regularise,
    _short,
    accuracy,
    cross_entropy,
    max_margin,
    mse,
)
from functional_micrograd.nn import (
    MODELS,
    Model,
    _check_model,
    forward,
    parameters,
    structure,
)
from functional_micrograd.optim import LearningRate, Optimizer, _check_rate, learning_rate_at, sgd
from functional_micrograd.value import Value

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

_MODEL_TYPES: Any = MODELS
_MAYBE_FLOAT: Any = (float, type(None))

# The loss each task trains with unless told otherwise.
_DEFAULT_LOSS: dict[str, Any] = {
    "binary": max_margin,
    "multiclass": cross_entropy,
    "regression": mse,
}
# The tasks each built-in loss can be used for.
_LOSS_TASKS: dict[Any, tuple[str, ...]] = {
    max_margin: ("binary",),
    cross_entropy: ("multiclass",),
    mse: ("regression", "binary"),
}


class HistoryRow(PClass):
    """One step's numbers, measured on the model before that step's update.

    ``accuracy`` is None for regression; ``val_loss`` and ``val_accuracy``
    are the validation set's, None when training has no validation set.
    """

    step = field(type=int, mandatory=True)
    loss = field(type=float, mandatory=True)
    data_loss = field(type=float, mandatory=True)
    reg_loss = field(type=float, mandatory=True)
    accuracy = field(type=_MAYBE_FLOAT, mandatory=True)
    learning_rate = field(type=float, mandatory=True)
    val_loss = field(type=_MAYBE_FLOAT, initial=None)
    val_accuracy = field(type=_MAYBE_FLOAT, initial=None)

    def __repr__(self) -> str:
        validation = ""
        if self.val_loss is not None:
            validation = (
                f", val_loss={_short(self.val_loss)}, val_accuracy={_short(self.val_accuracy)}"
            )
        return (
            f"HistoryRow(step={self.step}, loss={_short(self.loss)}, "
            f"data_loss={_short(self.data_loss)}, reg_loss={_short(self.reg_loss)}, "
            f"accuracy={_short(self.accuracy)}, learning_rate={_short(self.learning_rate)}"
            f"{validation})"
        )


class TrainState(PClass):
    """Where training is: the model, how many steps are done, the history so far.

    ``opt_state`` is the optimizer's state (an ``SGDState`` for plain
    gradient descent).
    """

    model: Model = field(type=_MODEL_TYPES, mandatory=True)
    step = field(type=int, mandatory=True)
    history = field(type=PVector, mandatory=True)
    opt_state: Any = field(initial=None)

    def __repr__(self) -> str:
        rows = len(self.history)
        return f"TrainState(step={self.step}, model={self.model!r}, history={rows} rows)"


class Run(PClass):
    """The outcome of :func:`train`: both models, the history and the options used.

    ``final_loss`` and ``final_accuracy`` are the last history row's
    (``final_accuracy`` is None for regression).
    """

    initial_model: Model = field(type=_MODEL_TYPES, mandatory=True)
    final_model: Model = field(type=_MODEL_TYPES, mandatory=True)
    history = field(type=PVector, mandatory=True)
    final_loss = field(type=float, mandatory=True)
    final_accuracy = field(type=_MAYBE_FLOAT, mandatory=True)
    options = field(type=PMap, mandatory=True)

    def __repr__(self) -> str:
        return (
            f"Run(steps={self.options.get('steps')}, history={len(self.history)} rows, "
            f"final_loss={_short(self.final_loss)}, "
            f"final_accuracy={_short(self.final_accuracy)})"
        )


class Metrics(PClass):
    """A model's loss (without regularisation) and accuracy on a dataset; see :func:`evaluate`."""

    loss = field(type=float, mandatory=True)
    accuracy = field(type=_MAYBE_FLOAT, mandatory=True)

    def __repr__(self) -> str:
        return f"Metrics(loss={_short(self.loss)}, accuracy={_short(self.accuracy)})"


class Batch(NamedTuple):
    """The points one step trains on: inputs and their labels."""

    xs: Sequence[Any]
    ys: Sequence[Any]


class BatchResult(PClass):
    """What one batch gives, as plain numbers: the losses, the accuracy and the gradients.

    This is all a step needs from the graph; everything after it (the
    history row, the update) reads these numbers only.
    """

    loss = field(type=float, mandatory=True)
    data_loss = field(type=float, mandatory=True)
    reg_loss = field(type=float, mandatory=True)
    accuracy = field(type=_MAYBE_FLOAT, mandatory=True)
    gradients = field(type=Gradients, mandatory=True)


Objective = Callable[[Model, Sequence[Any], Sequence[Any]], LossResult]
"""A loss with its task and L2 term settled: ``(model, xs, ys) -> LossResult``."""

StepFunction = Callable[[TrainState, int], TrainState]
"""A training step: the state so far and the step number in, the next state out."""


class TrainConfig(PClass):
    """Every option of a run, checked once before the first step.

    Fields:
        dataset: the training data.
        validation: a held-out Dataset of the same task and width, or None.
        steps: how many steps.
        alpha: the L2 strength (added by training where the loss returned a bare Value).
        batch_size: points per step, or None for all of them.
        seed: seeds the batches.
        log_every: keep a history row every this many steps (and the last).
        optimizer: the Optimizer (plain gradient descent at the learning rate if none was given).
        loss: the loss function (the task's if none was given).
        jit: run each step's graph work as compiled code (see compiled.py).
        options: the options as they were given, for :attr:`Run.options`.
    """

    dataset = field(type=Dataset, mandatory=True)
    validation = field(type=(Dataset, type(None)), mandatory=True)
    steps = field(type=int, mandatory=True)
    alpha = field(type=float, mandatory=True)
    batch_size = field(type=(int, type(None)), mandatory=True)
    seed = field(type=int, mandatory=True)
    log_every = field(type=int, mandatory=True)
    optimizer = field(type=Optimizer, mandatory=True)
    loss: Any = field(mandatory=True)
    jit = field(type=bool, initial=False)
    options = field(type=PMap, mandatory=True)


class TrainingFailed(Exception):
    """A training step failed; nothing trained is lost.

    Attributes:
        step: the step that failed (0-based).
        state: the last good TrainState: one the fold can go on from (on
            divergence, one whose model's loss was finite).
        reason: which case it is: ``"diverged"`` (a number left the float
            range; raised as the subclass :class:`TrainingDiverged`),
            ``"schedule"`` (the learning-rate schedule raised, or gave a rate
            that is not a finite number >= 0) or ``"user code"`` (a
            ``ValueError`` raised by code of yours the step called, such as
            your own loss or optimizer: a bug there, not divergence).

    The original error is the exception's ``__cause__``, with its traceback.
    """

    def __init__(self, step: int, state: TrainState, error: BaseException, reason: str) -> None:
        super().__init__(_failure_message(step, state, error, reason))
        self.step = step
        self.state = state
        self.reason = reason
        self.__cause__ = error

    def __reduce__(self) -> tuple[Any, ...]:
        # An exception pickles and copies as cls(*self.args), but args is the
        # message alone; rebuild from the fields so it crosses process boundaries.
        return _failed, (type(self), self.step, self.state, self.__cause__, self.reason)


class TrainingDiverged(TrainingFailed, ArithmeticError):
    """A step's arithmetic left the finite float range; nothing trained is lost.

    A :class:`TrainingFailed` with ``reason == "diverged"``, and an
    ``ArithmeticError``. ``state`` is the last state whose model's loss was
    finite: when the loss of a step's model overflows, that is the state before
    it, so a run can go on from ``state`` (with a smaller learning rate). That
    is what :func:`train` and :func:`iterate` carry; a step function from
    :func:`make_step`, called on its own, carries the state it was given.
    """

    def __init__(
        self, step: int, state: TrainState, error: BaseException, reason: str = "diverged"
    ) -> None:
        super().__init__(step, state, error, reason)


def _failed(
    kind: type[TrainingFailed], step: int, state: TrainState, error: BaseException, reason: str
) -> TrainingFailed:
    return kind(step, state, error, reason)


def _failure_message(step: int, state: TrainState, error: BaseException, reason: str) -> str:
    kept = f"the last good state (after {state.step} steps) is in .state"
    if reason == "schedule":
        return (
            f"training stopped at step {step}: the learning-rate schedule failed "
            f"({type(error).__name__}: {error}). This is a problem in the schedule, not "
            f"divergence; {kept}. Make the schedule give a finite rate >= 0 at every step."
        )
    if reason == "user code":
        return (
            f"training stopped at step {step} by a ValueError in your own code, not by "
            f"divergence: {error}. Its traceback is in .__cause__; {kept}."
        )
    return (
        f"training diverged at step {step}: {error}. The last good state "
        f"(after {state.step} steps, whose loss is finite) is in .state; "
        "try a smaller learning rate."
    )


def micrograd_schedule(k: int) -> float:
    """micrograd demo's learning rate: ``1.0 - 0.9 * k / 100``.

    The demo runs 100 steps; past step 100 the rate stays at its final value
    instead of turning negative.

    >>> micrograd_schedule(0), micrograd_schedule(50), round(micrograd_schedule(100), 6)
    (1.0, 0.55, 0.1)
    """
    return 1.0 - 0.9 * min(_checks.integer("micrograd_schedule", "k", k, minimum=0), 100) / 100


# -- checks, once per run -----------------------------------------------------------


def _check_fit(where: str, model: Model, dataset: object, name: str = "dataset") -> Dataset:
    """The dataset, if the model can be trained or measured on it."""
    if not isinstance(dataset, Dataset):
        raise TypeError(
            f"{where}: expected {name} to be a Dataset (see fm.datasets), "
            f"got {_checks.describe(dataset)}"
        )
    if not len(dataset):
        raise ValueError(f"{where}: the {name} is empty")
    shape = structure(model)
    if dataset.width != shape.nin:
        raise ValueError(
            f"{where}: the model takes {shape.nin} inputs but the {name}'s points "
            f"have {dataset.width}"
        )
    wanted = dataset.num_classes if dataset.task == "multiclass" else 1
    if shape.nout != wanted:
        what = (
            f"{wanted} outputs (one logit per class)"
            if dataset.task == "multiclass"
            else "one output (a score per point)"
        )
        raise ValueError(
            f"{where}: a {dataset.task} {name}"
            + (f" of {dataset.num_classes} classes" if dataset.task == "multiclass" else "")
            + f" needs a model with {what}, got a model with {_outputs(shape.nout)}"
        )
    return dataset


def _outputs(n: int) -> str:
    return f"{n} output" if n == 1 else f"{n} outputs"


def _check_validation(where: str, model: Model, dataset: Dataset, validation: object) -> Any:
    if validation is None:
        return None
    if not isinstance(validation, Dataset):
        raise TypeError(
            f"{where}: expected validation to be a Dataset (see fm.datasets.split) or None, "
            f"got {_checks.describe(validation)}"
        )
    if (validation.task, validation.num_classes) != (dataset.task, dataset.num_classes):
        raise ValueError(
            f"{where}: expected validation to be a {dataset.task} Dataset like the training data"
            + (f" ({dataset.num_classes} classes)" if dataset.task == "multiclass" else "")
            + f", got a {validation.task} one"
            + (f" of {validation.num_classes} classes" if validation.task == "multiclass" else "")
        )
    return _check_fit(where, model, validation, "validation set")


def _check_loss(where: str, loss: object, task: str) -> Any:
    """The loss to train with: the one given, or the task's."""
    if loss is None:
        return _DEFAULT_LOSS[task]
    _checks.function(where, "loss", loss)
    tasks = _LOSS_TASKS.get(loss)
    if tasks is not None and task not in tasks:
        name = getattr(loss, "__name__", "this loss")
        default = _DEFAULT_LOSS[task].__name__
        raise ValueError(
            f"{where}: loss={name} is for {' or '.join(tasks)} datasets, got a {task} dataset; "
            f"leave loss=None to train it with {default}"
        )
    return loss


def _check_optimizer(where: str, optimizer: object, learning_rate: object) -> Optimizer:
    """The optimizer given, or plain gradient descent at the learning rate."""
    if optimizer is None:
        return sgd(_check_rate(where, learning_rate))
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"{where}: expected optimizer to be an Optimizer or None, "
            f"got {_checks.describe(optimizer)}"
        )
    if learning_rate is not micrograd_schedule:
        raise ValueError(
            f"{where}: give the learning rate to the optimizer, not to {where} as well "
            f"(got optimizer={optimizer!r} and learning_rate={_checks.show(learning_rate)})"
        )
    return optimizer


def _configure(
    where: str,
    model: object,
    dataset: object,
    *,
    steps: object,
    alpha: object,
    batch_size: object,
    learning_rate: object,
    seed: object,
    log_every: object,
    optimizer: object,
    loss: object,
    validation: object,
    jit: object = False,
) -> tuple[Model, TrainConfig]:
    """Check every option once and gather them in a TrainConfig."""
    checked = _check_model(where, model)
    data = _check_fit(where, checked, dataset)
    n = len(data)
    if batch_size is not None:
        _checks.integer(where, "batch_size", batch_size, minimum=1, maximum=n)
    chosen_loss = _check_loss(where, loss, data.task)
    held_out = _check_validation(where, checked, data, validation)
    if not isinstance(jit, bool):
        raise TypeError(f"{where}: expected jit to be True or False, got {_checks.describe(jit)}")
    if jit and not compiled.supports(chosen_loss):
        raise ValueError(
            f"{where}: jit=True compiles the built-in losses (max_margin, cross_entropy, mse), "
            f"got loss={getattr(chosen_loss, '__name__', chosen_loss)!r}; "
            "train with jit=False to use your own loss"
        )
    options = pmap(
        {
            "steps": steps,
            "alpha": alpha,
            "batch_size": batch_size,
            "learning_rate": learning_rate,
            "seed": seed,
            "log_every": log_every,
            "optimizer": optimizer,
            "loss": getattr(chosen_loss, "__name__", repr(chosen_loss)),
            "dataset": data.metadata,
            "validation": None if held_out is None else held_out.metadata,
            "task": data.task,
            "jit": jit,
        }
    )
    config = TrainConfig(
        dataset=data,
        steps=_checks.integer(where, "steps", steps),
        log_every=_checks.integer(where, "log_every", log_every),
        alpha=_checks.number(where, "alpha", alpha, at_least=0.0),
        batch_size=batch_size,
        seed=_checks.seed(where, seed),
        optimizer=_check_optimizer(where, optimizer, learning_rate),
        loss=chosen_loss,
        validation=held_out,
        jit=jit,
        options=options,
    )
    return checked, config


# -- the loss protocol --------------------------------------------------------------


def _objective(loss: Any, task: str, alpha: float) -> Objective:
    """The loss as training uses it: ``(model, xs, ys) -> LossResult``, with L2 and accuracy.

    A built-in loss runs without re-checking its data; any other function is
    called as ``loss(model, xs, ys)`` and may return a Value (the data loss:
    the L2 term and the accuracy are added here) or a LossResult (used as it
    is; its accuracy is filled in if it has none).
    """
    core = _BUILT_IN.get(loss)

    def objective(model: Model, xs: Sequence[Any], ys: Sequence[Any]) -> LossResult:
        if core is not None:
            result = core(model, xs, ys, alpha)
        else:
            result = _protocol(loss, model, xs, ys, alpha)
        if task == "regression":
            return result if result.accuracy is None else result.set(accuracy=None)
        if result.accuracy is None:
            scores = result.scores if len(result.scores) == len(ys) else None
            result = result.set(accuracy=_accuracy(task, model, xs, ys, scores))
        return result

    return objective


def _protocol(
    loss: Any, model: Model, xs: Sequence[Any], ys: Sequence[Any], alpha: float
) -> LossResult:
    out = loss(model, xs, ys)
    if isinstance(out, LossResult):
        return out
    if not isinstance(out, Value):
        raise TypeError(
            "training: expected the loss function to return a Value or a LossResult, "
            f"got {_checks.describe(out)}"
        )
    reg_loss = _regularise(model, alpha)
    return LossResult(
        total_loss=out + reg_loss, data_loss=out, reg_loss=reg_loss, accuracy=None, scores=()
    )


def _accuracy(
    task: str, model: Model, xs: Sequence[Any], ys: Sequence[Any], scores: Any
) -> float | None:
    if scores is None:
        scores = tuple(forward(model, x) for x in xs)
    return accuracy(task, ys, scores)


def loss_and_gradients(objective: Objective, model: Model, batch: Batch) -> BatchResult:
    """The part of a step that needs the graph: loss, accuracy and gradients of one batch.

    Builds the batch's loss graph with ``objective``, differentiates it, and
    returns only numbers; the graph is dropped before this returns. A
    compiler can stand in for exactly this function.

    >>> from functional_micrograd import datasets, losses, nn
    >>> data = datasets.moons(4, noise=0.0, shuffle=False)
    >>> objective = lambda m, xs, ys: losses.max_margin(m, xs, ys, alpha=0.0)
    >>> result = loss_and_gradients(objective, nn.mlp(2, [3, 1]), Batch(data.xs, data.ys))
    >>> round(result.loss, 4), result.accuracy, len(result.gradients.to_map()) > 0
    (1.0784, 0.5, True)
    """
    with _collector.paused():  # see _collector: a step makes no cycles
        result = objective(model, batch.xs, batch.ys)
        measured = BatchResult(
            loss=result.total_loss.data,
            data_loss=result.data_loss.data,
            reg_loss=result.reg_loss.data,
            accuracy=result.accuracy,
            gradients=backward(result.total_loss),
        )
        # Drop the graph while the collector is still paused: it would
        # otherwise walk all of it once at its next young pass.
        del result
    return measured


def evaluate(model: Model, dataset: Dataset, loss: LossFunction | None = None) -> Metrics:
    """A model's loss and accuracy on a (held-out) dataset, without regularisation.

    Args:
        model: the model to measure; its output count must fit the dataset's task.
        dataset: the points to measure on.
        loss: the loss to report; None for the task's (max_margin, cross_entropy, mse).

    Returns:
        A :class:`Metrics` record: ``loss`` (the data loss) and ``accuracy``
        (None for regression).

    >>> from functional_micrograd import datasets, nn
    >>> _, test_part = datasets.split(datasets.yinyang(30), (0.8, 0.2))
    >>> metrics = evaluate(nn.mlp(2, [4, 3], seed=1), test_part)
    >>> round(metrics.loss, 4), metrics.accuracy
    (1.2375, 0.5)
    """
    checked = _check_model("evaluate", model)
    data = _check_fit("evaluate", checked, dataset)
    objective = _objective(_check_loss("evaluate", loss, data.task), data.task, 0.0)
    return _evaluate(objective, checked, data)


def _evaluate(objective: Objective, model: Model, dataset: Dataset) -> Metrics:
    with _collector.paused():
        result = objective(model, dataset.xs, dataset.ys)
        return Metrics(loss=result.data_loss.data, accuracy=result.accuracy)


def _compiled_measure(
    config: TrainConfig, objective: Objective, model: Model, batch: Batch
) -> BatchResult:
    """loss_and_gradients through compiled code; the same numbers, op for op.

    The L2 term and its gradients (``alpha * p`` twice, added first, as
    backward adds them) are computed here in floats, as the eager graph
    computes them; the kernel adds each point's term and gradients.
    """
    params = parameters(model)
    values = [p.data for p in params]
    n = len(batch.ys)
    alpha = config.alpha
    try:
        run = compiled.kernel(model, config.loss, 1.0 / n).run
        start = [0.0 + alpha * v + alpha * v for v in values]
        terms, outs, grads = run(values, _points(batch), start)
    except (ArithmeticError, ValueError, compiled.Recheck):
        return loss_and_gradients(objective, model, batch)  # raises the op's own error
    data_loss = _sum_in_order(terms) * (1.0 / n)
    reg_loss = _sum_in_order([v * v for v in values]) * alpha
    return BatchResult(
        loss=data_loss + reg_loss,
        data_loss=data_loss,
        reg_loss=reg_loss,
        accuracy=_float_accuracy(config.dataset.task, batch.ys, outs),
        gradients=Gradients(table=types.MappingProxyType(dict(zip([p.id for p in params], grads)))),
    )


def _compiled_metrics(
    config: TrainConfig, objective: Objective, model: Model, dataset: Dataset
) -> Metrics:
    """_evaluate through compiled code (a kernel without gradients)."""
    batch = Batch(dataset.xs, dataset.ys)
    try:
        run = compiled.kernel(model, config.loss, None).run
        terms, outs, _ = run([p.data for p in parameters(model)], _points(batch))
    except (ArithmeticError, ValueError, compiled.Recheck):
        return _evaluate(objective, model, dataset)
    accuracy = _float_accuracy(dataset.task, dataset.ys, outs)
    return Metrics(loss=_sum_in_order(terms) * (1.0 / len(terms)), accuracy=accuracy)


def _points(batch: Batch) -> list[tuple[Any, ...]]:
    return [(*x, y) for x, y in zip(batch.xs, batch.ys)]


def _sum_in_order(numbers: Sequence[float]) -> float:
    """Left to right from the first, as ``sum_values`` adds (one ``+`` per term)."""
    total = numbers[0]
    for x in numbers[1:]:
        total = total + x
    return total


def _float_accuracy(task: str, ys: Sequence[Any], outs: Sequence[Any]) -> float | None:
    """losses.accuracy on plain numbers."""
    if task == "regression":
        return None
    if task == "multiclass":
        hits = sum(max(range(len(z)), key=lambda i: (z[i], -i)) == y for y, z in zip(ys, outs))
    else:
        hits = sum((y > 0) == (s > 0) for y, s in zip(ys, outs))
    return float(hits) / len(ys)


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
