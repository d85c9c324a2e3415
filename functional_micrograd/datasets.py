"""Toy datasets in pure Python: classification in the plane, regression on a line, your own data.

Every generator builds the noise-free points of its shape, adds Gaussian noise
drawn from a seeded :mod:`functional_micrograd.rng` stream, optionally shuffles
them, and returns an immutable :class:`Dataset`. The same arguments give the
same dataset in every process; Python's global ``random`` module is never read
or changed.

A Dataset knows its ``task``, which says what its labels are:

- ``"binary"``: -1.0 / 1.0, the labels micrograd's max-margin loss expects
  (moons, circles, two spiral arms, two blobs);
- ``"multiclass"``: ints 0..K-1 for K classes (yin-yang, K spiral arms, K blobs);
- ``"regression"``: any finite floats (sine).

The noise is drawn before the shuffle, one number per coordinate in the
unshuffled order, so a shuffled dataset holds exactly the points of the
unshuffled one with the same seed, and every noise level gives the same order.

This module holds the record, :func:`from_lists` and :func:`split`; the
generators are written in ``_generators.py`` and the checks of every field
in ``_dataset_checks.py``, and all are reached from here.

>>> ds = moons(100, noise=0.1, seed=1337)
>>> ds
Dataset(name='moons', n_samples=100, noise=0.1, seed=1337, shuffle=True)
>>> len(ds), ds.task, sorted(set(ds.ys))
(100, 'binary', [-1.0, 1.0])
>>> train_part, val_part, test_part = split(yinyang(100))
>>> len(train_part), len(val_part), len(test_part), train_part.num_classes
(80, 10, 10, 3)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

from pyrsistent import PClass, PMap, field

from functional_micrograd import _checks
from functional_micrograd import rng as rng_
from functional_micrograd._dataset_checks import (
    _check_labels,
    _check_metadata,
    _check_num_classes,
    _check_xs,
    _label,
)
from functional_micrograd._generators import blobs, circles, moons, sine, spiral, yinyang

__all__ = [
    "TASKS",
    "Dataset",
    "Point",
    "blobs",
    "circles",
    "from_lists",
    "moons",
    "sine",
    "spiral",
    "split",
    "yinyang",
]

TASKS = ("binary", "multiclass", "regression")
"""What a dataset's labels can be: -1.0 / 1.0, class indices 0..K-1, or real numbers."""

# The order options are shown in a Dataset's repr; keys not listed follow, sorted.
_OPTION_ORDER = ("noise", "seed", "shuffle", "turns", "classes", "factor", "centers")


class Point(NamedTuple):
    """One row of a dataset for plotting: two coordinates and the label.

    For inputs in the plane ``x`` and ``y`` are the coordinates; for inputs on
    a line (regression) ``x`` is the input and ``y`` the target, so a scatter
    plot of the points draws the curve.
    """

    x: float
    y: float
    label: float


