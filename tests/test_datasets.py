"""Tests for functional_micrograd.datasets: moons, spiral, blobs and the Dataset record."""

from __future__ import annotations

import itertools
import json
import math
import os
import pickle
import random
import statistics
import subprocess
import sys
from collections import Counter, OrderedDict, deque
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyrsistent import PMap, pmap, pvector

import functional_micrograd as fm
from functional_micrograd import datasets, rng
from functional_micrograd.datasets import (
    Dataset,
    Point,
    blobs,
    circles,
    from_lists,
    moons,
    sine,
    spiral,
    split,
    yinyang,
)

GENERATORS: list[Callable[..., Dataset]] = [moons, spiral, blobs, circles]
ids = ["moons", "spiral", "blobs", "circles"]


def fingerprint(ds: Dataset) -> list[Any]:
    """Every number of a dataset, bit for bit."""
    return [[x.hex(), y.hex(), label.hex()] for x, y, label in ds.points]


def clean(generator: Callable[..., Dataset], n: int, **options: Any) -> Dataset:
    return generator(n, noise=0.0, shuffle=False, **options)


# -- the record ---------------------------------------------------------------


def test_dataset_fields_and_points() -> None:
    ds = moons(10)
    assert isinstance(ds.xs, tuple) and isinstance(ds.ys, tuple)
    assert all(isinstance(xy, tuple) and len(xy) == 2 for xy in ds.xs)
    assert all(type(v) is float for xy in ds.xs for v in xy)
    assert all(type(label) is float for label in ds.ys)
    assert isinstance(ds.metadata, PMap)
    assert len(ds) == len(ds.xs) == len(ds.ys) == len(ds.points) == 10
    assert ds.points == tuple(Point(x, y, label) for (x, y), label in zip(ds.xs, ds.ys))
    first = ds.points[0]
    assert (first.x, first.y, first.label) == (*ds.xs[0], ds.ys[0])


def test_dataset_is_immutable() -> None:
    ds = moons(10)
    with pytest.raises(AttributeError):
        ds.xs = ()
    with pytest.raises(AttributeError):
        ds.points[0].x = 1.0  # type: ignore[misc]
    changed = ds.set(ys=tuple(-y for y in ds.ys))
    assert changed.ys != ds.ys
    assert ds == moons(10)


def test_dataset_metadata_holds_name_and_options() -> None:
    assert dict(moons(20, noise=0.2, seed=5, shuffle=False).metadata) == {
        "name": "moons",
        "n_samples": 20,
        "noise": 0.2,
        "seed": 5,
        "shuffle": False,
    }
    assert spiral(20, turns=2).metadata["turns"] == 2.0
    assert blobs(20, centers=[[0, 1], (2, 3.5)]).metadata["centers"] == ((0.0, 1.0), (2.0, 3.5))
    assert moons(20, noise=0).metadata["noise"] == 0.0


def test_dataset_repr_is_short() -> None:
    assert repr(moons(1000)) == (
        "Dataset(name='moons', n_samples=1000, noise=0.1, seed=1337, shuffle=True)"
    )
    assert repr(spiral(10, noise=0.0)) == (
        "Dataset(name='spiral', n_samples=10, noise=0.0, seed=1337, shuffle=True, turns=1.5)"
    )
    assert repr(blobs(10, shuffle=False)) == (
        "Dataset(name='blobs', n_samples=10, noise=0.1, seed=1337, shuffle=False, "
        "centers=((-1.0, 0.0), (1.0, 0.0)))"
    )


def test_dataset_built_by_hand() -> None:
    ds = Dataset(xs=[[1, 2], (3.0, 4.0)], ys=[-1, 1.0], metadata={"name": "mine", "source": "x"})
    assert ds.xs == ((1.0, 2.0), (3.0, 4.0))
    assert ds.ys == (-1.0, 1.0)
    assert isinstance(ds.metadata, PMap)
    assert repr(ds) == "Dataset(name='mine', n_samples=2, source='x')"


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"xs": "ab"}, TypeError, "xs to be a sequence"),
        ({"xs": [(1.0, 2.0), (1.0,)]}, ValueError, r"xs\[1\] to be a row of 2 finite numbers"),
        ({"xs": [()]}, ValueError, r"xs\[0\] to be a non-empty row"),
        ({"xs": [(1.0, math.nan), (1.0, 2.0)]}, ValueError, r"xs\[0\]"),
        ({"xs": [(1.0, True), (1.0, 2.0)]}, ValueError, r"xs\[0\]"),
        (
            {"ys": [1.0, 0.0]},
            ValueError,
            r"ys\[1\] to be -1.0 or 1.0 for a binary dataset, got 0.0",
        ),
        ({"task": "multiclass", "ys": [0, 1.5]}, ValueError, r"ys\[1\] to be a class index"),
        ({"task": "multiclass", "ys": [0, -1]}, ValueError, r"ys\[1\] to be a class index"),
        ({"task": "regression", "ys": [0, math.inf]}, ValueError, r"ys\[1\] to be a finite"),
        ({"task": "ternary"}, ValueError, "task to be one of 'binary'"),
        ({"task": "multiclass", "ys": [0, 3], "num_classes": 3}, ValueError, "every label"),
        ({"task": "multiclass", "ys": [0, 1], "num_classes": 1}, ValueError, "num_classes"),
        ({"num_classes": 3}, ValueError, "num_classes to be 2 for a binary dataset"),
        ({"task": "regression", "ys": [0.5, 1], "num_classes": 2}, ValueError, "num_classes"),
        ({"ys": [1.0, True]}, ValueError, r"ys\[1\]"),
        ({"ys": None}, TypeError, "ys to be a sequence"),
        ({"ys": [1.0]}, ValueError, "as many labels as inputs, got 2 inputs and 1 labels"),
        ({"metadata": {}}, ValueError, "metadata to have a str 'name'"),
        ({"metadata": {"name": "a", 1: 2}}, ValueError, "metadata keys to be strs"),
        ({"metadata": [("name", "a")]}, TypeError, "metadata to be a mapping"),
    ],
)
def test_dataset_bad_fields(kwargs: dict[str, Any], error: type, message: str) -> None:
    good: dict[str, Any] = {"xs": [(0.0, 0.0), (1.0, 1.0)], "ys": [-1.0, 1.0]}
    good["metadata"] = {"name": "mine"}
    with pytest.raises(error, match="^Dataset: expected " + message):
        Dataset(**{**good, **kwargs})
    # set() goes through the same checks.
    with pytest.raises(error, match="^Dataset: expected " + message):
        Dataset(**good).set(**kwargs)


