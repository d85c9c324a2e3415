"""The options of a run, checked once before its first step and gathered in a TrainConfig.

:func:`~functional_micrograd.training.train`, ``iterate``, ``configure`` and
``evaluate`` check what they are given here, so each rule has one wording
and the steps trust what they get. ``micrograd_schedule``, the default
learning rate, is here too: the checks tell it apart from a rate given
alongside an optimizer (which is refused).

>>> from functional_micrograd import datasets, nn
>>> model, config = _configure(
...     "train", nn.mlp(2, [4, 1]), datasets.moons(10), steps=3, alpha=0.0,
...     batch_size=None, learning_rate=0.1, seed=0, log_every=1, optimizer=None,
...     loss=None, validation=None)
>>> config.steps, config.optimizer.name, config.loss.__name__
(3, 'sgd', 'max_margin')
"""

from __future__ import annotations

from typing import Any

from pyrsistent import pmap

from functional_micrograd import _checks, compiled
from functional_micrograd._train_records import _HOME, TrainConfig
from functional_micrograd.datasets import Dataset
from functional_micrograd.losses import cross_entropy, max_margin, mse
from functional_micrograd.nn import Model, _check_model, structure
from functional_micrograd.optim import Optimizer, _check_rate, sgd

__all__ = ["micrograd_schedule"]

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


def micrograd_schedule(k: int) -> float:
    """micrograd demo's learning rate: ``1.0 - 0.9 * k / 100``.

    The demo runs 100 steps; past step 100 the rate stays at its final value
    instead of turning negative.

    >>> micrograd_schedule(0), micrograd_schedule(50), round(micrograd_schedule(100), 6)
    (1.0, 0.55, 0.1)
    """
    return 1.0 - 0.9 * min(_checks.integer("micrograd_schedule", "k", k, minimum=0), 100) / 100


micrograd_schedule.__module__ = _HOME  # documented and pickled as training's


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
