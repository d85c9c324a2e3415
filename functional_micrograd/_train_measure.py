"""Measuring a model: the loss, accuracy and gradients of a batch, and evaluate.

This is the only part of training that builds a graph. An *objective* is the
loss as a step uses it, with its task and L2 term settled (the loss
protocol); :func:`loss_and_gradients` runs it on one batch and keeps only
the numbers, and :func:`evaluate` measures a model on a held-out set. With
``jit=True`` the same numbers come from compiled code
(:mod:`~functional_micrograd.compiled`), op for op.

>>> from functional_micrograd import datasets, losses, nn
>>> data = datasets.moons(8, seed=0)
>>> objective = _objective(losses.max_margin, data.task, 1e-4)
>>> result = loss_and_gradients(objective, nn.mlp(2, [4, 1], seed=0), Batch(data.xs, data.ys))
>>> result.loss == result.data_loss + result.reg_loss
True
"""

from __future__ import annotations

import types
from collections.abc import Callable, Sequence
from typing import Any

from functional_micrograd import _checks, _collector, compiled
from functional_micrograd._train_checks import _check_fit, _check_loss
from functional_micrograd._train_records import _HOME, Batch, BatchResult, Metrics, TrainConfig
from functional_micrograd.autodiff import Gradients, backward
from functional_micrograd.datasets import Dataset
from functional_micrograd.losses import _UNCHECKED as _BUILT_IN
from functional_micrograd.losses import (
    LossFunction,
    LossResult,
    _regularise,
    accuracy,
)
from functional_micrograd.nn import Model, _check_model, forward, parameters
from functional_micrograd.value import Value

__all__ = ["Objective", "evaluate", "loss_and_gradients"]

Objective = Callable[[Model, Sequence[Any], Sequence[Any]], LossResult]
"""A loss with its task and L2 term settled: ``(model, xs, ys) -> LossResult``."""


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


loss_and_gradients.__module__ = _HOME  # documented and pickled as training's


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


evaluate.__module__ = _HOME  # documented and pickled as training's


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