def test_dataset_pickles() -> None:
    ds = spiral(30)
    assert pickle.loads(pickle.dumps(ds)) == ds


# -- moons: scikit-learn's geometry ----------------------------------------------


@pytest.mark.parametrize("n", [2, 3, 4, 5, 7, 10, 11, 100, 101, 257])
def test_moons_geometry_matches_sklearn(n: int) -> None:
    sk_datasets = pytest.importorskip("sklearn.datasets")
    x_ref, y_ref = sk_datasets.make_moons(n, noise=0, shuffle=False)
    ds = clean(moons, n)
    assert len(ds) == n
    for (x, y), (rx, ry) in zip(ds.xs, x_ref.tolist()):
        assert abs(x - rx) <= 1e-12 and abs(y - ry) <= 1e-12
    assert list(ds.ys) == [-1.0 if label == 0 else 1.0 for label in y_ref.tolist()]


@pytest.mark.parametrize("n", [2, 3, 9, 10])
def test_moons_geometry_by_formula(n: int) -> None:
    ds = clean(moons, n)
    n_out, n_in = n // 2, n - n // 2
    assert ds.ys == (-1.0,) * n_out + (1.0,) * n_in
    outer, inner = ds.xs[:n_out], ds.xs[n_out:]
    for xy in outer:
        assert math.isclose(math.hypot(*xy), 1.0)
        assert xy[1] >= -1e-15
    for x, y in inner:
        assert math.isclose(math.hypot(x - 1.0, y - 0.5), 1.0)
        assert y <= 0.5 + 1e-15
    # The ends of each moon.
    assert outer[0] == (1.0, 0.0)
    assert inner[0] == (0.0, 0.5)
    if n_out > 1:
        assert outer[-1] == pytest.approx((-1.0, 0.0), abs=1e-15)
    if n_in > 1:
        assert inner[-1] == pytest.approx((2.0, 0.5), abs=1e-15)


def test_moons_default_is_100_points() -> None:
    ds = moons()
    assert len(ds) == 100
    assert Counter(ds.ys) == {-1.0: 50, 1.0: 50}


def test_fm_datasets_is_exported() -> None:
    assert fm.datasets is datasets
    assert fm.rng.seed(1) == fm.rng.seed(1)
    assert "datasets" in fm.__all__ and "rng" in fm.__all__
    assert fm.datasets.moons(8) == moons(8)


# -- determinism and seeds ---------------------------------------------------


@pytest.mark.parametrize("generator", GENERATORS, ids=ids)
def test_generator_same_args_identical(generator: Callable[..., Dataset]) -> None:
    a = generator(50, noise=0.3, seed=7)
    b = generator(50, noise=0.3, seed=7)
    assert a == b
    assert fingerprint(a) == fingerprint(b)


@pytest.mark.parametrize("generator", GENERATORS, ids=ids)
def test_generator_different_seeds_differ(generator: Callable[..., Dataset]) -> None:
    fingerprints = {json.dumps(fingerprint(generator(20, seed=s))) for s in range(10)}
    assert len(fingerprints) == 10
    # Without noise only the order depends on the seed.
    a, b = generator(20, noise=0.0, seed=1), generator(20, noise=0.0, seed=2)
    assert a.xs != b.xs
    assert sorted(a.points) == sorted(b.points)


def test_generator_known_numbers() -> None:
    # Pins the stream: a change here changes every example and tutorial.
    ds = moons(100, noise=0.1, seed=1337)
    assert [round(v, 6) for v in ds.xs[0]] == [round(v, 6) for v in _pinned_first_moon()]


def _pinned_first_moon() -> tuple[float, float]:
    # Computed independently from the rng primitives, in the documented order:
    # 2n normals for the noise (point by point, x then y), then one permutation.
    base = clean(moons, 100)
    deltas, state = rng.normals(rng.seed(1337), 200, 0.0, 0.1)
    order, _ = rng.permutation(state, range(100))
    i = order[0]
    x, y = base.xs[i]
    return x + deltas[2 * i], y + deltas[2 * i + 1]


