"""Losses: a model and data in, a :class:`LossResult` of Values out.

:func:`max_margin` is the loss of micrograd's two-moons demo, term for term:
``mean(relu(1 - y * score)) + alpha * sum(p * p)``. :func:`mse` is the mean
squared error, for regression or least-squares classification. Both return
Values, so ``backward(result.total_loss)`` gives the gradients.

>>> from functional_micrograd import nn
>>> model = nn.mlp(2, [4, 1], seed=0)
>>> result = max_margin(model, [(1.0, 0.5), (-1.0, 0.0)], [1.0, -1.0])
>>> round(result.total_loss.data, 4), result.accuracy
(1.695, 0.0)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from pyrsistent import PClass, field

from functional_micrograd import _collector
from functional_micrograd import rng as _rng
from functional_micrograd.nn import Model, _check_model, forward, parameters
from functional_micrograd.value import Operand, Value, _leaf, _mul, _relu, _sub, sum_values

__all__ = ["LossResult", "max_margin", "mse"]


class LossResult(PClass):
    """What a loss computed: three loss Values, the accuracy and every score.

    Fields:
        total_loss: ``data_loss + reg_loss``; differentiate this one.
        data_loss: the loss on the data alone.
        reg_loss: the L2 penalty ``alpha * sum(p * p)``.
        accuracy: the fraction of points whose score has the label's sign.
        scores: the model's output Value for each point used.
    """

    total_loss = field(type=Value, mandatory=True)
    data_loss = field(type=Value, mandatory=True)
    reg_loss = field(type=Value, mandatory=True)
    accuracy = field(type=float, mandatory=True)
    scores = field(type=tuple, mandatory=True)

    def __repr__(self) -> str:
        return (
            f"LossResult(total_loss={self.total_loss.data:.6g}, "
            f"data_loss={self.data_loss.data:.6g}, reg_loss={self.reg_loss.data:.6g}, "
            f"accuracy={self.accuracy:.4g}, scores=<{len(self.scores)} Values>)"
        )


def _as_tuple(where: str, name: str, seq: object) -> tuple[Any, ...]:
    if isinstance(seq, (str, bytes)) or not isinstance(seq, Sequence):
        raise TypeError(f"{where}: expected {name} to be a sequence, got {seq!r}")
    return tuple(seq)


def _check_data(
    where: str, xs: object, ys: object, labels_are_signs: bool
) -> tuple[tuple[Any, ...], tuple[float, ...]]:
    rows = _as_tuple(where, "xs", xs)
    targets = _as_tuple(where, "ys", ys)
    if not rows:
        raise ValueError(f"{where}: expected at least one data point, got empty xs")
    if len(rows) != len(targets):
        raise ValueError(
            f"{where}: expected as many labels as points, got {len(rows)} xs and {len(targets)} ys"
        )
    checked = []
    for i, y in enumerate(targets):
        if isinstance(y, bool) or not isinstance(y, (int, float)) or not math.isfinite(y):
            raise ValueError(f"{where}: expected ys[{i}] to be a finite number, got {y!r}")
        if labels_are_signs and y not in (-1.0, 1.0):
            raise ValueError(
                f"{where}: expected every label to be -1.0 or 1.0, got ys[{i}] = {y!r}"
            )
        checked.append(float(y))
    return rows, tuple(checked)


def _check_alpha(where: str, alpha: object) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)):
        raise TypeError(f"{where}: expected alpha to be a number >= 0, got {alpha!r}")
    if not (math.isfinite(alpha) and alpha >= 0):
        raise ValueError(f"{where}: expected alpha to be a finite number >= 0, got {alpha!r}")
    return float(alpha)


def _batch(
    where: str, rows: tuple[Any, ...], ys: tuple[float, ...], batch_size: object, seed: object
) -> tuple[tuple[Any, ...], tuple[float, ...]]:
    """All the data, or ``batch_size`` points drawn without replacement by ``seed``."""
    if batch_size is None:
        return rows, ys
    if isinstance(batch_size, bool) or not isinstance(batch_size, int):
        raise TypeError(f"{where}: expected batch_size to be None or an int, got {batch_size!r}")
    if not 1 <= batch_size <= len(rows):
        raise ValueError(
            f"{where}: expected batch_size between 1 and {len(rows)} (the number of points), "
            f"got {batch_size}"
        )
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"{where}: expected seed to be an int, got {seed!r}")
    picked, _ = _rng.sample(_rng.seed(seed), range(len(rows)), batch_size)
    return tuple(rows[i] for i in picked), tuple(ys[i] for i in picked)


def _scores(where: str, model: Model, rows: tuple[Any, ...]) -> tuple[Value, ...]:
    scores = tuple(forward(model, row) for row in rows)
    if scores and not isinstance(scores[0], Value):
        raise ValueError(f"{where}: expected a model with one output, got {len(scores[0])}")
    return scores  # type: ignore[return-value]


def _regularise(model: Model, alpha: float) -> Value:
    # alpha * sum(p * p), the L2 penalty of micrograd's demo
    return _mul(sum_values(_mul(p, p) for p in parameters(model)), _leaf(alpha, None))


def _sign_accuracy(ys: tuple[float, ...], scores: tuple[Value, ...]) -> float:
    hits = sum((y > 0) == (s.data > 0) for y, s in zip(ys, scores))
    return hits / len(ys)


def _hinge(targets: tuple[float, ...], scores: tuple[Value, ...]) -> Value:
    # mean(relu(1 - y * score)), micrograd demo's max-margin term
    one = _leaf(1.0, None)
    margins = [_relu(_sub(one, _mul(_leaf(y, None), s))) for y, s in zip(targets, scores)]
    return _mul(sum_values(margins), _leaf(1.0 / len(margins), None))


def _squared_error(targets: tuple[float, ...], scores: tuple[Value, ...]) -> Value:
    # mean((score - y) ** 2)
    errors = [_sub(s, _leaf(y, None)) for y, s in zip(targets, scores)]
    return _mul(sum_values(_mul(e, e) for e in errors), _leaf(1.0 / len(errors), None))


def _loss(
    where: str,
    model: Model,
    xs: object,
    ys: object,
    alpha: object,
    batch_size: object,
    seed: object,
    labels_are_signs: bool,
    data_term: Callable[[tuple[float, ...], tuple[Value, ...]], Value],
) -> LossResult:
    _check_model(where, model)
    rows, targets = _check_data(where, xs, ys, labels_are_signs)
    rate = _check_alpha(where, alpha)
    rows, targets = _batch(where, rows, targets, batch_size, seed)
    with _collector.paused():  # see _collector: a loss graph has no cycles
        scores = _scores(where, model, rows)
        data_loss = data_term(targets, scores)
        reg_loss = _regularise(model, rate)
        return LossResult(
            total_loss=data_loss + reg_loss,
            data_loss=data_loss,
            reg_loss=reg_loss,
            accuracy=_sign_accuracy(targets, scores),
            scores=scores,
        )


def max_margin(
    model: Model,
    xs: Sequence[Sequence[Operand]],
    ys: Sequence[float],
    alpha: float = 1e-4,
    batch_size: int | None = None,
    seed: int = 1337,
) -> LossResult:
    """The SVM max-margin loss of micrograd's demo, with L2 regularisation.

    ``data_loss = mean(relu(1 - y * score))`` over the points and
    ``reg_loss = alpha * sum(p * p)`` over the parameters.

    Args:
        model: a model with one output.
        xs: the input points.
        ys: their labels, each -1.0 or 1.0.
        alpha: the regularisation strength, >= 0.
        batch_size: use only this many points, drawn by ``seed``; None uses all.
        seed: picks the batch; the same seed picks the same points.

    >>> from functional_micrograd import nn
    >>> model = nn.with_parameters(nn.neuron(1, activation="linear"), [2.0, 0.0])
    >>> r = max_margin(model, [(1.0,), (-0.25,)], [1.0, 1.0], alpha=0.0)
    >>> r.data_loss.data, r.accuracy
    (0.75, 0.5)
    """
    return _loss("max_margin", model, xs, ys, alpha, batch_size, seed, True, _hinge)


def mse(
    model: Model,
    xs: Sequence[Sequence[Operand]],
    ys: Sequence[float],
    alpha: float = 0.0,
    batch_size: int | None = None,
    seed: int = 1337,
) -> LossResult:
    """Mean squared error ``mean((score - y) ** 2)`` plus ``alpha * sum(p * p)``.

    Targets may be any finite numbers; ``accuracy`` is the fraction of points
    whose score has the target's sign, which is meaningful for ±1 targets.

    >>> from functional_micrograd import nn
    >>> model = nn.with_parameters(nn.neuron(1, activation="linear"), [2.0, 1.0])
    >>> mse(model, [(0.0,), (1.0,)], [0.0, 4.0]).data_loss.data
    1.0
    """
    return _loss("mse", model, xs, ys, alpha, batch_size, seed, False, _squared_error)
