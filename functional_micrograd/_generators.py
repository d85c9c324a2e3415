"""The generators: moons, circles, spiral, blobs, yinyang and sine, and their shared second half.

Each generator checks its options, builds the noise-free points of its shape
and hands them to :func:`_finish`, which adds the seeded noise, shuffles if
asked and makes the :class:`~functional_micrograd.datasets.Dataset`. They are
reached as ``fm.datasets.moons`` and so on; the module's notes there say how
the noise and the shuffle are drawn.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from pyrsistent import pmap

from functional_micrograd import _checks
from functional_micrograd import rng as rng_
from functional_micrograd._dataset_checks import Row, _row

if TYPE_CHECKING:
    from functional_micrograd.datasets import Dataset

__all__ = ["blobs", "circles", "moons", "sine", "spiral", "yinyang"]

# -- the options every generator shares -------------------------------------------


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


def _dataset(**fields: Any) -> Dataset:
    """The Dataset of these fields, checked by its constructor.

    datasets.py re-exports this module's generators when it loads, so the
    record is imported here, when a generator runs, not when this module loads.
    """
    from functional_micrograd.datasets import Dataset

    return Dataset(**fields)


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
    return _dataset(
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
    return _dataset(xs=xs, ys=ys, task="multiclass", num_classes=3, metadata=metadata)


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
    return _dataset(
        xs=[(x,) for x in inputs],
        ys=[math.sin(x) + d for x, d in zip(inputs, deltas)],
        task="regression",
        metadata=metadata,
    )