_SCRIPT = """
import json
from functional_micrograd import datasets as d
out = [d.moons(40, noise=0.2, seed=3), d.spiral(41, seed=-5), d.blobs(12, seed=2**70)]
print(json.dumps([[[x.hex(), y.hex(), l.hex()] for x, y, l in ds.points] for ds in out]))
"""


def test_generator_same_numbers_in_another_process() -> None:
    here = [
        fingerprint(ds)
        for ds in (moons(40, noise=0.2, seed=3), spiral(41, seed=-5), blobs(12, seed=2**70))
    ]
    for hash_seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        result = subprocess.run(
            [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, env=env, check=True
        )
        assert json.loads(result.stdout) == here


@pytest.mark.parametrize("generator", GENERATORS, ids=ids)
def test_generator_leaves_global_random_alone(generator: Callable[..., Dataset]) -> None:
    random.seed(99)
    before = random.getstate()
    generator(30, noise=0.5, seed=4)
    assert random.getstate() == before


# -- noise ---------------------------------------------------------------------


@pytest.mark.parametrize("generator", GENERATORS, ids=ids)
@pytest.mark.parametrize("noise", [0.05, 0.3])
def test_generator_noise_std(generator: Callable[..., Dataset], noise: float) -> None:
    n = 4000
    noisy = generator(n, noise=noise, seed=21, shuffle=False)
    base = clean(generator, n)
    dx = [a[0] - b[0] for a, b in zip(noisy.xs, base.xs)]
    dy = [a[1] - b[1] for a, b in zip(noisy.xs, base.xs)]
    for d in (dx, dy):
        assert abs(statistics.fmean(d)) < 0.1 * noise
        assert abs(statistics.pstdev(d) - noise) < 0.05 * noise
    # The two coordinates' noise is independent.
    assert abs(statistics.correlation(dx, dy)) < 0.06
    assert noisy.ys == base.ys


@pytest.mark.parametrize("generator", GENERATORS, ids=ids)
def test_generator_zero_noise_is_exact(generator: Callable[..., Dataset]) -> None:
    a = generator(11, noise=0.0, seed=1, shuffle=False)
    b = generator(11, noise=0, seed=2, shuffle=False)
    assert fingerprint(a) == fingerprint(b)


# -- shuffle -------------------------------------------------------------------


@pytest.mark.parametrize("generator", GENERATORS, ids=ids)
def test_generator_shuffle_is_a_permutation(generator: Callable[..., Dataset]) -> None:
    unshuffled = generator(60, noise=0.2, seed=8, shuffle=False)
    shuffled = generator(60, noise=0.2, seed=8, shuffle=True)
    assert shuffled.points != unshuffled.points
    assert sorted(shuffled.points) == sorted(unshuffled.points)


@pytest.mark.parametrize("generator", GENERATORS, ids=ids)
def test_generator_shuffle_mixes_the_classes(generator: Callable[..., Dataset]) -> None:
    ys = generator(200, seed=1).ys
    # Unshuffled, the labels change once; shuffled, about every other point.
    changes = sum(a != b for a, b in itertools.pairwise(ys))
    assert changes > 60


def test_generator_shuffle_order_does_not_depend_on_noise() -> None:
    a, b = moons(30, noise=0.0, seed=6), moons(30, noise=0.4, seed=6)
    assert a.ys == b.ys


# -- classes and labels -----------------------------------------------------------


@pytest.mark.parametrize("generator", GENERATORS, ids=ids)
@given(n=st.integers(min_value=2, max_value=120), seed=st.integers(), shuffle=st.booleans())
@settings(max_examples=25, deadline=None)
def test_generator_class_balance_and_labels(
    generator: Callable[..., Dataset], n: int, seed: int, shuffle: bool
) -> None:
    ds = generator(n, seed=seed, shuffle=shuffle)
    assert len(ds) == n
    assert set(ds.ys) <= {-1.0, 1.0}
    assert Counter(ds.ys) == {-1.0: n // 2, 1.0: n - n // 2}
    assert all(math.isfinite(v) for xy in ds.xs for v in xy)
    if not shuffle:
        assert ds.ys == (-1.0,) * (n // 2) + (1.0,) * (n - n // 2)


@pytest.mark.parametrize("n", [2, 3, 10, 11])
def test_spiral_arms_are_point_reflections(n: int) -> None:
    ds = clean(spiral, n, turns=1.5)
    first, second = ds.xs[: n // 2], ds.xs[n // 2 :]
    if len(first) == len(second):
        for (x0, y0), (x1, y1) in zip(first, second):
            assert x1 == pytest.approx(-x0, abs=1e-12)
            assert y1 == pytest.approx(-y0, abs=1e-12)
    # Each arm winds outward: radius (i + 1) / m.
    for arm in (first, second):
        radii = [math.hypot(*xy) for xy in arm]
        m = len(arm)
        assert radii == pytest.approx([(i + 1) / m for i in range(m)])


@pytest.mark.parametrize("turns", [0.5, 1, 1.5, 3.0])
def test_spiral_turns_set_the_angle(turns: float) -> None:
    ds = clean(spiral, 40, turns=turns)
    x, y = ds.xs[19]  # the end of the first arm: radius 1, angle 2 * pi * turns
    assert x == pytest.approx(math.cos(2 * math.pi * turns), abs=1e-12)
    assert y == pytest.approx(math.sin(2 * math.pi * turns), abs=1e-12)


def test_blobs_points_scatter_around_their_centers() -> None:
    centers = ((-2.0, 1.0), (3.0, -0.5))
    ds = blobs(2000, noise=0.5, seed=3, centers=centers)
    for label, (cx, cy) in zip((-1.0, 1.0), centers):
        xs = [p.x for p in ds.points if p.label == label]
        ys = [p.y for p in ds.points if p.label == label]
        assert abs(statistics.fmean(xs) - cx) < 0.05
        assert abs(statistics.fmean(ys) - cy) < 0.05


def test_blobs_default_centers_separate_on_x() -> None:
    ds = blobs(200)
    assert all((p.x > 0) == (p.label > 0) for p in ds.points)


# -- bad input ----------------------------------------------------------------------


@pytest.mark.parametrize("generator", GENERATORS, ids=ids)
@pytest.mark.parametrize(
    ("option", "value", "error", "message"),
    [
        ("n_samples", 1, ValueError, "n_samples to be an int >= 2, got 1"),
        ("n_samples", 0, ValueError, "n_samples to be an int >= 2, got 0"),
        ("n_samples", -5, ValueError, "n_samples to be an int >= 2, got -5"),
        ("n_samples", 10.0, TypeError, r"n_samples to be an int >= 2, got 10.0 \(float\)"),
        ("n_samples", True, TypeError, r"n_samples to be an int >= 2, got True \(bool\)"),
        ("n_samples", "10", TypeError, "n_samples to be an int >= 2, got '10'"),
        ("n_samples", None, TypeError, "n_samples to be an int >= 2, got None"),
        ("noise", -0.1, ValueError, "noise to be a finite number >= 0.0, got -0.1"),
        ("noise", math.nan, ValueError, "noise to be a finite number >= 0.0, got nan"),
        ("noise", math.inf, ValueError, "noise to be a finite number >= 0.0, got inf"),
        ("noise", 10**400, ValueError, "noise to be a finite number >= 0.0, got <an int of"),
        ("noise", None, TypeError, "noise to be a finite number >= 0"),
        ("noise", "0.1", TypeError, "noise to be a finite number >= 0"),
        ("noise", False, TypeError, "noise to be a finite number >= 0"),
        ("seed", 1.0, TypeError, r"seed to be an int, got 1.0 \(float\)"),
        ("seed", None, TypeError, "seed to be an int, got None"),
        ("seed", True, TypeError, "seed to be an int, got True"),
        ("shuffle", 1, TypeError, r"shuffle to be True or False, got 1 \(int\)"),
        ("shuffle", None, TypeError, "shuffle to be True or False, got None"),
    ],
)
def test_generator_bad_options(
    generator: Callable[..., Dataset], option: str, value: object, error: type, message: str
) -> None:
    kwargs: dict[str, object] = {"n_samples": 10, option: value}
    name = generator.__name__
    with pytest.raises(error, match=f"^{name}: expected {message}"):
        generator(**kwargs)


def test_moons_error_message_exactly() -> None:
    with pytest.raises(ValueError) as info:
        moons(1)
    assert str(info.value) == "moons: expected n_samples to be an int >= 2, got 1 (int)"


@pytest.mark.parametrize(
    ("turns", "error"),
    [
        (0, ValueError),
        (-1.5, ValueError),
        (math.inf, ValueError),
        (math.nan, ValueError),
        (None, TypeError),
        ("1.5", TypeError),
        (True, TypeError),
    ],
)
def test_spiral_bad_turns(turns: object, error: type) -> None:
    with pytest.raises(error, match=r"^spiral: expected turns to be a finite number > 0.0, got "):
        spiral(10, turns=turns)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("centers", "error"),
    [
        (None, TypeError),
        ("ab", TypeError),
        (1.0, TypeError),
        (((0.0, 0.0),), ValueError),
        ((), ValueError),
        (((0.0, 0.0), (1.0,)), ValueError),
        (((), ()), ValueError),
        (((0.0, 0.0), (1.0, 1.0, 1.0)), ValueError),
        (((0.0, math.nan), (1.0, 1.0)), ValueError),
        (((0.0, 0.0), (math.inf, 1.0)), ValueError),
        (((0.0, 0.0), (1.0, "1")), TypeError),
        (((0.0, 0.0), (1.0, None)), TypeError),
        (((0.0, True), (1.0, 1.0)), TypeError),
        (((0.0, 0.0), "ab"), TypeError),
        ((0.0, 0.0), TypeError),
    ],
)
def test_blobs_bad_centers(centers: object, error: type) -> None:
    with pytest.raises(
        error, match=r"^blobs: expected centers to be two or more points of one width, .* got "
    ):
        blobs(10, centers=centers)  # type: ignore[arg-type]


# -- tasks, widths and labels of the record ------------------------------------------


def test_dataset_task_and_num_classes_follow_the_labels() -> None:
    binary = Dataset(xs=[(0.0, 1.0)], ys=[1], metadata={"name": "b"})
    assert (binary.task, binary.num_classes, binary.ys) == ("binary", 2, (1.0,))
    multi = Dataset(xs=[(0,), (1,)], ys=[0, 4], task="multiclass", metadata={"name": "m"})
    assert (multi.task, multi.num_classes, multi.ys) == ("multiclass", 5, (0, 4))
    assert all(type(y) is int for y in multi.ys)
    wide = multi.set(num_classes=7)
    assert wide.num_classes == 7 and multi.num_classes == 5
    reg = Dataset(xs=[(0, 1, 2)], ys=[-3], task="regression", metadata={"name": "r"})
    assert (reg.task, reg.num_classes, reg.ys, reg.width) == ("regression", 0, (-3.0,), 3)


def test_dataset_points_for_one_and_two_wide_inputs() -> None:
    curve = sine(3, noise=0.0)
    assert [(p.x, p.y) for p in curve.points] == [(x, y) for (x,), y in zip(curve.xs, curve.ys)]
    three = blobs(6, centers=((0, 0), (1, 1), (2, 0)))
    assert [p.label for p in three.points] == [float(y) for y in three.ys]
    with pytest.raises(ValueError, match="width 1 or 2, got width 3"):
        blobs(4, centers=((0, 0, 0), (1, 1, 1))).points  # noqa: B018


def test_dataset_of_every_task_pickles() -> None:
    for ds in (yinyang(9), sine(5), circles(6), from_lists([[1, 2, 3]], [0.5])):
        assert pickle.loads(pickle.dumps(ds)) == ds


# -- metadata holds plain data only, frozen -------------------------------------------


class Tags(list):  # type: ignore[type-arg]
    """A list subclass: pyrsistent's freeze would leave it as it is."""


def test_dataset_metadata_freezes_every_mapping_and_sequence() -> None:
    from types import MappingProxyType

    ordered = OrderedDict(a=[1, 2])
    counts = Counter("aab")
    queue = deque([1.5, [2]])
    tags = Tags(["x"])
    ds = Dataset(
        xs=[(0.0,)],
        ys=[1.0],
        metadata={
            "name": "mine",
            "ordered": ordered,
            "counts": counts,
            "queue": queue,
            "tags": tags,
            "proxy": MappingProxyType({"k": ["v"]}),
            "scalars": (None, True, 3, 2.5, "s"),
        },
    )
    ordered["a"].append(3)
    ordered["b"] = []
    counts["c"] += 1
    queue[1].append(3)
    queue.append(4)
    tags.append("y")
    meta = ds.metadata
    assert meta["ordered"] == pmap({"a": pvector([1, 2])}) and isinstance(meta["ordered"], PMap)
    assert meta["counts"] == pmap({"a": 2, "b": 1})
    assert meta["queue"] == pvector([1.5, pvector([2])])
    assert meta["tags"] == pvector(["x"]) and type(meta["tags"]) is type(pvector())
    assert meta["proxy"] == pmap({"k": pvector(["v"])})
    assert meta["scalars"] == (None, True, 3, 2.5, "s")


class Label(str):
    """A str subclass that can carry attributes: kept as a plain str."""


def test_dataset_metadata_keeps_scalars_as_plain_types() -> None:
    name = Label("mine")
    name.extra = []  # type: ignore[attr-defined]
    ds = Dataset(xs=[(0.0,)], ys=[1.0], metadata={"name": name, "n": True, "f": 0.5, "i": 10**30})
    assert type(ds.metadata["name"]) is str
    assert ds.metadata["n"] is True and ds.metadata["i"] == 10**30


@pytest.mark.parametrize(
    ("value", "type_name"),
    [
        (bytearray(b"ab"), "bytearray"),
        (b"ab", "bytes"),
        (SimpleNamespace(a=1), "SimpleNamespace"),
        ({1, 2}, "set"),
        (frozenset({1}), "frozenset"),
        (object(), "object"),
        ([1, [2, {"k": SimpleNamespace()}]], "SimpleNamespace"),
        (1j, "complex"),
        (lambda: 1, "function"),
    ],
)
def test_dataset_metadata_refuses_anything_but_plain_data(value: object, type_name: str) -> None:
    with pytest.raises(
        TypeError, match=rf"^Dataset: expected metadata.* plain data .*\({type_name}\)$"
    ):
        Dataset(xs=[(0.0,)], ys=[1.0], metadata={"name": "mine", "bad": value})


def test_dataset_metadata_refuses_cycles_and_deep_nesting() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="nest at most"):
        Dataset(xs=[(0.0,)], ys=[1.0], metadata={"name": "mine", "loop": loop})


# -- circles: scikit-learn's geometry -------------------------------------------------


@pytest.mark.parametrize("n", [2, 3, 4, 7, 10, 101])
@pytest.mark.parametrize("factor", [0.5, 0.8, 0.1])
def test_circles_geometry_matches_sklearn(n: int, factor: float) -> None:
    from sklearn.datasets import make_circles

    x_ref, y_ref = make_circles(n, noise=None, shuffle=False, factor=factor)
    ds = circles(n, noise=0.0, shuffle=False, factor=factor)
    assert len(ds) == n and ds.task == "binary"
    for (x, y), (rx, ry) in zip(ds.xs, x_ref.tolist()):
        assert abs(x - rx) <= 1e-12 and abs(y - ry) <= 1e-12
    assert list(ds.ys) == [-1.0 if label == 0 else 1.0 for label in y_ref.tolist()]


@pytest.mark.parametrize("factor", [0, 1, 1.5, -0.5, math.nan])
def test_circles_bad_factor(factor: float) -> None:
    with pytest.raises(ValueError, match=r"^circles: expected factor to be a finite number > 0.0"):
        circles(10, factor=factor)


# -- spiral and blobs with more classes ---------------------------------------------------


@pytest.mark.parametrize(("n", "k"), [(3, 3), (10, 3), (11, 4), (30, 5)])
def test_spiral_classes_are_arms_turned_by_a_kth(n: int, k: int) -> None:
    ds = spiral(n, noise=0.0, shuffle=False, classes=k)
    assert ds.task == "multiclass" and ds.num_classes == k
    sizes = [n // k + (1 if j < n % k else 0) for j in range(k)]
    assert ds.ys == tuple(j for j in range(k) for _ in range(sizes[j]))
    start = 0
    for arm, m in enumerate(sizes):
        for i, (x, y) in enumerate(ds.xs[start : start + m]):
            r = (i + 1) / m
            angle = 2 * math.pi * 1.5 * r + 2 * math.pi * arm / k
            assert (x, y) == pytest.approx((r * math.cos(angle), r * math.sin(angle)), abs=1e-12)
        start += m
    assert ds.metadata["classes"] == k


@pytest.mark.parametrize(("classes", "error"), [(1, ValueError), (0, ValueError), (2.0, TypeError)])
def test_spiral_bad_classes(classes: object, error: type) -> None:
    with pytest.raises(error, match=r"^spiral: expected classes to be an int >= 2"):
        spiral(10, classes=classes)  # type: ignore[arg-type]


def test_spiral_needs_a_point_per_arm() -> None:
    with pytest.raises(ValueError, match=r"^spiral: expected n_samples to be an int >= 4"):
        spiral(3, classes=4)


def test_blobs_three_centers_give_classes_in_their_order() -> None:
    centers = ((0.0, 0.0), (5.0, 0.0), (0.0, 5.0))
    ds = blobs(300, noise=0.3, seed=4, shuffle=False, centers=centers)
    assert ds.task == "multiclass" and ds.num_classes == 3
    assert ds.ys == (0,) * 100 + (1,) * 100 + (2,) * 100
    for label, center in enumerate(centers):
        members = [xy for xy, y in zip(ds.xs, ds.ys) if y == label]
        for axis in (0, 1):
            assert abs(statistics.fmean(xy[axis] for xy in members) - center[axis]) < 0.1


def test_blobs_centers_of_any_width() -> None:
    ds = blobs(5, noise=0.0, shuffle=False, centers=((1, 2, 3), (4, 5, 6)))
    assert ds.width == 3
    assert ds.xs == ((1.0, 2.0, 3.0),) * 2 + ((4.0, 5.0, 6.0),) * 3


# -- yin-yang: Kriener et al.'s rule, point by point ------------------------------------


def yin_yang_class(px: float, py: float, r_small: float, r_big: float) -> int:
    """The picture described in words: two dots, then the yin's S-shaped half.

    The yin is the upper half of the disc, minus the right bulge (the disc of
    radius r_big / 2 around the right dot's centre), plus the left bulge; the
    two dots of radius r_small sit at the bulges' centres and are class 2.
    Written with squared distances and a complex centre, as a second
    implementation of the rule the library uses.
    """
    z = complex(px, py) - complex(r_big, r_big)  # from the disc's centre
    left, right = z + r_big / 2, z - r_big / 2
    if abs(left) ** 2 < r_small**2 or abs(right) ** 2 < r_small**2:
        return 2
    in_left_bulge = abs(left) ** 2 <= (r_big / 2) ** 2
    in_right_bulge = abs(right) ** 2 <= (r_big / 2) ** 2
    return 0 if in_left_bulge or (z.imag > 0 and not in_right_bulge) else 1


@pytest.mark.parametrize(("r_small", "r_big"), [(0.1, 0.5), (0.2, 1.0), (0.05, 0.3)])
def test_yinyang_labels_follow_the_rule_point_by_point(r_small: float, r_big: float) -> None:
    ds = yinyang(600, seed=5, r_small=r_small, r_big=r_big)
    assert ds.task == "multiclass" and ds.num_classes == 3 and len(ds) == 600
    assert ds.ys == tuple(i % 3 for i in range(600))
    for (sx, sy), label in zip(ds.xs, ds.ys):
        assert -2.0 <= sx <= 2.0 and -2.0 <= sy <= 2.0
        px, py = (sx / 2 + 1) * r_big, (sy / 2 + 1) * r_big  # undo the scaling
        assert math.hypot(px - r_big, py - r_big) <= r_big * (1 + 1e-12)
        assert yin_yang_class(px, py, r_small, r_big) == label


def test_yinyang_fills_each_region() -> None:
    ds = yinyang(900, seed=2)
    dots = [xy for xy, y in zip(ds.xs, ds.ys) if y == 2]
    # both dots, centred at (-1, 0) and (1, 0) once scaled, each with some points
    assert sum(x < 0 for x, _ in dots) > 100 and sum(x > 0 for x, _ in dots) > 100
    yin = [xy for xy, y in zip(ds.xs, ds.ys) if y == 0]
    assert sum(y > 0 for _, y in yin) > sum(y < 0 for _, y in yin)  # mostly the upper half


def test_yinyang_is_deterministic_and_seeded() -> None:
    assert yinyang(30, seed=3) == yinyang(30, seed=3)
    assert yinyang(30, seed=3).xs != yinyang(30, seed=4).xs
    random.seed(1)
    before = random.getstate()
    yinyang(30)
    assert random.getstate() == before


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"n_samples": 2}, ValueError, "n_samples"),
        ({"n_samples": 3.0}, TypeError, "n_samples"),
        ({"seed": None}, TypeError, "seed"),
        ({"r_big": 0.0}, ValueError, "r_big"),
        ({"r_small": 0.25}, ValueError, "r_small"),
        ({"r_small": -0.1}, ValueError, "r_small"),
        ({"r_small": "0.1"}, TypeError, "r_small"),
    ],
)
def test_yinyang_bad_options(kwargs: dict[str, Any], error: type, name: str) -> None:
    with pytest.raises(error, match=f"^yinyang: expected {name} to be"):
        yinyang(**kwargs)


