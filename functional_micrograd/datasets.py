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
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from pyrsistent import PClass, PMap, PVector, field, pmap, pvector

from functional_micrograd import _checks
from functional_micrograd import rng as rng_

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

Row = tuple[float, ...]
"""One input: a tuple of floats (an (x, y) pair for the plane)."""

TASKS = ("binary", "multiclass", "regression")
"""What a dataset's labels can be: -1.0 / 1.0, class indices 0..K-1, or real numbers."""

# The order options are shown in a Dataset's repr; keys not listed follow, sorted.
_OPTION_ORDER = ("noise", "seed", "shuffle", "turns", "classes", "factor", "centers")
_MAX_DEPTH = 50  # how deeply metadata may nest; deeper is almost surely a cycle


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


# -- checks at the boundary ------------------------------------------------


def _finite_float(x: object) -> float | None:
    """``x`` as a finite float, or None if it is not a finite int or float."""
    if not _checks.is_number(x):
        return None
    try:
        number = float(x)  # type: ignore[arg-type]
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _row(row: object) -> Row | None:
    """``row`` as a tuple of finite floats, or None if it is not one."""
    if isinstance(row, (str, bytes)) or not isinstance(row, Sequence) or not row:
        return None
    numbers_ = tuple(map(_finite_float, row))
    return None if any(v is None for v in numbers_) else numbers_  # type: ignore[return-value]


def _check_xs(where: str, xs: object) -> tuple[Row, ...]:
    if isinstance(xs, (str, bytes)) or not isinstance(xs, Sequence):
        raise TypeError(
            f"{where}: expected xs to be a sequence of rows of numbers, got {_checks.describe(xs)}"
        )
    out: list[Row] = []
    for i, row in enumerate(xs):
        checked = _row(row)
        width = len(out[0]) if out else None
        if checked is None or (width is not None and len(checked) != width):
            what = "a non-empty row of finite numbers"
            if width is not None:
                what = f"a row of {width} finite number{'s' if width > 1 else ''}, like xs[0]"
            raise ValueError(f"{where}: expected xs[{i}] to be {what}, got {_checks.show(row)}")
        out.append(checked)
    return tuple(out)


def _check_labels(where: str, task: str, ys: object) -> tuple[Any, ...]:
    """The labels, checked for the task: -1.0/1.0 floats, ints >= 0, or finite floats."""
    expected = {
        "binary": "-1.0 or 1.0",
        "multiclass": "a class index (an int >= 0)",
        "regression": "a finite number",
    }[task]
    if isinstance(ys, (str, bytes)) or not isinstance(ys, Sequence):
        raise TypeError(
            f"{where}: expected ys to be a sequence of labels ({expected}), "
            f"got {_checks.describe(ys)}"
        )
    out: list[Any] = []
    for i, label in enumerate(ys):
        checked = _label(task, label)
        if checked is None:
            hint = ""
            if task == "binary" and _label("multiclass", label) is not None:
                hint = "; for class indices 0..K-1 give task='multiclass'"
            raise ValueError(
                f"{where}: expected ys[{i}] to be {expected} for a {task} dataset, "
                f"got {_checks.describe(label)}{hint}"
            )
        out.append(checked)
    return tuple(out)


def _label(task: str, label: object) -> Any:
    """One label in its normal form for the task, or None if it does not fit."""
    if task == "multiclass":
        if isinstance(label, bool) or not isinstance(label, numbers.Integral) or label < 0:
            return None
        return int(label)
    value = _finite_float(label)
    if task == "binary" and value not in (-1.0, 1.0):
        return None
    return value


