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
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyrsistent import PMap

import functional_micrograd as fm
from functional_micrograd import datasets, rng
from functional_micrograd.datasets import Dataset, Point, blobs, moons, spiral

GENERATORS: list[Callable[..., Dataset]] = [moons, spiral, blobs]
ids = ["moons", "spiral", "blobs"]


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
        ({"xs": [(1.0, 2.0), (1.0,)]}, ValueError, r"xs\[1\] to be an \(x, y\) pair"),
        ({"xs": [(1.0, math.nan), (1.0, 2.0)]}, ValueError, r"xs\[0\]"),
        ({"xs": [(1.0, True), (1.0, 2.0)]}, ValueError, r"xs\[0\]"),
        ({"ys": [1.0, 0.0]}, ValueError, r"ys\[1\] to be -1.0 or 1.0, got 0.0"),
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
        ("noise", -0.1, ValueError, "noise to be a finite number >= 0, got -0.1"),
        ("noise", math.nan, ValueError, "noise to be a finite number >= 0, got nan"),
        ("noise", math.inf, ValueError, "noise to be a finite number >= 0, got inf"),
        ("noise", 10**400, ValueError, "noise to be a finite number >= 0, got 1000"),
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
    assert str(info.value) == "moons: expected n_samples to be an int >= 2, got 1"


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
    with pytest.raises(error, match=r"^spiral: expected turns to be a finite number > 0, got "):
        spiral(10, turns=turns)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("centers", "error"),
    [
        (None, TypeError),
        ("ab", TypeError),
        (1.0, TypeError),
        (((0.0, 0.0),), ValueError),
        (((0.0, 0.0), (1.0, 1.0), (2.0, 2.0)), ValueError),
        (((0.0, 0.0), (1.0,)), ValueError),
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
        error, match=r"^blobs: expected centers to be two \(x, y\) pairs of finite numbers, got "
    ):
        blobs(10, centers=centers)  # type: ignore[arg-type]