# -- sine --------------------------------------------------------------------------------


def test_sine_inputs_evenly_spaced_targets_sin_plus_noise() -> None:
    ds = sine(2001, noise=0.2, seed=8, low=-2.0, high=4.0)
    assert ds.task == "regression" and ds.num_classes == 0 and ds.width == 1
    xs = [x for (x,) in ds.xs]
    assert xs[0] == -2.0 and xs[-1] == 4.0
    assert all(b - a == pytest.approx(0.003) for a, b in itertools.pairwise(xs))
    residuals = [y - math.sin(x) for x, y in zip(xs, ds.ys)]
    assert abs(statistics.fmean(residuals)) < 0.02
    assert abs(statistics.pstdev(residuals) - 0.2) < 0.01
    clean_ds = sine(5, noise=0.0)
    assert clean_ds.ys == tuple(math.sin(x) for (x,) in clean_ds.xs)


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"low": 1.0, "high": 1.0}, ValueError, "high"),
        ({"low": 2.0, "high": 1.0}, ValueError, "high"),
        ({"low": math.inf}, ValueError, "low"),
        ({"high": "3"}, TypeError, "high"),
        ({"n_samples": 1}, ValueError, "n_samples"),
        ({"noise": -1.0}, ValueError, "noise"),
    ],
)
def test_sine_bad_options(kwargs: dict[str, Any], error: type, name: str) -> None:
    with pytest.raises(error, match=f"^sine: expected {name} to be"):
        sine(**kwargs)