def _check_num_classes(task: str, given: object, ys: tuple[Any, ...]) -> int:
    if task == "multiclass":
        seen = max(ys, default=-1) + 1
        if given is None:
            return max(seen, 2)
        k = _checks.integer("Dataset", "num_classes", given, minimum=2)
        if seen > k:
            raise ValueError(
                f"Dataset: expected every label to be below num_classes={k}, "
                f"got the label {seen - 1}"
            )
        return k
    fixed = 2 if task == "binary" else 0
    if given is not None and (
        isinstance(given, bool) or not isinstance(given, int) or given != fixed
    ):
        raise ValueError(
            f"Dataset: expected num_classes to be {fixed} for a {task} dataset, "
            f"got {_checks.describe(given)}"
        )
    return fixed


def _check_metadata(metadata: object) -> PMap[str, Any]:
    if not isinstance(metadata, Mapping):
        raise TypeError(
            f"Dataset: expected metadata to be a mapping, got {_checks.describe(metadata)}"
        )
    if not isinstance(metadata.get("name"), str):
        raise ValueError(
            f"Dataset: expected metadata to have a str 'name', got {_checks.show(dict(metadata))}"
        )
    if not all(isinstance(k, str) for k in metadata):
        raise ValueError(
            f"Dataset: expected metadata keys to be strs, got {_checks.show(list(metadata))}"
        )
    frozen: PMap[str, Any] = _plain("metadata", metadata, 0)
    return frozen


def _plain(path: str, x: object, depth: int) -> Any:
    """``x`` as frozen plain data: scalars as they are, mappings as PMaps, sequences frozen.

    Tuples stay tuples and other sequences (lists, deques, ...) become
    PVectors, so nothing the caller keeps a handle on can change the Dataset
    afterwards; anything that is not plain data is a TypeError naming its type.
    """
    if depth > _MAX_DEPTH:
        raise ValueError(f"Dataset: expected {path} to nest at most {_MAX_DEPTH} levels deep")
    if x is None or isinstance(x, bool):
        return x
    if isinstance(x, str):
        return str(x)
    if isinstance(x, numbers.Integral):
        return int(x)
    if isinstance(x, numbers.Real):
        return float(x)
    if isinstance(x, Mapping):
        items = {}
        for key, value in x.items():
            plain_key = _plain(f"{path} key {_checks.show(key)}", key, depth + 1)
            if isinstance(plain_key, (PMap, PVector, tuple)):
                raise TypeError(f"Dataset: expected the keys of {path} to be strs or numbers")
            items[plain_key] = _plain(f"{path}[{key!r}]", value, depth + 1)
        return pmap(items)
    if isinstance(x, Sequence) and not isinstance(x, (bytes, bytearray, memoryview)):
        frozen = [_plain(f"{path}[{i}]", v, depth + 1) for i, v in enumerate(x)]
        return tuple(frozen) if isinstance(x, tuple) else pvector(frozen)
    raise TypeError(
        f"Dataset: expected {path} to be plain data (a str, number, bool, None, or a mapping "
        f"or sequence of them), got {_checks.describe(x)}"
    )


def _check_options(
    where: str, n_samples: object, noise: object, seed: object, shuffle: object, least: int = 2
) -> tuple[int, float, int]:
    """Check the options every generator shares; return n_samples, noise and seed."""
    n = _checks.integer(where, "n_samples", n_samples, minimum=least)
    std = _checks.number(where, "noise", noise, at_least=0.0)
    checked_seed = _checks.seed(where, seed)
    if not isinstance(shuffle, bool):
        raise TypeError(
            f"{where}: expected shuffle to be True or False, got {_checks.describe(shuffle)}"
        )
    return n, std, checked_seed


def _check_classes(where: str, classes: object) -> int:
    return _checks.integer(where, "classes", classes, minimum=2)


# -- the shared second half: noise, shuffle, record -------------------------


def _linspace(start: float, stop: float, num: int) -> tuple[float, ...]:
    """``num`` evenly spaced numbers from ``start`` to exactly ``stop``; one is ``start``."""
    if num == 1:
        return (start,)
    step = (stop - start) / (num - 1)
    return (*(start + i * step for i in range(num - 1)), stop)


