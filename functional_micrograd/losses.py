"""Losses: a model and data in, a :class:`LossResult` of Values out.

:func:`max_margin` is the loss of micrograd's two-moons demo, term for term:
``mean(relu(1 - y * score)) + alpha * sum(p * p)``, for -1.0 / 1.0 labels.
:func:`cross_entropy` is the softmax cross-entropy of K logits against class
indices 0..K-1, as PyTorch's ``F.cross_entropy``. :func:`mse` is the mean
squared error, for regression. All return Values, so
``backward(result.total_loss)`` gives the gradients.

For training, a loss is any function ``loss(model, xs, ys)`` that returns a
Value (the data loss) or a LossResult: see :mod:`functional_micrograd.training`.

>>> from functional_micrograd import nn
>>> model = nn.mlp(2, [4, 1], seed=0)
>>> result = max_margin(model, [(1.0, 0.5), (-1.0, 0.0)], [1.0, -1.0])
>>> round(result.total_loss.data, 4), result.accuracy
(1.695, 0.0)
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any, cast

from pyrsistent import PClass, field

from functional_micrograd import _checks, _collector
from functional_micrograd import rng as _rng
from functional_micrograd._ops import sum_values
from functional_micrograd.nn import (
    Model,
    _argmax,
    _check_model,
    forward,
    logsumexp,
    parameters,
    structure,
)
from functional_micrograd.value import (
    Operand,
    Value,
    _leaf,
    _mul,
    _relu,
    _sub,
)

__all__ = ["LossFunction", "LossResult", "accuracy", "cross_entropy", "max_margin", "mse"]


class LossResult(PClass):
    """What a loss computed: three loss Values, the accuracy and every score.

    Fields:
        total_loss: ``data_loss + reg_loss``; differentiate this one.
        data_loss: the loss on the data alone.
        reg_loss: the L2 penalty ``alpha * sum(p * p)``.
        accuracy: the fraction of points classified right, in [0, 1]; None
            for regression.
        scores: the model's output for each point used: a Value, or a tuple
            of Values (the logits) for a model with several outputs.
    """

    total_loss = field(type=Value, mandatory=True)
    data_loss = field(type=Value, mandatory=True)
    reg_loss = field(type=Value, mandatory=True)
    accuracy = field(type=(float, type(None)), mandatory=True)
    scores = field(type=tuple, mandatory=True)

    def __repr__(self) -> str:
        return (
            f"LossResult(total_loss={_short(self.total_loss.data)}, "
            f"data_loss={_short(self.data_loss.data)}, reg_loss={_short(self.reg_loss.data)}, "
            f"accuracy={_short(self.accuracy)}, scores=<{len(self.scores)} outputs>)"
        )


LossFunction = Callable[..., "Value | LossResult"]
"""A loss for training: ``loss(model, xs, ys)`` returning a Value or a LossResult."""


def _short(x: float | None, digits: int = 6) -> str:
    """A number as data: its repr rounded to ``digits`` significant digits (1.0, not 1)."""
    return "None" if x is None else repr(float(f"{x:.{digits}g}"))


# -- checks at the boundary -----------------------------------------------------------

# What each built-in loss accepts as a label, for the error message and the check.
_LABELS = {
    "max_margin": "-1.0 or 1.0",
    "mse": "a finite number",
    "cross_entropy": "a class index 0..K-1 (an int)",
}


def _check_data(
    where: str, model: Model, xs: object, ys: object
) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    rows = _checks.sequence(where, "xs", xs)
    targets = _checks.sequence(where, "ys", ys)
    if not rows:
        raise ValueError(f"{where}: expected at least one data point, got empty xs")
    if len(rows) != len(targets):
        raise ValueError(
            f"{where}: expected as many labels as points, got {len(rows)} xs and {len(targets)} ys"
        )
    outputs = structure(model).nout
    if where == "cross_entropy" and outputs < 2:
        raise ValueError(
            f"cross_entropy: expected a model with K >= 2 outputs (one logit per class), "
            f"got {outputs} output; for -1.0 / 1.0 labels use max_margin"
        )
    if where != "cross_entropy" and outputs != 1:
        raise ValueError(
            f"{where}: expected a model with one output, got {outputs}"
            + ("; for class indices use cross_entropy" if where == "max_margin" else "")
        )
    return rows, tuple(_label(where, i, y, outputs) for i, y in enumerate(targets))


def _label(where: str, i: int, y: object, classes: int) -> Any:
    if where == "cross_entropy":
        ok = _checks.is_number(y) and isinstance(y, numbers.Integral) and 0 <= int(y) < classes
        if not ok:
            raise ValueError(
                f"cross_entropy: expected ys[{i}] to be a class index 0..{classes - 1} (an int), "
                f"got {_checks.describe(y)}"
            )
        return int(y)  # type: ignore[call-overload]
    if not _checks.is_number(y):
        raise ValueError(f"{where}: expected ys[{i}] to be a finite number, got {_checks.show(y)}")
    value = _checks.number(where, f"ys[{i}]", y)
    if where == "max_margin" and value not in (-1.0, 1.0):
        raise ValueError(f"max_margin: expected every label to be -1.0 or 1.0, got ys[{i}] = {y!r}")
    return value


def _check_alpha(where: str, alpha: object) -> float:
    return _checks.number(where, "alpha", alpha, at_least=0.0)


def _batch(
    where: str, rows: tuple[Any, ...], ys: tuple[Any, ...], batch_size: object, seed: object
) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """All the data, or ``batch_size`` points drawn without replacement by ``seed``."""
    if batch_size is None:
        return rows, ys
    size = _checks.integer(where, "batch_size", batch_size, minimum=1, maximum=len(rows))
    picked, _ = _rng.sample(_rng.seed(_checks.seed(where, seed)), range(len(rows)), size)
    return tuple(rows[i] for i in picked), tuple(ys[i] for i in picked)


# -- the terms ------------------------------------------------------------------------


def _regularise(model: Model, alpha: float) -> Value:
    # alpha * sum(p * p), the L2 penalty of micrograd's demo
    return _mul(sum_values(_mul(p, p) for p in parameters(model)), _leaf(alpha, None))


# Each loss is the mean over the points of a term of one point's label and
# output; the compiled training step (compiled.py) traces these same terms.


def _margin(y: Value, score: Value, one: Value) -> Value:
    # relu(1 - y * score), micrograd demo's max-margin term
    return _relu(_sub(one, _mul(y, score)))


def _squared(y: Value, score: Value) -> Value:
    # (score - y) ** 2
    error = _sub(score, y)
    return _mul(error, error)


def _nll(y: int, z: Sequence[Value]) -> Value:
    # 1) the logits measured from the right class's: z - z[y]
    shifted = [_sub(zk, z[y]) for zk in z]
    # 2) the negative log-likelihood of the right class, -log softmax(z)[y]
    #    = -(z[y] - log(sum(exp(z)))) = log(sum(exp(z - z[y]))), computed
    #    stably by the logsumexp primitive
    return logsumexp(shifted)


def _mean(terms: Sequence[Value]) -> Value:
    return _mul(sum_values(terms), _leaf(1.0 / len(terms), None))


def _hinge(targets: tuple[float, ...], scores: tuple[Value, ...]) -> Value:
    one = _leaf(1.0, None)
    return _mean([_margin(_leaf(y, None), s, one) for y, s in zip(targets, scores)])


def _squared_error(targets: tuple[float, ...], scores: tuple[Value, ...]) -> Value:
    return _mean([_squared(_leaf(y, None), s) for y, s in zip(targets, scores)])


def _negative_log_likelihood(targets: tuple[int, ...], logits: tuple[Any, ...]) -> Value:
    """The mean over points of ``-log_softmax(logits)[y]``: softmax cross-entropy."""
    # 3) the mean over the points
    return _mean([_nll(y, z) for y, z in zip(targets, logits)])


def accuracy(task: str, ys: Sequence[Any], scores: Sequence[Any]) -> float | None:
    """The share of points a model gets right, from its outputs; None for regression.

    Binary: the score's sign against the label's, as micrograd's demo counts
    it (a score of exactly 0 counts as -1). Multiclass: the largest logit's
    index against the class.

    >>> from functional_micrograd import Value
    >>> accuracy("binary", [1.0, -1.0], [Value(0.5), Value(0.25)])
    0.5
    >>> accuracy("multiclass", [2], [(Value(0.0), Value(1.0), Value(3.0))])
    1.0
    """
    if task == "regression":
        return None
    if task == "multiclass":
        hits = sum(_argmax(z) == y for y, z in zip(ys, scores))
    else:
        hits = sum((y > 0) == (s.data > 0) for y, s in zip(ys, scores))
    return float(hits) / len(ys)


# -- the losses ---------------------------------------------------------------------------


def _result(
    model: Model, data_loss: Value, alpha: float, acc: float | None, scores: Any
) -> LossResult:
    reg_loss = _regularise(model, alpha)
    return LossResult(
        total_loss=data_loss + reg_loss,
        data_loss=data_loss,
        reg_loss=reg_loss,
        accuracy=acc,
        scores=scores,
    )


def _one_output(model: Model, rows: Sequence[Any]) -> tuple[Value, ...]:
    """The model's output for each row, for a model with one output."""
    return cast(tuple[Value, ...], tuple([forward(model, row) for row in rows]))