# -- from_lists ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ys", "task", "k"),
    [
        ([1, -1, 1], "binary", 2),
        ([1.0, -1.0, -1.0], "binary", 2),
        ([0, 1, 1], "multiclass", 2),
        ([0, 3, 1], "multiclass", 4),
        ([0.0, 1.0, 2.0], "regression", 0),
        ([0.5, -2, 7], "regression", 0),
        ([-2, 0, 1], "regression", 0),
    ],
)
def test_from_lists_infers_the_task(ys: list[float], task: str, k: int) -> None:
    ds = from_lists([[0, 1], [2, 3], [4, 5]], ys)
    assert (ds.task, ds.num_classes) == (task, k)
    assert ds.xs == ((0.0, 1.0), (2.0, 3.0), (4.0, 5.0))
    assert ds.metadata == pmap({"name": "custom", "n_samples": 3})


def test_from_lists_with_a_task_and_a_name() -> None:
    ds = from_lists([[0.5], [1.5]], [1, -1], task="regression", name="line")
    assert (ds.task, ds.ys, repr(ds)) == (
        "regression",
        (1.0, -1.0),
        "Dataset(name='line', n_samples=2)",
    )


@pytest.mark.parametrize(
    ("xs", "ys", "kwargs", "error", "message"),
    [
        ([[0, 1], [1]], [1, -1], {}, ValueError, r"xs\[1\] to be a row of 2 finite numbers"),
        ([[0, 1], [1, 2, 3]], [1, -1], {}, ValueError, r"xs\[1\]"),
        ([[0, 1], [1, math.nan]], [1, -1], {}, ValueError, r"xs\[1\]"),
        ([[0, 1], [math.inf, 0]], [1, -1], {}, ValueError, r"xs\[1\]"),
        ([[0, 1], "ab"], [1, -1], {}, ValueError, r"xs\[1\]"),
        ([[], [1]], [1, -1], {}, ValueError, r"xs\[0\] to be a non-empty row"),
        ("ab", [1], {}, TypeError, "xs to be a sequence"),
        ([[0], [1]], 3, {}, TypeError, "ys to be a sequence"),
        ([[0], [1]], [1], {}, ValueError, "as many labels as rows, got 2 rows and 1 labels"),
        ([[0], [1]], [1, math.nan], {}, ValueError, r"ys\[1\] to be a finite number"),
        ([[0], [1]], [1, 2], {"task": "binary"}, ValueError, r"ys\[1\] to be -1.0 or 1.0"),
        ([[0], [1]], [1, 0.5], {"task": "multiclass"}, ValueError, r"ys\[1\] to be a class"),
        ([[0], [1]], [1, 0], {"task": "ordinal"}, ValueError, "task to be one of"),
        ([[0], [1]], [1, 0], {"name": 3}, TypeError, "name to be a str"),
    ],
)
def test_from_lists_bad_input(
    xs: Any, ys: Any, kwargs: dict[str, Any], error: type, message: str
) -> None:
    with pytest.raises(error, match=f"^from_lists: expected {message}"):
        from_lists(xs, ys, **kwargs)


