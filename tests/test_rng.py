"""Tests for functional_micrograd.rng: a pure, seeded random stream."""

from __future__ import annotations

import math
import random
import statistics

import pytest
from conftest import floats_between
from hypothesis import given
from hypothesis import strategies as st

from functional_micrograd import rng

seeds = st.integers(min_value=-(2**70), max_value=2**70)
finite = floats_between(-1e6, 1e6)


# -- seed -------------------------------------------------------------------


@given(seeds)
def test_seed_same_seed_same_numbers(n: int) -> None:
    a, _ = rng.uniforms(rng.seed(n), 5)
    b, _ = rng.uniforms(rng.seed(n), 5)
    assert [x.hex() for x in a] == [x.hex() for x in b]


def test_seed_different_seeds_differ() -> None:
    streams = {rng.uniforms(rng.seed(n), 4)[0] for n in range(50)}
    assert len(streams) == 50


def test_seed_known_numbers() -> None:
    # Pins the generator: weights and datasets made from a seed must not drift.
    xs, _ = rng.uniforms(rng.seed(1337), 3, -1.0, 1.0)
    assert round(xs[0], 6) == 0.427022
    assert rng.seed(0).state == 0
    assert rng.seed(-1).state == 2**64 - 1


@pytest.mark.parametrize("bad", [1.5, "1", None, True, (1,)])
def test_seed_rejects_non_int(bad: object) -> None:
    with pytest.raises(TypeError, match=r"^seed: expected seed to be an int, got "):
        rng.seed(bad)  # type: ignore[arg-type]


def test_seed_leaves_global_random_alone() -> None:
    before = random.getstate()
    state = rng.seed(5)
    _, state = rng.uniforms(state, 10)
    _, state = rng.normals(state, 10)
    _, state = rng.permutation(state, range(10))
    rng.sample(state, range(10), 3)
    assert random.getstate() == before


# -- purity: the state passed in is a value ---------------------------------


@given(seeds)
def test_uniforms_same_state_twice_same_result(n: int) -> None:
    state = rng.seed(n)
    first = rng.uniforms(state, 3)
    second = rng.uniforms(state, 3)
    assert first == second
    assert state == rng.seed(n)


def test_uniforms_next_state_continues_the_stream() -> None:
    state = rng.seed(9)
    whole, _ = rng.uniforms(state, 6)
    head, state2 = rng.uniforms(state, 2)
    tail, _ = rng.uniforms(state2, 4)
    assert head + tail == whole
    assert state2 != state


def test_normals_same_state_twice_same_result() -> None:
    state = rng.seed(3)
    assert rng.normals(state, 4) == rng.normals(state, 4)


def test_permutation_same_state_twice_same_result() -> None:
    state = rng.seed(3)
    assert rng.permutation(state, range(20)) == rng.permutation(state, range(20))


def test_sample_same_state_twice_same_result() -> None:
    state = rng.seed(3)
    assert rng.sample(state, "abcdefgh", 4) == rng.sample(state, "abcdefgh", 4)


def test_rng_is_immutable() -> None:
    state = rng.seed(1)
    with pytest.raises(AttributeError):
        state.state = 2


def test_uniform_and_normal_match_their_plural() -> None:
    state = rng.seed(11)
    x, next_u = rng.uniform(state, -2.0, 3.0)
    assert ((x,), next_u) == rng.uniforms(state, 1, -2.0, 3.0)
    z, next_n = rng.normal(state, 1.0, 2.0)
    assert ((z,), next_n) == rng.normals(state, 1, 1.0, 2.0)


# -- uniforms ---------------------------------------------------------------


@given(seeds, finite, st.floats(min_value=0.0, max_value=1e6))
def test_uniforms_within_bounds(n: int, low: float, width: float) -> None:
    high = low + width
    xs, _ = rng.uniforms(rng.seed(n), 20, low, high)
    assert len(xs) == 20
    # Closed at the top: low + (high - low) * u can round up to high.
    assert all(low <= x <= high for x in xs)


@given(seeds)
def test_uniforms_unit_interval_is_half_open(n: int) -> None:
    xs, _ = rng.uniforms(rng.seed(n), 50)
    assert all(0.0 <= x < 1.0 for x in xs)


def test_uniforms_roughly_flat() -> None:
    xs, _ = rng.uniforms(rng.seed(2024), 20_000, -1.0, 1.0)
    assert abs(statistics.fmean(xs)) < 0.02
    # The variance of U(-1, 1) is 1/3.
    assert abs(statistics.pvariance(xs) - 1 / 3) < 0.02
    tenths = [0] * 10
    for x in xs:
        tenths[int((x + 1.0) * 5)] += 1
    assert all(1700 < count < 2300 for count in tenths)