class Dataset(PClass):
    """An immutable dataset: inputs of one width, one label each, and what the labels mean.

    Fields:
        xs: the inputs, a tuple of float tuples, all of one width >= 1.
        ys: the labels, one per input: -1.0 / 1.0 (binary), ints 0..K-1
            (multiclass) or finite floats (regression).
        task: ``"binary"`` (the default), ``"multiclass"`` or ``"regression"``.
        num_classes: 2 for binary, K for multiclass, 0 for regression; found
            from the task (and for multiclass from the largest label) when not given.
        metadata: a ``PMap`` with at least a str ``name``; the generators add
            the options they were called with. Only plain data is kept
            (strs, numbers, bools, None, and mappings and sequences of them),
            frozen all the way down.

    ``points`` gives the data as rows with ``.x``, ``.y`` and ``.label``;
    ``len(ds)`` is the number of points. Ints become floats where floats are meant.

    >>> ds = Dataset(xs=[(0, 1), (2.5, -1)], ys=[1, -1], metadata={"name": "mine"})
    >>> ds
    Dataset(name='mine', n_samples=2)
    >>> ds.xs, ds.ys, ds.task, ds.num_classes
    (((0.0, 1.0), (2.5, -1.0)), (1.0, -1.0), 'binary', 2)
    >>> ds.points[1]
    Point(x=2.5, y=-1.0, label=-1.0)
    >>> three = Dataset(xs=[(0,), (1,)], ys=[0, 2], task="multiclass", metadata={"name": "k"})
    >>> three.num_classes, three.ys
    (3, (0, 2))
    """

    xs = field(type=tuple, mandatory=True)
    ys = field(type=tuple, mandatory=True)
    task = field(type=str, initial="binary")
    num_classes = field(type=int, initial=2)
    metadata = field(type=PMap, mandatory=True)

    def __new__(cls, **kwargs: Any) -> Dataset:
        # Every way of making a Dataset (the constructor, set, an evolver,
        # unpickling) comes through here with every field, so no check is skipped.
        if "xs" in kwargs:
            kwargs["xs"] = _check_xs("Dataset", kwargs["xs"])
        task = _checks.one_of("Dataset", "task", kwargs.get("task", "binary"), TASKS)
        kwargs["task"] = task
        if "ys" in kwargs:
            kwargs["ys"] = _check_labels("Dataset", task, kwargs["ys"])
            kwargs["num_classes"] = _check_num_classes(
                task, kwargs.get("num_classes"), kwargs["ys"]
            )
        if "metadata" in kwargs:
            kwargs["metadata"] = _check_metadata(kwargs["metadata"])
        if "xs" in kwargs and "ys" in kwargs and len(kwargs["xs"]) != len(kwargs["ys"]):
            raise ValueError(
                "Dataset: expected as many labels as inputs, got "
                f"{len(kwargs['xs'])} inputs and {len(kwargs['ys'])} labels"
            )
        made: Dataset = super().__new__(cls, **kwargs)
        return made

    @property
    def width(self) -> int:
        """How many numbers each input has (0 for an empty dataset)."""
        return len(self.xs[0]) if self.xs else 0

    @property
    def points(self) -> tuple[Point, ...]:
        """The data as plotting rows ``(x, y, label)``; for 1-wide inputs ``y`` is the target."""
        if self.width == 1:
            return tuple(
                Point(x, float(label), float(label)) for (x,), label in zip(self.xs, self.ys)
            )
        if self.width not in (0, 2):
            raise ValueError(
                f"Dataset.points: rows of (x, y, label) need inputs of width 1 or 2, "
                f"got width {self.width}; read ds.xs and ds.ys instead"
            )
        return tuple(Point(x, y, float(label)) for (x, y), label in zip(self.xs, self.ys))

    def __len__(self) -> int:
        return len(self.ys)

    def __repr__(self) -> str:
        meta = self.metadata
        rest = sorted(
            (k for k in meta if k not in ("name", "n_samples")),
            key=lambda k: (_OPTION_ORDER.index(k) if k in _OPTION_ORDER else len(_OPTION_ORDER), k),
        )
        options = "".join(f", {k}={_checks.show(meta[k])}" for k in rest)
        return f"Dataset(name={meta['name']!r}, n_samples={len(self)}{options})"


# -- your own data, and splits ------------------------------------------------------


def from_lists(
    xs: Sequence[Sequence[float]],
    ys: Sequence[float],
    task: str | None = None,
    name: str = "custom",
) -> Dataset:
    """A Dataset from plain sequences: rows of numbers and one label per row.

    With ``task=None`` the task is inferred from the labels: all -1 / 1 is
    binary, all ints >= 0 is multiclass with K = the largest label + 1, and
    anything else is regression.

    Args:
        xs: the inputs, rows of finite numbers, all of one length.
        ys: the labels, one per row.
        task: ``"binary"``, ``"multiclass"``, ``"regression"`` or None to infer it.
        name: the dataset's name in its metadata and repr.

    >>> ds = from_lists([[0, 1], [1, 0], [1, 1]], [0, 2, 1])
    >>> ds.task, ds.num_classes, ds
    ('multiclass', 3, Dataset(name='custom', n_samples=3))
    >>> from_lists([[0.5], [1.5]], [0.25, 2.25]).task
    'regression'
    >>> from_lists([[0, 1], [1]], [1, -1])
    Traceback (most recent call last):
    ...
    ValueError: from_lists: expected xs[1] to be a row of 2 finite numbers, like xs[0], got [1]
    """
    rows = _check_xs("from_lists", xs)
    labels = _checks.sequence("from_lists", "ys", ys)
    if not isinstance(name, str):
        raise TypeError(f"from_lists: expected name to be a str, got {_checks.describe(name)}")
    if len(rows) != len(labels):
        raise ValueError(
            f"from_lists: expected as many labels as rows, got {len(rows)} rows "
            f"and {len(labels)} labels"
        )
    if task is None:
        task = _infer_task(labels)
    kind = _checks.one_of("from_lists", "task", task, TASKS)
    checked = _check_labels("from_lists", kind, labels)
    return Dataset(xs=rows, ys=checked, task=kind, metadata={"name": name, "n_samples": len(rows)})