def _sizes(n: int, parts: int) -> tuple[int, ...]:
    """How many points each of ``parts`` classes gets: two as the moons, more evenly.

    Two classes split as micrograd's data does (the first ``n // 2``); three or
    more get ``n // parts`` each with the remainder on the first ones.
    """
    if parts == 2:
        return (n // 2, n - n // 2)
    return tuple(n // parts + (1 if k < n % parts else 0) for k in range(parts))


def _class_labels(sizes: Sequence[int]) -> tuple[Any, ...]:
    """-1.0 / 1.0 for two classes, 0..K-1 for more, each repeated its class's size."""
    names: Sequence[Any] = (-1.0, 1.0) if len(sizes) == 2 else range(len(sizes))
    return tuple(label for label, m in zip(names, sizes) for _ in range(m))


def _finish(
    name: str,
    clean: Sequence[Row],
    labels: Sequence[Any],
    noise: float,
    seed: int,
    shuffle: bool,
    task: str | None = None,
    **options: Any,
) -> Dataset:
    """Add noise to the noise-free points, shuffle them if asked, and wrap them up."""
    state = rng_.seed(seed)
    width = len(clean[0])
    # One delta per coordinate in the unshuffled order; the same number of draws
    # for any noise, so the shuffle below does not depend on the noise level.
    deltas, state = rng_.normals(state, width * len(clean), 0.0, noise)
    rows = tuple(
        (tuple(c + deltas[width * i + j] for j, c in enumerate(xy)), label)
        for i, (xy, label) in enumerate(zip(clean, labels))
    )
    if shuffle:
        rows, state = rng_.permutation(state, rows)
    metadata = pmap(
        {"name": name, "n_samples": len(rows), "noise": noise, "seed": seed, "shuffle": shuffle}
    ).update(options)
    if task is None:
        task = "binary" if len(set(labels)) <= 2 and set(labels) <= {-1.0, 1.0} else "multiclass"
    return Dataset(
        xs=tuple(xy for xy, _ in rows),
        ys=tuple(label for _, label in rows),
        task=task,
        num_classes=None if task != "multiclass" else len(set(labels)),
        metadata=metadata,
    )


# -- classification in the plane ---------------------------------------------------


def moons(
    n_samples: int = 100, noise: float = 0.1, seed: int = 1337, shuffle: bool = True
) -> Dataset:
    """Two interleaving half circles, the dataset of micrograd's demo.

    The first ``n_samples // 2`` points lie on the upper half of the unit
    circle, ``(cos t, sin t)`` for ``t`` evenly spaced over [0, pi], labelled
    -1.0; the rest lie on the lower moon ``(1 - cos t, 0.5 - sin t)``, labelled
    1.0. This is scikit-learn's ``make_moons`` geometry, point for point.

    Args:
        n_samples: how many points in all; an int >= 2.
        noise: the standard deviation of the Gaussian noise added to each coordinate.
        seed: seeds the noise and the shuffle.
        shuffle: mix the two classes' points into a random order.

    Returns:
        A binary :class:`Dataset` whose metadata holds ``name='moons'`` and the options.

    >>> ds = moons(6, noise=0.0, shuffle=False)
    >>> [(round(x, 2), round(y, 2)) for x, y in ds.xs]
    [(1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, 0.5), (1.0, -0.5), (2.0, 0.5)]
    >>> ds.ys
    (-1.0, -1.0, -1.0, 1.0, 1.0, 1.0)
    """
    n, std, seed = _check_options("moons", n_samples, noise, seed, shuffle)
    n_outer, n_inner = _sizes(n, 2)
    outer = [(math.cos(t), math.sin(t)) for t in _linspace(0.0, math.pi, n_outer)]
    inner = [(1.0 - math.cos(t), 1.0 - math.sin(t) - 0.5) for t in _linspace(0.0, math.pi, n_inner)]
    labels = _class_labels((n_outer, n_inner))
    return _finish("moons", outer + inner, labels, std, seed, shuffle)


def circles(
    n_samples: int = 100,
    noise: float = 0.1,
    seed: int = 1337,
    shuffle: bool = True,
    factor: float = 0.5,
) -> Dataset:
    """A circle inside another: scikit-learn's ``make_circles`` geometry.

    The first ``n_samples // 2`` points lie on the unit circle at angles
    ``2 * pi * i / m`` (i = 0..m-1), labelled -1.0; the rest lie the same way
    on the circle of radius ``factor``, labelled 1.0. No line separates them;
    a small MLP learns the ring.

    Args:
        n_samples: how many points in all; an int >= 2.
        noise: the standard deviation of the Gaussian noise added to each coordinate.
        seed: seeds the noise and the shuffle.
        shuffle: mix the two classes' points into a random order.
        factor: the inner circle's radius, a number in (0, 1).

    >>> ds = circles(8, noise=0.0, shuffle=False, factor=0.5)
    >>> [(round(x, 2), round(y, 2)) for x, y in ds.xs[:2] + ds.xs[4:6]]
    [(1.0, 0.0), (0.0, 1.0), (0.5, 0.0), (0.0, 0.5)]
    >>> ds.ys
    (-1.0, -1.0, -1.0, -1.0, 1.0, 1.0, 1.0, 1.0)
    """
    n, std, seed = _check_options("circles", n_samples, noise, seed, shuffle)
    radius = _checks.number("circles", "factor", factor, above=0.0, below=1.0)
    sizes = _sizes(n, 2)
    clean = [
        (math.cos(t) * r, math.sin(t) * r)
        for r, m in zip((1.0, radius), sizes)
        for t in (i * (2.0 * math.pi / m) for i in range(m))
    ]
    return _finish("circles", clean, _class_labels(sizes), std, seed, shuffle, factor=radius)


def spiral(
    n_samples: int = 100,
    noise: float = 0.1,
    seed: int = 1337,
    shuffle: bool = True,
    turns: float = 1.5,
    classes: int = 2,
) -> Dataset:
    """Spiral arms winding out from the origin, one arm per class.

    Arm k of K has its i-th of m points at radius ``r = (i + 1) / m`` and
    angle ``2 * pi * turns * r + 2 * pi * k / K``: every arm is the first one
    turned by a K-th of a circle. Two arms give binary labels (the first
    ``n_samples // 2`` points -1.0, the rest 1.0); three or more give classes
    0..K-1 with ``n_samples // K`` points each, the remainder on the first arms.

    Args:
        n_samples: how many points in all; an int >= 2 and >= ``classes``.
        noise: the standard deviation of the Gaussian noise added to each coordinate.
        seed: seeds the noise and the shuffle.
        shuffle: mix the arms' points into a random order.
        turns: how many full turns each arm makes; a finite number > 0.
        classes: how many arms; an int >= 2.

    >>> ds = spiral(4, noise=0.0, shuffle=False, turns=0.375)
    >>> [(round(x, 2), round(y, 2)) for x, y in ds.xs]
    [(0.19, 0.46), (-0.71, 0.71), (-0.19, -0.46), (0.71, -0.71)]
    >>> ds.ys
    (-1.0, -1.0, 1.0, 1.0)
    >>> three = spiral(7, classes=3)
    >>> three.task, sorted(three.ys)
    ('multiclass', [0, 0, 0, 1, 1, 2, 2])
    """
    k = _check_classes("spiral", classes)
    n, std, seed = _check_options("spiral", n_samples, noise, seed, shuffle, least=max(2, k))
    n_turns = _checks.number("spiral", "turns", turns, above=0.0)
    sizes = _sizes(n, k)
    clean = []
    for arm, m in enumerate(sizes):
        for i in range(m):
            r = (i + 1) / m
            angle = 2.0 * math.pi * n_turns * r + arm * (2.0 * math.pi) / k
            clean.append((r * math.cos(angle), r * math.sin(angle)))
    options: dict[str, Any] = {"turns": n_turns}
    if k != 2:
        options["classes"] = k
    return _finish("spiral", clean, _class_labels(sizes), std, seed, shuffle, **options)


def blobs(
    n_samples: int = 100,
    noise: float = 0.1,
    seed: int = 1337,
    shuffle: bool = True,
    centers: Sequence[Sequence[float]] = ((-1.0, 0.0), (1.0, 0.0)),
) -> Dataset:
    """Gaussian blobs, one per center: points scattered around each center in turn.

    Two centers give binary labels: the first ``n_samples // 2`` points,
    around ``centers[0]``, are -1.0 and the rest 1.0. Three or more give
    classes 0..K-1 in the order of ``centers``, ``n_samples // K`` points
    each with the remainder on the first. Centers may have any number of
    coordinates (all the same), and the points then have as many.

    Args:
        n_samples: how many points in all; an int >= 2 and >= the number of centers.
        noise: the standard deviation of each coordinate around its center.
        seed: seeds the noise and the shuffle.
        shuffle: mix the blobs' points into a random order.
        centers: two or more points of one width, e.g. ``((x0, y0), (x1, y1))``.

    >>> ds = blobs(4, noise=0.0, shuffle=False, centers=((0, 0), (2, 1)))
    >>> ds.xs, ds.ys
    (((0.0, 0.0), (0.0, 0.0), (2.0, 1.0), (2.0, 1.0)), (-1.0, -1.0, 1.0, 1.0))
    >>> blobs(6, centers=((0, 0), (1, 0), (0, 1))).num_classes
    3
    """
    points = _check_centers(centers)
    n, std, seed = _check_options(
        "blobs", n_samples, noise, seed, shuffle, least=max(2, len(points))
    )
    sizes = _sizes(n, len(points))
    clean = [center for center, m in zip(points, sizes) for _ in range(m)]
    return _finish("blobs", clean, _class_labels(sizes), std, seed, shuffle, centers=points)


def _check_centers(centers: object) -> tuple[Row, ...]:
    expected = "blobs: expected centers to be two or more points of one width, of finite numbers"
    if isinstance(centers, (str, bytes)) or not isinstance(centers, Sequence):
        raise TypeError(f"{expected}, got {_checks.describe(centers)}")
    for row in centers:
        if isinstance(row, (str, bytes)) or not isinstance(row, Sequence):
            raise TypeError(f"{expected}, got {_checks.show(centers)}")
        if not all(_checks.is_number(v) for v in row):
            raise TypeError(f"{expected}, got {_checks.show(centers)}")
    rows = [_row(row) for row in centers]
    if len(rows) < 2 or any(r is None for r in rows) or len({len(r) for r in rows if r}) != 1:
        raise ValueError(f"{expected}, got {_checks.show(centers)}")
    return tuple(r for r in rows if r is not None)


def yinyang(
    n_samples: int = 1000, seed: int = 1337, r_small: float = 0.1, r_big: float = 0.5
) -> Dataset:
    """The three-class Yin-Yang set of Kriener et al. (2021), as EurekaLabs' micrograd uses it.

    Points lie in the disc of radius ``r_big`` centred at ``(r_big, r_big)``.
    With ``L = (r_big / 2, r_big)`` and ``R = (3 * r_big / 2, r_big)`` the
    centres of the two small dots, a point is class 2 (a dot) when it is less
    than ``r_small`` from L or R; otherwise class 0 (yin) when it is within
    ``r_big / 2`` of L, or above the middle line and more than ``r_big / 2``
    from R; otherwise class 1 (yang). Point i is drawn to be of class
    ``i % 3`` (uniform in the disc, or in the dots for class 2, drawn again
    until it has that class), so the classes are balanced and the points come
    in turn, unshuffled. Coordinates are then scaled to [-2, 2] by
    ``(c / r_big - 1) * 2``.

    Args:
        n_samples: how many points; an int >= 3.
        seed: seeds the draws.
        r_small: the radius of the two dots; in (0, r_big / 2).
        r_big: the radius of the whole disc; > 0.

    >>> ds = yinyang(6)
    >>> ds.task, ds.num_classes, ds.ys
    ('multiclass', 3, (0, 1, 2, 0, 1, 2))
    >>> all(-2.0 <= c <= 2.0 for xy in ds.xs for c in xy)
    True
    """
    n = _checks.integer("yinyang", "n_samples", n_samples, minimum=3)
    checked_seed = _checks.seed("yinyang", seed)
    big = _checks.number("yinyang", "r_big", r_big, above=0.0)
    small = _checks.number("yinyang", "r_small", r_small, above=0.0, below=big / 2)
    classify = _yinyang_rule(small, big)
    state = rng_.seed(checked_seed)
    xs, ys = [], []
    for i in range(n):
        goal = i % 3
        while True:
            if goal == 2:  # a dot: uniform in the square around one of them
                side, state = rng_.uniform(state)
                cx = big / 2 if side < 0.5 else 1.5 * big
                (x, y), state = rng_.uniforms(state, 2, -small, small)
                x, y = cx + x, big + y
            else:
                (x, y), state = rng_.uniforms(state, 2, 0.0, 2 * big)
            inside = math.hypot(x - big, y - big) <= big
            if inside and classify(x, y) == goal:
                break
        xs.append(((x / big - 1) * 2, (y / big - 1) * 2))
        ys.append(goal)
    metadata = {"name": "yinyang", "n_samples": n, "seed": checked_seed}
    metadata.update(r_small=small, r_big=big)
    return Dataset(xs=xs, ys=ys, task="multiclass", num_classes=3, metadata=metadata)


def _yinyang_rule(small: float, big: float) -> Callable[[float, float], int]:
    """The class of a point (in unscaled coordinates) by Kriener et al.'s rule."""

    def classify(x: float, y: float) -> int:
        to_right = math.hypot(x - 1.5 * big, y - big)
        to_left = math.hypot(x - 0.5 * big, y - big)
        if to_right < small or to_left < small:
            return 2
        yin = to_left <= big / 2 or (y > big and to_right > big / 2)
        return 0 if yin else 1

    return classify


# -- regression -----------------------------------------------------------------------


def sine(
    n_samples: int = 100,
    noise: float = 0.1,
    seed: int = 1337,
    low: float = -3.0,
    high: float = 3.0,
) -> Dataset:
    """A regression set: ``y = sin(x)`` plus Gaussian noise, on evenly spaced inputs.

    The inputs are 1-tuples, ``n_samples`` evenly spaced from ``low`` to
    ``high`` (both included); the targets are ``sin(x)`` plus noise of
    standard deviation ``noise``, drawn in order from ``seed``.

    Args:
        n_samples: how many points; an int >= 2.
        noise: the standard deviation of the noise on each target.
        seed: seeds the noise.
        low: the smallest input.
        high: the largest input; above ``low``.

    >>> ds = sine(3, noise=0.0, low=0.0, high=math.pi)
    >>> ds.task, ds.xs, [round(y, 6) for y in ds.ys]
    ('regression', ((0.0,), (1.5707963267948966,), (3.141592653589793,)), [0.0, 1.0, 0.0])
    """
    n, std, checked_seed = _check_options("sine", n_samples, noise, seed, False)
    lo = _checks.number("sine", "low", low)
    hi = _checks.number("sine", "high", high, above=lo)
    inputs = _linspace(lo, hi, n)
    deltas, _ = rng_.normals(rng_.seed(checked_seed), n, 0.0, std)
    metadata = {"name": "sine", "n_samples": n, "noise": std, "seed": checked_seed}
    metadata.update(low=lo, high=hi)
    return Dataset(
        xs=[(x,) for x in inputs],
        ys=[math.sin(x) + d for x, d in zip(inputs, deltas)],
        task="regression",
        metadata=metadata,
    )


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