def test_uniforms_zero_and_empty_width() -> None:
    assert rng.uniforms(rng.seed(1), 0)[0] == ()
    xs, _ = rng.uniforms(rng.seed(1), 3, 2.5, 2.5)
    assert xs == (2.5, 2.5, 2.5)


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((-1,), ValueError, r"^uniforms: expected n to be an int >= 0, got -1"),
        ((2.0,), TypeError, r"^uniforms: expected n to be an int"),
        ((True,), TypeError, r"^uniforms: expected n to be an int"),
        ((2, 1.0, 0.0), ValueError, r"^uniforms: expected high to be a finite number >= 1.0"),
        ((2, math.nan, 1.0), ValueError, r"^uniforms: expected low to be a finite number, got nan"),
        ((2, 0.0, math.inf), ValueError, r"^uniforms: expected high to be a finite number >= 0.0"),
        ((2, -1e308, 1e308), ValueError, r"^uniforms: expected low and high a finite distance"),
    ],
)
def test_uniforms_bad_input(args: tuple[object, ...], error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        rng.uniforms(rng.seed(1), *args)  # type: ignore[arg-type]


def test_uniforms_rejects_non_rng() -> None:
    with pytest.raises(TypeError, match=r"^uniforms: expected an Rng"):
        rng.uniforms(1337, 3)  # type: ignore[arg-type]


# -- normals ----------------------------------------------------------------


def test_normals_mean_and_std_roughly_right() -> None:
    xs, _ = rng.normals(rng.seed(7), 20_000, 3.0, 2.0)
    assert abs(statistics.fmean(xs) - 3.0) < 0.05
    assert abs(statistics.pstdev(xs) - 2.0) < 0.05
    # About 68% within one standard deviation, 95% within two.
    within1 = sum(abs(x - 3.0) < 2.0 for x in xs) / len(xs)
    within2 = sum(abs(x - 3.0) < 4.0 for x in xs) / len(xs)
    assert abs(within1 - 0.6827) < 0.015
    assert abs(within2 - 0.9545) < 0.01


@given(seeds)
def test_normals_finite(n: int) -> None:
    xs, _ = rng.normals(rng.seed(n), 20)
    assert all(math.isfinite(x) for x in xs)


def test_normals_zero_std_gives_the_mean() -> None:
    xs, _ = rng.normals(rng.seed(1), 5, 1.5, 0.0)
    assert xs == (1.5,) * 5


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((-1,), ValueError),
        ((1.0,), TypeError),
        ((3, 0.0, -1.0), ValueError),
        ((3, math.nan, 1.0), ValueError),
        ((3, 0.0, math.inf), ValueError),
    ],
)
def test_normals_bad_input(args: tuple[object, ...], error: type) -> None:
    with pytest.raises(error, match=r"^normals: expected "):
        rng.normals(rng.seed(1), *args)  # type: ignore[arg-type]


def test_normals_rejects_non_rng() -> None:
    with pytest.raises(TypeError, match=r"^normals: expected an Rng"):
        rng.normals(None, 3)  # type: ignore[arg-type]


# -- permutation ------------------------------------------------------------


@given(seeds, st.lists(st.integers(), max_size=30))
def test_permutation_is_a_permutation(n: int, items: list[int]) -> None:
    order, _ = rng.permutation(rng.seed(n), items)
    assert isinstance(order, tuple)
    assert sorted(order) == sorted(items)


def test_permutation_leaves_input_alone() -> None:
    items = [1, 2, 3, 4, 5]
    rng.permutation(rng.seed(1), items)
    assert items == [1, 2, 3, 4, 5]


def test_permutation_every_order_of_three_appears_evenly() -> None:
    counts: dict[tuple[str, ...], int] = {}
    state = rng.seed(42)
    for _ in range(6000):
        order, state = rng.permutation(state, "abc")
        counts[order] = counts.get(order, 0) + 1
    assert len(counts) == 6
    assert all(850 < c < 1150 for c in counts.values())


def test_permutation_empty_and_single() -> None:
    assert rng.permutation(rng.seed(1), [])[0] == ()
    assert rng.permutation(rng.seed(1), ["x"])[0] == ("x",)


def test_permutation_bad_input() -> None:
    with pytest.raises(TypeError, match=r"^permutation: expected an Rng"):
        rng.permutation(1, [1, 2])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        rng.permutation(rng.seed(1), 5)  # type: ignore[arg-type]


# -- sample -----------------------------------------------------------------


@given(seeds, st.lists(st.integers(), unique=True, max_size=30), st.data())
def test_sample_without_replacement(n: int, items: list[int], data: st.DataObject) -> None:
    k = data.draw(st.integers(min_value=0, max_value=len(items)))
    picked, _ = rng.sample(rng.seed(n), items, k)
    assert len(picked) == k
    assert len(set(picked)) == k
    assert set(picked) <= set(items)


def test_sample_all_is_a_permutation() -> None:
    picked, _ = rng.sample(rng.seed(5), range(10), 10)
    assert sorted(picked) == list(range(10))


def test_sample_each_item_equally_likely() -> None:
    counts = [0] * 5
    state = rng.seed(8)
    for _ in range(5000):
        picked, state = rng.sample(state, range(5), 2)
        for i in picked:
            counts[i] += 1
    # Each of 5 items is in a 2-sample with probability 2/5: 2000 times of 5000.
    assert all(1850 < c < 2150 for c in counts)


@pytest.mark.parametrize(
    ("k", "error"), [(-1, ValueError), (4, ValueError), (1.0, TypeError), (True, TypeError)]
)
def test_sample_bad_k(k: object, error: type) -> None:
    with pytest.raises(error, match=r"^sample: expected "):
        rng.sample(rng.seed(1), "abc", k)  # type: ignore[arg-type]


def test_sample_rejects_non_rng() -> None:
    with pytest.raises(TypeError, match=r"^sample: expected an Rng"):
        rng.sample("seed", "abc", 1)  # type: ignore[arg-type]
