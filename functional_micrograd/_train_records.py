"""The records of a training run: what a step reads, measures and keeps, and how it fails.

:mod:`~functional_micrograd.training` folds over these; they are documented,
imported and pickled as ``functional_micrograd.training.<name>`` (their
``__module__`` says so), so a saved ``Run`` or ``TrainState`` does not
depend on which file their code is in.

>>> from functional_micrograd import training
>>> row = training.HistoryRow(step=0, loss=1.0, data_loss=1.0, reg_loss=0.0,
...                           accuracy=0.5, learning_rate=0.1)
>>> row
HistoryRow(step=0, loss=1.0, data_loss=1.0, reg_loss=0.0, accuracy=0.5, learning_rate=0.1)
>>> type(row).__module__
'functional_micrograd.training'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from pyrsistent import PClass, PMap, PVector, field

from functional_micrograd.autodiff import Gradients
from functional_micrograd.datasets import Dataset
from functional_micrograd.losses import _short
from functional_micrograd.nn import MODELS, Model
from functional_micrograd.optim import Optimizer

__all__ = [
    "Batch",
    "BatchResult",
    "HistoryRow",
    "Metrics",
    "Run",
    "TrainConfig",
    "TrainState",
    "TrainingDiverged",
    "TrainingFailed",
]

# Where these records are documented and found by pickle: the public module.
_HOME = "functional_micrograd.training"
_MODEL_TYPES: Any = MODELS
_MAYBE_FLOAT: Any = (float, type(None))


class HistoryRow(PClass):
    """One step's numbers, measured on the model before that step's update.

    ``accuracy`` is None for regression; ``val_loss`` and ``val_accuracy``
    are the validation set's, None when training has no validation set.
    """

    __module__ = _HOME

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

    __module__ = _HOME

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

    __module__ = _HOME

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

    __module__ = _HOME

    loss = field(type=float, mandatory=True)
    accuracy = field(type=_MAYBE_FLOAT, mandatory=True)

    def __repr__(self) -> str:
        return f"Metrics(loss={_short(self.loss)}, accuracy={_short(self.accuracy)})"


class Batch(NamedTuple):
    """The points one step trains on: inputs and their labels."""

    xs: Sequence[Any]
    ys: Sequence[Any]


Batch.__module__ = _HOME  # a NamedTuple's body takes fields only


class BatchResult(PClass):
    """What one batch gives, as plain numbers: the losses, the accuracy and the gradients.

    This is all a step needs from the graph; everything after it (the
    history row, the update) reads these numbers only.
    """

    __module__ = _HOME

    loss = field(type=float, mandatory=True)
    data_loss = field(type=float, mandatory=True)
    reg_loss = field(type=float, mandatory=True)
    accuracy = field(type=_MAYBE_FLOAT, mandatory=True)
    gradients = field(type=Gradients, mandatory=True)


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

    __module__ = _HOME

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

    __module__ = _HOME

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

    __module__ = _HOME

    def __init__(
        self, step: int, state: TrainState, error: BaseException, reason: str = "diverged"
    ) -> None:
        super().__init__(step, state, error, reason)


def _failed(
    kind: type[TrainingFailed], step: int, state: TrainState, error: BaseException, reason: str
) -> TrainingFailed:
    return kind(step, state, error, reason)


_failed.__module__ = _HOME  # pickles of TrainingFailed call it by this name


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