def _max_margin(model: Model, rows: Sequence[Any], targets: Any, alpha: float) -> LossResult:
    scores = _one_output(model, rows)
    return _result(
        model, _hinge(targets, scores), alpha, accuracy("binary", targets, scores), scores
    )


def _mse(model: Model, rows: Sequence[Any], targets: Any, alpha: float) -> LossResult:
    scores = _one_output(model, rows)
    return _result(model, _squared_error(targets, scores), alpha, None, scores)


def _cross_entropy(model: Model, rows: Sequence[Any], targets: Any, alpha: float) -> LossResult:
    logits = tuple([forward(model, row) for row in rows])
    acc = accuracy("multiclass", targets, logits)
    return _result(model, _negative_log_likelihood(targets, logits), alpha, acc, logits)


def _loss(
    where: str,
    core: Callable[[Model, Sequence[Any], Any, float], LossResult],
    model: Model,
    xs: object,
    ys: object,
    alpha: object,
    batch_size: object,
    seed: object,
) -> LossResult:
    _check_model(where, model)
    rows, targets = _check_data(where, model, xs, ys)
    rate = _check_alpha(where, alpha)
    rows, targets = _batch(where, rows, targets, batch_size, seed)
    with _collector.paused():  # see _collector: a loss graph has no cycles
        return core(model, rows, targets, rate)


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
    return _loss("max_margin", _max_margin, model, xs, ys, alpha, batch_size, seed)


