"""Toy two-class datasets in pure Python: moons, spiral and blobs.

Each function builds the noise-free points of its shape, adds Gaussian noise
drawn from a seeded :mod:`functional_micrograd.rng` stream, optionally shuffles
them, and returns an immutable :class:`Dataset`. The same arguments give the
same dataset in every process; Python's global ``random`` module is never read
or changed. Labels are -1.0 for the first class and 1.0 for the second, as the
max-margin loss of micrograd's demo expects.

The noise is drawn before the shuffle, one pair per point in the unshuffled
order, so a shuffled dataset holds exactly the points of the unshuffled one
with the same seed, and every noise level gives the same order.

>>> ds = moons(100, noise=0.1, seed=1337)
>>> ds
Dataset(name='moons', n_samples=100, noise=0.1, seed=1337, shuffle=True)
>>> len(ds), sorted(set(ds.ys))
(100, [-1.0, 1.0])
>>> ds == moons(100, noise=0.1, seed=1337)
True
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from pyrsistent import PClass, PMap, field, freeze, pmap

from functional_micrograd import rng as rng_
from functional_micrograd._checks import describe as _describe

__all__ = ["Dataset", "Point", "blobs", "moons", "spiral"]

Pair = tuple[float, float]
"""One input: an (x, y) pair of floats."""

# The order options are shown in a Dataset's repr; keys not listed follow, sorted.
_OPTION_ORDER = ("noise", "seed", "shuffle", "turns", "centers")


class Point(NamedTuple):
    """One row of a dataset: its two coordinates and its label (-1.0 or 1.0)."""

    x: float
    y: float
    label: float


class Dataset(PClass):
    """An immutable two-class dataset of points in the plane.

    Fields:
        xs: the inputs, a tuple of ``(x, y)`` float pairs.
        ys: the labels, a tuple of -1.0 / 1.0, one per input.
        metadata: a ``PMap`` with at least ``name``; the generators add the
            options they were called with.

    ``points`` gives the same data as rows with ``.x``, ``.y`` and ``.label``;
    ``len(ds)`` is the number of points. Ints are accepted and become floats.

    >>> ds = Dataset(xs=[(0, 1), (2.5, -1)], ys=[1, -1], metadata={"name": "mine"})
    >>> ds
    Dataset(name='mine', n_samples=2)
    >>> ds.xs, ds.ys
    (((0.0, 1.0), (2.5, -1.0)), (1.0, -1.0))
    >>> ds.points[1]
    Point(x=2.5, y=-1.0, label=-1.0)
    >>> ds.set(ys=(1.0, 1.0)).ys, ds.ys
    ((1.0, 1.0), (1.0, -1.0))
    """

    xs = field(type=tuple, mandatory=True)
    ys = field(type=tuple, mandatory=True)
    metadata = field(type=PMap, mandatory=True)

    def __new__(cls, **kwargs: Any) -> Dataset:
        # Every way of making a Dataset (the constructor, set, an evolver,
        # unpickling) comes through here, so the checks cannot be skipped.
        if "xs" in kwargs:
            kwargs["xs"] = _check_xs(kwargs["xs"])
        if "ys" in kwargs:
            kwargs["ys"] = _check_ys(kwargs["ys"])
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
    def points(self) -> tuple[Point, ...]:
        """The data as rows with ``.x``, ``.y`` and ``.label``."""
        return tuple(Point(x, y, label) for (x, y), label in zip(self.xs, self.ys))

    def __len__(self) -> int:
        return len(self.ys)

    def __repr__(self) -> str:
        meta = self.metadata
        rest = sorted(
            (k for k in meta if k not in ("name", "n_samples")),
            key=lambda k: (_OPTION_ORDER.index(k) if k in _OPTION_ORDER else len(_OPTION_ORDER), k),
        )
        options = "".join(f", {k}={meta[k]!r}" for k in rest)
        return f"Dataset(name={meta['name']!r}, n_samples={len(self)}{options})"


# -- checks at the boundary ------------------------------------------------


def _is_number(x: object) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _finite_float(x: object) -> float | None:
    """``x`` as a finite float, or None if it is not a finite int or float."""
    if not _is_number(x):
        return None
    try:
        number = float(x)  # type: ignore[arg-type]
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _check_xs(xs: object) -> tuple[Pair, ...]:
    if isinstance(xs, (str, bytes)) or not isinstance(xs, Sequence):
        raise TypeError(
            f"Dataset: expected xs to be a sequence of (x, y) pairs, got {_describe(xs)}"
        )
    out = []
    for i, row in enumerate(xs):
        pair = _pair(row)
        if pair is None:
            raise ValueError(
                f"Dataset: expected xs[{i}] to be an (x, y) pair of finite numbers, got {row!r}"
            )
        out.append(pair)
    return tuple(out)


def _check_ys(ys: object) -> tuple[float, ...]:
    if isinstance(ys, (str, bytes)) or not isinstance(ys, Sequence):
        raise TypeError(f"Dataset: expected ys to be a sequence of -1.0/1.0, got {_describe(ys)}")
    out = []
    for i, label in enumerate(ys):
        if not _is_number(label) or label not in (-1, 1):
            raise ValueError(f"Dataset: expected ys[{i}] to be -1.0 or 1.0, got {label!r}")
        out.append(float(label))
    return tuple(out)


def _check_metadata(metadata: object) -> PMap[str, Any]:
    if not isinstance(metadata, Mapping):
        raise TypeError(f"Dataset: expected metadata to be a mapping, got {_describe(metadata)}")
    if not isinstance(metadata.get("name"), str):
        raise ValueError(f"Dataset: expected metadata to have a str 'name', got {dict(metadata)!r}")
    if not all(isinstance(k, str) for k in metadata):
        raise ValueError(f"Dataset: expected metadata keys to be strs, got {list(metadata)!r}")
    # freeze: lists, dicts and sets inside become PVectors, PMaps and PSets, so
    # nothing the caller keeps a handle on can change the Dataset afterwards.
    frozen: PMap[str, Any] = freeze(pmap(metadata))
    return frozen


def _pair(row: object) -> Pair | None:
    """``row`` as a pair of finite floats, or None if it is not one."""
    if isinstance(row, (str, bytes)) or not isinstance(row, Sequence) or len(row) != 2:
        return None
    x, y = _finite_float(row[0]), _finite_float(row[1])
    return None if x is None or y is None else (x, y)


def _check_options(
    where: str, n_samples: object, noise: object, seed: object, shuffle: object
) -> float:
    """Check the options every generator shares; return ``noise`` as a float."""
    if isinstance(n_samples, bool) or not isinstance(n_samples, int):
        raise TypeError(
            f"{where}: expected n_samples to be an int >= 2, got {_describe(n_samples)}"
        )
    if n_samples < 2:
        raise ValueError(f"{where}: expected n_samples to be an int >= 2, got {n_samples!r}")
    if not _is_number(noise):
        raise TypeError(
            f"{where}: expected noise to be a finite number >= 0 (0.0 for none), "
            f"got {_describe(noise)}"
        )
    std = _finite_float(noise)
    if std is None or std < 0.0:
        raise ValueError(f"{where}: expected noise to be a finite number >= 0, got {noise!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"{where}: expected seed to be an int, got {_describe(seed)}")
    if not isinstance(shuffle, bool):
        raise TypeError(f"{where}: expected shuffle to be True or False, got {_describe(shuffle)}")
    return std


# -- the shared second half: noise, shuffle, record -------------------------


def _linspace(start: float, stop: float, num: int) -> tuple[float, ...]:
    """``num`` evenly spaced numbers from ``start`` to exactly ``stop``; one is ``start``."""
    if num == 1:
        return (start,)
    step = (stop - start) / (num - 1)
    return (*(start + i * step for i in range(num - 1)), stop)


def _finish(
    name: str,
    clean: Sequence[Pair],
    labels: Sequence[float],
    noise: float,
    seed: int,
    shuffle: bool,
    **options: Any,
) -> Dataset:
    """Add noise to the noise-free points, shuffle them if asked, and wrap them up."""
    state = rng_.seed(seed)
    # One (dx, dy) per point in the unshuffled order; the same number of draws
    # for any noise, so the shuffle below does not depend on the noise level.
    deltas, state = rng_.normals(state, 2 * len(clean), 0.0, noise)
    rows = tuple(
        ((x + deltas[2 * i], y + deltas[2 * i + 1]), label)
        for i, ((x, y), label) in enumerate(zip(clean, labels))
    )
    if shuffle:
        rows, state = rng_.permutation(state, rows)
    metadata = pmap(
        {"name": name, "n_samples": len(rows), "noise": noise, "seed": seed, "shuffle": shuffle}
    ).update(options)
    return Dataset(
        xs=tuple(xy for xy, _ in rows), ys=tuple(label for _, label in rows), metadata=metadata
    )


def _labels(n_first: int, n_second: int) -> tuple[float, ...]:
    return (-1.0,) * n_first + (1.0,) * n_second


# -- the generators -----------------------------------------------------------


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
        A :class:`Dataset` whose metadata holds ``name='moons'`` and the options.

    >>> ds = moons(6, noise=0.0, shuffle=False)
    >>> [(round(x, 2), round(y, 2)) for x, y in ds.xs]
    [(1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, 0.5), (1.0, -0.5), (2.0, 0.5)]
    >>> ds.ys
    (-1.0, -1.0, -1.0, 1.0, 1.0, 1.0)
    """
    std = _check_options("moons", n_samples, noise, seed, shuffle)
    n_outer = n_samples // 2
    n_inner = n_samples - n_outer
    outer = [(math.cos(t), math.sin(t)) for t in _linspace(0.0, math.pi, n_outer)]
    inner = [(1.0 - math.cos(t), 1.0 - math.sin(t) - 0.5) for t in _linspace(0.0, math.pi, n_inner)]
    return _finish("moons", outer + inner, _labels(n_outer, n_inner), std, seed, shuffle)


