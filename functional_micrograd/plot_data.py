"""Plain rows for charts: datasets, training curves, decision regions and fitted curves.

Every function returns a list of plain dicts, one dict per row, with the same
keys in every row ("long" or "tidy" data). Hand them to any plotting tool:
matplotlib (``[row["x"] for row in rows]``), pandas (``DataFrame(rows)``),
Altair, Vega-Lite or a CSV writer. No plotting library is imported here.

The history functions take a training :class:`~functional_micrograd.training.Run`
(what ``fm.train`` returns), a :class:`~functional_micrograd.training.TrainState`
(what ``fm.training.iterate`` yields, for live plots) or a sequence of
:class:`~functional_micrograd.training.HistoryRow` (``run.history``).

>>> from functional_micrograd import datasets
>>> rows = dataset_points(datasets.moons(4, noise=0.0, shuffle=False))
>>> rows[0]
{'x': 1.0, 'y': 0.0, 'label': -1.0}
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from functional_micrograd import _checks
from functional_micrograd.datasets import Dataset
from functional_micrograd.nn import Model, _argmax, _check_model, forward, softmax, structure
from functional_micrograd.training import HistoryRow, Run, TrainState
from functional_micrograd.value import Value

__all__ = [
    "History",
    "Row",
    "accuracy_history",
    "dataset_points",
    "decision_boundary",
    "loss_history",
    "prediction_curve",
    "training_history",
]

Row = dict[str, Any]
"""One row of chart data: a plain dict from column name to a number or a str."""

History = Run | TrainState | Sequence[HistoryRow]
"""Where training history is read from: a Run, a TrainState, or the rows themselves."""


# -- checks -----------------------------------------------------------------------


def _check_dataset(where: str, ds: object) -> Dataset:
    if not isinstance(ds, Dataset):
        raise TypeError(
            f"{where}: expected a Dataset (see fm.datasets), got {_checks.describe(ds)}"
        )
    return ds


def _history(where: str, run: object) -> tuple[HistoryRow, ...]:
    """The history rows of a Run, a TrainState or a sequence of HistoryRows."""
    if isinstance(run, (Run, TrainState)):
        return tuple(run.history)
    if not isinstance(run, (str, bytes)) and isinstance(run, Sequence):
        rows = tuple(run)
        for i, row in enumerate(rows):
            if not isinstance(row, HistoryRow):
                raise TypeError(
                    f"{where}: expected a sequence of HistoryRows, "
                    f"got {_checks.describe(row)} at index {i}"
                )
        return rows
    raise TypeError(
        f"{where}: expected a training Run, a TrainState or a sequence of HistoryRows "
        f"(run.history), got {_checks.describe(run)}"
    )


# -- datasets ---------------------------------------------------------------------


def dataset_points(ds: Dataset) -> list[Row]:
    """One row per point of a dataset: ``x``, ``y`` and its ``label``.

    The label is -1.0 / 1.0 for a binary set and the class index (an int)
    for a multiclass one. For inputs on a line (regression) ``x`` is the
    input and ``y`` and ``label`` the target, so the rows draw the curve.

    Args:
        ds: a :class:`~functional_micrograd.datasets.Dataset` of width 1 or 2.

    Returns:
        A list of ``{"x", "y", "label"}`` dicts, in the dataset's order.

    >>> from functional_micrograd import datasets
    >>> ds = datasets.blobs(4, noise=0.0, shuffle=False, centers=((0, 0), (2, 1)))
    >>> [(row["x"], row["y"], row["label"]) for row in dataset_points(ds)]
    [(0.0, 0.0, -1.0), (0.0, 0.0, -1.0), (2.0, 1.0, 1.0), (2.0, 1.0, 1.0)]
    >>> dataset_points(datasets.yinyang(3))[2]["label"]
    2
    """
    _check_dataset("dataset_points", ds)
    if ds.width == 1:
        return [{"x": x, "y": y, "label": y} for (x,), y in zip(ds.xs, ds.ys)]
    if ds.width not in (0, 2):
        raise ValueError(
            f"dataset_points: expected a dataset of points in the plane or on a line, "
            f"got inputs of width {ds.width}"
        )
    return [{"x": x, "y": y, "label": label} for (x, y), label in zip(ds.xs, ds.ys)]


# -- training history -------------------------------------------------------------


def _percent(x: float | None) -> float | None:
    return None if x is None else 100.0 * x


def training_history(run: History) -> list[Row]:
    """One row per history step, with every number training recorded.

    ``accuracy`` is a fraction in [0, 1]; ``accuracy_percent`` is the same
    number times 100 (both None for regression). When training had a
    validation set, every row also has ``val_loss`` and ``val_accuracy``.

    Args:
        run: a training Run, a TrainState, or a sequence of HistoryRows.

    Returns:
        A list of ``{"step", "loss", "data_loss", "reg_loss", "accuracy",
        "accuracy_percent", "learning_rate"}`` dicts (and ``"val_loss",
        "val_accuracy"`` with validation), in step order.

    >>> from functional_micrograd import datasets, nn, training
    >>> run = training.train(nn.mlp(2, [4, 1]), datasets.moons(20, seed=0), steps=3)
    >>> rows = training_history(run)
    >>> [row["step"] for row in rows], rows[0]["learning_rate"]
    ([0, 1, 2], 1.0)
    >>> round(rows[0]["loss"], 4) == round(run.history[0].loss, 4)
    True
    """
    history = _history("training_history", run)
    validated = any(row.val_loss is not None for row in history)
    rows = []
    for row in history:
        out: Row = {
            "step": row.step,
            "loss": row.loss,
            "data_loss": row.data_loss,
            "reg_loss": row.reg_loss,
            "accuracy": row.accuracy,
            "accuracy_percent": _percent(row.accuracy),
            "learning_rate": row.learning_rate,
        }
        if validated:
            out["val_loss"] = row.val_loss
            out["val_accuracy"] = row.val_accuracy
        rows.append(out)
    return rows


def loss_history(run: History) -> list[Row]:
    """The losses in long form: three rows per history step, four with validation.

    Each step gives a ``"total loss"``, a ``"data loss"`` and a
    ``"regularization loss"`` row, in that order, then a ``"validation loss"``
    row when training had a validation set; plot ``value`` against ``step``
    with one line per ``metric``.

    Args:
        run: a training Run, a TrainState, or a sequence of HistoryRows.

    Returns:
        A list of ``{"step", "metric", "value"}`` dicts.

    >>> from functional_micrograd import datasets, nn, training
    >>> run = training.train(nn.mlp(2, [4, 1]), datasets.moons(20, seed=0), steps=2)
    >>> [(row["step"], row["metric"]) for row in loss_history(run)]
    [(0, 'total loss'), (0, 'data loss'), (0, 'regularization loss'),
     (1, 'total loss'), (1, 'data loss'), (1, 'regularization loss')]
    """
    rows: list[Row] = []
    for row in _history("loss_history", run):
        rows.append({"step": row.step, "metric": "total loss", "value": row.loss})
        rows.append({"step": row.step, "metric": "data loss", "value": row.data_loss})
        rows.append({"step": row.step, "metric": "regularization loss", "value": row.reg_loss})
        if row.val_loss is not None:
            rows.append({"step": row.step, "metric": "validation loss", "value": row.val_loss})
    return rows


def accuracy_history(run: History) -> list[Row]:
    """The accuracy in percent, one row per history step (two with validation).

    A regression run has no accuracy and gives no rows.

    Args:
        run: a training Run, a TrainState, or a sequence of HistoryRows.

    Returns:
        A list of ``{"step", "metric", "value"}`` dicts, ``metric`` being
        ``"accuracy"`` or ``"validation accuracy"`` and ``value`` in percent.

    >>> from functional_micrograd import datasets, nn, training
    >>> run = training.train(nn.mlp(2, [4, 1]), datasets.moons(20, seed=0), steps=2)
    >>> rows = accuracy_history(run)
    >>> rows[0]["metric"], round(rows[0]["value"], 1) == round(100 * run.history[0].accuracy, 1)
    ('accuracy', True)
    """
    rows: list[Row] = []
    for row in _history("accuracy_history", run):
        if row.accuracy is not None:
            rows.append({"step": row.step, "metric": "accuracy", "value": 100.0 * row.accuracy})
        if row.val_accuracy is not None:
            value = 100.0 * row.val_accuracy
            rows.append({"step": row.step, "metric": "validation accuracy", "value": value})
    return rows


# -- decision boundary ------------------------------------------------------------


def _grid_row(model: Model, x: float, y: float) -> Row:
    """One grid point: the score and its sign, or the likeliest class and its probability."""
    out = forward(model, (x, y))
    if isinstance(out, Value):
        return {"x": x, "y": y, "score": out.data, "predicted": 1.0 if out.data > 0 else -1.0}
    best = _argmax(out)
    return {"x": x, "y": y, "predicted": best, "probability": softmax(out)[best].data}


def _arange(start: float, stop: float, h: float) -> list[float]:
    """numpy's ``arange(start, stop, h)`` in pure Python, for h > 0.

    numpy counts ``ceil((stop - start) / h)`` points (one point when that
    quotient underflows to 0.0 from a positive span) and none when it is <= 0.
    """
    span = stop - start
    quotient = span / h
    count = 1 if quotient == 0.0 and span > 0.0 else max(math.ceil(quotient), 0)
    return [start + i * h for i in range(count)]


def decision_boundary(
    model: Model, ds: Dataset, h: float = 0.25, padding: float = 1.0
) -> list[Row]:
    """The model's answer on a grid over the dataset: micrograd's decision-boundary picture.

    The grid is that of micrograd's demo: on each axis, numpy's
    ``arange(min - padding, max + padding, h)`` (x over the points' x
    coordinates, y over their y coordinates), counted the same way numpy
    counts. Rows go along x first, then up y (``meshgrid`` then ``ravel``
    order). For a model with one output, the score is the model's output
    ``data`` at the grid point, and ``predicted`` is its sign: 1.0 where the
    score is > 0, else -1.0. For a model with K outputs (logits),
    ``predicted`` is the class of the largest and ``probability`` its softmax
    probability: colour by class, shade by probability. Each grid point is
    one forward pass, so the cost grows as ``1 / h**2``.

    Args:
        model: a model with 2 inputs (a Neuron, Layer or MLP).
        ds: the dataset whose bounding box the grid covers.
        h: the grid spacing; a finite number > 0.
        padding: how far the grid reaches past the data on every side; >= 0.

    Returns:
        A list of ``{"x", "y", "score", "predicted"}`` dicts, or of
        ``{"x", "y", "predicted", "probability"}`` dicts for K outputs.

    >>> from functional_micrograd import datasets, nn
    >>> ds = datasets.Dataset(xs=[(0, 0), (1, 1)], ys=[-1, 1], metadata={"name": "two"})
    >>> score_is_x = nn.with_parameters(nn.neuron(2, activation="linear"), [1.0, 0.0, 0.0])
    >>> rows = decision_boundary(score_is_x, ds, h=0.5, padding=0.5)
    >>> len(rows), sorted({row["x"] for row in rows})
    (16, [-0.5, 0.0, 0.5, 1.0])
    >>> [(row["score"], row["predicted"]) for row in rows[:4]]
    [(-0.5, -1.0), (0.0, -1.0), (0.5, 1.0), (1.0, 1.0)]
    >>> three = nn.mlp(2, [4, 3], seed=1)
    >>> sorted(decision_boundary(three, ds, h=0.5, padding=0.5)[0])
    ['predicted', 'probability', 'x', 'y']
    """
    where = "decision_boundary"
    shape = structure(_check_model(where, model))
    _check_dataset(where, ds)
    step = _checks.number(where, "h", h, above=0.0)
    pad = _checks.number(where, "padding", padding, at_least=0.0)
    if shape.nin != 2:
        raise ValueError(
            f"{where}: expected a model with 2 inputs (x, y), got one with {shape.nin}"
        )
    if not len(ds):
        raise ValueError(f"{where}: the dataset is empty; the grid needs its bounding box")
    px = [x for x, _ in ds.xs]
    py = [y for _, y in ds.xs]
    bounds = (min(px) - pad, max(px) + pad, min(py) - pad, max(py) + pad)
    spans = (bounds[1] - bounds[0], bounds[3] - bounds[2])
    if not all(map(math.isfinite, bounds + spans)):
        raise ValueError(
            f"{where}: the grid's bounds {bounds!r} (or their spans) are not all finite floats"
        )
    xs = _arange(bounds[0], bounds[1], step)
    ys = _arange(bounds[2], bounds[3], step)
    return [_grid_row(model, x, y) for y in ys for x in xs]


# -- fitted curves ----------------------------------------------------------------


def prediction_curve(model: Model, ds: Dataset, points: int = 200) -> list[Row]:
    """A regression model's prediction across the data's range, to draw over the points.

    Args:
        model: a model with 1 input and 1 output.
        ds: a dataset of 1-wide inputs (``fm.datasets.sine``, say) whose
            smallest and largest input bound the curve.
        points: how many evenly spaced inputs, the two ends included; an int >= 2.

    Returns:
        A list of ``{"x", "prediction"}`` dicts, ``x`` increasing.

    >>> from functional_micrograd import datasets, nn
    >>> double = nn.with_parameters(nn.neuron(1, activation="linear"), [2.0, 0.0])
    >>> prediction_curve(double, datasets.sine(5, low=0.0, high=1.0), points=3)
    [{'x': 0.0, 'prediction': 0.0}, {'x': 0.5, 'prediction': 1.0}, {'x': 1.0, 'prediction': 2.0}]
    """
    where = "prediction_curve"
    shape = structure(_check_model(where, model))
    _check_dataset(where, ds)
    count = _checks.integer(where, "points", points, minimum=2)
    if shape.nin != 1 or shape.nout != 1:
        raise ValueError(
            f"{where}: expected a model with 1 input and 1 output, "
            f"got one with {shape.nin} inputs and {shape.nout} outputs"
        )
    if ds.width != 1 or not len(ds):
        raise ValueError(
            f"{where}: expected a non-empty dataset of 1-wide inputs (like fm.datasets.sine), "
            f"got {len(ds)} points of width {ds.width}"
        )
    low, high = min(x for (x,) in ds.xs), max(x for (x,) in ds.xs)
    step = (high - low) / (count - 1)
    inputs = [low + i * step for i in range(count - 1)] + [high]
    rows: list[Row] = []
    for x in inputs:
        out = forward(model, (x,))
        rows.append({"x": x, "prediction": out.data if isinstance(out, Value) else out[0].data})
    return rows
