"""Plain rows for charts: datasets, training curves and decision boundaries.

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
import numbers
from collections.abc import Sequence
from typing import Any

from functional_micrograd._checks import describe as _describe
from functional_micrograd.datasets import Dataset
from functional_micrograd.nn import Layer, Model, Neuron, _check_model, _nin, forward
from functional_micrograd.training import HistoryRow, Run, TrainState
from functional_micrograd.value import Value

__all__ = [
    "History",
    "Row",
    "accuracy_history",
    "dataset_points",
    "decision_boundary",
    "loss_history",
    "training_history",
]

Row = dict[str, Any]
"""One row of chart data: a plain dict from column name to a number or a str."""

History = Run | TrainState | Sequence[HistoryRow]
"""Where training history is read from: a Run, a TrainState, or the rows themselves."""


# -- checks -----------------------------------------------------------------------


def _check_dataset(where: str, ds: object) -> Dataset:
    if not isinstance(ds, Dataset):
        raise TypeError(f"{where}: expected a Dataset (see fm.datasets), got {_describe(ds)}")
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
                    f"got {_describe(row)} at index {i}"
                )
        return rows
    raise TypeError(
        f"{where}: expected a training Run, a TrainState or a sequence of HistoryRows "
        f"(run.history), got {_describe(run)}"
    )


def _number(where: str, name: str, x: object) -> float:
    """``x`` as a float; TypeError unless it is an int or float (bools are not)."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{where}: expected {name} to be a number, got {_describe(x)}")
    try:
        return float(x)
    except OverflowError:
        raise ValueError(f"{where}: expected {name} to be finite, got {_describe(x)}") from None


def _outputs(model: Model) -> int:
    if isinstance(model, Neuron):
        return 1
    last = model if isinstance(model, Layer) else model.layers[-1]
    return len(last.neurons)


# -- datasets ---------------------------------------------------------------------


def dataset_points(ds: Dataset) -> list[Row]:
    """One row per point of a dataset: ``x``, ``y`` and its ``label`` (-1.0 or 1.0).

    Args:
        ds: a :class:`~functional_micrograd.datasets.Dataset`.

    Returns:
        A list of ``{"x", "y", "label"}`` dicts, in the dataset's order.

    >>> from functional_micrograd import datasets
    >>> ds = datasets.blobs(4, noise=0.0, shuffle=False, centers=((0, 0), (2, 1)))
    >>> [(row["x"], row["y"], row["label"]) for row in dataset_points(ds)]
    [(0.0, 0.0, -1.0), (0.0, 0.0, -1.0), (2.0, 1.0, 1.0), (2.0, 1.0, 1.0)]
    """
    _check_dataset("dataset_points", ds)
    return [{"x": x, "y": y, "label": label} for (x, y), label in zip(ds.xs, ds.ys)]


# -- training history -------------------------------------------------------------


def training_history(run: History) -> list[Row]:
    """One row per history step, with every number training recorded.

    ``accuracy`` is a fraction in [0, 1]; ``accuracy_percent`` is the same
    number times 100.

    Args:
        run: a training Run, a TrainState, or a sequence of HistoryRows.

    Returns:
        A list of ``{"step", "loss", "data_loss", "reg_loss", "accuracy",
        "accuracy_percent", "learning_rate"}`` dicts, in step order.

    >>> from functional_micrograd import datasets, nn, training
    >>> run = training.train(nn.mlp(2, [4, 1]), datasets.moons(20, seed=0), steps=3)
    >>> rows = training_history(run)
    >>> [row["step"] for row in rows], rows[0]["learning_rate"]
    ([0, 1, 2], 1.0)
    >>> round(rows[0]["loss"], 4) == round(run.history[0].loss, 4)
    True
    """
    return [
        {
            "step": row.step,
            "loss": row.loss,
            "data_loss": row.data_loss,
            "reg_loss": row.reg_loss,
            "accuracy": row.accuracy,
            "accuracy_percent": 100.0 * row.accuracy,
            "learning_rate": row.learning_rate,
        }
        for row in _history("training_history", run)
    ]