def _infer_task(labels: tuple[Any, ...]) -> str:
    if labels and all(_checks.is_number(y) and y in (-1, 1) for y in labels):
        return "binary"
    integral = all(_label("multiclass", y) is not None for y in labels)
    return "multiclass" if labels and integral else "regression"


def split(
    dataset: Dataset, fractions: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 1337
) -> tuple[Dataset, ...]:
    """Split a dataset into disjoint, shuffled parts: train / validation / test by default.

    Part j gets ``floor(fractions[j] * n)`` points, the first part also the
    remainder, so the parts hold every point exactly once. For a
    classification set each class is spread over the parts in proportion
    (stratified): part j holds within 2 of ``size_j * n_c / n`` points of a
    class of ``n_c`` points. The same arguments give the same parts.

    Args:
        dataset: the Dataset to split.
        fractions: one positive fraction per part, summing to 1 (within 1e-9).
        seed: seeds which points go where and their order in each part.

    Returns:
        A tuple of Datasets, one per fraction, of the same task and width.

    >>> train_part, test_part = split(moons(10), fractions=(0.7, 0.3))
    >>> len(train_part), len(test_part), sorted(test_part.ys)
    (7, 3, [-1.0, 1.0, 1.0])
    >>> split(moons(10), fractions=(0.5, 0.4))
    Traceback (most recent call last):
    ...
    ValueError: split: expected fractions to sum to 1, got (0.5, 0.4), which sum to 0.9
    """
    if not isinstance(dataset, Dataset):
        raise TypeError(f"split: expected a Dataset, got {_checks.describe(dataset)}")
    shares = tuple(
        _checks.number("split", f"fractions[{i}]", f, above=0.0)
        for i, f in enumerate(_checks.sequence("split", "fractions", fractions))
    )
    if not shares:
        raise ValueError("split: expected at least one fraction, got none")
    if abs(math.fsum(shares) - 1.0) > 1e-9:
        raise ValueError(
            f"split: expected fractions to sum to 1, got {_checks.show(tuple(fractions))}, "
            f"which sum to {round(math.fsum(shares), 12)!r}"
        )
    state = rng_.seed(_checks.seed("split", seed))
    n = len(dataset)
    sizes = [math.floor(f * n) for f in shares]
    sizes[0] += n - sum(sizes)
    order, state = _spread_order(dataset, state)
    parts = []
    start = 0
    for j, size in enumerate(sizes):
        chosen, state = rng_.permutation(state, order[start : start + size])
        start += size
        metadata = dataset.metadata.update(
            {"n_samples": size, "part": j, "fractions": shares, "split_seed": seed}
        )
        parts.append(
            Dataset(
                xs=tuple(dataset.xs[i] for i in chosen),
                ys=tuple(dataset.ys[i] for i in chosen),
                task=dataset.task,
                num_classes=dataset.num_classes,
                metadata=metadata,
            )
        )
    return tuple(parts)


def _spread_order(dataset: Dataset, state: rng_.Rng) -> tuple[tuple[int, ...], rng_.Rng]:
    """The indices in an order where every class is spread evenly from start to end.

    Each class is shuffled, then its i-th of m members is placed at the
    quantile ``(i + 0.5) / m`` (ties broken at random); any cut of this order
    into consecutive pieces gives each class its share. Regression targets
    are simply shuffled.
    """
    indices = tuple(range(len(dataset)))
    if dataset.task == "regression":
        return rng_.permutation(state, indices)
    keyed = []
    for label in sorted(set(dataset.ys)):
        members, state = rng_.permutation(state, [i for i in indices if dataset.ys[i] == label])
        ties, state = rng_.uniforms(state, len(members))
        m = len(members)
        keyed += [((i + 0.5) / m, tie, index) for i, (tie, index) in enumerate(zip(ties, members))]
    return tuple(index for _, _, index in sorted(keyed)), state