def spiral(
    n_samples: int = 100,
    noise: float = 0.1,
    seed: int = 1337,
    shuffle: bool = True,
    turns: float = 1.5,
) -> Dataset:
    """Two interleaved spiral arms winding out from the origin.

    Arm k (k = 0 for the first ``n_samples // 2`` points, labelled -1.0; k = 1
    for the rest, labelled 1.0) has its i-th of m points at radius
    ``r = (i + 1) / m`` and angle ``2 * pi * turns * r + k * pi``: the second
    arm is the first turned half a circle, so the arms stay ``1 / (2 * turns)``
    apart. Not separable by a line; a small MLP learns it.

    Args:
        n_samples: how many points in all; an int >= 2.
        noise: the standard deviation of the Gaussian noise added to each coordinate.
        seed: seeds the noise and the shuffle.
        shuffle: mix the two classes' points into a random order.
        turns: how many full turns each arm makes; a finite number > 0.

    Returns:
        A :class:`Dataset` whose metadata holds ``name='spiral'`` and the options.

    >>> ds = spiral(4, noise=0.0, shuffle=False, turns=0.375)
    >>> [(round(x, 2), round(y, 2)) for x, y in ds.xs]
    [(0.19, 0.46), (-0.71, 0.71), (-0.19, -0.46), (0.71, -0.71)]
    >>> ds.ys
    (-1.0, -1.0, 1.0, 1.0)
    """
    std = _check_options("spiral", n_samples, noise, seed, shuffle)
    if not _is_number(turns):
        raise TypeError(f"spiral: expected turns to be a finite number > 0, got {_describe(turns)}")
    n_turns = _finite_float(turns)
    if n_turns is None or n_turns <= 0.0:
        raise ValueError(f"spiral: expected turns to be a finite number > 0, got {turns!r}")
    sizes = (n_samples // 2, n_samples - n_samples // 2)
    clean = []
    for arm, m in enumerate(sizes):
        for i in range(m):
            r = (i + 1) / m
            angle = 2.0 * math.pi * n_turns * r + arm * math.pi
            clean.append((r * math.cos(angle), r * math.sin(angle)))
    return _finish("spiral", clean, _labels(*sizes), std, seed, shuffle, turns=n_turns)


def blobs(
    n_samples: int = 100,
    noise: float = 0.1,
    seed: int = 1337,
    shuffle: bool = True,
    centers: Sequence[Sequence[float]] = ((-1.0, 0.0), (1.0, 0.0)),
) -> Dataset:
    """Two Gaussian blobs: the first ``n_samples // 2`` points around ``centers[0]``.

    Those points are labelled -1.0; the rest, around ``centers[1]``, 1.0. With
    the default centers and noise the classes are separable by a line, which
    makes this the easiest of the three.

    Args:
        n_samples: how many points in all; an int >= 2.
        noise: the standard deviation of each coordinate around its center.
        seed: seeds the noise and the shuffle.
        shuffle: mix the two classes' points into a random order.
        centers: the two blob centers, ``((x0, y0), (x1, y1))``.

    Returns:
        A :class:`Dataset` whose metadata holds ``name='blobs'`` and the options.

    >>> ds = blobs(4, noise=0.0, shuffle=False, centers=((0, 0), (2, 1)))
    >>> ds.xs, ds.ys
    (((0.0, 0.0), (0.0, 0.0), (2.0, 1.0), (2.0, 1.0)), (-1.0, -1.0, 1.0, 1.0))
    >>> ds.metadata["centers"]
    ((0.0, 0.0), (2.0, 1.0))
    """
    std = _check_options("blobs", n_samples, noise, seed, shuffle)
    pairs = _check_centers(centers)
    sizes = (n_samples // 2, n_samples - n_samples // 2)
    clean = [pairs[0]] * sizes[0] + [pairs[1]] * sizes[1]
    return _finish("blobs", clean, _labels(*sizes), std, seed, shuffle, centers=pairs)


def _check_centers(centers: object) -> tuple[Pair, Pair]:
    expected = "blobs: expected centers to be two (x, y) pairs of finite numbers"
    if isinstance(centers, (str, bytes)) or not isinstance(centers, Sequence):
        raise TypeError(f"{expected}, got {_describe(centers)}")
    for row in centers:
        if isinstance(row, (str, bytes)) or not isinstance(row, Sequence):
            raise TypeError(f"{expected}, got {centers!r}")
        if not all(_is_number(v) for v in row):
            raise TypeError(f"{expected}, got {centers!r}")
    pairs = [_pair(row) for row in centers]
    if len(pairs) != 2 or pairs[0] is None or pairs[1] is None:
        raise ValueError(f"{expected}, got {centers!r}")
    return pairs[0], pairs[1]