# -- split -----------------------------------------------------------------------------------


@st.composite
def labelled_sets(draw: st.DrawFn) -> Dataset:
    """A dataset whose points are all different (x = the index), of any task."""
    n = draw(st.integers(1, 60))
    task = draw(st.sampled_from(("binary", "multiclass", "regression")))
    if task == "binary":
        ys: list[Any] = draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=n, max_size=n))
    elif task == "multiclass":
        ys = draw(st.lists(st.integers(0, 4), min_size=n, max_size=n))
    else:
        ys = draw(st.lists(st.floats(-5, 5), min_size=n, max_size=n))
    xs = [(float(i), float(i % 3)) for i in range(n)]
    return from_lists(xs, ys, task=task)


@st.composite
def fraction_tuples(draw: st.DrawFn) -> tuple[float, ...]:
    weights = draw(st.lists(st.integers(1, 20), min_size=1, max_size=4))
    return tuple(w / sum(weights) for w in weights)


@given(ds=labelled_sets(), fractions=fraction_tuples(), seed=st.integers())
@settings(max_examples=120, deadline=None)
def test_split_parts_are_disjoint_complete_sized_and_stratified(
    ds: Dataset, fractions: tuple[float, ...], seed: int
) -> None:
    if abs(math.fsum(fractions) - 1.0) > 1e-9:
        return
    parts = split(ds, fractions, seed=seed)
    n = len(ds)
    sizes = [math.floor(f * n) for f in fractions]
    sizes[0] += n - sum(sizes)
    assert [len(p) for p in parts] == sizes
    rows = [(xy, y) for p in parts for xy, y in zip(p.xs, p.ys)]
    assert sorted(rows) == sorted(zip(ds.xs, ds.ys))  # together, exactly the original
    assert len({xy for xy, _ in rows}) == n  # disjoint: every point once
    for p in parts:
        assert (p.task, p.num_classes) == (ds.task, ds.num_classes)
        assert p.width == (ds.width if len(p) else 0)
    if ds.task != "regression":
        for label, count in Counter(ds.ys).items():
            for p, size in zip(parts, sizes):
                assert abs(p.ys.count(label) - size * count / n) < 2, (label, p.ys, size)
    assert split(ds, fractions, seed=seed) == parts