def loss_history(run: History) -> list[Row]:
    """The three losses in long form: three rows per history step.

    Each step gives a ``"total loss"``, a ``"data loss"`` and a
    ``"regularization loss"`` row, in that order; plot ``value`` against
    ``step`` with one line per ``metric``.

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
    return rows


def accuracy_history(run: History) -> list[Row]:
    """The training accuracy in percent, one row per history step.

    Args:
        run: a training Run, a TrainState, or a sequence of HistoryRows.

    Returns:
        A list of ``{"step", "metric": "accuracy", "value"}`` dicts, ``value``
        in percent (0 to 100).

    >>> from functional_micrograd import datasets, nn, training
    >>> run = training.train(nn.mlp(2, [4, 1]), datasets.moons(20, seed=0), steps=2)
    >>> rows = accuracy_history(run)
    >>> rows[0]["metric"], round(rows[0]["value"], 1) == round(100 * run.history[0].accuracy, 1)
    ('accuracy', True)
    """
    return [
        {"step": row.step, "metric": "accuracy", "value": 100.0 * row.accuracy}
        for row in _history("accuracy_history", run)
    ]


# -- decision boundary ------------------------------------------------------------


def _score(model: Model, x: float, y: float) -> float:
    out = forward(model, (x, y))
    if not isinstance(out, Value):  # cannot happen: one output is checked up front
        raise TypeError(f"decision_boundary: expected one score, got {out!r}")
    return out.data


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
    """The model's score on a grid over the dataset: micrograd's decision-boundary picture.

    The grid is that of micrograd's demo: on each axis, numpy's
    ``arange(min - padding, max + padding, h)`` (x over the points' x
    coordinates, y over their y coordinates), counted the same way numpy
    counts. Rows go along x first, then up y (``meshgrid`` then ``ravel``
    order). The score is the model's output ``data`` at the grid point, and
    ``predicted`` is its sign: 1.0 where the score is > 0, else -1.0. Each
    grid point is one forward pass, so the cost grows as ``1 / h**2``.

    Args:
        model: a model with 2 inputs and 1 output (a Neuron, Layer or MLP).
        ds: the dataset whose bounding box the grid covers.
        h: the grid spacing; a finite number > 0.
        padding: how far the grid reaches past the data on every side; >= 0.

    Returns:
        A list of ``{"x", "y", "score", "predicted"}`` dicts.

    >>> from functional_micrograd import datasets, nn
    >>> ds = datasets.Dataset(xs=[(0, 0), (1, 1)], ys=[-1, 1], metadata={"name": "two"})
    >>> score_is_x = nn.with_parameters(nn.neuron(2, activation="linear"), [1.0, 0.0, 0.0])
    >>> rows = decision_boundary(score_is_x, ds, h=0.5, padding=0.5)
    >>> len(rows), sorted({row["x"] for row in rows})
    (16, [-0.5, 0.0, 0.5, 1.0])
    >>> [(row["score"], row["predicted"]) for row in rows[:4]]
    [(-0.5, -1.0), (0.0, -1.0), (0.5, 1.0), (1.0, 1.0)]
    """
    where = "decision_boundary"
    _check_model(where, model)
    _check_dataset(where, ds)
    step = _number(where, "h", h)
    pad = _number(where, "padding", padding)
    if not (math.isfinite(step) and step > 0.0):
        raise ValueError(f"{where}: expected h to be a finite number > 0, got {h!r}")
    if not (math.isfinite(pad) and pad >= 0.0):
        raise ValueError(f"{where}: expected padding to be a finite number >= 0, got {padding!r}")
    if _nin(model) != 2:
        raise ValueError(
            f"{where}: expected a model with 2 inputs (x, y), got one with {_nin(model)}"
        )
    if _outputs(model) != 1:
        raise ValueError(
            f"{where}: expected a model with 1 output (the score), got one with {_outputs(model)}"
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
    rows: list[Row] = []
    for y in ys:
        for x in xs:
            score = _score(model, x, y)
            rows.append({"x": x, "y": y, "score": score, "predicted": 1.0 if score > 0 else -1.0})
    return rows