def mse(
    model: Model,
    xs: Sequence[Sequence[Operand]],
    ys: Sequence[float],
    alpha: float = 0.0,
    batch_size: int | None = None,
    seed: int = 1337,
) -> LossResult:
    """Mean squared error ``mean((score - y) ** 2)`` plus ``alpha * sum(p * p)``.

    Targets may be any finite numbers; ``accuracy`` is None (training a
    binary dataset with ``loss=mse`` counts the accuracy by the score's sign).

    >>> from functional_micrograd import nn
    >>> model = nn.with_parameters(nn.neuron(1, activation="linear"), [2.0, 1.0])
    >>> r = mse(model, [(0.0,), (1.0,)], [0.0, 4.0])
    >>> r.data_loss.data, r.accuracy
    (1.0, None)
    """
    return _loss("mse", _mse, model, xs, ys, alpha, batch_size, seed)


def cross_entropy(
    model: Model,
    xs: Sequence[Sequence[Operand]],
    ys: Sequence[int],
    alpha: float = 0.0,
    batch_size: int | None = None,
    seed: int = 1337,
) -> LossResult:
    """Softmax cross-entropy for K classes: the mean of ``-log_softmax(model(x))[y]``.

    The model's K outputs are the logits; ``data_loss`` is the mean over the
    points of ``logsumexp(z) - z[y]`` (PyTorch's ``F.cross_entropy`` on the
    same logits), ``reg_loss`` is ``alpha * sum(p * p)``, ``scores`` the
    logit tuples and ``accuracy`` the share whose largest logit is the label.

    Args:
        model: a model with K >= 2 outputs.
        xs: the input points.
        ys: their classes, ints 0..K-1.
        alpha: the regularisation strength, >= 0.
        batch_size: use only this many points, drawn by ``seed``; None uses all.
        seed: picks the batch.

    >>> from functional_micrograd import nn
    >>> logits_are_x = nn.with_parameters(nn.layer(2, 2, activation="linear"), [1, 0, 0, 0, 1, 0])
    >>> r = cross_entropy(logits_are_x, [(0.0, 0.0), (3.0, 1.0)], [1, 0])
    >>> round(r.data_loss.data, 4)  # (log 2 + log(1 + e**-2)) / 2
    0.41
    >>> r.accuracy  # the tie at (0, 0) goes to the first class, not the label
    0.5
    """
    return _loss("cross_entropy", _cross_entropy, model, xs, ys, alpha, batch_size, seed)


# The built-in losses as training calls them: the data already checked and batched.
_UNCHECKED: dict[Any, Callable[[Model, Sequence[Any], Any, float], LossResult]] = {
    max_margin: _max_margin,
    mse: _mse,
    cross_entropy: _cross_entropy,
}