def test_split_defaults_are_eurekalabs_80_10_10() -> None:
    train_part, val_part, test_part = split(yinyang(100))
    assert [len(p) for p in (train_part, val_part, test_part)] == [80, 10, 10]
    counts = Counter(train_part.ys)
    assert sorted(counts) == [0, 1, 2] and max(counts.values()) - min(counts.values()) <= 2
    assert train_part.metadata["part"] == 0 and test_part.metadata["part"] == 2
    assert train_part.metadata["n_samples"] == 80


def test_split_seeds_give_different_parts() -> None:
    a, _ = split(moons(40), (0.5, 0.5), seed=1)
    b, _ = split(moons(40), (0.5, 0.5), seed=2)
    assert set(a.xs) != set(b.xs)


def test_split_shuffles_within_each_part() -> None:
    part, _ = split(moons(100, shuffle=False), (0.5, 0.5))
    changes = sum(a != b for a, b in itertools.pairwise(part.ys))
    assert changes > 10


@pytest.mark.parametrize(
    ("fractions", "error", "message"),
    [
        ((0.5, 0.4), ValueError, r"fractions to sum to 1, got \(0.5, 0.4\), which sum to 0.9"),
        ((0.5, 0.6), ValueError, "fractions to sum to 1, .* sum to 1.1"),
        ((1.0, 0.0), ValueError, r"fractions\[1\] to be a finite number > 0.0"),
        ((1.5, -0.5), ValueError, r"fractions\[1\]"),
        ((), ValueError, "at least one fraction"),
        ((0.5, "0.5"), TypeError, r"fractions\[1\]"),
        (0.5, TypeError, "fractions to be a sequence"),
        ((math.nan,), ValueError, r"fractions\[0\]"),
    ],
)
def test_split_bad_fractions(fractions: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=f"^split: expected {message}"):
        split(moons(10), fractions)


def test_split_refuses_non_datasets_and_bad_seeds() -> None:
    with pytest.raises(TypeError, match=r"^split: expected a Dataset"):
        split([(0.0, 1.0)])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^split: expected seed"):
        split(moons(10), seed=1.5)  # type: ignore[arg-type]
